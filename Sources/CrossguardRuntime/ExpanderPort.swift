import CrossguardCore
import Synchronization

/// Where the sensor thread and the tick thread meet for one I2C GPIO expander. The sensor thread reads
/// the chip and publishes its inputs — levels, the edges it saw since the tick last looked, and whether
/// the chip is silent — in one atomic word, so the tick takes all three as one consistent snapshot; the
/// tick hands the output latch it wants through another. Neither side waits for the other or for the bus,
/// and neither allocates.
public final class ExpanderPort: @unchecked Sendable {
    /// The `[[i2c]]` table of the expander.
    public let config: I2CDeviceConfig
    /// How the board uses its pins.
    public let layout: ExpanderLayout
    /// Bits 0–15: the logical level of each input pin (1 = active). Bits 16–31: pins whose level changed
    /// at a read since the tick last took them. Bit 32: silent (the levels are the roles' safe levels).
    private let state: Atomic<UInt64>
    /// The OLAT value (electrical levels, active-low applied) the tick wants.
    private let wanted: Atomic<UInt32>
    private static let edgeMask: UInt64 = 0xFFFF_0000
    private static let silentBit: UInt64 = 1 << 32

    /// A port for the expander `config` laid out as `layout`. Until the sensor thread first reads the chip
    /// it is silent, its inputs at their safe levels, and the outputs it wants are all inactive.
    public init(config: I2CDeviceConfig, layout: ExpanderLayout) {
        self.config = config
        self.layout = layout
        state = Atomic(UInt64(layout.silentLevels) | ExpanderPort.silentBit)
        wanted = Atomic(UInt32(layout.inactiveLatch))
    }

    /// One look at the inputs: levels, the pins that changed since the previous take, and silence.
    public struct Snapshot: Equatable, Sendable {
        /// Bit n: the input on pin n is active.
        public var levels: UInt16
        /// Bit n: the input on pin n changed at least once since the previous take (a pulse between two
        /// ticks shows here with its level back where it was).
        public var edges: UInt16
        /// Whether the expander is silent: `levels` are then the roles' safe levels.
        public var silent: Bool

        /// A snapshot.
        public init(levels: UInt16 = 0, edges: UInt16 = 0, silent: Bool = false) {
            self.levels = levels
            self.edges = edges
            self.silent = silent
        }
    }

    // MARK: The tick thread's side

    /// Takes the inputs and clears the edges, in one atomic step, so an edge is seen by exactly one tick.
    @inline(__always) public func take() -> Snapshot {
        Self.snapshot(state.bitwiseAnd(~Self.edgeMask, ordering: .acquiringAndReleasing).oldValue)
    }

    /// Hands the outputs' logical levels (bit n: the output on pin n active) to the sensor thread.
    @inline(__always) public func want(active: UInt16) {
        wanted.store(UInt32(layout.latch(active: active)), ordering: .releasing)
    }

    /// The inputs as they are, edges left in place (for tests and diagnostics).
    public func peek() -> Snapshot { Self.snapshot(state.load(ordering: .acquiring)) }

    // MARK: The sensor thread's side

    /// The OLAT value the tick wants now.
    public func wantedLatch() -> UInt16 { UInt16(truncatingIfNeeded: wanted.load(ordering: .acquiring)) }

    /// Publishes a read of the chip: the inputs' logical levels; a pin that changed gains an edge.
    func publish(levels: UInt16) { update(levels: levels & layout.inputPins, silent: false) }

    /// Publishes silence: every input stands for its role's safe level (`InputRole.levelWhenSilent`).
    func publishSilent() { update(levels: layout.silentLevels, silent: true) }

    private func update(levels: UInt16, silent: Bool) {
        var old = state.load(ordering: .relaxed)
        while true {
            let changed = (UInt16(truncatingIfNeeded: old) ^ levels) & layout.inputPins
            let new = UInt64(levels) | (old & Self.edgeMask) | UInt64(changed) << 16 | (silent ? Self.silentBit : 0)
            let (exchanged, original) = state.compareExchange(expected: old, desired: new, ordering: .acquiringAndReleasing)
            if exchanged { return }
            old = original  // the tick took the edges in between: merge into what it left
        }
    }

    @inline(__always) private static func snapshot(_ s: UInt64) -> Snapshot {
        Snapshot(levels: UInt16(truncatingIfNeeded: s), edges: UInt16(truncatingIfNeeded: s >> 16), silent: s & silentBit != 0)
    }
}
