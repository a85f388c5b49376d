import CrossguardCore
import CrossguardHAL
import Synchronization

/// What one poll of an I2C sensor gave.
public enum SensorReading: Equatable, Sendable {
    /// The level of the role it plays (present, lamp lit).
    case level(Bool)
    /// An ambient light reading in lux.
    case lux(Double)
    /// The part answered but has no new sample yet (a time-of-flight sensor between measurements).
    case notReady
}

/// One I2C part as the sensor thread drives it: brought up once, polled at its own rate, brought up again
/// after it went silent (a part that lost power forgets its configuration).
public protocol PolledSensor: AnyObject {
    /// The board's description of the part.
    var config: I2CDeviceConfig { get }
    /// Checks the part's identity and configures it.
    func start() throws(HardwareError)
    /// Reads it once.
    func poll() throws(HardwareError) -> SensorReading
}

/// An I2C GPIO expander as the sensor thread drives it: configured as the board lays its pins out, its 16
/// lines read in one transfer, its output latch written, and its direction register read back to find a
/// chip that reset and forgot its configuration.
public protocol PolledExpander: AnyObject {
    /// The board's description of the part.
    var config: I2CDeviceConfig { get }
    /// Configures every pin (directions, pull-ups), outputs latched at `latch` before any is driven.
    func configure(latch: UInt16) throws(HardwareError)
    /// The electrical level of all 16 lines (bit n = pin n), in one transfer.
    func readLines() throws(HardwareError) -> UInt16
    /// Sets the output latch of all 16 lines, in one transfer.
    func writeLatch(_ latch: UInt16) throws(HardwareError)
    /// The direction register as the chip holds it now (1 = input).
    func readDirections() throws(HardwareError) -> UInt16
}

/// A countdown display on I2C: written by the sensor thread, never by the tick thread.
public protocol PolledDisplay: AnyObject {
    /// The board's description of the part.
    var config: I2CDeviceConfig { get }
    /// Checks and configures it (oscillator and display on).
    func start() throws(HardwareError)
    /// Shows a number of seconds, or blank.
    func show(_ value: UInt16?) throws(HardwareError)
}

/// The meeting point of the sensor thread and the tick thread: the newest level of every sensor-played
/// role, the newest light reading and the countdown the tick wants shown, each one atomic word, and one
/// `ExpanderPort` per GPIO expander, so the tick reads and writes without a lock and without waiting for
/// a bus.
public final class SensorHub: AmbientLightSource, NumericDisplay, @unchecked Sendable {
    /// The sensors that play an input role, in board order: the tick's extra input lines.
    public let roleSensors: [I2CDeviceConfig]
    /// One port per `[[i2c]]` mcp23017, in board order: what `CompositeLineBank` reads and writes.
    public let expanders: [ExpanderPort]
    /// Every role sensor's state in one word: bit n is sensor n's level, bit 32 + n whether it is silent.
    /// Only the sensor thread writes it.
    private let states = Atomic<UInt64>(0)
    /// Role sensors one word can carry; `BoardConfig` refuses boards with more.
    public static let maximumRoleSensors = 32
    /// The light reading's bits; `noLux` when there is none.
    private let luxBits = Atomic<UInt64>(SensorHub.noLux)
    /// The countdown the tick wants: the value, or `blank`; `untouched` until the tick first says.
    private let wantedCountdown = Atomic<UInt32>(SensorHub.untouched)
    private static let noLux = UInt64.max
    static let blank: UInt32 = 0x1_0000
    static let untouched: UInt32 = 0x2_0000

    /// A hub for the board's I2C parts.
    public init(board: BoardConfig) {
        roleSensors = Array(board.i2c.filter { $0.role != nil }.prefix(SensorHub.maximumRoleSensors))
        expanders = board.i2c.compactMap { config in board.expanderLayout(config).map { ExpanderPort(config: config, layout: $0) } }
    }

    // MARK: The tick thread's side

