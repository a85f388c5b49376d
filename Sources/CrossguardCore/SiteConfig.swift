/// The national rule set a site follows: it picks the change interval, the clearance display,
/// red+amber before green, and the minimum all-red before a walk.
public enum Regime: String, CaseIterable, Sendable {
    /// Kazakhstan / CIS: flashing green then amber, flashing walk with countdown, red+amber.
    case kz
    /// United States (MUTCD): amber, flashing don't-walk with countdown, buffer all-red ≥ 3 s.
    case us
    /// United Kingdom (Puffin): amber, red man during clearance with on-crossing extension, red+amber, all-red ≥ 3 s before walk.
    case uk

    /// Whether vehicles see red+amber before green.
    public var hasRedAmber: Bool { self != .us }
    /// Whether the change interval starts with flashing green.
    public var hasFlashingGreen: Bool { self == .kz }
}

/// What the crossing part of a site is. `none` is an SOS post on its own.
public enum CrossingProfile: String, CaseIterable, Sendable {
    case signalized
    /// An unsignalized smart crosswalk: beacons, road studs and floodlight on demand.
    case beacon
    /// A US pedestrian hybrid beacon (MUTCD 4J, "HAWK"): dark until a pedestrian asks, then flashing and
    /// steady amber, steady red with walk, alternating flashing red with the clearance, dark again.
    case hybridBeacon = "hybrid-beacon"
    case none
}

/// The signalized crossing's timings as written in the site file, in milliseconds, already validated.
public struct CrossingSettings: Equatable, Sendable {
    public var lengthMeters: Double
    public var walkingSpeedMetersPerSecond: Double
    public var minGreen: Milliseconds
    /// kz only; 0 elsewhere.
    public var flashingGreen: Milliseconds
    public var amber: Milliseconds
    /// Vehicle all-red before the walk.
    public var allRed: Milliseconds
    /// Vehicle all-red after the pedestrian clearance (the MUTCD buffer interval).
    public var allRedAfterClearance: Milliseconds
    /// kz and uk only; 0 in us.
    public var redAmber: Milliseconds
    public var walk: Milliseconds
    /// The fixed clearance, ≥ length ÷ speed.
    public var clearance: Milliseconds
    /// The longest clearance an on-crossing detector may extend to (= clearance when there is no extension).
    public var clearanceMax: Milliseconds
    public var maxWait: Milliseconds
    public var kerbDwell: Milliseconds
    public var kerbCancel: Milliseconds
    public var startupFlash: Milliseconds
    public var startupAllRed: Milliseconds
    public var countdown: Bool

    /// Values as given; `SiteConfig.load` is what validates a file.
    public init(lengthMeters: Double, walkingSpeedMetersPerSecond: Double, minGreen: Milliseconds, flashingGreen: Milliseconds, amber: Milliseconds, allRed: Milliseconds, allRedAfterClearance: Milliseconds, redAmber: Milliseconds, walk: Milliseconds, clearance: Milliseconds, clearanceMax: Milliseconds, maxWait: Milliseconds, kerbDwell: Milliseconds, kerbCancel: Milliseconds, startupFlash: Milliseconds, startupAllRed: Milliseconds, countdown: Bool) {
        self.lengthMeters = lengthMeters
        self.walkingSpeedMetersPerSecond = walkingSpeedMetersPerSecond
        self.minGreen = minGreen
        self.flashingGreen = flashingGreen
        self.amber = amber
        self.allRed = allRed
        self.allRedAfterClearance = allRedAfterClearance
        self.redAmber = redAmber
        self.walk = walk
        self.clearance = clearance
        self.clearanceMax = clearanceMax
        self.maxWait = maxWait
        self.kerbDwell = kerbDwell
        self.kerbCancel = kerbCancel
        self.startupFlash = startupFlash
        self.startupAllRed = startupAllRed
        self.countdown = countdown
    }
}

/// Flashing lamps (flash mode, start-up, flashing green or walk): MUTCD 4G.01, 50–60 flashes a minute, lit ½–⅔.
public struct FlashSettings: Equatable, Sendable {
    public var flashesPerMinute: Int
    public var duty: Double

