/// A length of time on the controller's tick grid. Every plan and every timer of the core counts in it, so a
/// tick count cannot be taken for milliseconds (the site file's unit) or for an absolute tick.
public struct Ticks: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The number of ticks, never negative.
    public var count: Int

    /// `count` ticks; a negative count is zero.
    @inline(__always) public init(_ count: Int) { self.count = max(0, count) }

    /// A literal number of ticks, as plans are written in tests.
    public init(integerLiteral value: Int) { self.init(value) }

    /// Milliseconds on a grid of `tickMs`, rounded up, so a minimum is never shortened by the grid.
    public init(roundingUp milliseconds: Int, tickMs: Int) { self.init((milliseconds + tickMs - 1) / tickMs) }

    /// A site-file duration on a grid of `tickMs`, rounded up, so a minimum is never shortened by the grid.
    public init(roundingUp duration: Milliseconds, tickMs: Int) { self.init(roundingUp: duration.value, tickMs: tickMs) }

    /// A site-file duration on a grid of `tickMs`, rounded down, so a maximum is never lengthened by it.
    public init(roundingDown duration: Milliseconds, tickMs: Int) { self.init(duration.value / tickMs) }

    /// No time at all.
    public static let zero = Ticks(0)

    /// The same time in milliseconds on a grid of `tickMs`.
    public func milliseconds(tickMs: Int) -> Int { count * tickMs }

    @inline(__always) public static func < (a: Ticks, b: Ticks) -> Bool { a.count < b.count }
    @inline(__always) public static func + (a: Ticks, b: Ticks) -> Ticks { Ticks(a.count + b.count) }
    /// The difference, zero when `b` is the longer: a time left is never negative.
    @inline(__always) public static func - (a: Ticks, b: Ticks) -> Ticks { Ticks(a.count - b.count) }
    @inline(__always) public static func += (a: inout Ticks, b: Ticks) { a = a + b }

    public var description: String { "\(count) ticks" }
}

/// A length of time as the site file gives it: milliseconds, before it is put on the tick grid. Settings
/// hold it, plans hold `Ticks`, so neither can be taken for the other.
public struct Milliseconds: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The number of milliseconds.
    public var value: Int

    /// `value` milliseconds.
    @inline(__always) public init(_ value: Int) { self.value = value }

    /// A literal number of milliseconds, as settings are written in tests.
    public init(integerLiteral value: Int) { self.value = value }

    /// No time at all.
    public static let zero = Milliseconds(0)

    public static func < (a: Milliseconds, b: Milliseconds) -> Bool { a.value < b.value }
    public static func + (a: Milliseconds, b: Milliseconds) -> Milliseconds { Milliseconds(a.value + b.value) }

    /// As an engineer writes it: `7 s`, `250 ms`.
    public var description: String { DurationText.format(milliseconds: value) }
}

/// A timer that runs down by one each tick and stops at zero, the way a PELICAN controller holds its
/// timers: its whole state is the time left, so two timers that will run out together are equal, and a
/// controller made of them is a finite value that exhaustive exploration can hash as it is.
///
/// The owner sets it in the tick a period begins and calls `advance()` once at the end of every tick;
/// `left` then reads the full duration in the tick it was set and `duration - n` after `n` more ticks.
public struct Countdown: Hashable, Sendable {
    /// Ticks until it runs out; zero once it has.
    public private(set) var left: Ticks

    /// A countdown of `duration`.
    @inline(__always) public init(_ duration: Ticks) { left = duration }

    /// A countdown that has run out already.
    public static let done = Countdown(.zero)

    /// Whether the time has run out.
    @inline(__always) public var isDone: Bool { left.count == 0 }

    /// Whether time is still left.
    @inline(__always) public var isRunning: Bool { left.count != 0 }

    /// One tick passes.
    @inline(__always) public mutating func advance() { if left.count != 0 { left.count -= 1 } }

    /// Extends it to at least `duration` from now.
    @inline(__always) public mutating func extend(to duration: Ticks) { if left < duration { left = duration } }
}

extension Optional where Wrapped == Countdown {
    /// One tick passes for a countdown that may not be running at all.
    @inline(__always) public mutating func advance() { if case .some(var c) = self { c.advance(); self = .some(c) } }
}
