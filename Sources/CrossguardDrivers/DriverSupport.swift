import CrossguardHAL

// Small helpers shared by the drivers.

/// `numerator / denominator` rounded to the nearest integer, halves away from zero (so +0.5 mA and
/// -0.5 mA round symmetrically), for the shunt-current conversions. `denominator` must be positive;
/// the callers' operands are bounded far below Int64's range, so nothing here can overflow.
func roundedQuotient(_ numerator: Int64, _ denominator: Int64) -> Int64 {
    let quotient = numerator / denominator          // truncates toward zero
    let remainder = numerator % denominator         // has the numerator's sign
    guard remainder.magnitude * 2 >= denominator.magnitude else { return quotient }
    return numerator < 0 ? quotient - 1 : quotient + 1
}

/// The error for a shunt resistance of zero, which would make every current a division by zero.
func zeroShuntError(_ part: String, _ address: UInt8) -> HardwareError {
    HardwareError(.other, "\(part) at \(hexByte(address)): shunt resistance is 0 mΩ; give the resistor's value in milliohms")
}

