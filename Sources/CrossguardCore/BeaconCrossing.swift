/// How the beacons of an unsignalized smart crossing flash while it is active.
public enum BeaconPattern: String, CaseIterable, Sendable {
    /// The site's 1 Hz flasher (MUTCD 4G.01), left and right beacons alternating (Kazakhstan T.7 beacons).
    case steady1Hz = "steady-1hz"
    /// FHWA Interim Approval 21 for RRFBs: 75 sequences a minute, 800 ms each, the left light first:
    /// L, R, L, R, both, both, each lit 50 ms with 50 ms dark between, then 250 ms dark.
    case rrfb
}

/// The beacon crossing's settings as written in the site file, in milliseconds, validated.
public struct BeaconSettings: Equatable, Sendable {
    public var lengthMeters: Double
    public var walkingSpeedMetersPerSecond: Double
    /// Added to length ÷ speed for one activation.
    public var buffer: Milliseconds
    /// The longest an activation may be extended to by on-crossing presence.
    public var maximum: Milliseconds
    public var pattern: BeaconPattern
    /// Kerbside presence must last this long to activate the crossing.
    public var kerbDwell: Milliseconds
    /// Ambient light below this (lux) is night: the floodlight lights the crosswalk.
    public var nightBelowLux: Double
    /// Ambient light above this (lux) is day again (hysteresis).
    public var dayAboveLux: Double
    /// A kerb detector active longer than this is stuck: ignored (buttons still work) until it clears.
    public var kerbStuckAfter: Milliseconds
    /// A presence detector that has not been active for this long raises a warning.
    public var detectorIdleAfter: Milliseconds

    /// Settings as given; `SiteConfig.load` validates them.
    public init(lengthMeters: Double, walkingSpeedMetersPerSecond: Double, buffer: Milliseconds, maximum: Milliseconds, pattern: BeaconPattern,
                kerbDwell: Milliseconds, nightBelowLux: Double, dayAboveLux: Double, kerbStuckAfter: Milliseconds, detectorIdleAfter: Milliseconds) {
        self.lengthMeters = lengthMeters
        self.walkingSpeedMetersPerSecond = walkingSpeedMetersPerSecond
        self.buffer = buffer
        self.maximum = maximum
        self.pattern = pattern
        self.kerbDwell = kerbDwell
        self.nightBelowLux = nightBelowLux
        self.dayAboveLux = dayAboveLux
        self.kerbStuckAfter = kerbStuckAfter
        self.detectorIdleAfter = detectorIdleAfter
    }

    /// One activation: the time to cross (rounded up to the millisecond) plus the buffer.
    public var activation: Milliseconds {
        Milliseconds(Int((lengthMeters / walkingSpeedMetersPerSecond * 1000).rounded(.up))) + buffer
    }
}

/// The beacon crossing's timings in ticks.
public struct BeaconPlan: Hashable, Sendable {
    public var activation: Ticks
    public var maximum: Ticks
    public var pattern: BeaconPattern
    public var kerbDwell: Ticks
    public var nightBelowLux: Double
    public var dayAboveLux: Double
    public var kerbStuckAfter: Ticks
    public var detectorIdleAfter: Ticks
    /// 50 ms, the RRFB segment.
    public var rrfbSegment: Ticks
    /// How long the accessible-audio trigger stays on after each activation or press (1 s).
    public var audioPulse: Ticks

    /// The plan for validated settings; durations round up to whole ticks.
    public init(_ s: BeaconSettings, tickMs: Int) {
        let t = { (d: Milliseconds) in Ticks(roundingUp: d, tickMs: tickMs) }
        activation = t(s.activation)
        maximum = max(t(s.maximum), activation)
        pattern = s.pattern
        kerbDwell = t(s.kerbDwell)
        nightBelowLux = s.nightBelowLux
        dayAboveLux = s.dayAboveLux
        kerbStuckAfter = t(s.kerbStuckAfter)
        detectorIdleAfter = t(s.detectorIdleAfter)
        rrfbSegment = Ticks(max(1, 50 / tickMs))
        audioPulse = t(1_000)
    }

    /// One RRFB sequence: 16 segments of 50 ms, 800 ms.
    public var rrfbSequence: Ticks { Ticks(rrfbSegment.count * 16) }

    /// Whether the RRFB pattern lights the left and right beacons `into` a sequence.
    public func rrfb(into position: Ticks) -> (left: Bool, right: Bool) {
        switch position.count / rrfbSegment.count % 16 {
        case 0, 4: return (true, false)
        case 2, 6: return (false, true)
        case 8, 10: return (true, true)
        default: return (false, false)
        }
    }
}

