import CrossguardCore
import CrossguardDrivers
import CrossguardHAL

/// A VEML7700: lux for the night logic.
final class LightSensor<Bus: I2CBus>: PolledSensor {
    let config: I2CDeviceConfig
    private let driver: VEML7700<Bus>

    init(config: I2CDeviceConfig, driver: VEML7700<Bus>) {
        self.config = config
        self.driver = driver
    }

    func start() throws(HardwareError) { try driver.start() }
    func poll() throws(HardwareError) -> SensorReading { .lux(try driver.readLux()) }

    /// The light level after one 100 ms integration, to a tenth of a lux.
    func probe(sleepMs: (Int) -> Void) throws(HardwareError) -> String {
        try start()
        sleepMs(150)
        let tenths = Int((try driver.readLux() * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) lx"
    }
}
