import CrossguardCore
import Testing

/// A deliberately broken crossing: the real controller with one fault injected into what it commands.
struct FaultyCrossing {
    enum Fault { case skipsAmber, walkDuringGreen, none }
    var crossing: SignalizedCrossing
    let fault: Fault
    var buffer = EventBuffer(capacity: 16)

    init(plan: SignalPlan, fault: Fault) {
        crossing = SignalizedCrossing(plan: plan, hasKerbDetector: false, hasCrossingDetector: false)
        self.fault = fault
    }

    /// One tick; returns the lamps as the faulty controller commands them and whether the fault showed.
    mutating func step(tick: UInt64, inputs: Inputs, flasher: Flasher) -> (lit: OutputSet, faulty: Bool) {
        buffer.removeAll()
        var lit = crossing.step(tick: tick, inputs: inputs, flasher: flasher, events: &buffer).lit
        switch fault {
        case .skipsAmber where crossing.phase == .vehicleAmber:
            lit.remove(.vehicleAmber)
            lit.insert(.vehicleRed)
            return (lit, true)
        case .walkDuringGreen where crossing.phase == .vehicleGreen && Int(tick - crossing.phaseStart) > 300:
            lit.insert(.pedWalk)
            lit.remove(.pedDontWalk)
            return (lit, true)
        default:
            return (lit, false)
        }
    }
}

/// Runs a (possibly faulty) crossing under the monitor with a button press every 30 s; returns the tick the
/// fault first showed and the tick the monitor tripped, with the rule.
func monitorRun(controllerPlan: SignalPlan, monitorPlan: MonitorPlan, fault: FaultyCrossing.Fault, flasher: Flasher, ticks: UInt64 = 20_000)
    -> (firstFault: UInt64?, tripped: UInt64?, rule: SafetyRule?, firstShown: OutputSet) {
    var faulty = FaultyCrossing(plan: controllerPlan, fault: fault)
    var monitor = SafetyMonitor(plan: monitorPlan)
    var events = EventBuffer(capacity: 16)
    var firstFault: UInt64?
    var shown = OutputSet()
    for tick in 0..<ticks {
        let press = tick % 3_000 == 1_000
        let inputs = press ? Inputs(active: InputSet([.pedButton]), rose: InputSet([.pedButton])) : Inputs()
        let (lit, isFaulty) = faulty.step(tick: tick, inputs: inputs, flasher: flasher)
        if isFaulty && firstFault == nil { firstFault = tick; shown = lit }
        events.removeAll()
        if let rule = monitor.check(tick: tick, lit: lit, events: &events) { return (firstFault, tick, rule, shown) }
    }
    return (firstFault, nil, nil, shown)
}

@Suite("Safety monitor: every faulty controller is caught")
struct SafetyMonitorTests {
    let site: SiteConfig
    let plan: SignalPlan
    let flasher: Flasher

    init() throws {
        site = try shippedSite("site.toml")
        plan = SignalPlan(site.crossing!, regime: site.regime, tickMs: site.tickMs)
        flasher = Flasher(site.flash, tickMs: site.tickMs)
    }

    @Test func correctControllerNeverTrips() {
        for name in ["site.toml", "site-us.toml", "site-uk.toml"] {
            let s = try! shippedSite(name)
            let p = SignalPlan(s.crossing!, regime: s.regime, tickMs: s.tickMs)
            let f = Flasher(s.flash, tickMs: s.tickMs)
            let run = monitorRun(controllerPlan: p, monitorPlan: MonitorPlan(p, flasher: f), fault: .none, flasher: f, ticks: 60_000)
            #expect(run.tripped == nil, "\(name): \(String(describing: run.rule)) at \(String(describing: run.tripped))")
        }
    }

    @Test func skipsAmberIsCaughtWhenRedComes() {
        let run = monitorRun(controllerPlan: plan, monitorPlan: MonitorPlan(plan, flasher: flasher), fault: .skipsAmber, flasher: flasher)
        #expect(run.rule == .greenWithoutAmber)
        #expect(run.tripped == run.firstFault)  // the first tick the street would have seen it
    }

    @Test func walkDuringGreenIsCaughtInTheSameTick() {
        let run = monitorRun(controllerPlan: plan, monitorPlan: MonitorPlan(plan, flasher: flasher), fault: .walkDuringGreen, flasher: flasher)
        #expect(run.rule == .conflict)
        #expect(run.tripped == run.firstFault)
    }

