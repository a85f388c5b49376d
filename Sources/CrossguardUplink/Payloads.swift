import CrossguardCore

/// The uplink's JSON payloads (`docs/uplink.md`; `schemas/`), written by hand with keys
/// in a fixed order so the same event is the same bytes on every device and every run.
public enum UplinkPayload {
    /// An event as published on `events`: device, seq and UTC time first, then the event's own fields.
    public static func event(_ event: Event, device: String, unixMs: Int64, tickMs: Int) -> [UInt8] {
        let json = event.json(tickMs: tickMs)  // {"seq":N,"type":...
        let rest = json.drop(while: { $0 != "," })
        return Array("{\"device\":\(JSONText.quote(device)),\"seq\":\(event.seq),\"time\":\"\(RFC3339.format(unixMs: unixMs))\"\(rest)".utf8)
    }

    /// A reply on `cmd/result`. `result` is a JSON object text (diagnostics, a lamp test), or nil.
    public static func commandResult(id: String?, type: String?, error: String?, result: String? = nil) -> [UInt8] {
        var out = "{\"id\":\(id.map(JSONText.quote) ?? "null"),\"type\":\(type.map(JSONText.quote) ?? "null"),\"ok\":\(error == nil)"
        out += ",\"error\":\(error.map(JSONText.quote) ?? "null")"
        if let result { out += ",\"result\":\(result)" }
        return Array((out + "}").utf8)
    }

    /// The `result` of `diag.run`: tick counts, the outbox, the latch record's health and the broker in use
    /// (each left out when unknown), and `report`, the daemon's own checks as `diag --json` prints them.
    public static func diagnostics(ticks: TickReport, outbox: OutboxStatistics, storage: StorageStatus = StorageStatus(), latch: String?,
                                   broker: String?, uptimeMs: UInt64, report: String? = nil) -> String {
        var out = "{\"ticks\":\(ticks.json),\"outbox\":\(outbox.json),\"storage\":\(storage.json)"
        if let latch { out += ",\"latch\":\(JSONText.quote(latch))" }
        if let broker { out += ",\"broker\":\(JSONText.quote(broker))" }
        out += ",\"uptime_s\":\(uptimeMs / 1_000)"
        if let report { out += ",\"diag\":\(report)" }
        return out + "}"
    }
}

/// Tick counts for status and diagnostics, as the uplink reports them.
public struct TickReport: Equatable, Sendable {
    public var count: UInt64 = 0
    public var overruns: UInt64 = 0
    public var maxLatenessNs: UInt64 = 0
    public var hardwareErrors: UInt64 = 0
    /// Events the tick thread could not hand to the uplink because its queue was full.
    public var queueOverflows: UInt64 = 0
    /// Wake-up lateness percentiles (p50, p99, p99.9), nanoseconds; zero until measured.
    public var latenessP50Ns: UInt64 = 0
    public var latenessP99Ns: UInt64 = 0
    public var latenessP999Ns: UInt64 = 0

    /// Zero counts.
    public init() {}

    /// The `ticks` object of status and `diag.run`.
    public var json: String {
        "{\"count\":\(count),\"overruns\":\(overruns),\"max_lateness_us\":\(maxLatenessNs / 1_000),\"lateness_us\":"
            + "{\"p50\":\(latenessP50Ns / 1_000),\"p99\":\(latenessP99Ns / 1_000),\"p99_9\":\(latenessP999Ns / 1_000)},"
            + "\"hardware_errors\":\(hardwareErrors),\"queue_overflows\":\(queueOverflows)}"
    }
}

extension OutboxStatistics {
    /// The `outbox` object of status and `diag.run`.
    public var json: String {
        "{\"records\":\(records),\"bytes\":\(bytes),\"dropped_info\":\(droppedInfo),\"dropped_normal\":\(droppedNormal)}"
    }
}

