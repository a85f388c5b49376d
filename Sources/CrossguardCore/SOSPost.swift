/// The SOS post's timings in ticks.
public struct SOSPlan: Hashable, Sendable {
    public var longPress: Ticks
    public var ackTimeout: Ticks
    public var stuckAfter: Ticks

    /// The plan for validated settings; every duration rounds up to whole ticks.
    public init(_ s: SOSSettings, tickMs: Int) {
        longPress = Ticks(roundingUp: s.longPress, tickMs: tickMs)
        ackTimeout = Ticks(roundingUp: s.ackTimeout, tickMs: tickMs)
        stuckAfter = Ticks(roundingUp: s.stuckAfter, tickMs: tickMs)
    }
}

/// An SOS post (the light model of EN 81-28): a press raises one alarm, further presses
/// join it, the centre acknowledges and closes it. An alarm is never dropped: only `sos.close` ends it.
public struct SOSPost: Sendable {
    public let plan: SOSPlan
    /// Everything that decides what the post does next, and nothing else: exhaustive exploration hashes
    /// it as it is.
    public private(set) var state = SOSState()
    /// The numbers events carry, which never decide what the post does: the alarm ids and the press count.
    public private(set) var numbering: SOSNumbering

    /// The open alarm's id, 0 when the post is in standby.
    public var openAlarm: UInt32 { state.alarmOpen ? numbering.openAlarm : 0 }
    /// Whether the centre has acknowledged the open alarm.
    public var acknowledged: Bool { state.acknowledged }
    /// Whether the alarm went unanswered past the timeout (yellow blinks fast).
    public var unanswered: Bool { state.unanswered }
    /// Whether the button is held stuck.
    public var stuck: Bool { state.stuck }
    /// The id the next alarm gets; unique per device (the runtime persists it).
    public var nextAlarmID: UInt32 { numbering.nextAlarmID }

    /// A post in standby whose next alarm will carry `nextAlarmID`.
    public init(plan: SOSPlan, nextAlarmID: UInt32 = 1) {
        self.plan = plan
        numbering = SOSNumbering(nextAlarmID: max(1, nextAlarmID))
    }

    /// Advances one tick: presses, the acknowledgement timeout and the stuck button.
    public mutating func step(tick: UInt64, inputs: Inputs, events: inout EventBuffer) {
        let held = inputs.active.contains(.sosButton)
        if inputs.rose.contains(.sosButton) {
            state.holdIsPress = true
            state.holdRaised = plan.longPress == .zero
            if plan.longPress == .zero { press(tick: tick, events: &events) }
            state.hold = held ? SOSState.Hold(plan) : nil
        } else if held && state.hold == nil {
            state.hold = SOSState.Hold(plan)  // held since power-up: it counts toward stuck, never as an alarm
            state.holdIsPress = false
        } else if !held {
            state.hold = nil
        }
        if let hold = state.hold {
            if state.holdIsPress && !state.holdRaised && hold.longPress.isDone {
                state.holdRaised = true
                press(tick: tick, events: &events)
            }
            if !state.stuck && hold.stuck.isDone {
                state.stuck = true
                events.emit(Event(.sosButtonStuck(.raised, alarm: openAlarm), tick: tick))
            }
        }
        if state.stuck && !held {
            state.stuck = false
            events.emit(Event(.sosButtonStuck(.cleared, alarm: openAlarm), tick: tick))
        }
        if state.alarmOpen && !state.acknowledged && !state.unanswered && state.answerTimer.isDone {
            state.unanswered = true
            events.emit(Event(.sosUnanswered(.raised, alarm: openAlarm), tick: tick))
        }
        state.advance()
    }

    private mutating func press(tick: UInt64, events: inout EventBuffer) {
        if !state.alarmOpen {
            state.alarmOpen = true
            numbering.raise()
            state.acknowledged = false
            state.unanswered = false
            state.answerTimer = Countdown(plan.ackTimeout)
            events.emit(Event(.sosAlarm(.raised, alarm: openAlarm, presses: 1), tick: tick))
        } else {
            numbering.presses &+= 1
            events.emit(Event(.sosPressed(alarm: openAlarm, presses: numbering.presses), tick: tick))
        }
    }

