import ArgumentParser
import CrossguardCLI
import CrossguardCore
import CrossguardDrivers
import CrossguardHAL
import CrossguardLinux
import CrossguardTOML
import Foundation
import Synchronization

/// `crossguard diag`: the field technician's check of a board with the daemon stopped. Every GPIO line of
/// the board file is requested on its own (outputs at their inactive level, the safe state), every I2C
/// part is brought up and read once (an expander is configured as the board lays it out, outputs
/// inactive, and each of its lines printed), and the real-time set-up the site asks for is tried, so one
/// run lists every problem at once instead of the daemon's first.
struct Diag: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a board's lines, I2C parts and real-time set-up (run it with the daemon stopped).",
        discussion: """
            Each GPIO line is requested alone (an output at its inactive level), each I2C part is identified \
            and read once (each expander line's level is shown, its outputs left inactive), and the site's \
            [daemon] settings are tried. Exit status 0 when everything answers, \
            1 when something does not; each problem names the role, the line or address and what to check.
            """)

    @OptionGroup var files: DeviceOptions

    func run() throws {
        let device = try loadDevice(board: files.boardPath(), site: files.sitePath())
        var problems = 0
        func report(_ ok: Bool, _ text: String) {
            if !ok { problems += 1 }
            print((ok ? "  ok    " : "  FAIL  ") + text)
        }
        let board = device.board
        print("crossguard \(firmwareVersion), \(GPIODLineBank.libraryDescription), kernel \(kernelRelease())")
        print("board \(board.name) (\(device.boardPath)), site \(device.site.deviceID) (\(device.sitePath))")

        let gpio = board.gpioLinesOnly
        print("GPIO lines (\(gpio.inputs.count) inputs, \(gpio.outputs.count) outputs):")
        for line in gpio.inputs {
            do {
                let bank = try GPIODLineBank(inputs: [line.gpio], outputs: [], consumer: "crossguard-diag")
                var samples = [LineSample(level: false)]
                try bank.sampleInputs(into: &samples)
                report(true, "\(line.roleName) \(line.address): \(samples[0].level ? "active" : "inactive")")
            } catch {
                report(false, "\(error)")  // the backend names the role and the line
            }
        }
        for line in gpio.outputs {
            do {
                _ = try GPIODLineBank(inputs: [], outputs: [line.gpio], consumer: "crossguard-diag")
                report(true, "\(line.roleName) \(line.address): requested, left inactive")
            } catch {
                report(false, "\(error)")  // the backend names the role and the line
            }
        }

        if !board.i2c.isEmpty {
            print("I2C parts:")
            var buses: [String: LinuxI2CBus] = [:]
            for part in board.i2c {
                do {
                    let bus: LinuxI2CBus
                    if let open = buses[part.bus] { bus = open } else {
                        bus = try LinuxI2CBus(path: part.bus)
                        buses[part.bus] = bus
                    }
                    report(true, "\(board.roleNames(servedBy: part)): \(part.label): \(try Diag.read(part, board: board, on: bus))")
                } catch {
                    report(false, "\(board.roleNames(servedBy: part)): \(part.label): \(error)")
                }
            }
        }

        print("real time (site [daemon]):")
        let settings = device.site.daemon
        // Tried on a thread of its own, as the daemon's tick thread does, so this one stays as it was.
        let result = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        Thread {
            let warnings = Realtime.configureCurrentThread(priority: settings.realtimePriority)
            result.withLock { $0 = warnings }
            done.signal()
        }.start()
        done.wait()
        let warnings = result.withLock { $0 }
        report(warnings.isEmpty, warnings.isEmpty
            ? "timer slack 1 ns" + (settings.realtimePriority.map { ", SCHED_FIFO priority \($0)" } ?? "") + " granted"
            : warnings.joined(separator: "; "))
        if settings.lockMemory {
            let warning = Realtime.lockMemory()
            report(warning == nil, warning ?? "mlockall granted")
            munlockall()
        }
        if let watchdog = settings.watchdogDevice {
            // Opening a watchdog arms it, so only its presence and rights are checked here.
            let writable = access(watchdog, W_OK) == 0
            report(writable, writable ? "\(watchdog) present and writable (not opened: that would arm it)"
                                      : "\(watchdog): \(String(cString: strerror(errno)))")
        }
        print(problems == 0 ? "diag: everything answers" : "diag: \(problems) problem\(problems == 1 ? "" : "s")")
        if problems > 0 { throw ExitCode(1) }
    }

    /// Brings one part up and reads it once, as the technician wants to see it: a distance, a current,
    /// a light level, each expander line's level; the display shows 8888 for a moment, then goes blank.
    static func read(_ part: I2CDeviceConfig, board: BoardConfig, on bus: LinuxI2CBus) throws(HardwareError) -> String {
        switch part.part {
        case .vl53l0x:
            let sensor = VL53L0X(bus: bus, address: part.address)
            try sensor.start()
            for _ in 0..<50 {  // a sample takes about 30 ms
                if let reading = try sensor.readDistance() {
                    if case .millimeters(let mm) = reading { return "\(mm) mm" }
                    return "nothing in range"
                }
                usleep(10_000)
            }
            return "started, but no sample within 0.5 s"
        case .ina219, .ina226:
            let shuntMilliohms = UInt32(shunt(part))
            let monitor: any CurrentMonitor = part.part == .ina219
                ? try INA219(bus: bus, address: part.address, shuntMilliohms: shuntMilliohms)
                : try INA226(bus: bus, address: part.address, shuntMilliohms: shuntMilliohms)
            try monitor.start()
            usleep(UInt32(monitor.resultMicroseconds + 2_000))  // one whole result, and a little
            return "\(try monitor.readCurrentMilliamps()) mA"
        case .veml7700:
            let sensor = VEML7700(bus: bus)
            try sensor.start()
            usleep(150_000)  // one 100 ms integration
            return String(format: "%.1f lx", try sensor.readLux())
        case .ht16k33:
            let display = HT16K33(bus: bus, address: part.address)
            try display.start()
            try display.show(8888)
            usleep(1_000_000)
            try display.show(nil)
            return "showed 8888 for 1 s"
        case .mcp23017:
            guard let layout = board.expanderLayout(part) else { return "not an expander" }
            let expander = MCP23017(bus: bus, address: part.address)
            try expander.configure(inputs: layout.directions, pullUps: layout.pullUps, outputLevels: layout.inactiveLatch)
            usleep(1_000)  // the 100 kΩ pull-ups charge the line
            let raw = try expander.readLines()
            let levels = layout.inputLevels(raw: raw)
            let lines = layout.lines.map { line in
                let bit: UInt16 = 1 << UInt16(line.pin)
                let level = raw & bit != 0 ? "high" : "low"
                return line.isInput
                    ? "\(line.roleName) \(ExpanderPin.name(line.pin)) \(levels & bit != 0 ? "active" : "inactive") (\(level))"
                    : "\(line.roleName) \(ExpanderPin.name(line.pin)) output, left inactive (\(level))"
            }
            return lines.isEmpty ? "configured; no lines placed on it" : "\n          " + lines.joined(separator: "\n          ")
        }
    }

    private static func shunt(_ part: I2CDeviceConfig) -> Int {
        if case .lampCurrent(let shunt, _, _) = part.function { return shunt }
        return 1
    }

    private func kernelRelease() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
