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
public struct MonitorPlan: Hashable, Sendable {
    public var regime: Regime
    /// A pedestrian hybrid beacon's head: its dark rest lets vehicles go, a walk needs both reds steady,
    /// and either red (they alternate after the walk) holds the vehicles.
    public var hybrid: Bool
    public var amber: Ticks
    public var allRed: Ticks
    public var clearance: Ticks
    public var allRedAfterClearance: Ticks
    /// The flasher's period and lit part: a flashing walk or don't-walk is still a pedestrian interval.
    public var flashPeriod: Ticks
    public var flashOn: Ticks
    /// Outputs whose lamps the board can sense (`lamp.<role>` inputs).
    public var sensed: OutputSet
    /// How long a sensed lamp must disagree with its command before it counts.
    public var mismatchTicks: Ticks
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
    public init(lampsOnly regime: Regime, flasher: Flasher, sensed: OutputSet, mismatchTicks: Ticks, drivable: OutputSet) {
        self.sensed = sensed
        self.drivable = drivable
        self.mismatchTicks = mismatchTicks
        self.regime = regime
        hybrid = false
        amber = .zero
        allRed = .zero
        clearance = .zero
        allRedAfterClearance = .zero
        flashPeriod = Ticks(flasher.periodTicks)
        flashOn = Ticks(flasher.onTicks)
    }

    /// The plan for a validated site's crossing, on a board that senses `sensed`; by default the crossing
    /// and an SOS post beside it may light their own roles.
    public init(_ plan: SignalPlan, flasher: Flasher, sensed: OutputSet = OutputSet(), mismatchTicks: Ticks = 80, drivable: OutputSet? = nil) {
        self.sensed = sensed
        self.drivable = drivable ?? OutputSet(bits: (plan.hybrid ? MonitorPlan.hybridRoles : MonitorPlan.signalizedRoles).bits | SafetyMonitor.sosLamps.bits)
        self.mismatchTicks = mismatchTicks
        regime = plan.regime
        hybrid = plan.hybrid
        amber = plan.amber
        allRed = plan.allRed
        clearance = plan.clearance
        allRedAfterClearance = plan.allRedAfterClearance
        flashPeriod = Ticks(flasher.periodTicks)
        flashOn = Ticks(flasher.onTicks)
    }
}

/// The independent safety monitor: it sees only the lamps the controller commands, tick by tick, and
/// knows the forbidden combinations and sequences. It shares no code or state with the controllers, so a
/// controller bug cannot also blind the monitor. The first violation latches; only `reset()` clears it.
public struct SafetyMonitor: Sendable {
    public let plan: MonitorPlan
    /// Everything the monitor remembers, and nothing else: exhaustive exploration hashes it as it is.
    public private(set) var state: MonitorState

    /// The rule that tripped, nil while all is well.
    public var latched: SafetyRule? { state.latched }
    /// The outputs involved in the violation.
    public var involved: OutputSet { state.involved }
    /// Non-signal lamps (wait lamp, floodlight, beacons, SOS lights) reported failed: an event, not a fail-safe.
    public var failedLamps: OutputSet { state.failedLamps }
    /// A vehicle red lamp is failed: no walk may be shown until it is repaired.
    public var walkInhibited: Bool { state.walkInhibited }

    /// A monitor with nothing latched, or latched already with the outputs involved (the latch survives
    /// a restart). It assumes the worst of what came before it started (power-up, or a reset out of the
    /// flashing fail-safe): vehicles were moving, so a walk needs its full all-red and, on a hybrid beacon
    /// whose dark head lets vehicles go, a red needs its amber first. Of the sensed lamps it assumes they
    /// were lit and dark within the flash period before: a lamp's first flash period proves nothing.
    public init(plan: MonitorPlan, latched: SafetyRule? = nil, involved: OutputSet = OutputSet()) {
        self.plan = plan
        state = MonitorState(plan: plan)
        if let latched {
            state.latched = latched
            state.involved = involved
        }
    }

