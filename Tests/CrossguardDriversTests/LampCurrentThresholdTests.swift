import CrossguardDrivers
import Testing

@Suite("LampCurrentThreshold")
struct LampCurrentThresholdTests {
    @Test func overlappingThresholdsAreRejected() {
        #expect(LampCurrentThreshold(litAboveMilliamps: 20, darkBelowMilliamps: 50) == nil)
        #expect(LampCurrentThreshold(litAboveMilliamps: 40, darkBelowMilliamps: 40) != nil)
    }

    /// Lit above 50 mA, dark below 20 mA: between them the lamp keeps its state.
    @Test func hysteresisBetweenTheThresholds() throws {
        var lamp = try #require(LampCurrentThreshold(litAboveMilliamps: 50, darkBelowMilliamps: 20))
        #expect(!lamp.isLit)
        let steps: [(Int, Bool)] = [
            (30, false),    // between, starts dark: stays dark
            (50, false),    // "above 50" is strict
            (51, true),
            (30, true),     // between: stays lit
            (20, true),     // "below 20" is strict
            (19, false),
            (49, false),
            (120, true),
            (-120, false),  // compared as given, sign included
        ]
        for (index, (milliamps, expected)) in steps.enumerated() {
            let lit = lamp.update(milliamps: milliamps)
            #expect(lit == expected, "step \(index): \(milliamps) mA")
            #expect(lamp.isLit == expected, "step \(index)")
        }
    }

    @Test func initiallyLitStaysLitBetweenTheThresholds() throws {
        var lamp = try #require(LampCurrentThreshold(litAboveMilliamps: 50, darkBelowMilliamps: 20, initiallyLit: true))
        lamp.update(milliamps: 35)
        #expect(lamp.isLit)
        lamp.update(milliamps: 0)
        #expect(!lamp.isLit)
    }

    @Test func equalThresholdsHoldTheStateOnlyAtTheThreshold() throws {
        var lamp = try #require(LampCurrentThreshold(litAboveMilliamps: 40, darkBelowMilliamps: 40))
        lamp.update(milliamps: 40)
        #expect(!lamp.isLit)
        lamp.update(milliamps: 41)
        #expect(lamp.isLit)
        lamp.update(milliamps: 40)
        #expect(lamp.isLit)
        lamp.update(milliamps: 39)
        #expect(!lamp.isLit)
    }

    @Test func extremeCurrents() throws {
        var lamp = try #require(LampCurrentThreshold(litAboveMilliamps: 50, darkBelowMilliamps: 20))
        lamp.update(milliamps: Int.max)
        #expect(lamp.isLit)
        lamp.update(milliamps: Int.min)
        #expect(!lamp.isLit)
    }
}