/// An unsignalized smart crosswalk (profile `beacon`: Kazakhstan T.7 beacons, US RRFB): dark
/// until a button or a waiting pedestrian activates it, then beacons and road studs flash, the floodlight
/// lights the crosswalk at night and the accessible-audio trigger fires, for the time to cross plus a
/// buffer, extended while someone is on the crossing, up to a maximum.
public struct BeaconCrossing: Sendable {
    public let plan: BeaconPlan
    public let hasKerbDetector: Bool
    public let hasCrossingDetector: Bool
    /// Everything that decides what the crossing does next, and nothing else: exhaustive exploration
    /// hashes it as it is.
    public private(set) var state = BeaconState()
    /// The tick the current activation began, for the length its cleared event reports (an activation
    /// that presses keep going has no bound, so this is kept apart from the state).
    public private(set) var activatedAt: UInt64 = 0

    /// Whether the crossing is active (warning drivers).
    public var active: Bool { state.active }
    public var mode: OperatingMode { state.mode }
    /// Night by the ambient light, with hysteresis; true until a reading says otherwise (light the crossing when unsure).
    public var night: Bool { state.night }
    /// Whether the kerb detector is held stuck and ignored.
    public var kerbStuck: Bool { state.kerbStuck }

    /// A dark crossing, waiting for its first pedestrian.
    public init(plan: BeaconPlan, hasKerbDetector: Bool, hasCrossingDetector: Bool) {
        self.plan = plan
        self.hasKerbDetector = hasKerbDetector
        self.hasCrossingDetector = hasCrossingDetector
        state.idle = Countdown(plan.detectorIdleAfter)
    }

    /// Advances one tick and returns the lamps. `ambientLux` is the newest light reading, nil if none.
    public mutating func step(tick: UInt64, inputs: Inputs, ambientLux: Double?, flasher: Flasher, events: inout EventBuffer) -> OutputSet {
        if let revert = state.revert, revert.isDone {
            state.revert = nil
            if state.mode != .normal {
                state.mode = .normal
                events.emit(Event(.modeChanged(to: .normal), tick: tick))
            }
        }
        if let lux = ambientLux {
            if state.night && lux > plan.dayAboveLux { state.night = false } else if !state.night && lux < plan.nightBelowLux { state.night = true }
        }
        superviseDetectors(tick: tick, inputs: inputs, events: &events)

        if inputs.rose.contains(.pedButton) { activate(tick: tick, by: .pedButton, events: &events) }
        if hasKerbDetector && !state.kerbStuck, let kerb = state.kerb, kerb.dwell.isDone, !state.active || plan.activation > state.ends.left {
            activate(tick: tick, by: .pedKerb, events: &events)  // a waiting pedestrian keeps it going
        }
        if state.active && inputs.active.contains(.pedCrossing) {
            // Someone is still on the crossing: hold it one more tick, never past the maximum.
            state.ends = Countdown(min(max(state.ends.left, 1), state.holdLimit.left))
        }
        if state.active && state.ends.isDone {
            state.active = false
            state.pattern = .zero
            state.holdLimit = .done
            events.emit(Event(.beaconActivation(.ended(after: Ticks(Int(clamping: tick - activatedAt)))), tick: tick))
        }
        let lit = lamps(tick: tick, flasher: flasher)
        state.advance(plan)
        return lit
    }

    /// Handles `mode.set`: flash keeps the beacons flashing (the old always-on practice), dark switches them off.
    public mutating func request(mode newMode: OperatingMode, revertAfterTicks: Int?, tick: UInt64, events: inout EventBuffer) {
        state.revert = newMode == .normal ? nil : revertAfterTicks.map { Countdown(Ticks(max(1, $0))) }
        guard newMode != state.mode else { return }
        state.mode = newMode
        events.emit(Event(.modeChanged(to: newMode), tick: tick))
    }

    private mutating func activate(tick: UInt64, by role: InputRole, events: inout EventBuffer) {
        guard state.mode == .normal else { return }
        let wasActive = state.active
        if !state.active {
            state.active = true
            activatedAt = tick
            state.pattern = .zero
            state.ends = Countdown(plan.activation)
            state.holdLimit = Countdown(plan.maximum)
            events.emit(Event(.beaconActivation(.began(by: role)), tick: tick))
        } else if role == .pedButton {
            // A press is a pedestrian who has just arrived: the full time to cross, and a new maximum from now.
            state.ends.extend(to: plan.activation)
            state.holdLimit = Countdown(plan.maximum)
        } else {
            // A waiting pedestrian restarts the time to cross, within the maximum.
            state.ends = Countdown(min(max(state.ends.left, plan.activation), state.holdLimit.left))
        }
        if role == .pedButton || !wasActive { state.audio = Countdown(plan.audioPulse) }
    }

