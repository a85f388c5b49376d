import CrossguardCore
import CrossguardHAL
import Synchronization

/// Drives the board's I2C parts on the sensor thread, each under a `PartSupervisor` of its own: polled at
/// its own period, silent after `failuresBeforeSilent` failed transfers in a row (the display after one,
/// since a display that failed a write shows a wrong number), and brought up again every `restartEveryMs`
/// until it answers. A sensor that gives no new sample for `staleAfterMs` is silent too. An expander's 16
/// lines are read in one transfer at each poll; the latch the tick wants is written on the first pass after
/// it changes, and every `refreshEveryMs` it is written again and the direction register checked, so a chip
/// that reset is configured again. Time comes in as milliseconds from any monotonic clock, so tests run it
/// without sleeping.
public final class SensorPoller: @unchecked Sendable {
    public let hub: SensorHub
    /// Consecutive failed transfers that make a part silent: one bad transfer is a glitch, three are a fault.
    public let failuresBeforeSilent: Int
    /// How long a part may answer "no new sample" before it counts as silent (a stuck ranging sensor).
    public let staleAfterMs: UInt64
    /// How often a silent part is brought up again.
    public let restartEveryMs: UInt64
    /// How often an expander's output latch is written again and its direction register checked.
    public let refreshEveryMs: UInt64

    private struct SensorSlot {
        let sensor: PolledSensor
        /// Index among the hub's role sensors, nil for the light sensor.
        let roleIndex: Int?
        var supervisor: PartSupervisor
        var lastAnswerMs: UInt64 = 0
        var level = false
    }
    private var sensors: [SensorSlot]

    private struct DisplaySlot {
        let display: PolledDisplay
        var supervisor: PartSupervisor
        /// What it shows, nil when unknown (then the wanted value is written at the next pass).
        var shown: UInt16?? = nil
    }
    private var display: DisplaySlot?

    private struct ExpanderSlot {
        let expander: PolledExpander
        let port: ExpanderPort
        var supervisor: PartSupervisor
        /// When the latch is next written again and the directions checked.
        var refreshDue: UInt64 = 0
        /// The latch as last written, nil when unknown (it is then written at the next poll).
        var written: UInt16?
    }
    private var expanders: [ExpanderSlot]
    /// What `health` shows: the sensor thread updates it after every change, others read it.
    private let published: Mutex<PartsHealth>

    /// A poller for the board's sensors, display and expanders; `sensors` must hold one per `[[i2c]]` role
    /// sensor and light sensor, in any order, and `expanders` one per port of the hub (an expander the hub
    /// has no port for is left alone: no tick could see it).
    public init(hub: SensorHub, sensors: [PolledSensor], display: PolledDisplay?, expanders: [PolledExpander] = [],
                failuresBeforeSilent: Int = 3, staleAfterMs: UInt64 = 1_000, restartEveryMs: UInt64 = 1_000, refreshEveryMs: UInt64 = 1_000) {
        self.hub = hub
        self.failuresBeforeSilent = failuresBeforeSilent
        self.staleAfterMs = staleAfterMs
        self.restartEveryMs = restartEveryMs
        self.refreshEveryMs = refreshEveryMs
        let supervisor = PartSupervisor(failuresBeforeSilent: failuresBeforeSilent, restartEveryMs: restartEveryMs)
        self.sensors = sensors.map { SensorSlot(sensor: $0, roleIndex: hub.roleSensors.firstIndex(of: $0.config), supervisor: supervisor) }
        self.display = display.map { DisplaySlot(display: $0, supervisor: PartSupervisor(failuresBeforeSilent: 1, restartEveryMs: restartEveryMs)) }
        self.expanders = expanders.compactMap { expander in
            hub.expanders.first { $0.config == expander.config }.map { ExpanderSlot(expander: expander, port: $0, supervisor: supervisor) }
        }
        published = Mutex(PartsHealth(
            sensors: self.sensors.map { PartHealth(config: $0.sensor.config, $0.supervisor) },
            display: self.display.map { PartHealth(config: $0.display.config, $0.supervisor) },
            expanders: self.expanders.map { PartHealth(config: $0.expander.config, $0.supervisor) }))
    }

    /// Brings every part up once, at start-up. Returns the parts that did not come up, each with its
    /// fault: the daemon refuses to start on a board whose parts are missing, as it does for lines.
    public func startAll(nowMs: UInt64) -> [(config: I2CDeviceConfig, error: HardwareError)] {
        var failed: [(config: I2CDeviceConfig, error: HardwareError)] = []
        for i in sensors.indices {
            do throws(HardwareError) {
                try sensors[i].sensor.start()
                sensors[i].lastAnswerMs = nowMs
                sensors[i].supervisor.cameUp(nextMs: nowMs)
            } catch {
                failed.append((sensors[i].sensor.config, error))
                sensors[i].supervisor.silence(error, nextMs: nowMs)
                publishSilence(i)
            }
            record(sensor: i)
        }
        if var d = display {
            do throws(HardwareError) {
                try d.display.start()
                d.supervisor.cameUp(nextMs: nowMs)
            } catch {
                failed.append((d.display.config, error))
                d.supervisor.silence(error, nextMs: nowMs)
            }
            display = d
            recordDisplay()
        }
        for k in expanders.indices {
            do throws(HardwareError) { try bringUp(k, nowMs: nowMs, nextMs: nowMs) } catch {
                failed.append((expanders[k].expander.config, error))
                silenceExpander(k, error, nextMs: nowMs)
            }
            record(expander: k)
        }
        return failed
    }

