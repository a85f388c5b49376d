/// Decides from a lamp's measured current whether it is lit, with hysteresis, so a current near a
/// single threshold (a dimmed or ageing LED head, ripple from its driver) cannot make the lamp-failure
/// logic chatter.
///
/// The lamp turns lit when the current rises above `litAboveMilliamps` and dark when it falls below
/// `darkBelowMilliamps`; in between it keeps its previous state, so the gap between the two is the
/// hysteresis. The current is compared as given, sign included: a caller that wants a shunt wired
/// the other way round to count passes the current's magnitude. A pure value: no I/O, no clock.
public struct LampCurrentThreshold: Equatable, Sendable {
    /// Above this current (mA) the lamp is lit.
    public let litAboveMilliamps: Int
    /// Below this current (mA) the lamp is dark.
    public let darkBelowMilliamps: Int
    /// Whether the lamp is lit, after the readings seen so far.
    public private(set) var isLit: Bool

    /// Thresholds with `darkBelowMilliamps <= litAboveMilliamps`; nil otherwise (the two would
    /// overlap and a current between them would be both). Starts dark unless told otherwise.
    public init?(litAboveMilliamps: Int, darkBelowMilliamps: Int, initiallyLit: Bool = false) {
        guard darkBelowMilliamps <= litAboveMilliamps else { return nil }
        self.litAboveMilliamps = litAboveMilliamps
        self.darkBelowMilliamps = darkBelowMilliamps
        self.isLit = initiallyLit
    }

    /// Takes one current reading (mA) into account and returns whether the lamp is now lit.
    @discardableResult
    public mutating func update(milliamps: Int) -> Bool {
        if milliamps > litAboveMilliamps {
            isLit = true
        } else if milliamps < darkBelowMilliamps {
            isLit = false
        }
        return isLit
    }
}
