import CrossguardArguments
import CrossguardCLI
import CrossguardCore
import CrossguardRuntime
import CrossguardTOML

/// `crossguard diag`: the field technician's check of a board. Every check prints one line, PASS, WARN,
/// FAIL or SKIP with its stable id, and every warning and failure a remedy to type or do, so one run at a
/// cabinet lists everything that is wrong and what to do about each.
struct Diag: CLICommand {
    static let spec = CommandSpec(
        name: "diag",
        abstract: "Check a board: versions, files, GPIO lines, rights, I2C parts, real time, watchdog, clock, state, uplink.",
        discussion: """
            One line per check: PASS, WARN, FAIL or SKIP, the check's stable id and what was found; under each \
            WARN and FAIL the remedy. Run it with the daemon stopped (sudo systemctl stop crossguard): while the \
            daemon holds the lines, the line and part checks are skipped. With no --board, the built-in \
            simulated board is checked (as with --simulated), so a laptop passes. --json prints one JSON \
            document (schemas/diag.schema.json) instead of the text. --lamp-test (daemon stopped) lights every \
            output in turn, all-red between, never a walk without the red or with a green or amber, and reads \
            each lamp back where a sense line or current monitor watches it. With a broker (--broker, or the \
            site's [uplink]), the uplink is checked step by step: DNS, TCP, TLS and both certificates, CONNACK, \
            and a message to crossguard/<device>/diag and back, under client id <device>-diag.
            Exit status: 0 when every check passes or is skipped, 2 when there are warnings and no failure, \
            1 when any check fails.
            """,
        options: DeviceOptions.options + [
            .flag("simulated", help: "Check against the built-in simulated board instead of the kernel's lines and buses (the default with no --board)."),
            .flag("json", help: "Print one JSON document (schemas/diag.schema.json) instead of the text report."),
            .value("duration", "time", help: "How long to measure the tick's wake-up latency, e.g. 2s or 500ms. (default: 5s)"),
            .value("state-dir", "path", help: "The daemon's state directory to check (default /var/lib/crossguard on a real board; none when simulated)."),
            .flag("lamp-test", help: "Light every lamp in turn and read it back (refused while the daemon runs). Vehicles see red while pedestrian lamps are tested; pedestrians see don't walk while amber and green are."),
            .value("lamp-step", "time", help: "How long each lamp-test step holds its lamps, e.g. 1s. (default: 1s)"),
            .repeated("broker", "url", help: "MQTT broker URL to check (mqtt://host:port or mqtts://host:port) instead of the site's [uplink] broker; repeat for several."),
        ])

    let files: DeviceOptions
    let simulated: Bool
    let json: Bool
    /// The latency trial's length and each lamp-test step's hold, in ms.
    let durationMs: Int
    let lampStepMs: Int
    let stateDir: String?
    let lampTest: Bool
    /// `--broker`, read; nil keeps the site's brokers.
    let brokers: [BrokerAddress]?

    init(_ arguments: ParsedArguments) throws {
        files = DeviceOptions(arguments)
        simulated = arguments.flag("simulated")
        json = arguments.flag("json")
        stateDir = arguments.string("state-dir")
        lampTest = arguments.flag("lamp-test")
        let duration = arguments.string("duration") ?? "5s"
        switch DurationText.milliseconds(duration) {
        case .failure(let error): throw ValidationError("--duration \(duration): \(error)")
        case .success(let ms) where !(10...600_000).contains(ms): throw ValidationError("--duration \(duration) is outside 10 ms–10 min")
        case .success(let ms): durationMs = ms
        }
        let lampStep = arguments.string("lamp-step") ?? "1s"
        switch DurationText.milliseconds(lampStep) {
        case .failure(let error): throw ValidationError("--lamp-step \(lampStep): \(error)")
        case .success(let ms) where !(100...10_000).contains(ms): throw ValidationError("--lamp-step \(lampStep) is outside 100 ms–10 s")
        case .success(let ms): lampStepMs = ms
        }
        let urls = arguments.strings("broker")
        brokers = urls.isEmpty ? nil : try UplinkOptions.brokerAddresses(urls)
    }

    func run() throws {
        let boardPath = files.boardPath()
        let sitePath = files.sitePath()
        // The built-in simulated board is only ever simulated: it names a chip no kernel has.
        let simulate = simulated || files.board == nil
        var checks = DiagChecks(simulated: simulate, durationMs: durationMs,
                                stateDir: stateDir ?? (simulate ? nil : "/var/lib/crossguard"),
                                lampStepMs: lampTest ? lampStepMs : nil, brokers: brokers)
        let report = checks.run(boardPath: boardPath, sitePath: sitePath)
        print(json ? report.json : report.text, terminator: json ? "\n" : "")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
