/// Everything the controller needs to know, fixed at start-up: derived from the validated site and board.
public struct ControllerConfig: Equatable, Sendable {
    public var tickMs: Int
    /// The crossing's timings, nil for an SOS post alone.
    public var crossing: SignalPlan?
    /// The beacon crossing's timings, for profile `beacon`.
    public var beacon: BeaconPlan?
    /// The SOS post's timings, nil when the site has no post.
    public var sos: SOSPlan?
    /// Input roles wired on this board (a missing `mains.ok` must not read as "mains lost").
    public var presentInputs: InputSet
    /// The site's 1 Hz flasher (flash mode, flashing green or walk, strobe).
    public var flasher: Flasher
    /// 4 Hz: the unanswered SOS alarm's yellow light.
    public var fastBlink: Flasher
    /// Ticks between self-test reports.
    public var selfTestEvery: Int
    /// What the safety monitor watches for: a crossing's heads and lamps, a beacon crossing's lamps; nil
    /// for an SOS post alone.
    public var monitor: MonitorPlan?

    /// The configuration for a validated site on a validated board.
    public init(site: SiteConfig, board: BoardConfig) {
        tickMs = site.tickMs
        crossing = site.crossing.map { SignalPlan($0, regime: site.regime, hybrid: site.profile == .hybridBeacon, tickMs: site.tickMs) }
        beacon = site.beacon.map { BeaconPlan($0, tickMs: site.tickMs) }
        sos = site.sos.map { SOSPlan($0, tickMs: site.tickMs) }
        presentInputs = board.inputRoles
        flasher = Flasher(site.flash, tickMs: site.tickMs)
        let quarter = max(2, 250 / site.tickMs)
        fastBlink = Flasher(periodTicks: quarter, onTicks: max(1, quarter / 2))
        selfTestEvery = ticksRoundingUp(site.sos?.selfTestEveryMs ?? 86_400_000, tickMs: site.tickMs)
        // The crossing's monitor watches the crossing's lamps; the SOS post's lights are not its business.
        var sensed = board.inputRoles.sensedLamps
        for role in [OutputRole.sosYellow, .sosGreen, .sosStrobe] { sensed.remove(role) }
        if site.profile != .hybridBeacon { sensed.remove(.vehicleRedRight) }
        let mismatch = ticksRoundingUp(site.safety.lampMismatchMs, tickMs: site.tickMs)
        if let crossing {
            monitor = MonitorPlan(crossing, flasher: flasher, sensed: sensed, mismatchTicks: mismatch)
        } else if beacon != nil {
            // A beacon crossing's lamps are watched for failures; signal heads are not its business.
            sensed.bits &= OutputSet([.beaconLeft, .beaconRight, .studs, .flood]).bits
            monitor = MonitorPlan(lampsOnly: site.regime, flasher: flasher, sensed: sensed, mismatchTicks: mismatch)
        }
    }
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

/// What one tick produced besides events.
public struct StepResult: Equatable, Sendable {
    public var outputs: Outputs
    /// The answer to this tick's command, nil when there was none.
    public var commandOutcome: CommandOutcome?

    /// A result from its parts.
    public init(outputs: Outputs, commandOutcome: CommandOutcome?) {
        self.outputs = outputs
        self.commandOutcome = commandOutcome
    }
}

/// The whole device's behaviour as one value: `step` takes one tick's inputs and returns the outputs and
/// events, with no clock, no I/O and no allocation. Same state and inputs give the same result on any machine.
public struct Controller: Sendable {
    public let config: ControllerConfig
    /// The tick the next `step` handles.
    public private(set) var tick: UInt64 = 0
    public private(set) var crossing: SignalizedCrossing?
    /// The unsignalized smart crosswalk, for profile `beacon`.
    public private(set) var beacon: BeaconCrossing?
    /// The independent monitor of the crossing's lamps; its latch overrides the crossing.
    public private(set) var monitor: SafetyMonitor?
    public private(set) var sos: SOSPost?
    /// Open supervision conditions (tamper, mains lost, battery low), by the input role behind each.
    public private(set) var openConditions = InputSet()
    /// Roles whose I2C sensor is not answering, as last reported.
    public private(set) var silentSensors = InputSet()
    /// The numbers skipped since the previous run, named by `controller.started`.
    public let skippedSeqs: ClosedRange<UInt64>?

