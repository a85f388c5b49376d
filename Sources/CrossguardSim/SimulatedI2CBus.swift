import CrossguardHAL

/// An I2C bus of register maps that behaves like the kernel's i2c-stub, which the HIL stage runs the
/// real drivers against: each present address has 256 16-bit word registers; a byte write sets a
/// register's low byte, a byte read returns it; word transfers take the whole register, low byte first
/// on the wire; block transfers walk consecutive registers' low bytes. So a bench or a test that
/// preloads registers here sees what the drivers see in the VM. Absent addresses do not acknowledge.
public final class SimulatedI2CBus: I2CBus, @unchecked Sendable {
    /// The bus device it stands for, for messages.
    public let path: String
    private var chips: [UInt8: [UInt16]] = [:]
    /// Addresses a kernel driver holds (i2c-dev refuses them with EBUSY).
    private var claimed: Set<UInt8> = []
    /// Every transfer so far, for tests that check what a driver did.
    public private(set) var log: [(address: UInt8, operation: I2COperation)] = []

    /// An empty bus named `path`.
    public init(path: String = "/dev/i2c-sim") { self.path = path }

    /// Puts a device at `address` with every register zero (i2c-stub's `chip_addr`).
    public func attach(_ address: UInt8) { chips[address] = Array(repeating: 0, count: 256) }

    /// Removes the device: it stops acknowledging, as an unplugged or dead part does.
    public func detach(_ address: UInt8) { chips[address] = nil }

    /// Marks an address as held by a kernel driver (or releases it).
    public func claim(_ address: UInt8, _ held: Bool) { if held { claimed.insert(address) } else { claimed.remove(address) } }

    /// Sets a word register as `i2cset … w` does (the value's low byte is the register's byte value).
    public func setWord(_ address: UInt8, _ register: UInt8, _ value: UInt16) { chips[address]?[Int(register)] = value }

    /// Sets a register's low byte as `i2cset … b` does.
    public func setByte(_ address: UInt8, _ register: UInt8, _ value: UInt8) {
        guard let word = chips[address]?[Int(register)] else { return }
        chips[address]![Int(register)] = word & 0xFF00 | UInt16(value)
    }

    /// A register as the device holds it.
    public func word(_ address: UInt8, _ register: UInt8) -> UInt16? { chips[address]?[Int(register)] }

    public func transfer(_ operation: I2COperation, address: UInt8) throws(HardwareError) -> [UInt8] {
        log.append((address, operation))
        if claimed.contains(address) {
            throw HardwareError(.busy, "\(path): address \(hexByte(address)) is held by a kernel driver", errno: 16)
        }
        guard var regs = chips[address] else {
            throw HardwareError(.noAcknowledge, "\(path): no device acknowledged \(hexByte(address))", errno: 6)
        }
        defer { chips[address] = regs }
        switch operation {
        case .sendByte:
            return []  // i2c-stub keeps a "current register" pointer; no driver here reads after a lone send
        case .writeByte(let r, let v):
            regs[Int(r)] = regs[Int(r)] & 0xFF00 | UInt16(v)
            return []
        case .readByte(let r):
            return [UInt8(truncatingIfNeeded: regs[Int(r)])]
        case .writeWord(let r, let v):
            regs[Int(r)] = v
            return []
        case .readWord(let r):
            let v = regs[Int(r)]
            return [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)]
        case .writeBlock(let r, let bytes):
            for (i, b) in bytes.enumerated() where Int(r) + i < 256 {
                regs[Int(r) + i] = regs[Int(r) + i] & 0xFF00 | UInt16(b)
            }
            return []
        case .readBlock(let r, let count):
            return (0..<count).map { i in Int(r) + i < 256 ? UInt8(truncatingIfNeeded: regs[Int(r) + i]) : 0 }
        }
    }
}
