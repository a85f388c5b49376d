import CrossguardArguments
import CrossguardCLI
import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
import CrossguardSim
import CrossguardTOML
import CrossguardUplinkNIO
import Synchronization

/// `crossguard run`: the roadside daemon. Real lines, a real-time tick thread, the outbox and the uplink,
/// the watchdog and systemd; SIGTERM or SIGINT leaves every output inactive, says `offline` and exits 0.
struct Run: CLICommand {
    static let spec = CommandSpec(
        name: "run",
        abstract: "Run the controller as the roadside daemon on the board's lines.",
        discussion: """
            Events are journaled in the state directory before they are sent and are logged to standard error \
            ("event {json}"), so nothing is lost with no broker configured. The site's [daemon] table sets the \
            real-time priority, memory locking and the hardware watchdog. Under systemd (Type=notify) it reports \
            READY, WATCHDOG and STOPPING. Exit status: 0 after a stop by signal, 1 for a configuration or start-up \
            error (the message names the file, the role and the line).
            """,
        options: [
            .value("board", "path", help: "Board file: which line plays which role."),
            .value("site", "path", help: "Site file: profile, regime, timings, SOS, uplink and daemon settings."),
        ] + UplinkOptions.options + [
            .flag("simulated", help: "Drive the built-in simulated board instead of GPIO: an idle crossing, to try the daemon, the uplink and systemd without hardware."),
        ])

    let board: String
    let site: String
    let uplink: UplinkOptions
    let simulated: Bool

    init(_ arguments: ParsedArguments) throws {
        board = try arguments.required("board")
        site = try arguments.required("site")
        uplink = UplinkOptions(arguments)
        simulated = arguments.flag("simulated")
        if uplink.stateDir == nil {
            throw ValidationError("run needs --state-dir: the outbox and the latched fail-safe live there (/var/lib/crossguard under systemd)")
        }
    }

    func run() throws {
        // First, before any thread starts: SIGTERM and SIGINT become this stop request.
        let stop = StopRequest()
        StopSignals.deliver(to: { stop.request() })
        let device = try loadDevice(board: board, site: site)
        // Lines and I2C parts are both tried, so one start names every problem the technician must fix.
        var problems: [HardwareError] = []
        var bank: LineBank?
        var parts: I2CPartsOpened?
        do { bank = try openBank(device) } catch { problems.append(error) }
        do { parts = try openI2C(device) } catch { problems.append(error) }
        if let gpio = bank, let hub = parts?.hub, device.board.hasExpanderLines {
            // One bank in board order: GPIO lines from the backend, expander lines from the sensor thread's ports.
            do { bank = try CompositeLineBank(board: device.board, gpio: gpio, expanders: hub.expanders) } catch { problems.append(error) }
        }
        guard let bank, let parts, problems.isEmpty else {
            for problem in problems { logLine("run: \(device.boardPath): \(problem.detail)") }
            throw ExitCode(1)
        }
        try Daemon(device: device, bank: bank, parts: parts, uplink: uplink, stop: stop, simulated: simulated).run()
    }

    /// The board's I2C parts, each brought up once: a part that does not answer at start is a start-up
    /// error, like a missing line (later, a part that stops answering only degrades the controller).
    private func openI2C(_ device: DeviceFiles) throws(HardwareError) -> I2CPartsOpened {
        let board = device.board
        guard !board.i2c.isEmpty else { return I2CPartsOpened(hub: nil, poller: nil) }
        let made: (sensors: [PolledSensor], display: PolledDisplay?, expanders: [PolledExpander])
        if simulated {
            let sensors = board.i2c.count(where: { $0.expanderName == nil })
            if sensors > 0 { logLine("run: --simulated: the board's \(sensors) I2C sensors and displays are not simulated; their roles stay inactive") }
            guard board.i2c.contains(where: { $0.expanderName != nil }) else { return I2CPartsOpened(hub: nil, poller: nil) }
            made = try I2CParts.make(board: SimulatedExpanders.board(board)) { (path: String) throws(HardwareError) in SimulatedExpanders.bus(path, board: board) }
        } else {
            made = try I2CParts.make(board: board) { (path: String) throws(HardwareError) in try LinuxI2CBus(path: path) }
        }
        return try I2CPartsOpened.start(board: board, made: made)
    }

    /// The GPIO lines (expander lines are the sensor thread's): libgpiod, or the simulated chip.
    private func openBank(_ device: DeviceFiles) throws(HardwareError) -> LineBank {
        let gpio = device.board.gpioLinesOnly
        if simulated { return SimulatedLineBank(board: gpio) }
        return try GPIODLineBank(inputs: gpio.inputs.map(\.gpio), outputs: gpio.outputs.map(\.gpio))
    }
}

