import ArgumentParser
import CrossguardCLI

/// `crossguard`: the controller for smart pedestrian crossings and SOS posts.
@main
struct Crossguard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossguard",
        abstract: "Controller for smart pedestrian crossings and SOS posts.",
        version: firmwareVersion,
        subcommands: [Run.self, Bench.self, Diag.self, CheckConfig.self])
}
