/// What a site-file key holds, with its range where it has one: the range is the one the loader enforces
/// and the one the documentation shows, so the two cannot drift apart.
public enum SiteKeyValue: Sendable {
    /// A duration string, in milliseconds.
    case duration(ClosedRange<Int>?)
    /// A number in `unit`; `shown` writes the range the way the rule is known (`½–⅔`).
    case number(ClosedRange<Double>?, unit: String, shown: String? = nil)
    /// A whole number in `unit`.
    case integer(ClosedRange<Int>?, unit: String)
    /// `true` or `false`.
    case flag
    /// One of these words.
    case choice([String])
    /// Free text (a path, a URL, an id), checked by the loader's own rule.
    case text

    /// The range as the rule and its messages write it, nil when there is none.
    public var rangeText: String? {
        let f = DurationText.format(milliseconds:)
        switch self {
        case .duration(let r?): return "\(f(r.lowerBound))–\(f(r.upperBound))"
        case .number(_, _, let shown?): return shown
        case .number(let r?, let unit, nil): return "\(formatNumber(r.lowerBound))–\(formatNumber(r.upperBound))" + (unit.isEmpty ? "" : " \(unit)")
        case .integer(let r?, let unit): return "\(r.lowerBound)–\(r.upperBound)" + (unit.isEmpty ? "" : " \(unit)")
        default: return nil
        }
    }
}

/// One key of the site file (or of the board file, `BoardKeys`), declared once: its table and name, what it holds and its range, its default,
/// the rule or standard behind it, and where it applies. The loader takes its ranges and messages from
/// here, `check-config --keys` prints the tables, and the tables in `docs/configuration.md` and
/// `docs/uplink.md` are those tables (a test compares them).
public struct SiteKey: Sendable {
    /// The table it is in (`crossing`), empty for the top level.
    public let table: String
    public let name: String
    public let value: SiteKeyValue
    /// The default as the documentation writes it (`3 s`, `2 s (uk: 3 s)`, `= all_red`, `required`).
    public let defaultText: String
    /// The rule or standard behind the range, cited in the loader's messages (`MUTCD 4F.17 / ITE`).
    public let because: String?
    /// What else a reader must know, after the range: where it applies, what it does.
    public let note: String?
    /// The regimes it may be given in; every regime when empty.
    public let regimes: [Regime]
    /// The profiles whose table holds it; every profile that reads the table when empty.
    public let profiles: [CrossingProfile]

    init(_ table: String, _ name: String, _ value: SiteKeyValue, default defaultText: String, because: String? = nil, note: String? = nil,
         regimes: [Regime] = [], profiles: [CrossingProfile] = []) {
        self.table = table
        self.name = name
        self.value = value
        self.defaultText = defaultText
        self.because = because
        self.note = note
        self.regimes = regimes
        self.profiles = profiles
    }

    /// The dotted key (`crossing.amber`).
    public var path: String { table.isEmpty ? name : "\(table).\(name)" }

    /// The rule column of the documentation: the range and its reason, then the note.
    public var rule: String {
        var parts: [String] = []
        let names = { (words: [String]) in words.map { "`\($0)`" }.joined(separator: " and ") }
        switch (profiles.isEmpty, regimes.isEmpty) {
        case (false, false): parts.append("only \(names(profiles.map(\.rawValue))), in \(names(regimes.map(\.rawValue)))")
        case (false, true): parts.append("only \(names(profiles.map(\.rawValue)))")
        case (true, false): parts.append("only in \(names(regimes.map(\.rawValue)))")
        case (true, true): break
        }
        if let range = value.rangeText { parts.append(range + (because.map { " (\($0))" } ?? "")) } else if let because { parts.append("(\(because))") }
        if let note { parts.append(note) }
        return parts.joined(separator: "; ")
    }

    /// The message for a value outside the range, after the key (`= 2.5 s is outside 3 s–6 s (MUTCD 4F.17 / ITE)`).
    public func outside(_ shownValue: String) -> String {
        "= \(shownValue) is outside \(value.rangeText ?? "its range")" + (because.map { " (\($0))" } ?? "")
    }

