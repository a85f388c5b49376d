import CrossguardCore
import CrossguardHAL

/// The outbox's limits and pauses (`[uplink]` of the site file).
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
    /// Payload bytes the outbox holds in memory while the journal cannot be written, before the oldest
    /// unsent `info`, then `normal` events are dropped (default 4 MiB). `critical` and `high` events are
    /// never dropped: memory past this bound holds only them.
    public var memoryMaximumBytes = 4 << 20
    /// While the journal cannot be written, how often writing it is tried again, in milliseconds.
    public var retryMs: UInt64 = 1_000

    /// The defaults.
    public init() {}
}

/// The outbox's durable position: acknowledged through `acked`, numbers reserved through `reserved`, the
/// last number handed out (`used`, trusted after a clean stop), and whether the last run stopped cleanly.
/// Kept as one line a technician can read: `outbox acked 1234 reserved 8192 used 4100 clean`.
public struct OutboxCursor: Equatable, Sendable {
    public var acked: UInt64
    public var reserved: UInt64
    /// The highest sequence number given to an event so far; nil in a cursor of the older form without it.
    public var used: UInt64?
    public var clean: Bool

    /// A cursor from its parts.
    public init(acked: UInt64, reserved: UInt64, used: UInt64? = nil, clean: Bool) {
        self.acked = acked
        self.reserved = reserved
        self.used = used
        self.clean = clean
    }

    /// The record's bytes.
    public var encoded: [UInt8] {
        Array("outbox acked \(acked) reserved \(reserved)\(used.map { " used \($0)" } ?? "") \(clean ? "clean" : "running")\n".utf8)
    }

    /// Reads a record back; nil when it is not one this program wrote (with or without `used`).
    public static func decode(_ bytes: [UInt8]) -> OutboxCursor? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\n") else { return nil }
        let words = text.dropLast().split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 6 || words.count == 8, words[0] == "outbox", words[1] == "acked", words[3] == "reserved",
              let acked = UInt64(words[2]), let reserved = UInt64(words[4]), words.last == "clean" || words.last == "running"
        else { return nil }
        var used: UInt64?
        if words.count == 8 {
            guard words[5] == "used", let u = UInt64(words[6]) else { return nil }
            used = u
        }
        return OutboxCursor(acked: acked, reserved: reserved, used: used, clean: words.last == "clean")
    }
}

/// What one pass of a bound dropped, of one priority: every unsent event of that priority whose `seq` lies
/// in `firstSeq...lastSeq` was dropped, and no other (the oldest unsent ones of a priority go first).
public struct OutboxDrop: Equatable, Sendable {
    public var info: Int
    public var normal: Int
    public var firstSeq: UInt64
    public var lastSeq: UInt64
}

/// Damage found in the journal: `bytes` that held no valid record, and the sequence numbers lost with
/// them when the valid neighbours tell (nil when nothing lay between the neighbours, or none follows).
public struct OutboxDamage: Equatable, Sendable {
    public var bytes: Int
    public var seqs: ClosedRange<UInt64>?
    /// Where and what, for the log.
    public var detail: String

    /// Damage from its parts.
    public init(bytes: Int, seqs: ClosedRange<UInt64>?, detail: String) {
        self.bytes = bytes
        self.seqs = seqs
        self.detail = detail
    }
}

/// Why the journal cannot be written, and since when (milliseconds on the caller's monotonic clock).
public struct OutboxStorageFault: Equatable, Sendable {
    public var kind: StorageFaultKind
    public var error: HardwareError
    public var sinceMs: UInt64

    /// A fault from its parts.
    public init(kind: StorageFaultKind, error: HardwareError, sinceMs: UInt64) {
        self.kind = kind
        self.error = error
        self.sinceMs = sinceMs
    }
}

/// What the outbox has to tell the operations centre; the uplink turns each into an event, numbered by
/// the core with all the others (`Command.report`).
public enum OutboxNotice: Equatable, Sendable {
    /// A bound (disk or memory) dropped events.
    case dropped(OutboxDrop)
    /// Start-up or a read found damage.
    case damaged(OutboxDamage)
    /// The journal cannot be written: events are kept in memory and still sent.
    case storageFailed(OutboxStorageFault)
    /// The journal is written again; what memory held is in it.
    case storageRecovered(OutboxStorageFault)
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
    /// Records held in memory only, because the journal cannot be written.
    public var inMemory = 0

