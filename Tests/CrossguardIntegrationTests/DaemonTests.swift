import CrossguardTestSupport
import Foundation
import Testing

/// `crossguard run` as a process: the daemon's life on the simulated board (no GPIO on this machine), its
/// uplink, its stop by signal, and its start-up errors through the real libgpiod.
@Suite("The daemon, run", .serialized)
struct DaemonTests {
    @Test func reportsOverMQTTAnswersDiagAndStopsCleanlyOnSIGTERM() throws {
        let scratch = Scratch()
        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker)
        let site = try testSite(scratch)
        let device = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated",
                                     "--state-dir", scratch.dir("state"), "--broker", broker.url], scratch: scratch, log: "run.log")
        let started = sub.wait(seconds: 15) { s in
            s.lines.contains { $0.hasPrefix("crossguard/it-device/events ") && $0.contains("\"type\":\"controller.started\"") }
                && s.lines.contains("crossguard/it-device/presence online")
                && s.lines.contains { $0.hasPrefix("crossguard/it-device/status ") }
        }
        #expect(started, "\(sub.lines)\n\(device.text)")
        try publish(broker, topic: "crossguard/it-device/cmd", #"{"id":"d1","issued_at":"\#(isoNow())","type":"diag.run"}"#)
        sub.wait(seconds: 10) { $0.lines.contains { $0.hasPrefix("crossguard/it-device/cmd/result ") } }
        let reply = sub.lines.first { $0.hasPrefix("crossguard/it-device/cmd/result ") } ?? ""
        #expect(reply.contains(#""id":"d1","type":"diag.run","ok":true"#), "\(reply)")
        #expect(reply.contains(#""lateness_us":{"p50":"#) && reply.contains(#""latch":"ok""#), "\(reply)")
        // The daemon's own checks: the document diag --json prints, the last member of the result.
        if let at = reply.range(of: #","diag":"#), reply.hasSuffix("}}") {
            let document = String(reply[at.upperBound...].dropLast(2))
            #expect(try JSONSchemaSubset.load("diag").errors(in: Array(document.utf8)) == [], "\(document)")
            let json = reply.dropFirst("crossguard/it-device/cmd/result ".count)
            #expect(try JSONSchemaSubset.load("command-result").errors(in: Array(json.utf8)) == [], "\(json)")
            #expect(document.contains(#""id":"gpio.lines","status":"pass""#), "\(document)")
            #expect(document.contains(#""id":"rt.latency","status":"#) && document.contains(#""id":"state.format","status":"pass""#), "\(document)")
            #expect(document.contains(#""detail":"board sim and site it-device, as loaded at the start""#), "\(document)")
        } else {
            Issue.record("no diag document at the end of \(reply)")
        }

        device.process.terminate()  // SIGTERM
        #expect(device.wait(seconds: 10) == 0, "\(device.text)")
        #expect(device.text.contains("outputs left inactive"), "\(device.text)")
        // The device said offline itself (a clean DISCONNECT discards the will), after its online.
        #expect(sub.wait(seconds: 5) { $0.lines.last { $0.hasPrefix("crossguard/it-device/presence ") } == "crossguard/it-device/presence offline" },
                "\(sub.lines.filter { $0.contains("presence") })")
    }

    @Test func withNoBrokerEventsAreShownAndKeptThenDeliveredWhenOneIsGiven() throws {
        let scratch = Scratch()
        let state = scratch.dir("state")
        let site = try testSite(scratch)
        let offline = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated", "--state-dir", state],
                                     scratch: scratch, log: "offline.log")
        #expect(waitUntil(seconds: 10) { offline.text.contains(#""type":"controller.started""#) }, "\(offline.text)")
        kill(offline.process.processIdentifier, SIGINT)
        #expect(offline.wait(seconds: 10) == 0, "\(offline.text)")
        let shown = offline.text.split(separator: "\n").first { $0.hasPrefix("event ") && $0.contains("controller.started") }
        let seq = shown.flatMap { line in line.range(of: "\"seq\":").map { String(line[$0.upperBound...].prefix(while: \.isNumber)) } }
        #expect(seq != nil, "\(offline.text)")

        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker)
        let online = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated", "--state-dir", state,
                                     "--broker", broker.url], scratch: scratch, log: "online.log")
        // The first run's event arrives from the outbox, then the second run's own start.
        let delivered = sub.wait(seconds: 15) { s in
            s.seqs.contains(UInt64(seq ?? "0") ?? 0) && s.lines.filter { $0.contains("controller.started") }.count >= 2
        }
        #expect(delivered, "\(sub.lines)\n\(online.text)")
        online.process.terminate()
        #expect(online.wait(seconds: 10) == 0, "\(online.text)")
    }

    @Test func aStateDirectoryOfANewerFormatIsRefusedAndLeftExactlyAsItWas() throws {
        let scratch = Scratch()
        let state = scratch.dir("state")
        let site = try testSite(scratch)
        // A first run marks the directory with this binary's format and leaves its outbox there.
        let first = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated", "--state-dir", state],
                                   scratch: scratch, log: "first.log")
        #expect(waitUntil(seconds: 10) { first.text.contains(#""type":"controller.started""#) }, "\(first.text)")
        first.process.terminate()
        #expect(first.wait(seconds: 10) == 0, "\(first.text)")
        let mark = try String(contentsOfFile: state + "/state-format", encoding: .utf8)
        #expect(mark.hasPrefix("format 1\nwritten-by crossguard "), "\(mark)")
        // diag reads the mark and the outbox the run left (no broker: its events wait there).
        let healthy = try crossguard(["diag", "--simulated", "--site", site, "--state-dir", state, "--duration", "10ms"], scratch: scratch, log: "healthy.log")
        #expect(healthy.wait(seconds: 20) != 1, "\(healthy.text)")
        let outboxLine = healthy.text.split(separator: "\n").first { $0.contains(" outbox ") } ?? ""
        #expect(outboxLine.hasPrefix("PASS  outbox") && outboxLine.contains(" waiting, ") && outboxLine.contains("; the oldest from "), "\(healthy.text)")
        #expect(healthy.text.contains("PASS  state.format"), "\(healthy.text)")

        // As after a rollback: a newer binary wrote format 2. This one refuses, and changes nothing.
        try "format 2\nwritten-by crossguard 9.0.0\n".write(toFile: state + "/state-format", atomically: true, encoding: .utf8)
        func snapshot() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: state) {
                files[name] = FileManager.default.contents(atPath: state + "/" + name)
            }
            return files
        }
        let before = try snapshot()
        #expect(before.count > 1, "the outbox is there: \(before.keys)")
        let refused = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated", "--state-dir", state],
                                     scratch: scratch, log: "refused.log")
        // Exit 78, which the unit's RestartPreventExitStatus= keeps systemd from restarting every 2 s.
        #expect(refused.wait(seconds: 10) == 78, "\(refused.text)")
        #expect(refused.text.contains("state directory \(state) is in state format 2, written by crossguard 9.0.0; this crossguard "), "\(refused.text)")
        #expect(refused.text.contains("reads format 1 only, so it changes nothing there. Install crossguard 9.0.0 or newer again"), "\(refused.text)")
        #expect(!refused.text.contains("controller.started"), "\(refused.text)")
        #expect(try snapshot() == before)
        // diag says the same, and changes nothing either.
        let diag = try crossguard(["diag", "--simulated", "--site", site, "--state-dir", state, "--duration", "10ms"], scratch: scratch, log: "diag.log")
        #expect(diag.wait(seconds: 20) == 1, "\(diag.text)")
        #expect(diag.text.contains("FAIL  state.format"), "\(diag.text)")
        #expect(diag.text.contains("format 2, written by crossguard 9.0.0; this crossguard "), "\(diag.text)")
        #expect(diag.text.contains("install crossguard 9.0.0 or newer again (/usr/share/doc/crossguard/deploy.md, rolling back)"), "\(diag.text)")
        #expect(try snapshot() == before)

        // A mark that is not one at all is refused the same way.
        try "garbage".write(toFile: state + "/state-format", atomically: true, encoding: .utf8)
        let garbled = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated", "--state-dir", state],
                                     scratch: scratch, log: "garbled.log")
        #expect(garbled.wait(seconds: 10) == 78, "\(garbled.text)")
        #expect(garbled.text.contains("\(state)/state-format is not a state mark crossguard knows (its first line is not \"format N\""), "\(garbled.text)")
    }

    @Test func aBoardWhoseChipIsMissingIsAStartUpErrorNamingTheRoleAndTheFile() throws {
        let scratch = Scratch()
        let board = scratch.path + "/board.toml"
        try missingChipBoard.write(toFile: board, atomically: true, encoding: .utf8)
        let sitePath = try testSite(scratch, example: "sos-post.toml")
        // Real libgpiod: this machine has no GPIO chip at all, so the chip cannot be found.
        let device = try crossguard(["run", "--board", board, "--site", sitePath, "--state-dir", scratch.dir("state")], scratch: scratch, log: "run.log")
        #expect(device.wait(seconds: 10) == 1, "\(device.text)")
        #expect(device.text.contains(board) && device.text.contains("sos.button") && device.text.contains("no-such-chip/SOS_BUTTON"), "\(device.text)")
    }

    @Test func aBoardWhoseI2CPartIsMissingIsAStartUpErrorNamingThePart() throws {
        let scratch = Scratch()
        let board = scratch.path + "/board.toml"
        // This machine has neither the simulator's chip nor an I2C bus: both are named in one start.
        let sim = try String(contentsOfFile: packageRoot + "/boards/sim.toml", encoding: .utf8)
        try (sim.replacingOccurrences(of: "[[output]]\nrole = \"ped.countdown\"\nkind = \"simulated\"", with: "")
             + "\n[[i2c]]\npart = \"vl53l0x\"\nbus = \"/dev/i2c-77\"\nrole = \"ped.kerb.2\"\nfar_mm = 1200\n")
            .write(toFile: board, atomically: true, encoding: .utf8)
        let device = try crossguard(["run", "--board", board, "--site", try testSite(scratch), "--state-dir", scratch.dir("state")],
                                    scratch: scratch, log: "run.log")
        #expect(device.wait(seconds: 10) == 1, "\(device.text)")
        #expect(device.text.contains(board) && device.text.contains("ped.kerb.2: vl53l0x at 0x29 on /dev/i2c-77") && device.text.contains("crossguard-sim"),
                "\(device.text)")
    }

    @Test func aBoardWhoseExpanderIsMissingIsAStartUpErrorNamingItsRolesPartAddressAndBus() throws {
        let scratch = Scratch()
        let board = scratch.path + "/board.toml"
        try expanderSimBoard(bus: "/dev/i2c-77").write(toFile: board, atomically: true, encoding: .utf8)
        let device = try crossguard(["run", "--board", board, "--site", try testSite(scratch), "--state-dir", scratch.dir("state")],
                                    scratch: scratch, log: "run.log")
        #expect(device.wait(seconds: 10) == 1, "\(device.text)")
        #expect(device.text.contains("run: \(board): ped.button.2, ped.wait: mcp23017 x1 at 0x21 on /dev/i2c-77"), "\(device.text)")
    }

    /// `run --simulated` drives the expander lines through the real driver, the sensor thread and the
    /// composite bank, on a register file like i2c-stub's.
    @Test func theSimulatedDaemonRunsABoardWithExpanderLinesAndStopsCleanly() throws {
        let scratch = Scratch()
        let board = scratch.path + "/board.toml"
        try expanderSimBoard(bus: "/dev/i2c-1").write(toFile: board, atomically: true, encoding: .utf8)
        let device = try crossguard(["run", "--board", board, "--site", try testSite(scratch), "--simulated", "--state-dir", scratch.dir("state")],
                                    scratch: scratch, log: "run.log")
        #expect(waitUntil(seconds: 10) { device.text.contains(#""type":"controller.started""#) }, "\(device.text)")
        usleep(300_000)                                           // some ticks with the sensor thread polling
        device.process.terminate()
        #expect(device.wait(seconds: 10) == 0, "\(device.text)")
        #expect(device.text.contains(" 0 hardware errors") && device.text.contains("outputs left inactive"), "\(device.text)")
        #expect(!device.text.contains("detector.fault"), "\(device.text)")
    }

    @Test func diagListsEveryLineAndPartThatDoesNotAnswer() throws {
        let scratch = Scratch()
        let board = scratch.path + "/board.toml"
        try (missingChipBoard + """

        [[i2c]]
        part = "ina219"
        bus = "/dev/i2c-77"
        role = "lamp.sos.green"
        shunt_mohm = 100
        lit_above_ma = 40
        """).write(toFile: board, atomically: true, encoding: .utf8)
        // The chip and the bus are missing: one failure each, with its remedy, and what is on them skipped.
        let diag = try crossguard(["diag", "--board", board, "--site", try testSite(scratch, example: "sos-post.toml"), "--state-dir", scratch.path,
                                   "--duration", "100ms"], scratch: scratch, log: "diag.log")
        #expect(diag.wait(seconds: 20) == 1, "\(diag.text)")
        let lines = diag.text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        for line in [#"FAIL gpio.chip.no-such-chip no GPIO chip labelled "no-such-chip""#,
                     #"SKIP gpio.line.sos.button no-such-chip/SOS_BUTTON: its chip "no-such-chip" is missing or unreadable"#,
                     #"SKIP gpio.line.sos.yellow no-such-chip/SOS_YELLOW: its chip "no-such-chip" is missing or unreadable"#,
                     #"SKIP gpio.line.sos.green no-such-chip/SOS_GREEN: its chip "no-such-chip" is missing or unreadable"#,
                     "FAIL access.i2c-77 /dev/i2c-77 does not exist",
                     "-> enable the bus: add dtparam=i2c_arm=on to /boot/firmware/config.txt and reboot (and sudo modprobe i2c-dev)",
                     "SKIP i2c.i2c-77.0x40 lamp.sos.green: ina219 at 0x40 on /dev/i2c-77: its bus /dev/i2c-77 is missing"] {
            #expect(lines.contains { $0.hasPrefix(line) }, "\(line)\n\(diag.text)")
        }
        #expect(lines.filter { $0.hasPrefix("FAIL") }.count == 2, "\(diag.text)")
    }

    @Test func runWithoutAStateDirectoryIsRefused() throws {
        let scratch = Scratch()
        let device = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", try testSite(scratch), "--simulated"],
                                    scratch: scratch, log: "run.log")
        #expect((device.wait(seconds: 10) ?? 0) != 0, "\(device.text)")
        #expect(device.text.contains("--state-dir"), "\(device.text)")
    }

    @Test func theDevicesBinaryHasNoLoadTools() throws {
        // The load tools flood the outbox and the broker: they live in crossguard-load, never on a device.
        let scratch = Scratch()
        for tool in ["uplink-load", "outbox-load"] {
            let device = try crossguard([tool], scratch: scratch, log: "\(tool).log")
            #expect((device.wait(seconds: 10) ?? 0) != 0, "\(device.text)")
            #expect(device.text.contains("Unexpected argument '\(tool)'"), "\(device.text)")
            let tools = try crossguardLoad([tool, "--help"], scratch: scratch, log: "load-\(tool).log")
            #expect(tools.wait(seconds: 10) == 0, "\(tools.text)")
        }
    }
}