    /// Checks the lamps commanded for this tick and, where the board senses them, what the lamps really do.
    /// Returns the rule broken this tick (and latches it, with a critical event), or nil. Lamp failures that
    /// do not need the fail-safe are raised and cleared as events. Once latched it checks nothing more until
    /// `reset()`.
    public mutating func check(tick: UInt64, lit: OutputSet, sensed: OutputSet = OutputSet(), redLampsDark: UInt8 = 0,
                               events: inout EventBuffer) -> SafetyRule? {
        guard state.latched == nil else { return nil }
        if let rule = checkCommands(tick: tick, lit: lit) ?? checkLamps(tick: tick, lit: lit, sensed: sensed, redLampsDark: redLampsDark, events: &events) {
            events.emit(Event(.failSafe(.raised, rule: rule, outputs: involved), tick: tick))
            return rule
        }
        state.advance()
        return nil
    }

    /// The rules on what is commanded: conflicts, dual indications and the minimum sequences.
    private mutating func checkCommands(tick: UInt64, lit: OutputSet) -> SafetyRule? {
        let unassigned = lit.bits & ~plan.drivable.bits
        if unassigned != 0 {
            state.latched = .unassignedOutput
            state.involved = OutputSet(bits: unassigned)
            return .unassignedOutput
        }
        let previous = state.previous
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
        defer { state.previous = lit }

        if green && (red || amber) { return trip(.dualIndication, lit, [.vehicleRed, .vehicleAmber, .vehicleGreen]) }
        if red && amber && !plan.regime.hasRedAmber { return trip(.dualIndication, lit, [.vehicleRed, .vehicleAmber]) }
        if walk && dontWalk { return trip(.dualIndication, lit, [.pedWalk, .pedDontWalk]) }
        if walk && !redsHold {
            return trip(.conflict, lit, plan.hybrid ? [.vehicleRed, .vehicleRedRight, .pedWalk] : [.vehicleRed, .pedWalk])  // a walk needs its red
        }

        // Pedestrian right of way: a lit walk (held over the dark part of a flashing walk), or a
        // don't-walk that is flashing (us clearance: it came back on within one flash period).
        if walk {
            if state.walkOn == nil {
                state.walkOn = Countdown(plan.flashPeriod)
                // A walk after more than a flash period of dark starts a new run of walk flashes.
                if !state.sameWalkRun.isRunning { state.clearanceBegun = false }
            }
            state.rightOfWay = Countdown(plan.flashPeriod - plan.flashOn + 1)
        } else if previous.contains(.pedWalk), let walkOn = state.walkOn {
            // The walk went dark: the clearance begins, however short the walk was. In kz the clearance is
            // the flashing walk, so only the first walk-off of a run counts, and the first flash can run on
            // from the steady walk: the clearance may have begun up to one lit flash earlier, and the
            // monitor takes the earlier moment (a tolerance of one flash, 0.5 s at 1 Hz, in the
            // controller's favour, never more). Elsewhere a walk does not flash: every walk-off counts.
            let clearanceAndAllRed = plan.clearance + plan.allRedAfterClearance
            if plan.regime != .kz {
                state.clearanceRun = Countdown(clearanceAndAllRed)
            } else if !state.clearanceBegun {
                state.clearanceRun = Countdown(walkOn.isDone ? clearanceAndAllRed - plan.flashOn : clearanceAndAllRed)
                state.clearanceBegun = true
            }
            state.sameWalkRun = Countdown(plan.flashPeriod + 1)
            state.allRedAfterWalk = Countdown(plan.allRedAfterClearance)
            state.walkOn = nil
        }
        // Flashing don't-walk: it went dark and came back within a flash period, the vehicles red all along
        // (a head that goes dark for flash mode and comes back is not a clearance).
        if dontWalk && !previous.contains(.pedDontWalk) && red && state.dontWalkFlash.isRunning {
            state.rightOfWay.extend(to: plan.flashPeriod)
        }
        if !dontWalk && previous.contains(.pedDontWalk) { state.dontWalkFlash = red ? Countdown(plan.flashPeriod + 1) : .done }
        if !red { state.dontWalkFlash = .done }
        if vehiclesGo && (walk || state.rightOfWay.isRunning) {
            return trip(.conflict, lit, [.vehicleAmber, .vehicleGreen, .pedWalk, .pedDontWalk])
        }

        // A walk needs the vehicles held for the all-red first.
        if walk && !previous.contains(.pedWalk) && state.allRedRun.isRunning {
            return trip(.shortAllRed, lit, [.vehicleRed, .pedWalk])
        }
        // Vehicles may move again only after the clearance and the all-red after it, and never sooner than
        // that all-red after the last walk flash.
        let wentGo = vehiclesGo && !vehiclesWentBefore
        if wentGo && state.clearanceRun.isRunning {
            return trip(.shortClearance, lit, [.vehicleAmber, .vehicleGreen])
        }
        if wentGo && state.allRedAfterWalk.isRunning {
            return trip(.shortClearance, lit, [.vehicleAmber, .vehicleGreen, .pedWalk])
        }
        if vehiclesMayProceed { state.allRedRun = Countdown(plan.allRed + 1) }

        // Every green is followed by an amber of at least the site's amber before red. On a hybrid beacon the
        // dark head is the green; amber counts from when it last came on, so the steady amber may include
        // the last amber flash that ran into it: the drivers saw amber all that time.
        if green || (plan.hybrid && !red && !amber) {
            state.greenSinceRed = true
            state.amberRun = nil
        } else if amber && state.greenSinceRed && state.amberRun == nil {
            state.amberRun = Countdown(plan.amber)
        }
        if red && !wasRed && state.greenSinceRed {
            state.greenSinceRed = false
            guard let amberRun = state.amberRun else { return trip(.greenWithoutAmber, lit, [.vehicleRed, .vehicleGreen]) }
            if amberRun.isRunning { return trip(.shortAmber, lit, [.vehicleRed, .vehicleAmber]) }
        }
        return nil
    }

