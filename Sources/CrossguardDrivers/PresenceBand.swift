/// Turns time-of-flight distances into "someone is waiting" with hysteresis, so a pedestrian who
/// sways at the edge of the waiting area does not flicker between present and absent.
///
/// Someone is present once a distance falls inside the band `near...far`. Once present, they stay
/// present until a distance lies more than `hysteresis` outside the band (closer than
/// `near - hysteresis` or farther than `far + hysteresis`). An out-of-range reading (nobody in view) is
/// absent at once. Closer than `near` is excluded because that is the sensor's own cover, a pole or
/// rain on the window, not a person standing at the kerb. A pure value: no I/O, no clock.
public struct PresenceBand: Equatable, Sendable {
    /// The nearest distance that counts as someone waiting, millimetres.
    public let nearMillimeters: UInt16
    /// The farthest distance that counts as someone waiting, millimetres.
    public let farMillimeters: UInt16
    /// How far beyond the band a present pedestrian must go before they count as gone, millimetres.
    public let hysteresisMillimeters: UInt16
    /// Whether someone is waiting, after the readings seen so far. Starts absent.
    public private(set) var isPresent = false

    /// A band from `nearMillimeters` to `farMillimeters` inclusive; nil when near lies beyond far.
    public init?(nearMillimeters: UInt16, farMillimeters: UInt16, hysteresisMillimeters: UInt16) {
        guard nearMillimeters <= farMillimeters else { return nil }
        self.nearMillimeters = nearMillimeters
        self.farMillimeters = farMillimeters
        self.hysteresisMillimeters = hysteresisMillimeters
    }

    /// Takes one reading into account and returns whether someone is now present.
    @discardableResult
    public mutating func update(_ reading: RangeReading) -> Bool {
        switch reading {
        case .outOfRange:
            isPresent = false
        case .millimeters(let distance):
            // Int arithmetic: the band edges widened by the hysteresis may leave UInt16's range.
            let d = Int(distance)
            let margin = isPresent ? Int(hysteresisMillimeters) : 0
            isPresent = d >= Int(nearMillimeters) - margin && d <= Int(farMillimeters) + margin
        }
        return isPresent
    }
}
