import CrossguardCore
import Testing

/// Timings scaled down to a few ticks, so every reachable state can be visited. With `sensedRed` the board
/// senses two vehicle red lamps, whose failures the exploration chooses tick by tick.
func tinyCrossingConfig(regime: Regime, onCrossingDetector: Bool, sensedRed: Bool = false, hybrid: Bool = false) throws -> DeviceConfig {
    let siteFile = hybrid ? "site-phb.toml" : ["kz": "site.toml", "us": "site-us.toml", "uk": "site-uk.toml"][regime.rawValue]!
    var s = try shippedSite(siteFile)
    s.sos = nil
    var inputs = ["ped.button", "ped.kerb"]
    if onCrossingDetector { inputs.append("ped.crossing") }
    if sensedRed { inputs += ["lamp.vehicle.red", hybrid ? "lamp.vehicle.red.right" : "lamp.vehicle.red.2"] }
    let heads = ["vehicle.red", "vehicle.amber", hybrid ? "vehicle.red.right" : "vehicle.green", "ped.dont_walk", "ped.walk", "ped.wait"]
    let b = try board(boardText(inputs: inputs, outputs: heads, countdown: true))
    var config = ControllerConfig(site: s, board: b)
    var plan = config.crossing!
    plan.minGreen = 3
    plan.flashingGreen = regime == .kz || hybrid ? 2 : 0
    plan.amber = 2
    plan.allRed = regime == .uk ? 2 : 1
    plan.walk = 2
    plan.clearance = 2
    plan.clearanceMax = onCrossingDetector ? 4 : 2
    plan.allRedAfterClearance = regime == .us ? 2 : 1
    plan.redAmber = regime == .us ? 0 : 1
    plan.kerbDwell = 1
    plan.kerbCancel = 2
    plan.startupFlash = 2
    plan.startupAllRed = 1
    plan.countdownThreshold = 1
    plan.ticksPerSecond = 1
    plan.maxWait = plan.worstCaseWait
    config.flasher = Flasher(periodTicks: 2, onTicks: 1)
    config.street = .signalized(plan)
    config.sos = nil
    config.selfTestEvery = Ticks(1 << 40)
    return DeviceConfig(controller: config, monitor: MonitorPlan(plan, flasher: config.flasher, sensed: OutputSet(sensedRed ? [.vehicleRed] : []), mismatchTicks: 2))
}

/// One tick's inputs as the exploration chooses them.
struct Choice {
    /// Input levels this tick; edges follow from the previous tick's levels.
    var levels = InputSet()
    var command: Command?
    /// How many of the two sensed vehicle red lamps have failed.
    var failedReds: UInt8 = 0
    var lux: Double?
}

/// Every combination of `levels`, failed red lamps and light levels, and each command with every input idle.
func choices(levels: [InputRole], commands: [Command] = [], failedReds: [UInt8] = [0], lux: [Double?] = [nil]) -> [Choice] {
    var out: [Choice] = []
    for mask in 0..<(1 << levels.count) {
        var set = InputSet()
        for (i, role) in levels.enumerated() where mask & (1 << i) != 0 { set.insert(role) }
        for failed in failedReds { for l in lux { out.append(Choice(levels: set, failedReds: failed, lux: l)) } }
    }
    for command in commands { out.append(Choice(command: command, failedReds: failedReds[0], lux: lux[0])) }
    return out
}

/// The centre's mode commands, each of which every crossing must take at any moment.
let modeCommands: [Command] = [.setMode(.flash, revertAfterTicks: 3), .setMode(.dark, revertAfterTicks: 3), .setMode(.normal, revertAfterTicks: nil)]

struct ExplorationResult {
    var states = 0
    var transitions = 0
    var failures: [String] = []
}

/// One explored transition, for the invariant checks.
struct Transition {
    var before: Device
    var after: Device
    var inputs: Inputs
    var step: StepResult
    var events: [Event]
    /// What the observer of the checks made of the history before and after this transition.
    var observedBefore: [Int] = []
    var observed: [Int] = []
}

