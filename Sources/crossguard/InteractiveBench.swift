import CrossguardCLI
import CrossguardCore
import CrossguardLinux
import CrossguardRuntime
import CrossguardSim
import CrossguardTOML
import Dispatch
import Synchronization

/// The interactive bench: the runtime ticks in real time on its own thread; this thread reads keys,
/// drives the simulated inputs and draws the screen about 20 times a second.
struct InteractiveBench {
    let device: DeviceFiles
    let runtime: DeviceRuntime
    let bank: SimulatedLineBank
    let light: SimulatedLightSensor
    /// Set by SIGTERM or SIGINT, and by the q key: the tick thread stops at its next tick.
    let stop: StopRequest
    /// Puts the uplink's feed in front of the screen's observer, when the uplink runs.
    var observe: (TickObserver) -> TickObserver = { $0 }

    func run() throws {
        let terminal = Terminal()
        guard terminal.enterRawMode() else { return }
        defer { terminal.restore() }
        let monitor = BenchMonitor()
        let finished = DispatchSemaphore(value: 0)
        let box = Handoff((runtime, observe(monitor), stop))
        let periodNs = UInt64(device.site.tickMs) * 1_000_000
        let started = ProcessThread.start(name: "bench-tick") {
            let (runtime, monitor, stop) = box.value
            runtime.run(clock: MonotonicTickClock(periodNs: periodNs), observer: monitor, shouldStop: { stop.isRequested })
            finished.signal()
        }
        guard started else { return logLine("bench: the system refused a thread for the tick") }

        let screen = BenchScreen(site: device.site, board: device.board, siteFile: device.sitePath, boardFile: device.boardPath)
        var releases: [(role: String, atNs: UInt64)] = []
        var quit = false
        while !quit && !stop.isRequested {
            for key in terminal.readKeys(timeoutMs: 50) {
                let now = MonotonicTickClock.nowNs()
                func press(_ role: String) {
                    if bank.setInput(role, true) { releases.append((role, now + 300_000_000)) }
                }
                func toggle(_ role: String) { bank.setInput(role, !bank.input(role)) }
                func toggleLamp(_ sense: String, _ fault: Bool) { bank.setLampFault(sense, bank.lampFault(sense) == nil ? fault : nil) }
                switch key {
                case UInt8(ascii: "q"), 3, 4: quit = true
                case UInt8(ascii: "b"): press("ped.button")
                case UInt8(ascii: "s"): press("sos.button")
                case UInt8(ascii: "h"): toggle("sos.button")
                case UInt8(ascii: "k"): toggle("ped.kerb")
                case UInt8(ascii: "c"): toggle("ped.crossing")
                case UInt8(ascii: "t"): toggle("cabinet.door")
                case UInt8(ascii: "m"): toggle("mains.ok")
                case UInt8(ascii: "l"): toggle("battery.low")
                case UInt8(ascii: "a"): runtime.commands.post(.acknowledgeAlarm(alarmID: nil))
                case UInt8(ascii: "x"): runtime.commands.post(.closeAlarm(alarmID: nil))
                case UInt8(ascii: "f"): runtime.commands.post(.setMode(.flash, revertAfterTicks: nil))
                case UInt8(ascii: "d"): runtime.commands.post(.setMode(.dark, revertAfterTicks: nil))
                case UInt8(ascii: "n"): runtime.commands.post(.setMode(.normal, revertAfterTicks: nil))
                case UInt8(ascii: "r"): runtime.commands.post(.resetFault)
                case UInt8(ascii: "e"): toggleLamp("lamp.vehicle.red", false)
                // The second red: the copy on a signalized head, the right-hand red of a hybrid beacon.
                case UInt8(ascii: "E"): toggleLamp(device.site.profile.kind == .hybridBeacon ? "lamp.vehicle.red.right" : "lamp.vehicle.red.2", false)
                case UInt8(ascii: "g"): toggleLamp("lamp.vehicle.green", true)
                case UInt8(ascii: "N"): light.set((light.latestLux() ?? 500) < 10 ? 500 : 2)
                default: break
                }
            }
            let now = MonotonicTickClock.nowNs()
            releases.removeAll { release in
                guard release.atNs <= now else { return false }
                bank.setInput(release.role, false)
                return true
            }
            terminal.write(screen.render(monitor.snapshot, inputs: bank.input))
        }
        stop.request()
        finished.wait()
        try runtime.writeSafeState()
    }
}
