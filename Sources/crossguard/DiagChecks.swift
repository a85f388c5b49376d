import CrossguardCLI
import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
import CrossguardSim
import CrossguardTOML
import CrossguardUplink
import CrossguardUplinkNIO
import Glibc

/// The checks of `crossguard diag`, in the order a technician works: what runs here, whether the files
/// load, the GPIO chips and lines, the rights to the device files, the I2C buses and parts, real time, the
/// watchdog and systemd, the clock, the state directory, the uplink. Each finding is a `DiagCheck` with a stable id;
/// every warning and failure carries the remedy. Nothing here changes the board: outputs are requested
/// only at their inactive level and released again, the watchdog is never opened.
struct DiagChecks {
    /// True: the built-in simulated board stands in for the kernel's chips and buses.
    let simulated: Bool
    /// How long the wake-up latency trial runs, in ms.
    let durationMs: Int
    /// The daemon's state directory, nil when none is to be checked.
    let stateDir: String?
    /// Set when the running daemon checks itself (`diag.run`): what it knows replaces what `diag` would
    /// probe, since it holds the lines, polls the parts and runs the ticks.
    let live: LiveFacts?
    /// Set for `--lamp-test`: how long each step of the lamp test holds its lamps, in ms.
    let lampStepMs: Int?
    /// `--broker`: the brokers to probe instead of the site's; nil keeps the site's.
    let brokers: [BrokerAddress]?
    /// How long each network step of the uplink checks may take, in ms.
    let uplinkTimeoutMs: Int
    private var checks: [DiagCheck] = []

    /// Checks of the given kind.
    init(simulated: Bool, durationMs: Int, stateDir: String?, live: LiveFacts? = nil, lampStepMs: Int? = nil,
         brokers: [BrokerAddress]? = nil, uplinkTimeoutMs: Int = 5_000) {
        self.simulated = simulated
        self.brokers = brokers
        self.uplinkTimeoutMs = uplinkTimeoutMs
        self.durationMs = durationMs
        self.stateDir = stateDir
        self.live = live
        self.lampStepMs = lampStepMs
    }

    private mutating func add(_ id: String, _ outcome: DiagOutcome, _ detail: String) {
        checks.append(DiagCheck(id, outcome, detail))
    }

    /// Runs every check for the board and site files and returns the report.
    mutating func run(boardPath: String, sitePath: String) -> DiagReport {
        switch DeviceFiles.load(boardPath: boardPath, sitePath: sitePath) {
        case .failure(let errors):
            checks = []
            versions()
            add("config", .fail(remedy: "fix every problem listed; crossguard check-config --board \(boardPath) --site \(sitePath) shows them one a line"),
                errors.problems.map(\.description).joined(separator: "; "))
            return DiagReport(board: boardPath, site: sitePath, simulated: simulated, checks: checks)
        case .success(let device):
            return run(loaded: device, config: " load and agree")
        }
    }

    /// Runs every check for files already loaded: `diag.run` passes what the daemon runs, not what the
    /// files say now.
    mutating func run(loaded device: DeviceFiles, config: String = ", as loaded at the start") -> DiagReport {
        checks = []
        versions()
        add("config", .pass, "board \(device.board.name) and site \(device.site.deviceID)\(config)")
        boardModel(device.board)
        if let live {
            liveChecks(device, live)
        } else {
            let daemon = simulated ? [] : SystemFacts.daemonProcesses(board: device.boardPath)
            if simulated { simulatedLines(device.board) } else { gpio(device.board, daemon: daemon) }
            i2c(device.board, daemon: daemon)
            realTime(device.site)
            watchdog(device.site, daemon: daemon)
            if let lampStepMs { lampTest(device, daemon: daemon, stepMs: lampStepMs) }
        }
        systemd()
        clock()
        state()
        uplink(device.site)
        return DiagReport(board: "\(device.board.name) (\(device.boardPath))", site: "\(device.site.deviceID) (\(device.sitePath))",
                          simulated: simulated, checks: checks)
    }

    // MARK: - versions and model

    private mutating func versions() {
        add("version.crossguard", .pass, "crossguard \(firmwareVersion)")
        if GPIODLineBank.apiMajor == 0 && !simulated {
            add("version.libgpiod", .fail(remedy: "install libgpiod (sudo apt install libgpiod2, or libgpiod3 on Debian 13) and rebuild against libgpiod-dev"),
                "this build has no libgpiod")
        } else {
            add("version.libgpiod", .pass, GPIODLineBank.libraryDescription)
        }
        add("version.kernel", .pass, "Linux \(SystemFacts.kernelRelease())")
    }

    private mutating func boardModel(_ board: BoardConfig) {
        if simulated { return add("board.model", .skip, "the simulated board has no model to compare") }
        guard let model = SystemFacts.deviceTreeModel() else {
            return add("board.model", .skip, "no /proc/device-tree/model: not a device-tree board, nothing to compare")
        }
        switch board.isFor(deviceTreeModel: model) {
        case nil:
            add("board.model", .pass, "\(model); the board file \"\(board.name)\" names no model to compare")
        case true?:
            add("board.model", .pass, "\(model), as the board file \"\(board.name)\" expects")
        case false?:
            add("board.model", .fail(remedy: "use the board file for this board: the shipped ones are in /usr/share/crossguard/boards (boards/ in the source), each with its model"),
                "this is a \(model), but the board file \"\(board.name)\" is for a \(board.model ?? "")")
        }
    }

    // MARK: - GPIO

    /// The simulated chip: every GPIO line of the board maps onto it; inputs are read once.
    private mutating func simulatedLines(_ board: BoardConfig) {
        let gpio = board.gpioLinesOnly
        let bank = SimulatedLineBank(board: gpio)
        add("gpio.chip.simulated", .pass, "simulated chip: \(gpio.inputs.count) inputs, \(gpio.outputs.count) outputs")
        var samples = [LineSample](repeating: LineSample(level: false), count: gpio.inputs.count)
        do throws(HardwareError) {
            try bank.sampleInputs(into: &samples)
            for (i, line) in gpio.inputs.enumerated() {
                add("gpio.line.\(line.roleName)", .pass, "\(line.address) on the simulated chip: \(samples[i].level ? "active" : "inactive")")
            }
        } catch {
            add("gpio.lines", .fail(remedy: "report this: the simulated board refused a read"), error.detail)
        }
        for line in gpio.outputs {
            add("gpio.line.\(line.roleName)", .pass, "\(line.address) on the simulated chip: output, inactive")
        }
        add("access.devices", .skip, "the simulated board opens no device file")
    }

