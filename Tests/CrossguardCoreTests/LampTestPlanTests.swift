import CrossguardCore
import Testing

/// The lamp test's order, for every board there could be: every combination of the output roles.
@Suite("Lamp test order")
struct LampTestPlanTests {
    @Test(arguments: [false, true])
    func noStepOfAnyBoardShowsAConflictAndEveryLampIsTestedOnce(hybrid: Bool) {
        let roles = OutputRole.allCases
        #expect(roles.count <= 20, "2^\(roles.count) boards")
        for mask in 0..<(1 << roles.count) {
            let outputs = OutputSet(roles.indices.filter { mask & (1 << $0) != 0 }.map { roles[$0] })
            let plan = LampTestPlan(outputs: outputs, hybrid: hybrid)
            for step in plan.steps {
                if let conflict = LampTestPlan.conflict(in: step.lit, hybrid: hybrid) {
                    Issue.record("board \(outputs), testing \(step.testing?.name ?? "the base"): \(conflict)")
                    return
                }
                #expect(step.lit.bits & ~outputs.bits == 0, "lights only the board's own outputs")
                if let role = step.testing { #expect(step.lit.contains(role)) }
            }
            // Every walk, seen or heard, is followed by the clearance all-red before anything else is lit.
            for (i, step) in plan.steps.enumerated() where step.lit.contains(.pedWalk) || step.lit.contains(.apsWalk) {
                let next = plan.steps.dropFirst(i + 1).first { !($0.lit.contains(.pedWalk) || $0.lit.contains(.apsWalk)) }
                #expect(next?.clearance == true && next?.testing == nil)
            }
            let tested = plan.steps.compactMap(\.testing)
            let untested = plan.untested.map(\.role)
            #expect(Set(tested.map(\.rawValue)).count == tested.count && OutputSet(tested + untested) == outputs)
            // Only a walk is ever left untested, and only where nothing could hold the traffic for it.
            #expect(untested.allSatisfy { $0 == .pedWalk || $0 == .apsWalk } && (untested.isEmpty || !outputs.contains(.vehicleRed) || (hybrid && !outputs.contains(.vehicleRedRight))))
            #expect(plan.steps.first?.testing == nil && plan.steps.last?.testing == nil, "starts and ends in the base")
        }
    }

    @Test func theReferenceCabinetsOrderIsWhatTheDocsSay() {
        let outputs = OutputSet([.vehicleRed, .vehicleAmber, .vehicleGreen, .pedDontWalk, .pedWalk, .beaconLeft, .sosYellow])
        let plan = LampTestPlan(outputs: outputs, hybrid: false)
        let base = OutputSet([.vehicleRed, .pedDontWalk])
        #expect(plan.steps.filter { $0.testing != nil }.map { $0.testing!.name } ==
                ["vehicle.red", "ped.dont_walk", "ped.walk", "beacon.left", "sos.yellow", "vehicle.amber", "vehicle.green"])
        #expect(plan.steps.first { $0.testing == .pedWalk }?.lit == OutputSet([.vehicleRed, .pedWalk]))
        #expect(plan.steps.first { $0.testing == .vehicleGreen }?.lit == OutputSet([.vehicleGreen, .pedDontWalk]))
        #expect(plan.steps.first { $0.testing == .beaconLeft }?.lit == OutputSet([.vehicleRed, .pedDontWalk, .beaconLeft]))
        #expect(plan.steps.filter { $0.testing == nil }.allSatisfy { $0.lit == base })
        #expect(plan.untested.isEmpty)
        #expect(LampTestPlan(outputs: OutputSet([.pedWalk, .pedDontWalk]), hybrid: false).untested ==
                [LampTestPlan.Untested(role: .pedWalk, reason: "the board has no vehicle red to hold the traffic while it is lit")])
    }

    @Test func theConflictRuleCatchesWhatTheMonitorForbids() {
        #expect(LampTestPlan.conflict(in: OutputSet([.pedWalk]), hybrid: false) == "a walk without the vehicle red holding the traffic")
        #expect(LampTestPlan.conflict(in: OutputSet([.pedWalk, .vehicleRed]), hybrid: true) == "a walk without the vehicle reds holding the traffic")
        #expect(LampTestPlan.conflict(in: OutputSet([.pedWalk, .vehicleRed, .vehicleGreen]), hybrid: false) == "a walk with a vehicle green")
        #expect(LampTestPlan.conflict(in: OutputSet([.vehicleGreen, .vehicleAmber]), hybrid: false) == "a green with a red or an amber on the same head")
        #expect(LampTestPlan.conflict(in: OutputSet([.pedWalk, .pedDontWalk, .vehicleRed]), hybrid: false) == "walk and don't walk together")
        #expect(LampTestPlan.conflict(in: OutputSet([.vehicleRed, .vehicleRedRight, .pedWalk]), hybrid: true) == nil)
        #expect(LampTestPlan.conflict(in: OutputSet([.apsWalk, .vehicleGreen]), hybrid: false) == "a walk without the vehicle red holding the traffic")
        #expect(LampTestPlan.conflict(in: OutputSet([.apsWalk, .pedDontWalk, .vehicleRed]), hybrid: false) == "walk and don't walk together")
    }
}