    /// The level the tick should see for role sensor `index` and whether that sensor is silent (then the
    /// level is its role's safe level).
    @inline(__always) public func sample(_ index: Int) -> (level: Bool, silent: Bool) {
        let s = states.load(ordering: .acquiring)
        return (s >> UInt64(index) & 1 != 0, s >> UInt64(32 + index) & 1 != 0)
    }

    /// The newest light reading, nil when the sensor is silent or has not answered yet.
    public func latestLux() -> Double? {
        let bits = luxBits.load(ordering: .acquiring)
        return bits == SensorHub.noLux ? nil : Double(bitPattern: bits)
    }

    /// Hands the countdown to the sensor thread; returns at once.
    public func show(_ value: UInt16?) throws(HardwareError) {
        wantedCountdown.store(value.map(UInt32.init) ?? SensorHub.blank, ordering: .releasing)
    }

    // MARK: The sensor thread's side

    /// Publishes a level for role sensor `index`.
    func publish(_ index: Int, level: Bool, silent: Bool) {
        let levelBit: UInt64 = 1 << UInt64(index), silentBit: UInt64 = 1 << UInt64(32 + index)
        var s = states.load(ordering: .relaxed) & ~(levelBit | silentBit)
        if level { s |= levelBit }
        if silent { s |= silentBit }
        states.store(s, ordering: .releasing)
    }

    /// Publishes a light reading, nil for none.
    func publish(lux: Double?) {
        luxBits.store(lux.map(\.bitPattern) ?? SensorHub.noLux, ordering: .releasing)
    }

    /// The countdown the tick asked for: nil until it first asked, `.some(nil)` for blank.
    func wanted() -> UInt16?? {
        let w = wantedCountdown.load(ordering: .acquiring)
        if w == SensorHub.untouched { return nil }
        return .some(w == SensorHub.blank ? nil : UInt16(w))
    }
}

/// How one I2C part is doing, for `diag` and the status: whether it answers, how often it failed, and
/// the last fault.
public struct SensorHealth: Equatable, Sendable {
    public var config: I2CDeviceConfig
    /// Whether it is silent now (its role stands for its safe level).
    public var silent: Bool
    /// Polls that failed, since start.
    public var failures: UInt64
    /// Polls that answered, since start.
    public var answers: UInt64
    /// The newest fault, nil when none yet.
    public var lastError: HardwareError?
}

/// Drives the board's I2C parts on the sensor thread: each polled at its own period, a part that fails
/// `failuresBeforeSilent` polls in a row (or gives no new sample for `staleAfterMs`) is silent, and a
/// silent part is brought up again every `restartEveryMs` until it answers. An expander's 16 lines are
/// read in one transfer at each poll; the latch the tick wants is written on the first pass after it
/// changes, and every `refreshEveryMs` it is written again and the direction register checked, so a chip
/// that reset is configured again. Time comes in as milliseconds from any monotonic clock, so tests run it
/// without sleeping.
public final class SensorPoller: @unchecked Sendable {
    public let hub: SensorHub
    /// Consecutive failed polls that make a part silent: one bad transfer is a glitch, three are a fault.
    public let failuresBeforeSilent: Int
    /// How long a part may answer "no new sample" before it counts as silent (a stuck ranging sensor).
    public let staleAfterMs: UInt64
    /// How often a silent part is brought up again.
    public let restartEveryMs: UInt64
    /// How often an expander's output latch is written again and its direction register checked.
    public let refreshEveryMs: UInt64

    private struct Slot {
        let sensor: PolledSensor
        /// Index among the hub's role sensors, nil for the light sensor.
        let roleIndex: Int?
        var due: UInt64 = 0
        var failuresInARow = 0
        var lastAnswerMs: UInt64 = 0
        var silent = false
        var level = false
    }
    private var slots: [Slot]
    private let display: PolledDisplay?
    private var displayShown: UInt16?? = nil
    private var displayDue: UInt64 = 0
    private var displaySilent = false

