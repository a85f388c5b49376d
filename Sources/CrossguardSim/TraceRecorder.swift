import CrossguardCore
import CrossguardRuntime

/// Records what a run shows, one change at a time: JSON Lines for machines (golden traces, replay
/// checks) and a readable timeline for people. Only lamps the board wires are recorded.
/// Text goes to the two sinks in large chunks; nothing is formatted on ticks where nothing changed.
public final class TraceRecorder: TickObserver {
    private let tickMs: Int
    private let wired: [OutputRole]
    private let hasCountdown: Bool
    private let writeTrace: ((String) -> Void)?
    private let writeTimeline: ((String) -> Void)?
    private var previous = Outputs()
    private var traceChunk = ""
    private var timelineChunk = ""
    /// Events seen so far, for summaries and tests.
    public private(set) var eventCount = 0
    /// Output changes seen so far.
    public private(set) var changeCount = 0
    private var player: ScenarioPlayer?

    /// A recorder for a run of `site` on `board`; either sink may be nil. `player`, if given, feeds a scenario.
    public init(site: SiteConfig, board: BoardConfig, player: ScenarioPlayer? = nil,
                trace: ((String) -> Void)?, timeline: ((String) -> Void)?) {
        tickMs = site.tickMs
        let roles = board.outputRoles
        wired = OutputRole.allCases.filter { roles.contains($0) }
        hasCountdown = board.hasCountdown
        writeTrace = trace
        writeTimeline = timeline
        self.player = player
    }

    public func willTick(_ tick: UInt64, runtime: DeviceRuntime) {
        player?.apply(upTo: tick)
    }

    public func didTick(_ tick: UInt64, result: StepResult, events: [Event], runtime: DeviceRuntime) {
        let outputs = result.outputs
        let t = Int(tick) * tickMs
        var line = ""
        if outputs.lit != previous.lit {
            for role in wired where outputs.lit.contains(role) != previous.lit.contains(role) {
                let on = outputs.lit.contains(role)
                if writeTrace != nil { traceChunk += "{\"t_ms\":\(t),\"type\":\"output\",\"role\":\"\(role.name)\",\"on\":\(on)}\n" }
                line += (line.isEmpty ? "" : " · ") + "\(role.name) \(on ? "on" : "off")"
                changeCount += 1
            }
        }
        if hasCountdown && outputs.countdown != previous.countdown {
            let value = outputs.countdown.map(String.init) ?? "null"
            if writeTrace != nil { traceChunk += "{\"t_ms\":\(t),\"type\":\"output\",\"role\":\"\(countdownRoleName)\",\"value\":\(value)}\n" }
            line += (line.isEmpty ? "" : " · ") + "countdown \(outputs.countdown.map(String.init) ?? "dark")"
            changeCount += 1
        }
        previous = outputs
        if writeTimeline != nil && !line.isEmpty { timelineChunk += "\(stamp(t))  \(line)\n" }
        if let outcome = result.commandOutcome, let command = runtime.lastCommand {
            let ok: Bool
            var error = ""
            switch outcome {
            case .accepted: ok = true
            case .refused(let why): ok = false; error = why.description
            }
            if writeTrace != nil {
                traceChunk += "{\"t_ms\":\(t),\"type\":\"command\",\"command\":\"\(command.typeName)\",\"ok\":\(ok)" + (ok ? "" : ",\"error\":\"\(error)\"") + "}\n"
            }
            if writeTimeline != nil { timelineChunk += "\(stamp(t))  command \(command.typeName): " + (ok ? "accepted" : "refused, \(error)") + "\n" }
        }
        for event in events {
            eventCount += 1
            if writeTrace != nil { traceChunk += "{\"t_ms\":\(t),\"type\":\"event\",\"event\":\(event.json(tickMs: tickMs))}\n" }
            if writeTimeline != nil { timelineChunk += "\(stamp(t))  \(marker(event)) \(event.summary(tickMs: tickMs))\n" }
        }
        if traceChunk.utf8.count > 1 << 16 || timelineChunk.utf8.count > 1 << 16 { flush() }
    }

    /// Writes out what is buffered. Call at the end of a run.
    public func flush() {
        if !traceChunk.isEmpty { writeTrace?(traceChunk); traceChunk = "" }
        if !timelineChunk.isEmpty { writeTimeline?(timelineChunk); timelineChunk = "" }
    }

    private func marker(_ event: Event) -> String {
        switch event.severity {
        case .critical: "!!"
        case .high: "! "
        default: "• "
        }
    }

    private func stamp(_ ms: Int) -> String {
        var frac = String(ms % 1000)
        while frac.count < 3 { frac = "0" + frac }
        var whole = String(ms / 1000)
        while whole.count < 6 { whole = " " + whole }
        return "\(whole).\(frac) s"
    }
}
