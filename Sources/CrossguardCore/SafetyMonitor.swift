/// The rules the independent safety monitor enforces (NEMA TS 2 malfunction management unit practice, and UK controller practice).
public enum SafetyRule: UInt8, CaseIterable, Sendable {
    /// Vehicle green or amber while pedestrians have walk or clearance.
    case conflict
    /// Two colours of one head at once (red+amber only where the regime has it).
    case dualIndication
    /// Vehicle red came after a green with no amber between.
    case greenWithoutAmber
    /// The amber after a green was shorter than the site's amber.
    case shortAmber
    /// A walk started before the vehicles had been red for the site's all-red.
    case shortAllRed
    /// Vehicles were given green or red+amber before the clearance and the all-red after it had run.
    case shortClearance
    /// A second vehicle red lamp failed, or a walk was shown while a red lamp was failed.
    case redLampFailure
    /// A signal lamp is sensed lit while commanded dark (a stuck driver or a wiring fault).
    case lampStuckOn
    /// A signal lamp other than red is sensed dark while commanded lit.
    case lampNotLit
    /// An output is lit that the site's profile never drives: a beacon lamp written onto a signal head, an
    /// SOS light mapped onto a walk. The word is wrong however it came about, so nothing in it is trusted.
    case unassignedOutput
    /// The latch kept across restarts could not be read back: the device cannot know it was safe, so it
    /// stays in fail-safe until someone resets it.
    case latchUnreadable

    /// The name in events and status.
    public var name: String {
        switch self {
        case .conflict: "conflict"
        case .dualIndication: "dual-indication"
        case .greenWithoutAmber: "green-without-amber"
        case .shortAmber: "short-amber"
        case .shortAllRed: "short-all-red"
        case .shortClearance: "short-clearance"
        case .redLampFailure: "red-lamp-failure"
        case .lampStuckOn: "lamp-stuck-on"
        case .lampNotLit: "lamp-not-lit"
        case .unassignedOutput: "unassigned-output"
        case .latchUnreadable: "latch-unreadable"
        }
    }
}

/// What the monitor knows: the regime and the site's minimum timings, in ticks. Nothing of the controller.
public struct MonitorPlan: Equatable, Sendable {
    public var regime: Regime
    /// A pedestrian hybrid beacon's head: its dark rest lets vehicles go, a walk needs both reds steady,
    /// and either red (they alternate after the walk) holds the vehicles.
    public var hybrid: Bool
    public var amber: Int
    public var allRed: Int
    public var clearance: Int
    public var allRedAfterClearance: Int
    /// The flasher's period and lit part: a flashing walk or don't-walk is still a pedestrian interval.
    public var flashPeriod: Int
    public var flashOn: Int
    /// Outputs whose lamps the board can sense (`lamp.<role>` inputs).
    public var sensed: OutputSet
    /// How long a sensed lamp must disagree with its command before it counts, in ticks.
    public var mismatchTicks: Int
    /// Every output the site's controllers may light; anything else lit is `unassigned-output`. The
    /// monitor's own list, kept apart from the controllers' code, as a conflict monitor's programming card is.
    public var drivable: OutputSet

    /// The roles a signalized crossing drives.
    public static let signalizedRoles = OutputSet([.vehicleRed, .vehicleAmber, .vehicleGreen, .pedDontWalk, .pedWalk, .pedWait, .apsWalk, .apsLocator, .flood])
    /// The roles a pedestrian hybrid beacon drives: two reds over an amber, and no green.
    public static let hybridRoles = OutputSet([.vehicleRed, .vehicleRedRight, .vehicleAmber, .pedDontWalk, .pedWalk, .pedWait, .apsWalk, .apsLocator, .flood])
    /// The roles a beacon crossing drives.
    public static let beaconRoles = OutputSet([.beaconLeft, .beaconRight, .studs, .flood, .apsWalk])

