import CrossguardCore
import CrossguardHAL
import CrossguardUplink
import Synchronization

/// What the uplink needs besides the outbox: who the device is, where the brokers are, and clocks.
public struct UplinkServiceSettings: Sendable {
    public var deviceID: String
    public var firmware: String
    public var tickMs: Int
    public var uplink: UplinkSettings
    /// Milliseconds to wait for TCP (and TLS) to connect.
    public var connectTimeoutMs = 5_000
    /// How often the driver looks at the timers (keep-alive, reconnect, status, the outbox's batched fsync)
    /// and the feed without being woken, in milliseconds. The tick wakes it at once for events and command
    /// outcomes (`UplinkFeed.doorbell`).
    public var pollMs: Int64 = 100
    /// Logs every event as it is journaled ("event {json}"): the daemon's journal shows what happened even
    /// with no broker configured.
    public var logEvents = false
    /// Wall-clock now, milliseconds since 1970 (for `issued_at` and status).
    public var wallClockMs: @Sendable () -> Int64

    /// Settings for a device.
    public init(deviceID: String, firmware: String, tickMs: Int, uplink: UplinkSettings, wallClockMs: @escaping @Sendable () -> Int64) {
        self.deviceID = deviceID
        self.firmware = firmware
        self.tickMs = tickMs
        self.uplink = uplink
        self.wallClockMs = wallClockMs
    }
}

/// Counts and state for `diag`, the bench screen and tests.
public struct UplinkHealth: Equatable, Sendable {
    public var connectedTo: String?
    public var lastProblem: String?
    public var connects = 0
    public var outbox = OutboxStatistics()
    /// Outbox records the broker acknowledged since start.
    public var acknowledged: UInt64 = 0
    /// What keeps the outbox journal from being written, nil while it is.
    public var storageError: String?
    /// Commands refused unread for their size, since start.
    public var rejectedCommands = 0
}

/// The one connection to a broker that the engine asks for. The driver opens it (TCP, then TLS where the
/// broker wants it), writes what it is given, and tells the engine what happened, always later on the
/// engine's thread and never from inside one of these calls (the engine is in the middle of its actions).
/// After `close()`, nothing the old connection still delivers may reach the engine.
public protocol UplinkTransport: AnyObject {
    /// Opens a connection to `broker`; answer with `UplinkEngine.opened` or `openFailed`.
    func open(_ broker: BrokerAddress)
    /// Queues a packet on the open connection (none open: dropped, the session re-sends what matters).
    func write(_ packet: MQTTPacket)
    /// Sends what was queued.
    func flush()
    /// Closes the connection.
    func close()
}

/// The uplink at work, without a network: it drains the tick thread's feed, journals every event in the
/// outbox before MQTT sees it, runs the pure `MQTTSession` and `UplinkCoordinator`, lets a record go only
/// on PUBACK, answers the centre's commands through the core, and keeps the retained `status` current.
/// Every input carries the time in milliseconds of the driver's monotonic clock, so with an in-memory
/// transport and a virtual clock a whole outage plays in milliseconds. Confined to one thread (the
/// driver's); only `health` is read from others.
public final class UplinkEngine: @unchecked Sendable {
    public let settings: UplinkServiceSettings
    private let transport: UplinkTransport
    private let feed: UplinkFeed
    private let commands: CommandMailbox
    private let log: @Sendable (String) -> Void
    private let diagnostics: @Sendable () -> String?
    private let report: @Sendable () -> String?
    private let latchPersisted: @Sendable () -> Bool
    private let healthBox = Mutex(UplinkHealth())

    private let outbox: Outbox
    private var session: MQTTSession
    private var gate: CommandGate
    /// The decisions: status pacing, command replies, reply ids, rejection reports.
    private var coordinator = UplinkCoordinator()
    /// Whether the transport holds a connection (opened, not yet closed).
    private var linked = false
    /// When the session wants `.timer` next; the start time at first, so the first poll connects.
    private var wakeAtMs: UInt64?
    /// The broker the session is online with (mirrored into `health`), and the one being opened.
    private var connected: String?
    private var currentBroker = 0
    private var acknowledged: UInt64 = 0
    private var batch: [OutboxRecord] = []
    private var stopped = false
    /// What the uplink must tell the centre, waiting for room in the command mailbox (never dropped).
    private var reports: [UplinkReport] = []
    /// When the journal stopped taking writes, milliseconds since 1970 (for the status).
    private var storageFaultSinceUnixMs: Int64?