    /// A controller at power-up. `nextAlarmID` continues the device's alarm numbering across restarts;
    /// `latchedFault` is a fail-safe latched before the restart (with the outputs it involved), which only
    /// `fault.reset` clears.
    /// `skippedSeqs` are the sequence numbers the previous run reserved and may have used, which this run
    /// skips; `controller.started` names them, so the centre can account for the gap.
    public init(config: ControllerConfig, nextAlarmID: UInt32 = 1, latchedFault: SafetyRule? = nil, latchedOutputs: OutputSet = OutputSet(),
                skippedSeqs: ClosedRange<UInt64>? = nil) {
        self.config = config
        self.skippedSeqs = skippedSeqs
        crossing = Controller.freshCrossing(config, at: 0)
        beacon = config.beacon.map {
            BeaconCrossing(plan: $0, hasKerbDetector: config.presentInputs.contains(.pedKerb), hasCrossingDetector: config.presentInputs.contains(.pedCrossing))
        }
        if let plan = config.monitor { monitor = SafetyMonitor(plan: plan, latched: latchedFault, involved: latchedOutputs) }
        if let plan = config.sos { sos = SOSPost(plan: plan, nextAlarmID: nextAlarmID) }
    }

    /// One `detector.fault` raised or cleared per role whose sensor went silent or came back.
    private mutating func reportSensors(_ silent: InputSet, tick: UInt64, events: inout EventBuffer) {
        var changed = silent.bits ^ silentSensors.bits
        while changed != 0 {
            let bit = changed.trailingZeroBitCount
            changed &= changed - 1
            guard let role = InputRole(rawValue: UInt8(bit)) else { continue }
            events.emit(Event(.detectorFault, tick: tick, state: silent.contains(role) ? .raised : .cleared, role: role))
        }
        silentSensors = silent
    }

    /// Runs one tick. Events go to `events` (numbered there); the command, if any, is answered in the result.
    public mutating func step(_ inputs: Inputs, events: inout EventBuffer) -> StepResult {
        let now = tick
        if now == 0 {
            events.emit(Event(.controllerStarted, tick: now, seqs: skippedSeqs))
            // A latch kept across the restart is raised again, so the centre learns why the crossing flashes.
            if let monitor, let rule = monitor.latched { events.emit(Event(.failSafe, tick: now, state: .raised, rule: rule, outputs: monitor.involved)) }
        }
        if inputs.silentSensors != silentSensors { reportSensors(inputs.silentSensors, tick: now, events: &events) }
        var outcome: CommandOutcome?
        if let command = inputs.command { outcome = handle(command, tick: now, events: &events) }

        if inputs.rose.contains(.faultReset) && monitor?.hasFaults == true { resetFault(tick: now, events: &events) }

        var outputs = Outputs()
        if crossing != nil && monitor?.latched == nil {
            crossing!.walkInhibited = monitor!.walkInhibited
            let shown = crossing!.step(tick: now, inputs: inputs, flasher: config.flasher, events: &events)
            outputs.lit = shown.lit
            outputs.countdown = shown.countdown
            // The monitor sees what the crossing commands before any lamp does: a violation never reaches the street.
            _ = monitor!.check(tick: now, lit: shown.lit, sensed: inputs.active.sensedLamps, redLampsDark: inputs.redLampsDark &+ (config.monitor!.hybrid ? inputs.rightRedLampsDark : 0), events: &events)
        }
        if beacon != nil {
            let shown = beacon!.step(tick: now, inputs: inputs, ambientLux: inputs.ambientLux, flasher: config.flasher, events: &events)
            outputs.lit.bits |= shown.bits
            _ = monitor?.check(tick: now, lit: shown, sensed: inputs.active.sensedLamps, events: &events)  // lamp failures only
        }
        if let monitor, monitor.latched != nil {
            outputs = Outputs(lit: SafetyMonitor.failSafeLamps(regime: monitor.plan.regime, tick: now, flasher: config.flasher))
        }
        if sos != nil {
            sos!.step(tick: now, inputs: inputs, events: &events)
            outputs.lit.bits |= sos!.lamps(tick: now, flasher: config.flasher, fastBlink: config.fastBlink).bits
        }
        supervise(inputs, tick: now, events: &events)
        tick = now + 1
        return StepResult(outputs: outputs, commandOutcome: outcome)
    }