    private struct ExpanderSlot {
        let expander: PolledExpander
        let port: ExpanderPort
        /// Index in `health`.
        let healthIndex: Int
        var due: UInt64 = 0
        /// When the latch is next written again and the directions checked.
        var refreshDue: UInt64 = 0
        var failuresInARow = 0
        var silent = false
        /// The latch as last written, nil when unknown (it is then written at the next poll).
        var written: UInt16?
    }
    private var expanderSlots: [ExpanderSlot]
    private let health: Mutex<[SensorHealth]>

    /// A poller for the board's sensors, display and expanders; `sensors` must hold one per `[[i2c]]` role
    /// sensor and light sensor, in any order, and `expanders` one per port of the hub (an expander the hub
    /// has no port for is left alone: no tick could see it).
    public init(hub: SensorHub, sensors: [PolledSensor], display: PolledDisplay?, expanders: [PolledExpander] = [],
                failuresBeforeSilent: Int = 3, staleAfterMs: UInt64 = 1_000, restartEveryMs: UInt64 = 1_000, refreshEveryMs: UInt64 = 1_000) {
        self.hub = hub
        self.display = display
        self.failuresBeforeSilent = failuresBeforeSilent
        self.staleAfterMs = staleAfterMs
        self.restartEveryMs = restartEveryMs
        self.refreshEveryMs = refreshEveryMs
        slots = sensors.map { sensor in
            Slot(sensor: sensor, roleIndex: hub.roleSensors.firstIndex(of: sensor.config))
        }
        var configs = sensors.map(\.config) + (display.map { [$0.config] } ?? [])
        var expanderSlots: [ExpanderSlot] = []
        for expander in expanders {
            guard let port = hub.expanders.first(where: { $0.config == expander.config }) else { continue }
            expanderSlots.append(ExpanderSlot(expander: expander, port: port, healthIndex: configs.count))
            configs.append(expander.config)
        }
        self.expanderSlots = expanderSlots
        health = Mutex(configs.map { SensorHealth(config: $0, silent: false, failures: 0, answers: 0, lastError: nil) })
    }

    /// Brings every part up once, at start-up. Returns the parts that did not come up, each with its
    /// fault: the daemon refuses to start on a board whose parts are missing, as it does for lines.
    public func startAll(nowMs: UInt64) -> [(config: I2CDeviceConfig, error: HardwareError)] {
        var failed: [(config: I2CDeviceConfig, error: HardwareError)] = []
        for i in slots.indices {
            do throws(HardwareError) {
                try slots[i].sensor.start()
                slots[i].lastAnswerMs = nowMs
            } catch {
                failed.append((slots[i].sensor.config, error))
                noteFailure(i, error)
                silence(i)
            }
        }
        if let display {
            do throws(HardwareError) { try display.start() } catch {
                failed.append((display.config, error))
                displaySilent = true
            }
        }
        for k in expanderSlots.indices {
            do throws(HardwareError) { try bringUp(k, nowMs: nowMs) } catch {
                failed.append((expanderSlots[k].expander.config, error))
                noteFailure(expanderSlots[k].healthIndex, error)
                silenceExpander(k)
            }
        }
        return failed
    }

