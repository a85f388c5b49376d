import CrossguardCore
import CrossguardHAL
import CrossguardRuntime
import CrossguardSim
import Testing

/// A sensor that answers from a script: each poll takes the next answer, the last one repeats.
final class ScriptedSensor: PolledSensor {
    let config: I2CDeviceConfig
    var answers: [Result<SensorReading, HardwareError>]
    var startFails = false
    var starts = 0
    var polls = 0

    init(_ config: I2CDeviceConfig, _ answers: [Result<SensorReading, HardwareError>]) {
        self.config = config
        self.answers = answers
    }

    func start() throws(HardwareError) {
        starts += 1
        if startFails { throw HardwareError(.noAcknowledge, "\(config.label) did not answer") }
    }

    func poll() throws(HardwareError) -> SensorReading {
        polls += 1
        let answer = answers.count > 1 ? answers.removeFirst() : answers[0]
        return try answer.get()
    }
}

/// A countdown display that records what it showed and can be unplugged.
final class RecordingDisplay: PolledDisplay {
    let config = I2CDeviceConfig(part: .ht16k33, bus: "/dev/i2c-1", address: 0x70, role: nil, function: .countdown, pollMs: 100)
    var shown: [UInt16?] = []
    var unplugged = false
    func start() throws(HardwareError) { if unplugged { throw HardwareError(.noAcknowledge, "gone") } }
    func show(_ value: UInt16?) throws(HardwareError) {
        if unplugged { throw HardwareError(.noAcknowledge, "gone") }
        shown.append(value)
    }
}

extension EventLog {
    /// "role state" of every detector.fault so far.
    func faults() -> [String] { events.filter { $0.type == .detectorFault }.map { "\($0.role!.name) \($0.state!.name)" } }
}

let nack = HardwareError(.noAcknowledge, "vl53l0x at 0x29 on /dev/i2c-1: no acknowledge")
let kerbSensor = I2CDeviceConfig(part: .vl53l0x, bus: "/dev/i2c-1", address: 0x29, role: .pedKerb,
                                 function: .presence(nearMm: 30, farMm: 1200, hysteresisMm: 50), pollMs: 50)
let crossingSensor = I2CDeviceConfig(part: .vl53l0x, bus: "/dev/i2c-1", address: 0x30, role: .pedCrossing,
                                     function: .presence(nearMm: 30, farMm: 1200, hysteresisMm: 50), pollMs: 50)
let lightSensor = I2CDeviceConfig(part: .veml7700, bus: "/dev/i2c-1", address: 0x10, role: nil, function: .ambientLight, pollMs: 1_000)

func sensorBoard(_ devices: [I2CDeviceConfig]) -> BoardConfig {
    var board = testBoard()
    board.i2c = devices
    return board
}

@Suite("Sensor thread: polling, silence and recovery")
struct SensorPollerTests {
    @Test func threeFailedPollsMakeASensorSilentAndARestartBringsItBack() throws {
        let board = sensorBoard([kerbSensor])
        let hub = SensorHub(board: board)
        let sensor = ScriptedSensor(kerbSensor, [.success(.level(true)), .failure(nack), .failure(nack), .failure(nack), .success(.level(true))])
        let poller = SensorPoller(hub: hub, sensors: [sensor], display: nil)
        let log = EventLog()
        let runtime = try DeviceRuntime(site: testSite(), board: board, bank: SimulatedLineBank(board: board), display: nil, sensors: hub)
        #expect(poller.startAll(nowMs: 0).isEmpty)
        poller.pass(nowMs: 0)
        #expect(hub.sample(0) == (true, false))
        poller.pass(nowMs: 50)
        poller.pass(nowMs: 100)
        #expect(hub.sample(0) == (true, false))         // two failures are glitches: the last level stands
        runtime.tick(observer: log)
        #expect(log.faults() == [])
        poller.pass(nowMs: 150)
        #expect(hub.sample(0) == (false, true))         // the third: silent, and nobody is known to wait
        runtime.tick(observer: log)
        #expect(log.faults() == ["ped.kerb raised"])
        #expect(poller.health.sensors[0].silent && poller.health.sensors[0].failures == 3)
        #expect(poller.health.sensors[0].lastError?.kind == .noAcknowledge)
        sensor.startFails = true
        poller.pass(nowMs: 200)                           // brought up again at once, and it does not answer
        #expect(poller.pass(nowMs: 300) == 900)          // the next try a second after the last
        #expect(sensor.starts == 2)
        sensor.startFails = false
        poller.pass(nowMs: 1_200)
        #expect(sensor.starts == 3)
        #expect(hub.sample(0) == (true, false))
        runtime.tick(observer: log)
        #expect(log.faults() == ["ped.kerb raised", "ped.kerb cleared"])
    }

