/// The crossing a controller runs, with its timings in ticks: one of them, or none.
public enum StreetPlan: Equatable, Sendable {
    /// A signalized crossing, or a pedestrian hybrid beacon (`SignalPlan.hybrid`).
    case signalized(SignalPlan)
    /// A beacon crossing.
    case beacon(BeaconPlan)
    /// No crossing: an SOS post alone.
    case none
}

/// Everything the controller needs to know, fixed at start-up: derived from the validated site and board.
public struct ControllerConfig: Equatable, Sendable {
    public var tickMs: Int
    /// The crossing and its timings.
    public var street: StreetPlan
    /// The SOS post's timings, nil when the site has no post.
    public var sos: SOSPlan?
    /// Input roles wired on this board (a missing `mains.ok` must not read as "mains lost").
    public var presentInputs: InputSet
    /// The site's 1 Hz flasher (flash mode, flashing green or walk, strobe).
    public var flasher: Flasher
    /// 4 Hz: the unanswered SOS alarm's yellow light.
    public var fastBlink: Flasher
    /// Ticks between self-test reports.
    public var selfTestEvery: Ticks

    /// The configuration for a validated site on a validated board.
    public init(site: SiteConfig, board: BoardConfig) {
        tickMs = site.tickMs
        switch site.profile {
        case .signalized(let c): street = .signalized(SignalPlan(c, regime: site.regime, hybrid: false, tickMs: site.tickMs))
        case .hybridBeacon(let c): street = .signalized(SignalPlan(c, regime: site.regime, hybrid: true, tickMs: site.tickMs))
        case .beacon(let b): street = .beacon(BeaconPlan(b, tickMs: site.tickMs))
        case .none: street = .none
        }
        sos = site.sos.map { SOSPlan($0, tickMs: site.tickMs) }
        presentInputs = board.inputRoles
        flasher = Flasher(site.flash, tickMs: site.tickMs)
        let quarter = max(2, 250 / site.tickMs)
        fastBlink = Flasher(periodTicks: quarter, onTicks: max(1, quarter / 2))
        selfTestEvery = Ticks(roundingUp: site.sos?.selfTestEvery ?? 86_400_000, tickMs: site.tickMs)
    }

    /// The signalized crossing's or hybrid beacon's timings, nil for any other street.
    public var crossing: SignalPlan? {
        if case .signalized(let plan) = street { return plan }
        return nil
    }

    /// The beacon crossing's timings, nil for any other street.
    public var beacon: BeaconPlan? {
        if case .beacon(let plan) = street { return plan }
        return nil
    }
}

/// Where the controller keeps its crossing between ticks. Only the kind `config.street` names is ever set
/// (`init` and `restartCrossing` make it from the plan, nothing else assigns it); it is two optionals, not
/// an enum of the crossings, because an optional's payload is stepped in place, while taking a crossing (its plan
/// included) out of an enum and putting it back copies it twice a tick: 1,665 instead of 1,497
/// instructions per tick (callgrind, `Benchmarks` step-count, 2026-12-06).
struct StreetStorage: Sendable {
    var signalized: SignalizedCrossing?
    var beacon: BeaconCrossing?
}

/// The lamps and the countdown the controller wants shown after one tick.
public struct Outputs: Equatable, Sendable {
    /// Lit outputs, by role; numbered copies show the same.
    public var lit: OutputSet
    /// Seconds on the countdown display, nil when dark.
    public var countdown: UInt16?

    /// Outputs with these lamps lit.
    public init(lit: OutputSet = OutputSet(), countdown: UInt16? = nil) {
        self.lit = lit
        self.countdown = countdown
    }
}

/// What one tick of the device produced besides events: the word that reaches the lines.
public struct StepResult: Equatable, Sendable {
    public var outputs: Outputs
    /// The answer to this tick's command, nil when there was none.
    public var commandOutcome: CommandOutcome?
    /// What changed in the safety monitor's latch, for the runtime that keeps it across restarts.
    public var latch: LatchChange

    /// A result from its parts.
    public init(outputs: Outputs, commandOutcome: CommandOutcome?, latch: LatchChange = .unchanged) {
        self.outputs = outputs
        self.commandOutcome = commandOutcome
        self.latch = latch
    }
}

