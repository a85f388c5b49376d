import CrossguardCore
import CrossguardHAL
import CrossguardRuntime
import CrossguardSim
import Testing

let expanderX1 = I2CDeviceConfig(part: .mcp23017, bus: "/dev/i2c-1", address: 0x20, role: nil, function: .expander(name: "x1"), pollMs: 5)

func pin(_ number: Int) -> LineAddress { LineAddress.expanderPin(expander: "x1", pin: number) }

/// The runtime test board with lines on expander x1 between and after its GPIO lines:
/// inputs `ped.button` (GPIO), `ped.button.2` (GPA0, active-low, no debounce), `sos.button` (GPIO),
/// `ped.crossing` (GPB1); outputs the heads and SOS lights on GPIO, `ped.wait` on GPB0 (third in board
/// order) and `sos.strobe` on GPA6 (active-low, last).
func expanderBoard() -> BoardConfig {
    var b = testBoard()
    b.inputs.insert(InputLine(role: .pedButton, copy: 2, address: pin(0), activeLow: true, bias: .pullUp, debounceMs: 0), at: 1)
    b.inputs.append(InputLine(role: .pedCrossing, copy: 1, address: pin(9), activeLow: false, bias: .asIs, debounceMs: 0))
    b.outputs.insert(OutputLine(role: .pedWait, copy: 1, address: pin(8), activeLow: false), at: 2)
    b.outputs.append(OutputLine(role: .sosStrobe, copy: 1, address: pin(6), activeLow: true))
    b.i2c = [expanderX1]
    return b
}

/// GPIO of x1 with nobody there: the active-low button released (GPA0 high), the crossing empty (GPB1 low).
let idleLines: UInt16 = 0x0001

/// An expander board wired the way `run` wires it: the real MCP23017 driver on a register-file bus (as
/// i2c-stub holds it), the sensor thread's poller, and the composite bank over a simulated GPIO chip.
struct ExpanderRig {
    let board: BoardConfig
    let bus: SimulatedI2CBus
    let gpio: SimulatedLineBank
    let hub: SensorHub
    let poller: SensorPoller
    let bank: CompositeLineBank

    init(board: BoardConfig = expanderBoard(), lines: UInt16 = idleLines, failuresBeforeSilent: Int = 3) throws {
        self.board = board
        let bus = SimulatedI2CBus(path: "/dev/i2c-1")
        self.bus = bus
        bus.attach(0x20)
        bus.setWord(0x20, 0x12, lines)
        let made = try I2CParts.make(board: board) { (_: String) throws(HardwareError) in bus }
        hub = SensorHub(board: board)
        poller = SensorPoller(hub: hub, sensors: made.sensors, display: made.display, expanders: made.expanders, failuresBeforeSilent: failuresBeforeSilent)
        gpio = SimulatedLineBank(board: board.gpioLinesOnly)
        bank = try CompositeLineBank(board: board, gpio: gpio, expanders: hub.expanders)
    }

    /// The GPIO word as the chip shows it (i2c-stub: whatever the test put there).
    func setLines(_ value: UInt16) { bus.setWord(0x20, 0x12, value) }
    /// Every value written to the output latch (OLAT), in order.
    var latchWrites: [UInt16] {
        bus.log.compactMap { (entry) -> UInt16? in
            guard case .writeWord(register: 0x14, value: let value) = entry.operation else { return nil }
            return value
        }
    }
    /// How many times a register was read.
    func reads(_ register: UInt8) -> Int {
        bus.log.count { $0.operation == .readWord(register: register) }
    }
    var latch: UInt16? { bus.word(0x20, 0x14) }
}