    /// Zero counts.
    public init() {}
}

extension StorageFaultKind {
    /// The kind of a storage error, from the backend's error kind.
    public init(_ error: HardwareError) {
        self = switch error.kind {
        case .noSpace: .noSpace
        case .readOnly: .readOnly
        case .permissionDenied: .permissionDenied
        case .busFault: .ioError
        default: .other
        }
    }
}

/// The durable outbox: an append-only journal of `OutboxRecord`s in numbered segments, and a cursor past
/// the records the broker acknowledged. A record is appended before it is handed to MQTT (made durable
/// first for `critical` and `high`) and leaves only after PUBACK. Start-up scans every segment, keeps
/// every valid record around damage, and hands back everything not acknowledged, in order.
///
/// Storage that fails (no space, read-only, I/O errors) never loses a record while the process runs: the
/// records are held in memory and still sent, a bounded memory drops `info`, then `normal` ones first, and
/// the journal is tried again every `retryMs`; once it takes writes again, what memory still holds is
/// journaled, in order. No call throws: what the centre must learn comes out as `OutboxNotice`s.
///
/// Owned by the uplink's thread: every call may block on storage.
public final class Outbox {
    /// Where a record's bytes are: in a segment (offset and size on disk, header included), or in memory
    /// only, while the journal cannot be written.
    private enum Place {
        case disk(segment: UInt64, offset: Int, length: Int)
        case memory([UInt8])
    }

    private struct Entry {
        var seq: UInt64
        var priority: UInt8
        var place: Place
        var acked = false
        /// Failed reads of this record; after three it counts as damaged.
        var readFailures = 0

        var segment: UInt64? { if case .disk(let s, _, _) = place { s } else { nil } }
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
    /// Segments on disk, oldest first; the last is the one appended to.
    private var segments: [Segment] = []
    private var lastSeq: UInt64
    private var unsyncedSinceMs: UInt64?
    private var cursorDirtySinceMs: UInt64?
    /// Kept as running counts: recounting per append or acknowledgement would make a backlog quadratic.
    private var liveRecords = 0
    private var totalBytes = 0
    private var memoryBytes = 0
    private var memoryRecords = 0
    /// Set while the journal cannot be written.
    public private(set) var storageFault: OutboxStorageFault?
    private var lastTryMs: UInt64 = 0
    /// The active segment takes no more appends (a write to it failed); the next append begins another.
    private var activeClosed = false
    private var notices: [OutboxNotice] = []
    /// Counts for status.
    public private(set) var statistics = OutboxStatistics()
    /// What start-up found and repaired (damage, an unclean stop, an unreadable cursor), for the log and `diag`.
    public private(set) var recoveryProblems: [String] = []
    /// The sequence numbers the previous run reserved and may have used, which this run skips: after an
    /// unclean stop, the numbers above the last one found in the journal through the reservation. Nil
    /// after a clean stop (the numbers continue without a gap).
    public private(set) var skipped: ClosedRange<UInt64>?
    /// The sequence number the device's next event must get.
    public var nextSeq: UInt64 { lastSeq + 1 }