/// Each controller's lamps after one tick, before the device composes them into the one output word.
public struct ControllerLamps: Equatable, Sendable {
    /// The signalized crossing's or hybrid beacon's heads, push-button lamps and floodlight.
    public var crossing = OutputSet()
    /// The beacon crossing's beacons, studs, floodlight and audible signal.
    public var beacon = OutputSet()
    /// The SOS post's lights.
    public var sos = OutputSet()
    /// Seconds on the countdown display, nil when dark.
    public var countdown: UInt16?

    /// All dark.
    public init() {}
}

/// What the controller produced in one tick: its lamps, and the answer to its command.
public struct ControllerStep: Equatable, Sendable {
    public var lamps: ControllerLamps
    /// The answer to this tick's command, nil when there was none (or the device answered it).
    public var commandOutcome: CommandOutcome?
}

/// What the safety layer lets the signalized crossing do this tick. The device hands it in from the
/// monitor's state, so the controller obeys the monitor without ever seeing it.
public enum CrossingPermit: Equatable, Sendable {
    /// Run as normal.
    case run
    /// Run, but place no new demand: a vehicle red lamp has failed, so no walk may be shown.
    case noWalk
    /// Do not run: the fail-safe is latched and shown in the crossing's place.
    case held
}

/// The controllers of one site as one value: the crossing (or the beacon crossing), the SOS post and the
/// cabinet conditions. `step` takes one tick's inputs and returns each controller's lamps, with no clock,
/// no I/O and no allocation. It knows nothing of the safety monitor: `Device` composes its lamps and has
/// them checked. Same state and inputs give the same result on any machine.
public struct Controller: Sendable {
    public let config: ControllerConfig
    /// The tick the next `step` handles.
    public private(set) var tick: UInt64 = 0
    private var storage = StreetStorage()
    /// The SOS post, nil when the site has none.
    public private(set) var sos: SOSPost?
    /// Open supervision conditions (tamper, mains lost, battery low), by the input role behind each.
    public private(set) var openConditions = InputSet()
    /// Roles whose I2C sensor is not answering, as last reported.
    public private(set) var silentSensors = InputSet()

    /// The controllers at power-up. `nextAlarmID` continues the device's alarm numbering across restarts.
    public init(config: ControllerConfig, nextAlarmID: UInt32 = 1) {
        self.config = config
        storage = Controller.freshStreet(config, at: 0)
        if let plan = config.sos { sos = SOSPost(plan: plan, nextAlarmID: nextAlarmID) }
    }

    /// The signalized crossing or hybrid beacon, nil for any other street.
    public var crossing: SignalizedCrossing? { storage.signalized }

    /// The beacon crossing, nil for any other street.
    public var beacon: BeaconCrossing? { storage.beacon }

    /// One `detector.fault` raised or cleared per role whose sensor went silent or came back.
    private mutating func reportSensors(_ silent: InputSet, tick: UInt64, events: inout EventBuffer) {
        var changed = silent.bits ^ silentSensors.bits
        while changed != 0 {
            let bit = changed.trailingZeroBitCount
            changed &= changed - 1
            guard let role = InputRole(rawValue: UInt8(bit)) else { continue }
            events.emit(Event(.detectorFault(silent.contains(role) ? .raised : .cleared, sensor: role), tick: tick))
        }
        silentSensors = silent
    }

