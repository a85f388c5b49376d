extension Command {
    /// Parses a command written as a table (`{ type = "sos.ack", alarm = 3 }` in a scenario, the same fields
    /// in the centre's JSON), reporting each problem under `key`. Durations become ticks of `tickMs`.
    /// `alsoKnown` names command types a caller handles itself (the uplink's `diag.run`), so the message for
    /// an unknown type lists every type the caller accepts.
    public static func parse(_ table: ConfigTable, key: String, log: ProblemLog, tickMs: Int, alsoKnown: [String] = []) -> Command? {
        let known = (["sos.ack", "sos.close", "mode.set", "fault.reset", "lamp.test"] + alsoKnown).joined(separator: ", ")
        let r = TableReader(table, path: key, log: log)
        defer { r.finish() }
        guard let type = r.string("type") else {
            if !r.has("type") { r.report("type", "is missing; one of: \(known)") }
            return nil
        }
        func alarm() -> UInt32?? {
            guard let id = r.integer("alarm") else { return .some(nil) }
            guard id >= 1 && id <= Int(UInt32.max) else {
                r.report("alarm", "= \(id) is not an alarm id (1–\(UInt32.max))")
                return nil
            }
            return .some(UInt32(id))
        }
        switch type {
        case "sos.ack":
            guard let id = alarm() else { return nil }
            return .acknowledgeAlarm(alarmID: id)
        case "sos.close":
            guard let id = alarm() else { return nil }
            return .closeAlarm(alarmID: id)
        case "fault.reset":
            return .resetFault
        case "lamp.test":
            return .lampTest
        case "mode.set":
            guard let name = r.string("mode") else {
                if !r.has("mode") { r.report("mode", "is missing; one of: normal, flash, dark") }
                return nil
            }
            guard let mode = OperatingMode(name: name) else {
                r.report("mode", "= \"\(name)\" is not a mode; one of: normal, flash, dark")
                return nil
            }
            var revert: Int?
            if let seconds = r.integer("revert_after_s") {
                guard seconds >= 1 && seconds <= 7 * 86_400 else {
                    r.report("revert_after_s", "= \(seconds) is outside 1 s–7 days")
                    return nil
                }
                revert = seconds * 1000 / tickMs
            }
            return .setMode(mode, revertAfterTicks: revert)
        default:
            r.report("type", "= \"\(type)\" is not a command; one of: \(known)")
            return nil
        }
    }
}
