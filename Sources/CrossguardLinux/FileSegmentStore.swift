import CrossguardHAL
import Glibc

/// The outbox journal's segments as files `outbox-<number>.seg` in the state directory. One descriptor
/// stays open for the segment being appended to; every creation, rename and removal is followed by an
/// fsync of the directory, without which a power cut may forget it.
public final class FileSegmentStore: SegmentStore {
    public let location: String
    private var open: (segment: UInt64, fd: Int32)?

    /// The segments in `directory`, which must exist (`FileRecord.checkDirectory`).
    public init(directory: String) {
        location = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    deinit { if let open { close(open.fd) } }

    private func path(_ segment: UInt64) -> String {
        let digits = String(segment)
        return location + "/outbox-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".seg"
    }

    public func segments() throws(HardwareError) -> [UInt64] {
        guard let names = directoryEntries(location) else { throw FileRecord.error(errno, "cannot list \(location)") }
        var numbers: [UInt64] = []
        for name in names {
            guard name.hasPrefix("outbox-"), name.hasSuffix(".seg") else { continue }
            if let n = UInt64(name.dropFirst(7).dropLast(4)) { numbers.append(n) }
        }
        return numbers.sorted()
    }

    public func read(_ segment: UInt64) throws(HardwareError) -> [UInt8] {
        let fd = try openRead(segment)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileRecord.error(errno, "cannot stat \(path(segment))") }
        return try readFully(fd, segment: segment, offset: 0, count: Int(info.st_size))
    }

    public func read(_ segment: UInt64, offset: Int, count: Int) throws(HardwareError) -> [UInt8] {
        if let open, open.segment == segment { return try readFully(open.fd, segment: segment, offset: offset, count: count) }
        let fd = try openRead(segment)
        defer { close(fd) }
        return try readFully(fd, segment: segment, offset: offset, count: count)
    }

    public func append(_ bytes: [UInt8], to segment: UInt64) throws(HardwareError) {
        let fd = try appendDescriptor(segment)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileRecord.error(errno, "cannot append to \(path(segment))")
            }
            written += n
        }
    }

    public func sync(_ segment: UInt64) throws(HardwareError) {
        let fd = try appendDescriptor(segment)
        if fdatasync(fd) != 0 { throw FileRecord.error(errno, "cannot fsync \(path(segment))") }
    }

    public func truncate(_ segment: UInt64, to length: Int) throws(HardwareError) {
        let fd = try appendDescriptor(segment)
        if ftruncate(fd, off_t(length)) != 0 { throw FileRecord.error(errno, "cannot truncate \(path(segment))") }
        if fsync(fd) != 0 { throw FileRecord.error(errno, "cannot fsync \(path(segment))") }
    }

    public func replace(_ segment: UInt64, with bytes: [UInt8]) throws(HardwareError) {
        closeOpen(segment)
        let name = path(segment)
        try FileRecord(directory: location, name: String(name.dropFirst(location.count + 1)), maximumBytes: Int.max).write(bytes)
    }

    public func remove(_ segment: UInt64) throws(HardwareError) {
        closeOpen(segment)
        if unlink(path(segment)) != 0 && errno != ENOENT { throw FileRecord.error(errno, "cannot remove \(path(segment))") }
        try syncDirectory()
    }

    private func closeOpen(_ segment: UInt64) {
        if let open, open.segment == segment {
            close(open.fd)
            self.open = nil
        }
    }

    private func openRead(_ segment: UInt64) throws(HardwareError) -> Int32 {
        let fd = Glibc.open(path(segment), O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileRecord.error(errno, "cannot open \(path(segment))") }
        return fd
    }

    /// The descriptor of the segment being appended to; a new segment's directory entry is made durable at once.
    private func appendDescriptor(_ segment: UInt64) throws(HardwareError) -> Int32 {
        if let open, open.segment == segment { return open.fd }
        if let open { close(open.fd) }
        open = nil
        var info = stat()
        let existed = stat(path(segment), &info) == 0
        let fd = Glibc.open(path(segment), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileRecord.error(errno, "cannot open \(path(segment))") }
        open = (segment, fd)
        if !existed { try syncDirectory() }
        return fd
    }

    private func readFully(_ fd: Int32, segment: UInt64, offset: Int, count: Int) throws(HardwareError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileRecord.error(errno, "cannot read \(path(segment))")
            }
            if n == 0 { throw HardwareError(.other, "\(path(segment)) ends at \(offset + done) bytes, before the \(count) bytes at offset \(offset)") }
            done += n
        }
        return bytes
    }

    private func syncDirectory() throws(HardwareError) {
        let dir = Glibc.open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir < 0 { throw FileRecord.error(errno, "cannot open the state directory \(location)") }
        defer { close(dir) }
        if fsync(dir) != 0 { throw FileRecord.error(errno, "cannot fsync the state directory \(location)") }
    }
}
