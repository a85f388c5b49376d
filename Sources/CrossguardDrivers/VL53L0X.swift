import CrossguardHAL

/// One ranging result of a time-of-flight sensor. "Nothing in range" is its own case so that the
/// sensor's 8190/8191 mm sentinel (or a reading the sensor itself flags as invalid) is never taken for
/// a real distance by the presence logic.
public enum RangeReading: Equatable, Sendable {
    /// A range the sensor reports as valid, in millimetres.
    case millimeters(UInt16)
    /// No valid target: nothing within reach, a return too weak or a target too close to measure.
    case outOfRange

    /// Classifies a VL53L0X result from its RESULT_RANGE_STATUS byte (register 0x14) and its range
    /// word (0x1E, millimetres).
    ///
    /// The device range status is bits 6:3 of 0x14 (ST API, `VL53L0X_GetRangingMeasurementData`:
    /// `(status & 0x78) >> 3`). ST's `VL53L0X_get_pal_range_status` calls 1–3 a hardware (VCSEL)
    /// failure, 4 a signal failure, 6 and 9 a phase failure and 8 and 10 a minimum-range failure; 11 is
    /// "range complete" and the rest carry no verdict. All failures read as out of range here, and so
    /// does a range of 8190 mm or more, the value the sensor reports when it sees no target at all.
    public init(rangeStatus: UInt8, millimeters: UInt16) {
        let deviceStatus = (rangeStatus & 0x78) >> 3
        switch deviceStatus {
        case 1, 2, 3, 4, 6, 8, 9, 10:
            self = .outOfRange
        default:
            self = millimeters >= 8190 ? .outOfRange : .millimeters(millimeters)
        }
    }
}

/// ST VL53L0X time-of-flight ranging sensor (up to about 2 m): it sees a pedestrian waiting at the
/// kerb. The driver starts continuous back-to-back ranging and polls for new samples; `PresenceBand`
/// turns the distances into present/absent.
///
/// Start-up is a reduced form of ST's API sequence (`VL53L0X_DataInit`, `StaticInit`,
/// `PerformRefCalibration`, `StartMeasurement`) as transcribed by Pololu's vl53l0x-arduino `init()`
/// and `startContinuous()`, using only SMBus byte and word transfers so it runs unchanged on
/// `/dev/i2c-N`, in the simulator and against i2c-stub.
///
/// Kept, in Pololu's order: the identity check; I/O at 2.8 V (every common breakout has a 2.8 V
/// regulator and level shifters); I2C standard mode; reading the "stop variable" from the private
/// register page and writing it back at start; disabling the MSRC and pre-range signal-rate limit
/// checks; the final-range signal-rate limit of 0.25 MCPS (ST's default); "new sample ready" as the
/// interrupt source; sequence steps DSS + pre-range + final-range (MSRC and TCC off, as ST's
/// `StaticInit` leaves them); the VHV and phase reference calibrations (they compensate temperature
/// and need only byte transfers).
///
/// Skipped, and why (Linux's mainline `vl53l0x-i2c` driver ranges with none of the init at all, so
/// the sensor measures on its power-on settings; what these steps buy is accuracy and reach):
/// - Reference SPAD management (`getSpadInfo` and the six-byte SPAD enable map at 0xB0): it needs
///   block transfers and an undocumented 0x83 handshake. The power-on map (every good reference SPAD,
///   per Pololu's notes) stays, rather than the calibrated count ST would enable.
/// - ST's `DefaultTuningSettings` (about 80 writes to undocumented registers, no published meaning):
///   nothing in it can be checked against a datasheet, and a presence band at kerb distances should
///   not need the extra reach (to be confirmed on a bench sensor).
/// - Recomputing the measurement timing budget after switching MSRC and TCC off: the final-range
///   timeout stays at its default, so each sample takes a little less than ST's 33 ms default.
/// - The GPIO1 pin polarity (0x84): the driver polls the status register and never uses the pin.
public struct VL53L0X<Bus: I2CBus> {
    /// The bus the sensor is on.
    public let bus: Bus
    /// The sensor's 7-bit address: 0x29 after power-up (software-changeable, lost at reset).
    public let address: UInt8

    /// A sensor on `bus` at `address`; nothing is sent until `start()`.
    public init(bus: Bus, address: UInt8 = 0x29) {
        self.bus = bus
        self.address = address
    }