    /// Every chip the board names, then every line: who holds it, and whether it can be requested.
    private mutating func gpio(_ board: BoardConfig, daemon: [Int32]) {
        let gpio = board.gpioLinesOnly
        let specs = gpio.inputs.map { (spec: $0.gpio, input: true) } + gpio.outputs.map { (spec: $0.gpio, input: false) }
        guard !specs.isEmpty else { return add("gpio.lines", .skip, "the board places no line on a GPIO chip") }
        var chips: [GPIOChipInfo] = []
        var unreadable: [(path: String, error: HardwareError)] = []
        for path in SystemFacts.gpioChipPaths() {
            do throws(HardwareError) { chips.append(try GPIOChipInfo.read(path)) } catch { unreadable.append((path, error)) }
        }
        let present = chips.map { "\($0.path) (\($0.label))" }.joined(separator: ", ")
        let labels = Set(specs.compactMap(\.spec.chip)).sorted()
        var missing: Set<String> = []
        for label in labels {
            if let chip = chips.first(where: { $0.label == label }) {
                add("gpio.chip.\(label)", .pass, "\(chip.path): \(chip.label), \(chip.lines) lines")
            } else if !unreadable.isEmpty {
                // The chip may be among those this user cannot open: the access checks below say why.
                missing.insert(label)
                add("gpio.chip.\(label)", .fail(remedy: "give \(SystemFacts.userName()) the GPIO chips (see the access checks below), then run diag again"),
                    "no readable GPIO chip labelled \"\(label)\"; cannot open \(unreadable.map(\.path).joined(separator: ", ")) (\(unreadable[0].error.kind.rawValue))")
            } else {
                missing.insert(label)
                add("gpio.chip.\(label)", .fail(remedy: chips.isEmpty
                        ? "this kernel shows no GPIO chip: boot the board's own kernel (Raspberry Pi OS), or use diag --simulated off the board"
                        : "the board file names chip \"\(label)\": pick the board file for this board (boards/), or set chip = to one of: \(chips.map(\.label).joined(separator: ", "))"),
                    "no GPIO chip labelled \"\(label)\"" + (chips.isEmpty ? " (no /dev/gpiochip* at all)" : "; present: \(present)"))
            }
        }
        // Who holds each line, found without requesting any.
        var holders: [(spec: GPIOLineSpec, input: Bool, holder: Result<GPIOLineHolder, HardwareError>)] = []
        for (spec, input) in specs {
            holders.append((spec, input, Result { () throws(HardwareError) in try GPIOLineHolder.find(spec) }))
        }
        let heldByDaemon = holders.filter { if case .success(let h) = $0.holder { h.consumer == "crossguard" } else { false } }
        if !daemon.isEmpty || !heldByDaemon.isEmpty {
            let pids = daemon.isEmpty ? "" : " (pid \(daemon.map(String.init).joined(separator: ", ")))"
            add("gpio.lines", .skip, "the daemon is running\(pids) and holds \(heldByDaemon.count) of the board's \(specs.count) lines; "
                + "to check them, stop it first: sudo systemctl stop crossguard")
            deviceAccess(paths: Set(holders.compactMap { try? $0.holder.get().chip } + unreadable.map(\.path)).sorted(), kind: "gpio")
            return
        }
        for (spec, input, holder) in holders {
            let id = "gpio.line.\(spec.role)"
            if let chip = spec.chip, missing.contains(chip) {
                // One missing chip is one failure (gpio.chip.*), not one per line on it.
                add(id, .skip, "\(spec.address): its chip \"\(chip)\" is missing or unreadable")
                continue
            }
            switch holder {
            case .failure(let error):
                add(id, .fail(remedy: remedy(for: error, line: spec)), error.detail)
            case .success(let found) where found.consumer != nil:
                let consumer = found.consumer ?? ""
                let chipName = baseName(found.chip)
                let pids = SystemFacts.processes(holdingLine: found.offset, chip: chipName, consumer: consumer)
                let who = (consumer.isEmpty ? "a holder with no name" : "\"\(consumer)\"") + (pids.isEmpty ? "" : " (pid \(pids.map(String.init).joined(separator: ", ")))")
                add(id, .fail(remedy: "line \(spec.address) is held by \(who): stop that program" + (pids.isEmpty ? "" : " (sudo kill \(pids[0]))")
                        + ", or free the pin from a dtoverlay in /boot/firmware/config.txt"),
                    "\(spec.address) (\(chipName) line \(found.offset)) is held by \(who)")
            case .success(let found):
                let chipName = baseName(found.chip)
                do throws(HardwareError) {
                    if input {
                        let bank = try GPIODLineBank(inputs: [spec], outputs: [], consumer: "crossguard-diag")
                        var samples = [LineSample(level: false)]
                        try bank.sampleInputs(into: &samples)
                        add(id, .pass, "\(spec.address) (\(chipName) line \(found.offset)): input, \(samples[0].level ? "active" : "inactive")")
                    } else {
                        _ = try GPIODLineBank(inputs: [], outputs: [spec], consumer: "crossguard-diag")
                        add(id, .pass, "\(spec.address) (\(chipName) line \(found.offset)): output, requested at its inactive level and released")
                    }
                } catch {
                    add(id, .fail(remedy: remedy(for: error, line: spec)), error.detail)
                }
            }
        }
        deviceAccess(paths: Set(holders.compactMap { try? $0.holder.get().chip } + unreadable.map(\.path)).sorted(), kind: "gpio")
    }

    private func remedy(for error: HardwareError, line spec: GPIOLineSpec) -> String {
        switch error.kind {
        case .notFound: "the board file names line \(spec.address), which this board does not have: compare with gpioinfo, or pick the board file for this board (boards/)"
        case .permissionDenied: "give the user the GPIO chip: sudo usermod -aG gpio \(SystemFacts.userArgument()) and log in again (or install udev/99-crossguard.rules)"
        case .busy: "another program holds the line: gpioinfo names it; stop it"
        default: "check the board file's line \(spec.address) with gpioinfo and gpioget"
        }
    }

