import CrossguardCore
import CrossguardTOML
import Testing

/// A small deterministic generator (SplitMix64): the same seed gives the same adversary on every machine.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Ways to abuse the inputs.
enum Adversary: String, CaseIterable {
    /// Every input toggles at random, commands arrive now and then.
    case random
    /// The buttons are pressed on every tick, SOS included.
    case hammer
    /// Presence detectors stuck active, the SOS button held.
    case stuck
    /// The kerb detector and the on-crossing detector flicker every tick.
    case flicker
    /// A command on most ticks: modes with and without revert, acks and closes for right and wrong alarms.
    case commandStorm
    /// Sub-tick pulses only: inputs rise and fall within the tick.
    case pulses
}

/// Checks every safety and service rule after every tick; records each violation with its tick.
struct InvariantChecker {
    let plan: SignalPlan?
    let fastBlinkOffTicks: Int
    var failures: [String] = []
    var phase: CrossingPhase?
    var phaseSince: UInt64 = 0
    var openAlarm: UInt32 = 0
    var lastAlarm: UInt32 = 0
    var nextSeq: UInt64 = 1
    var yellowDark = 0
    var walks = 0
    var monitorTripped = false

    init(config: DeviceConfig) {
        plan = config.controller.crossing
        fastBlinkOffTicks = config.controller.fastBlink.periodTicks - config.controller.fastBlink.onTicks
    }

    mutating func fail(_ tick: UInt64, _ message: String) {
        if failures.count < 20 { failures.append("tick \(tick): \(message)") }
    }

    mutating func check(tick: UInt64, inputs: Inputs, result: StepResult, events: [Event], device: Device) {
        let lit = result.outputs.lit
        for e in events {
            if e.seq != nextSeq { fail(tick, "event seq \(e.seq), expected \(nextSeq)") }
            nextSeq = e.seq + 1
        }
        if let plan, let crossing = device.controller.crossing {
            checkCrossing(tick: tick, lit: lit, plan: plan, crossing: crossing, events: events)
        }
        checkSOS(tick: tick, inputs: inputs, result: result, events: events, lit: lit)
        if let rule = device.monitor.latched, !monitorTripped {
            monitorTripped = true
            fail(tick, "the safety monitor tripped on a correct controller: \(rule.name), \(device.monitor.involved), lamps \(result.outputs.lit)")
        }
    }

    private mutating func checkCrossing(tick: UInt64, lit: OutputSet, plan: SignalPlan, crossing: SignalizedCrossing, events: [Event]) {
        let now = crossing.phase
        let vehiclesMay = lit.contains(.vehicleGreen) || lit.contains(.vehicleAmber)
        if vehiclesMay && (lit.contains(.pedWalk) || now.isPedestrianPhase) { fail(tick, "conflict: vehicle green/amber with pedestrians in \(now.name): \(lit)") }
        if lit.contains(.vehicleGreen) && (lit.contains(.vehicleRed) || lit.contains(.vehicleAmber)) { fail(tick, "two colours on the vehicle head: \(lit)") }
        if lit.contains(.vehicleRed) && lit.contains(.vehicleAmber) && !(now == .vehicleRedAmber && plan.regime.hasRedAmber) {
            fail(tick, "red+amber in \(now.name), regime \(plan.regime)")
        }
        if lit.contains(.pedWalk) && lit.contains(.pedDontWalk) { fail(tick, "walk and don't walk together") }
        if lit.contains(.pedWalk) && !lit.contains(.vehicleRed) { fail(tick, "walk without vehicle red") }

        if let before = phase, before != now {
            let held = Int(tick - phaseSince)
            switch before {
            case .vehicleGreen:
                if ![.vehicleFlashingGreen, .vehicleAmber].contains(now) { fail(tick, "green went to \(now.name) without amber") }
                // The minimum green holds against pedestrian demands; a commanded dark may end it (through amber).
                if (now == .vehicleAmber || now == .vehicleFlashingGreen) && crossing.pendingMode == nil && held < plan.minGreen.count {
                    fail(tick, "green ran \(held) < \(plan.minGreen) ticks")
                }
            case .vehicleFlashingGreen:
                if now != .vehicleAmber { fail(tick, "flashing green went to \(now.name)") }
            case .vehicleAmber:
                if now == .allRedBeforeWalk && held < plan.amber.count { fail(tick, "amber ran \(held) < \(plan.amber) ticks") }
            case .allRedBeforeWalk:
                if now == .pedestrianWalk && held < plan.allRed.count { fail(tick, "all-red ran \(held) < \(plan.allRed) ticks") }
            case .pedestrianWalk:
                if now != .pedestrianClearance || held < plan.walk.count { fail(tick, "walk ran \(held) ticks into \(now.name)") }
            case .pedestrianClearance:
                if now != .allRedAfterClearance || held < plan.clearance.count || held > plan.clearanceMax.count {
                    fail(tick, "clearance ran \(held) ticks (\(plan.clearance)–\(plan.clearanceMax)) into \(now.name)")
                }
            case .allRedAfterClearance:
                if ![.flash, .dark].contains(now) && held < plan.allRedAfterClearance.count { fail(tick, "all-red after clearance ran \(held) ticks") }
            default: break
            }
            if now == .pedestrianWalk {
                walks += 1
                if before != .allRedBeforeWalk { fail(tick, "walk entered from \(before.name)") }
            }
            if now == .allRedBeforeWalk && before != .vehicleAmber { fail(tick, "all-red before walk entered from \(before.name)") }
            if now == .vehicleGreen && ![.vehicleRedAmber, .startupAllRed, .allRedAfterClearance].contains(before) { fail(tick, "green entered from \(before.name)") }
            phaseSince = tick
        }
        if phase == nil { phaseSince = tick }
        phase = now

        if crossing.demand != nil && crossing.mode == .normal && crossing.phase != .startupFlash {
            let waited = Int(tick - crossing.waitingSince)
            if waited > plan.maxWait.count { fail(tick, "demand waiting \(waited) ticks > max \(plan.maxWait)") }
        }
        for e in events {
            if case .demandServed(_, let wait) = e.detail, wait > plan.maxWait { fail(tick, "demand served after \(wait) > max \(plan.maxWait)") }
        }
    }

