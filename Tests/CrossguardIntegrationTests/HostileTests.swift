import Foundation
import Testing

/// A scenario for the SOS post: `count` alarms, each pressed, released and closed by the centre, one a second.
func sosStorm(_ scratch: Scratch, count: Int) throws -> String {
    var text = "duration = \"\(count + 2)s\"\n"
    for i in 0..<count {
        text += """
        [[step]]
        at = "\(i + 1)s"
        input = "sos.button"
        value = true
        [[step]]
        at = "\(i + 1).2s"
        input = "sos.button"
        value = false
        [[step]]
        at = "\(i + 1).5s"
        command = { type = "sos.close" }

        """
    }
    let path = scratch.path + "/storm.toml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The events a subscriber received, as (seq, line), in arrival order.
func events(_ sub: Subscriber) -> [(seq: UInt64, line: String)] {
    sub.lines.filter { $0.hasPrefix("crossguard/it-device/events ") }.compactMap { line in
        guard let r = line.range(of: "\"seq\":"), let seq = UInt64(line[r.upperBound...].prefix(while: \.isNumber)) else { return nil }
        return (seq, line)
    }
}

/// A whole-number field of a JSON line.
func field(_ name: String, _ line: String) -> UInt64? {
    guard let r = line.range(of: "\"\(name)\":") else { return nil }
    return UInt64(line[r.upperBound...].prefix(while: \.isNumber))
}

/// Runs a shell command line and waits (set-up steps: mounts, fillers).
@discardableResult
func shell(_ command: String) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try? p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

/// What a worn SD card, a full disk, a hostile centre and a broken broker do to the uplink, against a real
/// Mosquitto (and, for a broker that breaks every session, a loopback server that does just that).
@Suite("The uplink under hostile storage, commands and brokers", .serialized)
struct HostileTests {
    /// A state directory on a 256 KiB tmpfs filled to 12 KiB free: every SOS alarm still reaches the centre,
    /// the centre is told the journal failed, and no temporary file is left behind.
    @Test func anSOSStormOnANearlyFullDiskDeliversEveryAlarm() throws {
        let scratch = Scratch()
        let state = scratch.dir("state")
        #expect(shell("mount -t tmpfs -o size=256k crossguard-it '\(state)'") == 0, "mounting a tmpfs needs root (CI runs as root)")
        defer { shell("umount '\(state)'") }
        var fs = statvfs()
        #expect(statvfs(state, &fs) == 0)
        let freeKiB = Int(fs.f_bavail) * Int(fs.f_frsize) / 1024
        #expect(shell("dd if=/dev/zero of='\(state)/filler' bs=1k count=\(freeKiB - 12) 2>/dev/null") == 0)
        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker, topic: "crossguard/it-device/#")
        let site = try testSite(scratch, example: "sos-post.toml")
        let device = try crossguard(["bench", "--site", site, "--scenario", try sosStorm(scratch, count: 100), "--speed", "20", "--quiet",
                                     "--broker", broker.url, "--state-dir", state], scratch: scratch, log: "device.log")
        #expect(device.wait(seconds: 60) == 0, "\(device.text)")
        sub.wait(seconds: 15) { s in events(s).filter { $0.line.contains(#""type":"sos.alarm","severity":"critical","state":"raised""#) }.count >= 100 }
        let received = events(sub)
        let alarms = Set(received.filter { $0.line.contains(#""type":"sos.alarm","severity":"critical","state":"raised""#) }.compactMap { field("alarm", $0.line) })
        #expect(alarms.count == 100, "\(alarms.count) of 100 sos.alarm raised; \(device.text.suffix(2_000))")
        #expect(received.contains { $0.line.contains(#""type":"storage.fault","severity":"critical","state":"raised","storage":"no-space""#) },
                "\(device.text.suffix(2_000))")
        let seqs = received.map(\.seq)
        let check = complete(seqs, seqs.min()!...seqs.max()!)
        #expect(check.missing.isEmpty && check.outOfOrder == 0, "\(check)")
        // The status said so while it lasted.
        #expect(sub.lines.contains { $0.hasPrefix("crossguard/it-device/status ") && $0.contains(#""storage":{"journal":"no-space""#) })
        let left = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(!left.contains { $0.hasSuffix(".tmp") }, "\(left)")
    }

    /// A full disk under a latched fail-safe: the device starts (latched, from the record), a `fault.reset`
    /// clears the latch in memory, and while the record cannot be written the status says it is not on disk.
    @Test func aLatchThatCannotBeWrittenHoldsInMemoryAndTheStatusSaysSo() throws {
        let scratch = Scratch()
        let state = scratch.dir("state")
        #expect(shell("mount -t tmpfs -o size=256k crossguard-it '\(state)'") == 0, "mounting a tmpfs needs root (CI runs as root)")
        defer { shell("umount '\(state)'") }
        try "latched conflict vehicle.green,ped.walk\n".write(toFile: state + "/latch", atomically: false, encoding: .utf8)
        #expect(shell("dd if=/dev/zero of='\(state)/filler' bs=1k count=1024 2>/dev/null; true") == 0)
        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker, topic: "crossguard/it-device/#")
        let site = try testSite(scratch)
        let device = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated",
                                     "--state-dir", state, "--broker", broker.url], scratch: scratch, log: "run.log")
        #expect(sub.wait(seconds: 15) { $0.lines.contains { $0.contains(#""type":"safety.failsafe","severity":"critical","state":"raised""#) } },
                "\(device.text)")
        try publish(broker, topic: "crossguard/it-device/cmd", #"{"id":"r1","issued_at":"\#(isoNow())","type":"fault.reset"}"#)
        let notPersisted = sub.wait(seconds: 15) { s in
            s.lines.contains { $0.hasPrefix("crossguard/it-device/status ") && $0.contains(#""latched":null"#) && $0.contains(#""latch_persisted":false"#) }
        }
        #expect(notPersisted, "\(sub.lines.filter { $0.contains("/status ") }.suffix(2))\n\(device.text.suffix(2_000))")
        // The record still says latched: a restart now would come up in fail-safe, the safe side.
        #expect((try? String(contentsOfFile: state + "/latch", encoding: .utf8)) == "latched conflict vehicle.green,ped.walk\n")
        device.process.terminate()
        #expect(device.wait(seconds: 10) == 0, "\(device.text.suffix(2_000))")
    }

    /// Three bytes flipped in a segment of unsent events: only the damaged records are lost, an
    /// `outbox.damaged` event names exactly their seqs, and the next run reuses none of them.
    @Test func flippedBytesLoseOnlyTheDamagedRecordsAndNameThem() throws {
        let scratch = Scratch()
        let state = scratch.dir("state")
        let site = try testSite(scratch, example: "sos-post.toml")
        let storm = try sosStorm(scratch, count: 40)
        // No broker yet: everything stays in the journal, and the run stops cleanly.
        let offline = try crossguard(["bench", "--site", site, "--scenario", storm, "--speed", "20", "--quiet",
                                      "--broker", "mqtt://127.0.0.1:\(freePort())", "--state-dir", state], scratch: scratch, log: "offline.log")
        #expect(offline.wait(seconds: 60) == 0, "\(offline.text)")
        let segment = state + "/outbox-000000000001.seg"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        #expect(bytes.count > 10_000, "\(bytes.count) bytes journaled")
        var g = SystemRandomNumberGenerator()
        for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &g)] ^= UInt8.random(in: 1...255, using: &g) }
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker, topic: "crossguard/it-device/events")
        let online = try crossguard(["bench", "--site", site, "--scenario", storm, "--speed", "20", "--quiet",
                                     "--broker", broker.url, "--state-dir", state], scratch: scratch, log: "online.log")
        #expect(online.wait(seconds: 60) == 0, "\(online.text)")
        sub.wait(seconds: 15) { s in events(s).filter { $0.line.contains("controller.started") }.count >= 2 }
        let received = events(sub)
        let starts = received.filter { $0.line.contains(#""type":"controller.started""#) }.map(\.seq).sorted()
        #expect(starts.count == 2, "\(online.text)")
        let secondStart = starts.last ?? 0
        // A clean stop: the second run continues right after the first, reusing nothing and skipping nothing.
        #expect(!received.contains { $0.line.contains(#""type":"controller.started""#) && $0.line.contains("first_seq") })
        var damaged = Set<UInt64>()
        for e in received where e.line.contains(#""type":"outbox.damaged""#) {
            if let first = field("first_seq", e.line), let last = field("last_seq", e.line) { damaged.formUnion(first...last) }
        }
        let firstRun = Set(received.map(\.seq).filter { $0 < secondStart })
        #expect(!damaged.isEmpty, "\(online.text)")
        #expect(firstRun.isDisjoint(with: damaged))
        #expect(firstRun.union(damaged) == Set(1..<secondStart), "missing: \(Set(1..<secondStart).subtracting(firstRun.union(damaged)).sorted())")
        #expect(Set(received.map(\.seq)).count == received.count || received.count > 0)
    }

    /// Commands over the limit (16 KiB + 1 byte, 1 MB, 10 MB) and a burst of 1,000 valid commands mixed
    /// with 100 random byte strings of up to 2 MB: no reconnect, every valid command answered, every
    /// oversized one answered with its size, and the events meanwhile delivered in order.
    @Test func oversizedAndRandomCommandsNeverCutTheDeviceOff() throws {
        let scratch = Scratch()
        let broker = try Broker(scratch: scratch)
        let results = try Subscriber(broker: broker, topic: "crossguard/it-device/cmd/result", name: "results")
        let sub = try Subscriber(broker: broker, topic: "crossguard/it-device/events")
        let site = try testSite(scratch)
        let device = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated",
                                     "--state-dir", scratch.dir("state"), "--broker", broker.url], scratch: scratch, log: "run.log")
        #expect(sub.wait(seconds: 15) { !events($0).isEmpty }, "\(device.text)")
        let topic = "crossguard/it-device/cmd"
        func publishFile(_ bytes: [UInt8]) throws {
            let path = scratch.path + "/payload.bin"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(shell("mosquitto_pub -h 127.0.0.1 -p \(broker.port) -t \(topic) -q 1 -f '\(path)'") == 0)
        }
        for size in [16_385, 1_000_000, 10_000_000] { try publishFile([UInt8](repeating: UInt8(ascii: "{"), count: size)) }
        let replies = { (s: Subscriber) in s.lines.map { String($0.dropFirst("crossguard/it-device/cmd/result ".count)) } }
        results.wait(seconds: 30) { replies($0).count >= 3 }
        for size in [16_385, 1_000_000, 10_000_000] {
            #expect(replies(results).contains(#"{"id":null,"type":null,"ok":false,"error":"the command is \#(size) bytes; the most is 16384"}"#),
                    "\(replies(results))")
        }
        var g = SystemRandomNumberGenerator()
        for batch in 0..<100 {
            let lines = (0..<10).map { #"{"id":"c-\#(batch * 10 + $0)","issued_at":"\#(isoNow())","type":"diag.run"}"# }.joined(separator: "\n")
            let file = scratch.path + "/batch.txt"
            try (lines + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            #expect(shell("mosquitto_pub -h 127.0.0.1 -p \(broker.port) -t \(topic) -q 1 -l < '\(file)'") == 0)
            let noise = scratch.path + "/noise.bin"
            #expect(shell("head -c \(Int.random(in: 0...2_000_000, using: &g)) /dev/urandom > '\(noise)'") == 0)
            #expect(shell("mosquitto_pub -h 127.0.0.1 -p \(broker.port) -t \(topic) -q 1 -f '\(noise)'") == 0)
        }
        let answered = { (s: Subscriber) in Set(replies(s).compactMap { r -> String? in
            guard r.hasPrefix(#"{"id":"c-"#), r.contains(#""type":"diag.run","ok":true"#) else { return nil }
            return String(r.dropFirst(7).prefix(while: { $0 != "\"" }))
        }) }
        results.wait(seconds: 60) { answered($0).count >= 1_000 }
        #expect(answered(results).count == 1_000, "\(1_000 - answered(results).count) valid commands unanswered")
        #expect(device.text.components(separatedBy: "uplink: connected to").count == 2, "reconnected: \(device.text.suffix(3_000))")
        #expect(sub.wait(seconds: 10) { events($0).contains { $0.line.contains(#""type":"uplink.rejected""#) } })
        let seqs = events(sub).map(\.seq)
        #expect(seqs == Array(seqs.first!...seqs.last!), "events out of order or missing")
        device.process.terminate()
        #expect(device.wait(seconds: 10) == 0, "\(device.text.suffix(2_000))")
    }

    /// The shipped broker configuration's message size limit: an oversized command is refused at the broker,
    /// never queued for the device, while a command within it is answered.
    @Test func theShippedBrokerLimitRefusesOversizedCommandsAtTheBroker() throws {
        let shipped = try String(contentsOfFile: packageRoot + "/deploy/mosquitto/crossguard.conf", encoding: .utf8)
        let limit = try #require(shipped.split(separator: "\n").first { $0.hasPrefix("message_size_limit ") })
        #expect(limit == "message_size_limit 16384")
        let scratch = Scratch()
        let broker = try Broker(scratch: scratch, extra: String(limit))
        let results = try Subscriber(broker: broker, topic: "crossguard/it-device/cmd/result", name: "results")
        let site = try testSite(scratch)
        let device = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated",
                                     "--state-dir", scratch.dir("state"), "--broker", broker.url], scratch: scratch, log: "run.log")
        #expect(waitUntil(seconds: 15) { device.text.contains("uplink: connected to") }, "\(device.text)")
        let big = scratch.path + "/big.bin"
        try Data(repeating: UInt8(ascii: "{"), count: 20_000).write(to: URL(fileURLWithPath: big))
        _ = shell("mosquitto_pub -h 127.0.0.1 -p \(broker.port) -t crossguard/it-device/cmd -q 1 -f '\(big)'")
        try publish(broker, topic: "crossguard/it-device/cmd", #"{"id":"small","issued_at":"\#(isoNow())","type":"diag.run"}"#)
        #expect(results.wait(seconds: 15) { $0.lines.contains { $0.contains(#""id":"small""#) } })
        usleep(500_000)
        #expect(results.lines.count == 1, "\(results.lines)")  // the 20 kB command never reached the device
        device.process.terminate()
        #expect(device.wait(seconds: 10) == 0)
    }

    /// After SIGKILL, the next run's `controller.started` names the numbers it skips: with them, the
    /// centre accounts for every gap in `seq`.
    @Test func afterSIGKILLEveryGapIsAccountedFor() throws {
        let scratch = Scratch()
        let state = scratch.dir("state")
        let broker = try Broker(scratch: scratch)
        let sub = try Subscriber(broker: broker, topic: "crossguard/it-device/events")
        let site = try testSite(scratch, example: "sos-post.toml")
        let first = try crossguard(["bench", "--site", site, "--scenario", try sosStorm(scratch, count: 200), "--speed", "10", "--quiet",
                                    "--broker", broker.url, "--state-dir", state], scratch: scratch, log: "first.log")
        #expect(sub.wait(seconds: 20) { events($0).count >= 40 }, "\(first.text)")
        first.kill9()
        let second = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated",
                                     "--state-dir", state, "--broker", broker.url], scratch: scratch, log: "second.log")
        #expect(sub.wait(seconds: 20) { s in events(s).filter { $0.line.contains(#""type":"controller.started""#) }.count >= 2 }, "\(second.text)")
        second.process.terminate()
        #expect(second.wait(seconds: 10) == 0)
        let received = events(sub)
        guard let restart = received.last(where: { $0.line.contains(#""type":"controller.started""#) }) else { return }
        let skipFirst = field("first_seq", restart.line), skipLast = field("last_seq", restart.line)
        #expect(skipFirst != nil && skipLast == restart.seq - 1, "\(restart.line)")
        var accounted = Set(received.map(\.seq))
        if let skipFirst, let skipLast { accounted.formUnion(skipFirst...skipLast) }
        #expect(Set(1...restart.seq).isSubset(of: accounted), "unexplained: \(Set(1...restart.seq).subtracting(accounted).sorted().prefix(20))")
    }

    /// A broker that accepts every connection and closes it right after CONNACK gets reconnections at the
    /// backed-off pace (1, 2, 4, 8 … s with jitter), not one every second.
    @Test func aBrokerThatDropsEverySessionAfterConnackSeesTheBackedOffPace() throws {
        let scratch = Scratch()
        let server = try DroppingBroker()
        let site = try testSite(scratch, uplink: "healthy_after_s = 30")
        let device = try crossguard(["run", "--board", packageRoot + "/boards/sim.toml", "--site", site, "--simulated",
                                     "--state-dir", scratch.dir("state"), "--broker", "mqtt://127.0.0.1:\(server.port)"], scratch: scratch, log: "run.log")
        usleep(25_000_000)
        device.process.terminate()
        #expect(device.wait(seconds: 10) == 0)
        let accepted = server.stop()
        // Full jitter under ceilings of 1, 2, 4, 8 and 16 s: about six in 25 s. A backoff reset at every CONNACK
        // would reconnect within a second each time: twenty-five or more.
        #expect((3...12).contains(accepted), "\(accepted) connections in 25 s\n\(device.text.suffix(2_000))")
    }
}

/// A loopback TCP server that answers every CONNECT with a CONNACK and closes the connection 100 ms later.
final class DroppingBroker: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private var thread: Thread?
    private let count = NSLock()
    private var accepted = 0
    private var running = true

    init() throws {
        let (sock, port) = loopbackSocket()
        self.port = port
        fd = sock
        guard listen(sock, 8) == 0 else { throw BrokerError("listen failed") }
        let listener = sock
        let thread = Thread { [self] in
            let me = self
            while me.isRunning {
                var pollFD = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&pollFD, 1, 100) > 0 else { continue }
                let client = accept(listener, nil, nil)
                guard client >= 0 else { continue }
                me.count.lock(); me.accepted += 1; me.count.unlock()
                var buffer = [UInt8](repeating: 0, count: 512)
                _ = read(client, &buffer, buffer.count)  // the CONNECT
                let connack: [UInt8] = [0x20, 0x02, 0x00, 0x00]
                _ = write(client, connack, connack.count)
                usleep(100_000)
                close(client)
            }
        }
        self.thread = thread
        thread.start()
    }

    private var isRunning: Bool { count.lock(); defer { count.unlock() }; return running }

    /// Stops the server; the number of connections it accepted.
    func stop() -> Int {
        count.lock()
        running = false
        let n = accepted
        count.unlock()
        usleep(200_000)
        close(fd)
        return n
    }
}