/// `run --simulated` drives a board's expanders through the real driver, sensor thread and composite bank,
/// on register files that behave like the kernel's i2c-stub (`SimulatedI2CBus`), with every input at its
/// idle level; the other I2C parts are not simulated.
enum SimulatedExpanders {
    /// The board with only its expanders among the I2C parts.
    static func board(_ board: BoardConfig) -> BoardConfig {
        var only = board
        only.i2c = board.i2c.filter { $0.expanderName != nil }
        return only
    }

    /// A register-file bus for `path` with the board's expanders on it, each input idle (inactive).
    static func bus(_ path: String, board: BoardConfig) -> SimulatedI2CBus {
        let bus = SimulatedI2CBus(path: path)
        for config in board.i2c where config.bus == path {
            guard let layout = board.expanderLayout(config) else { continue }
            bus.attach(config.address)
            bus.setWord(config.address, 0x12, layout.activeLowInputs)  // GPIO: an idle active-low input reads high
        }
        return bus
    }
}

extension LineAddress {
    /// The chip label, line name and offset the GPIO backend looks a line up by (an expander pin has none:
    /// the runtime's composite bank keeps those lines away from the GPIO backend).
    var gpioLookup: (chip: String?, name: String?, offset: Int?) {
        switch self {
        case .named(let name, let chip): (chip, name, nil)
        case .offset(let offset, let chip): (chip, nil, offset)
        case .expanderPin: (nil, nil, nil)
        }
    }
}

extension InputLine {
    /// The line as the GPIO backend requests it.
    var gpio: GPIOLineSpec {
        let at = address.gpioLookup
        return GPIOLineSpec(role: roleName, chip: at.chip, name: at.name, offset: at.offset, activeLow: activeLow, bias: bias.gpio)
    }
}

extension OutputLine {
    /// The line as the GPIO backend requests it (at its inactive level).
    var gpio: GPIOLineSpec {
        let at = address.gpioLookup
        return GPIOLineSpec(role: roleName, chip: at.chip, name: at.name, offset: at.offset, activeLow: activeLow)
    }
}

extension LineBias {
    /// The GPIO backend's name for this bias.
    var gpio: GPIOLineSpec.Bias {
        switch self {
        case .asIs: .asIs
        case .pullUp: .pullUp
        case .pullDown: .pullDown
        case .disabled: .disabled
        }
    }
}

/// The board's I2C parts once brought up: the hub the tick reads and the poller the sensor thread runs;
/// both nil for a board without I2C parts.
struct I2CPartsOpened {
    /// Brings up each of the parts made for `board` once. A part that does not answer is an error that
    /// names every such part.
    static func start(board: BoardConfig, made: (sensors: [PolledSensor], display: PolledDisplay?, expanders: [PolledExpander]))
        throws(HardwareError) -> I2CPartsOpened {
        let hub = SensorHub(board: board)
        let poller = SensorPoller(hub: hub, sensors: made.sensors, display: made.display, expanders: made.expanders)
        let failed = poller.startAll(nowMs: MonotonicTickClock.nowMs())
        guard failed.isEmpty else {
            throw HardwareError(failed[0].error.kind, failed.map { "\(board.roleNames(servedBy: $0.config)): \($0.config.label): \($0.error)" }.joined(separator: "; "))
        }
        return I2CPartsOpened(hub: hub, poller: poller)
    }

    let hub: SensorHub?
    let poller: SensorPoller?
}

/// Wires one device for `DaemonService`: the latch keeper, the uplink, the runtime, the watchdog and
/// systemd, on this process's clock, threads and stop signals. The order of start and stop is the service's.
struct Daemon {
    let device: DeviceFiles
    let bank: LineBank
    let parts: I2CPartsOpened
    let uplink: UplinkOptions
    let stop: StopRequest
    /// `run --simulated`: the checks of `diag.run` then skip what only a roadside board has.
    let simulated: Bool

