import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
import CrossguardSim
import CrossguardUplink
import Foundation
import Testing

/// A broker in memory, and the engine's transport to it: every packet either way is encoded to MQTT bytes
/// and read back by a stream reader, as over TCP, but nothing leaves the process and time is the test's.
final class MemoryBroker: UplinkTransport {
    enum Link: Equatable { case closed, opening(BrokerAddress), open }
    private(set) var link = Link.closed
    /// Every connection the engine asked for, with the virtual time it asked.
    private(set) var opens: [(ms: UInt64, broker: BrokerAddress)] = []
    /// The client id of every CONNECT, in order.
    private(set) var clientIDs: [String] = []
    /// Every PUBLISH the broker took, in order.
    private(set) var published: [MQTTPublish] = []
    /// While down, every connection attempt is refused.
    var down = false
    /// While false, PUBLISHes are taken but not acknowledged (the acknowledgements are lost in the outage).
    var acking = true
    private var fromClient = MQTTStreamReader(maximumPacketSize: MQTTCodec.defaultMaximumPacketSize, expectConnack: false)
    private var toClient: [UInt8] = []
    private var clientReader = MQTTStreamReader()
    private var nextPacketID: UInt16 = 1

    func open(_ broker: BrokerAddress) {
        opens.append((now, broker))
        link = .opening(broker)
    }

    func write(_ packet: MQTTPacket) {
        guard link == .open else { return }
        let bytes = try! MQTTCodec.encode(packet)
        for inbound in try! fromClient.feed(bytes) {
            guard case .packet(let p) = inbound else { continue }
            answer(p)
        }
    }

    func flush() {}

    func close() {
        link = .closed
        toClient = []
    }

    /// The virtual time, set by the rig before each step.
    var now: UInt64 = 0

    private func answer(_ packet: MQTTPacket) {
        switch packet {
        case .connect(let c):
            clientIDs.append(c.clientID)
            send(.connack(sessionPresent: false, returnCode: 0))
        case .subscribe(let id, let subscriptions): send(.suback(packetID: id, returnCodes: subscriptions.map { _ in 1 }))
        case .publish(let p):
            published.append(p)
            if let id = p.packetID, acking { send(.puback(packetID: id)) }
        case .pingreq: send(.pingresp)
        case .disconnect: link = .closed
        default: break
        }
    }

    private func send(_ packet: MQTTPacket) { toClient += try! MQTTCodec.encode(packet) }

    /// The centre publishes commands on the device's `cmd` topic, all arriving in one read.
    func command(_ payloads: [String], device: String) {
        for text in payloads {
            send(.publish(MQTTPublish(topic: "crossguard/\(device)/cmd", payload: Array(text.utf8), qos: 1, packetID: nextPacketID)))
            nextPacketID = nextPacketID == .max ? 1 : nextPacketID + 1
        }
    }

    /// The network goes: the engine hears the connection end.
    func cut(_ engine: UplinkEngine) {
        guard link != .closed else { return }
        close()
        engine.connectionEnded(reason: "the network is gone", nowMs: now)
    }

    /// One pass of the broker's side: a pending connection opens or is refused, and what the broker said
    /// reaches the engine as one read.
    func serve(_ engine: UplinkEngine) {
        if case .opening = link {
            if down {
                link = .closed
                engine.openFailed(reason: "connection refused", nowMs: now)
            } else {
                link = .open
                clientReader = MQTTStreamReader()
                engine.opened(nowMs: now)
            }
        }
        while link == .open, !toClient.isEmpty {
            let bytes = toClient
            toClient = []
            for inbound in try! clientReader.feed(bytes) { engine.received(inbound, nowMs: now) }
            engine.readComplete(nowMs: now)
        }
    }

    /// The events the broker took on the device's `events` topic: their `seq`s, in order of arrival.
    func eventSeqs(device: String) -> [UInt64] {
        published.filter { $0.topic == "crossguard/\(device)/events" }.map { p in
            guard case .success(let t) = JSONText.parseObject(p.payload), case .integer(let seq) = t["seq"] else { return 0 }
            return UInt64(seq)
        }
    }