    /// Values as given; `SiteConfig.load` is what validates a file.
    public init(flashesPerMinute: Int, duty: Double) {
        self.flashesPerMinute = flashesPerMinute
        self.duty = duty
    }
}

/// SOS post behaviour (the site file's `[sos]` table), in milliseconds.
public struct SOSSettings: Equatable, Sendable {
    /// 0: a press raises the alarm at once; otherwise the button must be held this long.
    public var longPress: Milliseconds
    /// Without the centre's acknowledgement by then the yellow light blinks fast.
    public var ackTimeout: Milliseconds
    /// A button held longer than this is stuck: one fault, no flood of alarms.
    public var stuckAfter: Milliseconds
    /// Period of the self-test report (default daily).
    public var selfTestEvery: Milliseconds

    /// Settings as given; `SiteConfig.load` is what validates them.
    public init(longPress: Milliseconds, ackTimeout: Milliseconds, stuckAfter: Milliseconds, selfTestEvery: Milliseconds) {
        self.longPress = longPress
        self.ackTimeout = ackTimeout
        self.stuckAfter = stuckAfter
        self.selfTestEvery = selfTestEvery
    }
}

/// The safety monitor's settings.
public struct SafetySettings: Equatable, Sendable {
    /// How long a lamp must read differently from its command before it counts (default 800 ms, the MMU red-fail time).
    public var lampMismatch: Milliseconds

    /// Settings as given; `SiteConfig.load` validates them.
    public init(lampMismatch: Milliseconds) { self.lampMismatch = lampMismatch }
}

/// One MQTT broker: `mqtt://host[:port]` (TCP, port 1883 by default) or `mqtts://host[:port]` (TLS, 8883).
public struct BrokerAddress: Equatable, Sendable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int

    /// An address from its parts.
    public init(tls: Bool, host: String, port: Int) {
        self.tls = tls
        self.host = host
        self.port = port
    }

    /// Reads a broker URL; the failure says what is wrong with it, after the quoted URL.
    public static func parse(_ url: String) -> Result<BrokerAddress, ConfigProblem> {
        func bad(_ message: String) -> Result<BrokerAddress, ConfigProblem> { .failure(ConfigProblem(file: "", key: "", message: message)) }
        let tls: Bool
        let rest: Substring
        if url.hasPrefix("mqtt://") { tls = false; rest = url.dropFirst(7) } else if url.hasPrefix("mqtts://") { tls = true; rest = url.dropFirst(8) } else {
            return bad("must start with mqtt:// or mqtts://")
        }
        var host = rest, port = tls ? 8883 : 1883
        if rest.hasPrefix("[") {  // [::1]:1883
            guard let close = rest.firstIndex(of: "]") else { return bad("has an unclosed [ in the host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { return bad("has no port number after the host") }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]) else { return bad("has no port number after the last ':'") }
            host = rest[..<colon]
            port = p
        }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@"), !host.contains(" ") else {
            return bad("must be mqtt[s]://host[:port] with no path, user or spaces")
        }
        guard (1...65_535).contains(port) else { return bad("has port \(port); a port is 1–65535") }
        return .success(BrokerAddress(tls: tls, host: String(host), port: port))
    }

    /// The URL again, with its port.
    public var description: String {
        (tls ? "mqtts://" : "mqtt://") + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }
}

/// Where the uplink goes and how (`[uplink]` of the site file; docs/uplink.md).
public struct UplinkSettings: Equatable, Sendable {
    /// Brokers tried in turn; empty keeps events in the outbox and shows them.
    public var brokers: [BrokerAddress] = []
    /// PEM files for TLS: the CA that signed the broker's certificate (the system's when nil), and this
    /// device's certificate and key for mutual TLS (both or neither).
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// MQTT keep-alive, seconds.
    public var keepAliveSeconds = 30
    /// How old a command's `issued_at` may be, seconds.
    public var commandWindowSeconds = 300
    /// The outbox's bound on disk, MiB.
    public var outboxMaxMiB = 64
    /// Seconds a connection must stay up before the reconnect back-off starts again from its first step:
    /// a broker (or a message) that breaks every session right after CONNACK is retried at the backed-off pace.
    public var healthyAfterSeconds = 30
    /// The longest pause between reconnection attempts, seconds.
    public var backoffMaxSeconds = 60