    /// Checks that a VL53L0X answers, initialises it and starts continuous back-to-back ranging.
    /// Blocks for the two reference calibrations (a few milliseconds each, at most
    /// 2000 status reads each), so call it from the sensor thread.
    public func start() throws(HardwareError) {
        // Identity: ST datasheet "reference registers", IDENTIFICATION_MODEL_ID 0xC0 = 0xEE, 0xC1 = 0xAA.
        try expect(register: Register.modelID, reads: 0xEE)
        try expect(register: Register.moduleType, reads: 0xAA)

        // VHV_CONFIG_PAD_SCL_SDA__EXTSUP_HV bit 0: I/O at 2.8 V instead of 1.8 V.
        let pad = try read(Register.padSCLSDAExtSupHV)
        try write(Register.padSCLSDAExtSupHV, pad | 0x01)
        // "Set I2C standard mode" (ST API; register undocumented).
        try write(Register.i2cMode, 0x00)
        // The stop variable, written back before every start (ST's StartMeasurement).
        try openPrivatePage()
        let stopVariable = try read(Register.stopVariable)
        try closePrivatePage()
        // MSRC_CONFIG_CONTROL: bit 1 disables the MSRC and bit 4 the pre-range signal-rate limit check.
        let msrc = try read(Register.msrcConfigControl)
        try write(Register.msrcConfigControl, msrc | 0x12)
        // FINAL_RANGE_CONFIG_MIN_COUNT_RATE_RTN_LIMIT: Q9.7 fixed point in MCPS; 0.25 × 128 = 32.
        try bus.writeBigEndianWord(address, register: Register.finalRangeMinCountRateLimit, 0x0020)
        // SYSTEM_INTERRUPT_CONFIG_GPIO = 4: "new sample ready"; then clear any stale interrupt.
        try write(Register.systemInterruptConfigGPIO, 0x04)
        try write(Register.systemInterruptClear, 0x01)

        // Reference calibrations (ST's VL53L0X_perform_ref_calibration): VHV with SYSTEM_SEQUENCE_CONFIG
        // = 0x01 and SYSRANGE_START bit 6 set, then phase with 0x02; afterwards the sequence steps
        // DSS (bit 3), pre-range (bit 6) and final range (bit 7) = 0xE8.
        try calibrate(sequenceStep: 0x01, vhvInit: 0x40, name: "VHV calibration")
        try calibrate(sequenceStep: 0x02, vhvInit: 0x00, name: "phase calibration")
        try write(Register.systemSequenceConfig, 0xE8)

        // Continuous back-to-back ranging: stop variable back, then SYSRANGE_START = 0x02.
        try openPrivatePage()
        try write(Register.stopVariable, stopVariable)
        try closePrivatePage()
        try write(Register.sysrangeStart, 0x02)
    }

    /// The newest sample, or nil when the sensor has none since the last call (a sample takes about
    /// 30 ms). Reads RESULT_INTERRUPT_STATUS (0x13, bits 2:0 non-zero when a sample is ready), then
    /// RESULT_RANGE_STATUS (0x14) and the range (0x14 + 10 = 0x1E, big-endian millimetres), and clears
    /// the interrupt (SYSTEM_INTERRUPT_CLEAR 0x0B = 0x01) so the next sample can be seen.
    public func readDistance() throws(HardwareError) -> RangeReading? {
        guard try read(Register.resultInterruptStatus) & 0x07 != 0 else { return nil }
        let status = try read(Register.resultRangeStatus)
        let millimeters = try bus.readBigEndianWord(address, register: Register.resultRangeMillimeters)
        try write(Register.systemInterruptClear, 0x01)
        return RangeReading(rangeStatus: status, millimeters: millimeters)
    }

    // MARK: - Register access

    private func read(_ register: UInt8) throws(HardwareError) -> UInt8 {
        try bus.readByte(address, register: register)
    }

    private func write(_ register: UInt8, _ value: UInt8) throws(HardwareError) {
        try bus.writeByte(address, register: register, value)
    }

    private func expect(register: UInt8, reads expected: UInt8) throws(HardwareError) {
        let value = try read(register)
        guard value == expected else {
            throw HardwareError(
                .other,
                "VL53L0X at \(hexByte(address)): register \(hexByte(register)) reads \(hexByte(value)), expected \(hexByte(expected)); is another device at this address?"
            )
        }
    }

    /// ST's undocumented access to the private register page (0x80 = 1, 0xFF = 1, 0x00 = 0) where the
    /// stop variable lives at 0x91, copied as ST and Pololu do it.
    private func openPrivatePage() throws(HardwareError) {
        try write(Register.powerManagement, 0x01)
        try write(Register.pageSelect, 0x01)
        try write(Register.sysrangeStart, 0x00)
    }

