import CrossguardHAL

/// The VEML7700's ALS gain (ALS_CONF bits 12:11). Vishay's application note recommends ×1/8 or ×1/4
/// for most uses; ×1 and ×2 are for light below about 100 lx.
public enum VEML7700Gain: Sendable, CaseIterable {
    /// ALS_GAIN = 10: ×1/8.
    case oneEighth
    /// ALS_GAIN = 11: ×1/4.
    case oneQuarter
    /// ALS_GAIN = 00: ×1 (power-on default).
    case one
    /// ALS_GAIN = 01: ×2.
    case two

    /// The ALS_GAIN field code.
    var code: UInt16 {
        switch self {
        case .oneEighth: 0b10
        case .oneQuarter: 0b11
        case .one: 0b00
        case .two: 0b01
        }
    }

    /// The gain in eighths (×1/8 = 1 … ×2 = 16), so the lux formula stays exact.
    var eighths: Int {
        switch self {
        case .oneEighth: 1
        case .oneQuarter: 2
        case .one: 8
        case .two: 16
        }
    }
}

/// The VEML7700's integration time (ALS_CONF bits 9:6, ALS_IT). Longer is more sensitive and slower.
public enum VEML7700IntegrationTime: Sendable, CaseIterable {
    /// ALS_IT = 1100: 25 ms.
    case milliseconds25
    /// ALS_IT = 1000: 50 ms.
    case milliseconds50
    /// ALS_IT = 0000: 100 ms (power-on default).
    case milliseconds100
    /// ALS_IT = 0001: 200 ms.
    case milliseconds200
    /// ALS_IT = 0010: 400 ms.
    case milliseconds400
    /// ALS_IT = 0011: 800 ms.
    case milliseconds800

    /// The ALS_IT field code.
    var code: UInt16 {
        switch self {
        case .milliseconds25: 0b1100
        case .milliseconds50: 0b1000
        case .milliseconds100: 0b0000
        case .milliseconds200: 0b0001
        case .milliseconds400: 0b0010
        case .milliseconds800: 0b0011
        }
    }

    /// The integration time in milliseconds.
    public var milliseconds: Int {
        switch self {
        case .milliseconds25: 25
        case .milliseconds50: 50
        case .milliseconds100: 100
        case .milliseconds200: 200
        case .milliseconds400: 400
        case .milliseconds800: 800
        }
    }
}

/// Vishay VEML7700 ambient light sensor (fixed address 0x10): the lux reading behind night logic
/// (dimming, night regimes). Registers are 16-bit little-endian, SMBus's own order.
///
/// Lux = count × resolution, with the resolution from the table "Resolution and maximum detection
/// range" of the datasheet (rev. with 0.0042 lx/ct) and application note 84323 "Designing the VEML7700
/// into an application": 0.0042 lx/ct at gain ×2 and 800 ms, scaling inversely with gain and
/// integration time:
///
///     resolution [lx/ct] = 0.0042 × (800 ms / IT) × (2 / gain) = 53.76 / (IT [ms] × gain in eighths)
///
/// so ×1/8 at 25 ms gives 2.1504 lx/ct (full scale ≈ 141 klx) and ×1 at 100 ms 0.0672 lx/ct. Older
/// datasheet revisions (and Adafruit's library) use 0.0036 lx/ct instead; Linux's veml6030 driver uses
/// 0.0042 as here. The app note's polynomial correction for non-linearity above about 1000 lx is not
/// applied: night logic cares about tens of lux. A count of 65535 means saturated: at least that bright.
public struct VEML7700<Bus: I2CBus> {
    /// The bus the sensor is on.
    public let bus: Bus
    /// The sensor's 7-bit address: always 0x10.
    public let address: UInt8 = 0x10
    /// The programmed gain.
    public let gain: VEML7700Gain
    /// The programmed integration time.
    public let integrationTime: VEML7700IntegrationTime

    /// A sensor on `bus`; nothing is sent until `start()`. The default, ×1/4 at 100 ms, resolves
    /// 0.2688 lx with a fresh value every ~100 ms and saturates only above ≈ 17.6 klx (daylight, when
    /// night logic does not care).
    public init(bus: Bus, gain: VEML7700Gain = .oneQuarter, integrationTime: VEML7700IntegrationTime = .milliseconds100) {
        self.bus = bus
        self.gain = gain
        self.integrationTime = integrationTime
    }

    /// The ALS_CONF (0x00) value this driver writes: bits 12:11 ALS_GAIN, bits 9:6 ALS_IT, bits 5:4
    /// ALS_PERS = 00, bit 1 ALS_INT_EN = 0 (no interrupt: the driver polls), bit 0 ALS_SD = 0 (on);
    /// reserved bits 0.
    public var configuration: UInt16 {
        gain.code << 11 | integrationTime.code << 6
    }

    /// Lux per count for the programmed gain and integration time.
    public var luxPerCount: Double {
        Self.luxPerCount(gain: gain, integrationTime: integrationTime)
    }

    /// Powers the sensor on with the chosen gain and integration time and power saving off
    /// (power-saving mode register 0x03 = 0). The first result is ready one integration time later
    /// (plus ~2.5 ms start-up); reads before that return 0.
    public func start() throws(HardwareError) {
        try bus.writeLittleEndianWord(address, register: VEML7700Register.configuration, configuration)
        try bus.writeLittleEndianWord(address, register: VEML7700Register.powerSaving, 0x0000)
    }

    /// The raw ALS count (register 0x04).
    public func readCount() throws(HardwareError) -> UInt16 {
        try bus.readLittleEndianWord(address, register: VEML7700Register.ambientLight)
    }

    /// The ambient light in lux.
    public func readLux() throws(HardwareError) -> Double {
        Double(try readCount()) * luxPerCount
    }

    /// Lux per count for a gain and integration time: 53.76 / (IT [ms] × gain in eighths).
    public static func luxPerCount(gain: VEML7700Gain, integrationTime: VEML7700IntegrationTime) -> Double {
        53.76 / Double(integrationTime.milliseconds * gain.eighths)
    }
}

/// VEML7700 command codes (datasheet "Command Register Format").
private enum VEML7700Register {
    /// ALS_CONF_0: gain, integration time, persistence, interrupt enable, shutdown.
    static let configuration: UInt8 = 0x00
    /// Power saving mode: bits 2:1 PSM, bit 0 PSM_EN.
    static let powerSaving: UInt8 = 0x03
    /// ALS: 16-bit ambient light count.
    static let ambientLight: UInt8 = 0x04
}
