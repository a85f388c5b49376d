import CrossguardUplink
import Testing

@Suite("Outbox records: CRC-32C framing and recovery after a crash")
struct OutboxRecordTests {
    func journal(_ count: Int, seed: UInt64) -> (records: [OutboxRecord], bytes: [UInt8], ends: [Int]) {
        var g = SplitMix64(state: seed)
        var records: [OutboxRecord] = []
        var bytes: [UInt8] = []
        var ends: [Int] = []
        for i in 0..<count {
            let r = OutboxRecord(seq: UInt64(100 + i), priority: UInt8(g.below(4)), payload: g.bytes(g.below(300)))
            records.append(r)
            bytes += r.encoded
            ends.append(bytes.count)
        }
        return (records, bytes, ends)
    }

    @Test func knownChecksums() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)  // the standard check value
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.update(CRC32C.checksum(Array("1234".utf8)), Array("56789".utf8)) == 0xE306_9283)
    }

    @Test func aCleanJournalReadsBackWhole() {
        let j = journal(50, seed: 1)
        let scan = JournalScan.scan(j.bytes)
        #expect(scan.records == j.records)
        #expect(scan.offsets == [0] + j.ends.dropLast())
        #expect(scan.damage.isEmpty)
        #expect(scan.validLength == j.bytes.count)
    }

    @Test func aTornTailIsOneDamagedRunAfterTheLastWholeRecord() {
        let j = journal(8, seed: 2)
        for cut in 0..<j.bytes.count {
            let scan = JournalScan.scan(Array(j.bytes[0..<cut]))
            let whole = j.ends.filter { $0 <= cut }.count
            #expect(scan.records == Array(j.records.prefix(whole)), "cut at \(cut)")
            #expect(scan.validLength == (whole == 0 ? 0 : j.ends[whole - 1]))
            #expect(scan.damage.isEmpty == (scan.validLength == cut))
            if let d = scan.damage.first {
                #expect(scan.damage.count == 1 && d.isTail(of: cut) && d.offset == scan.validLength)
            }
        }
    }

    @Test func aFlippedBitCostsOnlyTheRecordItHits() {
        let j = journal(5, seed: 3)
        var g = SplitMix64(state: 9)
        for _ in 0..<2_000 {
            var damaged = j.bytes
            let at = g.below(damaged.count)
            damaged[at] ^= UInt8(1 << g.below(8))
            let scan = JournalScan.scan(damaged)
            let hit = j.ends.firstIndex { $0 > at }!
            var expected = j.records
            expected.remove(at: hit)
            #expect(scan.records == expected, "bit flipped at \(at)")
            #expect(scan.damage.count == 1)
            let start = hit == 0 ? 0 : j.ends[hit - 1]
            #expect(scan.damage.first.map { ($0.offset, $0.length) } ?? (0, 0) == (start, j.ends[hit] - start), "bit flipped at \(at)")
        }
    }

    /// Random truncation and corruption of a journal: the scan always ends, every record it returns is one
    /// that was written (in order, none twice), every record whose bytes were untouched is among them, and
    /// the records and damaged runs account for every byte.
    @Test func randomCorruptionAndTruncationEndInCleanDataOrNamedDamage() {
        var g = SplitMix64(state: 77)
        for round in 0..<400 {
            let j = journal(1 + g.below(30), seed: UInt64(round))
            var bytes = j.bytes
            var touched = Set<Int>()
            for _ in 0..<g.below(6) {
                let at = g.below(bytes.count)
                let span = 1 + g.below(40)
                for i in at..<min(bytes.count, at + span) {
                    bytes[i] = UInt8(truncatingIfNeeded: g.next())
                    touched.insert(i)
                }
            }
            if g.below(3) == 0 { bytes.removeLast(g.below(bytes.count)) }
            let scan = JournalScan.scan(bytes)
            let written = Set(j.records.map(\.seq))
            #expect(scan.records.allSatisfy { written.contains($0.seq) && j.records.contains($0) }, "round \(round)")
            #expect(zip(scan.records, scan.records.dropFirst()).allSatisfy { $0.seq < $1.seq })
            for (i, r) in j.records.enumerated() {
                let start = i == 0 ? 0 : j.ends[i - 1]
                let intact = j.ends[i] <= bytes.count && !(start..<j.ends[i]).contains(where: touched.contains)
                if intact { #expect(scan.records.contains(r), "round \(round): record \(r.seq) was untouched") }
            }
            let covered = scan.records.reduce(0) { $0 + OutboxRecord.headerSize + $1.payload.count } + scan.damage.reduce(0) { $0 + $1.length }
            #expect(covered == bytes.count, "round \(round)")
        }
    }

    @Test func sequenceNumbersMustRise() {
        let a = OutboxRecord(seq: 5, priority: 1, payload: [1]), b = OutboxRecord(seq: 5, priority: 1, payload: [2])
        let scan = JournalScan.scan(a.encoded + b.encoded)
        #expect(scan.records == [a])
        #expect(scan.damage == [JournalScan.Damage(offset: 21, length: 21, reason: "sequence 5 at offset 21 does not follow 5")])
        #expect(JournalScan.scan(a.encoded, after: 7).records.isEmpty)  // older than what the previous segment ended with
    }

    @Test func anAbsurdLengthIsDamageNotAnAllocation() {
        var bytes = OutboxRecord(seq: 1, priority: 0, payload: [9]).encoded
        bytes[4] = 0xFF; bytes[5] = 0xFF; bytes[6] = 0xFF; bytes[7] = 0x7F  // 2 GiB claimed
        let scan = JournalScan.scan(bytes)
        #expect(scan.records.isEmpty)
        #expect(scan.damage.first?.reason.contains("over the limit") == true)
    }

    @Test func aRecordReadBackAloneIsVerified() {
        let r = OutboxRecord(seq: 9, priority: 2, payload: Array("{}".utf8))
        #expect(JournalScan.verify(r.encoded, seq: 9) == .success(r))
        #expect(JournalScan.verify(r.encoded, seq: 10) == .failure(JournalDamage("the record read back for seq 10 is another record")))
        var flipped = r.encoded
        flipped[21] ^= 1
        #expect(JournalScan.verify(flipped, seq: 9) == .failure(JournalDamage("a damaged record at offset 0 (checksum mismatch)")))
    }
}
