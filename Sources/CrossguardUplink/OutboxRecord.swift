/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every outbox record: it
/// catches torn and corrupted writes better than CRC-32 and is what iSCSI, ext4 and SCTP use.
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    /// Continues a running checksum over more bytes (start from 0).
    public static func update(_ crc: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
        var c = ~crc
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }

    /// The checksum of some bytes.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 { update(0, bytes) }
}

/// One event in the outbox journal, as it lies on disk:
///
/// | bytes | field |
/// | --- | --- |
/// | 2 | magic `C` `G` |
/// | 1 | format version (1) |
/// | 1 | priority (0 info, 1 normal, 2 high, 3 critical) |
/// | 4 | payload length, little-endian |
/// | 8 | sequence number, little-endian |
/// | 4 | CRC-32C of the priority, length, sequence and payload bytes, little-endian |
/// | n | payload (the event's JSON) |
public struct OutboxRecord: Equatable, Sendable {
    public static let headerSize = 20
    /// Records larger than this are refused when written and treated as corruption when read.
    public static let maximumPayload = 1 << 20

    public var seq: UInt64
    public var priority: UInt8
    public var payload: [UInt8]

    /// A record of an event.
    public init(seq: UInt64, priority: UInt8, payload: [UInt8]) {
        self.seq = seq
        self.priority = priority
        self.payload = payload
    }

    /// Bytes on disk.
    public var encoded: [UInt8] {
        var out: [UInt8] = [0x43, 0x47, 1, priority]
        out.reserveCapacity(OutboxRecord.headerSize + payload.count)
        append(UInt64(payload.count), bytes: 4, to: &out)
        append(seq, bytes: 8, to: &out)
        let crc = CRC32C.update(CRC32C.checksum(out[3..<16]), payload)
        append(UInt64(crc), bytes: 4, to: &out)
        out += payload
        return out
    }

    private func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}

/// What a journal segment holds after a crash: the whole records up to the first that is torn or
/// damaged, and where the good part ends (the rest is cut off before appending).
public struct JournalScan: Equatable, Sendable {
    public var records: [OutboxRecord]
    /// Bytes of whole, valid records from the start; the file is truncated to this.
    public var validLength: Int
    /// Why the scan stopped before the end, nil when the segment was clean.
    public var problem: String?

    /// A scan result from its parts.
    public init(records: [OutboxRecord], validLength: Int, problem: String?) {
        self.records = records
        self.validLength = validLength
        self.problem = problem
    }

    /// Reads records from the start of `bytes` until the end or the first record that is not whole and
    /// valid. Sequence numbers must rise; a record that goes back is damage, not data.
    public static func scan(_ bytes: [UInt8], after lastSeq: UInt64? = nil) -> JournalScan {
        var records: [OutboxRecord] = []
        var offset = 0
        var previous = lastSeq
        func read(_ at: Int, _ count: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<count { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            return v
        }
        while offset < bytes.count {
            let left = bytes.count - offset
            guard left >= OutboxRecord.headerSize else {
                return JournalScan(records: records, validLength: offset, problem: "a torn record header of \(left) bytes at offset \(offset)")
            }
            guard bytes[offset] == 0x43, bytes[offset + 1] == 0x47, bytes[offset + 2] == 1 else {
                return JournalScan(records: records, validLength: offset, problem: "no record marker at offset \(offset)")
            }
            let length = Int(read(offset + 4, 4))
            guard length <= OutboxRecord.maximumPayload else {
                return JournalScan(records: records, validLength: offset, problem: "a record length of \(length) bytes at offset \(offset) is over the limit")
            }
            guard left >= OutboxRecord.headerSize + length else {
                return JournalScan(records: records, validLength: offset, problem: "a torn record at offset \(offset): \(left) of \(OutboxRecord.headerSize + length) bytes")
            }
            let payload = Array(bytes[(offset + OutboxRecord.headerSize)..<(offset + OutboxRecord.headerSize + length)])
            let crc = CRC32C.update(CRC32C.checksum(bytes[(offset + 3)..<(offset + 16)]), payload)
            guard crc == UInt32(read(offset + 16, 4)) else {
                return JournalScan(records: records, validLength: offset, problem: "a damaged record at offset \(offset) (checksum mismatch)")
            }
            let seq = read(offset + 8, 8)
            if let previous, seq <= previous {
                return JournalScan(records: records, validLength: offset, problem: "sequence \(seq) at offset \(offset) does not follow \(previous)")
            }
            records.append(OutboxRecord(seq: seq, priority: bytes[offset + 3], payload: payload))
            previous = seq
            offset += OutboxRecord.headerSize + length
        }
        return JournalScan(records: records, validLength: offset, problem: nil)
    }
}
