/// The session's settings (topics and timings as `docs/uplink.md` gives them).
public struct MQTTSessionSettings: Equatable, Sendable {
    /// The MQTT client id, and the `<device-id>` of the topics.
    public var deviceID: String
    /// Seconds between packets before a PINGREQ is due (default 30).
    public var keepAliveSeconds: Int = 30
    /// Milliseconds to wait for PINGRESP (or CONNACK, or SUBACK) before the connection counts as dead.
    public var responseTimeoutMs: Int = 10_000
    /// Unacknowledged QoS 1 messages at most (default 16).
    public var inFlightWindow: Int = 16
    /// How many broker URLs there are; they are tried in turn.
    public var brokerCount: Int = 1
    /// Reconnect backoff: full jitter between 0 and min(maximum, first × 2^attempt) milliseconds.
    public var firstBackoffMs: Int = 1_000
    public var maximumBackoffMs: Int = 60_000
    /// A connection that stays online this long (milliseconds) resets the backoff to its first step; one
    /// that dies sooner, however well it began, counts as a failed attempt (default 30 s).
    public var healthyAfterMs: Int = 30_000

    /// Settings for a device with the defaults above.
    public init(deviceID: String) { self.deviceID = deviceID }

    /// `crossguard/<device-id>`.
    public var baseTopic: String { "crossguard/" + deviceID }
}

/// A message the session must deliver at QoS 1: from the outbox (`id` is its sequence number, which the
/// outbox cursor advances past once the broker acknowledges it).
public struct OutboundMessage: Equatable, Sendable {
    public var id: UInt64
    public var topic: String
    public var payload: [UInt8]
    public var retain: Bool

    /// A message to deliver.
    public init(id: UInt64, topic: String, payload: [UInt8], retain: Bool = false) {
        self.id = id
        self.topic = topic
        self.payload = payload
        self.retain = retain
    }
}

/// What the session wants done. The transport carries these out; the session does no I/O itself.
public enum MQTTSessionAction: Equatable, Sendable {
    /// Open a connection to broker `index` (TCP, then TLS where configured).
    case open(brokerIndex: Int)
    /// Write this packet.
    case send(MQTTPacket)
    /// Close the connection, for this reason (logged; the will is published by the broker).
    case close(reason: String)
    /// Call back with `.timer` at this time (milliseconds on the caller's monotonic clock).
    case wakeAt(ms: UInt64)
    /// The broker acknowledged this outbound message: the outbox may let it go.
    case delivered(id: UInt64)
    /// A command arrived on `cmd`.
    case command(payload: [UInt8])
    /// A command arrived on `cmd` too large to read: its payload of this many bytes was skipped unread
    /// (and acknowledged, so the broker forgets it).
    case commandTooLarge(bytes: Int)
}

/// The MQTT client session as a pure state machine (after the sans-I/O style): inputs in, actions out,
/// time and randomness given from outside. Clean session off, so the broker keeps the subscription
/// and the in-flight messages across reconnects; unacknowledged messages are re-sent with DUP.
public struct MQTTSession: Sendable {
    public enum State: Equatable, Sendable {
        /// Waiting to (re)connect at this time.
        case waiting(untilMs: UInt64)
        /// A connection to this broker is being opened.
        case opening(brokerIndex: Int)
        /// CONNECT sent, waiting for CONNACK since this time.
        case connecting(sinceMs: UInt64)
        /// Connected: publishing and receiving.
        case online
    }

    public let settings: MQTTSessionSettings
    public private(set) var state: State
    /// Messages not yet sent, oldest first.
    public private(set) var pending: [OutboundMessage] = []
    /// Messages sent and not yet acknowledged, by packet id, oldest first.
    public private(set) var inFlight: [(packetID: UInt16, message: OutboundMessage)] = []
    /// Consecutive failed connection attempts (the backoff exponent).
    public private(set) var attempts = 0
    private var brokerIndex = 0
    private var nextPacketID: UInt16 = 1
    private var lastSentMs: UInt64 = 0
    private var pingSentMs: UInt64?
    /// When the current connection came online.
    private var onlineSinceMs: UInt64 = 0
    private var random: SplitMix64

    /// A session that will connect at `nowMs`; `seed` drives the backoff jitter.
    public init(settings: MQTTSessionSettings, nowMs: UInt64, seed: UInt64) {
        self.settings = settings
        state = .waiting(untilMs: nowMs)
        random = SplitMix64(state: seed)
    }

