import CrossguardHAL

/// The outbox's limits and pauses (issue 4; `[uplink]` of the site file).
public struct OutboxSettings: Equatable, Sendable {
    /// Disk the journal may use before the oldest `info`, then `normal` events are dropped (default 64 MiB).
    public var maximumBytes = 64 << 20
    /// A segment is closed and a new one begun past this size; whole segments are reclaimed.
    public var segmentBytes = 4 << 20
    /// `normal` and `info` records are made durable within this many milliseconds (batched fsync).
    public var syncDelayMs: UInt64 = 1_000
    /// The acknowledged position is written at most this often, in milliseconds.
    public var cursorDelayMs: UInt64 = 250
    /// Sequence numbers reserved durably ahead of use, so a power cut never hands one out twice.
    public var seqReservation: UInt64 = 4_096

    /// The defaults of issue 4.
    public init() {}
}

/// The outbox's durable position: acknowledged through `acked`, numbers reserved through `reserved`,
/// and whether the last run stopped cleanly. Kept as one line a technician can read:
/// `outbox acked 1234 reserved 8192 clean`.
public struct OutboxCursor: Equatable, Sendable {
    public var acked: UInt64
    public var reserved: UInt64
    public var clean: Bool

    /// A cursor from its parts.
    public init(acked: UInt64, reserved: UInt64, clean: Bool) {
        self.acked = acked
        self.reserved = reserved
        self.clean = clean
    }

    /// The record's bytes.
    public var encoded: [UInt8] { Array("outbox acked \(acked) reserved \(reserved) \(clean ? "clean" : "running")\n".utf8) }

    /// Reads a record back; nil when it is not one this program wrote.
    public static func decode(_ bytes: [UInt8]) -> OutboxCursor? {
        let text = String(decoding: bytes, as: UTF8.self)
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        guard text.hasSuffix("\n"), words.count == 6, words[0] == "outbox", words[1] == "acked", words[3] == "reserved",
              let acked = UInt64(words[2]), let reserved = UInt64(words[4]), words[5] == "clean\n" || words[5] == "running\n"
        else { return nil }
        return OutboxCursor(acked: acked, reserved: reserved, clean: words[5] == "clean\n")
    }
}

/// What one pass of the bound dropped: counts by priority and the sequence numbers they spanned.
public struct OutboxDrop: Equatable, Sendable {
    public var info: Int
    public var normal: Int
    public var firstSeq: UInt64
    public var lastSeq: UInt64
}

/// Counts for status and diagnostics.
public struct OutboxStatistics: Equatable, Sendable {
    /// Records waiting for the broker's acknowledgement.
    public var records = 0
    /// Bytes of journal on disk.
    public var bytes = 0
    /// Records dropped because the outbox was full, since start.
    public var droppedInfo = 0
    public var droppedNormal = 0
    /// fsync calls made for records (a measure of the batching).
    public var syncs = 0

    /// Zero counts.
    public init() {}
}

/// The durable outbox (issue 4): an append-only journal of `OutboxRecord`s in numbered segments, and a
/// cursor past the records the broker acknowledged. A record is appended before it is handed to MQTT
/// (made durable first for `critical` and `high`) and leaves only after PUBACK. Start-up scans every
/// segment, cuts a torn or damaged tail, and hands back everything not acknowledged, in order.
///
/// Owned by the uplink's thread: every call may block on storage.
public final class Outbox {
    private struct Entry {
        var seq: UInt64
        var priority: UInt8
        var segment: UInt64
        /// Where the record starts in its segment, and its size on disk (header included).
        var offset: Int
        var length: Int
        var acked = false
    }

    private struct Segment {
        var number: UInt64
        var bytes: Int
        /// Records not yet acknowledged.
        var live: Int
    }

