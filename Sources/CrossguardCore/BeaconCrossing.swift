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
    public var bufferMs: Int
    /// The longest an activation may be extended to by on-crossing presence.
    public var maximumMs: Int
    public var pattern: BeaconPattern
    /// Kerbside presence must last this long to activate the crossing.
    public var kerbDwellMs: Int
    /// Ambient light below this (lux) is night: the floodlight lights the crosswalk.
    public var nightBelowLux: Double
    /// Ambient light above this (lux) is day again (hysteresis).
    public var dayAboveLux: Double
    /// A kerb detector active longer than this is stuck: ignored (buttons still work) until it clears.
    public var kerbStuckAfterMs: Int
    /// A presence detector that has not been active for this long raises a warning.
    public var detectorIdleAfterMs: Int

    /// Settings as given; `SiteConfig.load` validates them.
    public init(lengthMeters: Double, walkingSpeedMetersPerSecond: Double, bufferMs: Int, maximumMs: Int, pattern: BeaconPattern,
                kerbDwellMs: Int, nightBelowLux: Double, dayAboveLux: Double, kerbStuckAfterMs: Int, detectorIdleAfterMs: Int) {
        self.lengthMeters = lengthMeters
        self.walkingSpeedMetersPerSecond = walkingSpeedMetersPerSecond
        self.bufferMs = bufferMs
        self.maximumMs = maximumMs
        self.pattern = pattern
        self.kerbDwellMs = kerbDwellMs
        self.nightBelowLux = nightBelowLux
        self.dayAboveLux = dayAboveLux
        self.kerbStuckAfterMs = kerbStuckAfterMs
        self.detectorIdleAfterMs = detectorIdleAfterMs
    }

    /// One activation: the time to cross plus the buffer, in milliseconds (rounded up).
    public var activationMs: Int {
        Int((lengthMeters / walkingSpeedMetersPerSecond * 1000).rounded(.up)) + bufferMs
    }
}

/// The beacon crossing's timings in ticks.
public struct BeaconPlan: Equatable, Sendable {
    public var activation: Int
    public var maximum: Int
    public var pattern: BeaconPattern
    public var kerbDwell: Int
    public var nightBelowLux: Double
    public var dayAboveLux: Double
    public var kerbStuckAfter: Int
    public var detectorIdleAfter: Int
    /// Ticks in 50 ms, the RRFB segment.
    public var rrfbSegment: Int
    /// Ticks the accessible-audio trigger stays on after each activation or press (1 s).
    public var audioPulse: Int

    /// The plan for validated settings; durations round up to whole ticks.
    public init(_ s: BeaconSettings, tickMs: Int) {
        let t = { ticksRoundingUp($0, tickMs: tickMs) }
        activation = t(s.activationMs)
        maximum = max(t(s.maximumMs), activation)
        pattern = s.pattern
        kerbDwell = t(s.kerbDwellMs)
        nightBelowLux = s.nightBelowLux
        dayAboveLux = s.dayAboveLux
        kerbStuckAfter = t(s.kerbStuckAfterMs)
        detectorIdleAfter = t(s.detectorIdleAfterMs)
        rrfbSegment = max(1, 50 / tickMs)
        audioPulse = t(1_000)
    }

