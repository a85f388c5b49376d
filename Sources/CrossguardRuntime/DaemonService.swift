import CrossguardCore
import CrossguardHAL
import Dispatch
import Synchronization

/// The uplink as the daemon starts and stops it: `stop()` says `offline` and hands the outbox what is
/// left, and returns once that is done.
public protocol DaemonUplink: AnyObject {
    func start()
    func stop()
}

/// A hardware watchdog the daemon pets while its ticks are healthy.
public protocol DaemonWatchdog: AnyObject {
    /// Holds the board's reset off for another timeout.
    func pet() throws(HardwareError)
    /// Disarms it on a clean stop (the magic character), so a stopped daemon does not reset the board.
    func closeCleanly()
}

/// Where the daemon reports its state to its supervisor (systemd's `READY=1`, `WATCHDOG=1`, `STOPPING=1`).
public protocol DaemonNotifier: AnyObject {
    func send(_ state: String)
}

/// The daemon's clocks: the tick thread's, and a monotonic reading for the sensor thread and the watchdog policy.
public protocol DaemonClock: Sendable {
    /// A clock that paces ticks of `periodNs`, made on the tick thread.
    func tickClock(periodNs: UInt64) -> TickClock
    /// Monotonic time in nanoseconds.
    func nowNs() -> UInt64
}

/// How the daemon gets its threads: the process's own (named, for `top -H`), or a test's.
public protocol DaemonThreads: Sendable {
    /// Runs `body` on a new thread named `name`.
    func start(name: String, _ body: @escaping @Sendable () -> Void)
}

/// A request to stop, from a signal, a test or a fleet's owner: set once, seen by every thread, and able to
/// wake a thread that waits for it (the sensor thread between passes), so nobody polls a flag on a timer.
public final class StopRequest: @unchecked Sendable {
    private let requested = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)

    /// No stop requested yet.
    public init() {}

    /// Asks every thread to stop; a second request changes nothing.
    public func request() {
        if !requested.exchange(true, ordering: .acquiringAndReleasing) { wake.signal() }
    }

    /// Whether a stop was requested.
    public var isRequested: Bool { requested.load(ordering: .acquiring) }

    /// Waits up to `ns` nanoseconds; returns at once when a stop is requested (and whether it was).
    @discardableResult
    public func wait(ns: UInt64) -> Bool {
        if isRequested { return true }
        guard wake.wait(timeout: .now() + .nanoseconds(Int(clamping: ns))) == .success else { return isRequested }
        wake.signal()  // every other waiter wakes too
        return true
    }
}

/// The roadside daemon's lifetime as one value with its clock, threads and stop request handed in: start
/// in order (the uplink, then the tick thread at its real-time settings, then the sensor thread), supervise
/// (READY after the first tick; the watchdog petted and `WATCHDOG=1` sent every `watchdogCheckNs` only
/// while at least half the due ticks ran), and on a stop request end in order: the tick loop, every output
/// inactive, the sensor thread (one last pass blanks the countdown), the latch record flushed, the uplink
/// stopped (`offline`, outbox flushed), the watchdog closed. Nothing in it is global, so several devices
/// run in one process, each with its own parts.
public final class DaemonService: @unchecked Sendable {
    /// What one device is made of, each part opened and ready.
    public struct Parts {
        public var runtime: DeviceRuntime
        /// The uplink feed and anything else that watches the ticks.
        public var observer: TickObserver?
        public var poller: SensorPoller?
        public var keeper: LatchKeeper?
        public var uplink: DaemonUplink?
        public var watchdog: DaemonWatchdog?
        public var notifier: DaemonNotifier?

        /// The parts of one device.
        public init(runtime: DeviceRuntime, observer: TickObserver? = nil, poller: SensorPoller? = nil, keeper: LatchKeeper? = nil,
                    uplink: DaemonUplink? = nil, watchdog: DaemonWatchdog? = nil, notifier: DaemonNotifier? = nil) {
            self.runtime = runtime
            self.observer = observer
            self.poller = poller
            self.keeper = keeper
            self.uplink = uplink
            self.watchdog = watchdog
            self.notifier = notifier
        }
    }

    private let parts: Parts
    private let clock: DaemonClock
    private let threads: DaemonThreads
    private let stop: StopRequest
    private let log: @Sendable (String) -> Void
    private let configureTickThread: @Sendable () -> [String]
    private let watchdogCheckNs: UInt64
    private let heartbeat: Heartbeat
    /// Signalled at the first tick and when the tick thread ends: what the supervisor waits for.
    private let supervisorWake: DispatchSemaphore
    private let tickEnded = Atomic<Bool>(false)
    private let sensorsEnded = DispatchSemaphore(value: 0)

