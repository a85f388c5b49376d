import CrossguardArguments
import CrossguardCore
import CrossguardLinux
import CrossguardTOML

/// The files every device command reads.
public struct DeviceOptions {
    public var board: String?
    public var site: String?

    /// `--board` and `--site` as --help lists them.
    public static let options: [OptionSpec] = [
        .value("board", "path", help: "Board file: which line plays which role. (default: boards/sim.toml)"),
        .value("site", "path", help: "Site file: profile, regime, timings, SOS and uplink settings. (default: examples/site.toml)"),
    ]

    /// The files as given on the command line.
    public init(_ arguments: ParsedArguments) {
        board = arguments.string("board")
        site = arguments.string("site")
    }

    /// The board to use: given, else the scenario's, else the simulated board.
    public func boardPath(scenario: String? = nil) -> String { board ?? scenario ?? "boards/sim.toml" }
    /// The site to use: given, else the scenario's, else the example site.
    public func sitePath(scenario: String? = nil) -> String { site ?? scenario ?? "examples/site.toml" }
}

/// The board and site files, validated; on any problem every problem is printed and the command exits 1.
public func loadDevice(board: String, site: String) throws -> DeviceFiles {
    switch DeviceFiles.load(boardPath: board, sitePath: site) {
    case .success(let device): return device
    case .failure(let errors):
        printError(errors)
        throw ExitCode(1)
    }
}

/// Prints configuration problems to standard error, one a line, and how many there were.
public func printError(_ errors: ConfigErrors) {
    var stderr = StandardError()
    print(errors.description, to: &stderr)
    print("\(errors.problems.count) problem\(errors.problems.count == 1 ? "" : "s") found.", to: &stderr)
}

/// Standard error as a text stream.
public struct StandardError: TextOutputStream {
    /// Standard error, unbuffered.
    public init() {}

    public mutating func write(_ string: String) {
        TextFile.standardError.write(string)
    }
}

/// One line to standard error (systemd's journal), whole lines only, from any thread.
public func logLine(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}
