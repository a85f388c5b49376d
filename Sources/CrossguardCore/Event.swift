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
    /// A demand got its walk, and how long it waited.
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
    /// Condition: a beacon crossing is active (raised by the input that began it; cleared when it ends, with how long).
    case beaconActivation
    /// Condition: a kerb detector held active beyond its limit is ignored until it clears.
    case detectorStuck
    /// Condition: no presence detector has been active for the configured time.
    case detectorIdle
    /// The answer to `lamp.test`: the lamps checked, and those that read wrong.
    case lampTest
    /// The uplink's outbox was full and dropped the oldest `info` and `normal` events.
    case outboxDropped
    /// An I2C sensor stopped answering (raised) or answers again (cleared), named by the role it plays.
    case detectorFault
    /// The outbox journal held damaged bytes, skipped, and the events lost with them
    /// when the valid records around the damage tell.
    case outboxDamaged
    /// Condition: the outbox journal cannot be written (the kind says why); events are held in memory and
    /// still sent. Cleared when the journal takes writes again and holds what memory held.
    case storageFault
    /// Commands the uplink refused unread because they were over the size limit: how many since the last
    /// report, and the largest.
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

/// Whether a beacon activation begins or ends: what began it, or how long it ran.
public enum BeaconActivation: Equatable, Sendable {
    /// The crossing became active, by this input (`ped.button`, `ped.kerb`).
    case began(by: InputRole)
    /// It ended, after this long active.
    case ended(after: Ticks)
}

/// What an event says, one case per event type with exactly the values that type carries, so no field
/// means one thing for one type and another for the next, and a writer that forgets a type does not compile.
public enum EventDetail: Equatable, Sendable {
    /// The controller started; `skipped` the sequence numbers the previous run reserved and may have
    /// used, skipped by this run.
    case controllerStarted(skipped: ClosedRange<UInt64>?)
    /// A pedestrian demand was registered, by the button or kerbside presence.
    case demandPlaced(by: InputRole)
    /// A demand was withdrawn: the pedestrian left the kerb, or a red lamp failed before the walk.
    case demandCancelled(by: InputRole)
    /// A demand got its walk, after waiting `wait`.
    case demandServed(by: InputRole, wait: Ticks)
    /// The operating mode changed.
    case modeChanged(to: OperatingMode)
    /// The on-crossing detector did not trigger since the last crossing.
    case detectorSuspect(ConditionState)
    /// An SOS alarm opened at a press, or the centre closed it; `presses` joined it so far.
    case sosAlarm(ConditionState, alarm: UInt32, presses: UInt32)
    /// A further press joined the open alarm, its `presses`-th.
    case sosPressed(alarm: UInt32, presses: UInt32)
    /// The centre acknowledged the alarm.
    case sosAcknowledged(alarm: UInt32)
    /// The alarm was not acknowledged in time, or now is.
    case sosUnanswered(ConditionState, alarm: UInt32)
    /// The SOS button is held beyond the stuck limit; `alarm` the open one, 0 when none.
    case sosButtonStuck(ConditionState, alarm: UInt32)
    /// The cabinet door or housing is open.
    case tamper(ConditionState)
    /// Mains power is lost.
    case mainsLost(ConditionState)
    /// The backup battery is low.
    case batteryLow(ConditionState)
    /// The periodic self-test, with the conditions open now.
    case selfTest(openConditions: UInt32)
    /// The safety monitor latched the fail-safe for `rule`, or `fault.reset` cleared it.
    case failSafe(ConditionState, rule: SafetyRule, outputs: OutputSet)
    /// A lamp reads differently from its command; `lamp` is its `lamp.<output>` sense input.
    case lampFailure(ConditionState, lamp: InputRole)
    /// A beacon crossing became active, or the activation ended.
    case beaconActivation(BeaconActivation)
    /// The kerb detector is held active beyond its limit and ignored until it clears.
    case detectorStuck(ConditionState)
    /// No presence detector has been active for the configured time.
    case detectorIdle(ConditionState)
    /// The answer to `lamp.test`: how many lamps were checked, and those that read wrong.
    case lampTest(checked: UInt32, failed: OutputSet)
    /// The outbox was full and dropped `info` and `normal` events, every unsent one of their priority in `seqs`.
    case outboxDropped(info: UInt32, normal: UInt32, seqs: ClosedRange<UInt64>)
    /// An I2C sensor playing `sensor` stopped answering, or answers again.
    case detectorFault(ConditionState, sensor: InputRole)
    /// The journal held `bytes` damaged bytes, skipped; `lost` the events lost with them, when known.
    case outboxDamaged(bytes: UInt32, lost: ClosedRange<UInt64>?)
    /// The journal cannot be written, for this reason (raised), or takes writes again (nil: cleared).
    case storageFault(StorageFaultKind?)
    /// Commands refused unread for their size since the last report, and the largest of them.
    case uplinkRejected(commands: UInt32, largestBytes: UInt32)

