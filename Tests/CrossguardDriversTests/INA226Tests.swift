import CrossguardDrivers
import CrossguardHAL
import Testing

private typealias Monitor = INA226<ScriptedI2CBus>

@Suite("INA226")
struct INA226Tests {
    /// Identity (0xFE = 0x5449, 0xFF = 0x2260, MSB first) then the configuration: bit 14, 16 averages,
    /// 1.1 ms for bus and shunt, continuous: 0x4527 (the Linux ina2xx driver's default).
    @Test func startChecksTheIdentityThenConfigures() throws {
        let bus = ScriptedI2CBus([
            .readWord(0x40, 0xFE, wire: [0x54, 0x49]),
            .readWord(0x40, 0xFF, wire: [0x22, 0x60]),
            .writeWord(0x40, 0x00, wire: [0x45, 0x27]),
        ])
        try Monitor(bus: bus, shuntMilliohms: 100).start()
        bus.finish()
    }

    @Test func oneResultTakesTheAveragesOfBothConversions() throws {
        // Shunt and bus each: 16 × 1.1 ms (the default), 1 × 140 µs, 1024 × 8.244 ms.
        #expect(try Monitor(bus: ScriptedI2CBus([]), shuntMilliohms: 100).resultMicroseconds == 35_200)
        #expect(try Monitor(bus: ScriptedI2CBus([]), shuntMilliohms: 100, averaging: .samples1, conversionTime: .microseconds140).resultMicroseconds == 280)
        #expect(try Monitor(bus: ScriptedI2CBus([]), shuntMilliohms: 100, averaging: .samples1024, conversionTime: .microseconds8244).resultMicroseconds == 16_883_712)
    }

    @Test(arguments: [
        (INA226Averaging.samples1, INA226ConversionTime.microseconds140, UInt16(0x4007)),
        (.samples4, .microseconds204, 0x424F),
        (.samples64, .microseconds588, 0x46DF),
        (.samples1024, .microseconds8244, 0x4FFF),
    ])
    func configurationFields(averaging: INA226Averaging, conversionTime: INA226ConversionTime, expected: UInt16) throws {
        let bus = ScriptedI2CBus([
            .readWord(0x41, 0xFE, wire: [0x54, 0x49]),
            .readWord(0x41, 0xFF, wire: [0x22, 0x60]),
            .writeWord(0x41, 0x00, wire: [UInt8(expected >> 8), UInt8(expected & 0xFF)]),
        ])
        let monitor = try Monitor(bus: bus, address: 0x41, shuntMilliohms: 2, averaging: averaging, conversionTime: conversionTime)
        #expect(monitor.configuration == expected)
        try monitor.start()
        bus.finish()
    }

    @Test(arguments: [
        ([UInt8](arrayLiteral: 0x12, 0x34), "0x1234"),
        ([0x49, 0x54], "0x4954"),                        // "TI" read in the wrong byte order
    ])
    func wrongManufacturerIsReported(wire: [UInt8], shown: String) {
        let bus = ScriptedI2CBus([.readWord(0x40, 0xFE, wire: wire)])
        let error = hardwareError { () throws(HardwareError) in try Monitor(bus: bus, shuntMilliohms: 100).start() }
        #expect(error?.kind == .other)
        #expect(error?.detail.contains("0x40") == true)
        #expect(error?.detail.contains("0xfe") == true)
        #expect(error?.detail.contains(shown) == true)
        bus.finish()
    }

    @Test func anotherTIDieIsReported() {
        let bus = ScriptedI2CBus([
            .readWord(0x40, 0xFE, wire: [0x54, 0x49]),
            .readWord(0x40, 0xFF, wire: [0x22, 0x70]),    // INA260
        ])
        let error = hardwareError { () throws(HardwareError) in try Monitor(bus: bus, shuntMilliohms: 100).start() }
        #expect(error?.kind == .other)
        #expect(error?.detail.contains("0xff") == true)
        #expect(error?.detail.contains("0x2270") == true)
        bus.finish()
    }

    @Test func aLaterDieRevisionIsAccepted() throws {
        let bus = ScriptedI2CBus([
            .readWord(0x40, 0xFE, wire: [0x54, 0x49]),
            .readWord(0x40, 0xFF, wire: [0x22, 0x61]),
            .writeWord(0x40, 0x00, wire: [0x45, 0x27]),
        ])
        try Monitor(bus: bus, shuntMilliohms: 100).start()
        bus.finish()
    }

    @Test func noAcknowledgeAtStartPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(0x40, .readWord(register: 0xFE), nack)])
        let error = hardwareError { () throws(HardwareError) in try Monitor(bus: bus, shuntMilliohms: 100).start() }
        #expect(error == nack)
        bus.finish()
    }

    @Test func zeroShuntResistanceIsRefused() {
        let error = hardwareError { () throws(HardwareError) in _ = try Monitor(bus: ScriptedI2CBus([]), shuntMilliohms: 0) }
        #expect(error?.kind == .other)
    }

    /// Shunt register (wire bytes, MSB first), shunt in mΩ, expected mA. LSB 2.5 µV; I = V / R, rounded
    /// to the nearest mA with halves away from zero.
    @Test(arguments: [
        ([UInt8](arrayLiteral: 0x7F, 0xFF), UInt32(100), 819),  // +81.9175 mV (full scale) / 0.1 Ω = 819.175
        ([0x80, 0x00], 100, -819),                            // -81.92 mV → -819.2
        ([0x7F, 0xFF], 1, 81_918),                            // 81917.5 rounds away from zero
        ([0x80, 0x00], 1, -81_920),
        ([0x27, 0x10], 100, 250),                             // +10000 = 25 mV: a 250 mA lamp
        ([0xD8, 0xF0], 100, -250),                            // -10000 = -25 mV
        ([0x00, 0x01], 5, 1),                                 // 2.5 µV / 5 mΩ = +0.5 mA
        ([0xFF, 0xFF], 5, -1),                                // -0.5 mA
        ([0x00, 0x01], 10, 0),                                // 0.25 mA
        ([0x00, 0x00], 100, 0),
        ([0x7F, 0xFF], UInt32.max, 0),
    ])
    func currentFromShuntVoltage(wire: [UInt8], shuntMilliohms: UInt32, milliamps: Int) throws {
        let bus = ScriptedI2CBus([.readWord(0x40, 0x01, wire: wire)])
        #expect(try Monitor(bus: bus, shuntMilliohms: shuntMilliohms).readCurrentMilliamps() == milliamps)
        bus.finish()
    }

    @Test func shuntRegisterIsSignedWithA2Point5MicrovoltLSB() {
        #expect(Monitor.shuntNanovolts(shuntRegister: Int16.max) == 81_917_500)
        #expect(Monitor.shuntNanovolts(shuntRegister: Int16.min) == -81_920_000)
        #expect(Monitor.shuntNanovolts(shuntRegister: -1) == -2_500)
    }

    @Test func noAcknowledgeMidReadPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(0x40, .readWord(register: 0x01), nack)])
        let error = hardwareError { () throws(HardwareError) in _ = try Monitor(bus: bus, shuntMilliohms: 100).readCurrentMilliamps() }
        #expect(error == nack)
        bus.finish()
    }
}