    /// A monitor of lamps only, for the beacon crossing and the SOS post alone: they have no heads that
    /// can conflict, but a beacon, the road studs or the floodlight that stays dark when commanded, or lit
    /// when not, is reported, and an output they never drive is a fault.
    public init(lampsOnly regime: Regime, flasher: Flasher, sensed: OutputSet, mismatchTicks: Int, drivable: OutputSet) {
        self.sensed = sensed
        self.drivable = drivable
        self.mismatchTicks = mismatchTicks
        self.regime = regime
        hybrid = false
        amber = 0
        allRed = 0
        clearance = 0
        allRedAfterClearance = 0
        flashPeriod = flasher.periodTicks
        flashOn = flasher.onTicks
    }

    /// The plan for a validated site's crossing, on a board that senses `sensed`; by default the crossing
    /// and an SOS post beside it may light their own roles.
    public init(_ plan: SignalPlan, flasher: Flasher, sensed: OutputSet = OutputSet(), mismatchTicks: Int = 80, drivable: OutputSet? = nil) {
        self.sensed = sensed
        self.drivable = drivable ?? OutputSet(bits: (plan.hybrid ? MonitorPlan.hybridRoles : MonitorPlan.signalizedRoles).bits | SafetyMonitor.sosLamps.bits)
        self.mismatchTicks = mismatchTicks
        regime = plan.regime
        hybrid = plan.hybrid
        amber = plan.amber
        allRed = plan.allRed
        clearance = plan.clearance
        allRedAfterClearance = plan.allRedAfterClearance
        flashPeriod = flasher.periodTicks
        flashOn = flasher.onTicks
    }
}

/// The independent safety monitor: it sees only the lamps the controller commands, tick by tick, and
/// knows the forbidden combinations and sequences. It shares no code or state with the controllers, so a
/// controller bug cannot also blind the monitor. The first violation latches; only `reset()` clears it.
public struct SafetyMonitor: Sendable {
    public let plan: MonitorPlan
    /// The rule that tripped, nil while all is well.
    public private(set) var latched: SafetyRule?
    /// The outputs involved in the violation.
    public private(set) var involved = OutputSet()

    private(set) var previous = OutputSet()
    private(set) var greenSinceRed = false
    private(set) var amberSinceGreen: UInt64?
    private(set) var vehicleGoLast: UInt64?
    private(set) var walkOnSince: UInt64?
    private(set) var walkEnd: UInt64?
    /// When the walk last went dark, and whether the clearance of this run of walk flashes has begun.
    private(set) var lastWalkOff: UInt64?
    private(set) var clearanceBegun = false
    private(set) var pedestrianRightOfWayUntil: UInt64 = 0
    private(set) var dontWalkOffAt: UInt64?

    /// Per output: when it was last commanded and sensed lit and dark, and how long they have disagreed.
    struct LampWatch {
        var commandedOn = UInt64.max, commandedOff = UInt64.max, sensedOn = UInt64.max, sensedOff = UInt64.max
        var disagreeSince = UInt64.max, agreeSince = UInt64.max
        /// Red lamps only: since when commanded lit within the last flash period but never sensed lit.
        var darkSince = UInt64.max
    }
    private(set) var lamps: [LampWatch]
    /// Non-signal lamps (wait lamp, floodlight, beacons, SOS lights) reported failed: an event, not a fail-safe.
    public private(set) var failedLamps = OutputSet()
    /// A vehicle red lamp is failed: no walk may be shown until it is repaired.
    public private(set) var walkInhibited = false
    private(set) var redFaultSince = UInt64.max
    private(set) var redHealthySince = UInt64.max

    /// A monitor with nothing latched, or latched already with the outputs involved (the latch survives
    /// a restart). It assumes the worst of what came before `tick` (power-up, or a reset out of the
    /// flashing fail-safe): vehicles were moving, so a walk needs its full all-red and, on a hybrid beacon
    /// whose dark head lets vehicles go, a red needs its amber first.
    public init(plan: MonitorPlan, latched: SafetyRule? = nil, involved: OutputSet = OutputSet(), startingAt tick: UInt64 = 0) {
        self.plan = plan
        self.latched = latched
        if latched != nil { self.involved = involved }
        lamps = Array(repeating: LampWatch(), count: OutputRole.allCases.count)
        vehicleGoLast = tick
        greenSinceRed = plan.hybrid
    }