    private mutating func checkSOS(tick: UInt64, inputs: Inputs, result: StepResult, events: [Event], lit: OutputSet) {
        var expected: [String] = []
        if case .closeAlarm? = inputs.command, result.commandOutcome == .accepted {
            expected.append("cleared \(openAlarm)")
            openAlarm = 0
        }
        if inputs.rose.contains(.sosButton) {
            if openAlarm == 0 {
                lastAlarm += 1
                openAlarm = lastAlarm
                expected.append("raised \(openAlarm)")
            } else {
                expected.append("pressed \(openAlarm)")
            }
        }
        let seen = events.compactMap { e -> String? in
            switch e.type {
            case .sosAlarm: return "\(e.state == .raised ? "raised" : "cleared") \(e.alarmID)"
            case .sosPressed: return "pressed \(e.alarmID)"
            default: return nil
            }
        }
        if seen != expected { fail(tick, "SOS events \(seen), expected \(expected): an alarm lost or duplicated") }
        if openAlarm != 0 {
            yellowDark = lit.contains(.sosYellow) ? 0 : yellowDark + 1
            if yellowDark > fastBlinkOffTicks { fail(tick, "alarm \(openAlarm) open but the yellow light dark for \(yellowDark) ticks") }
        } else if lit.contains(.sosYellow) || lit.contains(.sosGreen) {
            fail(tick, "SOS lights on in standby")
        }
    }
}

/// Feeds an adversary's inputs into a controller for `ticks` ticks and returns the checker's findings.
func explore(site: SiteConfig, board: BoardConfig, adversary: Adversary, seed: UInt64, ticks: Int) -> InvariantChecker {
    let config = DeviceConfig(site: site, board: board)
    var device = Device(config: config)
    var checker = InvariantChecker(config: config)
    var rng = SplitMix64(state: seed)
    var buffer = EventBuffer(capacity: 64)
    var active = InputSet([.mainsOK])
    var lastLit = OutputSet()
    let redSenseLines = UInt8(board.inputs.filter { $0.role == .lampVehicleRed }.count)
    let toggled: [InputRole] = [.pedButton, .pedKerb, .pedCrossing, .sosButton, .cabinetDoor, .mainsOK, .batteryLow]
    for _ in 0..<ticks {
        var next = active
        var pulses = InputSet()
        var command: Command?
        switch adversary {
        case .random:
            for role in toggled where rng.next() % 400 == 0 { next.set(role, !next.contains(role)) }
            if rng.next() % 3000 == 0 { command = randomCommand(&rng, open: device.controller.sos?.openAlarm ?? 0) }
        case .hammer:
            next.set(.pedButton, !active.contains(.pedButton))
            next.set(.sosButton, !active.contains(.sosButton))
            if rng.next() % 5000 == 0 { command = .closeAlarm(alarmID: nil) }
        case .stuck:
            next = InputSet([.pedKerb, .pedCrossing, .sosButton, .mainsOK])
            if rng.next() % 200 == 0 { pulses.insert(.pedButton) }
        case .flicker:
            next.set(.pedKerb, !active.contains(.pedKerb))
            next.set(.pedCrossing, !active.contains(.pedCrossing))
            if rng.next() % 700 == 0 { pulses.insert(.pedButton) }
        case .commandStorm:
            if rng.next() % 3 == 0 { command = randomCommand(&rng, open: device.controller.sos?.openAlarm ?? 0) }
            if rng.next() % 300 == 0 { pulses.insert(.pedButton) }
            if rng.next() % 900 == 0 { pulses.insert(.sosButton) }
        case .pulses:
            for role in toggled where rng.next() % 150 == 0 { pulses.insert(role) }
        }
        // Healthy lamps: every sensed lamp reads what was commanded a tick ago (a sense lags its command).
        var sensedNow = next
        sensedNow.bits |= (lastLit.bits << UInt32(InputRole.lampVehicleRed.rawValue)) & InputSet.lampSenseMask & board.inputRoles.bits
        var inputs = Inputs(active: sensedNow, command: command)
        inputs.redLampsDark = lastLit.contains(.vehicleRed) ? 0 : redSenseLines
        inputs.rose = InputSet()
        inputs.rose.bits = (next.bits & ~active.bits) | (pulses.bits & ~next.bits)
        inputs.fell.bits = (active.bits & ~next.bits) | (pulses.bits & ~next.bits)
        active = next
        let tick = device.tick
        buffer.removeAll()
        let result = device.step(inputs, events: &buffer)
        lastLit = result.outputs.lit
        checker.check(tick: tick, inputs: inputs, result: result, events: buffer.events, device: device)
    }
    return checker
}

