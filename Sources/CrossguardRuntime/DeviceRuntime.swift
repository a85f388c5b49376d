import CrossguardCore
import CrossguardHAL
import Histogram

/// Sees every tick of a running device: the bench's trace and screen, later the uplink's outbox.
/// Called on the tick thread: implementations must not block.
public protocol TickObserver: AnyObject {
    /// Called before tick `tick` samples the inputs (scenarios set simulated inputs here).
    func willTick(_ tick: UInt64, runtime: DeviceRuntime)
    /// Called after tick `tick` wrote its outputs; `events` are this tick's events in order.
    func didTick(_ tick: UInt64, result: StepResult, events: [Event], runtime: DeviceRuntime)
}

extension TickObserver {
    public func willTick(_ tick: UInt64, runtime: DeviceRuntime) {}
}

/// Tick statistics for status and diagnostics.
public struct TickStatistics: Equatable, Sendable {
    /// Ticks run.
    public var ticks: UInt64 = 0
    /// Wake-ups later than one tick period.
    public var overruns: UInt64 = 0
    /// Latest wake-up seen, nanoseconds.
    public var maxLatenessNs: UInt64 = 0
    /// Hardware errors while sampling or writing (the tick goes on with the previous inputs).
    public var hardwareErrors: UInt64 = 0

    /// Zero counts.
    public init() {}
}

/// Percentiles of the tick's wake-up lateness (how long after its deadline a tick started), nanoseconds;
/// the maximum is `TickStatistics.maxLatenessNs`.
public struct LatencySummary: Equatable, Sendable {
    public var p50Ns: UInt64 = 0
    public var p99Ns: UInt64 = 0
    public var p999Ns: UInt64 = 0

    /// Nothing measured.
    public init() {}
}

/// One device wired together: a line bank in, the pure device (controllers under their safety monitor) in
/// the middle, the line bank and the countdown display out. The same runtime drives the simulated board
/// (`bench`) and the real one (`run`); only the bank, the display and the clock differ.
public final class DeviceRuntime {
    public let site: SiteConfig
    public let board: BoardConfig
    /// The controllers and the safety monitor over them.
    public private(set) var device: Device
    /// The commands waiting for the tick thread.
    public let commands: CommandMailbox
    /// The outputs of the last tick.
    public private(set) var outputs = Outputs()
    public private(set) var statistics = TickStatistics()
    /// The command handled by the last tick that had one (its outcome is in that tick's result).
    public private(set) var lastCommand: Command?
    /// The token the last command was posted with.
    public private(set) var lastCommandToken: UInt32 = 0
    /// The last hardware error, for diagnostics.
    public private(set) var lastHardwareError: HardwareError?
    /// Where the latched fail-safe is kept across restarts, nil when nowhere (a bench without a state directory).
    public let latchKeeper: LatchKeeper?
    /// What the kept latch record said that could not be read, if anything (the device stays in fail-safe).
    public let latchProblem: String?

