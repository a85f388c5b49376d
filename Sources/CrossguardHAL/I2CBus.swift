/// One SMBus-style transfer with a device on an I2C bus: what the parts Crossguard drives need, and
/// exactly what Linux's i2c-dev offers through libi2c (and what the kernel's i2c-stub emulates), so a
/// driver tested against a scripted mock runs unchanged on `/dev/i2c-N` and in the HIL VM.
///
/// SMBus words are little-endian on the wire (low byte first); parts with big-endian registers
/// (INA219, INA226, VL53L0X) swap in their driver, never here.
public enum I2COperation: Equatable, Sendable, CustomStringConvertible {
    /// SMBus "send byte": one command byte, no register (HT16K33 system set-up, display on).
    case sendByte(UInt8)
    /// SMBus "write byte data": a register and one byte.
    case writeByte(register: UInt8, value: UInt8)
    /// SMBus "read byte data": one byte from a register.
    case readByte(register: UInt8)
    /// SMBus "write word data": a register and two bytes, low byte first.
    case writeWord(register: UInt8, value: UInt16)
    /// SMBus "read word data": two bytes from a register, the first received is the low byte.
    case readWord(register: UInt8)
    /// I2C block write: a register then 1–32 bytes in one transfer (HT16K33 display RAM).
    case writeBlock(register: UInt8, bytes: [UInt8])
    /// I2C block read: 1–32 bytes from a register on, in one transfer.
    case readBlock(register: UInt8, count: Int)

    public var description: String {
        switch self {
        case .sendByte(let v): return "send \(hexByte(v))"
        case .writeByte(let r, let v): return "write \(hexByte(r)) = \(hexByte(v))"
        case .readByte(let r): return "read \(hexByte(r))"
        case .writeWord(let r, let v): return "write word \(hexByte(r)) = 0x\(String(v, radix: 16))"
        case .readWord(let r): return "read word \(hexByte(r))"
        case .writeBlock(let r, let b): return "write block \(hexByte(r)) [\(b.map(hexByte).joined(separator: " "))]"
        case .readBlock(let r, let n): return "read block \(hexByte(r)) × \(n)"
        }
    }
}

/// An I2C bus as the drivers see it: one primitive, `transfer`, and typed helpers on top. Backends are
/// `LinuxI2CBus` (`/dev/i2c-N` through libi2c), the simulator's register maps and the tests' scripted
/// mocks. A transfer blocks for its bus time (≈ 0.1–1 ms at 100 kHz), so drivers run on the sensor
/// thread, never on the tick thread.
public protocol I2CBus: AnyObject {
    /// Performs one transfer with the 7-bit `address`. Reads return their bytes in wire order
    /// (`readByte` one, `readWord` two with the low byte first, `readBlock` `count`); writes return
    /// nothing. A fault is a `HardwareError` whose kind says what happened (`noAcknowledge` for a
    /// device that is absent or gone, `busy` for an address a kernel driver owns, …).
    func transfer(_ operation: I2COperation, address: UInt8) throws(HardwareError) -> [UInt8]
}

extension I2CBus {
    /// One byte from a register.
    public func readByte(_ address: UInt8, register: UInt8) throws(HardwareError) -> UInt8 {
        let bytes = try transfer(.readByte(register: register), address: address)
        guard bytes.count == 1 else { throw shortRead(address, register, expected: 1, got: bytes.count) }
        return bytes[0]
    }

    /// Writes one byte to a register.
    public func writeByte(_ address: UInt8, register: UInt8, _ value: UInt8) throws(HardwareError) {
        _ = try transfer(.writeByte(register: register, value: value), address: address)
    }

    /// Sends a lone command byte.
    public func sendByte(_ address: UInt8, _ value: UInt8) throws(HardwareError) {
        _ = try transfer(.sendByte(value), address: address)
    }

    /// A 16-bit register whose most significant byte comes first on the wire (INA219/226, VL53L0X).
    public func readBigEndianWord(_ address: UInt8, register: UInt8) throws(HardwareError) -> UInt16 {
        let bytes = try transfer(.readWord(register: register), address: address)
        guard bytes.count == 2 else { throw shortRead(address, register, expected: 2, got: bytes.count) }
        return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
    }

    /// Writes a 16-bit register whose most significant byte goes first on the wire.
    public func writeBigEndianWord(_ address: UInt8, register: UInt8, _ value: UInt16) throws(HardwareError) {
        // SMBus sends the word's low byte first, so the swapped word puts the high byte on the wire first.
        _ = try transfer(.writeWord(register: register, value: value.byteSwapped), address: address)
    }

    /// A 16-bit register in SMBus order: least significant byte first (VEML7700).
    public func readLittleEndianWord(_ address: UInt8, register: UInt8) throws(HardwareError) -> UInt16 {
        let bytes = try transfer(.readWord(register: register), address: address)
        guard bytes.count == 2 else { throw shortRead(address, register, expected: 2, got: bytes.count) }
        return UInt16(bytes[1]) << 8 | UInt16(bytes[0])
    }

    /// Writes a 16-bit register in SMBus order: least significant byte first.
    public func writeLittleEndianWord(_ address: UInt8, register: UInt8, _ value: UInt16) throws(HardwareError) {
        _ = try transfer(.writeWord(register: register, value: value), address: address)
    }

    private func shortRead(_ address: UInt8, _ register: UInt8, expected: Int, got: Int) -> HardwareError {
        HardwareError(.busFault, "device \(hexByte(address)) register \(hexByte(register)): \(got) bytes read, \(expected) expected")
    }
}

/// `0x29`: how addresses and registers are written in board files, datasheets and messages.
public func hexByte(_ value: UInt8) -> String { "0x" + (value < 16 ? "0" : "") + String(value, radix: 16) }

/// `0x399f`: a 16-bit register value, four digits, for messages.
public func hex16(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
}
