import CrossguardHAL

/// The life cycle every I2C part shares, whatever it is (a sensor, the countdown display, a GPIO
/// expander): it is up until `failuresBeforeSilent` transfers in a row fail, then silent, and a silent part
/// is brought up again every `restartEveryMs` until it answers. Pure: the sensor thread tells it what
/// happened and when (milliseconds of any monotonic clock), and asks it what is due.
public struct PartSupervisor: Sendable {
    /// Whether the part answers.
    public enum State: Equatable, Sendable {
        /// Answering; `failuresInARow` transfers have failed since the last one that answered.
        case up(failuresInARow: Int)
        /// Not answering: its roles stand for their safe levels until it is brought up again.
        case silent
    }

    public private(set) var state: State = .up(failuresInARow: 0)
    /// When the part is next polled (up) or brought up again (silent), in milliseconds.
    public private(set) var dueMs: UInt64 = 0
    /// Transfers that answered, since start.
    public private(set) var answers: UInt64 = 0
    /// Transfers and starts that failed, since start.
    public private(set) var failures: UInt64 = 0
    /// The newest fault, nil when none yet.
    public private(set) var lastError: HardwareError?
    /// Failed transfers in a row that make the part silent: one bad transfer is a glitch, three are a fault.
    public let failuresBeforeSilent: Int
    /// How often a silent part is brought up again.
    public let restartEveryMs: UInt64

    /// A part taken to be up, due at once.
    public init(failuresBeforeSilent: Int, restartEveryMs: UInt64) {
        self.failuresBeforeSilent = max(1, failuresBeforeSilent)
        self.restartEveryMs = restartEveryMs
    }

    /// Whether it is silent.
    public var isSilent: Bool { state == .silent }

    /// Whether it is due at `nowMs`.
    public func isDue(_ nowMs: UInt64) -> Bool { dueMs <= nowMs }

    /// It came up (at start-up or on a restart); its next poll is due at `nextMs`.
    public mutating func cameUp(nextMs: UInt64) {
        state = .up(failuresInARow: 0)
        dueMs = nextMs
    }

    /// Bringing it up failed: it is (or stays) silent and is tried again after `restartEveryMs`.
    public mutating func startFailed(_ error: HardwareError, nowMs: UInt64) {
        note(error)
        state = .silent
        dueMs = nowMs + restartEveryMs
    }

    /// A transfer answered; the next is due at `nextMs`.
    public mutating func answered(nextMs: UInt64) {
        answers += 1
        state = .up(failuresInARow: 0)
        dueMs = nextMs
    }

    /// The part answered but had nothing new (a ranging sensor between samples): not a failure, not an answer.
    public mutating func answeredWithNothingNew(nextMs: UInt64) { cameUp(nextMs: nextMs) }

    /// A transfer failed; the next is due at `nextMs`. Returns whether this failure made it silent.
    @discardableResult
    public mutating func failed(_ error: HardwareError, nextMs: UInt64) -> Bool {
        note(error)
        dueMs = nextMs
        guard case .up(let inARow) = state else { return false }
        if inARow + 1 >= failuresBeforeSilent {
            state = .silent
            return true
        }
        state = .up(failuresInARow: inARow + 1)
        return false
    }

    /// It is silent at once, for `error` (no new sample for too long, a chip that reset); the first
    /// attempt to bring it up again is due at `nextMs`.
    public mutating func silence(_ error: HardwareError?, nextMs: UInt64) {
        if let error { note(error) }
        state = .silent
        dueMs = nextMs
    }

    /// Counts a fault that does not change the state (a chip found reset and configured again).
    public mutating func note(_ error: HardwareError) {
        failures += 1
        lastError = error
    }
}
