/// The MQTT 3.1.1 control packets a device client sends and receives (OASIS mqtt-v3.1.1-os §3).
/// QoS 2 and unsubscribing are not used by Crossguard: their packets are recognised and refused.
public enum MQTTPacket: Equatable, Sendable {
    case connect(MQTTConnect)
    case connack(sessionPresent: Bool, returnCode: UInt8)
    case publish(MQTTPublish)
    case puback(packetID: UInt16)
    case subscribe(packetID: UInt16, subscriptions: [MQTTSubscription])
    case suback(packetID: UInt16, returnCodes: [UInt8])
    case pingreq
    case pingresp
    case disconnect

    /// The packet's name for messages (`PUBLISH`).
    public var name: String {
        switch self {
        case .connect: "CONNECT"
        case .connack: "CONNACK"
        case .publish: "PUBLISH"
        case .puback: "PUBACK"
        case .subscribe: "SUBSCRIBE"
        case .suback: "SUBACK"
        case .pingreq: "PINGREQ"
        case .pingresp: "PINGRESP"
        case .disconnect: "DISCONNECT"
        }
    }
}

/// CONNECT (§3.1): who the client is and what the broker should publish if it vanishes.
public struct MQTTConnect: Equatable, Sendable {
    /// The device id: the broker keeps the session under it.
    public var clientID: String
    /// Seconds; the broker drops the client after 1.5× this without a packet. 0 turns it off.
    public var keepAliveSeconds: UInt16
    /// Off for Crossguard: the broker keeps the subscription and unacknowledged messages across reconnects.
    public var cleanSession: Bool
    public var will: MQTTWill?
    public var username: String?
    public var password: [UInt8]?

    /// A CONNECT with these fields.
    public init(clientID: String, keepAliveSeconds: UInt16, cleanSession: Bool, will: MQTTWill? = nil, username: String? = nil, password: [UInt8]? = nil) {
        self.clientID = clientID
        self.keepAliveSeconds = keepAliveSeconds
        self.cleanSession = cleanSession
        self.will = will
        self.username = username
        self.password = password
    }
}

/// The last will: the broker publishes it when the client drops without DISCONNECT (`offline` on `presence`).
public struct MQTTWill: Equatable, Sendable {
    public var topic: String
    public var message: [UInt8]
    /// 0 or 1.
    public var qos: UInt8
    public var retain: Bool

    /// A will with these fields.
    public init(topic: String, message: [UInt8], qos: UInt8, retain: Bool) {
        self.topic = topic
        self.message = message
        self.qos = qos
        self.retain = retain
    }
}

/// PUBLISH (§3.3) at QoS 0 or 1.
public struct MQTTPublish: Equatable, Sendable {
    public var topic: String
    public var payload: [UInt8]
    /// 0 or 1 (QoS 2 is refused).
    public var qos: UInt8
    public var retain: Bool
    /// Set on a re-send after a reconnect (§4.4).
    public var dup: Bool
    /// Present (and non-zero) exactly when `qos` is 1.
    public var packetID: UInt16?

    /// A PUBLISH with these fields.
    public init(topic: String, payload: [UInt8], qos: UInt8, retain: Bool = false, dup: Bool = false, packetID: UInt16? = nil) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetID = packetID
    }
}

/// One topic filter of a SUBSCRIBE, with the highest QoS wanted.
public struct MQTTSubscription: Equatable, Sendable {
    public var topicFilter: String
    public var qos: UInt8

    /// A filter at a QoS.
    public init(topicFilter: String, qos: UInt8) {
        self.topicFilter = topicFilter
        self.qos = qos
    }
}

/// Why bytes from the peer (or a packet to send) are not a valid MQTT 3.1.1 packet. Every one of these
/// closes the connection (§4.8): the peer is broken or hostile, and guessing would be worse.
public struct MQTTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of violation, for code that reacts.
    public enum Kind: String, Sendable, Equatable {
        case malformedRemainingLength = "malformed-remaining-length"
        case packetTooLarge = "packet-too-large"
        case badFlags = "bad-flags"
        case zeroPacketID = "zero-packet-id"
        case qos2Refused = "qos2-refused"
        case unsupportedType = "unsupported-type"
        case malformed
    }

    public var kind: Kind
    /// The packet type (1–15) it concerns, 0 when unknown.
    public var packetType: UInt8
    /// What exactly is wrong, for the log.
    public var detail: String

    /// An error of a kind about a packet type.
    public init(_ kind: Kind, packetType: UInt8, _ detail: String) {
        self.kind = kind
        self.packetType = packetType
        self.detail = detail
    }

    public var description: String {
        "\(kind.rawValue): \(packetType == 0 ? "" : "\(MQTTError.typeName(packetType)) ")\(detail)"
    }

    /// The control packet type names of §2.2.1.
    static func typeName(_ type: UInt8) -> String {
        let names = ["reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
                     "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "reserved"]
        return Int(type) < names.count ? names[Int(type)] : "type \(type)"
    }
}