    /// Read and write access to each device file, the owning group, and whether this user is in it.
    private mutating func deviceAccess(paths: [String], kind: String) {
        let user = SystemFacts.userName()
        for path in paths {
            let access = SystemFacts.access(path)
            let id = "access.\(baseName(path))"
            if access.readWrite {
                add(id, .pass, "\(path): read and write for \(user) (group \(access.group ?? "?"))")
            } else if !access.exists {
                add(id, .fail(remedy: kind == "i2c" ? Self.enableI2CBus : "check the board's GPIO driver is loaded (gpiodetect lists the chips)"),
                    "\(path) does not exist")
            } else if let gid = access.gid, let group = access.group, gid != 0, !access.userInGroup {
                add(id, .fail(remedy: "sudo usermod -aG \(group) \(SystemFacts.userArgument()), then log in again (the crossguard service gets it through the unit's SupplementaryGroups=)"),
                    "\(path): \(access.problem ?? "no access") for \(user), who is not in its group \(group)")
            } else {
                add(id, .fail(remedy: "install the udev rules: sudo cp udev/99-crossguard.rules /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger"),
                    "\(path): \(access.problem ?? "no access") for \(user) (group \(access.group ?? "?"))")
            }
        }
    }

    // MARK: - I2C

    /// Each bus the board uses, then each part: brought up and read once, as the sensor thread would.
    private mutating func i2c(_ board: BoardConfig, daemon: [Int32]) {
        guard !board.i2c.isEmpty else { return }
        if !daemon.isEmpty {
            return add("i2c.parts", .skip, "the daemon is running and polls the \(board.i2c.count) I2C parts; stop it first to probe them: sudo systemctl stop crossguard")
        }
        let paths = Array(Set(board.i2c.map(\.bus))).sorted()
        if !simulated { deviceAccess(paths: paths, kind: "i2c") }
        var buses: [String: Result<any I2CBus, HardwareError>] = [:]
        for config in board.i2c {
            let id = "i2c.\(baseName(config.bus)).\(hexText(config.address))"
            let roles = board.roleNames(servedBy: config)
            if simulated && config.expanderName == nil {
                add(id, .skip, "\(roles): \(config.label): only expanders are simulated")
                continue
            }
            if !simulated && !SystemFacts.access(config.bus).exists {
                // One missing bus is one failure (access.i2c-N), not one per part on it.
                add(id, .skip, "\(roles): \(config.label): its bus \(config.bus) is missing")
                continue
            }
            let opened = buses[config.bus] ?? Result { () throws(HardwareError) -> any I2CBus in
                simulated ? SimulatedExpanders.bus(config.bus, board: board) : try LinuxI2CBus(path: config.bus)
            }
            buses[config.bus] = opened
            do throws(HardwareError) {
                let bus = try opened.get()
                guard let part = try I2CParts.part(config, board: board, on: bus) else {
                    add(id, .skip, "\(roles): \(config.label): no line placed on it, left alone")
                    continue
                }
                let seen = try part.probe { MonotonicTickClock.sleep(ms: $0) }
                add(id, .pass, "\(roles): \(config.label): \(seen)")
            } catch {
                add(id, .fail(remedy: remedy(for: error, part: config)), "\(roles): \(config.label): \(error.detail)")
            }
        }
    }

    private static let enableI2CBus = "enable the bus: add dtparam=i2c_arm=on to /boot/firmware/config.txt and reboot (and sudo modprobe i2c-dev)"

    private func remedy(for error: HardwareError, part config: I2CDeviceConfig) -> String {
        let bus = config.bus.split(separator: "-").last.map(String.init) ?? "1"
        let device = "\(bus)-00" + hexText(config.address).dropFirst(2)  // sysfs names it 1-0029
        switch error.kind {
        case .notFound: return Self.enableI2CBus
        case .noAcknowledge: return "nothing answers at \(hexText(config.address)) on \(config.bus): check the part's power, wiring and address (sudo i2cdetect -y \(bus))"
        case .busy: return "a kernel driver owns the part: remove its dtoverlay from /boot/firmware/config.txt, or unbind it (echo \(device) | sudo tee /sys/bus/i2c/devices/\(device)/driver/unbind)"
        case .permissionDenied: return "sudo usermod -aG i2c \(SystemFacts.userArgument()), then log in again (or install udev/99-crossguard.rules)"
        default: return "check the part and its wiring; i2cdetect -y \(bus) shows what answers"
        }
    }

    // MARK: - real time

    /// The tick thread's set-up as the daemon makes it, then wake-up lateness against the tick's period.
    private mutating func realTime(_ site: SiteConfig) {
        let settings = site.daemon
        let periodNs = UInt64(site.tickMs) * 1_000_000
        let trial = RealtimeTrial.run(priority: settings.realtimePriority, periodNs: periodNs, ticks: max(1, durationMs / site.tickMs))
        add("rt.timer_slack", trial.slackGranted ? .pass : .warn(remedy: "run a kernel that allows PR_SET_TIMERSLACK (any Linux since 2.6.28)"),
            trial.slackGranted ? "1 ns timer slack granted" : "1 ns timer slack refused")
        if let priority = settings.realtimePriority {
            if let refusal = trial.priorityRefusal {
                add("rt.sched_fifo", .warn(remedy: "run it as the service (the unit grants CAP_SYS_NICE and LimitRTPRIO), or by hand: sudo setcap cap_sys_nice,cap_ipc_lock+ep $(command -v crossguard)"), refusal)
            } else {
                add("rt.sched_fifo", .pass, "SCHED_FIFO priority \(priority) granted")
            }
        } else {
            add("rt.sched_fifo", .skip, "the site sets no [daemon] realtime_priority")
        }
        if settings.lockMemory {
            if let refusal = Realtime.lockMemory() {
                add("rt.mlockall", .warn(remedy: "run it as the service (the unit grants CAP_IPC_LOCK and LimitMEMLOCK=infinity)"), refusal)
            } else {
                munlockall()
                add("rt.mlockall", .pass, "mlockall granted")
            }
        } else {
            add("rt.mlockall", .skip, "the site does not set [daemon] lock_memory")
        }
        let sorted = trial.latenessNs.sorted()
        guard !sorted.isEmpty else { return add("rt.latency", .skip, "no wake-up measured") }
        latency("\(sorted.count) wake-ups at \(site.tickMs) ms", p50: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
                max: sorted[sorted.count - 1], overruns: sorted.count { $0 > periodNs })
    }

