import CrossguardCore
import CrossguardDrivers
import CrossguardHAL

/// A VL53L0X and its distance band: present or absent.
final class PresenceSensor<Bus: I2CBus>: PolledSensor {
    let config: I2CDeviceConfig
    private let driver: VL53L0X<Bus>
    private var band: PresenceBand
    private let emptyBand: PresenceBand

    init(config: I2CDeviceConfig, driver: VL53L0X<Bus>, band: PresenceBand) {
        self.config = config
        self.driver = driver
        self.band = band
        emptyBand = band
    }

    func start() throws(HardwareError) {
        try driver.start()
        band = emptyBand  // a restarted sensor has seen nobody yet
    }

    func poll() throws(HardwareError) -> SensorReading {
        guard let reading = try driver.readDistance() else { return .notReady }
        return .level(band.update(reading))
    }

    /// The distance it measures, waiting up to 0.5 s for the first sample (one takes about 30 ms).
    func probe(sleepMs: (Int) -> Void) throws(HardwareError) -> String {
        try start()
        for _ in 0..<50 {
            if let reading = try driver.readDistance() {
                if case .millimeters(let mm) = reading { return "\(mm) mm" }
                return "nothing in range"
            }
            sleepMs(10)
        }
        return "started, but no sample within 0.5 s"
    }
}
