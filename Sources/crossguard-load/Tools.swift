import CrossguardArguments
import CrossguardCLI
import CrossguardCore
import CrossguardLinux
import CrossguardRuntime
import CrossguardUplink
import Foundation

/// `crossguard-load`: the test and benchmark tools, kept out of the production binary. The integration
/// tests drive the real outbox and uplink through it; `Benchmarks/uplink.sh` measures them with it.
@main
enum CrossguardLoad {
    static func main() {
        CommandLineTool(name: "crossguard-load", abstract: "Load tools for the uplink and the outbox (tests and benchmarks; not installed on a device).",
                        commands: [UplinkLoad.self, OutboxLoad.self]).main()
    }
}

/// `crossguard-load uplink-load`: publishes synthetic events through the real outbox and uplink, then waits
/// until the broker acknowledged every one. For the integration tests and the backlog benchmark.
struct UplinkLoad: CLICommand {
    static let spec = CommandSpec(
        name: "uplink-load",
        abstract: "Journal N synthetic selftest events and deliver them through the uplink (a test and benchmark tool).",
        options: DeviceOptions.options + UplinkOptions.options + [
            .value("count", "n", help: "Events to journal at the start. (default: 10000)"),
            .flag("resume", help: "Only deliver what the outbox already holds (after a crash); journal nothing new."),
            .value("timeout", "seconds", help: "Give up after this many seconds. (default: 600)"),
        ])

    let files: DeviceOptions
    let uplink: UplinkOptions
    let count: Int
    let resume: Bool
    let timeout: Double

    init(_ arguments: ParsedArguments) throws {
        files = DeviceOptions(arguments)
        uplink = UplinkOptions(arguments)
        count = try arguments.number("count", default: 10_000)
        resume = arguments.flag("resume")
        timeout = try arguments.number("timeout", default: 600)
    }

    func run() throws {
        let device = try loadDevice(board: files.boardPath(), site: files.sitePath())
        let feed = UplinkFeed(site: device.site, ring: FeedRing(capacity: 1 << 17), stamp: eventStamp(tickMs: device.site.tickMs))
        var stderr = StandardError()
        let start = try startUplink(site: device.site, options: uplink, feed: feed, commands: CommandMailbox(), log: logLine)
        let service = start.service, firstSeq = start.firstSeq
        let started = MonotonicTickClock.nowNs()
        var journaled = started
        if !resume {
            for i in 0..<UInt64(count) {
                var event = Event(.selfTest(openConditions: UInt32(truncatingIfNeeded: i)), tick: i)
                event.seq = firstSeq + i
                while !feed.ring.push(.event(event, unixMs: WallClock.unixMs())) { usleep(200) }
            }
            // The service is not running yet, so the events wait in the feed; journal them all before the
            // first connection, so the delivery time below is a backlog flush alone.
            service.journalFeed()
            journaled = MonotonicTickClock.nowNs()
        }
        service.start()
        let deadline = started + UInt64(timeout * 1e9)
        while true {
            usleep(5_000)
            let h = service.health
            if h.outbox.records == 0 && (resume || h.acknowledged >= UInt64(count)) { break }
            if MonotonicTickClock.nowNs() > deadline {
                print("uplink-load: timed out with \(h.outbox.records) events not acknowledged", to: &stderr)
                service.stop()
                throw ExitCode(1)
            }
        }
        let delivered = MonotonicTickClock.nowNs()
        service.stop()
        let journalSeconds = Double(journaled - started) / 1e9, deliverySeconds = Double(delivered - journaled) / 1e9
        print("uplink-load: \(resume ? "delivered the backlog" : "\(count) events acknowledged") in \(String(format: "%.3f", deliverySeconds)) s"
              + (resume ? "" : " after journaling them in \(String(format: "%.3f", journalSeconds)) s") + " (first seq \(firstSeq))", to: &stderr)
    }
}

/// `crossguard-load outbox-load`: appends N records to the outbox in a state directory, one record per append
/// as the uplink sees a trickle of events, and reports appends per second. `high` and `critical` records
/// are made durable (fdatasync) before each append returns; `normal` and `info` ones within a second.
struct OutboxLoad: CLICommand {
    static let spec = CommandSpec(
        name: "outbox-load",
        abstract: "Append N records of a priority to the outbox and report appends per second (a benchmark tool).",
        options: [
            .value("state-dir", "path", help: "State directory (must exist; an outbox already in it is appended to)."),
            .value("count", "n", help: "Records to append. (default: 10000)"),
            .value("priority", "name", help: "Priority: info, normal (durable within 1 s), high or critical (durable before the append returns). (default: normal)"),
            .value("payload-bytes", "n", help: "Payload size in bytes. (default: 200)"),
        ])

    let stateDir: String
    let count: Int
    let priority: String
    let payloadBytes: Int

    /// Priorities by name, in `Severity` order (the outbox record's priority byte is the index).
    private static let priorities = ["info", "normal", "high", "critical"]

    init(_ arguments: ParsedArguments) throws {
        stateDir = try arguments.required("state-dir")
        count = try arguments.number("count", default: 10_000)
        priority = arguments.string("priority") ?? "normal"
        payloadBytes = try arguments.number("payload-bytes", default: 200)
        guard Self.priorities.contains(priority) else {
            throw ValidationError("--priority must be info, normal, high or critical, not \"\(priority)\"")
        }
        guard count > 0, (1...65_536).contains(payloadBytes) else { throw ValidationError("--count must be positive and --payload-bytes 1 to 65536") }
    }

    func run() throws {
        try FileRecord.checkDirectory(stateDir)
        let level = UInt8(Self.priorities.firstIndex(of: priority) ?? 0)  // validated above
        var settings = OutboxSettings()
        settings.maximumBytes = max(settings.maximumBytes, 2 * count * (payloadBytes + 32))  // measure appends, not drops
        let outbox = Outbox(store: FileSegmentStore(directory: stateDir), cursor: FileRecord(directory: stateDir, name: "outbox.cursor"), settings: settings)
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: payloadBytes)
        let firstSeq = outbox.nextSeq
        let started = MonotonicTickClock.nowNs()
        for i in 0..<UInt64(count) {
            let now = (MonotonicTickClock.nowNs() - started) / 1_000_000
            outbox.append([OutboxRecord(seq: firstSeq + i, priority: level, payload: payload)], nowMs: now)
            _ = outbox.maintain(nowMs: now)
        }
        outbox.close()
        if let fault = outbox.storageFault { throw ValidationError("outbox-load: \(fault.error)") }  // the batched records' last fdatasync is part of the cost
        let seconds = Double(MonotonicTickClock.nowNs() - started) / 1e9
        var stderr = StandardError()
        print("outbox-load: \(count) \(priority) appends of \(payloadBytes) bytes in \(String(format: "%.3f", seconds)) s: "
              + "\(Int((Double(count) / seconds).rounded())) appends/s, \(outbox.statistics.syncs) syncs", to: &stderr)
    }
}
