import CrossguardCore
import CrossguardDrivers
import CrossguardHAL

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

    /// Configured with every output inactive, then each line's level, one line per pin the board places.
    func probe(sleepMs: (Int) -> Void) throws(HardwareError) -> String {
        try configure(latch: layout.inactiveLatch)
        sleepMs(1)  // the 100 kΩ pull-ups charge the line
        let raw = try readLines()
        let levels = layout.inputLevels(raw: raw)
        let lines = layout.lines.map { line in
            let bit: UInt16 = 1 << UInt16(line.pin)
            let level = raw & bit != 0 ? "high" : "low"
            return line.isInput
                ? "\(line.roleName) \(ExpanderPin.name(line.pin)) \(levels & bit != 0 ? "active" : "inactive") (\(level))"
                : "\(line.roleName) \(ExpanderPin.name(line.pin)) output, left inactive (\(level))"
        }
        return lines.isEmpty ? "configured; no lines placed on it" : lines.joined(separator: "; ")
    }
}
