import CI2C
import CrossguardHAL
import Glibc

/// An I2C bus through the kernel's i2c-dev node and libi2c's SMBus calls (through the `CI2C` shim, since
/// Swift cannot call the variadic `ioctl`). The drivers' `I2CBus` on a real board.
///
/// For the operator:
/// - On a Raspberry Pi the header bus (pins 3 SDA and 5 SCL) is `/dev/i2c-1`. It exists once
///   `dtparam=i2c_arm=on` is in `config.txt` (or `raspi-config` enabled I2C) and the `i2c-dev` module is
///   loaded (`i2c-dev` in `/etc/modules` on systems that do not load it themselves). `not-found` when
///   opening means one of the two is missing.
/// - `permission-denied`: the daemon's user is not in the group that owns `/dev/i2c-*` (`i2c` on Raspberry
///   Pi OS, `crossguard` with the rules in `udev/` elsewhere).
/// - `busy` for one address: a kernel driver is bound to it (a `dtoverlay=i2c-sensor,…` line, or a device
///   added through `new_device`), and i2c-dev refuses to talk over it. Its name is in
///   `/sys/bus/i2c/devices/1-00AA/driver`. The address is never taken by force (`I2C_SLAVE_FORCE`).
/// - `no-acknowledge`: nothing answered at that address (unplugged, unpowered, wrong address straps).
///
/// Only SMBus transfers are used (byte, byte data, word data, I2C block), which every Pi controller and the
/// kernel's i2c-stub can do. The adapter's capabilities are read once at `init`; an operation it cannot do
/// fails with a message saying so before anything reaches the bus.
///
/// The selected address is remembered, and `I2C_SLAVE` is issued only when a transfer names another one. The
/// kernel checks for a bound driver only at that moment: a driver bound to the address while it stays
/// selected goes unnoticed until the bus has talked to another address.
///
/// Not for two threads at once (the sensor thread owns it); a transfer blocks for its bus time.
public final class LinuxI2CBus: I2CBus {
    /// The device node as given (`/dev/i2c-1`), named in every error.
    public let path: String
    /// How many times a transfer that failed transiently is tried again (see `transfer`).
    public let retries: Int
    private let fd: Int32
    private let functionality: UInt
    /// The address i2c-dev targets now; nil before the first selection and after a refused one.
    private var selected: UInt8?

    /// Opens the bus read-write (close-on-exec) and reads what the adapter can do (`cg_i2c_open`,
    /// `cg_i2c_functionality`). Fails with `not-found` for a missing node, `permission-denied` without
    /// the group's rights. `retries` (default 2) bounds the extra tries of a transient failure.
    public init(path: String, retries: Int = 2) throws(HardwareError) {
        self.path = path
        self.retries = max(0, retries)
        let fd = cg_i2c_open(path)
        guard fd >= 0 else { throw Self.error(-fd, .open, "\(path): opening the bus") }
        var funcs: UInt = 0
        let code = cg_i2c_functionality(fd, &funcs)
        guard code == 0 else {
            _ = cg_i2c_close(fd)
            throw Self.error(-code, .open, "\(path): reading the adapter's capabilities (I2C_FUNCS)")
        }
        self.fd = fd
        self.functionality = funcs
    }

    deinit { _ = cg_i2c_close(fd) }

    /// Whether the adapter can do this kind of transfer at all (for `diag` and for drivers choosing between
    /// a block read and single reads).
    public func supports(_ operation: I2COperation) -> Bool {
        functionality & Self.capability(operation).bit != 0
    }

