import Foundation
import Testing

/// Publishes one message with `mosquitto_pub` (QoS 1).
func publish(_ broker: Broker, topic: String, _ payload: String, extra: [String] = []) throws {
    let pub = try Child("/usr/bin/mosquitto_pub", ["-h", "127.0.0.1", "-p", "\(broker.port)", "-t", topic, "-q", "1", "-m", payload] + extra,
                        output: broker.scratch.path + "/pub.log")
    #expect(pub.wait(seconds: 10) == 0, "\(pub.text)")
}

func isoNow(offset: TimeInterval = 0) -> String {
    let f = ISO8601DateFormatter()
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: Date().addingTimeInterval(offset))
}

@Suite("Centre commands over a real Mosquitto broker", .serialized)
struct CommandTests {
    @Test func commandsRoundTripThroughTheCoreAndBadOnesGetPreciseErrors() throws {
        let scratch = Scratch()
        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker)
        // An SOS post pressed at 1 s, running in real time for a minute.
        let sitePath = try testSite(scratch, example: "sos-post.toml")
        let scenario = scratch.path + "/press.toml"
        try """
        duration = "25s"
        [[step]]
        at = "1s"
        input = "sos.button"
        value = true
        [[step]]
        at = "1.5s"
        input = "sos.button"
        value = false
        """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let device = try crossguard(["bench", "--site", sitePath, "--scenario", scenario, "--speed", "1", "--quiet",
                                     "--state-dir", scratch.dir("state"), "--broker", broker.url], scratch: scratch, log: "device.log")
        #expect(sub.wait(seconds: 20) { $0.lines.contains { $0.contains("\"type\":\"sos.alarm\"") } }, "\(device.text)")
        let cmd = "crossguard/it-device/cmd"
        try publish(broker, topic: cmd, #"{"id":"a1","issued_at":"\#(isoNow())","type":"sos.ack","alarm":1}"#)
        try publish(broker, topic: cmd, #"{"id":"a2","issued_at":"\#(isoNow())","type":"sos.ack","alarm":9}"#)
        try publish(broker, topic: cmd, #"{"id":"a3","issued_at":"\#(isoNow(offset: -3600))","type":"sos.close"}"#)
        try publish(broker, topic: cmd, #"{"id":"a4","issued_at":"\#(isoNow())","type":"sos.reboot"}"#)
        try publish(broker, topic: cmd, "not json at all")
        try publish(broker, topic: cmd, #"{"id":"a5","issued_at":"\#(isoNow())","type":"diag.run"}"#)
        try publish(broker, topic: cmd, #"{"id":"a6","issued_at":"\#(isoNow())","type":"sos.close","alarm":1}"#)
        try publish(broker, topic: cmd, #"{"id":"a6","issued_at":"\#(isoNow())","type":"sos.close","alarm":1}"#)  // a retry
        let results = { (s: Subscriber) in s.lines.filter { $0.hasPrefix("crossguard/it-device/cmd/result ") } }
        // The retry of a6 is answered again when it comes after the answer, and not at all while the first is
        // still in the core (its answer is on the way): 7 or 8 replies.
        sub.wait(seconds: 20) { results($0).count >= 7 && results($0).contains { $0.contains(#""id":"a6""#) } }
        let replies = results(sub).map { String($0.dropFirst("crossguard/it-device/cmd/result ".count)) }
        #expect(replies.contains(#"{"id":"a1","type":"sos.ack","ok":true,"error":null}"#), "\(replies)")
        #expect(replies.contains(#"{"id":"a2","type":"sos.ack","ok":false,"error":"alarm 9 is not open (the open alarm is 1)"}"#), "\(replies)")
        #expect(replies.contains { $0.hasPrefix(#"{"id":"a3","type":"sos.close","ok":false,"error":"issued_at "#) && $0.contains("older than the 300 s command window") })
        #expect(replies.contains { $0.hasPrefix(#"{"id":"a4","type":"sos.reboot","ok":false,"error":"type = \"sos.reboot\" is not a command"#) })
        #expect(replies.contains { $0.hasPrefix(#"{"id":null,"type":null,"ok":false,"error":"the command is not JSON"#) })
        #expect(replies.contains { $0.hasPrefix(#"{"id":"a5","type":"diag.run","ok":true,"error":null,"result":{"ticks":{"count":"#) })
        #expect((1...2).contains(replies.filter { $0 == #"{"id":"a6","type":"sos.close","ok":true,"error":null}"# }.count), "\(replies)")
        // The core acted on the valid ones: acknowledged, then closed once; the device is still running.
        #expect(sub.lines.contains { $0.contains("\"type\":\"sos.acknowledged\"") })
        #expect(sub.lines.filter { $0.contains("\"type\":\"sos.alarm\"") && $0.contains("\"state\":\"cleared\"") }.count == 1)
        #expect(device.process.isRunning, "\(device.text)")
        #expect(sub.lines.contains { $0.hasPrefix("crossguard/it-device/status {") && $0.contains("\"alarm\":{\"id\":1") })
        device.terminate()
    }
}

@Suite("TLS and mutual TLS against a real Mosquitto broker", .serialized)
struct TLSTests {
    @Test func mutualTLSDeliversAndARejectedCertificateGivesAClearErrorAndRetries() throws {
        let scratch = Scratch()
        let certs = scratch.dir("certs")
        try makeTestCertificates(certs)
        let tlsPort = freePort()
        let broker = try Broker(scratch: scratch, extra: mutualTLSListener(tlsPort, certs: certs))
        try waitForPort(tlsPort)
        let sub = try Subscriber(broker: broker)
        let good = try testSite(scratch, uplink: """
            broker = "mqtts://127.0.0.1:\(tlsPort)"
            ca_file = "\(certs)/ca.pem"
            cert_file = "\(certs)/client.pem"
            key_file = "\(certs)/client.key"
            """)
        let device = try crossguardLoad(["uplink-load", "--site", good, "--count", "500", "--state-dir", scratch.dir("good")], scratch: scratch, log: "good.log")
        #expect(device.wait(seconds: 60) == 0, "\(device.text)")
        sub.wait(seconds: 10) { $0.seqs.count >= 500 }
        #expect(sub.seqs == Array(1...500))

        let rogue = try testSite(scratch, uplink: """
            broker = "mqtts://127.0.0.1:\(tlsPort)"
            ca_file = "\(certs)/ca.pem"
            cert_file = "\(certs)/rogue.pem"
            key_file = "\(certs)/rogue.key"
            """)
        let refused = try crossguardLoad(["uplink-load", "--site", rogue, "--count", "5", "--state-dir", scratch.dir("rogue"), "--timeout", "6"],
                                     scratch: scratch, log: "rogue.log")
        #expect(refused.wait(seconds: 30) == 1)
        let text = refused.text
        #expect(text.contains("TLS"), "\(text)")
        #expect(text.components(separatedBy: "uplink: ").count >= 3, "retried: \(text)")
        #expect(text.contains("timed out with 5 events not acknowledged"), "\(text)")

        let missing = try testSite(scratch, uplink: """
            broker = "mqtts://127.0.0.1:\(tlsPort)"
            ca_file = "\(certs)/nope.pem"
            """)
        let bad = try crossguardLoad(["uplink-load", "--site", missing, "--count", "1", "--state-dir", scratch.dir("bad")], scratch: scratch, log: "bad.log")
        #expect(bad.wait(seconds: 30) != 0)
        #expect(bad.text.contains("uplink.ca_file = \"\(certs)/nope.pem\""), "\(bad.text)")
    }
}
