import ArgumentParser

/// `crossguard`: the controller for smart pedestrian crossings and SOS posts.
@main
struct Crossguard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossguard",
        abstract: "Controller for smart pedestrian crossings and SOS posts.",
        subcommands: [Bench.self, CheckConfig.self])
}

/// The files every device command reads.
struct DeviceOptions: ParsableArguments {
    @Option(help: "Board file: which line plays which role.")
    var board = "boards/sim.toml"

    @Option(help: "Site file: profile, regime, timings, SOS and uplink settings.")
    var site = "examples/site.toml"
}