    /// The rules on what the lamps really do, where the board can sense them.
    private mutating func checkLamps(tick: UInt64, lit: OutputSet, sensed: OutputSet, redLampsDark: UInt8, events: inout EventBuffer) -> SafetyRule? {
        guard plan.sensed != OutputSet() else { return nil }
        let window = plan.flashPeriod
        let persist = plan.mismatchTicks
        let redNotLitHandledApart = UInt32(1) << UInt32(OutputRole.vehicleRed.rawValue) | UInt32(1) << UInt32(OutputRole.vehicleRedRight.rawValue)
        let signalLamps = SafetyMonitor.signalLampBits
        let failed = state.failedLamps.bits
        var trippedRole: Int?
        var trippedStuckOn = false
        var raise: UInt32 = 0, clear: UInt32 = 0
        var darkReds: UInt32 = 0
        // One pass over the sensed lamps, bit by bit, on the watch buffer in place: no array copies, no
        // allocation on the tick path.
        // A quiet lamp whose command and sense are what they were has nothing to time or report: it is
        // skipped, which leaves it as a pass over it would (see `LampWatch.isQuiet`).
        let unchanged = ~((lit.bits ^ state.quietLevels) | (sensed.bits ^ state.quietLevels))
        var quiet = state.quiet & unchanged & ~failed
        state.lamps.withUnsafeMutableBufferPointer { watch in
            var remaining = plan.sensed.bits & ~quiet
            while remaining != 0 {
                let i = remaining.trailingZeroBitCount
                let bit = UInt32(1) << UInt32(i)
                remaining &= remaining - 1
                watch[i].command.see(lit.bits & bit != 0, window: window)
                watch[i].sense.see(sensed.bits & bit != 0, window: window)
                // Over the last flash period: commanded lit but never sensed lit, or commanded dark but never
                // sensed dark. A flashing lamp agrees with itself; a sense that lags a tick is not a fault.
                let notLit = watch[i].command.litLately && !watch[i].sense.litLately
                let stuckOn = watch[i].command.darkLately && !watch[i].sense.darkLately
                if bit & redNotLitHandledApart != 0 {
                    // A red that flashes (a hybrid beacon's) is watched over the flash period as well.
                    if !notLit { watch[i].dark = nil } else if watch[i].dark == nil { watch[i].dark = Countdown(persist) }
                    if watch[i].dark?.isDone == true { darkReds |= bit }
                    watch[i].dark.advance()
                }
                var settled = false  // the agreement or disagreement has lasted long enough to count
                if stuckOn || (notLit && bit & redNotLitHandledApart == 0) {
                    if case .disagreeing(let c) = watch[i].agreement { settled = c.isDone } else { watch[i].agreement = .disagreeing(Countdown(persist)); settled = persist == .zero }
                } else {
                    if case .agreeing(let c) = watch[i].agreement { settled = c.isDone } else { watch[i].agreement = .agreeing(Countdown(persist)); settled = persist == .zero }
                }
                let disagreeing = settled && watch[i].disagreeing
                if disagreeing && bit & signalLamps != 0 {
                    trippedRole = i
                    trippedStuckOn = stuckOn
                    return
                }
                if disagreeing && failed & bit == 0 { raise |= bit }
                if settled && !watch[i].disagreeing && failed & bit != 0 { clear |= bit }
                watch[i].advance()
                if watch[i].isQuiet { quiet |= bit }
            }
        }
        state.quiet = quiet
        state.quietLevels = lit.bits & quiet
        if let i = trippedRole { return trip(trippedStuckOn ? .lampStuckOn : .lampNotLit, lit, [OutputRole(rawValue: UInt8(i))!]) }
        while raise | clear != 0 {  // rare: only when a lamp fails or comes back
            let i = (raise | clear).trailingZeroBitCount
            let bit = UInt32(1) << UInt32(i)
            let role = OutputRole(rawValue: UInt8(i))!
            events.emit(Event(.lampFailure(raise & bit != 0 ? .raised : .cleared, lamp: role.senseRole), tick: tick))
            state.failedLamps.bits ^= bit
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
            if !state.walkInhibited {
                state.walkInhibited = true
                let role: InputRole = darkReds & (1 << UInt32(OutputRole.vehicleRed.rawValue)) != 0 ? .lampVehicleRed : .lampVehicleRedRight
                events.emit(Event(.lampFailure(.raised, lamp: role), tick: tick))
            }
        }
        if redsSensed && !redsSteady {
            state.redFault = nil  // a dark red must persist while it is commanded lit; one tick of lag is not a fault
        } else if redsSensed {
            if redLampsDark > 0 {
                state.redHealthy = nil
                if state.redFault == nil { state.redFault = Countdown(persist) }
                if state.redFault?.isDone == true {
                    if redLampsDark >= 2 { return trip(.redLampFailure, lit, [.vehicleRed]) }
                    if !state.walkInhibited {
                        state.walkInhibited = true
                        events.emit(Event(.lampFailure(.raised, lamp: .lampVehicleRed), tick: tick))
                    }
                }
            } else {
                state.redFault = nil
                if state.redHealthy == nil { state.redHealthy = Countdown(persist) }
                if state.walkInhibited && state.redHealthy?.isDone == true {
                    state.walkInhibited = false
                    events.emit(Event(.lampFailure(.cleared, lamp: .lampVehicleRed), tick: tick))
                }
            }
        }
        if state.walkInhibited && lit.contains(.pedWalk) { return trip(.redLampFailure, lit, [.vehicleRed, .pedWalk]) }
        return nil
    }

