import Foundation
import Testing

/// The uplink against a real Mosquitto on loopback: the `crossguard` binary journals and
/// delivers events, `mosquitto_sub` checks what arrives. Serialized: each test starts its own broker
/// and processes, and the machine has two cores.
@Suite("Uplink against a real Mosquitto broker", .serialized)
struct MosquittoTests {
    @Test func tenThousandEventsArriveInOrderNoneMissing() throws {
        let scratch = Scratch()
        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker)
        let site = try testSite(scratch)
        let device = try crossguardLoad(["uplink-load", "--site", site, "--count", "10000", "--state-dir", scratch.dir("state"), "--broker", broker.url],
                                    scratch: scratch, log: "device.log")
        #expect(device.wait(seconds: 120) == 0, "\(device.text)")
        sub.wait(seconds: 20) { Set($0.seqs).count >= 10_000 }
        let seqs = sub.seqs
        #expect(seqs == Array(1...10_000), "\(complete(seqs, 1...10_000))")
        // presence: online first, offline last (said on the clean stop).
        #expect(sub.lines.first == "crossguard/it-device/presence online")
        sub.wait(seconds: 5) { $0.lines.last == "crossguard/it-device/presence offline" }
        #expect(sub.lines.last == "crossguard/it-device/presence offline")
    }

    @Test func brokerKilledAndRestartedMidStreamLosesNothing() throws {
        let scratch = Scratch()
        // The second subscriber's session must survive the broker's restart: persistence on for this one,
        // and the session made (and saved) before the stream starts. After the restart the device re-sends
        // its unacknowledged window at once, before any new client could subscribe; without a saved
        // session those messages have no subscriber and the broker drops them.
        let store = scratch.dir("broker-store")
        let broker = try Broker(scratch: scratch, store: store)
        let sessionOfSub2 = try Subscriber(broker: broker, name: "sub2")
        try waitForStore(store, toHold: "crossguard/#")
        sessionOfSub2.child.kill9()
        let sub = try Subscriber(broker: broker)
        let site = try testSite(scratch)
        let device = try crossguardLoad(["uplink-load", "--site", site, "--count", "30000", "--state-dir", scratch.dir("state"), "--broker", broker.url],
                                    scratch: scratch, log: "device.log")
        sub.wait(seconds: 30) { $0.seqs.count >= 3_000 }
        broker.kill()
        let before = sub.seqs
        usleep(1_500_000)
        try broker.start()
        // sub2 takes up its saved session on the new broker: what the device re-sends (everything not
        // acknowledged) was queued for it meanwhile.
        let sub2 = try Subscriber(broker: broker, name: "sub2")
        #expect(device.wait(seconds: 180) == 0, "\(device.text)")
        sub2.wait(seconds: 20) { Set(before + $0.seqs).count >= 30_000 }
        let all = before + sub2.seqs
        let check = complete(all, 1...30_000)
        #expect(check.missing.isEmpty, "missing \(check.missing)")
        #expect(before.count > 0 && before.count < 30_000, "the broker died mid-stream")
        #expect(device.text.contains("connected to") && device.text.components(separatedBy: "connected to").count >= 3, "\(device.text)")
    }

    @Test func deviceKilledMidStreamResumesWithNothingMissing() throws {
        let scratch = Scratch()
        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker)
        let site = try testSite(scratch)
        let state = scratch.dir("state")
        let first = try crossguardLoad(["uplink-load", "--site", site, "--count", "30000", "--state-dir", state, "--broker", broker.url],
                                   scratch: scratch, log: "device1.log")
        sub.wait(seconds: 30) { $0.seqs.count >= 2_000 }
        first.kill9()
        // The broker publishes the will: the centre sees the device go.
        sub.wait(seconds: 5) { $0.lines.contains("crossguard/it-device/presence offline") }
        #expect(sub.lines.contains("crossguard/it-device/presence offline"))
        let beforeKill = sub.seqs
        #expect(beforeKill.count < 30_000, "killed mid-stream")
        let second = try crossguardLoad(["uplink-load", "--site", site, "--resume", "--state-dir", state, "--broker", broker.url],
                                    scratch: scratch, log: "device2.log")
        #expect(second.wait(seconds: 180) == 0, "\(second.text)")
        sub.wait(seconds: 20) { Set($0.seqs).count >= 30_000 }
        let check = complete(sub.seqs, 1...30_000)
        #expect(check.missing.isEmpty, "missing \(check.missing)")
        #expect(check.outOfOrder == 0)
        // Duplicates are allowed, recognisable by seq: only of messages sent before the kill (acknowledged
        // after the cursor was last written, or in flight).
        let after = sub.seqs.dropFirst(beforeKill.count)
        var seen = Set(beforeKill)
        let duplicates = after.filter { !seen.insert($0).inserted }
        #expect(duplicates.allSatisfy { $0 <= beforeKill.max()! + 16 }, "\(duplicates.prefix(10))")
        // A restart after a kill continues numbering past the reservation, never reusing a number.
        #expect(second.text.contains("did not stop cleanly"), "\(second.text)")
    }

    @Test func anOutageDeliversTheBacklogInOrder() throws {
        let scratch = Scratch()
        let port = freePort()
        // A 5 s backoff cap (backoff_max_s), so the outage reaches the cap in seconds rather than minutes.
        let site = try testSite(scratch, uplink: "backoff_max_s = 5")
        // The subscriber's persistent session exists before the device's broker does (made on another port,
        // kept in the store): the device may connect the moment the broker is up, before any subscriber could.
        let store = scratch.dir("broker-store")
        let setup = try Broker(scratch: scratch, store: store)
        // (SIGKILL: a child of the test runner may have SIGTERM blocked; the session outlives its client anyway.)
        let setupSub = try Subscriber(broker: setup)
        // Until the store holds the subscription itself, a killed subscriber may leave a session that
        // subscribes to nothing, and the first events are lost to it (seen under load).
        try waitForStore(store, toHold: "crossguard/#")
        setupSub.child.kill9()
        setup.kill()
        // No broker at all for 25 s: the events wait in the outbox while the device retries, its backoff
        // growing to the cap (1 s, 2 s, 4 s, 5 s ... with full jitter).
        let device = try crossguardLoad(["uplink-load", "--site", site, "--count", "5000", "--state-dir", scratch.dir("state"), "--broker", "mqtt://127.0.0.1:\(port)"],
                                    scratch: scratch, log: "device.log")
        usleep(25_000_000)
        #expect(device.process.isRunning)
        let broker = try Broker(scratch: scratch, port: port, store: store)
        let sub = try Subscriber(broker: broker)
        #expect(device.wait(seconds: 120) == 0, "\(device.text)")
        sub.wait(seconds: 10) { $0.seqs.count >= 5_000 }
        #expect(sub.seqs == Array(1...5_000))
        // It kept trying through the outage, and the broker's return was noticed within one backoff cap.
        let attempts = device.text.split(separator: "\n").filter { $0.contains("cannot connect to mqtt://127.0.0.1:\(port)") }.count
        #expect(attempts >= 4, "\(device.text)")
    }
}
