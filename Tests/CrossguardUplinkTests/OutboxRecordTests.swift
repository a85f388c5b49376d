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
        #expect(JournalScan.scan(j.bytes) == JournalScan(records: j.records, validLength: j.bytes.count, problem: nil))
    }

    @Test func aTornTailIsCutAtTheLastWholeRecord() {
        let j = journal(8, seed: 2)
        for cut in 0..<j.bytes.count {
            let scan = JournalScan.scan(Array(j.bytes[0..<cut]))
            let whole = j.ends.filter { $0 <= cut }.count
            #expect(scan.records == Array(j.records.prefix(whole)), "cut at \(cut)")
            #expect(scan.validLength == (whole == 0 ? 0 : j.ends[whole - 1]))
            #expect((scan.problem == nil) == (scan.validLength == cut))
        }
    }

    @Test func anyFlippedBitStopsTheScanAtThatRecord() {
        let j = journal(5, seed: 3)
        var g = SplitMix64(state: 9)
        for _ in 0..<2_000 {
            var damaged = j.bytes
            let at = g.below(damaged.count)
            damaged[at] ^= UInt8(1 << g.below(8))
            let scan = JournalScan.scan(damaged)
            let record = j.ends.firstIndex { $0 > at }!
            #expect(scan.records == Array(j.records.prefix(record)), "bit flipped at \(at)")
            #expect(scan.problem != nil)
        }
    }

    @Test func sequenceNumbersMustRise() {
        let a = OutboxRecord(seq: 5, priority: 1, payload: [1]), b = OutboxRecord(seq: 5, priority: 1, payload: [2])
        let scan = JournalScan.scan(a.encoded + b.encoded)
        #expect(scan.records == [a])
        #expect(scan.problem == "sequence 5 at offset 21 does not follow 5")
        #expect(JournalScan.scan(a.encoded, after: 7).records.isEmpty)  // older than what the previous segment ended with
    }

    @Test func anAbsurdLengthIsDamageNotAnAllocation() {
        var bytes = OutboxRecord(seq: 1, priority: 0, payload: [9]).encoded
        bytes[4] = 0xFF; bytes[5] = 0xFF; bytes[6] = 0xFF; bytes[7] = 0x7F  // 2 GiB claimed
        let scan = JournalScan.scan(bytes)
        #expect(scan.records.isEmpty)
        #expect(scan.problem?.contains("over the limit") == true)
    }
}
