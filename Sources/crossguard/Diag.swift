import ArgumentParser
import CrossguardCLI
import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
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
                    // The part the daemon's sensor thread would poll, brought up and read once.
                    guard let polled = try I2CParts.part(part, board: board, on: bus) else {
                        report(true, "\(board.roleNames(servedBy: part)): \(part.label): no line placed on it, left alone")
                        continue
                    }
                    report(true, "\(board.roleNames(servedBy: part)): \(part.label): \(try polled.probe { usleep(UInt32($0) * 1_000) })")
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

    private func kernelRelease() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
