import CrossguardCore
import Foundation
import TOMLKit

/// Reads TOML files into the core's `ConfigTable`. This is the only module that knows TOML; every rule
/// about what the values mean lives in the core.
public enum TOMLDocument {
    /// Parses TOML text. A syntax error names the file, line and column.
    public static func parse(_ text: String, file: String) -> Result<ConfigTable, ConfigErrors> {
        if let line = lineWithNUL(text) {
            // The parser's strings end at U+0000 (C strings underneath): "\u0000s" would silently read as "".
            return .failure(ConfigErrors([ConfigProblem(file: file, key: "", message: "line \(line): holds U+0000 (a NUL, raw or as \\u0000), which no key takes")]))
        }
        do {
            let table = try TOMLTable(string: text)
            return .success(convert(table))
        } catch let error as TOMLParseError {
            let at = error.source.begin
            return .failure(ConfigErrors([ConfigProblem(file: file, key: "", message: "line \(at.line), column \(at.column): \(error.description)")]))
        } catch {
            return .failure(ConfigErrors([ConfigProblem(file: file, key: "", message: "is not valid TOML: \(error)")]))
        }
    }

    /// Reads and parses a file. A missing or unreadable file is a problem naming the path.
    public static func load(path: String) -> Result<ConfigTable, ConfigErrors> {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            return .failure(ConfigErrors([ConfigProblem(file: path, key: "", message: exists ? "cannot be read (check its permissions)" : "does not exist")]))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ConfigErrors([ConfigProblem(file: path, key: "", message: "is not UTF-8 text")]))
        }
        return parse(text, file: path)
    }

    /// The first line holding a NUL, raw or as a `\u0000` / `\U00000000` escape; nil when none does.
    static func lineWithNUL(_ text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.utf8.contains(0) || line.contains("\\u0000") || line.contains("\\U00000000") { return index + 1 }
        }
        return nil
    }

    static func convert(_ table: TOMLTable) -> ConfigTable {
        var entries: [(key: String, value: ConfigValue)] = []
        for (key, value) in table { entries.append((key: key, value: convert(value))) }
        return ConfigTable(entries)
    }

    static func convert(_ value: TOMLValueConvertible) -> ConfigValue {
        switch value.type {
        case .table: return .table(convert(value.table!))
        case .array: return .array(value.array!.map { convert($0) })
        case .string: return .string(value.string!)
        case .int: return .integer(value.int!)
        case .double: return .float(value.double!)
        case .bool: return .boolean(value.bool!)
        case .date, .time, .dateTime:
            // No Crossguard key takes a date; keep the text so the type error can show it.
            return .string(value.debugDescription)
        }
    }
}