    @Test func shortClearanceIsCaughtWhenVehiclesMove() throws {
        var short = plan
        short.clearance = Ticks(plan.clearance.count / 2)
        short.clearanceMax = short.clearance
        let run = monitorRun(controllerPlan: short, monitorPlan: MonitorPlan(plan, flasher: flasher), fault: .none, flasher: flasher)
        #expect(run.rule == .shortClearance)
        // Caught at the tick the vehicles get red+amber: pedestrians still had a right to be on the crossing.
        #expect(run.tripped != nil)
    }

    @Test func redAmberInTheUSIsADualIndication() throws {
        let us = try shippedSite("site-us.toml")
        let usPlan = SignalPlan(us.crossing!, regime: .us, tickMs: us.tickMs)
        var kzLike = usPlan
        kzLike.regime = .kz  // the faulty controller shows red+amber before green, as in kz
        kzLike.redAmber = 200
        let run = monitorRun(controllerPlan: kzLike, monitorPlan: MonitorPlan(usPlan, flasher: flasher), fault: .none, flasher: flasher)
        #expect(run.rule == .dualIndication)
    }

    @Test func shortAmberIsCaught() {
        var short = plan
        short.amber = plan.amber - 50
        let run = monitorRun(controllerPlan: short, monitorPlan: MonitorPlan(plan, flasher: flasher), fault: .none, flasher: flasher)
        #expect(run.rule == .shortAmber)
    }

    @Test func shortAllRedIsCaught() {
        var short = plan
        short.allRed = Ticks(plan.allRed.count / 2)
        let run = monitorRun(controllerPlan: short, monitorPlan: MonitorPlan(plan, flasher: flasher), fault: .none, flasher: flasher)
        #expect(run.rule == .shortAllRed)
    }

    @Test func ignoresDemandForeverIsCaughtByTheWaitCheck() throws {
        // A controller that never leaves green: the monitor sees nothing wrong on the lamps, the service
        // check does (it watches the button and the walk, not the controller's own bookkeeping).
        var lazy = plan
        lazy.minGreen = Ticks(Int.max / 4)
        var crossing = SignalizedCrossing(plan: lazy, hasKerbDetector: false, hasCrossingDetector: false)
        var buffer = EventBuffer(capacity: 16)
        var waitingSince: UInt64?
        var overdue: UInt64?
        for tick in UInt64(0)..<10_000 {
            let press = tick == 1_500
            buffer.removeAll()
            let lit = crossing.step(tick: tick, inputs: press ? Inputs(active: InputSet([.pedButton]), rose: InputSet([.pedButton])) : Inputs(), flasher: flasher, events: &buffer).lit
            if press && waitingSince == nil { waitingSince = tick }
            if lit.contains(.pedWalk) { waitingSince = nil }
            if let since = waitingSince, Int(tick - since) > plan.maxWait.count { overdue = tick; break }
        }
        #expect(overdue == 1_500 + UInt64(plan.maxWait.count) + 1)
    }

    @Test func droppedSOSAlarmIsCaughtByTheAlarmCheck() throws {
        // An SOS post that forgets to raise its second alarm.
        let s = try sosSite()
        let config = DeviceConfig(site: s, board: try sosBoard())
        var device = Device(config: config)
        var checker = InvariantChecker(config: config)
        var buffer = EventBuffer(capacity: 16)
        for tick in UInt64(0)..<200 {
            var inputs = Inputs()
            if tick == 10 || tick == 100 { inputs = Inputs(active: InputSet([.sosButton]), rose: InputSet([.sosButton])) }
            if tick == 50 { inputs.command = .closeAlarm(alarmID: nil) }
            buffer.removeAll()
            let result = device.step(inputs, events: &buffer)
            let kept = buffer.events.filter { !($0.type == .sosAlarm && $0.state == .raised && $0.alarmID == 2) }
            checker.check(tick: tick, inputs: inputs, result: result, events: kept, device: device)
        }
        #expect(checker.failures.contains { $0.hasPrefix("tick 100: SOS events") })
    }
}

