/// What the stream from the broker held, packet by packet.
public enum MQTTInbound: Equatable, Sendable {
    /// A whole packet, decoded strictly.
    case packet(MQTTPacket)
    /// A PUBLISH whose payload of `payloadBytes` was over the limit: its header was read, its payload
    /// skipped as it streamed in, never held. The session still acknowledges it.
    case oversizedPublish(topic: String, qos: UInt8, packetID: UInt16?, payloadBytes: Int)
}

/// Cuts the byte stream from the broker into packets, fed in chunks of any size (TCP or TLS gives them as
/// they come). It never holds more than `maximumPacketSize` bytes of one packet (plus the chunk at hand):
/// a PUBLISH larger than that, up to MQTT's own limit of 256 MiB, has its topic and packet id read and its
/// payload skipped as it arrives, so no message the broker delivers can cut the device off. Only a broken
/// stream is an error (a reserved type or bad flags, a Remaining Length past four bytes, a field that runs
/// past its packet, any other packet over the limit); then the caller closes the connection.
public struct MQTTStreamReader: Sendable {
    /// The largest packet decoded whole, in bytes (header included).
    public let maximumPacketSize: Int
    /// The broker's first packet must be CONNACK (§3.2): anything else is named as such.
    private var expectConnack: Bool
    /// Bytes received and not yet consumed, from `start`.
    private var buffer: [UInt8] = []
    private var start = 0
    /// Payload bytes of an oversized PUBLISH still to skip.
    private var skipping = 0

    /// A reader for one connection; `expectConnack` for a client's connection, whose first packet must be CONNACK.
    public init(maximumPacketSize: Int = MQTTCodec.defaultMaximumPacketSize, expectConnack: Bool = true) {
        self.maximumPacketSize = maximumPacketSize
        self.expectConnack = expectConnack
    }

    /// Bytes held now (for tests of the memory bound).
    public var heldBytes: Int { buffer.count - start }

    /// Takes the next chunk of the stream and returns every packet it completed, in order.
    public mutating func feed(_ chunk: some Collection<UInt8>) throws(MQTTError) -> [MQTTInbound] {
        var chunk = chunk[...]
        if skipping > 0 {
            let skip = min(skipping, chunk.count)
            skipping -= skip
            chunk = chunk.dropFirst(skip)
        }
        buffer.append(contentsOf: chunk)
        var out: [MQTTInbound] = []
        while skipping == 0, start < buffer.count {
            guard let next = try nextPacket() else { break }
            out.append(next)
        }
        if skipping > 0 {
            // The skipped payload may already be in the buffer, in part or whole.
            let skip = min(skipping, buffer.count - start)
            skipping -= skip
            start += skip
            if skipping == 0 && start < buffer.count {
                out += try feed([UInt8]())
                return out
            }
        }
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return out
    }

    /// The packet at the front of the buffer, nil when more bytes are needed.
    private mutating func nextPacket() throws(MQTTError) -> MQTTInbound? {
        let first = buffer[start]
        let type = first >> 4
        if expectConnack {
            guard type == 2 else {
                throw MQTTError(.malformed, packetType: 0, "the broker's reply to CONNECT is not a CONNACK (first byte 0x\(String(first, radix: 16)))")
            }
        }
        guard let header = try MQTTCodec.fixedHeader(buffer[start...]) else { return nil }
        let length = header.remainingLength, index = start + header.headerBytes
        let total = header.headerBytes + length
        if total <= maximumPacketSize {
            guard buffer.count - start >= total else { return nil }
            guard case .packet(let packet, let consumed) = try MQTTCodec.decode(buffer[start..<(start + total)], maximumPacketSize: maximumPacketSize) else {
                throw MQTTError(.malformed, packetType: type, "is shorter than its Remaining Length")  // cannot happen: the codec has the whole packet
            }
            start += consumed
            expectConnack = false
            return .packet(packet)
        }
        // Too large to hold: only a PUBLISH may be, and only its payload is skipped.
        let flags = first & 0x0F
        guard type == 3 else {
            throw MQTTError(.packetTooLarge, packetType: type, "of \(total) bytes is over the maximum of \(maximumPacketSize)")
        }
        if flags & 0x06 == 0x06 { throw MQTTError(.badFlags, packetType: 3, "QoS bits 11 are malformed") }
        if flags & 0x06 == 0x04 { throw MQTTError(.qos2Refused, packetType: 3, "QoS 2 is not used by this client") }
        let qos = (flags >> 1) & 0x03
        let body = index
        guard buffer.count >= body + 2 else { return nil }
        let topicLength = Int(buffer[body]) << 8 | Int(buffer[body + 1])
        let variableHeader = 2 + topicLength + (qos == 1 ? 2 : 0)
        guard variableHeader <= length else {
            throw MQTTError(.malformed, packetType: 3, "a topic of \(topicLength) bytes runs past the packet")
        }
        guard buffer.count >= body + variableHeader else { return nil }
        let raw = Array(buffer[(body + 2)..<(body + 2 + topicLength)])
        guard let topic = String(validating: raw, as: UTF8.self), !raw.contains(0), !topic.isEmpty, !topic.contains("+"), !topic.contains("#") else {
            throw MQTTError(.malformed, packetType: 3, "the topic is not a well-formed UTF-8 topic name")
        }
        var packetID: UInt16?
        if qos == 1 {
            let id = UInt16(buffer[body + 2 + topicLength]) << 8 | UInt16(buffer[body + 3 + topicLength])
            guard id != 0 else { throw MQTTError(.zeroPacketID, packetType: 3, "packet id 0 (§2.3.1 wants a non-zero id)") }
            packetID = id
        }
        let payloadBytes = length - variableHeader
        start = body + variableHeader
        skipping = payloadBytes
        return .oversizedPublish(topic: topic, qos: qos, packetID: packetID, payloadBytes: payloadBytes)
    }
}