    /// The `rt.latency` check, from a trial or from the daemon's own ticks: lateness in ns.
    private mutating func latency(_ what: String, p50: UInt64, p99: UInt64, max worst: UInt64, overruns: Int) {
        func us(_ ns: UInt64) -> String { ns < 10_000 ? "\(ns / 1_000).\((ns % 1_000) / 100) µs" : "\(ns / 1_000) µs" }
        let detail = "\(what): late by p50 \(us(p50)), p99 \(us(p99)), max \(us(worst)); \(overruns) overrun\(overruns == 1 ? "" : "s")"
        add("rt.latency", overruns == 0 ? .pass : .warn(remedy: "give the tick real-time priority ([daemon] realtime_priority = 80 in the site file) and keep other load off the board"), detail)
    }

    // MARK: - watchdog, systemd, clock

    private mutating func watchdog(_ site: SiteConfig, daemon: [Int32]) {
        guard let device = site.daemon.watchdogDevice else { return add("watchdog", .skip, "the site sets no [daemon] watchdog") }
        if simulated { return add("watchdog", .skip, "the simulated board has no watchdog; \(device) is checked on the board") }
        let access = SystemFacts.access(device)
        guard access.exists else {
            return add("watchdog", .fail(remedy: "enable the board's watchdog: add dtparam=watchdog=on to /boot/firmware/config.txt and reboot"), "\(device) does not exist")
        }
        let sysfs = SystemFacts.watchdogSysfs(device)
        let timeout = sysfs.flatMap { SystemFacts.readText("\($0)/timeout") }.map { $0.filter(\.isNumber) }
        let state = sysfs.flatMap { SystemFacts.readText("\($0)/state") }.map { $0.filter(\.isLetter) }
        let facts = "\(device)" + (timeout.map { ", timeout \($0) s" } ?? "") + (state.map { ", \($0)" } ?? "")
        if !access.readWrite {
            add("watchdog", .fail(remedy: "install the udev rules (udev/99-crossguard.rules gives the watchdog to group crossguard), or run it as the service"),
                "\(facts): \(access.problem ?? "no access") for \(SystemFacts.userName())")
        } else if state == "active" && daemon.isEmpty {
            add("watchdog", .fail(remedy: "another process holds the watchdog (systemd's RuntimeWatchdogSec=, or the watchdog package): turn that off, or remove [daemon] watchdog from the site"),
                "\(facts): armed, and not by the daemon")
        } else {
            add("watchdog", .pass, "\(facts) (not opened: that would arm it)")
        }
    }

    private mutating func systemd() {
        if simulated { return add("systemd.unit", .skip, "the simulated board is not run as a service") }
        guard SystemFacts.writableDirectory("/run/systemd/system").exists else {
            return add("systemd.unit", .skip, "this machine does not run systemd")
        }
        let show = ["systemctl", "show", "crossguard.service"] + ServiceState.properties.flatMap { ["-p", $0] }
        guard let (status, output) = CommandOutput.run(show), status == 0, let state = ServiceState(systemctlShow: output) else {
            return add("systemd.unit", .skip, "systemctl show crossguard.service gave no answer")
        }
        let (outcome, detail) = state.verdict(
            checkConfig: "sudo crossguard check-config --board /etc/crossguard/board.toml --site /etc/crossguard/site.toml",
            install: "sudo apt install ./crossguard_\(firmwareVersion)-*_$(dpkg --print-architecture).deb (scripts/package builds it)")
        add("systemd.unit", outcome, detail)
    }

    private mutating func clock() {
        switch SystemFacts.clockSynchronised() {
        case true?: add("clock.sync", .pass, "the system clock is synchronised")
        case false? where simulated: add("clock.sync", .skip, "the system clock is not synchronised; event times only matter on a roadside board")
        case false?: add("clock.sync", .warn(remedy: "turn on time synchronisation (sudo timedatectl set-ntp true) and let the cabinet reach an NTP server: events carry this clock's time to the centre"),
                         "the system clock is not synchronised")
        case nil: add("clock.sync", .skip, "adjtimex refused: the clock's state is unknown")
        }
    }

    // MARK: - state directory

    private mutating func state() {
        guard let dir = stateDir else { return add("state.dir", .skip, "no --state-dir given") }
        let found = SystemFacts.writableDirectory(dir)
        guard found.exists else {
            return add("state.dir", .fail(remedy: "make it: sudo install -d -o crossguard -g crossguard -m 0750 \(dir) (the unit's StateDirectory= makes it when the service starts)"),
                       "\(dir) does not exist")
        }
        guard found.writable else {
            return add("state.dir", .fail(remedy: "sudo chown -R crossguard:crossguard \(dir), or run diag as the daemon's user (sudo -u crossguard crossguard diag ...)"),
                       "\(dir) is not writable for \(SystemFacts.userName())")
        }
        let free = SystemFacts.freeBytes(dir) ?? 0
        let mib = free / (1024 * 1024)
        add("state.dir", mib < 16 ? .warn(remedy: "free space on the file system of \(dir): the outbox holds events there while the link is down") : .pass,
            "\(dir): writable, \(mib) MiB free")
        stateFormat(dir)
        // The running daemon's own outbox figures are in diag.run's reply; reading the journal here would
        // hold up the uplink's thread for as long as the journal is large.
        if live == nil { outbox(dir) }
        let keeper = LatchKeeper(record: FileRecord(directory: dir, name: "latch"))
        let (latch, problem) = keeper.load()
        if let problem {
            add("state.latch", .warn(remedy: "the daemon stays in fail-safe until fault.reset: find the cause, then send fault.reset from the operations centre"), problem)
        } else if let latch {
            let since = SystemFacts.modifiedUnixMs("\(dir)/latch").map { " since \(RFC3339.format(unixMs: $0))" } ?? ""
            add("state.latch", .warn(remedy: "find and fix the cause (/usr/share/doc/crossguard/field-guide.md), then send fault.reset from the operations centre"),
                "fail-safe latched by \(latch.rule.name)\(since)")
        } else {
            add("state.latch", .pass, "no fail-safe latched")
        }
    }
}

