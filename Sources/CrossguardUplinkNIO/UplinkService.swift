import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
import CrossguardUplink
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// What the service needs besides the outbox: who the device is, where the brokers are, and clocks.
public struct UplinkServiceSettings: Sendable {
    public var deviceID: String
    public var firmware: String
    public var tickMs: Int
    public var uplink: UplinkSettings
    /// Milliseconds to wait for TCP (and TLS) to connect.
    public var connectTimeoutMs = 5_000
    /// How often the service looks at its timers (keep-alive, reconnect, status, the outbox's batched
    /// fsync) and the feed without being woken, in milliseconds. The tick wakes it at once for events and
    /// command outcomes (`UplinkFeed.doorbell`).
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

/// The uplink at work: drains the tick thread's feed, journals every event in the outbox before
/// MQTT sees it, runs the pure `MQTTSession` over a SwiftNIO connection (TLS through swift-nio-ssl), lets
/// a record go only on PUBACK, answers the centre's commands through the core, and keeps the retained
/// `status` current. Everything runs on one event-loop thread; no state is shared but the feed, the
/// command mailbox and `health`.
public final class UplinkService: @unchecked Sendable {
    public let settings: UplinkServiceSettings
    private let group: MultiThreadedEventLoopGroup
    private let loop: EventLoop
    private let feed: UplinkFeed
    private let commands: CommandMailbox
    private let sslContext: NIOSSLContext?
    private let log: @Sendable (String) -> Void
    private let diagnostics: @Sendable () -> String?
    private let latchPersisted: @Sendable () -> Bool
    private let healthBox = Mutex(UplinkHealth())

    // Confined to `loop`.
    private let outbox: Outbox
    private var session: MQTTSession
    private var gate: CommandGate
    private var channel: Channel?
    private var generation: UInt64 = 0
    /// When the session wants `.timer` next; 0 at first, so the first poll connects.
    private var wakeAtMs: UInt64? = 0
    /// The broker the session is online with (mirrored into `health`), and the one being opened.
    private var connected: String?
    private var currentBroker = 0
    private var acknowledged: UInt64 = 0
    /// The decisions: status pacing, command replies, reply ids, rejection reports.
    private var coordinator = UplinkCoordinator()
    private var poller: RepeatedTask?
    /// The doorbell: the tick thread rings it, its read end is a channel on `loop`.
    private var bell: Channel?
    private var doorbell: Doorbell?
    private var batch: [OutboxRecord] = []
    private var stopped = false
    /// What the uplink must tell the centre, waiting for room in the command mailbox (never dropped).
    private var reports: [UplinkReport] = []
    /// When the journal stopped taking writes, milliseconds since 1970 (for the status).
    private var storageFaultSinceUnixMs: Int64?

    /// A service over an opened outbox. `diagnostics` adds to `diag.run` (the latch record's health);
    /// `latchPersisted` says whether the latch record on disk is current (for `storage` in the status);
    /// `log` receives one line per connection change or problem.
    public init(settings: UplinkServiceSettings, outbox: Outbox, feed: UplinkFeed, commands: CommandMailbox,
                diagnostics: @escaping @Sendable () -> String? = { nil }, latchPersisted: @escaping @Sendable () -> Bool = { true },
                log: @escaping @Sendable (String) -> Void) throws(UplinkSetupError) {
        self.settings = settings
        self.outbox = outbox
        self.feed = feed
        self.commands = commands
        self.log = log
        self.diagnostics = diagnostics
        self.latchPersisted = latchPersisted
        var s = MQTTSessionSettings(deviceID: settings.deviceID)
        s.keepAliveSeconds = settings.uplink.keepAliveSeconds
        s.brokerCount = max(1, settings.uplink.brokers.count)
        s.healthyAfterMs = settings.uplink.healthyAfterSeconds * 1_000
        s.maximumBackoffMs = settings.uplink.backoffMaxSeconds * 1_000
        var seed = UInt64(truncatingIfNeeded: settings.wallClockMs())
        for b in settings.deviceID.utf8 { seed = seed &* 31 &+ UInt64(b) }
        session = MQTTSession(settings: s, nowMs: 0, seed: seed)
        gate = CommandGate(tickMs: settings.tickMs)
        gate.windowMs = Int64(settings.uplink.commandWindowSeconds) * 1_000
        sslContext = settings.uplink.brokers.contains(where: \.tls) ? try UplinkService.makeTLS(settings.uplink) : nil
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
    }

