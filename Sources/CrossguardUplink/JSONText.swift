import CrossguardCore

/// A strict JSON reader for the centre's commands (RFC 8259), into the core's `ConfigTable` so the same
/// validation reads a command from a scenario file and from MQTT. Bounded: nesting deeper than 16 or
/// text longer than `maximumBytes` is refused, never followed.
public enum JSONText {
    /// Why a text is not JSON, with the byte offset.
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "not JSON at byte \(offset): \(message)" }
    }

    /// Parses one JSON object.
    public static func parseObject(_ bytes: [UInt8], maximumBytes: Int = 16_384) -> Result<ConfigTable, SyntaxError> {
        guard bytes.count <= maximumBytes else { return .failure(SyntaxError(offset: maximumBytes, message: "longer than \(maximumBytes) bytes")) }
        var p = Parser(bytes: bytes)
        do {
            p.skipSpace()
            guard p.peek == UInt8(ascii: "{") else { throw p.error("expected an object") }
            guard case .table(let table) = try p.value(depth: 0) else { throw p.error("expected an object") }
            p.skipSpace()
            guard p.at == bytes.count else { throw p.error("text after the object") }
            return .success(table)
        } catch let e as SyntaxError {
            return .failure(e)
        } catch {
            return .failure(SyntaxError(offset: p.at, message: "\(error)"))
        }
    }

    /// A string as a JSON string literal (quotes, escapes for `"`, `\` and control characters).
    public static func quote(_ s: String) -> String { ConfigValue.quoted(s) }

    private struct Parser {
        let bytes: [UInt8]
        var at = 0
        var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

        func error(_ message: String) -> SyntaxError { SyntaxError(offset: at, message: message) }

        mutating func skipSpace() {
            while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { at += 1 }
        }

        mutating func expect(_ word: String) throws(SyntaxError) {
            for b in word.utf8 {
                guard peek == b else { throw error("expected \(word)") }
                at += 1
            }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> ConfigValue? {
            guard depth < 16 else { throw error("nested deeper than 16") }
            skipSpace()
            guard let c = peek else { throw error("unexpected end") }
            switch c {
            case UInt8(ascii: "{"):
                at += 1
                var entries: [(key: String, value: ConfigValue)] = []
                skipSpace()
                if peek == UInt8(ascii: "}") { at += 1; return .table(ConfigTable(entries)) }
                while true {
                    skipSpace()
                    guard peek == UInt8(ascii: "\"") else { throw error("expected a key") }
                    let key = try string()
                    guard !entries.contains(where: { $0.key == key }) else { throw error("key \(JSONText.quote(key)) appears twice") }
                    skipSpace()
                    try expect(":")
                    let v = try value(depth: depth + 1)
                    // A JSON null is an absent key: `"alarm": null` means no alarm given.
                    if let v { entries.append((key, v)) }
                    skipSpace()
                    if peek == UInt8(ascii: ",") { at += 1; continue }
                    try expect("}")
                    return .table(ConfigTable(entries))
                }
            case UInt8(ascii: "["):
                at += 1
                var items: [ConfigValue] = []
                skipSpace()
                if peek == UInt8(ascii: "]") { at += 1; return .array(items) }
                while true {
                    guard let v = try value(depth: depth + 1) else { throw error("null in an array") }
                    items.append(v)
                    skipSpace()
                    if peek == UInt8(ascii: ",") { at += 1; continue }
                    try expect("]")
                    return .array(items)
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .boolean(true)
            case UInt8(ascii: "f"): try expect("false"); return .boolean(false)
            case UInt8(ascii: "n"): try expect("null"); return nil
            default: return try number()
            }
        }

        mutating func number() throws(SyntaxError) -> ConfigValue {
            let start = at
            if peek == UInt8(ascii: "-") { at += 1 }
            guard let first = peek, first >= 0x30 && first <= 0x39 else { throw error("expected a value") }
            if first == 0x30 { at += 1 } else { while let d = peek, d >= 0x30 && d <= 0x39 { at += 1 } }
            var integral = true
            if peek == UInt8(ascii: ".") {
                integral = false
                at += 1
                guard let d = peek, d >= 0x30 && d <= 0x39 else { throw error("expected a digit after the point") }
                while let d = peek, d >= 0x30 && d <= 0x39 { at += 1 }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                integral = false
                at += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
                guard let d = peek, d >= 0x30 && d <= 0x39 else { throw error("expected an exponent") }
                while let d = peek, d >= 0x30 && d <= 0x39 { at += 1 }
            }
            let text = String(decoding: bytes[start..<at], as: UTF8.self)
            if integral, let i = Int(text) { return .integer(i) }
            guard let d = Double(text), d.isFinite else { throw SyntaxError(offset: start, message: "number \(text) is out of range") }
            // An integral number written with a fraction or exponent (`5.0`, `1e3`) is still an integer.
            if d == d.rounded(), abs(d) < 9e15 { return .integer(Int(d)) }
            return .float(d)
        }

        mutating func string() throws(SyntaxError) -> String {
            at += 1  // the opening quote
            var scalars = String.UnicodeScalarView()
            var runStart = at
            func flush(_ p: inout Parser, _ scalars: inout String.UnicodeScalarView, _ from: Int) throws(SyntaxError) {
                guard from < p.at else { return }
                guard let s = String(validating: p.bytes[from..<p.at], as: UTF8.self) else { throw p.error("a string is not valid UTF-8") }
                scalars.append(contentsOf: s.unicodeScalars)
            }
            while true {
                guard let c = peek else { throw error("a string is not closed") }
                if c == UInt8(ascii: "\"") {
                    try flush(&self, &scalars, runStart)
                    at += 1
                    return String(scalars)
                }
                if c < 0x20 { throw error("a control character in a string") }
                if c != UInt8(ascii: "\\") { at += 1; continue }
                try flush(&self, &scalars, runStart)
                at += 1
                guard let e = peek else { throw error("a string is not closed") }
                at += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00 {
                        try expect("\\u")
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw error("a lone surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(code) else { throw error("a lone surrogate") }
                    scalars.append(u)
                default: throw error("an unknown escape")
                }
                runStart = at
            }
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<4 {
                guard let c = peek, let d = hexDigit(c) else { throw error("expected four hex digits") }
                v = v << 4 | d
                at += 1
            }
            return v
        }

        func hexDigit(_ c: UInt8) -> UInt32? {
            switch c {
            case 0x30...0x39: UInt32(c - 0x30)
            case 0x41...0x46: UInt32(c - 0x41 + 10)
            case 0x61...0x66: UInt32(c - 0x61 + 10)
            default: nil
            }
        }
    }
}

/// UTC timestamps as RFC 3339 text, without Foundation (Howard Hinnant's civil-from-days algorithm).
public enum RFC3339 {
    /// `2026-11-21T10:00:00.123Z` for milliseconds since 1970.
    public static func format(unixMs: Int64) -> String {
        let ms = Int(((unixMs % 1000) + 1000) % 1000)
        let seconds = (unixMs - Int64(ms)) / 1000
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (y, m, d) = civil(days: days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let milli = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(y)-\(two(m))-\(two(d))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)).\(milli)Z"
    }

    /// Milliseconds since 1970 for `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var v = 0
            for i in at..<(at + count) {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 20, let y = digits(0, 4), b[4] == 0x2D, let mo = digits(5, 2), b[7] == 0x2D, let d = digits(8, 2),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), let h = digits(11, 2), b[13] == 0x3A, let mi = digits(14, 2),
              b[16] == 0x3A, let s = digits(17, 2),
              (1...12).contains(mo), d >= 1 && d <= daysIn(month: mo, year: y), h < 24, mi < 60, s < 61
        else { return nil }
        var at = 19
        var ms = 0
        if b[at] == UInt8(ascii: ".") {
            at += 1
            var count = 0
            while at < b.count, b[at] >= 0x30 && b[at] <= 0x39 {
                if count < 3 { ms = ms * 10 + Int(b[at] - 0x30) }
                count += 1
                at += 1
            }
            guard count >= 1 else { return nil }
            if count < 3 { for _ in count..<3 { ms *= 10 } }
        }
        var offsetMinutes = 0
        guard at < b.count else { return nil }
        if b[at] == UInt8(ascii: "Z") || b[at] == UInt8(ascii: "z") {
            at += 1
        } else if b[at] == UInt8(ascii: "+") || b[at] == UInt8(ascii: "-") {
            guard let oh = digits(at + 1, 2), at + 3 < b.count, b[at + 3] == 0x3A, let om = digits(at + 4, 2), oh < 24, om < 60 else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[at] == UInt8(ascii: "+") ? 1 : -1)
            at += 6
        } else {
            return nil
        }
        guard at == b.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        let seconds = Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + min(s, 59)) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(ms)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func civil(days z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