    /// A daemon over `parts`. `configureTickThread` runs first on the tick thread (real-time priority,
    /// timer slack) and returns warnings to log.
    public init(parts: Parts, clock: DaemonClock, threads: DaemonThreads, stop: StopRequest, log: @escaping @Sendable (String) -> Void,
                configureTickThread: @escaping @Sendable () -> [String] = { [] }, watchdogCheckNs: UInt64 = 500_000_000) {
        self.parts = parts
        self.clock = clock
        self.threads = threads
        self.stop = stop
        self.log = log
        self.configureTickThread = configureTickThread
        self.watchdogCheckNs = watchdogCheckNs
        let wake = DispatchSemaphore(value: 0)
        supervisorWake = wake
        heartbeat = Heartbeat(next: parts.observer, firstTick: wake)
    }

    /// Ticks finished so far, from any thread.
    public var ticks: UInt64 { heartbeat.ticks }

    /// Runs the device until the stop request, then stops it in order. Returns the exit status: 0, or 1
    /// when the safe state could not be written.
    public func run() -> Int32 {
        let runtime = parts.runtime
        let periodNs = UInt64(runtime.site.tickMs) * 1_000_000
        parts.uplink?.start()
        let work = Handoff((runtime, heartbeat, clock, stop, configureTickThread, log))
        threads.start(name: "crossguard-tick") { [self] in
            let (runtime, heartbeat, clock, stop, configure, log) = work.value
            for warning in configure() { log("run: \(warning)") }
            runtime.run(clock: clock.tickClock(periodNs: periodNs), observer: heartbeat, shouldStop: { stop.isRequested })
            tickEnded.store(true, ordering: .releasing)
            supervisorWake.signal()
        }
        if let poller = parts.poller {
            let sensors = Handoff((poller, clock, stop))
            threads.start(name: "crossguard-i2c") { [sensorsEnded] in
                let (poller, clock, stop) = sensors.value
                poller.run(nowMs: { clock.nowNs() / 1_000_000 }, sleepMs: { stop.wait(ns: $0 * 1_000_000) }, shouldStop: { stop.isRequested })
                sensorsEnded.signal()
            }
        } else {
            sensorsEnded.signal()
        }

        supervise(periodNs: periodNs)

        // The tick thread has ended: the runtime is this thread's again.
        parts.notifier?.send("STOPPING=1")
        var status: Int32 = 0
        do {
            try runtime.writeSafeState()
        } catch {
            log("run: the safe state could not be written: \(error.detail)")
            status = 1
        }
        sensorsEnded.wait()
        parts.poller?.pass(nowMs: clock.nowNs() / 1_000_000)  // blanks the countdown the safe state asked for
        parts.keeper?.flush()
        parts.uplink?.stop()
        parts.watchdog?.closeCleanly()
        return status
    }

    /// Until the tick thread ends: READY after the first tick, then every `watchdogCheckNs` the watchdog is
    /// petted and WATCHDOG=1 sent, but only while ticks are healthy (at least half of those due ran).
    private func supervise(periodNs: UInt64) {
        var ready = false
        var lastTicks: UInt64 = 0
        var lastCheck = clock.nowNs()
        while true {
            _ = supervisorWake.wait(timeout: .now() + .nanoseconds(Int(clamping: watchdogCheckNs)))
            if tickEnded.load(ordering: .acquiring) { return }
            let ticks = heartbeat.ticks
            if !ready && ticks > 0 {
                ready = true
                parts.notifier?.send("READY=1\nSTATUS=ticking")
            }
            let now = clock.nowNs()
            guard now - lastCheck >= watchdogCheckNs else { continue }
            let due = (now - lastCheck) / periodNs
            if ticks - lastTicks >= due / 2 && ticks > 0 {
                do throws(HardwareError) { try parts.watchdog?.pet() } catch { log("run: \(error.detail)") }
                parts.notifier?.send("WATCHDOG=1")
            }
            lastTicks = ticks
            lastCheck = now
        }
    }
}

/// Counts finished ticks for the supervisor, wakes it after the first, and passes each tick on to the
/// observer behind it.
private final class Heartbeat: TickObserver, @unchecked Sendable {
    private let finished = Atomic<UInt64>(0)
    private let next: TickObserver?
    private let firstTick: DispatchSemaphore

    init(next: TickObserver?, firstTick: DispatchSemaphore) {
        self.next = next
        self.firstTick = firstTick
    }

    var ticks: UInt64 { finished.load(ordering: .acquiring) }

    func willTick(_ tick: UInt64, runtime: DeviceRuntime) { next?.willTick(tick, runtime: runtime) }

    func didTick(_ tick: UInt64, result: StepResult, events: [Event], runtime: DeviceRuntime) {
        next?.didTick(tick, result: result, events: events, runtime: runtime)
        if finished.exchange(tick + 1, ordering: .acquiringAndReleasing) == 0 { firstTick.signal() }
    }
}

/// Hands values that are not `Sendable` to the one thread that uses them from then on (the runtime to
/// its tick thread): the sender does not touch them again until that thread has finished.
public final class Handoff<Value>: @unchecked Sendable {
    public let value: Value
    /// Wraps `value` for the thread it goes to.
    public init(_ value: Value) { self.value = value }
}