    /// The shortest a duration key allows, nil without a range.
    public var lowestMilliseconds: Int? {
        if case .duration(let r?) = value { return r.lowerBound }
        return nil
    }

    /// Whether `ms` lies in a duration key's range (always, for a key without one).
    public func admits(milliseconds ms: Int) -> Bool {
        if case .duration(let r?) = value { return r.contains(ms) }
        return true
    }

    /// Whether `x` lies in a number key's range.
    public func admits(number x: Double) -> Bool {
        if case .number(let r?, _, _) = value { return x >= r.lowerBound - 1e-9 && x <= r.upperBound + 1e-9 }
        return true
    }

    /// Whether `n` lies in an integer key's range.
    public func admits(integer n: Int) -> Bool {
        if case .integer(let r?, _) = value { return r.contains(n) }
        return true
    }
}

/// Every key of the site file, in the order the documentation lists them.
public enum SiteKeys {
    // The top level.
    public static let deviceID = SiteKey("", "device_id", .text, default: "required", note: "1–64 of `a–z A–Z 0–9 - _` (part of the MQTT topics)")
    public static let profile = SiteKey("", "profile", .choice(CrossingProfile.allCases.map(\.rawValue)), default: "`\"signalized\"`",
                                        note: "`signalized`, `beacon` (unsignalized smart crosswalk), `hybrid-beacon` (US pedestrian hybrid beacon, regime `us` only), or `none` for an SOS post alone")
    public static let regime = SiteKey("", "regime", .choice(Regime.allCases.map(\.rawValue)), default: "`\"kz\"`", note: "`kz`, `us` or `uk`")
    public static let tick = SiteKey("", "tick", .duration(1...100), default: "`\"10ms\"`", note: "a divisor of 1 s")
    public static let flashPerMinute = SiteKey("flash", "per_minute", .integer(50...60, unit: "flashes a minute"), default: "60", because: "MUTCD 4G.01")
    public static let flashDuty = SiteKey("flash", "duty", .number(0.5...(2.0 / 3.0), unit: "", shown: "½–⅔ of each cycle lit"), default: "0.5", because: "MUTCD 4G.01")
    public static let lampMismatch = SiteKey("safety", "lamp_mismatch", .duration(200...5_000), default: "800 ms",
                                             because: "a lamp sense needs a few ticks to settle; a real failure must not wait longer",
                                             note: "how long a sensed lamp must disagree with its command; at least two ticks shorter than `crossing.all_red`")

