import CrossguardCore
import Foundation
import Testing

/// The one table of site-file keys against what reads it and what documents it: the loader must know
/// exactly the keys of the table and enforce exactly their ranges, and the documentation's tables must be
/// the table's own.
@Suite("Site-file keys: one table for the loader and the docs")
struct SiteKeysTests {
    /// A valid site whose table `key.table` exists and ends the text, so a line appended lands in it.
    static func site(for key: SiteKey) -> String {
        if key.profiles == [.hybridBeacon] { return hybridSite }
        switch key.table {
        case "crossing": return "device_id = \"kz-test-1\"\n[crossing]\nlength_m = 10.5"
        case "beacon": return "device_id = \"b\"\nprofile = \"beacon\"\n[beacon]\nlength_m = 9.0"
        case "": return "device_id = \"kz-test-1\""
        default: return baseSite + "\n[\(key.table)]"
        }
    }

    /// Milliseconds as a duration string in seconds (`"2592000.001s"`): the loader's text takes at most
    /// nine digits before the point.
    static func seconds(_ ms: Int) -> String {
        let fraction = String(ms % 1000)
        return "\"\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count) + fraction)s\""
    }

    static func line(_ key: SiteKey, _ value: String) -> String {
        key.table.isEmpty ? "\(key.name) = \(value)\n" + site(for: key) : site(for: key) + "\n\(key.name) = \(value)"
    }

    /// Keys whose range the loader states in a message of its own (the tick's divisors of 1 s, the walk's
    /// two minimums, the watchdog's whole seconds); their rules have tests in `SiteConfigTests`.
    static let ownMessages: Set<String> = ["tick", "crossing.walk", "daemon.watchdog_timeout"]

    /// Every key with a range and the loader's plain message for it.
    static let ranged: [SiteKey] = SiteKeys.all.filter { $0.value.rangeText != nil && !ownMessages.contains($0.path) }

    @Test("a value just outside a key's range is refused with the key's range and reason", arguments: ranged)
    func justOutsideIsRefused(key: SiteKey) {
        var cases: [(text: String, shown: String)] = []
        switch key.value {
        case .duration(let r?):
            cases.append((SiteKeysTests.seconds(r.upperBound + 1), DurationText.format(milliseconds: r.upperBound + 1)))
            if r.lowerBound > 0 { cases.append((SiteKeysTests.seconds(r.lowerBound - 1), DurationText.format(milliseconds: r.lowerBound - 1))) }
        case .integer(let r?, _):
            cases.append(("\(r.upperBound + 1)", "\(r.upperBound + 1)"))
            cases.append(("\(r.lowerBound - 1)", "\(r.lowerBound - 1)"))
        case .number(let r?, _, _):
            let above = ((r.upperBound + 0.01) * 1000).rounded() / 1000, below = ((r.lowerBound - 0.01) * 1000).rounded() / 1000
            cases.append(("\(above)", "\(above)"))
            cases.append(("\(below)", "\(below)"))
        default:
            Issue.record("\(key.path) has a range text but no range")
        }
        #expect(!cases.isEmpty)
        for c in cases {
            let problems = siteProblems(SiteKeysTests.line(key, c.text))
            #expect(problems.contains("site.toml: \(key.path) \(key.outside(c.shown))"), "\(key.path) = \(c.text): \(problems)")
        }
    }

    @Test("the bounds of a plain range are accepted", arguments: ranged.filter { $0.value.rangeText != nil })
    func boundsAreAccepted(key: SiteKey) {
        var values: [String] = []
        switch key.value {
        case .duration(let r?): values = [SiteKeysTests.seconds(r.lowerBound), SiteKeysTests.seconds(r.upperBound)]
        case .integer(let r?, _): values = ["\(r.lowerBound)", "\(r.upperBound)"]
        case .number(let r?, _, _): values = ["\(r.lowerBound)", "\(r.upperBound)"]
        default: break
        }
        for value in values {
            // Another rule may refuse a bound (a long green breaks the worst-case wait): only this key's
            // own range must not.
            let problems = siteProblems(SiteKeysTests.line(key, value)).filter { $0.hasPrefix("site.toml: \(key.path) = ") && $0.contains(" is outside ") }
            #expect(problems.isEmpty, "\(key.path) = \(value): \(problems)")
        }
    }

    /// The keys the loader knows in a table, from its message for an unknown key.
    static func knownKeys(in table: String, site: String) -> Set<String> {
        let text = table.isEmpty ? "zz_unknown = 1\n" + site : site + "\nzz_unknown = 1"
        let key = table.isEmpty ? "zz_unknown" : "\(table).zz_unknown"
        guard let problem = siteProblems(text).first(where: { $0.hasPrefix("site.toml: \(key) is not a known key") }),
              let open = problem.range(of: "(known here: ") else { return [] }
        let list = problem[open.upperBound...].dropLast()
        return Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    @Test("the loader knows exactly the table's keys", arguments: ["", "flash", "safety", "crossing", "beacon", "sos", "uplink", "daemon"])
    func loaderKnowsExactlyTheTable(table: String) {
        let sample = SiteKeys.all.first { $0.table == table }!
        let tables: Set<String> = ["flash", "safety", "crossing", "beacon", "sos", "uplink", "daemon"]
        var known = SiteKeysTests.knownKeys(in: table, site: SiteKeysTests.site(for: sample))
        if table.isEmpty { known.subtract(tables) }
        #expect(known == Set(SiteKeys.all.filter { $0.table == table }.map(\.name)))
    }

    @Test("the documentation's key tables are the table's", arguments: SiteKeys.documentedTables.map(\.title))
    func docsAreTheTable(title: String) throws {
        let doc = title == "uplink" ? "docs/uplink.md" : "docs/configuration.md"
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(doc), encoding: .utf8)
        let tables = SiteKeys.documentedTables.first { $0.title == title }!.tables
        let wanted = SiteKeys.markdown(tables)
        #expect(text.contains(wanted + "\n"), "\(doc) has no table equal to `crossguard check-config --keys` [\(title)]:\n\(wanted)")
    }
}

extension SiteKey: CustomTestStringConvertible {
    public var testDescription: String { path }
}