    /// Polls every part that is due at `nowMs` and refreshes the display; returns the milliseconds until
    /// the next part is due (the sensor thread sleeps that long).
    @discardableResult
    public func pass(nowMs: UInt64) -> UInt64 {
        var next = UInt64.max
        for i in slots.indices {
            if slots[i].due <= nowMs { poll(i, nowMs: nowMs) }
            next = min(next, slots[i].due)
        }
        if display != nil {
            // A working display is refreshed on every pass; only a silent one has a time of its own (its restart).
            refreshDisplay(nowMs: nowMs)
            if displaySilent { next = min(next, displayDue) }
        }
        for k in expanderSlots.indices {
            if expanderSlots[k].due <= nowMs {
                pollExpander(k, nowMs: nowMs)
            } else if !expanderSlots[k].silent && expanderSlots[k].port.wantedLatch() != expanderSlots[k].written {
                // The tick changed an output: written now, not at the next read.
                writeWantedLatch(k)
            }
            next = min(next, expanderSlots[k].due)
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

    /// Each part's health, for `diag` and the status (sensors first, then the display, then the expanders).
    public var sensorHealth: [SensorHealth] { health.withLock { $0 } }

    private func poll(_ i: Int, nowMs: UInt64) {
        let config = slots[i].sensor.config
        if slots[i].silent {
            slots[i].due = nowMs + restartEveryMs
            do throws(HardwareError) {
                try slots[i].sensor.start()
            } catch {
                noteFailure(i, error)
                return
            }
            slots[i].silent = false
            slots[i].failuresInARow = 0
            slots[i].lastAnswerMs = nowMs
            setSilent(i, false)
        }
        slots[i].due = nowMs + UInt64(config.pollMs)
        do throws(HardwareError) {
            switch try slots[i].sensor.poll() {
            case .level(let level):
                slots[i].level = level
                answered(i, nowMs: nowMs)
                if let r = slots[i].roleIndex { hub.publish(r, level: level, silent: false) }
            case .lux(let lux):
                answered(i, nowMs: nowMs)
                hub.publish(lux: lux)
            case .notReady:
                slots[i].failuresInARow = 0
                if nowMs - slots[i].lastAnswerMs >= staleAfterMs {
                    noteFailure(i, HardwareError(.timeout, "\(config.label): no new sample for \(nowMs - slots[i].lastAnswerMs) ms"))
                    silence(i)
                }
            }
        } catch {
            noteFailure(i, error)
            slots[i].failuresInARow += 1
            if slots[i].failuresInARow >= failuresBeforeSilent { silence(i) }
        }
    }

    private func answered(_ i: Int, nowMs: UInt64) {
        slots[i].failuresInARow = 0
        slots[i].lastAnswerMs = nowMs
        health.withLock { $0[i].answers += 1 }
    }

    /// Counts a failed poll, write or start of the part at `healthIndex` in `health` (a role or light
    /// sensor's slot index, then the display, then the expanders) and keeps its fault.
    private func noteFailure(_ healthIndex: Int, _ error: HardwareError) {
        health.withLock {
            $0[healthIndex].failures += 1
            $0[healthIndex].lastError = error
        }
    }

    /// Marks a part silent: its role stands for the role's safe level, which it keeps after a restart
    /// until the part's first reading (never the level it had before it went silent), and the light
    /// reading goes away.
    private func silence(_ i: Int) {
        slots[i].silent = true
        if let role = slots[i].sensor.config.role { slots[i].level = role.levelWhenSilent }
        setSilent(i, true)
    }

    private func setSilent(_ i: Int, _ silent: Bool) {
        health.withLock { $0[i].silent = silent }
        if let r = slots[i].roleIndex {
            hub.publish(r, level: slots[i].level, silent: silent)
        } else if silent {
            hub.publish(lux: nil)
        }
    }

    // MARK: Expanders

    /// Configures expander `k` with the latch the tick wants and reads its lines: it answers again.
    private func bringUp(_ k: Int, nowMs: UInt64) throws(HardwareError) {
        let slot = expanderSlots[k]
        let latch = slot.port.wantedLatch()
        try slot.expander.configure(latch: latch)
        expanderSlots[k].written = latch
        expanderSlots[k].refreshDue = nowMs + refreshEveryMs
        let raw = try slot.expander.readLines()
        slot.port.publish(levels: slot.port.layout.inputLevels(raw: raw))
        expanderSlots[k].silent = false
        expanderSlots[k].failuresInARow = 0
        health.withLock {
            $0[slot.healthIndex].silent = false
            $0[slot.healthIndex].answers += 1
        }
    }

    private func pollExpander(_ k: Int, nowMs: UInt64) {
        let slot = expanderSlots[k]
        if slot.silent {
            do throws(HardwareError) {
                try bringUp(k, nowMs: nowMs)
                expanderSlots[k].due = nowMs + UInt64(slot.expander.config.pollMs)
            } catch {
                noteFailure(expanderSlots[k].healthIndex, error)
                expanderSlots[k].due = nowMs + restartEveryMs
            }
            return
        }
        expanderSlots[k].due = nowMs + UInt64(slot.expander.config.pollMs)
        let layout = slot.port.layout
        do throws(HardwareError) {
            var raw = try slot.expander.readLines()
            if nowMs >= slot.refreshDue {
                expanderSlots[k].refreshDue = nowMs + refreshEveryMs
                expanderSlots[k].written = nil  // written again below
                let directions = try slot.expander.readDirections()
                if directions != layout.directions {
                    // Power-on IODIR is 0xFFFF: the chip reset (a brown-out, a glitch on RESET) and forgot
                    // its outputs and pull-ups. Configured again, then read again with its pull-ups back.
                    noteFailure(expanderSlots[k].healthIndex, HardwareError(.other, "\(slot.expander.config.label): IODIR reads \(hex16(directions)), expected \(hex16(layout.directions)); configured again"))
                    let latch = slot.port.wantedLatch()
                    try slot.expander.configure(latch: latch)
                    expanderSlots[k].written = latch
                    raw = try slot.expander.readLines()
                }
            }
            slot.port.publish(levels: layout.inputLevels(raw: raw))
            let latch = slot.port.wantedLatch()
            if latch != expanderSlots[k].written {
                try slot.expander.writeLatch(latch)
                expanderSlots[k].written = latch
            }
            expanderSlots[k].failuresInARow = 0
            health.withLock { $0[slot.healthIndex].answers += 1 }
        } catch {
            expanderFailed(k, error: error)
        }
    }

    /// Writes the latch the tick wants between two reads; a fault counts like a failed poll.
    private func writeWantedLatch(_ k: Int) {
        let latch = expanderSlots[k].port.wantedLatch()
        do throws(HardwareError) {
            try expanderSlots[k].expander.writeLatch(latch)
            expanderSlots[k].written = latch
        } catch {
            expanderFailed(k, error: error)
        }
    }

    /// A failed read or write of expander `k`: counted, and the `failuresBeforeSilent`th in a row makes it
    /// silent. The latch is unknown afterwards (a failed write may or may not have landed).
    private func expanderFailed(_ k: Int, error: HardwareError) {
        expanderSlots[k].written = nil
        noteFailure(expanderSlots[k].healthIndex, error)
        expanderSlots[k].failuresInARow += 1
        if expanderSlots[k].failuresInARow >= failuresBeforeSilent { silenceExpander(k) }
    }

    /// Marks expander `k` silent: its inputs stand for their roles' safe levels, and its lines' roles
    /// raise `detector.fault` at the next tick; it is configured again before it is read again.
    private func silenceExpander(_ k: Int) {
        expanderSlots[k].silent = true
        expanderSlots[k].written = nil
        expanderSlots[k].port.publishSilent()
        health.withLock { $0[expanderSlots[k].healthIndex].silent = true }
    }

    private func refreshDisplay(nowMs: UInt64) {
        guard let display, let wanted = hub.wanted() else { return }
        let index = slots.count
        if displaySilent {
            guard nowMs >= displayDue else { return }
            displayDue = nowMs + restartEveryMs
            do throws(HardwareError) { try display.start() } catch {
                noteFailure(index, error)
                return
            }
            displaySilent = false
            displayShown = nil
            health.withLock { $0[index].silent = false }
        }
        guard displayShown != .some(wanted) else { return }
        do throws(HardwareError) {
            try display.show(wanted)
            displayShown = .some(wanted)
            health.withLock { $0[index].answers += 1 }
        } catch {
            noteFailure(index, error)
            health.withLock { $0[index].silent = true }
            displaySilent = true
            displayDue = nowMs + restartEveryMs
        }
    }
}

