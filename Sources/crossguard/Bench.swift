import CrossguardArguments
import CrossguardCLI
import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
import CrossguardSim
import CrossguardTOML
import CrossguardUplinkNIO

/// `crossguard bench`: the whole controller on the built-in simulated board.
struct Bench: CLICommand {
    static let spec = CommandSpec(
        name: "bench",
        abstract: "Run the controller on a simulated board: interactive in a terminal, or a scenario headless.",
        discussion: """
            With no options: boards/sim.toml and examples/site.toml, interactive when standard output is a terminal, \
            otherwise a built-in two-minute demo scenario run headless.
            Interactive keys: b button, k kerb presence, c on-crossing presence, s SOS press, h hold SOS, t cabinet door, \
            m mains, l battery low, a acknowledge, x close, f flash, d dark, n normal, r reset, e blow the first red lamp, \
            E blow the second red lamp, g stick the green driver on (each toggles), q or Ctrl-C quit.
            """,
        options: DeviceOptions.options + [
            .value("scenario", "path", help: "Scenario file (TOML) to run headless in virtual time."),
            .value("trace", "path", help: "Write a JSON Lines trace of every output change and event to this file."),
            .value("speed", "n", help: "Run the scenario at N× real time instead of as fast as possible."),
            .flag("quiet", help: "Do not print the timeline."),
        ] + UplinkOptions.options)

    let files: DeviceOptions
    let scenario: String?
    let trace: String?
    let speed: Double?
    let quiet: Bool
    let uplink: UplinkOptions

    private var stateDir: String? { uplink.stateDir }

    init(_ arguments: ParsedArguments) throws {
        files = DeviceOptions(arguments)
        scenario = arguments.string("scenario")
        trace = arguments.string("trace")
        speed = try arguments.number("speed")
        quiet = arguments.flag("quiet")
        uplink = UplinkOptions(arguments)
        if stateDir != nil && uplink.brokers.isEmpty && (scenario != nil || trace != nil) {
            throw ValidationError("--state-dir without --broker is for the interactive bench: a scenario must replay the same way every time")
        }
        if !uplink.brokers.isEmpty && (scenario != nil || trace != nil) && speed == nil {
            throw ValidationError("--broker with a scenario needs --speed: the uplink runs in real time")
        }
        if !uplink.brokers.isEmpty && stateDir == nil {
            throw ValidationError("--broker needs --state-dir: events are journaled there before they are sent, so none is lost")
        }
        if let speed, !(speed > 0 && speed <= 1000) { throw ValidationError("--speed must be more than 0 and at most 1000") }
    }

    func run() throws {
        var scenarioDocument: ConfigTable?
        if let path = scenario {
            switch TOMLDocument.load(path: path) {
            case .success(let table): scenarioDocument = table
            case .failure(let errors):
                printError(errors)
                throw ExitCode(1)
            }
        }
        let named = scenarioDocument.map(Scenario.devicePaths) ?? (site: nil, board: nil)
        // A file the scenario names and the command line does not replace must exist: say which scenario and key.
        for (key, path, given) in [("site", named.site, files.site), ("board", named.board, files.board)] {
            if given == nil, let path, !TextFile.exists(path), let file = scenario {
                var stderr = StandardError()
                print("\(file): \(key) = \(ConfigValue.quoted(path)) names no file (paths are taken from the current directory; give --\(key) to use another)", to: &stderr)
                throw ExitCode(1)
            }
        }
        let device = try loadDevice(board: files.boardPath(scenario: named.board), site: files.sitePath(scenario: named.site))
        // SIGTERM and SIGINT become this stop request, before the uplink starts its threads.
        let stop = StopRequest()
        StopSignals.deliver(to: { stop.request() })
        if scenario == nil && trace == nil && Terminal.isInteractive {
            let bank = SimulatedLineBank(board: device.board)
            let light = SimulatedLightSensor()
            light.set(500)  // daylight until the n key makes it night
            var keeper: LatchKeeper?
            if let stateDir {
                try FileRecord.checkDirectory(stateDir)
                keeper = LatchKeeper(record: FileRecord(directory: stateDir, name: "latch"))
            }
            let commands = CommandMailbox()
            let feed = UplinkFeed(site: device.site, stamp: eventStamp(tickMs: device.site.tickMs))
            let link = try uplinkService(device: device, feed: feed, commands: commands, keeper: keeper)
            let runtime = try DeviceRuntime(site: device.site, board: device.board, bank: bank, display: SimulatedDisplay(), light: light,
                                            commands: commands, firstSeq: link?.firstSeq ?? 1, skippedSeqs: link?.skippedSeqs,
                                            latchKeeper: keeper)
            if let problem = runtime.latchProblem {
                var stderr = StandardError()
                print("bench: \(problem); staying in fail-safe until fault.reset (key r)", to: &stderr)
            }
            defer { keeper?.flush() }
            link?.service.start()
            defer { link?.service.stop() }
            var bench = InteractiveBench(device: device, runtime: runtime, bank: bank, light: light, stop: stop)
            if link != nil { bench.observe = { feed.chained(to: $0) } }
            try bench.run()
            return
        }
        let script: Scenario
        if let path = scenario, let document = scenarioDocument {
            switch Scenario.load(document, file: path, board: device.board, boardFile: device.boardPath, tickMs: device.site.tickMs) {
            case .success(let s): script = s
            case .failure(let errors):
                printError(errors)
                throw ExitCode(1)
            }
        } else {
            script = DemoScenario.make(board: device.board)
        }
        try runHeadless(script, device: device, stop: stop)
    }

