import CrossguardCore

/// A TOML 1.0 reader (https://toml.io/en/v1.0.0) in plain Swift, so that loading a configuration file links
/// nothing beyond the standard library. It builds the core's `ConfigTable` in file order and reports the
/// first syntax or definition error with its line and column (columns count characters, from 1).
///
/// Dates and times are checked against the grammar and kept as their text: no Crossguard key takes one.
struct TOMLReader {
    /// A syntax or definition error at a place in the text.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var line: Int
        var column: Int
        var message: String
        var description: String { "line \(line), column \(column): \(message)" }
    }

    /// Parses a whole document.
    static func parse(_ text: String) -> Result<ConfigTable, Failure> {
        var reader = TOMLReader(Array(text.utf8))
        do throws(Failure) {
            return .success(try reader.document())
        } catch {
            return .failure(error)
        }
    }

    /// Arrays and inline tables nest at most this deep: a hostile file must not exhaust the stack.
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var pos = 0
    /// The line of `pos` (from 1) and the offset where that line starts, for error places.
    private var line = 1
    private var lineStart = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte-order mark, as some editors write, is not part of the document.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3; lineStart = 3 }
    }

    // MARK: The document

    private mutating func document() throws(Failure) -> ConfigTable {
        let root = Table(origin: .header, path: "", line: 1)
        var current = root
        while pos < bytes.count {
            skipBlanks()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try newline()
                continue
            case UInt8(ascii: "#"):
                break
            case UInt8(ascii: "["):
                current = try header(root: root)
            default:
                let start = (line, column)
                let keys = try dottedKey()
                skipBlanks()
                try expect("=", "after the key \(Self.display(keys)), expected \"=\"")
                skipBlanks()
                let value = try self.value()
                try insert(value, at: keys, into: current, place: start)
            }
            try endOfLine()
        }
        return root.configTable
    }

    /// `[a.b]` or `[[a.b]]`: the table that the following key/value pairs go into.
    private mutating func header(root: Table) throws(Failure) -> Table {
        let place = (line, column)
        pos += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { pos += 1 }
        skipBlanks()
        let keys = try dottedKey()
        skipBlanks()
        if isArray {
            guard peek() == UInt8(ascii: "]"), peek(1) == UInt8(ascii: "]") else {
                throw failure("expected \"]]\" to close the header [[\(Self.display(keys))]]")
            }
            pos += 2
        } else {
            try expect("]", "expected \"]\" to close the header [\(Self.display(keys))]")
        }
        // Walk to the parent: missing tables are made (implicitly), arrays of tables give their last element.
        var table = root
        for (index, key) in keys.dropLast().enumerated() {
            let path = Self.display(keys.prefix(index + 1))
            switch table.items[key] {
            case nil:
                let made = Table(origin: .implicit, path: table.childPath(key), line: place.0)
                table.add(key, .table(made))
                table = made
            case .table(let sub)?: table = sub
            case .tables(let list)?: table = list.elements[list.elements.count - 1]
            case .value(let value, let at)?:
                throw failure("\(path) is \(Self.describe(value)) (line \(at)), not a table", at: place)
            }
        }
        let key = keys[keys.count - 1]
        let path = Self.display(keys)
        if isArray {
            switch table.items[key] {
            case nil:
                let list = TableList(path: table.childPath(key), line: place.0)
                table.add(key, .tables(list))
                return list.append(line: place.0)
            case .tables(let list)?: return list.append(line: place.0)
            case .table(let sub)?:
                throw failure("[[\(path)]] names the table \(path) (line \(sub.line)), not an array of tables", at: place)
            case .value(let value, let at)?:
                throw failure("[[\(path)]] names \(Self.describe(value)) (line \(at)), which cannot be extended", at: place)
            }
        }
        switch table.items[key] {
        case nil:
            let made = Table(origin: .header, path: table.childPath(key), line: place.0)
            table.add(key, .table(made))
            return made
        case .table(let sub)?:
            switch sub.origin {
            case .implicit:
                sub.origin = .header
                return sub
            case .header:
                throw failure("the table [\(path)] is already defined (line \(sub.line))", at: place)
            case .dotted:
                throw failure("the table \(path) is already defined by dotted keys (line \(sub.line))", at: place)
            }
        case .tables(let list)?:
            throw failure("[\(path)] names an array of tables (line \(list.line)); use [[\(path)]] to add an element", at: place)
        case .value(let value, let at)?:
            throw failure("[\(path)] names \(Self.describe(value)) (line \(at)), not a table", at: place)
        }
    }

    /// Puts a value under a dotted key in `table`, making the intermediate tables. Dotted keys may extend
    /// tables that dotted keys made, or that a header made implicitly, never one a header defined. (A
    /// table made by dotted keys is reachable only from the header it was made under, so only that
    /// header's own pairs can extend it.)
    private func insert(_ value: ConfigValue, at keys: [String], into table: Table, place: (Int, Int)) throws(Failure) {
        var table = table
        for key in keys.dropLast() {
            switch table.items[key] {
            case nil:
                let made = Table(origin: .dotted, path: table.childPath(key), line: place.0)
                table.add(key, .table(made))
                table = made
            case .table(let sub)?:
                switch sub.origin {
                case .dotted: table = sub
                case .implicit:
                    sub.origin = .dotted
                    table = sub
                case .header:
                    throw failure("the table [\(sub.path)] is defined by its header (line \(sub.line)) and cannot be extended by dotted keys", at: place)
                }
            case .tables(let list)?:
                throw failure("\(list.path) is an array of tables (line \(list.line)) and cannot be extended by dotted keys", at: place)
            case .value(let existing, let at)?:
                throw failure("\(table.childPath(key)) is \(Self.describe(existing)) (line \(at)), not a table", at: place)
            }
        }
        let key = keys[keys.count - 1]
        if let existing = table.items[key] {
            throw failure("the key \(table.childPath(key)) is already defined (line \(existing.line))", at: place)
        }
        table.add(key, .value(value, line: place.0))
    }

    // MARK: Keys

    /// `a`, `"a b"`, `'a'` or a dotted sequence of them (`a . "b" . c`).
    private mutating func dottedKey() throws(Failure) -> [String] {
        var keys = [try simpleKey()]
        while true {
            let mark = pos
            skipBlanks()
            guard peek() == UInt8(ascii: ".") else { pos = mark; return keys }
            pos += 1
            skipBlanks()
            keys.append(try simpleKey())
        }
    }

    private mutating func simpleKey() throws(Failure) -> String {
        switch peek() {
        case UInt8(ascii: "\"")?:
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") { throw failure("a key cannot be a multi-line string") }
            return try string(quote: UInt8(ascii: "\""))
        case UInt8(ascii: "'")?:
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") { throw failure("a key cannot be a multi-line string") }
            return try string(quote: UInt8(ascii: "'"))
        default:
            let start = pos
            while let byte = peek(), Self.isBareKeyByte(byte) { pos += 1 }
            guard pos > start else { throw failure("expected a key, found \(describeToken())") }
            return String(decoding: bytes[start..<pos], as: UTF8.self)
        }
    }

    fileprivate static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }

    // MARK: Values

    private mutating func value() throws(Failure) -> ConfigValue {
        guard let byte = peek() else { throw failure("expected a value, found the end of the file") }
        let value: ConfigValue
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            value = .string(peek(1) == byte && peek(2) == byte ? try multilineString(quote: byte) : try string(quote: byte))
        case UInt8(ascii: "["):
            return try array()
        case UInt8(ascii: "{"):
            return try inlineTable()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            if matches("true") { pos += 4; value = .boolean(true) }
            else if matches("false") { pos += 5; value = .boolean(false) }
            else { throw unexpectedValue() }
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "i"), UInt8(ascii: "n"):
            value = try numberOrDate()
        default:
            throw unexpectedValue()
        }
        // A scalar ends at a blank, a comment, a comma, a closing bracket or the end of the line.
        if let next = peek(), !Self.endsScalar(next) {
            throw failure("unexpected \(Self.describe(byte: next)) after the value \(value.rendered)")
        }
        return value
    }

    private func unexpectedValue() -> Failure {
        failure("expected a value (a string, number, boolean, date, array or inline table), found \(describeToken())")
    }

    private static func endsScalar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"),
             UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"): true
        default: false
        }
    }

    private mutating func array() throws(Failure) -> ConfigValue {
        let open = (line, column)
        try deeper()
        pos += 1
        var items: [ConfigValue] = []
        while true {
            try skipBlanksCommentsAndNewlines()
            guard let byte = peek() else { throw failure("the array opened at line \(open.0), column \(open.1) is not closed with \"]\"") }
            if byte == UInt8(ascii: "]") { break }
            items.append(try value())
            try skipBlanksCommentsAndNewlines()
            if peek() == UInt8(ascii: ",") { pos += 1; continue }
            if peek() == UInt8(ascii: "]") { break }
            throw peek() == nil
                ? failure("the array opened at line \(open.0), column \(open.1) is not closed with \"]\"")
                : failure("expected \",\" or \"]\" in the array, found \(describeToken())")
        }
        pos += 1
        depth -= 1
        return .array(items)
    }

    /// `{ a = 1, b.c = 2 }`: on one line, no trailing comma, closed for good once read.
    private mutating func inlineTable() throws(Failure) -> ConfigValue {
        try deeper()
        pos += 1
        let table = Table(origin: .header, path: "", line: line)
        skipBlanks()
        if peek() == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .table(table.configTable)
        }
        while true {
            skipBlanks()
            let place = (line, column)
            let keys = try dottedKey()
            skipBlanks()
            try expect("=", "after the key \(Self.display(keys)), expected \"=\"")
            skipBlanks()
            let value = try self.value()
            try insert(value, at: keys, into: table, place: place)
            skipBlanks()
            switch peek() {
            case UInt8(ascii: ",")?:
                pos += 1
                skipBlanks()
                if peek() == UInt8(ascii: "}") { throw failure("an inline table takes no comma after its last pair") }
            case UInt8(ascii: "}")?:
                pos += 1
                depth -= 1
                return .table(table.configTable)
            case UInt8(ascii: "\n")?, UInt8(ascii: "\r")?:
                throw failure("an inline table stays on one line; use a [table] for more pairs")
            default:
                throw failure("expected \",\" or \"}\" in the inline table, found \(describeToken())")
            }
        }
    }

    private mutating func deeper() throws(Failure) {
        depth += 1
        if depth > Self.maximumDepth { throw failure("arrays and inline tables nest deeper than \(Self.maximumDepth) levels") }
    }

    // MARK: Strings

    /// A one-line string: basic (`"…"`, with escapes) or literal (`'…'`, as written).
    private mutating func string(quote: UInt8) throws(Failure) -> String {
        let open = (line, column), basic = quote == UInt8(ascii: "\"")
        let closing = basic ? "'\"'" : "\"'\"", multi = basic ? "\"\"\"…\"\"\"" : "'''…'''"
        pos += 1
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure("the string opened at line \(open.0), column \(open.1) is not closed with \(closing)") }
            switch byte {
            case quote:
                pos += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\") where basic:
                try escape(into: &out)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw failure("the string opened at line \(open.0), column \(open.1) ends at the end of the line; a string on several lines is written \(multi)")
            default:
                try checkTextByte(byte, in: "a string")
                out.append(byte)
                pos += 1
            }
        }
    }

    /// A multi-line string: basic (`"""…"""`) or literal (`'''…'''`). The newline straight after the
    /// opening quotes is not part of it; in a basic one a backslash at the end of a line joins the next
    /// non-blank text (blanks and newlines go).
    private mutating func multilineString(quote: UInt8) throws(Failure) -> String {
        let open = (line, column), basic = quote == UInt8(ascii: "\"")
        pos += 3
        if peek() == UInt8(ascii: "\n") || peek() == UInt8(ascii: "\r") { try newline() }
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw failure("the string opened at line \(open.0), column \(open.1) is not closed with \(basic ? "'\"\"\"'" : "\"'''\"")")
            }
            switch byte {
            case quote:
                if try closesMultiline(quote: byte, into: &out) { return String(decoding: out, as: UTF8.self) }
            case UInt8(ascii: "\\") where basic:
                var ahead = pos + 1
                while ahead < bytes.count, bytes[ahead] == UInt8(ascii: " ") || bytes[ahead] == UInt8(ascii: "\t") { ahead += 1 }
                if ahead < bytes.count, bytes[ahead] == UInt8(ascii: "\n") || bytes[ahead] == UInt8(ascii: "\r") {
                    pos = ahead
                    while let next = peek() {
                        if next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") { pos += 1 }
                        else if next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") { try newline() }
                        else { break }
                    }
                } else {
                    try escape(into: &out)
                }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                out += try newline()
            default:
                try checkTextByte(byte, in: "a string")
                out.append(byte)
                pos += 1
            }
        }
    }

    /// At a quote inside a multi-line string: three or more close it (up to two more belong to the text);
    /// fewer are text.
    private mutating func closesMultiline(quote: UInt8, into out: inout [UInt8]) throws(Failure) -> Bool {
        var run = 0
        while peek(run) == quote { run += 1 }
        if run < 3 {
            out += repeatElement(quote, count: run)
            pos += run
            return false
        }
        if run > 5 { throw failure("\(run) quotes in a row: a multi-line string ends with three, and at most two more belong to its text") }
        out += repeatElement(quote, count: run - 3)
        pos += run
        return true
    }

    private mutating func escape(into out: inout [UInt8]) throws(Failure) {
        let place = (line, column)
        pos += 1
        guard let byte = peek() else { throw failure("the file ends inside an escape sequence") }
        pos += 1
        switch byte {
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = byte == UInt8(ascii: "u") ? 4 : 8
            var code: UInt32 = 0
            for _ in 0..<count {
                guard let digit = peek().flatMap(Self.hexDigit) else {
                    throw failure("\\\(Character(Unicode.Scalar(byte))) takes exactly \(count) hexadecimal digits", at: place)
                }
                code = code << 4 | UInt32(digit)
                pos += 1
            }
            guard let scalar = Unicode.Scalar(code) else {
                throw failure("\\\(Character(Unicode.Scalar(byte)))\(upperHex(code, digits: count)) is not a Unicode scalar value (a surrogate or above U+10FFFF)", at: place)
            }
            UTF8.encode(scalar) { out.append($0) }
        default:
            throw failure("\\\(Self.describe(byte: byte, quoted: false)) is not an escape TOML knows (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)", at: place)
        }
    }

    /// Control characters other than tab must be escaped in strings and are refused in comments.
    private func checkTextByte(_ byte: UInt8, in what: String) throws(Failure) {
        if (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            throw failure("the control character U+\(upperHex(UInt32(byte), digits: 4)) cannot stand raw in \(what)\(what == "a string" ? "; write it as an escape (\\u\(upperHex(UInt32(byte), digits: 4)))" : "")")
        }
    }

    // MARK: Numbers, dates and times

    private mutating func numberOrDate() throws(Failure) -> ConfigValue {
        let start = pos
        if isDigits(at: pos, count: 4), peek(4) == UInt8(ascii: "-") { return try dateTime() }
        if isDigits(at: pos, count: 2), peek(2) == UInt8(ascii: ":") { return try dateTime() }
        while let byte = peek(), Self.isNumberByte(byte) { pos += 1 }
        let token = String(decoding: bytes[start..<pos], as: UTF8.self)
        let place = (line, start - lineStart + 1)
        switch token {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        var body = Substring(token)
        if let sign = body.first, sign == "+" || sign == "-" { body = body.dropFirst() }
        guard let first = body.first, first.isASCII, first.isNumber else {
            throw failure("expected a value (a string, number, boolean, date, array or inline table), found \"\(token)\"", at: place)
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
            guard body.count == token.count else {
                throw failure("\(token): a hexadecimal, octal or binary integer takes no sign", at: place)
            }
            let digits = body.dropFirst(2)
            guard Self.isDigitGroup(digits, radix: radix), let value = Int(digits.filter { $0 != "_" }, radix: radix) else {
                throw failure(Self.isDigitGroup(digits, radix: radix)
                    ? "\(token) is larger than a 64-bit integer holds (at most 9223372036854775807)"
                    : "\(token) is not an integer: base \(radix) digits, an underscore only between two digits", at: place)
            }
            return .integer(value)
        }
        // Decimal: an integer part, then a fraction and/or an exponent for a float.
        let integerPart = body.prefix(while: { $0 != "." && $0 != "e" && $0 != "E" })
        var rest = body.dropFirst(integerPart.count)
        guard Self.isDigitGroup(integerPart, radix: 10) else {
            throw failure("\(token) is not a number: digits, with an underscore only between two digits", at: place)
        }
        if integerPart.count > 1, integerPart.first == "0" {
            throw failure("\(token): a decimal number does not start with 0 (only 0 itself does)", at: place)
        }
        if rest.isEmpty {
            guard let value = Int(token.filter { $0 != "_" }) else {
                throw failure("\(token) is outside the 64-bit integer range (−9223372036854775808 to 9223372036854775807)", at: place)
            }
            return .integer(value)
        }
        if rest.first == "." {
            let fraction = rest.dropFirst().prefix(while: { $0 != "e" && $0 != "E" })
            guard Self.isDigitGroup(fraction, radix: 10) else {
                throw failure("\(token) is not a number: a decimal point has digits on both sides", at: place)
            }
            rest = rest.dropFirst(1 + fraction.count)
        }
        if let e = rest.first, e == "e" || e == "E" {
            var exponent = rest.dropFirst()
            if let sign = exponent.first, sign == "+" || sign == "-" { exponent = exponent.dropFirst() }
            guard Self.isDigitGroup(exponent, radix: 10) else {
                throw failure("\(token) is not a number: an exponent takes digits (1e6, 2.5E-3)", at: place)
            }
            rest = rest.prefix(0)
        }
        guard rest.isEmpty, let value = Double(token.filter { $0 != "_" }) else {
            throw failure("\(token) is not a number", at: place)
        }
        guard value.isFinite else {
            throw failure("\(token) is beyond the range of a 64-bit float (write inf for infinity)", at: place)
        }
        return .float(value)
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }

    /// Digits of the radix, at least one, with each underscore between two digits.
    private static func isDigitGroup(_ text: Substring, radix: Int) -> Bool {
        var previousWasDigit = false
        for c in text {
            if c == "_" {
                guard previousWasDigit else { return false }
                previousWasDigit = false
            } else {
                guard let d = c.hexDigitValue, d < radix else { return false }
                previousWasDigit = true
            }
        }
        return previousWasDigit
    }

    /// An offset date-time, a local date-time, a local date or a local time, checked field by field
    /// (a 30 February or a 25th hour is an error) and kept as written.
    private mutating func dateTime() throws(Failure) -> ConfigValue {
        let start = pos
        let place = (line, column)
        var hasDate = false
        if isDigits(at: pos, count: 4), peek(4) == UInt8(ascii: "-") {
            guard isDigits(at: pos + 5, count: 2), peek(7) == UInt8(ascii: "-"), isDigits(at: pos + 8, count: 2) else {
                throw failure("\(describeToken()) is not a date: write YYYY-MM-DD", at: place)
            }
            let year = number(at: pos, count: 4), month = number(at: pos + 5, count: 2), day = number(at: pos + 8, count: 2)
            guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else {
                throw failure("\(text(pos, 10)) is not a date in the calendar", at: place)
            }
            pos += 10
            hasDate = true
            // The time follows after "T" (or a space, when a time really follows).
            if let sep = peek(), sep == UInt8(ascii: "T") || sep == UInt8(ascii: "t") || (sep == UInt8(ascii: " ") && isDigits(at: pos + 1, count: 2) && peek(3) == UInt8(ascii: ":")) {
                pos += 1
            } else {
                return .dateTime(text(start, pos - start))
            }
        }
        guard isDigits(at: pos, count: 2), peek(2) == UInt8(ascii: ":"), isDigits(at: pos + 3, count: 2),
              peek(5) == UInt8(ascii: ":"), isDigits(at: pos + 6, count: 2) else {
            throw failure("\(describeToken()) is not a time: write HH:MM:SS", at: place)
        }
        let hour = number(at: pos, count: 2), minute = number(at: pos + 3, count: 2), second = number(at: pos + 6, count: 2)
        guard hour < 24, minute < 60, second <= 60 else { throw failure("\(text(pos, 8)) is not a time of day", at: place) }
        pos += 8
        if peek() == UInt8(ascii: ".") {
            pos += 1
            guard isDigits(at: pos, count: 1) else { throw failure("a fraction of a second takes digits after the point", at: place) }
            while isDigits(at: pos, count: 1) { pos += 1 }
        }
        if hasDate, let zone = peek() {
            if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
                pos += 1
            } else if zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-") {
                guard isDigits(at: pos + 1, count: 2), peek(3) == UInt8(ascii: ":"), isDigits(at: pos + 4, count: 2),
                      number(at: pos + 1, count: 2) < 24, number(at: pos + 4, count: 2) < 60 else {
                    throw failure("a time offset is written Z or ±HH:MM", at: place)
                }
                pos += 6
            }
        }
        return .dateTime(text(start, pos - start))
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private func isDigits(at offset: Int, count: Int) -> Bool {
        guard offset >= 0, offset + count <= bytes.count else { return false }
        return bytes[offset..<(offset + count)].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private func number(at offset: Int, count: Int) -> Int {
        bytes[offset..<(offset + count)].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    private func text(_ offset: Int, _ count: Int) -> String {
        String(decoding: bytes[offset..<min(bytes.count, offset + count)], as: UTF8.self)
    }

    // MARK: Blanks, comments, newlines

    private func peek(_ ahead: Int = 0) -> UInt8? {
        pos + ahead < bytes.count ? bytes[pos + ahead] : nil
    }

    private func matches(_ word: String) -> Bool {
        let w = Array(word.utf8)
        return pos + w.count <= bytes.count && bytes[pos..<(pos + w.count)].elementsEqual(w)
    }

    private mutating func expect(_ c: Unicode.Scalar, _ message: @autoclosure () -> String) throws(Failure) {
        guard peek() == UInt8(ascii: c) else { throw failure(message() + ", found " + describeToken()) }
        pos += 1
    }

    private mutating func skipBlanks() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { pos += 1 }
    }

    /// A comment runs to the end of its line; control characters other than tab are refused in it.
    private mutating func skipComment() throws(Failure) {
        guard peek() == UInt8(ascii: "#") else { return }
        pos += 1
        while let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") {
            try checkTextByte(byte, in: "a comment")
            pos += 1
        }
    }

    private mutating func skipBlanksCommentsAndNewlines() throws(Failure) {
        while true {
            skipBlanks()
            try skipComment()
            guard let byte = peek(), byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else { return }
            try newline()
        }
    }

    /// After a pair or a header: blanks, maybe a comment, then a newline or the end of the file.
    private mutating func endOfLine() throws(Failure) {
        skipBlanks()
        try skipComment()
        guard let byte = peek() else { return }
        guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
            throw failure("expected the end of the line, found \(describeToken())")
        }
        try newline()
    }

    /// Consumes LF or CR LF (a lone CR is not a newline in TOML) and returns the bytes it stood for.
    @discardableResult
    private mutating func newline() throws(Failure) -> [UInt8] {
        if peek() == UInt8(ascii: "\r") {
            guard peek(1) == UInt8(ascii: "\n") else { throw failure("a carriage return (U+000D) stands alone; newlines are LF or CR LF") }
            pos += 2
            line += 1
            lineStart = pos
            return [0x0D, 0x0A]
        }
        pos += 1
        line += 1
        lineStart = pos
        return [0x0A]
    }

    // MARK: Error places and wording

    /// The column of `pos` in characters (UTF-8 continuation bytes do not count), from 1.
    private var column: Int {
        bytes[lineStart..<min(pos, bytes.count)].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    private func failure(_ message: String) -> Failure {
        Failure(line: line, column: column, message: message)
    }

    private func failure(_ message: String, at place: (Int, Int)) -> Failure {
        Failure(line: place.0, column: place.1, message: message)
    }

    /// What stands at `pos`, for "found …": a word, a character or the end of the line or file.
    private func describeToken() -> String {
        guard let byte = peek() else { return "the end of the file" }
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { return "the end of the line" }
        var end = pos
        while end < bytes.count, end - pos < 24, Self.isNumberByte(bytes[end]) || bytes[end] == UInt8(ascii: ":") { end += 1 }
        if end > pos + 1 { return "\"" + String(decoding: bytes[pos..<end], as: UTF8.self) + "\"" }
        return Self.describe(byte: byte)
    }

    private static func describe(byte: UInt8, quoted: Bool = true) -> String {
        if byte < 0x20 || byte == 0x7F { return "U+\(upperHex(UInt32(byte), digits: 4))" }
        if byte >= 0x80 { return quoted ? "a non-ASCII character" : "(a non-ASCII character)" }
        let c = String(Character(Unicode.Scalar(byte)))
        return quoted ? "\"" + c + "\"" : c
    }

    private static func describe(_ value: ConfigValue) -> String {
        switch value {
        case .table: "an inline table"
        case .array: "an array"
        default: "the value \(value.rendered)"
        }
    }

    /// A key path as it would be written: bare where it can be, quoted where it must be.
    static func display<C: Collection>(_ keys: C) -> String where C.Element == String {
        keys.map(Table.keyText).joined(separator: ".")
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A code point's hexadecimal digits, upper case and zero-padded, as in "U+001B".
private func upperHex(_ value: UInt32, digits: Int) -> String {
    let hex = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - hex.count)) + hex
}

