import CrossguardHAL
import Glibc

/// A doorbell between the tick thread and the uplink's event loop: a pipe whose write end the tick rings
/// with one byte (never waiting: a full pipe has woken the loop already) and whose read end the loop
/// watches. The kernel's pipe is the one way to wake an event loop from a real-time thread without a lock.
public final class Doorbell: @unchecked Sendable {
    /// The read end, for the event loop to take ownership of (it closes it).
    public let readFD: Int32
    private let writeFD: Int32

    /// A new pipe, both ends close-on-exec, the write end non-blocking.
    public init() throws(HardwareError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw HardwareError(.other, "doorbell: pipe: \(String(cString: strerror(errno)))", errno: errno) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)  // the tick never waits on a full pipe
        readFD = fds[0]
        writeFD = fds[1]
    }

    /// Wakes the loop: one byte, from any thread; no allocation, no blocking.
    @inline(__always) public func ring() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)  // EAGAIN on a full pipe: the loop has been woken already
    }

    /// Closes the write end (the read end is the loop's). Call once, after nobody rings any more.
    public func closeWriteEnd() { close(writeFD) }

    /// Closes both ends, for a doorbell the loop never took.
    public func closeBoth() {
        close(readFD)
        close(writeFD)
    }
}
