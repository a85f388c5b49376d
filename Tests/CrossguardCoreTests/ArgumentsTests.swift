import CrossguardArguments
import Testing

/// The command line of the tools: every rule of reading options, and the exit status the tool gives for
/// help, the version, a bad command line and a command's own status.
@Suite("Command-line arguments")
struct ArgumentsTests {
    static let options: [OptionSpec] = [
        .value("board", "path", help: "Board file."),
        .repeated("broker", "url", help: "A broker; repeat for several."),
        .flag("json", help: "JSON."),
        .value("count", "n", help: "How many."),
    ]

    private func parse(_ words: [String]) throws(ValidationError) -> ParsedArguments { try ParsedArguments(words, options: Self.options) }

    private func refusal(_ words: [String]) -> String? {
        do { _ = try parse(words); return nil } catch { return error.description }
    }

    @Test func valuesFlagsAndRepeatsAreReadInEitherSpelling() throws {
        let a = try parse(["--board", "a.toml", "--broker", "mqtt://one", "--json", "--broker=mqtt://two", "--board=b.toml"])
        #expect(a.string("board") == "b.toml")  // given twice: the last counts
        #expect(a.strings("broker") == ["mqtt://one", "mqtt://two"])
        #expect(a.flag("json"))
        #expect(a.string("count") == nil)
        #expect(try !parse([]).flag("json"))
        #expect(try parse(["--board="]).string("board") == "")  // an empty value is a value
    }

    @Test func everyBadCommandLineIsRefusedByName() {
        #expect(refusal(["--bogus"]) == "Unknown option '--bogus'")
        #expect(refusal(["--bogus=1"]) == "Unknown option '--bogus'")
        #expect(refusal(["stray"]) == "Unexpected argument 'stray'")
        #expect(refusal(["-j"]) == "Unexpected argument '-j'")
        #expect(refusal(["--"]) == "Unexpected argument '--'")
        #expect(refusal(["--board"]) == "Missing value for '--board'")
        #expect(refusal(["--board", "--json"]) == "Missing value for '--board'")
        #expect(refusal(["--json=yes"]) == "'--json' takes no value")
    }

    @Test func numbersAndRequiredValuesSayWhatIsWrong() throws {
        #expect(try parse(["--count", "12"]).number("count", default: 5) == 12)
        #expect(try parse([]).number("count", default: 5) == 5)
        let none: Double? = try parse([]).number("count")
        #expect(none == nil)
        #expect(throws: ValidationError("--count \"twelve\" is not a number")) { try parse(["--count", "twelve"]).number("count", default: 5) }
        #expect(throws: ValidationError("Missing expected argument '--board'")) { try parse([]).required("board") }
    }

    /// A command whose status is its `--status`, and which refuses a negative one as a bad command line.
    struct Echo: CLICommand {
        static let spec = CommandSpec(name: "echo", abstract: "Exit with a status.", discussion: String(repeating: "word ", count: 60),
                                      options: [.value("status", "n", help: String(repeating: "long help ", count: 20))])
        let status: Int32
        init(_ arguments: ParsedArguments) throws {
            status = try arguments.number("status", default: 0)
            if status < 0 { throw ValidationError("--status must not be negative") }
        }
        func run() throws { if status != 0 { throw ExitCode(status) } }
    }

    @Test func theToolTurnsOutcomesIntoExitStatuses() {
        let tool = CommandLineTool(name: "t", abstract: "A test tool.", version: "1.2.3", commands: [Echo.self])
        #expect(tool.run(["echo"]) == 0)
        #expect(tool.run(["echo", "--status", "3"]) == 3)
        #expect(tool.run(["echo", "--status", "-1"]) == 64)
        #expect(tool.run(["echo", "--nope"]) == 64)
        #expect(tool.run(["other"]) == 64)
        #expect(tool.run([]) == 0 && tool.run(["--help"]) == 0 && tool.run(["help", "echo"]) == 0)
        #expect(tool.run(["echo", "--status", "3", "--help"]) == 0)  // help wins, nothing runs
        #expect(tool.run(["--version"]) == 0 && tool.run(["echo", "--status", "3", "--version"]) == 0)  // the version wins, nothing runs
        let unversioned = CommandLineTool(name: "t", abstract: "A test tool.", commands: [Echo.self])
        #expect(unversioned.run(["--version"]) == 64)
    }

    @Test func helpNamesEveryOptionWithinAHundredColumns() {
        let tool = CommandLineTool(name: "t", abstract: "A test tool.", version: "1.2.3", commands: [Echo.self])
        let help = tool.help(for: Echo.spec)
        #expect(help.contains("  --status <n>              long help long help"))
        #expect(help.contains("USAGE: t echo [options]"))
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(help)")
        #expect(help.split(separator: "\n").filter { $0.hasPrefix("                            long help") }.count >= 1, "wrapped under its column: \(help)")
        #expect(tool.help().contains("  echo                      Exit with a status."))
    }
}