@Suite("Fail-safe latch")
struct FailSafeLatchTests {
    @Test func latchOverridesTheCrossingUntilReset() throws {
        let s = try shippedSite("site.toml")
        let config = DeviceConfig(site: s, board: try simBoard())
        var device = Device(config: config, latchedFault: .conflict)  // latched before a restart
        var buffer = EventBuffer(capacity: 16)
        for _ in 0..<300 {
            buffer.removeAll()
            let out = device.step(Inputs(active: InputSet([.mainsOK])), events: &buffer).outputs.lit
            #expect(!out.contains(.vehicleRed) && !out.contains(.pedDontWalk) && !out.contains(.pedWalk))
        }
        buffer.removeAll()
        let reset = device.step(Inputs(active: InputSet([.mainsOK]), command: .resetFault), events: &buffer)
        #expect(reset.commandOutcome == .accepted)
        #expect(buffer.events.map(\.type) == [.failSafe])
        #expect(buffer.events.first?.state == .cleared)
        #expect(device.controller.crossing?.phase == .startupFlash)   // the start-up sequence runs again
        buffer.removeAll()
        #expect(device.step(Inputs(active: InputSet([.mainsOK]), command: .resetFault), events: &buffer).commandOutcome == .refused(.nothingLatched))
    }

    /// Found by the exhaustive exploration: the tick a red comes on, its lamps still read the previous tick's
    /// dark. That lag must not add up over the vehicle phases between two red intervals.
    @Test func senseLagAtEachRedOnsetNeverAddsUp() throws {
        let site = try shippedSite("site.toml")
        var plan = MonitorPlan(SignalPlan(site.crossing!, regime: site.regime, tickMs: site.tickMs), flasher: Flasher(periodTicks: 2, onTicks: 1),
                               sensed: OutputSet([.vehicleRed]), mismatchTicks: 3)
        plan.amber = 1
        plan.allRed = 0
        var monitor = SafetyMonitor(plan: plan)
        var events = EventBuffer(capacity: 16)
        var previous = OutputSet()
        for tick in UInt64(0)..<200 {
            // A red of one tick in every 10, then green and amber; both red lamps healthy, answering a tick late,
            // so every red is sensed dark for its whole (short) life.
            let vehicle: OutputRole = tick % 10 == 0 ? .vehicleRed : tick % 10 < 7 ? .vehicleGreen : .vehicleAmber
            let lit = OutputSet([vehicle, .pedDontWalk])
            let dark: UInt8 = previous.contains(.vehicleRed) ? 0 : 2
            let sensed = dark == 0 ? OutputSet([.vehicleRed]) : OutputSet()
            #expect(monitor.check(tick: tick, lit: lit, sensed: sensed, redLampsDark: dark, events: &events) == nil, "tick \(tick)")
            previous = lit
        }
        #expect(!monitor.walkInhibited)
    }

    @Test func resetOfALampFailureAloneLeavesTheCrossingRunning() throws {
        let config = DeviceConfig(site: try shippedSite("site.toml"), board: try simBoard())
        var device = Device(config: config)
        var buffer = EventBuffer(capacity: 16)
        var lit = OutputSet()
        // One of the two red lamps dark from the start: found at the first red, the walk is inhibited.
        for _ in 0..<2_000 {
            var inputs = Inputs(active: InputSet([.mainsOK]))
            for role in OutputRole.allCases where role != .vehicleRed && lit.contains(role) { inputs.active.insert(role.senseRole) }
            inputs.redLampsDark = lit.contains(.vehicleRed) ? 1 : 2
            buffer.removeAll()
            lit = device.step(inputs, events: &buffer).outputs.lit
        }
        #expect(device.monitor.walkInhibited == true)
        #expect(device.monitor.latched == nil)
        let phase = device.controller.crossing!.phase
        buffer.removeAll()
        #expect(device.step(Inputs(active: InputSet([.mainsOK]), command: .resetFault), events: &buffer).commandOutcome == .accepted)
        #expect(device.monitor.walkInhibited == false)
        #expect(device.controller.crossing!.phase == phase)  // no jump from green into the start-up flash
        #expect(buffer.events.contains { $0.type == .lampFailure && $0.state == .cleared })
    }