    /// Opens the journal in `store`, recovering it after a crash, and marks the run begun. Storage that
    /// cannot be read or written does not stop the outbox: it starts in memory (`storageFault`).
    public init(store: SegmentStore, cursor cursorRecord: DurableRecord, settings: OutboxSettings = OutboxSettings(), nowMs: UInt64 = 0) {
        self.settings = settings
        self.store = store
        self.cursorRecord = cursorRecord
        self.cursor = OutboxCursor(acked: 0, reserved: 0, clean: false)  // set below, once the journal is read
        lastSeq = 0
        var cursor: OutboxCursor?
        var cursorKnown = true
        do {
            if let bytes = try cursorRecord.read() {
                cursor = OutboxCursor.decode(bytes)
                if cursor == nil {
                    // Not knowing what was acknowledged: send everything again, and skip ahead like after a crash.
                    recoveryProblems.append("\(cursorRecord.location) is not an outbox cursor; every journaled record is sent again")
                    cursorKnown = false
                }
            }
        } catch {
            recoveryProblems.append("cannot read \(cursorRecord.location) (\(error)); every journaled record is sent again")
            cursorKnown = false
        }
        var previous: UInt64?
        var journalMax: UInt64 = 0
        /// A damaged run whose upper neighbour is not yet known: it is the next valid record found.
        var openDamage: (bytes: Int, after: UInt64?, detail: String)?
        var failure: HardwareError?
        let acked = cursor?.acked ?? 0
        do {
            for number in try store.segments() {
                let bytes = try store.read(number)
                let scan = JournalScan.scan(bytes, after: previous)
                var damageIndex = 0
                func closeDamage(before seq: UInt64?) {
                    guard let open = openDamage else { return }
                    let first = (open.after ?? acked) + 1
                    let seqs: ClosedRange<UInt64>? = if let seq, seq > first { first...(seq - 1) } else { nil }
                    notices.append(.damaged(OutboxDamage(bytes: open.bytes, seqs: seqs, detail: open.detail)))
                    recoveryProblems.append(open.detail + (seqs.map { "; seq \($0.lowerBound)–\($0.upperBound) lost" } ?? ""))
                    openDamage = nil
                }
                func noteDamage(_ d: JournalScan.Damage) {
                    let detail = "\(store.location) segment \(number): \(d.reason), \(d.length) bytes skipped"
                    openDamage = (d.length + (openDamage?.bytes ?? 0), previous, openDamage.map { $0.detail + "; " + detail } ?? detail)
                }
                for (i, record) in scan.records.enumerated() {
                    while damageIndex < scan.damage.count, scan.damage[damageIndex].offset < scan.offsets[i] {
                        noteDamage(scan.damage[damageIndex])
                        damageIndex += 1
                    }
                    closeDamage(before: record.seq)
                    previous = record.seq
                    journalMax = record.seq
                }
                for d in scan.damage[damageIndex...] { noteDamage(d) }
                // The unacknowledged records stay where they are when the file is clean or only its tail is
                // torn (cut off); damage inside the file is removed by writing the valid records anew.
                let tailOnly = scan.damage.isEmpty || (scan.damage.count == 1 && scan.damage[0].isTail(of: bytes.count))
                var kept: [Entry] = []
                var rewritten: [UInt8] = []
                for (i, record) in scan.records.enumerated() where record.seq > acked {
                    let length = OutboxRecord.headerSize + record.payload.count
                    kept.append(Entry(seq: record.seq, priority: record.priority,
                                      place: .disk(segment: number, offset: tailOnly ? scan.offsets[i] : rewritten.count, length: length)))
                    if !tailOnly { rewritten += record.encoded }
                }
                if kept.isEmpty {
                    try store.remove(number)
                    continue
                }
                var size = bytes.count
                if !scan.damage.isEmpty {
                    if tailOnly {
                        try store.truncate(number, to: scan.validLength)
                        size = scan.validLength
                    } else {
                        try store.replace(number, with: rewritten)
                        size = rewritten.count
                    }
                }
                entries += kept
                segments.append(Segment(number: number, bytes: size, live: kept.count))
                liveRecords += kept.count
                totalBytes += size
            }
        } catch {
            failure = error
            recoveryProblems.append("cannot read the journal in \(store.location) (\(error)); records not read are sent when it can be read again, after a restart")
        }
        if cursor == nil && cursorKnown && journalMax > 0 {
            // A journal without its cursor: the cursor was lost, and with it how far the numbers went.
            recoveryProblems.append("\(cursorRecord.location) is missing beside a journal; every journaled record is sent again")
            cursorKnown = false
        }
        let clean = cursor?.clean ?? true
        let used = clean ? cursor?.used : nil
        // The numbers the previous run may have used: all of them through its reservation unless it stopped
        // cleanly and said how far it got. A cursor that cannot be read could have reserved up to one
        // reservation past anything the journal shows.
        let ceiling = cursorKnown ? max(journalMax, acked, used ?? (cursor?.reserved ?? 0)) : journalMax + settings.seqReservation
        if let open = openDamage {
            // Damage at the very end: what lay there is within the numbers this run skips, or was never used.
            let first = (open.after ?? acked) + 1
            let seqs: ClosedRange<UInt64>? = ceiling >= first ? first...ceiling : nil
            // After an unclean stop it is the crash's torn write, and its numbers are among those skipped
            // (named by `controller.started`); after a clean stop it is damage, and reported as such.
            if clean && cursorKnown { notices.append(.damaged(OutboxDamage(bytes: open.bytes, seqs: seqs, detail: open.detail))) }
            recoveryProblems.append(open.detail)
        }
        let highest = max(journalMax, acked)
        if ceiling > highest {
            skipped = (highest + 1)...ceiling
            recoveryProblems.append(cursorKnown
                ? "the last run did not stop cleanly; sequence numbers \(highest + 1)–\(ceiling) may have been used and are skipped"
                : "the cursor is unknown; sequence numbers \(highest + 1)–\(ceiling) may have been used and are skipped")
        }
        lastSeq = ceiling
        self.cursor = OutboxCursor(acked: acked, reserved: ceiling + settings.seqReservation, used: ceiling, clean: false)
        // Appends go to a fresh segment: a recovered one is never written again, only reclaimed.
        segments.append(Segment(number: (segments.last?.number ?? 0) + 1, bytes: 0, live: 0))
        if let failure {
            fail(failure, nowMs: nowMs)
        } else {
            do { try cursorRecord.write(self.cursor.encoded) } catch { fail(error, nowMs: nowMs) }
        }
        updateStatistics()
    }