    private mutating func trip(_ rule: SafetyRule, _ lit: OutputSet, _ roles: [OutputRole]) -> SafetyRule {
        state.latched = rule
        state.involved = OutputSet()
        for role in roles where lit.contains(role) || state.previous.contains(role) || plan.sensed.contains(role) { state.involved.insert(role) }
        return rule
    }

    /// The SOS post's lights: they stay as the post commands them through a fail-safe, for a person at the
    /// post must still see the centre's answer.
    public static let sosLamps = OutputSet([.sosYellow, .sosGreen, .sosStrobe])

    /// The lamps of the two heads: a sensing fault on one of them is a fail-safe, not just an event.
    /// A constant, not a stored set: the tick path reads it without a lazy global's initialisation check.
    @inline(__always) static var signalLampBits: UInt32 {
        func bit(_ role: OutputRole) -> UInt32 { 1 << UInt32(role.rawValue) }
        return bit(.vehicleRed) | bit(.vehicleRedRight) | bit(.vehicleAmber) | bit(.vehicleGreen) | bit(.pedDontWalk) | bit(.pedWalk)
    }

    /// Whether there is anything for `fault.reset` to clear: a latch, a red lamp failure or a failed lamp.
    /// The sensed lamps that read wrong now: failed, disagreeing with their command (even for less than
    /// the persistence time), or involved in a latched lamp fault. What `lamp.test` reports.
    public var failingLamps: OutputSet {
        var out = state.failedLamps
        for role in OutputRole.allCases where plan.sensed.contains(role) {
            let w = state.lamps[Int(role.rawValue)]
            if w.disagreeing || w.dark != nil { out.insert(role) }
        }
        if latched == .lampNotLit || latched == .lampStuckOn { out.bits |= involved.bits & plan.sensed.bits }
        // Red lamps are counted, not named (two lamps per head): the head's reds are reported.
        if walkInhibited || state.redFault != nil {
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
        if let rule = latched { events.emit(Event(.failSafe(.cleared, rule: rule, outputs: involved), tick: tick)) }
        if walkInhibited { events.emit(Event(.lampFailure(.cleared, lamp: .lampVehicleRed), tick: tick)) }
        for role in OutputRole.allCases where failedLamps.contains(role) {
            events.emit(Event(.lampFailure(.cleared, lamp: role.senseRole), tick: tick))
        }
        if latched != nil {
            self = SafetyMonitor(plan: plan)
            return
        }
        state.walkInhibited = false
        state.failedLamps = OutputSet()
        state.redFault = nil
        state.redHealthy = nil
        for i in state.lamps.indices {
            state.lamps[i].agreement = .unknown
            state.lamps[i].dark = nil
        }
        state.quiet = 0
        state.quietLevels = 0
    }

    /// The fail-safe display: flashing amber to vehicles and dark pedestrian heads in kz and us,
    /// everything dark in uk.
    public static func failSafeLamps(regime: Regime, tick: UInt64, flasher: Flasher) -> OutputSet {
        var lit = OutputSet()
        if regime != .uk { lit.set(.vehicleAmber, flasher.isLit(at: tick)) }
        return lit
    }
}

/// What the safety monitor remembers between ticks: the latch, the last word, and its timers, each a
/// countdown from the event it times.
public struct MonitorState: Hashable, Sendable {
    /// One level of a lamp, commanded or sensed: what it is now, and until the other level was last seen a
    /// flash period ago. Within a flash period it has been both, as a flashing lamp is.
    struct LevelWatch: Hashable, Sendable {
        var lit = false
        /// Until the level other than `lit` was seen a flash period ago.
        var other: Countdown