    /// The replies on `cmd/result`: id (or "") and error (nil when ok), in order.
    func replies(device: String) -> [(id: String, error: String?)] {
        published.filter { $0.topic == "crossguard/\(device)/cmd/result" }.map { p in
            guard case .success(let t) = JSONText.parseObject(p.payload) else { return ("?", "?") }
            let id: String = if case .string(let s) = t["id"] { s } else { "" }
            let error: String? = if case .string(let s) = t["error"] { s } else { nil }
            return (id, error)
        }
    }
}

/// Records the `seq` of every event the device produced, to compare with what the broker took.
final class EventTally: TickObserver {
    var seqs: [UInt64] = []
    func didTick(_ tick: UInt64, result: StepResult, events: [Event], runtime: DeviceRuntime) { seqs += events.map(\.seq) }
}

/// A device, its uplink engine over a `MemoryBroker`, an outbox in a real state directory, and one virtual
/// clock: `run(until:)` ticks the device every 10 ms, then lets the engine and the broker each take a turn.
final class EngineRig {
    let broker = MemoryBroker()
    let bank: SimulatedLineBank
    let runtime: DeviceRuntime
    let feed: UplinkFeed
    let tally = EventTally()
    let engine: UplinkEngine
    let stateDir: String
    let device: String
    private(set) var now: UInt64 = 0
    let lines = LogLines()

    init(device: String = "rt", mailbox: Int = 64, backoffMaxSeconds: Int = 5) throws {
        self.device = device
        var site = testSite(tickMs: 10)
        site.deviceID = device
        site.uplink.brokers = [BrokerAddress(tls: false, host: "a.example", port: 1883), BrokerAddress(tls: false, host: "b.example", port: 1883)]
        site.uplink.backoffMaxSeconds = backoffMaxSeconds
        let board = testBoard()
        bank = SimulatedLineBank(board: board)
        stateDir = NSTemporaryDirectory() + "crossguard-engine-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let outbox = Outbox(store: FileSegmentStore(directory: stateDir), cursor: FileRecord(directory: stateDir, name: "outbox.cursor"))
        let commands = CommandMailbox(capacity: mailbox)
        runtime = try DeviceRuntime(site: site, board: board, bank: bank, display: nil, commands: commands, firstSeq: outbox.nextSeq)
        let start: Int64 = 1_796_000_000_000  // 2026-11-30: commands are issued at the rig's wall-clock time
        let clock = VirtualWall(start: start)
        feed = UplinkFeed(site: site, stamp: { tick in start + Int64(tick) * 10 }, next: tally)
        let settings = UplinkServiceSettings(deviceID: device, firmware: "test", tickMs: 10, uplink: site.uplink, wallClockMs: { clock.ms })
        let lines = self.lines
        engine = UplinkEngine(settings: settings, outbox: outbox, feed: feed, commands: commands, transport: broker, nowMs: 0,
                              log: { lines.add($0) })
        self.wall = clock
    }

    let wall: VirtualWall

    deinit { try? FileManager.default.removeItem(atPath: stateDir) }

    /// Plays virtual time up to `ms`, 10 ms at a time.
    func run(until ms: UInt64) {
        while now < ms {
            now += 10
            broker.now = now
            wall.ms = wall.start + Int64(now)
            runtime.tick(observer: feed)
            engine.poll(nowMs: now)
            broker.serve(engine)
        }
    }

    /// Presses and releases the SOS button (an alarm, a stream of events).
    func pressSOS() {
        _ = bank.setInput("sos.button", true)
        run(until: now + 100)
        _ = bank.setInput("sos.button", false)
    }

    /// A command envelope issued now.
    func command(_ id: String, _ body: String) -> String {
        "{\"id\":\"\(id)\",\"issued_at\":\"\(RFC3339.format(unixMs: wall.ms))\",\(body)}"
    }
}

