/// The order in which a lamp test lights a board's outputs, one lamp under test at a time, so that no step
/// ever shows a conflicting aspect: a walk only while the vehicle red (on a hybrid beacon both reds) holds
/// the traffic, never a vehicle green or amber with a walk, never two colours of one head.
///
/// What a driver sees: the vehicle red, steady, while the pedestrian lamps and the other outputs
/// (beacons, studs, floodlight, SOS lights, wait and audio) are tested, and for the whole clearance after
/// each walk; then, with the pedestrians on don't walk, the amber alone and the green alone, each from the
/// all-red and back to it. Pedestrians see
/// don't walk throughout the vehicle lamps' steps. On a board without vehicle heads every lamp is tested
/// alone.
public struct LampTestPlan: Equatable, Sendable {
    /// One step: the lamp under test (nil for the all-red base the test starts and ends in) and every
    /// output lit meanwhile.
    public struct Step: Equatable, Sendable {
        /// The lamp this step proves, nil for the all-red base.
        public var testing: OutputRole?
        /// Every output lit during the step.
        public var lit: OutputSet
        /// The all-red after a walk: held for the crossing's whole clearance, not one step, so the vehicles
        /// never get an amber or a green sooner after a walk than in service.
        public var clearance = false

        /// A step as given.
        public init(testing: OutputRole?, lit: OutputSet, clearance: Bool = false) {
            self.testing = testing
            self.lit = lit
            self.clearance = clearance
        }
    }

    /// A lamp the test leaves dark, and why.
    public struct Untested: Equatable, Sendable {
        /// The lamp left dark.
        public var role: OutputRole
        /// Why no safe step can light it.
        public var reason: String
        /// A lamp left out, with the reason.
        public init(role: OutputRole, reason: String) {
            self.role = role
            self.reason = reason
        }
    }

    /// The steps, in order: the base first, each lamp's step followed by the base again, the base last.
    public var steps: [Step]
    /// Lamps that no safe step can light: a walk on a board without the red that would hold the traffic.
    public var untested: [Untested]

    /// The plan for a board's outputs.
    public init(outputs: OutputSet, hybrid: Bool) {
        var base = OutputSet()
        for role in [OutputRole.vehicleRed, .vehicleRedRight, .pedDontWalk] where outputs.contains(role) { base.insert(role) }
        var steps = [Step(testing: nil, lit: base)]
        var untested: [Untested] = []
        // The reds and the don't walk are lit in the base; the others in turn, the pedestrian side first.
        let order: [OutputRole] = [.vehicleRed, .vehicleRedRight, .pedDontWalk, .pedWalk, .apsWalk, .pedWait, .apsLocator,
                                   .beaconLeft, .beaconRight, .studs, .flood, .sosYellow, .sosGreen, .sosStrobe, .vehicleAmber, .vehicleGreen]
        for role in order where outputs.contains(role) {
            var lit = base
            switch role {
            case .vehicleRed, .vehicleRedRight, .pedDontWalk:
                break  // lit in the base; its dark state is seen while a lamp of the other colour is tested
            case .pedWalk, .apsWalk:
                // A walk, seen or heard (the audible walk sounds with the walk, never over don't walk). The
                // two are tested one after the other, and one clearance follows them both.
                let holds = outputs.contains(.vehicleRed) && (!hybrid || outputs.contains(.vehicleRedRight))
                guard holds else {
                    untested.append(Untested(role: role, reason: "the board has no vehicle red\(hybrid ? "s" : "") to hold the traffic while it is lit"))
                    continue
                }
                lit.remove(.pedDontWalk)
                lit.insert(role)
                if outputs.contains(.pedWalk) { lit.insert(.pedWalk) }
                steps.append(Step(testing: role, lit: lit))
                if role == .pedWalk && outputs.contains(.apsWalk) { continue }  // the audible walk follows at once
                steps.append(Step(testing: nil, lit: base, clearance: true))
                continue
            case .vehicleAmber, .vehicleGreen:
                lit.remove(.vehicleRed)
                lit.remove(.vehicleRedRight)
                lit.insert(role)
            default:
                lit.insert(role)
            }
            steps.append(Step(testing: role, lit: lit))
            steps.append(Step(testing: nil, lit: base))
        }
        self.steps = steps
        self.untested = untested
    }

    /// What is wrong with showing `lit`, or nil when it is a safe aspect: the safety monitor's conflict and
    /// dual-indication rules, without its timings (a lamp test holds each step long enough to be seen).
    public static func conflict(in lit: OutputSet, hybrid: Bool) -> String? {
        let red = lit.contains(.vehicleRed) || lit.contains(.vehicleRedRight)
        let redsHold = lit.contains(.vehicleRed) && (!hybrid || lit.contains(.vehicleRedRight))
        let amber = lit.contains(.vehicleAmber), green = lit.contains(.vehicleGreen)
        let walk = lit.contains(.pedWalk) || lit.contains(.apsWalk), dontWalk = lit.contains(.pedDontWalk)
        if walk && !redsHold { return "a walk without the vehicle red\(hybrid ? "s" : "") holding the traffic" }
        if walk && (amber || green) { return "a walk with a vehicle \(green ? "green" : "amber")" }
        if green && (red || amber) { return "a green with a red or an amber on the same head" }
        if walk && dontWalk { return "walk and don't walk together" }
        return nil
    }
}