    /// An engine over an opened outbox, talking through `transport`. `diagnostics` adds to `diag.run` (the
    /// latch record's health), `report` the daemon's own checks (a `diag --json` document); `latchPersisted` says whether the latch record on disk is current (for
    /// `storage` in the status); `log` receives one line per connection change or problem. `nowMs` is the
    /// driver's clock now; the reconnect jitter's seed comes from the wall clock and the device id.
    public init(settings: UplinkServiceSettings, outbox: Outbox, feed: UplinkFeed, commands: CommandMailbox, transport: UplinkTransport,
                nowMs: UInt64, diagnostics: @escaping @Sendable () -> String? = { nil }, report: @escaping @Sendable () -> String? = { nil },
                latchPersisted: @escaping @Sendable () -> Bool = { true }, log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.outbox = outbox
        self.feed = feed
        self.commands = commands
        self.transport = transport
        self.log = log
        self.diagnostics = diagnostics
        self.report = report
        self.latchPersisted = latchPersisted
        var s = MQTTSessionSettings(deviceID: settings.deviceID)
        s.keepAliveSeconds = settings.uplink.keepAliveSeconds
        s.brokerCount = max(1, settings.uplink.brokers.count)
        s.healthyAfterMs = settings.uplink.healthyAfterSeconds * 1_000
        s.maximumBackoffMs = settings.uplink.backoffMaxSeconds * 1_000
        var seed = UInt64(truncatingIfNeeded: settings.wallClockMs())
        for b in settings.deviceID.utf8 { seed = seed &* 31 &+ UInt64(b) }
        session = MQTTSession(settings: s, nowMs: nowMs, seed: seed)
        wakeAtMs = nowMs
        gate = CommandGate(tickMs: settings.tickMs)
        gate.windowMs = Int64(settings.uplink.commandWindowSeconds) * 1_000
    }

    /// Connection state and counts, from any thread.
    public var health: UplinkHealth { healthBox.withLock { $0 } }

    /// The session's state, for tests and the bench.
    public var sessionState: MQTTSession.State { session.state }

    // MARK: Inputs from the driver

    /// The driver's regular look (every `pollMs`, and whenever the doorbell rings): journal what the tick
    /// left, keep the window full, send a due status, run the session's timers, maintain the outbox and hand
    /// reports to the core.
    public func poll(nowMs now: UInt64) {
        guard !stopped else { return }
        feed.answerDoorbell()
        drainFeed(now: now)
        refill(now: now)
        publishStatusIfDue(now: now)
        if !settings.uplink.brokers.isEmpty, let wake = wakeAtMs, now >= wake {
            wakeAtMs = nil
            perform(session.timer(nowMs: now), now: now)
        }
        _ = outbox.maintain(nowMs: now)
        collectNotices()
        reportRejections(now: now)
        flushReports()
        transport.flush()
    }

    /// The connection asked for with `open` is up: the session says CONNECT.
    public func opened(nowMs now: UInt64) {
        guard !stopped else { return }
        linked = true
        perform(session.opened(nowMs: now), now: now)
        transport.flush()
    }

    /// The connection asked for could not be made (refused, timed out, TLS failed), for this reason.
    public func openFailed(reason: String, nowMs now: UInt64) {
        guard !stopped else { return }
        let reason = "cannot connect to \(settings.uplink.brokers[currentBroker]): \(reason)"
        log("uplink: \(reason)")
        healthBox.withLock { $0.lastProblem = reason }
        perform(session.closed(nowMs: now, reason: reason), now: now)
    }

    /// Something arrived from the broker.
    public func received(_ inbound: MQTTInbound, nowMs now: UInt64) {
        guard !stopped else { return }
        switch inbound {
        case .packet(let packet):
            perform(session.received(packet, nowMs: now), now: now)
        case .oversizedPublish(let topic, let qos, let packetID, let payloadBytes):
            perform(session.receivedOversized(topic: topic, qos: qos, packetID: packetID, payloadBytes: payloadBytes, nowMs: now), now: now)
        }
    }

    /// The end of one read from the socket, which may have held many PUBACKs: refill the window once and
    /// send what it freed in one write.
    public func readComplete(nowMs now: UInt64) {
        guard !stopped else { return }
        refill(now: now)
        transport.flush()
    }

    /// The broker or the network ended the connection, for this reason.
    public func connectionEnded(reason: String, nowMs now: UInt64) {
        guard !stopped else { return }
        disconnected(reason)
        perform(session.closed(nowMs: now, reason: reason), now: now)
    }

