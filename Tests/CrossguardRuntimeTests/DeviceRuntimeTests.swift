import CrossguardCore
import CrossguardHAL
import CrossguardRuntime
import CrossguardSim
import Testing

/// Parses a TOML-free site: the runtime tests build their configs from values.
func testSite(tickMs: Int = 10) -> SiteConfig {
    let crossing = CrossingSettings(
        lengthMeters: 8, walkingSpeedMetersPerSecond: 1.0, minGreen: 5_000, flashingGreen: 0, amber: 3_000,
        allRed: 1_000, allRedAfterClearance: 3_000, redAmber: 0, walk: 7_000, clearance: 8_000, clearanceMax: 8_000,
        maxWait: 45_000, kerbDwell: 1_000, kerbCancel: 2_000, startupFlash: 3_000, startupAllRed: 1_000, countdown: true)
    return SiteConfig(
        deviceID: "rt", profile: .signalized(crossing), regime: .us, tickMs: tickMs, flash: FlashSettings(flashesPerMinute: 60, duty: 0.5),
        sos: SOSSettings(longPress: 0, ackTimeout: 60_000, stuckAfter: 30_000, selfTestEvery: 86_400_000),
        uplink: UplinkSettings())
}

func line(_ name: String) -> LineAddress { LineAddress.named(name, chip: "sim") }

/// Two red lamps (a copy), the rest of the heads, a button with 30 ms debounce, and the SOS post.
func testBoard() -> BoardConfig {
    BoardConfig(
        name: "rt", description: "",
        inputs: [
            InputLine(role: .pedButton, copy: 1, address: line("B"), activeLow: true, bias: .pullUp, debounceMs: 30),
            InputLine(role: .sosButton, copy: 1, address: line("S"), activeLow: true, bias: .pullUp, debounceMs: 0),
        ],
        outputs: [
            OutputLine(role: .vehicleRed, copy: 1, address: line("R1"), activeLow: false),
            OutputLine(role: .vehicleRed, copy: 2, address: line("R2"), activeLow: false),
            OutputLine(role: .vehicleAmber, copy: 1, address: line("A"), activeLow: false),
            OutputLine(role: .vehicleGreen, copy: 1, address: line("G"), activeLow: false),
            OutputLine(role: .pedDontWalk, copy: 1, address: line("DW"), activeLow: false),
            OutputLine(role: .pedWalk, copy: 1, address: line("W"), activeLow: false),
            OutputLine(role: .sosYellow, copy: 1, address: line("SY"), activeLow: false),
            OutputLine(role: .sosGreen, copy: 1, address: line("SG"), activeLow: false),
        ],
        hasCountdown: true)
}

/// A bank that fails every call, as an unplugged expander would.
final class FailingBank: LineBank {
    let inputCount = 2
    let outputCount = 8
    var writes = 0
    func sampleInputs(into samples: inout [LineSample]) throws(HardwareError) { throw HardwareError(.noAcknowledge, "expander at 0x20 did not answer") }
    func writeOutputs(_ levels: [Bool]) throws(HardwareError) { writes += 1; throw HardwareError(.busFault, "write failed") }
}

/// A clock that reports a fixed lateness on chosen ticks.
final class LateClock: TickClock {
    let lateOn: Set<UInt64>
    init(lateOn: Set<UInt64>) { self.lateOn = lateOn }
    func waitForTick(_ tick: UInt64) -> UInt64 { lateOn.contains(tick) ? 25_000_000 : 100_000 }
}

@Suite("Device runtime on the simulated board")
struct DeviceRuntimeTests {
    @Test func debouncedPressDrivesTheLinesAndCopiesFollowTheirRole() throws {
        let bank = SimulatedLineBank(board: testBoard())
        let display = SimulatedDisplay()
        let runtime = try DeviceRuntime(site: testSite(), board: testBoard(), bank: bank, display: display)
        runtime.run(clock: VirtualClock(), limit: 500)  // start-up over: green since 4 s
        #expect(bank.outputLevels.first { $0.role == "vehicle.green" }?.on == true)
        bank.setInput("ped.button", true)
        runtime.tick()
        runtime.tick()
        runtime.tick()
        #expect(runtime.device.controller.crossing?.demand == nil)   // held 20 ms of the 30 ms debounce
        runtime.tick()
        #expect(runtime.device.controller.crossing?.demand == .pedButton)
        bank.setInput("ped.button", false)
        runtime.run(clock: VirtualClock(), limit: 1_000)      // amber, all-red, walk
        let levels = Dictionary(uniqueKeysWithValues: bank.outputLevels.map { ($0.role, $0.on) })
        #expect(levels["vehicle.red"] == true && levels["vehicle.red.2"] == true)
        #expect(levels["ped.walk"] == true && levels["vehicle.green"] == false)
        #expect(display.shown == nil)
        while runtime.device.controller.crossing?.phase != .pedestrianClearance { runtime.tick() }
        #expect(display.shown == 8)                            // the 8 s clearance counts down on the display
        runtime.run(clock: VirtualClock(), limit: 100)
        #expect(display.shown == 7)
    }

