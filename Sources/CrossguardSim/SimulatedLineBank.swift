import CrossguardCore
import CrossguardHAL
import Synchronization

/// The simulated board: an in-memory line bank laid out exactly like the board file. Inputs are set by
/// role name (from a scenario or the bench keyboard) and latch their edges like the kernel does;
/// outputs keep what the last tick wrote. Safe to drive from another thread.
public final class SimulatedLineBank: LineBank, @unchecked Sendable {
    private struct Lines {
        var inputs: [Bool]
        var edges: [UInt8]
        var outputs: [Bool]
        /// Sense inputs forced by a simulated lamp fault: false = the lamp stays dark, true = stuck lit.
        var forced: [Int: Bool] = [:]
    }

    /// For each `lamp.<role>` sense input, the output line whose lamp it watches.
    private let senseSources: [(input: Int, output: Int)]

    private let lines: Mutex<Lines>
    private let inputIndex: [String: Int]
    private let outputNames: [String]
    public let inputCount: Int
    public let outputCount: Int

    /// A bank for this board with every input inactive, except `mains.ok`, which a healthy cabinet shows.
    public init(board: BoardConfig) {
        inputCount = board.inputs.count
        outputCount = board.outputs.count
        var index: [String: Int] = [:]
        for (i, line) in board.inputs.enumerated() { index[line.roleName] = i }
        inputIndex = index
        outputNames = board.outputs.map(\.roleName)
        var sources: [(input: Int, output: Int)] = []
        for (i, line) in board.inputs.enumerated() {
            guard let lamp = line.role.sensedLamp else { continue }
            let output = board.outputs.firstIndex { $0.role == lamp && $0.copy == line.copy }
                ?? board.outputs.firstIndex { $0.role == lamp }
            if let output { sources.append((i, output)) }
        }
        senseSources = sources
        lines = Mutex(Lines(
            inputs: board.inputs.map { $0.role == .mainsOK },
            edges: Array(repeating: 0, count: board.inputs.count),
            outputs: Array(repeating: false, count: board.outputs.count)))
    }

    /// Whether the board has an input with this role name (`ped.button`, `ped.button.2`).
    public func hasInput(_ roleName: String) -> Bool { inputIndex[roleName] != nil }

    /// Sets an input by role name (true = active); a change latches one edge. False if there is no such input.
    @discardableResult
    public func setInput(_ roleName: String, _ active: Bool) -> Bool {
        guard let i = inputIndex[roleName] else { return false }
        lines.withLock { l in
            if l.inputs[i] != active {
                l.inputs[i] = active
                l.edges[i] = l.edges[i] == UInt8.max ? UInt8.max : l.edges[i] + 1
            }
        }
        return true
    }

    /// The current level of an input by role name.
    public func input(_ roleName: String) -> Bool {
        guard let i = inputIndex[roleName] else { return false }
        return lines.withLock { $0.inputs[i] }
    }

    /// What the last tick wrote to each output line, by its role name.
    public var outputLevels: [(role: String, on: Bool)] {
        lines.withLock { l in Array(zip(outputNames, l.outputs)).map { (role: $0.0, on: $0.1) } }
    }

    public func sampleInputs(into samples: inout [LineSample]) throws(HardwareError) {
        lines.withLock { l in
            for i in 0..<l.inputs.count {
                samples[i] = LineSample(level: l.inputs[i], edges: l.edges[i])
                l.edges[i] = 0
            }
        }
    }

    public func writeOutputs(_ levels: [Bool]) throws(HardwareError) {
        lines.withLock { l in
            for i in 0..<levels.count { l.outputs[i] = levels[i] }
            // The lamps answer on their sense lines at the next sample, as a current monitor would.
            for (input, output) in senseSources {
                let level = l.forced[input] ?? l.outputs[output]
                if l.inputs[input] != level {
                    l.inputs[input] = level
                    l.edges[input] = l.edges[input] == UInt8.max ? UInt8.max : l.edges[input] + 1
                }
            }
        }
    }

    /// Simulates a lamp fault on a sense line (`lamp.vehicle.red.2`): `false` keeps it reading dark (a blown
    /// lamp), `true` keeps it reading lit (a stuck driver), nil repairs it. False if there is no such line.
    @discardableResult
    public func setLampFault(_ senseRoleName: String, _ forced: Bool?) -> Bool {
        guard let i = inputIndex[senseRoleName], senseSources.contains(where: { $0.input == i }) else { return false }
        lines.withLock { $0.forced[i] = forced }
        return true
    }

    /// The lamp fault simulated on a sense line, if any.
    public func lampFault(_ senseRoleName: String) -> Bool? {
        guard let i = inputIndex[senseRoleName] else { return nil }
        return lines.withLock { $0.forced[i] }
    }
}

/// A simulated countdown display: it remembers what it shows.
public final class SimulatedDisplay: NumericDisplay, @unchecked Sendable {
    private let value = Mutex<UInt16?>(nil)

    /// A blank display.
    public init() {}

    /// What the display shows now.
    public var shown: UInt16? { value.withLock { $0 } }

    public func show(_ newValue: UInt16?) throws(HardwareError) { value.withLock { $0 = newValue } }
}

/// A simulated ambient light sensor: scenarios and the bench set the light level.
public final class SimulatedLightSensor: AmbientLightSource, @unchecked Sendable {
    private let lux = Mutex<Double?>(nil)

    /// A sensor with no reading yet.
    public init() {}

    /// Sets the light level in lux (nil: the sensor stops answering).
    public func set(_ value: Double?) { lux.withLock { $0 = value } }

    public func latestLux() -> Double? { lux.withLock { $0 } }
}
