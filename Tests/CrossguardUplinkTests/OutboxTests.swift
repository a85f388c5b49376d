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
        #expect(cursor.cursor == OutboxCursor(acked: 0, reserved: 10, used: 0, clean: false))
        try outbox.append((1...10).map { record($0) }, nowMs: 0)
        #expect(cursor.cursor?.reserved == 10)
        try outbox.append([record(11)], nowMs: 0)
        #expect(cursor.cursor?.reserved == 21)
        outbox.append([record(11)], nowMs: 0)  // numbers never go back: refused, and said
        #expect(outbox.take(100).map(\.seq) == Array(1...11))
        #expect(outbox.recoveryProblems.last?.contains("a record of seq 11") == true)
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
        // How far the last run reserved is not known either: one whole reservation is skipped.
        #expect(again.nextSeq == 4 + 4_096)
        #expect(again.skipped == 4...4_099)
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
            outbox.append([record(UInt64(seq), priority)], nowMs: 0)
            for case .dropped(let d) in outbox.takeNotices() { drops.append(d) }
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

/// A store whose writes fail while `failure` is set (a full disk, a file system gone read-only); reads work.
final class FailingStore: SegmentStore {
    let inner = MemoryStore()
    var failure: HardwareError?
    var location: String { inner.location }
    func segments() throws(HardwareError) -> [UInt64] { inner.segments() }
    func read(_ segment: UInt64) throws(HardwareError) -> [UInt8] { inner.read(segment) }
    func read(_ segment: UInt64, offset: Int, count: Int) throws(HardwareError) -> [UInt8] { try inner.read(segment, offset: offset, count: count) }
    func append(_ bytes: [UInt8], to segment: UInt64) throws(HardwareError) {
        if let failure {
            inner.append(Array(bytes.prefix(7)), to: segment)  // a write that runs out of space part-way
            throw failure
        }
        inner.append(bytes, to: segment)
    }
    func sync(_ segment: UInt64) throws(HardwareError) { if let failure { throw failure }; inner.sync(segment) }
    func truncate(_ segment: UInt64, to length: Int) throws(HardwareError) { inner.truncate(segment, to: length) }  // frees space: works when full
    func replace(_ segment: UInt64, with bytes: [UInt8]) throws(HardwareError) { if let failure { throw failure }; inner.replace(segment, with: bytes) }
    func remove(_ segment: UInt64) throws(HardwareError) { inner.remove(segment) }
}

/// A cursor record whose writes fail while `failure` is set.
final class FailingCursor: DurableRecord, @unchecked Sendable {
    let inner = MemoryCursor()
    var failure: HardwareError?
    var location: String { inner.location }
    func read() throws(HardwareError) -> [UInt8]? { inner.read() }
    func write(_ bytes: [UInt8]) throws(HardwareError) { if let failure { throw failure }; inner.write(bytes) }
}

@Suite("Outbox: damage and storage faults lose nothing they need not")
struct OutboxFaultTests {
    let full = HardwareError(.noSpace, "cannot append to memory/outbox: No space left on device", errno: 28)

