import CrossguardCore
import Testing

@Suite("Debouncing in ticks")
struct DebouncerTests {
    /// Feeds one line's samples and returns, per tick, "r" for an accepted rise, "f" for a fall, "rf" for a pulse.
    func edges(debounce: Int, _ samples: [RawLine]) -> [String] {
        var d = Debouncer(roles: [.pedButton], debounceTicks: [debounce])
        return samples.map { s in
            let i = d.update([s])
            return (i.rose.contains(.pedButton) ? "r" : "") + (i.fell.contains(.pedButton) ? "f" : "")
        }
    }

    @Test func firstSampleIsAdoptedWithoutAnEdge() {
        var d = Debouncer(roles: [.cabinetDoor], debounceTicks: [3])
        let first = d.update([RawLine(level: true, edges: 1)])
        #expect(first.active.contains(.cabinetDoor))
        #expect(first.rose == InputSet())
    }

    @Test func changeCountsOnceHeldForTheDebounceTime() {
        // Edge during tick 1; held through ticks 2, 3, 4: accepted at tick 4 (3 whole ticks after the edge tick).
        let out = edges(debounce: 3, [RawLine(level: false), RawLine(level: true, edges: 1), RawLine(level: true), RawLine(level: true), RawLine(level: true), RawLine(level: true)])
        #expect(out == ["", "", "", "", "r", ""])
    }

    @Test func bounceRestartsTheHoldTime() {
        let out = edges(debounce: 3, [
            RawLine(level: false), RawLine(level: true, edges: 3), RawLine(level: true), RawLine(level: true, edges: 2),
            RawLine(level: true), RawLine(level: true), RawLine(level: true),
        ])
        #expect(out == ["", "", "", "", "", "", "r"])
    }

    @Test func glitchShorterThanTheDebounceIsIgnored() {
        let out = edges(debounce: 3, [RawLine(level: false), RawLine(level: true, edges: 1), RawLine(level: false, edges: 1), RawLine(level: false), RawLine(level: false), RawLine(level: false)])
        #expect(out == ["", "", "", "", "", ""])
    }

    @Test func subTickPulseCountsWithZeroDebounce() {
        // The line went active and back between two ticks: the bank latched two edges, the level is unchanged.
        let out = edges(debounce: 0, [RawLine(level: false), RawLine(level: false, edges: 2), RawLine(level: false), RawLine(level: true, edges: 1), RawLine(level: false, edges: 1)])
        #expect(out == ["", "rf", "", "r", "f"])
    }

    @Test func subTickPulseIsAGlitchWithDebounce() {
        #expect(edges(debounce: 1, [RawLine(level: false), RawLine(level: false, edges: 2), RawLine(level: false)]) == ["", "", ""])
    }

    @Test func lampSenseCopiesMustAllReadLitAndDarkRedLampsAreCounted() {
        var d = Debouncer(roles: [.lampVehicleRed, .lampVehicleRed, .lampPedWalk], debounceTicks: [0, 0, 0])
        let healthy = d.update([RawLine(level: true), RawLine(level: true), RawLine(level: true)])
        #expect(healthy.active.sensedLamps == OutputSet([.vehicleRed, .pedWalk]))
        #expect(healthy.redLampsDark == 0)
        let oneBlown = d.update([RawLine(level: true), RawLine(level: false, edges: 1), RawLine(level: true)])
        #expect(oneBlown.active.sensedLamps == OutputSet([.pedWalk]))  // one dark copy is not hidden by the lit one
        #expect(oneBlown.redLampsDark == 1)
        let bothBlown = d.update([RawLine(level: false, edges: 1), RawLine(level: false), RawLine(level: true)])
        #expect(bothBlown.redLampsDark == 2)
    }

    @Test func copiesFoldIntoTheirRole() {
        var d = Debouncer(roles: [.pedButton, .pedButton, .pedKerb], debounceTicks: [0, 0, 0])
        _ = d.update([RawLine(level: false), RawLine(level: false), RawLine(level: false)])
        let second = d.update([RawLine(level: false), RawLine(level: true, edges: 1), RawLine(level: false)])
        #expect(second.active == InputSet([.pedButton]))
        #expect(second.rose == InputSet([.pedButton]))
        let third = d.update([RawLine(level: true, edges: 1), RawLine(level: false, edges: 1), RawLine(level: false)])
        #expect(third.active == InputSet([.pedButton]))  // the first copy holds the role active
        #expect(third.rose == InputSet([.pedButton]))
        #expect(third.fell == InputSet([.pedButton]))
    }
}
