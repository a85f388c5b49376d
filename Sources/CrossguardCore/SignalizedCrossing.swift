/// What the street shows at a signalized crossing. Named after the display, not after timers.
public enum CrossingPhase: UInt8, CaseIterable, Sendable {
    /// Power-up: flashing amber to vehicles, pedestrian heads dark.
    case startupFlash
    /// Power-up (and leaving flash or dark): all red before the first green.
    case startupAllRed
    /// Red+amber before green (kz, uk).
    case vehicleRedAmber
    /// Vehicles go; rests here until a demand, for at least the minimum green.
    case vehicleGreen
    /// kz: flashing green, the first part of the change.
    case vehicleFlashingGreen
    case vehicleAmber
    case allRedBeforeWalk
    case pedestrianWalk
    /// Flashing walk (kz), flashing don't-walk (us) or red man with on-crossing extension (uk).
    case pedestrianClearance
    case allRedAfterClearance
    /// Flash mode: flashing amber to vehicles, pedestrian heads dark.
    case flash
    /// Dark mode: everything off.
    case dark

    /// The name in traces and status.
    public var name: String {
        switch self {
        case .startupFlash: "startupFlash"
        case .startupAllRed: "startupAllRed"
        case .vehicleRedAmber: "vehicleRedAmber"
        case .vehicleGreen: "vehicleGreen"
        case .vehicleFlashingGreen: "vehicleFlashingGreen"
        case .vehicleAmber: "vehicleAmber"
        case .allRedBeforeWalk: "allRedBeforeWalk"
        case .pedestrianWalk: "pedestrianWalk"
        case .pedestrianClearance: "pedestrianClearance"
        case .allRedAfterClearance: "allRedAfterClearance"
        case .flash: "flash"
        case .dark: "dark"
        }
    }

    /// The name on a pedestrian hybrid beacon, whose head shows other things in the same phases (MUTCD
    /// 4J): it rests dark where a signal shows green, flashes amber for the flashing green, and flashes its
    /// reds alternately through the clearance and the buffer after it.
    public var hybridName: String {
        switch self {
        case .startupAllRed: "startupDark"
        case .vehicleRedAmber, .vehicleGreen: "beaconDark"
        case .vehicleFlashingGreen: "flashingAmber"
        case .vehicleAmber: "steadyAmber"
        case .allRedBeforeWalk: "steadyRed"
        case .pedestrianClearance: "alternatingRedClearance"
        case .allRedAfterClearance: "alternatingRedBuffer"
        case .startupFlash, .pedestrianWalk, .flash, .dark: name
        }
    }

    /// Whether pedestrians may be on the crossing with right of way (walk or clearance).
    public var isPedestrianPhase: Bool { self == .pedestrianWalk || self == .pedestrianClearance }
}

/// The signalized crossing controller (profile `signalized`): a plain value stepped once a tick.
public struct SignalizedCrossing: Sendable {
    /// Timings in ticks.
    public let plan: SignalPlan
    /// Whether the board has kerbside presence detectors (Puffin demand and cancel).
    public let hasKerbDetector: Bool
    /// Whether the board has on-crossing detectors (clearance extension).
    public let hasCrossingDetector: Bool

    public private(set) var phase: CrossingPhase = .startupFlash
    /// The phase's name in status and on the bench, as the street sees it: a hybrid beacon's own names.
    public var phaseName: String { plan.hybrid ? phase.hybridName : phase.name }
    /// The tick the current phase began.
    public private(set) var phaseStart: UInt64 = 0
    public private(set) var mode: OperatingMode = .normal
    /// A flash or dark mode the centre asked for while pedestrians were crossing; applied after them.
    public private(set) var pendingMode: OperatingMode?
    /// When flash or dark reverts to normal by itself.
    public private(set) var revertAt: UInt64?
    private(set) var pendingRevert: Int?

    /// The input that placed the pending demand (`ped.button` or `ped.kerb`), nil when none.
    public private(set) var demand: InputRole?
    /// When the pending demand was placed.
    public private(set) var demandSince: UInt64 = 0
    /// Waiting time counts from here at the latest: the start of normal operation after start-up or a mode.
    public private(set) var normalSince: UInt64 = 0
    private(set) var kerbSince: UInt64?
    private(set) var kerbAbsentSince: UInt64?
    /// Whether the on-crossing detector has triggered since the end of the last clearance (Puffin suspect rule).
    public private(set) var crossingDetectorSeen = false
    private(set) var suspectRaised = false
    private(set) var clearanceFixedEnd = false
    /// Set by the safety monitor while a vehicle red lamp is failed: no walk, no demands taken.
    public var walkInhibited = false
    private(set) var clearanceIsMax = false