    func run() throws {
        let site = device.site
        let settings = site.daemon
        if settings.lockMemory, let warning = Realtime.lockMemory() { logLine("run: \(warning)") }
        let stateDir = uplink.stateDir!
        try FileRecord.checkDirectory(stateDir, writable: false)
        // Before anything in it is read: a directory a newer version wrote is left as it is.
        do { try StateMark.claim(directory: stateDir, log: logLine) } catch {
            logLine("run: \(error)")
            throw ExitCode(StateMark.refusalExitStatus)
        }
        let keeper = LatchKeeper(record: FileRecord(directory: stateDir, name: "latch"))
        let commands = CommandMailbox()
        let feed = UplinkFeed(site: site, stamp: eventStamp(tickMs: site.tickMs))
        // diag.run: the daemon's own checks, on the uplink's thread, from what it holds (the watchdog is
        // armed below, after the uplink starts).
        let armed = ArmedWatchdog()
        let live: @Sendable () -> String? = { [device, simulated, poller = parts.poller] in
            var checks = DiagChecks(simulated: simulated, durationMs: 0, stateDir: stateDir,
                                    live: LiveFacts(parts: poller?.health, status: feed.status, watchdog: armed.device))
            return checks.run(loaded: device).json
        }
        let start: UplinkStart
        do {
            start = try startUplink(site: site, options: uplink, feed: feed, commands: commands, logEvents: true,
                                    diagnostics: { latchDiagnostics(keeper) }, report: live,
                                    latchPersisted: { !keeper.health.pending }, log: logLine)
        } catch {
            logLine("run: \(error)")
            throw ExitCode(1)
        }
        let runtime: DeviceRuntime
        do {
            let board = device.board
            runtime = try DeviceRuntime(site: site, board: board, bank: bank,
                                        display: board.i2c.contains { $0.function == .countdown } ? parts.hub : nil,
                                        light: board.i2c.contains { $0.function == .ambientLight } ? parts.hub : nil,
                                        sensors: parts.hub, commands: commands, firstSeq: start.firstSeq, skippedSeqs: start.skippedSeqs,
                                        latchKeeper: keeper)
        } catch {
            start.service.stop()
            logLine("run: \(device.boardPath): \(error.detail)")
            throw ExitCode(1)
        }
        if let problem = runtime.latchProblem { logLine("run: \(problem); staying in fail-safe until fault.reset") }
        var watchdog: HardwareWatchdog?
        if let path = settings.watchdogDevice {
            do {
                watchdog = try HardwareWatchdog(device: path, timeoutSeconds: settings.watchdogTimeoutSeconds)
                logLine("run: watchdog \(path) armed, \(watchdog!.timeoutSeconds) s")
                armed.device = path
            } catch {
                logLine("run: \(error.detail); running without the hardware watchdog")
            }
        }
        let service = DaemonService(
            parts: DaemonService.Parts(runtime: runtime, observer: feed, poller: parts.poller, keeper: keeper, uplink: start.service,
                                       watchdog: watchdog, notifier: SystemdNotifier()),
            clock: ProcessClock(), threads: ProcessThreads(), stop: stop, log: logLine,
            configureTickThread: { Realtime.configureCurrentThread(priority: settings.realtimePriority) })
        logLine("run: \(site.deviceID) on \(device.boardPath) (\(site.profile.kind.rawValue), \(site.regime.rawValue)), \(site.tickMs) ms ticks, firmware \(firmwareVersion)")
        let status = service.run()
        let s = runtime.statistics, l = runtime.latencySummary
        logLine("run: stopped after \(s.ticks) ticks, \(s.overruns) overruns, \(s.hardwareErrors) hardware errors; wake-up lateness p50 \(l.p50Ns / 1_000) µs, "
                + "p99 \(l.p99Ns / 1_000) µs, p99.9 \(l.p999Ns / 1_000) µs, max \(s.maxLatenessNs / 1_000) µs; outputs left inactive")
        if status != 0 { throw ExitCode(status) }
    }
}

/// The process's monotonic clock, for the daemon.
struct ProcessClock: DaemonClock {
    func tickClock(periodNs: UInt64) -> TickClock { MonotonicTickClock(periodNs: periodNs) }
    func nowNs() -> UInt64 { MonotonicTickClock.nowNs() }
}

/// The process's threads, named for `top -H`.
struct ProcessThreads: DaemonThreads {
    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        if !ProcessThread.start(name: name, body) { logLine("run: no thread for \(name): the system refused to make one") }
    }
}

extension UplinkService: DaemonUplink {}
extension HardwareWatchdog: DaemonWatchdog {}
extension SystemdNotifier: DaemonNotifier {}

/// The watchdog device the daemon armed, set once at start and read by `diag.run` on the uplink's thread.
final class ArmedWatchdog: @unchecked Sendable {
    private let lock = Mutex<String?>(nil)
    var device: String? {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}

/// The latch record's state for `diag.run`: "ok", or what keeps the kept latch from being current.
func latchDiagnostics(_ keeper: LatchKeeper) -> String {
    let h = keeper.health
    if h.pending || h.failures > 0 {
        return "\(h.pending ? "write pending" : "written") after \(h.failures) failed writes" + (h.last.map { "; last: \($0)" } ?? "")
    }
    return "ok"
}