        /// This tick's level; the other level was seen the tick before when it changes.
        @inline(__always) mutating func see(_ nowLit: Bool, window: Ticks) {
            if nowLit != lit {
                lit = nowLit
                other = Countdown(window - 1)
            }
        }
        /// Lit at some tick of the last flash period.
        var litLately: Bool { lit || other.isRunning }
        /// Dark at some tick of the last flash period.
        var darkLately: Bool { !lit || other.isRunning }
    }

    /// Whether a sensed lamp agrees with its command, and until that counts.
    enum Agreement: Hashable, Sendable {
        /// Nothing seen yet, or forgotten at a reset.
        case unknown
        /// Until a disagreement counts as a failure.
        case disagreeing(Countdown)
        /// Until a failed lamp counts as repaired.
        case agreeing(Countdown)

        mutating func advance() {
            switch self {
            case .unknown: break
            case .disagreeing(var c): c.advance(); self = .disagreeing(c)
            case .agreeing(var c): c.advance(); self = .agreeing(c)
            }
        }
    }

    /// Per sensed output: its command and its sense over the last flash period, whether they agree, and
    /// (red lamps only) until a red commanded lit within the last flash period but never sensed lit counts.
    struct LampWatch: Hashable, Sendable {
        var command: LevelWatch
        var sense: LevelWatch
        var agreement = Agreement.unknown
        var dark: Countdown?

