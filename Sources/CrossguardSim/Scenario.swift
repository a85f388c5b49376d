import CrossguardCore

/// A timed script of inputs and centre commands for a headless bench run (scenario files, `scenarios/*.toml`).
public struct Scenario: Equatable, Sendable {
    /// One thing that happens at a moment of the run.
    public enum Action: Equatable, Sendable {
        /// An input role (with copy number, as on the board) becomes active or inactive.
        case input(role: String, active: Bool)
        /// A command arrives as if from the operations centre.
        case command(Command)
        /// The ambient light sensor reads this many lux.
        case ambientLux(Double)
    }

    /// One scripted step.
    public struct Step: Equatable, Sendable {
        /// Milliseconds from the start; it takes effect at the first tick at or after this time.
        public var atMs: Int
        public var action: Action

        /// A step at a time.
        public init(atMs: Int, action: Action) {
            self.atMs = atMs
            self.action = action
        }
    }

    /// How long the run lasts, in milliseconds.
    public var durationMs: Int
    /// Steps in time order (steps at the same time keep their file order).
    public var steps: [Step]

    /// A scenario from its parts; steps are put in time order.
    public init(durationMs: Int, steps: [Step]) {
        self.durationMs = durationMs
        self.steps = steps.enumerated().sorted { ($0.element.atMs, $0.offset) < ($1.element.atMs, $1.offset) }.map(\.element)
    }

    /// Validates a scenario document against the board it will run on (every input must be wired there).
    public static func load(_ document: ConfigTable, file: String, board: BoardConfig, boardFile: String, tickMs: Int) -> Result<Scenario, ConfigErrors> {
        let log = ProblemLog(file: file)
        let top = TableReader(document, path: "", log: log)
        _ = (top.string("site"), top.string("board"))  // read by `devicePaths`, before the board is known
        let duration = top.duration("duration")
        if duration == nil && !top.has("duration") { top.report("duration", "is missing; say how long the run lasts (\"120s\")") }
        if let d = duration, !(1...(7 * 86_400_000)).contains(d) { top.report("duration", "= \(DurationText.format(milliseconds: d)) is outside 1 ms–7 days") }
        let wired = Set(board.inputs.map(\.roleName))
        var steps: [Step] = []
        for (i, table) in (top.tables("step") ?? []).enumerated() {
            let key = "step[\(i)]"
            let r = TableReader(table, path: key, log: log)
            let at = r.duration("at")
            if at == nil && !r.has("at") { r.report("at", "is missing; when does this step happen (\"10s\", \"250ms\")?") }
            if let at, let d = duration, at > d {
                r.report("at", "= \(DurationText.format(milliseconds: at)) is after the end of the scenario (duration = \(DurationText.format(milliseconds: d)))")
            }
            let input = r.string("input")
            let value = r.bool("value")
            let commandTable = r.table("command")
            var action: Action?
            if let lux = r.number("lux") {
                if input != nil || commandTable != nil { r.report("lux", "is given together with an input or a command; one step does one thing") }
                if !(lux >= 0 && lux <= 200_000) { r.report("lux", "= \(lux) is outside 0–200000 lux") } else { action = .ambientLux(lux) }
                r.finish()
                if let at, let action { steps.append(Step(atMs: at, action: action)) }
                continue
            }
            switch (input, commandTable) {
            case (let role?, nil):
                if !wired.contains(role) {
                    let known = InputRole(name: role) != nil || role.split(separator: ".").count > 2
                    r.report("input", "= \"\(role)\" " + (known ? "is not wired on board \(boardFile)" : "is not an input role (known: \(InputRole.namesForMessages))"))
                }
                if value == nil && !r.has("value") { r.report("value", "is missing; true = active (pressed, present, open), false = released") }
                if let value { action = .input(role: role, active: value) }
            case (nil, let table?):
                if r.has("value") { r.report("value", "belongs to an input step, not a command") }
                if let command = Command.parse(table, key: "\(key).command", log: log, tickMs: tickMs) { action = .command(command) }
            case (.some, .some):
                r.report("command", "is given together with input; a step is either an input or a command")
            case (nil, nil):
                if !r.has("input") && !r.has("command") { log.report(key, "has no input, command or lux") }
            }
            r.finish()
            if let at, let action { steps.append(Step(atMs: at, action: action)) }
        }
        top.finish()
        if !log.problems.isEmpty { return .failure(ConfigErrors(log.problems)) }
        return .success(Scenario(durationMs: duration ?? 0, steps: steps))
    }
}

extension Scenario {
    /// The site and board a scenario file was written for (`site = "examples/site-us.toml"`), if it names them.
    /// Paths are relative to the repository root, where the bench runs.
    public static func devicePaths(_ document: ConfigTable) -> (site: String?, board: String?) {
        func text(_ key: String) -> String? {
            if case .string(let s)? = document[key] { return s }
            return nil
        }
        return (text("site"), text("board"))
    }
}

/// Plays a scenario into a simulated bank and a command mailbox, tick by tick.
public final class ScenarioPlayer {
    public let scenario: Scenario
    private let bank: SimulatedLineBank
    private let light: SimulatedLightSensor?
    private let post: (Command) -> Void
    private let tickMs: Int
    private var next = 0

    /// A player that sets inputs on `bank` and posts commands through `post`.
    public init(_ scenario: Scenario, bank: SimulatedLineBank, light: SimulatedLightSensor? = nil, tickMs: Int, post: @escaping (Command) -> Void) {
        self.scenario = scenario
        self.bank = bank
        self.light = light
        self.tickMs = tickMs
        self.post = post
    }

    /// The number of ticks the scenario lasts.
    public var tickCount: UInt64 { UInt64(scenario.durationMs / tickMs) + 1 }

    /// Applies every step due at or before this tick.
    public func apply(upTo tick: UInt64) {
        while next < scenario.steps.count, UInt64(Ticks(roundingUp: scenario.steps[next].atMs, tickMs: tickMs).count) <= tick {
            switch scenario.steps[next].action {
            case .input(let role, let active): bank.setInput(role, active)
            case .command(let command): post(command)
            case .ambientLux(let lux): light?.set(lux)
            }
            next += 1
        }
    }
}
