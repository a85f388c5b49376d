import CrossguardHAL

/// A lamp-current monitor across a shunt resistor (INA219, INA226): what the sensor thread and `diag`
/// need of one, whichever part the board has.
public protocol CurrentMonitor {
    /// Checks the part is what the board says and configures it; called again after it stopped answering.
    func start() throws(HardwareError)
    /// The current through the shunt in milliamps; negative when it flows the other way.
    func readCurrentMilliamps() throws(HardwareError) -> Int
    /// How long one result takes as configured, in microseconds: a reading sooner after `start()` may
    /// still be the power-on register.
    var resultMicroseconds: Int { get }
}

extension INA219: CurrentMonitor {
    /// Shunt and bus each average `averaging` samples of 532 µs, one after the other.
    public var resultMicroseconds: Int { 2 * (1 << Int(averaging.rawValue & 0b111)) * 532 }
}

extension INA226: CurrentMonitor {
    /// Shunt and bus each average `averaging` conversions of `conversionTime`, one after the other.
    public var resultMicroseconds: Int {
        let averages = [1, 4, 16, 64, 128, 256, 512, 1024][Int(averaging.rawValue)]
        let conversion = [140, 204, 332, 588, 1_100, 2_116, 4_156, 8_244][Int(conversionTime.rawValue)]
        return 2 * averages * conversion
    }
}
