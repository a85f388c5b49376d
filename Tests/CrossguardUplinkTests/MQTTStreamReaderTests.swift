import CrossguardUplink
import Testing

/// The stream as the broker sends it, fed in chunks of random sizes, as TCP and TLS hand them over.
func feedInChunks(_ bytes: [UInt8], _ reader: inout MQTTStreamReader, _ g: inout SplitMix64, maximumChunk: Int = 70_000) throws(MQTTError) -> [MQTTInbound] {
    var out: [MQTTInbound] = []
    var at = 0
    while at < bytes.count {
        let n = min(bytes.count - at, 1 + g.below(maximumChunk))
        out += try reader.feed(bytes[at..<(at + n)])
        at += n
    }
    return out
}

@Suite("MQTT stream reader: any message the broker delivers, none that cuts the device off")
struct MQTTStreamReaderTests {
    let command = "crossguard/kz-ala-0001/cmd"

    func publish(_ size: Int, id: UInt16 = 7, qos: UInt8 = 1) throws -> [UInt8] {
        try MQTTCodec.encode(.publish(MQTTPublish(topic: command, payload: [UInt8](repeating: 0x41, count: size), qos: qos, packetID: qos == 1 ? id : nil)))
    }

    @Test("packets in chunks of any size come out whole and in order", arguments: [UInt64(21), 22, 23])
    func chunksOfAnySize(seed: UInt64) throws {
        var g = SplitMix64(state: seed)
        var packets: [MQTTPacket] = [.connack(sessionPresent: true, returnCode: 0)]
        for _ in 0..<300 {
            let p = randomPacket(&g)
            if case .connect = p { continue }  // a client never receives CONNECT, but the reader need not care
            packets.append(p)
        }
        var bytes: [UInt8] = []
        for p in packets { bytes += try MQTTCodec.encode(p) }
        var reader = MQTTStreamReader()
        let out = try feedInChunks(bytes, &reader, &g, maximumChunk: 3_000)
        #expect(out == packets.map { .packet($0) })
        #expect(reader.heldBytes == 0)
    }

    @Test("a PUBLISH over the limit is skipped as it streams in and named with its size", arguments: [16_385, 300_000, 1_000_000, 10_000_000])
    func oversizedPublishIsSkipped(size: Int) throws {
        var g = SplitMix64(state: UInt64(size))
        let bytes = try MQTTCodec.encode(.connack(sessionPresent: true, returnCode: 0)) + (try publish(size, id: 9)) + MQTTCodec.encode(.pingresp)
        var reader = MQTTStreamReader(maximumPacketSize: 16_384)
        var out: [MQTTInbound] = []
        var held = 0
        var at = 0
        while at < bytes.count {
            let n = min(bytes.count - at, 1 + g.below(65_536))
            out += try reader.feed(bytes[at..<(at + n)])
            held = max(held, reader.heldBytes)
            at += n
        }
        #expect(out == [.packet(.connack(sessionPresent: true, returnCode: 0)), .oversizedPublish(topic: command, qos: 1, packetID: 9, payloadBytes: size), .packet(.pingresp)])
        #expect(held <= 16_384 + 65_536)  // never the message: the limit and one chunk at most
    }

    @Test func aQoS0OversizedPublishHasNoPacketID() throws {
        var reader = MQTTStreamReader(maximumPacketSize: 1_000, expectConnack: false)
        #expect(try reader.feed(try publish(5_000, qos: 0)) == [.oversizedPublish(topic: command, qos: 0, packetID: nil, payloadBytes: 5_000)])
    }

    @Test func aGarbageReplyToConnectIsNamedAsSuch() {
        var reader = MQTTStreamReader()
        #expect(throws: MQTTError(.malformed, packetType: 0, "the broker's reply to CONNECT is not a CONNACK (first byte 0x48)")) {
            _ = try reader.feed(Array("HTTP/1.1 400 Bad Request\r\n".utf8))
        }
    }

    @Test("only a broken stream is an error", arguments: [
        ([0xF0, 0x00], "unsupported-type: packet type 15 is reserved"),
        ([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "malformed-remaining-length: PUBLISH the Remaining Length runs past 4 bytes"),
        ([0x90, 0xFF, 0xFF, 0x7F], "packet-too-large: SUBACK of 2097155 bytes is over the maximum of 262144"),
        ([0x36, 0x80, 0x80, 0x10], "bad-flags: PUBLISH QoS bits 11 are malformed"),
        ([0x32, 0x80, 0x80, 0x10, 0x00, 0x01, 0x41, 0x00, 0x00], "zero-packet-id: PUBLISH packet id 0 (§2.3.1 wants a non-zero id)"),
        ([0x32, 0x80, 0x80, 0x10, 0x00, 0x01, 0x2B, 0x00, 0x01], "malformed: PUBLISH the topic is not a well-formed UTF-8 topic name"),
    ] as [([UInt8], String)])
    func brokenStreams(bytes: [UInt8], error: String) {
        do {
            _ = try MQTTStreamReader(expectConnack: false).feedAll(bytes)
            Issue.record("no error")
        } catch let e { #expect(e.description == error) }
    }

    /// Random and mutated streams, fed in random chunks: each ends in packets or one clear error, never a
    /// crash or a hang, and the reader never holds more than its limit plus one chunk.
    @Test("random and mutated streams end in packets or one error", arguments: [UInt64(31), 32, 33, 34])
    func fuzz(seed: UInt64) throws {
        var g = SplitMix64(state: seed)
        for round in 0..<300 {
            var bytes: [UInt8] = try MQTTCodec.encode(.connack(sessionPresent: false, returnCode: 0))
            for _ in 0..<(1 + g.below(12)) {
                switch g.below(4) {
                case 0: bytes += try publish(g.below(40_000), id: g.id(), qos: UInt8(g.below(2)))
                case 1: bytes += g.bytes(g.below(200))
                default: bytes += try MQTTCodec.encode(randomPacket(&g))
                }
            }
            for _ in 0..<g.below(4) where !bytes.isEmpty { bytes[g.below(bytes.count)] ^= UInt8(truncatingIfNeeded: g.next()) }
            var reader = MQTTStreamReader(maximumPacketSize: 8_192)
            var at = 0
            var held = 0
            do {
                while at < bytes.count {
                    let n = min(bytes.count - at, 1 + g.below(5_000))
                    _ = try reader.feed(bytes[at..<(at + n)])
                    held = max(held, reader.heldBytes)
                    at += n
                }
            } catch {
                #expect(!error.description.isEmpty, "round \(round)")
            }
            #expect(held <= 8_192 + 5_000 + 65_540, "round \(round)")
        }
    }
}

extension MQTTStreamReader {
    /// Feeds everything in one chunk.
    func feedAll(_ bytes: [UInt8]) throws(MQTTError) -> [MQTTInbound] {
        var copy = self
        return try copy.feed(bytes)
    }
}
