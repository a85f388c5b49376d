import CrossguardCore
import CrossguardTOML
import Foundation
import Testing

/// A valid kz site; tests change one key at a time.
let baseSite = """
    device_id = "kz-test-1"
    regime = "kz"
    [crossing]
    length_m = 10.5
    min_green = "15s"
    clearance = "10s"
    """

/// The base site with one line of `[crossing]` replaced or added.
func crossing(_ line: String, regime: String = "kz") -> String {
    baseSite.replacingOccurrences(of: "regime = \"kz\"", with: "regime = \"\(regime)\"") + "\n" + line
}

@Suite("Site validation: one test per rule, with its exact message")
struct SiteConfigTests {
    @Test func validSiteLoadsWithDefaults() throws {
        let s = try site(baseSite)
        #expect(s.deviceID == "kz-test-1")
        #expect(s.tickMs == 10)
        let c = try #require(s.crossing)
        #expect(c.walk == 7_000)
        #expect(c.amber == 3_000)
        #expect(c.flashingGreen == 3_000)
        #expect(c.redAmber == 2_000)
        #expect(c.clearance == 10_000)
        #expect(c.clearanceMax == 10_000)
        #expect(c.maxWait == 45_000)
        #expect(s.sos == nil)
    }

    @Test func walkBelowSevenSeconds() {
        #expect(siteProblems(crossing("walk = \"5s\"")) == [
            "site.toml: crossing.walk = 5 s is below the 7 s minimum (MUTCD 4E.06); set crossing.allow_short_walk = true to allow down to 4 s",
        ])
    }

    @Test func aControlCharacterInAValueIsEscapedInItsError() {
        #expect(siteProblems(crossing("walk = \"7\\u001b[2J\"")) == [
            #"site.toml: crossing.walk = "7\u001b[2J" needs a unit: ms, s, m or h ("250ms", "7s")"#,
        ])
        // A NUL is a character like any other (never the end of the string) and is escaped in the message.
        #expect(siteProblems(crossing("walk = \"\\u0000s\"")) == [#"site.toml: crossing.walk = "\u0000s" is not a duration ("250ms", "7s", "10.25s")"#])
    }

    @Test func shortWalkAllowedDownToFourSeconds() throws {
        #expect(try site(crossing("walk = \"4s\"\nallow_short_walk = true")).crossing?.walk == 4_000)
        #expect(siteProblems(crossing("walk = \"3.5s\"\nallow_short_walk = true")) == [
            "site.toml: crossing.walk = 3.5 s is below the 4 s absolute minimum (MUTCD 4E.06)",
        ])
    }

    @Test func clearanceBelowLengthOverSpeed() {
        #expect(siteProblems(baseSite.replacingOccurrences(of: "clearance = \"10s\"", with: "clearance = \"9s\"")) == [
            "site.toml: crossing.clearance = 9 s is below the crossing length ÷ walking speed = 10.5 m ÷ 1.07 m/s = 9.814 s; a shorter clearance strands pedestrians",
        ])
    }

    @Test("hostile numbers are refused, never a crash", arguments: ["length_m = inf", "length_m = 1e17", "length_m = nan", "walking_speed_mps = 1e-16", "length_m = -3"])
    func hostileNumbers(_ line: String) {
        let problems = siteProblems(baseSite.replacingOccurrences(of: "length_m = 10.5", with: line))
        #expect(!problems.isEmpty)
    }

    @Test func clearanceIsDerivedWhenNotGiven() throws {
        let s = try site(baseSite.replacingOccurrences(of: "clearance = \"10s\"", with: "walking_speed_mps = 0.9"))
        #expect(s.crossing?.clearance == 11_667)  // 10.5 m ÷ 0.9 m/s = 11.6667 s, rounded up
    }

    @Test func walkingSpeedOutOfRange() {
        #expect(siteProblems(crossing("walking_speed_mps = 1.5")) == [
            "site.toml: crossing.walking_speed_mps = 1.5 is outside 0.5–1.07 m/s (MUTCD 4E.06: 1.07 m/s = 3.5 ft/s at most; slower, e.g. 0.9 m/s, near schools and hospitals)",
        ])
    }

    @Test("amber must be 3–6 s", arguments: ["2.5s", "6.5s"])
    func amberRange(_ value: String) {
        let ms = try! DurationText.milliseconds(value).get()
        #expect(siteProblems(crossing("amber = \"\(value)\"")) == [
            "site.toml: crossing.amber = \(DurationText.format(milliseconds: ms)) is outside 3 s–6 s (MUTCD 4F.17 / ITE)",
        ])
    }

    @Test func allRedRange() {
        #expect(siteProblems(crossing("all_red = \"500ms\"")) == ["site.toml: crossing.all_red = 500 ms is outside 1 s–6 s"])
    }

    @Test func ukNeedsThreeSecondsAllRedBeforeWalk() {
        #expect(siteProblems(crossing("all_red = \"2s\"", regime: "uk")) == [
            "site.toml: crossing.all_red = 2 s is below the 3 s all-red before a pedestrian walk required in regime uk (TOPAS 2500A)",
        ])
    }

    @Test func usNeedsThreeSecondBufferAfterClearance() {
        #expect(siteProblems(crossing("all_red_after_clearance = \"2s\"", regime: "us")) == [
            "site.toml: crossing.all_red_after_clearance = 2 s is below the 3 s buffer interval that regime us requires after the clearance (MUTCD 4I.06)",
        ])
    }

    @Test func flashingGreenOnlyInKazakhstan() {
        #expect(siteProblems(crossing("flashing_green = \"3s\"", regime: "us")) == [
            "site.toml: crossing.flashing_green is not used in regime us; remove it",
        ])
    }

    @Test func redAmberNotInUS() {
        #expect(siteProblems(crossing("red_amber = \"2s\"", regime: "us")) == [
            "site.toml: crossing.red_amber is not used in regime us; remove it",
        ])
    }

    @Test func flashingGreenRange() {
        #expect(siteProblems(crossing("flashing_green = \"1s\"")) == [
            "site.toml: crossing.flashing_green = 1 s is outside 2 s–4 s (kz practice: 3 s of flashing green before amber)",
        ])
    }

    @Test func minimumGreenRange() {
        #expect(siteProblems(crossing("min_green = \"3s\"").replacingOccurrences(of: "min_green = \"15s\"\n", with: "")) == [
            "site.toml: crossing.min_green = 3 s is outside 5 s–2 min (a vehicle green shorter than 5 s is not a green)",
        ])
    }

    @Test func worstCaseWaitAboveMaximum() {
        #expect(siteProblems(crossing("max_wait = \"30s\"")) == [
            "site.toml: crossing.max_wait = 30 s is shorter than the worst-case wait of 37 s (clearance 10 s + all-red 2 s + red+amber 2 s + min green 15 s + flashing green 3 s + amber 3 s + all-red 2 s); shorten min_green or the clearance, or raise max_wait",
        ])
    }

    @Test func clearanceMaximumBelowClearance() {
        #expect(siteProblems(crossing("clearance_max = \"8s\"")) == [
            "site.toml: crossing.clearance_max = 8 s is below the clearance of 10 s; the on-crossing extension runs between the two",
        ])
    }

    @Test func unknownKeyIsAnErrorNotADefault() {
        #expect(siteProblems(crossing("wlak = \"7s\"")) == [
            "site.toml: crossing.wlak is not a known key (known here: all_red, all_red_after_clearance, allow_short_walk, amber, clearance, clearance_max, countdown, flashing_amber, flashing_green, kerb_cancel, kerb_dwell, length_m, max_wait, min_dark, min_green, red_amber, startup_all_red, startup_flash, walk, walking_speed_mps)",
        ])
        #expect(siteProblems(baseSite + "\n[sos]\nack_timout = \"60s\"").first?.hasPrefix("site.toml: sos.ack_timout is not a known key") == true)
        #expect(siteProblems("colour = 1\n" + baseSite).first?.hasPrefix("site.toml: colour is not a known key") == true)
    }

    @Test func wrongTypeNamesTheTypes() {
        #expect(siteProblems(crossing("walk = 7")) == [
            "site.toml: crossing.walk = 7 is an integer; expected a duration string such as \"7s\"",
        ])
        #expect(siteProblems(crossing("countdown = \"yes\"")) == [
            "site.toml: crossing.countdown = \"yes\" is a string; expected true or false",
        ])
    }

    @Test func durationWithoutUnit() {
        #expect(siteProblems(crossing("amber = \"3\"")) == [
            "site.toml: crossing.amber = \"3\" needs a unit: ms, s, m or h (\"250ms\", \"7s\")",
        ])
    }

    @Test func missingDeviceIDAndLength() {
        #expect(siteProblems("[crossing]\nmin_green = \"15s\"") == [
            "site.toml: device_id is missing; every site needs the device id the operations centre knows it by",
            "site.toml: crossing.length_m is missing; the clearance is derived from the crossing length in metres",
        ])
    }

    @Test func deviceIDMustFitATopic() {
        #expect(siteProblems(baseSite.replacingOccurrences(of: "kz-test-1", with: "kz/test #1")) == [
            "site.toml: device_id = \"kz/test #1\" must be 1–64 characters of a–z, A–Z, 0–9, '-' and '_' (it is part of MQTT topics)",
        ])
    }

    @Test func unknownRegimeAndProfile() {
        let problems = siteProblems(baseSite.replacingOccurrences(of: "regime = \"kz\"", with: "regime = \"fr\"\nprofile = \"pelican\""))
        #expect(problems == [
            "site.toml: profile = \"pelican\" is not a profile; use one of: signalized, beacon, hybrid-beacon, none",
            "site.toml: regime = \"fr\" is not a regime; use one of: kz, us, uk",
        ])
    }

    @Test func tickMustDivideOneSecond() {
        #expect(siteProblems("tick = \"30ms\"\n" + baseSite) == [
            "site.toml: tick = 30 ms must be 1–100 ms and divide 1 s evenly (1, 2, 4, 5, 10, 20, 25, 50, 100 ms)",
        ])
    }

    @Test func flashRateAndDuty() {
        #expect(siteProblems(baseSite + "\n[flash]\nper_minute = 75\nduty = 0.8") == [
            "site.toml: flash.per_minute = 75 is outside 50–60 flashes a minute (MUTCD 4G.01)",
            "site.toml: flash.duty = 0.8 is outside ½–⅔ of each cycle lit (MUTCD 4G.01)",
        ])
    }

    @Test func sosRules() {
        #expect(siteProblems(baseSite + "\n[sos]\nlong_press = \"6s\"\nack_timeout = \"5s\"\nstuck_after = \"2s\"") == [
            "site.toml: sos.long_press = 6 s is outside 0 s–5 s (a person in danger must not have to hold the button longer)",
            "site.toml: sos.ack_timeout = 5 s is outside 10 s–10 min",
            "site.toml: sos.stuck_after = 2 s is outside 5 s–10 min",
        ])
        #expect(siteProblems(baseSite + "\n[sos]\nlong_press = \"3s\"\nstuck_after = \"5s\"").isEmpty)
        #expect(siteProblems(baseSite + "\n[sos]\nlong_press = \"5s\"\nstuck_after = \"5s\"") == [
            "site.toml: sos.stuck_after = 5 s must be longer than sos.long_press = 5 s",
        ])
    }

    @Test func sosPostAlone() throws {
        let s = try site("device_id = \"sos-1\"\nprofile = \"none\"\n[sos]\n")
        #expect(s.crossing == nil)
        #expect(s.sos?.ackTimeout == 60_000)
        #expect(siteProblems("device_id = \"sos-1\"\nprofile = \"none\"\n") == [
            "site.toml: has profile \"none\" and no [sos] table: there is nothing to control",
        ])
        #expect(siteProblems("device_id = \"x\"\nprofile = \"none\"\n[sos]\n[crossing]\nlength_m = 5") == [
            "site.toml: crossing is not used with profile \"none\"; remove it or choose profile \"signalized\" or \"hybrid-beacon\"",
        ])
    }

    func uplinkProblems(_ uplink: String) -> [String] {
        siteProblems(baseSite.replacingOccurrences(of: "[crossing]", with: "[uplink]\n\(uplink)\n[crossing]"))
    }

    @Test func brokerURLsAndTheUplinkKeys() throws {
        #expect(uplinkProblems("broker = \"tcp://x:1883\"") == ["site.toml: uplink.broker = \"tcp://x:1883\" must start with mqtt:// or mqtts://"])
        #expect(uplinkProblems("broker = \"mqtt://x:0\"") == ["site.toml: uplink.broker = \"mqtt://x:0\" has port 0; a port is 1–65535"])
        #expect(uplinkProblems("broker = \"mqtt://u@x/a\"") == ["site.toml: uplink.broker = \"mqtt://u@x/a\" must be mqtt[s]://host[:port] with no path, user or spaces"])
        #expect(uplinkProblems("broker = []") == ["site.toml: uplink.broker = [] must be a broker URL or a non-empty array of them"])
        #expect(uplinkProblems("broker = \"mqtts://b\"\ncert_file = \"c.pem\"") == ["site.toml: uplink.cert_file needs key_file too: mutual TLS takes a certificate and its key"])
        #expect(uplinkProblems("broker = \"mqtt://b\"\nca_file = \"ca.pem\"") == ["site.toml: uplink.ca_file is set but no broker is mqtts://; the files would be ignored"])
        #expect(uplinkProblems("keepalive_s = 1\noutbox_max_mib = 9000") == [
            "site.toml: uplink.keepalive_s = 1 is outside 5–3600 s", "site.toml: uplink.outbox_max_mib = 9000 is outside 4–4096 MiB",
        ])
        #expect(uplinkProblems("broker = [\"mqtts://a.example\", \"mqtt://[::1]:11883\", \"mqtt://10.0.0.2\"]\ncommand_window_s = 60").isEmpty)
        #expect(try BrokerAddress.parse("mqtt://[::1]:11883").get() == BrokerAddress(tls: false, host: "::1", port: 11883))
        #expect(try BrokerAddress.parse("mqtts://a.example").get().description == "mqtts://a.example:8883")
    }

    func daemonProblems(_ daemon: String) -> [String] {
        siteProblems(baseSite.replacingOccurrences(of: "[crossing]", with: "[daemon]\n\(daemon)\n[crossing]"))
    }

    @Test func theDaemonTable() throws {
        let plain = try site(baseSite)
        #expect(plain.daemon == DaemonSettings())
        #expect(plain.daemon.realtimePriority == nil && plain.daemon.watchdogDevice == nil && !plain.daemon.lockMemory)
        let tuned = try site(baseSite.replacingOccurrences(
            of: "[crossing]", with: "[daemon]\nrealtime_priority = 50\nlock_memory = true\nwatchdog = \"/dev/watchdog\"\nwatchdog_timeout = \"20s\"\n[crossing]"))
        #expect(tuned.daemon.realtimePriority == 50 && tuned.daemon.lockMemory)
        #expect(tuned.daemon.watchdogDevice == "/dev/watchdog" && tuned.daemon.watchdogTimeoutSeconds == 20)
        #expect(daemonProblems("realtime_priority = 0") == [
            "site.toml: daemon.realtime_priority = 0 is outside 1–99 (SCHED_FIFO priorities; leave it out for the ordinary scheduler)",
        ])
        #expect(daemonProblems("watchdog = \"watchdog0\"\nwatchdog_timeout = \"1500ms\"") == [
            "site.toml: daemon.watchdog = \"watchdog0\" must be a device under /dev (\"/dev/watchdog\")",
            "site.toml: daemon.watchdog_timeout = 1.5 s must be whole seconds from 2 s to 10 min (the watchdog counts seconds)",
        ])
        #expect(daemonProblems("lock_memory = \"yes\"\npriority = 3").count == 2)  // a string for a bool, an unknown key
    }

    @Test func everyProblemIsReportedAtOnce() {
        let text = crossing("walk = \"5s\"\namber = \"2s\"\nwlak = 1", regime: "uk") + "\n[sos]\nack_timeout = \"1s\""
        #expect(siteProblems(text).count == 4)  // amber, walk, the unknown key, sos.ack_timeout
    }

    @Test func syntaxErrorNamesLineAndColumn() {
        let problems = siteProblems("device_id = \"x\"\n[crossing\nlength_m = 1")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("site.toml: line 2, column") == true)
    }

    @Test func aFileThatCannotBeReadIsOneProblemNamingItAndWhy() throws {
        let dir = repositoryRoot.appendingPathComponent(".build/toml-load-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func problem(_ path: String) -> String? {
            if case .failure(let e) = TOMLDocument.load(path: path) { return e.description }
            return nil
        }
        #expect(problem(dir + "/none.toml") == "\(dir)/none.toml: does not exist")
        #expect(problem(dir) == "\(dir): cannot be read: Is a directory")
        FileManager.default.createFile(atPath: dir + "/latin1.toml", contents: Data([0x61, 0x20, 0x3d, 0x20, 0x22, 0xe9, 0x22, 0x0a]))
        #expect(problem(dir + "/latin1.toml") == "\(dir)/latin1.toml: is not UTF-8 text")
        FileManager.default.createFile(atPath: dir + "/big.toml", contents: Data(repeating: 0x23, count: (1 << 20) + 1))
        #expect(problem(dir + "/big.toml") == "\(dir)/big.toml: is larger than 1 MiB, which no configuration file is")
        FileManager.default.createFile(atPath: dir + "/ok.toml", contents: Data("a = \"é\"\n".utf8))
        #expect(problem(dir + "/ok.toml") == nil)
    }

    @Test func shippedExamplesValidate() throws {
        for name in ["site.toml", "site-us.toml", "site-uk.toml", "site-phb.toml", "site-beacon.toml", "sos-post.toml"] {
            let path = repositoryRoot.appendingPathComponent("examples/\(name)").path
            let result = TOMLDocumentLoader.site(path)
            #expect(result == nil, "\(name): \(result ?? "")")
        }
    }
}

