/// One input line as sampled at a tick: its logical level (true = active, active-low already applied)
/// and how many edges the backend latched since the previous sample, saturating at 255, so a pulse
/// shorter than a tick is not lost. A backend that reaches a line over a bus (an I2C expander) marks it
/// `silent` while the bus part does not answer: `level` is then a stand-in, not a reading.
public struct LineSample: Equatable, Sendable {
    public var level: Bool
    public var edges: UInt8
    /// Whether the line could not be read (its expander is silent); `level` is then its role's safe level.
    public var silent: Bool

    /// A sample.
    public init(level: Bool, edges: UInt8 = 0, silent: Bool = false) {
        self.level = level
        self.edges = edges
        self.silent = silent
    }
}

/// A bank of digital lines opened and configured by its backend: inputs and outputs are numbered in
/// the order the board file lists them. The tick reads all inputs and writes all outputs in bulk.
/// Opening, requesting and naming lines is the backend's job, not this protocol's.
public protocol LineBank: AnyObject {
    /// Number of input lines.
    var inputCount: Int { get }
    /// Number of output lines.
    var outputCount: Int { get }
    /// Reads every input into `samples` (sized `inputCount`) and clears the latched edges.
    func sampleInputs(into samples: inout [LineSample]) throws(HardwareError)
    /// Drives every output to its logical level (true = active), in one bulk write.
    func writeOutputs(_ levels: [Bool]) throws(HardwareError)
}

/// A numeric display (the pedestrian countdown). nil shows nothing.
public protocol NumericDisplay: AnyObject {
    /// Shows a number, or blanks the display.
    func show(_ value: UInt16?) throws(HardwareError)
}

/// Decides the electrical level of a line from its logical state: the one place active-low is applied
/// for backends that cannot ask the kernel to do it.
@inline(__always) public func physicalLevel(active: Bool, activeLow: Bool) -> Bool { active != activeLow }
