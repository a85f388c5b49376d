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
    /// Everything that decides what the crossing does next, and nothing else: exhaustive exploration
    /// hashes it as it is.
    public private(set) var state: CrossingState
    /// The tick the current phase began, for the bench and the traces; the logic runs on `state`'s countdowns.
    public private(set) var phaseStart: UInt64
    /// The tick the pending demand's wait counts from, for the wait its served event reports: when it was
    /// placed, or the start of normal operation after start-up or a mode, whichever came later.
    public private(set) var waitingSince: UInt64

    public var phase: CrossingPhase { state.phase }
    /// The phase's name in status and on the bench, as the street sees it: a hybrid beacon's own names.
    public var phaseName: String { plan.hybrid ? state.phase.hybridName : state.phase.name }
    public var mode: OperatingMode { state.mode }
    /// Whether the on-crossing detector is suspect (it did not trigger through a whole clearance), so
    /// every clearance runs to its maximum: for `diag.run`.
    public var detectorSuspect: Bool { state.suspectRaised }
    /// A flash or dark mode the centre asked for while pedestrians were crossing; applied after them.
    public var pendingMode: OperatingMode? { state.pendingMode }
    /// The input that placed the pending demand (`ped.button` or `ped.kerb`), nil when none.
    public var demand: InputRole? { state.demand }
    /// Whether the on-crossing detector has triggered since the end of the last clearance (Puffin suspect rule).
    public var crossingDetectorSeen: Bool { state.crossingDetectorSeen }
    /// Set from the safety monitor while a vehicle red lamp is failed: no walk, no demands taken.
    public var walkInhibited: Bool {
        get { state.walkInhibited }
        set { state.walkInhibited = newValue }
    }

    /// A crossing starting up at `tick` (power-up, or a fault reset), showing the start-up flash.
    public init(plan: SignalPlan, hasKerbDetector: Bool, hasCrossingDetector: Bool, startingAt tick: UInt64 = 0) {
        self.plan = plan
        self.hasKerbDetector = hasKerbDetector
        self.hasCrossingDetector = hasCrossingDetector
        state = CrossingState(phaseTimer: Countdown(plan.startupFlash))
        phaseStart = tick
        waitingSince = tick
    }

    /// Whether on-crossing presence can lengthen this crossing's clearance at all.
    public var clearanceExtends: Bool { hasCrossingDetector && plan.clearanceMax > plan.clearance }

    /// Advances one tick: takes the demand inputs, moves through the phases, returns the lamps.
    public mutating func step(tick: UInt64, inputs: Inputs, flasher: Flasher, events: inout EventBuffer) -> (lit: OutputSet, countdown: UInt16?) {
        if let revert = state.revert, revert.isDone, state.mode != .normal {
            state.revert = nil
            setMode(.normal, tick: tick, events: &events)
        }
        if inputs.rose.contains(.pedCrossing) { state.crossingDetectorSeen = true }
        advance(tick: tick, inputs: inputs, events: &events)
        // After the phase moved: a press on the tick the walk ends already counts for the next crossing.
        registerDemand(tick: tick, inputs: inputs, events: &events)
        let shown = lamps(tick: tick, flasher: flasher)
        state.advance()
        return shown
    }

    /// Handles `mode.set`. Flash and dark wait until pedestrians have cleared, and end a green with its
    /// full amber first (a green that goes dark, or flashes briefly, and comes back red would be a green
    /// without its amber); normal
    /// restarts through all-red. The revert timeout counts from when the mode takes effect.
    public mutating func request(mode newMode: OperatingMode, revertAfterTicks: Int?, tick: UInt64, events: inout EventBuffer) {
        state.pendingRevert = newMode == .normal ? nil : revertAfterTicks.map { Ticks(max(1, $0)) }
        switch (newMode, state.phase) {
        case (.normal, _):
            setMode(.normal, tick: tick, events: &events)
        case (_, .pedestrianWalk), (_, .pedestrianClearance), (_, .allRedAfterClearance), (_, .vehicleAmber):
            state.pendingMode = newMode
        case (_, .vehicleGreen) where plan.hybrid, (_, .vehicleFlashingGreen) where plan.hybrid:
            setMode(newMode, tick: tick, events: &events)  // a dark or flashing-amber beacon has no green to end
        case (_, .vehicleGreen), (_, .vehicleFlashingGreen):
            state.pendingMode = newMode
            enter(.vehicleAmber, tick)
        default:
            setMode(newMode, tick: tick, events: &events)
        }
    }

    private mutating func setMode(_ newMode: OperatingMode, tick: UInt64, events: inout EventBuffer) {
        state.pendingMode = nil
        state.revert = state.pendingRevert.map { Countdown($0) }
        state.pendingRevert = nil
        guard newMode != state.mode else { return }
        state.mode = newMode
        events.emit(Event(.modeChanged(to: newMode), tick: tick))
        switch newMode {
        case .flash: enter(.flash, tick)
        case .dark: enter(.dark, tick)
        case .normal: enter(.startupAllRed, tick)
        }
    }

    /// Moves to `next`, its timer set to the phase's duration (a clearance's is set by `beginClearance`).
    private mutating func enter(_ next: CrossingPhase, _ tick: UInt64) {
        state.phase = next
        phaseStart = tick
        let duration: Ticks
        switch next {
        case .startupFlash: duration = plan.startupFlash
        case .startupAllRed: duration = plan.startupAllRed
        case .vehicleRedAmber: duration = plan.redAmber
        case .vehicleGreen: duration = plan.minGreen
        case .vehicleFlashingGreen: duration = plan.flashingGreen
        case .vehicleAmber: duration = plan.amber
        case .allRedBeforeWalk: duration = plan.allRed
        case .pedestrianWalk: duration = plan.walk
        case .pedestrianClearance: duration = plan.clearanceMax
        case .allRedAfterClearance: duration = plan.allRedAfterClearance
        case .flash, .dark: duration = .zero
        }
        state.phaseTimer = Countdown(duration)
        if next == .startupAllRed { waitingSince = tick }
    }

    private mutating func placeDemand(_ role: InputRole, tick: UInt64, events: inout EventBuffer) {
        state.demand = role
        waitingSince = tick
        events.emit(Event(.demandPlaced(by: role), tick: tick))
    }

    private mutating func registerDemand(tick: UInt64, inputs: Inputs, events: inout EventBuffer) {
        if state.walkInhibited, let role = state.demand {
            state.demand = nil
            events.emit(Event(.demandCancelled(by: role), tick: tick))
        }
        let phase = state.phase
        let acceptsDemand = phase != .pedestrianWalk && phase != .flash && phase != .dark && !state.walkInhibited
        if inputs.rose.contains(.pedButton) && acceptsDemand {
            if state.demand == nil {
                placeDemand(.pedButton, tick: tick, events: &events)
            } else if state.demand == .pedKerb {
                state.demand = .pedButton  // a pressed button is never cancelled by the kerb detector
            }
        }
        guard hasKerbDetector else { return }
        if inputs.active.contains(.pedKerb) {
            if state.kerbDwell == nil { state.kerbDwell = Countdown(plan.kerbDwell) }
            state.kerbCancel = nil
            if state.demand == nil && acceptsDemand, let dwell = state.kerbDwell, dwell.isDone {
                placeDemand(.pedKerb, tick: tick, events: &events)
            }
        } else {
            state.kerbDwell = nil
            if state.kerbCancel == nil { state.kerbCancel = Countdown(plan.kerbCancel) }
            // Puffin: the waiting pedestrian left before the vehicles were stopped for them.
            let cancellable = phase == .vehicleGreen || phase == .vehicleRedAmber || phase == .startupAllRed || phase == .startupFlash
            if state.demand == .pedKerb && cancellable, let gone = state.kerbCancel, gone.isDone {
                state.demand = nil
                events.emit(Event(.demandCancelled(by: .pedKerb), tick: tick))
            }
        }
    }

    private mutating func advance(tick: UInt64, inputs: Inputs, events: inout EventBuffer) {
        let done = state.phaseTimer.isDone
        switch state.phase {
        case .startupFlash:
            if done { enter(.startupAllRed, tick) }
        case .startupAllRed:
            if done { enter(plan.regime.hasRedAmber ? .vehicleRedAmber : .vehicleGreen, tick) }
        case .vehicleRedAmber:
            if done { enter(.vehicleGreen, tick) }
        case .vehicleGreen:
            if state.demand != nil && done {
                enter(plan.flashingGreen > .zero ? .vehicleFlashingGreen : .vehicleAmber, tick)
            }
        case .vehicleFlashingGreen:
            if done { enter(.vehicleAmber, tick) }
        case .vehicleAmber:
            if done {
                if let pending = state.pendingMode { setMode(pending, tick: tick, events: &events) } else { enter(.allRedBeforeWalk, tick) }
            }
        case .allRedBeforeWalk:
            if state.walkInhibited {
                enter(.allRedAfterClearance, tick)  // no walk over a dark red: the vehicles go back to green
            } else if done {
                enter(.pedestrianWalk, tick)
                if let role = state.demand {
                    events.emit(Event(.demandServed(by: role, wait: Ticks(Int(clamping: tick - waitingSince))), tick: tick))
                }
                state.demand = nil
            }
        case .pedestrianWalk:
            if done { beginClearance(tick: tick, events: &events) }
        case .pedestrianClearance:
            // Extended while someone is on the crossing, between the clearance and its maximum; the timer
            // runs from the maximum, so the fixed part has run once the maximum less the clearance is left.
            let minimumRun = state.phaseTimer.left <= plan.clearanceMax - plan.clearance
            if done || (state.clearance == .extending && minimumRun && !inputs.active.contains(.pedCrossing)) {
                enter(.allRedAfterClearance, tick)
                state.crossingDetectorSeen = false
            }
        case .allRedAfterClearance:
            if done {
                if let pending = state.pendingMode {
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
        if state.kerbDwell != nil { state.kerbDwell = Countdown(plan.kerbDwell) }
        guard clearanceExtends else {
            state.clearance = .fixed
            state.phaseTimer = Countdown(plan.clearance)
            return
        }
        if !state.crossingDetectorSeen {
            // Puffin rule: a detector that saw nobody since the last crossing may be blind; assume people.
            state.clearance = .maximum
            if !state.suspectRaised {
                state.suspectRaised = true
                events.emit(Event(.detectorSuspect(.raised), tick: tick))
            }
        } else {
            state.clearance = .extending
            if state.suspectRaised {
                state.suspectRaised = false
                events.emit(Event(.detectorSuspect(.cleared), tick: tick))
            }
        }
    }

    /// The lamps of the current phase at this tick.
    public func lamps(tick: UInt64, flasher: Flasher) -> (lit: OutputSet, countdown: UInt16?) {
        var lit = OutputSet()
        let flashOn = flasher.isLit(at: tick)
        switch state.phase {
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
        switch state.phase {
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
            countdown = clearanceCountdown()
        }
        addPushButtonLamps(to: &lit)
        return (lit, countdown)
    }

    /// Seconds left of a fixed clearance for the countdown display, nil when it stays dark.
    private func clearanceCountdown() -> UInt16? {
        guard state.clearance == .fixed && plan.countdownWanted && plan.clearance > plan.countdownThreshold else { return nil }
        let remaining = state.phaseTimer.left.count
        return remaining > 0 ? UInt16(clamping: (remaining + plan.ticksPerSecond - 1) / plan.ticksPerSecond) : nil
    }

    /// The wait lamp tells a pedestrian the demand is registered; the locator tone helps find the button.
    /// (In flash and dark modes the pedestrian heads are dark, and these with them.)
    private func addPushButtonLamps(to lit: inout OutputSet) {
        if state.demand != nil && !state.phase.isPedestrianPhase { lit.insert(.pedWait) }
        if state.phase != .pedestrianWalk { lit.insert(.apsLocator) }
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
        switch state.phase {
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
            countdown = clearanceCountdown()
        case .allRedAfterClearance:
            lit.set(.vehicleRed, flashOn)
            lit.set(.vehicleRedRight, otherOn)
            lit.insert(.pedDontWalk)
        }
        addPushButtonLamps(to: &lit)
        return (lit, countdown)
    }
}

/// How a clearance ends, decided as it begins.
public enum ClearanceEnd: UInt8, Hashable, Sendable {
    /// After the clearance: no on-crossing detector can extend it.
    case fixed
    /// After the clearance, or later while someone is on the crossing, up to the maximum.
    case extending
    /// After the maximum: the on-crossing detector is suspect, so people are assumed on the crossing.
    case maximum
}

/// What decides a signalized crossing's future: the phase and its timer, the mode, the demand, and the
/// detectors' timers and flags.
public struct CrossingState: Hashable, Sendable {
    public internal(set) var phase: CrossingPhase = .startupFlash
    /// Until the phase's time has run: its duration, or its minimum where it rests (green) or extends
    /// (the clearance).
    public internal(set) var phaseTimer: Countdown
    public internal(set) var mode: OperatingMode = .normal
    var pendingMode: OperatingMode?
    /// Until flash or dark reverts to normal by itself, nil when it does not.
    var revert: Countdown?
    /// The revert time of a mode still pending.
    var pendingRevert: Ticks?
    var demand: InputRole?
    /// Until a pedestrian at the kerb places a demand, nil while nobody is there.
    var kerbDwell: Countdown?
    /// Until a kerb that stays empty cancels its demand, nil while somebody is there.
    var kerbCancel: Countdown?
    var crossingDetectorSeen = false
    var suspectRaised = false
    /// How the current (or last) clearance ends.
    public internal(set) var clearance: ClearanceEnd = .fixed
    var walkInhibited = false

    /// One tick passes.
    mutating func advance() {
        phaseTimer.advance()
        revert.advance()
        kerbDwell.advance()
        kerbCancel.advance()
    }
}
