import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
import CrossguardSim
import Foundation
import Synchronization
import Testing

/// What the daemon did to the world around it, in order, from any thread.
final class DaemonRecord: @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

final class RecordingUplink: DaemonUplink {
    let record: DaemonRecord
    init(_ record: DaemonRecord) { self.record = record }
    func start() { record.add("uplink start") }
    func stop() { record.add("uplink stop") }
}

final class RecordingWatchdog: DaemonWatchdog {
    let record: DaemonRecord
    init(_ record: DaemonRecord) { self.record = record }
    func pet() throws(HardwareError) { record.add("watchdog pet") }
    func closeCleanly() { record.add("watchdog closed") }
}

final class RecordingNotifier: DaemonNotifier {
    let record: DaemonRecord
    init(_ record: DaemonRecord) { self.record = record }
    func send(_ state: String) { record.add(state.split(separator: "\n")[0].description) }
}

/// Foundation threads, as the process uses.
struct TestThreads: DaemonThreads {
    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}

/// Real 1 ms ticks until tick `stuckAt`, where the tick thread hangs (a driver that never returns)
/// until the stop request: what the watchdog policy must notice.
final class HangingClock: TickClock {
    let stuckAt: UInt64
    let stop: StopRequest
    init(stuckAt: UInt64, stop: StopRequest) {
        self.stuckAt = stuckAt
        self.stop = stop
    }
    func waitForTick(_ tick: UInt64) -> UInt64 {
        if tick >= stuckAt {
            while !stop.wait(ns: 1_000_000_000) {}
        } else {
            usleep(1_000)
        }
        return 0
    }
}

struct TestClock: DaemonClock {
    let stuckAt: UInt64
    let stop: StopRequest
    func tickClock(periodNs: UInt64) -> TickClock { HangingClock(stuckAt: stuckAt, stop: stop) }
    func nowNs() -> UInt64 { MonotonicTickClock.nowNs() }
}

/// One device of a fleet in this process: its own lines, state directory, uplink and stop request.
struct TestDevice {
    let bank: SimulatedLineBank
    let record = DaemonRecord()
    let stop = StopRequest()
    let service: DaemonService
    let stateDir: String

    init(name: String, stuckAt: UInt64 = .max) throws {
        let board = testBoard()
        bank = SimulatedLineBank(board: board)
        stateDir = NSTemporaryDirectory() + "crossguard-daemon-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let keeper = LatchKeeper(record: FileRecord(directory: stateDir, name: "latch"))
        let runtime = try DeviceRuntime(site: testSite(tickMs: 1), board: board, bank: bank, display: nil, latchKeeper: keeper)
        let record = self.record
        service = DaemonService(
            parts: DaemonService.Parts(runtime: runtime, keeper: keeper, uplink: RecordingUplink(record),
                                       watchdog: RecordingWatchdog(record), notifier: RecordingNotifier(record)),
            clock: TestClock(stuckAt: stuckAt, stop: stop), threads: TestThreads(), stop: stop, log: { record.add($0) },
            watchdogCheckNs: 20_000_000)
    }

    /// Runs the service on a thread of its own.
    func start() -> Outcome {
        let outcome = Outcome(), service = self.service
        Thread {
            outcome.status.store(service.run(), ordering: .releasing)
            outcome.done.signal()
        }.start()
        return outcome
    }
}

/// A service's end: signalled with its exit status when `run()` returns.
final class Outcome: Sendable {
    let done = DispatchSemaphore(value: 0)
    let status = Atomic<Int32>(-1)
    /// The exit status, or nil when it has not returned within 5 s.
    func wait() -> Int32? { done.wait(timeout: .now() + 5) == .success ? status.load(ordering: .acquiring) : nil }
}

@Suite("The daemon service: start and stop order, watchdog policy, several devices in one process")
struct DaemonServiceTests {
    @Test func twoDevicesRunInOneProcessAndEachStopsInOrder() throws {
        let a = try TestDevice(name: "a"), b = try TestDevice(name: "b")
        let endA = a.start(), endB = b.start()
        // Both tick, each on its own lines.
        for device in [a, b] {
            let deadline = MonotonicTickClock.nowNs() + 10_000_000_000
            while device.service.ticks < 200 && MonotonicTickClock.nowNs() < deadline { usleep(5_000) }
            #expect(device.service.ticks >= 200)
        }
        #expect(a.bank.outputLevels.contains { $0.on })   // the start-up flash or the crossing is lit
        a.stop.request()
        #expect(endA.wait() == 0)
        // A stopped device leaves every output inactive; the other one runs on.
        #expect(!a.bank.outputLevels.contains { $0.on })
        let bTicks = b.service.ticks
        usleep(50_000)
        #expect(b.service.ticks > bTicks)
        b.stop.request()
        #expect(endB.wait() == 0)

        for device in [a, b] {
            let lines = device.record.all.filter { !$0.hasPrefix("watchdog pet") && $0 != "WATCHDOG=1" }
            #expect(lines == ["uplink start", "READY=1", "STOPPING=1", "uplink stop", "watchdog closed"], "\(device.record.all)")
            #expect(device.record.all.contains("watchdog pet"))  // petted while the ticks ran
        }
    }

    @Test func aHungTickStopsTheWatchdogPetsAndAStopStillEndsInOrder() throws {
        let device = try TestDevice(name: "hung", stuckAt: 30)
        let end = device.start()
        let deadline = MonotonicTickClock.nowNs() + 10_000_000_000
        while device.service.ticks < 30 && MonotonicTickClock.nowNs() < deadline { usleep(5_000) }
        #expect(device.service.ticks == 30)
        usleep(100_000)  // a couple of watchdog periods with the tick stuck
        let petsBefore = device.record.all.filter { $0 == "watchdog pet" }.count
        usleep(200_000)  // ten periods more: a stuck tick is never petted for
        #expect(device.record.all.filter { $0 == "watchdog pet" }.count == petsBefore)
        device.stop.request()
        #expect(end.wait() == 0)
        #expect(device.record.all.suffix(3) == ["STOPPING=1", "uplink stop", "watchdog closed"])
    }
}