    private let bank: LineBank
    private let display: NumericDisplay?
    private let light: AmbientLightSource?
    /// The I2C sensors that play input roles; their levels follow the bank's lines in `rawLines`.
    private let sensors: SensorHub?
    private let sensorRoles: [InputRole]
    private var debouncer: Debouncer
    /// The role of each input line, in board order.
    private let lineRoles: [InputRole]
    /// Roles of lines the bank marked silent at its last good sample (lines on an expander that stopped answering).
    private var silentLines = InputSet()
    private var samples: [LineSample]
    private var rawLines: [RawLine]
    private var levels: [Bool]
    private var eventBuffer: EventBuffer
    private var displayShown: UInt16??
    private let outputRoles: [OutputRole]
    /// Wake-up lateness of every real-time tick, 1 µs to 10 s at two significant digits (1 %): about 1,700
    /// counters allocated once, so recording never allocates and reading percentiles is cheap.
    private var latency = Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .two)

    /// Wires a validated site and board to a bank opened for that board. `firstSeq` continues the device's
    /// event numbering across restarts (the outbox keeps it durable), and `skippedSeqs` names the numbers it
    /// skipped after an unclean stop (in `controller.started`); `latchKeeper` brings back a latched
    /// fail-safe and keeps every change of it.
    ///
    /// Alarm ids continue from `firstSeq` too, so they need no state of their own: every alarm uses at
    /// least one `seq` (its `sos.alarm` event), so a run's alarm ids stay below the `seq` the next run
    /// starts from, and an id is never given twice, whether the last run stopped cleanly or not. (They
    /// wrap after 2³² events, decades of a busy post.)
    public init(site: SiteConfig, board: BoardConfig, bank: LineBank, display: NumericDisplay?, light: AmbientLightSource? = nil,
                sensors: SensorHub? = nil, commands: CommandMailbox = CommandMailbox(), firstSeq: UInt64 = 1, skippedSeqs: ClosedRange<UInt64>? = nil,
                latchKeeper: LatchKeeper? = nil) throws(HardwareError) {
        guard bank.inputCount == board.inputs.count, bank.outputCount == board.outputs.count else {
            throw HardwareError(.other, "line bank has \(bank.inputCount) inputs and \(bank.outputCount) outputs; board \(board.name) lists \(board.inputs.count) and \(board.outputs.count)")
        }
        self.site = site
        self.board = board
        self.bank = bank
        self.display = display
        self.light = light
        self.sensors = sensors
        self.commands = commands
        let kept = latchKeeper?.load()
        self.latchKeeper = latchKeeper
        latchProblem = kept?.problem
        // Every profile is monitored, so every profile can latch and keeps its latch across a restart.
        let keptLatch = kept?.latch
        device = Device(config: DeviceConfig(site: site, board: board), nextAlarmID: UInt32(truncatingIfNeeded: firstSeq),
                        latchedFault: keptLatch?.rule, latchedOutputs: keptLatch?.outputs ?? OutputSet(), skippedSeqs: skippedSeqs)
        // A sensor's level is already filtered on the sensor thread (a distance band, a current threshold
        // with hysteresis), so it is not debounced again.
        let sensorRoles = sensors?.roleSensors.compactMap(\.role) ?? []
        self.sensorRoles = sensorRoles
        debouncer = Debouncer(
            roles: board.inputs.map(\.role) + sensorRoles,
            debounceTicks: board.inputs.map { Ticks(roundingUp: $0.debounceMs, tickMs: site.tickMs).count } + sensorRoles.map { _ in 0 })
        lineRoles = board.inputs.map(\.role)
        samples = Array(repeating: LineSample(level: false), count: board.inputs.count)
        rawLines = Array(repeating: RawLine(level: false), count: board.inputs.count + sensorRoles.count)
        levels = Array(repeating: false, count: board.outputs.count)
        eventBuffer = EventBuffer(capacity: 64, firstSeq: firstSeq)
        outputRoles = board.outputs.map(\.role)
    }

    /// The sequence number the next event will get (persisted by the runtime's owner).
    public var nextSeq: UInt64 { eventBuffer.nextSeq }

    /// Runs one tick: sample, debounce, step, write. A hardware error is counted and kept; the tick
    /// still steps the device (on the last good inputs), so time and safety logic never stall.
    @discardableResult
    public func tick(observer: TickObserver? = nil) -> StepResult {
        let now = device.tick
        observer?.willTick(now, runtime: self)
        do throws(HardwareError) {
            try bank.sampleInputs(into: &samples)
            silentLines = InputSet()
            for i in 0..<samples.count {
                rawLines[i] = RawLine(level: samples[i].level, edges: samples[i].edges)
                // A line on a silent expander reads its role's safe level; the controller reports the fault.
                if samples[i].silent { silentLines.insert(lineRoles[i]) }
            }
        } catch {
            // Keep the last good levels, but never replay their edges: an outage is not a stream of presses.
            for i in 0..<samples.count { rawLines[i].edges = 0 }
            record(error)
        }
        var silent = silentLines
        if let sensors {
            for j in 0..<sensorRoles.count {
                let s = sensors.sample(j)
                rawLines[samples.count + j] = RawLine(level: s.level)
                if s.silent { silent.insert(sensorRoles[j]) }
            }
        }
        var inputs = debouncer.update(rawLines)
        inputs.silentSensors = silent
        if let posted = commands.take() {
            inputs.command = posted.command
            lastCommand = posted.command
            lastCommandToken = posted.token
        }
        inputs.ambientLux = light?.latestLux()
        eventBuffer.removeAll()
        let result = device.step(inputs, events: &eventBuffer)
        for i in 0..<levels.count { levels[i] = result.outputs.lit.contains(outputRoles[i]) }
        do throws(HardwareError) {
            try bank.writeOutputs(levels)
            if let display, result.outputs.countdown != displayShown || now == 0 {
                try display.show(result.outputs.countdown)
                displayShown = result.outputs.countdown  // only once the display took it: a failed write is retried
            }
        } catch {
            record(error)
        }
        outputs = result.outputs
        // Rare (a trip or a reset): handed to the keeper's queue, never written on this thread.
        switch result.latch {
        case .unchanged:
            break
        case .latched(let rule, let involved):
            latchKeeper?.save(KeptLatch(rule: rule, outputs: involved))
        case .cleared:
            latchKeeper?.save(nil)
        }
        statistics.ticks += 1
        observer?.didTick(now, result: result, events: eventBuffer.events, runtime: self)
        return result
    }

    /// Runs ticks on `clock` until `shouldStop` says so or `limit` ticks have run. A late wake-up is
    /// counted as an overrun and the loop goes on from there; it never runs missed ticks in a burst.
    public func run(clock: TickClock, limit: UInt64? = nil, observer: TickObserver? = nil, shouldStop: () -> Bool = { false }) {
        let periodNs = UInt64(site.tickMs) * 1_000_000
        var ran: UInt64 = 0
        while !shouldStop() {
            if let limit, ran >= limit { break }
            let lateness = clock.waitForTick(device.tick)
            if lateness > periodNs { statistics.overruns += 1 }
            statistics.maxLatenessNs = max(statistics.maxLatenessNs, lateness)
            latency.record(min(lateness, latency.highestTrackableValue))
            tick(observer: observer)
            ran += 1
        }
    }

    /// The wake-up lateness percentiles so far (a walk over the histogram's counters: call it about once a
    /// second, not every tick). All zero on virtual time.
    public var latencySummary: LatencySummary {
        var s = LatencySummary()
        guard latency.totalCount > 0 else { return s }
        s.p50Ns = latency.valueAtPercentile(50)
        s.p99Ns = latency.valueAtPercentile(99)
        s.p999Ns = latency.valueAtPercentile(99.9)
        return s
    }

    /// Drives every output inactive and blanks the countdown: the state the lamps are left in when the
    /// process stops (a lamp driver without a controller must show nothing rather than a stale green).
    public func writeSafeState() throws(HardwareError) {
        for i in 0..<levels.count { levels[i] = false }
        try bank.writeOutputs(levels)
        try display?.show(nil)
        displayShown = .some(nil)
        outputs = Outputs()
    }

    private func record(_ error: HardwareError) {
        statistics.hardwareErrors += 1
        lastHardwareError = error
    }
}
