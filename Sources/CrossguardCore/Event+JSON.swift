extension Event {
    /// The event as one JSON object with the fields the uplink payload shares (`docs/uplink.md`):
    /// `seq`, `type`, `severity`, `state`, `alarm`, `role`, and the type's own fields. Durations in
    /// milliseconds. Keys are in a fixed order so a replay is byte-identical.
    public func json(tickMs: Int) -> String {
        var out = "{\"seq\":\(seq),\"type\":\"\(type.name)\",\"severity\":\"\(severity.name)\""
        if let state { out += ",\"state\":\"\(state.name)\"" }
        if alarmID != 0 { out += ",\"alarm\":\(alarmID)" }
        if let role { out += ",\"role\":\"\(role.name)\"" }
        let ms = { (t: Ticks) in UInt64(t.count) * UInt64(tickMs) }
        let range = { (seqs: ClosedRange<UInt64>?) in seqs.map { ",\"first_seq\":\($0.lowerBound),\"last_seq\":\($0.upperBound)" } ?? "" }
        switch detail {
        case .controllerStarted(let skipped): out += range(skipped)
        case .demandServed(_, let wait): out += ",\"wait_ms\":\(ms(wait))"
        case .beaconActivation(.ended(let after)): out += ",\"active_ms\":\(ms(after))"
        case .modeChanged(let mode): out += ",\"mode\":\"\(mode.name)\""
        case .sosAlarm(_, _, let presses), .sosPressed(_, let presses): out += ",\"presses\":\(presses)"
        case .selfTest(let open): out += ",\"open_conditions\":\(open),\"ok\":\(open == 0)"
        case .failSafe(_, let rule, let outputs):
            out += ",\"rule\":\"\(rule.name)\""
            if outputs != OutputSet() { out += ",\"outputs\":\(outputs.jsonNames)" }
        case .storageFault(let kind?): out += ",\"storage\":\"\(kind.name)\""
        case .lampTest(let checked, let failed): out += ",\"lamps_checked\":\(checked),\"failed\":\(failed.jsonNames)"
        case .outboxDropped(let info, let normal, let seqs): out += ",\"dropped_info\":\(info),\"dropped_normal\":\(normal)" + range(seqs)
        case .outboxDamaged(let bytes, let lost): out += ",\"damaged_bytes\":\(bytes)" + range(lost)
        case .uplinkRejected(let commands, let largest): out += ",\"rejected\":\(commands),\"largest_bytes\":\(largest)"
        case .demandPlaced, .demandCancelled, .detectorSuspect, .sosAcknowledged, .sosUnanswered, .sosButtonStuck, .tamper, .mainsLost,
             .batteryLow, .lampFailure, .beaconActivation(.began), .detectorStuck, .detectorIdle, .detectorFault, .storageFault(nil):
            break
        }
        out += "}"
        return out
    }

    /// One readable line for timelines and the bench screen: `sos.alarm raised, alarm 1, by sos.button [critical]`.
    public func summary(tickMs: Int) -> String {
        var out = type.name
        if let state { out += " \(state.name)" }
        if case .modeChanged(let mode) = detail { out += " to \(mode.name)" }
        if alarmID != 0 { out += ", alarm \(alarmID)" }
        if let role { out += ", by \(role.name)" }
        let duration = { (t: Ticks) in DurationText.format(milliseconds: t.milliseconds(tickMs: tickMs)) }
        switch detail {
        case .demandServed(_, let wait): out += ", after \(duration(wait))"
        case .sosPressed(_, let presses): out += ", press \(presses)"
        case .beaconActivation(.ended(let after)): out += ", after \(duration(after))"
        case .selfTest(let open): out += open == 0 ? ", all clear" : ", \(open) open conditions"
        case .lampTest(let checked, let failed):
            out += ", \(checked) lamps checked"
            if failed != OutputSet() { out += " \(failed)" }
        case .outboxDropped(let info, let normal, let seqs):
            out += ", \(info) info and \(normal) normal events dropped (seq \(seqs.lowerBound)–\(seqs.upperBound))"
        case .outboxDamaged(let bytes, let lost):
            out += ", \(bytes) damaged bytes skipped"
            if let lost { out += " (seq \(lost.lowerBound)–\(lost.upperBound) lost)" }
        case .controllerStarted(let skipped?): out += ", seq \(skipped.lowerBound)–\(skipped.upperBound) skipped"
        case .uplinkRejected(let commands, let largest): out += ", \(commands) oversized commands, the largest \(largest) bytes"
        case .storageFault(let kind?): out += ", \(kind.name)"
        case .failSafe(_, let rule, let outputs):
            out += ", \(rule.name)"
            if outputs != OutputSet() { out += " \(outputs)" }
        case .controllerStarted(nil), .demandPlaced, .demandCancelled, .modeChanged, .detectorSuspect, .sosAlarm, .sosAcknowledged,
             .sosUnanswered, .sosButtonStuck, .tamper, .mainsLost, .batteryLow, .lampFailure, .beaconActivation(.began), .detectorStuck,
             .detectorIdle, .detectorFault, .storageFault(nil):
            break
        }
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