extension DiagChecks {
    /// The state directory's format mark, read and never written (diag changes nothing): a directory that a
    /// newer version wrote is one this binary's daemon refuses to start on.
    fileprivate mutating func stateFormat(_ dir: String) {
        let record = FileRecord(directory: dir, name: StateMark.fileName)
        let bytes: [UInt8]?
        do { bytes = try record.read() } catch {
            return add("state.format", .fail(remedy: "sudo chown crossguard:crossguard \(record.location), or run diag as the daemon's user"), error.detail)
        }
        guard let bytes else { return add("state.format", .pass, "no mark yet; the daemon writes format \(StateMark.format) at its first start") }
        switch StateMark.read(String(decoding: bytes, as: UTF8.self)) {
        case .current(let writer):
            add("state.format", .pass, "format \(StateMark.format), written by \(writer)")
        case .newer(let n, let writer):
            add("state.format", .fail(remedy: "install \(writer) or newer again (/usr/share/doc/crossguard/deploy.md, rolling back); the directory is kept as it is"),
                "format \(n), written by \(writer); this crossguard \(firmwareVersion) reads format \(StateMark.format) only and will not start on it")
        case .unreadable(let why):
            add("state.format", .fail(remedy: "reinstall the version that wrote \(dir), or move the directory away to start with an empty one"),
                "\(record.location): \(why)")
        }
    }
}

extension DiagChecks {
    /// The outbox, read and never changed: how many events wait for the centre and since when, and any
    /// damage the storage did to them.
    fileprivate mutating func outbox(_ dir: String) {
        let store = FileSegmentStore(directory: dir)
        let cursorRecord = FileRecord(directory: dir, name: "outbox.cursor")
        var segments: [(number: UInt64, bytes: [UInt8])] = []
        let cursorBytes: [UInt8]?
        do throws(HardwareError) {
            cursorBytes = try cursorRecord.read()
            for number in try store.segments() { segments.append((number, try store.read(number))) }
        } catch {
            return add("outbox", .fail(remedy: "sudo chown -R crossguard:crossguard \(dir), or run diag as the daemon's user"), error.detail)
        }
        let cursor = cursorBytes.flatMap(OutboxCursor.decode)
        let survey = OutboxSurvey(segments: segments, cursor: cursor)
        var detail = "\(survey.unsent) event\(survey.unsent == 1 ? "" : "s") waiting, \(survey.bytes) bytes in \(segments.count) segment\(segments.count == 1 ? "" : "s")"
        var ageMs: Int64 = 0
        if let oldest = survey.oldestUnsentUnixMs {
            ageMs = max(0, WallClock.unixMs() - oldest)
            detail += "; the oldest from \(RFC3339.format(unixMs: oldest)), \(ageText(ageMs)) ago"
        }
        if survey.tornTail { detail += "; the last record is torn (a write cut by a stop or a power loss), cut away at the next start" }
        if let first = survey.damage.first {
            add("outbox", .warn(remedy: "the daemon skips damaged records and names the lost numbers to the centre; if this recurs, check the storage (dmesg for I/O errors) or replace the SD card"),
                detail + "; \(survey.damage.count) damaged span\(survey.damage.count == 1 ? "" : "s"), the first in segment \(first.segment) at byte \(first.span.offset), \(first.span.length) bytes (\(first.span.reason))")
        } else if cursorBytes != nil && cursor == nil {
            add("outbox", .warn(remedy: "nothing to do: the daemon starts its numbers past any the journal used and says so to the centre"),
                detail + "; \(cursorRecord.location) is not a cursor this version wrote")
        } else if ageMs > 60_000 {
            add("outbox", .warn(remedy: "the uplink has not delivered them: check the broker and the network (journalctl -u crossguard); they are kept and sent once it connects"), detail)
        } else {
            add("outbox", .pass, detail)
        }
    }
}

