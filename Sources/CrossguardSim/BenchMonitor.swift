import CrossguardCore
import CrossguardRuntime
import Synchronization

/// What the interactive bench draws, copied from the tick thread once a tick.
public struct BenchSnapshot: Sendable {
    public var tick: UInt64 = 0
    public var outputs = Outputs()
    /// The crossing's phase as the street sees it (a hybrid beacon's own names), nil without a crossing.
    public var phase: String?
    public var phaseStart: UInt64 = 0
    public var mode: OperatingMode = .normal
    public var demand: InputRole?
    public var openAlarm: UInt32 = 0
    public var acknowledged = false
    public var unanswered = false
    public var openConditions = InputSet()
    /// The latched safety rule and the outputs involved, nil while all is well.
    public var latched: (rule: SafetyRule, outputs: OutputSet)?
    /// Beacon profile: whether it is active, until when, and whether it is night.
    public var beacon: (active: Bool, endsAt: UInt64, night: Bool, kerbStuck: Bool)?
    /// The latest events, oldest first (at most `BenchMonitor.recentLimit`).
    public var recent: [Event] = []
    /// The latest command and its outcome.
    public var lastCommand: (command: Command, outcome: CommandOutcome)?
    public var statistics = TickStatistics()
}

/// Keeps the latest snapshot for the bench screen. The tick thread writes under a short lock; the
/// screen thread reads a copy. Events are stored as values and formatted only when drawn.
public final class BenchMonitor: TickObserver, @unchecked Sendable {
    /// How many recent events the screen keeps.
    public static let recentLimit = 8
    private let state: Mutex<BenchSnapshot>

    /// An empty monitor.
    public init() {
        var s = BenchSnapshot()
        s.recent.reserveCapacity(BenchMonitor.recentLimit + 4)
        state = Mutex(s)
    }

    /// A copy of the latest snapshot.
    public var snapshot: BenchSnapshot { state.withLock { $0 } }

    public func didTick(_ tick: UInt64, result: StepResult, events: [Event], runtime: DeviceRuntime) {
        let c = runtime.device.controller, monitor = runtime.device.monitor
        state.withLock { s in
            s.tick = tick
            s.outputs = result.outputs
            s.phase = c.crossing?.phaseName
            s.phaseStart = c.crossing?.phaseStart ?? 0
            s.mode = c.crossing?.mode ?? .normal
            s.demand = c.crossing?.demand
            s.openAlarm = c.sos?.openAlarm ?? 0
            s.acknowledged = c.sos?.acknowledged ?? false
            s.unanswered = c.sos?.unanswered ?? false
            s.openConditions = c.openConditions
            s.latched = monitor.latched.map { ($0, monitor.involved) }
            // The activation's timer has already passed this tick: it ends `left` ticks after the next one.
            s.beacon = c.beacon.map { ($0.active, tick + 1 + UInt64($0.state.ends.left.count), $0.night, $0.kerbStuck) }
            if let b = c.beacon { s.mode = b.mode }
            s.statistics = runtime.statistics
            for event in events {
                if s.recent.count == BenchMonitor.recentLimit { s.recent.removeFirst() }
                s.recent.append(event)
            }
            if let outcome = result.commandOutcome, let command = runtime.lastCommand { s.lastCommand = (command, outcome) }
        }
    }
}
