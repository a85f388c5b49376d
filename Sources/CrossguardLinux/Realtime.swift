import CLinuxShim
import CrossguardHAL
import Glibc

/// What makes a thread keep time on a busy board: 1 ns timer slack (the default 50 µs is most of a
/// non-real-time wake-up's lateness), `SCHED_FIFO` when configured, and locked memory. Each step the kernel
/// refuses becomes a warning; the tick runs either way, only less punctually.
public enum Realtime {
    /// Configures the calling thread (call it first thing on the tick thread). Returns the warnings.
    public static func configureCurrentThread(priority: Int?) -> [String] {
        [setTimerSlack(), priority.flatMap(setPriority)].compactMap { $0 }
    }

    /// Asks for 1 ns timer slack on the calling thread; the warning when refused.
    static func setTimerSlack() -> String? {
        let slack = cg_set_timerslack_ns(1)
        return slack == 0 ? nil : "timer slack of 1 ns refused: \(String(cString: strerror(-slack)))"
    }

    /// Puts the calling thread under `SCHED_FIFO` at `priority`; the warning when refused.
    static func setPriority(_ priority: Int) -> String? {
        var param = sched_param(sched_priority: Int32(priority))
        let code = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param)
        guard code != 0 else { return nil }
        return "SCHED_FIFO priority \(priority) refused: \(String(cString: strerror(code)))"
            + (code == EPERM ? " (needs CAP_SYS_NICE or LimitRTPRIO; the unit in deploy/ grants it)" : "")
    }

    /// Locks every page of the process, now and to come, so the tick never waits for a page fault.
    /// Returns a warning when refused.
    public static func lockMemory() -> String? {
        guard mlockall(MCL_CURRENT | MCL_FUTURE) != 0 else { return nil }
        let code = errno
        return "mlockall refused: \(String(cString: strerror(code)))"
            + (code == EPERM || code == ENOMEM ? " (needs CAP_IPC_LOCK or LimitMEMLOCK=infinity; the unit in deploy/ grants it)" : "")
    }
}

/// What a trial of the tick thread's set-up found: the steps refused, and how late each of a run of
/// wake-ups came. For `diag`, which runs it on a thread of its own so the calling thread stays as it was.
public struct RealtimeTrial: Sendable {
    /// Whether 1 ns timer slack was granted.
    public var slackGranted: Bool
    /// Why `SCHED_FIFO` was refused; nil when granted or not asked for.
    public var priorityRefusal: String?
    /// Lateness of each wake-up past its absolute deadline, in nanoseconds, in the order they came.
    public var latenessNs: [UInt64]

    /// Configures a new thread as the daemon's tick thread (`priority` nil: the ordinary scheduler), then
    /// sleeps to `ticks` deadlines `periodNs` apart and records how late each wake-up was. Blocks until done.
    public static func run(priority: Int?, periodNs: UInt64, ticks: Int) -> RealtimeTrial {
        final class Box {
            let priority: Int?, periodNs: UInt64, ticks: Int
            var result = RealtimeTrial(slackGranted: false, priorityRefusal: nil, latenessNs: [])
            init(priority: Int?, periodNs: UInt64, ticks: Int) { (self.priority, self.periodNs, self.ticks) = (priority, periodNs, ticks) }
        }
        let box = Box(priority: priority, periodNs: periodNs, ticks: ticks)
        let raw = Unmanaged.passRetained(box).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeUnretainedValue()
            // The daemon's set-up (configureCurrentThread), step by step so each step's answer is known.
            box.result.slackGranted = Realtime.setTimerSlack() == nil
            box.result.priorityRefusal = box.priority.flatMap(Realtime.setPriority)
            var lateness: [UInt64] = []
            lateness.reserveCapacity(box.ticks)
            let clock = MonotonicTickClock(periodNs: box.periodNs)
            for tick in 1...max(1, box.ticks) { lateness.append(clock.waitForTick(UInt64(tick))) }
            box.result.latenessNs = lateness
            return nil
        }, raw)
        if started == 0 { pthread_join(thread, nil) }
        Unmanaged<Box>.fromOpaque(raw).release()
        if started != 0 {
            return RealtimeTrial(slackGranted: false, priorityRefusal: "no thread for the trial: \(String(cString: strerror(started)))", latenessNs: [])
        }
        return box.result
    }
}

/// The board's hardware watchdog (`/dev/watchdog`): once opened it resets the board unless petted within
/// its timeout, so a hung controller cannot leave lamps frozen. The daemon pets it only while ticks are
/// healthy and closes it with the magic character on a clean stop (the driver then disarms it).
public final class HardwareWatchdog {
    private var fd: Int32
    /// The timeout the driver accepted, in seconds (it may round what was asked).
    public let timeoutSeconds: Int
    public let device: String

    /// Opens and arms the watchdog with `timeoutSeconds`.
    public init(device: String, timeoutSeconds: Int) throws(HardwareError) {
        self.device = device
        fd = open(device, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileRecord.error(errno, "watchdog \(device)") }
        var seconds = Int32(timeoutSeconds)
        let code = cg_watchdog_set_timeout(fd, &seconds)
        if code != 0 {
            // The watchdog is armed at its default timeout; say so instead of guessing it.
            let error = FileRecord.error(-code, "watchdog \(device): setting the timeout to \(timeoutSeconds) s")
            _ = write(fd, "V", 1)
            close(fd)
            throw error
        }
        self.timeoutSeconds = Int(seconds)
    }

    /// Resets the watchdog's countdown.
    public func pet() throws(HardwareError) {
        let code = cg_watchdog_keepalive(fd)
        if code != 0 { throw FileRecord.error(-code, "watchdog \(device): keepalive") }
    }

    /// Disarms and closes: the magic close ("V") tells the driver the stop is deliberate.
    public func closeCleanly() {
        guard fd >= 0 else { return }
        _ = write(fd, "V", 1)
        close(fd)
        fd = -1
    }

    deinit { if fd >= 0 { close(fd) } }  // without the magic character: the board resets, as it should
}

/// systemd's notification socket (`Type=notify`): READY once the outputs are in their start state,
/// WATCHDOG while ticks are healthy (every 0.5 s, so `WatchdogSec=` must be 1 s or more), STOPPING on a
/// stop. Absent outside systemd, and then harmless.
public final class SystemdNotifier {
    private let fd: Int32
    private var address = sockaddr_un()
    private let addressLength: socklen_t

    /// The notifier named by `NOTIFY_SOCKET`, or nil when the process does not run under systemd.
    public init?() {
        guard let path = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !path.isEmpty else { return nil }
        var bytes = Array(path.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }  // an abstract socket
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return nil }
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes[0] == 0 ? 0 : 1))
    }

    deinit { close(fd) }

    /// Sends one notification ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=…"); a lost datagram is
    /// harmless (systemd asks again or times out on its own), so nothing is reported.
    public func send(_ state: String) {
        var text = Array(state.utf8)
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                _ = sendto(fd, &text, text.count, Int32(MSG_NOSIGNAL), sa, addressLength)
            }
        }
    }
}
