import ArgumentParser

/// `crossguard`: the controller for smart pedestrian crossings and SOS posts.
@main
struct Crossguard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossguard",
        abstract: "Controller for smart pedestrian crossings and SOS posts.",
        subcommands: [Run.self, Bench.self, Diag.self, CheckConfig.self, UplinkLoad.self, OutboxLoad.self])
}

/// The files every device command reads.
struct DeviceOptions: ParsableArguments {
    @Option(help: "Board file: which line plays which role. (default: boards/sim.toml)")
    var board: String?

    @Option(help: "Site file: profile, regime, timings, SOS and uplink settings. (default: examples/site.toml)")
    var site: String?

    /// The board to use: given, else the scenario's, else the simulated board.
    func boardPath(scenario: String? = nil) -> String { board ?? scenario ?? "boards/sim.toml" }
    /// The site to use: given, else the scenario's, else the example site.
    func sitePath(scenario: String? = nil) -> String { site ?? scenario ?? "examples/site.toml" }
}
