/// The MQTT 3.1.1 wire format (§2–§3): packets to bytes and back, strictly. The decoder never trusts a
/// length from the peer beyond `maximumPacketSize` and allocates nothing sized by the peer before the
/// whole packet is in hand.
public enum MQTTCodec {
    /// The largest Remaining Length the format can carry (§2.2.3).
    public static let largestRemainingLength = 268_435_455
    /// The default limit on one packet from the broker: 256 KiB.
    public static let defaultMaximumPacketSize = 256 * 1024

    // MARK: Encoding

    /// Appends the packet's bytes to `out`. Throws when a field cannot be carried (a string over 65,535
    /// bytes, a packet over the format's limit, a QoS 1 PUBLISH without a non-zero packet id).
    public static func encode(_ packet: MQTTPacket, into out: inout [UInt8]) throws(MQTTError) {
        var body: [UInt8] = []
        let header: UInt8
        switch packet {
        case .connect(let c):
            header = 0x10
            try string("MQTT", into: &body, type: 1)
            body.append(4)  // protocol level 3.1.1
            var flags: UInt8 = c.cleanSession ? 0x02 : 0
            if let will = c.will {
                guard will.qos <= 1 else { throw MQTTError(.qos2Refused, packetType: 1, "will QoS \(will.qos)") }
                flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0)
            }
            if c.password != nil { flags |= 0x40 }
            if c.username != nil { flags |= 0x80 }
            body.append(flags)
            body.append(UInt8(c.keepAliveSeconds >> 8))
            body.append(UInt8(c.keepAliveSeconds & 0xFF))
            try string(c.clientID, into: &body, type: 1)
            if let will = c.will {
                try string(will.topic, into: &body, type: 1)
                try binary(will.message, into: &body, type: 1)
            }
            if let username = c.username { try string(username, into: &body, type: 1) }
            if let password = c.password { try binary(password, into: &body, type: 1) }
        case .connack(let present, let code):
            header = 0x20
            body = [present ? 1 : 0, code]
        case .publish(let p):
            guard p.qos <= 1 else { throw MQTTError(.qos2Refused, packetType: 3, "QoS \(p.qos)") }
            header = 0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 0x01 : 0)
            try string(p.topic, into: &body, type: 3)
            if p.qos == 1 {
                guard let id = p.packetID, id != 0 else { throw MQTTError(.zeroPacketID, packetType: 3, "a QoS 1 PUBLISH needs a non-zero packet id") }
                body.append(UInt8(id >> 8))
                body.append(UInt8(id & 0xFF))
            }
            body += p.payload
        case .puback(let id):
            header = 0x40
            guard id != 0 else { throw MQTTError(.zeroPacketID, packetType: 4, "packet id 0") }
            body = [UInt8(id >> 8), UInt8(id & 0xFF)]
        case .subscribe(let id, let subscriptions):
            header = 0x82
            guard id != 0 else { throw MQTTError(.zeroPacketID, packetType: 8, "packet id 0") }
            body = [UInt8(id >> 8), UInt8(id & 0xFF)]
            for s in subscriptions {
                try string(s.topicFilter, into: &body, type: 8)
                body.append(s.qos)
            }
        case .suback(let id, let codes):
            header = 0x90
            body = [UInt8(id >> 8), UInt8(id & 0xFF)] + codes
        case .pingreq: header = 0xC0
        case .pingresp: header = 0xD0
        case .disconnect: header = 0xE0
        }
        guard body.count <= largestRemainingLength else {
            throw MQTTError(.packetTooLarge, packetType: header >> 4, "\(body.count) bytes is over the format's \(largestRemainingLength)")
        }
        out.append(header)
        var length = body.count
        repeat {
            var digit = UInt8(length % 128)
            length /= 128
            if length > 0 { digit |= 0x80 }
            out.append(digit)
        } while length > 0
        out += body
    }

    /// The packet's bytes.
    public static func encode(_ packet: MQTTPacket) throws(MQTTError) -> [UInt8] {
        var out: [UInt8] = []
        try encode(packet, into: &out)
        return out
    }

    private static func string(_ s: String, into out: inout [UInt8], type: UInt8) throws(MQTTError) {
        try binary(Array(s.utf8), into: &out, type: type)
    }

    private static func binary(_ bytes: [UInt8], into out: inout [UInt8], type: UInt8) throws(MQTTError) {
        guard bytes.count <= 65_535 else { throw MQTTError(.malformed, packetType: type, "a string or field of \(bytes.count) bytes is over 65,535") }
        out.append(UInt8(bytes.count >> 8))
        out.append(UInt8(bytes.count & 0xFF))
        out += bytes
    }

    // MARK: Decoding

    /// What the front of a byte stream holds.
    public enum Decoded: Equatable, Sendable {
        /// Not a whole packet yet: read more bytes (at least this many in all, when known).
        case needMore
        /// A packet, which took `consumed` bytes from the front.
        case packet(MQTTPacket, consumed: Int)
    }

    /// The fixed header at the front of `bytes` (§2.2): type, flags, the Remaining Length and how many bytes
    /// the header takes (2 to 5); nil when it is not all there yet. A Remaining Length past four bytes is an error.
    public static func fixedHeader(_ bytes: ArraySlice<UInt8>) throws(MQTTError) -> (type: UInt8, flags: UInt8, remainingLength: Int, headerBytes: Int)? {
        guard let first = bytes.first else { return nil }
        let type = first >> 4
        var length = 0, multiplier = 1, index = bytes.startIndex + 1
        while true {
            guard index < bytes.endIndex else { return nil }
            let digit = bytes[index]
            index += 1
            length += Int(digit & 0x7F) * multiplier
            if digit & 0x80 == 0 { break }
            guard index - bytes.startIndex < 5 else { throw MQTTError(.malformedRemainingLength, packetType: type, "the Remaining Length runs past 4 bytes") }
            multiplier *= 128
        }
        return (type, first & 0x0F, length, index - bytes.startIndex)
    }

    /// Decodes the packet at the front of `bytes`, or says more are needed. Any violation is an error:
    /// the caller closes the connection.
    public static func decode(_ bytes: ArraySlice<UInt8>, maximumPacketSize: Int = defaultMaximumPacketSize) throws(MQTTError) -> Decoded {
        // The fixed header first: type, flags and the Remaining Length, before anything is allocated.
        guard let header = try fixedHeader(bytes) else { return .needMore }
        let type = header.type, flags = header.flags, length = header.remainingLength, index = bytes.startIndex + header.headerBytes
        let total = header.headerBytes + length
        guard total <= maximumPacketSize else {
            throw MQTTError(.packetTooLarge, packetType: type, "of \(total) bytes is over the maximum of \(maximumPacketSize)")
        }
        try checkFlags(type: type, flags: flags)
        guard bytes.count >= total else { return .needMore }
        var r = Reader(bytes: bytes[index..<(index + length)], type: type)
        let packet = try decodeBody(type: type, flags: flags, &r)
        guard r.isAtEnd else { throw MQTTError(.malformed, packetType: type, "has \(r.remaining) bytes left over") }
        return .packet(packet, consumed: total)
    }

    private static func checkFlags(type: UInt8, flags: UInt8) throws(MQTTError) {
        switch type {
        case 0, 15: throw MQTTError(.unsupportedType, packetType: 0, "packet type \(type) is reserved")
        case 5, 6, 7: throw MQTTError(.qos2Refused, packetType: type, "QoS 2 is not used by this client")
        case 10, 11: throw MQTTError(.unsupportedType, packetType: type, "is not used by this client")
        case 3:
            if flags & 0x06 == 0x06 { throw MQTTError(.badFlags, packetType: type, "QoS bits 11 are malformed") }
            if flags & 0x06 == 0x04 { throw MQTTError(.qos2Refused, packetType: type, "QoS 2 is not used by this client") }
        case 8:
            if flags != 0x02 { throw MQTTError(.badFlags, packetType: type, "flags \(flags) must be 0010") }
        default:
            if flags != 0 { throw MQTTError(.badFlags, packetType: type, "flags \(flags) must be 0000") }
        }
    }

    private static func decodeBody(type: UInt8, flags: UInt8, _ r: inout Reader) throws(MQTTError) -> MQTTPacket {
        switch type {
        case 1:
            guard try r.string() == "MQTT" else { throw MQTTError(.malformed, packetType: 1, "protocol name is not MQTT") }
            let level = try r.byte()
            guard level == 4 else { throw MQTTError(.malformed, packetType: 1, "protocol level \(level) is not 4 (3.1.1)") }
            let f = try r.byte()
            guard f & 0x01 == 0 else { throw MQTTError(.badFlags, packetType: 1, "the reserved connect flag is set") }
            let keepAlive = try r.uint16()
            var c = MQTTConnect(clientID: try r.string(), keepAliveSeconds: keepAlive, cleanSession: f & 0x02 != 0)
            let willQoS = (f >> 3) & 0x03
            if f & 0x04 != 0 {
                guard willQoS <= 1 else { throw MQTTError(.qos2Refused, packetType: 1, "will QoS \(willQoS)") }
                c.will = MQTTWill(topic: try r.string(), message: try r.binary(), qos: willQoS, retain: f & 0x20 != 0)
            } else if willQoS != 0 || f & 0x20 != 0 {
                throw MQTTError(.badFlags, packetType: 1, "will QoS or retain set without a will")
            }
            if f & 0x80 != 0 { c.username = try r.string() }
            if f & 0x40 != 0 { c.password = try r.binary() }
            return .connect(c)
        case 2:
            let ack = try r.byte()
            guard ack & 0xFE == 0 else { throw MQTTError(.malformed, packetType: 2, "acknowledge flags \(ack) use reserved bits") }
            return .connack(sessionPresent: ack == 1, returnCode: try r.byte())
        case 3:
            let qos = (flags >> 1) & 0x03
            let topic = try r.string()
            guard !topic.isEmpty, !topic.contains("+"), !topic.contains("#") else {
                throw MQTTError(.malformed, packetType: 3, "topic \(topic.debugDescription) is empty or has a wildcard")
            }
            var id: UInt16?
            if qos == 1 { id = try r.packetID() }
            return .publish(MQTTPublish(topic: topic, payload: r.rest(), qos: qos, retain: flags & 0x01 != 0, dup: flags & 0x08 != 0, packetID: id))
        case 4:
            return .puback(packetID: try r.packetID())
        case 8:
            let id = try r.packetID()
            var subscriptions: [MQTTSubscription] = []
            repeat {
                let filter = try r.string()
                let qos = try r.byte()
                guard qos <= 2 else { throw MQTTError(.malformed, packetType: 8, "requested QoS \(qos)") }
                subscriptions.append(MQTTSubscription(topicFilter: filter, qos: qos))
            } while !r.isAtEnd
            return .subscribe(packetID: id, subscriptions: subscriptions)
        case 9:
            let id = try r.packetID()
            let codes = r.rest()
            guard !codes.isEmpty else { throw MQTTError(.malformed, packetType: 9, "has no return codes") }
            for code in codes where !(code <= 2 || code == 0x80) {
                throw MQTTError(.malformed, packetType: 9, "return code \(code) is not 0, 1, 2 or 0x80")
            }
            return .suback(packetID: id, returnCodes: codes)
        case 12: return .pingreq
        case 13: return .pingresp
        case 14: return .disconnect
        default:
            throw MQTTError(.unsupportedType, packetType: type, "is not used by this client")
        }
    }
}

