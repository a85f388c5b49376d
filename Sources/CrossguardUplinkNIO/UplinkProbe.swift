import CrossguardCore
import CrossguardLinux
import CrossguardUplink
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A certificate as diag reports it: whom it names, who signed it, and until when it holds.
public struct CertificateFacts: Equatable, Sendable {
    /// The subject's common name, or its other name parts when it has none (`O=…, C=…`).
    public var subject: String
    /// The issuer, named the same way.
    public var issuer: String
    /// The end of its validity, seconds since 1970 (UTC).
    public var notAfter: Int64
    /// The start of its validity, seconds since 1970 (UTC).
    public var notBefore: Int64

    init(_ certificate: NIOSSLCertificate) {
        subject = CertificateFacts.name(certificate.subjectName)
        issuer = CertificateFacts.name(certificate.issuerName)
        notAfter = Int64(certificate.notValidAfter)
        notBefore = Int64(certificate.notValidBefore)
    }

    /// The facts of the first certificate in a PEM file; the failure is the TLS library's reason.
    public static func read(pemFile path: String) -> Result<CertificateFacts, UplinkSetupError> {
        do {
            guard let first = try NIOSSLCertificate.fromPEMFile(path).first else { return .failure(UplinkSetupError("no certificate in it")) }
            return .success(CertificateFacts(first))
        } catch {
            return .failure(UplinkSetupError(UplinkService.describe(error)))
        }
    }

    private static func name(_ parts: [SSLCertificateName]) -> String {
        if let cn = parts.last(where: { $0.type == .commonName }) { return "CN=\(cn.value)" }
        let labels: [(SSLCertificateNameType, String)] = [(.organization, "O"), (.organizationalUnit, "OU"), (.country, "C"), (.emailAddress, "E")]
        let named = parts.compactMap { part in labels.first { $0.0 == part.type }.map { "\($0.1)=\(part.value)" } }
        return named.isEmpty ? "(no name)" : named.joined(separator: ", ")
    }
}

/// What diag's uplink checks found at one broker, in the order the device meets them: the name, the TCP
/// connection, TLS, the MQTT session, and a message there and back. A step that fails ends the probe; the
/// steps after it stay `nil` (not tried). Times (`us`) are in microseconds, timeouts (`ms`) in milliseconds.
public struct UplinkProbeResult: Sendable {
    /// The name's addresses, or why it has none. An address in the URL needs no lookup (`literal`).
    public enum Lookup: Sendable, Equatable {
        case literal(String)
        case resolved([String], us: Int)
        case failed(String)
    }
    /// The TCP connection to the first address.
    public enum Connection: Sendable, Equatable {
        case connected(address: String, us: Int)
        case refused(address: String)
        case timedOut(address: String, ms: Int)
        case failed(address: String, reason: String)
    }
    /// The TLS handshake, for an `mqtts://` broker.
    public enum Handshake: Sendable, Equatable {
        /// Trusted and for this host; `us` (µs) from the first TLS byte to the handshake's end.
        case verified(CertificateFacts, us: Int)
        /// Refused: the reason is the TLS library's, the certificate as the broker sent it (read over a second,
        /// unverified handshake), nil when even that could not be had.
        case refused(reason: String, hostnameMismatch: Bool, certificate: CertificateFacts?)
    }
    /// The broker's answer to CONNECT.
    public enum Session: Sendable, Equatable {
        case accepted(us: Int)
        /// A CONNACK return code other than 0 (MQTT 3.1.1 §3.2.2.3).
        case refused(code: UInt8)
        /// The connection ended or timed out before a CONNACK; the reason says which.
        case noAnswer(String)
    }
    /// The message published to the diag topic and received back through the diag client's own subscription.
    public enum RoundTrip: Sendable, Equatable {
        case received(us: Int)
        /// SUBACK return code 0x80: the broker's access rules refuse the subscription.
        case subscriptionRefused(topic: String)
        /// Published, but not delivered back within the time allowed (the access rules may drop it).
        case notReceived(topic: String, ms: Int)
        case failed(String)
    }