    /// Drains what the tick thread left, makes the outbox durable and marks it cleanly closed, says
    /// `offline` and disconnects. Call after the tick loop stopped; nothing is done after it.
    public func stop(nowMs now: UInt64) {
        poll(nowMs: now)
        stopped = true
        outbox.close(nowMs: now)
        collectNotices()
        if linked {
            perform(session.publishNow(topic: session.settings.baseTopic + "/presence", payload: Array("offline".utf8), retain: true, nowMs: now), now: now)
            transport.write(.disconnect)
            transport.flush()
            linked = false
            transport.close()
        }
    }

    /// Journals everything waiting in the feed now: the backlog benchmark fills the outbox this way before
    /// the engine first connects.
    public func journalFeed(nowMs now: UInt64) { drainFeed(now: now) }

    // MARK: The work

    /// Turns what the outbox has to say into reports for the centre, and logs each.
    private func collectNotices() {
        for notice in outbox.takeNotices() {
            switch notice {
            case .dropped(let drop):
                log("uplink: the outbox is full; dropped \(drop.info) info and \(drop.normal) normal events (seq \(drop.firstSeq)–\(drop.lastSeq))")
                reports.append(.outboxDropped(info: UInt32(clamping: drop.info), normal: UInt32(clamping: drop.normal), seqs: drop.firstSeq...drop.lastSeq))
            case .damaged(let damage):
                log("uplink: outbox: \(damage.detail)" + (damage.seqs.map { "; seq \($0.lowerBound)–\($0.upperBound) lost" } ?? ""))
                reports.append(.outboxDamaged(bytes: UInt32(clamping: damage.bytes), seqs: damage.seqs))
            case .storageFailed(let fault):
                log("uplink: outbox: \(fault.error); events are held in memory and still sent until the journal takes writes again")
                storageFaultSinceUnixMs = settings.wallClockMs()
                healthBox.withLock { $0.storageError = "\(fault.error)" }
                reports.append(.storageFault(fault.kind))
            case .storageRecovered(let fault):
                log("uplink: outbox: the journal takes writes again (\(fault.kind.name) since \(RFC3339.format(unixMs: storageFaultSinceUnixMs ?? 0))); what memory held is journaled")
                storageFaultSinceUnixMs = nil
                healthBox.withLock { $0.storageError = nil }
                reports.append(.storageFault(nil))
            }
        }
    }

    /// Hands the reports to the core in order; a full mailbox keeps them for the next pass.
    private func flushReports() {
        while let report = reports.first, commands.post(.report(report)) { reports.removeFirst() }
    }

    /// One `uplink.rejected` report a second at most, for all the oversized commands since the last.
    private func reportRejections(now: UInt64) {
        if let report = coordinator.rejectionReport(nowMs: now) { reports.append(report) }
    }

    /// The `storage` object of the status and `diag.run`.
    private var storageStatus: StorageStatus {
        var s = StorageStatus()
        s.fault = outbox.storageFault?.kind
        s.faultSinceUnixMs = s.fault == nil ? nil : storageFaultSinceUnixMs
        s.inMemory = outbox.statistics.inMemory
        s.latchPersisted = latchPersisted()
        return s
    }

    private func drainFeed(now: UInt64) {
        batch.removeAll(keepingCapacity: true)
        while let item = feed.ring.pop() {
            switch item {
            case .event(let event, let unixMs):
                coordinator.saw(event)
                let payload = UplinkPayload.event(event, device: settings.deviceID, unixMs: unixMs, tickMs: settings.tickMs)
                batch.append(OutboxRecord(seq: event.seq, priority: event.severity.rawValue, payload: payload))
                if settings.logEvents { log("event " + String(decoding: payload, as: UTF8.self)) }
            case .outcome(let token, let outcome):
                if let r = coordinator.outcome(token, outcome) { reply(r, now: now) }
            }
        }
        guard !batch.isEmpty else { return }
        outbox.append(batch, nowMs: now)
    }

    /// Keeps the session's queue topped up from the outbox, a window's worth at a time.
    private func refill(now: UInt64) {
        let window = session.settings.inFlightWindow
        var room = UplinkCoordinator.refill(inFlight: session.pending.count, window: window, waiting: outbox.unhandedCount)
        while room > 0 {
            let records = outbox.take(room, nowMs: now)
            if records.isEmpty { break }  // a read failed: tried again on the next pass
            for r in records {
                perform(session.enqueue(OutboundMessage(id: r.seq, topic: session.settings.baseTopic + "/events", payload: r.payload), nowMs: now), now: now)
            }
            room = UplinkCoordinator.refill(inFlight: session.pending.count, window: window, waiting: outbox.unhandedCount)
        }
        healthBox.withLock {
            $0.outbox = outbox.statistics
            $0.acknowledged = acknowledged
        }
    }