    /// Appends records (rising sequence numbers from `nextSeq` on) with one write; when any is `high` or
    /// `critical` (priority 2 or 3) the journal is made durable before this returns. When the journal
    /// cannot be written the records are held in memory instead. Sequence numbers that do not rise are a
    /// caller's error: those records are refused and named in `recoveryProblems`.
    public func append(_ records: [OutboxRecord], nowMs: UInt64) {
        var records = records
        var previous = lastSeq
        records.removeAll { r in
            guard r.seq > previous, r.payload.count <= OutboxRecord.maximumPayload else {
                recoveryProblems.append("a record of seq \(r.seq) and \(r.payload.count) bytes was refused: numbers must rise past \(previous) and payloads stay under \(OutboxRecord.maximumPayload) bytes")
                return true
            }
            previous = r.seq
            return false
        }
        guard let last = records.last else { return }
        lastSeq = last.seq
        cursor.used = last.seq
        if storageFault == nil {
            journal(records, nowMs: nowMs)
        } else {
            hold(records)
        }
        if storageFault == nil { enforceBound() }
        enforceMemoryBound()
        updateStatistics()
    }

    /// Writes records to the active segment; on a storage failure they are held in memory.
    private func journal(_ records: [OutboxRecord], nowMs: UInt64) {
        do {
            if lastSeq > cursor.reserved {
                // Rare (every `seqReservation` events): the reservation must be durable before the numbers are used.
                cursor.reserved = lastSeq + settings.seqReservation
                try cursorRecord.write(cursor.encoded)
                cursorDirtySinceMs = nil
            }
            if activeClosed || segments[segments.count - 1].bytes >= settings.segmentBytes {
                try roll()
                activeClosed = false
            }
        } catch {
            fail(error, nowMs: nowMs)
            hold(records)
            return
        }
        var bytes: [UInt8] = []
        var urgent = false
        let number = segments[segments.count - 1].number
        let start = segments[segments.count - 1].bytes
        var added: [Entry] = []
        for r in records {
            let encoded = r.encoded
            added.append(Entry(seq: r.seq, priority: r.priority, place: .disk(segment: number, offset: start + bytes.count, length: encoded.count)))
            bytes += encoded
            urgent = urgent || r.priority >= 2
        }
        do {
            try store.append(bytes, to: number)
            if urgent {
                try store.sync(number)
                statistics.syncs += 1
                unsyncedSinceMs = nil
            } else if unsyncedSinceMs == nil {
                unsyncedSinceMs = nowMs
            }
        } catch {
            // A part of the write may be on disk: cut it off where it can be, and append no more to this
            // segment (recovery skips a torn run anyway). The records are kept in memory.
            try? store.truncate(number, to: start)
            fail(error, nowMs: nowMs)
            hold(records)
            return
        }
        entries += added
        segments[segments.count - 1].bytes += bytes.count
        segments[segments.count - 1].live += records.count
        liveRecords += records.count
        totalBytes += bytes.count
    }