    /// The defaults: no broker.
    public init() {}
}

/// How the daemon (`crossguard run`) holds its ground on the board (`[daemon]` of the site file): real-time
/// priority and locked memory for a tick that keeps time under load, and the hardware watchdog that resets
/// the board if the tick stops. All optional: without them the daemon runs as an ordinary process.
public struct DaemonSettings: Equatable, Sendable {
    /// `SCHED_FIFO` priority of the tick thread (1–99), nil for the ordinary scheduler.
    public var realtimePriority: Int?
    /// `mlockall`: no page fault on the tick path after start.
    public var lockMemory = false
    /// The hardware watchdog device (`/dev/watchdog`), nil for none.
    public var watchdogDevice: String?
    /// Seconds without a healthy tick before the watchdog resets the board.
    public var watchdogTimeoutSeconds = 15

    /// The defaults: ordinary scheduling, no watchdog.
    public init() {}
}

/// What stands at the site, with its own settings: the profile and its table cannot disagree.
public enum SiteProfile: Equatable, Sendable {
    /// A signalized crossing and its `[crossing]` table.
    case signalized(CrossingSettings)
    /// A pedestrian hybrid beacon and its `[crossing]` table.
    case hybridBeacon(CrossingSettings)
    /// A beacon crossing and its `[beacon]` table.
    case beacon(BeaconSettings)
    /// No crossing: an SOS post alone.
    case none

    /// The profile's name, as the site file's `profile` gives it.
    public var kind: CrossingProfile {
        switch self {
        case .signalized: .signalized
        case .hybridBeacon: .hybridBeacon
        case .beacon: .beacon
        case .none: .none
        }
    }

    /// The `[crossing]` settings of a signalized crossing or hybrid beacon.
    public var crossing: CrossingSettings? {
        switch self {
        case .signalized(let c), .hybridBeacon(let c): c
        case .beacon, .none: nil
        }
    }

    /// The `[beacon]` settings of a beacon crossing.
    public var beacon: BeaconSettings? {
        if case .beacon(let b) = self { return b }
        return nil
    }
}

/// A validated site file: what this installation is and how it must behave.
public struct SiteConfig: Equatable, Sendable {
    public var deviceID: String
    /// The profile with its settings.
    public var profile: SiteProfile
    public var regime: Regime
    public var tickMs: Int
    public var flash: FlashSettings
    /// nil when the site has no `[sos]` table.
    public var sos: SOSSettings?
    public var uplink: UplinkSettings
    public var safety: SafetySettings = SafetySettings(lampMismatch: 800)
    public var daemon = DaemonSettings()

    /// Values as given; `SiteConfig.load` is what validates a file.
    public init(deviceID: String, profile: SiteProfile, regime: Regime, tickMs: Int, flash: FlashSettings, sos: SOSSettings?, uplink: UplinkSettings,
                safety: SafetySettings = SafetySettings(lampMismatch: 800)) {
        self.safety = safety
        self.deviceID = deviceID
        self.profile = profile
        self.regime = regime
        self.tickMs = tickMs
        self.flash = flash
        self.sos = sos
        self.uplink = uplink
    }

    /// The `[crossing]` settings, for a signalized crossing or a hybrid beacon.
    public var crossing: CrossingSettings? { profile.crossing }
    /// The `[beacon]` settings, for a beacon crossing.
    public var beacon: BeaconSettings? { profile.beacon }
}

