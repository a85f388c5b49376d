import CrossguardTestSupport
import Foundation
import Testing

/// `crossguard diag` as the technician runs it: the built binary, its text and JSON reports and its exit
/// status, on the simulated board and on boards this machine cannot have.
@Suite("crossguard diag")
struct DiagTests {
    /// Runs `crossguard diag` with `arguments` to its end: the exit status and what it printed.
    func diag(_ arguments: [String], _ scratch: Scratch) throws -> (status: Int32, output: String) {
        let child = try crossguard(["diag", "--duration", "100ms"] + arguments, scratch: scratch, log: "diag-\(UUID().uuidString.prefix(8)).out")
        let status = try #require(child.wait(seconds: 30), "diag did not finish in 30 s")
        return (status, child.text)
    }

    /// The checks whose findings depend on the machine (its kernel, libgpiod, clock, scheduler): the
    /// snapshot keeps their ids and order, not their words.
    private static let machineDependent: Set<String> = ["version.libgpiod", "version.kernel", "rt.timer_slack", "rt.latency", "clock.sync"]

    /// The report with the machine's own findings reduced to their ids, and the remedies and summary kept.
    private func normalized(_ text: String) -> String {
        var machines = false  // the line before was the machine's own finding: its remedy goes too
        return text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> String? in
            let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            if words.count >= 2, ["PASS", "WARN", "FAIL", "SKIP"].contains(words[0]) {
                machines = Self.machineDependent.contains(String(words[1]))
                if machines { return "(this machine)  \(words[1])" }
            } else if machines && line.contains("-> ") {
                return nil
            }
            if line.hasPrefix("diag: ") { return "diag: (counts)" }
            return String(line)
        }.joined(separator: "\n")
    }

    /// The lines of a text report as (status, id).
    func findings(_ text: String) -> [(status: String, id: String, detail: String)] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard words.count == 3, ["PASS", "WARN", "FAIL", "SKIP"].contains(words[0]) else { return nil }
            return (String(words[0]), String(words[1]), words[2].trimmingCharacters(in: .whitespaces))
        }
    }

    @Test func theSimulatedBoardPassesAndReadsAsTheSnapshot() throws {
        let scratch = Scratch()
        let (status, output) = try diag([], scratch)
        let found = findings(output)
        #expect(!found.contains { $0.status == "FAIL" }, "\(output)")
        // A wake-up later than a tick on a loaded machine is a warning, and only that one may appear.
        let warnings = found.filter { $0.status == "WARN" }.map(\.id)
        #expect(warnings.allSatisfy { $0 == "rt.latency" }, "\(output)")
        #expect(status == (warnings.isEmpty ? 0 : 2), "\(output)")
        let expected = try String(contentsOfFile: packageRoot + "/Tests/CrossguardIntegrationTests/Fixtures/diag-simulated.txt", encoding: .utf8)
        #expect(normalized(output) == expected, "\(output)")
    }

    @Test func theJSONReportFollowsItsSchemaAndTheText() throws {
        let scratch = Scratch()
        let (status, json) = try diag(["--json"], scratch)
        let schema = try JSONSchemaSubset.load("diag")
        #expect(schema.errors(in: Array(json.utf8)) == [], "\(json)")
        let (_, text) = try diag([], scratch)
        // Same checks in the same order (the latency trial may differ between two runs, nothing else).
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.compactMap { $0["id"] as? String } == findings(text).map(\.id))
        let ids = checks.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == ids.count, "ids are unique")
        #expect(object["result"] as? String == [0: "pass", 2: "warn", 1: "fail"][status])
        #expect(object["simulated"] as? Bool == true)
    }

    @Test func aMissingChipIsOneFailureWithItsRemedyAndItsLinesAreSkipped() throws {
        let scratch = Scratch()
        let board = scratch.path + "/board.toml"
        let sim = try String(contentsOfFile: packageRoot + "/boards/sim.toml", encoding: .utf8)
        try sim.replacingOccurrences(of: #"chip = "crossguard-sim""#, with: #"chip = "no-such-chip""#)
            .write(toFile: board, atomically: true, encoding: .utf8)
        let (status, output) = try diag(["--board", board, "--site", packageRoot + "/examples/site.toml", "--state-dir", scratch.dir("state")], scratch)
        #expect(status == 1, "\(output)")
        let found = findings(output)
        let chip = try #require(found.first { $0.id == "gpio.chip.no-such-chip" }, "\(output)")
        #expect(chip.status == "FAIL")
        #expect(chip.detail.hasPrefix(#"no GPIO chip labelled "no-such-chip""#), "\(output)")
        // The remedy is on the line under it.
        let lines = output.split(separator: "\n").map(String.init)
        let at = try #require(lines.firstIndex { $0.contains("gpio.chip.no-such-chip") })
        #expect(lines[at + 1].contains("-> "), "\(output)")
        #expect(lines[at + 1].contains("boot the board's own kernel") || lines[at + 1].contains("set chip = to one of"), "\(output)")
        let lineChecks = found.filter { $0.id.hasPrefix("gpio.line.") }
        #expect(lineChecks.count == 33)
        #expect(lineChecks.allSatisfy { $0.status == "SKIP" && $0.detail.hasSuffix(#"its chip "no-such-chip" is missing or unreadable"#) }, "\(output)")
        #expect(found.first { $0.id == "state.dir" }?.status == "PASS", "\(output)")
    }

    @Test func aFileThatDoesNotLoadFailsTheConfigurationCheckWithEveryProblem() throws {
        let scratch = Scratch()
        let site = try testSite(scratch)
        let text = try String(contentsOfFile: site, encoding: .utf8)
        try text.replacingOccurrences(of: "walking_speed_mps = 1.07", with: "walking_speed_mps = 3.0")
            .replacingOccurrences(of: #"amber = "3s""#, with: #"amber = "fast""#)
            .write(toFile: site, atomically: true, encoding: .utf8)
        let (status, json) = try diag(["--site", site, "--json"], scratch)
        #expect(status == 1, "\(json)")
        #expect(try JSONSchemaSubset.load("diag").errors(in: Array(json.utf8)) == [], "\(json)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let checks = try #require(object["checks"] as? [[String: Any]])
        let config = try #require(checks.first { $0["id"] as? String == "config" })
        #expect(config["status"] as? String == "fail")
        let detail = try #require(config["detail"] as? String)
        #expect(detail.contains("walking_speed_mps") && detail.contains("amber"), "\(detail)")
        #expect((config["remedy"] as? String)?.contains("crossguard check-config --board boards/sim.toml --site \(site)") == true)
    }

    @Test func aMissingStateDirectoryIsAFailureThatSaysHowToMakeIt() throws {
        let scratch = Scratch()
        let missing = scratch.path + "/no-state-here"
        let (status, output) = try diag(["--simulated", "--state-dir", missing], scratch)
        #expect(status == 1, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        let at = try #require(lines.firstIndex { $0.hasPrefix("FAIL  state.dir") }, "\(output)")
        #expect(lines[at].hasSuffix("\(missing) does not exist"))
        #expect(lines[at + 1].contains("-> make it: sudo install -d -o crossguard -g crossguard -m 0750 \(missing)"), "\(output)")
    }
}
