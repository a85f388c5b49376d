import Glibc

// The command line of `crossguard` and `crossguard-load`: long options only (`--name value`,
// `--name=value`), flags, repeatable options and one level of subcommands, with --help text made from
// the same specs. Standard library only: swift-argument-parser links FoundationEssentials (6.2 MB of the
// static binary with the regex and collection modules it brings), and the daemon needs none of it.

/// One option or flag of a command: what it is called, what it takes, and the line --help gives it.
public struct OptionSpec: Sendable {
    /// What the option takes after its name.
    public enum Kind: Sendable, Equatable {
        /// Nothing: given or not.
        case flag
        /// One value, named in the help (`<path>`); given twice, the last one counts.
        case value(String)
        /// One value each time it is given, all kept in order.
        case repeated(String)
    }

    /// The long name without its dashes: `state-dir`.
    public let name: String
    public let kind: Kind
    public let help: String

    /// A flag: `--json`.
    public static func flag(_ name: String, help: String) -> OptionSpec { OptionSpec(name: name, kind: .flag, help: help) }
    /// An option with one value: `--board <path>`.
    public static func value(_ name: String, _ placeholder: String, help: String) -> OptionSpec { OptionSpec(name: name, kind: .value(placeholder), help: help) }
    /// An option that may be given again: `--broker <url>`.
    public static func repeated(_ name: String, _ placeholder: String, help: String) -> OptionSpec { OptionSpec(name: name, kind: .repeated(placeholder), help: help) }
}

/// A subcommand as its --help describes it: its name, one line on what it does, a paragraph on how, and its options.
public struct CommandSpec: Sendable {
    public let name: String
    public let abstract: String
    public let discussion: String
    public let options: [OptionSpec]

    /// A command with these parts; `discussion` may be empty.
    public init(name: String, abstract: String, discussion: String = "", options: [OptionSpec]) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
    }
}

/// A command line that cannot be run, in the words shown after `Error: `; the tool exits 64 (EX_USAGE).
public struct ValidationError: Error, Equatable, CustomStringConvertible {
    public let description: String
    /// An error with its sentence.
    public init(_ description: String) { self.description = description }
}

/// Ends the command with this exit status, after it printed why.
public struct ExitCode: Error {
    public let status: Int32
    /// The status to exit with.
    public init(_ status: Int32) { self.status = status }
}

/// The options of one command line, read against the command's spec: every name was known, every value present.
public struct ParsedArguments {
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// Reads `words` (the arguments after the subcommand's name). Refuses an unknown option, a positional
    /// word, a missing value and a value given to a flag.
    public init(_ words: [String], options: [OptionSpec]) throws(ValidationError) {
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            guard word.hasPrefix("--"), word.count > 2 else { throw ValidationError("Unexpected argument '\(word)'") }
            var name = String(word.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = options.first(where: { $0.name == name }) else { throw ValidationError("Unknown option '--\(name)'") }
            if spec.kind == .flag {
                if inline != nil { throw ValidationError("'--\(name)' takes no value") }
                flags.insert(name)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard i < words.count, !words[i].hasPrefix("--") else { throw ValidationError("Missing value for '--\(name)'") }
                value = words[i]
                i += 1
            }
            values[name, default: []].append(value)
        }
    }

    /// The value of `--name`, the last one when given twice; nil when not given.
    public func string(_ name: String) -> String? { values[name]?.last }

    /// Every value of a repeated `--name`, in order.
    public func strings(_ name: String) -> [String] { values[name] ?? [] }

    /// Whether the flag `--name` was given.
    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The value of `--name` as a number, `fallback` when not given; a value that is not one is refused by name.
    public func number<N: LosslessStringConvertible>(_ name: String, default fallback: N) throws(ValidationError) -> N {
        guard let text = string(name) else { return fallback }
        guard let n = N(text) else { throw ValidationError("--\(name) \"\(text)\" is not a number") }
        return n
    }

    /// The value of `--name` as a number, nil when not given.
    public func number<N: LosslessStringConvertible>(_ name: String) throws(ValidationError) -> N? {
        guard let text = string(name) else { return nil }
        guard let n = N(text) else { throw ValidationError("--\(name) \"\(text)\" is not a number") }
        return n
    }

    /// The value of a required `--name`.
    public func required(_ name: String) throws(ValidationError) -> String {
        guard let value = string(name) else { throw ValidationError("Missing expected argument '--\(name)'") }
        return value
    }
}

/// A subcommand: its spec, how it reads its arguments (refusing what cannot run), and what it does.
public protocol CLICommand {
    static var spec: CommandSpec { get }
    /// Reads and checks the arguments; throws `ValidationError` for a command line that cannot run.
    init(_ arguments: ParsedArguments) throws
    /// Does the work; throws `ExitCode` to end with a status after printing why.
    func run() throws
}