    /// Keeps records in memory only (the journal cannot be written).
    private func hold(_ records: [OutboxRecord]) {
        for r in records {
            entries.append(Entry(seq: r.seq, priority: r.priority, place: .memory(r.payload)))
            memoryBytes += r.payload.count
            memoryRecords += 1
            liveRecords += 1
        }
    }

    /// Notes a storage failure (the first one raises the fault; later ones while it lasts change nothing).
    private func fail(_ error: HardwareError, nowMs: UInt64) {
        lastTryMs = nowMs
        guard storageFault == nil else { return }
        let fault = OutboxStorageFault(kind: StorageFaultKind(error), error: error, sinceMs: nowMs)
        storageFault = fault
        notices.append(.storageFailed(fault))
        unsyncedSinceMs = nil
        // Nothing more goes to the segment being appended to (a failed write may have left a torn run at its
        // end): a new one is begun when writing works again.
        activeClosed = true
    }

    /// What the centre must learn since the last call (drops, damage, storage faults and recoveries).
    public func takeNotices() -> [OutboxNotice] {
        defer { notices.removeAll() }
        return notices
    }

    /// Up to `count` records not yet handed to the session, oldest first, read back from the journal (or
    /// memory). A record that reads back damaged, or fails to read three times, is skipped and reported.
    public func take(_ count: Int, nowMs: UInt64 = 0) -> [OutboxRecord] {
        var out: [OutboxRecord] = []
        while out.count < count, handed < entries.count {
            let e = entries[handed]
            switch e.place {
            case .memory(let payload):
                out.append(OutboxRecord(seq: e.seq, priority: e.priority, payload: payload))
                handed += 1
            case .disk(let segment, let offset, let length):
                let bytes: [UInt8]
                do { bytes = try store.read(segment, offset: offset, count: length) } catch {
                    entries[handed].readFailures += 1
                    if entries[handed].readFailures < 3 {
                        fail(error, nowMs: nowMs)
                        return out
                    }
                    lose(at: handed, "\(store.location) segment \(segment): seq \(e.seq) cannot be read (\(error))")
                    continue
                }
                switch JournalScan.verify(bytes, seq: e.seq) {
                case .success(let record):
                    out.append(record)
                    handed += 1
                case .failure(let damage):
                    lose(at: handed, "\(store.location) segment \(segment): \(damage) at offset \(offset)")
                }
            }
        }
        updateStatistics()
        return out
    }

    /// A record that cannot be read back: it leaves the outbox, and the centre learns which `seq` it was.
    private func lose(at index: Int, _ detail: String) {
        let removed = entries.remove(at: index)
        liveRecords -= 1
        recoveryProblems.append(detail)
        guard case .disk(let segment, _, let length) = removed.place else { return }
        if let s = segments.firstIndex(where: { $0.number == segment }) { segments[s].live -= 1 }
        notices.append(.damaged(OutboxDamage(bytes: length, seqs: removed.seq...removed.seq, detail: detail)))
    }

    /// Records not yet handed to the session.
    public var unhandedCount: Int { entries.count - handed }

