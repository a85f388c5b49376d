import CrossguardCore
import CrossguardSim
import CrossguardTOML
import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Every scenario shipped in scenarios/.
let shippedScenarios: [String] = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("scenarios").path))?
    .filter { $0.hasSuffix(".toml") }.sorted() ?? []

/// Loads a scenario with the site and board it names, exactly as `crossguard bench --scenario` does (paths from the root).
func loadScenario(_ name: String) throws -> (site: SiteConfig, board: BoardConfig, scenario: Scenario) {
    let root = repositoryRoot.path + "/"
    let document = try TOMLDocument.load(path: root + "scenarios/" + name).get()
    let named = Scenario.devicePaths(document)
    let device = try DeviceFiles.load(boardPath: root + (named.board ?? "boards/sim.toml"), sitePath: root + (named.site ?? "examples/site.toml")).get()
    let scenario = try Scenario.load(document, file: name, board: device.board, boardFile: "board", tickMs: device.site.tickMs).get()
    return (device.site, device.board, scenario)
}

/// Runs a scenario headless and returns its JSON Lines trace and its timeline.
func trace(_ name: String) throws -> (trace: String, timeline: String) {
    let (site, board, scenario) = try loadScenario(name)
    var trace = ""
    var timeline = ""
    _ = try HeadlessBench.run(site: site, board: board, scenario: scenario, trace: { trace += $0 }, timeline: { timeline += $0 })
    return (trace, timeline)
}

@Suite("Scenarios, golden traces and replay")
struct ScenarioTests {
    @Test func everyScenarioIsCovered() {
        #expect(shippedScenarios.count >= 4, "scenarios/ should hold the shipped scenarios")
    }

    /// Set CROSSGUARD_UPDATE_GOLDEN=1 to rewrite the fixtures after an intended change; review the diff.
    @Test("golden trace", arguments: shippedScenarios)
    func goldenTrace(_ name: String) throws {
        let produced = try trace(name).trace
        let golden = fixtures.appendingPathComponent(name.replacingOccurrences(of: ".toml", with: ".jsonl"))
        if ProcessInfo.processInfo.environment["CROSSGUARD_UPDATE_GOLDEN"] == "1" {
            try produced.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(produced == expected, "\(name) differs from \(golden.lastPathComponent); if the change is intended, rerun with CROSSGUARD_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test("replaying a scenario twice gives byte-identical output", arguments: shippedScenarios)
    func replayIsDeterministic(_ name: String) throws {
        let first = try trace(name)
        let second = try trace(name)
        #expect(first.trace == second.trace)
        #expect(first.timeline == second.timeline)
        #expect(!first.trace.isEmpty)
    }

    @Test func traceLinesAreTheDocumentedShape() throws {
        let lines = try trace("kz-crossing.toml").trace.split(separator: "\n")
        #expect(lines.first == "{\"t_ms\":0,\"type\":\"output\",\"role\":\"vehicle.amber\",\"on\":true}")
        #expect(lines.contains("{\"t_ms\":34000,\"type\":\"event\",\"event\":{\"seq\":3,\"type\":\"demand.served\",\"severity\":\"info\",\"role\":\"ped.button\",\"wait_ms\":21970}}"))
        #expect(lines.contains("{\"t_ms\":41000,\"type\":\"output\",\"role\":\"ped.countdown\",\"value\":10}"))
        #expect(lines.contains("{\"t_ms\":51000,\"type\":\"output\",\"role\":\"ped.countdown\",\"value\":null}"))
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["t_ms"] is Int && object?["type"] is String, "\(line)")
        }
    }

    @Test func sosScenarioDeliversEveryAlarmOnce() throws {
        let text = try trace("sos-alarm.toml").trace
        let alarms = text.split(separator: "\n").filter { $0.contains("\"type\":\"sos.alarm\"") }
        #expect(alarms.count == 4)  // alarm 1 raised and cleared, alarm 2 raised and cleared
        #expect(text.contains("\"command\":\"sos.ack\",\"ok\":false,\"error\":\"alarm 7 is not open (the open alarm is 1)\""))
        #expect(text.split(separator: "\n").filter { $0.contains("sos.button_stuck") }.count == 2)
    }

    @Test func scenarioProblemsNameFileKeyAndRule() throws {
        let board = try DeviceFiles.load(boardPath: repositoryRoot.path + "/boards/sim.toml", sitePath: repositoryRoot.path + "/examples/site.toml").get().board
        let text = """
            duration = "10s"
            [[step]]
            at = "12s"
            input = "ped.buton"
            value = true
            [[step]]
            at = "1s"
            command = { type = "sos.help" }
            [[step]]
            at = "2s"
            input = "ped.button"
            [[step]]
            at = "3s"
            command = { type = "mode.set", mode = "blink" }
            """
        let result = TOMLDocument.parse(text, file: "bad.toml").flatMap { Scenario.load($0, file: "bad.toml", board: board, boardFile: "boards/sim.toml", tickMs: 10) }
        guard case .failure(let errors) = result else { Issue.record("a bad scenario loaded"); return }
        #expect(errors.problems.map(\.description) == [
            "bad.toml: step[0].at = 12 s is after the end of the scenario (duration = 10 s)",
            "bad.toml: step[0].input = \"ped.buton\" is not an input role (known: ped.button, ped.kerb, ped.crossing, sos.button, cabinet.door, mains.ok, battery.low, fault.reset, lamp.<output role>)",
            "bad.toml: step[1].command.type = \"sos.help\" is not a command; one of: sos.ack, sos.close, mode.set, fault.reset, lamp.test",
            "bad.toml: step[2].value is missing; true = active (pressed, present, open), false = released",
            "bad.toml: step[3].command.mode = \"blink\" is not a mode; one of: normal, flash, dark",
        ])
    }

    @Test func inputNotWiredOnTheBoard() throws {
        let sosOnly = try board("name = \"sos\"\nchip = \"c\"\n[[input]]\nrole = \"sos.button\"\noffset = 0\n")
        let result = TOMLDocument.parse("duration = \"5s\"\n[[step]]\nat = \"1s\"\ninput = \"ped.button\"\nvalue = true\n", file: "s.toml")
            .flatMap { Scenario.load($0, file: "s.toml", board: sosOnly, boardFile: "boards/sos.toml", tickMs: 10) }
        guard case .failure(let errors) = result else { Issue.record("loaded"); return }
        #expect(errors.description == "s.toml: step[0].input = \"ped.button\" is not wired on board boards/sos.toml")
    }

    @Test func demoScenarioUsesOnlyWiredInputs() throws {
        let sosOnly = try board("name = \"sos\"\nchip = \"c\"\n[[input]]\nrole = \"sos.button\"\noffset = 0\n")
        let demo = DemoScenario.make(board: sosOnly)
        for step in demo.steps {
            if case .input(let role, _) = step.action { #expect(role == "sos.button") }
        }
        #expect(demo.steps.contains { if case .command(.acknowledgeAlarm) = $0.action { true } else { false } })
    }
}

func board(_ text: String) throws -> BoardConfig {
    try TOMLDocument.parse(text, file: "board.toml").flatMap { BoardConfig.load($0, file: "board.toml") }.get()
}
