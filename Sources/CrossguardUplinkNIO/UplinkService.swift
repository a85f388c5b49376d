import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
import CrossguardUplink
import NIOCore
import NIOPosix
import NIOSSL

/// The uplink's SwiftNIO driver: one event-loop thread runs the `UplinkEngine` (which decides everything)
/// over a TCP connection (TLS through swift-nio-ssl), wakes it every `pollMs` and whenever the tick rings
/// the feed's doorbell, and hands it what the connection delivers. No state is shared with other threads
/// but the feed, the command mailbox and `health`.
public final class UplinkService: @unchecked Sendable {
    public let settings: UplinkServiceSettings
    private let group: MultiThreadedEventLoopGroup
    private let loop: EventLoop
    private let feed: UplinkFeed
    private let log: @Sendable (String) -> Void
    private let connection: NIOConnection
    private let engine: UplinkEngine

    // Confined to `loop`.
    private var poller: RepeatedTask?
    /// The doorbell: the tick thread rings it, its read end is a channel on `loop`.
    private var bell: Channel?
    private var doorbell: Doorbell?

    /// A service over an opened outbox. `diagnostics` adds to `diag.run` (the latch record's health), `report`
    /// the daemon's own checks (a `diag --json` document);
    /// `latchPersisted` says whether the latch record on disk is current (for `storage` in the status);
    /// `log` receives one line per connection change or problem.
    public init(settings: UplinkServiceSettings, outbox: Outbox, feed: UplinkFeed, commands: CommandMailbox,
                diagnostics: @escaping @Sendable () -> String? = { nil }, report: @escaping @Sendable () -> String? = { nil },
                latchPersisted: @escaping @Sendable () -> Bool = { true }, log: @escaping @Sendable (String) -> Void) throws(UplinkSetupError) {
        self.settings = settings
        self.feed = feed
        self.log = log
        let ssl = settings.uplink.brokers.contains(where: \.tls) ? try UplinkService.makeTLS(settings.uplink) : nil
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        connection = NIOConnection(loop: loop, ssl: ssl, connectTimeoutMs: settings.connectTimeoutMs, log: log)
        engine = UplinkEngine(settings: settings, outbox: outbox, feed: feed, commands: commands, transport: connection,
                              nowMs: NIOConnection.nowMs, diagnostics: diagnostics, report: report, latchPersisted: latchPersisted, log: log)
        connection.engine = engine
    }

    /// Builds the TLS context from the site's files: the CA to trust (the system's roots without one), and
    /// the client certificate and key for mutual TLS. A file that cannot be read is named.
    static func makeTLS(_ uplink: UplinkSettings) throws(UplinkSetupError) -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: try tlsConfiguration(uplink))
        } catch let error as UplinkSetupError { throw error } catch { throw UplinkSetupError("uplink TLS: \(describe(error))") }
    }

    /// The TLS settings of `makeTLS`, before they become a context: diag's probe reads a refused server
    /// certificate with the same client certificate but no verification.
    static func tlsConfiguration(_ uplink: UplinkSettings) throws(UplinkSetupError) -> TLSConfiguration {
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
        return tls
    }

    /// Connection state and counts, from any thread.
    public var health: UplinkHealth { engine.health }

    /// Starts draining the feed and, with a broker configured, connecting. The feed's doorbell is a pipe
    /// whose read end the loop watches; without one (no descriptors left) the service still drains the
    /// feed every `pollMs` and says so in the log.
    public func start() {
        do throws(HardwareError) {
            let doorbell = try Doorbell()
            let engine = self.engine
            let opened = NIOPipeBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DoorbellHandler { engine.poll(nowMs: NIOConnection.nowMs) })
                    }
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
            self.poller = self.loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(self.settings.pollMs)) { _ in
                self.engine.poll(nowMs: NIOConnection.nowMs)
            }
        }
    }

    /// Drains what the tick thread left, makes the outbox durable and marks it cleanly closed, says
    /// `offline` and disconnects. Call after the tick loop stopped.
    public func stop() {
        let done = loop.submit {
            self.poller?.cancel()
            self.bell?.close(promise: nil)
            self.bell = nil
            self.engine.stop(nowMs: NIOConnection.nowMs)
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
        _ = try? loop.submit { self.engine.journalFeed(nowMs: NIOConnection.nowMs) }.wait()
    }

    /// An error in words an operator can act on (NIO's and BoringSSL's descriptions, shortened).
    static func describe(_ error: Error) -> String {
        if let e = error as? NIOSSLExtraError, e == .failedToValidateHostname { return "TLS: the broker's certificate is not for this host name or address" }
        if error is NIOSSLError || error is BoringSSLError {
            // BoringSSL's reasons ("...:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at <source path>:393"), without the paths.
            let text = "\(error)"
            let reasons = text.split(separator: "OPENSSL_internal:").dropFirst().map { $0.prefix { $0.isLetter || $0.isNumber || $0 == "_" } }
            return "TLS: " + (reasons.isEmpty ? text : reasons.joined(separator: ", "))
        }
        if let e = error as? MQTTError { return "protocol error: \(e)" }
        return "\(error)"
    }
}

