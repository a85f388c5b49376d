/// The rules the independent safety monitor enforces (DOMAIN.md, Safety; NEMA TS-2 MMU practice).
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

    /// The name in events and status.
    public var name: String {
        switch self {
        case .conflict: "conflict"
        case .dualIndication: "dual-indication"
        case .greenWithoutAmber: "green-without-amber"
        case .shortAmber: "short-amber"
        case .shortAllRed: "short-all-red"
        case .shortClearance: "short-clearance"
        }
    }
}

/// What the monitor knows: the regime and the site's minimum timings, in ticks. Nothing of the controller.
public struct MonitorPlan: Equatable, Sendable {
    public var regime: Regime
    public var amber: Int
    public var allRed: Int
    public var clearance: Int
    public var allRedAfterClearance: Int
    /// The flasher's period and lit part: a flashing walk or don't-walk is still a pedestrian interval.
    public var flashPeriod: Int
    public var flashOn: Int

    /// The plan for a validated site's crossing.
    public init(_ plan: SignalPlan, flasher: Flasher) {
        regime = plan.regime
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

    private var previous = OutputSet()
    private var greenSinceRed = false
    private var amberSinceGreen: UInt64?
    private var vehicleGoLast: UInt64?
    private var walkOnSince: UInt64?
    private var walkEnd: UInt64?
    private var pedestrianRightOfWayUntil: UInt64 = 0
    private var dontWalkOffAt: UInt64?

    /// A monitor with nothing latched, or latched already (the latch survives a restart).
    public init(plan: MonitorPlan, latched: SafetyRule? = nil) {
        self.plan = plan
        self.latched = latched
    }

    /// Checks the lamps commanded for this tick. Returns the rule broken this tick (and latches it), or nil.
    /// Once latched it checks nothing more until `reset()`.
    public mutating func check(tick: UInt64, lit: OutputSet) -> SafetyRule? {
        guard latched == nil else { return nil }
        let red = lit.contains(.vehicleRed), amber = lit.contains(.vehicleAmber), green = lit.contains(.vehicleGreen)
        let walk = lit.contains(.pedWalk), dontWalk = lit.contains(.pedDontWalk)
        let vehiclesGo = green || amber
        defer { previous = lit }

        if green && (red || amber) { return trip(.dualIndication, lit, [.vehicleRed, .vehicleAmber, .vehicleGreen]) }
        if red && amber && !plan.regime.hasRedAmber { return trip(.dualIndication, lit, [.vehicleRed, .vehicleAmber]) }
        if walk && dontWalk { return trip(.dualIndication, lit, [.pedWalk, .pedDontWalk]) }

        // Pedestrian right of way: a lit walk (held over the dark part of a flashing walk), or a
        // don't-walk that is flashing (us clearance: it came back on within one flash period).
        if walk {
            if walkOnSince == nil { walkOnSince = tick }
            pedestrianRightOfWayUntil = tick + UInt64(plan.flashPeriod - plan.flashOn) + 1
        } else if previous.contains(.pedWalk), let since = walkOnSince {
            // A steady walk ended and the clearance began. In kz the first flash of a flashing walk can run
            // on from the steady walk, so the clearance may have begun up to one lit flash earlier: the
            // monitor takes the earlier moment (a tolerance of one flash, 0.5 s at 1 Hz, in the
            // controller's favour, never more).
            if Int(tick - since) >= plan.flashPeriod { walkEnd = tick - UInt64(plan.flashOn) }
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

        // A walk needs the vehicles red for the all-red first.
        if walk && !previous.contains(.pedWalk), let last = vehicleGoLast, Int(tick - last) <= plan.allRed {
            return trip(.shortAllRed, lit, [.vehicleRed, .pedWalk])
        }
        // Vehicles may move again only after the clearance and the all-red after it.
        let wentGo = vehiclesGo && !(previous.contains(.vehicleGreen) || previous.contains(.vehicleAmber))
        if wentGo, let end = walkEnd, Int(tick - end) < plan.clearance + plan.allRedAfterClearance {
            return trip(.shortClearance, lit, [.vehicleAmber, .vehicleGreen])
        }
        if vehiclesGo { vehicleGoLast = tick }

        // Every green is followed by an amber of at least the site's amber before red.
        if green {
            greenSinceRed = true
            amberSinceGreen = nil
        } else if amber && greenSinceRed && amberSinceGreen == nil {
            amberSinceGreen = tick
        }
        if red && !previous.contains(.vehicleRed) && greenSinceRed {
            greenSinceRed = false
            guard let amberStart = amberSinceGreen else { return trip(.greenWithoutAmber, lit, [.vehicleRed, .vehicleGreen]) }
            if Int(tick - amberStart) < plan.amber { return trip(.shortAmber, lit, [.vehicleRed, .vehicleAmber]) }
        }
        return nil
    }

    private mutating func trip(_ rule: SafetyRule, _ lit: OutputSet, _ roles: [OutputRole]) -> SafetyRule {
        latched = rule
        involved = OutputSet()
        for role in roles where lit.contains(role) || previous.contains(role) { involved.insert(role) }
        return rule
    }

    /// Clears the latch and everything the monitor remembered: the crossing restarts from its start-up.
    public mutating func reset() {
        self = SafetyMonitor(plan: plan)
    }

    /// The fail-safe display (DOMAIN.md): flashing amber to vehicles and dark pedestrian heads in kz and us,
    /// everything dark in uk.
    public static func failSafeLamps(regime: Regime, tick: UInt64, flasher: Flasher) -> OutputSet {
        var lit = OutputSet()
        if regime != .uk { lit.set(.vehicleAmber, flasher.isLit(at: tick)) }
        return lit
    }
}