    @Test func lampTestReportsTheLampsThatReadWrongAndChangesNothing() throws {
        let config = DeviceConfig(site: try shippedSite("site.toml"), board: try simBoard())
        var device = Device(config: config)
        var buffer = EventBuffer(capacity: 16)
        var lit = OutputSet()
        func run(_ ticks: Int, redDark: UInt8, command: Command? = nil, press: Bool = false) -> StepResult {
            var result = StepResult(outputs: Outputs(), commandOutcome: nil)
            for t in 0..<ticks {
                var inputs = Inputs(active: InputSet([.mainsOK]))
                for role in OutputRole.allCases where lit.contains(role) { inputs.active.insert(role.senseRole) }
                inputs.redLampsDark = lit.contains(.vehicleRed) ? redDark : 2
                if t == ticks - 1 { inputs.command = command }
                if press && t == 0 {
                    inputs.active.insert(.pedButton)
                    inputs.rose.insert(.pedButton)
                }
                buffer.removeAll()
                result = device.step(inputs, events: &buffer)
                lit = result.outputs.lit
            }
            return result
        }
        _ = run(2_000, redDark: 0)
        let before = device.controller
        let healthy = run(1, redDark: 0, command: .lampTest)
        #expect(healthy.commandOutcome == .accepted)
        let report = try #require(buffer.events.first { $0.type == .lampTest })
        #expect(report.detail == .lampTest(checked: UInt32(config.monitor.sensed.bits.nonzeroBitCount), failed: OutputSet()))
        #expect(device.controller.crossing!.phase == before.crossing!.phase)  // the test changed no lamp
        _ = run(3_000, redDark: 1, press: true)  // one red lamp of two gone, found when a pedestrian brings the red
        _ = run(1, redDark: 1, command: .lampTest)
        let checked = UInt32(config.monitor.sensed.bits.nonzeroBitCount)
        #expect(buffer.events.first { $0.type == .lampTest }?.detail == .lampTest(checked: checked, failed: OutputSet([.vehicleRed])))
        let post = DeviceConfig(site: try shippedSite("sos-post.toml"), board: try simBoard())
        var sos = Device(config: post)
        #expect(sos.step(Inputs(command: .lampTest), events: &buffer).commandOutcome == .refused(.noLampSensing))
    }

    @Test func outboxDroppedIsNumberedWithTheOtherEventsAndNamesTheGap() throws {
        var device = Device(config: DeviceConfig(site: try shippedSite("site.toml"), board: try simBoard()))
        var buffer = EventBuffer(capacity: 16, firstSeq: 7_000)
        let result = device.step(Inputs(command: .report(.outboxDropped(info: 1_200, normal: 3, seqs: 100...1_502))), events: &buffer)
        #expect(result.commandOutcome == .accepted)
        let dropped = try #require(buffer.events.first { $0.type == .outboxDropped })
        #expect(dropped.seq >= 7_000)
        #expect(dropped.json(tickMs: 10).hasSuffix(#""dropped_info":1200,"dropped_normal":3,"first_seq":100,"last_seq":1502}"#))
        #expect(dropped.summary(tickMs: 10) == "outbox.dropped, 1200 info and 3 normal events dropped (seq 100–1502) [high]")
    }

    @Test func aSilentSensorIsReportedOnceWhenItStopsAndOnceWhenItAnswers() throws {
        var device = Device(config: DeviceConfig(site: try shippedSite("site.toml"), board: try simBoard()))
        var buffer = EventBuffer(capacity: 16)
        func step(silent: [InputRole]) -> [String] {
            buffer.removeAll()
            var inputs = Inputs(active: InputSet([.mainsOK]))
            inputs.silentSensors = InputSet(silent)
            _ = device.step(inputs, events: &buffer)
            return buffer.events.filter { $0.type == .detectorFault }.map { "\($0.role!.name) \($0.state!.name)" }
        }
        #expect(step(silent: []) == [])
        #expect(step(silent: [.pedKerb, .lampVehicleRed]) == ["ped.kerb raised", "lamp.vehicle.red raised"])
        #expect(step(silent: [.pedKerb, .lampVehicleRed]) == [])
        #expect(step(silent: [.lampVehicleRed, .pedCrossing]) == ["ped.kerb cleared", "ped.crossing raised"])
        #expect(step(silent: []) == ["ped.crossing cleared", "lamp.vehicle.red cleared"])
        #expect(InputRole.pedCrossing.levelWhenSilent && !InputRole.pedKerb.levelWhenSilent && !InputRole.lampVehicleRed.levelWhenSilent)
    }

