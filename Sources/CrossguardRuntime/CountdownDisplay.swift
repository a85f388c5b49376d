import CrossguardCore
import CrossguardDrivers
import CrossguardHAL

/// An HT16K33 showing the pedestrian countdown.
final class CountdownDisplay<Bus: I2CBus>: PolledDisplay {
    let config: I2CDeviceConfig
    private let driver: HT16K33<Bus>

    init(config: I2CDeviceConfig, driver: HT16K33<Bus>) {
        self.config = config
        self.driver = driver
    }

    func start() throws(HardwareError) { try driver.start() }
    func show(_ value: UInt16?) throws(HardwareError) { try driver.show(value) }
}
