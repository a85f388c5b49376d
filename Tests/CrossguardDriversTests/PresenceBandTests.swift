import CrossguardDrivers
import Testing

@Suite("PresenceBand")
struct PresenceBandTests {
    @Test func nearBeyondFarIsRejected() {
        #expect(PresenceBand(nearMillimeters: 1500, farMillimeters: 300, hysteresisMillimeters: 0) == nil)
        #expect(PresenceBand(nearMillimeters: 800, farMillimeters: 800, hysteresisMillimeters: 0) != nil)
    }

    @Test func startsAbsent() throws {
        let band = try #require(PresenceBand(nearMillimeters: 300, farMillimeters: 1500, hysteresisMillimeters: 100))
        #expect(!band.isPresent)
    }

    /// Band 300–1500 mm, hysteresis 100 mm: entering needs the band, leaving needs 100 mm beyond it.
    @Test func hysteresisAtTheFarEdge() throws {
        var band = try #require(PresenceBand(nearMillimeters: 300, farMillimeters: 1500, hysteresisMillimeters: 100))
        let steps: [(RangeReading, Bool)] = [
            (.millimeters(1600), false),   // beyond the band: nobody waiting
            (.millimeters(1501), false),   // still beyond
            (.millimeters(1500), true),    // the far edge is inside
            (.millimeters(1600), true),    // swaying out by the hysteresis: still there
            (.millimeters(1550), true),
            (.millimeters(1601), false),   // beyond far + hysteresis: gone
            (.millimeters(1550), false),   // coming back needs the band itself
            (.millimeters(1200), true),
        ]
        for (index, (reading, expected)) in steps.enumerated() {
            let present = band.update(reading)
            #expect(present == expected, "step \(index): \(reading)")
            #expect(band.isPresent == expected, "step \(index)")
        }
    }

    @Test func hysteresisAtTheNearEdge() throws {
        var band = try #require(PresenceBand(nearMillimeters: 300, farMillimeters: 1500, hysteresisMillimeters: 100))
        let steps: [(RangeReading, Bool)] = [
            (.millimeters(299), false),    // closer than near: cover, pole or rain
            (.millimeters(300), true),     // the near edge is inside
            (.millimeters(200), true),     // near - hysteresis is still present
            (.millimeters(199), false),
            (.millimeters(250), false),
            (.millimeters(0), false),
        ]
        for (index, (reading, expected)) in steps.enumerated() {
            let present = band.update(reading)
            #expect(present == expected, "step \(index): \(reading)")
        }
    }

    @Test func outOfRangeIsAbsentAtOnce() throws {
        var band = try #require(PresenceBand(nearMillimeters: 300, farMillimeters: 1500, hysteresisMillimeters: 100))
        band.update(.millimeters(900))
        #expect(band.isPresent)
        band.update(.outOfRange)
        #expect(!band.isPresent)
        band.update(.outOfRange)
        #expect(!band.isPresent)
        band.update(.millimeters(900))
        #expect(band.isPresent)
    }

    @Test func zeroHysteresisLeavesAtTheBandEdges() throws {
        var band = try #require(PresenceBand(nearMillimeters: 300, farMillimeters: 1500, hysteresisMillimeters: 0))
        band.update(.millimeters(1500))
        #expect(band.isPresent)
        band.update(.millimeters(1501))
        #expect(!band.isPresent)
        band.update(.millimeters(300))
        #expect(band.isPresent)
        band.update(.millimeters(299))
        #expect(!band.isPresent)
    }

    @Test func extremeValuesDoNotOverflow() throws {
        var band = try #require(PresenceBand(nearMillimeters: 0, farMillimeters: 65535, hysteresisMillimeters: 65535))
        band.update(.millimeters(0))
        #expect(band.isPresent)
        band.update(.millimeters(65535))
        #expect(band.isPresent)
        var narrow = try #require(PresenceBand(nearMillimeters: 10, farMillimeters: 10, hysteresisMillimeters: 65535))
        narrow.update(.millimeters(10))
        #expect(narrow.isPresent)
        narrow.update(.millimeters(0))       // 10 - 65535 < 0: still present
        #expect(narrow.isPresent)
        narrow.update(.millimeters(65535))   // 10 + 65535: still present
        #expect(narrow.isPresent)
    }
}