    /// Checks the lamps commanded for this tick and, where the board senses them, what the lamps really do.
    /// Returns the rule broken this tick (and latches it, with a critical event), or nil. Lamp failures that
    /// do not need the fail-safe are raised and cleared as events. Once latched it checks nothing more until
    /// `reset()`.
    public mutating func check(tick: UInt64, lit: OutputSet, sensed: OutputSet = OutputSet(), redLampsDark: UInt8 = 0,
                               events: inout EventBuffer) -> SafetyRule? {
        guard latched == nil else { return nil }
        if let rule = checkCommands(tick: tick, lit: lit) ?? checkLamps(tick: tick, lit: lit, sensed: sensed, redLampsDark: redLampsDark, events: &events) {
            events.emit(Event(.failSafe, tick: tick, state: .raised, rule: rule, outputs: involved))
            return rule
        }
        return nil
    }

    /// The rules on what is commanded: conflicts, dual indications and the minimum sequences.
    private mutating func checkCommands(tick: UInt64, lit: OutputSet) -> SafetyRule? {
        let unassigned = lit.bits & ~plan.drivable.bits
        if unassigned != 0 {
            latched = .unassignedOutput
            involved = OutputSet(bits: unassigned)
            return .unassignedOutput
        }
        let red = lit.contains(.vehicleRed) || lit.contains(.vehicleRedRight), amber = lit.contains(.vehicleAmber), green = lit.contains(.vehicleGreen)
        let walk = lit.contains(.pedWalk), dontWalk = lit.contains(.pedDontWalk)
        let wasRed = previous.contains(.vehicleRed) || previous.contains(.vehicleRedRight)
        // What holds the vehicles for a walk: the red, or on a hybrid beacon both reds steady.
        let redsHold = lit.contains(.vehicleRed) && (!plan.hybrid || lit.contains(.vehicleRedRight))
        // A hybrid beacon's dark head means the vehicles go, like a green.
        let vehiclesGo = green || amber || (plan.hybrid && !red)
        // Its alternating flashing reds mean stop, then go if the crossing is clear: not a hold for a walk.
        let vehiclesMayProceed = vehiclesGo || !redsHold
        let vehiclesWentBefore = previous.contains(.vehicleGreen) || previous.contains(.vehicleAmber) || (plan.hybrid && !wasRed)
        defer { previous = lit }

        if green && (red || amber) { return trip(.dualIndication, lit, [.vehicleRed, .vehicleAmber, .vehicleGreen]) }
        if red && amber && !plan.regime.hasRedAmber { return trip(.dualIndication, lit, [.vehicleRed, .vehicleAmber]) }
        if walk && dontWalk { return trip(.dualIndication, lit, [.pedWalk, .pedDontWalk]) }
        if walk && !redsHold {
            return trip(.conflict, lit, plan.hybrid ? [.vehicleRed, .vehicleRedRight, .pedWalk] : [.vehicleRed, .pedWalk])  // a walk needs its red
        }

        // Pedestrian right of way: a lit walk (held over the dark part of a flashing walk), or a
        // don't-walk that is flashing (us clearance: it came back on within one flash period).
        if walk {
            if walkOnSince == nil {
                walkOnSince = tick
                // A walk after more than a flash period of dark starts a new run of walk flashes.
                if let off = lastWalkOff, Int(tick - off) <= plan.flashPeriod {} else { clearanceBegun = false }
            }
            pedestrianRightOfWayUntil = tick + UInt64(plan.flashPeriod - plan.flashOn) + 1
        } else if previous.contains(.pedWalk), let since = walkOnSince {
            // The walk went dark: the clearance begins, however short the walk was. In kz the clearance is
            // the flashing walk, so only the first walk-off of a run counts, and the first flash can run on
            // from the steady walk: the clearance may have begun up to one lit flash earlier, and the
            // monitor takes the earlier moment (a tolerance of one flash, 0.5 s at 1 Hz, in the
            // controller's favour, never more). Elsewhere a walk does not flash: every walk-off counts.
            if plan.regime != .kz {
                walkEnd = tick
            } else if !clearanceBegun {
                walkEnd = Int(tick - since) >= plan.flashPeriod ? tick - UInt64(plan.flashOn) : tick
                clearanceBegun = true
            }
            lastWalkOff = tick
            walkOnSince = nil
        }
        // Flashing don't-walk: it went dark and came back within a flash period, the vehicles red all along
        // (a head that goes dark for flash mode and comes back is not a clearance).
        if dontWalk && !previous.contains(.pedDontWalk) && red, let off = dontWalkOffAt, Int(tick - off) <= plan.flashPeriod {
            pedestrianRightOfWayUntil = max(pedestrianRightOfWayUntil, tick + UInt64(plan.flashPeriod))
        }
        if !dontWalk && previous.contains(.pedDontWalk) { dontWalkOffAt = red ? tick : nil }
        if !red { dontWalkOffAt = nil }
        if vehiclesGo && (walk || tick < pedestrianRightOfWayUntil) {
            return trip(.conflict, lit, [.vehicleAmber, .vehicleGreen, .pedWalk, .pedDontWalk])
        }

        // A walk needs the vehicles held for the all-red first.
        if walk && !previous.contains(.pedWalk), let last = vehicleGoLast, Int(tick - last) <= plan.allRed {
            return trip(.shortAllRed, lit, [.vehicleRed, .pedWalk])
        }
        // Vehicles may move again only after the clearance and the all-red after it, and never sooner than
        // that all-red after the last walk flash.
        let wentGo = vehiclesGo && !vehiclesWentBefore
        if wentGo, let end = walkEnd, Int(tick - end) < plan.clearance + plan.allRedAfterClearance {
            return trip(.shortClearance, lit, [.vehicleAmber, .vehicleGreen])
        }
        if wentGo, let off = lastWalkOff, Int(tick - off) < plan.allRedAfterClearance {
            return trip(.shortClearance, lit, [.vehicleAmber, .vehicleGreen, .pedWalk])
        }
        if vehiclesMayProceed { vehicleGoLast = tick }

        // Every green is followed by an amber of at least the site's amber before red. On a hybrid beacon the
        // dark head is the green; amber counts from when it last came on, so the steady amber may include
        // the last amber flash that ran into it: the drivers saw amber all that time.
        if green || (plan.hybrid && !red && !amber) {
            greenSinceRed = true
            amberSinceGreen = nil
        } else if amber && greenSinceRed && amberSinceGreen == nil {
            amberSinceGreen = tick
        }
        if red && !wasRed && greenSinceRed {
            greenSinceRed = false
            guard let amberStart = amberSinceGreen else { return trip(.greenWithoutAmber, lit, [.vehicleRed, .vehicleGreen]) }
            if Int(tick - amberStart) < plan.amber { return trip(.shortAmber, lit, [.vehicleRed, .vehicleAmber]) }
        }
        return nil
    }

