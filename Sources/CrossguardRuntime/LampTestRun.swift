import CrossguardCore
import CrossguardHAL

/// Carries out a `LampTestPlan` on a board's lines: each step's outputs written, held, then every lamp
/// sensor read (a `lamp.<role>` sense input, or a current monitor through `sensed`), so a lamp that stays
/// dark when lit, or stays lit when dark, is found. For `diag --lamp-test`, with the daemon stopped.
public enum LampTestRun {
    /// What the test found for one output role.
    public enum Finding: Equatable, Sendable {
        /// Read lit in every step that lit it and dark in every other.
        case followed(steps: Int)
        /// Read dark in a step that lit it (a blown lamp, a broken driver or wire).
        case staysDark
        /// Read lit in a step that had it dark (a stuck driver, a short).
        case staysLit
        /// Lit in its step, but nothing reads it back: only the eye can tell.
        case unsensed
        /// Not lit at all, with the plan's reason.
        case untested(String)
    }

    /// Runs the plan on `bank` (the board's GPIO lines, `board` in the bank's order). After each step's
    /// write, `hold` waits the given ms (and polls what needs polling): `stepMs`, or `clearanceMs` for the
    /// all-red after a walk. `monitors` then gives what each current monitor reads (the lamp it watches,
    /// lit or not). Each sensor counts on its own, so a second lamp of a role that stays dark is not hidden
    /// by the first. A red that reads dark in an all-red step keeps every later walk dark: nothing would
    /// hold the traffic. Every output is written inactive at the end, also after an error.
    public static func run(board: BoardConfig, plan: LampTestPlan, bank: LineBank, stepMs: Int, clearanceMs: Int, hold: (Int) -> Void,
                           monitors: () -> [(lamp: OutputRole, lit: Bool)]) throws(HardwareError) -> [(role: OutputRole, finding: Finding)] {
        let senseLines = board.inputs.indices.filter { board.inputs[$0].role.sensedLamp != nil }
        let sensors = OutputSet(senseLines.compactMap { board.inputs[$0].role.sensedLamp } + board.i2c.compactMap { $0.role?.sensedLamp })
        var samples = [LineSample](repeating: LineSample(level: false), count: bank.inputCount)
        var wrongDark = OutputSet(), wrongLit = OutputSet(), seen = OutputSet()
        var litSteps: [OutputRole: Int] = [:]
        var redReadDark = false
        var walkShown = false
        var kept: [OutputRole: String] = [:]
        defer { try? bank.writeOutputs([Bool](repeating: false, count: bank.outputCount)) }
        for step in plan.steps {
            if redReadDark, let role = step.testing, role == .pedWalk || role == .apsWalk {
                kept[role] = "a vehicle red read dark, so no walk was lit: replace the red first, then test again"
                continue
            }
            try bank.writeOutputs(board.outputs.map { step.lit.contains($0.role) })
            // The clearance is held only after a walk was shown (one skipped for a dark red needs none).
            hold(step.clearance && walkShown ? clearanceMs : stepMs)
            if step.clearance { walkShown = false }
            if step.lit.contains(.pedWalk) || step.lit.contains(.apsWalk) { walkShown = true }
            try bank.sampleInputs(into: &samples)
            let readings = monitors() + senseLines.map { (lamp: board.inputs[$0].role.sensedLamp!, lit: samples[$0].level) }
            for reading in readings {
                if step.testing == nil && !reading.lit && (reading.lamp == .vehicleRed || reading.lamp == .vehicleRedRight) { redReadDark = true }
                let commanded = step.lit.contains(reading.lamp)
                if commanded && !reading.lit { wrongDark.insert(reading.lamp) }
                if !commanded && reading.lit { wrongLit.insert(reading.lamp) }
            }
            for role in OutputRole.allCases where sensors.contains(role) && step.lit.contains(role) { litSteps[role, default: 0] += 1 }
            if let role = step.testing { seen.insert(role) }
        }
        var findings: [(role: OutputRole, finding: Finding)] = []
        for role in OutputRole.allCases where board.outputRoles.contains(role) {
            if let untested = plan.untested.first(where: { $0.role == role }) {
                findings.append((role, .untested(untested.reason)))
            } else if let reason = kept[role] {
                findings.append((role, .untested(reason)))
            } else if wrongDark.contains(role) {
                findings.append((role, .staysDark))
            } else if wrongLit.contains(role) {
                findings.append((role, .staysLit))
            } else if sensors.contains(role) {
                findings.append((role, .followed(steps: litSteps[role] ?? 0)))
            } else if seen.contains(role) {
                findings.append((role, .unsensed))
            }
        }
        return findings
    }
}
