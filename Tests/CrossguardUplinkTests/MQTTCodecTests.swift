import CrossguardUplink
import Testing

/// Helpers on the uplink's deterministic generator, so every property test replays the same packets.
extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
    mutating func topic() -> String {
        let parts = ["crossguard", "kz-ala-0001", "events", "cmd", "result", "presence", "status", "ü", "街"]
        return (0...below(4)).map { _ in parts[below(parts.count)] }.joined(separator: "/")
    }
    mutating func id() -> UInt16 { UInt16(1 + below(65_535)) }
}

/// A random packet of every kind the codec carries.
func randomPacket(_ g: inout SplitMix64) -> MQTTPacket {
    switch g.below(9) {
    case 0:
        let will = g.below(2) == 0 ? nil : MQTTWill(topic: g.topic(), message: g.bytes(g.below(40)), qos: UInt8(g.below(2)), retain: g.below(2) == 0)
        return .connect(MQTTConnect(clientID: g.topic(), keepAliveSeconds: UInt16(g.below(65_536)), cleanSession: g.below(2) == 0, will: will,
                                    username: g.below(2) == 0 ? nil : "user", password: g.below(2) == 0 ? nil : g.bytes(g.below(20))))
    case 1: return .connack(sessionPresent: g.below(2) == 0, returnCode: UInt8(g.below(6)))
    case 2:
        let qos = UInt8(g.below(2))
        // Payload sizes across the 1-, 2- and 3-byte Remaining Length boundaries.
        let size = [0, 1, 100, 127, 128, 200, 16_383, 16_384, 20_000][g.below(9)]
        return .publish(MQTTPublish(topic: g.topic(), payload: g.bytes(size), qos: qos, retain: g.below(2) == 0, dup: g.below(2) == 0, packetID: qos == 1 ? g.id() : nil))
    case 3: return .puback(packetID: g.id())
    case 4: return .subscribe(packetID: g.id(), subscriptions: (0...g.below(3)).map { _ in MQTTSubscription(topicFilter: g.topic() + "/#", qos: UInt8(g.below(3))) })
    case 5: return .suback(packetID: g.id(), returnCodes: (0...g.below(3)).map { _ in [0, 1, 2, 0x80][g.below(4)] })
    case 6: return .pingreq
    case 7: return .pingresp
    default: return .disconnect
    }
}

@Suite("MQTT 3.1.1 codec")
struct MQTTCodecTests {
    @Test("every packet survives encode then decode", arguments: [UInt64(1), 2, 3])
    func roundTrip(seed: UInt64) throws {
        var g = SplitMix64(state: seed)
        for _ in 0..<2_000 {
            let packet = randomPacket(&g)
            let bytes = try MQTTCodec.encode(packet)
            #expect(try MQTTCodec.decode(bytes[...]) == .packet(packet, consumed: bytes.count))
        }
    }