    // [crossing]
    static let walkingSpeedRule = "MUTCD 4E.06: 1.07 m/s = 3.5 ft/s at most; slower, e.g. 0.9 m/s, near schools and hospitals"
    public static let crossingLength = SiteKey("crossing", "length_m", .number(nil, unit: "m"), default: "required", note: "more than 0, at most 100 m")
    public static let crossingSpeed = SiteKey("crossing", "walking_speed_mps", .number(0.5...1.07, unit: "m/s"), default: "1.07", because: walkingSpeedRule)
    public static let minGreen = SiteKey("crossing", "min_green", .duration(5_000...120_000), default: "20 s",
                                         because: "a vehicle green shorter than 5 s is not a green", profiles: [.signalized])
    public static let minDark = SiteKey("crossing", "min_dark", .duration(1_000...300_000), default: "10 s",
                                        because: "the least dark time between two activations", profiles: [.hybridBeacon])
    public static let flashingGreen = SiteKey("crossing", "flashing_green", .duration(2_000...4_000), default: "3 s",
                                              because: "kz practice: 3 s of flashing green before amber", regimes: [.kz], profiles: [.signalized])
    public static let flashingAmber = SiteKey("crossing", "flashing_amber", .duration(2_000...10_000), default: "3 s",
                                              because: "MUTCD 4J: flashing yellow upon actuation, a few seconds", profiles: [.hybridBeacon])
    public static let amber = SiteKey("crossing", "amber", .duration(3_000...6_000), default: "3 s", because: "MUTCD 4F.17 / ITE")
    public static let allRed = SiteKey("crossing", "all_red", .duration(1_000...6_000), default: "2 s (`uk`: 3 s)",
                                       note: "before the walk; at least 3 s in `uk` (TOPAS 2500A)")
    public static let allRedAfterClearance = SiteKey("crossing", "all_red_after_clearance", .duration(1_000...6_000), default: "= `all_red` (`us`: 3 s)",
                                                     note: "at least 3 s in `us` (the MUTCD 4I.06 buffer interval)")
    public static let redAmber = SiteKey("crossing", "red_amber", .duration(1_000...3_000), default: "2 s",
                                         because: "2 s in the UK", regimes: [.kz, .uk], profiles: [.signalized])
    public static let walk = SiteKey("crossing", "walk", .duration(4_000...120_000), default: "7 s", because: "MUTCD 4E.06",
                                     note: "at least 7 s unless `allow_short_walk = true`")
    public static let allowShortWalk = SiteKey("crossing", "allow_short_walk", .flag, default: "false", note: "allows a walk down to 4 s (MUTCD 4E.06)")
    public static let clearance = SiteKey("crossing", "clearance", .duration(nil), default: "length ÷ speed",
                                          note: "at least length ÷ speed, refused if shorter; at most 2 min")
    public static let clearanceMax = SiteKey("crossing", "clearance_max", .duration(nil), default: "= `clearance`",
                                             note: "at least `clearance`, at most twice it plus 30 s; on-crossing presence extends the clearance up to here")
    public static let maxWait = SiteKey("crossing", "max_wait", .duration(nil), default: "45 s", note: "at least the worst-case wait (below)")
    public static let kerbDwell = SiteKey("crossing", "kerb_dwell", .duration(100...10_000), default: "1 s",
                                          note: "kerbside presence this long places a demand")
    public static let kerbCancel = SiteKey("crossing", "kerb_cancel", .duration(500...30_000), default: "2 s",
                                           note: "absence this long cancels a kerb demand before the vehicles are stopped")
    public static let startupFlash = SiteKey("crossing", "startup_flash", .duration(3_000...60_000), default: "6 s")
    public static let startupAllRed = SiteKey("crossing", "startup_all_red", .duration(1_000...10_000), default: "3 s", profiles: [.signalized])
    public static let countdown = SiteKey("crossing", "countdown", .flag, default: "true", note: "shown only during a fixed clearance longer than 7 s")

    // [beacon]
    public static let beaconLength = SiteKey("beacon", "length_m", .number(nil, unit: "m"), default: "required", note: "more than 0, at most 100 m")
    public static let beaconSpeed = SiteKey("beacon", "walking_speed_mps", .number(0.5...1.07, unit: "m/s"), default: "1.07", because: walkingSpeedRule)
    public static let beaconBuffer = SiteKey("beacon", "buffer", .duration(0...30_000), default: "3 s", note: "one activation = length ÷ speed + buffer")
    public static let beaconMax = SiteKey("beacon", "max", .duration(nil), default: "60 s",
                                          note: "from one activation up to 10 min; presence holds it at most this long after the activation or the newest press (a press always gets the full time to cross)")
    public static let beaconPattern = SiteKey("beacon", "pattern", .choice(BeaconPattern.allCases.map(\.rawValue)), default: "`\"steady-1hz\"`",
                                              note: "`steady-1hz` (the site's flasher, left and right alternating, MUTCD 4G.01) or `rrfb` (FHWA IA-21: 75 sequences a minute of 800 ms, left first; needs a tick dividing 50 ms)")
    public static let beaconKerbDwell = SiteKey("beacon", "kerb_dwell", .duration(100...10_000), default: "500 ms", note: "kerbside presence this long activates it")
    public static let nightBelowLux = SiteKey("beacon", "night_below_lux", .number(0...10_000, unit: "lux"), default: "10",
                                              note: "the floodlight lights the crosswalk below this")
    public static let dayAboveLux = SiteKey("beacon", "day_above_lux", .number(nil, unit: "lux"), default: "30",
                                            note: "above `night_below_lux` (the gap is the hysteresis that stops the floodlight flickering at dusk), at most 100000 lux")
    public static let kerbStuckAfter = SiteKey("beacon", "kerb_stuck_after", .duration(60_000...7_200_000), default: "5 min",
                                               note: "a kerb detector held longer is ignored (buttons still work) and raises `detector.stuck`")
    public static let detectorIdleAfter = SiteKey("beacon", "detector_idle_after", .duration(3_600_000...(30 * 86_400_000)), default: "24 h",
                                                  note: "without any presence this long raises `detector.idle`")

