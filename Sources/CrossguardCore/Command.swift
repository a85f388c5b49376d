/// How the crossing runs: its normal cycle, flashing amber, or dark. The centre sets it with `mode.set`.
public enum OperatingMode: UInt8, Sendable, CaseIterable {
    case normal, flash, dark

    /// The payload name.
    public var name: String {
        switch self {
        case .normal: "normal"
        case .flash: "flash"
        case .dark: "dark"
        }
    }

    /// Looks a mode up by its payload name.
    public init?(name: String) {
        guard let m = OperatingMode.allCases.first(where: { $0.name == name }) else { return nil }
        self = m
    }
}

/// A command from the operations centre (or the local bench), already parsed. It enters the core as an
/// input of one tick, so the same rules decide what it may change.
public enum Command: Equatable, Sendable {
    /// `sos.ack`: help is coming. `alarmID` nil means the open alarm.
    case acknowledgeAlarm(alarmID: UInt32?)
    /// `sos.close`: the incident is over; the post returns to standby.
    case closeAlarm(alarmID: UInt32?)
    /// `mode.set`: run normally, flash or go dark, reverting to normal after `revertAfterTicks` (nil: never).
    case setMode(OperatingMode, revertAfterTicks: Int?)
    /// `fault.reset`: clear a latched fault.
    case resetFault
    /// `lamp.test`: report what the lamp current monitors read against what is commanded, changing no lamp.
    case lampTest
    /// Not from the centre: something the uplink must tell the centre. It enters the core like a command so
    /// its event is numbered with all the others.
    case report(UplinkReport)

    /// The command's type as the centre writes it.
    public var typeName: String {
        switch self {
        case .acknowledgeAlarm: "sos.ack"
        case .closeAlarm: "sos.close"
        case .setMode: "mode.set"
        case .resetFault: "fault.reset"
        case .lampTest: "lamp.test"
        case .report(let report): report.eventType.name
        }
    }
}

/// What the uplink tells the centre about itself, as events the core numbers (`Command.report`).
public enum UplinkReport: Equatable, Sendable {
    /// The outbox was full and dropped this many `info` and `normal` events, every unsent one of their
    /// priority whose `seq` lay in `seqs` (the centre sees a gap there and knows why).
    case outboxDropped(info: UInt32, normal: UInt32, seqs: ClosedRange<UInt64>)
    /// The journal held `bytes` damaged bytes; `seqs` the events lost with them, when known.
    case outboxDamaged(bytes: UInt32, seqs: ClosedRange<UInt64>?)
    /// The journal cannot be written (raised with the kind), or takes writes again (nil: cleared).
    case storageFault(StorageFaultKind?)
    /// Commands refused unread for their size: how many since the last report, and the largest.
    case uplinkRejected(count: UInt32, largestBytes: UInt32)

    /// The event this report becomes.
    public var eventType: EventType {
        switch self {
        case .outboxDropped: .outboxDropped
        case .outboxDamaged: .outboxDamaged
        case .storageFault: .storageFault
        case .uplinkRejected: .uplinkRejected
        }
    }

    /// The event, at `tick`.
    public func event(tick: UInt64) -> Event {
        switch self {
        case .outboxDropped(let info, let normal, let seqs): Event(.outboxDropped(info: info, normal: normal, seqs: seqs), tick: tick)
        case .outboxDamaged(let bytes, let seqs): Event(.outboxDamaged(bytes: bytes, lost: seqs), tick: tick)
        case .storageFault(let kind): Event(.storageFault(kind), tick: tick)
        case .uplinkRejected(let count, let largest): Event(.uplinkRejected(commands: count, largestBytes: largest), tick: tick)
        }
    }
}

/// Why the core refused a command; the uplink turns it into the `error` text of `cmd/result`.
public enum CommandRefusal: Equatable, Sendable, CustomStringConvertible {
    case noSOSPost
    case noCrossing
    case noOpenAlarm
    case unknownAlarm(requested: UInt32, open: UInt32)
    case alreadyAcknowledged(UInt32)
    case nothingLatched
    case noLampSensing

    public var description: String {
        switch self {
        case .noSOSPost: "this device has no SOS post"
        case .noCrossing: "this device has no crossing"
        case .noOpenAlarm: "no SOS alarm is open"
        case .unknownAlarm(let requested, let open): "alarm \(requested) is not open (the open alarm is \(open))"
        case .alreadyAcknowledged(let id): "alarm \(id) is already acknowledged"
        case .nothingLatched: "no fault is latched and no lamp is failed"
        case .noLampSensing: "this board senses no lamp (no lamp.* inputs)"
        }
    }
}

/// The core's answer to one command.
public enum CommandOutcome: Equatable, Sendable {
    case accepted
    case refused(CommandRefusal)
}
