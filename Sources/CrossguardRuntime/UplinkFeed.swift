import CrossguardCore
import CrossguardUplink
import Synchronization

/// What the tick thread hands the uplink: an event with the wall-clock time of the tick that produced it
/// (milliseconds since 1970), or the core's answer to a posted command.
public enum FeedItem: Equatable, Sendable {
    case event(Event, unixMs: Int64)
    case outcome(token: UInt32, CommandOutcome)
}

/// A bounded single-producer single-consumer ring of plain values: the tick thread pushes, the uplink's
/// thread pops, neither ever waits or locks. Storage is allocated once; a push into a full ring is refused
/// and counted (the tick never waits for the network or the disk).
public final class FeedRing: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<FeedItem>
    private let mask: Int
    /// Positions grow without wrapping (Int is 64-bit); the slot is `position & mask`.
    private let head = Atomic<Int>(0)  // next to pop, written by the consumer
    private let tail = Atomic<Int>(0)  // next to push, written by the producer
    private let overflowed = Atomic<UInt64>(0)

    /// A ring of `capacity` items, rounded up to a power of two.
    public init(capacity: Int = 4_096) {
        var size = 1
        while size < capacity { size <<= 1 }
        slots = UnsafeMutablePointer<FeedItem>.allocate(capacity: size)
        slots.initialize(repeating: .outcome(token: 0, .accepted), count: size)
        mask = size - 1
    }

    deinit {
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
    }

    /// Producer: adds an item, or counts it lost when the ring is full.
    @discardableResult
    public func push(_ item: FeedItem) -> Bool {
        let t = tail.load(ordering: .relaxed)
        guard t - head.load(ordering: .acquiring) <= mask else {
            overflowed.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        slots[t & mask] = item
        tail.store(t + 1, ordering: .releasing)
        return true
    }

    /// Consumer: takes the oldest item, if any.
    public func pop() -> FeedItem? {
        let h = head.load(ordering: .relaxed)
        guard h != tail.load(ordering: .acquiring) else { return nil }
        let item = slots[h & mask]
        head.store(h + 1, ordering: .releasing)
        return item
    }

    /// Items refused because the ring was full.
    public var overflows: UInt64 { overflowed.load(ordering: .relaxed) }
}

/// The uplink's view of a running device (a `TickObserver`): every event and command outcome goes into
/// a `FeedRing`, and the signal state into a status report the uplink reads when it publishes `status`.
/// Nothing here blocks; the report's lock is held for the copy of one small value, and taken only when
/// something the centre sees changed or once a second for the counts.
public final class UplinkFeed: TickObserver, @unchecked Sendable {
    public let ring: FeedRing
    private let report: Mutex<StatusReport>
    private var current: StatusReport
    private var next: TickObserver?
    private let countsEvery: UInt64
    private let stamp: @Sendable (UInt64) -> Int64
    private let rung = Atomic<Bool>(false)

    /// Wakes the uplink's thread when a tick left events or a command's outcome in the ring, so the uplink
    /// journals and sends at once instead of polling the ring (a poll every 2 ms was most of an idle
    /// crossing's CPU and up to 2 ms of an SOS alarm's way out). Set once, before the first tick; called on
    /// the tick thread at most once per `answerDoorbell`, so it must not block or allocate.
    public var doorbell: (@Sendable () -> Void)?

    /// A feed for `site`. `stamp` gives the wall-clock time (milliseconds since 1970) of a tick that produced
    /// events: the real clock on a device, so an NTP correction shows in the next event; scenario time on a
    /// bench run faster than real time. It is called on the tick thread and must not block or allocate.
    /// `next` (the bench's screen or trace) sees every tick too.
    public init(site: SiteConfig, ring: FeedRing = FeedRing(), stamp: @escaping @Sendable (_ tick: UInt64) -> Int64, next: TickObserver? = nil) {
        self.ring = ring
        self.stamp = stamp
        self.next = next
        current = StatusReport(profile: site.profile.kind, regime: site.regime)
        report = Mutex(current)
        countsEvery = UInt64(max(1, 1_000 / site.tickMs))
    }

    /// This feed with `observer` seeing every tick after it (set before the first tick).
    public func chained(to observer: TickObserver) -> UplinkFeed {
        next = observer
        return self
    }

    /// The latest status report.
    public var status: StatusReport { report.withLock { $0 } }

    public func willTick(_ tick: UInt64, runtime: DeviceRuntime) { next?.willTick(tick, runtime: runtime) }

    /// The uplink's side of the doorbell: call before draining the ring, so the next push rings again.
    public func answerDoorbell() { rung.store(false, ordering: .sequentiallyConsistent) }

    public func didTick(_ tick: UInt64, result: StepResult, events: [Event], runtime: DeviceRuntime) {
        if !events.isEmpty {
            let unixMs = stamp(tick)
            for event in events { ring.push(.event(event, unixMs: unixMs)) }
        }
        if let outcome = result.commandOutcome { ring.push(.outcome(token: runtime.lastCommandToken, outcome)) }
        if !events.isEmpty || result.commandOutcome != nil, let doorbell, !rung.exchange(true, ordering: .sequentiallyConsistent) {
            doorbell()
        }
        var now = current
        let controller = runtime.device.controller, monitor = runtime.device.monitor
        now.lit = result.outputs.lit
        now.countdown = result.outputs.countdown
        now.mode = controller.crossing?.mode ?? controller.beacon?.mode ?? .normal
        now.phase = controller.crossing?.phaseName
        now.alarm = controller.sos?.openAlarm ?? 0
        now.acknowledged = controller.sos?.acknowledged ?? false
        now.conditions = controller.openConditions
        now.latched = monitor.latched
        now.failedLamps = monitor.failedLamps
        now.walkInhibited = monitor.walkInhibited
        now.detectorSuspect = controller.crossing?.detectorSuspect ?? false
        if !now.sameSignal(as: current) || tick % countsEvery == 0 {
            now.uptimeMs = (tick + 1) * UInt64(runtime.site.tickMs)
            let s = runtime.statistics
            now.ticks.count = s.ticks
            now.ticks.overruns = s.overruns
            now.ticks.maxLatenessNs = s.maxLatenessNs
            if tick % countsEvery == 0 {
                // A walk over the histogram: once a second, not on every signal change (a flash is two a second).
                let latency = runtime.latencySummary
                now.ticks.latenessP50Ns = latency.p50Ns
                now.ticks.latenessP99Ns = latency.p99Ns
                now.ticks.latenessP999Ns = latency.p999Ns
            }
            now.ticks.hardwareErrors = s.hardwareErrors
            now.ticks.queueOverflows = ring.overflows
            current = now
            report.withLock { $0 = now }
        }
        next?.didTick(tick, result: result, events: events, runtime: runtime)
    }
}