    /// `sos.ack`: the green light says help is coming. Acknowledging twice is harmless (QoS 1 may redeliver).
    public mutating func acknowledge(alarmID: UInt32?, tick: UInt64, events: inout EventBuffer) -> CommandOutcome {
        if let refusal = check(alarmID) { return .refused(refusal) }
        guard !state.acknowledged else { return .accepted }
        state.acknowledged = true
        state.answerTimer = .done  // answered: the timeout no longer matters
        events.emit(Event(.sosAcknowledged(alarm: openAlarm), tick: tick))
        if state.unanswered {
            state.unanswered = false
            events.emit(Event(.sosUnanswered(.cleared, alarm: openAlarm), tick: tick))
        }
        return .accepted
    }

    /// `sos.close`: the incident is over; the post returns to standby.
    public mutating func close(alarmID: UInt32?, tick: UInt64, events: inout EventBuffer) -> CommandOutcome {
        if let refusal = check(alarmID) { return .refused(refusal) }
        if state.unanswered { events.emit(Event(.sosUnanswered(.cleared, alarm: openAlarm), tick: tick)) }
        events.emit(Event(.sosAlarm(.cleared, alarm: openAlarm, presses: numbering.presses), tick: tick))
        state.alarmOpen = false
        state.acknowledged = false
        state.unanswered = false
        state.answerTimer = .done
        numbering.presses = 0
        return .accepted
    }

    private func check(_ alarmID: UInt32?) -> CommandRefusal? {
        if !state.alarmOpen { return .noOpenAlarm }
        if let id = alarmID, id != openAlarm { return .unknownAlarm(requested: id, open: openAlarm) }
        return nil
    }

    /// The post's lights: yellow while an alarm is open (blinking fast when unanswered), green once acknowledged,
    /// the external strobe flashing until someone answers.
    public func lamps(tick: UInt64, flasher: Flasher, fastBlink: Flasher) -> OutputSet {
        var lit = OutputSet()
        guard state.alarmOpen else { return lit }
        lit.set(.sosYellow, unanswered ? fastBlink.isLit(at: tick) : true)
        lit.set(.sosGreen, acknowledged)
        lit.set(.sosStrobe, !acknowledged && flasher.isLit(at: tick))
        return lit
    }
}

/// What decides an SOS post's future: whether an alarm is open and answered, and its timers.
public struct SOSState: Hashable, Sendable {
    /// The button's timers while it is held, from the tick it went down.
    struct Hold: Hashable, Sendable {
        /// Until a press counts as one (a long press).
        var longPress: Countdown
        /// Until a held button is stuck.
        var stuck: Countdown

        init(_ plan: SOSPlan) {
            longPress = Countdown(plan.longPress)
            stuck = Countdown(plan.stuckAfter)
        }
    }

    public internal(set) var alarmOpen = false
    public internal(set) var acknowledged = false
    public internal(set) var unanswered = false
    public internal(set) var stuck = false
    /// Until an unacknowledged alarm is unanswered; done when it no longer matters.
    var answerTimer = Countdown.done
    /// The held button's timers, nil while it is up.
    var hold: Hold?
    /// Whether this hold raised its alarm (or joined the open one) already.
    var holdRaised = false
    /// Whether this hold began with a press (not held since power-up).
    var holdIsPress = false

    /// One tick passes.
    mutating func advance() {
        answerTimer.advance()
        if var h = hold {
            h.longPress.advance()
            h.stuck.advance()
            hold = h
        }
    }
}

/// The numbers an SOS post's events carry.
public struct SOSNumbering: Hashable, Sendable {
    /// The id the next alarm gets.
    public internal(set) var nextAlarmID: UInt32
    /// The id of the open alarm, or of the last one.
    public internal(set) var openAlarm: UInt32 = 0
    /// Presses on the open alarm, the first included.
    public internal(set) var presses: UInt32 = 0

    /// A new alarm takes the next id (1 after the largest: 0 is standby) and its first press.
    mutating func raise() {
        openAlarm = nextAlarmID
        nextAlarmID = nextAlarmID == UInt32.max ? 1 : nextAlarmID + 1
        presses = 1
    }
}
