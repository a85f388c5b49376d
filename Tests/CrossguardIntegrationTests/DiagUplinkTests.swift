import Foundation
import Testing

/// diag's uplink checks against real Mosquitto brokers: plain, TLS with the test PKI's good, expiring,
/// expired, foreign and misnamed certificates, mutual TLS with an expired device certificate, a broker that
/// refuses the device, and one whose access rules drop the round trip.
@Suite("crossguard diag: the uplink")
struct DiagUplinkTests {
    let checks = DiagTests()

    /// The uplink lines of a diag run: id to (status, detail), and the whole text for the remedies.
    private func uplink(_ arguments: [String], _ scratch: Scratch) throws -> (status: Int32, found: [String: (status: String, detail: String)], text: String) {
        let (status, output) = try checks.diag(arguments, scratch)
        var found: [String: (status: String, detail: String)] = [:]
        for line in checks.findings(output) where line.id.hasPrefix("uplink") { found[line.id] = (line.status, line.detail) }
        return (status, found, output)
    }

    /// The remedy printed under the check `id`.
    private func remedy(of id: String, in text: String) -> String? {
        let lines = text.split(separator: "\n").map(String.init)
        guard let i = lines.firstIndex(where: { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) == id }),
              i + 1 < lines.count, let arrow = lines[i + 1].range(of: "-> ") else { return nil }
        return String(lines[i + 1][arrow.upperBound...])
    }

    @Test func aPlainBrokerPassesEveryStepAndTheRoundTripArrivesOnTheDiagTopic() throws {
        let scratch = Scratch()
        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker, topic: "crossguard/it-device/diag", name: "diag")
        let site = try testSite(scratch)
        let closed = freePort()
        let (status, found, text) = try uplink(["--site", site, "--broker", broker.url, "--broker", "mqtt://127.0.0.1:\(closed)",
                                                "--broker", "mqtt://no-such-broker.invalid:1883"], scratch)
        #expect(status == 1, "\(text)")
        for id in ["uplink.dns", "uplink.tcp", "uplink.connack", "uplink.roundtrip"] { #expect(found[id]?.status == "PASS", "\(id): \(text)") }
        #expect(found["uplink.tls"] == nil && found["uplink.client_cert"] == nil, "no TLS line for mqtt://: \(text)")
        #expect(found["uplink.connack"]?.detail.contains("client id it-device-diag") == true, "\(text)")
        #expect(found["uplink.roundtrip"]?.detail.hasPrefix("published to crossguard/it-device/diag and received back in ") == true, "\(text)")
        // The probe's message is there for anyone watching the topic, and says what it is.
        #expect(sub.wait(seconds: 5) { $0.lines.contains { $0.hasPrefix("crossguard/it-device/diag {\"diag\":\"round trip\",\"client\":\"it-device-diag\"") } }, "\(sub.lines)")

        // The second broker's port is closed: one failure, and the steps after it are not tried.
        #expect(found["uplink.2.tcp"]?.status == "FAIL" && found["uplink.2.tcp"]?.detail == "127.0.0.1 port \(closed) refused the connection", "\(text)")
        #expect(remedy(of: "uplink.2.tcp", in: text)?.hasPrefix("nothing listens there") == true, "\(text)")
        #expect(found["uplink.2.connack"]?.status == "SKIP" && found["uplink.2.roundtrip"]?.detail == "not tried: no TCP connection", "\(text)")
        // The third broker's name has no address (.invalid never resolves, RFC 6761).
        #expect(found["uplink.3.dns"]?.status == "FAIL" && found["uplink.3.dns"]?.detail.hasPrefix("no-such-broker.invalid: ") == true, "\(text)")
        #expect(remedy(of: "uplink.3.dns", in: text)?.contains("the cabinet's DNS") == true, "\(text)")
        #expect(found["uplink.3.tcp"]?.detail == "not tried: the name has no address", "\(text)")
    }

    @Test func tlsChecksNameEachCertificateProblemWithItsRemedy() throws {
        let scratch = Scratch()
        let certs = scratch.dir("certs")
        try makeTestCertificates(certs)
        // One TLS listener per broker certificate, each requiring a device certificate from the CA.
        let names = ["server", "expiring", "expired", "other"]
        var ports: [String: Int] = [:]
        var listeners = ""
        for name in names {
            let port = freePort()
            ports[name] = port
            listeners += mutualTLSListener(port, certs: certs, certificate: name) + "\n"
        }
        let broker = try Broker(scratch: scratch, extra: listeners)
        for port in ports.values { try waitForPort(port) }
        _ = broker
        func run(_ listener: String, ca: String = "ca", client: String = "client") throws -> (status: Int32, found: [String: (status: String, detail: String)], text: String) {
            let site = try testSite(scratch, uplink: """
                broker = "mqtts://127.0.0.1:\(ports[listener]!)"
                ca_file = "\(certs)/\(ca).pem"
                cert_file = "\(certs)/\(client).pem"
                key_file = "\(certs)/client.key"
                """)
            return try uplink(["--site", site], scratch)
        }

        let good = try run("server")
        for id in ["uplink.client_cert", "uplink.dns", "uplink.tcp", "uplink.tls", "uplink.connack", "uplink.roundtrip"] {
            #expect(good.found[id]?.status == "PASS", "\(id): \(good.text)")
        }
        #expect(good.found["uplink.tls"]?.detail.hasPrefix("CN=127.0.0.1, issued by CN=crossguard-test-ca, valid until ") == true, "\(good.text)")
        #expect(good.found["uplink.client_cert"]?.detail.contains("CN=it-device, issued by CN=crossguard-test-ca") == true, "\(good.text)")

        let expiring = try run("expiring")
        #expect(expiring.found["uplink.tls"]?.status == "WARN", "\(expiring.text)")
        #expect(expiring.found["uplink.tls"]?.detail.hasSuffix("(9 days)") == true || expiring.found["uplink.tls"]?.detail.hasSuffix("(10 days)") == true, "\(expiring.text)")
        #expect(remedy(of: "uplink.tls", in: expiring.text)?.hasPrefix("have the broker's certificate renewed before ") == true, "\(expiring.text)")
        #expect(expiring.found["uplink.roundtrip"]?.status == "PASS", "a warning does not stop the probe: \(expiring.text)")
        #expect(!expiring.text.contains("FAIL  uplink") && expiring.status == 2, "\(expiring.text)")

        let expired = try run("expired")
        #expect(expired.found["uplink.tls"]?.status == "FAIL", "\(expired.text)")
        #expect(expired.found["uplink.tls"]?.detail == "the broker's certificate CN=127.0.0.1, issued by CN=crossguard-test-ca expired on 2025-02-01", "\(expired.text)")
        #expect(expired.found["uplink.connack"]?.detail == "not tried: the TLS handshake failed", "\(expired.text)")

        let foreign = try run("server", ca: "stranger")
        #expect(foreign.found["uplink.tls"]?.status == "FAIL", "\(foreign.text)")
        #expect(foreign.found["uplink.tls"]?.detail.contains("is not trusted by the CA in uplink.ca_file (\(certs)/stranger.pem)") == true, "\(foreign.text)")
        #expect(remedy(of: "uplink.tls", in: foreign.text) == "set uplink.ca_file to the CA that signed the broker's certificate (CN=crossguard-test-ca), from the operations centre", "\(foreign.text)")

        let misnamed = try run("other")
        #expect(misnamed.found["uplink.tls"]?.detail == "the broker's certificate CN=127.0.0.1, issued by CN=crossguard-test-ca is not for 127.0.0.1", "\(misnamed.text)")

        // An expired device certificate: diag says so from the file, and the broker's refusal is the session's failure.
        let stale = try run("server", client: "client-expired")
        #expect(stale.found["uplink.client_cert"]?.status == "FAIL" && stale.found["uplink.client_cert"]?.detail.hasSuffix("expired on 2025-02-01") == true, "\(stale.text)")
        #expect(stale.found["uplink.connack"]?.status == "FAIL" && stale.found["uplink.connack"]?.detail.contains("CERTIFICATE_EXPIRED") == true, "\(stale.text)")
        #expect(remedy(of: "uplink.connack", in: stale.text)?.hasPrefix("the broker refused this device's certificate") == true, "\(stale.text)")
    }

    @Test func theShippedAccessRulesLetDiagsRoundTripThroughAndNoOtherDevicesTopic() throws {
        let scratch = Scratch()
        let certs = scratch.dir("certs")
        try makeTestCertificates(certs)
        // The shipped rules, with the device certificate's CN (it-device) as the user name.
        let tlsPort = freePort()
        let broker = try Broker(scratch: scratch, extra: mutualTLSListener(tlsPort, certs: certs) + """

            use_identity_as_username true
            acl_file \(packageRoot)/deploy/mosquitto/crossguard.acl
            """)
        try waitForPort(tlsPort)
        _ = broker
        func site(_ device: String) throws -> String {
            let path = try testSite(scratch, uplink: """
                broker = "mqtts://127.0.0.1:\(tlsPort)"
                ca_file = "\(certs)/ca.pem"
                cert_file = "\(certs)/client.pem"
                key_file = "\(certs)/client.key"
                """)
            let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: #"device_id = "it-device""#, with: #"device_id = "\#(device)""#)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let own = try uplink(["--site", try site("it-device")], scratch)
        #expect(own.found["uplink.roundtrip"]?.status == "PASS", "\(own.text)")
        // The same certificate under another device's id: the rules keep it off that device's topics.
        let other = try uplink(["--site", try site("kz-ala-0002")], scratch)
        #expect(other.found["uplink.connack"]?.status == "PASS" && other.found["uplink.roundtrip"]?.status == "FAIL", "\(other.text)")
    }

    @Test func aBrokerThatRefusesTheDeviceOrDropsItsMessagesFailsAtThatStep() throws {
        let scratch = Scratch()
        // Mosquitto with no anonymous access and a password file the device has no entry in: CONNACK 5.
        let closedPort = freePort()
        let passwords = scratch.path + "/passwords"
        let made = try Child("/usr/bin/mosquitto_passwd", ["-b", "-c", passwords, "centre", "not-the-device"], output: scratch.path + "/passwd.log")
        #expect(made.wait(seconds: 10) == 0, "\(made.text)")
        chmod(passwords, 0o644)
        let closedConfig = scratch.path + "/closed.conf"
        try "listener \(closedPort) 127.0.0.1\nallow_anonymous false\npassword_file \(passwords)\n".write(toFile: closedConfig, atomically: true, encoding: .utf8)
        let closed = try Child("/usr/sbin/mosquitto", ["-c", closedConfig], output: scratch.path + "/closed.log")
        try waitForPort(closedPort)
        _ = closed
        // Brokers whose access rules let the device read its topics but publish to none (Mosquitto closes the
        // connection at the refused publish), and publish but read none (the message never comes back).
        func rules(_ rule: String) throws -> Broker {
            let acl = scratch.path + "/acl-\(rule)"
            try "topic \(rule) crossguard/#\n".write(toFile: acl, atomically: true, encoding: .utf8)
            chmod(acl, 0o644)
            return try Broker(scratch: scratch, extra: "acl_file \(acl)")
        }
        let readOnly = try rules("read"), writeOnly = try rules("write")
        let site = try testSite(scratch)
        let (status, found, text) = try uplink(["--site", site, "--broker", "mqtt://127.0.0.1:\(closedPort)", "--broker", readOnly.url, "--broker", writeOnly.url], scratch)
        #expect(status == 1, "\(text)")
        #expect(found["uplink.connack"]?.status == "FAIL" && found["uplink.connack"]?.detail == "the broker refused the session: return code 5 (not authorized)", "\(text)")
        #expect(remedy(of: "uplink.connack", in: text)?.hasPrefix("the broker does not let this device in") == true, "\(text)")
        #expect(found["uplink.roundtrip"]?.detail == "not tried: no MQTT session", "\(text)")
        #expect(found["uplink.2.connack"]?.status == "PASS", "\(text)")
        #expect(found["uplink.2.roundtrip"]?.status == "FAIL"
                && found["uplink.2.roundtrip"]?.detail == "after the publish to crossguard/it-device/diag: the broker closed the connection", "\(text)")
        #expect(found["uplink.3.roundtrip"]?.status == "FAIL" && found["uplink.3.roundtrip"]?.detail == "published to crossguard/it-device/diag, not received back within 5000 ms", "\(text)")
        for id in ["uplink.2.roundtrip", "uplink.3.roundtrip"] {
            #expect(remedy(of: id, in: text)?.hasPrefix("let this device publish and subscribe crossguard/it-device/diag in the broker's access rules") == true, "\(text)")
        }
    }
}
