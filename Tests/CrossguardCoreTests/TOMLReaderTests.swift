import CrossguardCore
@testable import CrossguardTOML
import Testing

/// The TOML 1.0 reader (https://toml.io/en/v1.0.0), rule by rule: what each form reads as, and the exact
/// message, line and column of what the specification refuses.
@Suite("TOML 1.0 reader")
struct TOMLReaderTests {
    private func read(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigTable? {
        switch TOMLReader.parse(text) {
        case .success(let table): return table
        case .failure(let failure):
            Issue.record("refused: \(failure)", sourceLocation: sourceLocation)
            return nil
        }
    }

    private func refusal(_ text: String) -> String? {
        if case .failure(let failure) = TOMLReader.parse(text) { return failure.description }
        return nil
    }

    private func value(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigValue? {
        read("v = " + text, sourceLocation: sourceLocation)?["v"]
    }

    @Test func keysKeepFileOrderAndTablesNest() {
        let table = read("""
            # a comment
            zeta = 1
            alpha = "a"   # after a value
            "quoted key" = true
            'literal key' = false
            1234 = 4
            site.name = "x"
            site . "id" = 7

            [crossing]
            walk = "7s"
            [crossing.timing]
            amber = "3s"
            [[input]]
            role = "a"
            [[input]]
            role = "b"
            [input.pin]
            line = 4
            """)
        #expect(table?.entries.map(\.key) == ["zeta", "alpha", "quoted key", "literal key", "1234", "site", "crossing", "input"])
        #expect(table?["site"] == .table(ConfigTable([("name", .string("x")), ("id", .integer(7))])))
        #expect(table?["crossing"] == .table(ConfigTable([("walk", .string("7s")), ("timing", .table(ConfigTable([("amber", .string("3s"))])))])))
        // [input.pin] goes into the last element of the array of tables.
        #expect(table?["input"] == .array([
            .table(ConfigTable([("role", .string("a"))])),
            .table(ConfigTable([("role", .string("b")), ("pin", .table(ConfigTable([("line", .integer(4))])))])),
        ]))
    }

    @Test func aNumericLookingKeyIsDotted() {
        #expect(read("3.14159 = \"pi\"")?["3"] == .table(ConfigTable([("14159", .string("pi"))])))
    }

    @Test func basicStringsTakeTheirEscapes() {
        #expect(value(#""tab\there \"q\" back\\slash \u00E9 \U0001F6A6 \b\f\r\n""#) == .string("tab\there \"q\" back\\slash é 🚦 \u{8}\u{C}\r\n"))
        #expect(value(#""""#) == .string(""))
        #expect(value("\"a\u{9}b\"") == .string("a\tb"))  // a raw tab is allowed
        #expect(refusal(#"v = "a\qb""#) == #"line 1, column 7: \q is not an escape TOML knows (\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX)"#)
        #expect(refusal(#"v = "\uD800""#) == "line 1, column 6: \\uD800 is not a Unicode scalar value (a surrogate or above U+10FFFF)")
        #expect(refusal(#"v = "\u12""#) == "line 1, column 6: \\u takes exactly 4 hexadecimal digits")
        #expect(refusal("v = \"a\u{1B}b\"") == "line 1, column 7: the control character U+001B cannot stand raw in a string; write it as an escape (\\u001B)")
        #expect(refusal("v = \"open\nw = 1") == "line 1, column 10: the string opened at line 1, column 5 ends at the end of the line; a string on several lines is written \"\"\"…\"\"\"")
        #expect(refusal("v = \"open") == "line 1, column 10: the string opened at line 1, column 5 is not closed with '\"'")
    }

    @Test func aNULIsReadAsACharacterNeverAsTheEndOfTheString() {
        #expect(value(#""\u0000s""#) == .string("\u{0}s"))
        #expect(refusal("v = \"\u{0}s\"") == "line 1, column 6: the control character U+0000 cannot stand raw in a string; write it as an escape (\\u0000)")
    }

    @Test func multiLineBasicStrings() {
        // The newline after the opening quotes goes; a backslash at a line's end joins the next text.
        #expect(value("\"\"\"\nline one\nline two\"\"\"") == .string("line one\nline two"))
        #expect(value("\"\"\"The quick \\\n     brown \\   \n\n  fox.\"\"\"") == .string("The quick brown fox."))
        // Up to two quotes next to the closing three belong to the text.
        #expect(value(#"""""two quotes"""""#) == .string(#""two quotes""#))
        #expect(value("\"\"\"crlf\r\nkept\"\"\"") == .string("crlf\r\nkept"))
        #expect(refusal(#"v = """a"""""""#) == "line 1, column 9: 6 quotes in a row: a multi-line string ends with three, and at most two more belong to its text")
        #expect(refusal("v = \"\"\"never closed\n") == "line 2, column 1: the string opened at line 1, column 5 is not closed with '\"\"\"'")
    }

    @Test func literalStringsTakeNoEscapes() {
        #expect(value(#"'C:\Users\nodejs'"#) == .string(#"C:\Users\nodejs"#))
        #expect(value("'''\nfirst\n  'quoted' \\n'''") == .string("first\n  'quoted' \\n"))
        #expect(value("'''''two'''''") == .string("''two''"))
        #expect(refusal("v = 'a\nb'") == "line 1, column 7: the string opened at line 1, column 5 ends at the end of the line; a string on several lines is written '''…'''")
    }

    @Test func integersInEveryBase() {
        #expect(value("+99") == .integer(99))
        #expect(value("-17") == .integer(-17))
        #expect(value("0") == .integer(0))
        #expect(value("-0") == .integer(0))
        #expect(value("1_000_000") == .integer(1_000_000))
        #expect(value("0xDEAD_beef") == .integer(0xDEAD_BEEF))
        #expect(value("0o755") == .integer(0o755))
        #expect(value("0b1101") == .integer(13))
        #expect(value("9223372036854775807") == .integer(Int.max))
        #expect(value("-9223372036854775808") == .integer(Int.min))
        #expect(refusal("v = 9223372036854775808") == "line 1, column 5: 9223372036854775808 is outside the 64-bit integer range (−9223372036854775808 to 9223372036854775807)")
        #expect(refusal("v = 0x8000000000000000") == "line 1, column 5: 0x8000000000000000 is larger than a 64-bit integer holds (at most 9223372036854775807)")
        #expect(refusal("v = 007") == "line 1, column 5: 007: a decimal number does not start with 0 (only 0 itself does)")
        #expect(refusal("v = 1__0") == "line 1, column 5: 1__0 is not a number: digits, with an underscore only between two digits")
        #expect(refusal("v = _1") == "line 1, column 5: expected a value (a string, number, boolean, date, array or inline table), found \"_1\"")
        #expect(refusal("v = 1_") == "line 1, column 5: 1_ is not a number: digits, with an underscore only between two digits")
        #expect(refusal("v = -0x1") == "line 1, column 5: -0x1: a hexadecimal, octal or binary integer takes no sign")
        #expect(refusal("v = 0o8") == "line 1, column 5: 0o8 is not an integer: base 8 digits, an underscore only between two digits")
    }

    @Test func floats() {
        #expect(value("3.1415") == .float(3.1415))
        #expect(value("-0.01") == .float(-0.01))
        #expect(value("5e+22") == .float(5e22))
        #expect(value("1E06") == .float(1e6))
        #expect(value("-2E-2") == .float(-0.02))
        #expect(value("6.626e-34") == .float(6.626e-34))
        #expect(value("224_617.445_991") == .float(224_617.445_991))
        #expect(value("inf") == .float(.infinity))
        #expect(value("-inf") == .float(-.infinity))
        if case .float(let nan)? = value("nan") { #expect(nan.isNaN) } else { Issue.record("nan is a float") }
        #expect(refusal("v = 1.") == "line 1, column 5: 1. is not a number: a decimal point has digits on both sides")
        #expect(refusal("v = .5") == "line 1, column 5: expected a value (a string, number, boolean, date, array or inline table), found \".5\"")
        #expect(refusal("v = 1e") == "line 1, column 5: 1e is not a number: an exponent takes digits (1e6, 2.5E-3)")
        #expect(refusal("v = 01.5") == "line 1, column 5: 01.5: a decimal number does not start with 0 (only 0 itself does)")
        #expect(refusal("v = 1e400") == "line 1, column 5: 1e400 is beyond the range of a 64-bit float (write inf for infinity)")
    }

    @Test func booleansAndWordsThatAreNot() {
        #expect(value("true") == .boolean(true))
        #expect(value("false") == .boolean(false))
        #expect(refusal("v = True") == "line 1, column 5: expected a value (a string, number, boolean, date, array or inline table), found \"True\"")
        #expect(refusal("v = no") == "line 1, column 5: expected a value (a string, number, boolean, date, array or inline table), found \"no\"")
        #expect(refusal("v = truest") == "line 1, column 9: unexpected \"s\" after the value true")
    }

    @Test func datesAndTimesAreCheckedAndKeptAsWritten() {
        for text in ["1979-05-27T07:32:00Z", "1979-05-27 07:32:00-07:00", "1979-05-27T00:32:00.999999", "1979-05-27", "07:32:00",
                     "00:32:00.5", "2024-02-29", "1979-05-27t07:32:00z"] {
            #expect(value(text) == .dateTime(text))
        }
        // A date followed by a comment is a date, not the start of a date-time.
        #expect(read("d = 1979-05-27 # birthday")?["d"] == .dateTime("1979-05-27"))
        #expect(refusal("v = 2023-02-29") == "line 1, column 5: 2023-02-29 is not a date in the calendar")
        #expect(refusal("v = 1979-13-01") == "line 1, column 5: 1979-13-01 is not a date in the calendar")
        #expect(refusal("v = 24:00:00") == "line 1, column 5: 24:00:00 is not a time of day")
        #expect(refusal("v = 07:32") == "line 1, column 5: \"07:32\" is not a time: write HH:MM:SS")
        #expect(refusal("v = 1979-05-27T07:32:00+7") == "line 1, column 5: a time offset is written Z or ±HH:MM")
        #expect(refusal("v = 07:32:00Z") == "line 1, column 13: unexpected \"Z\" after the value 07:32:00")
        // A date is not a string: a key that takes a string says what it was given.
        #expect(value("1979-05-27")?.kindName == "a date or time")
    }

    @Test func arraysSpanLinesAndTakeATrailingComma() {
        #expect(value("[ 1, 2.5, \"x\", [true], { a = 1 } ]") == .array([.integer(1), .float(2.5), .string("x"), .array([.boolean(true)]), .table(ConfigTable([("a", .integer(1))]))]))
        #expect(value("[\n  1, # one\n  2,\n]") == .array([.integer(1), .integer(2)]))
        #expect(value("[]") == .array([]))
        #expect(refusal("v = [1 2]") == "line 1, column 8: expected \",\" or \"]\" in the array, found \"2\"")
        #expect(refusal("v = [1,,2]") == "line 1, column 8: expected a value (a string, number, boolean, date, array or inline table), found \",\"")
        #expect(refusal("v = [1,\n2") == "line 2, column 2: the array opened at line 1, column 5 is not closed with \"]\"")
    }

    @Test func inlineTablesStayOnOneLineAndClosed() {
        #expect(value("{ x = 1, y.z = \"a\", y.w = 2 }") == .table(ConfigTable([("x", .integer(1)), ("y", .table(ConfigTable([("z", .string("a")), ("w", .integer(2))])))])))
        #expect(value("{}") == .table(ConfigTable()))
        // Two inline tables under dotted keys of one section: each is a value of its own.
        let t = read("a.b = { x = 1 }\na.c = { y = 2 }")
        #expect(t?["a"] == .table(ConfigTable([("b", .table(ConfigTable([("x", .integer(1))]))), ("c", .table(ConfigTable([("y", .integer(2))])))])))
        #expect(refusal("v = { x = 1, }") == "line 1, column 14: an inline table takes no comma after its last pair")
        #expect(refusal("v = { x = 1\n}") == "line 1, column 12: an inline table stays on one line; use a [table] for more pairs")
        #expect(refusal("v = { x = 1, x = 2 }") == "line 1, column 14: the key x is already defined (line 1)")
        #expect(refusal("v = { x = 1 }\n[v]") == "line 2, column 1: [v] names an inline table (line 1), not a table")
        #expect(refusal("v = { x = 1 }\nv.y = 2") == "line 2, column 1: v is an inline table (line 1), not a table")
        #expect(refusal("v = { x = 1 }\n[v.sub]") == "line 2, column 1: v is an inline table (line 1), not a table")
    }

    @Test func aKeyOrATableIsDefinedOnce() {
        #expect(refusal("a = 1\nb = 2\na = 3") == "line 3, column 1: the key a is already defined (line 1)")
        #expect(refusal("[t]\nx = 1\n[t]") == "line 3, column 1: the table [t] is already defined (line 1)")
        #expect(refusal("[t]\nx = 1\n[t.x]") == "line 3, column 1: [t.x] names the value 1 (line 2), not a table")
        #expect(refusal("a.b = 1\na.b.c = 2") == "line 2, column 1: a.b is the value 1 (line 1), not a table")
        // A table made by dotted keys is closed to a later header and to other sections' dotted keys.
        #expect(refusal("[fruit]\napple.color = \"red\"\n[fruit.apple]") == "line 3, column 1: the table fruit.apple is already defined by dotted keys (line 2)")
        #expect(refusal("[a.b.c]\nz = 9\n[a]\nb.c.t = 1") == "line 4, column 1: the table [a.b.c] is defined by its header (line 1) and cannot be extended by dotted keys")
        // But a header may add a sub-table under it, and a header may define what an earlier header made implicitly.
        #expect(read("[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\nsmooth = true") != nil)
        #expect(read("[x.y.z]\nw = 1\n[x]\nv = 2")?["x"] == .table(ConfigTable([("y", .table(ConfigTable([("z", .table(ConfigTable([("w", .integer(1))])))]))), ("v", .integer(2))])))
    }

    @Test func arraysOfTablesAndStaticArraysDoNotMix() {
        #expect(refusal("a = [1]\n[[a]]") == "line 2, column 1: [[a]] names an array (line 1), which cannot be extended")
        #expect(refusal("[a]\n[[a]]") == "line 2, column 1: [[a]] names the table a (line 1), not an array of tables")
        #expect(refusal("[[a]]\n[a]") == "line 2, column 1: [a] names an array of tables (line 1); use [[a]] to add an element")
        #expect(refusal("[[a]]\nb = 1\n[a.b]") == "line 3, column 1: [a.b] names the value 1 (line 2), not a table")
        #expect(refusal("[[a]]\n[b]\na.x = 1") == nil)  // b.a, not the array a
    }

    @Test func linesEndCleanly() {
        #expect(refusal("a = 1 b = 2") == "line 1, column 7: expected the end of the line, found \"b\"")
        #expect(refusal("[t] x = 1") == "line 1, column 5: expected the end of the line, found \"x\"")
        #expect(refusal("a = 1\rb = 2") == "line 1, column 6: a carriage return (U+000D) stands alone; newlines are LF or CR LF")
        #expect(read("a = 1\r\nb = 2\r\n")?.entries.count == 2)
        #expect(refusal("a = 1 # bell \u{7}") == "line 1, column 14: the control character U+0007 cannot stand raw in a comment")
        #expect(refusal("a") == "line 1, column 2: after the key a, expected \"=\", found the end of the file")
        #expect(refusal("= 1") == "line 1, column 1: expected a key, found \"=\"")
        #expect(refusal("a =") == "line 1, column 4: expected a value, found the end of the file")
        #expect(refusal("[t") == "line 1, column 3: expected \"]\" to close the header [t], found the end of the file")
        #expect(refusal("[[t]") == "line 1, column 4: expected \"]]\" to close the header [[t]]")
        #expect(refusal("\"\"\"k\"\"\" = 1") == "line 1, column 1: a key cannot be a multi-line string")
        #expect(read("\u{FEFF}a = 1")?["a"] == .integer(1))  // a byte-order mark is not part of the document
    }

    @Test func columnsCountCharactersNotBytes() {
        #expect(refusal("name = \"é\" x") == "line 1, column 12: expected the end of the line, found \"x\"")
    }

    @Test func nestingIsBoundedSoAHostileFileCannotExhaustTheStack() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(refusal("v = " + deep) == "line 1, column 69: arrays and inline tables nest deeper than 64 levels")
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(read("v = " + ok) != nil)
    }
}