/// The wall clock the engine reads, moved by the rig.
final class VirtualWall: @unchecked Sendable {
    let start: Int64
    var ms: Int64
    init(start: Int64) {
        self.start = start
        ms = start
    }
}

/// Log lines collected from another closure.
final class LogLines: @unchecked Sendable {
    private(set) var all: [String] = []
    func add(_ line: String) { all.append(line) }
}

@Suite("The uplink engine over an in-memory broker on a virtual clock: outages, reconnects, command bursts")
struct UplinkEngineTests {
    @Test func aMinuteOfOutageLosesNoEventAndReconnectsWithinTheBackoffCap() throws {
        let rig = try EngineRig(backoffMaxSeconds: 5)
        rig.run(until: 2_000)
        #expect(rig.engine.sessionState == .online && rig.broker.opens.count == 1)
        rig.pressSOS()
        rig.run(until: 3_000)
        let before = rig.broker.eventSeqs(device: rig.device)
        #expect(!before.isEmpty && before == rig.tally.seqs)  // online: everything out, in order
        #expect(rig.engine.health.outbox.records == 0)

        // The acknowledgements stop, more events go out unacknowledged, and the network goes for a minute
        // while the post keeps raising events.
        rig.broker.acking = false
        rig.pressSOS()
        rig.run(until: 4_000)
        let unacknowledged = Set(rig.broker.eventSeqs(device: rig.device)).subtracting(before)
        #expect(!unacknowledged.isEmpty)
        rig.broker.down = true
        rig.broker.cut(rig.engine)
        let cutAt = rig.now
        for _ in 0..<3 {
            rig.pressSOS()
            rig.run(until: rig.now + 15_000)
        }
        rig.run(until: cutAt + 60_000)
        rig.broker.down = false
        rig.broker.acking = true
        let upAt = rig.now
        rig.run(until: upAt + 10_000)

        // Every event the device produced reached the broker, the unacknowledged ones again with DUP, and the
        // outbox let each go only on its PUBACK.
        #expect(rig.engine.sessionState == .online)
        let after = rig.broker.eventSeqs(device: rig.device)
        #expect(Set(after) == Set(rig.tally.seqs))
        #expect(rig.broker.published.filter { $0.dup && $0.topic.hasSuffix("/events") }.count >= unacknowledged.count)
        #expect(rig.engine.health.outbox.records == 0)
        #expect(rig.engine.health.acknowledged == UInt64(rig.tally.seqs.count))

        // Attempts went to the two brokers in turn, never more than the 5 s cap apart while down, and the
        // first one after the broker came back found it within the cap.
        let attempts = rig.broker.opens.filter { $0.ms > cutAt }
        #expect(attempts.count >= 60 / 5)
        for (a, b) in zip(attempts, attempts.dropFirst()) {
            #expect(b.ms - a.ms <= 5_000 + 10, "attempts at \(a.ms) and \(b.ms) ms")
            #expect(a.broker != b.broker)
        }
        let reconnect = try #require(attempts.first { $0.ms >= upAt })
        #expect(reconnect.ms - upAt <= 5_000 + 10)
        #expect(rig.engine.health.connects == 2)
    }

    @Test func aStatusThatChangedDuringTheOutageGoesOutOnTheReconnect() throws {
        let rig = try EngineRig()
        rig.run(until: 2_000)
        let statuses = { rig.broker.published.filter { $0.topic.hasSuffix("/status") } }
        let first = try #require(statuses().last)
        rig.broker.down = true
        rig.broker.cut(rig.engine)
        rig.pressSOS()  // the post's state changes while nothing can be sent
        rig.run(until: rig.now + 2_000)
        let during = statuses().count
        rig.broker.down = false
        rig.run(until: rig.now + 6_000)
        let last = try #require(statuses().last)
        #expect(statuses().count > during)
        #expect(last.retain && last.payload != first.payload)
        let text = String(decoding: last.payload, as: UTF8.self)
        #expect(text.contains("\"alarm\":{"), "\(text)")
    }