/// What the exploration tells states apart by: the device's own state, hashed as it is, the remembered input
/// levels, the lamps where the board senses them (they answer the previous tick), and whatever the checks'
/// observer keeps of the history.
struct ExploredState: Hashable {
    var device: ExplorationState
    var levels: InputSet
    var lit: OutputSet
    var observed: [Int]
}

/// Breadth-first over every reachable (controllers, monitor, previous input levels, previous lamps) state,
/// trying every choice in every state; `check` sees each transition. Only the levels in `remember` are
/// part of a state: the others are read by level or by rising edge alone, so an active one is simply
/// taken as rising each tick (a press is a press, however long it is held). `observe` is the checks' own
/// record of the history a transition ends (how long a phase or a wait has lasted, capped just past the
/// longest time a check compares it with): it is part of the state, so no two histories a check tells
/// apart are merged.
func exploreAll(_ config: DeviceConfig, choices: [Choice], remember: InputSet, observe: (Transition) -> [Int] = { _ in [] },
                check: (Transition, inout [String]) -> Void) -> ExplorationResult {
    struct Node { var device: Device; var levels: InputSet; var lit: OutputSet; var observed: [Int] }
    let sensing = config.controller.presentInputs.contains(.lampVehicleRed)  // two red lamps, failing as the choice says
    var result = ExplorationResult()
    var seen: Set<ExploredState> = []
    var queue = [Node(device: Device(config: config), levels: InputSet(), lit: OutputSet(), observed: [])]
    var head = 0
    var buffer = EventBuffer(capacity: 64)
    while head < queue.count && result.failures.count < 10 {
        let node = queue[head]
        head += 1
        for choice in choices {
            var c = node.device
            var inputs = Inputs(command: choice.command)
            inputs.active = choice.levels
            inputs.rose.bits = choice.levels.bits & ~node.levels.bits
            inputs.fell.bits = node.levels.bits & ~choice.levels.bits
            inputs.ambientLux = choice.lux
            if sensing {
                // The lamps answer the previous tick's command; a failed lamp reads dark.
                // The second red lamp is a copy of the first, or a hybrid beacon's right-hand red.
                let right = config.controller.presentInputs.contains(.lampVehicleRedRight)
                let firstOn = node.lit.contains(.vehicleRed) && choice.failedReds < 1
                let secondOn = node.lit.contains(right ? .vehicleRedRight : .vehicleRed) && choice.failedReds < 2
                if right {
                    inputs.redLampsDark = firstOn ? 0 : 1
                    inputs.rightRedLampsDark = secondOn ? 0 : 1
                    inputs.active.set(.lampVehicleRed, firstOn)
                    inputs.active.set(.lampVehicleRedRight, secondOn)
                } else {
                    inputs.redLampsDark = (firstOn ? 0 : 1) + (secondOn ? 0 : 1)
                    inputs.active.set(.lampVehicleRed, firstOn && secondOn)  // copies AND-fold
                }
            }
            buffer.removeAll()
            let stepped = c.step(inputs, events: &buffer)
            result.transitions += 1
            var transition = Transition(before: node.device, after: c, inputs: inputs, step: stepped, events: buffer.events, observedBefore: node.observed)
            transition.observed = observe(transition)
            check(transition, &result.failures)
            var levels = choice.levels
            levels.bits &= remember.bits
            let lit = sensing ? stepped.outputs.lit : OutputSet()
            if seen.insert(ExploredState(device: c.explorationState, levels: levels, lit: lit, observed: transition.observed)).inserted {
                queue.append(Node(device: c, levels: levels, lit: stepped.outputs.lit, observed: transition.observed))
            }
        }
    }
    result.states = seen.count
    return result
}

/// What the signalized checks read of the history: how long the phase has lasted and how long the demand has
/// waited, each capped just past the longest time it is compared with.
func observeSignalized(plan: SignalPlan) -> (Transition) -> [Int] {
    let longest = [plan.startupFlash, plan.startupAllRed, plan.redAmber, plan.minGreen, plan.flashingGreen, plan.amber, plan.allRed,
                   plan.walk, plan.clearance, plan.clearanceMax, plan.allRedAfterClearance].max()!.count
    return { t in
        let crossing = t.after.controller.crossing!
        let now = t.before.tick
        let inPhase = min(Int(now - crossing.phaseStart), longest + 1)
        let waited = crossing.demand == nil ? -1 : min(Int(now - crossing.waitingSince), plan.maxWait.count + 1)
        return [inPhase, waited]
    }
}