extension DiagChecks {
    /// `--lamp-test`: every output lit in the safe order of `LampTestPlan`, each read back by its lamp
    /// sensor or current monitor. Refused while the daemon holds the lines.
    fileprivate mutating func lampTest(_ device: DeviceFiles, daemon: [Int32], stepMs: Int) {
        guard daemon.isEmpty else {
            return add("lamp.test", .fail(remedy: "stop the daemon first: sudo systemctl stop crossguard (the lamp test drives the lamps itself)"),
                       "the daemon holds the lines (pid \(daemon.map(String.init).joined(separator: ", ")))")
        }
        let board = device.board
        // The parts the test polls on this thread while each step holds: the current monitors that watch
        // lamps, and the expanders that carry outputs (their pins are written by the poller). Simulated,
        // only the expanders are there.
        var parts = board
        parts.i2c = board.i2c.filter { $0.role?.sensedLamp != nil || $0.expanderName != nil }
        if simulated { parts = SimulatedExpanders.board(parts) }
        // What the test drives and reads: every output, in the board's order when an expander is in the bank.
        var tested = board.hasExpanderLines ? board : board.gpioLinesOnly
        tested.i2c = parts.i2c
        let bank: LineBank
        var monitors = I2CPartsOpened(hub: nil, poller: nil)
        do throws(HardwareError) {
            let gpio = board.gpioLinesOnly
            let lines: LineBank = simulated ? SimulatedLineBank(board: gpio) : try GPIODLineBank(inputs: gpio.inputs.map(\.gpio), outputs: gpio.outputs.map(\.gpio))
            if !parts.i2c.isEmpty {
                let made = simulated
                    ? try I2CParts.make(board: parts) { (path: String) throws(HardwareError) in SimulatedExpanders.bus(path, board: board) }
                    : try I2CParts.make(board: parts) { (path: String) throws(HardwareError) in try LinuxI2CBus(path: path) }
                monitors = try I2CPartsOpened.start(board: parts, made: made)
            }
            if board.hasExpanderLines, let hub = monitors.hub {
                bank = try CompositeLineBank(board: board, gpio: lines, expanders: hub.expanders)
            } else {
                bank = lines
            }
        } catch {
            return add("lamp.test", .fail(remedy: "fix the line and part failures above first, then run the lamp test again"), error.detail)
        }
        let plan = LampTestPlan(outputs: tested.outputRoles, hybrid: device.site.profile.kind == .hybridBeacon)
        // Holding a step is polling: the current monitors are read and the expanders' pins written meanwhile.
        let hold = { (ms: Int) in
            let end = MonotonicTickClock.nowMs() + UInt64(ms)
            guard let poller = monitors.poller else { return MonotonicTickClock.sleep(ms: ms) }
            poller.run(nowMs: MonotonicTickClock.nowMs, sleepMs: { MonotonicTickClock.sleep(ms: Int(min($0, end - min(end, MonotonicTickClock.nowMs())))) },
                       shouldStop: { MonotonicTickClock.nowMs() >= end })
        }
        // An expander that fails a transfer during the test may not hold what was written last: its pins
        // are checked after the final write has had time to land (a silent one is brought up again within 1 s).
        let failuresBefore = monitors.poller?.health.expanders.map(\.failures) ?? []
        func flushExpanders() -> PartHealth? {
            guard let poller = monitors.poller, !failuresBefore.isEmpty else { return nil }
            hold(Self.expanderFlushMs)
            if poller.health.expanders.contains(where: \.silent) { hold(Self.expanderRecoverMs) }
            let after = poller.health.expanders
            return after.indices.first { after[$0].silent || after[$0].failures > failuresBefore[$0] }.map { after[$0] }
        }
        func expanderFailure(_ part: PartHealth) {
            add("lamp.test", .fail(remedy: "check the expander's power and wiring (sudo i2cdetect -y on its bus), power-cycle it, then run the lamp test again"),
                "the expander \(part.config.label) at \(hexText(part.config.address)) failed during the test"
                + (part.lastError.map { " (\($0.detail))" } ?? "") + ": an output on it may still be lit")
        }
        let findings: [(role: OutputRole, finding: LampTestRun.Finding)]
        do throws(HardwareError) {
            // After a walk, the all-red holds for the crossing's clearance and the all-red after it.
            let clearanceMs = device.site.crossing.map { ($0.clearance + $0.allRedAfterClearance).value } ?? stepMs
            findings = try LampTestRun.run(board: tested, plan: plan, bank: bank, stepMs: stepMs, clearanceMs: max(stepMs, clearanceMs), hold: hold, monitors: {
                guard let hub = monitors.hub else { return [] }
                return hub.roleSensors.indices.compactMap { i in hub.roleSensors[i].role?.sensedLamp.map { (lamp: $0, lit: hub.sample(i).level) } }
            })
        } catch {
            if let part = flushExpanders() { expanderFailure(part) }
            return add("lamp.test", .fail(remedy: "check the GPIO chip and the expanders (the gpio and i2c checks above), then run the lamp test again"),
                       error.detail + "; every GPIO output was left inactive")
        }
        // The test's last write, every output inactive, reaches the expanders' pins.
        if let part = flushExpanders() { expanderFailure(part) }
        for (role, finding) in findings {
            let id = "lamp.\(role.name)"
            switch finding {
            case .followed(let steps):
                add(id, .pass, "lit and dark as commanded through the test (lit in \(steps) step\(steps == 1 ? "" : "s"), read back by its sensor)")
            case .staysDark:
                add(id, .fail(remedy: "replace the lamp, then run the lamp test again; if a new lamp stays dark too, check its driver, fuse and wiring"),
                    "stays dark when lit: its sensor read no lamp")
            case .staysLit:
                add(id, .fail(remedy: "its driver or wiring keeps it on: check the driver's output stage and the wiring for a short to the supply"),
                    "stays lit when commanded dark")
            case .unsensed:
                add(id, .skip, "lit for \(DurationText.format(milliseconds: stepMs)); nothing reads it back, so look at it")
            case .untested(let reason):
                add(id, .skip, "not lit: \(reason)")
            }
        }
    }
}

extension DiagChecks {
    /// How long the lamp test polls after its last write: the sensor thread's poll is 5 ms, so the
    /// expanders' pins hold the inactive level well before this ends.
    fileprivate static let expanderFlushMs = 100
    /// How much longer it polls when an expander went silent: past the poller's restart of a silent part (1 s).
    fileprivate static let expanderRecoverMs = 1_500
}

/// What the running daemon knows of itself, for the checks it answers `diag.run` with.
struct LiveFacts {
    /// The I2C parts' health as the sensor thread last published it; nil without parts.
    var parts: PartsHealth?
    /// The device's status as the uplink last has it: ticks and their lateness, faults.
    var status: StatusReport
    /// The watchdog the daemon armed, nil when it runs without one.
    var watchdog: String?
}

extension DiagChecks {
    /// The checks the daemon answers from what it holds: its lines, its parts' health, its ticks, its
    /// watchdog, and the faults the crossing and the monitor carry.
    fileprivate mutating func liveChecks(_ device: DeviceFiles, _ live: LiveFacts) {
        let board = device.board
        add("gpio.lines", .pass, "the daemon holds the board's \(board.inputs.count) inputs and \(board.outputs.count) outputs")
        for config in board.i2c {
            let id = "i2c.\(baseName(config.bus)).\(hexText(config.address))"
            let roles = board.roleNames(servedBy: config)
            guard let health = live.parts?.of(config) else {
                add(id, .skip, "\(roles): \(config.label): not polled by this daemon")
                continue
            }
            if health.silent {
                add(id, .fail(remedy: "check the part's wiring and power (\(config.label) at \(hexText(config.address)) on \(config.bus)); its role stays at its safe level until it answers"),
                    "\(roles): \(config.label) is silent after \(health.failures) failed polls" + (health.lastError.map { "; last: \($0.detail)" } ?? ""))
            } else {
                add(id, .pass, "\(roles): \(config.label) answers (\(health.answers) polls, \(health.failures) failed)")
            }
        }
        let ticks = live.status.ticks
        latency("\(ticks.count) ticks", p50: ticks.latenessP50Ns, p99: ticks.latenessP99Ns, max: ticks.maxLatenessNs, overruns: Int(ticks.overruns))
        if let device = live.watchdog {
            add("watchdog", .pass, "\(device) armed by the daemon")
        } else {
            add("watchdog", device.site.daemon.watchdogDevice == nil ? .skip : .warn(remedy: "see why in the log (journalctl -u crossguard -b | grep watchdog)"),
                device.site.daemon.watchdogDevice == nil ? "the site sets no [daemon] watchdog" : "the daemon runs without its watchdog")
        }
        let status = live.status
        if status.detectorSuspect {
            add("detector.suspect", .warn(remedy: "check the on-crossing detector (/usr/share/doc/crossguard/field-guide.md): the clearance runs to its maximum until it triggers again"),
                "the on-crossing detector has not triggered through a whole clearance")
        }
        if status.failedLamps != OutputSet() {
            add("lamps", .fail(remedy: "replace the lamps named (/usr/share/doc/crossguard/field-guide.md), then prove them with the lamp test"), "failed lamps: \(status.failedLamps.jsonNames)")
        }
    }
}