    private func publishStatusIfDue(now: UInt64) {
        guard case .online = session.state else { return }
        let status = feed.status
        let storage = storageStatus
        guard coordinator.statusDue(status, storage: storage, nowMs: now) else { return }
        let payload = status.json(device: settings.deviceID, firmware: settings.firmware, unixMs: settings.wallClockMs(), outbox: outbox.statistics,
                                  storage: storage)
        perform(session.publishNow(topic: session.settings.baseTopic + "/status", payload: payload, retain: true, nowMs: now), now: now)
    }

    private func reply(_ r: UplinkCoordinator.Reply, now: UInt64) {
        let payload = UplinkPayload.commandResult(id: r.id, type: r.type, error: r.error, result: r.result)
        gate.answered(id: r.id, reply: payload)
        send(reply: payload, now: now)
    }

    private func send(reply payload: [UInt8], now: UInt64) {
        perform(session.enqueue(OutboundMessage(id: coordinator.replyID(), topic: session.settings.baseTopic + "/cmd/result", payload: payload), nowMs: now), now: now)
    }

    /// A command over the size limit, consumed unread and acknowledged (the broker forgets it): a reply
    /// says why, and an `uplink.rejected` event (at most one a second) tells the centre how many and how large.
    private func refuseOversized(bytes: Int, now: UInt64) {
        coordinator.rejected(bytes: bytes)
        healthBox.withLock { $0.rejectedCommands += 1 }
        log("uplink: a command of \(bytes) bytes was refused unread; the most is \(CommandGate.maximumPayload)")
        send(reply: UplinkPayload.commandResult(id: nil, type: nil, error: "the command is \(bytes) bytes; the most is \(CommandGate.maximumPayload)"), now: now)
    }

    private func command(_ payload: [UInt8], now: UInt64) {
        guard payload.count <= CommandGate.maximumPayload else { return refuseOversized(bytes: payload.count, now: now) }
        switch gate.admit(payload, nowUnixMs: settings.wallClockMs()) {
        case .ignore: return
        case .reply(let payload): send(reply: payload, now: now)
        case .diagnose(let id):
            let status = feed.status
            let result = UplinkPayload.diagnostics(ticks: status.ticks, outbox: outbox.statistics, storage: storageStatus, latch: diagnostics(),
                                                   broker: connected, uptimeMs: status.uptimeMs, report: report())
            reply(.init(id: id, type: "diag.run", error: nil, result: result), now: now)
        case .execute(let id, let command):
            let token = coordinator.track(id: id, type: command.typeName)
            if !commands.post(command, token: token), let r = coordinator.notTaken(token) { reply(r, now: now) }
        }
    }

    private func perform(_ actions: [MQTTSessionAction], now: UInt64) {
        for action in actions {
            switch action {
            case .open(let index):
                currentBroker = index % settings.uplink.brokers.count
                transport.open(settings.uplink.brokers[currentBroker])
            case .send(let packet): transport.write(packet)
            case .close(let reason): disconnected(reason)
            case .wakeAt(let ms): wakeAtMs = min(wakeAtMs ?? .max, ms)
            case .delivered(let id):
                guard !UplinkCoordinator.isReply(id) else { continue }  // a command reply: not journaled
                outbox.acknowledge(id, nowMs: now)
                acknowledged += 1
            case .command(let payload): command(payload, now: now)
            case .commandTooLarge(let bytes): refuseOversized(bytes: bytes, now: now)
            }
        }
        if case .online = session.state, connected == nil {
            let broker = settings.uplink.brokers[currentBroker].description
            connected = broker
            log("uplink: connected to \(broker)")
            healthBox.withLock {
                $0.connectedTo = broker
                $0.connects += 1
            }
        }
    }

    /// The connection is gone (the session closed it, or the broker or the network did): close the
    /// transport, which then delivers nothing more, and say why.
    private func disconnected(_ reason: String) {
        linked = false
        transport.close()
        connected = nil
        log("uplink: \(reason)")
        healthBox.withLock {
            $0.lastProblem = reason
            $0.connectedTo = nil
        }
    }
}
