import CrossguardHAL

/// The INA219's programmable shunt range (configuration register bits 12:11, PG). The shunt
/// register's LSB is 10 µV whatever the range; a smaller range gains accuracy on small voltages and
/// saturates sooner.
public enum INA219ShuntRange: UInt16, Sendable, CaseIterable {
    /// PG = 00, gain /1: ±40 mV.
    case millivolts40 = 0b00
    /// PG = 01, gain /2: ±80 mV.
    case millivolts80 = 0b01
    /// PG = 10, gain /4: ±160 mV.
    case millivolts160 = 0b10
    /// PG = 11, gain /8: ±320 mV (power-on default).
    case millivolts320 = 0b11
}

/// How many 12-bit samples the INA219 averages into one result (configuration register ADC field
/// codes 1xxx, datasheet table "ADC settings"): more samples smooth ripple from the lamp's supply or a
/// PWM-dimmed head at the cost of a slower update.
public enum INA219Averaging: UInt16, Sendable, CaseIterable {
    /// 1 sample, 532 µs.
    case samples1 = 0b1000
    /// 2 samples, 1.06 ms.
    case samples2 = 0b1001
    /// 4 samples, 2.13 ms.
    case samples4 = 0b1010
    /// 8 samples, 4.26 ms.
    case samples8 = 0b1011
    /// 16 samples, 8.51 ms.
    case samples16 = 0b1100
    /// 32 samples, 17.02 ms.
    case samples32 = 0b1101
    /// 64 samples, 34.05 ms.
    case samples64 = 0b1110
    /// 128 samples, 68.10 ms.
    case samples128 = 0b1111
}

/// TI INA219 high-side current monitor across a lamp's shunt resistor: the lamp-current input of
/// lamp-failure detection. Registers are 16-bit big-endian (most significant byte first on the wire).
///
/// The INA219 has no identity register, so `start()` writes the configuration and reads it back: a
/// device that does not echo it (a PCA9685 also answers 0x40 by default) is reported, not trusted.
/// Current is computed from the shunt voltage register and the shunt resistance, not with the chip's
/// calibration/current registers, so no calibration constant has to be derived or kept in sync.
public struct INA219<Bus: I2CBus> {
    /// The bus the monitor is on.
    public let bus: Bus
    /// The 7-bit address: 0x40–0x4F by the A0/A1 straps, 0x40 with both to ground.
    public let address: UInt8
    /// The shunt resistor's value in milliohms (> 0).
    public let shuntMilliohms: UInt32
    /// The programmed shunt range.
    public let shuntRange: INA219ShuntRange
    /// The programmed averaging (used for the bus-voltage ADC too).
    public let averaging: INA219Averaging

    /// A monitor on `bus` at `address` with a shunt of `shuntMilliohms`; nothing is sent until
    /// `start()`. Throws (kind `other`) for a shunt of 0 mΩ.
    public init(
        bus: Bus, address: UInt8 = 0x40, shuntMilliohms: UInt32,
        shuntRange: INA219ShuntRange = .millivolts320, averaging: INA219Averaging = .samples16
    ) throws(HardwareError) {
        guard shuntMilliohms > 0 else { throw zeroShuntError("INA219", address) }
        self.bus = bus
        self.address = address
        self.shuntMilliohms = shuntMilliohms
        self.shuntRange = shuntRange
        self.averaging = averaging
    }

    /// The configuration register (0x00) value this monitor writes:
    /// bit 13 BRNG = 1 (32 V bus range), bits 12:11 PG (shunt range), bits 10:7 BADC and bits 6:3 SADC
    /// (averaging), bits 2:0 MODE = 111 (shunt and bus, continuous). Power-on default: 0x399F.
    public var configuration: UInt16 {
        1 << 13 | shuntRange.rawValue << 11 | averaging.rawValue << 7 | averaging.rawValue << 3 | 0b111
    }

    /// Writes the configuration and reads it back; a mismatch means some other device answered.
    public func start() throws(HardwareError) {
        try bus.writeBigEndianWord(address, register: INA219Register.configuration, configuration)
        let echoed = try bus.readBigEndianWord(address, register: INA219Register.configuration)
        guard echoed == configuration else {
            throw HardwareError(
                .other,
                "INA219 at \(hexByte(address)): register \(hexByte(INA219Register.configuration)) reads \(hex16(echoed)) after writing \(hex16(configuration)); is another device at this address?"
            )
        }
    }

    /// The raw shunt voltage register (0x01): signed, LSB 10 µV.
    public func readShuntRegister() throws(HardwareError) -> Int16 {
        Int16(bitPattern: try bus.readBigEndianWord(address, register: INA219Register.shuntVoltage))
    }

    /// The lamp current in milliamps (signed; negative when current flows backwards through the shunt).
    public func readCurrentMilliamps() throws(HardwareError) -> Int {
        Self.milliamps(shuntRegister: try readShuntRegister(), shuntMilliohms: shuntMilliohms)
    }

    /// The shunt voltage in microvolts for a shunt register value: LSB 10 µV, two's complement. At
    /// ranges below ±320 mV the chip sign-extends into the unused high bits, so the register read as
    /// Int16 is right for every range (e.g. 0x7D00 = +320 mV, 0x8300 = -320 mV, 0xFFFF = -10 µV).
    public static func shuntMicrovolts(shuntRegister: Int16) -> Int {
        Int(shuntRegister) * 10
    }

    /// Current in milliamps, rounded to the nearest: I [mA] = V [µV] / R [mΩ]. Integer arithmetic;
    /// |V| ≤ 327,680 µV, so with R ≥ 1 mΩ the result fits any Int. A resistance of 0 (which `init`
    /// refuses) is taken as 1 mΩ rather than trapping.
    public static func milliamps(shuntRegister: Int16, shuntMilliohms: UInt32) -> Int {
        Int(roundedQuotient(Int64(shuntRegister) * 10, Int64(max(shuntMilliohms, 1))))
    }
}

/// INA219 register addresses (datasheet "Register Set").
private enum INA219Register {
    /// Configuration, read/write, power-on 0x399F.
    static let configuration: UInt8 = 0x00
    /// Shunt voltage, read-only, LSB 10 µV signed.
    static let shuntVoltage: UInt8 = 0x01
}
