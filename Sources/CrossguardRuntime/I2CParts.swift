import CrossguardCore
import CrossguardDrivers
import CrossguardHAL

/// Turns a board's `[[i2c]]` tables into the sensor thread's parts: each driver wrapped with the logic
/// that makes its readings a role's level (a distance band, a current threshold) or a light reading, and
/// each GPIO expander with the board's layout of its pins. Generic over the bus, so `run` and `diag` hand
/// it `/dev/i2c-N` buses and tests and the simulated board hand it register maps. `diag` probes the very
/// parts the daemon polls.
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
            switch try part(config, board: board, on: bus) {
            case let sensor as PolledSensor: sensors.append(sensor)
            case let shown as PolledDisplay: display = shown
            case let expander as PolledExpander: expanders.append(expander)
            default: continue  // an expander no line uses
            }
        }
        return (sensors, display, expanders)
    }

    /// The part `config` describes, on `bus`: a sensor, the display or an expander; nil for an expander
    /// the board places no layout on. A configuration the driver cannot take is an error naming the part.
    public static func part<Bus: I2CBus>(_ config: I2CDeviceConfig, board: BoardConfig, on bus: Bus) throws(HardwareError) -> PolledPart? {
        switch config.function {
        case .presence(let near, let far, let hysteresis):
            guard let band = PresenceBand(nearMillimeters: UInt16(near), farMillimeters: UInt16(far), hysteresisMillimeters: UInt16(hysteresis)) else {
                throw HardwareError(.other, "\(config.roleName): \(config.label): the distance band \(near)–\(far) mm is empty")
            }
            return PresenceSensor(config: config, driver: VL53L0X(bus: bus, address: config.address), band: band)
        case .lampCurrent(let shunt, let lit, let dark):
            guard let threshold = LampCurrentThreshold(litAboveMilliamps: lit, darkBelowMilliamps: dark) else {
                throw HardwareError(.other, "\(config.roleName): \(config.label): lit above \(lit) mA must be above dark below \(dark) mA")
            }
            if config.part == .ina219 {
                return LampCurrentSensor(config: config, threshold: threshold,
                                         monitor: try INA219(bus: bus, address: config.address, shuntMilliohms: UInt32(shunt)))
            }
            return LampCurrentSensor(config: config, threshold: threshold,
                                     monitor: try INA226(bus: bus, address: config.address, shuntMilliohms: UInt32(shunt)))
        case .ambientLight:
            return LightSensor(config: config, driver: VEML7700(bus: bus))
        case .countdown:
            return CountdownDisplay(config: config, driver: HT16K33(bus: bus, address: config.address))
        case .expander:
            guard let layout = board.expanderLayout(config) else { return nil }
            return ExpanderChip(config: config, layout: layout, driver: MCP23017(bus: bus, address: config.address))
        }
    }
}
