import CrossguardDrivers
import CrossguardHAL
import Testing

private let tof: UInt8 = 0x29

/// The whole start-up, transcribed by hand from Pololu's init()/startContinuous() minus the documented
/// skips. The pad register reads 0x48 and MSRC_CONFIG_CONTROL 0x20 so the read-modify-writes must keep
/// the other bits; the stop variable is 0x3C and must come back unchanged.
private let startScript: [ScriptedI2CBus.Step] = [
    .read(tof, 0xC0, 0xEE), .read(tof, 0xC1, 0xAA),           // identity
    .read(tof, 0x89, 0x48), .write(tof, 0x89, 0x49),           // 2.8 V I/O
    .write(tof, 0x88, 0x00),                                   // I2C standard mode
    .write(tof, 0x80, 0x01), .write(tof, 0xFF, 0x01), .write(tof, 0x00, 0x00),
    .read(tof, 0x91, 0x3C),                                    // stop variable
    .write(tof, 0x00, 0x01), .write(tof, 0xFF, 0x00), .write(tof, 0x80, 0x00),
    .read(tof, 0x60, 0x20), .write(tof, 0x60, 0x32),           // MSRC / pre-range limit checks off
    .writeWord(tof, 0x44, wire: [0x00, 0x20]),                 // 0.25 MCPS, Q9.7, MSB first
    .write(tof, 0x0A, 0x04), .write(tof, 0x0B, 0x01),          // new-sample interrupt, cleared
    .write(tof, 0x01, 0x01), .write(tof, 0x00, 0x41),          // VHV calibration
    .read(tof, 0x13, 0x00), .read(tof, 0x13, 0x00), .read(tof, 0x13, 0x04),
    .write(tof, 0x0B, 0x01), .write(tof, 0x00, 0x00),
    .write(tof, 0x01, 0x02), .write(tof, 0x00, 0x01),          // phase calibration
    .read(tof, 0x13, 0x07),
    .write(tof, 0x0B, 0x01), .write(tof, 0x00, 0x00),
    .write(tof, 0x01, 0xE8),                                   // DSS, pre-range, final range
    .write(tof, 0x80, 0x01), .write(tof, 0xFF, 0x01), .write(tof, 0x00, 0x00),
    .write(tof, 0x91, 0x3C),                                   // stop variable back
    .write(tof, 0x00, 0x01), .write(tof, 0xFF, 0x00), .write(tof, 0x80, 0x00),
    .write(tof, 0x00, 0x02),                                   // back-to-back continuous ranging
]

@Suite("VL53L0X")
struct VL53L0XTests {
    @Test func startRunsTheReducedInitAndStartsContinuousRanging() throws {
        let bus = ScriptedI2CBus(startScript)
        try VL53L0X(bus: bus).start()
        bus.finish()
    }

    @Test func startTalksToTheGivenAddress() throws {
        let bus = ScriptedI2CBus([.read(0x30, 0xC0, 0xEE), .fail(0x30, .readByte(register: 0xC1), nack)])
        let error = hardwareError { () throws(HardwareError) in try VL53L0X(bus: bus, address: 0x30).start() }
        #expect(error?.kind == .noAcknowledge)
        bus.finish()
    }

    @Test func wrongModelIDIsReportedWithAddressRegisterAndValue() {
        let bus = ScriptedI2CBus([.read(tof, 0xC0, 0x12)])
        let error = hardwareError { () throws(HardwareError) in try VL53L0X(bus: bus).start() }
        #expect(error?.kind == .other)
        #expect(error?.detail.contains("0x29") == true)
        #expect(error?.detail.contains("0xc0") == true)
        #expect(error?.detail.contains("0x12") == true)
        bus.finish()  // nothing after the failed check
    }

    @Test func wrongSecondIdentityRegisterIsReported() {
        let bus = ScriptedI2CBus([.read(tof, 0xC0, 0xEE), .read(tof, 0xC1, 0xAB)])
        let error = hardwareError { () throws(HardwareError) in try VL53L0X(bus: bus).start() }
        #expect(error?.kind == .other)
        #expect(error?.detail.contains("0xc1") == true)
        #expect(error?.detail.contains("0xab") == true)
        bus.finish()
    }

    @Test func noAcknowledgeAtStartPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(tof, .readByte(register: 0xC0), nack)])
        let error = hardwareError { () throws(HardwareError) in try VL53L0X(bus: bus).start() }
        #expect(error == nack)
        bus.finish()
    }

    @Test func calibrationThatNeverFinishesTimesOutAfter2000StatusReads() {
        let prefix = Array(startScript.prefix(19))  // up to and including SYSRANGE_START = 0x41
        let polls = [ScriptedI2CBus.Step](repeating: .read(tof, 0x13, 0x00), count: 2000)
        let bus = ScriptedI2CBus(prefix + polls)
        let error = hardwareError { () throws(HardwareError) in try VL53L0X(bus: bus).start() }
        #expect(error?.kind == .timeout)
        #expect(error?.detail.contains("VHV") == true)
        bus.finish()
    }

    @Test func readDistanceReturnsNilWhenNoSampleIsReady() throws {
        let bus = ScriptedI2CBus([.read(tof, 0x13, 0x00)])
        #expect(try VL53L0X(bus: bus).readDistance() == nil)
        bus.finish()
    }

    @Test func readDistanceReadsTheBigEndianRangeAndClearsTheInterrupt() throws {
        let bus = ScriptedI2CBus([
            .read(tof, 0x13, 0x04), .read(tof, 0x14, 0x58),       // ready; device status 11, range valid
            .readWord(tof, 0x1E, wire: [0x02, 0x9A]),             // 0x029A = 666 mm
            .write(tof, 0x0B, 0x01),
        ])
        #expect(try VL53L0X(bus: bus).readDistance() == .millimeters(666))
        bus.finish()
    }

    @Test(arguments: [
        ([UInt8](arrayLiteral: 0x1F, 0xFE), "8190 mm"),
        ([0x1F, 0xFF], "8191 mm"),
        ([0xFF, 0xFF], "65535 mm"),
    ])
    func noTargetSentinelIsOutOfRange(wire: [UInt8], _ label: String) throws {
        let bus = ScriptedI2CBus([
            .read(tof, 0x13, 0x04), .read(tof, 0x14, 0x58), .readWord(tof, 0x1E, wire: wire), .write(tof, 0x0B, 0x01),
        ])
        #expect(try VL53L0X(bus: bus).readDistance() == .outOfRange, "\(label)")
        bus.finish()
    }

    @Test func rangeStatusSignalFailureIsOutOfRangeEvenWithAPlausibleDistance() throws {
        let bus = ScriptedI2CBus([
            .read(tof, 0x13, 0x04), .read(tof, 0x14, 0x20),       // device status 4: signal fail
            .readWord(tof, 0x1E, wire: [0x01, 0xF4]),             // 500 mm, not to be trusted
            .write(tof, 0x0B, 0x01),
        ])
        #expect(try VL53L0X(bus: bus).readDistance() == .outOfRange)
        bus.finish()
    }

    @Test func noAcknowledgeMidReadPropagatesItsKind() {
        let bus = ScriptedI2CBus([
            .read(tof, 0x13, 0x04), .read(tof, 0x14, 0x58), .fail(tof, .readWord(register: 0x1E), nack),
        ])
        let error = hardwareError { () throws(HardwareError) in _ = try VL53L0X(bus: bus).readDistance() }
        #expect(error?.kind == .noAcknowledge)
        bus.finish()
    }

    /// RESULT_RANGE_STATUS byte → verdict, for a 666 mm range. Bits 6:3 are the device status.
    @Test(arguments: [
        (UInt8(0x58), RangeReading.millimeters(666)),   // 11: range complete
        (0x5F, .millimeters(666)),                      // 11 with the low bits set
        (0xD8, .millimeters(666)),                      // 11 with bit 7 set
        (0x00, .millimeters(666)),                      // 0: no verdict
        (0x08, .outOfRange),                            // 1: VCSEL continuity test failed
        (0x10, .outOfRange),                            // 2: VCSEL watchdog test failed
        (0x18, .outOfRange),                            // 3: VCSEL watchdog
        (0x20, .outOfRange),                            // 4: signal failure
        (0x30, .outOfRange),                            // 6: phase failure
        (0x40, .outOfRange),                            // 8: minimum range failure
        (0x48, .outOfRange),                            // 9: phase failure
        (0x50, .outOfRange),                            // 10: minimum range failure
    ])
    func rangeStatusClassification(status: UInt8, expected: RangeReading) {
        #expect(RangeReading(rangeStatus: status, millimeters: 666) == expected)
    }

    @Test func distancesJustBelowTheSentinelAreDistances() {
        #expect(RangeReading(rangeStatus: 0x58, millimeters: 8189) == .millimeters(8189))
        #expect(RangeReading(rangeStatus: 0x58, millimeters: 0) == .millimeters(0))
    }
}