/// The invariants of every signalized crossing, whatever its regime.
func checkSignalized(_ t: Transition, plan: SignalPlan, lampFaults: Bool, _ failures: inout [String]) {
    let lit = t.step.outputs.lit
    let from = t.before.controller.crossing!, to = t.after.controller.crossing!
    let at = "tick \(t.before.tick) \(from.phase.name) → \(to.phase.name) inputs \(t.inputs.active) dark reds \(t.inputs.redLampsDark)"
    if let rule = t.after.monitor.latched {
        if !lampFaults || ![SafetyRule.redLampFailure, .lampNotLit].contains(rule) {
            failures.append("\(at): the monitor tripped on the real controller: \(rule.name)")
        }
        let failSafe = SafetyMonitor.failSafeLamps(regime: plan.regime, tick: t.before.tick, flasher: t.after.config.controller.flasher)
        if lit != failSafe { failures.append("\(at): latched but showing \(lit), not the fail-safe \(failSafe)") }
        return
    }
    if (lit.contains(.vehicleGreen) || lit.contains(.vehicleAmber)) && (lit.contains(.pedWalk) || to.phase.isPedestrianPhase) {
        failures.append("\(at): conflict \(lit)")
    }
    if plan.hybrid {
        let left = lit.contains(.vehicleRed), right = lit.contains(.vehicleRedRight)
        if lit.contains(.pedWalk) && !(left && right) { failures.append("\(at): walk without both reds steady \(lit)") }
        if to.phase.isPedestrianPhase && !(left || right) { failures.append("\(at): pedestrians out on a dark head \(lit)") }
        if (left || right) && lit.contains(.vehicleAmber) { failures.append("\(at): red and amber together \(lit)") }
    }
    if t.after.monitor.walkInhibited && lit.contains(.pedWalk) { failures.append("\(at): walk over a failed red lamp") }
    // Leaving a latch restarts the crossing with its start-up sequence: the lamps showed the fail-safe meanwhile.
    if from.phase != to.phase && t.before.monitor.latched == nil {
        let held = Int(t.before.tick - from.phaseStart) + 1  // the observer keeps this apart up to the longest phase
        switch (from.phase, to.phase) {
        case (.vehicleAmber, .allRedBeforeWalk) where held < plan.amber.count: failures.append("\(at): amber \(held)")
        case (.pedestrianWalk, _) where held < plan.walk.count: failures.append("\(at): walk \(held)")
        case (.pedestrianClearance, _) where held < plan.clearance.count: failures.append("\(at): clearance \(held)")
        // A hybrid beacon's dark or flashing-amber head has no green to end: it may go straight to flash or dark.
        case (.vehicleGreen, .flash) where plan.hybrid, (.vehicleGreen, .dark) where plan.hybrid,
             (.vehicleFlashingGreen, .flash) where plan.hybrid, (.vehicleFlashingGreen, .dark) where plan.hybrid: break
        case (.vehicleGreen, let next) where next != .vehicleAmber && next != .vehicleFlashingGreen: failures.append("\(at): green without amber")
        case (.vehicleFlashingGreen, let next) where next != .vehicleAmber: failures.append("\(at): flashing without the steady amber")
        default: break
        }
    }
    // A failed red lamp inhibits the walk for as long as it lasts, so the bound on waiting holds without lamp faults.
    if !lampFaults && to.demand != nil && to.mode == .normal && to.phase != .startupFlash {
        let waited = Int(t.after.tick - 1 - to.waitingSince)  // the observer keeps this apart up to the maximum
        if waited > plan.maxWait.count { failures.append("\(at): demand waited \(waited) > \(plan.maxWait)") }
    }
}

