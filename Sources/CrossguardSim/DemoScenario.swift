import CrossguardCore

/// The scenario `crossguard bench` plays when it has no terminal and no `--scenario`: a pedestrian, a
/// kerb-side wait, an SOS call answered and closed, and the cabinet door, using only what the board wires.
public enum DemoScenario {
    /// A two-minute demo for this board.
    public static func make(board: BoardConfig) -> Scenario {
        let wired = Set(board.inputs.map(\.roleName))
        var steps: [Scenario.Step] = []
        func input(_ s: Int, _ role: String, _ on: Bool) {
            if wired.contains(role) { steps.append(.init(atMs: s, action: .input(role: role, active: on))) }
        }
        func command(_ s: Int, _ c: Command) { steps.append(.init(atMs: s, action: .command(c))) }
        input(12_000, "ped.button", true)
        input(12_200, "ped.button", false)
        input(20_000, "sos.button", true)
        input(20_300, "sos.button", false)
        input(22_000, "sos.button", true)
        input(22_200, "sos.button", false)
        if wired.contains("sos.button") {
            command(35_000, .acknowledgeAlarm(alarmID: nil))
            command(80_000, .closeAlarm(alarmID: nil))
        }
        input(30_000, "ped.crossing", true)
        input(36_000, "ped.crossing", false)
        input(70_000, "ped.kerb", true)
        input(95_000, "ped.kerb", false)
        input(100_000, "cabinet.door", true)
        input(110_000, "cabinet.door", false)
        return Scenario(durationMs: 120_000, steps: steps)
    }
}