    // [sos]
    public static let longPress = SiteKey("sos", "long_press", .duration(0...5_000), default: "0 ms",
                                          because: "a person in danger must not have to hold the button longer", note: "0 raises the alarm on the press")
    public static let ackTimeout = SiteKey("sos", "ack_timeout", .duration(10_000...600_000), default: "60 s",
                                           note: "then the yellow light blinks fast, the alarm stays open")
    public static let stuckAfter = SiteKey("sos", "stuck_after", .duration(5_000...600_000), default: "30 s", note: "longer than `long_press`")
    public static let selfTestEvery = SiteKey("sos", "self_test_every", .duration(60_000...(7 * 86_400_000)), default: "24 h")

    // [uplink]
    public static let broker = SiteKey("uplink", "broker", .text, default: "none: no uplink",
                                       note: "one URL or a list: `mqtt://host:port` (plain TCP) or `mqtts://host:port` (TLS); a list is tried in turn")
    public static let caFile = SiteKey("uplink", "ca_file", .text, default: "the system's CAs", note: "PEM file of the CA that signed the broker's certificate (`mqtts`)")
    public static let certFile = SiteKey("uplink", "cert_file", .text, default: "none",
                                         note: "PEM client certificate, for brokers that authenticate devices by certificate; needs `key_file`")
    public static let keyFile = SiteKey("uplink", "key_file", .text, default: "none", note: "the client certificate's PEM key; needs `cert_file`")
    public static let keepAlive = SiteKey("uplink", "keepalive_s", .integer(5...3_600, unit: "s"), default: "30",
                                          note: "silence before the device pings the broker; the broker declares the device gone after 1.5 times this")
    public static let commandWindow = SiteKey("uplink", "command_window_s", .integer(10...86_400, unit: "s"), default: "300",
                                              note: "how old a command's `issued_at` may be")
    public static let outboxMax = SiteKey("uplink", "outbox_max_mib", .integer(4...4_096, unit: "MiB"), default: "64",
                                          note: "disk the outbox may use before `info`, then `normal` events are dropped")
    public static let healthyAfter = SiteKey("uplink", "healthy_after_s", .integer(1...3_600, unit: "s"), default: "30",
                                             note: "how long a connection must stay up before the reconnect backoff starts again from its first step")
    public static let backoffMax = SiteKey("uplink", "backoff_max_s", .integer(1...3_600, unit: "s"), default: "60",
                                           note: "the longest pause between reconnection attempts")

    // [daemon]
    public static let realtimePriority = SiteKey("daemon", "realtime_priority", .integer(1...99, unit: ""), default: "none (ordinary scheduler)",
                                                 because: "SCHED_FIFO priorities; leave it out for the ordinary scheduler",
                                                 note: "the tick thread runs `SCHED_FIFO` at this priority; refused without `CAP_SYS_NICE` (a warning, the daemon runs on)")
    public static let lockMemory = SiteKey("daemon", "lock_memory", .flag, default: "false",
                                           note: "`mlockall`: no page fault on the tick path; refused without `CAP_IPC_LOCK` (a warning)")
    public static let watchdog = SiteKey("daemon", "watchdog", .text, default: "none",
                                         note: "a device under `/dev` (`/dev/watchdog`): armed at start, petted every 0.5 s while ticks run, closed with the magic character on a clean stop; one that cannot be opened is a warning")
    public static let watchdogTimeout = SiteKey("daemon", "watchdog_timeout", .duration(2_000...600_000), default: "15 s",
                                                because: "the watchdog counts seconds", note: "whole seconds; without a healthy tick for this long the board resets")