    /// A crossing starting up at `tick` (power-up, or a fault reset), showing the start-up flash.
    public init(plan: SignalPlan, hasKerbDetector: Bool, hasCrossingDetector: Bool, startingAt tick: UInt64 = 0) {
        self.plan = plan
        self.hasKerbDetector = hasKerbDetector
        self.hasCrossingDetector = hasCrossingDetector
        phaseStart = tick
        normalSince = tick
    }

    /// Whether on-crossing presence can lengthen this crossing's clearance at all.
    public var clearanceExtends: Bool { hasCrossingDetector && plan.clearanceMax > plan.clearance }

    /// Advances one tick: takes the demand inputs, moves through the phases, returns the lamps.
    public mutating func step(tick: UInt64, inputs: Inputs, flasher: Flasher, events: inout EventBuffer) -> (lit: OutputSet, countdown: UInt16?) {
        if let until = revertAt, tick >= until, mode != .normal {
            revertAt = nil
            setMode(.normal, tick: tick, events: &events)
        }
        if inputs.rose.contains(.pedCrossing) { crossingDetectorSeen = true }
        advance(tick: tick, inputs: inputs, events: &events)
        // After the phase moved: a press on the tick the walk ends already counts for the next crossing.
        registerDemand(tick: tick, inputs: inputs, events: &events)
        return lamps(tick: tick, flasher: flasher)
    }

    /// Handles `mode.set`. Flash and dark wait until pedestrians have cleared, and end a green with its
    /// full amber first (a green that goes dark, or flashes briefly, and comes back red would be a green
    /// without its amber); normal
    /// restarts through all-red. The revert timeout counts from when the mode takes effect.
    public mutating func request(mode newMode: OperatingMode, revertAfterTicks: Int?, tick: UInt64, events: inout EventBuffer) {
        pendingRevert = newMode == .normal ? nil : revertAfterTicks.map { max(1, $0) }
        switch (newMode, phase) {
        case (.normal, _):
            setMode(.normal, tick: tick, events: &events)
        case (_, .pedestrianWalk), (_, .pedestrianClearance), (_, .allRedAfterClearance), (_, .vehicleAmber):
            pendingMode = newMode
        case (_, .vehicleGreen) where plan.hybrid, (_, .vehicleFlashingGreen) where plan.hybrid:
            setMode(newMode, tick: tick, events: &events)  // a dark or flashing-amber beacon has no green to end
        case (_, .vehicleGreen), (_, .vehicleFlashingGreen):
            pendingMode = newMode
            enter(.vehicleAmber, tick)
        default:
            setMode(newMode, tick: tick, events: &events)
        }
    }

    private mutating func setMode(_ newMode: OperatingMode, tick: UInt64, events: inout EventBuffer) {
        pendingMode = nil
        revertAt = pendingRevert.map { tick + UInt64($0) }
        pendingRevert = nil
        guard newMode != mode else { return }
        mode = newMode
        events.emit(Event(.modeChanged, tick: tick, mode: newMode))
        switch newMode {
        case .flash: enter(.flash, tick)
        case .dark: enter(.dark, tick)
        case .normal: enter(.startupAllRed, tick)
        }
    }

    private mutating func enter(_ next: CrossingPhase, _ tick: UInt64) {
        phase = next
        phaseStart = tick
        if next == .startupAllRed { normalSince = tick }
    }

    private mutating func registerDemand(tick: UInt64, inputs: Inputs, events: inout EventBuffer) {
        if walkInhibited, let role = demand {
            demand = nil
            events.emit(Event(.demandCancelled, tick: tick, role: role))
        }
        let acceptsDemand = phase != .pedestrianWalk && phase != .flash && phase != .dark && !walkInhibited
        if inputs.rose.contains(.pedButton) && acceptsDemand {
            if demand == nil {
                demand = .pedButton
                demandSince = tick
                events.emit(Event(.demandPlaced, tick: tick, role: .pedButton))
            } else if demand == .pedKerb {
                demand = .pedButton  // a pressed button is never cancelled by the kerb detector
            }
        }
        guard hasKerbDetector else { return }
        if inputs.active.contains(.pedKerb) {
            if kerbSince == nil { kerbSince = tick }
            kerbAbsentSince = nil
            if demand == nil && acceptsDemand, let since = kerbSince, tick - since >= UInt64(plan.kerbDwell) {
                demand = .pedKerb
                demandSince = tick
                events.emit(Event(.demandPlaced, tick: tick, role: .pedKerb))
            }
        } else {
            kerbSince = nil
            if kerbAbsentSince == nil { kerbAbsentSince = tick }
            // Puffin: the waiting pedestrian left before the vehicles were stopped for them.
            let cancellable = phase == .vehicleGreen || phase == .vehicleRedAmber || phase == .startupAllRed || phase == .startupFlash
            if demand == .pedKerb && cancellable, let gone = kerbAbsentSince, tick - gone >= UInt64(plan.kerbCancel) {
                demand = nil
                events.emit(Event(.demandCancelled, tick: tick, role: .pedKerb))
            }
        }
    }

