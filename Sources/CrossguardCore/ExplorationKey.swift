/// A canonical summary of a controller's state for exhaustive exploration: every absolute tick becomes an
/// age capped just past the longest duration the logic compares it with, or, for a deadline, the time left,
/// so two states that behave the same from now on compare equal, whatever the tick they were reached at.
/// Test and verification code use it; the tick path never does.
public struct ExplorationKey: Hashable, Sendable {
    /// The summary values in a fixed order.
    public private(set) var values: [Int] = []
    /// The tick the summary is taken at.
    public let now: UInt64
    /// Times left beyond this are equal: it must exceed every deadline the logic sets.
    public let cap: Int

    /// An empty summary at `now`.
    public init(now: UInt64, cap: Int) {
        self.now = now
        self.cap = cap
    }

    /// Adds a plain value.
    public mutating func add(_ value: Int) { values.append(value) }
    /// Adds a flag.
    public mutating func add(_ flag: Bool) { values.append(flag ? 1 : 0) }
    /// Adds an optional small enum by raw value (-1 for nil).
    public mutating func add<T: RawRepresentable>(_ value: T?) where T.RawValue == UInt8 { values.append(value.map { Int($0.rawValue) } ?? -1) }
    /// Adds the age of an absolute tick in the past (nil or `UInt64.max` when unset), capped at `after`
    /// plus one: ages the logic compares only with durations up to `after` behave alike past that.
    public mutating func age(_ t: UInt64?, after: Int) {
        guard let t, t != UInt64.max else { values.append(Int.min); return }
        if t <= now { values.append(min(Int(now - t), after + 1)) } else { values.append(-1 - min(Int(t - now), cap)) }
    }
    /// Adds the age of a tick that the logic subtracts with wrapping arithmetic, unset being `UInt64.max`:
    /// such an unset tick reads as `now + 1` ticks old, recent at power-up and old later, so it is added as
    /// exactly that age.
    public mutating func wrappingAge(_ t: UInt64, after: Int) {
        let age = now &- t
        values.append(age > UInt64(after) ? after + 1 : Int(age))
    }
    /// Adds a deadline (nil when unset) as the ticks left, 0 once it has passed.
    public mutating func deadline(_ t: UInt64?) {
        guard let t else { values.append(-1); return }
        values.append(t <= now ? 0 : min(Int(t - now), cap))
    }
}

extension SignalizedCrossing {
    /// Adds everything that decides this crossing's future to `key`.
    public func explore(into key: inout ExplorationKey) {
        let p = plan
        let longest = [p.startupFlash, p.startupAllRed, p.redAmber, p.minGreen, p.flashingGreen, p.amber, p.allRed,
                       p.walk, p.clearance, p.clearanceMax, p.allRedAfterClearance].max()!
        key.add(phase)
        key.age(phaseStart, after: longest)
        key.add(mode)
        key.add(pendingMode)
        key.deadline(revertAt)
        key.add(pendingRevert ?? -1)
        key.add(demand)
        key.age(demand == nil ? nil : max(demandSince, normalSince), after: p.maxWait)
        key.age(kerbSince, after: p.kerbDwell)
        key.age(kerbAbsentSince, after: p.kerbCancel)
        key.add(crossingDetectorSeen)
        key.add(suspectRaised)
        key.add(clearanceFixedEnd)
        key.add(clearanceIsMax)
        key.add(walkInhibited)
    }
}

extension SafetyMonitor {
    /// Adds everything that decides this monitor's future to `key`.
    public func explore(into key: inout ExplorationKey) {
        key.add(latched)
        key.add(Int(involved.bits))
        key.add(Int(previous.bits))
        key.add(greenSinceRed)
        key.age(amberSinceGreen, after: plan.amber)
        key.age(vehicleGoLast, after: plan.allRed)
        key.age(walkOnSince, after: plan.flashPeriod)
        key.age(walkEnd, after: plan.clearance + plan.allRedAfterClearance)
        key.age(lastWalkOff, after: max(plan.flashPeriod, plan.allRedAfterClearance))
        key.add(clearanceBegun)
        key.deadline(pedestrianRightOfWayUntil)
        key.age(dontWalkOffAt, after: plan.flashPeriod)
        key.add(walkInhibited)
        key.add(Int(failedLamps.bits))
        key.age(redFaultSince, after: plan.mismatchTicks)
        key.age(redHealthySince, after: plan.mismatchTicks)
        if plan.sensed != OutputSet() {
            let window = max(plan.flashPeriod, plan.mismatchTicks)
            for w in lamps {
                key.wrappingAge(w.commandedOn, after: window); key.wrappingAge(w.commandedOff, after: window)
                key.wrappingAge(w.sensedOn, after: window); key.wrappingAge(w.sensedOff, after: window)
                key.age(w.disagreeSince, after: window); key.age(w.agreeSince, after: window)
                key.age(w.darkSince, after: window)
            }
        }
    }
}

extension BeaconCrossing {
    /// Adds everything that decides this crossing's future to `key`.
    public func explore(into key: inout ExplorationKey) {
        key.add(active)
        key.age(active ? activeSince : nil, after: plan.maximum)
        // Presses can hold an activation past the maximum: the RRFB pattern's place in its 16 segments
        // still depends on when the activation began.
        key.add(active && plan.pattern == .rrfb ? Int((key.now - activeSince) / UInt64(plan.rrfbSegment) % 16) : -1)
        key.deadline(active ? endsAt : nil)
        key.deadline(active ? holdLimit : nil)
        key.deadline(audioUntil)
        key.add(mode)
        key.deadline(revertAt)
        key.add(night)
        key.age(kerbSince, after: max(plan.kerbDwell, plan.kerbStuckAfter))
        key.add(kerbStuck)
        key.age(idleRaised ? nil : lastPresence, after: plan.detectorIdleAfter)
        key.add(idleRaised)
    }
}

extension SOSPost {
    /// Adds everything that decides this post's future to `key`; the alarm id and the press count, which
    /// only number events, are left out.
    public func explore(into key: inout ExplorationKey) {
        key.add(openAlarm != 0)
        key.add(acknowledged)
        key.add(unanswered)
        key.age(openAlarm != 0 && !acknowledged && !unanswered ? raisedAt : nil, after: plan.ackTimeout)
        key.age(heldSince, after: max(plan.longPress, plan.stuckAfter))
        key.add(holdRaised)
        key.add(holdIsPress)
        key.add(stuck)
    }
}

extension Controller {
    /// The canonical state of this controller, with deadlines capped at `cap` ticks left.
    public func explorationKey(cap: Int) -> ExplorationKey {
        var key = ExplorationKey(now: tick, cap: cap)
        key.add(Int(tick % UInt64(config.flasher.periodTicks)))
        if sos != nil { key.add(Int(tick % UInt64(config.fastBlink.periodTicks))) }
        key.add(Int(openConditions.bits))
        crossing?.explore(into: &key)
        beacon?.explore(into: &key)
        sos?.explore(into: &key)
        return key
    }
}

extension Device {
    /// The canonical state of the device: its controller's and its monitor's, deadlines capped at `cap`.
    public func explorationKey(cap: Int) -> ExplorationKey {
        var key = controller.explorationKey(cap: cap)
        monitor.explore(into: &key)
        return key
    }
}
