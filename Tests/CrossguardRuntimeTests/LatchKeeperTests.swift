import CrossguardCore
import CrossguardHAL
import CrossguardLinux
import CrossguardRuntime
import CrossguardSim
import Glibc
import Synchronization
import Testing

/// A durable record in memory, shared by the "runs" of one test as a state directory would be.
final class MemoryRecord: DurableRecord {
    let location = "memory/latch"
    let bytes = Mutex<[UInt8]?>(nil)
    let failing = Mutex(false)
    let unreadable = Mutex(false)
    func read() throws(HardwareError) -> [UInt8]? {
        if unreadable.withLock({ $0 }) { throw HardwareError(.busFault, "I/O error") }
        return bytes.withLock { $0 }
    }
    func write(_ new: [UInt8]) throws(HardwareError) {
        if failing.withLock({ $0 }) { throw HardwareError(.other, "disk full") }
        bytes.withLock { $0 = new }
    }
    var text: String? { bytes.withLock { $0.map { String(decoding: $0, as: UTF8.self) } } }
}

@Suite("The latched fail-safe survives a restart")
struct LatchKeeperTests {
    func runtime(_ record: MemoryRecord) throws -> (DeviceRuntime, SimulatedLineBank, LatchKeeper) {
        let keeper = LatchKeeper(record: record, firstRetryPauseMs: 5, maximumRetryPauseMs: 20)
        let bank = SimulatedLineBank(board: sensedBoard())
        return (try DeviceRuntime(site: testSite(), board: sensedBoard(), bank: bank, display: nil, latchKeeper: keeper), bank, keeper)
    }

    @Test func latchKeptResetAndCleared() throws {
        let record = MemoryRecord()
        // First run: the green driver sticks on; the monitor latches and the keeper writes it down.
        do {
            let (rt, bank, keeper) = try runtime(record)
            rt.run(clock: VirtualClock(), limit: 100)
            #expect(record.text == nil)                                  // nothing to keep yet
            bank.setLampFault("lamp.vehicle.green", true)
            rt.run(clock: VirtualClock(), limit: 200)
            #expect(rt.device.monitor.latched == .lampStuckOn)
            keeper.flush()
            #expect(record.text == "latched lamp-stuck-on vehicle.green\n")
        }
        // Second run (power cycled, lamp still stuck): latched from the first tick, and the centre is told.
        do {
            let (rt, _, keeper) = try runtime(record)
            let log = EventLog()
            rt.run(clock: VirtualClock(), limit: 300, observer: log)
            #expect(rt.device.monitor.latched == .lampStuckOn)
            #expect(rt.device.monitor.involved == OutputSet([.vehicleGreen]))
            #expect(log.names.prefix(2) == ["controller.started", "safety.failsafe raised"])
            #expect(!rt.outputs.lit.contains(.vehicleGreen) && !rt.outputs.lit.contains(.vehicleRed))  // flashing amber only
            // The technician repairs and resets: the record says clear.
            rt.commands.post(.resetFault)
            rt.tick()
            keeper.flush()
            #expect(rt.device.monitor.latched == nil)
            #expect(record.text == "clear\n")
        }
        // Third run: nothing latched, the start-up sequence runs.
        let (rt, _, _) = try runtime(record)
        rt.tick()
        #expect(rt.device.monitor.latched == nil)
        #expect(rt.device.controller.crossing?.phase == .startupFlash)
    }

    @Test func anSOSPostAloneKeepsItsLatchAndItsLights() throws {
        // Every profile is monitored, so every profile keeps its latch: an SOS post that latched (an output
        // it never drives was lit) restarts latched, still answers a press, and is cleared by a reset.
        let record = MemoryRecord()
        record.bytes.withLock { $0 = Array("latched unassigned-output vehicle.amber\n".utf8) }
        var site = testSite()
        site.profile = .none
        let keeper = LatchKeeper(record: record, firstRetryPauseMs: 5, maximumRetryPauseMs: 20)
        let bank = SimulatedLineBank(board: testBoard())
        let rt = try DeviceRuntime(site: site, board: testBoard(), bank: bank, display: nil, latchKeeper: keeper)
        let log = EventLog()
        rt.run(clock: VirtualClock(), limit: 10, observer: log)
        #expect(rt.device.monitor.latched == .unassignedOutput)
        #expect(log.names.prefix(2) == ["controller.started", "safety.failsafe raised"])
        #expect(bank.setInput("sos.button", true))
        rt.run(clock: VirtualClock(), limit: 10, observer: log)
        #expect(rt.outputs.lit.contains(.sosYellow), "the person at the post must see the alarm: \(rt.outputs.lit)")
        #expect(!rt.outputs.lit.contains(.vehicleAmber))  // a post has no head to flash
        rt.commands.post(.resetFault)
        rt.tick()
        keeper.flush()
        #expect(rt.device.monitor.latched == nil)
        #expect(record.text == "clear\n")
    }

