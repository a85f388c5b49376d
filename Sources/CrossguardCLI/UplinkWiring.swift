import CrossguardArguments
import CrossguardCore
import CrossguardLinux
import CrossguardRuntime
import CrossguardTOML
import CrossguardUplink
import CrossguardUplinkNIO

/// The firmware version reported in `status`.
public let firmwareVersion = "0.4.0"

/// `--broker` and `--state-dir`, shared by the commands that run the uplink.
public struct UplinkOptions {
    public var brokers: [String] = []
    public var stateDir: String?

    /// `--broker` and `--state-dir` as --help lists them.
    public static let options: [OptionSpec] = [
        .repeated("broker", "url", help: "MQTT broker URL (mqtt://host:port or mqtts://host:port); repeat for several, tried in turn. Replaces the site's [uplink] broker."),
        .value("state-dir", "path", help: "State directory (must exist): the outbox journal and the latched fail-safe are kept here across restarts."),
    ]

    /// No broker and no state directory given.
    public init() {}

    /// The options as given on the command line.
    public init(_ arguments: ParsedArguments) {
        brokers = arguments.strings("broker")
        stateDir = arguments.string("state-dir")
    }

    /// The site's uplink settings with the command line's brokers in place of the file's.
    public func settings(_ site: SiteConfig) throws -> UplinkSettings {
        var uplink = site.uplink
        if !brokers.isEmpty { uplink.brokers = try Self.brokerAddresses(brokers) }
        return uplink
    }

    /// `--broker` URLs read; the error quotes the first bad one and says what is wrong with it.
    public static func brokerAddresses(_ urls: [String]) throws -> [BrokerAddress] {
        try urls.map { url in
            switch BrokerAddress.parse(url) {
            case .success(let b): return b
            case .failure(let p): throw ValidationError("--broker \"\(url)\" \(p.message)")
            }
        }
    }

    /// Whether a broker is configured, on the command line or in the site file.
    public func wanted(_ site: SiteConfig) -> Bool { !brokers.isEmpty || !site.uplink.brokers.isEmpty }
}

/// How the feed stamps events: the wall clock, or, on a bench run faster or slower than real time, scenario
/// time counted from now (so a timeline of hours played in seconds still reads as hours at the centre).
public func eventStamp(tickMs: Int, speed: Double? = nil) -> @Sendable (UInt64) -> Int64 {
    guard let speed, speed != 1 else { return { _ in WallClock.unixMs() } }
    let start = WallClock.unixMs()
    return { tick in start + Int64(tick) * Int64(tickMs) }
}

/// The uplink as it starts: the service, the first sequence number this run gives, and the numbers it
/// skips after an unclean stop (named by `controller.started`).
public struct UplinkStart {
    public var service: UplinkService
    public var firstSeq: UInt64
    public var skippedSeqs: ClosedRange<UInt64>?
}

/// The outbox in the state directory and the service over it; `log` gets one line per uplink change. A
/// state directory that cannot be written (full, read-only) does not stop the start: the outbox holds the
/// events in memory, says so, and journals them once it can.
public func startUplink(site: SiteConfig, options: UplinkOptions, feed: UplinkFeed, commands: CommandMailbox, logEvents: Bool = false,
                 diagnostics: @escaping @Sendable () -> String? = { nil }, report: @escaping @Sendable () -> String? = { nil },
                 latchPersisted: @escaping @Sendable () -> Bool = { true },
                 log: @escaping @Sendable (String) -> Void) throws -> UplinkStart {
    let uplink = try options.settings(site)
    guard let dir = options.stateDir else {
        throw ValidationError("the uplink needs --state-dir: events are journaled there before they are sent, so none is lost")
    }
    try FileRecord.checkDirectory(dir, writable: false)
    try StateMark.claim(directory: dir, log: log)
    var outboxSettings = OutboxSettings()
    outboxSettings.maximumBytes = uplink.outboxMaxMiB << 20
    let outbox = Outbox(store: FileSegmentStore(directory: dir), cursor: FileRecord(directory: dir, name: "outbox.cursor"), settings: outboxSettings)
    for problem in outbox.recoveryProblems { log("uplink: outbox recovery: \(problem)") }
    if let fault = outbox.storageFault {
        log("uplink: outbox: \(fault.error); events are held in memory and sent, and journaled once \(dir) takes writes again")
    }
    var settings = UplinkServiceSettings(deviceID: site.deviceID, firmware: firmwareVersion, tickMs: site.tickMs, uplink: uplink,
                                         wallClockMs: WallClock.unixMs)
    settings.logEvents = logEvents
    let service = try UplinkService(settings: settings, outbox: outbox, feed: feed, commands: commands, diagnostics: diagnostics, report: report,
                                    latchPersisted: latchPersisted, log: log)
    return UplinkStart(service: service, firstSeq: outbox.nextSeq, skippedSeqs: outbox.skipped)
}