    private mutating func handle(_ command: Command, tick: UInt64, events: inout EventBuffer) -> CommandOutcome {
        switch command {
        case .acknowledgeAlarm(let id):
            guard sos != nil else { return .refused(.noSOSPost) }
            return sos!.acknowledge(alarmID: id, tick: tick, events: &events)
        case .closeAlarm(let id):
            guard sos != nil else { return .refused(.noSOSPost) }
            return sos!.close(alarmID: id, tick: tick, events: &events)
        case .setMode(let mode, let revert):
            if crossing != nil {
                crossing!.request(mode: mode, revertAfterTicks: revert, tick: tick, events: &events)
            } else if beacon != nil {
                beacon!.request(mode: mode, revertAfterTicks: revert, tick: tick, events: &events)
            } else {
                return .refused(.noCrossing)
            }
            return .accepted
        case .resetFault:
            guard monitor?.hasFaults == true else { return .refused(.nothingLatched) }
            resetFault(tick: tick, events: &events)
            return .accepted
        case .lampTest:
            guard let monitor, monitor.plan.sensed != OutputSet() else { return .refused(.noLampSensing) }
            let checked = monitor.plan.sensed
            events.emit(Event(.lampTest, tick: tick, count: UInt32(checked.bits.nonzeroBitCount), outputs: monitor.failingLamps))
            return .accepted
        case .report(let report):
            events.emit(report.event(tick: tick))
            return .accepted
        }
    }

    /// Clears the latch and lamp failures (`fault.reset` from the centre or the local key); the crossing starts up afresh.
    private mutating func resetFault(tick: UInt64, events: inout EventBuffer) {
        guard monitor?.hasFaults == true else { return }
        let wasLatched = monitor!.latched != nil
        monitor!.reset(tick: tick, events: &events)
        // Out of a latch the crossing starts afresh; a lamp failure alone never stopped it.
        if wasLatched { crossing = Controller.freshCrossing(config, at: tick) }
    }

    private static func freshCrossing(_ config: ControllerConfig, at tick: UInt64) -> SignalizedCrossing? {
        config.crossing.map {
            SignalizedCrossing(
                plan: $0, hasKerbDetector: config.presentInputs.contains(.pedKerb),
                hasCrossingDetector: config.presentInputs.contains(.pedCrossing), startingAt: tick)
        }
    }

    /// Raise and clear of the cabinet conditions, and the periodic self-test report.
    private mutating func supervise(_ inputs: Inputs, tick: UInt64, events: inout EventBuffer) {
        let present = config.presentInputs
        condition(.tamper, role: .cabinetDoor, on: present.contains(.cabinetDoor) && inputs.active.contains(.cabinetDoor), tick, &events)
        condition(.mainsLost, role: .mainsOK, on: present.contains(.mainsOK) && !inputs.active.contains(.mainsOK), tick, &events)
        condition(.batteryLow, role: .batteryLow, on: present.contains(.batteryLow) && inputs.active.contains(.batteryLow), tick, &events)
        if tick > 0 && tick % UInt64(config.selfTestEvery) == 0 {
            events.emit(Event(.selfTest, tick: tick, count: UInt32(openConditions.bits.nonzeroBitCount)))
        }
    }

    private mutating func condition(_ type: EventType, role: InputRole, on: Bool, _ tick: UInt64, _ events: inout EventBuffer) {
        guard on != openConditions.contains(role) else { return }
        openConditions.set(role, on)
        events.emit(Event(type, tick: tick, state: on ? .raised : .cleared, role: role))
    }
}