    public let settings: OutboxSettings
    private let store: SegmentStore
    private let cursorRecord: DurableRecord
    private var cursor: OutboxCursor
    /// Unacknowledged records (and acknowledged ones behind an older unacknowledged one), oldest first,
    /// from `head`; `handed` is the first not yet given to the session.
    private var entries: [Entry] = []
    private var head = 0
    private var handed = 0
    private var segments: [Segment] = []
    private var lastSeq: UInt64
    private var unsyncedSinceMs: UInt64?
    private var cursorDirtySinceMs: UInt64?
    /// Kept as running counts: recounting per append or acknowledgement would make a backlog quadratic.
    private var liveRecords = 0
    private var totalBytes = 0
    /// Counts for status.
    public private(set) var statistics = OutboxStatistics()
    /// What start-up found and repaired (a torn tail, an unreadable cursor), for the log and `diag`.
    public private(set) var recoveryProblems: [String] = []
    /// The sequence number the device's next event must get.
    public var nextSeq: UInt64 { lastSeq + 1 }

    /// Opens the journal in `store`, recovering it after a crash, and marks the run begun.
    public init(store: SegmentStore, cursor cursorRecord: DurableRecord, settings: OutboxSettings = OutboxSettings()) throws(HardwareError) {
        self.settings = settings
        self.store = store
        self.cursorRecord = cursorRecord
        var cursor = OutboxCursor(acked: 0, reserved: 0, clean: true)
        if let bytes = try cursorRecord.read() {
            if let c = OutboxCursor.decode(bytes) {
                cursor = c
            } else {
                // Not knowing what was acknowledged: send everything again, and skip ahead like after a crash.
                recoveryProblems.append("\(cursorRecord.location) is not an outbox cursor; every journaled record is sent again")
                cursor = OutboxCursor(acked: 0, reserved: 0, clean: false)
            }
        }
        var previous: UInt64?
        var journalMax: UInt64 = 0
        for number in try store.segments() {
            let bytes = try store.read(number)
            let scan = JournalScan.scan(bytes, after: previous)
            if let problem = scan.problem {
                recoveryProblems.append("\(store.location) segment \(number): \(problem); cut at \(scan.validLength) of \(bytes.count) bytes")
                try store.truncate(number, to: scan.validLength)
            }
            if scan.records.isEmpty {
                try store.remove(number)
                continue
            }
            var segment = Segment(number: number, bytes: scan.validLength, live: 0)
            var offset = 0
            for record in scan.records {
                let length = OutboxRecord.headerSize + record.payload.count
                if record.seq > cursor.acked {
                    entries.append(Entry(seq: record.seq, priority: record.priority, segment: number, offset: offset, length: length))
                    segment.live += 1
                }
                offset += length
                previous = record.seq
                journalMax = record.seq
            }
            if segment.live == 0 {
                try store.remove(number)
            } else {
                segments.append(segment)
                liveRecords += segment.live
                totalBytes += segment.bytes
            }
        }
        if !cursor.clean && cursor.reserved > journalMax {
            recoveryProblems.append("the last run did not stop cleanly; sequence numbers \(journalMax + 1)–\(cursor.reserved) may have been used and are skipped")
        }
        lastSeq = max(journalMax, cursor.acked, cursor.clean ? 0 : cursor.reserved)
        cursor.clean = false
        cursor.reserved = lastSeq + settings.seqReservation
        self.cursor = cursor
        try cursorRecord.write(cursor.encoded)
        // Appends go to a fresh segment: a recovered one is never written again, only reclaimed.
        segments.append(Segment(number: (segments.last?.number ?? 0) + 1, bytes: 0, live: 0))
        updateStatistics()
    }

