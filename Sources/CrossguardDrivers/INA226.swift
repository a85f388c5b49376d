import CrossguardHAL

/// How many conversions the INA226 averages into one result (configuration register bits 11:9, AVG).
public enum INA226Averaging: UInt16, Sendable, CaseIterable {
    /// AVG = 000: 1 (power-on default).
    case samples1 = 0b000
    /// AVG = 001: 4.
    case samples4 = 0b001
    /// AVG = 010: 16.
    case samples16 = 0b010
    /// AVG = 011: 64.
    case samples64 = 0b011
    /// AVG = 100: 128.
    case samples128 = 0b100
    /// AVG = 101: 256.
    case samples256 = 0b101
    /// AVG = 110: 512.
    case samples512 = 0b110
    /// AVG = 111: 1024.
    case samples1024 = 0b111
}

/// How long one INA226 conversion takes (configuration register VBUSCT bits 8:6 and VSHCT bits 5:3;
/// the driver programs both the same). One result takes averaging × conversion time.
public enum INA226ConversionTime: UInt16, Sendable, CaseIterable {
    /// 000: 140 µs.
    case microseconds140 = 0b000
    /// 001: 204 µs.
    case microseconds204 = 0b001
    /// 010: 332 µs.
    case microseconds332 = 0b010
    /// 011: 588 µs.
    case microseconds588 = 0b011
    /// 100: 1.1 ms (power-on default).
    case microseconds1100 = 0b100
    /// 101: 2.116 ms.
    case microseconds2116 = 0b101
    /// 110: 4.156 ms.
    case microseconds4156 = 0b110
    /// 111: 8.244 ms.
    case microseconds8244 = 0b111
}

/// TI INA226 current/power monitor across a lamp's shunt resistor: the more precise alternative to the
/// INA219 for lamp-failure detection (±81.92 mV range, 2.5 µV LSB, hardware averaging). Registers are
/// 16-bit big-endian. `start()` checks the identity registers before configuring, so a different part
/// at the address (a PCA9685 also answers 0x40 by default) is reported instead of misread.
/// Current comes from the shunt voltage and the shunt resistance; the calibration and current
/// registers are left alone.
public struct INA226<Bus: I2CBus> {
    /// The bus the monitor is on.
    public let bus: Bus
    /// The 7-bit address: 0x40–0x4F by the A0/A1 straps, 0x40 with both to ground.
    public let address: UInt8
    /// The shunt resistor's value in milliohms (> 0).
    public let shuntMilliohms: UInt32
    /// The programmed averaging.
    public let averaging: INA226Averaging
    /// The programmed conversion time for shunt and bus.
    public let conversionTime: INA226ConversionTime

    /// A monitor on `bus` at `address` with a shunt of `shuntMilliohms`; nothing is sent until
    /// `start()`. Throws (kind `other`) for a shunt of 0 mΩ. The defaults (16 × 1.1 ms ≈ 18 ms per
    /// result) are the Linux ina2xx driver's.
    public init(
        bus: Bus, address: UInt8 = 0x40, shuntMilliohms: UInt32,
        averaging: INA226Averaging = .samples16, conversionTime: INA226ConversionTime = .microseconds1100
    ) throws(HardwareError) {
        guard shuntMilliohms > 0 else { throw zeroShuntError("INA226", address) }
        self.bus = bus
        self.address = address
        self.shuntMilliohms = shuntMilliohms
        self.averaging = averaging
        self.conversionTime = conversionTime
    }

    /// The configuration register (0x00) value this monitor writes: bit 14 as at power-on (reads 1),
    /// bits 11:9 AVG, bits 8:6 VBUSCT and 5:3 VSHCT (both `conversionTime`), bits 2:0 MODE = 111 (shunt
    /// and bus, continuous). Power-on default: 0x4127.
    public var configuration: UInt16 {
        1 << 14 | averaging.rawValue << 9 | conversionTime.rawValue << 6 | conversionTime.rawValue << 3 | 0b111
    }

    /// Checks the identity (manufacturer id 0xFE = 0x5449 "TI"; die id 0xFF bits 15:4 = 0x226, bits 3:0
    /// the die revision, 0x2260 on the parts seen so far) and writes the configuration.
    public func start() throws(HardwareError) {
        let manufacturer = try bus.readBigEndianWord(address, register: INA226Register.manufacturerID)
        guard manufacturer == 0x5449 else {
            throw identityError(register: INA226Register.manufacturerID, value: manufacturer, expected: "0x5449 (\"TI\")")
        }
        let die = try bus.readBigEndianWord(address, register: INA226Register.dieID)
        guard die >> 4 == 0x226 else {
            throw identityError(register: INA226Register.dieID, value: die, expected: "0x226x (INA226)")
        }
        try bus.writeBigEndianWord(address, register: INA226Register.configuration, configuration)
    }

    /// The raw shunt voltage register (0x01): signed, LSB 2.5 µV.
    public func readShuntRegister() throws(HardwareError) -> Int16 {
        Int16(bitPattern: try bus.readBigEndianWord(address, register: INA226Register.shuntVoltage))
    }

    /// The lamp current in milliamps (signed; negative when current flows backwards through the shunt).
    public func readCurrentMilliamps() throws(HardwareError) -> Int {
        Self.milliamps(shuntRegister: try readShuntRegister(), shuntMilliohms: shuntMilliohms)
    }

    /// The shunt voltage in nanovolts for a shunt register value: LSB 2.5 µV = 2500 nV, two's
    /// complement (0x7FFF = 81.9175 mV, 0x8000 = -81.92 mV). Nanovolts keep the half microvolt exact.
    public static func shuntNanovolts(shuntRegister: Int16) -> Int {
        Int(shuntRegister) * 2500
    }

    /// Current in milliamps, rounded to the nearest: I [mA] = V [µV] / R [mΩ]
    /// = register × 25 / (10 × R [mΩ]). Integer arithmetic in Int64; |register × 25| ≤ 819,200, so
    /// with R ≥ 1 mΩ the result fits any Int. A resistance of 0 (which `init` refuses) is taken as
    /// 1 mΩ rather than trapping.
    public static func milliamps(shuntRegister: Int16, shuntMilliohms: UInt32) -> Int {
        Int(roundedQuotient(Int64(shuntRegister) * 25, Int64(max(shuntMilliohms, 1)) * 10))
    }

    private func identityError(register: UInt8, value: UInt16, expected: String) -> HardwareError {
        HardwareError(
            .other,
            "INA226 at \(hexByte(address)): register \(hexByte(register)) reads \(hex16(value)), expected \(expected); is another device at this address?"
        )
    }
}

/// INA226 register addresses (datasheet "Register Maps").
private enum INA226Register {
    /// Configuration, read/write, power-on 0x4127.
    static let configuration: UInt8 = 0x00
    /// Shunt voltage, read-only, LSB 2.5 µV signed.
    static let shuntVoltage: UInt8 = 0x01
    /// Manufacturer ID, 0x5449.
    static let manufacturerID: UInt8 = 0xFE
    /// Die ID: bits 15:4 device 0x226, bits 3:0 revision.
    static let dieID: UInt8 = 0xFF
}