    /// Back to the normal register page (0x00 = 1, 0xFF = 0, 0x80 = 0).
    private func closePrivatePage() throws(HardwareError) {
        try write(Register.sysrangeStart, 0x01)
        try write(Register.pageSelect, 0x00)
        try write(Register.powerManagement, 0x00)
    }

    /// One reference calibration (ST's VL53L0X_perform_single_ref_calibration): select the sequence
    /// step, start with SYSRANGE_START = 0x01 | vhvInit, wait for the interrupt, clear it, stop.
    private func calibrate(sequenceStep: UInt8, vhvInit: UInt8, name: String) throws(HardwareError) {
        try write(Register.systemSequenceConfig, sequenceStep)
        try write(Register.sysrangeStart, 0x01 | vhvInit)
        try waitForInterrupt(during: name)
        try write(Register.systemInterruptClear, 0x01)
        try write(Register.sysrangeStart, 0x00)
    }

    private func waitForInterrupt(during step: String) throws(HardwareError) {
        for _ in 0..<statusPollLimit {
            if try read(Register.resultInterruptStatus) & 0x07 != 0 { return }
        }
        throw HardwareError(
            .timeout,
            "VL53L0X at \(hexByte(address)): \(step) did not finish (register \(hexByte(Register.resultInterruptStatus)) read \(statusPollLimit) times)"
        )
    }
}

/// How many RESULT_INTERRUPT_STATUS reads a reference calibration may take before `start()` gives up:
/// ST's API loop limit (VL53L0X_DEFAULT_MAX_LOOP). At 100–400 kHz that is roughly 0.2–1 s, far more
/// than the few milliseconds a calibration takes, and it needs no clock.
private let statusPollLimit = 2000

/// VL53L0X register map (ST API `vl53l0x_device.h`; Pololu's names).
private enum Register {
    /// SYSRANGE_START: 0x01 single shot / stop, 0x02 back-to-back continuous; bit 6 VHV calibration.
    /// Also reused as the private-page selector 0x00 inside ST's stop-variable sequence.
    static let sysrangeStart: UInt8 = 0x00
    /// SYSTEM_SEQUENCE_CONFIG: which ranging steps run (TCC 4, MSRC 2, DSS 3, pre-range 6, final 7).
    static let systemSequenceConfig: UInt8 = 0x01
    /// SYSTEM_INTERRUPT_CONFIG_GPIO: 4 = new sample ready.
    static let systemInterruptConfigGPIO: UInt8 = 0x0A
    /// SYSTEM_INTERRUPT_CLEAR: write 1 to clear the range interrupt.
    static let systemInterruptClear: UInt8 = 0x0B
    /// RESULT_INTERRUPT_STATUS: bits 2:0 non-zero when a sample is ready.
    static let resultInterruptStatus: UInt8 = 0x13
    /// RESULT_RANGE_STATUS: bits 6:3 the device range status.
    static let resultRangeStatus: UInt8 = 0x14
    /// The final range in millimetres, big-endian, 10 bytes into the result block at 0x14.
    static let resultRangeMillimeters: UInt8 = 0x14 + 10
    /// FINAL_RANGE_CONFIG_MIN_COUNT_RATE_RTN_LIMIT: signal-rate limit, Q9.7 MCPS, big-endian.
    static let finalRangeMinCountRateLimit: UInt8 = 0x44
    /// MSRC_CONFIG_CONTROL: limit-check disables.
    static let msrcConfigControl: UInt8 = 0x60
    /// Power management / private-page access (undocumented, from ST's API).
    static let powerManagement: UInt8 = 0x80
    /// I2C mode (undocumented, from ST's API): 0 = standard mode.
    static let i2cMode: UInt8 = 0x88
    /// VHV_CONFIG_PAD_SCL_SDA__EXTSUP_HV: bit 0 selects 2.8 V I/O.
    static let padSCLSDAExtSupHV: UInt8 = 0x89
    /// The stop variable on the private page (undocumented, from ST's API).
    static let stopVariable: UInt8 = 0x91
    /// IDENTIFICATION_MODEL_ID: 0xEE.
    static let modelID: UInt8 = 0xC0
    /// Second identification register: 0xAA (datasheet "reference registers").
    static let moduleType: UInt8 = 0xC1
    /// Register page select (undocumented, from ST's API).
    static let pageSelect: UInt8 = 0xFF
}
