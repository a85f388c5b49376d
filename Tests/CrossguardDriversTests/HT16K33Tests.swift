import CrossguardDrivers
import CrossguardHAL
import Testing

private typealias Display = HT16K33<ScriptedI2CBus>

/// The 7-segment font written out by hand from the segment letters (bit 0 = a … bit 6 = g).
private let font: [UInt8] = [
    0b0011_1111,  // 0: a b c d e f
    0b0000_0110,  // 1: b c
    0b0101_1011,  // 2: a b d e g
    0b0100_1111,  // 3: a b c d g
    0b0110_0110,  // 4: b c f g
    0b0110_1101,  // 5: a c d f g
    0b0111_1101,  // 6: a c d e f g
    0b0000_0111,  // 7: a b c
    0b0111_1111,  // 8: all
    0b0110_1111,  // 9: a b c d f g
]

private let shownValues: [(UInt16, [UInt8])] = [
    (1234, [0x06, 0, 0x5B, 0, 0, 0, 0x4F, 0, 0x66, 0]),
    (5678, [0x6D, 0, 0x7D, 0, 0, 0, 0x07, 0, 0x7F, 0]),
    (9999, [0x6F, 0, 0x6F, 0, 0, 0, 0x6F, 0, 0x6F, 0]),
    (1000, [0x06, 0, 0x3F, 0, 0, 0, 0x3F, 0, 0x3F, 0]),   // inner zeros are drawn
    (305, [0, 0, 0x4F, 0, 0, 0, 0x3F, 0, 0x6D, 0]),        // one leading zero blanked
    (10, [0, 0, 0, 0, 0, 0, 0x06, 0, 0x3F, 0]),
    (0, [0, 0, 0, 0, 0, 0, 0, 0, 0x3F, 0]),               // zero itself is shown
]

@Suite("HT16K33")
struct HT16K33Tests {
    @Test func startTurnsTheOscillatorOnBlanksAndLightsTheDisplay() throws {
        let bus = ScriptedI2CBus([
            .send(0x70, 0x21),                                          // oscillator on
            .writeBlock(0x70, 0x00, [UInt8](repeating: 0, count: 16)),  // all RAM blank
            .send(0x70, 0x81),                                          // display on, no blink
            .send(0x70, 0xEF),                                          // full brightness
        ])
        try Display(bus: bus).start()
        bus.finish()
    }

    @Test func startSetsTheGivenBrightness() throws {
        let bus = ScriptedI2CBus([
            .send(0x71, 0x21), .writeBlock(0x71, 0x00, [UInt8](repeating: 0, count: 16)), .send(0x71, 0x81), .send(0x71, 0xE0),
        ])
        try Display(bus: bus, address: 0x71).start(brightness: 0)
        bus.finish()
    }

    @Test func brightnessAbove15IsRefusedBeforeAnyTransfer() {
        let bus = ScriptedI2CBus([])
        let error = hardwareError { () throws(HardwareError) in try Display(bus: bus).start(brightness: 16) }
        #expect(error?.kind == .other)
        bus.finish()
    }

    @Test(arguments: 0..<10)
    func eachDigitOfTheFont(digit: Int) throws {
        let bus = ScriptedI2CBus([.writeBlock(0x70, 0x00, [0, 0, 0, 0, 0, 0, 0, 0, font[digit], 0])])
        try Display(bus: bus).show(UInt16(digit))
        bus.finish()
    }

    /// Value → RAM 0x00–0x09: digits at 0x00, 0x02, 0x06, 0x08; colon (0x04) and odd bytes 0.
    @Test(arguments: shownValues)
    func showBlanksLeadingZeros(value: UInt16, ram: [UInt8]) throws {
        let bus = ScriptedI2CBus([.writeBlock(0x70, 0x00, ram)])
        try Display(bus: bus).show(value)
        bus.finish()
    }

    @Test func nilBlanksTheDisplay() throws {
        let bus = ScriptedI2CBus([.writeBlock(0x70, 0x00, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])])
        try Display(bus: bus).show(nil)
        bus.finish()
    }

    @Test(arguments: [UInt16(10_000), 65_535])
    func valuesAbove9999AreAnErrorAndWriteNothing(value: UInt16) {
        let bus = ScriptedI2CBus([])
        let error = hardwareError { () throws(HardwareError) in try Display(bus: bus).show(value) }
        #expect(error?.kind == .other)
        #expect(error?.detail.contains("\(value)") == true)
        #expect(Display.displayRAM(for: value) == nil)
        bus.finish()
    }

    @Test func noAcknowledgeAtStartPropagatesItsKindAndStops() {
        let bus = ScriptedI2CBus([.fail(0x70, .sendByte(0x21), nack)])
        let error = hardwareError { () throws(HardwareError) in try Display(bus: bus).start() }
        #expect(error == nack)
        bus.finish()
    }

    @Test func noAcknowledgeOnShowPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(0x70, .writeBlock(register: 0x00, bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0x6D, 0]), nack)])
        let error = hardwareError { () throws(HardwareError) in try Display(bus: bus).show(5) }
        #expect(error == nack)
        bus.finish()
    }
}