    @Test func failSafeDisplayByRegime() {
        let flasher = Flasher(periodTicks: 100, onTicks: 50)
        #expect(SafetyMonitor.failSafeLamps(regime: .kz, tick: 10, flasher: flasher) == OutputSet([.vehicleAmber]))
        #expect(SafetyMonitor.failSafeLamps(regime: .us, tick: 60, flasher: flasher) == OutputSet())
        #expect(SafetyMonitor.failSafeLamps(regime: .uk, tick: 10, flasher: flasher) == OutputSet())
    }

    @Test func localKeyResetsToo() throws {
        let s = try shippedSite("site-uk.toml")
        var device = Device(config: DeviceConfig(site: s, board: try simBoard()), latchedFault: .shortAmber)
        var buffer = EventBuffer(capacity: 16)
        _ = device.step(Inputs(), events: &buffer)
        #expect(device.monitor.latched == .shortAmber)
        _ = device.step(Inputs(active: InputSet([.faultReset]), rose: InputSet([.faultReset])), events: &buffer)
        #expect(device.monitor.latched == nil)
    }
}

/// Lamp sequences a faulty controller might show, each written out tick by tick: (ticks, lamps).
typealias Script = [(ticks: Int, lit: OutputSet)]

/// Runs a script through a fresh monitor; returns the first rule broken and its tick.
func monitorScript(_ plan: MonitorPlan, _ script: Script, sensed: (OutputSet, UInt64) -> OutputSet = { _, _ in OutputSet() }) -> (rule: SafetyRule?, tick: UInt64?) {
    var monitor = SafetyMonitor(plan: plan)
    var events = EventBuffer(capacity: 16)
    var tick: UInt64 = 0
    var previous = OutputSet()
    for (ticks, lit) in script {
        for _ in 0..<ticks {
            if let rule = monitor.check(tick: tick, lit: lit, sensed: sensed(previous, tick), events: &events) { return (rule, tick) }
            previous = lit
            tick += 1
        }
    }
    return (nil, nil)
}

/// Repeats a walk that goes dark for one tick in every `period`, for `ticks` ticks, over `base`.
func flickeringWalk(_ base: OutputSet, ticks: Int, period: Int) -> Script {
    var out: Script = []
    var walk = base
    walk.insert(.pedWalk)
    for _ in 0..<(ticks / period) { out += [(period - 1, walk), (1, base)] }
    return out
}

@Suite("Safety monitor: sequences a careless controller could show")
struct MonitorSequenceTests {
    let red = OutputSet([.vehicleRed, .pedDontWalk])
    let green = OutputSet([.vehicleGreen, .pedDontWalk])
    let amber = OutputSet([.vehicleAmber, .pedDontWalk])

    func plan(_ file: String) throws -> MonitorPlan {
        let config = DeviceConfig(site: try shippedSite(file), board: try board(boardText(inputs: ["ped.button"], outputs: ["vehicle.red", "vehicle.red.right", "vehicle.amber", "vehicle.green", "ped.dont_walk", "ped.walk"])))
        return config.monitor
    }

    @Test("a walk that flickers dark never starts a clearance of its own", arguments: ["site-us.toml", "site-uk.toml", "site.toml"])
    func flickeringWalkThenGreen(file: String) throws {
        let p = try plan(file)
        // Start-up all-red, a walk with a one-tick gap every 99 ticks for 7 s, a short all-red, green.
        let script: Script = [(400, red)] + flickeringWalk(OutputSet([.vehicleRed]), ticks: 700, period: 100) + [(p.allRedAfterClearance.count, red), (10, green)]
        let r = monitorScript(p, script)
        #expect(r.rule == .shortClearance)
    }

    @Test func aFlickerLongerThanTheClearanceStillNeedsTheAllRedAfterIt() throws {
        let p = try plan("site.toml")  // kz: the clearance is a flashing walk, so flashes are allowed
        let flicker = flickeringWalk(OutputSet([.vehicleRed]), ticks: 100 * ((p.clearance + p.allRedAfterClearance).count / 100 + 3), period: 100)
        // Red just past the flashing walk's hold (a dark flash is still a walk), well short of the all-red.
        let r = monitorScript(p, [(400, red)] + flicker + [((p.flashPeriod - p.flashOn).count + 2, red), (10, green)])
        #expect(r.rule == .shortClearance)
    }