    /// The event's type.
    public var type: EventType {
        switch self {
        case .controllerStarted: .controllerStarted
        case .demandPlaced: .demandPlaced
        case .demandCancelled: .demandCancelled
        case .demandServed: .demandServed
        case .modeChanged: .modeChanged
        case .detectorSuspect: .detectorSuspect
        case .sosAlarm: .sosAlarm
        case .sosPressed: .sosPressed
        case .sosAcknowledged: .sosAcknowledged
        case .sosUnanswered: .sosUnanswered
        case .sosButtonStuck: .sosButtonStuck
        case .tamper: .tamper
        case .mainsLost: .mainsLost
        case .batteryLow: .batteryLow
        case .selfTest: .selfTest
        case .failSafe: .failSafe
        case .lampFailure: .lampFailure
        case .beaconActivation: .beaconActivation
        case .detectorStuck: .detectorStuck
        case .detectorIdle: .detectorIdle
        case .lampTest: .lampTest
        case .outboxDropped: .outboxDropped
        case .detectorFault: .detectorFault
        case .outboxDamaged: .outboxDamaged
        case .storageFault: .storageFault
        case .uplinkRejected: .uplinkRejected
        }
    }

    /// Raised or cleared, for the types that are conditions; nil for one-off events.
    public var state: ConditionState? {
        switch self {
        case .detectorSuspect(let s), .sosAlarm(let s, _, _), .sosUnanswered(let s, _), .sosButtonStuck(let s, _), .tamper(let s),
             .mainsLost(let s), .batteryLow(let s), .failSafe(let s, _, _), .lampFailure(let s, _), .detectorStuck(let s),
             .detectorIdle(let s), .detectorFault(let s, _):
            s
        case .beaconActivation(.began): .raised
        case .beaconActivation(.ended): .cleared
        case .storageFault(let kind): kind == nil ? .cleared : .raised
        case .controllerStarted, .demandPlaced, .demandCancelled, .demandServed, .modeChanged, .sosPressed, .sosAcknowledged,
             .selfTest, .lampTest, .outboxDropped, .outboxDamaged, .uplinkRejected:
            nil
        }
    }

    /// The SOS alarm it belongs to, 0 when none.
    public var alarm: UInt32 {
        switch self {
        case .sosAlarm(_, let a, _), .sosPressed(let a, _), .sosAcknowledged(let a), .sosUnanswered(_, let a), .sosButtonStuck(_, let a): a
        default: 0
        }
    }

    /// The input that caused it or that it is about, if any.
    public var role: InputRole? {
        switch self {
        case .demandPlaced(let r), .demandCancelled(let r), .demandServed(let r, _), .lampFailure(_, let r), .detectorFault(_, let r),
             .beaconActivation(.began(let r)):
            r
        case .detectorSuspect: .pedCrossing
        case .sosAlarm(let s, _, _): s == .raised ? .sosButton : nil
        case .sosPressed, .sosButtonStuck: .sosButton
        case .tamper: .cabinetDoor
        case .mainsLost: .mainsOK
        case .batteryLow: .batteryLow
        case .detectorStuck: .pedKerb
        default: nil
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
    /// What happened, with the values of its type.
    public var detail: EventDetail

    /// An event at this tick; the sequence number is filled in when it is emitted.
    @inline(__always) public init(_ detail: EventDetail, tick: UInt64) {
        seq = 0
        self.tick = tick
        self.detail = detail
    }

    /// Its type.
    public var type: EventType { detail.type }
    /// For conditions: raised or cleared; nil for one-off events.
    public var state: ConditionState? { detail.state }
    /// The SOS alarm it belongs to, 0 when none.
    public var alarmID: UInt32 { detail.alarm }
    /// The input that caused it or that it is about, if any.
    public var role: InputRole? { detail.role }
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