/// The tool around the subcommands: picks one by its first word, shows help and the version, runs it and
/// turns what it throws into the exit status (64 for a bad command line, as sysexits.h has it).
public struct CommandLineTool {
    public let name: String
    public let abstract: String
    public let version: String?
    public let commands: [any CLICommand.Type]

    /// A tool with these subcommands.
    public init(name: String, abstract: String, version: String? = nil, commands: [any CLICommand.Type]) {
        self.name = name
        self.abstract = abstract
        self.version = version
        self.commands = commands
    }

    /// Runs the command line `arguments` (without the program's name) and returns the exit status.
    public func run(_ arguments: [String]) -> Int32 {
        guard let first = arguments.first, !["--help", "-h", "help"].contains(first) else {
            let named = arguments.dropFirst().first.flatMap { word in commands.first { $0.spec.name == word } }
            print(named.map { help(for: $0.spec) } ?? help())
            return 0
        }
        if arguments.contains("--version"), let version {  // anywhere on the line, as swift-argument-parser had it
            print(version)
            return 0
        }
        guard let command = commands.first(where: { $0.spec.name == first }) else {
            standardError("Error: Unexpected argument '\(first)'\n\(usage())")
            return 64
        }
        let spec = command.spec
        let rest = Array(arguments.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            print(help(for: spec))
            return 0
        }
        do {
            try command.init(try ParsedArguments(rest, options: spec.options)).run()
            return 0
        } catch let error as ValidationError {
            standardError("Error: \(error)\nUsage: \(name) \(spec.name) [options]\n  See '\(name) \(spec.name) --help' for more information.")
            return 64
        } catch let exit as ExitCode {
            return exit.status
        } catch {
            standardError("Error: \(error)")
            return 1
        }
    }

    /// Runs the process's own command line and exits with its status.
    public func main() -> Never {
        exit(run(Array(CommandLine.arguments.dropFirst())))  // exit(3) flushes standard output
    }

    private func usage() -> String {
        "Usage: \(name) <subcommand>\n  See '\(name) --help' for more information."
    }

    /// The tool's --help: what it is and its subcommands.
    public func help() -> String {
        var lines = ["OVERVIEW: \(abstract)", "", "USAGE: \(name) <subcommand>", "", "OPTIONS:"]
        if version != nil { lines.append(column("--version", "Show the version.")) }
        lines.append(column("-h, --help", "Show help information."))
        lines += ["", "SUBCOMMANDS:"]
        for command in commands { lines.append(column(command.spec.name, command.spec.abstract)) }
        lines += ["", "  See '\(name) help <subcommand>' for detailed help."]
        return lines.joined(separator: "\n")
    }

    /// A subcommand's --help: what it does, how, and each option.
    public func help(for spec: CommandSpec) -> String {
        var lines = ["OVERVIEW: \(spec.abstract)"]
        if !spec.discussion.isEmpty { lines += [""] + wrap(spec.discussion, width: 100, indent: "") }
        lines += ["", "USAGE: \(name) \(spec.name) [options]", "", "OPTIONS:"]
        for option in spec.options {
            let left: String
            switch option.kind {
            case .flag: left = "--\(option.name)"
            case .value(let p): left = "--\(option.name) <\(p)>"
            case .repeated(let p): left = "--\(option.name) <\(p)> ..."
            }
            lines.append(column(left, option.help))
        }
        lines.append(column("-h, --help", "Show help information."))
        return lines.joined(separator: "\n")
    }

    /// `  left          text`, the text wrapped under itself at 100 columns.
    private func column(_ left: String, _ text: String) -> String {
        let indent = String(repeating: " ", count: 28)
        let wrapped = wrap(text, width: 100, indent: indent)
        let head = "  " + left
        if head.count < 26 {
            return ([head + String(repeating: " ", count: 28 - head.count) + wrapped[0].dropFirst(28)] + wrapped.dropFirst()).joined(separator: "\n")
        }
        return ([head] + wrapped).joined(separator: "\n")
    }
}

/// Words filled into lines of at most `width` characters, each starting with `indent`; the text's own
/// line breaks are kept.
func wrap(_ text: String, width: Int, indent: String) -> [String] {
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var line = indent
        for word in paragraph.split(separator: " ") {
            if line.count > indent.count && line.count + 1 + word.count > width {
                lines.append(line)
                line = indent
            }
            line += (line.count > indent.count ? " " : "") + word
        }
        lines.append(line)
    }
    return lines
}

/// One message and a line break to standard error (descriptor 2), unbuffered, whole.
private func standardError(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + done, $0.count - done) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        done += n
    }
}
