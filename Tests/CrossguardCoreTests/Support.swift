import CrossguardCore
import CrossguardTOML
import Foundation
import Testing

/// The repository root, for tests that read the shipped boards, examples and scenarios.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Loads a site from TOML text, failing the test with every problem if it does not validate.
func site(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SiteConfig {
    let result = TOMLDocument.parse(text, file: "site.toml").flatMap { SiteConfig.load($0, file: "site.toml") }
    switch result {
    case .success(let s): return s
    case .failure(let e):
        Issue.record("site did not validate:\n\(e)", sourceLocation: sourceLocation)
        throw e
    }
}

/// The problems a site text produces, as the exact lines `check-config` prints.
func siteProblems(_ text: String) -> [String] {
    switch TOMLDocument.parse(text, file: "site.toml").flatMap({ SiteConfig.load($0, file: "site.toml") }) {
    case .success: return []
    case .failure(let e): return e.problems.map(\.description)
    }
}

/// Loads a board from TOML text.
func board(_ text: String) throws -> BoardConfig {
    try TOMLDocument.parse(text, file: "board.toml").flatMap { BoardConfig.load($0, file: "board.toml") }.get()
}

/// The problems a board text produces.
func boardProblems(_ text: String) -> [String] {
    switch TOMLDocument.parse(text, file: "board.toml").flatMap({ BoardConfig.load($0, file: "board.toml") }) {
    case .success: return []
    case .failure(let e): return e.problems.map(\.description)
    }
}

/// A board file with lines for these roles (outputs and inputs told apart by name), on a test chip.
func boardText(inputs: [String], outputs: [String], countdown: Bool = false) -> String {
    var text = "name = \"test\"\nchip = \"test-chip\"\n"
    for (i, role) in inputs.enumerated() { text += "[[input]]\nrole = \"\(role)\"\noffset = \(i)\n" }
    for (i, role) in outputs.enumerated() { text += "[[output]]\nrole = \"\(role)\"\noffset = \(100 + i)\n" }
    if countdown { text += "[[output]]\nrole = \"ped.countdown\"\n" }
    return text
}

/// The shipped simulated board, which wires every role.
func simBoard() throws -> BoardConfig {
    let path = repositoryRoot.appendingPathComponent("boards/sim.toml").path
    return try TOMLDocument.load(path: path).flatMap { BoardConfig.load($0, file: path) }.get()
}

/// Drives a device tick by tick with hand-made inputs and keeps every event.
struct Harness {
    var device: Device
    var buffer = EventBuffer(capacity: 64)
    var events: [Event] = []
    var last = Outputs()
    var lastOutcome: CommandOutcome?

    init(site: SiteConfig, board: BoardConfig) {
        device = Device(config: DeviceConfig(site: site, board: board))
    }

    /// The controllers under the monitor.
    var controller: Controller { device.controller }
    /// The safety monitor over them.
    var monitor: SafetyMonitor { device.monitor }

    /// One tick with these roles active; `rose` defaults to the roles that were not active in the previous tick.
    @discardableResult
    mutating func step(_ inputs: Inputs) -> Outputs {
        buffer.removeAll()
        let result = device.step(inputs, events: &buffer)
        events += buffer.events
        last = result.outputs
        lastOutcome = result.commandOutcome
        return result.outputs
    }

    /// Runs idle ticks (nothing active but `held`) until the controller reaches `tick`.
    mutating func run(until tick: UInt64, held: InputSet = InputSet()) {
        while controller.tick < tick { step(Inputs(active: held)) }
    }

    /// A press: one tick with the role rising and active.
    mutating func press(_ role: InputRole, held: InputSet = InputSet()) {
        var active = held
        active.insert(role)
        step(Inputs(active: active, rose: InputSet([role])))
    }
}

/// Compact text of what changed between two outputs, for exact-sequence tests: `+vehicle.red -vehicle.amber #8`.
func change(from old: Outputs, to new: Outputs) -> String {
    var parts: [String] = []
    for role in OutputRole.allCases where old.lit.contains(role) != new.lit.contains(role) {
        parts.append((new.lit.contains(role) ? "+" : "-") + role.name)
    }
    if old.countdown != new.countdown { parts.append(new.countdown.map { "#\($0)" } ?? "#dark") }
    return parts.joined(separator: " ")
}

/// Loads shipped files and returns their problems as text, nil when valid.
enum TOMLDocumentLoader {
    static func site(_ path: String) -> String? {
        switch TOMLDocument.load(path: path).flatMap({ SiteConfig.load($0, file: path) }) {
        case .success: return nil
        case .failure(let e): return e.description
        }
    }
}