    @Test func subTickPulseOnAZeroDebounceLineRaisesTheAlarm() throws {
        let bank = SimulatedLineBank(board: testBoard())
        let runtime = try DeviceRuntime(site: testSite(), board: testBoard(), bank: bank, display: nil)
        runtime.tick()
        bank.setInput("sos.button", true)
        bank.setInput("sos.button", false)                    // pressed and released between two ticks
        runtime.tick()
        #expect(runtime.device.controller.sos?.openAlarm == 1)
        #expect(bank.outputLevels.first { $0.role == "sos.yellow" }?.on == true)
    }

    @Test func alarmIdsAreNotReusedAfterARestart() throws {
        func raiseAlarm(firstSeq: UInt64) throws -> (alarm: UInt32, nextSeq: UInt64) {
            let bank = SimulatedLineBank(board: testBoard())
            let runtime = try DeviceRuntime(site: testSite(), board: testBoard(), bank: bank, display: nil, firstSeq: firstSeq)
            runtime.tick()
            bank.setInput("sos.button", true)
            bank.setInput("sos.button", false)
            runtime.tick()
            return (try #require(runtime.device.controller.sos?.openAlarm), runtime.nextSeq)
        }
        let first = try raiseAlarm(firstSeq: 1)
        #expect(first.alarm == 1)
        // The restart continues from the seq the outbox kept; with a fixed start both runs would say alarm 1.
        let second = try raiseAlarm(firstSeq: first.nextSeq)
        #expect(second.alarm > first.alarm)
        #expect(UInt64(second.alarm) == first.nextSeq)
    }

    @Test func commandsArriveThroughTheMailboxOnePerTick() throws {
        let bank = SimulatedLineBank(board: testBoard())
        let runtime = try DeviceRuntime(site: testSite(), board: testBoard(), bank: bank, display: nil)
        runtime.commands.post(.acknowledgeAlarm(alarmID: nil))
        runtime.commands.post(.setMode(.dark, revertAfterTicks: nil))
        #expect(runtime.tick().commandOutcome == .refused(.noOpenAlarm))
        #expect(runtime.tick().commandOutcome == .accepted)
        #expect(runtime.tick().commandOutcome == nil)
        #expect(bank.outputLevels.allSatisfy { !$0.on })
    }

    @Test func mailboxIsBoundedAndCountsWhatItRefuses() {
        let mailbox = CommandMailbox(capacity: 2)
        #expect(mailbox.post(.resetFault))
        #expect(mailbox.post(.resetFault))
        #expect(!mailbox.post(.resetFault))
        #expect(mailbox.refusedCount == 1)
        #expect(mailbox.take()?.command == .resetFault)
        #expect(mailbox.take()?.command == .resetFault)
        #expect(mailbox.take() == nil)
    }

    @Test func hardwareErrorsAreCountedAndTimeGoesOn() throws {
        let bank = FailingBank()
        let runtime = try DeviceRuntime(site: testSite(), board: testBoard(), bank: bank, display: nil)
        runtime.run(clock: VirtualClock(), limit: 450)
        #expect(runtime.device.controller.tick == 450)               // the controller kept its time
        #expect(runtime.device.controller.crossing?.phase == .vehicleGreen)
        #expect(runtime.statistics.hardwareErrors == 900)    // one read and one write error a tick
        #expect(runtime.lastHardwareError?.kind == .busFault)
        #expect(bank.writes == 450)                           // it kept trying every tick
    }

    @Test func lateWakeUpsAreCountedNotCaughtUp() throws {
        let runtime = try DeviceRuntime(site: testSite(), board: testBoard(), bank: SimulatedLineBank(board: testBoard()), display: nil)
        runtime.run(clock: LateClock(lateOn: [3, 7]), limit: 10)
        #expect(runtime.statistics.ticks == 10)
        #expect(runtime.statistics.overruns == 2)
        #expect(runtime.statistics.maxLatenessNs == 25_000_000)
    }

    @Test func mismatchedBankIsRefusedAtStart() {
        #expect(throws: HardwareError.self) {
            _ = try DeviceRuntime(site: testSite(), board: testBoard(), bank: FailingBankWithWrongShape(), display: nil)
        }
    }

    @Test func safeStateDarkensEveryLine() throws {
        let bank = SimulatedLineBank(board: testBoard())
        let display = SimulatedDisplay()
        let runtime = try DeviceRuntime(site: testSite(), board: testBoard(), bank: bank, display: display)
        runtime.run(clock: VirtualClock(), limit: 500)
        #expect(bank.outputLevels.contains { $0.on })
        try runtime.writeSafeState()
        #expect(bank.outputLevels.allSatisfy { !$0.on })
        #expect(display.shown == nil)
    }
}

final class FailingBankWithWrongShape: LineBank {
    let inputCount = 1
    let outputCount = 1
    func sampleInputs(into samples: inout [LineSample]) throws(HardwareError) {}
    func writeOutputs(_ levels: [Bool]) throws(HardwareError) {}
}
