import CrossguardCore
import Synchronization

/// Hands commands from other threads (the bench keyboard, the uplink) to the tick thread. Bounded: a
/// full mailbox refuses the command and counts it, it never blocks or grows. The lock is held for a
/// copy of one small value.
public final class CommandMailbox: Sendable {
    private struct State {
        var queue: [(command: Command, token: UInt32)] = []
        var refused: UInt64 = 0
    }

    private let state: Mutex<State>
    /// Commands it holds at most.
    public let capacity: Int

    /// A mailbox for up to `capacity` waiting commands.
    public init(capacity: Int = 64) {
        self.capacity = capacity
        var s = State()
        s.queue.reserveCapacity(capacity)
        state = Mutex(s)
    }

    /// Queues a command; false (and counted) when the mailbox is full. `token` comes back with the
    /// core's outcome (`DeviceRuntime.lastCommandToken`), so the uplink can answer the right command.
    @discardableResult
    public func post(_ command: Command, token: UInt32 = 0) -> Bool {
        state.withLock { s in
            guard s.queue.count < capacity else {
                s.refused += 1
                return false
            }
            s.queue.append((command, token))
            return true
        }
    }

    /// The oldest waiting command, if any. Called by the tick thread once a tick.
    public func take() -> (command: Command, token: UInt32)? {
        state.withLock { s in s.queue.isEmpty ? nil : s.queue.removeFirst() }
    }

    /// Commands refused because the mailbox was full.
    public var refusedCount: UInt64 { state.withLock { $0.refused } }
}