/// An age as a technician says it: `42 s`, `17 min`, `5 h 3 min`, `2 d 4 h`.
private func ageText(_ ms: Int64) -> String {
    let s = ms / 1000
    switch s {
    case ..<60: return "\(s) s"
    case ..<3_600: return "\(s / 60) min"
    case ..<86_400: return "\(s / 3_600) h \(s % 3_600 / 60) min"
    default: return "\(s / 86_400) d \(s % 86_400 / 3_600) h"
    }
}

/// The last part of a path: `gpiochip0` of `/dev/gpiochip0`.
private func baseName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

extension DiagChecks {
    /// The uplink, step by step as the daemon meets it at each broker: the name, the TCP connection, TLS and
    /// its certificates, the MQTT session, and a message there and back. The running daemon skips these in
    /// `diag.run`: the command came over its uplink.
    fileprivate mutating func uplink(_ site: SiteConfig) {
        guard live == nil else { return }
        var uplink = site.uplink
        if let brokers { uplink.brokers = brokers }
        guard !uplink.brokers.isEmpty else {
            return add("uplink", .skip, "no broker: the site's [uplink] names none and no --broker was given; the daemon keeps events in its outbox")
        }
        let nowS = WallClock.unixMs() / 1000
        if uplink.brokers.contains(where: \.tls) { clientCertificate(uplink, nowS: nowS) }
        for (i, broker) in uplink.brokers.enumerated() {
            let probe = UplinkProbe.run(broker: broker, uplink: uplink, deviceID: site.deviceID, timeoutMs: uplinkTimeoutMs)
            report(probe, id: i == 0 ? "uplink" : "uplink.\(i + 1)", uplink: uplink, nowS: nowS)
        }
    }

    /// This device's own certificate for mutual TLS: read from its file, its dates against the clock.
    private mutating func clientCertificate(_ uplink: UplinkSettings, nowS: Int64) {
        guard let file = uplink.certFile else {
            return add("uplink.client_cert", .skip, "the site gives no uplink.cert_file: the broker is not offered a device certificate")
        }
        switch CertificateFacts.read(pemFile: file) {
        case .failure(let error):
            add("uplink.client_cert", .fail(remedy: "put this device's certificate (PEM) at \(file), readable by the daemon's user"), "\(file): \(error)")
        case .success(let cert):
            let what = "\(file): \(cert.subject), issued by \(cert.issuer)"
            let renew = "renew this device's certificate (\(file)) with the operations centre's CA"
            if cert.notAfter < nowS {
                add("uplink.client_cert", .fail(remedy: "\(renew): the broker refuses an expired one"), "\(what), expired on \(dateText(cert.notAfter))")
            } else if cert.notBefore > nowS {
                add("uplink.client_cert", .fail(remedy: "check this board's clock (clock.sync), then the certificate's dates"), "\(what), not valid before \(dateText(cert.notBefore))")
            } else if cert.notAfter - nowS < Self.certificateWarnS {
                add("uplink.client_cert", .warn(remedy: "\(renew) before \(dateText(cert.notAfter)): from then on the broker refuses this device"),
                    "\(what), valid until \(dateText(cert.notAfter)) (\(daysText(cert.notAfter - nowS)))")
            } else {
                add("uplink.client_cert", .pass, "\(what), valid until \(dateText(cert.notAfter)) (\(daysText(cert.notAfter - nowS)))")
            }
        }
    }

    /// A certificate that ends within this is a warning: 30 days, time to renew it across a fleet.
    private static let certificateWarnS: Int64 = 30 * 86_400
    /// A TCP connection slower than this warns: events still go, but a mobile link this slow drops often.
    private static let slowConnectMs = 1_000
    /// A round trip slower than this warns: an SOS reaches the centre seconds late.
    private static let slowRoundTripMs = 2_000