extension SiteConfig {
    /// Validates a whole site document, reporting every problem at once.
    public static func load(_ document: ConfigTable, file: String) -> Result<SiteConfig, ConfigErrors> {
        let log = ProblemLog(file: file)
        let top = TableReader(document, path: "", log: log)

        let deviceID = top.string("device_id") ?? ""
        if !top.has("device_id") {
            top.report("device_id", "is missing; every site needs the device id the operations centre knows it by")
        } else if !isValidDeviceID(deviceID) {
            top.report("device_id", "= \"\(deviceID)\" must be 1–64 characters of a–z, A–Z, 0–9, '-' and '_' (it is part of MQTT topics)")
        }

        var profile = CrossingProfile.signalized  // the kind; SiteProfile with its table is made at the end
        if let text = top.string("profile") {
            if let p = CrossingProfile(rawValue: text) { profile = p } else {
                top.report("profile", "= \"\(text)\" is not a profile; use one of: \(CrossingProfile.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        var regime = Regime.kz
        if let text = top.string("regime") {
            if let r = Regime(rawValue: text) { regime = r } else {
                top.report("regime", "= \"\(text)\" is not a regime; use one of: kz, us, uk")
            }
        }
        var tickMs = 10
        if let t = top.duration(SiteKeys.tick.name) {
            if !SiteKeys.tick.admits(milliseconds: t) || 1000 % t != 0 {
                top.report("tick", "= \(DurationText.format(milliseconds: t)) must be 1–100 ms and divide 1 s evenly (1, 2, 4, 5, 10, 20, 25, 50, 100 ms)")
            } else {
                tickMs = t
            }
        }

        var flash = FlashSettings(flashesPerMinute: 60, duty: 0.5)
        if let table = top.table("flash") {
            let r = TableReader(table, path: "flash", log: log)
            if let rate = r.read(SiteKeys.flashPerMinute, default: flash.flashesPerMinute) { flash.flashesPerMinute = rate }
            if let duty = r.read(SiteKeys.flashDuty, default: flash.duty) { flash.duty = duty }
            r.finish()
        }

        var crossing: CrossingSettings?
        var beacon: BeaconSettings?
        let crossingTable = top.table("crossing")
        let beaconTable = top.table("beacon")
        switch profile {
        case .signalized, .hybridBeacon:
            if profile == .hybridBeacon && regime != .us {
                top.report("regime", "= \"\(regime.rawValue)\" cannot run profile \"hybrid-beacon\": the pedestrian hybrid beacon is a US device (MUTCD 4J); use regime \"us\"")
            }
            if let table = crossingTable {
                crossing = loadCrossing(TableReader(table, path: "crossing", log: log), regime: regime, hybrid: profile == .hybridBeacon, tickMs: tickMs)
            } else {
                top.report("crossing", "is missing; profile \"\(profile.rawValue)\" needs a [crossing] table with at least length_m")
            }
        case .beacon:
            if let table = beaconTable {
                beacon = loadBeacon(TableReader(table, path: "beacon", log: log), tickMs: tickMs)
            } else {
                top.report("beacon", "is missing; profile \"beacon\" needs a [beacon] table with at least length_m")
            }
        case .none:
            break
        }
        if crossingTable != nil && profile != .signalized && profile != .hybridBeacon {
            top.report("crossing", "is not used with profile \"\(profile.rawValue)\"; remove it or choose profile \"signalized\" or \"hybrid-beacon\"")
        }
        if beaconTable != nil && profile != .beacon {
            top.report("beacon", "is not used with profile \"\(profile.rawValue)\"; remove it or choose profile \"beacon\"")
        }

        var sos: SOSSettings?
        if let table = top.table("sos") {
            sos = loadSOS(TableReader(table, path: "sos", log: log))
        }
        if profile == .none && !top.has("sos") {
            log.report("", "has profile \"none\" and no [sos] table: there is nothing to control")
        }

        var safety = SafetySettings(lampMismatch: 800)
        if let table = top.table("safety") {
            let r = TableReader(table, path: "safety", log: log)
            if let ms = r.read(SiteKeys.lampMismatch, default: safety.lampMismatch.value) { safety.lampMismatch = Milliseconds(ms) }
            r.finish()
        }

        // A red lamp found dark when the all-red before the walk begins must be found before the walk:
        // the monitor needs the mismatch time, and the crossing a tick to see it, within the all-red.
        if let c = crossing, safety.lampMismatch + Milliseconds(2 * tickMs) > c.allRed {
            let f = DurationText.format(milliseconds:)
            log.report("safety.lamp_mismatch", "= \(f(safety.lampMismatch.value)) must be at least two ticks (\(f(2 * tickMs))) shorter than crossing.all_red = \(f(c.allRed.value)), or a walk could start over a red lamp that is already dark")
        }

        var uplink = UplinkSettings()
        if let table = top.table("uplink") {
            let r = TableReader(table, path: "uplink", log: log)
            var urls: [String] = []
            if r.has("broker") {
                switch table["broker"]! {
                case .string(let s): urls = [s]
                case .array(let items) where !items.isEmpty && items.allSatisfy({ if case .string = $0 { true } else { false } }):
                    urls = items.map { if case .string(let s) = $0 { s } else { "" } }
                case let other: r.report("broker", "= \(other.rendered) must be a broker URL or a non-empty array of them")
                }
            }
            for url in urls {
                switch BrokerAddress.parse(url) {
                case .success(let address): uplink.brokers.append(address)
                case .failure(let problem): r.report("broker", "= \"\(url)\" \(problem.message)")
                }
            }
            uplink.caFile = r.string("ca_file")
            uplink.certFile = r.string("cert_file")
            uplink.keyFile = r.string("key_file")
            if (uplink.certFile == nil) != (uplink.keyFile == nil) {
                r.report(uplink.certFile == nil ? "key_file" : "cert_file", "needs \(uplink.certFile == nil ? "cert_file" : "key_file") too: mutual TLS takes a certificate and its key")
            }
            if uplink.caFile != nil || uplink.certFile != nil, !uplink.brokers.isEmpty, !uplink.brokers.contains(where: \.tls) {
                r.report(uplink.caFile != nil ? "ca_file" : "cert_file", "is set but no broker is mqtts://; the files would be ignored")
            }
            if let v = r.read(SiteKeys.keepAlive, default: uplink.keepAliveSeconds) { uplink.keepAliveSeconds = v }
            if let v = r.read(SiteKeys.commandWindow, default: uplink.commandWindowSeconds) { uplink.commandWindowSeconds = v }
            if let v = r.read(SiteKeys.outboxMax, default: uplink.outboxMaxMiB) { uplink.outboxMaxMiB = v }
            if let v = r.read(SiteKeys.healthyAfter, default: uplink.healthyAfterSeconds) { uplink.healthyAfterSeconds = v }
            if let v = r.read(SiteKeys.backoffMax, default: uplink.backoffMaxSeconds) { uplink.backoffMaxSeconds = v }
            r.finish()
        }

        var daemon = DaemonSettings()
        if let table = top.table("daemon") {
            let r = TableReader(table, path: "daemon", log: log)
            if r.has(SiteKeys.realtimePriority.name), let p = r.read(SiteKeys.realtimePriority, default: 0) { daemon.realtimePriority = p }
            daemon.lockMemory = r.read(SiteKeys.lockMemory, default: false)
            if let device = r.string("watchdog") {
                if device.hasPrefix("/dev/") { daemon.watchdogDevice = device } else {
                    r.report("watchdog", "= \"\(device)\" must be a device under /dev (\"/dev/watchdog\")")
                }
            }
            if let ms = r.duration(SiteKeys.watchdogTimeout.name) {
                if ms % 1_000 == 0, SiteKeys.watchdogTimeout.admits(milliseconds: ms) { daemon.watchdogTimeoutSeconds = ms / 1_000 } else {
                    r.report("watchdog_timeout", "= \(DurationText.format(milliseconds: ms)) must be whole seconds from 2 s to 10 min (the watchdog counts seconds)")
                }
            }
            r.finish()
        }
        top.finish()

        if !log.problems.isEmpty { return .failure(ConfigErrors(log.problems)) }
        let placed: SiteProfile?
        switch profile {
        case .signalized: placed = crossing.map(SiteProfile.signalized)
        case .hybridBeacon: placed = crossing.map(SiteProfile.hybridBeacon)
        case .beacon: placed = beacon.map(SiteProfile.beacon)
        case .none: placed = SiteProfile.none
        }
        // Every table the profile needs was read, or refused with its problem above.
        guard let placed else { return .failure(ConfigErrors(log.problems)) }
        var site = SiteConfig(
            deviceID: deviceID, profile: placed, regime: regime, tickMs: tickMs, flash: flash,
            sos: sos, uplink: uplink, safety: safety)
        site.daemon = daemon
        return .success(site)
    }

    static func isValidDeviceID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
    }

    /// The [crossing] table. A hybrid beacon uses the same timings under its own names where they mean
    /// something else: its rest is dark, so `min_dark` stands for the minimum green and `flashing_amber`
    /// for the flashing green; it has no red+amber and no start-up all-red (it starts dark).
    private static func loadCrossing(_ r: TableReader, regime: Regime, hybrid: Bool, tickMs: Int) -> CrossingSettings? {
        let f = DurationText.format(milliseconds:)
        let K = SiteKeys.self
        let profile: CrossingProfile = hybrid ? .hybridBeacon : .signalized
        var ok = true
        /// A key that only some regimes or one profile use: refused (with what to use instead) elsewhere, 0 there.
        func used(_ key: SiteKey, instead: String? = nil) -> Bool {
            let here = (key.regimes.isEmpty || key.regimes.contains(regime)) && (key.profiles.isEmpty || key.profiles.contains(profile))
            if !here && r.has(key.name) {
                if !key.profiles.isEmpty && !key.profiles.contains(profile) {
                    let usedWith = hybrid ? "is not used with profile \"hybrid-beacon\"" : "is used only with profile \"hybrid-beacon\""
                    r.report(key.name, usedWith + "; " + (instead ?? "remove it"))
                } else {
                    r.report(key.name, "is not used in regime \(regime.rawValue); remove it")
                }
                ok = false
            }
            return here
        }

        let length = r.number(K.crossingLength.name)
        if length == nil && !r.has(K.crossingLength.name) { r.report(K.crossingLength.name, "is missing; the clearance is derived from the crossing length in metres"); ok = false }
        if let l = length, !(l > 0 && l <= 100) { r.report(K.crossingLength.name, "= \(l) must be more than 0 and at most 100 m"); ok = false }
        let speedRead = r.read(K.crossingSpeed, default: 1.07)
        let speed = speedRead ?? 1.07
        if speedRead == nil { ok = false }

        let minGreen: Int
        let flashingGreen: Int
        if hybrid {
            _ = used(K.minGreen, instead: "the beacon rests dark: set min_dark, the least dark time between two activations")
            _ = used(K.flashingGreen, instead: "the beacon starts with flashing_amber")
            _ = used(K.startupAllRed, instead: "the beacon starts with its flash and then rests dark")
            minGreen = r.read(K.minDark, default: 10_000, ok: &ok)
            flashingGreen = r.read(K.flashingAmber, default: 3_000, ok: &ok)
        } else {
            _ = used(K.minDark, instead: "use min_green")
            _ = used(K.flashingAmber, instead: regime.hasFlashingGreen ? "use flashing_green" : "remove it")
            minGreen = r.read(K.minGreen, default: 20_000, ok: &ok)
            flashingGreen = used(K.flashingGreen) ? r.read(K.flashingGreen, default: 3_000, ok: &ok) : 0
        }
        let amber = r.read(K.amber, default: 3_000, ok: &ok)
        // The regimes' own minimums: the 3 s all-red before a walk in the UK, the 3 s buffer after the
        // clearance in the US. A value below them but inside the general range is named with its rule.
        func allRedKey(_ key: SiteKey, default value: Int, floorIn floorRegime: Regime, _ rule: String) -> Int {
            if regime == floorRegime, let ms = r.duration(key.name), ms < 3_000, key.admits(milliseconds: ms) {
                r.report(key.name, "= \(f(ms)) is below \(rule)")
                ok = false
                return ms
            }
            return r.read(key, default: value, ok: &ok)
        }
        let allRed = allRedKey(K.allRed, default: regime == .uk ? 3_000 : 2_000, floorIn: .uk,
                               "the 3 s all-red before a pedestrian walk required in regime uk (TOPAS 2500A)")
        // Outside us an absent all_red_after_clearance mirrors all_red, which has been checked already.
        let allRedAfter = allRedKey(K.allRedAfterClearance, default: regime == .us ? 3_000 : allRed, floorIn: .us,
                                    "the 3 s buffer interval that regime us requires after the clearance (MUTCD 4I.06)")
        let redAmber = used(K.redAmber) ? r.read(K.redAmber, default: 2_000, ok: &ok) : 0

        let allowShortWalk = r.read(K.allowShortWalk, default: false)
        let walk = r.duration(K.walk.name) ?? 7_000
        let shortest = K.walk.lowestMilliseconds ?? 0
        if walk < 7_000 && !allowShortWalk {
            r.report(K.walk.name, "= \(f(walk)) is below the 7 s minimum (MUTCD 4E.06); set crossing.allow_short_walk = true to allow down to \(f(shortest))")
            ok = false
        } else if !K.walk.admits(milliseconds: walk) {
            r.report(K.walk.name, walk < shortest ? "= \(f(walk)) is below the \(f(shortest)) absolute minimum (MUTCD 4E.06)"
                : "= \(f(walk)) is above 2 min; a walk that long is a configuration mistake")
            ok = false
        }

        // Clearance ≥ length ÷ speed, rounded up to whole milliseconds and then to whole ticks.
        var derivedClearance = 0
        if let l = length, l > 0 && l <= 100, speedRead != nil {
            let exact = l / speed * 1000
            derivedClearance = Int(exact.rounded(.up))
        }
        var clearance = derivedClearance
        if let given = r.duration(K.clearance.name) {
            if given < derivedClearance, let l = length {
                r.report(K.clearance.name, "= \(f(given)) is below the crossing length ÷ walking speed = \(formatNumber(l)) m ÷ \(formatNumber(speed)) m/s = \(f(derivedClearance)); a shorter clearance strands pedestrians")
                ok = false
            }
            clearance = max(given, derivedClearance)
        }
        if clearance > 120_000 { r.report(K.crossingLength.name, "gives a clearance of \(f(clearance)), above 2 min"); ok = false }
        var clearanceMax = clearance
        if let given = r.duration(K.clearanceMax.name) {
            if given < clearance {
                r.report(K.clearanceMax.name, "= \(f(given)) is below the clearance of \(f(clearance)); the on-crossing extension runs between the two")
                ok = false
            } else if given > 2 * max(clearance, 1) + 30_000 {
                r.report(K.clearanceMax.name, "= \(f(given)) is more than twice the clearance plus 30 s; check the value")
                ok = false
            }
            clearanceMax = given
        }

        let maxWait = r.duration(K.maxWait.name) ?? 45_000
        let kerbDwell = r.read(K.kerbDwell, default: 1_000, ok: &ok)
        let kerbCancel = r.read(K.kerbCancel, default: 2_000, ok: &ok)
        let startupFlash = r.read(K.startupFlash, default: 6_000, ok: &ok)
        // A hybrid beacon rests dark after its start-up flash: one tick stands for the all-red it does not have.
        let startupAllRed = hybrid ? tickMs : r.read(K.startupAllRed, default: 3_000, ok: &ok)
        let countdown = r.read(K.countdown, default: true)
        r.finish()
        guard ok, let length else { return nil }

        let m = { (ms: Int) in Milliseconds(ms) }
        let settings = CrossingSettings(
            lengthMeters: length, walkingSpeedMetersPerSecond: speed, minGreen: m(minGreen),
            flashingGreen: m(flashingGreen), amber: m(amber), allRed: m(allRed), allRedAfterClearance: m(allRedAfter),
            redAmber: m(redAmber), walk: m(walk), clearance: m(clearance), clearanceMax: m(clearanceMax),
            maxWait: m(maxWait), kerbDwell: m(kerbDwell), kerbCancel: m(kerbCancel),
            startupFlash: m(startupFlash), startupAllRed: m(startupAllRed), countdown: countdown)
        let plan = SignalPlan(settings, regime: regime, hybrid: hybrid, tickMs: tickMs)
        let worst = plan.worstCaseWait.milliseconds(tickMs: tickMs)
        if worst > maxWait {
            r.report(K.maxWait.name, "= \(f(maxWait)) is shorter than the worst-case wait of \(f(worst)) (\(plan.worstCaseWaitBreakdown(tickMs: tickMs))); shorten \(hybrid ? "min_dark" : "min_green") or the clearance, or raise max_wait")
            return nil
        }
        return settings
    }

    private static func loadBeacon(_ r: TableReader, tickMs: Int) -> BeaconSettings? {
        let f = DurationText.format(milliseconds:)
        let K = SiteKeys.self
        var ok = true
        let length = r.number(K.beaconLength.name)
        if length == nil && !r.has(K.beaconLength.name) { r.report(K.beaconLength.name, "is missing; the activation lasts the crossing length ÷ walking speed plus a buffer"); ok = false }
        if let l = length, !(l > 0 && l <= 100) { r.report(K.beaconLength.name, "= \(l) must be more than 0 and at most 100 m"); ok = false }
        let speed = r.read(K.beaconSpeed, default: 1.07, ok: &ok)
        let buffer = r.read(K.beaconBuffer, default: 3_000, ok: &ok)
        var pattern = BeaconPattern.steady1Hz
        if let text = r.string(K.beaconPattern.name) {
            if let p = BeaconPattern(rawValue: text) { pattern = p } else {
                r.report(K.beaconPattern.name, "= \"\(text)\" is not a pattern; use steady-1hz (MUTCD 4G.01) or rrfb (FHWA IA-21)"); ok = false
            }
        }
        if pattern == .rrfb && 50 % tickMs != 0 {
            r.report(K.beaconPattern.name, "= \"rrfb\" needs a tick that divides its 50 ms flashes; tick = \(f(tickMs)) does not"); ok = false
        }
        let kerbDwell = r.read(K.beaconKerbDwell, default: 500, ok: &ok)
        let nightBelow = r.read(K.nightBelowLux, default: 10.0, ok: &ok)
        let dayAbove = r.number(K.dayAboveLux.name) ?? 30
        if !(dayAbove > nightBelow && dayAbove <= 100_000) {
            r.report(K.dayAboveLux.name, "= \(dayAbove) must be above night_below_lux = \(nightBelow) (the gap is the hysteresis that stops the floodlight flickering at dusk)"); ok = false
        }
        let stuck = r.read(K.kerbStuckAfter, default: 300_000, ok: &ok)
        let idle = r.read(K.detectorIdleAfter, default: 86_400_000, ok: &ok)
        let maximum = r.duration(K.beaconMax.name) ?? 60_000
        guard ok, let l = length else { r.finish(); return nil }
        let m = { (ms: Int) in Milliseconds(ms) }
        let settings = BeaconSettings(
            lengthMeters: l, walkingSpeedMetersPerSecond: speed, buffer: m(buffer), maximum: m(maximum), pattern: pattern,
            kerbDwell: m(kerbDwell), nightBelowLux: nightBelow, dayAboveLux: dayAbove, kerbStuckAfter: m(stuck), detectorIdleAfter: m(idle))
        if maximum < settings.activation.value || maximum > 600_000 {
            r.report(K.beaconMax.name, "= \(f(maximum)) must be from one activation (\(formatNumber(l)) m ÷ \(formatNumber(speed)) m/s + buffer \(f(buffer)) = \(f(settings.activation.value))) up to 10 min")
            r.finish()
            return nil
        }
        r.finish()
        return settings
    }

    private static func loadSOS(_ r: TableReader) -> SOSSettings? {
        let f = DurationText.format(milliseconds:)
        let K = SiteKeys.self
        var ok = true
        let longPress = r.read(K.longPress, default: 0, ok: &ok)
        let ackTimeout = r.read(K.ackTimeout, default: 60_000, ok: &ok)
        let stuck = r.read(K.stuckAfter, default: 30_000, ok: &ok)
        if ok && stuck <= longPress {
            r.report(K.stuckAfter.name, "= \(f(stuck)) must be longer than sos.long_press = \(f(longPress))"); ok = false
        }
        let selfTest = r.read(K.selfTestEvery, default: 86_400_000, ok: &ok)
        r.finish()
        guard ok else { return nil }
        let m = { (ms: Int) in Milliseconds(ms) }
        return SOSSettings(longPress: m(longPress), ackTimeout: m(ackTimeout), stuckAfter: m(stuck), selfTestEvery: m(selfTest))
    }
}

/// Formats a measured number without float noise: `12`, `1.07`.
func formatNumber(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    if scaled == scaled.rounded() { return String(Int(scaled)) }
    var text = String(scaled)
    if text.contains("e") { text = String(value) }
    return text
}
