import CrossguardCore
import Testing

/// The shipped hybrid beacon on a board with its head and a button, no lamp sensing.
func hybridConfig() throws -> DeviceConfig {
    let b = try board(boardText(inputs: ["ped.button", "ped.kerb"], outputs: ["vehicle.red", "vehicle.red.right", "vehicle.amber", "ped.dont_walk", "ped.walk", "ped.wait"], countdown: true))
    return DeviceConfig(site: try shippedSite("site-phb.toml"), board: b)
}

/// What the head shows, for sequence checks.
enum HybridFace: Equatable { case dark, flashingAmber, steadyAmber, steadyRed, alternatingRed, other }

@Suite("Hybrid beacon (MUTCD 4J)")
struct HybridBeaconTests {
    /// Runs the controller with a press at `pressAt`, recording per tick the face and the pedestrian lamps.
    func run(ticks: UInt64, pressAt: [UInt64]) throws -> [(tick: UInt64, lit: OutputSet, countdown: UInt16?)] {
        var device = Device(config: try hybridConfig())
        var buffer = EventBuffer(capacity: 16)
        var out: [(UInt64, OutputSet, UInt16?)] = []
        for tick in 0..<ticks {
            let press = pressAt.contains(tick)
            let inputs = press ? Inputs(active: InputSet([.pedButton]), rose: InputSet([.pedButton])) : Inputs()
            buffer.removeAll()
            let r = device.step(inputs, events: &buffer)
            #expect(device.monitor.latched == nil, "tick \(tick): the monitor tripped")
            out.append((tick, r.outputs.lit, r.outputs.countdown))
        }
        return out
    }

    /// Classifies each tick's head over a flash period, so flashing reads as flashing.
    func faces(_ trace: [(tick: UInt64, lit: OutputSet, countdown: UInt16?)], period: Int) -> [HybridFace] {
        trace.indices.map { i in
            let window = trace[max(0, i - period + 1)...i].map(\.lit)
            let lit = trace[i].lit
            let red = lit.contains(.vehicleRed), right = lit.contains(.vehicleRedRight), amber = lit.contains(.vehicleAmber)
            if red && right && !amber { return .steadyRed }
            if (red || right) && !amber { return red != right ? .alternatingRed : .other }
            if amber { return window.allSatisfy { $0.contains(.vehicleAmber) } ? .steadyAmber : .flashingAmber }
            return window.contains { $0.contains(.vehicleAmber) } ? .flashingAmber : .dark
        }
    }

    @Test func fullSequenceWithItsTimings() throws {
        let config = try hybridConfig()
        let plan = config.controller.crossing!
        let press: UInt64 = 3_000
        let trace = try run(ticks: 12_000, pressAt: [press])
        // Collapse the faces after the press into runs, with their lengths.
        let f = faces(trace, period: config.controller.flasher.periodTicks)
        var runs: [(HybridFace, Int)] = []
        for face in f[Int(press)...] {
            if runs.last?.0 == face { runs[runs.count - 1].1 += 1 } else { runs.append((face, 1)) }
        }
        #expect(runs.map(\.0) == [.dark, .flashingAmber, .steadyAmber, .steadyRed, .alternatingRed, .dark])
        // Steady amber: the amber (the classifier needs a flash period of amber before it calls it steady).
        let steady = runs.first { $0.0 == .steadyAmber }!.1 + config.controller.flasher.periodTicks - 1
        #expect(steady >= plan.amber.count && steady <= plan.amber.count + config.controller.flasher.periodTicks)
        #expect(runs.first { $0.0 == .steadyRed }!.1 == (plan.allRed + plan.walk).count)
        #expect(runs.first { $0.0 == .alternatingRed }!.1 == (plan.clearance + plan.allRedAfterClearance).count)
        // Walk only under two steady reds; the flashing don't-walk and the countdown under the flashing reds.
        for (i, t) in trace.enumerated() where t.lit.contains(.pedWalk) { #expect(f[i] == .steadyRed) }
        let counted = trace.filter { $0.countdown != nil }
        #expect(!counted.isEmpty)
        for (i, t) in trace.enumerated() where t.countdown != nil { #expect(f[i] == .alternatingRed) }
        // At rest the pedestrians see a steady don't-walk and the vehicles a dark head.
        #expect(trace[2_000].lit == OutputSet([.pedDontWalk, .apsLocator]))
    }

    @Test func itsPhasesAreNamedAfterWhatTheBeaconShows() throws {
        var device = Device(config: try hybridConfig())
        var buffer = EventBuffer(capacity: 16)
        var names: [String] = []
        for tick in UInt64(0)..<6_000 {
            let inputs = tick == 2_000 ? Inputs(active: InputSet([.pedButton]), rose: InputSet([.pedButton])) : Inputs()
            _ = device.step(inputs, events: &buffer)
            buffer.removeAll()
            let name = device.controller.crossing!.phaseName
            if names.last != name { names.append(name) }
        }
        #expect(names == ["startupFlash", "startupDark", "beaconDark", "flashingAmber", "steadyAmber", "steadyRed", "pedestrianWalk",
                          "alternatingRedClearance", "alternatingRedBuffer", "beaconDark"])
    }

