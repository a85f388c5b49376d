import CrossguardCore
import CrossguardHAL
import CrossguardRuntime
import CrossguardSim
import Testing

/// The lamp test carried out on the simulated chip, whose sense lines follow their lamps unless a fault is
/// simulated: every lamp is found as it is, and the lines are left inactive.
@Suite("Lamp test run")
struct LampTestRunTests {
    /// The runtime tests' board with sense lines on both reds, the green and the walk.
    func sensedBoard() -> BoardConfig {
        var board = testBoard()
        for (role, copy, name) in [(InputRole.lampVehicleRed, 1, "SR1"), (.lampVehicleRed, 2, "SR2"), (.lampVehicleGreen, 1, "SG"), (.lampPedWalk, 1, "SW")] {
            board.inputs.append(InputLine(role: role, copy: copy, address: line(name), activeLow: false, bias: .asIs, debounceMs: 0))
        }
        return board
    }

    func run(_ bank: SimulatedLineBank, _ board: BoardConfig, monitors: [(lamp: OutputRole, lit: Bool)] = []) throws -> [String: LampTestRun.Finding] {
        let plan = LampTestPlan(outputs: board.outputRoles, hybrid: false)
        var holds: [Int] = []
        let findings = try LampTestRun.run(board: board, plan: plan, bank: bank, stepMs: 100, clearanceMs: 5_000, hold: { holds.append($0) }, monitors: { monitors })
        if bank.lampFault("lamp.vehicle.red") == nil && bank.lampFault("lamp.vehicle.red.2") == nil {
            #expect(holds == plan.steps.map { $0.clearance ? 5_000 : 100 }, "each step held, the clearance after the walk for its whole length")
        }
        return Dictionary(uniqueKeysWithValues: findings.map { ($0.role.name, $0.finding) })
    }

    @Test func soundLampsFollowAndUnsensedOnesAreSaidSo() throws {
        let board = sensedBoard()
        let bank = SimulatedLineBank(board: board)
        let found = try run(bank, board)
        // 7 lamps: 15 steps (the base, then each lamp and the base again); the red is dark only for amber and green.
        #expect(found["vehicle.red"] == .followed(steps: 13))
        #expect(found["vehicle.green"] == .followed(steps: 1))
        #expect(found["ped.walk"] == .followed(steps: 1))
        #expect(found["vehicle.amber"] == .unsensed && found["sos.yellow"] == .unsensed)
        #expect(found.count == OutputRole.allCases.count { board.outputRoles.contains($0) })
        #expect(bank.outputLevels.allSatisfy { !$0.on }, "every output left inactive")
    }

    @Test func aBlownLampStaysDarkAndAStuckOneStaysLit() throws {
        let board = sensedBoard()
        let bank = SimulatedLineBank(board: board)
        bank.setLampFault("lamp.vehicle.green", false)  // blown
        bank.setLampFault("lamp.ped.walk", true)        // stuck driver
        let found = try run(bank, board)
        #expect(found["vehicle.green"] == .staysDark)
        #expect(found["ped.walk"] == .staysLit)
        #expect(found["vehicle.red"] == .followed(steps: 13))
    }

    @Test func aBlownSecondRedIsNotHiddenByTheFirst() throws {
        let board = sensedBoard()
        let bank = SimulatedLineBank(board: board)
        bank.setLampFault("lamp.vehicle.red.2", false)  // the second red blown, the first sound
        bank.setLampFault("lamp.ped.walk", true)
        let found = try run(bank, board)
        #expect(found["vehicle.red"] == .staysDark)
        #expect(found["ped.walk"] == .untested("a vehicle red read dark, so no walk was lit: replace the red first, then test again"),
                "with a red dark from the first all-red on, the walk is never lit (so its stuck driver is not seen yet)")
    }

    @Test func aWalkIsNeverLitOnceARedHasReadDark() throws {
        let board = sensedBoard()
        let bank = SimulatedLineBank(board: board)
        bank.setLampFault("lamp.vehicle.red", false)
        let found = try run(bank, board)
        #expect(found["vehicle.red"] == .staysDark)
        if case .untested? = found["ped.walk"] {} else { Issue.record("the walk was lit with a dark red: \(String(describing: found["ped.walk"]))") }
    }

    @Test func aCurrentMonitorsReadingCountsLikeASenseLine() throws {
        var board = testBoard()
        board.i2c = [I2CDeviceConfig(part: .ina226, bus: "/dev/i2c-1", address: 0x40, role: .lampVehicleAmber,
                                     function: .lampCurrent(shuntMilliohm: 100, litAboveMa: 50, darkBelowMa: 20), pollMs: 50)]
        let bank = SimulatedLineBank(board: board)
        // A monitor that reads the amber dark whatever is commanded: the amber is found blown.
        #expect(try run(bank, board, monitors: [(lamp: .vehicleAmber, lit: false)])["vehicle.amber"] == .staysDark)
    }
}