    /// Polls every part that is due at `nowMs` and refreshes the display; returns the milliseconds until
    /// the next part is due (the sensor thread sleeps that long).
    @discardableResult
    public func pass(nowMs: UInt64) -> UInt64 {
        var next = UInt64.max
        for i in sensors.indices {
            if sensors[i].supervisor.isDue(nowMs) {
                poll(i, nowMs: nowMs)
                record(sensor: i)
            }
            next = min(next, sensors[i].supervisor.dueMs)
        }
        if display != nil {
            // A working display is refreshed on every pass; only a silent one has a time of its own (its restart).
            refreshDisplay(nowMs: nowMs)
            if let d = display, d.supervisor.isSilent { next = min(next, d.supervisor.dueMs) }
        }
        for k in expanders.indices {
            if expanders[k].supervisor.isDue(nowMs) {
                pollExpander(k, nowMs: nowMs)
                record(expander: k)
            } else if !expanders[k].supervisor.isSilent && expanders[k].port.wantedLatch() != expanders[k].written {
                // The tick changed an output: written now, not at the next read.
                writeWantedLatch(k, nowMs: nowMs)
                record(expander: k)
            }
            next = min(next, expanders[k].supervisor.dueMs)
        }
        return next == .max ? 1_000 : (next > nowMs ? next - nowMs : 0)
    }

    /// Runs passes until `shouldStop`, sleeping between them with `sleepMs` (the sensor thread's body).
    /// It wakes at least every 100 ms, so the display follows the countdown and a stop is seen promptly
    /// even when every sensor is slow.
    public func run(nowMs: () -> UInt64, sleepMs: (UInt64) -> Void, shouldStop: () -> Bool) {
        while !shouldStop() {
            sleepMs(max(1, min(pass(nowMs: nowMs()), 100)))
        }
    }

    /// Every part's health, for `diag` and the status.
    public var health: PartsHealth { published.withLock { $0 } }

    private func record(sensor i: Int) {
        let s = sensors[i].supervisor
        published.withLock { $0.sensors[i] = PartHealth(config: $0.sensors[i].config, s) }
    }

    private func recordDisplay() {
        guard let s = display?.supervisor else { return }
        published.withLock { health in
            if let config = health.display?.config { health.display = PartHealth(config: config, s) }
        }
    }

    private func record(expander k: Int) {
        let s = expanders[k].supervisor
        published.withLock { $0.expanders[k] = PartHealth(config: $0.expanders[k].config, s) }
    }

    // MARK: Sensors

    private func poll(_ i: Int, nowMs: UInt64) {
        let config = sensors[i].sensor.config
        if sensors[i].supervisor.isSilent {
            do throws(HardwareError) {
                try sensors[i].sensor.start()
            } catch {
                sensors[i].supervisor.startFailed(error, nowMs: nowMs)
                return
            }
            sensors[i].lastAnswerMs = nowMs
            sensors[i].supervisor.cameUp(nextMs: nowMs)
            publish(i)
        }
        let next = nowMs + UInt64(config.pollMs)
        do throws(HardwareError) {
            switch try sensors[i].sensor.poll() {
            case .level(let level):
                sensors[i].level = level
                sensors[i].lastAnswerMs = nowMs
                sensors[i].supervisor.answered(nextMs: next)
                publish(i)
            case .lux(let lux):
                sensors[i].lastAnswerMs = nowMs
                sensors[i].supervisor.answered(nextMs: next)
                hub.publish(lux: lux)
            case .notReady:
                sensors[i].supervisor.answeredWithNothingNew(nextMs: next)
                let quiet = nowMs - sensors[i].lastAnswerMs
                if quiet >= staleAfterMs {
                    sensors[i].supervisor.silence(HardwareError(.timeout, "\(config.label): no new sample for \(quiet) ms"), nextMs: next)
                    publishSilence(i)
                }
            }
        } catch {
            if sensors[i].supervisor.failed(error, nextMs: next) { publishSilence(i) }
        }
    }

    /// Tells the tick what sensor `i` reads, and whether it is silent.
    private func publish(_ i: Int) {
        if let r = sensors[i].roleIndex { hub.publish(r, level: sensors[i].level, silent: sensors[i].supervisor.isSilent) }
    }