/// A table being built, with how it came to be (which decides what may still extend it).
private final class Table {
    enum Origin: Equatable {
        /// Made as the parent of a header (`a` for `[a.b]`); a later `[a]` may still define it.
        case implicit
        /// Defined by its own header, the root, or an inline table's braces.
        case header
        /// Made by a dotted key (`a.b = 1` makes `a`); more dotted keys may extend it, a header may not define it.
        case dotted
    }

    var origin: Origin
    /// The dotted path from the root, for messages (`input[2].pin`).
    let path: String
    /// The line that made it.
    let line: Int
    private(set) var order: [String] = []
    private(set) var items: [String: Item] = [:]

    init(origin: Origin, path: String, line: Int) {
        self.origin = origin
        self.path = path
        self.line = line
    }

    func add(_ key: String, _ item: Item) {
        order.append(key)
        items[key] = item
    }

    func childPath(_ key: String) -> String { path.isEmpty ? Table.keyText(key) : path + "." + Table.keyText(key) }

    var configTable: ConfigTable {
        ConfigTable(order.map { key in
            let value: ConfigValue = switch items[key]! {
            case .value(let value, _): value
            case .table(let table): .table(table.configTable)
            case .tables(let list): .array(list.elements.map { .table($0.configTable) })
            }
            return (key: key, value: value)
        })
    }

    static func keyText(_ key: String) -> String {
        !key.isEmpty && key.utf8.allSatisfy(TOMLReader.isBareKeyByte) ? key : ConfigValue.quoted(key)
    }
}

/// An array of tables (`[[input]]`), each header adding an element.
private final class TableList {
    let path: String
    let line: Int
    private(set) var elements: [Table] = []

    init(path: String, line: Int) {
        self.path = path
        self.line = line
    }

    func append(line: Int) -> Table {
        let table = Table(origin: .header, path: "\(path)[\(elements.count)]", line: line)
        elements.append(table)
        return table
    }
}

/// What a key holds while the document is read.
private enum Item {
    case value(ConfigValue, line: Int)
    case table(Table)
    case tables(TableList)

    var line: Int {
        switch self {
        case .value(_, let line): line
        case .table(let table): table.line
        case .tables(let list): list.line
        }
    }
}