    /// Appends records (rising sequence numbers from `nextSeq` on) with one write; when any is `high` or
    /// `critical` (priority 2 or 3) the journal is made durable before this returns. Returns what the
    /// bound dropped to make room, if it dropped anything.
    @discardableResult
    public func append(_ records: [OutboxRecord], nowMs: UInt64) throws(HardwareError) -> OutboxDrop? {
        guard let last = records.last else { return nil }
        var previous = lastSeq
        for r in records {
            guard r.seq > previous else { throw HardwareError(.other, "outbox: sequence \(r.seq) does not follow \(previous)") }
            guard r.payload.count <= OutboxRecord.maximumPayload else { throw HardwareError(.other, "outbox: a record of \(r.payload.count) bytes is over the \(OutboxRecord.maximumPayload)-byte limit") }
            previous = r.seq
        }
        if last.seq > cursor.reserved {
            // Rare (every `seqReservation` events): the reservation must be durable before the numbers are used.
            cursor.reserved = last.seq + settings.seqReservation
            try cursorRecord.write(cursor.encoded)
            cursorDirtySinceMs = nil
        }
        if segments[segments.count - 1].bytes >= settings.segmentBytes { try roll() }
        var bytes: [UInt8] = []
        var urgent = false
        let number = segments[segments.count - 1].number
        var offset = segments[segments.count - 1].bytes
        for r in records {
            let encoded = r.encoded
            entries.append(Entry(seq: r.seq, priority: r.priority, segment: number, offset: offset, length: encoded.count))
            offset += encoded.count
            bytes += encoded
            urgent = urgent || r.priority >= 2
        }
        try store.append(bytes, to: number)
        segments[segments.count - 1].bytes += bytes.count
        segments[segments.count - 1].live += records.count
        liveRecords += records.count
        totalBytes += bytes.count
        lastSeq = last.seq
        if urgent {
            try syncActive()
        } else if unsyncedSinceMs == nil {
            unsyncedSinceMs = nowMs
        }
        let drop = try enforceBound()
        updateStatistics()
        return drop
    }

    /// Up to `count` records not yet handed to the session, oldest first, read back from the journal.
    public func take(_ count: Int) throws(HardwareError) -> [OutboxRecord] {
        var out: [OutboxRecord] = []
        while out.count < count, handed < entries.count {
            let e = entries[handed]
            let bytes = try store.read(e.segment, offset: e.offset + OutboxRecord.headerSize, count: e.length - OutboxRecord.headerSize)
            out.append(OutboxRecord(seq: e.seq, priority: e.priority, payload: bytes))
            handed += 1
        }
        return out
    }

    /// Records not yet handed to the session.
    public var unhandedCount: Int { entries.count - handed }

    /// The broker acknowledged record `seq`: it may leave once every older record has too.
    public func acknowledge(_ seq: UInt64, nowMs: UInt64) throws(HardwareError) {
        // Acknowledgements come for records handed out, near the head: a short scan.
        guard let index = entries[head..<handed].firstIndex(where: { $0.seq == seq }), !entries[index].acked else { return }
        entries[index].acked = true
        if let s = segments.firstIndex(where: { $0.number == entries[index].segment }) { segments[s].live -= 1 }
        liveRecords -= 1
        while head < entries.count, entries[head].acked { head += 1 }
        if head > 0 {
            cursor.acked = max(cursor.acked, entries[head - 1].seq)
            if cursorDirtySinceMs == nil { cursorDirtySinceMs = nowMs }
        }
        if head >= 4_096 && head * 2 >= entries.count {
            entries.removeFirst(head)
            handed -= head
            head = 0
        }
        // Whole segments acknowledged (never the one being appended to) are deleted.
        while segments.count > 1, segments[0].live == 0 {
            try store.remove(segments[0].number)
            totalBytes -= segments[0].bytes
            segments.removeFirst()
        }
        updateStatistics()
    }

    /// Does the batched work that is due: the fsync of `normal`/`info` records, the cursor. Returns when
    /// to call again (milliseconds), nil when nothing waits.
    public func maintain(nowMs: UInt64) throws(HardwareError) -> UInt64? {
        if let since = unsyncedSinceMs, nowMs >= since + settings.syncDelayMs { try syncActive() }
        if let since = cursorDirtySinceMs, nowMs >= since + settings.cursorDelayMs {
            try cursorRecord.write(cursor.encoded)
            cursorDirtySinceMs = nil
        }
        let due = [unsyncedSinceMs.map { $0 + settings.syncDelayMs }, cursorDirtySinceMs.map { $0 + settings.cursorDelayMs }].compactMap { $0 }
        return due.min()
    }

