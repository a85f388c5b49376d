import CrossguardHAL
import Testing

/// A mock I2C bus that plays an ordered script of expected transfers (embedded-hal-mock style). Each
/// step names the address, the exact operation and what the device answers: the bytes in wire order,
/// or an error. A transfer that is not the next step (wrong address, wrong operation, or beyond the
/// end) records a test failure and throws; `finish()` records a failure for every step left over.
/// Every test ends with `finish()`; a bus dropped without it records a failure too.
final class ScriptedI2CBus: I2CBus {
    /// One expected transfer and the device's answer.
    struct Step {
        let address: UInt8
        let operation: I2COperation
        let reply: Result<[UInt8], HardwareError>
    }

    private let steps: [Step]
    private var next = 0
    private var finished = false
    private let sourceLocation: SourceLocation

    init(_ steps: [Step], sourceLocation: SourceLocation = #_sourceLocation) {
        self.steps = steps
        self.sourceLocation = sourceLocation
    }

    /// How many steps have been played.
    var played: Int { next }

    func transfer(_ operation: I2COperation, address: UInt8) throws(HardwareError) -> [UInt8] {
        guard next < steps.count else {
            Issue.record("unexpected transfer beyond the script's \(steps.count) steps: \(operation) at \(hexByte(address))", sourceLocation: sourceLocation)
            throw HardwareError(.other, "scripted bus: transfer beyond the script")
        }
        let step = steps[next]
        guard step.address == address, step.operation == operation else {
            Issue.record(
                "transfer \(next + 1): expected \(step.operation) at \(hexByte(step.address)), got \(operation) at \(hexByte(address))",
                sourceLocation: sourceLocation
            )
            throw HardwareError(.other, "scripted bus: unexpected transfer")
        }
        next += 1
        switch step.reply {
        case .success(let bytes): return bytes
        case .failure(let error): throw error
        }
    }

    /// Records a failure if expected transfers never happened.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        finished = true
        guard next < steps.count else { return }
        let left = steps[next...].map { "\($0.operation) at \(hexByte($0.address))" }
        Issue.record("\(left.count) expected transfers never happened: \(left.joined(separator: "; "))", sourceLocation: sourceLocation)
    }

    deinit {
        if !finished && next < steps.count {
            Issue.record("scripted bus dropped without finish() and with \(steps.count - next) steps left", sourceLocation: sourceLocation)
        }
    }
}

extension ScriptedI2CBus.Step {
    /// Read byte data: the device answers `value`.
    static func read(_ address: UInt8, _ register: UInt8, _ value: UInt8) -> Self {
        Self(address: address, operation: .readByte(register: register), reply: .success([value]))
    }

    /// Write byte data.
    static func write(_ address: UInt8, _ register: UInt8, _ value: UInt8) -> Self {
        Self(address: address, operation: .writeByte(register: register, value: value), reply: .success([]))
    }

    /// Send byte (a lone command).
    static func send(_ address: UInt8, _ value: UInt8) -> Self {
        Self(address: address, operation: .sendByte(value), reply: .success([]))
    }

    /// Read word data: the device answers two bytes, in the order they appear on the wire.
    static func readWord(_ address: UInt8, _ register: UInt8, wire: [UInt8]) -> Self {
        Self(address: address, operation: .readWord(register: register), reply: .success(wire))
    }

    /// Write word data, given as the two bytes in the order they appear on the wire. SMBus sends the
    /// word's low byte first, so the operation's value is `wire[1] << 8 | wire[0]`.
    static func writeWord(_ address: UInt8, _ register: UInt8, wire: [UInt8]) -> Self {
        Self(address: address, operation: .writeWord(register: register, value: UInt16(wire[1]) << 8 | UInt16(wire[0])), reply: .success([]))
    }

    /// I2C block write.
    static func writeBlock(_ address: UInt8, _ register: UInt8, _ bytes: [UInt8]) -> Self {
        Self(address: address, operation: .writeBlock(register: register, bytes: bytes), reply: .success([]))
    }

    /// Any operation, answered with an error.
    static func fail(_ address: UInt8, _ operation: I2COperation, _ error: HardwareError) -> Self {
        Self(address: address, operation: operation, reply: .failure(error))
    }
}

/// What the Linux backend reports for a device that does not acknowledge (EREMOTEIO on a Pi).
let nack = HardwareError(.noAcknowledge, "no acknowledge", errno: 121)

/// Runs `body` and returns the HardwareError it throws, recording a failure if it throws none.
func hardwareError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(HardwareError) -> Void) -> HardwareError? {
    do {
        try body()
        Issue.record("expected a HardwareError, none was thrown", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
