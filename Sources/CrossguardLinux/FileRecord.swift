import CrossguardHAL
import Glibc

/// A `DurableRecord` in one file of the state directory, replaced the way crash-safe files are on
/// Linux: write a temporary file beside it, fsync it, rename it over the old one, fsync the directory
/// (without the last step the rename itself may be lost in a power cut).
public final class FileRecord: DurableRecord {
    public let location: String
    private let directory: String
    /// Larger files are refused on read: the record is small, and a huge one is not ours.
    private let maximumBytes: Int

    /// The record `name` in `directory`, which must exist (systemd's `StateDirectory=` makes it).
    public init(directory: String, name: String, maximumBytes: Int = 4_096) {
        self.directory = directory
        self.location = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        self.maximumBytes = maximumBytes
    }

    /// Checks that `path` is a directory (and, with `writable`, one this process can write): a missing state
    /// directory is a mistake that must stop the start. The daemon passes `writable: false`, since a state
    /// directory that is full or read-only is a fault it rides through (events held in memory), not a reason
    /// to leave the crossing dark.
    public static func checkDirectory(_ path: String, writable: Bool = true) throws(HardwareError) {
        var info = stat()
        if stat(path, &info) != 0 { throw error(errno, "state directory \(path)") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw HardwareError(.notFound, "state directory \(path) is not a directory") }
        if access(path, (writable ? W_OK : 0) | X_OK) != 0 { throw error(errno, "state directory \(path) is not \(writable ? "writable" : "searchable")") }
    }

    public func read() throws(HardwareError) -> [UInt8]? {
        let fd = open(location, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT { return nil }
            throw FileRecord.error(e, "cannot open \(location)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileRecord.error(errno, "cannot read \(location)")
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > maximumBytes {
                throw HardwareError(.other, "\(location) is larger than \(maximumBytes) bytes; it is not a record this program wrote")
            }
        }
        return bytes
    }

    public func write(_ bytes: [UInt8]) throws(HardwareError) {
        let temporary = location + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileRecord.error(errno, "cannot create \(temporary)") }
        // A write that fails (a full disk) leaves no temporary file behind.
        func failed(_ code: Int32, _ what: String) -> HardwareError {
            close(fd)
            unlink(temporary)
            return FileRecord.error(code, what)
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failed(errno, "cannot write \(temporary)")
            }
            written += n
        }
        if fsync(fd) != 0 { throw failed(errno, "cannot fsync \(temporary)") }
        close(fd)
        if rename(temporary, location) != 0 {
            let e = errno
            unlink(temporary)
            throw FileRecord.error(e, "cannot rename \(temporary) to \(location)")
        }
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir < 0 { throw FileRecord.error(errno, "cannot open the state directory \(directory)") }
        defer { close(dir) }
        if fsync(dir) != 0 { throw FileRecord.error(errno, "cannot fsync the state directory \(directory)") }
    }

    static func error(_ code: Int32, _ what: String) -> HardwareError {
        let kind: HardwareErrorKind = switch code {
        case ENOENT, ENOTDIR: .notFound
        case EACCES, EPERM: .permissionDenied
        case EROFS: .readOnly
        case ENOSPC, EDQUOT: .noSpace
        case EIO: .busFault
        default: .other
        }
        return HardwareError(kind, "\(what): \(String(cString: strerror(code)))", errno: code)
    }
}