    /// The broker acknowledged record `seq`: it may leave once every older record has too.
    public func acknowledge(_ seq: UInt64, nowMs: UInt64) {
        // Acknowledgements come for records handed out, near the head: a short scan.
        guard let index = entries[head..<handed].firstIndex(where: { $0.seq == seq }), !entries[index].acked else { return }
        entries[index].acked = true
        switch entries[index].place {
        case .disk(let segment, _, _):
            if let s = segments.firstIndex(where: { $0.number == segment }) { segments[s].live -= 1 }
        case .memory(let payload):
            memoryBytes -= payload.count
            memoryRecords -= 1
            entries[index].place = .memory([])
        }
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
            do { try store.remove(segments[0].number) } catch {
                fail(error, nowMs: nowMs)
                break
            }
            totalBytes -= segments[0].bytes
            segments.removeFirst()
        }
        updateStatistics()
    }

    /// Does the batched work that is due: the fsync of `normal`/`info` records, the cursor, and while the
    /// journal cannot be written, trying it again. Returns when to call again (milliseconds), nil when
    /// nothing waits.
    public func maintain(nowMs: UInt64) -> UInt64? {
        if storageFault != nil {
            if nowMs >= lastTryMs + settings.retryMs { resume(nowMs: nowMs) }
        } else {
            if let since = unsyncedSinceMs, nowMs >= since + settings.syncDelayMs {
                do { try syncActive() } catch { fail(error, nowMs: nowMs) }
            }
            if let since = cursorDirtySinceMs, nowMs >= since + settings.cursorDelayMs {
                do {
                    try cursorRecord.write(cursor.encoded)
                    cursorDirtySinceMs = nil
                } catch { fail(error, nowMs: nowMs) }
            }
        }
        updateStatistics()
        if storageFault != nil { return lastTryMs + settings.retryMs }
        let due = [unsyncedSinceMs.map { $0 + settings.syncDelayMs }, cursorDirtySinceMs.map { $0 + settings.cursorDelayMs }].compactMap { $0 }
        return due.min()
    }

    /// Tries the journal again: the cursor first (with a reservation past every number used), then what
    /// memory holds, into a new segment, made durable. On success the fault clears.
    private func resume(nowMs: UInt64) {
        lastTryMs = nowMs
        guard let fault = storageFault else { return }
        let number = (segments.last?.number ?? 0) + 1
        var bytes: [UInt8] = []
        var placed: [(index: Int, place: Place)] = []
        for i in head..<entries.count {
            guard case .memory(let payload) = entries[i].place, !entries[i].acked else { continue }
            let encoded = OutboxRecord(seq: entries[i].seq, priority: entries[i].priority, payload: payload).encoded
            placed.append((i, .disk(segment: number, offset: bytes.count, length: encoded.count)))
            bytes += encoded
        }
        do {
            cursor.reserved = max(cursor.reserved, lastSeq + settings.seqReservation)
            try cursorRecord.write(cursor.encoded)
            if !bytes.isEmpty {
                try store.append(bytes, to: number)
                try store.sync(number)
                statistics.syncs += 1
            }
        } catch {
            if !bytes.isEmpty { try? store.remove(number) }
            return
        }
        cursorDirtySinceMs = nil
        for (i, place) in placed { entries[i].place = place }
        // Acknowledged entries still in memory hold no bytes; drop their mark.
        memoryBytes = 0
        memoryRecords = 0
        if segments[segments.count - 1].bytes == 0 && segments[segments.count - 1].live == 0 { segments.removeLast() }
        segments.append(Segment(number: number, bytes: bytes.count, live: placed.count))
        activeClosed = false
        totalBytes += bytes.count
        storageFault = nil
        notices.append(.storageRecovered(fault))
    }

