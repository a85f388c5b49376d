/// Everything that decides a device's future, for exhaustive exploration: each part is a controller's or
/// the monitor's own state value, hashed as it is, so a field added to one of them is explored without
/// anyone having to add it here. Left out are what never changes (the plans) and what only numbers or
/// stamps events (the tick, alarm ids, when a phase or a wait began). Test and verification code use
/// it; the tick path never does.
public struct ExplorationState: Hashable, Sendable {
    /// Where the site's flasher is in its period: the one part of the tick count the lamps depend on.
    public var flasherPhase: Int
    /// Where the SOS post's fast blink is in its period (0 without a post).
    public var fastBlinkPhase: Int
    public var openConditions: InputSet
    public var silentSensors: InputSet
    public var crossing: CrossingState?
    public var beacon: BeaconState?
    public var sos: SOSState?
    public var monitor: MonitorState
}

extension Device {
    /// The state that decides this device's future.
    public var explorationState: ExplorationState {
        let c = controller
        return ExplorationState(
            flasherPhase: Int(c.tick % UInt64(c.config.flasher.periodTicks)),
            fastBlinkPhase: c.sos == nil ? 0 : Int(c.tick % UInt64(c.config.fastBlink.periodTicks)),
            openConditions: c.openConditions, silentSensors: c.silentSensors,
            crossing: c.crossing?.state, beacon: c.beacon?.state, sos: c.sos?.state, monitor: monitor.state)
    }
}
