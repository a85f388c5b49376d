/// What the outbox holds, read without changing anything: for `diag`, while the daemon may be stopped or
/// running. Records above the cursor's acknowledged number are the ones the centre has not had yet.
public struct OutboxSurvey: Equatable, Sendable {
    /// Records not yet acknowledged by the broker.
    public var unsent = 0
    /// Bytes in the journal's segments, whole and damaged.
    public var bytes = 0
    /// The `time` of the oldest unsent event (Unix ms), nil when none is waiting or its time cannot be read.
    public var oldestUnsentUnixMs: Int64?
    /// Damaged spans found, each with its segment, except a torn tail of the newest segment, which is what
    /// a power cut during a write leaves and the next start cuts away.
    public var damage: [Damaged] = []
    /// Whether a torn tail was found in the newest segment.
    public var tornTail = false

    /// Surveys segments (number, bytes; in rising order) against the cursor (nil when there is none).
    public init(segments: [(number: UInt64, bytes: [UInt8])], cursor: OutboxCursor?) {
        let acked = cursor?.acked ?? 0
        for (index, segment) in segments.enumerated() {
            bytes += segment.bytes.count
            let scan = JournalScan.scan(segment.bytes)
            for record in scan.records where record.seq > acked {
                unsent += 1
                if oldestUnsentUnixMs == nil { oldestUnsentUnixMs = Self.time(of: record) }
            }
            for d in scan.damage {
                if index == segments.count - 1 && d.isTail(of: segment.bytes.count) {
                    tornTail = true
                } else {
                    damage.append(Damaged(segment: segment.number, span: d))
                }
            }
        }
    }

    /// The event's `time` field (RFC 3339), as Unix ms.
    private static func time(of record: OutboxRecord) -> Int64? {
        guard case .success(let object) = JSONText.parseObject(record.payload, maximumBytes: OutboxRecord.maximumPayload),
              case .string(let text)? = object["time"] else { return nil }
        return RFC3339.parse(text)
    }

    /// A damaged span and the segment it is in.
    public struct Damaged: Equatable, Sendable {
        /// The segment's number.
        public var segment: UInt64
        /// Where in it, how long, and why it is not a record.
        public var span: JournalScan.Damage
    }
}
