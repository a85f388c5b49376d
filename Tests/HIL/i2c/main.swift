// i2c-check: LinuxI2CBus from the shell, for the HIL guest (Tests/HIL/i2c/run.sh compares what it prints with
// i2c-tools and with the kernel's view). One bus is opened and every step runs on it in order, so a
// sequence shows what one long-lived bus sees (the remembered address, a driver bound in between).
//
//   i2c-check BUS STEP...        BUS: /dev/i2c-N
//   rb ADDR REG                  read byte              -> 0xab
//   wb ADDR REG VALUE            write byte             -> ok
//   rw ADDR REG                  read word, wire order  -> 0x34 0x12 (low byte first)
//   ww ADDR REG VALUE            write word (SMBus order: low byte first) -> ok
//   rwbe ADDR REG                readBigEndianWord      -> 0x3412
//   wwbe ADDR REG VALUE          writeBigEndianWord     -> ok
//   rk ADDR REG COUNT            read I2C block         -> 0x01 0x02 0x03
//   wk ADDR REG B,B,...          write I2C block        -> ok
//   sb ADDR VALUE                send byte              -> ok
//   put FILE TEXT                writes TEXT and a newline to FILE (sysfs new_device / delete_device) -> ok
// One line per step; a failed step prints "error KIND: DETAIL (errno N)" and the next step runs.
// Exit status 1 when the bus cannot be opened (the error is printed), 2 for a usage error, else 0.
import CrossguardHAL
import CrossguardLinux
import Glibc

func number(_ text: String) -> Int? {
    text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
}

func byte(_ text: String) -> UInt8? { number(text).flatMap { UInt8(exactly: $0) } }

func usage(_ message: String) -> Never {
    let line = Array("i2c-check: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(2)
}

/// Writes text to a file the way `echo TEXT > FILE` does (one write, so sysfs sees the whole line).
func put(_ path: String, _ text: String) -> String {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return "error open \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
    defer { close(fd) }
    let line = Array((text + "\n").utf8)
    let n = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    return n == line.count ? "ok" : "error write \(path): \(String(cString: strerror(errno))) (errno \(errno))"
}

func hex(_ bytes: [UInt8]) -> String { bytes.map(hexByte).joined(separator: " ") }

func word(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
}

var args = Array(CommandLine.arguments.dropFirst())
guard !args.isEmpty else { usage("usage: i2c-check /dev/i2c-N STEP... (see the top of Tests/HIL/i2c/main.swift)") }
let busPath = args.removeFirst()
let bus: LinuxI2CBus
do {
    bus = try LinuxI2CBus(path: busPath)
} catch {
    print("error \(error)")
    exit(1)
}

/// The next n arguments of a step, taken off the list.
func take(_ n: Int, from args: inout [String], for step: String) -> [String] {
    guard args.count >= n else { usage("\(step) needs \(n) arguments") }
    defer { args.removeFirst(n) }
    return Array(args.prefix(n))
}

while !args.isEmpty {
    let step = args.removeFirst()
    do throws(HardwareError) {
        switch step {
        case "rb":
            let a = take(2, from: &args, for: step)
            guard let address = byte(a[0]), let register = byte(a[1]) else { usage("rb ADDR REG") }
            print(hexByte(try bus.readByte(address, register: register)))
        case "wb":
            let a = take(3, from: &args, for: step)
            guard let address = byte(a[0]), let register = byte(a[1]), let value = byte(a[2]) else { usage("wb ADDR REG VALUE") }
            try bus.writeByte(address, register: register, value)
            print("ok")
        case "rw":
            let a = take(2, from: &args, for: step)
            guard let address = byte(a[0]), let register = byte(a[1]) else { usage("rw ADDR REG") }
            print(hex(try bus.transfer(.readWord(register: register), address: address)))
        case "ww":
            let a = take(3, from: &args, for: step)
            guard let address = byte(a[0]), let register = byte(a[1]), let value = number(a[2]).flatMap(UInt16.init(exactly:)) else {
                usage("ww ADDR REG VALUE")
            }
            try bus.writeLittleEndianWord(address, register: register, value)
            print("ok")
        case "rwbe":
            let a = take(2, from: &args, for: step)
            guard let address = byte(a[0]), let register = byte(a[1]) else { usage("rwbe ADDR REG") }
            print(word(try bus.readBigEndianWord(address, register: register)))
        case "wwbe":
            let a = take(3, from: &args, for: step)
            guard let address = byte(a[0]), let register = byte(a[1]), let value = number(a[2]).flatMap(UInt16.init(exactly:)) else {
                usage("wwbe ADDR REG VALUE")
            }
            try bus.writeBigEndianWord(address, register: register, value)
            print("ok")
        case "rk":
            let a = take(3, from: &args, for: step)
            guard let address = byte(a[0]), let register = byte(a[1]), let count = number(a[2]) else { usage("rk ADDR REG COUNT") }
            print(hex(try bus.transfer(.readBlock(register: register, count: count), address: address)))
        case "wk":
            let a = take(3, from: &args, for: step)
            let bytes = a[2].split(separator: ",").map { byte(String($0)) }
            guard let address = byte(a[0]), let register = byte(a[1]), !bytes.contains(nil) else { usage("wk ADDR REG B,B,...") }
            _ = try bus.transfer(.writeBlock(register: register, bytes: bytes.compactMap { $0 }), address: address)
            print("ok")
        case "sb":
            let a = take(2, from: &args, for: step)
            guard let address = byte(a[0]), let value = byte(a[1]) else { usage("sb ADDR VALUE") }
            try bus.sendByte(address, value)
            print("ok")
        case "put":
            let a = take(2, from: &args, for: step)
            print(put(a[0], a[1]))
        default:
            usage("unknown step \(step)")
        }
    } catch {
        print("error \(error)")
    }
}
