import CrossguardCore
import CrossguardHAL
import CrossguardRuntime
import CrossguardSim
import Testing

/// A register as SMBus carries it when the part's register is big-endian: the word i2c-stub (and the
/// simulated bus) must hold so that a word read puts `value`'s high byte on the wire first.
func bigEndianRegister(_ value: UInt16) -> UInt16 { value.byteSwapped }

/// A VL53L0X at `address` with a valid sample of `millimeters` ready, as the HIL stage preloads i2c-stub.
func preloadRangingSensor(_ bus: SimulatedI2CBus, _ address: UInt8, millimeters: UInt16) {
    bus.attach(address)
    bus.setByte(address, 0xC0, 0xEE)           // model id
    bus.setByte(address, 0xC1, 0xAA)           // module type
    bus.setByte(address, 0x13, 0x07)           // a sample is ready (and every calibration finishes at once)
    bus.setByte(address, 0x14, 11 << 3)        // range status 11: range complete
    bus.setWord(address, 0x1E, bigEndianRegister(millimeters))
}

@Suite("I2C parts: the real drivers on a register-map bus, through the sensor thread to the tick")
struct I2CPartsTests {
    let kerb = I2CDeviceConfig(part: .vl53l0x, bus: "/dev/i2c-1", address: 0x29, role: .pedKerb,
                               function: .presence(nearMm: 30, farMm: 1200, hysteresisMm: 50), pollMs: 50)
    let redLamp = I2CDeviceConfig(part: .ina219, bus: "/dev/i2c-1", address: 0x40, role: .lampVehicleRed,
                                  function: .lampCurrent(shuntMilliohm: 100, litAboveMa: 40, darkBelowMa: 20), pollMs: 50)

    @Test func aPersonInTheBandIsPresentAndAnUnpluggedSensorIsAFaultUntilItIsBack() throws {
        let bus = SimulatedI2CBus(path: "/dev/i2c-1")
        preloadRangingSensor(bus, 0x29, millimeters: 800)
        let board = sensorBoard([kerb])
        var opened: [String] = []
        let (sensors, display, _) = try I2CParts.make(board: board) { (path: String) throws(HardwareError) in
            opened.append(path)
            return bus
        }
        #expect(opened == ["/dev/i2c-1"] && sensors.count == 1 && display == nil)
        let hub = SensorHub(board: board)
        let poller = SensorPoller(hub: hub, sensors: sensors, display: nil)
        let runtime = try DeviceRuntime(site: testSite(), board: board, bank: SimulatedLineBank(board: board), display: nil, sensors: hub)
        let log = EventLog()
        #expect(poller.startAll(nowMs: 0).isEmpty)
        #expect(bus.word(0x29, 0x00) == 0x02)             // continuous ranging started
        poller.pass(nowMs: 0)
        #expect(hub.sample(0) == (true, false))          // 800 mm: inside 30–1200
        bus.setWord(0x29, 0x1E, bigEndianRegister(1_230))
        poller.pass(nowMs: 50)
        #expect(hub.sample(0) == (true, false))          // beyond the band, but not by the 50 mm hysteresis
        bus.setWord(0x29, 0x1E, bigEndianRegister(8_190))
        poller.pass(nowMs: 100)
        #expect(hub.sample(0) == (false, false))         // nothing in range: gone
        runtime.tick(observer: log)
        bus.detach(0x29)
        for t: UInt64 in [150, 200, 250] { poller.pass(nowMs: t) }
        #expect(hub.sample(0) == (false, true))
        #expect(poller.health.sensors[0].lastError?.kind == .noAcknowledge)
        runtime.tick(observer: log)
        #expect(log.faults() == ["ped.kerb raised"])
        preloadRangingSensor(bus, 0x29, millimeters: 400)  // plugged back in: it needs its start-up again
        poller.pass(nowMs: 1_300)
        #expect(bus.word(0x29, 0x00) == 0x02)
        #expect(hub.sample(0) == (true, false))
        runtime.tick(observer: log)
        #expect(log.faults() == ["ped.kerb raised", "ped.kerb cleared"])
    }