    /// The rules on what the lamps really do, where the board can sense them.
    private mutating func checkLamps(tick: UInt64, lit: OutputSet, sensed: OutputSet, redLampsDark: UInt8, events: inout EventBuffer) -> SafetyRule? {
        guard plan.sensed != OutputSet() else { return nil }
        let window = UInt64(plan.flashPeriod)
        let persist = UInt64(plan.mismatchTicks)
        let redNotLitHandledApart = UInt32(1) << UInt32(OutputRole.vehicleRed.rawValue) | UInt32(1) << UInt32(OutputRole.vehicleRedRight.rawValue)
        let signalLamps = SafetyMonitor.signalLamps.bits
        var trippedRole: Int?
        var trippedStuckOn = false
        var raise: UInt32 = 0, clear: UInt32 = 0
        var darkReds: UInt32 = 0
        // One pass over the sensed lamps, bit by bit, on the watch buffer in place: no array copies, no
        // allocation on the tick path.
        lamps.withUnsafeMutableBufferPointer { watch in
            var remaining = plan.sensed.bits
            while remaining != 0 {
                let i = remaining.trailingZeroBitCount
                let bit = UInt32(1) << UInt32(i)
                remaining &= remaining - 1
                if lit.bits & bit != 0 { watch[i].commandedOn = tick } else { watch[i].commandedOff = tick }
                if sensed.bits & bit != 0 { watch[i].sensedOn = tick } else { watch[i].sensedOff = tick }
                // Over the last flash period: commanded lit but never sensed lit, or commanded dark but never
                // sensed dark. A flashing lamp agrees with itself; a sense that lags a tick is not a fault.
                let w = watch[i]
                let notLit = tick &- w.commandedOn < window && tick &- w.sensedOn >= window
                let stuckOn = tick &- w.commandedOff < window && tick &- w.sensedOff >= window
                if bit & redNotLitHandledApart != 0 {
                    // A red that flashes (a hybrid beacon's) is watched over the flash period as well.
                    if !notLit { watch[i].darkSince = UInt64.max } else if w.darkSince == UInt64.max { watch[i].darkSince = tick }
                    if watch[i].darkSince != UInt64.max && tick - watch[i].darkSince >= persist { darkReds |= bit }
                }
                if stuckOn || (notLit && bit & redNotLitHandledApart == 0) {
                    if w.disagreeSince == UInt64.max { watch[i].disagreeSince = tick }
                    watch[i].agreeSince = UInt64.max
                } else {
                    watch[i].disagreeSince = UInt64.max
                    if w.agreeSince == UInt64.max { watch[i].agreeSince = tick }
                }
                let disagreeing = watch[i].disagreeSince != UInt64.max && tick - watch[i].disagreeSince >= persist
                if disagreeing && bit & signalLamps != 0 {
                    trippedRole = i
                    trippedStuckOn = stuckOn
                    return
                }
                if disagreeing && failedLamps.bits & bit == 0 { raise |= bit }
                if !disagreeing && failedLamps.bits & bit != 0 && watch[i].agreeSince != UInt64.max && tick - watch[i].agreeSince >= persist {
                    clear |= bit
                }
            }
        }
        if let i = trippedRole { return trip(trippedStuckOn ? .lampStuckOn : .lampNotLit, lit, [OutputRole(rawValue: UInt8(i))!]) }
        while raise | clear != 0 {  // rare: only when a lamp fails or comes back
            let i = (raise | clear).trailingZeroBitCount
            let bit = UInt32(1) << UInt32(i)
            let role = OutputRole(rawValue: UInt8(i))!
            events.emit(Event(.lampFailure, tick: tick, state: raise & bit != 0 ? .raised : .cleared, role: role.senseRole))
            failedLamps.bits ^= bit
            raise &= ~bit
            clear &= ~bit
        }
        // Vehicle red, lamp by lamp: the first failure inhibits the walk, a second one is the fail-safe.
        // A hybrid beacon's reds are counted lamp by lamp while both are steady; while they alternate, each
        // is watched over the flash period: both dark is a dark head with pedestrians on the crossing.
        let redsSteady = lit.contains(.vehicleRed) && (!plan.hybrid || lit.contains(.vehicleRedRight))
        let redsSensed = plan.sensed.contains(.vehicleRed) || (plan.hybrid && plan.sensed.contains(.vehicleRedRight))
        if plan.hybrid && !redsSteady && darkReds != 0 {
            if darkReds.nonzeroBitCount >= 2 { return trip(.redLampFailure, lit, [.vehicleRed, .vehicleRedRight]) }
            if !walkInhibited {
                walkInhibited = true
                let role: InputRole = darkReds & (1 << UInt32(OutputRole.vehicleRed.rawValue)) != 0 ? .lampVehicleRed : .lampVehicleRedRight
                events.emit(Event(.lampFailure, tick: tick, state: .raised, role: role, count: 1))
            }
        }
        if redsSensed && !redsSteady {
            redFaultSince = UInt64.max  // a dark red must persist while it is commanded lit; one tick of lag is not a fault
        } else if redsSensed {
            if redLampsDark > 0 {
                redHealthySince = UInt64.max
                if redFaultSince == UInt64.max { redFaultSince = tick }
                if tick - redFaultSince >= persist {
                    if redLampsDark >= 2 { return trip(.redLampFailure, lit, [.vehicleRed]) }
                    if !walkInhibited {
                        walkInhibited = true
                        events.emit(Event(.lampFailure, tick: tick, state: .raised, role: .lampVehicleRed, count: UInt32(redLampsDark)))
                    }
                }
            } else {
                redFaultSince = UInt64.max
                if redHealthySince == UInt64.max { redHealthySince = tick }
                if walkInhibited && tick - redHealthySince >= persist {
                    walkInhibited = false
                    events.emit(Event(.lampFailure, tick: tick, state: .cleared, role: .lampVehicleRed))
                }
            }
        }
        if walkInhibited && lit.contains(.pedWalk) { return trip(.redLampFailure, lit, [.vehicleRed, .pedWalk]) }
        return nil
    }

