/// The numbered, append-only files of one journal (the uplink's outbox). Calls block on storage, so
/// only the uplink's own thread makes them, never the tick thread.
public protocol SegmentStore: AnyObject {
    /// Where the segments live, for messages.
    var location: String { get }
    /// The numbers of the segments that exist, in rising order.
    func segments() throws(HardwareError) -> [UInt64]
    /// A segment's whole content.
    func read(_ segment: UInt64) throws(HardwareError) -> [UInt8]
    /// `count` bytes of a segment from `offset` (a record being re-sent).
    func read(_ segment: UInt64, offset: Int, count: Int) throws(HardwareError) -> [UInt8]
    /// Appends to a segment, creating it when new. Not durable until `sync`.
    func append(_ bytes: [UInt8], to segment: UInt64) throws(HardwareError)
    /// Makes everything appended to the segment so far survive a power cut.
    func sync(_ segment: UInt64) throws(HardwareError)
    /// Cuts a segment to its first `length` bytes (a torn tail after a crash), durably.
    func truncate(_ segment: UInt64, to length: Int) throws(HardwareError)
    /// Replaces a segment's content atomically and durably (after a crash: the old bytes or the new ones).
    func replace(_ segment: UInt64, with bytes: [UInt8]) throws(HardwareError)
    /// Deletes a segment, durably.
    func remove(_ segment: UInt64) throws(HardwareError)
}
