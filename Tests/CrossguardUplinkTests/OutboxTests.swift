import CrossguardHAL
import CrossguardLinux
import CrossguardUplink
import Glibc
import Synchronization
import Testing

/// Segments in memory that know what an fsync made durable: `powerCut()` throws away everything
/// written since, as a real power cut would (a process crash, `crash()`, keeps it: it is in the page cache).
final class MemoryStore: SegmentStore {
    let location = "memory/outbox"
    var written: [UInt64: [UInt8]] = [:]
    var durable: [UInt64: [UInt8]] = [:]
    var syncs = 0
    var log: [String] = []

    func segments() -> [UInt64] { written.keys.sorted() }
    func read(_ segment: UInt64) -> [UInt8] { written[segment] ?? [] }
    func read(_ segment: UInt64, offset: Int, count: Int) throws(HardwareError) -> [UInt8] {
        guard let bytes = written[segment], offset + count <= bytes.count else { throw HardwareError(.other, "short read") }
        return Array(bytes[offset..<(offset + count)])
    }
    func append(_ bytes: [UInt8], to segment: UInt64) {
        if written[segment] == nil { durable[segment] = [] }  // the directory entry is made durable at creation
        written[segment, default: []] += bytes
        log.append("append \(segment)")
    }
    func sync(_ segment: UInt64) {
        durable[segment] = written[segment]
        syncs += 1
        log.append("sync \(segment)")
    }
    func truncate(_ segment: UInt64, to length: Int) {
        written[segment] = Array((written[segment] ?? [])[..<length])
        durable[segment] = written[segment]
    }
    func replace(_ segment: UInt64, with bytes: [UInt8]) {
        written[segment] = bytes
        durable[segment] = bytes
    }
    func remove(_ segment: UInt64) {
        written[segment] = nil
        durable[segment] = nil
    }
    /// A power cut: only what was made durable is left.
    func powerCut() { written = durable }
}

/// A cursor record in memory, durable on every write (as `FileRecord` is).
final class MemoryCursor: DurableRecord {
    let location = "memory/outbox.cursor"
    let bytes = Mutex<[UInt8]?>(nil)
    func read() -> [UInt8]? { bytes.withLock { $0 } }
    func write(_ new: [UInt8]) { bytes.withLock { $0 = new } }
    var cursor: OutboxCursor? { read().flatMap(OutboxCursor.decode) }
}

/// A record whose payload is exactly `size` bytes (60 on disk with the header, for the default).
func record(_ seq: UInt64, _ priority: UInt8 = 1, size: Int = 40) -> OutboxRecord {
    let text = Array("{\"seq\":\(seq)}".utf8)
    return OutboxRecord(seq: seq, priority: priority, payload: text + [UInt8](repeating: 0x20, count: max(0, size - text.count)))
}