    private mutating func trip(_ rule: SafetyRule, _ lit: OutputSet, _ roles: [OutputRole]) -> SafetyRule {
        latched = rule
        involved = OutputSet()
        for role in roles where lit.contains(role) || previous.contains(role) || plan.sensed.contains(role) { involved.insert(role) }
        return rule
    }

    /// The SOS post's lights: they stay as the post commands them through a fail-safe, for a person at the
    /// post must still see the centre's answer.
    public static let sosLamps = OutputSet([.sosYellow, .sosGreen, .sosStrobe])

    /// The lamps of the two heads: a sensing fault on one of them is a fail-safe, not just an event.
    static let signalLamps = OutputSet([.vehicleRed, .vehicleRedRight, .vehicleAmber, .vehicleGreen, .pedDontWalk, .pedWalk])

    /// Whether there is anything for `fault.reset` to clear: a latch, a red lamp failure or a failed lamp.
    /// The sensed lamps that read wrong now: failed, disagreeing with their command (even for less than
    /// the persistence time), or involved in a latched lamp fault. What `lamp.test` reports.
    public var failingLamps: OutputSet {
        var out = failedLamps
        for role in OutputRole.allCases where plan.sensed.contains(role) {
            let w = lamps[Int(role.rawValue)]
            if w.disagreeSince != UInt64.max || w.darkSince != UInt64.max { out.insert(role) }
        }
        if latched == .lampNotLit || latched == .lampStuckOn { out.bits |= involved.bits & plan.sensed.bits }
        // Red lamps are counted, not named (two lamps per head): the head's reds are reported.
        if walkInhibited || redFaultSince != UInt64.max {
            out.insert(.vehicleRed)
            if plan.hybrid { out.insert(.vehicleRedRight) }
        }
        return out
    }

