/// Durations as written in config and scenario files: `"250ms"`, `"7s"`, `"10.25s"`, `"2m"` or `"2min"`, `"24h"`.
/// Milliseconds are the resolution; anything finer is an error, never rounded away.
public enum DurationText {
    /// Parses a duration into whole milliseconds, or returns why it cannot.
    public static func milliseconds(_ text: String) -> Result<Int, DurationTextError> {
        let units: [(suffix: String, scale: Int)] = [("ms", 1), ("min", 60_000), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }) else {
            return .failure(.missingUnit)
        }
        let number = String(text.dropLast(unit.suffix.count))
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard !number.isEmpty, parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
            return .failure(.notANumber)
        }
        guard parts[0].count <= 9, let whole = Int(parts[0]) else { return .failure(.tooLarge) }
        var total = whole * unit.scale
        if parts.count == 2 {
            // Fractions are exact decimal arithmetic: "10.25s" is 10250 ms, not 10249.999.
            var scale = unit.scale
            for digit in parts[1] {
                guard scale % 10 == 0 else { return .failure(.finerThanMilliseconds) }
                scale /= 10
                total += Int(String(digit))! * scale
            }
        }
        return .success(total)
    }

    /// Formats milliseconds the way an engineer writes them in messages: `7 s`, `12.25 s`, `250 ms`.
    public static func format(milliseconds ms: Int) -> String {
        if ms >= 3_600_000 && ms % 3_600_000 == 0 { return "\(ms / 3_600_000) h" }
        if ms >= 60_000 && ms % 60_000 == 0 { return "\(ms / 60_000) min" }
        if ms % 1000 == 0 { return "\(ms / 1000) s" }
        if ms < 1000 { return "\(ms) ms" }
        var fraction = String(ms % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(ms / 1000).\(fraction) s"
    }
}

/// Why a duration text was refused.
public enum DurationTextError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingUnit
    case notANumber
    case tooLarge
    case finerThanMilliseconds

    public var description: String {
        switch self {
        case .missingUnit: "needs a unit: ms, s, m or h (\"250ms\", \"7s\")"
        case .notANumber: "is not a duration (\"250ms\", \"7s\", \"10.25s\")"
        case .tooLarge: "is too large"
        case .finerThanMilliseconds: "is finer than the 1 ms resolution"
        }
    }
}