    /// Performs one SMBus transfer with `address` (`cg_i2c_select` when the address changes, then the
    /// operation's `cg_i2c_*` call).
    ///
    /// Retries: at most `retries` more times, and only for faults that are over by the next try and leave
    /// nothing half-done:
    /// - arbitration loss, for any operation: another master won the bus before this transfer completed,
    ///   so the target heard the winner's transfer, not this one (the kernel's own i2c core retries
    ///   `-EAGAIN` the same way, `adapter->retries`);
    /// - timeout, for reads only: a timed-out write may have reached the part (a command byte, a register,
    ///   part of a block), and only the driver knows whether writing it again is harmless.
    /// Never for `no-acknowledge` (an absent part stays absent within a millisecond, and a write refused in
    /// its data phase may have half-happened: the poller's next period is the retry), `busy` (a bound
    /// driver stays bound) or a bus fault. A refused address selection is not retried either.
    public func transfer(_ operation: I2COperation, address: UInt8) throws(HardwareError) -> [UInt8] {
        // Messages are made only on failure: a successful transfer formats nothing.
        func what() -> String {
            let (register, verb) = Self.describe(operation)
            return "\(path) device \(hexByte(address))" + (register.map { " register \(hexByte($0))" } ?? "") + ": \(verb)"
        }
        guard address <= 0x7f else {
            throw HardwareError(.other, "\(what()): \(hexByte(address)) is not a 7-bit address (0x00–0x7f: 0x29, never 0x52)")
        }
        let blockLength: Int? = switch operation {
        case .writeBlock(_, let bytes): bytes.count
        case .readBlock(_, let count): count
        default: nil
        }
        if let blockLength, !(1...Int(CG_I2C_BLOCK_MAX)).contains(blockLength) {
            throw HardwareError(.other, "\(what()): an I2C block is 1–\(CG_I2C_BLOCK_MAX) bytes, not \(blockLength)")
        }
        let needed = Self.capability(operation)
        guard functionality & needed.bit != 0 else {
            throw HardwareError(.other, "\(what()): the adapter cannot do \(needed.name) (I2C_FUNCS 0x\(String(functionality, radix: 16)))")
        }
        var attempts = 0
        while true {
            attempts += 1
            if selected != address {
                selected = nil
                let code = cg_i2c_select(fd, UInt32(address))
                guard code == 0 else { throw Self.error(-code, .select, "\(path) device \(hexByte(address)): selecting the address", sysfs: sysfsDevice(address)) }
                selected = address
            }
            let (bytes, code) = perform(operation)
            if code == 0 {
                if case .readBlock(_, let count) = operation, bytes.count != count {
                    throw HardwareError(.busFault, "\(what()): \(bytes.count) bytes read, \(count) expected")
                }
                return bytes
            }
            var error = Self.error(code, .transfer, what())
            if attempts <= retries && Self.isRetried(error.kind, operation) { continue }
            if attempts > 1 { error.detail += " (\(attempts) attempts)" }
            throw error
        }
    }

