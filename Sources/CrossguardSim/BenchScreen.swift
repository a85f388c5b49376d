import CrossguardCore

/// Draws one frame of the interactive bench: the heads, the SOS lights, the countdown, the phase, the
/// inputs with their keys, and the recent events. Pure: a snapshot in, ANSI text out.
public struct BenchScreen {
    public let site: SiteConfig
    public let board: BoardConfig
    public let siteFile: String
    public let boardFile: String

    /// A screen for this site and board.
    public init(site: SiteConfig, board: BoardConfig, siteFile: String, boardFile: String) {
        self.site = site
        self.board = board
        self.siteFile = siteFile
        self.boardFile = boardFile
    }

    /// The keys the bench understands, shown at the bottom of the screen.
    public static let keyHelp = [
        "b button", "k kerb", "c on-crossing", "s SOS", "h hold SOS", "t door", "m mains", "l battery",
        "a ack", "x close", "f flash", "d dark", "n normal", "r reset",
        "e blow red lamp", "E blow 2nd red", "g stick green", "N night/day", "q quit",
    ]

    /// The frame for a snapshot; `inputs` tells which simulated inputs are active now.
    public func render(_ s: BenchSnapshot, inputs: (String) -> Bool) -> String {
        let esc = "\u{1B}["
        let reset = "\(esc)0m"
        func lamp(_ role: OutputRole, _ colour: String, _ label: String) -> String {
            guard board.outputRoles.contains(role) else { return "\(esc)2m  ·  \(label) (not wired)\(reset)" }
            return s.outputs.lit.contains(role) ? "\(esc)1;\(colour)m  ●  \(label)\(reset)" : "\(esc)2m  ○  \(label)\(reset)"
        }
        let t = Int(s.tick) * site.tickMs
        // Redraw in place (home, each line cleared to its end, the rest of the screen cleared): no flicker.
        var out = "\(esc)H"
        out += "\(esc)1mCrossguard bench\(reset)  site \(site.deviceID) (\(site.profile.kind.rawValue), \(site.regime.rawValue)) from \(siteFile), board \(board.name) from \(boardFile)\(esc)K\r\n"
        out += "time \(DurationText.format(milliseconds: t - t % 100))   ticks \(s.statistics.ticks)   overruns \(s.statistics.overruns)\(esc)K\r\n\(esc)K\r\n"
        var left: [String] = []
        var right: [String] = []
        if site.crossing != nil {
            if site.profile.kind == .hybridBeacon {
                // Two reds side by side over one amber; a dark head lets the vehicles go.
                let reds = lamp(.vehicleRed, "31", "red left") + "  " + lamp(.vehicleRedRight, "31", "red right")
                left += ["\(esc)1mHybrid beacon\(reset)", reds, lamp(.vehicleAmber, "33", "amber"), ""]
            } else {
                left += ["\(esc)1mVehicles\(reset)", lamp(.vehicleRed, "31", "red"), lamp(.vehicleAmber, "33", "amber"), lamp(.vehicleGreen, "32", "green"), ""]
            }
            left += ["\(esc)1mPedestrians\(reset)", lamp(.pedDontWalk, "31", "don't walk"), lamp(.pedWalk, "32", "walk"), lamp(.pedWait, "37", "wait (demand registered)")]
            let countdown = s.outputs.countdown.map { "\(esc)1;33m  \($0)\(reset)" } ?? "\(esc)2m  --\(reset)"
            left.append(board.hasCountdown ? "  countdown \(countdown)" : "")
            left.append(lamp(.flood, "37", "floodlight"))
        }
        if site.beacon != nil {
            left += ["\(esc)1mCrosswalk\(reset)", lamp(.flood, "37", "floodlight"), lamp(.apsWalk, "36", "accessible audio")]
        }
        let beacons: [(OutputRole, String)] = [(.beaconLeft, "beacon left"), (.beaconRight, "beacon right"), (.studs, "road studs")]
        if beacons.contains(where: { board.outputRoles.contains($0.0) }) {
            right += ["\(esc)1mBeacons\(reset)"] + beacons.map { lamp($0.0, "33", $0.1) } + [""]
        }
        if site.sos != nil {
            right += ["\(esc)1mSOS post\(reset)", lamp(.sosYellow, "33", "yellow: alarm sent"), lamp(.sosGreen, "32", "green: help is coming"), lamp(.sosStrobe, "35", "strobe")]
            let alarm = s.openAlarm == 0 ? "standby" : "alarm \(s.openAlarm)" + (s.acknowledged ? " acknowledged" : s.unanswered ? " UNANSWERED" : " waiting for the centre")
            right.append("  \(alarm)")
        }
        for i in 0..<max(left.count, right.count) {
            let l = i < left.count ? left[i] : ""
            let r = i < right.count ? right[i] : ""
            out += l + String(repeating: " ", count: max(2, 44 - visibleWidth(l))) + r + "\(esc)K\r\n"
        }
        out += "\(esc)K\r\n"
        if let b = s.beacon {
            let state = b.active ? "ACTIVE, \(DurationText.format(milliseconds: Int(b.endsAt - min(b.endsAt, s.tick)) * site.tickMs / 100 * 100)) left" : "dark, waiting for a pedestrian"
            out += "crosswalk \(esc)1m\(state)\(reset)   mode \(s.mode.name)   \(b.night ? "night" : "day")\(b.kerbStuck ? "   kerb detector STUCK (ignored)" : "")\(esc)K\r\n"
        }
        if let phase = s.phase {
            let inPhase = DurationText.format(milliseconds: (Int(s.tick - s.phaseStart) * site.tickMs) / 100 * 100)
            out += "phase \(esc)1m\(phase)\(reset) for \(inPhase)   mode \(s.mode.name)   demand \(s.demand?.name ?? "none")\(esc)K\r\n"
        }
        if let latched = s.latched {
            out += "\(esc)1;41;97m FAIL-SAFE LATCHED: \(latched.rule.name) \(latched.outputs) \(reset)  the monitor stopped the crossing; press r (fault.reset) once it is safe\(esc)K\r\n"
        }
        var conditions: [String] = []
        if s.openConditions.contains(.cabinetDoor) { conditions.append("door open") }
        if s.openConditions.contains(.mainsOK) { conditions.append("mains lost") }
        if s.openConditions.contains(.batteryLow) { conditions.append("battery low") }
        out += "conditions: " + (conditions.isEmpty ? "none" : "\(esc)1;31m" + conditions.joined(separator: ", ") + reset) + "\(esc)K\r\n"
        let watched = ["ped.button", "ped.kerb", "ped.crossing", "sos.button", "cabinet.door", "mains.ok", "battery.low"]
        out += "inputs: " + watched.filter { name in board.inputs.contains { $0.roleName == name } }
            .map { inputs($0) ? "\(esc)1m\($0)=on\(reset)" : "\($0)=off" }.joined(separator: "  ") + "\(esc)K\r\n"
        if let last = s.lastCommand {
            let outcome: String
            switch last.outcome {
            case .accepted: outcome = "accepted"
            case .refused(let why): outcome = "refused: \(why)"
            }
            out += "last command: \(last.command.typeName) \(outcome)\(esc)K\r\n"
        }
        out += "\(esc)K\r\n\(esc)1mRecent events\(reset)\(esc)K\r\n"
        for event in s.recent.reversed() {
            let colour = event.severity >= .high ? "\(esc)31m" : ""
            out += "  \(colour)\(seconds(Int(event.tick) * site.tickMs))  \(event.summary(tickMs: site.tickMs))\(reset)\(esc)K\r\n"
        }
        out += "\(esc)K\r\nkeys: " + BenchScreen.keyHelp.joined(separator: " · ") + "\(esc)K\r\n\(esc)J"
        return out
    }

    /// Milliseconds as fixed-width seconds, so event lines align: `   12.340 s`.
    private func seconds(_ ms: Int) -> String {
        var frac = String(ms % 1000)
        while frac.count < 3 { frac = "0" + frac }
        let whole = String(ms / 1000)
        return String(repeating: " ", count: max(0, 6 - whole.count)) + "\(whole).\(frac) s"
    }

    private func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for ch in text.unicodeScalars {
            if inEscape { if ch == "m" { inEscape = false }; continue }
            if ch == "\u{1B}" { inEscape = true; continue }
            width += 1
        }
        return width
    }
}