@Suite("Outbox: the crash-safe journal of events waiting for the broker")
struct OutboxTests {
    @Test func recordsLeaveOnlyAfterTheirAcknowledgementAndSegmentsAreReclaimed() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        var settings = OutboxSettings()
        settings.segmentBytes = 200
        let outbox = try Outbox(store: store, cursor: cursor, settings: settings)
        #expect(outbox.nextSeq == 1)
        try outbox.append((1...20).map { record($0) }, nowMs: 0)
        #expect(store.segments().count == 1)
        try outbox.append((21...30).map { record($0) }, nowMs: 0)
        #expect(store.segments().count == 2)  // the first passed 200 bytes, so a second began
        let taken = try outbox.take(25)
        #expect(taken.map(\.seq) == Array(1...25))
        #expect(taken[4] == record(5))
        for seq in 1...20 { try outbox.acknowledge(UInt64(seq), nowMs: 10) }
        #expect(store.segments().count == 1)  // the first segment is wholly acknowledged: gone
        #expect(outbox.statistics.records == 10)
        _ = try outbox.maintain(nowMs: 10_000)
        #expect(cursor.cursor?.acked == 20)
    }

    @Test func anOutOfOrderAcknowledgementWaitsForTheOlderOne() throws {
        let cursor = MemoryCursor()
        let outbox = try Outbox(store: MemoryStore(), cursor: cursor)
        try outbox.append((1...3).map { record($0) }, nowMs: 0)
        _ = try outbox.take(3)
        try outbox.acknowledge(2, nowMs: 0)
        try outbox.acknowledge(3, nowMs: 0)
        _ = try outbox.maintain(nowMs: 1_000)
        #expect(cursor.cursor?.acked == 0)
        try outbox.acknowledge(1, nowMs: 1_000)
        _ = try outbox.maintain(nowMs: 2_000)
        #expect(cursor.cursor?.acked == 3)
        #expect(outbox.statistics.records == 0)
    }

    @Test func aCrashBringsBackEverythingNotAcknowledgedInOrder() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        do {
            let outbox = try Outbox(store: store, cursor: cursor)
            try outbox.append((1...10).map { record($0, UInt8($0 % 4)) }, nowMs: 0)
            _ = try outbox.take(10)
            for seq in 1...4 { try outbox.acknowledge(UInt64(seq), nowMs: 0) }
            _ = try outbox.maintain(nowMs: 1_000)  // the cursor lands; then the process is killed
        }
        let again = try Outbox(store: store, cursor: cursor)
        #expect(try again.take(100) == (5...10).map { record($0, UInt8($0 % 4)) })
        // An unclean stop skips the reserved numbers: one might have been sent and not journaled durably.
        #expect(again.nextSeq == 4_096 + 1)
        #expect(again.recoveryProblems.contains { $0.contains("did not stop cleanly") })
    }

    @Test func aCleanStopContinuesTheNumbersWithoutAGap() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        let outbox = try Outbox(store: store, cursor: cursor)
        try outbox.append((1...7).map { record($0) }, nowMs: 0)
        try outbox.close()
        let again = try Outbox(store: store, cursor: cursor)
        #expect(again.nextSeq == 8)
        #expect(try again.take(100).map(\.seq) == Array(1...7))
        #expect(again.recoveryProblems.isEmpty)
    }

    @Test func theReservationIsDurableBeforeItsNumbersAreUsed() throws {
        var settings = OutboxSettings()
        settings.seqReservation = 10
        let cursor = MemoryCursor()
        let outbox = try Outbox(store: MemoryStore(), cursor: cursor, settings: settings)
        #expect(cursor.cursor == OutboxCursor(acked: 0, reserved: 10, clean: false))
        try outbox.append((1...10).map { record($0) }, nowMs: 0)
        #expect(cursor.cursor?.reserved == 10)
        try outbox.append([record(11)], nowMs: 0)
        #expect(cursor.cursor?.reserved == 21)
        #expect(throws: HardwareError.self) { try outbox.append([record(11)], nowMs: 0) }  // numbers never go back
    }

    @Test func criticalAndHighAreDurableBeforeAppendReturnsTheRestWithinTheBatchDelay() throws {
        let store = MemoryStore()
        let outbox = try Outbox(store: store, cursor: MemoryCursor())
        try outbox.append([record(1, 0), record(2, 1)], nowMs: 0)
        #expect(store.syncs == 0)
        #expect(try outbox.maintain(nowMs: 500) == 1_000)
        #expect(store.syncs == 0)
        try outbox.append([record(3, 3)], nowMs: 600)
        #expect(store.syncs == 1)  // the critical record took the earlier ones with it
        try outbox.append([record(4, 0)], nowMs: 700)
        _ = try outbox.maintain(nowMs: 1_699)
        #expect(store.syncs == 1)
        _ = try outbox.maintain(nowMs: 1_700)
        #expect(store.syncs == 2)
    }

    @Test func aPowerCutLosesOnlyUnsyncedInfoAndNormalNeverCriticalOrHigh() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        do {
            let outbox = try Outbox(store: store, cursor: cursor)
            try outbox.append([record(1, 2)], nowMs: 0)
            try outbox.append([record(2, 0), record(3, 1)], nowMs: 10)
        }
        store.powerCut()
        let again = try Outbox(store: store, cursor: cursor)
        #expect(try again.take(10).map(\.seq) == [1])
        #expect(again.nextSeq > 3)  // numbers 2 and 3 may have reached the broker: never reused
    }

    @Test(arguments: [1, 7, 19, 20, 33, 52])
    func aTornTailIsCutAndTheWholeRecordsBeforeItKept(cut: Int) throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        do {
            let outbox = try Outbox(store: store, cursor: cursor)
            try outbox.append((1...3).map { record($0, size: 40) }, nowMs: 0)  // 60 bytes a record
        }
        let segment = store.segments()[0]
        store.written[segment]!.removeLast(cut)
        let again = try Outbox(store: store, cursor: cursor)
        let whole = (180 - cut) / 60
        #expect(try again.take(10).map(\.seq) == Array(1...3).prefix(whole).map { UInt64($0) })
        #expect(store.written[segment].map(\.count) == (whole == 0 ? nil : whole * 60))
        #expect(again.recoveryProblems.count == 2)  // the torn record, and the unclean stop
    }

    @Test func anUnreadableCursorSendsEverythingAgainAndNeverReusesANumber() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        do {
            let outbox = try Outbox(store: store, cursor: cursor)
            try outbox.append((1...3).map { record($0) }, nowMs: 0)
            _ = try outbox.take(3)
            try outbox.acknowledge(1, nowMs: 0)
            try outbox.close()
        }
        cursor.write(Array("garbage".utf8))
        let again = try Outbox(store: store, cursor: cursor)
        #expect(try again.take(10).map(\.seq) == [1, 2, 3])  // 1 was acknowledged, but that is not known
        #expect(again.nextSeq == 4)
        #expect(again.recoveryProblems.first?.contains("not an outbox cursor") == true)
    }

    @Test func whenFullTheOldestInfoGoesThenNormalNeverHighOrCritical() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        var settings = OutboxSettings()
        settings.maximumBytes = 6_000  // 100 records of 60 bytes
        settings.segmentBytes = 1_200
        let outbox = try Outbox(store: store, cursor: cursor, settings: settings)
        // Records 1–60 alternate info and critical; then normal and high up to 150.
        var drops: [OutboxDrop] = []
        for seq in 1...150 {
            let priority: UInt8 = seq <= 60 ? (seq % 2 == 0 ? 3 : 0) : (seq % 2 == 0 ? 2 : 1)
            if let d = try outbox.append([record(UInt64(seq), priority)], nowMs: 0) { drops.append(d) }
        }
        #expect(!drops.isEmpty)
        #expect(outbox.statistics.bytes <= settings.maximumBytes)
        let left = try outbox.take(1_000)
        // Every critical and high record is still there, in order.
        let urgent: [UInt64] = left.filter { $0.priority >= 2 }.map(\.seq)
        let even: [UInt64] = stride(from: 2, through: 150, by: 2).map { UInt64($0) }
        #expect(urgent == even)
        #expect(left.map(\.seq) == left.map(\.seq).sorted())
        let info = left.filter { $0.priority == 0 }.count, normal = left.filter { $0.priority == 1 }.count
        // Info went first: no normal record was dropped while an info record was left.
        #expect(info == 0 || normal == 45)
        #expect(outbox.statistics.droppedInfo == 30 - info)
        #expect(outbox.statistics.droppedNormal == 45 - normal)
        #expect(drops.reduce(0) { $0 + $1.info } == outbox.statistics.droppedInfo)
        // After a restart the dropped records stay dropped.
        try outbox.close()
        let again = try Outbox(store: store, cursor: cursor, settings: settings)
        #expect(try again.take(1_000) == left)
    }

    @Test func recordsInFlightAreNeverDroppedAndStillReadableAfterARewrite() throws {
        var settings = OutboxSettings()
        settings.maximumBytes = 1_200
        settings.segmentBytes = 300
        let outbox = try Outbox(store: MemoryStore(), cursor: MemoryCursor(), settings: settings)
        try outbox.append((1...5).map { record($0, 0) }, nowMs: 0)
        let inFlight = try outbox.take(3)
        for seq in 6...40 { try outbox.append([record(UInt64(seq), 0)], nowMs: 0) }
        let rest = try outbox.take(1_000)
        #expect(inFlight.map(\.seq) == [1, 2, 3])
        #expect(rest.first!.seq > 3)
        for r in inFlight { try outbox.acknowledge(r.seq, nowMs: 0) }
        #expect(outbox.statistics.records == rest.count)
    }

    @Test func filesOnDiskSurviveAKillAndATornWrite() throws {
        var template = Array("/tmp/crossguard-outbox-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        defer { _ = system("rm -rf '\(dir)'") }
        let cursor = FileRecord(directory: dir, name: "outbox.cursor")
        do {
            let outbox = try Outbox(store: FileSegmentStore(directory: dir), cursor: cursor)
            try outbox.append((1...100).map { record($0, UInt8($0 % 4)) }, nowMs: 0)
            _ = try outbox.take(10)
            for seq in 1...10 { try outbox.acknowledge(UInt64(seq), nowMs: 0) }
            _ = try outbox.maintain(nowMs: 5_000)
        }
        let segments = try FileSegmentStore(directory: dir).segments()
        #expect(segments == [1])
        let path = dir + "/outbox-000000000001.seg"
        #expect(truncate(path, 60 * 100 - 7) == 0)  // the last record torn
        let again = try Outbox(store: FileSegmentStore(directory: dir), cursor: cursor)
        #expect(try again.take(1_000) == (11...99).map { record($0, UInt8($0 % 4)) })
        try again.append([record(again.nextSeq)], nowMs: 0)
        #expect(try FileSegmentStore(directory: dir).segments() == [1, 2])
    }
}
