import CrossguardCore
import Foundation
import Testing

/// The board file's key table against the loader and the documentation, as `SiteKeysTests` does for
/// the site file.
@Suite("Board-file keys: one table for the loader and the docs")
struct BoardKeysTests {
    /// The keys the loader knows in a table, from its message for an unknown key appended to `text`'s
    /// last table (`path` is how messages name that table: `input[0]`, or empty for the top level).
    static func knownKeys(_ text: String, path: String) -> Set<String> {
        let board = path.isEmpty ? "zz_unknown = 1\n" + text : text + "\nzz_unknown = 1"
        let key = path.isEmpty ? "zz_unknown" : "\(path).zz_unknown"
        guard let problem = boardProblems(board).first(where: { $0.hasPrefix("board.toml: \(key) is not a known key") }),
              let open = problem.range(of: "(known here: ") else { return [] }
        return Set(problem[open.upperBound...].dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    static let top = "name = \"t\"\nchip = \"c\"\n"

    /// Every way a table can be written, so the keys each way reads add up to the whole table.
    static let variants: [String: [(text: String, path: String)]] = [
        "": [(top, "")],
        "input": [
            (top + "[[input]]\nrole = \"ped.button\"\nline = \"GPIO17\"", "input[0]"),
            (top + "[[i2c]]\npart = \"mcp23017\"\nname = \"x1\"\n[[input]]\nrole = \"ped.button\"\nexpander = \"x1\"\npin = \"GPA0\"", "input[0]"),
        ],
        "output": [
            (top + "[[output]]\nrole = \"vehicle.red\"\noffset = 5", "output[0]"),
            (top + "[[i2c]]\npart = \"mcp23017\"\nname = \"x1\"\n[[output]]\nrole = \"ped.wait\"\nexpander = \"x1\"\npin = \"GPA1\"", "output[0]"),
            (top + "[[output]]\nrole = \"ped.countdown\"\nkind = \"simulated\"", "output[0]"),
        ],
        "i2c": ["vl53l0x\"\nrole = \"ped.kerb\"\nfar_mm = 900", "ina226\"\nrole = \"lamp.vehicle.red\"\nshunt_mohm = 100\nlit_above_ma = 40",
                "veml7700\"", "ht16k33\"", "mcp23017\"\nname = \"x1\""].map { (top + "i2c_bus = \"/dev/i2c-1\"\n[[i2c]]\npart = \"" + $0, "i2c[0]") },
    ]

    @Test("the loader knows exactly the table's keys", arguments: ["", "input", "output", "i2c"])
    func loaderKnowsExactlyTheTable(table: String) {
        var known = Set<String>()
        for v in BoardKeysTests.variants[table]! { known.formUnion(BoardKeysTests.knownKeys(v.text, path: v.path)) }
        if table.isEmpty { known.subtract(["input", "output", "i2c"]) }
        #expect(known == Set(BoardKeys.all.filter { $0.table == table }.map(\.name)))
    }

    /// The ranged keys the loader checks with the table's message, each in a table that reads it.
    static let ranged: [(key: SiteKey, table: String)] = [
        (BoardKeys.debounce, top + "[[input]]\nrole = \"ped.button\"\nline = \"GPIO17\""),
        (BoardKeys.nearMm, top + "[[i2c]]\nbus = \"/dev/i2c-1\"\npart = \"vl53l0x\"\nrole = \"ped.kerb\"\nfar_mm = 2000"),
        (BoardKeys.hysteresisMm, top + "[[i2c]]\nbus = \"/dev/i2c-1\"\npart = \"vl53l0x\"\nrole = \"ped.kerb\"\nfar_mm = 900"),
        (BoardKeys.shuntMohm, top + "[[i2c]]\nbus = \"/dev/i2c-1\"\npart = \"ina226\"\nrole = \"lamp.vehicle.red\"\nlit_above_ma = 40"),
        (BoardKeys.litAboveMa, top + "[[i2c]]\nbus = \"/dev/i2c-1\"\npart = \"ina226\"\nrole = \"lamp.vehicle.red\"\nshunt_mohm = 100\ndark_below_ma = 0"),
    ]

    static func text(_ key: SiteKey, _ value: Int) -> String {
        if case .duration = key.value { return "\"\(value)ms\"" }
        return "\(value)"
    }

    @Test("a value just outside a key's range is refused with the key's range, and its bounds are accepted", arguments: 0..<5)
    func rangesAreTheTable(index: Int) throws {
        let (key, table) = BoardKeysTests.ranged[index]
        let bounds: ClosedRange<Int>
        switch key.value {
        case .duration(let r?), .integer(let r?, _): bounds = r
        default: Issue.record("\(key.path) has no whole-number range"); return
        }
        let path = key.table == "input" ? "input[0]" : "i2c[0]"
        for outside in [bounds.lowerBound - 1, bounds.upperBound + 1] where outside >= 0 {
            let problems = boardProblems(table + "\n\(key.name) = \(BoardKeysTests.text(key, outside))")
            let shown = if case .duration = key.value { DurationText.format(milliseconds: outside) } else { "\(outside)" }
            #expect(problems.contains("board.toml: \(path).\(key.name) \(key.outside(shown))"), "\(problems)")
        }
        for inside in [bounds.lowerBound, bounds.upperBound] {
            let problems = boardProblems(table + "\n\(key.name) = \(BoardKeysTests.text(key, inside))")
            #expect(!problems.contains { $0.contains(".\(key.name) ") }, "\(key.name) = \(inside): \(problems)")
        }
    }

    @Test("the documentation's board key tables are the table's", arguments: BoardKeys.documentedTables.map(\.title))
    func docsAreTheTable(title: String) throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let tables = BoardKeys.documentedTables.first { $0.title == title }!.tables
        let wanted = SiteKeys.markdown(tables, keys: BoardKeys.all)
        #expect(text.contains(wanted + "\n"), "docs/configuration.md has no table equal to `crossguard check-config --keys` [board: \(title)]:\n\(wanted)")
    }
}