    /// Makes everything durable and marks the run stopped cleanly (the next start reuses no gap).
    public func close() throws(HardwareError) {
        if unsyncedSinceMs != nil { try syncActive() }
        cursor.clean = true
        try cursorRecord.write(cursor.encoded)
        cursorDirtySinceMs = nil
    }

    private func syncActive() throws(HardwareError) {
        try store.sync(segments[segments.count - 1].number)
        statistics.syncs += 1
        unsyncedSinceMs = nil
    }

    private func roll() throws(HardwareError) {
        if unsyncedSinceMs != nil { try syncActive() }
        let next = segments[segments.count - 1].number + 1
        if segments[segments.count - 1].live == 0 {
            try store.remove(segments[segments.count - 1].number)
            totalBytes -= segments[segments.count - 1].bytes
            segments.removeLast()
        }
        segments.append(Segment(number: next, bytes: 0, live: 0))
    }

    /// When the journal is over its bound: drops the oldest not-yet-sent `info` records, then `normal`
    /// ones, never `high` or `critical`, and rewrites the segments that held them (and their acknowledged
    /// records) without them, until the journal is a segment under the bound.
    private func enforceBound() throws(HardwareError) -> OutboxDrop? {
        let total = totalBytes
        guard total > settings.maximumBytes else { return nil }
        let target = max(0, settings.maximumBytes - settings.segmentBytes)
        try roll()  // the segment being appended to becomes old, so it can be rewritten too
        var dropped = Set<UInt64>()
        var drop = OutboxDrop(info: 0, normal: 0, firstSeq: .max, lastSeq: 0)
        var freed = 0
        for priority: UInt8 in [0, 1] where total - freed > target {
            for i in handed..<entries.count where entries[i].priority == priority && total - freed > target {
                dropped.insert(entries[i].seq)
                freed += entries[i].length
                if priority == 0 { drop.info += 1 } else { drop.normal += 1 }
                drop.firstSeq = min(drop.firstSeq, entries[i].seq)
                drop.lastSeq = max(drop.lastSeq, entries[i].seq)
            }
        }
        guard !dropped.isEmpty else { return nil }
        let touched = Set(entries[handed...].filter { dropped.contains($0.seq) }.map(\.segment))
        for s in segments.indices where touched.contains(segments[s].number) {
            let number = segments[s].number
            let scan = JournalScan.scan(try store.read(number))
            var kept: [UInt8] = []
            var newOffsets: [UInt64: Int] = [:]
            for r in scan.records where r.seq > cursor.acked && !dropped.contains(r.seq) && !isAcked(r.seq) {
                newOffsets[r.seq] = kept.count
                kept += r.encoded
            }
            if kept.isEmpty {
                try store.remove(number)
            } else {
                try store.replace(number, with: kept)
            }
            segments[s].bytes = kept.count
            segments[s].live = newOffsets.count
            for i in head..<entries.count where entries[i].segment == number {
                if let o = newOffsets[entries[i].seq] { entries[i].offset = o }
            }
        }
        // Entries before `handed` are in flight (or acknowledged) and stay; the dropped ones leave the list.
        entries = Array(entries[..<handed]) + entries[handed...].filter { !dropped.contains($0.seq) }
        let active = segments[segments.count - 1].number
        segments.removeAll { $0.bytes == 0 && $0.number != active }
        statistics.droppedInfo += drop.info
        statistics.droppedNormal += drop.normal
        liveRecords -= dropped.count
        totalBytes = segments.reduce(0) { $0 + $1.bytes }
        return drop
    }

    private func isAcked(_ seq: UInt64) -> Bool {
        guard let i = entries[head..<handed].firstIndex(where: { $0.seq == seq }) else { return false }
        return entries[i].acked
    }

    private func updateStatistics() {
        statistics.records = liveRecords
        statistics.bytes = totalBytes
    }
}
