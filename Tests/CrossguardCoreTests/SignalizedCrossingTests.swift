import CrossguardCore
import Testing

/// A crossing board: both heads, the wait lamp, a button, optional detectors, a countdown.
func crossingBoard(kerb: Bool = false, onCrossing: Bool = false) throws -> BoardConfig {
    var inputs = ["ped.button"]
    if kerb { inputs.append("ped.kerb") }
    if onCrossing { inputs.append("ped.crossing") }
    return try board(boardText(inputs: inputs, outputs: ["vehicle.red", "vehicle.amber", "vehicle.green", "ped.dont_walk", "ped.walk", "ped.wait"], countdown: true))
}

/// A site with 100 ms ticks and short timings, so a whole cycle is a readable list of changes.
func shortSite(_ regime: String, extra: String = "") throws -> SiteConfig {
    var text = """
        device_id = "t"
        regime = "\(regime)"
        tick = "100ms"
        [crossing]
        length_m = 8.0
        walking_speed_mps = 1.0
        min_green = "5s"
        amber = "3s"
        walk = "7s"
        startup_flash = "3s"
        startup_all_red = "1s"

        """
    switch regime {
    case "kz": text += "flashing_green = \"2s\"\nall_red = \"1s\"\nred_amber = \"1s\"\n"
    case "us": text += "all_red = \"1s\"\nall_red_after_clearance = \"3s\"\n"
    default: text += "all_red = \"3s\"\nred_amber = \"2s\"\n"
    }
    return try site(text + extra)
}

/// Runs a controller with a button press at `pressAt` ms, returning "ms: changes" lines and the events.
func cycle(_ s: SiteConfig, board b: BoardConfig, pressAt: UInt64, until: UInt64) -> (changes: [String], events: [String]) {
    var h = Harness(site: s, board: b)
    var lines: [String] = []
    var previous = Outputs()
    while h.controller.tick * 100 < until {
        let now = h.controller.tick * 100
        let out = now == pressAt ? { h.press(.pedButton); return h.last }() : h.step(Inputs())
        let diff = change(from: previous, to: out)
        if !diff.isEmpty { lines.append("\(now): \(diff)") }
        previous = out
    }
    let events = h.events.map { e in
        var text = "\(e.tick * 100): \(e.type.name)" + (e.state.map { " \($0.name)" } ?? "") + (e.role.map { " \($0.name)" } ?? "")
        if case .demandServed(_, let wait) = e.detail { text += " wait=\(wait.count * 100)" }
        return text
    }
    return (lines, events)
}

