/// Everything the device needs, fixed at start-up: what the controllers run and, apart from it, what the
/// safety monitor watches. The two are derived side by side from the validated site and board, so the
/// monitor's plan never passes through the controller.
public struct DeviceConfig: Equatable, Sendable {
    public var controller: ControllerConfig
    public var monitor: MonitorPlan

    /// The configuration of a validated site on a validated board.
    public init(site: SiteConfig, board: BoardConfig) {
        controller = ControllerConfig(site: site, board: board)
        monitor = MonitorPlan(site: site, board: board, controller: controller)
    }

    /// A configuration from its parts (tests scale a plan down and monitor it with the same plan).
    public init(controller: ControllerConfig, monitor: MonitorPlan) {
        self.controller = controller
        self.monitor = monitor
    }
}

/// How the device's latch changed in one tick, for the runtime that keeps it across restarts.
public enum LatchChange: Equatable, Sendable {
    case unchanged
    /// The monitor latched `rule` this tick (or a reset left it latched on another rule).
    case latched(SafetyRule, involved: OutputSet)
    /// `fault.reset` cleared the latch this tick.
    case cleared
}

/// How the controllers' lamps become the one word that reaches the lines. The real composition is
/// `Device.compose`; tests hand in a faulty one to prove the monitor checks what is composed, not what
/// each controller meant.
public typealias LampComposition = (ControllerLamps) -> OutputSet

/// The whole device as one pure value, with the safety monitor outermost: the controller produces its
/// lamps, they are composed into the final output word, the monitor checks that word (and the sensed
/// lamps) every tick, whatever the profile, and a latch replaces the word with the fail-safe before
/// anything reaches a line. The controller never sees the monitor; what it must know of it (the walk
/// inhibit, the hold while latched) it is handed as an input. No clock, no I/O, no allocation per tick.
public struct Device: Sendable {
    public let config: DeviceConfig
    public private(set) var controller: Controller
    /// The independent monitor of the composed word; its latch overrides every controller but the SOS post.
    public private(set) var monitor: SafetyMonitor
    /// The numbers skipped since the previous run, named by `controller.started`.
    public let skippedSeqs: ClosedRange<UInt64>?

    /// A device at power-up. `nextAlarmID` continues the alarm numbering across restarts; `latchedFault`
    /// is a fail-safe latched before the restart (with the outputs it involved), which only `fault.reset`
    /// clears; `skippedSeqs` are the sequence numbers the previous run reserved and may have used, which
    /// this run skips and `controller.started` names, so the centre can account for the gap.
    public init(config: DeviceConfig, nextAlarmID: UInt32 = 1, latchedFault: SafetyRule? = nil, latchedOutputs: OutputSet = OutputSet(),
                skippedSeqs: ClosedRange<UInt64>? = nil) {
        self.config = config
        self.skippedSeqs = skippedSeqs
        controller = Controller(config: config.controller, nextAlarmID: nextAlarmID)
        monitor = SafetyMonitor(plan: config.monitor, latched: latchedFault, involved: latchedOutputs)
    }

    /// The tick the next `step` handles.
    public var tick: UInt64 { controller.tick }

    /// The real composition: every controller's lamps on their own roles. Each controller drives roles
    /// of its own (a signal head, a beacon, an SOS post), so the union loses nothing.
    public static func compose(_ lamps: ControllerLamps) -> OutputSet {
        OutputSet(bits: lamps.crossing.bits | lamps.beacon.bits | lamps.sos.bits)
    }

    /// Runs one tick. Events go to `events` (numbered there); the command, if any, is answered in the result.
    public mutating func step(_ inputs: Inputs, events: inout EventBuffer) -> StepResult {
        step(inputs, events: &events, composing: Device.compose)
    }