    private mutating func advance(tick: UInt64, inputs: Inputs, events: inout EventBuffer) {
        let elapsed = Int(tick - phaseStart)
        switch phase {
        case .startupFlash:
            if elapsed >= plan.startupFlash { enter(.startupAllRed, tick) }
        case .startupAllRed:
            if elapsed >= plan.startupAllRed { enter(plan.regime.hasRedAmber ? .vehicleRedAmber : .vehicleGreen, tick) }
        case .vehicleRedAmber:
            if elapsed >= plan.redAmber { enter(.vehicleGreen, tick) }
        case .vehicleGreen:
            if demand != nil && elapsed >= plan.minGreen {
                enter(plan.flashingGreen > 0 ? .vehicleFlashingGreen : .vehicleAmber, tick)
            }
        case .vehicleFlashingGreen:
            if elapsed >= plan.flashingGreen { enter(.vehicleAmber, tick) }
        case .vehicleAmber:
            if elapsed >= plan.amber {
                if let pending = pendingMode { setMode(pending, tick: tick, events: &events) } else { enter(.allRedBeforeWalk, tick) }
            }
        case .allRedBeforeWalk:
            if walkInhibited {
                enter(.allRedAfterClearance, tick)  // no walk over a dark red: the vehicles go back to green
            } else if elapsed >= plan.allRed {
                enter(.pedestrianWalk, tick)
                if let role = demand {
                    let waited = tick - max(demandSince, normalSince)
                    events.emit(Event(.demandServed, tick: tick, role: role, waitTicks: UInt32(clamping: waited)))
                }
                demand = nil
            }
        case .pedestrianWalk:
            if elapsed >= plan.walk { beginClearance(tick: tick, events: &events) }
        case .pedestrianClearance:
            let done: Bool
            if clearanceIsMax {
                done = elapsed >= plan.clearanceMax
            } else if clearanceFixedEnd {
                done = elapsed >= plan.clearance
            } else {
                // Extended while someone is on the crossing, between the clearance and its maximum.
                done = elapsed >= plan.clearanceMax || (elapsed >= plan.clearance && !inputs.active.contains(.pedCrossing))
            }
            if done {
                enter(.allRedAfterClearance, tick)
                crossingDetectorSeen = false
            }
        case .allRedAfterClearance:
            if elapsed >= plan.allRedAfterClearance {
                if let pending = pendingMode {
                    setMode(pending, tick: tick, events: &events)
                } else {
                    enter(plan.regime.hasRedAmber ? .vehicleRedAmber : .vehicleGreen, tick)
                }
            }
        case .flash, .dark:
            break
        }
    }

    private mutating func beginClearance(tick: UInt64, events: inout EventBuffer) {
        enter(.pedestrianClearance, tick)
        // Whoever still stands at the kerb is a new pedestrian: their dwell starts now.
        if kerbSince != nil { kerbSince = tick }
        clearanceFixedEnd = !clearanceExtends
        clearanceIsMax = false
        guard clearanceExtends else { return }
        if !crossingDetectorSeen {
            // Puffin rule: a detector that saw nobody since the last crossing may be blind; assume people.
            clearanceIsMax = true
            if !suspectRaised {
                suspectRaised = true
                events.emit(Event(.detectorSuspect, tick: tick, state: .raised, role: .pedCrossing))
            }
        } else if suspectRaised {
            suspectRaised = false
            events.emit(Event(.detectorSuspect, tick: tick, state: .cleared, role: .pedCrossing))
        }
    }