    /// One libi2c call: the bytes in wire order and 0, or no bytes and the errno.
    private func perform(_ operation: I2COperation) -> (bytes: [UInt8], errno: Int32) {
        func status(_ code: Int32) -> ([UInt8], Int32) { code < 0 ? ([], -code) : ([], 0) }
        switch operation {
        case .sendByte(let value):
            return status(cg_i2c_write_byte(fd, value))
        case .writeByte(let register, let value):
            return status(cg_i2c_write_byte_data(fd, register, value))
        case .readByte(let register):
            let value = cg_i2c_read_byte_data(fd, register)
            return value < 0 ? ([], -value) : ([UInt8(truncatingIfNeeded: value)], 0)
        case .writeWord(let register, let value):
            return status(cg_i2c_write_word_data(fd, register, value))
        case .readWord(let register):
            // libi2c puts the first byte received in the low 8 bits.
            let value = cg_i2c_read_word_data(fd, register)
            return value < 0 ? ([], -value) : ([UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)], 0)
        case .writeBlock(let register, let bytes):
            return status(bytes.withUnsafeBufferPointer { cg_i2c_write_block(fd, register, $0.baseAddress, $0.count) })
        case .readBlock(let register, let count):
            var buffer = [UInt8](repeating: 0, count: count)
            let n = buffer.withUnsafeMutableBufferPointer { cg_i2c_read_block(fd, register, $0.baseAddress, count) }
            return n < 0 ? ([], -n) : (Array(buffer.prefix(Int(n))), 0)
        }
    }

    /// `/sys/bus/i2c/devices/1-0040` for address 0x40 on `/dev/i2c-1`: where the driver that owns it shows.
    private func sysfsDevice(_ address: UInt8) -> String? {
        guard let dash = path.lastIndex(of: "-"), path[..<dash].hasSuffix("/dev/i2c"),
              let bus = Int(path[path.index(after: dash)...]) else { return nil }
        let hex = String(address, radix: 16)
        return "/sys/bus/i2c/devices/\(bus)-\(String(repeating: "0", count: 4 - hex.count))\(hex)"
    }

    /// The register an operation names (nil for a lone command byte) and what it does, for messages.
    private static func describe(_ operation: I2COperation) -> (register: UInt8?, verb: String) {
        switch operation {
        case .sendByte(let v): (nil, "send byte \(hexByte(v))")
        case .writeByte(let r, let v): (r, "write byte \(hexByte(v))")
        case .readByte(let r): (r, "read byte")
        case .writeWord(let r, let v): (r, "write word 0x\(String(v, radix: 16))")
        case .readWord(let r): (r, "read word")
        case .writeBlock(let r, let bytes): (r, "write block of \(bytes.count)")
        case .readBlock(let r, let count): (r, "read block of \(count)")
        }
    }

    /// The I2C_FUNCS bit an operation needs, and its name for the message when the adapter lacks it.
    private static func capability(_ operation: I2COperation) -> (bit: UInt, name: String) {
        switch operation {
        case .sendByte: (CG_I2C_FUNC_SMBUS_WRITE_BYTE, "SMBus send byte")
        case .writeByte: (CG_I2C_FUNC_SMBUS_WRITE_BYTE_DATA, "SMBus write byte data")
        case .readByte: (CG_I2C_FUNC_SMBUS_READ_BYTE_DATA, "SMBus read byte data")
        case .writeWord: (CG_I2C_FUNC_SMBUS_WRITE_WORD_DATA, "SMBus write word data")
        case .readWord: (CG_I2C_FUNC_SMBUS_READ_WORD_DATA, "SMBus read word data")
        case .writeBlock: (CG_I2C_FUNC_SMBUS_WRITE_I2C_BLOCK, "I2C block write")
        case .readBlock: (CG_I2C_FUNC_SMBUS_READ_I2C_BLOCK, "I2C block read")
        }
    }

    /// The retry policy of `transfer`: arbitration loss for anything, a timeout for reads only.
    static func isRetried(_ kind: HardwareErrorKind, _ operation: I2COperation) -> Bool {
        switch kind {
        case .arbitrationLoss: return true
        case .timeout:
            switch operation {
            case .readByte, .readWord, .readBlock: return true
            case .sendByte, .writeByte, .writeWord, .writeBlock: return false
            }
        default: return false
        }
    }

    /// Where a call failed: the same errno means different things when opening and on the bus.
    enum Step { case open, select, transfer }

    /// The one place errno becomes a kind for I2C, after the kernel's `Documentation/i2c/fault-codes.rst`
    /// and what the adapters really return:
    /// - `ENXIO` (the document's code for an address nobody acknowledged, i2c-gpio/algo-bit) and
    ///   `EREMOTEIO` (i2c-bcm2835 on the Pi 1–4, i2c-designware on the Pi 5's RP1) are no-acknowledge;
    ///   so is `ENODEV` from a transfer, the kernel's i2c-stub's answer for an address it does not emulate.
    ///   When opening, `ENOENT`, `ENODEV` and `ENXIO` mean the bus does not exist.
    /// - `EIO` is a bus fault, not a no-acknowledge: it is the catch-all (bcm2835 clock-stretch timeout,
    ///   designware's other aborts); only algo-bit uses it for a byte refused after the address was
    ///   acknowledged, when the part is present anyway. `EPROTO` and `EBADMSG` (a reply that breaks the
    ///   protocol, a bad PEC) are bus faults too.
    /// - `EBUSY` is busy: from `I2C_SLAVE`, a kernel driver owns the address; from a transfer, the bus
    ///   stayed busy longer than allowed. `ETIMEDOUT` is a timeout (bus stuck, SCL held low) and `EAGAIN`
    ///   a lost arbitration. `EACCES`/`EPERM` are permission denied. Anything else is `other`.
    /// The errno is kept in the error; `sysfs` names where the owner of a busy address shows.
    static func error(_ code: Int32, _ step: Step, _ what: String, sysfs: String? = nil) -> HardwareError {
        let kind: HardwareErrorKind = switch (code, step) {
        case (EACCES, _), (EPERM, _): .permissionDenied
        case (ENOENT, _), (ENODEV, .open), (ENXIO, .open): .notFound
        case (ENXIO, _), (EREMOTEIO, _), (ENODEV, .transfer): .noAcknowledge
        case (EBUSY, _): .busy
        case (ETIMEDOUT, _): .timeout
        case (EAGAIN, _): .arbitrationLoss
        case (EIO, .transfer), (EPROTO, .transfer), (EBADMSG, .transfer): .busFault
        default: .other
        }
        let hint: String = switch (kind, step) {
        case (.notFound, .open): " (is I2C enabled, dtparam=i2c_arm=on in config.txt, and the i2c-dev module loaded?)"
        case (.permissionDenied, _): " (the user needs group i2c, or crossguard with the rules in udev/)"
        case (.busy, .select): " (a kernel driver owns this address" + (sysfs.map { ": see \($0)/driver)" } ?? ")")
        case (.noAcknowledge, _): " (nothing answered: check the wiring, the part's power and its address)"
        default: ""
        }
        return HardwareError(kind, "\(what): \(String(cString: strerror(code)))\(hint)", errno: code)
    }
}
