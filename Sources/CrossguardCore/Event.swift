/// How urgently the operations centre must see an event (`docs/uplink.md`, Severity).
public enum Severity: UInt8, Sendable, Comparable {
    case info, normal, high, critical

    /// The payload name.
    public var name: String {
        switch self {
        case .info: "info"
        case .normal: "normal"
        case .high: "high"
        case .critical: "critical"
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
}

/// Whether a condition event starts or ends the condition (RSMP-style raise and clear).
public enum ConditionState: UInt8, Sendable {
    case raised, cleared

    /// The payload name.
    public var name: String { self == .raised ? "raised" : "cleared" }
}

/// What kind of storage failure keeps the outbox from journaling (`storage.fault`, and `storage` in the status).
public enum StorageFaultKind: UInt8, Sendable, CaseIterable {
    /// The state directory's file system is full.
    case noSpace
    /// It takes no writes (remounted read-only after errors).
    case readOnly
    /// The process may not write there.
    case permissionDenied
    /// The storage reports I/O errors (a worn SD card).
    case ioError
    /// Anything else; the device's log says what.
    case other

    /// The payload name.
    public var name: String {
        switch self {
        case .noSpace: "no-space"
        case .readOnly: "read-only"
        case .permissionDenied: "permission-denied"
        case .ioError: "io-error"
        case .other: "other"
        }
    }
}

/// What happened, named in the past tense or after the condition it raises and clears.
public enum EventType: UInt8, Sendable, CaseIterable {
    /// The controller started (after power-up or restart).
    case controllerStarted
    /// A pedestrian demand was registered (button or kerbside presence).
    case demandPlaced
    /// A kerb-only demand was withdrawn because the pedestrian left before service.
    case demandCancelled
    /// A demand got its walk; `waitTicks` says how long it waited.
    case demandServed
    /// The operating mode changed (normal, flash, dark).
    case modeChanged
    /// Condition: the on-crossing detector did not trigger since the last crossing; the clearance runs at its maximum.
    case detectorSuspect
    /// Condition: an SOS alarm is open (raised on press, cleared when the centre closes it).
    case sosAlarm
    /// A further press on a post whose alarm is already open (joins the alarm, raises nothing new).
    case sosPressed
    /// The centre acknowledged the alarm: help is coming.
    case sosAcknowledged
    /// Condition: the alarm was not acknowledged in time.
    case sosUnanswered
    /// Condition: the SOS button is held beyond the stuck limit.
    case sosButtonStuck
    /// Condition: the cabinet door or housing is open.
    case tamper
    /// Condition: mains power is lost.
    case mainsLost
    /// Condition: the backup battery is low.
    case batteryLow
    /// The periodic self-test report.
    case selfTest
    /// Condition: the safety monitor latched the fail-safe display (raised with the rule and the outputs
    /// involved; cleared by `fault.reset`).
    case failSafe
    /// Condition: a lamp reads differently from its command (role: its `lamp.<output>` sense input). For the
    /// vehicle red it inhibits the walk; for signal lamps it comes with the fail-safe.
    case lampFailure
    /// Condition: a beacon crossing is active (raised by `role`; cleared when it ends, `waitTicks` = how long).
    case beaconActivation
    /// Condition: a kerb detector held active beyond its limit is ignored until it clears.
    case detectorStuck
    /// Condition: no presence detector has been active for the configured time.
    case detectorIdle
    /// The answer to `lamp.test`: `count` lamps checked, `outputs` those that read wrong.
    case lampTest
    /// The uplink's outbox was full and dropped the oldest events: `count` info, `extra` normal.
    case outboxDropped
    /// An I2C sensor stopped answering (raised) or answers again (cleared); `role` is what it plays.
    case detectorFault
    /// The outbox journal held damaged bytes (`count` of them), skipped; `seqs` the events lost with them,
    /// when the valid records around the damage tell.
    case outboxDamaged
    /// Condition: the outbox journal cannot be written (`storage` says why); events are held in memory and
    /// still sent. Cleared when the journal takes writes again and holds what memory held.
    case storageFault
    /// Commands the uplink refused unread because they were over the size limit: `count` of them since the
    /// last report, the largest `extra` bytes.
    case uplinkRejected

    /// The `type` field of the event payload.
    public var name: String {
        switch self {
        case .controllerStarted: "controller.started"
        case .demandPlaced: "demand.placed"
        case .demandCancelled: "demand.cancelled"
        case .demandServed: "demand.served"
        case .modeChanged: "mode.changed"
        case .detectorSuspect: "detector.suspect"
        case .sosAlarm: "sos.alarm"
        case .sosPressed: "sos.pressed"
        case .sosAcknowledged: "sos.acknowledged"
        case .sosUnanswered: "sos.unanswered"
        case .sosButtonStuck: "sos.button_stuck"
        case .tamper: "tamper"
        case .mainsLost: "mains.lost"
        case .batteryLow: "battery.low"
        case .selfTest: "selftest"
        case .failSafe: "safety.failsafe"
        case .lampFailure: "lamp.failure"
        case .beaconActivation: "beacon.active"
        case .detectorStuck: "detector.stuck"
        case .detectorIdle: "detector.idle"
        case .lampTest: "lamp.test"
        case .outboxDropped: "outbox.dropped"
        case .detectorFault: "detector.fault"
        case .outboxDamaged: "outbox.damaged"
        case .storageFault: "storage.fault"
        case .uplinkRejected: "uplink.rejected"
        }
    }

    /// Fixed severity per type, so the centre can route without parsing details.
    public var severity: Severity {
        switch self {
        case .sosAlarm, .failSafe, .storageFault: .critical
        case .sosUnanswered, .sosButtonStuck, .tamper, .mainsLost, .sosAcknowledged, .lampFailure, .outboxDropped, .detectorFault,
             .outboxDamaged, .uplinkRejected: .high
        case .batteryLow, .detectorSuspect, .modeChanged, .controllerStarted, .detectorStuck, .detectorIdle, .lampTest: .normal
        case .demandPlaced, .demandCancelled, .demandServed, .sosPressed, .selfTest, .beaconActivation: .info
        }
    }
}

/// One event as the core produces it: a plain value, no strings, so emitting it allocates nothing.
/// The uplink adds device id and wall-clock time; `seq` is monotonic per device.
public struct Event: Equatable, Sendable {
    /// Monotonic per device; the runtime persists the next value across restarts.
    public var seq: UInt64
    /// The tick at which it happened.
    public var tick: UInt64
    public var type: EventType
    /// For conditions: raised or cleared; nil for one-off events.
    public var state: ConditionState?
    /// The SOS alarm it belongs to, 0 when none.
    public var alarmID: UInt32
    /// The input that caused it (`ped.button`, `ped.kerb`, `cabinet.door`…), if any.
    public var role: InputRole?
    /// For `demandServed`: ticks from demand to walk.
    public var waitTicks: UInt32
    /// For `modeChanged`: the new mode.
    public var mode: OperatingMode?
    /// For `sosPressed`: presses joined to the alarm so far; for `selfTest`: open conditions.
    public var count: UInt32
    /// A second count: for `outboxDropped`, the `normal` events dropped.
    public var extra: UInt32
    /// For `failSafe`: the rule that tripped.
    public var rule: SafetyRule?
    /// For `failSafe`: the outputs involved.
    public var outputs: OutputSet
    /// For `outboxDropped`: the lowest and highest `seq` dropped; for `outboxDamaged`, those lost; for
    /// `controllerStarted`, those the previous run reserved and may have used, skipped by this run.
    public var seqs: ClosedRange<UInt64>?
    /// For `storageFault` raised: what failed.
    public var storage: StorageFaultKind?

    /// An event of this type at this tick; the sequence number is filled in when it is emitted.
    public init(_ type: EventType, tick: UInt64, state: ConditionState? = nil, alarmID: UInt32 = 0,
                role: InputRole? = nil, waitTicks: UInt32 = 0, mode: OperatingMode? = nil, count: UInt32 = 0,
                extra: UInt32 = 0, rule: SafetyRule? = nil, outputs: OutputSet = OutputSet(), seqs: ClosedRange<UInt64>? = nil,
                storage: StorageFaultKind? = nil) {
        self.seq = 0
        self.tick = tick
        self.type = type
        self.state = state
        self.alarmID = alarmID
        self.role = role
        self.waitTicks = waitTicks
        self.mode = mode
        self.count = count
        self.extra = extra
        self.rule = rule
        self.outputs = outputs
        self.seqs = seqs
        self.storage = storage
    }

    /// The severity of its type.
    public var severity: Severity { type.severity }
}

/// The events of one tick, in a buffer reserved up front so the tick path never allocates.
public struct EventBuffer: Sendable {
    /// Events emitted since the last `removeAll()`.
    public private(set) var events: [Event]
    /// The sequence number the next event gets.
    public private(set) var nextSeq: UInt64

    /// A buffer that holds `capacity` events per tick without growing, numbering from `firstSeq`.
    public init(capacity: Int = 64, firstSeq: UInt64 = 1) {
        events = []
        events.reserveCapacity(capacity)
        nextSeq = firstSeq
    }

    /// Numbers and appends an event.
    @inline(__always) public mutating func emit(_ event: Event) {
        var e = event
        e.seq = nextSeq
        nextSeq &+= 1
        events.append(e)
    }

    /// Empties the buffer, keeping its storage.
    @inline(__always) public mutating func removeAll() { events.removeAll(keepingCapacity: true) }
}