    @Test func flashAndDarkTakeADarkBeaconAtOnceButWaitForThePedestrians() throws {
        var device = Device(config: try hybridConfig())
        var buffer = EventBuffer(capacity: 16)
        for _ in 0..<2_000 { _ = device.step(Inputs(), events: &buffer) }
        #expect(device.controller.crossing?.phase == .vehicleGreen)  // resting dark
        _ = device.step(Inputs(command: .setMode(.flash, revertAfterTicks: nil)), events: &buffer)
        #expect(device.controller.crossing?.phase == .flash)         // no steady amber first: there is no green to end
        _ = device.step(Inputs(command: .setMode(.normal, revertAfterTicks: nil)), events: &buffer)
        _ = device.step(Inputs(active: InputSet([.pedButton]), rose: InputSet([.pedButton])), events: &buffer)
        while device.controller.crossing?.phase != .pedestrianWalk { _ = device.step(Inputs(), events: &buffer) }
        _ = device.step(Inputs(command: .setMode(.dark, revertAfterTicks: nil)), events: &buffer)
        #expect(device.controller.crossing?.phase == .pedestrianWalk)  // pedestrians are out: dark waits for them
        #expect(device.monitor.latched == nil)
    }

    @Test func secondPressWaitsOutTheMinimumDark() throws {
        let config = try hybridConfig()
        let plan = config.controller.crossing!
        let trace = try run(ticks: 20_000, pressAt: [3_000, 6_000])
        let f = faces(trace, period: config.controller.flasher.periodTicks)
        let darkAgain = (3_000..<20_000).first { $0 > 6_000 && f[$0] == .dark && f[$0 - 1] != .dark }!
        let nextFlash = (darkAgain..<20_000).first { f[$0] == .flashingAmber }!
        // The minimum dark, not a tick less; the first amber flash comes with the site's flasher, in step
        // with every other flashing lamp, so up to its dark part later.
        #expect(nextFlash - darkAgain >= plan.minGreen.count)
        #expect(nextFlash - darkAgain <= plan.minGreen.count + config.controller.flasher.periodTicks - config.controller.flasher.onTicks)
    }
}

/// Hybrid beacons with one fault each, run under the monitor: each must be caught within a tick of showing.
@Suite("Safety monitor: faulty hybrid beacons are caught")
struct FaultyHybridBeaconTests {
    enum Fault { case walkUnderFlashingReds, skipsSteadyAmber, darkRightAfterWalk }

    func firstFaultAndTrip(_ fault: Fault) throws -> (shown: UInt64?, tripped: UInt64?, rule: SafetyRule?) {
        let config = try hybridConfig()
        var crossing = SignalizedCrossing(plan: config.controller.crossing!, hasKerbDetector: false, hasCrossingDetector: false)
        var monitor = SafetyMonitor(plan: config.monitor)
        var events = EventBuffer(capacity: 16)
        var shown: UInt64?
        for tick in UInt64(0)..<20_000 {
            let inputs = tick % 4_000 == 1_000 ? Inputs(active: InputSet([.pedButton]), rose: InputSet([.pedButton])) : Inputs()
            events.removeAll()
            var lit = crossing.step(tick: tick, inputs: inputs, flasher: config.controller.flasher, events: &events).lit
            var faulty = false
            switch fault {
            case .walkUnderFlashingReds where crossing.phase == .pedestrianClearance:
                lit.insert(.pedWalk); lit.remove(.pedDontWalk); faulty = true
            case .skipsSteadyAmber where crossing.phase == .vehicleAmber:
                lit.remove(.vehicleAmber); lit.insert(.vehicleRed); lit.insert(.vehicleRedRight); faulty = true
            case .darkRightAfterWalk where crossing.phase == .pedestrianClearance:
                lit.remove(.vehicleRed); lit.remove(.vehicleRedRight); faulty = true
            default: break
            }
            if faulty && shown == nil { shown = tick }
            if let rule = monitor.check(tick: tick, lit: lit, events: &events) { return (shown, tick, rule) }
        }
        return (shown, nil, nil)
    }

    @Test(arguments: [
        (Fault.walkUnderFlashingReds, [SafetyRule.conflict]),
        (.skipsSteadyAmber, [.shortAmber, .greenWithoutAmber]),  // which depends on the last amber flash
        (.darkRightAfterWalk, [.conflict]),
    ])
    func caughtInTheTickItShows(fault: Fault, rules: [SafetyRule]) throws {
        let r = try firstFaultAndTrip(fault)
        #expect(r.shown != nil)
        #expect(r.tripped == r.shown)
        #expect(r.rule.map(rules.contains) == true, "tripped \(r.rule?.name ?? "nothing")")
    }

    @Test func amberShortenedOnlyByTheFlasherIsStillCaught() throws {
        // Flashing amber straight into steady red, with no steady amber at all: the last amber flash is the
        // whole "amber" the drivers saw.
        let config = try hybridConfig()
        var monitor = SafetyMonitor(plan: config.monitor)
        var events = EventBuffer(capacity: 16)
        let period = UInt64(config.controller.flasher.periodTicks)
        var rule: SafetyRule?
        for tick in UInt64(0)..<(10 * period) {
            var lit = OutputSet([.pedDontWalk])
            if tick < 5 * period { lit.set(.vehicleAmber, config.controller.flasher.isLit(at: tick)) } else { lit = OutputSet([.vehicleRed, .vehicleRedRight, .pedDontWalk]) }
            if let r = monitor.check(tick: tick, lit: lit, events: &events) { rule = r; break }
        }
        #expect(rule == .greenWithoutAmber || rule == .shortAmber)
    }
}