    public var broker: BrokerAddress
    public var lookup: Lookup
    public var connection: Connection?
    public var handshake: Handshake?
    public var session: Session?
    public var roundTrip: RoundTrip?
    /// The client id the probe used (`<device>-diag`, so the running daemon's session is left alone).
    public var clientID: String
    /// The topic of the round trip: `crossguard/<device>/diag`.
    public var topic: String
}

/// diag's probe of a broker: every step the daemon takes to deliver an event, one at a time, each timed and
/// each failure kept with its cause. Blocking: call it from a command's thread, never from an event loop.
/// It connects with a clean session under its own client id and publishes only to the diag topic, so the
/// daemon's session, its queued commands and the centre's view are untouched.
public enum UplinkProbe {
    /// Probes `broker` with the site's TLS files; `timeoutMs` bounds each network step.
    public static func run(broker: BrokerAddress, uplink: UplinkSettings, deviceID: String, timeoutMs: Int = 5_000) -> UplinkProbeResult {
        var result = UplinkProbeResult(broker: broker, lookup: .failed(""), clientID: "\(deviceID)-diag", topic: "crossguard/\(deviceID)/diag")
        let address: String
        if HostLookup.isAddress(broker.host) {
            address = broker.host
            result.lookup = .literal(broker.host)
        } else {
            let start = MonotonicTickClock.nowNs()
            switch HostLookup.addresses(of: broker.host) {
            case .failure(let failure):
                result.lookup = .failed(failure.message)
                return result
            case .success(let found):
                result.lookup = .resolved(found, us: elapsedUs(since: start))
                address = found[0]
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let socket: SocketAddress
        do { socket = try SocketAddress(ipAddress: address, port: broker.port) } catch {
            result.connection = .failed(address: address, reason: "\(error)")
            return result
        }
        let handler = ProbeHandler(loop: loop)
        let tcpStart = MonotonicTickClock.nowNs()
        let channel: Channel
        do {
            channel = try ClientBootstrap(group: loop)
                .connectTimeout(.milliseconds(Int64(timeoutMs)))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(to: socket).wait()
        } catch let error as IOError where error.errnoCode == ECONNREFUSED {
            result.connection = .refused(address: address)
            return result
        } catch ChannelError.connectTimeout {
            result.connection = .timedOut(address: address, ms: timeoutMs)
            return result
        } catch {
            result.connection = .failed(address: address, reason: UplinkService.describe(error))
            return result
        }
        defer { _ = try? channel.close().wait() }
        result.connection = .connected(address: address, us: elapsedUs(since: tcpStart))

        let hostName = HostLookup.isAddress(broker.host) ? nil : broker.host
        if broker.tls {
            let tlsStart = MonotonicTickClock.nowNs()
            let added = loop.submit {
                let tls = try NIOSSLClientHandler(context: try UplinkService.makeTLS(uplink), serverHostname: hostName)
                try channel.pipeline.syncOperations.addHandler(tls)
                try channel.pipeline.syncOperations.addHandler(handler)
            }
            do { try added.wait() } catch {
                result.handshake = .refused(reason: UplinkService.describe(error), hostnameMismatch: false, certificate: nil)
                return result
            }
            switch handler.next(timeoutMs: timeoutMs) {
            case .handshake(let peer):
                guard let peer else {
                    result.handshake = .refused(reason: "the broker sent no certificate", hostnameMismatch: false, certificate: nil)
                    return result
                }
                result.handshake = .verified(CertificateFacts(peer), us: elapsedUs(since: tlsStart))
            case .ended(let reason, let error):
                let mismatch = (error as? NIOSSLExtraError) == .failedToValidateHostname
                result.handshake = .refused(reason: reason, hostnameMismatch: mismatch,
                                            certificate: unverifiedCertificate(socket: socket, hostName: hostName, uplink: uplink, timeoutMs: timeoutMs))
                return result
            case .packet:
                result.handshake = .refused(reason: "the broker spoke before the handshake ended", hostnameMismatch: false, certificate: nil)
                return result
            }
        } else {
            do { try loop.submit { try channel.pipeline.syncOperations.addHandler(handler) }.wait() } catch {
                result.session = .noAnswer(UplinkService.describe(error))
                return result
            }
        }

        // The session: a clean one under the probe's own id, so nothing of the daemon's is touched.
        let connectStart = MonotonicTickClock.nowNs()
        handler.send(.connect(MQTTConnect(clientID: result.clientID, keepAliveSeconds: 30, cleanSession: true)), on: channel)
        switch handler.nextPacket(timeoutMs: timeoutMs) {
        case .success(.connack(_, 0)):
            result.session = .accepted(us: elapsedUs(since: connectStart))
        case .success(.connack(_, let code)):
            result.session = .refused(code: code)
            return result
        case .success(let other):
            result.session = .noAnswer("the broker sent \(other.name) instead of CONNACK")
            return result
        case .failure(let reason):
            result.session = .noAnswer(reason.description)
            return result
        }

        handler.send(.subscribe(packetID: 1, subscriptions: [MQTTSubscription(topicFilter: result.topic, qos: 1)]), on: channel)
        switch handler.nextPacket(timeoutMs: timeoutMs) {
        case .success(.suback(1, let codes)) where codes.first == 0x80:
            result.roundTrip = .subscriptionRefused(topic: result.topic)
            return result
        case .success(.suback(1, _)):
            break
        case .success(let other):
            result.roundTrip = .failed("the broker sent \(other.name) instead of SUBACK")
            return result
        case .failure(let reason):
            result.roundTrip = .failed("no SUBACK: \(reason)")
            return result
        }
        // The payload names the probe and its moment, so a message seen at the centre explains itself.
        let payload = Array("{\"diag\":\"round trip\",\"client\":\"\(result.clientID)\",\"sent_at\":\"\(RFC3339.format(unixMs: WallClock.unixMs()))\"}".utf8)
        let tripStart = MonotonicTickClock.nowNs()
        handler.send(.publish(MQTTPublish(topic: result.topic, payload: payload, qos: 1, packetID: 2)), on: channel)
        let deadline = tripStart + UInt64(timeoutMs) * 1_000_000
        while result.roundTrip == nil {
            let left = Int((deadline - min(deadline, MonotonicTickClock.nowNs())) / 1_000_000)
            switch handler.nextPacket(timeoutMs: left) {
            case .success(.publish(let back)) where back.topic == result.topic && back.payload == payload:
                result.roundTrip = .received(us: elapsedUs(since: tripStart))
                if let id = back.packetID { handler.send(.puback(packetID: id), on: channel) }
            case .success(.publish(let other)):
                if let id = other.packetID { handler.send(.puback(packetID: id), on: channel) }
            case .success:
                continue  // the PUBACK of the probe's own message
            case .failure(.timedOut):
                result.roundTrip = .notReceived(topic: result.topic, ms: timeoutMs)
            case .failure(let reason):
                // Mosquitto 2 closes a v3.1.1 connection whose publish its access rules refuse.
                result.roundTrip = .failed("after the publish to \(result.topic): \(reason)")
            }
        }
        handler.send(.disconnect, on: channel)
        return result
    }

    /// The certificate the broker sends, read over a handshake that verifies nothing: only to tell the
    /// technician what a refused certificate says (its name, issuer and dates). Nothing is sent over it.
    private static func unverifiedCertificate(socket: SocketAddress, hostName: String?, uplink: UplinkSettings, timeoutMs: Int) -> CertificateFacts? {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        guard var tls = try? UplinkService.tlsConfiguration(uplink) else { return nil }
        tls.certificateVerification = .none
        guard let context = try? NIOSSLContext(configuration: tls) else { return nil }
        let handler = ProbeHandler(loop: loop)
        guard let channel = try? ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(timeoutMs)))
            .channelInitializer({ channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: hostName))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            })
            .connect(to: socket).wait()
        else { return nil }
        defer { _ = try? channel.close().wait() }
        guard case .handshake(let peer?) = handler.next(timeoutMs: timeoutMs) else { return nil }
        return CertificateFacts(peer)
    }

    private static func elapsedUs(since startNs: UInt64) -> Int {
        Int((MonotonicTickClock.nowNs() - startNs) / 1_000)
    }
}