    @Test("an unreadable record keeps the device in fail-safe", arguments: [
        "latched\n", "latched conflict\n", "latched warp-drive vehicle.red\n", "latched conflict vehicle.purple\n", "\u{0}\u{1}garbage", "latched conflict -",
    ])
    func unreadableRecord(_ text: String) throws {
        let record = MemoryRecord()
        record.bytes.withLock { $0 = Array(text.utf8) }
        let (rt, _, _) = try runtime(record)
        #expect(rt.device.monitor.latched == .latchUnreadable)
        #expect(rt.latchProblem?.hasPrefix("memory/latch ") == true)
    }

    @Test func everyRuleAndOutputRoundTrips() {
        for rule in SafetyRule.allCases {
            let latch = KeptLatch(rule: rule, outputs: OutputSet([.vehicleRed, .pedWalk, .vehicleRedRight]))
            #expect(KeptLatch.decode(KeptLatch.encode(latch)).latch == latch)
        }
        #expect(KeptLatch.decode(KeptLatch.encode(KeptLatch(rule: .conflict, outputs: OutputSet()))).latch?.outputs == OutputSet())
        #expect(KeptLatch.decode(KeptLatch.encode(nil)).latch == nil)
        #expect(KeptLatch.decode(KeptLatch.encode(nil)).problem == nil)
    }

    @Test func aFailedWriteIsRetriedUntilItLands() throws {
        let record = MemoryRecord()
        record.failing.withLock { $0 = true }
        let (rt, bank, keeper) = try runtime(record)
        rt.run(clock: VirtualClock(), limit: 100)
        bank.setLampFault("lamp.vehicle.green", true)
        rt.run(clock: VirtualClock(), limit: 200)
        keeper.flush()
        #expect(keeper.health.failures >= 1)
        #expect(keeper.health.pending)
        #expect(keeper.health.last?.detail == "disk full")
        #expect(rt.device.monitor.latched == .lampStuckOn)  // the fail-safe holds meanwhile
        record.failing.withLock { $0 = false }                  // the disk has room again
        var waited = 0
        while keeper.health.pending && waited < 2_000 {
            usleep(5_000)
            waited += 5
        }
        #expect(!keeper.health.pending)
        #expect(record.text == "latched lamp-stuck-on vehicle.green\n")
    }

    @Test func storageThatCannotBeReadStartsInFailSafe() throws {
        let record = MemoryRecord()
        record.unreadable.withLock { $0 = true }
        let (rt, _, _) = try runtime(record)
        #expect(rt.device.monitor.latched == .latchUnreadable)
        #expect(rt.latchProblem == "memory/latch cannot be read: bus-fault: I/O error")
    }
}

@Suite("FileRecord: crash-safe files in the state directory")
struct FileRecordTests {
    func temporaryDirectory() -> String {
        var template = Array("/tmp/crossguard-test-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return String(cString: path!)
    }

    @Test func writesReadsAndLeavesNoTemporaryFile() throws {
        let dir = temporaryDirectory()
        try FileRecord.checkDirectory(dir)
        let record = FileRecord(directory: dir, name: "latch")
        #expect(try record.read() == nil)
        try record.write(Array("latched conflict vehicle.green\n".utf8))
        try record.write(Array("clear\n".utf8))
        #expect(try record.read() == Array("clear\n".utf8))
        #expect(access(dir + "/latch.tmp", F_OK) != 0)
        unlink(dir + "/latch")
        rmdir(dir)
    }

    @Test func missingDirectoryAndOversizedRecordAreErrorsWithAKind() throws {
        #expect(throws: HardwareError.self) { try FileRecord.checkDirectory("/nonexistent/crossguard") }
        do {
            try FileRecord.checkDirectory("/nonexistent/crossguard")
        } catch {
            #expect(error.kind == .notFound)
            #expect(error.detail.contains("/nonexistent/crossguard"))
        }
        let dir = temporaryDirectory()
        let record = FileRecord(directory: dir, name: "latch", maximumBytes: 16)
        try FileRecord(directory: dir, name: "latch").write(Array(repeating: UInt8(ascii: "x"), count: 100))
        #expect(throws: HardwareError.self) { _ = try record.read() }
        unlink(dir + "/latch")
        rmdir(dir)
    }
}
