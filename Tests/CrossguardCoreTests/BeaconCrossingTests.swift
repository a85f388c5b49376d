import CrossguardCore
import Testing

func beaconSite(_ extra: String = "", tick: String = "10ms") throws -> SiteConfig {
    try site("""
        device_id = "b"
        profile = "beacon"
        tick = "\(tick)"
        [beacon]
        length_m = 9.0
        walking_speed_mps = 0.9
        buffer = "3s"
        max = "40s"
        kerb_stuck_after = "2min"
        detector_idle_after = "1h"
        \(extra)
        """)
}

func beaconBoard() throws -> BoardConfig {
    try board(boardText(inputs: ["ped.button", "ped.kerb", "ped.crossing"], outputs: ["beacon.left", "beacon.right", "studs", "flood", "aps.walk"]))
}

@Suite("Beacon crossing (profile beacon)")
struct BeaconCrossingTests {
    @Test func validationRules() {
        let base = "device_id = \"b\"\nprofile = \"beacon\"\n[beacon]\nlength_m = 9.0\n"
        #expect(siteProblems(base + "max = \"5s\"") == [
            "site.toml: beacon.max = 5 s must be from one activation (9 m ÷ 1.07 m/s + buffer 3 s = 11.412 s) up to 10 min",
        ])
        #expect(siteProblems(base + "pattern = \"wigwag\"") == [
            "site.toml: beacon.pattern = \"wigwag\" is not a pattern; use steady-1hz (MUTCD 4G.01) or rrfb (FHWA IA-21)",
        ])
        #expect(siteProblems(base + "night_below_lux = 20\nday_above_lux = 20") == [
            "site.toml: beacon.day_above_lux = 20.0 must be above night_below_lux = 20.0 (the gap is the hysteresis that stops the floodlight flickering at dusk)",
        ])
        #expect(siteProblems("tick = \"20ms\"\n" + base + "pattern = \"rrfb\"") == [
            "site.toml: beacon.pattern = \"rrfb\" needs a tick that divides its 50 ms flashes; tick = 20 ms does not",
        ])
        #expect(siteProblems("device_id = \"b\"\nprofile = \"beacon\"\n") == [
            "site.toml: beacon is missing; profile \"beacon\" needs a [beacon] table with at least length_m",
        ])
        #expect(siteProblems(base + "[crossing]\nlength_m = 3") == [
            "site.toml: crossing is not used with profile \"beacon\"; remove it or choose profile \"signalized\" or \"hybrid-beacon\"",
        ])
    }

    @Test func boardNeedsBeaconsAndADemandInput() throws {
        let b = try board(boardText(inputs: ["sos.button"], outputs: ["studs"]))
        #expect(b.problems(for: try beaconSite(), boardFile: "board.toml", siteFile: "site.toml").map(\.description) == [
            "board.toml: has no beacon.left or beacon.right output; profile \"beacon\" in site.toml needs it",
            "board.toml: has no ped.button or ped.kerb input; profile \"beacon\" in site.toml needs it",
        ])
    }

    @Test func pressActivatesForTheTimeToCrossPlusTheBuffer() throws {
        var h = Harness(site: try beaconSite(), board: try beaconBoard())
        h.run(until: 100)
        #expect(h.last.lit == OutputSet())                         // dark at rest
        h.press(.pedButton)
        #expect(h.last.lit.contains(.beaconLeft) && h.last.lit.contains(.studs) && h.last.lit.contains(.apsWalk))
        #expect(h.last.lit.contains(.flood))                       // no light reading yet: light the crossing
        h.run(until: 100 + 1_300)
        #expect(h.controller.beacon?.active == true)
        h.step(Inputs())                                           // 13 s = 9 m ÷ 0.9 m/s + 3 s
        #expect(h.controller.beacon?.active == false)
        #expect(h.last.lit == OutputSet())
        #expect(h.events.last?.detail == .beaconActivation(.ended(after: 1_300)))
    }

    @Test func presenceOnTheCrossingHoldsItButNeverPastTheMaximum() throws {
        var h = Harness(site: try beaconSite(), board: try beaconBoard())
        h.press(.pedButton)
        let crossing = InputSet([.pedCrossing])
        var ticks = 0
        while h.controller.beacon?.active == true { h.step(Inputs(active: crossing)); ticks += 1 }
        #expect(ticks == 4_000)                                   // the tick 40 s after the press ends it
    }

    @Test func rrfbFollowsIA21() throws {
        var h = Harness(site: try beaconSite("pattern = \"rrfb\""), board: try beaconBoard())
        h.press(.pedButton)
        var sequence: [String] = []
        for _ in 0..<80 {                                          // one 800 ms sequence at 10 ms ticks
            let lit = h.last.lit
            sequence.append(lit.contains(.beaconLeft) ? (lit.contains(.beaconRight) ? "B" : "L") : (lit.contains(.beaconRight) ? "R" : "."))
            h.step(Inputs())
        }
        let segments = stride(from: 0, to: 80, by: 5).map { sequence[$0] }
        #expect(segments.joined() == "L.R.L.R.B.B.....")          // L, R, L, R, both, both, then 250 ms dark
        #expect(Set(sequence[0..<5]).count == 1)                   // each flash is a whole 50 ms
    }

    @Test func floodlightFollowsNightWithHysteresis() throws {
        var h = Harness(site: try beaconSite(), board: try beaconBoard())
        h.press(.pedButton)
        func lux(_ value: Double) -> Bool {
            var i = Inputs()
            i.ambientLux = value
            return h.step(i).lit.contains(.flood)
        }
        #expect(lux(500) == false)   // day
        #expect(lux(20) == false)    // between the thresholds: still day
        #expect(lux(5) == true)      // night
        #expect(lux(20) == true)     // between: still night
        #expect(lux(31) == false)
    }

    @Test func stuckKerbIsIgnoredButTheButtonStillWorks() throws {
        var h = Harness(site: try beaconSite(), board: try beaconBoard())
        let kerb = InputSet([.pedKerb])
        h.step(Inputs(active: kerb, rose: kerb))
        h.run(until: 12_001, held: kerb)                            // 2 min
        #expect(h.controller.beacon?.kerbStuck == true)
        #expect(h.events.contains { $0.type == .detectorStuck && $0.state == .raised })
        h.run(until: 17_000, held: kerb)
        #expect(h.controller.beacon?.active == false)              // no more activations from the stuck detector
        h.press(.pedButton, held: kerb)
        #expect(h.controller.beacon?.active == true)
        h.step(Inputs())                                           // released: the fault clears
        #expect(h.events.last?.type == .detectorStuck && h.events.last?.state == .cleared)
    }

    @Test func silentDetectorsRaiseAnIdleWarning() throws {
        var h = Harness(site: try beaconSite(), board: try beaconBoard())
        h.run(until: 360_001)                                      // one hour without anyone
        #expect(h.events.contains { $0.type == .detectorIdle && $0.state == .raised })
        h.press(.pedKerb)
        #expect(h.events.last?.type == .detectorIdle && h.events.last?.state == .cleared)
    }

    @Test func flashAndDarkModes() throws {
        var h = Harness(site: try beaconSite(), board: try beaconBoard())
        h.step(Inputs(command: .setMode(.flash, revertAfterTicks: 500)))
        #expect(h.lastOutcome == .accepted)
        var flashed = false
        for _ in 0..<200 { if h.step(Inputs()).lit.contains(.beaconLeft) { flashed = true } }
        #expect(flashed)
        h.run(until: 502)
        #expect(h.controller.beacon?.mode == .normal)
        h.step(Inputs(command: .setMode(.dark, revertAfterTicks: nil)))
        h.press(.pedButton)
        #expect(h.last.lit == OutputSet())                          // dark means dark
    }
}

