extension Event {
    /// The event as one JSON object with the fields the uplink payload shares (`docs/uplink.md`):
    /// `seq`, `type`, `severity`, `state`, and the type's own fields. Durations in milliseconds.
    /// Keys are in a fixed order so a replay is byte-identical.
    public func json(tickMs: Int) -> String {
        var out = "{\"seq\":\(seq),\"type\":\"\(type.name)\",\"severity\":\"\(severity.name)\""
        if let state { out += ",\"state\":\"\(state.name)\"" }
        if alarmID != 0 { out += ",\"alarm\":\(alarmID)" }
        if let role { out += ",\"role\":\"\(role.name)\"" }
        if type == .demandServed { out += ",\"wait_ms\":\(UInt64(waitTicks) * UInt64(tickMs))" }
        if type == .beaconActivation && state == .cleared { out += ",\"active_ms\":\(UInt64(waitTicks) * UInt64(tickMs))" }
        if let mode { out += ",\"mode\":\"\(mode.name)\"" }
        if type == .sosPressed || type == .sosAlarm { out += ",\"presses\":\(count)" }
        if type == .selfTest { out += ",\"open_conditions\":\(count),\"ok\":\(count == 0)" }
        if let rule { out += ",\"rule\":\"\(rule.name)\"" }
        if let storage { out += ",\"storage\":\"\(storage.name)\"" }
        if type == .lampTest {
            out += ",\"lamps_checked\":\(count),\"failed\":\(outputs.jsonNames)"
        } else if type == .outboxDropped {
            out += ",\"dropped_info\":\(count),\"dropped_normal\":\(extra)"
            if let seqs { out += ",\"first_seq\":\(seqs.lowerBound),\"last_seq\":\(seqs.upperBound)" }
        } else if type == .outboxDamaged {
            out += ",\"damaged_bytes\":\(count)"
            if let seqs { out += ",\"first_seq\":\(seqs.lowerBound),\"last_seq\":\(seqs.upperBound)" }
        } else if type == .controllerStarted {
            if let seqs { out += ",\"first_seq\":\(seqs.lowerBound),\"last_seq\":\(seqs.upperBound)" }
        } else if type == .uplinkRejected {
            out += ",\"rejected\":\(count),\"largest_bytes\":\(extra)"
        } else if outputs != OutputSet() {
            out += ",\"outputs\":\(outputs.jsonNames)"
        }
        out += "}"
        return out
    }

    /// One readable line for timelines and the bench screen: `sos.alarm raised, alarm 1, by sos.button [critical]`.
    public func summary(tickMs: Int) -> String {
        var out = type.name
        if let state { out += " \(state.name)" }
        if let mode { out += " to \(mode.name)" }
        if alarmID != 0 { out += ", alarm \(alarmID)" }
        if let role { out += ", by \(role.name)" }
        if type == .demandServed { out += ", after \(DurationText.format(milliseconds: Int(waitTicks) * tickMs))" }
        if type == .sosPressed { out += ", press \(count)" }
        if type == .beaconActivation && state == .cleared { out += ", after \(DurationText.format(milliseconds: Int(waitTicks) * tickMs))" }
        if type == .selfTest { out += count == 0 ? ", all clear" : ", \(count) open conditions" }
        if type == .lampTest { out += ", \(count) lamps checked" }
        if type == .outboxDropped {
            out += ", \(count) info and \(extra) normal events dropped"
            if let seqs { out += " (seq \(seqs.lowerBound)–\(seqs.upperBound))" }
        }
        if type == .outboxDamaged {
            out += ", \(count) damaged bytes skipped"
            if let seqs { out += " (seq \(seqs.lowerBound)–\(seqs.upperBound) lost)" }
        }
        if type == .controllerStarted, let seqs { out += ", seq \(seqs.lowerBound)–\(seqs.upperBound) skipped" }
        if type == .uplinkRejected { out += ", \(count) oversized commands, the largest \(extra) bytes" }
        if let storage { out += ", \(storage.name)" }
        if let rule { out += ", \(rule.name)" }
        if outputs != OutputSet() { out += " \(outputs)" }
        return out + " [\(severity.name)]"
    }
}

extension OutputSet {
    /// The roles' names as a JSON array, in role order (`["vehicle.red","ped.walk"]`).
    public var jsonNames: String { "[" + OutputRole.allCases.filter(contains).map { "\"\($0.name)\"" }.joined(separator: ",") + "]" }
}

extension InputSet {
    /// The roles' names as a JSON array, in role order.
    public var jsonNames: String { "[" + InputRole.allCases.filter(contains).map { "\"\($0.name)\"" }.joined(separator: ",") + "]" }
}
