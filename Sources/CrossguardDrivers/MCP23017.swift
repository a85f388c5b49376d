import CrossguardHAL

/// Microchip MCP23017 16-line I2C GPIO expander (0x20–0x27): extra input and output lines when the
/// board's own GPIO runs short (push buttons, lamp-sense comparators, indicator LEDs).
///
/// Lines are numbered 0–15: 0–7 are GPA0–GPA7, 8–15 are GPB0–GPB7, and every 16-bit value here has
/// line n in bit n. The driver uses IOCON.BANK = 0 addressing, the power-on default, where each A
/// register is followed by its B twin (IODIRA 0x00 / IODIRB 0x01 …), and IOCON.SEQOP = 0, so one SMBus
/// word transfer at the A register moves A (first byte, low) and B (second byte, high) together.
/// `configure` writes IOCON = 0x00 to make sure of both; if something had set BANK = 1, register 0x0A
/// would be OLATA instead, which only a reset of the chip undoes.
///
/// Microchip's datasheet (revision D, 2022) makes GPA7 and GPB7 output-only: used as inputs they can
/// corrupt SDA during a read. `configure` refuses them as inputs.
public struct MCP23017<Bus: I2CBus> {
    /// The bus the expander is on.
    public let bus: Bus
    /// The 7-bit address, 0x20–0x27 by the A2–A0 straps.
    public let address: UInt8

    /// An expander on `bus` at `address`; nothing is sent until `configure`.
    public init(bus: Bus, address: UInt8 = 0x20) {
        self.bus = bus
        self.address = address
    }

    /// Sets every line's role. `inputs`: bit set = input (IODIR 1), clear = output. `pullUps`: bit set
    /// = 100 kΩ pull-up on that input (GPPU). `invertedInputs`: bit set = that input reads inverted
    /// (IPOL), for active-low buttons. `outputLevels`: the levels outputs take, latched (OLAT) before
    /// any line becomes an output so no output glitches at start. Throws (kind `other`) before any
    /// transfer if GPA7 or GPB7 is asked to be an input.
    public func configure(inputs: UInt16, pullUps: UInt16 = 0, invertedInputs: UInt16 = 0, outputLevels: UInt16 = 0) throws(HardwareError) {
        guard inputs & 0x8080 == 0 else {
            throw HardwareError(
                .other,
                "MCP23017 at \(hexByte(address)): GPA7/GPB7 (lines 7 and 15) are output-only (datasheet rev. D); inputs mask \(hex16(inputs))"
            )
        }
        try bus.writeByte(address, register: MCP23017Register.iocon, 0x00)  // BANK 0, SEQOP 0, no mirror, push-pull INT active low
        try bus.writeLittleEndianWord(address, register: MCP23017Register.olat, outputLevels)
        try bus.writeLittleEndianWord(address, register: MCP23017Register.ipol, invertedInputs)
        try bus.writeLittleEndianWord(address, register: MCP23017Register.gppu, pullUps)
        try bus.writeLittleEndianWord(address, register: MCP23017Register.iodir, inputs)
    }

    /// The level of all 16 lines in one transfer (GPIOA 0x12, GPIOB 0x13), after IPOL inversion;
    /// output lines read back their driven level.
    public func readLines() throws(HardwareError) -> UInt16 {
        try bus.readLittleEndianWord(address, register: MCP23017Register.gpio)
    }

    /// The direction register of all 16 lines in one transfer (IODIRA 0x00, IODIRB 0x01; 1 = input). Its
    /// power-on value is 0xFFFF, so a chip that reset since `configure` shows here.
    public func readDirections() throws(HardwareError) -> UInt16 {
        try bus.readLittleEndianWord(address, register: MCP23017Register.iodir)
    }

    /// Sets the output latches of all 16 lines in one transfer (OLATA 0x14, OLATB 0x15); bits of input
    /// lines are latched but not driven.
    public func writeOutputs(_ levels: UInt16) throws(HardwareError) {
        try bus.writeLittleEndianWord(address, register: MCP23017Register.olat, levels)
    }
}

/// MCP23017 registers with IOCON.BANK = 0: the A register's address; B is the next one.
private enum MCP23017Register {
    /// IODIRA/IODIRB: 1 = input (power-on 0xFF).
    static let iodir: UInt8 = 0x00
    /// IPOLA/IPOLB: 1 = GPIO bit reads inverted.
    static let ipol: UInt8 = 0x02
    /// IOCONA (mirrored at 0x0B): BANK bit 7, MIRROR 6, SEQOP 5, DISSLW 4, HAEN 3, ODR 2, INTPOL 1.
    static let iocon: UInt8 = 0x0A
    /// GPPUA/GPPUB: 1 = 100 kΩ pull-up on an input.
    static let gppu: UInt8 = 0x0C
    /// GPIOA/GPIOB: the lines' levels.
    static let gpio: UInt8 = 0x12
    /// OLATA/OLATB: the output latches.
    static let olat: UInt8 = 0x14
}
