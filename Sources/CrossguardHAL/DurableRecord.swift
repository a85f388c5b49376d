/// A small record that must survive a crash or a power cut (the latched fail-safe; later the outbox
/// cursor), replaced as a whole: after any failure it holds the old bytes or the new ones, never a mix.
/// Calls block on storage, so the tick thread never makes them; the runtime hands them to a writer.
public protocol DurableRecord: AnyObject, Sendable {
    /// Where the record lives, for messages (`/var/lib/crossguard/latch`).
    var location: String { get }
    /// The stored bytes, nil when the record was never written.
    func read() throws(HardwareError) -> [UInt8]?
    /// Replaces the record atomically and durably: when this returns, a power cut keeps the new bytes.
    func write(_ bytes: [UInt8]) throws(HardwareError)
}
