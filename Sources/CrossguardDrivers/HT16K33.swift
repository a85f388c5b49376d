import CrossguardHAL

/// Holtek HT16K33 LED matrix driver wired as a 4-digit 7-segment display (the common Adafruit 0.56"
/// backpack, 0x70–0x77): the pedestrian countdown.
///
/// Display RAM is sixteen bytes, two per row; the backpack wires digit 1 to row 0 (RAM 0x00), digit 2
/// to row 1 (0x02), the colon to row 2 (0x04, unused here), digit 3 to row 3 (0x06) and digit 4 to
/// row 4 (0x08). In each digit byte bit 0 is segment a, then b, c, d, e, f, g, and bit 7 the decimal
/// point. A value is shown right-aligned with leading zeros blanked; nil blanks the display.
public struct HT16K33<Bus: I2CBus> {
    /// The bus the display is on.
    public let bus: Bus
    /// The 7-bit address: 0x70 by default, 0x70–0x77 by the A2–A0 jumpers.
    public let address: UInt8

    /// A display on `bus` at `address`; nothing is sent until `start()`.
    public init(bus: Bus, address: UInt8 = 0x70) {
        self.bus = bus
        self.address = address
    }

    /// Starts the oscillator (system setup 0x20 | S: 0x21), blanks all display RAM, switches the
    /// display on without blinking (display setup 0x80 | B1 B0 D: 0x81) and sets the brightness
    /// (dimming 0xE0 | level, 0 = 1/16 to 15 = 16/16 duty). The RAM is blanked before the display goes
    /// on because its power-up content is undefined. Throws (kind `other`) before any transfer for a
    /// brightness above 15.
    public func start(brightness: UInt8 = 15) throws(HardwareError) {
        guard brightness <= 15 else {
            throw HardwareError(.other, "HT16K33 at \(hexByte(address)): brightness \(brightness) is outside 0–15")
        }
        try bus.sendByte(address, 0x21)
        _ = try bus.transfer(.writeBlock(register: 0x00, bytes: [UInt8](repeating: 0, count: 16)), address: address)
        try bus.sendByte(address, 0x81)
        try bus.sendByte(address, 0xE0 | brightness)
    }

    /// Shows `value` (0–9999) right-aligned with leading zeros blanked (7 → "   7", 0 → "   0"), or
    /// blanks the display for nil, in one block write of RAM 0x00–0x09. A value above 9999 cannot be
    /// shown without lying, so it is an error (kind `other`) and nothing is written: the caller
    /// decides between blanking and keeping the last value.
    public func show(_ value: UInt16?) throws(HardwareError) {
        guard let ram = Self.displayRAM(for: value) else {
            throw HardwareError(.other, "HT16K33 at \(hexByte(address)): \(value ?? 0) does not fit four digits")
        }
        _ = try bus.transfer(.writeBlock(register: 0x00, bytes: ram), address: address)
    }

    /// The ten bytes of display RAM 0x00–0x09 for `value`: digit segments at the even addresses 0x00,
    /// 0x02, 0x06, 0x08, colon (0x04) off, the odd (unwired) bytes 0. Nil for a value above 9999.
    public static func displayRAM(for value: UInt16?) -> [UInt8]? {
        var digits: [UInt8] = [0, 0, 0, 0]
        if let value {
            guard value <= 9999 else { return nil }
            var rest = Int(value)
            for position in stride(from: 3, through: 0, by: -1) {
                digits[position] = sevenSegmentDigits[rest % 10]
                rest /= 10
                if rest == 0 { break }  // leading zeros stay blank; the units digit is always drawn
            }
        }
        return [digits[0], 0, digits[1], 0, 0, 0, digits[2], 0, digits[3], 0]
    }
}

/// Segments for 0–9, bit 0 = a … bit 6 = g (the usual 7-segment font, as in Adafruit's LED Backpack
/// library): 0 = abcdef, 1 = bc, 2 = abdeg, 3 = abcdg, 4 = bcfg, 5 = acdfg, 6 = acdefg, 7 = abc,
/// 8 = all, 9 = abcdfg.
private let sevenSegmentDigits: [UInt8] = [0x3F, 0x06, 0x5B, 0x4F, 0x66, 0x6D, 0x7D, 0x07, 0x7F, 0x6F]