    /// Every key, table by table.
    public static let all: [SiteKey] = [
        deviceID, profile, regime, tick, flashPerMinute, flashDuty, lampMismatch,
        crossingLength, crossingSpeed, minGreen, minDark, flashingGreen, flashingAmber, amber, allRed, allRedAfterClearance, redAmber, walk,
        allowShortWalk, clearance, clearanceMax, maxWait, kerbDwell, kerbCancel, startupFlash, startupAllRed, countdown,
        beaconLength, beaconSpeed, beaconBuffer, beaconMax, beaconPattern, beaconKerbDwell, nightBelowLux, dayAboveLux, kerbStuckAfter, detectorIdleAfter,
        longPress, ackTimeout, stuckAfter, selfTestEvery,
        broker, caFile, certFile, keyFile, keepAlive, commandWindow, outboxMax, healthyAfter, backoffMax,
        realtimePriority, lockMemory, watchdog, watchdogTimeout,
    ]

    /// The documentation's tables: the top level with `[flash]` and `[safety]`, then one per table.
    public static let documentedTables: [(title: String, tables: [String])] = [
        ("site", ["", "flash", "safety"]), ("crossing", ["crossing"]), ("beacon", ["beacon"]), ("sos", ["sos"]),
        ("uplink", ["uplink"]), ("daemon", ["daemon"]),
    ]

    /// One documentation table as Markdown: `| key | default | rule |` and a row per key; keys of a
    /// table other than the first are named with it (`[flash] per_minute`).
    public static func markdown(_ tables: [String], keys: [SiteKey] = all) -> String {
        var lines = ["| key | default | rule |", "| --- | --- | --- |"]
        for key in keys where tables.contains(key.table) {
            let name = key.table == tables[0] ? "`\(key.name)`" : "`[\(key.table)] \(key.name)`"
            lines.append("| \(name) | \(key.defaultText) | \(key.rule) |")
        }
        return lines.joined(separator: "\n")
    }
}

extension TableReader {
    /// A duration or integer key: `fallback` when absent, the value when it lies in the key's range, nil
    /// (reported with the key's range and reason) when it does not or cannot be read.
    func read(_ key: SiteKey, default fallback: Int) -> Int? {
        guard has(key.name) else { return fallback }
        switch key.value {
        case .duration:
            guard let ms = duration(key.name) else { return nil }
            guard key.admits(milliseconds: ms) else {
                report(key.name, key.outside(DurationText.format(milliseconds: ms)))
                return nil
            }
            return ms
        default:
            guard let n = integer(key.name) else { return nil }
            guard key.admits(integer: n) else {
                report(key.name, key.outside(String(n)))
                return nil
            }
            return n
        }
    }

    /// A number key, the same way.
    func read(_ key: SiteKey, default fallback: Double) -> Double? {
        guard has(key.name) else { return fallback }
        guard let x = number(key.name) else { return nil }
        guard key.admits(number: x) else {
            report(key.name, key.outside(formatNumber(x)))
            return nil
        }
        return x
    }

    /// A duration or integer key for a loader that keeps going after a problem: the value, or the
    /// default with `ok` cleared when it was refused (the problem is reported).
    func read(_ key: SiteKey, default fallback: Int, ok: inout Bool) -> Int {
        if let v = read(key, default: fallback) { return v }
        ok = false
        return fallback
    }

    /// A number key, the same way.
    func read(_ key: SiteKey, default fallback: Double, ok: inout Bool) -> Double {
        if let v = read(key, default: fallback) { return v }
        ok = false
        return fallback
    }

    /// A flag key.
    func read(_ key: SiteKey, default fallback: Bool) -> Bool { bool(key.name) ?? fallback }
}
