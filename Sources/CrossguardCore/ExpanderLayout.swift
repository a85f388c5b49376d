/// How a board uses the 16 pins of one MCP23017 expander, as the masks the chip is configured with and
/// checked against (bit n = pin n; `ExpanderPin` names them). Derived from the board's lines in one place,
/// so the daemon, `diag` and the tests configure the chip the same way.
///
/// Active-low is applied in software with `activeLowInputs` / `activeLowOutputs` (the 16-line form of the
/// HAL's `physicalLevel`), never with the chip's IPOL register: a chip that reset forgets IPOL, and an
/// active-low button would then read pressed until the next re-configuration.
public struct ExpanderLayout: Equatable, Sendable {
    /// One line of the board on the expander.
    public struct Line: Equatable, Sendable {
        /// Pin 0–15.
        public var pin: Int
        /// The role as the board file writes it (`ped.button.2`).
        public var roleName: String
        /// Whether the board reads it (an `[[input]]`) rather than drives it.
        public var isInput: Bool
        /// Whether active is the low level.
        public var activeLow: Bool
    }

    /// The expander's board-file name.
    public var name: String
    /// The board's lines on it, in board order (inputs, then outputs).
    public var lines: [Line]
    /// Pins that carry a board input.
    public var inputPins: UInt16 = 0
    /// Pins that carry a board output.
    public var outputPins: UInt16 = 0
    /// Input pins whose active level is low.
    public var activeLowInputs: UInt16 = 0
    /// Output pins whose active level is low.
    public var activeLowOutputs: UInt16 = 0
    /// GPPU: the inputs the board asks a pull-up for, and every unused input, so none floats.
    public var pullUps: UInt16 = 0
    /// The logical level each input stands for while the expander does not answer
    /// (`InputRole.levelWhenSilent`); other bits are 0.
    public var silentLevels: UInt16 = 0

    /// IODIR (1 = input): the board's inputs and every unused pin, except GPA7 and GPB7, which are
    /// output-only (datasheet rev. D) and so are outputs driven low when unused.
    public var directions: UInt16 { ~outputPins & ~(ExpanderPin.outputOnlyMask & ~inputPins) }

    /// OLAT with every output inactive: the latch the chip starts with and is left with at a stop.
    public var inactiveLatch: UInt16 { activeLowOutputs }

    /// OLAT for these logical output levels (bit n set = the output on pin n active).
    @inline(__always) public func latch(active: UInt16) -> UInt16 { (active & outputPins) ^ activeLowOutputs }

    /// The logical levels of the inputs (bit n set = the input on pin n active) from a read of GPIO.
    @inline(__always) public func inputLevels(raw: UInt16) -> UInt16 { (raw ^ activeLowInputs) & inputPins }

    /// The layout of the lines that name `name`, taken from the board's lines.
    public init(name: String, inputs: [InputLine], outputs: [OutputLine]) {
        self.name = name
        lines = []
        for line in inputs {
            guard let pin = line.address.pin(onExpander: name), (0...15).contains(pin) else { continue }
            let bit: UInt16 = 1 << UInt16(pin)
            lines.append(Line(pin: pin, roleName: line.roleName, isInput: true, activeLow: line.activeLow))
            inputPins |= bit
            if line.activeLow { activeLowInputs |= bit }
            if line.bias == .pullUp { pullUps |= bit }
            if line.role.levelWhenSilent { silentLevels |= bit }
        }
        for line in outputs {
            guard let pin = line.address.pin(onExpander: name), (0...15).contains(pin) else { continue }
            let bit: UInt16 = 1 << UInt16(pin)
            lines.append(Line(pin: pin, roleName: line.roleName, isInput: false, activeLow: line.activeLow))
            outputPins |= bit
            if line.activeLow { activeLowOutputs |= bit }
        }
        pullUps |= directions & ~inputPins  // unused inputs
    }
}

extension BoardConfig {
    /// Whether any line of the board is on an expander (then the tick's bank is a composite).
    public var hasExpanderLines: Bool {
        inputs.contains { $0.address.isOnExpander } || outputs.contains { $0.address.isOnExpander }
    }

    /// The board with only its GPIO lines, in board order: what the GPIO backend (libgpiod, or the
    /// simulated chip standing in for it) opens when expander lines are served by the sensor thread.
    public var gpioLinesOnly: BoardConfig {
        var board = self
        board.inputs = inputs.filter { !$0.address.isOnExpander }
        board.outputs = outputs.filter { !$0.address.isOnExpander }
        return board
    }

    /// How the board uses the expander `device`; nil for any other part.
    public func expanderLayout(_ device: I2CDeviceConfig) -> ExpanderLayout? {
        guard let name = device.expanderName else { return nil }
        return ExpanderLayout(name: name, inputs: inputs, outputs: outputs)
    }

    /// The role or roles a part serves, for start-up and `diag` messages: a sensor's role, or the roles of
    /// the lines on an expander (`ped.button.2, aps.locator`).
    public func roleNames(servedBy device: I2CDeviceConfig) -> String {
        guard let layout = expanderLayout(device) else { return device.roleName }
        return layout.lines.isEmpty ? "\(device.roleName) (no lines)" : layout.lines.map(\.roleName).joined(separator: ", ")
    }
}