func randomCommand(_ rng: inout SplitMix64, open: UInt32) -> Command {
    switch rng.next() % 9 {
    case 0: return .setMode(.flash, revertAfterTicks: Int(rng.next() % 3000) + 1)
    case 1: return .setMode(.dark, revertAfterTicks: rng.next() % 2 == 0 ? nil : 2000)
    case 2, 3: return .setMode(.normal, revertAfterTicks: nil)
    case 4: return .acknowledgeAlarm(alarmID: open)
    case 5: return .acknowledgeAlarm(alarmID: UInt32(rng.next() % 4))
    case 6: return .closeAlarm(alarmID: rng.next() % 2 == 0 ? nil : open &+ UInt32(rng.next() % 2))
    case 7: return .lampTest
    default: return .resetFault
    }
}

func shippedSite(_ name: String) throws -> SiteConfig {
    let path = repositoryRoot.appendingPathComponent("examples/\(name)").path
    let s = try TOMLDocument.load(path: path).flatMap { SiteConfig.load($0, file: path) }.get()
    // Every shipped crossing also gets an SOS post, so one run checks both.
    var withSOS = s
    if withSOS.sos == nil { withSOS.sos = SOSSettings(longPress: 0, ackTimeout: 20_000, stuckAfter: 10_000, selfTestEvery: 3_600_000) }
    return withSOS
}

@Suite("Invariants under random and adversarial inputs")
struct InvariantTests {
    @Test("every rule holds after every tick", arguments: ["site.toml", "site-us.toml", "site-uk.toml"], Adversary.allCases)
    func invariantsHold(siteFile: String, adversary: Adversary) throws {
        let s = try shippedSite(siteFile)
        let b = try simBoard()
        for seed: UInt64 in [1, 2] {
            let result = explore(site: s, board: b, adversary: adversary, seed: seed &* 7919 &+ UInt64(adversary.rawValue.count), ticks: 25_000)
            #expect(result.failures.isEmpty, "\(siteFile) \(adversary) seed \(seed):\n\(result.failures.joined(separator: "\n"))")
            if adversary == .hammer || adversary == .random { #expect(result.walks > 0, "the adversary never got a walk: the test would prove nothing") }
        }
    }

    @Test func clearanceCoversTheCrossingInEveryShippedSite() throws {
        for name in ["site.toml", "site-us.toml", "site-uk.toml"] {
            let s = try shippedSite(name)
            let c = try #require(s.crossing)
            let plan = SignalPlan(c, regime: s.regime, tickMs: s.tickMs)
            #expect(Double(plan.clearance.milliseconds(tickMs: s.tickMs)) >= c.lengthMeters / c.walkingSpeedMetersPerSecond * 1000)
            #expect(plan.worstCaseWait <= plan.maxWait)
        }
    }

    /// The checker itself must catch what it claims to catch: feed it a forged step.
    @Test func checkerCatchesAConflictAndALostAlarm() throws {
        let s = try shippedSite("site.toml")
        let config = DeviceConfig(site: s, board: try simBoard())
        var checker = InvariantChecker(config: config)
        let device = Device(config: config)
        let forged = StepResult(outputs: Outputs(lit: OutputSet([.vehicleGreen, .pedWalk])), commandOutcome: nil)
        checker.check(tick: 0, inputs: Inputs(rose: InputSet([.sosButton])), result: forged, events: [], device: device)
        #expect(checker.failures.contains { $0.contains("walk without vehicle red") })
        #expect(checker.failures.contains { $0.contains("an alarm lost or duplicated") })
    }
}
