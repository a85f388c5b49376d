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

    @Test func aBoardWhoseChipIsMissingIsAStartUpErrorNamingTheRoleAndTheFile() throws {
        let scratch = Scratch()
        let board = scratch.path + "/board.toml"
        try """
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
        """.write(toFile: board, atomically: true, encoding: .utf8)
        let sitePath = try testSite(scratch, example: "sos-post.toml")
        // Real libgpiod: this machine has no GPIO chip at all, so the chip cannot be found.
        let device = try crossguard(["run", "--board", board, "--site", sitePath, "--state-dir", scratch.dir("state")], scratch: scratch, log: "run.log")
        #expect(device.wait(seconds: 10) == 1, "\(device.text)")
        #expect(device.text.contains(board) && device.text.contains("sos.button") && device.text.contains("no-such-chip/SOS_BUTTON"), "\(device.text)")
    }

    @Test func runWithoutAStateDirectoryIsRefused() throws {
        let scratch = Scratch()
        let device = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", try testSite(scratch), "--simulated"],
                                    scratch: scratch, log: "run.log")
        #expect((device.wait(seconds: 10) ?? 0) != 0, "\(device.text)")
        #expect(device.text.contains("--state-dir"), "\(device.text)")
    }
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