    @Test func knownBytes() throws {
        #expect(try MQTTCodec.encode(.pingreq) == [0xC0, 0x00])
        #expect(try MQTTCodec.encode(.puback(packetID: 0x1234)) == [0x40, 0x02, 0x12, 0x34])
        #expect(try MQTTCodec.encode(.disconnect) == [0xE0, 0x00])
        // §3.1 example layout: name, level 4, flags (clean session), keep-alive 60, client id "a".
        #expect(try MQTTCodec.encode(.connect(MQTTConnect(clientID: "a", keepAliveSeconds: 60, cleanSession: true)))
            == [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 1, 0x61])
        // Remaining Length 321 = 0xC1 0x02 (§2.2.3).
        let publish = try MQTTCodec.encode(.publish(MQTTPublish(topic: "t", payload: Array(repeating: 7, count: 318), qos: 0)))
        #expect(Array(publish.prefix(3)) == [0x30, 0xC1, 0x02])
    }

    @Test("a packet cut at any offset asks for more, never errs or crashes", arguments: [UInt64(7), 8])
    func truncationAtEveryOffset(seed: UInt64) throws {
        var g = SplitMix64(state: seed)
        for _ in 0..<200 {
            let bytes = try MQTTCodec.encode(randomPacket(&g))
            for cut in 0..<bytes.count { #expect(try MQTTCodec.decode(bytes[0..<cut]) == .needMore, "cut at \(cut) of \(bytes.count)") }
        }
    }

    @Test func twoPacketsInOneReadComeOutOneByOne() throws {
        let a = try MQTTCodec.encode(.puback(packetID: 9)), b = try MQTTCodec.encode(.pingresp)
        let both = a + b
        guard case .packet(let first, let used) = try MQTTCodec.decode(both[...]) else { Issue.record("no packet"); return }
        #expect(first == .puback(packetID: 9))
        #expect(try MQTTCodec.decode(both[used...]) == .packet(.pingresp, consumed: 2))
    }

    @Test("random bytes give a packet, a request for more, or an error — never a crash", arguments: [UInt64(11), 12, 13])
    func randomBytes(seed: UInt64) {
        var g = SplitMix64(state: seed)
        var outcomes = [0, 0, 0]
        for _ in 0..<20_000 {
            let bytes = g.bytes(g.below(40))
            do {
                switch try MQTTCodec.decode(bytes[...], maximumPacketSize: 1_024) {
                case .needMore: outcomes[0] += 1
                case .packet(_, let used): outcomes[1] += 1; #expect(used <= bytes.count)
                }
            } catch {
                outcomes[2] += 1
            }
        }
        #expect(outcomes[2] > 0 && outcomes[0] > 0)  // both paths really ran
    }

    @Test("malformed input is a precise error", arguments: [
        ([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], MQTTError.Kind.malformedRemainingLength),  // a 5th length byte
        ([0x30, 0x80, 0x80, 0x80, 0x01], .packetTooLarge),                                  // 2 MiB, over 256 KiB
        ([0x41, 0x02, 0x00, 0x01], .badFlags),                                               // PUBACK flags must be 0
        ([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00], .badFlags),                       // SUBSCRIBE flags must be 0010
        ([0x40, 0x02, 0x00, 0x00], .zeroPacketID),
        ([0x32, 0x05, 0x00, 0x01, 0x74, 0x00, 0x00], .zeroPacketID),                         // QoS 1 PUBLISH with id 0
        ([0x34, 0x03, 0x00, 0x01, 0x74], .qos2Refused),                                      // QoS 2 PUBLISH
        ([0x36, 0x03, 0x00, 0x01, 0x74], .badFlags),                                         // QoS bits 11
        ([0x50, 0x02, 0x00, 0x01], .qos2Refused),                                            // PUBREC
        ([0x62, 0x02, 0x00, 0x01], .qos2Refused),                                            // PUBREL
        ([0xA2, 0x02, 0x00, 0x01], .unsupportedType),                                        // UNSUBSCRIBE
        ([0x00, 0x00], .unsupportedType),                                                    // reserved type 0
        ([0xF0, 0x00], .unsupportedType),                                                    // reserved type 15
        ([0x30, 0x03, 0x00, 0x01, 0x23], .malformed),                                        // topic "#" in a PUBLISH
        ([0x30, 0x04, 0x00, 0x02, 0xC3, 0x28], .malformed),                                  // invalid UTF-8
        ([0x30, 0x04, 0x00, 0x02, 0x61, 0x00], .malformed),                                  // U+0000 in a string
        ([0x30, 0x03, 0x00, 0x05, 0x61], .malformed),                                        // string longer than the packet
        ([0x40, 0x03, 0x00, 0x01, 0x00], .malformed),                                        // a byte left over
        ([0x20, 0x02, 0x02, 0x00], .malformed),                                              // CONNACK reserved flag bits
        ([0x90, 0x03, 0x00, 0x01, 0x05], .malformed),                                        // SUBACK return code 5
    ] as [([UInt8], MQTTError.Kind)])
    func malformed(bytes: [UInt8], kind: MQTTError.Kind) {
        do {
            let result = try MQTTCodec.decode(bytes[...])
            Issue.record("decoded \(result) from \(bytes)")
        } catch {
            #expect(error.kind == kind, "\(error)")
        }
    }

    @Test func oversizeIsRefusedBeforeTheBodyArrives() {
        // Only the fixed header of a 300 KiB PUBLISH: refused at once, nothing waits for (or allocates) the body.
        var header: [UInt8] = [0x30]
        var length = 300 * 1024
        repeat { var d = UInt8(length % 128); length /= 128; if length > 0 { d |= 0x80 }; header.append(d) } while length > 0
        #expect(throws: MQTTError.self) { try MQTTCodec.decode(header[...]) }
        #expect(throws: Never.self) { try MQTTCodec.decode(header[...], maximumPacketSize: 400 * 1024) }
    }

    @Test func encodingRefusesWhatTheFormatCannotCarry() {
        #expect(throws: MQTTError.self) { try MQTTCodec.encode(.publish(MQTTPublish(topic: "t", payload: [], qos: 1, packetID: nil))) }
        #expect(throws: MQTTError.self) { try MQTTCodec.encode(.publish(MQTTPublish(topic: "t", payload: [], qos: 2, packetID: 1))) }
        #expect(throws: MQTTError.self) { try MQTTCodec.encode(.publish(MQTTPublish(topic: String(repeating: "x", count: 70_000), payload: [], qos: 0))) }
        #expect(throws: MQTTError.self) { try MQTTCodec.encode(.puback(packetID: 0)) }
    }
}