    /// The CONNECT this session sends: clean session off, the keep-alive, and the will that tells the
    /// centre the device is gone.
    public var connectPacket: MQTTPacket {
        .connect(MQTTConnect(
            clientID: settings.deviceID, keepAliveSeconds: UInt16(clamping: settings.keepAliveSeconds), cleanSession: false,
            will: MQTTWill(topic: settings.baseTopic + "/presence", message: Array("offline".utf8), qos: 1, retain: true)))
    }

    /// Time passed: connect when due, ping when quiet, give up on a silent broker.
    public mutating func timer(nowMs: UInt64) -> [MQTTSessionAction] {
        switch state {
        case .waiting(let until):
            guard nowMs >= until else { return [.wakeAt(ms: until)] }
            state = .opening(brokerIndex: brokerIndex)
            return [.open(brokerIndex: brokerIndex)]
        case .opening:
            return []
        case .connecting(let since):
            if nowMs >= since + UInt64(settings.responseTimeoutMs) { return lost(nowMs: nowMs, reason: "no CONNACK within \(settings.responseTimeoutMs) ms") }
            return [.wakeAt(ms: since + UInt64(settings.responseTimeoutMs))]
        case .online:
            if let sent = pingSentMs {
                if nowMs >= sent + UInt64(settings.responseTimeoutMs) { return lost(nowMs: nowMs, reason: "no PINGRESP within \(settings.responseTimeoutMs) ms") }
                return [.wakeAt(ms: sent + UInt64(settings.responseTimeoutMs))]
            }
            let due = lastSentMs + UInt64(settings.keepAliveSeconds) * 1_000
            if settings.keepAliveSeconds > 0 && nowMs >= due {
                pingSentMs = nowMs
                return [send(.pingreq, nowMs: nowMs), .wakeAt(ms: nowMs + UInt64(settings.responseTimeoutMs))]
            }
            return settings.keepAliveSeconds > 0 ? [.wakeAt(ms: due)] : []
        }
    }

    /// The transport opened the connection: send CONNECT.
    public mutating func opened(nowMs: UInt64) -> [MQTTSessionAction] {
        guard case .opening = state else { return [] }
        state = .connecting(sinceMs: nowMs)
        return [send(connectPacket, nowMs: nowMs), .wakeAt(ms: nowMs + UInt64(settings.responseTimeoutMs))]
    }

    /// The connection failed to open or dropped: try again after the backoff.
    public mutating func closed(nowMs: UInt64, reason: String) -> [MQTTSessionAction] {
        if case .waiting = state { return [] }
        return lost(nowMs: nowMs, reason: reason, closeTransport: false)
    }

    /// Hands the session a message to deliver; it goes out as soon as the window allows.
    public mutating func enqueue(_ message: OutboundMessage, nowMs: UInt64) -> [MQTTSessionAction] {
        pending.append(message)
        return state == .online ? fillWindow(nowMs: nowMs) : []
    }

    /// Publishes at QoS 0 now if online (the retained `status`, the `offline` said on a clean stop);
    /// nothing otherwise: such a message is current state, re-sent when the connection is back.
    public mutating func publishNow(topic: String, payload: [UInt8], retain: Bool, nowMs: UInt64) -> [MQTTSessionAction] {
        guard state == .online else { return [] }
        return [send(.publish(MQTTPublish(topic: topic, payload: payload, qos: 0, retain: retain)), nowMs: nowMs)]
    }

