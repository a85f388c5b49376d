import CrossguardCore
import Synchronization

/// Hands commands from other threads (the bench keyboard, the uplink) to the tick thread. Bounded: a
/// full mailbox refuses the command and counts it, it never blocks or grows. The lock is held for a
/// copy of one small value.
public final class CommandMailbox: Sendable {
    private struct State {
        var queue: [Command] = []
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

    /// Queues a command; false (and counted) when the mailbox is full.
    @discardableResult
    public func post(_ command: Command) -> Bool {
        state.withLock { s in
            guard s.queue.count < capacity else {
                s.refused += 1
                return false
            }
            s.queue.append(command)
            return true
        }
    }

    /// The oldest waiting command, if any. Called by the tick thread once a tick.
    public func take() -> Command? {
        state.withLock { s in s.queue.isEmpty ? nil : s.queue.removeFirst() }
    }

    /// Commands refused because the mailbox was full.
    public var refusedCount: UInt64 { state.withLock { $0.refused } }
}
