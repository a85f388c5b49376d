import CrossguardCore
import CrossguardHAL

/// The tick's one line bank when a board places lines on I2C expanders: GPIO lines come from a GPIO
/// backend (`GPIODLineBank`, or `SimulatedLineBank` standing in for it) opened over the board's GPIO lines
/// only, expander lines from their `ExpanderPort`s, and both are numbered in board order, so
/// `DeviceRuntime` sees a single bank. Expander lines never touch the bus here: a sample takes each
/// port's atomic snapshot and a write stores each port's wanted latch; the sensor thread does the I2C.
/// Nothing is allocated after `init`.
public final class CompositeLineBank: LineBank {
    public let inputCount: Int
    public let outputCount: Int

    /// Where one board line is.
    private enum Place {
        /// Line n of the GPIO bank.
        case gpio(Int)
        /// Pin `bit` (as a mask) of port `port`.
        case expander(port: Int, bit: UInt16)
    }

    private let gpio: LineBank
    private let ports: [ExpanderPort]
    private let inputPlaces: [Place]
    private let outputPlaces: [Place]
    private var gpioSamples: [LineSample]
    private var gpioLevels: [Bool]
    private var snapshots: [ExpanderPort.Snapshot]
    private var wanted: [UInt16]

    /// A bank over `board`'s lines: `gpio` must be opened over `board.gpioLinesOnly` (same lines, same
    /// order), and `expanders` must hold a port for every expander a line names. Anything else is an
    /// error naming the mismatch.
    public init(board: BoardConfig, gpio: LineBank, expanders: [ExpanderPort]) throws(HardwareError) {
        let gpioBoard = board.gpioLinesOnly
        guard gpio.inputCount == gpioBoard.inputs.count, gpio.outputCount == gpioBoard.outputs.count else {
            throw HardwareError(.other, "GPIO bank has \(gpio.inputCount) inputs and \(gpio.outputCount) outputs; board \(board.name) has \(gpioBoard.inputs.count) and \(gpioBoard.outputs.count) GPIO lines")
        }
        func place(_ address: LineAddress, role: String, gpioIndex: inout Int) throws(HardwareError) -> Place {
            guard case .expanderPin(let name, let pin) = address else {
                defer { gpioIndex += 1 }
                return .gpio(gpioIndex)
            }
            guard let port = expanders.firstIndex(where: { $0.layout.name == name }), (0...15).contains(pin) else {
                throw HardwareError(.notFound, "\(role): line \(address) is on expander \(name), which the board's I2C parts do not provide")
            }
            return .expander(port: port, bit: 1 << UInt16(pin))
        }
        var g = 0
        var inputs: [Place] = []
        for line in board.inputs { inputs.append(try place(line.address, role: line.roleName, gpioIndex: &g)) }
        g = 0
        var outputs: [Place] = []
        for line in board.outputs { outputs.append(try place(line.address, role: line.roleName, gpioIndex: &g)) }
        self.gpio = gpio
        ports = expanders
        inputPlaces = inputs
        outputPlaces = outputs
        inputCount = board.inputs.count
        outputCount = board.outputs.count
        gpioSamples = Array(repeating: LineSample(level: false), count: gpio.inputCount)
        gpioLevels = Array(repeating: false, count: gpio.outputCount)
        snapshots = Array(repeating: ExpanderPort.Snapshot(), count: expanders.count)
        wanted = Array(repeating: 0, count: expanders.count)
    }

    /// Reads the GPIO lines, then takes each expander's snapshot once (all its lines at one instant). A
    /// GPIO fault is thrown before any expander edge is taken, so those edges wait for the next tick.
    public func sampleInputs(into samples: inout [LineSample]) throws(HardwareError) {
        try gpio.sampleInputs(into: &gpioSamples)
        for k in 0..<ports.count { snapshots[k] = ports[k].take() }
        for i in 0..<inputPlaces.count {
            switch inputPlaces[i] {
            case .gpio(let j):
                samples[i] = gpioSamples[j]
            case .expander(let k, let bit):
                let s = snapshots[k]
                samples[i] = LineSample(level: s.levels & bit != 0, edges: s.edges & bit != 0 ? 1 : 0, silent: s.silent)
            }
        }
    }

    /// Hands each expander its outputs (the sensor thread writes them), then writes the GPIO lines.
    public func writeOutputs(_ levels: [Bool]) throws(HardwareError) {
        for k in 0..<wanted.count { wanted[k] = 0 }
        for i in 0..<outputPlaces.count {
            switch outputPlaces[i] {
            case .gpio(let j):
                gpioLevels[j] = levels[i]
            case .expander(let k, let bit):
                if levels[i] { wanted[k] |= bit }
            }
        }
        for k in 0..<ports.count { ports[k].want(active: wanted[k]) }
        try gpio.writeOutputs(gpioLevels)
    }
}
