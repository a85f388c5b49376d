/// A flash pattern derived from the tick count alone, so every flashing lamp of a controller is in step
/// and a replay flashes identically. No timers anywhere else.
public struct Flasher: Equatable, Sendable {
    /// Length of one on+off cycle in ticks.
    public let periodTicks: Int
    /// Lit ticks at the start of each cycle.
    public let onTicks: Int

    /// A pattern of `periodTicks` with the first `onTicks` lit.
    public init(periodTicks: Int, onTicks: Int) {
        precondition(periodTicks > 0 && onTicks > 0 && onTicks <= periodTicks, "a flash needs a lit part and a period")
        self.periodTicks = periodTicks
        self.onTicks = onTicks
    }

    /// The MUTCD 4G.01 flasher of the site: `perMinute` flashes a minute, `duty` of each lit.
    public init(_ settings: FlashSettings, tickMs: Int) {
        let period = max(2, (60_000 / settings.flashesPerMinute + tickMs / 2) / tickMs)
        // Rounded to whole ticks, but never outside ½–⅔ lit.
        let lowest = (period + 1) / 2
        let highest = max(lowest, period * 2 / 3)
        let on = min(highest, max(lowest, Int((Double(period) * settings.duty).rounded())))
        self.init(periodTicks: period, onTicks: on)
    }

    /// Whether the flashing lamp is lit at this tick.
    @inline(__always) public func isLit(at tick: UInt64) -> Bool {
        Int(tick % UInt64(periodTicks)) < onTicks
    }
}