    /// Sensor `i` went silent: its role stands for the role's safe level, which it keeps after a restart
    /// until the part's first reading (never the level it had before it went silent), and the light
    /// reading goes away.
    private func publishSilence(_ i: Int) {
        if let role = sensors[i].sensor.config.role { sensors[i].level = role.levelWhenSilent }
        if sensors[i].roleIndex != nil { publish(i) } else { hub.publish(lux: nil) }
    }

    // MARK: The display

    private func refreshDisplay(nowMs: UInt64) {
        guard var d = display, let wanted = hub.wanted() else { return }
        defer {
            display = d
            recordDisplay()
        }
        if d.supervisor.isSilent {
            guard d.supervisor.isDue(nowMs) else { return }
            do throws(HardwareError) { try d.display.start() } catch {
                d.supervisor.startFailed(error, nowMs: nowMs)
                return
            }
            d.supervisor.cameUp(nextMs: nowMs)
            d.shown = nil
        }
        guard d.shown != .some(wanted) else { return }
        do throws(HardwareError) {
            try d.display.show(wanted)
            d.shown = .some(wanted)
            d.supervisor.answered(nextMs: nowMs)
        } catch {
            d.supervisor.failed(error, nextMs: nowMs + restartEveryMs)
        }
    }

    // MARK: Expanders

    /// Configures expander `k` with the latch the tick wants and reads its lines: it answers again, and
    /// its next poll is due at `nextMs`.
    private func bringUp(_ k: Int, nowMs: UInt64, nextMs: UInt64) throws(HardwareError) {
        let slot = expanders[k]
        let latch = slot.port.wantedLatch()
        try slot.expander.configure(latch: latch)
        expanders[k].written = latch
        expanders[k].refreshDue = nowMs + refreshEveryMs
        let raw = try slot.expander.readLines()
        slot.port.publish(levels: slot.port.layout.inputLevels(raw: raw))
        expanders[k].supervisor.answered(nextMs: nextMs)
    }

    private func pollExpander(_ k: Int, nowMs: UInt64) {
        let slot = expanders[k]
        let next = nowMs + UInt64(slot.expander.config.pollMs)
        if slot.supervisor.isSilent {
            do throws(HardwareError) {
                try bringUp(k, nowMs: nowMs, nextMs: next)
            } catch {
                expanders[k].supervisor.startFailed(error, nowMs: nowMs)
            }
            return
        }
        let layout = slot.port.layout
        do throws(HardwareError) {
            var raw = try slot.expander.readLines()
            if nowMs >= slot.refreshDue {
                expanders[k].refreshDue = nowMs + refreshEveryMs
                expanders[k].written = nil  // written again below
                let directions = try slot.expander.readDirections()
                if directions != layout.directions {
                    // Power-on IODIR is 0xFFFF: the chip reset (a brown-out, a glitch on RESET) and forgot
                    // its outputs and pull-ups. Configured again, then read again with its pull-ups back.
                    expanders[k].supervisor.note(HardwareError(.other, "\(slot.expander.config.label): IODIR reads \(hex16(directions)), expected \(hex16(layout.directions)); configured again"))
                    let latch = slot.port.wantedLatch()
                    try slot.expander.configure(latch: latch)
                    expanders[k].written = latch
                    raw = try slot.expander.readLines()
                }
            }
            slot.port.publish(levels: layout.inputLevels(raw: raw))
            let latch = slot.port.wantedLatch()
            if latch != expanders[k].written {
                try slot.expander.writeLatch(latch)
                expanders[k].written = latch
            }
            expanders[k].supervisor.answered(nextMs: next)
        } catch {
            expanderFailed(k, error, nextMs: next)
        }
    }

    /// Writes the latch the tick wants between two reads; a fault counts like a failed poll.
    private func writeWantedLatch(_ k: Int, nowMs: UInt64) {
        let latch = expanders[k].port.wantedLatch()
        do throws(HardwareError) {
            try expanders[k].expander.writeLatch(latch)
            expanders[k].written = latch
        } catch {
            expanderFailed(k, error, nextMs: expanders[k].supervisor.dueMs)
        }
    }

    /// A failed read or write of expander `k`: counted, and the `failuresBeforeSilent`th in a row makes it
    /// silent. The latch is unknown afterwards (a failed write may or may not have landed).
    private func expanderFailed(_ k: Int, _ error: HardwareError, nextMs: UInt64) {
        expanders[k].written = nil
        if expanders[k].supervisor.failed(error, nextMs: nextMs) { publishExpanderSilence(k) }
    }

    /// Marks expander `k` silent for `error`: its inputs stand for their roles' safe levels, and its
    /// lines' roles raise `detector.fault` at the next tick; it is configured again before it is read again.
    private func silenceExpander(_ k: Int, _ error: HardwareError, nextMs: UInt64) {
        expanders[k].supervisor.silence(error, nextMs: nextMs)
        publishExpanderSilence(k)
    }

    private func publishExpanderSilence(_ k: Int) {
        expanders[k].written = nil
        expanders[k].port.publishSilent()
    }
}
