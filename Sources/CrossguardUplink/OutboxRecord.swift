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

/// What a journal segment holds after a crash or after the storage damaged it: every whole, valid record,
/// where each starts, and the damaged spans between them. A damaged record costs that record only: the
/// scan finds the next record that is whole and valid (its marker, a length that fits and a matching
/// CRC-32C) and goes on from there, so one flipped byte never discards the records after it.
public struct JournalScan: Equatable, Sendable {
    /// A run of bytes that holds no valid record: a torn write, flipped bits, or garbage.
    public struct Damage: Equatable, Sendable {
        /// Where the run starts in the segment, and how many bytes it spans.
        public var offset: Int
        public var length: Int
        /// What was found at `offset`, for the log.
        public var reason: String

        /// A damaged run from its parts.
        public init(offset: Int, length: Int, reason: String) {
            self.offset = offset
            self.length = length
            self.reason = reason
        }

        /// Whether the run reaches the end of the segment (a torn tail, after a crash).
        public func isTail(of size: Int) -> Bool { offset + length == size }
    }

    public var records: [OutboxRecord]
    /// Where each of `records` starts in the segment.
    public var offsets: [Int]
    /// The damaged runs, in the order they lie.
    public var damage: [Damage]

    /// A scan result from its parts.
    public init(records: [OutboxRecord], offsets: [Int], damage: [Damage]) {
        self.records = records
        self.offsets = offsets
        self.damage = damage
    }

    /// Bytes of whole, valid records from the start up to the first damage: the part of the file that
    /// can stay as it is.
    public var validLength: Int {
        guard let first = damage.first else { return records.last.map { offsets[offsets.count - 1] + OutboxRecord.headerSize + $0.payload.count } ?? 0 }
        return first.offset
    }

    /// Reads every valid record of `bytes`. Sequence numbers must rise (from `lastSeq`, what the previous
    /// segment ended with): a record that goes back is damage, not data.
    public static func scan(_ bytes: [UInt8], after lastSeq: UInt64? = nil) -> JournalScan {
        var result = JournalScan(records: [], offsets: [], damage: [])
        var offset = 0
        var previous = lastSeq
        while offset < bytes.count {
            switch check(bytes, at: offset, after: previous) {
            case .record(let record, let length):
                result.records.append(record)
                result.offsets.append(offset)
                previous = record.seq
                offset += length
            case .damaged(let reason):
                // Re-synchronise: the next offset at which a whole, valid, later record starts.
                var next = offset + 1
                while next < bytes.count {
                    if bytes[next] == 0x43, case .record = check(bytes, at: next, after: previous) { break }
                    next += 1
                }
                result.damage.append(Damage(offset: offset, length: next - offset, reason: reason))
                offset = next
            }
        }
        return result
    }

    private enum Check {
        case record(OutboxRecord, length: Int)
        case damaged(String)
    }

    /// Whether a whole, valid record starts at `offset`.
    private static func check(_ bytes: [UInt8], at offset: Int, after previous: UInt64?) -> Check {
        func read(_ at: Int, _ count: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<count { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            return v
        }
        let left = bytes.count - offset
        guard left >= OutboxRecord.headerSize else { return .damaged("a torn record header of \(left) bytes at offset \(offset)") }
        guard bytes[offset] == 0x43, bytes[offset + 1] == 0x47, bytes[offset + 2] == 1, bytes[offset + 3] <= 3 else {
            return .damaged("no record marker at offset \(offset)")
        }
        let length = Int(read(offset + 4, 4))
        guard length <= OutboxRecord.maximumPayload else {
            return .damaged("a record length of \(length) bytes at offset \(offset) is over the limit")
        }
        guard left >= OutboxRecord.headerSize + length else {
            return .damaged("a torn record at offset \(offset): \(left) of \(OutboxRecord.headerSize + length) bytes")
        }
        let payloadStart = offset + OutboxRecord.headerSize
        let crc = CRC32C.update(CRC32C.checksum(bytes[(offset + 3)..<(offset + 16)]), bytes[payloadStart..<(payloadStart + length)])
        guard crc == UInt32(read(offset + 16, 4)) else { return .damaged("a damaged record at offset \(offset) (checksum mismatch)") }
        let seq = read(offset + 8, 8)
        if let previous, seq <= previous { return .damaged("sequence \(seq) at offset \(offset) does not follow \(previous)") }
        return .record(OutboxRecord(seq: seq, priority: bytes[offset + 3], payload: Array(bytes[payloadStart..<(payloadStart + length)])),
                       length: OutboxRecord.headerSize + length)
    }

    /// Checks one record read back alone (a record about to be re-sent): its payload, or why it is damaged.
    public static func verify(_ bytes: [UInt8], seq: UInt64) -> Result<OutboxRecord, JournalDamage> {
        switch check(bytes, at: 0, after: nil) {
        case .record(let record, let length) where length == bytes.count && record.seq == seq: .success(record)
        case .record: .failure(JournalDamage("the record read back for seq \(seq) is another record"))
        case .damaged(let reason): .failure(JournalDamage(reason))
        }
    }
}

/// Why bytes read back from the journal are not the record expected.
public struct JournalDamage: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    /// Damage with its sentence.
    public init(_ description: String) { self.description = description }
}