    @Test func aSilentOnCrossingSensorReadsOccupied() throws {
        let board = sensorBoard([kerbSensor, crossingSensor])
        let hub = SensorHub(board: board)
        let kerb = ScriptedSensor(kerbSensor, [.success(.level(false))])
        let crossing = ScriptedSensor(crossingSensor, [.success(.level(false))])
        let poller = SensorPoller(hub: hub, sensors: [crossing, kerb], display: nil, failuresBeforeSilent: 1)
        #expect(poller.startAll(nowMs: 0).isEmpty)
        poller.pass(nowMs: 0)
        #expect(hub.sample(1) == (false, false))
        crossing.answers = [.failure(nack)]
        poller.pass(nowMs: 50)
        #expect(hub.sample(1) == (true, true))          // someone may be on the crossing: the clearance runs to its maximum
        #expect(hub.sample(0) == (false, false))
    }

    @Test func aRangingSensorWithNoNewSampleForTooLongIsSilent() {
        let board = sensorBoard([kerbSensor])
        let hub = SensorHub(board: board)
        let sensor = ScriptedSensor(kerbSensor, [.success(.level(true)), .success(.notReady)])
        let poller = SensorPoller(hub: hub, sensors: [sensor], display: nil, staleAfterMs: 500)
        _ = poller.startAll(nowMs: 0)
        poller.pass(nowMs: 0)
        poller.pass(nowMs: 450)
        #expect(hub.sample(0) == (true, false))
        poller.pass(nowMs: 500)
        #expect(hub.sample(0) == (false, true))
        #expect(poller.health.sensors[0].lastError?.kind == .timeout)
        poller.pass(nowMs: 1_500)                         // brought up again, no sample yet
        #expect(sensor.starts == 2)
        #expect(hub.sample(0) == (false, false))         // not the "present" it read before it went silent
    }

    @Test func startAllNamesThePartsThatDidNotComeUp() {
        let board = sensorBoard([kerbSensor, lightSensor])
        let hub = SensorHub(board: board)
        let kerb = ScriptedSensor(kerbSensor, [.success(.level(false))])
        kerb.startFails = true
        let light = ScriptedSensor(lightSensor, [.success(.lux(42))])
        let poller = SensorPoller(hub: hub, sensors: [kerb, light], display: nil)
        let failed = poller.startAll(nowMs: 0)
        #expect(failed.map(\.config) == [kerbSensor])
        #expect(failed.first?.error.kind == .noAcknowledge)
        #expect(hub.sample(0) == (false, true))
    }

    @Test func lightReadingsReachTheTickAndASilentSensorMeansNone() {
        let board = sensorBoard([lightSensor])
        let hub = SensorHub(board: board)
        let light = ScriptedSensor(lightSensor, [.success(.lux(12.5)), .failure(nack)])
        let poller = SensorPoller(hub: hub, sensors: [light], display: nil, failuresBeforeSilent: 1)
        #expect(hub.latestLux() == nil)
        _ = poller.startAll(nowMs: 0)
        poller.pass(nowMs: 0)
        #expect(hub.latestLux() == 12.5)
        poller.pass(nowMs: 999)                           // not due yet: polled once a second
        #expect(light.polls == 1)
        poller.pass(nowMs: 1_000)
        #expect(hub.latestLux() == nil)                   // the night logic then assumes night
    }

    @Test func theDisplayShowsWhatTheTickWantsOnceAndIsBroughtBackAfterAFault() throws {
        let hub = SensorHub(board: testBoard())
        let display = RecordingDisplay()
        let poller = SensorPoller(hub: hub, sensors: [], display: display)
        _ = poller.startAll(nowMs: 0)
        poller.pass(nowMs: 0)
        #expect(display.shown == [])                      // the tick has not said anything yet
        try hub.show(8)
        poller.pass(nowMs: 10)
        #expect(poller.pass(nowMs: 20) == 1_000)          // a working display sets no wake-up of its own: no spinning
        #expect(display.shown == [8])
        try hub.show(nil)
        display.unplugged = true
        poller.pass(nowMs: 30)
        #expect(poller.health.display?.silent == true)
        display.unplugged = false
        poller.pass(nowMs: 500)                           // not yet: a second between tries
        #expect(display.shown == [8])
        poller.pass(nowMs: 1_030)
        #expect(display.shown == [8, nil])
        #expect(poller.health.display?.silent == false)
    }
}
