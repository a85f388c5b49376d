/// What the tick loop waits on. Real time (`clock_nanosleep` to absolute deadlines) and virtual time
/// (return at once) implement the same capability, so `bench` and `run` share one loop.
public protocol TickClock: AnyObject {
    /// Waits until the start of tick `tick` (deadline = start + tick × period). Returns how late the
    /// wake-up was in nanoseconds (0 for virtual time), so overruns can be counted, never caught up.
    func waitForTick(_ tick: UInt64) -> UInt64
}

/// Time that advances only when asked: headless scenarios run as fast as the CPU allows.
public final class VirtualClock: TickClock {
    /// A clock that never waits.
    public init() {}
    public func waitForTick(_ tick: UInt64) -> UInt64 { 0 }
}
