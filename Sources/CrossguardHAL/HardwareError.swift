/// The portable kind of a hardware fault (after embedded-hal's `ErrorKind`), so generic code can react
/// without knowing which backend failed.
public enum HardwareErrorKind: String, Sendable, Equatable {
    /// The bus or line misbehaved (I/O error, short, lost arbitration that did not recover).
    case busFault = "bus-fault"
    /// No device acknowledged its address (I2C NACK).
    case noAcknowledge = "no-acknowledge"
    /// Another master won the bus.
    case arbitrationLoss = "arbitration-loss"
    /// The operation did not finish in time.
    case timeout
    /// The device, chip or line does not exist.
    case notFound = "not-found"
    /// Another consumer or a kernel driver holds it.
    case busy
    /// The process lacks the rights (group `gpio`/`i2c`, udev rules).
    case permissionDenied = "permission-denied"
    /// The storage is full (a state directory on a full disk).
    case noSpace = "no-space"
    /// The storage takes no writes (a file system remounted read-only after errors).
    case readOnly = "read-only"
    /// Anything else; `detail` and `errno` say more.
    case other
}

/// A hardware fault as a value: its kind, a sentence for the operator, and the raw errno when the
/// kernel gave one (kept for diagnostics, never interpreted outside the Linux backend).
public struct HardwareError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: HardwareErrorKind
    public var detail: String
    public var errno: Int32?

    /// An error of a kind with an operator-readable detail.
    public init(_ kind: HardwareErrorKind, _ detail: String, errno: Int32? = nil) {
        self.kind = kind
        self.detail = detail
        self.errno = errno
    }

    public var description: String {
        "\(kind.rawValue): \(detail)" + (errno.map { " (errno \($0))" } ?? "")
    }
}