/// The probe's end of the channel: it turns the TLS handshake's end, MQTT packets and the connection's end
/// into events the probe's thread waits for one at a time. Its state lives on `loop`.
private final class ProbeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    enum Event {
        /// The TLS handshake ended; the broker's certificate, taken at once (an alert right after closes the
        /// connection and takes the TLS handler with it).
        case handshake(NIOSSLCertificate?)
        case packet(MQTTPacket)
        /// The connection ended, or failed with `error`: the reason in words.
        case ended(String, error: Error?)
    }

    /// Why no packet came.
    enum Missing: Error, CustomStringConvertible {
        case timedOut(ms: Int)
        case ended(String)
        var description: String {
            switch self {
            case .timedOut(let ms): "no answer within \(ms) ms"
            case .ended(let reason): reason
            }
        }
    }

    private let loop: EventLoop
    private var reader = MQTTStreamReader(maximumPacketSize: MQTTCodec.defaultMaximumPacketSize)
    private var queued: [Event] = []
    private var waiting: EventLoopPromise<Event>?
    private var over = false

    init(loop: EventLoop) { self.loop = loop }

    private func deliver(_ event: Event) {
        if case .ended = event {
            if over { return }
            over = true
        }
        if let waiting {
            self.waiting = nil
            waiting.succeed(event)
        } else {
            queued.append(event)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            deliver(.handshake(try? context.pipeline.syncOperations.nioSSL_peerCertificate()))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            for inbound in try reader.feed(buffer.readableBytesView) {
                if case .packet(let packet) = inbound { deliver(.packet(packet)) }
            }
        } catch {
            deliver(.ended("protocol error: \(error)", error: error))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        deliver(.ended("the broker closed the connection", error: nil))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        deliver(.ended(UplinkService.describe(error), error: error))
        context.close(promise: nil)
    }

    /// The next event, waiting at most `timeoutMs`; a timeout reads as the connection's end.
    func next(timeoutMs: Int) -> Event {
        let future = loop.flatSubmit { () -> EventLoopFuture<Event> in
            if !self.queued.isEmpty { return self.loop.makeSucceededFuture(self.queued.removeFirst()) }
            let promise = self.loop.makePromise(of: Event.self)
            self.waiting = promise
            let timer = self.loop.scheduleTask(in: .milliseconds(Int64(max(0, timeoutMs)))) {
                if self.waiting?.futureResult === promise.futureResult {
                    self.waiting = nil
                    promise.succeed(.ended("no answer within \(timeoutMs) ms", error: Missing.timedOut(ms: timeoutMs)))
                }
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            return promise.futureResult
        }
        return (try? future.wait()) ?? .ended("the probe's event loop stopped", error: nil)
    }

    /// The next MQTT packet, or why none came.
    func nextPacket(timeoutMs: Int) -> Result<MQTTPacket, Missing> {
        switch next(timeoutMs: timeoutMs) {
        case .packet(let packet): return .success(packet)
        case .handshake: return nextPacket(timeoutMs: timeoutMs)
        case .ended(let reason, let error): return .failure(error as? Missing ?? .ended(reason))
        }
    }

    /// Encodes and writes one packet.
    func send(_ packet: MQTTPacket, on channel: Channel) {
        guard let bytes = try? MQTTCodec.encode(packet) else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(buffer, promise: nil)
    }
}