    /// The lamps of the current phase at this tick.
    public func lamps(tick: UInt64, flasher: Flasher) -> (lit: OutputSet, countdown: UInt16?) {
        var lit = OutputSet()
        let flashOn = flasher.isLit(at: tick)
        switch phase {
        case .startupFlash, .flash:
            // Flashing amber to vehicles, pedestrian heads dark, on every head: signal or hybrid beacon.
            lit.set(.vehicleAmber, flashOn)
            return (lit, nil)
        case .dark:
            return (lit, nil)
        default:
            break
        }
        if plan.hybrid { return hybridLamps(tick: tick, flasher: flasher) }
        var countdown: UInt16?
        switch phase {
        case .startupFlash, .flash, .dark:
            break  // above
        case .startupAllRed, .allRedBeforeWalk, .allRedAfterClearance:
            lit.insert(.vehicleRed)
            lit.insert(.pedDontWalk)
        case .vehicleRedAmber:
            lit.insert(.vehicleRed)
            lit.insert(.vehicleAmber)
            lit.insert(.pedDontWalk)
        case .vehicleGreen:
            lit.insert(.vehicleGreen)
            lit.insert(.pedDontWalk)
        case .vehicleFlashingGreen:
            lit.set(.vehicleGreen, flashOn)
            lit.insert(.pedDontWalk)
        case .vehicleAmber:
            lit.insert(.vehicleAmber)
            lit.insert(.pedDontWalk)
        case .pedestrianWalk:
            lit.insert(.vehicleRed)
            lit.insert(.pedWalk)
            lit.insert(.apsWalk)
            lit.insert(.flood)
        case .pedestrianClearance:
            lit.insert(.vehicleRed)
            lit.insert(.flood)
            switch plan.regime {
            case .kz: lit.set(.pedWalk, flashOn)
            case .us: lit.set(.pedDontWalk, flashOn)
            case .uk: lit.insert(.pedDontWalk)
            }
            countdown = clearanceCountdown(tick: tick)
        }
        addPushButtonLamps(to: &lit)
        return (lit, countdown)
    }

    /// Seconds left of a fixed clearance for the countdown display, nil when it stays dark.
    private func clearanceCountdown(tick: UInt64) -> UInt16? {
        guard clearanceFixedEnd && plan.countdownWanted && plan.clearance > plan.countdownThreshold else { return nil }
        let remaining = plan.clearance - Int(tick - phaseStart)
        return remaining > 0 ? UInt16(clamping: (remaining + plan.ticksPerSecond - 1) / plan.ticksPerSecond) : nil
    }

    /// The wait lamp tells a pedestrian the demand is registered; the locator tone helps find the button.
    /// (In flash and dark modes the pedestrian heads are dark, and these with them.)
    private func addPushButtonLamps(to lit: inout OutputSet) {
        if demand != nil && !phase.isPedestrianPhase { lit.insert(.pedWait) }
        if phase != .pedestrianWalk { lit.insert(.apsLocator) }
    }

    /// The lamps of a pedestrian hybrid beacon (MUTCD 4J): the same phases on a head of two reds over one
    /// amber. It rests dark, flashes amber, shows steady amber, then both reds steady through the all-red and
    /// the walk, and flashes its reds alternately through the clearance and the buffer after it.
    private func hybridLamps(tick: UInt64, flasher: Flasher) -> (lit: OutputSet, countdown: UInt16?) {
        var lit = OutputSet()
        let flashOn = flasher.isLit(at: tick)
        // Alternating: the right red runs half a period behind the left, so one of them is always lit.
        let otherOn = flasher.isLit(at: tick + UInt64(flasher.periodTicks / 2))
        var countdown: UInt16?
        switch phase {
        case .startupFlash, .flash, .dark:
            break  // the same on every head: see lamps(tick:flasher:)
        case .startupAllRed, .vehicleGreen, .vehicleRedAmber:
            lit.insert(.pedDontWalk)
        case .vehicleFlashingGreen:
            lit.set(.vehicleAmber, flashOn)
            lit.insert(.pedDontWalk)
        case .vehicleAmber:
            lit.insert(.vehicleAmber)
            lit.insert(.pedDontWalk)
        case .allRedBeforeWalk:
            lit.insert(.vehicleRed)
            lit.insert(.vehicleRedRight)
            lit.insert(.pedDontWalk)
        case .pedestrianWalk:
            lit.insert(.vehicleRed)
            lit.insert(.vehicleRedRight)
            lit.insert(.pedWalk)
            lit.insert(.apsWalk)
            lit.insert(.flood)
        case .pedestrianClearance:
            lit.set(.vehicleRed, flashOn)
            lit.set(.vehicleRedRight, otherOn)
            lit.set(.pedDontWalk, flashOn)
            lit.insert(.flood)
            countdown = clearanceCountdown(tick: tick)
        case .allRedAfterClearance:
            lit.set(.vehicleRed, flashOn)
            lit.set(.vehicleRedRight, otherOn)
            lit.insert(.pedDontWalk)
        }
        addPushButtonLamps(to: &lit)
        return (lit, countdown)
    }
}