    /// Builds the TLS context from the site's files: the CA to trust (the system's roots without one), and
    /// the client certificate and key for mutual TLS. A file that cannot be read is named.
    static func makeTLS(_ uplink: UplinkSettings) throws(UplinkSetupError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = uplink.caFile { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) }
        } catch { throw UplinkSetupError("uplink.ca_file = \"\(uplink.caFile!)\": \(describe(error))") }
        do {
            if let cert = uplink.certFile { tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) } }
        } catch { throw UplinkSetupError("uplink.cert_file = \"\(uplink.certFile!)\": \(describe(error))") }
        do {
            if let key = uplink.keyFile { tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)) }
        } catch { throw UplinkSetupError("uplink.key_file = \"\(uplink.keyFile!)\": \(describe(error))") }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch { throw UplinkSetupError("uplink TLS: \(describe(error))") }
    }

    /// Connection state and counts, from any thread.
    public var health: UplinkHealth { healthBox.withLock { $0 } }

    /// Starts draining the feed and, with a broker configured, connecting. The feed's doorbell is a pipe
    /// whose read end the loop watches; without one (no descriptors left) the service still drains the
    /// feed every `pollMs` and says so in the log.
    public func start() {
        do throws(HardwareError) {
            let doorbell = try Doorbell()
            let opened = NIOPipeBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DoorbellHandler(service: self)) }
                }
                .takingOwnershipOfDescriptor(input: doorbell.readFD)
            do {
                bell = try opened.wait()
                self.doorbell = doorbell
                feed.doorbell = { doorbell.ring() }
            } catch {
                doorbell.closeBoth()
                log("uplink: no doorbell (\(UplinkService.describe(error))): the feed is drained every \(settings.pollMs) ms")
            }
        } catch {
            log("uplink: no doorbell (\(error.detail)): the feed is drained every \(settings.pollMs) ms")
        }
        loop.execute {
            self.poller = self.loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(self.settings.pollMs)) { _ in self.poll() }
        }
    }

    /// The doorbell rang: the tick left something in the feed.
    func rang() { poll() }

    /// Drains what the tick thread left, makes the outbox durable and marks it cleanly closed, says
    /// `offline` and disconnects. Call after the tick loop stopped.
    public func stop() {
        let done = loop.submit {
            self.poller?.cancel()
            self.poll()
            self.stopped = true
            self.bell?.close(promise: nil)
            self.bell = nil
            self.outbox.close(nowMs: self.nowMs)
            self.collectNotices()
            if let channel = self.channel {
                let now = self.nowMs
                self.perform(self.session.publishNow(topic: self.session.settings.baseTopic + "/presence", payload: Array("offline".utf8), retain: true, nowMs: now))
                self.write(.disconnect)
                channel.flush()
                self.channel = nil
                self.generation += 1
                channel.close(promise: nil)
            }
        }
        _ = try? done.wait()
        if let doorbell {
            feed.doorbell = nil
            doorbell.closeWriteEnd()
            self.doorbell = nil
        }
        try? group.syncShutdownGracefully()
    }

    /// Journals everything waiting in the feed now, on the service's thread, and waits: the backlog benchmark
    /// fills the outbox this way before the service first connects.
    public func journalFeed() {
        _ = try? loop.submit { self.drainFeed(now: self.nowMs) }.wait()
    }

    /// Runs `body` on the service's thread and waits (tests, benchmarks).
    public func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T? {
        try? loop.submit(body).wait()
    }

    private var nowMs: UInt64 { NIODeadline.now().uptimeNanoseconds / 1_000_000 }

    // MARK: The loop

    private func poll() {
        guard !stopped else { return }
        let now = nowMs
        feed.answerDoorbell()
        drainFeed(now: now)
        refill(now: now)
        publishStatusIfDue(now: now)
        if !settings.uplink.brokers.isEmpty, let wake = wakeAtMs, now >= wake {
            wakeAtMs = nil
            perform(session.timer(nowMs: now))
        }
        _ = outbox.maintain(nowMs: now)
        collectNotices()
        reportRejections(now: now)
        flushReports()
        channel?.flush()
    }

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
                perform(session.enqueue(OutboundMessage(id: r.seq, topic: session.settings.baseTopic + "/events", payload: r.payload), nowMs: now))
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
        perform(session.publishNow(topic: session.settings.baseTopic + "/status", payload: payload, retain: true, nowMs: now))
    }

    private func reply(_ r: UplinkCoordinator.Reply, now: UInt64) {
        let payload = UplinkPayload.commandResult(id: r.id, type: r.type, error: r.error, result: r.result)
        gate.answered(id: r.id, reply: payload)
        send(reply: payload, now: now)
    }

    private func send(reply payload: [UInt8], now: UInt64) {
        perform(session.enqueue(OutboundMessage(id: coordinator.replyID(), topic: session.settings.baseTopic + "/cmd/result", payload: payload), nowMs: now))
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
                                                   broker: connected, uptimeMs: status.uptimeMs)
            reply(.init(id: id, type: "diag.run", error: nil, result: result), now: now)
        case .execute(let id, let command):
            let token = coordinator.track(id: id, type: command.typeName)
            if !commands.post(command, token: token), let r = coordinator.notTaken(token) { reply(r, now: now) }
        }
    }

    private func perform(_ actions: [MQTTSessionAction]) {
        for action in actions {
            switch action {
            case .open(let index): open(index)
            case .send(let packet): write(packet)
            case .close(let reason): disconnected(reason)
            case .wakeAt(let ms): wakeAtMs = min(wakeAtMs ?? .max, ms)
            case .delivered(let id):
                guard !UplinkCoordinator.isReply(id) else { continue }  // a command reply: not journaled
                outbox.acknowledge(id, nowMs: nowMs)
                acknowledged += 1
            case .command(let payload): command(payload, now: nowMs)
            case .commandTooLarge(let bytes): refuseOversized(bytes: bytes, now: nowMs)
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

    /// The connection is gone (the session closed it, or the broker or the network did): forget the
    /// channel, ignore anything it still delivers, and say why.
    private func disconnected(_ reason: String) {
        generation += 1
        channel?.close(promise: nil)
        channel = nil
        connected = nil
        log("uplink: \(reason)")
        healthBox.withLock {
            $0.lastProblem = reason
            $0.connectedTo = nil
        }
    }

    private func open(_ index: Int) {
        let broker = settings.uplink.brokers[index % settings.uplink.brokers.count]
        currentBroker = index % settings.uplink.brokers.count
        generation += 1
        let generation = self.generation
        let ssl = broker.tls ? sslContext : nil
        let hostIsName = !broker.host.contains(":") && broker.host.contains(where: { $0.isLetter })
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(settings.connectTimeoutMs)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                do {
                    if let ssl {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: ssl, serverHostname: hostIsName ? broker.host : nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(MQTTStreamHandler(maximumPacketSize: MQTTCodec.defaultMaximumPacketSize))
                    try channel.pipeline.syncOperations.addHandler(MQTTInboundHandler(service: self, generation: generation))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: broker.host, port: broker.port).whenComplete { result in
            guard generation == self.generation, !self.stopped else {
                if case .success(let ch) = result { ch.close(promise: nil) }
                return
            }
            switch result {
            case .success(let ch):
                self.channel = ch
                self.perform(self.session.opened(nowMs: self.nowMs))
                ch.flush()
            case .failure(let error):
                let reason = "cannot connect to \(broker): \(UplinkService.describe(error))"
                self.log("uplink: \(reason)")
                self.healthBox.withLock { $0.lastProblem = reason }
                self.perform(self.session.closed(nowMs: self.nowMs, reason: reason))
            }
        }
    }

    private func write(_ packet: MQTTPacket) {
        guard let channel else { return }
        do {
            let bytes = try MQTTCodec.encode(packet)
            var buffer = channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            channel.write(buffer, promise: nil)
        } catch {
            log("uplink: cannot encode \(packet.name): \(error)")
        }
    }

    // MARK: From the channel (on the loop)

    func received(_ inbound: MQTTInbound, generation: UInt64) {
        guard generation == self.generation else { return }
        switch inbound {
        case .packet(let packet):
            perform(session.received(packet, nowMs: nowMs))
        case .oversizedPublish(let topic, let qos, let packetID, let payloadBytes):
            perform(session.receivedOversized(topic: topic, qos: qos, packetID: packetID, payloadBytes: payloadBytes, nowMs: nowMs))
        }
    }

    /// The end of one read from the socket, which may have held many PUBACKs: refill the window once and
    /// send what it freed in one write.
    func readComplete(generation: UInt64) {
        guard generation == self.generation else { return }
        refill(now: nowMs)
        channel?.flush()
    }

    func connectionEnded(generation: UInt64, reason: String) {
        guard generation == self.generation, !stopped else { return }
        disconnected(reason)
        perform(session.closed(nowMs: nowMs, reason: reason))
    }

    /// An error in words an operator can act on (NIO's and BoringSSL's descriptions, shortened).
    static func describe(_ error: Error) -> String {
        if let e = error as? NIOSSLError { return "TLS: \(e)" }
        if let e = error as? BoringSSLError { return "TLS: \(e)" }
        if let e = error as? MQTTError { return "protocol error: \(e)" }
        return "\(error)"
    }
}

/// Why the uplink could not be set up (a TLS file that cannot be read, say), naming the key.
public struct UplinkSetupError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    /// An error with its sentence.
    public init(_ description: String) { self.description = description }
}
