/// The SOS post's timings in ticks.
public struct SOSPlan: Equatable, Sendable {
    public var longPress: Int
    public var ackTimeout: Int
    public var stuckAfter: Int

    /// The plan for validated settings; every duration rounds up to whole ticks.
    public init(_ s: SOSSettings, tickMs: Int) {
        longPress = ticksRoundingUp(s.longPressMs, tickMs: tickMs)
        ackTimeout = ticksRoundingUp(s.ackTimeoutMs, tickMs: tickMs)
        stuckAfter = ticksRoundingUp(s.stuckAfterMs, tickMs: tickMs)
    }
}

/// An SOS post (the light model of EN 81-28): a press raises one alarm, further presses
/// join it, the centre acknowledges and closes it. An alarm is never dropped: only `sos.close` ends it.
public struct SOSPost: Sendable {
    public let plan: SOSPlan
    /// The id the next alarm gets; unique per device (the runtime persists it).
    public private(set) var nextAlarmID: UInt32
    /// The open alarm, 0 when the post is in standby.
    public private(set) var openAlarm: UInt32 = 0
    public private(set) var acknowledged = false
    /// Whether the alarm went unanswered past the timeout (yellow blinks fast).
    public private(set) var unanswered = false
    private(set) var raisedAt: UInt64 = 0
    private(set) var presses: UInt32 = 0
    private(set) var heldSince: UInt64?
    private(set) var holdRaised = false
    private(set) var holdIsPress = false
    public private(set) var stuck = false

    /// A post in standby whose next alarm will carry `nextAlarmID`.
    public init(plan: SOSPlan, nextAlarmID: UInt32 = 1) {
        self.plan = plan
        self.nextAlarmID = max(1, nextAlarmID)
    }

    /// Advances one tick: presses, the acknowledgement timeout and the stuck button.
    public mutating func step(tick: UInt64, inputs: Inputs, events: inout EventBuffer) {
        let held = inputs.active.contains(.sosButton)
        if inputs.rose.contains(.sosButton) {
            holdIsPress = true
            holdRaised = plan.longPress == 0
            if plan.longPress == 0 { press(tick: tick, events: &events) }
            heldSince = held ? tick : nil
        } else if held && heldSince == nil {
            heldSince = tick  // held since power-up: it counts toward stuck, never as an alarm
            holdIsPress = false
        } else if !held {
            heldSince = nil
        }
        if let since = heldSince {
            let heldFor = Int(tick - since)
            if holdIsPress && !holdRaised && heldFor >= plan.longPress {
                holdRaised = true
                press(tick: tick, events: &events)
            }
            if !stuck && heldFor >= plan.stuckAfter {
                stuck = true
                events.emit(Event(.sosButtonStuck, tick: tick, state: .raised, alarmID: openAlarm, role: .sosButton))
            }
        }
        if stuck && !held {
            stuck = false
            events.emit(Event(.sosButtonStuck, tick: tick, state: .cleared, alarmID: openAlarm, role: .sosButton))
        }
        if openAlarm != 0 && !acknowledged && !unanswered && Int(tick - raisedAt) >= plan.ackTimeout {
            unanswered = true
            events.emit(Event(.sosUnanswered, tick: tick, state: .raised, alarmID: openAlarm))
        }
    }

    private mutating func press(tick: UInt64, events: inout EventBuffer) {
        if openAlarm == 0 {
            openAlarm = nextAlarmID
            nextAlarmID = nextAlarmID == UInt32.max ? 1 : nextAlarmID + 1
            acknowledged = false
            unanswered = false
            raisedAt = tick
            presses = 1
            events.emit(Event(.sosAlarm, tick: tick, state: .raised, alarmID: openAlarm, role: .sosButton, count: 1))
        } else {
            presses &+= 1
            events.emit(Event(.sosPressed, tick: tick, alarmID: openAlarm, role: .sosButton, count: presses))
        }
    }

    /// `sos.ack`: the green light says help is coming. Acknowledging twice is harmless (QoS 1 may redeliver).
    public mutating func acknowledge(alarmID: UInt32?, tick: UInt64, events: inout EventBuffer) -> CommandOutcome {
        if let refusal = check(alarmID) { return .refused(refusal) }
        guard !acknowledged else { return .accepted }
        acknowledged = true
        events.emit(Event(.sosAcknowledged, tick: tick, alarmID: openAlarm))
        if unanswered {
            unanswered = false
            events.emit(Event(.sosUnanswered, tick: tick, state: .cleared, alarmID: openAlarm))
        }
        return .accepted
    }

    /// `sos.close`: the incident is over; the post returns to standby.
    public mutating func close(alarmID: UInt32?, tick: UInt64, events: inout EventBuffer) -> CommandOutcome {
        if let refusal = check(alarmID) { return .refused(refusal) }
        if unanswered { events.emit(Event(.sosUnanswered, tick: tick, state: .cleared, alarmID: openAlarm)) }
        events.emit(Event(.sosAlarm, tick: tick, state: .cleared, alarmID: openAlarm, count: presses))
        openAlarm = 0
        acknowledged = false
        unanswered = false
        presses = 0
        return .accepted
    }

    private func check(_ alarmID: UInt32?) -> CommandRefusal? {
        if openAlarm == 0 { return .noOpenAlarm }
        if let id = alarmID, id != openAlarm { return .unknownAlarm(requested: id, open: openAlarm) }
        return nil
    }

    /// The post's lights: yellow while an alarm is open (blinking fast when unanswered), green once acknowledged,
    /// the external strobe flashing until someone answers.
    public func lamps(tick: UInt64, flasher: Flasher, fastBlink: Flasher) -> OutputSet {
        var lit = OutputSet()
        guard openAlarm != 0 else { return lit }
        lit.set(.sosYellow, unanswered ? fastBlink.isLit(at: tick) : true)
        lit.set(.sosGreen, acknowledged)
        lit.set(.sosStrobe, !acknowledged && flasher.isLit(at: tick))
        return lit
    }
}