    /// Whether the RRFB pattern lights the left and right beacons at this tick (sequences start at `since`).
    public func rrfb(at tick: UInt64, since: UInt64) -> (left: Bool, right: Bool) {
        let segment = Int(tick - since) / rrfbSegment % 16  // 16 segments of 50 ms = 800 ms
        switch segment {
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

    /// Whether the crossing is active (warning drivers).
    public private(set) var active = false
    public private(set) var activeSince: UInt64 = 0
    /// When the current activation ends, unless someone is still on the crossing.
    public private(set) var endsAt: UInt64 = 0
    /// Presence holds the activation up to this tick at most: the maximum after the activation or the
    /// newest press. A stuck detector cannot hold it longer; a new press always gets its full time to cross.
    public private(set) var holdLimit: UInt64 = 0
    private(set) var audioUntil: UInt64 = 0
    public private(set) var mode: OperatingMode = .normal
    private(set) var revertAt: UInt64?
    /// Night by the ambient light, with hysteresis; true until a reading says otherwise (light the crossing when unsure).
    public private(set) var night = true
    private(set) var kerbSince: UInt64?
    /// Whether the kerb detector is held stuck and ignored.
    public private(set) var kerbStuck = false
    private(set) var lastPresence: UInt64 = 0
    private(set) var idleRaised = false

    /// A dark crossing, waiting for its first pedestrian.
    public init(plan: BeaconPlan, hasKerbDetector: Bool, hasCrossingDetector: Bool) {
        self.plan = plan
        self.hasKerbDetector = hasKerbDetector
        self.hasCrossingDetector = hasCrossingDetector
    }

    /// Advances one tick and returns the lamps. `ambientLux` is the newest light reading, nil if none.
    public mutating func step(tick: UInt64, inputs: Inputs, ambientLux: Double?, flasher: Flasher, events: inout EventBuffer) -> OutputSet {
        if let until = revertAt, tick >= until {
            revertAt = nil
            if mode != .normal {
                mode = .normal
                events.emit(Event(.modeChanged, tick: tick, mode: .normal))
            }
        }
        if let lux = ambientLux {
            if night && lux > plan.dayAboveLux { night = false } else if !night && lux < plan.nightBelowLux { night = true }
        }
        superviseDetectors(tick: tick, inputs: inputs, events: &events)

        if inputs.rose.contains(.pedButton) { activate(tick: tick, by: .pedButton, events: &events) }
        if hasKerbDetector && !kerbStuck, let since = kerbSince, tick - since >= UInt64(plan.kerbDwell), !active || tick + UInt64(plan.activation) > endsAt {
            activate(tick: tick, by: .pedKerb, events: &events)  // a waiting pedestrian keeps it going
        }
        if active && inputs.active.contains(.pedCrossing) {
            // Someone is still on the crossing: hold it one more tick, never past the maximum.
            endsAt = min(max(endsAt, tick + 1), holdLimit)
        }
        if active && tick >= endsAt {
            active = false
            events.emit(Event(.beaconActivation, tick: tick, state: .cleared, waitTicks: UInt32(clamping: tick - activeSince)))
        }
        return lamps(tick: tick, flasher: flasher)
    }

    /// Handles `mode.set`: flash keeps the beacons flashing (the old always-on practice), dark switches them off.
    public mutating func request(mode newMode: OperatingMode, revertAfterTicks: Int?, tick: UInt64, events: inout EventBuffer) {
        revertAt = newMode == .normal ? nil : revertAfterTicks.map { tick + UInt64(max(1, $0)) }
        guard newMode != mode else { return }
        mode = newMode
        events.emit(Event(.modeChanged, tick: tick, mode: newMode))
    }

    private mutating func activate(tick: UInt64, by role: InputRole, events: inout EventBuffer) {
        guard mode == .normal else { return }
        let wasActive = active
        if !active {
            active = true
            activeSince = tick
            endsAt = tick + UInt64(plan.activation)
            holdLimit = tick + UInt64(plan.maximum)
            events.emit(Event(.beaconActivation, tick: tick, state: .raised, role: role))
        } else if role == .pedButton {
            // A press is a pedestrian who has just arrived: the full time to cross, and a new maximum from now.
            endsAt = max(endsAt, tick + UInt64(plan.activation))
            holdLimit = tick + UInt64(plan.maximum)
        } else {
            // A waiting pedestrian restarts the time to cross, within the maximum.
            endsAt = min(max(endsAt, tick + UInt64(plan.activation)), holdLimit)
        }
        if role == .pedButton || !wasActive { audioUntil = tick + UInt64(plan.audioPulse) }
    }

    /// Stuck kerb detectors are ignored until they clear; detectors silent for too long raise a warning.
    private mutating func superviseDetectors(tick: UInt64, inputs: Inputs, events: inout EventBuffer) {
        let kerb = hasKerbDetector && inputs.active.contains(.pedKerb)
        if kerb { if kerbSince == nil { kerbSince = tick } } else { kerbSince = nil }
        if kerb, let since = kerbSince, !kerbStuck, tick - since >= UInt64(plan.kerbStuckAfter) {
            kerbStuck = true
            events.emit(Event(.detectorStuck, tick: tick, state: .raised, role: .pedKerb))
        } else if kerbStuck && !kerb {
            kerbStuck = false
            events.emit(Event(.detectorStuck, tick: tick, state: .cleared, role: .pedKerb))
        }
        guard hasKerbDetector || hasCrossingDetector else { return }
        if inputs.rose.contains(.pedKerb) || inputs.rose.contains(.pedCrossing) {
            lastPresence = tick
            if idleRaised {
                idleRaised = false
                events.emit(Event(.detectorIdle, tick: tick, state: .cleared))
            }
        } else if !idleRaised && tick - lastPresence >= UInt64(plan.detectorIdleAfter) {
            idleRaised = true
            events.emit(Event(.detectorIdle, tick: tick, state: .raised))
        }
    }

    /// The lamps at this tick.
    public func lamps(tick: UInt64, flasher: Flasher) -> OutputSet {
        var lit = OutputSet()
        switch mode {
        case .dark:
            return lit
        case .flash:
            lit.set(.beaconLeft, flasher.isLit(at: tick))
            lit.set(.beaconRight, flasher.isLit(at: tick + UInt64(flasher.periodTicks / 2)))
            return lit
        case .normal:
            guard active else { return lit }
        }
        switch plan.pattern {
        case .steady1Hz:
            lit.set(.beaconLeft, flasher.isLit(at: tick))
            lit.set(.beaconRight, flasher.isLit(at: tick + UInt64(flasher.periodTicks / 2)))
        case .rrfb:
            let (left, right) = plan.rrfb(at: tick, since: activeSince)
            lit.set(.beaconLeft, left)
            lit.set(.beaconRight, right)
        }
        lit.set(.studs, flasher.isLit(at: tick))
        lit.set(.flood, night)
        lit.set(.apsWalk, tick < audioUntil)
        return lit
    }
}