    /// Makes everything durable and marks the run stopped cleanly (the next start reuses no gap). With
    /// the journal failing, what memory holds is tried once more; what cannot be written is lost with the
    /// process, and the cursor (if it can be written) says how far numbers went.
    public func close(nowMs: UInt64 = 0) {
        if storageFault != nil { resume(nowMs: nowMs) }
        if storageFault == nil, unsyncedSinceMs != nil {
            do { try syncActive() } catch { fail(error, nowMs: nowMs) }
        }
        // A clean mark is true only when nothing is left in memory alone: otherwise the numbers of what is
        // lost must be skipped by the next run, as after a crash.
        cursor.clean = storageFault == nil
        do {
            try cursorRecord.write(cursor.encoded)
            cursorDirtySinceMs = nil
        } catch { fail(error, nowMs: nowMs) }
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
    private func enforceBound() {
        let total = totalBytes
        guard total > settings.maximumBytes else { return }
        let target = max(0, settings.maximumBytes - settings.segmentBytes)
        do { try roll() } catch {  // the segment being appended to becomes old, so it can be rewritten too
            fail(error, nowMs: lastTryMs)
            return
        }
        let (dropped, _) = pickDrops(size: { if case .disk(_, _, let length) = $0.place { length } else { nil } }, over: { total - $0 > target })
        guard !dropped.isEmpty else { return }
        let touched = Set(entries[handed...].filter { dropped.contains($0.seq) }.compactMap(\.segment))
        for s in segments.indices where touched.contains(segments[s].number) {
            let number = segments[s].number
            do {
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
                    if let o = newOffsets[entries[i].seq], case .disk(_, _, let length) = entries[i].place {
                        entries[i].place = .disk(segment: number, offset: o, length: length)
                    }
                }
            } catch {
                // The records stay in the file and would be sent again after a restart; the centre has been
                // told they were dropped, and deduplicates by seq anyway.
                fail(error, nowMs: lastTryMs)
            }
        }
        // Entries before `handed` are in flight (or acknowledged) and stay; the dropped ones leave the list.
        entries = Array(entries[..<handed]) + entries[handed...].filter { !dropped.contains($0.seq) }
        let active = segments[segments.count - 1].number
        segments.removeAll { $0.bytes == 0 && $0.number != active }
        liveRecords -= dropped.count
        totalBytes = segments.reduce(0) { $0 + $1.bytes }
    }

    /// While the journal cannot be written: drops the oldest unsent `info`, then `normal` records held in
    /// memory when they are over `memoryMaximumBytes`. Only `critical` and `high` records are kept past it.
    private func enforceMemoryBound() {
        let held = memoryBytes, limit = settings.memoryMaximumBytes
        guard held > limit else { return }
        let (dropped, freed) = pickDrops(size: { if case .memory(let payload) = $0.place { payload.count } else { nil } }, over: { held - $0 > limit })
        memoryBytes -= freed
        memoryRecords -= dropped.count
        guard !dropped.isEmpty else { return }
        entries = Array(entries[..<handed]) + entries[handed...].filter { !dropped.contains($0.seq) }
        liveRecords -= dropped.count
    }

    /// Picks the oldest unsent `info`, then `normal` entries that `size` accepts (their bytes; nil: not this
    /// bound's) while `over(freed)` holds. Each priority's pick is one `outbox.dropped` notice, exact: every
    /// unsent entry of that priority in its span is picked, since they are taken oldest first.
    private func pickDrops(size: (Entry) -> Int?, over: (Int) -> Bool) -> (dropped: Set<UInt64>, freed: Int) {
        var freed = 0
        var dropped = Set<UInt64>()
        for priority: UInt8 in [0, 1] where over(freed) {
            var drop = OutboxDrop(info: 0, normal: 0, firstSeq: .max, lastSeq: 0)
            for i in handed..<entries.count where entries[i].priority == priority && over(freed) {
                guard let bytes = size(entries[i]) else { continue }
                dropped.insert(entries[i].seq)
                freed += bytes
                if priority == 0 { drop.info += 1 } else { drop.normal += 1 }
                drop.firstSeq = min(drop.firstSeq, entries[i].seq)
                drop.lastSeq = max(drop.lastSeq, entries[i].seq)
            }
            if drop.info + drop.normal > 0 { notices.append(.dropped(drop)) }
            statistics.droppedInfo += drop.info
            statistics.droppedNormal += drop.normal
        }
        return (dropped, freed)
    }

    private func isAcked(_ seq: UInt64) -> Bool {
        guard let i = entries[head..<handed].firstIndex(where: { $0.seq == seq }) else { return false }
        return entries[i].acked
    }

    private func updateStatistics() {
        statistics.records = liveRecords
        statistics.bytes = totalBytes
        statistics.inMemory = memoryRecords
    }
}