        /// A lamp taken to have been commanded and sensed lit until the tick before the monitor started,
        /// and dark since: the outputs start dark.
        init(window: Ticks) {
            command = LevelWatch(other: Countdown(window - 1))
            sense = command
        }

        mutating func advance() {
            command.other.advance()
            sense.other.advance()
            agreement.advance()
        }

        var disagreeing: Bool { if case .disagreeing = self.agreement { true } else { false } }

        /// Settled in agreement with nothing left to time: while its command and its sense keep the level
        /// they have, a pass over it changes nothing and reports nothing (unless it is failed, which the
        /// pass clears).
        var isQuiet: Bool {
            guard command.lit == sense.lit, command.other.isDone, sense.other.isDone, dark == nil,
                  case .agreeing(let c) = agreement else { return false }
            return c.isDone
        }
    }

    public internal(set) var latched: SafetyRule?
    public internal(set) var involved = OutputSet()
    public internal(set) var failedLamps = OutputSet()
    public internal(set) var walkInhibited = false
    /// The word of the tick before.
    var previous = OutputSet()
    /// The vehicles have had green (or a hybrid beacon's dark head) since their last red.
    var greenSinceRed: Bool
    /// Until the amber after a green has run its minimum, nil until it comes on.
    var amberRun: Countdown?
    /// Until the vehicles have been held for the all-red: they last could proceed when it was set.
    var allRedRun: Countdown
    /// Until a lit walk has lasted a flash period, nil while the walk is dark.
    var walkOn: Countdown?
    /// Until a walk that comes back on is a new run of walk flashes, not the same one.
    var sameWalkRun = Countdown.done
    /// Whether the clearance of this run of walk flashes has begun.
    var clearanceBegun = false
    /// Until the clearance and the all-red after it have run, from the end of the walk.
    var clearanceRun = Countdown.done
    /// Until the all-red after the last walk flash has run.
    var allRedAfterWalk = Countdown.done
    /// Until pedestrians lose their right of way (a lit walk held over the dark part of a flash).
    var rightOfWay = Countdown.done
    /// Until a don't-walk that went dark and comes back is no longer flashing.
    var dontWalkFlash = Countdown.done
    var lamps: [LampWatch]
    /// The sensed lamps that are quiet (`LampWatch.isQuiet`), and the level of each: both follow from
    /// `lamps`, so they add no states of their own.
    var quiet: UInt32 = 0
    var quietLevels: UInt32 = 0
    /// Until a dark vehicle red counts, nil while the reds are lit.
    var redFault: Countdown?
    /// Until repaired reds lift the walk inhibit, nil while one is dark.
    var redHealthy: Countdown?

    init(plan: MonitorPlan) {
        lamps = Array(repeating: LampWatch(window: plan.flashPeriod), count: OutputRole.allCases.count)
        allRedRun = Countdown(plan.allRed + 1)
        greenSinceRed = plan.hybrid
    }

    /// One tick passes for the sequence timers (the lamp watches pass theirs as they are checked).
    mutating func advance() {
        amberRun.advance()
        allRedRun.advance()
        walkOn.advance()
        sameWalkRun.advance()
        clearanceRun.advance()
        allRedAfterWalk.advance()
        rightOfWay.advance()
        dontWalkFlash.advance()
        redFault.advance()
        redHealthy.advance()
    }
}
