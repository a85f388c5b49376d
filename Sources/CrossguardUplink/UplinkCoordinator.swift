import CrossguardCore

/// The uplink's decisions that are not MQTT's: when the retained status goes out, which reply answers which
/// command, which ids replies travel under, when oversized commands are reported, and how much of the
/// outbox the in-flight window takes. Pure, like `MQTTSession`: the service hands it what happened and the
/// time in milliseconds of any monotonic clock, and does what it answers, so every rule is tested with a
/// virtual clock and no network.
public struct UplinkCoordinator: Sendable {
    /// A reply to the centre's command, ready for `UplinkPayload.commandResult`.
    public struct Reply: Equatable, Sendable {
        public var id: String
        public var type: String
        /// Why it was refused, nil when it was carried out.
        public var error: String?
        /// The command's result object (`lamp.test`'s lamps), nil when it has none.
        public var result: String?

        /// A reply to command `id` of `type`.
        public init(id: String, type: String, error: String?, result: String?) {
            self.id = id
            self.type = type
            self.error = error
            self.result = result
        }
    }

    /// Status: sent when its signal changes, at most once a second, and at least once a minute.
    public static let statusAtMostEveryMs: UInt64 = 1_000
    public static let statusAtLeastEveryMs: UInt64 = 60_000
    /// Oversized commands are reported at most once a second, all since the last report in one event.
    public static let rejectionsAtMostEveryMs: UInt64 = 1_000
    /// Replies travel under ids from 2^63 up: the outbox's event `seq`s never reach them, so a delivered id
    /// says whether it was a journaled event or a reply.
    public static let firstReplyID: UInt64 = 1 << 63

    private var lastStatus: StatusReport?
    private var lastStorage: StorageStatus?
    private var lastStatusMs: UInt64?
    private var pending: [UInt32: (id: String, type: String)] = [:]
    private var nextToken: UInt32 = 1
    private var nextReply: UInt64 = UplinkCoordinator.firstReplyID
    private var lampTestResult: String?
    private var rejected: (count: Int, largest: Int) = (0, 0)
    private var lastRejectionReportMs: UInt64?

    /// Nothing sent, nothing pending.
    public init() {}

    // MARK: Status

    /// Whether the status goes out now: its signal (or the storage) changed and a second has passed since
    /// the last one, or a minute has. When it says yes, it counts as sent.
    public mutating func statusDue(_ status: StatusReport, storage: StorageStatus, nowMs: UInt64) -> Bool {
        let changed = lastStatus.map { !$0.sameSignal(as: status) } ?? true || storage != lastStorage
        if let last = lastStatusMs {
            guard (changed && nowMs >= last + UplinkCoordinator.statusAtMostEveryMs) || nowMs >= last + UplinkCoordinator.statusAtLeastEveryMs else { return false }
        }
        lastStatus = status
        lastStorage = storage
        lastStatusMs = nowMs
        return true
    }

    // MARK: Commands

    /// Tracks a command handed to the core; returns the token its outcome will come back with. Tokens
    /// wrap around past `UInt32.max` and never are 0.
    public mutating func track(id: String, type: String) -> UInt32 {
        let token = nextToken
        nextToken = nextToken == UInt32.max ? 1 : nextToken + 1
        pending[token] = (id, type)
        return token
    }

    /// The core never took the command (its mailbox was full): the refusal to send.
    public mutating func notTaken(_ token: UInt32) -> Reply? {
        guard let command = pending.removeValue(forKey: token) else { return nil }
        return Reply(id: command.id, type: command.type, error: "the device is busy: its command queue is full; send again", result: nil)
    }

    /// Commands handed to the core whose outcome has not come back.
    public var commandsInCore: Int { pending.count }

    /// An event from the core: `lamp.test`'s answer comes as its event, in the tick of the command's outcome.
    public mutating func saw(_ event: Event) {
        if case .lampTest(let checked, let failed) = event.detail {
            lampTestResult = "{\"lamps_checked\":\(checked),\"failed\":\(failed.jsonNames)}"
        }
    }

    /// A command's outcome from the core: the reply, or nil for a token it does not know (answered already).
    public mutating func outcome(_ token: UInt32, _ outcome: CommandOutcome) -> Reply? {
        guard let command = pending.removeValue(forKey: token) else { return nil }
        let error: String? = if case .refused(let why) = outcome { why.description } else { nil }
        var result: String?
        if command.type == "lamp.test" {
            result = error == nil ? lampTestResult : nil
            lampTestResult = nil
        }
        return Reply(id: command.id, type: command.type, error: error, result: result)
    }

    /// The id the next reply travels under.
    public mutating func replyID() -> UInt64 {
        nextReply += 1
        return nextReply
    }

    /// Whether a delivered id was a reply (not journaled) rather than an event of the outbox.
    public static func isReply(_ id: UInt64) -> Bool { id >= firstReplyID }

    // MARK: Oversized commands

    /// A command over the size limit was refused unread.
    public mutating func rejected(bytes: Int) {
        rejected.count += 1
        rejected.largest = max(rejected.largest, bytes)
    }

    /// The `uplink.rejected` report due now, for every oversized command since the last, at most one a second.
    public mutating func rejectionReport(nowMs: UInt64) -> UplinkReport? {
        guard rejected.count > 0, lastRejectionReportMs.map({ nowMs >= $0 + UplinkCoordinator.rejectionsAtMostEveryMs }) ?? true else { return nil }
        defer {
            rejected = (0, 0)
            lastRejectionReportMs = nowMs
        }
        return .uplinkRejected(count: UInt32(clamping: rejected.count), largestBytes: UInt32(clamping: rejected.largest))
    }

    // MARK: The in-flight window

    /// How many outbox records to hand the session now: what the window has room for, of what is there.
    public static func refill(inFlight: Int, window: Int, waiting: Int) -> Int { max(0, min(window - inFlight, waiting)) }
}
