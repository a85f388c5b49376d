import CrossguardCore
import CrossguardDrivers
import CrossguardHAL

/// An INA219 or INA226 on a lamp's supply and its threshold: lit or dark. The current's magnitude
/// counts, so a shunt wired the other way round still reads.
final class LampCurrentSensor<Monitor: CurrentMonitor>: PolledSensor {
    let config: I2CDeviceConfig
    private var threshold: LampCurrentThreshold
    private let monitor: Monitor

    init(config: I2CDeviceConfig, threshold: LampCurrentThreshold, monitor: Monitor) {
        self.config = config
        self.threshold = threshold
        self.monitor = monitor
    }

    func start() throws(HardwareError) { try monitor.start() }

    func poll() throws(HardwareError) -> SensorReading {
        let milliamps = try monitor.readCurrentMilliamps()
        return .level(threshold.update(milliamps: Int(clamping: milliamps.magnitude)))
    }

    /// The current through the shunt, read after one whole result (an earlier read may be the power-on register).
    func probe(sleepMs: (Int) -> Void) throws(HardwareError) -> String {
        try start()
        sleepMs(monitor.resultMicroseconds / 1_000 + 2)
        return "\(try monitor.readCurrentMilliamps()) mA"
    }
}
