import CrossguardHAL
import Glibc

/// Real time for the tick loop: sleeps with `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)` to absolute
/// deadlines (start + tick × period), never `sleep(period)` after the work, so work time never adds drift.
/// A wake-up later than one period re-bases the schedule on now: missed ticks are reported (by the caller,
/// from the returned lateness), never run in a burst.
public final class MonotonicTickClock: TickClock {
    private var baseNs: UInt64
    private var baseTick: UInt64 = 0
    private let periodNs: UInt64

    /// A clock whose tick 0 is now.
    public init(periodNs: UInt64) {
        self.periodNs = max(1, periodNs)
        baseNs = MonotonicTickClock.nowNs()
    }

    /// CLOCK_MONOTONIC in milliseconds, for the sensor thread's schedule.
    public static func nowMs() -> UInt64 { nowNs() / 1_000_000 }

    /// Sleeps `ms` milliseconds (relative, CLOCK_MONOTONIC); an interruption ends it early.
    public static func sleep(ms: Int) {
        var pause = timespec(tv_sec: ms / 1_000, tv_nsec: (ms % 1_000) * 1_000_000)
        nanosleep(&pause, nil)
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public func waitForTick(_ tick: UInt64) -> UInt64 {
        let deadline = baseNs + (tick &- baseTick) * periodNs
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        // EINTR: a signal woke us early; go back to sleep until the same absolute deadline.
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
        let now = MonotonicTickClock.nowNs()
        let lateness = now > deadline ? now - deadline : 0
        if lateness > periodNs {
            baseNs = now
            baseTick = tick
        }
        return lateness
    }
}

/// The wall clock (`CLOCK_REALTIME`), for the times stamped on events and status. It may step (NTP), so it
/// never schedules anything; the tick runs on the monotonic clock.
public enum WallClock {
    /// Milliseconds since 1970, now. No allocation: safe on the tick thread.
    public static func unixMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
