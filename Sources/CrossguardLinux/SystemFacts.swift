import CGPIOD
import CLinuxShim
import CrossguardHAL
import Glibc

/// What `diag` asks the kernel about the board it runs on: versions, device files and their rights,
/// who holds a GPIO line, the clock, free space, the watchdog. Every call only reads: nothing here
/// requests a line, opens a watchdog (that would arm it) or writes a file.
public enum SystemFacts {
    /// `uname -r`.
    public static func kernelRelease() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The board model the firmware puts in the device tree ("Raspberry Pi 4 Model B Rev 1.4"); nil on
    /// machines without a device tree (a PC, a VM).
    public static func deviceTreeModel() -> String? {
        readText("/proc/device-tree/model").map { String($0.prefix { $0 != "\0" && $0 != "\n" }) }
    }

    /// A small file's text (sysfs, procfs), nil if it cannot be read.
    public static func readText(_ path: String, limit: Int = 16_384) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes.prefix(limit), as: UTF8.self)
    }

    /// The user this process runs as ("crossguard", or the uid when it has no name).
    public static func userName() -> String {
        knownUserName() ?? "uid \(geteuid())"
    }

    /// The user as a command's argument: the name, or `$(id -nu 1001)` when this system has no name for the uid.
    public static func userArgument() -> String {
        knownUserName() ?? "$(id -nu \(geteuid()))"
    }

    private static func knownUserName() -> String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// What the technician needs to know about a device file the board uses (`/dev/gpiochip0`,
    /// `/dev/i2c-1`): whether it exists, whether this process may read and write it, and which group
    /// owns it and whether this user is in that group.
    public struct DeviceAccess: Equatable, Sendable {
        public var exists: Bool
        public var readWrite: Bool
        /// The owning group's id and name (the gid when it has none), nil when the file does not exist.
        public var gid: UInt32?
        public var group: String?
        public var userInGroup: Bool
        /// strerror of the failed access check, nil when it succeeded.
        public var problem: String?
    }

    /// The access this process has to `path`.
    public static func access(_ path: String) -> DeviceAccess {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return DeviceAccess(exists: false, readWrite: false, gid: nil, group: nil, userInGroup: false, problem: String(cString: strerror(errno)))
        }
        let ok = Glibc.access(path, R_OK | W_OK) == 0
        let problem = ok ? nil : String(cString: strerror(errno))
        let gid = info.st_gid
        let group = getgrgid(gid).flatMap { $0.pointee.gr_name.map { String(cString: $0) } } ?? "gid \(gid)"
        return DeviceAccess(exists: true, readWrite: ok, gid: UInt32(gid), group: group, userInGroup: inGroup(gid), problem: problem)
    }

    /// Whether this process has `gid` as its primary or a supplementary group.
    private static func inGroup(_ gid: gid_t) -> Bool {
        if getegid() == gid { return true }
        let count = getgroups(0, nil)
        guard count > 0 else { return false }
        var groups = [gid_t](repeating: 0, count: Int(count))
        let got = getgroups(count, &groups)
        return got > 0 && groups.prefix(Int(got)).contains(gid)
    }

    /// Whether the kernel considers the system clock synchronised (NTP or PTP disciplines it), from
    /// `adjtimex`; nil when the call fails.
    public static func clockSynchronised() -> Bool? {
        let state = cg_clock_synchronised()
        return state < 0 ? nil : state == 1
    }

    /// Free bytes for an unprivileged writer on the file system holding `path`, nil if it cannot be read.
    public static func freeBytes(_ path: String) -> UInt64? {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return nil }
        return UInt64(fs.f_bavail) * UInt64(fs.f_frsize)
    }

    /// Whether `path` is a directory this process may create files in.
    public static func writableDirectory(_ path: String) -> (exists: Bool, writable: Bool) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return (false, false) }
        return (true, Glibc.access(path, W_OK | X_OK) == 0)
    }

    /// A file's modification time in ms since 1970, nil if it does not exist.
    public static func modifiedUnixMs(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec / 1_000_000)
    }

    /// The processes that hold line `offset` of GPIO chip `chip` (`gpiochip0`): kernels that describe a
    /// line request's file in `/proc/PID/fdinfo` name its chip and lines there; where none does, the
    /// processes whose command name is the line's consumer (gpioset names itself so). Empty when
    /// neither finds one (another user's processes are not readable without root).
    public static func processes(holdingLine offset: UInt32, chip: String, consumer: String) -> [Int32] {
        var byFile: [Int32] = []
        var byName: [Int32] = []
        for pid in processIDs() {
            if !consumer.isEmpty, let comm = readText("/proc/\(pid)/comm"), comm.prefix(while: { $0 != "\n" }) == consumer.prefix(15) {
                byName.append(pid)
            }
            let holds = (directoryEntries("/proc/\(pid)/fdinfo") ?? []).contains { fd in
                guard fd.first?.isNumber == true, let info = readText("/proc/\(pid)/fdinfo/\(fd)") else { return false }
                return info.contains("gpio-chip:\t\(chip)\n") && info.split(separator: "\n").contains("gpio-line:\t\(offset)")
            }
            if holds { byFile.append(pid) }
        }
        return byFile.isEmpty ? byName : byFile
    }

    /// The `crossguard run` processes on this machine, other than this one, that drive the board file at
    /// `board` (the same file, however the path is spelt) on real lines: their command line's first word
    /// ends in `crossguard`, its second is `run`, it names the board with `--board` and has no `--simulated`.
    public static func daemonProcesses(board: String) -> [Int32] {
        let me = getpid()
        let target = realPath(board)
        return processIDs().filter { pid in
            guard pid != me, let line = readText("/proc/\(pid)/cmdline", limit: 16_384) else { return false }
            let words = line.split(separator: "\0").map(String.init)
            guard words.count > 1, words[0] == "crossguard" || words[0].hasSuffix("/crossguard"), words[1] == "run",
                  !words.contains("--simulated") else { return false }
            let cwd = readLink("/proc/\(pid)/cwd") ?? "/"
            for (i, word) in words.enumerated() {
                let path: String? = word == "--board" && i + 1 < words.count ? words[i + 1]
                    : word.hasPrefix("--board=") ? String(word.dropFirst(8)) : nil
                guard let path else { continue }
                if realPath(path.hasPrefix("/") ? path : cwd + "/" + path) == target { return true }
            }
            return false
        }
    }

    /// The canonical path of an existing file (symlinks and `..` resolved), else the path as given.
    private static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Where a symlink points (`/proc/PID/cwd`), nil if it cannot be read.
    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The GPIO character devices, `/dev/gpiochip0` …, in number order; symlinks (a compatibility
    /// `/dev/gpiochip4` pointing at `gpiochip0`) are left out, as the line lookup leaves them out.
    public static func gpioChipPaths() -> [String] {
        var found: [(Int, String)] = []
        for name in directoryEntries("/dev") ?? [] {
            guard name.hasPrefix("gpiochip"), let n = Int(name.dropFirst(8)) else { continue }
            var info = stat()
            guard lstat("/dev/\(name)", &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR else { continue }
            found.append((n, "/dev/\(name)"))
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The sysfs directory of a watchdog device (`/sys/class/watchdog/watchdog0` for `/dev/watchdog` and
    /// `/dev/watchdog0`), where its timeout and state can be read without opening it (opening arms it).
    public static func watchdogSysfs(_ device: String) -> String? {
        let name = device.split(separator: "/").last.map(String.init) ?? device
        let dir = "/sys/class/watchdog/\(name == "watchdog" ? "watchdog0" : name)"
        return writableDirectory(dir).exists ? dir : nil
    }

    /// Every process id in /proc.
    private static func processIDs() -> [Int32] {
        (directoryEntries("/proc") ?? []).compactMap { Int32($0) }.sorted()
    }
}

/// A GPIO chip as `diag` reports it.
public struct GPIOChipInfo: Equatable, Sendable {
    /// The device file (`/dev/gpiochip0`), the chip's label (`pinctrl-bcm2711`) and its number of lines.
    public var path: String
    public var label: String
    public var lines: Int

    /// The chip at `path`, or the error opening it (`not-found`, `permission-denied`).
    public static func read(_ path: String) throws(HardwareError) -> GPIOChipInfo {
        var label = [CChar](repeating: 0, count: 64)
        var message = [CChar](repeating: 0, count: 256)
        var lines: UInt32 = 0
        let code = cg_chip_info(path, &label, label.count, &lines, &message, message.count)
        guard code == 0 else { throw GPIODLineBank.error(-code, path, cString(message)) }
        return GPIOChipInfo(path: path, label: cString(label), lines: Int(lines))
    }
}

/// Where a board's line is, and who holds it now.
public struct GPIOLineHolder: Equatable, Sendable {
    /// The chip's device file and the line's offset on it.
    public var chip: String
    public var offset: UInt32
    /// The holder's consumer name, nil when the line is free ("" when it is held by a holder with no name).
    public var consumer: String?

    /// Finds `spec`'s line and asks the kernel who holds it, without requesting it.
    public static func find(_ spec: GPIOLineSpec) throws(HardwareError) -> GPIOLineHolder {
        var path = [CChar](repeating: 0, count: 256)
        var message = [CChar](repeating: 0, count: 256)
        var offset: UInt32 = 0
        let found = cg_find_line(spec.chip, spec.name, Int32(spec.offset ?? -1), &path, path.count, &offset, &message, message.count)
        guard found == 0 else { throw GPIODLineBank.error(-found, "\(spec.role): line \(spec.address)", cString(message)) }
        var consumer = [CChar](repeating: 0, count: 64)
        let used = cg_line_consumer(path, offset, &consumer, consumer.count, &message, message.count)
        guard used >= 0 else { throw GPIODLineBank.error(-used, "\(spec.role): line \(spec.address)", cString(message)) }
        return GPIOLineHolder(chip: cString(path), offset: offset, consumer: used == 1 ? cString(consumer) : nil)
    }
}