/// The engine's transport over SwiftNIO: one TCP connection at a time, with TLS where the broker wants
/// it. Every connection gets a generation; whatever an older one still delivers is ignored. Confined to `loop`.
final class NIOConnection: UplinkTransport, @unchecked Sendable {
    private let loop: EventLoop
    private let ssl: NIOSSLContext?
    private let connectTimeoutMs: Int
    private let log: @Sendable (String) -> Void
    /// Set once, right after the engine is made (the engine holds this transport, so the link back is weak).
    weak var engine: UplinkEngine?
    private var channel: Channel?
    private var generation: UInt64 = 0

    init(loop: EventLoop, ssl: NIOSSLContext?, connectTimeoutMs: Int, log: @escaping @Sendable (String) -> Void) {
        self.loop = loop
        self.log = log
        self.ssl = ssl
        self.connectTimeoutMs = connectTimeoutMs
    }

    /// The loop's monotonic clock in milliseconds.
    static var nowMs: UInt64 { NIODeadline.now().uptimeNanoseconds / 1_000_000 }

    func open(_ broker: BrokerAddress) {
        generation += 1
        let generation = self.generation
        let ssl = broker.tls ? self.ssl : nil
        let hostIsName = !broker.host.contains(":") && broker.host.contains(where: { $0.isLetter })
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(connectTimeoutMs)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                do {
                    if let ssl {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: ssl, serverHostname: hostIsName ? broker.host : nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(MQTTStreamHandler(maximumPacketSize: MQTTCodec.defaultMaximumPacketSize))
                    try channel.pipeline.syncOperations.addHandler(MQTTInboundHandler(connection: self, generation: generation))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        bootstrap.connect(host: broker.host, port: broker.port).whenComplete { result in
            guard generation == self.generation else {
                if case .success(let ch) = result { ch.close(promise: nil) }
                return
            }
            switch result {
            case .success(let ch):
                self.channel = ch
                self.engine?.opened(nowMs: NIOConnection.nowMs)
            case .failure(let error):
                self.engine?.openFailed(reason: UplinkService.describe(error), nowMs: NIOConnection.nowMs)
            }
        }
    }

    func write(_ packet: MQTTPacket) {
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

    func flush() { channel?.flush() }

    func close() {
        generation += 1
        channel?.close(promise: nil)
        channel = nil
    }

    // MARK: From the channel (on the loop)

    func received(_ inbound: MQTTInbound, generation: UInt64) {
        guard generation == self.generation else { return }
        engine?.received(inbound, nowMs: NIOConnection.nowMs)
    }

    func readComplete(generation: UInt64) {
        guard generation == self.generation else { return }
        engine?.readComplete(nowMs: NIOConnection.nowMs)
    }

    func connectionEnded(generation: UInt64, reason: String) {
        guard generation == self.generation else { return }
        engine?.connectionEnded(reason: reason, nowMs: NIOConnection.nowMs)
    }
}

/// Why the uplink could not be set up (a TLS file that cannot be read, say), naming the key.
public struct UplinkSetupError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    /// An error with its sentence.
    public init(_ description: String) { self.description = description }
}
