/// The resolved configuration as JSON, for machines (`check-config --json`): every line of the board
/// with its address, every I2C part with the loader's defaults filled in, and the site with every timing
/// in milliseconds as the controller will run it (defaults applied, the clearance derived from the
/// crossing's length). Scripts read this instead of parsing TOML and repeating the loader's defaults.
public enum ConfigJSON {
    /// `{"valid":true,"board":{…},"site":{…}}` for a validated board and site.
    public static func render(site: SiteConfig, board: BoardConfig) -> String {
        "{\"valid\":true,\"board\":\(boardJSON(board)),\"site\":\(siteJSON(site))}"
    }

    /// `{"valid":false,"problems":[{"file":…,"key":…,"message":…}]}`: every problem, as `check-config` prints them.
    public static func render(_ errors: ConfigErrors) -> String {
        let problems = errors.problems.map { "{\"file\":\(quote($0.file)),\"key\":\(quote($0.key)),\"message\":\(quote($0.message))}" }
        return "{\"valid\":false,\"problems\":[\(problems.joined(separator: ","))]}"
    }

    static func boardJSON(_ board: BoardConfig) -> String {
        let inputs = board.inputs.map { line in
            "{\"role\":\(quote(line.roleName)),\(address(line.address)),\"active_low\":\(line.activeLow),\"bias\":\(quote(line.bias.rawValue)),\"debounce_ms\":\(line.debounceMs)}"
        }
        let outputs = board.outputs.map { line in
            "{\"role\":\(quote(line.roleName)),\(address(line.address)),\"active_low\":\(line.activeLow)}"
        }
        let parts = board.i2c.map(part)
        return "{\"name\":\(quote(board.name)),\"countdown\":\(board.hasCountdown),\"inputs\":[\(inputs.joined(separator: ","))]"
            + ",\"outputs\":[\(outputs.joined(separator: ","))],\"i2c\":[\(parts.joined(separator: ","))]}"
    }

    /// The address fields of a line: every key present, null where this kind of address has none.
    static func address(_ address: LineAddress) -> String {
        switch address {
        case .named(let name, let chip):
            "\"line\":\(quote(name)),\"chip\":\(chip.map(quote) ?? "null"),\"offset\":null,\"expander\":null,\"pin\":null"
        case .offset(let offset, let chip):
            "\"line\":null,\"chip\":\(quote(chip)),\"offset\":\(offset),\"expander\":null,\"pin\":null"
        case .expanderPin(let expander, let pin):
            "\"line\":null,\"chip\":null,\"offset\":null,\"expander\":\(quote(expander)),\"pin\":\(quote(ExpanderPin.name(pin)))"
        }
    }

    static func part(_ p: I2CDeviceConfig) -> String {
        var out = "{\"part\":\(quote(p.part.rawValue)),\"bus\":\(quote(p.bus)),\"address\":\(p.address),\"poll_ms\":\(p.pollMs)"
        switch p.function {
        case .presence(let near, let far, let hysteresis):
            out += ",\"function\":\"presence\",\"role\":\(quote(p.roleName)),\"near_mm\":\(near),\"far_mm\":\(far),\"hysteresis_mm\":\(hysteresis)"
        case .lampCurrent(let shunt, let lit, let dark):
            out += ",\"function\":\"lamp-current\",\"role\":\(quote(p.roleName)),\"shunt_mohm\":\(shunt),\"lit_above_ma\":\(lit),\"dark_below_ma\":\(dark)"
        case .ambientLight:
            out += ",\"function\":\"ambient-light\",\"role\":null"
        case .countdown:
            out += ",\"function\":\"countdown\",\"role\":\(quote(countdownRoleName))"
        case .expander(let name):
            out += ",\"function\":\"expander\",\"role\":null,\"name\":\(quote(name))"
        }
        return out + "}"
    }

    static func siteJSON(_ site: SiteConfig) -> String {
        var out = "{\"device_id\":\(quote(site.deviceID)),\"profile\":\(quote(site.profile.kind.rawValue)),\"regime\":\(quote(site.regime.rawValue))"
        out += ",\"tick_ms\":\(site.tickMs),\"flash\":{\"per_minute\":\(site.flash.flashesPerMinute),\"duty\":\(site.flash.duty)}"
        switch site.profile {
        case .signalized(let c): out += ",\"crossing\":\(crossing(c, hybrid: false)),\"beacon\":null"
        case .hybridBeacon(let c): out += ",\"crossing\":\(crossing(c, hybrid: true)),\"beacon\":null"
        case .beacon(let b): out += ",\"crossing\":null,\"beacon\":\(beacon(b))"
        case .none: out += ",\"crossing\":null,\"beacon\":null"
        }
        if let s = site.sos {
            out += ",\"sos\":{\"long_press_ms\":\(s.longPress.value),\"ack_timeout_ms\":\(s.ackTimeout.value),\"stuck_after_ms\":\(s.stuckAfter.value),\"self_test_every_ms\":\(s.selfTestEvery.value)}"
        } else {
            out += ",\"sos\":null"
        }
        return out + ",\"lamp_mismatch_ms\":\(site.safety.lampMismatch.value)}"
    }

    /// The `[crossing]` keys in milliseconds; a hybrid beacon's are named as its site file names them.
    static func crossing(_ c: CrossingSettings, hybrid: Bool) -> String {
        let timings: [(String, Milliseconds)] = [
            (hybrid ? "min_dark" : "min_green", c.minGreen), (hybrid ? "flashing_amber" : "flashing_green", c.flashingGreen),
            ("amber", c.amber), ("all_red", c.allRed), ("all_red_after_clearance", c.allRedAfterClearance), ("red_amber", c.redAmber),
            ("walk", c.walk), ("clearance", c.clearance), ("clearance_max", c.clearanceMax), ("max_wait", c.maxWait),
            ("kerb_dwell", c.kerbDwell), ("kerb_cancel", c.kerbCancel), ("startup_flash", c.startupFlash), ("startup_all_red", c.startupAllRed),
        ]
        return "{\"length_m\":\(c.lengthMeters),\"walking_speed_mps\":\(c.walkingSpeedMetersPerSecond),\"countdown\":\(c.countdown)"
            + timings.map { ",\"\($0.0)_ms\":\($0.1.value)" }.joined() + "}"
    }

    static func beacon(_ b: BeaconSettings) -> String {
        "{\"length_m\":\(b.lengthMeters),\"walking_speed_mps\":\(b.walkingSpeedMetersPerSecond),\"buffer_ms\":\(b.buffer.value),\"max_ms\":\(b.maximum.value)"
            + ",\"pattern\":\(quote(b.pattern.rawValue)),\"kerb_dwell_ms\":\(b.kerbDwell.value),\"night_below_lux\":\(b.nightBelowLux)"
            + ",\"day_above_lux\":\(b.dayAboveLux),\"kerb_stuck_after_ms\":\(b.kerbStuckAfter.value),\"detector_idle_after_ms\":\(b.detectorIdleAfter.value)}"
    }

    /// A JSON string literal: the loader's own quoting, which escapes for TOML and JSON alike.
    static func quote(_ text: String) -> String { ConfigValue.quoted(text) }
}