@Suite("Signalized crossing: exact output sequences per regime")
struct SignalizedCrossingTests {
    @Test func kazakhstan() throws {
        let (changes, events) = cycle(try shortSite("kz"), board: try crossingBoard(), pressAt: 6_000, until: 34_000)
        #expect(changes == [
            "0: +vehicle.amber", "500: -vehicle.amber", "1000: +vehicle.amber", "1500: -vehicle.amber", "2000: +vehicle.amber", "2500: -vehicle.amber",
            "3000: +vehicle.red +ped.dont_walk +aps.locator",         // start-up all-red; the locator tone with the lit head
            "4000: +vehicle.amber",                                    // red+amber
            "5000: -vehicle.red -vehicle.amber +vehicle.green",        // green, minimum 5 s
            "6000: +ped.wait",                                         // demand registered
            "10500: -vehicle.green", "11000: +vehicle.green", "11500: -vehicle.green",  // flashing green from 10 s
            "12000: +vehicle.amber",                                   // amber 3 s
            "15000: +vehicle.red -vehicle.amber",                      // all-red 1 s
            "16000: -ped.dont_walk +ped.walk -ped.wait +aps.walk -aps.locator +flood",  // walk 7 s
            "23000: -aps.walk +aps.locator #8",                        // flashing walk with countdown
            "23500: -ped.walk", "24000: +ped.walk #7", "24500: -ped.walk", "25000: +ped.walk #6", "25500: -ped.walk", "26000: +ped.walk #5",
            "26500: -ped.walk", "27000: +ped.walk #4", "27500: -ped.walk", "28000: +ped.walk #3", "28500: -ped.walk", "29000: +ped.walk #2",
            "29500: -ped.walk", "30000: +ped.walk #1", "30500: -ped.walk",
            "31000: +ped.dont_walk -flood #dark",                      // all-red after the clearance
            "32000: +vehicle.amber",                                   // red+amber
            "33000: -vehicle.red -vehicle.amber +vehicle.green",
        ])
        #expect(events == ["0: controller.started", "6000: demand.placed ped.button", "16000: demand.served ped.button wait=10000"])
    }

    @Test func unitedStates() throws {
        let (changes, events) = cycle(try shortSite("us"), board: try crossingBoard(), pressAt: 6_000, until: 32_000)
        #expect(changes == [
            "0: +vehicle.amber", "500: -vehicle.amber", "1000: +vehicle.amber", "1500: -vehicle.amber", "2000: +vehicle.amber", "2500: -vehicle.amber",
            "3000: +vehicle.red +ped.dont_walk +aps.locator",
            "4000: -vehicle.red +vehicle.green",                       // no red+amber in the US
            "6000: +ped.wait",
            "9000: +vehicle.amber -vehicle.green",                     // minimum green ran 4–9 s
            "12000: +vehicle.red -vehicle.amber",
            "13000: -ped.dont_walk +ped.walk -ped.wait +aps.walk -aps.locator +flood",
            "20000: +ped.dont_walk -ped.walk -aps.walk +aps.locator #8",  // flashing DON'T WALK with countdown
            "20500: -ped.dont_walk", "21000: +ped.dont_walk #7", "21500: -ped.dont_walk", "22000: +ped.dont_walk #6", "22500: -ped.dont_walk",
            "23000: +ped.dont_walk #5", "23500: -ped.dont_walk", "24000: +ped.dont_walk #4", "24500: -ped.dont_walk", "25000: +ped.dont_walk #3",
            "25500: -ped.dont_walk", "26000: +ped.dont_walk #2", "26500: -ped.dont_walk", "27000: +ped.dont_walk #1", "27500: -ped.dont_walk",
            "28000: +ped.dont_walk -flood #dark",                      // 3 s buffer, steady hand
            "31000: -vehicle.red +vehicle.green",
        ])
        #expect(events == ["0: controller.started", "6000: demand.placed ped.button", "13000: demand.served ped.button wait=7000"])
    }

    @Test func unitedKingdomPuffinWithSuspectDetector() throws {
        let (changes, events) = cycle(try shortSite("uk", extra: "clearance_max = \"12s\"\n"), board: try crossingBoard(onCrossing: true), pressAt: 6_000, until: 42_000)
        #expect(changes == [
            "0: +vehicle.amber", "500: -vehicle.amber", "1000: +vehicle.amber", "1500: -vehicle.amber", "2000: +vehicle.amber", "2500: -vehicle.amber",
            "3000: +vehicle.red +ped.dont_walk +aps.locator",
            "4000: +vehicle.amber",                                    // red+amber 2 s
            "6000: -vehicle.red -vehicle.amber +vehicle.green +ped.wait",
            "11000: +vehicle.amber -vehicle.green",
            "14000: +vehicle.red -vehicle.amber",                      // 3 s all-red before the walk
            "17000: -ped.dont_walk +ped.walk -ped.wait +aps.walk -aps.locator +flood",
            "24000: +ped.dont_walk -ped.walk -aps.walk +aps.locator",  // red man, no countdown: the clearance may extend
            "36000: -flood",                                           // suspect detector: the maximum, 12 s
            "39000: +vehicle.amber",
            "41000: -vehicle.red -vehicle.amber +vehicle.green",
        ])
        #expect(events == [
            "0: controller.started", "6000: demand.placed ped.button", "17000: demand.served ped.button wait=11000",
            "24000: detector.suspect raised ped.crossing",
        ])
    }

    @Test func onCrossingPresenceExtendsUpToTheMaximum() throws {
        let s = try shortSite("uk", extra: "clearance_max = \"12s\"\n")
        var h = Harness(site: s, board: try crossingBoard(onCrossing: true))
        h.run(until: 100)
        h.press(.pedCrossing)  // the detector works: not suspect at the next clearance
        h.run(until: 120)
        h.press(.pedButton)
        while h.controller.crossing?.phase != .pedestrianClearance { h.step(Inputs()) }
        let start = h.controller.tick - 1
        // Someone is on the crossing for 10 s of the clearance: it ends when they leave, after the 8 s minimum.
        let crossing = InputSet([.pedCrossing])
        while h.controller.tick < start + 100 { h.step(Inputs(active: crossing)) }
        #expect(h.controller.crossing?.phase == .pedestrianClearance)
        h.step(Inputs(fell: crossing))
        #expect(h.controller.crossing?.phase == .allRedAfterClearance)
        #expect(!h.events.contains { $0.type == .detectorSuspect })

        // Someone who never leaves the crossing holds it only up to the maximum, 12 s.
        h.press(.pedButton)
        while h.controller.crossing?.phase != .pedestrianClearance { h.step(Inputs(active: crossing)) }
        let second = h.controller.tick - 1
        while h.controller.crossing?.phase == .pedestrianClearance { h.step(Inputs(active: crossing)) }
        #expect(h.controller.tick - 1 - second == 120)
    }

    @Test func kerbDemandAfterDwellAndCancelWhenThePedestrianLeaves() throws {
        let s = try shortSite("uk", extra: "kerb_dwell = \"1s\"\nkerb_cancel = \"2s\"\n")
        var h = Harness(site: s, board: try crossingBoard(kerb: true))
        h.run(until: 70)  // vehicle green since 6 s: the minimum green runs until 11 s
        let kerb = InputSet([.pedKerb])
        h.step(Inputs(active: kerb, rose: kerb))          // 7.0 s: someone arrives
        while h.controller.tick < 80 { h.step(Inputs(active: kerb)) }
        #expect(h.controller.crossing?.demand == nil)   // 0.9 s: not yet
        h.step(Inputs(active: kerb))                      // 8.0 s: dwell reached
        #expect(h.controller.crossing?.demand == .pedKerb)
        #expect(h.last.lit.contains(.pedWait))
        h.step(Inputs(fell: kerb))                        // 8.1 s: gone
        h.run(until: 102)                                 // 10.1 s: 2 s later, still in the minimum green
        #expect(h.controller.crossing?.demand == nil)
        #expect(h.controller.crossing?.phase == .vehicleGreen)
        #expect(h.events.map(\.type).suffix(2) == [.demandPlaced, .demandCancelled])
        h.run(until: 400)
        #expect(h.controller.crossing?.phase == .vehicleGreen)  // rests in green: nobody is waiting
    }

    @Test func buttonDemandIsNotCancelledByAnEmptyKerb() throws {
        var h = Harness(site: try shortSite("uk"), board: try crossingBoard(kerb: true))
        h.run(until: 70)
        h.press(.pedButton)
        h.run(until: 200)
        #expect(h.events.contains { $0.type == .demandServed && $0.role == .pedButton })
        #expect(!h.events.contains { $0.type == .demandCancelled })
    }

    @Test func pressDuringWalkIsNotADemandButDuringClearanceItIs() throws {
        var h = Harness(site: try shortSite("us"), board: try crossingBoard())
        h.run(until: 60)
        h.press(.pedButton)
        while h.controller.crossing?.phase != .pedestrianWalk { h.step(Inputs()) }
        h.press(.pedButton)
        #expect(h.controller.crossing?.demand == nil)
        while h.controller.crossing?.phase != .pedestrianClearance { h.step(Inputs()) }
        h.press(.pedButton)
        #expect(h.controller.crossing?.demand == .pedButton)
        #expect(!h.last.lit.contains(.pedWait))  // shown once the clearance is over
        while h.controller.crossing?.phase == .pedestrianClearance { h.step(Inputs()) }
        #expect(h.last.lit.contains(.pedWait))
    }

    @Test func flashRequestedDuringTheWalkWaitsForThePedestriansAndRevertsOnItsOwn() throws {
        var h = Harness(site: try shortSite("kz"), board: try crossingBoard())
        h.run(until: 60)
        h.press(.pedButton)
        while h.controller.crossing?.phase != .pedestrianWalk { h.step(Inputs()) }
        h.step(Inputs(command: .setMode(.flash, revertAfterTicks: 100)))
        #expect(h.lastOutcome == .accepted)
        #expect(h.controller.crossing?.phase == .pedestrianWalk)
        while h.controller.crossing?.mode == .normal { h.step(Inputs()) }
        let flashStart = h.controller.tick - 1
        #expect(h.controller.crossing?.phase == .flash)
        #expect(h.events.last?.type == .modeChanged)
        // It entered flash from the all-red after the clearance: pedestrians had their full clearance.
        #expect(h.events.last?.tick == flashStart)
        #expect(!h.last.lit.contains(.pedWalk) && !h.last.lit.contains(.pedDontWalk))
        while h.controller.crossing?.mode == .flash { h.step(Inputs()) }
        #expect(h.controller.tick - 1 - flashStart == 100)     // 10 s from when flash began
        #expect(h.controller.crossing?.phase == .startupAllRed)
    }

    @Test func darkModeAndCommandsTheCrossingCannotTake() throws {
        var h = Harness(site: try shortSite("us"), board: try crossingBoard())
        h.run(until: 50)
        h.step(Inputs(command: .setMode(.dark, revertAfterTicks: nil)))
        #expect(h.last.lit.contains(.vehicleAmber))  // the green ends with its amber, then goes dark
        h.run(until: 81)
        #expect(h.last.lit == OutputSet())
        h.press(.pedButton)
        #expect(h.controller.crossing?.demand == nil)  // dark heads take no demand
        h.step(Inputs(command: .acknowledgeAlarm(alarmID: nil)))
        #expect(h.lastOutcome == .refused(.noSOSPost))
        h.step(Inputs(command: .setMode(.normal, revertAfterTicks: nil)))
        #expect(h.controller.crossing?.phase == .startupAllRed)
        #expect(h.last.lit == OutputSet([.vehicleRed, .pedDontWalk, .apsLocator]))
    }

    @Test func noCountdownWhenTheClearanceIsSevenSecondsOrLess() throws {
        let short = try site("""
            device_id = "t"
            regime = "us"
            tick = "100ms"
            [crossing]
            length_m = 7.0
            walking_speed_mps = 1.0
            min_green = "5s"
            """)
        var h = Harness(site: short, board: try crossingBoard())
        h.run(until: 100)
        h.press(.pedButton)
        var sawClearance = false
        while h.controller.tick < 600 {
            h.step(Inputs())
            if h.controller.crossing?.phase == .pedestrianClearance { sawClearance = true; #expect(h.last.countdown == nil) }
        }
        #expect(sawClearance)
    }
}
