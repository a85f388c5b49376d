/// The signalized crossing's timings in ticks: what the controller actually runs.
/// Minimums round up to whole ticks; nothing is ever rounded down.
public struct SignalPlan: Hashable, Sendable {
    public var regime: Regime
    /// A pedestrian hybrid beacon: the same phases, shown on a head of two reds over one amber that rests
    /// dark (the "green"), flashes amber (the "flashing green") and flashes its reds alternately after the walk.
    public var hybrid: Bool
    public var minGreen: Ticks
    public var flashingGreen: Ticks
    public var amber: Ticks
    public var allRed: Ticks
    public var allRedAfterClearance: Ticks
    public var redAmber: Ticks
    public var walk: Ticks
    public var clearance: Ticks
    public var clearanceMax: Ticks
    public var maxWait: Ticks
    public var kerbDwell: Ticks
    public var kerbCancel: Ticks
    public var startupFlash: Ticks
    public var startupAllRed: Ticks
    /// Countdown wanted by the site (shown only when the clearance is fixed and longer than 7 s).
    public var countdownWanted: Bool
    /// The clearance above which a countdown is shown (7 s, MUTCD 4I.07).
    public var countdownThreshold: Ticks
    /// Ticks in one second, to turn remaining ticks into countdown seconds.
    public var ticksPerSecond: Int

    /// The plan for validated settings.
    public init(_ s: CrossingSettings, regime: Regime, hybrid: Bool = false, tickMs: Int) {
        let t = { (d: Milliseconds) in Ticks(roundingUp: d, tickMs: tickMs) }
        self.regime = regime
        self.hybrid = hybrid
        minGreen = t(s.minGreen)
        flashingGreen = t(s.flashingGreen)
        amber = t(s.amber)
        allRed = t(s.allRed)
        allRedAfterClearance = t(s.allRedAfterClearance)
        redAmber = t(s.redAmber)
        walk = t(s.walk)
        clearance = t(s.clearance)
        clearanceMax = max(t(s.clearanceMax), clearance)
        maxWait = Ticks(roundingDown: s.maxWait, tickMs: tickMs)
        kerbDwell = t(s.kerbDwell)
        kerbCancel = t(s.kerbCancel)
        startupFlash = t(s.startupFlash)
        startupAllRed = t(s.startupAllRed)
        countdownWanted = s.countdown
        countdownThreshold = t(7_000)
        ticksPerSecond = 1000 / tickMs
    }

    /// The change interval: flashing green (kz) plus amber.
    public var change: Ticks { flashingGreen + amber }

    /// The longest a demand can wait for its walk in normal operation: a press at the first tick of a
    /// clearance misses that crossing and waits for the longest clearance, the all-red, red+amber, the
    /// minimum green, the change and the all-red before the next walk. A press during vehicle green waits
    /// less. (A press during start-up or flash counts from the start-up all-red, which is never longer
    /// than the first two terms, or the worst case says so.)
    public var worstCaseWait: Ticks {
        max(clearanceMax + allRedAfterClearance, startupAllRed) + redAmber + minGreen + change + allRed
    }

    /// The worst case spelled out for messages and the timing table.
    public func worstCaseWaitBreakdown(tickMs: Int) -> String {
        let f = { (t: Ticks) in DurationText.format(milliseconds: t.milliseconds(tickMs: tickMs)) }
        var parts = clearanceMax + allRedAfterClearance >= startupAllRed
            ? ["clearance \(f(clearanceMax))", (hybrid ? "flashing red " : "all-red ") + f(allRedAfterClearance)]
            : ["start-up all-red \(f(startupAllRed))"]
        if redAmber > .zero { parts.append("red+amber \(f(redAmber))") }
        parts.append((hybrid ? "min dark " : "min green ") + f(minGreen))
        if flashingGreen > .zero { parts.append((hybrid ? "flashing amber " : "flashing green ") + f(flashingGreen)) }
        parts += hybrid ? ["steady amber \(f(amber))", "steady red \(f(allRed))"] : ["amber \(f(amber))", "all-red \(f(allRed))"]
        return parts.joined(separator: " + ")
    }
}
