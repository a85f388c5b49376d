/// What systemd says about `crossguard.service` (`systemctl show`), and what `diag` makes of it: a unit that
/// is installed but skipped, stopped, restarting or failed leaves the crossing dark, and each has its own
/// next step for the technician.
public struct ServiceState: Equatable, Sendable {
    /// `LoadState`: `loaded`, `not-found`, `masked`, ...
    public var load: String
    /// `ActiveState`: `active`, `inactive`, `activating`, `failed`, ...
    public var active: String
    /// `SubState`: `running`, `dead`, `auto-restart`, ...
    public var sub: String
    /// `UnitFileState`: `enabled`, `disabled`, ...
    public var unitFile: String
    /// `Result` of the last run: `success`, `exit-code`, `watchdog`, `exec-condition` (skipped), ...
    public var result: String
    /// `NRestarts`: how often systemd restarted it since the unit was loaded.
    public var restarts: Int

    /// The properties `diag` asks `systemctl show` for, in this order.
    public static let properties = ["LoadState", "ActiveState", "SubState", "UnitFileState", "Result", "NRestarts"]

    /// Reads `systemctl show -p …` output (`Key=value` lines); nil when a property is missing.
    public init?(systemctlShow text: String) {
        var values: [Substring: Substring] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[line[..<eq]] = line[line.index(after: eq)...]
        }
        guard let load = values["LoadState"], let active = values["ActiveState"], let sub = values["SubState"],
              let unitFile = values["UnitFileState"], let result = values["Result"] else { return nil }
        self.init(load: String(load), active: String(active), sub: String(sub), unitFile: String(unitFile), result: String(result),
                  restarts: values["NRestarts"].flatMap { Int($0) } ?? 0)
    }

    /// Values as given.
    public init(load: String, active: String, sub: String, unitFile: String, result: String, restarts: Int) {
        self.load = load
        self.active = active
        self.sub = sub
        self.unitFile = unitFile
        self.result = result
        self.restarts = restarts
    }

    /// The check's outcome and detail. `checkConfig` is the command line that checks the unit's files,
    /// `install` the one that installs the package.
    public func verdict(checkConfig: String, install: String) -> (outcome: DiagOutcome, detail: String) {
        let journal = "journalctl -u crossguard -b"
        switch (load, active) {
        case ("not-found", _):
            return (.warn(remedy: "install the package: \(install)"), "crossguard.service is not installed")
        case ("masked", _):
            return (.fail(remedy: "sudo systemctl unmask crossguard && sudo systemctl start crossguard"), "crossguard.service is masked: it cannot start")
        case (_, "active"):
            if unitFile != "enabled" {
                return (.warn(remedy: "sudo systemctl enable crossguard"), "active (\(sub)) but \(unitFile): it will not start at the next boot")
            }
            if restarts > 0 {
                return (.warn(remedy: "see why: \(journal)"), "active (\(sub)), enabled; systemd restarted it \(restarts) time\(restarts == 1 ? "" : "s")")
            }
            return (.pass, "active (\(sub)), enabled")
        case (_, "activating") where sub == "auto-restart":
            return (.fail(remedy: "see why it stops: \(journal)"), "stopping and being restarted (\(restarts) restarts, last result \(result))")
        case (_, "failed"):
            return (.fail(remedy: "see why: \(journal); then sudo systemctl restart crossguard"), "failed (\(result))")
        case (_, "inactive") where result == "exec-condition":
            return (.fail(remedy: "fix what \(checkConfig) reports, then sudo systemctl start crossguard"),
                    "not started: the configuration does not pass check-config (the unit's ExecCondition)")
        case (_, "inactive"):
            return unitFile == "enabled"
                ? (.warn(remedy: "sudo systemctl start crossguard (it also starts at the next boot)"), "stopped, enabled")
                : (.warn(remedy: "sudo systemctl enable --now crossguard"), "stopped and \(unitFile): it will not start at the next boot either")
        default:
            return (.warn(remedy: "systemctl status crossguard; \(journal)"), "\(active) (\(sub))")
        }
    }
}