    @Test func walkWithTheVehicleHeadDarkIsAConflict() throws {
        let p = try plan("site-us.toml")
        let r = monitorScript(p, [(400, red), (300, green), (300, amber), (p.allRed.count + 1, OutputSet([.pedDontWalk])), (10, OutputSet([.pedWalk]))])
        #expect(r.rule == .conflict)
    }

    @Test("a walk at power-up, before any all-red, is caught", arguments: ["site-us.toml", "site-phb.toml"])
    func walkAtPowerUp(file: String) throws {
        let p = try plan(file)
        // A signalized head has one red; a hybrid beacon's walk needs both.
        let reds: [OutputRole] = p.hybrid ? [.vehicleRed, .vehicleRedRight] : [.vehicleRed]
        let r = monitorScript(p, [(10, OutputSet(reds + [.pedWalk]))])
        #expect(r.rule == .shortAllRed)
        #expect(r.tick == 0)
    }

    @Test func hybridFlashingRedsDoNotCountAsTheAllRedBeforeTheWalk() throws {
        let p = try plan("site-phb.toml")
        let dark = OutputSet([.pedDontWalk])
        let alternating: Script = (0..<((p.allRed.count + 100) / 100 + 1)).flatMap { _ in
            [(50, OutputSet([.vehicleRed, .pedDontWalk])), (50, OutputSet([.vehicleRedRight, .pedDontWalk]))] as Script
        }
        let r = monitorScript(p, [(400, dark), (p.amber.count + 1, amber)] + alternating + [(10, OutputSet([.vehicleRed, .vehicleRedRight, .pedWalk]))])
        #expect(r.rule == .shortAllRed)
    }

    @Test func hybridRedsBothDeadWhileFlashingAreAFailSafe() throws {
        var p = try plan("site-phb.toml")
        p.sensed = OutputSet([.vehicleRed, .vehicleRedRight])
        let flashing: Script = (0..<30).flatMap { _ in
            [(50, OutputSet([.vehicleRed, .pedDontWalk])), (50, OutputSet([.vehicleRedRight, .pedDontWalk]))] as Script
        }
        // Healthy reds until tick 1,500, then both read dark.
        let script: Script = [(400, OutputSet([.pedDontWalk])), (p.amber.count + 1, amber), (p.allRed.count + 1, OutputSet([.vehicleRed, .vehicleRedRight, .pedDontWalk]))] + flashing
        let r = monitorScript(p, script) { previous, tick in
            var s = OutputSet()
            if tick < 1_500 { for role in [OutputRole.vehicleRed, .vehicleRedRight] where previous.contains(role) { s.insert(role) } }
            return s
        }
        #expect(r.rule == .redLampFailure)
        #expect((r.tick ?? 0) >= 1_500 && (r.tick ?? .max) <= 1_500 + UInt64((p.flashPeriod + p.mismatchTicks).count + 1))
    }
}

@Suite("Safety settings against the crossing")
struct SafetySettingsTests {
    @Test func lampMismatchMustFitInTheAllRed() {
        #expect(siteProblems(crossing("all_red = \"1s\"") + "\n[safety]\nlamp_mismatch = \"2s\"") == [
            "site.toml: safety.lamp_mismatch = 2 s must be at least two ticks (20 ms) shorter than crossing.all_red = 1 s, or a walk could start over a red lamp that is already dark",
        ])
    }
}

/// Runs a shipped site under a composition with a fault in it, a press of `role` from tick 2,000 (20 s,
/// the crossing resting in its vehicle green); returns the first tick the faulty word differed from the
/// real composition, and the tick, rule and outputs of the first latch with what reached the lines then.
func runUnderFaultyComposition(_ file: String, board: BoardConfig, press role: InputRole, fault: LampComposition) throws
    -> (firstFault: UInt64?, tripped: UInt64?, rule: SafetyRule?, involved: OutputSet, shown: OutputSet) {
    var device = Device(config: DeviceConfig(site: try shippedSite(file), board: board))
    var buffer = EventBuffer(capacity: 64)
    var firstFault: UInt64?
    for _ in 0..<6_000 {
        let tick = device.tick
        var inputs = Inputs(active: InputSet([.mainsOK]))
        if tick >= 2_000 { inputs.active.insert(role) }
        if tick == 2_000 { inputs.rose.insert(role) }
        buffer.removeAll()
        let result = device.step(inputs, events: &buffer) { lamps in
            let word = fault(lamps)
            if firstFault == nil && word != Device.compose(lamps) { firstFault = tick }
            return word
        }
        if case .latched(let rule, let involved) = result.latch {
            #expect(buffer.events.contains { $0.detail == .failSafe(.raised, rule: rule, outputs: involved) })
            return (firstFault, tick, rule, involved, result.outputs.lit)
        }
    }
    return (firstFault, nil, nil, OutputSet(), OutputSet())
}

