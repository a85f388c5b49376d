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

    /// Checks that `path` is a directory this process can write: a missing state directory must stop the
    /// start, not turn every later write into a silent failure.
    public static func checkDirectory(_ path: String) throws(HardwareError) {
        var info = stat()
        if stat(path, &info) != 0 { throw error(errno, "state directory \(path)") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw HardwareError(.notFound, "state directory \(path) is not a directory") }
        if access(path, W_OK | X_OK) != 0 { throw error(errno, "state directory \(path) is not writable") }
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
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                throw FileRecord.error(e, "cannot write \(temporary)")
            }
            written += n
        }
        if fsync(fd) != 0 {
            let e = errno
            close(fd)
            throw FileRecord.error(e, "cannot fsync \(temporary)")
        }
        close(fd)
        if rename(temporary, location) != 0 { throw FileRecord.error(errno, "cannot rename \(temporary) to \(location)") }
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir < 0 { throw FileRecord.error(errno, "cannot open the state directory \(directory)") }
        defer { close(dir) }
        if fsync(dir) != 0 { throw FileRecord.error(errno, "cannot fsync the state directory \(directory)") }
    }

    static func error(_ code: Int32, _ what: String) -> HardwareError {
        let kind: HardwareErrorKind = switch code {
        case ENOENT, ENOTDIR: .notFound
        case EACCES, EPERM, EROFS: .permissionDenied
        default: .other
        }
        return HardwareError(kind, "\(what): \(String(cString: strerror(code)))", errno: code)
    }
}