    @Test func aWrongPartAtTheAddressIsAStartUpErrorNamingTheRegister() throws {
        let bus = SimulatedI2CBus(path: "/dev/i2c-1")
        bus.attach(0x29)                                   // answers, but every register reads 0
        let board = sensorBoard([kerb])
        let (sensors, _, _) = try I2CParts.make(board: board) { (_: String) throws(HardwareError) in bus }
        let failed = SensorPoller(hub: SensorHub(board: board), sensors: sensors, display: nil).startAll(nowMs: 0)
        #expect(failed.count == 1)
        #expect(failed.first?.error.detail.contains("register 0xc0 reads 0x00, expected 0xee") == true, "\(failed)")
    }

    @Test func lampCurrentAboveTheThresholdIsLitAndADarkLampCountsAsAFailedRed() throws {
        let bus = SimulatedI2CBus(path: "/dev/i2c-1")
        bus.attach(0x40)
        // INA219 shunt voltage: 10 µV per bit; 100 mA through 100 mΩ is 10 mV = 1000 bits.
        bus.setWord(0x40, 0x01, bigEndianRegister(1_000))
        let board = sensorBoard([redLamp])
        let (sensors, _, _) = try I2CParts.make(board: board) { (_: String) throws(HardwareError) in bus }
        let hub = SensorHub(board: board)
        let poller = SensorPoller(hub: hub, sensors: sensors, display: nil)
        #expect(poller.startAll(nowMs: 0).isEmpty)
        poller.pass(nowMs: 0)
        #expect(hub.sample(0) == (true, false))
        bus.setWord(0x40, 0x01, bigEndianRegister(UInt16(bitPattern: -1_000)))  // shunt wired the other way round
        poller.pass(nowMs: 50)
        #expect(hub.sample(0) == (true, false))
        bus.setWord(0x40, 0x01, bigEndianRegister(300))    // 30 mA: between the thresholds, still lit
        poller.pass(nowMs: 100)
        #expect(hub.sample(0) == (true, false))
        bus.setWord(0x40, 0x01, bigEndianRegister(150))    // 15 mA: dark
        poller.pass(nowMs: 150)
        #expect(hub.sample(0) == (false, false))
    }

    /// `diag` reads the very parts the sensor thread polls: the probe shows what the technician checks.
    @Test func diagProbesThePartsTheDaemonPolls() throws {
        let bus = SimulatedI2CBus(path: "/dev/i2c-1")
        preloadRangingSensor(bus, 0x29, millimeters: 800)
        bus.attach(0x40)
        bus.setWord(0x40, 0x01, bigEndianRegister(1_000))  // 10 mV over 100 mΩ: 100 mA
        let board = sensorBoard([kerb, redLamp])
        var slept: [Int] = []
        let ranging = try #require(try I2CParts.part(kerb, board: board, on: bus))
        #expect(try ranging.probe { slept.append($0) } == "800 mm")
        let current = try #require(try I2CParts.part(redLamp, board: board, on: bus))
        #expect(try current.probe { slept.append($0) } == "100 mA")
        #expect(slept.last.map { $0 >= 2 } == true)  // waited for a whole result before reading
        bus.detach(0x29)
        #expect(throws: HardwareError.self) { try ranging.probe { _ in } }
    }

    @Test func aBusThatCannotBeOpenedNamesThePart() {
        let board = sensorBoard([kerb])
        #expect {
            _ = try I2CParts.make(board: board) { (path: String) throws(HardwareError) -> SimulatedI2CBus in
                throw HardwareError(.notFound, "\(path) does not exist", errno: 2)
            }
        } throws: { error in
            (error as? HardwareError)?.detail == "ped.kerb: vl53l0x at 0x29 on /dev/i2c-1: /dev/i2c-1 does not exist"
        }
    }
}