    /// The uplink when a broker is given (on the command line or in the site file) and a state directory
    /// holds its outbox; its log lines go to standard error.
    private func uplinkService(device: DeviceFiles, feed: UplinkFeed, commands: CommandMailbox, keeper: LatchKeeper? = nil) throws -> UplinkStart? {
        guard uplink.wanted(device.site), stateDir != nil else { return nil }
        return try startUplink(site: device.site, options: uplink, feed: feed, commands: commands,
                               latchPersisted: { keeper.map { !$0.health.pending } ?? true }, log: logLine)
    }

    private func runHeadless(_ script: Scenario, device: DeviceFiles, stop: StopRequest) throws {
        var traceFile: TextFile?
        if let path = trace {
            do throws(HardwareError) { traceFile = try TextFile(creating: path) } catch {
                var stderr = StandardError()
                print("\(error.detail): cannot be written (check the directory exists and is writable)", to: &stderr)
                throw ExitCode(1)
            }
        }
        let clock: TickClock = speed.map { MonotonicTickClock(periodNs: UInt64(Double(device.site.tickMs) * 1_000_000 / $0)) } ?? VirtualClock()
        let started = MonotonicTickClock.nowNs()
        let commands = CommandMailbox()
        let feed = UplinkFeed(site: device.site, stamp: eventStamp(tickMs: device.site.tickMs, speed: speed))
        let link = speed == nil ? nil : try uplinkService(device: device, feed: feed, commands: commands)
        link?.service.start()
        let summary = try HeadlessBench.run(
            site: device.site, board: device.board, scenario: script, clock: clock,
            trace: traceFile.map { file in { file.write($0) } },
            timeline: quiet ? nil : { TextFile.standardOutput.write($0) },
            commands: commands, firstSeq: link?.firstSeq ?? 1, skippedSeqs: link?.skippedSeqs,
            observe: { link == nil ? $0 : feed.chained(to: $0) },
            shouldStop: { stop.isRequested })
        link?.service.stop()
        traceFile = nil  // closed
        let wallMs = Double(MonotonicTickClock.nowNs() - started) / 1e6
        let simulated = DurationText.format(milliseconds: Int(summary.statistics.ticks) * device.site.tickMs)
        var stderr = StandardError()
        print("bench: \(summary.statistics.ticks) ticks (\(simulated) simulated) in \(tenths(wallMs)) ms, \(summary.outputChanges) output changes, \(summary.events) events", to: &stderr)
    }
}

/// `12.3`: a figure to one decimal, rounded.
private func tenths(_ value: Double) -> String {
    let t = Int((value * 10).rounded())
    return "\(t / 10).\(t % 10)"
}
