import CrossguardCore
import CrossguardHAL
import Synchronization

/// The meeting point of the sensor thread and the tick thread: the newest level of every sensor-played
/// role, the newest light reading and the countdown the tick wants shown, each one atomic word, and one
/// `ExpanderPort` per GPIO expander, so the tick reads and writes without a lock and without waiting for
/// a bus.
public final class SensorHub: AmbientLightSource, NumericDisplay, @unchecked Sendable {
    /// The sensors that play an input role, in board order: the tick's extra input lines.
    public let roleSensors: [I2CDeviceConfig]
    /// One port per `[[i2c]]` mcp23017, in board order: what `CompositeLineBank` reads and writes.
    public let expanders: [ExpanderPort]
    /// Every role sensor's state in one word: bit n is sensor n's level, bit 32 + n whether it is silent.
    /// Only the sensor thread writes it.
    private let states = Atomic<UInt64>(0)
    /// Role sensors one word can carry; `BoardConfig` refuses boards with more.
    public static let maximumRoleSensors = 32
    /// The light reading's bits; `noLux` when there is none.
    private let luxBits = Atomic<UInt64>(SensorHub.noLux)
    /// The countdown the tick wants: the value, or `blank`; `untouched` until the tick first says.
    private let wantedCountdown = Atomic<UInt32>(SensorHub.untouched)
    private static let noLux = UInt64.max
    static let blank: UInt32 = 0x1_0000
    static let untouched: UInt32 = 0x2_0000

    /// A hub for the board's I2C parts.
    public init(board: BoardConfig) {
        roleSensors = Array(board.i2c.filter { $0.role != nil }.prefix(SensorHub.maximumRoleSensors))
        expanders = board.i2c.compactMap { config in board.expanderLayout(config).map { ExpanderPort(config: config, layout: $0) } }
    }

    // MARK: The tick thread's side

    /// The level the tick should see for role sensor `index` and whether that sensor is silent (then the
    /// level is its role's safe level).
    @inline(__always) public func sample(_ index: Int) -> (level: Bool, silent: Bool) {
        let s = states.load(ordering: .acquiring)
        return (s >> UInt64(index) & 1 != 0, s >> UInt64(32 + index) & 1 != 0)
    }

    /// The newest light reading, nil when the sensor is silent or has not answered yet.
    public func latestLux() -> Double? {
        let bits = luxBits.load(ordering: .acquiring)
        return bits == SensorHub.noLux ? nil : Double(bitPattern: bits)
    }

    /// Hands the countdown to the sensor thread; returns at once.
    public func show(_ value: UInt16?) throws(HardwareError) {
        wantedCountdown.store(value.map(UInt32.init) ?? SensorHub.blank, ordering: .releasing)
    }

    // MARK: The sensor thread's side

    /// Publishes a level for role sensor `index`.
    func publish(_ index: Int, level: Bool, silent: Bool) {
        let levelBit: UInt64 = 1 << UInt64(index), silentBit: UInt64 = 1 << UInt64(32 + index)
        var s = states.load(ordering: .relaxed) & ~(levelBit | silentBit)
        if level { s |= levelBit }
        if silent { s |= silentBit }
        states.store(s, ordering: .releasing)
    }

    /// Publishes a light reading, nil for none.
    func publish(lux: Double?) {
        luxBits.store(lux.map(\.bitPattern) ?? SensorHub.noLux, ordering: .releasing)
    }

    /// The countdown the tick asked for: nil until it first asked, `.some(nil)` for blank.
    func wanted() -> UInt16?? {
        let w = wantedCountdown.load(ordering: .acquiring)
        if w == SensorHub.untouched { return nil }
        return .some(w == SensorHub.blank ? nil : UInt16(w))
    }
}
