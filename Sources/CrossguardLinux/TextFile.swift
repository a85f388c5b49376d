import CrossguardHAL
import Glibc

/// A file written as text, whole writes at a time, with no buffering of its own: bench's trace and
/// timeline, standard output and standard error. A write that fails is dropped: these are reports for a
/// person, never the journal (the outbox and the latch have their own durable files).
public final class TextFile: @unchecked Sendable {
    private let fd: Int32
    private let owned: Bool

    /// Standard output (file descriptor 1).
    public static let standardOutput = TextFile(fd: 1)
    /// Standard error (file descriptor 2).
    public static let standardError = TextFile(fd: 2)

    private init(fd: Int32) {
        self.fd = fd
        owned = false
    }

    /// Creates or empties the file at `path` (mode 0644 before the umask).
    public init(creating path: String) throws(HardwareError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw HardwareError(code == EACCES ? .permissionDenied : code == ENOENT ? .notFound : .other,
                                "\(path): \(String(cString: strerror(code)))", errno: code)
        }
        self.fd = fd
        owned = true
    }

    deinit { if owned { close(fd) } }

    /// Writes all of `text` (retrying short writes and interruptions).
    public func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Whether a file (or directory) exists at `path`.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