    /// Stuck kerb detectors are ignored until they clear; detectors silent for too long raise a warning.
    private mutating func superviseDetectors(tick: UInt64, inputs: Inputs, events: inout EventBuffer) {
        let kerb = hasKerbDetector && inputs.active.contains(.pedKerb)
        if kerb { if state.kerb == nil { state.kerb = BeaconState.Kerb(plan) } } else { state.kerb = nil }
        if kerb, let timers = state.kerb, !state.kerbStuck, timers.stuck.isDone {
            state.kerbStuck = true
            events.emit(Event(.detectorStuck(.raised), tick: tick))
        } else if state.kerbStuck && !kerb {
            state.kerbStuck = false
            events.emit(Event(.detectorStuck(.cleared), tick: tick))
        }
        guard hasKerbDetector || hasCrossingDetector else { return }
        if inputs.rose.contains(.pedKerb) || inputs.rose.contains(.pedCrossing) {
            state.idle = Countdown(plan.detectorIdleAfter)
            if state.idleRaised {
                state.idleRaised = false
                events.emit(Event(.detectorIdle(.cleared), tick: tick))
            }
        } else if !state.idleRaised && state.idle.isDone {
            state.idleRaised = true
            events.emit(Event(.detectorIdle(.raised), tick: tick))
        }
    }

    /// The lamps at this tick.
    public func lamps(tick: UInt64, flasher: Flasher) -> OutputSet {
        var lit = OutputSet()
        switch state.mode {
        case .dark:
            return lit
        case .flash:
            lit.set(.beaconLeft, flasher.isLit(at: tick))
            lit.set(.beaconRight, flasher.isLit(at: tick + UInt64(flasher.periodTicks / 2)))
            return lit
        case .normal:
            guard state.active else { return lit }
        }
        switch plan.pattern {
        case .steady1Hz:
            lit.set(.beaconLeft, flasher.isLit(at: tick))
            lit.set(.beaconRight, flasher.isLit(at: tick + UInt64(flasher.periodTicks / 2)))
        case .rrfb:
            let (left, right) = plan.rrfb(into: state.pattern)
            lit.set(.beaconLeft, left)
            lit.set(.beaconRight, right)
        }
        lit.set(.studs, flasher.isLit(at: tick))
        lit.set(.flood, state.night)
        lit.set(.apsWalk, state.audio.isRunning)
        return lit
    }
}

/// What decides a beacon crossing's future: its mode, whether it is active, and its timers.
public struct BeaconState: Hashable, Sendable {
    /// The kerb detector's timers while it is active, from the tick it came on.
    struct Kerb: Hashable, Sendable {
        /// Until the waiting pedestrian activates the crossing.
        var dwell: Countdown
        /// Until the detector is stuck.
        var stuck: Countdown

        init(_ plan: BeaconPlan) {
            dwell = Countdown(plan.kerbDwell)
            stuck = Countdown(plan.kerbStuckAfter)
        }
    }

    public internal(set) var active = false
    public internal(set) var mode: OperatingMode = .normal
    public internal(set) var night = true
    public internal(set) var kerbStuck = false
    /// Until the activation ends, unless someone is still on the crossing.
    public internal(set) var ends = Countdown.done
    /// Presence holds the activation this long at most: the maximum after the activation or the newest
    /// press. A stuck detector cannot hold it longer; a new press always gets its full time to cross.
    public internal(set) var holdLimit = Countdown.done
    /// How far the RRFB pattern is into its sequence (zero while inactive).
    var pattern = Ticks.zero
    /// Until the accessible-audio trigger goes off.
    var audio = Countdown.done
    /// Until flash or dark reverts to normal by itself, nil when it does not.
    var revert: Countdown?
    /// The kerb detector's timers, nil while it is not active.
    var kerb: Kerb?
    /// Until a detector that saw nobody raises `detector.idle`.
    var idle = Countdown.done
    var idleRaised = false

    /// One tick passes.
    mutating func advance(_ plan: BeaconPlan) {
        ends.advance()
        holdLimit.advance()
        audio.advance()
        revert.advance()
        idle.advance()
        if var k = kerb {
            k.dwell.advance()
            k.stuck.advance()
            kerb = k
        }
        if active && plan.pattern == .rrfb { pattern = Ticks((pattern.count + 1) % plan.rrfbSequence.count) }
    }
}