/// The health of the device's storage, for `storage` in the status: whether the outbox journal takes
/// writes (and since when it has not), how many events are held in memory only meanwhile, and whether the
/// latched fail-safe's record is on disk (while it is not, the latch holds in memory but a restart would
/// forget it).
public struct StorageStatus: Equatable, Sendable {
    /// What keeps the journal from being written, nil while it is.
    public var fault: StorageFaultKind?
    /// When the fault began, milliseconds since 1970.
    public var faultSinceUnixMs: Int64?
    /// Events held in memory only.
    public var inMemory = 0
    /// Whether the latch record on disk says what the controller shows.
    public var latchPersisted = true

    /// Healthy storage.
    public init() {}

    /// The `storage` object of status and `diag.run`.
    public var json: String {
        "{\"journal\":\"\(fault?.name ?? "ok")\",\"since\":\(faultSinceUnixMs.map { "\"\(RFC3339.format(unixMs: $0))\"" } ?? "null")"
            + ",\"in_memory\":\(inMemory),\"latch_persisted\":\(latchPersisted)}"
    }
}

/// What the device shows now, for the retained `status` message. The signal part (`sameSignal`) decides
/// when a change is published; counts and uptime ride along.
public struct StatusReport: Equatable, Sendable {
    public var profile: CrossingProfile
    public var regime: Regime
    public var mode: OperatingMode = .normal
    /// The crossing's phase name, nil without a crossing.
    public var phase: String?
    public var lit = OutputSet()
    public var countdown: UInt16?
    /// The open SOS alarm, 0 when none.
    public var alarm: UInt32 = 0
    public var acknowledged = false
    public var conditions = InputSet()
    public var latched: SafetyRule?
    public var failedLamps = OutputSet()
    public var walkInhibited = false
    /// The crossing's on-crossing detector is suspect. For `diag.run`; not in the status payload.
    public var detectorSuspect = false
    public var uptimeMs: UInt64 = 0
    public var ticks = TickReport()

    /// A report for a device of this profile and regime, with nothing shown yet.
    public init(profile: CrossingProfile, regime: Regime) {
        self.profile = profile
        self.regime = regime
    }

    /// Whether what the centre sees (signals, alarm, faults) is the same; counts and uptime aside.
    public func sameSignal(as other: StatusReport) -> Bool {
        var a = self, b = other
        a.uptimeMs = 0; b.uptimeMs = 0
        a.ticks = TickReport(); b.ticks = TickReport()
        a.detectorSuspect = false; b.detectorSuspect = false  // not in the payload: no new status for it
        return a == b
    }

    /// The retained `status` payload.
    public func json(device: String, firmware: String, unixMs: Int64, outbox: OutboxStatistics, storage: StorageStatus = StorageStatus()) -> [UInt8] {
        var out = "{\"device\":\(JSONText.quote(device)),\"time\":\"\(RFC3339.format(unixMs: unixMs))\",\"firmware\":\(JSONText.quote(firmware))"
        out += ",\"profile\":\"\(profile.rawValue)\",\"regime\":\"\(regime.rawValue)\",\"mode\":\"\(mode.name)\""
        out += ",\"phase\":\(phase.map(JSONText.quote) ?? "null"),\"lit\":\(lit.jsonNames),\"countdown\":\(countdown.map(String.init) ?? "null")"
        out += ",\"alarm\":" + (alarm == 0 ? "null" : "{\"id\":\(alarm),\"acknowledged\":\(acknowledged)}")
        out += ",\"conditions\":\(conditions.jsonNames)"
        out += ",\"faults\":{\"latched\":\(latched.map { JSONText.quote($0.name) } ?? "null"),\"failed_lamps\":\(failedLamps.jsonNames),\"walk_inhibited\":\(walkInhibited)}"
        out += ",\"uptime_s\":\(uptimeMs / 1_000),\"ticks\":\(ticks.json),\"outbox\":\(outbox.json),\"storage\":\(storage.json)}"
        return Array(out.utf8)
    }
}
