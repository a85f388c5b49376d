import CrossguardCore
import CrossguardDrivers
import CrossguardHAL

/// Turns a board's `[[i2c]]` tables into the sensor thread's parts: each driver wrapped with the logic
/// that makes its readings a role's level (a distance band, a current threshold) or a light reading, and
/// each GPIO expander with the board's layout of its pins. Generic over the bus, so `run` hands it
/// `/dev/i2c-N` buses and tests and the simulated board hand it register maps.
public enum I2CParts {
    /// The sensors, the countdown display and the expanders of `board`, on buses from `bus` (called once
    /// per distinct bus path). A bus that cannot be opened is an error naming the part and the path.
    public static func make<Bus: I2CBus>(
        board: BoardConfig, bus open: (String) throws(HardwareError) -> Bus
    ) throws(HardwareError) -> (sensors: [PolledSensor], display: PolledDisplay?, expanders: [PolledExpander]) {
        var buses: [String: Bus] = [:]
        var sensors: [PolledSensor] = []
        var display: PolledDisplay?
        var expanders: [PolledExpander] = []
        for config in board.i2c {
            let bus: Bus
            if let open = buses[config.bus] { bus = open } else {
                do throws(HardwareError) { bus = try open(config.bus) } catch {
                    throw HardwareError(error.kind, "\(board.roleNames(servedBy: config)): \(config.label): \(error.detail)", errno: error.errno)
                }
                buses[config.bus] = bus
            }
            switch config.function {
            case .presence(let near, let far, let hysteresis):
                guard let band = PresenceBand(nearMillimeters: UInt16(near), farMillimeters: UInt16(far), hysteresisMillimeters: UInt16(hysteresis)) else {
                    throw HardwareError(.other, "\(config.roleName): \(config.label): the distance band \(near)–\(far) mm is empty")
                }
                sensors.append(PresenceSensor(config: config, driver: VL53L0X(bus: bus, address: config.address), band: band))
            case .lampCurrent(let shunt, let lit, let dark):
                guard let threshold = LampCurrentThreshold(litAboveMilliamps: lit, darkBelowMilliamps: dark) else {
                    throw HardwareError(.other, "\(config.roleName): \(config.label): lit above \(lit) mA must be above dark below \(dark) mA")
                }
                if config.part == .ina219 {
                    sensors.append(LampCurrentSensor(config: config, threshold: threshold,
                                                     monitor: try INA219(bus: bus, address: config.address, shuntMilliohms: UInt32(shunt))))
                } else {
                    sensors.append(LampCurrentSensor(config: config, threshold: threshold,
                                                     monitor: try INA226(bus: bus, address: config.address, shuntMilliohms: UInt32(shunt))))
                }
            case .ambientLight:
                sensors.append(LightSensor(config: config, driver: VEML7700(bus: bus)))
            case .countdown:
                display = CountdownDisplay(config: config, driver: HT16K33(bus: bus, address: config.address))
            case .expander:
                guard let layout = board.expanderLayout(config) else { continue }
                expanders.append(ExpanderChip(config: config, layout: layout, driver: MCP23017(bus: bus, address: config.address)))
            }
        }
        return (sensors, display, expanders)
    }
}

/// An MCP23017 configured as the board lays out its pins: inputs (with the pull-ups the board asks for,
/// and on every unused pin) read as they are, active-low applied by the sensor thread, never by IPOL.
final class ExpanderChip<Bus: I2CBus>: PolledExpander {
    let config: I2CDeviceConfig
    private let layout: ExpanderLayout
    private let driver: MCP23017<Bus>

    init(config: I2CDeviceConfig, layout: ExpanderLayout, driver: MCP23017<Bus>) {
        self.config = config
        self.layout = layout
        self.driver = driver
    }

    func configure(latch: UInt16) throws(HardwareError) {
        try driver.configure(inputs: layout.directions, pullUps: layout.pullUps, invertedInputs: 0, outputLevels: latch)
    }

    func readLines() throws(HardwareError) -> UInt16 { try driver.readLines() }
    func writeLatch(_ latch: UInt16) throws(HardwareError) { try driver.writeOutputs(latch) }
    func readDirections() throws(HardwareError) -> UInt16 { try driver.readDirections() }
}

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
}

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
}

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
}

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