@Suite("Beacon invariants under random inputs")
struct BeaconInvariantTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func neverLongerThanTheMaximumNeverLitWhenItShouldNotBe(seed: UInt64) throws {
        let s = try shippedSite("site-beacon.toml")
        let config = DeviceConfig(site: s, board: try simBoard())
        let maximum = UInt64(config.controller.beacon!.maximum.count)
        var device = Device(config: config)
        var rng = SplitMix64(state: seed)
        var buffer = EventBuffer(capacity: 32)
        var active = InputSet([.mainsOK])
        var activations = 0
        var lastPress: UInt64 = 0
        for _ in 0..<60_000 {
            var next = active
            for role in [InputRole.pedButton, .pedKerb, .pedCrossing] where rng.next() % 300 == 0 { next.set(role, !next.contains(role)) }
            var inputs = Inputs(active: next)
            inputs.rose.bits = next.bits & ~active.bits
            inputs.fell.bits = active.bits & ~next.bits
            inputs.ambientLux = Double(rng.next() % 60)
            if rng.next() % 5_000 == 0 { inputs.command = .setMode([.flash, .dark, .normal][Int(rng.next() % 3)], revertAfterTicks: 3_000) }
            active = next
            let tick = device.tick
            buffer.removeAll()
            let lit = device.step(inputs, events: &buffer).outputs.lit
            let b = device.controller.beacon!
            if inputs.rose.contains(.pedButton) { lastPress = tick }
            // Held no longer than the maximum after the activation or the newest press, whichever is later.
            if b.active { #expect(tick - max(b.activatedAt, lastPress) < maximum, "tick \(tick): active for \(tick - b.activatedAt) ticks") }
            if buffer.events.contains(where: { $0.type == .beaconActivation && $0.state == .raised }) { activations += 1 }
            let beacons = lit.contains(.beaconLeft) || lit.contains(.beaconRight) || lit.contains(.studs) || lit.contains(.flood)
            switch b.mode {
            case .dark: #expect(!beacons, "tick \(tick): lit in dark mode")
            case .normal: if !b.active { #expect(!beacons, "tick \(tick): lit while not active") }
            case .flash: break
            }
        }
        #expect(activations > 3)  // presses while active extend the activation rather than start new ones
    }
}

@Suite("Beacon lamps are watched")
struct BeaconLampTests {
    @Test func aDeadBeaconLampIsReportedAndResetClearsIt() throws {
        let s = try shippedSite("site-beacon.toml")
        let b = try board(boardText(inputs: ["ped.button", "lamp.beacon.left", "lamp.beacon.right", "lamp.vehicle.red"], outputs: ["beacon.left", "beacon.right", "studs"]))
        var device = Device(config: DeviceConfig(site: s, board: b))
        var buffer = EventBuffer(capacity: 16)
        var lit = OutputSet()
        var raised: [Event] = []
        let period = device.config.controller.flasher.periodTicks
        for tick in 0..<3_000 {
            var inputs = Inputs()
            if tick % 1_000 == 10 { inputs = Inputs(active: InputSet([.pedButton]), rose: InputSet([.pedButton])) }
            // The lamps answer the previous tick's command; from tick 1,500 the left beacon is dead.
            if lit.contains(.beaconLeft) && tick < 1_500 { inputs.active.insert(.lampBeaconLeft) }
            if lit.contains(.beaconRight) { inputs.active.insert(.lampBeaconRight) }
            buffer.removeAll()
            lit = device.step(inputs, events: &buffer).outputs.lit
            raised += buffer.events.filter { $0.type == .lampFailure }
            if tick < 1_500 { #expect(raised.isEmpty, "tick \(tick): a healthy beacon reported") }
        }
        #expect(raised.count == 1)
        #expect(raised.first?.role == .lampBeaconLeft)
        #expect(raised.first?.state == .raised)
        #expect(Int(raised.first!.tick) <= 2_010 + period + device.config.monitor.mismatchTicks.count + 1)
        #expect(device.monitor.latched == nil)      // a beacon is no reason to stop anything
        #expect(lit.contains(.beaconLeft) || lit.contains(.beaconRight) || device.controller.beacon?.active == false)
        buffer.removeAll()
        #expect(device.step(Inputs(command: .resetFault), events: &buffer).commandOutcome == .accepted)
        #expect(buffer.events.contains { $0.type == .lampFailure && $0.state == .cleared && $0.role == .lampBeaconLeft })
    }
}