/// An SOS post's board on a chip no machine has: every line is "not found" through the real libgpiod.
let missingChipBoard = """
    name = "missing"
    chip = "no-such-chip"
    [[input]]
    role = "sos.button"
    line = "SOS_BUTTON"
    [[output]]
    role = "sos.yellow"
    line = "SOS_YELLOW"
    [[output]]
    role = "sos.green"
    line = "SOS_GREEN"
    """

/// The simulated board with its second push button and its wait lamp on an MCP23017 at 0x21 on `bus`.
func expanderSimBoard(bus: String) throws -> String {
    let sim = try String(contentsOfFile: packageRoot + "/boards/sim.toml", encoding: .utf8)
    let moved = sim
        .replacingOccurrences(of: "role = \"ped.button.2\"\nline = \"PED_BUTTON_B\"", with: "role = \"ped.button.2\"\nexpander = \"x1\"\npin = \"GPA0\"")
        .replacingOccurrences(of: "role = \"ped.wait\"\nline = \"LAMP_PED_WAIT\"", with: "role = \"ped.wait\"\nexpander = \"x1\"\npin = \"GPB0\"")
    guard moved.contains("pin = \"GPA0\"") && moved.contains("pin = \"GPB0\"") else { throw CocoaError(.fileReadCorruptFile) }
    return moved + "\n[[i2c]]\npart = \"mcp23017\"\nname = \"x1\"\naddress = 0x21\nbus = \"\(bus)\"\n"
}

/// Polls `condition` every 50 ms for at most `seconds`.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}