/// A valid hybrid beacon site; tests add one line at a time.
let hybridSite = """
    device_id = "us-phb-1"
    profile = "hybrid-beacon"
    regime = "us"
    [crossing]
    length_m = 12.0
    """

@Suite("Hybrid beacon validation")
struct HybridBeaconSiteTests {
    @Test func defaultsAndItsOwnNames() throws {
        let s = try site(hybridSite + "\nmin_dark = \"8s\"\nflashing_amber = \"4s\"")
        #expect(s.profile.kind == .hybridBeacon)
        let c = try #require(s.crossing)
        #expect(c.minGreen == 8_000)       // the dark rest stands where the green is
        #expect(c.flashingGreen == 4_000)  // the flashing amber where the flashing green is
        #expect(c.redAmber == 0)
        #expect(c.startupAllRed == 10)     // one tick: it rests dark after the start-up flash
        #expect(c.allRedAfterClearance == 3_000)
        #expect(SignalPlan(c, regime: .us, hybrid: true, tickMs: 10).hybrid)
    }

    @Test func onlyInTheUS() {
        #expect(siteProblems(hybridSite.replacingOccurrences(of: "regime = \"us\"", with: "regime = \"uk\"")) == [
            "site.toml: regime = \"uk\" cannot run profile \"hybrid-beacon\": the pedestrian hybrid beacon is a US device (MUTCD 4J); use regime \"us\"",
        ])
    }

    @Test func signalizedNamesAreRefusedWithTheirReplacement() {
        #expect(siteProblems(hybridSite + "\nmin_green = \"20s\"\nstartup_all_red = \"3s\"") == [
            "site.toml: crossing.min_green is not used with profile \"hybrid-beacon\"; the beacon rests dark: set min_dark, the least dark time between two activations",
            "site.toml: crossing.startup_all_red is not used with profile \"hybrid-beacon\"; the beacon starts with its flash and then rests dark",
        ])
        #expect(siteProblems(crossing("min_dark = \"10s\"")) == [
            "site.toml: crossing.min_dark is used only with profile \"hybrid-beacon\"; use min_green",
        ])
    }

    @Test func rangesOfItsOwnTimings() {
        #expect(siteProblems(hybridSite + "\nflashing_amber = \"12s\"\nmin_dark = \"500ms\"") == [
            "site.toml: crossing.min_dark = 500 ms is outside 1 s–5 min (the least dark time between two activations)",
            "site.toml: crossing.flashing_amber = 12 s is outside 2 s–10 s (MUTCD 4J: flashing yellow upon actuation, a few seconds)",
        ])
    }

    @Test func worstCaseWaitSpeaksOfTheBeacon() {
        #expect(siteProblems(hybridSite + "\nmax_wait = \"20s\"") == [
            "site.toml: crossing.max_wait = 20 s is shorter than the worst-case wait of 32.22 s (clearance 11.22 s + flashing red 3 s + min dark 10 s + flashing amber 3 s + steady amber 3 s + steady red 2 s); shorten min_dark or the clearance, or raise max_wait",
        ])
    }

    @Test func boardNeedsTwoRedsOverOneAmber() throws {
        let s = try site(hybridSite)
        let b = try board(boardText(inputs: ["ped.button"], outputs: ["vehicle.red", "vehicle.amber", "ped.dont_walk", "ped.walk"]))
        #expect(b.problems(for: s, boardFile: "board.toml", siteFile: "site.toml").map(\.description) == [
            "board.toml: has no vehicle.red.right; profile \"hybrid-beacon\" in site.toml needs it",
        ])
    }
}