@Suite("Exhaustive exploration of every reachable state")
struct ExplorationTests {
    @Test("signalized crossing and hybrid beacon: every reachable state is safe", arguments: [
        (Regime.kz, false, false), (.kz, true, false), (.us, false, false), (.us, true, false), (.uk, false, false), (.uk, true, false),
        (.us, false, true), (.us, true, true),
    ])
    func signalized(regime: Regime, onCrossingDetector: Bool, hybrid: Bool) throws {
        let config = try tinyCrossingConfig(regime: regime, onCrossingDetector: onCrossingDetector, hybrid: hybrid)
        let plan = config.controller.crossing!
        let levels: [InputRole] = onCrossingDetector ? [.pedButton, .pedKerb, .pedCrossing] : [.pedButton, .pedKerb]
        let result = exploreAll(config, choices: choices(levels: levels, commands: modeCommands), remember: InputSet([.pedCrossing]),
                                observe: observeSignalized(plan: plan)) {
            checkSignalized($0, plan: plan, lampFaults: false, &$1)
        }
        let name = hybrid ? "hybrid beacon" : "signalized \(regime.rawValue)"
        print("exploration \(name)\(onCrossingDetector ? " with on-crossing detector" : ""): \(result.states) states, \(result.transitions) transitions")
        #expect(result.failures.isEmpty, "\(result.failures.joined(separator: "\n"))")
        #expect(result.states > 200)  // it really explored
    }

    @Test("signalized crossing with two sensed red lamps failing at any moment", arguments: [(Regime.kz, false), (.us, false), (.uk, false), (.us, true)])
    func signalizedWithRedLampFailures(regime: Regime, hybrid: Bool) throws {
        let config = try tinyCrossingConfig(regime: regime, onCrossingDetector: false, sensedRed: true, hybrid: hybrid)
        let plan = config.controller.crossing!
        var latched = 0, inhibited = 0
        let result = exploreAll(config, choices: choices(levels: [.pedButton], commands: modeCommands + [.resetFault, .lampTest], failedReds: [0, 1, 2]),
                                remember: InputSet(), observe: observeSignalized(plan: plan)) { t, failures in
            checkSignalized(t, plan: plan, lampFaults: true, &failures)
            if t.after.monitor.latched == .redLampFailure { latched += 1 }
            if t.after.monitor.walkInhibited == true { inhibited += 1 }
        }
        print("exploration \(hybrid ? "hybrid beacon" : "signalized \(regime.rawValue)") with red lamp failures: \(result.states) states, \(result.transitions) transitions")
        #expect(result.failures.isEmpty, "\(result.failures.joined(separator: "\n"))")
        #expect(latched > 0, "two dark red lamps never reached the fail-safe")
        #expect(inhibited > 0, "one dark red lamp never inhibited the walk")
        #expect(result.states > 200)
    }

