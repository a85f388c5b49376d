import CrossguardCore
import CrossguardHAL

/// What one poll of an I2C sensor gave.
public enum SensorReading: Equatable, Sendable {
    /// The level of the role it plays (present, lamp lit).
    case level(Bool)
    /// An ambient light reading in lux.
    case lux(Double)
    /// The part answered but has no new sample yet (a time-of-flight sensor between measurements).
    case notReady
}

/// One I2C part of the board, whatever it does: what `diag` asks of every part.
public protocol PolledPart: AnyObject {
    /// The board's description of the part.
    var config: I2CDeviceConfig { get }
    /// Brings the part up and reads it once as a technician wants to see it (a distance, a current, a
    /// light level, each expander line), waiting with `sleepMs` (milliseconds) where a first sample takes
    /// time. For `diag`; the daemon never calls it.
    func probe(sleepMs: (Int) -> Void) throws(HardwareError) -> String
}

/// One I2C part as the sensor thread drives it: brought up once, polled at its own rate, brought up again
/// after it went silent (a part that lost power forgets its configuration).
public protocol PolledSensor: PolledPart {
    /// Checks the part's identity and configures it.
    func start() throws(HardwareError)
    /// Reads it once.
    func poll() throws(HardwareError) -> SensorReading
}

/// An I2C GPIO expander as the sensor thread drives it: configured as the board lays its pins out, its 16
/// lines read in one transfer, its output latch written, and its direction register read back to find a
/// chip that reset and forgot its configuration.
public protocol PolledExpander: PolledPart {
    /// Configures every pin (directions, pull-ups), outputs latched at `latch` before any is driven.
    func configure(latch: UInt16) throws(HardwareError)
    /// The electrical level of all 16 lines (bit n = pin n), in one transfer.
    func readLines() throws(HardwareError) -> UInt16
    /// Sets the output latch of all 16 lines, in one transfer.
    func writeLatch(_ latch: UInt16) throws(HardwareError)
    /// The direction register as the chip holds it now (1 = input).
    func readDirections() throws(HardwareError) -> UInt16
}

/// A countdown display on I2C: written by the sensor thread, never by the tick thread.
public protocol PolledDisplay: PolledPart {
    /// Checks and configures it (oscillator and display on).
    func start() throws(HardwareError)
    /// Shows a number of seconds, or blank.
    func show(_ value: UInt16?) throws(HardwareError)
}

extension PolledSensor {
    /// Starts the sensor and shows its first reading.
    public func probe(sleepMs: (Int) -> Void) throws(HardwareError) -> String {
        try start()
        switch try poll() {
        case .level(let level): return level ? "active" : "inactive"
        case .lux(let lux): return "\(Int(lux.rounded())) lx"
        case .notReady: return "started, no sample yet"
        }
    }
}

extension PolledDisplay {
    /// Shows 8888 for a second, then blank: the technician sees every segment light.
    public func probe(sleepMs: (Int) -> Void) throws(HardwareError) -> String {
        try start()
        try show(8888)
        sleepMs(1_000)
        try show(nil)
        return "showed 8888 for 1 s"
    }
}