    /// One tick with the composition handed in: the faulty-composition tests use it; everything else
    /// calls `step(_:events:)`.
    public mutating func step(_ inputs: Inputs, events: inout EventBuffer, composing compose: LampComposition) -> StepResult {
        let now = controller.tick
        if now == 0 {
            events.emit(Event(.controllerStarted(skipped: skippedSeqs), tick: now))
            // A latch kept across the restart is raised again, so the centre learns why the crossing flashes.
            if let rule = monitor.latched { events.emit(Event(.failSafe(.raised, rule: rule, outputs: monitor.involved), tick: now)) }
        }
        let wasLatched = monitor.latched
        var forController = inputs
        var outcome: CommandOutcome?
        // The monitor's own commands are answered here; the controller never learns of them.
        switch inputs.command {
        case .resetFault?:
            outcome = monitor.hasFaults ? .accepted : .refused(.nothingLatched)
            resetFault(tick: now, events: &events)
            forController.command = nil
        case .lampTest?:
            outcome = lampTest(tick: now, events: &events)
            forController.command = nil
        default:
            break
        }
        if inputs.rose.contains(.faultReset) { resetFault(tick: now, events: &events) }

        let permit: CrossingPermit = monitor.latched != nil ? .held : monitor.walkInhibited ? .noWalk : .run
        let stepped = controller.step(forController, permit: permit, events: &events)
        var word = compose(stepped.lamps)
        // The monitor sees the word before any lamp does: a violation never reaches the street.
        let dark = inputs.redLampsDark &+ (config.monitor.hybrid ? inputs.rightRedLampsDark : 0)
        _ = monitor.check(tick: now, lit: word, sensed: inputs.active.sensedLamps, redLampsDark: dark, events: &events)
        var countdown = stepped.lamps.countdown
        if monitor.latched != nil {
            // The fail-safe display on the heads the profile has (a beacon crossing and an SOS post have
            // none, so they go dark), and the SOS post's lights: a person at the post still sees the answer.
            let failSafe = SafetyMonitor.failSafeLamps(regime: config.monitor.regime, tick: now, flasher: config.controller.flasher)
            word = OutputSet(bits: failSafe.bits & config.monitor.drivable.bits | stepped.lamps.sos.bits & SafetyMonitor.sosLamps.bits)
            countdown = nil
        }
        let latch: LatchChange
        if monitor.latched == wasLatched {
            latch = .unchanged
        } else if let rule = monitor.latched {
            latch = .latched(rule, involved: monitor.involved)
        } else {
            latch = .cleared
        }
        return StepResult(outputs: Outputs(lit: word, countdown: countdown), commandOutcome: outcome ?? stepped.commandOutcome, latch: latch)
    }

    /// Clears the latch and lamp failures (`fault.reset` from the centre or the local key); out of a latch
    /// the crossing starts up afresh, while a lamp failure alone never stopped it.
    private mutating func resetFault(tick: UInt64, events: inout EventBuffer) {
        guard monitor.hasFaults else { return }
        let wasLatched = monitor.latched != nil
        monitor.reset(tick: tick, events: &events)
        if wasLatched { controller.restartCrossing(at: tick) }
    }

    /// The answer to `lamp.test`: how many lamps the board senses, and which of them read wrong now.
    private func lampTest(tick: UInt64, events: inout EventBuffer) -> CommandOutcome {
        let checked = monitor.plan.sensed
        guard checked != OutputSet() else { return .refused(.noLampSensing) }
        events.emit(Event(.lampTest(checked: UInt32(checked.bits.nonzeroBitCount), failed: monitor.failingLamps), tick: tick))
        return .accepted
    }
}

extension MonitorPlan {
    /// What the monitor watches on a validated site and board: the crossing's heads and minimum timings
    /// (or a beacon crossing's lamps), the lamps the board senses, and every output the profile drives.
    public init(site: SiteConfig, board: BoardConfig, controller: ControllerConfig) {
        var drivable: OutputSet
        switch site.profile.kind {
        case .signalized: drivable = MonitorPlan.signalizedRoles
        case .hybridBeacon: drivable = MonitorPlan.hybridRoles
        case .beacon: drivable = MonitorPlan.beaconRoles
        case .none: drivable = OutputSet()
        }
        if site.sos != nil { drivable.bits |= SafetyMonitor.sosLamps.bits }
        // The SOS post's lights are not the monitor's to sense: they never send the crossing to fail-safe.
        var sensed = board.inputRoles.sensedLamps
        sensed.bits &= ~SafetyMonitor.sosLamps.bits
        if site.profile.kind != .hybridBeacon { sensed.remove(.vehicleRedRight) }
        let mismatch = Ticks(roundingUp: site.safety.lampMismatch, tickMs: site.tickMs)
        if let crossing = controller.crossing {
            self.init(crossing, flasher: controller.flasher, sensed: sensed, mismatchTicks: mismatch, drivable: drivable)
        } else {
            // A beacon crossing's lamps are watched for failures; an SOS post alone has no lamps of the monitor's.
            sensed.bits &= controller.beacon == nil ? 0 : OutputSet([.beaconLeft, .beaconRight, .studs, .flood]).bits
            self.init(lampsOnly: site.regime, flasher: controller.flasher, sensed: sensed, mismatchTicks: mismatch, drivable: drivable)
        }
    }
}
