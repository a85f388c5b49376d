import CrossguardDrivers
import CrossguardHAL
import Testing

private typealias Monitor = INA219<ScriptedI2CBus>

@Suite("INA219")
struct INA219Tests {
    /// Default: 32 V bus range, ±320 mV, 16-sample averaging on both ADCs, continuous shunt and bus:
    /// 0b0_0_1_11_1100_1100_111 = 0x3E67, written and read back most significant byte first.
    @Test func startWritesTheConfigurationAndChecksItsEcho() throws {
        let bus = ScriptedI2CBus([
            .writeWord(0x40, 0x00, wire: [0x3E, 0x67]),
            .readWord(0x40, 0x00, wire: [0x3E, 0x67]),
        ])
        try Monitor(bus: bus, shuntMilliohms: 100).start()
        bus.finish()
    }

    @Test func oneResultTakesTheAveragesOfBothADCs() throws {
        // Shunt and bus each: 16 × 532 µs (the default), 1 × 532 µs, 128 × 532 µs.
        #expect(try Monitor(bus: ScriptedI2CBus([]), shuntMilliohms: 100).resultMicroseconds == 17_024)
        #expect(try Monitor(bus: ScriptedI2CBus([]), shuntMilliohms: 100, averaging: .samples1).resultMicroseconds == 1_064)
        #expect(try Monitor(bus: ScriptedI2CBus([]), shuntMilliohms: 100, averaging: .samples128).resultMicroseconds == 136_192)
    }

    @Test(arguments: [
        (INA219ShuntRange.millivolts40, INA219Averaging.samples1, UInt16(0x2447)),
        (.millivolts80, .samples2, 0x2CCF),
        (.millivolts160, .samples8, 0x35DF),
        (.millivolts320, .samples128, 0x3FFF),
    ])
    func configurationFields(range: INA219ShuntRange, averaging: INA219Averaging, expected: UInt16) throws {
        let monitor = try Monitor(bus: ScriptedI2CBus([]), address: 0x45, shuntMilliohms: 50, shuntRange: range, averaging: averaging)
        #expect(monitor.configuration == expected)
        let wire = [UInt8(expected >> 8), UInt8(expected & 0xFF)]
        let bus = ScriptedI2CBus([.writeWord(0x45, 0x00, wire: wire), .readWord(0x45, 0x00, wire: wire)])
        try Monitor(bus: bus, address: 0x45, shuntMilliohms: 50, shuntRange: range, averaging: averaging).start()
        bus.finish()
    }

    @Test func aDeviceThatDoesNotEchoTheConfigurationIsReported() {
        let bus = ScriptedI2CBus([
            .writeWord(0x40, 0x00, wire: [0x3E, 0x67]),
            .readWord(0x40, 0x00, wire: [0x39, 0x9F]),      // still the power-on default
        ])
        let error = hardwareError { () throws(HardwareError) in try Monitor(bus: bus, shuntMilliohms: 100).start() }
        #expect(error?.kind == .other)
        #expect(error?.detail.contains("0x40") == true)
        #expect(error?.detail.contains("0x00") == true)
        #expect(error?.detail.contains("0x399f") == true)
        bus.finish()
    }

    @Test func noAcknowledgeAtStartPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(0x40, .writeWord(register: 0x00, value: 0x673E), nack)])
        let error = hardwareError { () throws(HardwareError) in try Monitor(bus: bus, shuntMilliohms: 100).start() }
        #expect(error == nack)
        bus.finish()
    }

    @Test func zeroShuntResistanceIsRefused() {
        let error = hardwareError { () throws(HardwareError) in _ = try Monitor(bus: ScriptedI2CBus([]), shuntMilliohms: 0) }
        #expect(error?.kind == .other)
    }

    /// Shunt register (wire bytes, MSB first), shunt in mΩ, expected mA. LSB 10 µV; I = V / R, rounded
    /// to the nearest mA with halves away from zero.
    @Test(arguments: [
        ([UInt8](arrayLiteral: 0x7D, 0x00), UInt32(100), 3200),  // +32000 = +320 mV (datasheet full scale, PGA /8)
        ([0x83, 0x00], 100, -3200),                            // -32000 = -320 mV
        ([0x0F, 0xA0], 100, 400),                              // +4000 = +40 mV (PGA /1 full scale)
        ([0xF0, 0x60], 100, -400),                             // -4000 = -40 mV, sign-extended
        ([0x04, 0xB0], 100, 120),                              // 12 mV: a 120 mA signal head
        ([0x00, 0x01], 10, 1),                                 // +10 µV
        ([0xFF, 0xFF], 10, -1),                                // -10 µV
        ([0xFF, 0xFF], 100, 0),                                // -0.1 mA rounds to 0
        ([0x00, 0x05], 100, 1),                                // +0.5 mA rounds up
        ([0xFF, 0xFB], 100, -1),                               // -0.5 mA rounds down
        ([0x00, 0x04], 100, 0),                                // +0.4 mA
        ([0x12, 0x34], 330, 141),                              // 46.60 mV / 0.33 Ω = 141.2 mA
        ([0x7F, 0xFF], 1, 327_670),                            // register extremes with a 1 mΩ shunt
        ([0x80, 0x00], 1, -327_680),
        ([0x7F, 0xFF], UInt32.max, 0),                         // a 4.3 MΩ "shunt" does not overflow
    ])
    func currentFromShuntVoltage(wire: [UInt8], shuntMilliohms: UInt32, milliamps: Int) throws {
        let bus = ScriptedI2CBus([.readWord(0x40, 0x01, wire: wire)])
        #expect(try Monitor(bus: bus, shuntMilliohms: shuntMilliohms).readCurrentMilliamps() == milliamps)
        bus.finish()
    }

    @Test func shuntRegisterIsSignedWithA10MicrovoltLSB() throws {
        #expect(Monitor.shuntMicrovolts(shuntRegister: 32000) == 320_000)
        #expect(Monitor.shuntMicrovolts(shuntRegister: -32000) == -320_000)
        #expect(Monitor.shuntMicrovolts(shuntRegister: -1) == -10)
        let bus = ScriptedI2CBus([.readWord(0x40, 0x01, wire: [0x83, 0x00])])
        #expect(try Monitor(bus: bus, shuntMilliohms: 100).readShuntRegister() == -32000)
        bus.finish()
    }

    @Test func noAcknowledgeMidReadPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(0x40, .readWord(register: 0x01), nack)])
        let error = hardwareError { () throws(HardwareError) in _ = try Monitor(bus: bus, shuntMilliohms: 100).readCurrentMilliamps() }
        #expect(error == nack)
        bus.finish()
    }
}