    @Test("beacon crossing: every reachable state keeps its limits", arguments: [BeaconPattern.steady1Hz, .rrfb])
    func beacon(pattern: BeaconPattern) throws {
        var s = try shippedSite("site-beacon.toml")
        s.sos = nil
        let b = try board(boardText(inputs: ["ped.button", "ped.kerb", "ped.crossing"], outputs: ["beacon.left", "beacon.right", "studs", "flood", "aps.walk"]))
        var config = ControllerConfig(site: s, board: b)
        var plan = config.beacon!
        plan.pattern = pattern
        plan.rrfbSegment = 1
        plan.activation = 3
        plan.maximum = 5
        plan.kerbDwell = 1
        plan.kerbStuckAfter = 6
        plan.detectorIdleAfter = 8
        plan.audioPulse = 1
        config.street = .beacon(plan)
        config.flasher = Flasher(periodTicks: 2, onTicks: 1)
        config.sos = nil
        config.selfTestEvery = Ticks(1 << 40)
        let device = DeviceConfig(controller: config, monitor: MonitorPlan(site: s, board: b, controller: config))
        let lux = [plan.nightBelowLux - 1, (plan.nightBelowLux + plan.dayAboveLux) / 2, plan.dayAboveLux + 1]
        // The checks' own count of the ticks since the activation or the newest press, whichever is later.
        let sinceHoldBegan: (Transition) -> [Int] = { t in
            let after = t.after.controller.beacon!
            let began = t.events.contains { $0.type == .beaconActivation && $0.state == .raised }
                || (after.active && after.mode == .normal && t.inputs.rose.contains(.pedButton))
            return [began ? 0 : min((t.observedBefore.first ?? 0) + 1, plan.maximum.count + 1)]
        }
        let result = exploreAll(device, choices: choices(levels: [.pedButton, .pedKerb, .pedCrossing], commands: modeCommands, lux: lux),
                                remember: InputSet([.pedKerb, .pedCrossing]), observe: sinceHoldBegan) { t, failures in
            let beacon = t.after.controller.beacon!
            let lit = t.step.outputs.lit
            let shows = lit.contains(.beaconLeft) || lit.contains(.beaconRight) || lit.contains(.studs) || lit.contains(.flood)
            let at = "tick \(t.before.tick)"
            if beacon.active && t.observed[0] >= plan.maximum.count { failures.append("\(at): active past the maximum") }
            // The timers have passed this tick already: what is left counts from the next one.
            if beacon.active && beacon.state.holdLimit.left >= plan.maximum { failures.append("\(at): held beyond the maximum") }
            if beacon.mode == .dark && shows { failures.append("\(at): lit in dark mode") }
            if beacon.mode == .normal && !beacon.active && shows { failures.append("\(at): lit while inactive") }
            if beacon.mode == .normal && t.inputs.rose.contains(.pedButton) && !(beacon.active && beacon.state.ends.left.count + 1 >= plan.activation.count) {
                failures.append("\(at): a press did not get the full time to cross")
            }
            if lit.contains(.flood) && !beacon.night { failures.append("\(at): floodlight by day") }
            if let rule = t.after.monitor.latched { failures.append("\(at): the monitor tripped on the real beacon crossing: \(rule.name)") }
        }
        print("exploration beacon \(pattern.rawValue): \(result.states) states, \(result.transitions) transitions")
        #expect(result.failures.isEmpty, "\(result.failures.joined(separator: "\n"))")
        #expect(result.states > 50)
    }

    @Test func sosPostNeverDropsAnAlarm() throws {
        let s = try shippedSite("sos-post.toml")
        let b = try board(boardText(inputs: ["sos.button"], outputs: ["sos.yellow", "sos.green", "sos.strobe"]))
        var config = ControllerConfig(site: s, board: b)
        config.sos!.longPress = 2
        config.sos!.ackTimeout = 3
        config.sos!.stuckAfter = 5
        config.flasher = Flasher(periodTicks: 2, onTicks: 1)
        config.selfTestEvery = Ticks(1 << 40)
        let commands: [Command] = [.acknowledgeAlarm(alarmID: nil), .closeAlarm(alarmID: nil)]
        var raised = 0
        let result = exploreAll(DeviceConfig(controller: config, monitor: MonitorPlan(site: s, board: b, controller: config)), choices: choices(levels: [.sosButton], commands: commands), remember: InputSet([.sosButton])) { t, failures in
            let before = t.before.controller.sos!, after = t.after.controller.sos!
            let lit = t.step.outputs.lit
            let at = "tick \(t.before.tick)"
            if before.openAlarm != 0 && after.openAlarm == 0 && !(t.inputs.command == .closeAlarm(alarmID: nil) && t.step.commandOutcome == .accepted) {
                failures.append("\(at): the alarm ended without sos.close")
            }
            if after.openAlarm == 0 && (lit.contains(.sosYellow) || lit.contains(.sosGreen) || lit.contains(.sosStrobe)) { failures.append("\(at): lit in standby") }
            if after.openAlarm != 0 && lit.contains(.sosGreen) != after.acknowledged { failures.append("\(at): green does not tell the acknowledgement") }
            if after.openAlarm != 0 && !after.unanswered && !lit.contains(.sosYellow) { failures.append("\(at): yellow dark during an alarm") }
            if t.events.contains(where: { $0.type == .sosAlarm && $0.state == .raised }) {
                raised += 1
                if before.openAlarm != 0 { failures.append("\(at): a second alarm while one is open") }
            }
            if let rule = t.after.monitor.latched { failures.append("\(at): the monitor tripped on the real SOS post: \(rule.name)") }
        }
        print("exploration sos post: \(result.states) states, \(result.transitions) transitions")
        #expect(result.failures.isEmpty, "\(result.failures.joined(separator: "\n"))")
        #expect(raised > 0)
        #expect(result.states > 20)
    }
}
