/// The derived timing table that `check-config` prints: what the controller will actually run, in
/// seconds and ticks, with the worst-case wait against the site's maximum.
public enum TimingTable {
    /// The table for a validated site, one row a line.
    public static func render(_ site: SiteConfig) -> String {
        let f = DurationText.format(milliseconds:)
        let d = { (m: Milliseconds) in m.description }
        var rows: [(String, String)] = []
        rows.append(("device", "\(site.deviceID), profile \(site.profile.kind.rawValue), regime \(site.regime.rawValue), tick \(f(site.tickMs))"))
        let flasher = Flasher(site.flash, tickMs: site.tickMs)
        rows.append(("flash", "\(site.flash.flashesPerMinute)/min, \(flasher.onTicks) of \(flasher.periodTicks) ticks lit"))
        if let c = site.crossing {
            let plan = SignalPlan(c, regime: site.regime, hybrid: site.profile.kind == .hybridBeacon, tickMs: site.tickMs)
            let t = { (ticks: Ticks) in "\(f(ticks.milliseconds(tickMs: site.tickMs))) (\(ticks.count) ticks)" }
            let h = plan.hybrid
            rows.append((h ? "minimum dark" : "minimum green", t(plan.minGreen)))
            if plan.flashingGreen > .zero { rows.append((h ? "flashing amber" : "flashing green", t(plan.flashingGreen))) }
            rows.append((h ? "steady amber" : "amber", t(plan.amber)))
            rows.append((h ? "steady red before walk" : "all-red before walk", t(plan.allRed)))
            rows.append(("walk", t(plan.walk)))
            let derived = "\(formatNumber(c.lengthMeters)) m ÷ \(formatNumber(c.walkingSpeedMetersPerSecond)) m/s"
            rows.append(("clearance", t(plan.clearance) + " (≥ \(derived))" + (h ? ", alternating flashing red" : "")))
            if plan.clearanceMax > plan.clearance { rows.append(("clearance maximum", t(plan.clearanceMax) + " with on-crossing presence")) }
            rows.append((h ? "flashing red after clearance" : "all-red after clearance", t(plan.allRedAfterClearance)))
            if plan.redAmber > .zero { rows.append(("red+amber", t(plan.redAmber))) }
            let countdown = !plan.countdownWanted ? "off" : plan.clearance > plan.countdownThreshold
                ? "during a fixed clearance (longer than 7 s)" : "dark: clearance is not longer than 7 s"
            rows.append(("countdown", countdown))
            rows.append(("kerb dwell / cancel", "\(d(c.kerbDwell)) / \(d(c.kerbCancel))"))
            rows.append(("start-up", "flash \(d(c.startupFlash)), then " + (h ? "dark" : "all-red \(d(c.startupAllRed))")))
            rows.append(("worst-case wait", "\(f(plan.worstCaseWait.milliseconds(tickMs: site.tickMs))) ≤ max wait \(d(c.maxWait))"))
            rows.append(("  made of", plan.worstCaseWaitBreakdown(tickMs: site.tickMs)))
        }
        if let b = site.beacon {
            let plan = BeaconPlan(b, tickMs: site.tickMs)
            let t = { (ticks: Ticks) in "\(f(ticks.milliseconds(tickMs: site.tickMs))) (\(ticks.count) ticks)" }
            rows.append(("activation", t(plan.activation) + " (\(formatNumber(b.lengthMeters)) m ÷ \(formatNumber(b.walkingSpeedMetersPerSecond)) m/s + buffer \(d(b.buffer)))"))
            rows.append(("maximum with presence", t(plan.maximum)))
            rows.append(("pattern", b.pattern == .rrfb ? "rrfb: 75 sequences a minute, 800 ms each (FHWA IA-21)" : "steady-1hz, left and right alternating"))
            rows.append(("kerb dwell", d(b.kerbDwell)))
            rows.append(("floodlight", "at night: on below \(formatNumber(b.nightBelowLux)) lux, off above \(formatNumber(b.dayAboveLux)) lux"))
            rows.append(("detector faults", "kerb stuck after \(d(b.kerbStuckAfter)); idle warning after \(d(b.detectorIdleAfter))"))
        }
        if let s = site.sos {
            rows.append(("SOS long press", s.longPress == 0 ? "none (a press raises the alarm)" : d(s.longPress)))
            rows.append(("SOS acknowledgement", "within \(d(s.ackTimeout)), else the yellow light blinks fast"))
            rows.append(("SOS stuck button", "held longer than \(d(s.stuckAfter))"))
            rows.append(("self-test", "every \(d(s.selfTestEvery))"))
        }
        rows.append(("uplink", site.uplink.brokers.isEmpty ? "none configured: events are kept and shown" : site.uplink.brokers.map(\.description).joined(separator: ", ")))
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n")
    }
}
