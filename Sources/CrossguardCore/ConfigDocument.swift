/// A parsed config or scenario file as plain values. The TOML adapter (`CrossguardTOML`) builds it;
/// the core validates it, so every rule is testable without a file or a parser.
public indirect enum ConfigValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// A TOML date, time or date-time, as written (`1979-05-27T07:32:00Z`). No key takes one; it is kept
    /// so that a key given one is told what it was given.
    case dateTime(String)
    case array([ConfigValue])
    case table(ConfigTable)

    /// How the value is written back in messages: strings quoted, tables summarised.
    public var rendered: String {
        switch self {
        case .string(let s): ConfigValue.quoted(s)
        case .integer(let i): String(i)
        case .float(let d): String(d)
        case .boolean(let b): String(b)
        case .dateTime(let text): text
        case .array(let a): "[" + a.map(\.rendered).joined(separator: ", ") + "]"
        case .table: "{…}"
        }
    }

    /// A string as a TOML basic string (which is also a JSON string literal), with quotes, backslashes and
    /// control characters escaped, so an error message or a payload never carries a raw NUL or escape
    /// sequence to the terminal, the log or the centre.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7F:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// The kind of value, for "expected a string, found an integer" messages.
    public var kindName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .boolean: "a boolean"
        case .dateTime: "a date or time"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A table of keys in file order.
public struct ConfigTable: Equatable, Sendable {
    /// The entries in the order the file gives them.
    public var entries: [(key: String, value: ConfigValue)]

    /// A table of these entries.
    public init(_ entries: [(key: String, value: ConfigValue)] = []) { self.entries = entries }

    /// The value under a key, if present.
    public subscript(key: String) -> ConfigValue? { entries.first(where: { $0.key == key })?.value }

    public static func == (lhs: ConfigTable, rhs: ConfigTable) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// One problem in one file: the file, the dotted key, and a sentence that names the value and the rule.
public struct ConfigProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file as the user named it (`examples/site.toml`).
    public var file: String
    /// The dotted key (`crossing.walk`, `input[2].role`), or empty for the whole file.
    public var key: String
    /// What is wrong, starting right after the key (`= 5 s is below the 7 s minimum …`).
    public var message: String

    /// A problem with a key.
    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String { key.isEmpty ? "\(file): \(message)" : "\(file): \(key) \(message)" }
}

/// All problems found while loading, reported together so one run of `check-config` shows everything.
public struct ConfigErrors: Error, Equatable, Sendable, CustomStringConvertible {
    /// Every problem, in the order found.
    public var problems: [ConfigProblem]

    /// Wraps the problems.
    public init(_ problems: [ConfigProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Collects problems while a loader walks a document.
public final class ProblemLog {
    /// The file every problem is reported against.
    public let file: String
    /// Problems so far.
    public private(set) var problems: [ConfigProblem] = []

    /// A log for one file.
    public init(file: String) { self.file = file }

    /// Records a problem with a key.
    public func report(_ key: String, _ message: String) {
        problems.append(ConfigProblem(file: file, key: key, message: message))
    }
}

/// Reads one table strictly: typed getters that report wrong types and out-of-range values,
/// and `finish()` that reports every key nobody asked for, so a typo never falls back to a default.
public final class TableReader {
    /// The dotted path of this table (`crossing`), empty at the top level.
    public let path: String
    private let table: ConfigTable
    private let log: ProblemLog
    private var consumed: Set<String> = []

    /// A reader over `table`, reporting into `log` with keys prefixed by `path`.
    public init(_ table: ConfigTable, path: String, log: ProblemLog) {
        self.table = table
        self.path = path
        self.log = log
    }

    /// The full dotted key for a key of this table.
    public func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// Whether the key is present (and marks it as known).
    public func has(_ name: String) -> Bool {
        consumed.insert(name)
        return table[name] != nil
    }

    /// Reports a problem about a key of this table.
    public func report(_ name: String, _ message: String) { log.report(key(name), message) }

    private func raw(_ name: String) -> ConfigValue? {
        consumed.insert(name)
        return table[name]
    }

    private func wrongType(_ name: String, _ value: ConfigValue, expected: String) {
        report(name, "= \(value.rendered) is \(value.kindName); expected \(expected)")
    }

    /// A string value, or nil when absent or mistyped (mistyped is reported).
    public func string(_ name: String) -> String? {
        guard let value = raw(name) else { return nil }
        guard case .string(let s) = value else { wrongType(name, value, expected: "a string"); return nil }
        return s
    }

    /// A boolean value.
    public func bool(_ name: String) -> Bool? {
        guard let value = raw(name) else { return nil }
        guard case .boolean(let b) = value else { wrongType(name, value, expected: "true or false"); return nil }
        return b
    }

    /// An integer value.
    public func integer(_ name: String) -> Int? {
        guard let value = raw(name) else { return nil }
        guard case .integer(let i) = value else { wrongType(name, value, expected: "an integer"); return nil }
        return i
    }

    /// A number; integers are accepted (`length_m = 12`).
    public func number(_ name: String) -> Double? {
        guard let value = raw(name) else { return nil }
        switch value {
        case .float(let d): return d
        case .integer(let i): return Double(i)
        default: wrongType(name, value, expected: "a number"); return nil
        }
    }

    /// A duration string in milliseconds (`"7s"`, `"250ms"`).
    public func duration(_ name: String) -> Int? {
        guard let value = raw(name) else { return nil }
        guard case .string(let s) = value else { wrongType(name, value, expected: "a duration string such as \"7s\""); return nil }
        switch DurationText.milliseconds(s) {
        case .success(let ms): return ms
        case .failure(let error): report(name, "= \(ConfigValue.quoted(s)) \(error)"); return nil
        }
    }

    /// A nested table.
    public func table(_ name: String) -> ConfigTable? {
        guard let value = raw(name) else { return nil }
        guard case .table(let t) = value else { wrongType(name, value, expected: "a table"); return nil }
        return t
    }

    /// An array of tables (`[[step]]`).
    public func tables(_ name: String) -> [ConfigTable]? {
        guard let value = raw(name) else { return nil }
        guard case .array(let items) = value else { wrongType(name, value, expected: "an array of tables"); return nil }
        var out: [ConfigTable] = []
        for (index, item) in items.enumerated() {
            guard case .table(let t) = item else {
                log.report("\(key(name))[\(index)]", "= \(item.rendered) is \(item.kindName); expected a table")
                continue
            }
            out.append(t)
        }
        return out
    }

    /// Reports every key that no getter asked for. Call once, after reading.
    public func finish() {
        for entry in table.entries where !consumed.contains(entry.key) {
            let known = consumed.sorted().joined(separator: ", ")
            report(entry.key, "is not a known key (known here: \(known))")
        }
    }
}
