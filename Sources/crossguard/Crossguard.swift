import CrossguardArguments
import CrossguardCLI

/// `crossguard`: the controller for smart pedestrian crossings and SOS posts.
@main
enum Crossguard {
    static func main() {
        CommandLineTool(name: "crossguard", abstract: "Controller for smart pedestrian crossings and SOS posts.", version: firmwareVersion,
                        commands: [Run.self, Bench.self, Diag.self, CheckConfig.self]).main()
    }
}