    /// One check line per step of a probe; the steps after a failed one are skipped with the reason.
    private mutating func report(_ probe: UplinkProbeResult, id: String, uplink: UplinkSettings, nowS: Int64) {
        let broker = probe.broker
        let port = "port \(broker.port)"
        var notTried: String?
        func skipped(_ check: String) -> Bool {
            guard let notTried else { return false }
            add("\(id).\(check)", .skip, "not tried: \(notTried)")
            return true
        }
        switch probe.lookup {
        case .literal(let address):
            add("\(id).dns", .pass, "\(broker): \(address) is an address, no lookup")
        case .resolved(let addresses, let us):
            add("\(id).dns", .pass, "\(broker.host): \(addresses.joined(separator: ", ")) in \(msText(us))")
        case .failed(let why):
            add("\(id).dns", .fail(remedy: "check the name in the broker URL and the cabinet's DNS (resolvectl status, /etc/resolv.conf); the broker's address works too, if its certificate names it"),
                "\(broker.host): \(why)")
            notTried = "the name has no address"
        }
        if !skipped("tcp") {
            switch probe.connection {
            case .connected(let address, let us)?:
                add("\(id).tcp", us > Self.slowConnectMs * 1_000 ? .warn(remedy: "a slow link: check the cabinet's mobile signal or line; events are kept and sent, but late") : .pass,
                    "connected to \(address) \(port) in \(msText(us))")
            case .refused(let address)?:
                add("\(id).tcp", .fail(remedy: "nothing listens there: check that the broker runs and the URL's port (1883 for mqtt://, 8883 for mqtts://)"),
                    "\(address) \(port) refused the connection")
                notTried = "no TCP connection"
            case .timedOut(let address, let ms)?:
                add("\(id).tcp", .fail(remedy: "a firewall or the mobile network blocks \(port): check the cabinet's router (its APN) and the broker's firewall"),
                    "no answer from \(address) \(port) within \(ms) ms")
                notTried = "no TCP connection"
            case .failed(let address, let reason)?:
                add("\(id).tcp", .fail(remedy: "check the cabinet's network: ip route shows a default route, ping \(address) answers"), "\(address) \(port): \(reason)")
                notTried = "no TCP connection"
            case nil:
                notTried = "no TCP connection"
            }
        }
        if broker.tls && !skipped("tls") {
            let trusted = uplink.caFile.map { "the CA in uplink.ca_file (\($0))" } ?? "the system's CA certificates (no uplink.ca_file)"
            switch probe.handshake {
            case .verified(let cert, let us)?:
                let what = "\(cert.subject), issued by \(cert.issuer), valid until \(dateText(cert.notAfter)) (\(daysText(cert.notAfter - nowS)))"
                if cert.notAfter - nowS < Self.certificateWarnS {
                    add("\(id).tls", .warn(remedy: "have the broker's certificate renewed before \(dateText(cert.notAfter)): from then on every device refuses the broker"), what)
                } else {
                    add("\(id).tls", .pass, "\(what); handshake in \(msText(us))")
                }
            case .refused(let reason, let mismatch, let cert?)?:
                let named = "\(cert.subject), issued by \(cert.issuer)"
                if cert.notAfter < nowS {
                    add("\(id).tls", .fail(remedy: "have the broker's certificate renewed (the operations centre's CA): every device refuses it"),
                        "the broker's certificate \(named) expired on \(dateText(cert.notAfter))")
                } else if cert.notBefore > nowS {
                    add("\(id).tls", .fail(remedy: "check this board's clock (clock.sync): a clock in the past makes every certificate look not yet valid"),
                        "the broker's certificate \(named) is not valid before \(dateText(cert.notBefore))")
                } else if mismatch {
                    add("\(id).tls", .fail(remedy: "put the name the broker's certificate carries in the broker URL, or have the certificate reissued for \(broker.host)"),
                        "the broker's certificate \(named) is not for \(broker.host)")
                } else if reason.contains("CERTIFICATE_VERIFY_FAILED") {
                    add("\(id).tls", .fail(remedy: "set uplink.ca_file to the CA that signed the broker's certificate (\(cert.issuer)), from the operations centre"),
                        "the broker's certificate \(named) is not trusted by \(trusted): \(reason)")
                } else {
                    add("\(id).tls", .fail(remedy: "check that \(port) is the broker's TLS listener and the site's TLS files (openssl s_client -connect \(broker.host):\(broker.port) shows the handshake)"),
                        "the handshake with the broker (certificate \(named)) failed: \(reason)")
                }
                notTried = "the TLS handshake failed"
            case .refused(let reason, _, nil)?:
                add("\(id).tls", .fail(remedy: "check that \(port) is the broker's TLS listener and the site's TLS files (openssl s_client -connect \(broker.host):\(broker.port) shows the handshake)"),
                    reason)
                notTried = "the TLS handshake failed"
            case nil:
                notTried = "no TLS handshake"
            }
        }
        if !skipped("connack") {
            switch probe.session {
            case .accepted(let us)?:
                add("\(id).connack", .pass, "session accepted in \(msText(us)) (client id \(probe.clientID))")
            case .refused(let code)?:
                add("\(id).connack", .fail(remedy: connackRemedy(code, probe: probe)), "the broker refused the session: return code \(code) (\(connackMeaning(code)))")
                notTried = "no MQTT session"
            case .noAnswer(let reason)?:
                let tlsAlert = reason.contains("ALERT")
                add("\(id).connack", .fail(remedy: !tlsAlert ? "check that \(port) is the broker's MQTT listener, and the broker's log"
                        : uplink.certFile == nil ? "the broker wants a device certificate: set uplink.cert_file and uplink.key_file to this device's, from the operations centre"
                        : "the broker refused this device's certificate (uplink.cert_file): have it signed by the operations centre's CA, or renewed"),
                    "no CONNACK: \(reason)")
                notTried = "no MQTT session"
            case nil:
                notTried = "no MQTT session"
            }
        }
        if !skipped("roundtrip") {
            let rules = "let this device publish and subscribe \(probe.topic) in the broker's access rules (field-guide.md, the uplink checks)"
            switch probe.roundTrip {
            case .received(let us)?:
                add("\(id).roundtrip", us > Self.slowRoundTripMs * 1_000 ? .warn(remedy: "a slow link: check the cabinet's mobile signal; an SOS reaches the centre this late") : .pass,
                    "published to \(probe.topic) and received back in \(msText(us))")
            case .subscriptionRefused(let topic)?:
                add("\(id).roundtrip", .fail(remedy: rules), "the broker refused the subscription to \(topic)")
            case .notReceived(let topic, let ms)?:
                add("\(id).roundtrip", .fail(remedy: rules + "; then check that events reach the centre"), "published to \(topic), not received back within \(ms) ms")
            case .failed(let reason)?:
                add("\(id).roundtrip", .fail(remedy: rules + "; the broker's log says why it ended the connection"), reason)
            case nil:
                add("\(id).roundtrip", .skip, "not tried")
            }
        }
    }

    /// MQTT 3.1.1 §3.2.2.3, table 3.1.
    private func connackMeaning(_ code: UInt8) -> String {
        switch code {
        case 1: "unacceptable protocol version"
        case 2: "identifier rejected"
        case 3: "server unavailable"
        case 4: "bad user name or password"
        case 5: "not authorized"
        default: "not defined by MQTT 3.1.1"
        }
    }

    private func connackRemedy(_ code: UInt8, probe: UplinkProbeResult) -> String {
        switch code {
        case 1: "the broker does not take MQTT 3.1.1: point the URL at a broker that does (Mosquitto, RabbitMQ's MQTT plugin, EMQX)"
        case 2: "the broker refuses client id \(probe.clientID): let its rules accept it beside the device's own id"
        case 3: "the broker runs but takes no sessions: ask the operations centre"
        default: "the broker does not let this device in: ask the operations centre to authorise it (its certificate, uplink.cert_file)"
        }
    }
}

/// A time in µs as milliseconds: `0.4 ms` below 10 ms, `42 ms` above.
private func msText(_ us: Int) -> String { us < 10_000 ? "\(us / 1_000).\(us % 1_000 / 100) ms" : "\(us / 1_000) ms" }

/// A date as `2027-03-14` (UTC), from seconds since 1970.
private func dateText(_ unixS: Int64) -> String { String(RFC3339.format(unixMs: unixS * 1000).prefix(10)) }

/// Days left, as `12 days`; under a day, `less than a day`; past, `expired`.
private func daysText(_ seconds: Int64) -> String {
    seconds < 0 ? "expired" : seconds < 86_400 ? "less than a day" : "\(seconds / 86_400) day\(seconds / 86_400 == 1 ? "" : "s")"
}