    @Test func aDamagedRecordCostsThatRecordAloneAndIsReportedWithItsSeq() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        let outbox = Outbox(store: store, cursor: cursor)
        outbox.append((1...20).map { record($0, 3) }, nowMs: 0)
        outbox.close()
        let segment = store.segments()[0]
        store.written[segment]![9 * 60 + 30] ^= 0x5A  // inside record 10's payload
        let again = Outbox(store: store, cursor: cursor)
        #expect(again.take(100).map(\.seq) == (1...20).filter { $0 != 10 })
        let damage = again.takeNotices().compactMap { notice -> OutboxDamage? in if case .damaged(let d) = notice { d } else { nil } }
        #expect(damage.map(\.bytes) == [60])
        #expect(damage.map(\.seqs) == [10...10])
        #expect(again.nextSeq == 21)  // a clean stop: nothing skipped, nothing reused
        #expect(again.skipped == nil)
        // The damage was removed from the file: the next start finds nothing wrong.
        again.close()
        let third = Outbox(store: store, cursor: cursor)
        #expect(third.takeNotices().isEmpty)
        #expect(third.take(100).count == 19)
    }

    @Test func damageAtTheEndOfACleanlyClosedJournalNamesTheLostNumbersAndNoneIsReused() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        let outbox = Outbox(store: store, cursor: cursor)
        outbox.append((1...20).map { record($0, 3) }, nowMs: 0)
        outbox.close()
        store.written[1]![19 * 60 + 2] ^= 0xFF  // record 20's marker
        let again = Outbox(store: store, cursor: cursor)
        #expect(again.take(100).map(\.seq) == Array(1...19))
        #expect(again.takeNotices() == [.damaged(OutboxDamage(bytes: 60, seqs: 20...20, detail: "memory/outbox segment 1: no record marker at offset 1140, 60 bytes skipped"))])
        #expect(again.nextSeq == 21)
    }

    @Test func aFullDiskKeepsEveryEventInMemoryAndSendsIt() throws {
        let store = FailingStore(), cursor = MemoryCursor()
        let outbox = Outbox(store: store, cursor: cursor)
        outbox.append((1...5).map { record($0, 1) }, nowMs: 0)
        store.failure = full
        outbox.append((6...10).map { record($0, 3) }, nowMs: 100)
        #expect(outbox.storageFault?.kind == .noSpace)
        #expect(outbox.takeNotices() == [.storageFailed(OutboxStorageFault(kind: .noSpace, error: full, sinceMs: 100))])
        #expect(outbox.statistics.inMemory == 5)
        #expect(outbox.take(100).map(\.seq) == Array(1...10))
        // The torn part of the failed write was cut off again.
        #expect(store.inner.written[1]?.count == 5 * 60)
        for seq in 1...7 { outbox.acknowledge(UInt64(seq), nowMs: 200) }
        #expect(outbox.statistics.inMemory == 3)
        // Still full a second later: nothing changes. Then space comes back.
        #expect(outbox.maintain(nowMs: 1_100) == 2_100)
        #expect(outbox.takeNotices().isEmpty)
        store.failure = nil
        _ = outbox.maintain(nowMs: 2_100)
        #expect(outbox.storageFault == nil)
        #expect(outbox.takeNotices().count == 1)
        #expect(outbox.statistics.inMemory == 0)
        outbox.append([record(11, 0)], nowMs: 2_200)
        // The bytes counted are the bytes on disk: 1–5 in the first segment, 8–10 and 11 in the second.
        #expect(outbox.statistics.bytes == store.inner.written.values.reduce(0) { $0 + $1.count })
        #expect(store.inner.segments() == [1, 2])
        for seq in 1...5 { outbox.acknowledge(UInt64(seq), nowMs: 2_300) }  // (already acknowledged: nothing changes)
        outbox.close()
        // What memory held (8–10) was journaled, in order, before the next record.
        let again = Outbox(store: store.inner, cursor: cursor)
        #expect(again.take(100).map(\.seq) == [8, 9, 10, 11])
        #expect(again.nextSeq == 12)
    }

    @Test func memoryDropsInfoFirstAndNeverCriticalOrHighAndNamesTheExactSpan() throws {
        let store = FailingStore()
        var settings = OutboxSettings()
        settings.memoryMaximumBytes = 400  // ten 40-byte payloads
        let outbox = Outbox(store: store, cursor: MemoryCursor(), settings: settings)
        store.failure = full
        for seq in 1...20 { outbox.append([record(UInt64(seq), seq % 2 == 0 ? 3 : 0)], nowMs: 0) }
        for seq in 21...30 { outbox.append([record(UInt64(seq), 2)], nowMs: 0) }
        let drops = outbox.takeNotices().compactMap { notice -> OutboxDrop? in if case .dropped(let d) = notice { d } else { nil } }
        // Every info record went (1, 3, ... 19) before anything else; the 10 critical and 10 high stay.
        #expect(drops.reduce(0) { $0 + $1.info } == 10 && drops.allSatisfy { $0.normal == 0 })
        #expect(drops.first?.firstSeq == 1 && drops.last?.lastSeq == 19)
        #expect(outbox.take(100).map(\.seq) == (2...20).filter { $0 % 2 == 0 } + Array(21...30))
        #expect(outbox.statistics.droppedInfo == 10)
    }

    @Test func aStateDirectoryThatTakesNoWritesAtStartStillRunsInMemory() throws {
        let store = FailingStore(), cursor = FailingCursor()
        let readOnly = HardwareError(.readOnly, "cannot create memory/outbox.cursor.tmp: Read-only file system", errno: 30)
        cursor.failure = readOnly
        store.failure = readOnly
        let outbox = Outbox(store: store, cursor: cursor)
        #expect(outbox.storageFault?.kind == .readOnly)
        outbox.append([record(1, 3), record(2, 0)], nowMs: 0)
        #expect(outbox.take(10).map(\.seq) == [1, 2])
        outbox.close()
        #expect(cursor.inner.read() == nil)  // nothing could be written, and nothing pretends it was
    }

    @Test func aJournalWhoseCursorIsMissingNeverReusesANumber() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        let outbox = Outbox(store: store, cursor: cursor)
        outbox.append((1...3).map { record($0) }, nowMs: 0)
        outbox.close()
        let again = Outbox(store: store, cursor: MemoryCursor())
        #expect(again.nextSeq == 4 + 4_096)
        #expect(again.recoveryProblems.first?.contains("is missing beside a journal") == true)
    }

    /// Random corruption and truncation of every segment, after clean and unclean stops: recovery never
    /// crashes, gives back only records that were written (in order), reports damage as notices, and the
    /// next number is above every number the previous run used.
    @Test func recoveryFromRandomDamageNeverCrashesAndNeverReusesANumber() throws {
        var g = SplitMix64(state: 2_024)
        for round in 0..<200 {
            let store = MemoryStore(), cursor = MemoryCursor()
            var settings = OutboxSettings()
            settings.segmentBytes = 600
            let outbox = Outbox(store: store, cursor: cursor, settings: settings)
            let count = 1 + g.below(60)
            let written = (1...UInt64(count)).map { record($0, UInt8(g.below(4)), size: 10 + g.below(80)) }
            outbox.append(written, nowMs: 0)
            let acked = g.below(count)
            _ = outbox.take(acked)
            for seq in 0..<acked { outbox.acknowledge(UInt64(seq + 1), nowMs: 0) }
            if g.below(2) == 0 { outbox.close() } else { _ = outbox.maintain(nowMs: 10_000) }
            for segment in store.segments() {
                var bytes = store.written[segment]!
                for _ in 0..<g.below(4) where !bytes.isEmpty { bytes[g.below(bytes.count)] = UInt8(truncatingIfNeeded: g.next()) }
                if g.below(4) == 0, !bytes.isEmpty { bytes.removeLast(g.below(bytes.count)) }
                store.written[segment] = bytes
            }
            let again = Outbox(store: store, cursor: cursor, settings: settings)
            let back = again.take(1_000)
            #expect(back.allSatisfy { written.contains($0) }, "round \(round)")
            #expect(zip(back, back.dropFirst()).allSatisfy { $0.seq < $1.seq }, "round \(round)")
            #expect(again.nextSeq > UInt64(count), "round \(round)")
            #expect(again.storageFault == nil)
        }
    }

    @Test func aCrashNamesTheSkippedNumbers() throws {
        let store = MemoryStore(), cursor = MemoryCursor()
        do {
            let outbox = Outbox(store: store, cursor: cursor)
            outbox.append((1...43).map { record($0, 3) }, nowMs: 0)
        }
        let again = Outbox(store: store, cursor: cursor)
        #expect(again.skipped == 44...4_096)
        #expect(again.nextSeq == 4_097)
    }
}
