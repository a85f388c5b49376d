import CrossguardCore
import CrossguardHAL
import CrossguardRuntime

/// A scenario run on the simulated board without a screen: what `crossguard bench --scenario` and the
/// golden-trace tests both do, so the tests check exactly what the command prints.
public enum HeadlessBench {
    /// What a run did.
    public struct Summary: Sendable {
        public var statistics: TickStatistics
        public var outputChanges: Int
        public var events: Int
    }

    /// Runs `scenario` for its whole duration on `clock` (virtual time by default), sending the JSON Lines
    /// trace and the readable timeline to the sinks, then leaves the outputs in the safe state.
    public static func run(site: SiteConfig, board: BoardConfig, scenario: Scenario, clock: TickClock = VirtualClock(),
                           trace: ((String) -> Void)?, timeline: ((String) -> Void)?,
                           commands: CommandMailbox = CommandMailbox(), firstSeq: UInt64 = 1, skippedSeqs: ClosedRange<UInt64>? = nil,
                           observe: (TickObserver) -> TickObserver = { $0},
                           shouldStop: () -> Bool = { false }) throws(HardwareError) -> Summary {
        let bank = SimulatedLineBank(board: board)
        let light = SimulatedLightSensor()
        let runtime = try DeviceRuntime(site: site, board: board, bank: bank, display: SimulatedDisplay(), light: light, commands: commands, firstSeq: firstSeq, skippedSeqs: skippedSeqs)
        let player = ScenarioPlayer(scenario, bank: bank, light: light, tickMs: site.tickMs) { runtime.commands.post($0) }
        let recorder = TraceRecorder(site: site, board: board, player: player, trace: trace, timeline: timeline)
        runtime.run(clock: clock, limit: player.tickCount, observer: observe(recorder), shouldStop: shouldStop)
        recorder.flush()
        try runtime.writeSafeState()
        return Summary(statistics: runtime.statistics, outputChanges: recorder.changeCount, events: recorder.eventCount)
    }
}