@Suite("GPIO expander: composite bank, sensor thread and tick")
struct ExpanderTests {
    @Test func theCompositeBankKeepsBoardOrderAcrossGPIOAndExpanderLines() throws {
        let rig = try ExpanderRig(lines: 0x0201)                    // button released, someone on the crossing
        #expect(rig.poller.startAll(nowMs: 0).isEmpty)
        #expect(rig.bus.word(0x20, 0x00) == 0x7E3F)               // IODIR: outputs GPA6, GPB0 and the unused GPB7
        #expect(rig.bus.word(0x20, 0x0C) == 0x7C3F)               // GPPU: the button and every unused input
        #expect(rig.bus.word(0x20, 0x02) == 0x0000)               // IPOL stays off: active-low is applied in software
        #expect(rig.latch == 0x0040)                              // every output inactive: the active-low strobe high
        #expect(rig.bank.inputCount == 4 && rig.bank.outputCount == 10)
        rig.gpio.setInput("sos.button", true)
        var samples = Array(repeating: LineSample(level: false), count: 4)
        try rig.bank.sampleInputs(into: &samples)
        #expect(samples == [
            LineSample(level: false),                              // ped.button, GPIO
            LineSample(level: false),                              // ped.button.2, GPA0 high: released
            LineSample(level: true, edges: 1),                     // sos.button, GPIO
            LineSample(level: true),                               // ped.crossing, GPB1 (the safe level it started from: no edge)
        ])
        var levels = Array(repeating: false, count: 10)
        levels[0] = true                                           // vehicle.red
        levels[2] = true                                           // ped.wait
        levels[9] = true                                           // sos.strobe
        try rig.bank.writeOutputs(levels)
        #expect(rig.gpio.outputLevels.map(\.role) == ["vehicle.red", "vehicle.red.2", "vehicle.amber", "vehicle.green", "ped.dont_walk", "ped.walk", "sos.yellow", "sos.green"])
        #expect(rig.gpio.outputLevels.map(\.on) == [true, false, false, false, false, false, false, false])
        #expect(rig.latch == 0x0040)                              // the bank never touches the bus
        rig.poller.pass(nowMs: 1)
        #expect(rig.latch == 0x0100)                              // ped.wait high, the active-low strobe low
    }

    @Test func aCompositeBankRefusesABankOrPortsThatDoNotMatchTheBoard() throws {
        let board = expanderBoard()
        let hub = SensorHub(board: board)
        #expect(throws: HardwareError.self) {
            _ = try CompositeLineBank(board: board, gpio: SimulatedLineBank(board: board), expanders: hub.expanders)
        }
        #expect {
            _ = try CompositeLineBank(board: board, gpio: SimulatedLineBank(board: board.gpioLinesOnly), expanders: [])
        } throws: { error in
            (error as? HardwareError)?.detail == "ped.button.2: line x1/GPA0 is on expander x1, which the board's I2C parts do not provide"
        }
    }

    @Test func aPulseBetweenTwoTicksIsLatchedAndPlacesADemand() throws {
        let rig = try ExpanderRig()
        let runtime = try DeviceRuntime(site: testSite(), board: rig.board, bank: rig.bank, display: nil)
        #expect(rig.poller.startAll(nowMs: 0).isEmpty)
        runtime.run(clock: VirtualClock(), limit: 500)            // start-up over: green since 4 s
        #expect(runtime.device.controller.crossing?.phase == .vehicleGreen && runtime.device.controller.crossing?.demand == nil)
        rig.setLines(0x0000)                                      // pressed ...
        rig.poller.pass(nowMs: 5_000)
        rig.setLines(idleLines)                                   // ... and released before the next tick
        rig.poller.pass(nowMs: 5_005)
        #expect(rig.hub.expanders[0].peek() == ExpanderPort.Snapshot(levels: 0, edges: 0x0001, silent: false))
        runtime.tick()
        #expect(runtime.device.controller.crossing?.demand == .pedButton)
        #expect(rig.hub.expanders[0].peek().edges == 0)           // taken by that tick, seen once
    }

    @Test func outputsAreWrittenOnChangeAndRefreshedEverySecondAndAResetChipIsConfiguredAgain() throws {
        let rig = try ExpanderRig()
        #expect(rig.poller.startAll(nowMs: 0).isEmpty)
        #expect(rig.latchWrites == [0x0040])                      // configure: latched before the pins became outputs
        rig.poller.pass(nowMs: 0)
        var levels = Array(repeating: false, count: 10)
        levels[2] = true                                           // ped.wait
        try rig.bank.writeOutputs(levels)
        rig.poller.pass(nowMs: 2)                                  // between two reads: written at once
        #expect(rig.latchWrites == [0x0040, 0x0140])
        for t in stride(from: UInt64(5), to: 1_000, by: 5) { rig.poller.pass(nowMs: t) }
        #expect(rig.latchWrites == [0x0040, 0x0140])              // unchanged: not written again
        #expect(rig.reads(0x12) == 201)                           // the 16 lines read once a poll, one transfer each
        #expect(rig.reads(0x00) == 0)
        rig.poller.pass(nowMs: 1_000)
        #expect(rig.latchWrites == [0x0040, 0x0140, 0x0140])      // refreshed after a second
        #expect(rig.reads(0x00) == 1)                             // and IODIR checked
        // The chip resets (a brown-out): every pin an input, latches and pull-ups cleared.
        rig.bus.setWord(0x20, 0x00, 0xFFFF)
        rig.bus.setWord(0x20, 0x14, 0x0000)
        rig.bus.setWord(0x20, 0x0C, 0x0000)
        for t in stride(from: UInt64(1_005), to: 2_000, by: 5) { rig.poller.pass(nowMs: t) }
        #expect(rig.latch == 0x0000)                              // not seen yet: within the second
        rig.poller.pass(nowMs: 2_000)
        #expect(rig.bus.word(0x20, 0x00) == 0x7E3F && rig.bus.word(0x20, 0x0C) == 0x7C3F)
        #expect(rig.latch == 0x0140)
        let health = try #require(rig.poller.health.expanders.first)
        #expect(!health.silent && health.lastError?.detail == "mcp23017 x1 at 0x20 on /dev/i2c-1: IODIR reads 0xffff, expected 0x7e3f; configured again")
    }

    @Test func threeFailedPollsMakeTheInputsSafeAndRaiseDetectorFaultUntilTheExpanderIsBack() throws {
        let rig = try ExpanderRig()
        let runtime = try DeviceRuntime(site: testSite(), board: rig.board, bank: rig.bank, display: nil)
        let log = EventLog()
        #expect(rig.poller.startAll(nowMs: 0).isEmpty)
        runtime.tick(observer: log)
        rig.bus.detach(0x20)                                       // unplugged
        rig.poller.pass(nowMs: 0)
        rig.poller.pass(nowMs: 5)
        runtime.tick(observer: log)
        #expect(log.faults() == [])                                // two failures are glitches
        #expect(!rig.hub.expanders[0].peek().silent)
        rig.poller.pass(nowMs: 10)
        // Silent: the button stands for unpressed, the on-crossing detector for someone on the crossing.
        #expect(rig.hub.expanders[0].peek() == ExpanderPort.Snapshot(levels: 0x0200, edges: 0x0200, silent: true))
        runtime.tick(observer: log)
        #expect(log.faults() == ["ped.button raised", "ped.crossing raised"])
        #expect(rig.poller.health.expanders[0].silent && rig.poller.health.expanders[0].lastError?.kind == .noAcknowledge)
        let triesBefore = rig.bus.log.count
        rig.poller.pass(nowMs: 15)                                 // brought up again: no answer
        rig.poller.pass(nowMs: 500)
        #expect(rig.bus.log.count == triesBefore + 1)             // one try (IOCON, refused), then a second's wait
        rig.bus.attach(0x20)                                       // back, powered up afresh (i2c-stub: every register 0)
        rig.setLines(0x0000)                                       // and the button is held
        rig.poller.pass(nowMs: 1_015)
        #expect(rig.bus.word(0x20, 0x00) == 0x7E3F && rig.bus.word(0x20, 0x0C) == 0x7C3F)   // configured again
        #expect(rig.latch == rig.hub.expanders[0].wantedLatch())  // with the outputs the tick wants
        #expect(rig.hub.expanders[0].peek().levels == 0x0001 && !rig.hub.expanders[0].peek().silent)
        runtime.tick(observer: log)
        #expect(log.faults() == ["ped.button raised", "ped.crossing raised", "ped.button cleared", "ped.crossing cleared"])
        #expect(!rig.poller.health.expanders[0].silent)
        rig.setLines(idleLines)
        rig.poller.pass(nowMs: 1_020)                              // read at its own period again, not a second later
        #expect(rig.hub.expanders[0].peek().levels == 0x0000)
    }

    @Test func anExpanderAbsentAtStartIsNamedAndStandsForItsSafeLevels() throws {
        let rig = try ExpanderRig()
        rig.bus.detach(0x20)
        let failed = rig.poller.startAll(nowMs: 0)
        #expect(failed.map(\.config) == [expanderX1] && failed.first?.error.kind == .noAcknowledge)
        #expect(rig.board.roleNames(servedBy: expanderX1) == "ped.button.2, ped.crossing, ped.wait, sos.strobe")
        #expect(rig.hub.expanders[0].peek().silent && rig.hub.expanders[0].peek().levels == 0x0200)
    }

    /// End to end through the tick on a register-file bus, as the daemon runs: a push button on GPA0 places
    /// the demand, and the "wait" lamp on GPB0 follows the controller.
    @Test func aButtonOnTheExpanderPlacesADemandAndTheWaitLampOnItFollowsTheController() throws {
        var board = testBoard()
        board.inputs[0] = InputLine(role: .pedButton, copy: 1, address: pin(0), activeLow: true, bias: .pullUp, debounceMs: 30)
        board.outputs.append(OutputLine(role: .pedWait, copy: 1, address: pin(8), activeLow: false))
        board.i2c = [expanderX1]
        let rig = try ExpanderRig(board: board)
        let runtime = try DeviceRuntime(site: testSite(), board: board, bank: rig.bank, display: nil)
        #expect(rig.poller.startAll(nowMs: 0).isEmpty)
        var nowMs: UInt64 = 0
        func ticks(_ n: Int) {                                     // the sensor thread's passes interleaved with 10 ms ticks
            for _ in 0..<n {
                rig.poller.pass(nowMs: nowMs)
                runtime.tick()
                nowMs += 10
            }
        }
        ticks(500)
        #expect(runtime.device.controller.crossing?.phase == .vehicleGreen)
        #expect(rig.latch == 0x0000)                               // wait lamp dark
        rig.setLines(0x0000)                                       // pressed
        ticks(3)
        #expect(runtime.device.controller.crossing?.demand == nil)        // 20 ms of the 30 ms debounce
        ticks(1)
        #expect(runtime.device.controller.crossing?.demand == .pedButton)
        #expect(rig.latch == 0x0000)                               // the tick wants it lit; the sensor thread writes it next pass
        ticks(1)
        #expect(rig.latch == 0x0100)
        rig.setLines(idleLines)                                    // released
        var guardTicks = 0
        while runtime.device.controller.crossing?.phase != .pedestrianWalk && guardTicks < 2_000 { ticks(1); guardTicks += 1 }
        #expect(runtime.device.controller.crossing?.phase == .pedestrianWalk)
        ticks(1)
        #expect(rig.latch == 0x0000)                               // served: the wait lamp goes dark with the walk
        #expect(runtime.statistics.hardwareErrors == 0)
    }
}
