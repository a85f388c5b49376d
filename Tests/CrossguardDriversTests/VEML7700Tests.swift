import CrossguardDrivers
import CrossguardHAL
import Testing

private typealias Sensor = VEML7700<ScriptedI2CBus>

@Suite("VEML7700")
struct VEML7700Tests {
    /// Default ×1/4 (ALS_GAIN 11) at 100 ms (ALS_IT 0000), powered on: ALS_CONF 0x1800, least
    /// significant byte first; then power saving off.
    @Test func startConfiguresGainAndIntegrationTimeAndDisablesPowerSaving() throws {
        let bus = ScriptedI2CBus([
            .writeWord(0x10, 0x00, wire: [0x00, 0x18]),
            .writeWord(0x10, 0x03, wire: [0x00, 0x00]),
        ])
        try Sensor(bus: bus).start()
        bus.finish()
    }

    @Test(arguments: [
        (VEML7700Gain.two, VEML7700IntegrationTime.milliseconds800, UInt16(0x08C0)),
        (.one, .milliseconds50, 0x0200),
        (.oneEighth, .milliseconds25, 0x1300),
        (.oneQuarter, .milliseconds400, 0x1880),
        (.one, .milliseconds200, 0x0040),
    ])
    func configurationFields(gain: VEML7700Gain, integrationTime: VEML7700IntegrationTime, expected: UInt16) throws {
        let bus = ScriptedI2CBus([
            .writeWord(0x10, 0x00, wire: [UInt8(expected & 0xFF), UInt8(expected >> 8)]),
            .writeWord(0x10, 0x03, wire: [0x00, 0x00]),
        ])
        let sensor = Sensor(bus: bus, gain: gain, integrationTime: integrationTime)
        #expect(sensor.configuration == expected)
        try sensor.start()
        bus.finish()
    }

    /// The resolution table (lx/ct) of the current datasheet and app note 84323, row by row.
    @Test(arguments: [
        (VEML7700Gain.two, [0.1344, 0.0672, 0.0336, 0.0168, 0.0084, 0.0042]),
        (.one, [0.2688, 0.1344, 0.0672, 0.0336, 0.0168, 0.0084]),
        (.oneQuarter, [1.0752, 0.5376, 0.2688, 0.1344, 0.0672, 0.0336]),
        (.oneEighth, [2.1504, 1.0752, 0.5376, 0.2688, 0.1344, 0.0672]),
    ])
    func resolutionTable(gain: VEML7700Gain, luxPerCount: [Double]) {
        let times: [VEML7700IntegrationTime] = [.milliseconds25, .milliseconds50, .milliseconds100, .milliseconds200, .milliseconds400, .milliseconds800]
        for (time, expected) in zip(times, luxPerCount) {
            let actual = Sensor.luxPerCount(gain: gain, integrationTime: time)
            #expect(abs(actual - expected) < 1e-9, "\(gain) \(time): \(actual) lx/ct, expected \(expected)")
        }
    }

    /// ALS count (wire bytes, LSB first) → lux.
    @Test(arguments: [
        (VEML7700Gain.oneQuarter, VEML7700IntegrationTime.milliseconds100, [UInt8](arrayLiteral: 0xE8, 0x03), 268.8),  // 1000 × 0.2688
        (.oneQuarter, .milliseconds100, [0x01, 0x00], 0.2688),                 // count 1, not 256
        (.oneQuarter, .milliseconds100, [0x00, 0x00], 0.0),                    // dark, or not yet integrated
        (.two, .milliseconds800, [0x10, 0x27], 42.0),                          // 10000 × 0.0042
        (.oneEighth, .milliseconds25, [0xFF, 0xFF], 140_926.464),              // saturated: 65535 × 2.1504
    ])
    func luxFromCount(gain: VEML7700Gain, integrationTime: VEML7700IntegrationTime, wire: [UInt8], lux: Double) throws {
        let bus = ScriptedI2CBus([.readWord(0x10, 0x04, wire: wire)])
        let actual = try Sensor(bus: bus, gain: gain, integrationTime: integrationTime).readLux()
        #expect(abs(actual - lux) < 1e-6, "\(actual) lx, expected \(lux)")
        bus.finish()
    }

    @Test func readCountIsLittleEndian() throws {
        let bus = ScriptedI2CBus([.readWord(0x10, 0x04, wire: [0x34, 0x12])])
        #expect(try Sensor(bus: bus).readCount() == 0x1234)
        bus.finish()
    }

    @Test func noAcknowledgeAtStartPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(0x10, .writeWord(register: 0x00, value: 0x1800), nack)])
        let error = hardwareError { () throws(HardwareError) in try Sensor(bus: bus).start() }
        #expect(error == nack)
        bus.finish()
    }

    @Test func noAcknowledgeMidReadPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(0x10, .readWord(register: 0x04), nack)])
        let error = hardwareError { () throws(HardwareError) in _ = try Sensor(bus: bus).readLux() }
        #expect(error == nack)
        bus.finish()
    }
}