@Suite("Safety monitor: a faulty composition is caught in the tick it appears")
struct FaultyCompositionTests {
    @Test func anSOSLightMappedOntoTheWalkNeverReachesTheStreet() throws {
        let b = try board(boardText(inputs: ["ped.button", "sos.button", "mains.ok"],
                                    outputs: ["vehicle.red", "vehicle.amber", "vehicle.green", "ped.dont_walk", "ped.walk", "sos.yellow", "sos.green", "sos.strobe"]))
        let run = try runUnderFaultyComposition("site.toml", board: b, press: .sosButton) { lamps in
            var word = Device.compose(lamps)
            if word.contains(.sosYellow) {
                word.remove(.sosYellow)
                word.insert(.pedWalk)
            }
            return word
        }
        let fault = try #require(run.firstFault, "the SOS alarm never lit its yellow light")
        #expect(run.tripped == fault)  // the very tick the walk appeared beside the vehicles' green
        #expect(run.rule == .dualIndication)  // walk and don't-walk at once, over a green
        #expect(!run.shown.contains(.pedWalk) && !run.shown.contains(.vehicleGreen), "reached the lines: \(run.shown)")
    }

    @Test func aBeaconBitWrittenOntoVehicleGreenIsAnUnassignedOutput() throws {
        let b = try board(boardText(inputs: ["ped.button"], outputs: ["beacon.left", "beacon.right", "studs", "flood"]))
        let run = try runUnderFaultyComposition("site-beacon.toml", board: b, press: .pedButton) { lamps in
            var word = Device.compose(lamps)
            if word.contains(.beaconLeft) {
                word.remove(.beaconLeft)
                word.insert(.vehicleGreen)
            }
            return word
        }
        let fault = try #require(run.firstFault, "the press never lit the left beacon")
        #expect(run.tripped == fault)
        #expect(run.rule == .unassignedOutput)
        #expect(run.involved == OutputSet([.vehicleGreen]))
        #expect(run.shown == OutputSet(), "a beacon crossing's fail-safe is dark: \(run.shown)")
    }

    @Test func anSOSPostAloneIsMonitoredAndKeepsItsLightsInTheFailSafe() throws {
        let b = try board(boardText(inputs: ["sos.button"], outputs: ["sos.yellow", "sos.green", "sos.strobe"]))
        let run = try runUnderFaultyComposition("sos-post.toml", board: b, press: .sosButton) { lamps in
            var word = Device.compose(lamps)
            if word.contains(.sosStrobe) { word.insert(.vehicleAmber) }  // a strobe wired in parallel onto a head
            return word
        }
        let fault = try #require(run.firstFault, "the SOS alarm never lit its strobe")
        #expect(run.tripped == fault)
        #expect(run.rule == .unassignedOutput)
        #expect(run.involved == OutputSet([.vehicleAmber]))
        #expect(run.shown.contains(.sosYellow) && !run.shown.contains(.vehicleAmber), "the person at the post must still see the alarm: \(run.shown)")
    }

    @Test func theRealCompositionNeverTripsAndTheFaultyOnesDiffer() throws {
        // The runs above trip because of their fault, not because of the press: the same runs with the real
        // composition never latch.
        let b = try board(boardText(inputs: ["ped.button", "sos.button", "mains.ok"], outputs: ["vehicle.red", "vehicle.amber", "vehicle.green", "ped.dont_walk", "ped.walk", "sos.yellow"]))
        for (file, role) in [("site.toml", InputRole.sosButton), ("site-beacon.toml", .pedButton), ("sos-post.toml", .sosButton)] {
            let run = try runUnderFaultyComposition(file, board: b, press: role, fault: Device.compose)
            #expect(run.firstFault == nil && run.tripped == nil, "\(file): \(String(describing: run.rule))")
        }
    }
}