    /// A packet from the broker.
    public mutating func received(_ packet: MQTTPacket, nowMs: UInt64) -> [MQTTSessionAction] {
        switch (state, packet) {
        case (.connecting, .connack(_, let code)):
            guard code == 0 else { return lost(nowMs: nowMs, reason: "the broker refused the connection: \(MQTTSession.connackReason(code))") }
            state = .online
            onlineSinceMs = nowMs  // the backoff is reset only once the session has stayed up (`healthyAfterMs`)
            pingSentMs = nil
            // Unacknowledged messages go again first, with DUP and their ids (§4.4), then the rest in order.
            var actions: [MQTTSessionAction] = [
                send(.publish(MQTTPublish(topic: settings.baseTopic + "/presence", payload: Array("online".utf8), qos: 0, retain: true)), nowMs: nowMs),
                send(.subscribe(packetID: takePacketID(), subscriptions: [MQTTSubscription(topicFilter: settings.baseTopic + "/cmd", qos: 1)]), nowMs: nowMs),
            ]
            for entry in inFlight {
                actions.append(send(.publish(MQTTPublish(topic: entry.message.topic, payload: entry.message.payload, qos: 1, retain: entry.message.retain, dup: true, packetID: entry.packetID)), nowMs: nowMs))
            }
            return actions + fillWindow(nowMs: nowMs)
        case (.online, .puback(let id)):
            guard let index = inFlight.firstIndex(where: { $0.packetID == id }) else { return [] }  // a late duplicate ack
            let message = inFlight.remove(at: index).message
            return [.delivered(id: message.id)] + fillWindow(nowMs: nowMs)
        case (.online, .pingresp):
            pingSentMs = nil
            return []
        case (.online, .suback(_, let codes)):
            if codes.contains(0x80) { return lost(nowMs: nowMs, reason: "the broker refused the subscription to \(settings.baseTopic)/cmd") }
            return []
        case (.online, .publish(let p)):
            var actions: [MQTTSessionAction] = []
            if p.qos == 1, let id = p.packetID { actions.append(send(.puback(packetID: id), nowMs: nowMs)) }
            if p.topic == settings.baseTopic + "/cmd" { actions.append(.command(payload: p.payload)) }
            return actions
        default:
            return lost(nowMs: nowMs, reason: "unexpected \(packet.name) from the broker")
        }
    }

    /// A PUBLISH from the broker whose payload (`payloadBytes`) was over the reader's limit and skipped as
    /// it streamed in: acknowledged at QoS 1 like any other, and reported when it was a command.
    public mutating func receivedOversized(topic: String, qos: UInt8, packetID: UInt16?, payloadBytes: Int, nowMs: UInt64) -> [MQTTSessionAction] {
        guard state == .online else { return lost(nowMs: nowMs, reason: "unexpected PUBLISH from the broker") }
        var actions: [MQTTSessionAction] = []
        if qos == 1, let packetID { actions.append(send(.puback(packetID: packetID), nowMs: nowMs)) }
        if topic == settings.baseTopic + "/cmd" { actions.append(.commandTooLarge(bytes: payloadBytes)) }
        return actions
    }

    private mutating func fillWindow(nowMs: UInt64) -> [MQTTSessionAction] {
        var actions: [MQTTSessionAction] = []
        while inFlight.count < settings.inFlightWindow, !pending.isEmpty {
            let message = pending.removeFirst()
            let id = takePacketID()
            inFlight.append((id, message))
            actions.append(send(.publish(MQTTPublish(topic: message.topic, payload: message.payload, qos: 1, retain: message.retain, packetID: id)), nowMs: nowMs))
        }
        return actions
    }

    private mutating func send(_ packet: MQTTPacket, nowMs: UInt64) -> MQTTSessionAction {
        lastSentMs = nowMs
        return .send(packet)
    }

    /// The next packet id not in flight (1–65,535, never 0).
    private mutating func takePacketID() -> UInt16 {
        while true {
            let id = nextPacketID
            nextPacketID = nextPacketID == UInt16.max ? 1 : nextPacketID + 1
            if !inFlight.contains(where: { $0.packetID == id }) { return id }
        }
    }

    private mutating func lost(nowMs: UInt64, reason: String, closeTransport: Bool = true) -> [MQTTSessionAction] {
        pingSentMs = nil
        if state == .online && nowMs >= onlineSinceMs + UInt64(settings.healthyAfterMs) { attempts = 0 }
        let ceiling = min(settings.maximumBackoffMs, settings.firstBackoffMs << min(attempts, 20))
        let delay = UInt64(random.next() % UInt64(ceiling + 1))  // full jitter
        attempts += 1
        brokerIndex = (brokerIndex + 1) % max(1, settings.brokerCount)
        state = .waiting(untilMs: nowMs + delay)
        return (closeTransport ? [.close(reason: reason)] : []) + [.wakeAt(ms: nowMs + delay)]
    }

    /// The CONNACK return codes of §3.2.2.3 in words.
    public static func connackReason(_ code: UInt8) -> String {
        switch code {
        case 1: "unacceptable protocol version (1)"
        case 2: "client identifier rejected (2)"
        case 3: "server unavailable (3)"
        case 4: "bad user name or password (4)"
        case 5: "not authorized (5)"
        default: "return code \(code)"
        }
    }
}
