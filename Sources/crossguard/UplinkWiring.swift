import ArgumentParser
import CrossguardCore
import CrossguardLinux
import CrossguardRuntime
import CrossguardTOML
import CrossguardUplink
import CrossguardUplinkNIO
import Foundation

/// The firmware version reported in `status`.
let firmwareVersion = "0.4.0"

/// `--broker` and `--state-dir`, shared by the commands that run the uplink.
struct UplinkOptions: ParsableArguments {
    @Option(name: .customLong("broker"), help: "MQTT broker URL (mqtt://host:port or mqtts://host:port); repeat for several, tried in turn. Replaces the site's [uplink] broker.")
    var brokers: [String] = []

    @Option(help: "State directory (must exist): the outbox journal and the latched fail-safe are kept here across restarts.")
    var stateDir: String?

    /// The site's uplink settings with the command line's brokers in place of the file's.
    func settings(_ site: SiteConfig) throws -> UplinkSettings {
        var uplink = site.uplink
        if !brokers.isEmpty {
            uplink.brokers = try brokers.map { url in
                switch BrokerAddress.parse(url) {
                case .success(let b): return b
                case .failure(let p): throw ValidationError("--broker \"\(url)\" \(p.message)")
                }
            }
        }
        return uplink
    }

    /// Whether a broker is configured, on the command line or in the site file.
    func wanted(_ site: SiteConfig) -> Bool { !brokers.isEmpty || !site.uplink.brokers.isEmpty }
}

/// Milliseconds since 1970, now.
func unixMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000).rounded()) }

/// The outbox in the state directory and the service over it; `log` gets one line per uplink change.
func startUplink(site: SiteConfig, options: UplinkOptions, feed: UplinkFeed, commands: CommandMailbox,
                 diagnostics: @escaping @Sendable () -> String? = { nil }, log: @escaping @Sendable (String) -> Void) throws -> (UplinkService, firstSeq: UInt64) {
    let uplink = try options.settings(site)
    guard let dir = options.stateDir else {
        throw ValidationError("the uplink needs --state-dir: events are journaled there before they are sent, so none is lost")
    }
    try FileRecord.checkDirectory(dir)
    var outboxSettings = OutboxSettings()
    outboxSettings.maximumBytes = uplink.outboxMaxMiB << 20
    let outbox = try Outbox(store: FileSegmentStore(directory: dir), cursor: FileRecord(directory: dir, name: "outbox.cursor"), settings: outboxSettings)
    for problem in outbox.recoveryProblems { log("uplink: outbox recovery: \(problem)") }
    let settings = UplinkServiceSettings(deviceID: site.deviceID, firmware: firmwareVersion, tickMs: site.tickMs, uplink: uplink,
                                         tick0UnixMs: unixMs(), wallClockMs: unixMs)
    let service = try UplinkService(settings: settings, outbox: outbox, feed: feed, commands: commands, diagnostics: diagnostics, log: log)
    return (service, outbox.nextSeq)
}

/// `crossguard uplink-load`: publishes synthetic events through the real outbox and uplink, then waits
/// until the broker acknowledged every one. For the integration tests and the backlog benchmark.
struct UplinkLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uplink-load",
        abstract: "Journal N synthetic selftest events and deliver them through the uplink (a test and benchmark tool).",
        shouldDisplay: false)

    @OptionGroup var files: DeviceOptions
    @OptionGroup var uplink: UplinkOptions

    @Option(help: "Events to journal at the start.")
    var count = 10_000

    @Flag(help: "Only deliver what the outbox already holds (after a crash); journal nothing new.")
    var resume = false

    @Option(help: "Give up after this many seconds.")
    var timeout: Double = 600

    func run() throws {
        let device: DeviceFiles
        switch DeviceFiles.load(boardPath: files.boardPath(), sitePath: files.sitePath()) {
        case .success(let d): device = d
        case .failure(let errors):
            printError(errors)
            throw ExitCode(1)
        }
        let feed = UplinkFeed(site: device.site, ring: FeedRing(capacity: 1 << 17))
        var stderr = StandardError()
        let (service, firstSeq) = try startUplink(site: device.site, options: uplink, feed: feed, commands: CommandMailbox()) { line in
            var e = StandardError()
            print(line, to: &e)
        }
        let started = MonotonicTickClock.nowNs()
        if !resume {
            for i in 0..<UInt64(count) {
                var event = Event(.selfTest, tick: i, count: UInt32(truncatingIfNeeded: i))
                event.seq = firstSeq + i
                while !feed.ring.push(.event(event)) { usleep(200) }
            }
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
        let seconds = Double(MonotonicTickClock.nowNs() - started) / 1e9
        service.stop()
        print("uplink-load: \(resume ? "delivered the backlog" : "\(count) events acknowledged") in \(String(format: "%.3f", seconds)) s (first seq \(firstSeq))", to: &stderr)
    }
}