    public var hasFaults: Bool { latched != nil || walkInhibited || failedLamps != OutputSet() }

    /// Clears the latch and the lamp failures (the technician has repaired and resets), with a cleared event
    /// for each. After a latch it forgets everything it remembered, for the crossing restarts from its
    /// start-up; without one the crossing runs on, so the monitor keeps its memory of the sequence and
    /// forgets only the lamp evidence. A lamp that is still broken is found again as soon as it is lit.
    public mutating func reset(tick: UInt64, events: inout EventBuffer) {
        if let rule = latched { events.emit(Event(.failSafe, tick: tick, state: .cleared, rule: rule, outputs: involved)) }
        if walkInhibited { events.emit(Event(.lampFailure, tick: tick, state: .cleared, role: .lampVehicleRed)) }
        for role in OutputRole.allCases where failedLamps.contains(role) {
            events.emit(Event(.lampFailure, tick: tick, state: .cleared, role: role.senseRole))
        }
        if latched != nil {
            self = SafetyMonitor(plan: plan, startingAt: tick)
            return
        }
        walkInhibited = false
        failedLamps = OutputSet()
        redFaultSince = UInt64.max
        redHealthySince = UInt64.max
        for i in lamps.indices {
            lamps[i].disagreeSince = UInt64.max
            lamps[i].agreeSince = UInt64.max
            lamps[i].darkSince = UInt64.max
        }
    }

    /// The fail-safe display: flashing amber to vehicles and dark pedestrian heads in kz and us,
    /// everything dark in uk.
    public static func failSafeLamps(regime: Regime, tick: UInt64, flasher: Flasher) -> OutputSet {
        var lit = OutputSet()
        if regime != .uk { lit.set(.vehicleAmber, flasher.isLit(at: tick)) }
        return lit
    }
}