    @Test func aBurstOfCommandsIsAnsweredOnceEachAndTheOverflowAsBusy() throws {
        let rig = try EngineRig(mailbox: 8)
        rig.run(until: 2_000)
        let ids = (1...100).map { "burst-\($0)" }
        rig.broker.command(ids.map { rig.command($0, "\"type\":\"mode.set\",\"mode\":\"normal\"") }, device: rig.device)
        rig.run(until: rig.now + 2_000)
        let replies = rig.broker.replies(device: rig.device)
        #expect(replies.map(\.id).sorted() == ids.sorted())  // every one, exactly once
        let busy = replies.filter { $0.error?.contains("busy") == true }
        #expect(busy.count == 92)  // the core's mailbox holds 8; the rest are refused, not dropped
        #expect(replies.count - busy.count == 8)  // the core's own answers
        // Replies travel on their own ids: none is journaled in the outbox, and none counts as an event.
        #expect(rig.engine.health.outbox.records == 0 && rig.engine.health.acknowledged == UInt64(rig.tally.seqs.count))

        // The centre repeats the first ten: each gets its first answer again and nothing runs twice.
        let firstAnswers = Array(replies.prefix(10))
        rig.broker.command(firstAnswers.map { rig.command($0.id, "\"type\":\"mode.set\",\"mode\":\"normal\"") }, device: rig.device)
        rig.run(until: rig.now + 1_000)
        let again = rig.broker.replies(device: rig.device).dropFirst(100)
        #expect(again.map(\.id) == firstAnswers.map(\.id))
        #expect(again.map(\.error) == firstAnswers.map(\.error))
    }

    @Test func twoDevicesInOneProcessKeepTheirOwnClientIDsTopicsOutboxesAndOutages() throws {
        let north = try EngineRig(device: "north"), south = try EngineRig(device: "south")
        func both(until ms: UInt64) {
            while north.now < ms {
                north.run(until: north.now + 10)
                south.run(until: south.now + 10)
            }
        }
        both(until: 2_000)
        north.broker.down = true
        north.broker.cut(north.engine)
        north.pressSOS()
        south.pressSOS()
        both(until: 20_000)
        // South never noticed north's outage; north caught up once its broker was back.
        #expect(south.engine.health.connects == 1 && south.broker.eventSeqs(device: "south") == south.tally.seqs)
        let northMissing = Set(north.tally.seqs).subtracting(north.broker.eventSeqs(device: "north"))
        #expect(!northMissing.isEmpty)  // still down: held in north's outbox
        north.broker.down = false
        both(until: 30_000)
        #expect(Set(north.broker.eventSeqs(device: "north")) == Set(north.tally.seqs) && north.engine.health.connects == 2)
        // Each connects as itself and publishes only under its own topics, from its own state directory.
        #expect(Set(north.broker.clientIDs) == ["north"] && Set(south.broker.clientIDs) == ["south"])
        #expect(north.broker.published.allSatisfy { $0.topic.hasPrefix("crossguard/north/") })
        #expect(south.broker.published.allSatisfy { $0.topic.hasPrefix("crossguard/south/") })
        #expect(north.stateDir != south.stateDir)
    }

    @Test func aStopSaysOfflineAndLeavesTheOutboxCleanlyClosed() throws {
        let rig = try EngineRig()
        rig.run(until: 2_000)
        rig.broker.acking = false
        rig.pressSOS()
        rig.run(until: rig.now + 500)
        rig.engine.stop(nowMs: rig.now)
        let last = rig.broker.published.suffix(1).first
        #expect(last?.topic == "crossguard/\(rig.device)/presence" && last.map { String(decoding: $0.payload, as: UTF8.self) } == "offline")
        #expect(rig.broker.link == .closed)
        // The unacknowledged events are still in the outbox, which reopens cleanly with them.
        let reopened = Outbox(store: FileSegmentStore(directory: rig.stateDir), cursor: FileRecord(directory: rig.stateDir, name: "outbox.cursor"))
        #expect(reopened.recoveryProblems.isEmpty && reopened.skipped == nil)
        #expect(reopened.statistics.records > 0)
    }
}