    /// Runs one tick under `permit`. Events go to `events` (numbered there); the command, if any, is answered
    /// in the result.
    public mutating func step(_ inputs: Inputs, permit: CrossingPermit = .run, events: inout EventBuffer) -> ControllerStep {
        let now = tick
        if inputs.silentSensors != silentSensors { reportSensors(inputs.silentSensors, tick: now, events: &events) }
        var outcome: CommandOutcome?
        if let command = inputs.command { outcome = handle(command, tick: now, events: &events) }

        var lamps = ControllerLamps()
        // Stepped in place through optional chaining: no copy, no force-unwrap.
        if permit != .held {
            storage.signalized?.walkInhibited = permit == .noWalk
            if let shown = storage.signalized?.step(tick: now, inputs: inputs, flasher: config.flasher, events: &events) {
                lamps.crossing = shown.lit
                lamps.countdown = shown.countdown
            }
        }
        if let lit = storage.beacon?.step(tick: now, inputs: inputs, ambientLux: inputs.ambientLux, flasher: config.flasher, events: &events) {
            lamps.beacon = lit
        }
        sos?.step(tick: now, inputs: inputs, events: &events)
        if let lit = sos?.lamps(tick: now, flasher: config.flasher, fastBlink: config.fastBlink) { lamps.sos = lit }
        supervise(inputs, tick: now, events: &events)
        tick = now + 1
        return ControllerStep(lamps: lamps, commandOutcome: outcome)
    }

    /// Starts the crossing afresh from its start-up sequence (after a latched fail-safe is reset).
    public mutating func restartCrossing(at tick: UInt64) {
        if storage.signalized != nil { storage = Controller.freshStreet(config, at: tick) }
    }

    private mutating func handle(_ command: Command, tick: UInt64, events: inout EventBuffer) -> CommandOutcome {
        switch command {
        case .acknowledgeAlarm(let id):
            return sos?.acknowledge(alarmID: id, tick: tick, events: &events) ?? .refused(.noSOSPost)
        case .closeAlarm(let id):
            return sos?.close(alarmID: id, tick: tick, events: &events) ?? .refused(.noSOSPost)
        case .setMode(let mode, let revert):
            switch config.street {
            case .signalized: storage.signalized?.request(mode: mode, revertAfterTicks: revert, tick: tick, events: &events)
            case .beacon: storage.beacon?.request(mode: mode, revertAfterTicks: revert, tick: tick, events: &events)
            case .none: return .refused(.noCrossing)
            }
            return .accepted
        // The monitor's commands: `Device` answers them and never hands them on; a controller run on its
        // own has no monitor to ask.
        case .resetFault:
            return .refused(.nothingLatched)
        case .lampTest:
            return .refused(.noLampSensing)
        case .report(let report):
            events.emit(report.event(tick: tick))
            return .accepted
        }
    }

    /// The street at power-up, or after a reset out of the fail-safe: the crossing from its start-up.
    private static func freshStreet(_ config: ControllerConfig, at tick: UInt64) -> StreetStorage {
        let kerb = config.presentInputs.contains(.pedKerb), onCrossing = config.presentInputs.contains(.pedCrossing)
        var storage = StreetStorage()
        switch config.street {
        case .signalized(let plan): storage.signalized = SignalizedCrossing(plan: plan, hasKerbDetector: kerb, hasCrossingDetector: onCrossing, startingAt: tick)
        case .beacon(let plan): storage.beacon = BeaconCrossing(plan: plan, hasKerbDetector: kerb, hasCrossingDetector: onCrossing)
        case .none: break
        }
        return storage
    }

    /// Raise and clear of the cabinet conditions, and the periodic self-test report.
    private mutating func supervise(_ inputs: Inputs, tick: UInt64, events: inout EventBuffer) {
        let present = config.presentInputs
        condition(EventDetail.tamper, role: .cabinetDoor, on: present.contains(.cabinetDoor) && inputs.active.contains(.cabinetDoor), tick, &events)
        condition(EventDetail.mainsLost, role: .mainsOK, on: present.contains(.mainsOK) && !inputs.active.contains(.mainsOK), tick, &events)
        condition(EventDetail.batteryLow, role: .batteryLow, on: present.contains(.batteryLow) && inputs.active.contains(.batteryLow), tick, &events)
        if tick > 0 && tick % UInt64(config.selfTestEvery.count) == 0 {
            events.emit(Event(.selfTest(openConditions: UInt32(openConditions.bits.nonzeroBitCount)), tick: tick))
        }
    }

    private mutating func condition(_ detail: (ConditionState) -> EventDetail, role: InputRole, on: Bool, _ tick: UInt64, _ events: inout EventBuffer) {
        guard on != openConditions.contains(role) else { return }
        openConditions.set(role, on)
        events.emit(Event(detail(on ? .raised : .cleared), tick: tick))
    }
}