/// Reads the fields of one packet body, never past its end.
private struct Reader {
    var bytes: ArraySlice<UInt8>
    let type: UInt8

    var isAtEnd: Bool { bytes.isEmpty }
    var remaining: Int { bytes.count }

    mutating func byte() throws(MQTTError) -> UInt8 {
        guard let b = bytes.popFirst() else { throw MQTTError(.malformed, packetType: type, "ends inside a field") }
        return b
    }

    mutating func uint16() throws(MQTTError) -> UInt16 {
        let high = try byte()
        return UInt16(high) << 8 | UInt16(try byte())
    }

    mutating func packetID() throws(MQTTError) -> UInt16 {
        let id = try uint16()
        guard id != 0 else { throw MQTTError(.zeroPacketID, packetType: type, "packet id 0 (§2.3.1 wants a non-zero id)") }
        return id
    }

    mutating func binary() throws(MQTTError) -> [UInt8] {
        let count = Int(try uint16())
        guard bytes.count >= count else { throw MQTTError(.malformed, packetType: type, "a field of \(count) bytes runs past the packet") }
        let field = Array(bytes.prefix(count))
        bytes = bytes.dropFirst(count)
        return field
    }

    /// A UTF-8 string (§1.5.3): well-formed and without U+0000.
    mutating func string() throws(MQTTError) -> String {
        let raw = try binary()
        guard let s = String(validating: raw, as: UTF8.self), !raw.contains(0) else {
            throw MQTTError(.malformed, packetType: type, "a string is not well-formed UTF-8 or holds U+0000")
        }
        return s
    }

    mutating func rest() -> [UInt8] {
        let all = Array(bytes)
        bytes = bytes.suffix(0)
        return all
    }
}
