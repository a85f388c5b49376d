import Foundation
import Testing

/// A scratch directory removed when the test ends.
final class Scratch {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "crossguard-it-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func dir(_ name: String) -> String {
        let p = path + "/" + name
        try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

/// The package's build folder, beside the test bundle: where `crossguard` was built.
let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// A TCP socket bound to a free loopback port (not yet listening), and the port.
func loopbackSocket() -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

/// A free loopback TCP port (bound and released; the broker takes it a moment later).
func freePort() -> Int {
    let (fd, port) = loopbackSocket()
    close(fd)
    return port
}

/// A process the test started, stopped when the test ends; its output goes to a file.
final class Child {
    let process = Process()
    let output: String

    init(_ executable: String, _ arguments: [String], output: String) throws {
        self.output = output
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let handle = FileHandle(forWritingAtPath: output)!
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    var text: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }

    /// Waits for the process to end, at most `seconds`; its exit status, nil when it is still running.
    func wait(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }
}

/// A Mosquitto broker on a loopback port of its own, with a generated config.
final class Broker {
    let port: Int
    let scratch: Scratch
    let config: String
    private(set) var child: Child?

    /// A broker on `port`; with `store`, sessions and queued messages are saved in that directory every second,
    /// so a subscriber's session can be made before the broker the device sees.
    init(scratch: Scratch, extra: String = "", port: Int = freePort(), store: String? = nil) throws {
        self.scratch = scratch
        self.port = port
        // Mosquitto started as root drops to its own user, which must be able to write the store.
        if let store { chmod(store, 0o777) }
        config = scratch.path + "/mosquitto-\(port).conf"
        try """
        listener \(port) 127.0.0.1
        allow_anonymous true
        \(store.map { "persistence true\npersistence_location \($0)/\nautosave_interval 1" } ?? "persistence false")
        max_inflight_messages 0
        max_queued_messages 0
        \(extra)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        try start()
    }

    func start() throws {
        child = try Child("/usr/sbin/mosquitto", ["-c", config], output: scratch.path + "/mosquitto-\(port).log")
        try waitForPort(port)
    }

    func kill() { child?.kill9() }

    var url: String { "mqtt://127.0.0.1:\(port)" }
}

/// Waits until something listens on the port (at most 5 s).
func waitForPort(_ port: Int) throws {
    for _ in 0..<250 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
        close(fd)
        if ok { return }
        usleep(20_000)
    }
    throw BrokerError("nothing listens on port \(port) after 5 s")
}

/// Waits until the broker's saved store (`mosquitto.db` in `store`, written every autosave interval) holds
/// `text`, a topic or a client id, which it keeps as plain bytes (at most 15 s).
func waitForStore(_ store: String, toHold text: String) throws {
    let wanted = Data(text.utf8)
    for _ in 0..<300 {
        if let data = FileManager.default.contents(atPath: store + "/mosquitto.db"), data.range(of: wanted) != nil { return }
        usleep(50_000)
    }
    throw BrokerError("the broker's store in \(store) does not hold \"\(text)\" after 15 s")
}

struct BrokerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// `mosquitto_sub` printing every message of the device's topics, one line each (`topic payload`), with
/// a persistent session so it misses nothing while the broker is up.
final class Subscriber {
    let child: Child
    init(broker: Broker, topic: String = "crossguard/#", name: String = "sub") throws {
        child = try Child("/usr/bin/mosquitto_sub", ["-h", "127.0.0.1", "-p", "\(broker.port)", "-t", topic, "-v", "-q", "1", "-i", "it-\(name)", "-c"],
                          output: broker.scratch.path + "/\(name)-\(broker.port).txt")
        usleep(300_000)
    }

    var lines: [String] { child.text.split(separator: "\n").map(String.init) }

    /// The `seq` of every event message received, in arrival order.
    var seqs: [UInt64] {
        lines.filter { $0.hasPrefix("crossguard/it-device/events ") }.compactMap { line in
            guard let r = line.range(of: "\"seq\":") else { return nil }
            return UInt64(line[r.upperBound...].prefix(while: \.isNumber))
        }
    }

    /// Waits until `done` holds for the lines (at most `seconds`).
    @discardableResult
    func wait(seconds: Double, until done: (Subscriber) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if done(self) { return true }
            usleep(50_000)
        }
        return done(self)
    }
}

/// The device side: `crossguard` as built beside the tests, with a site file of device id `it-device`.
func crossguard(_ arguments: [String], scratch: Scratch, log: String) throws -> Child {
    try Child(buildDirectory + "/crossguard", arguments, output: scratch.path + "/" + log)
}

/// Starts the built `crossguard-load` (the load tools, not part of the device's binary).
func crossguardLoad(_ arguments: [String], scratch: Scratch, log: String) throws -> Child {
    try Child(buildDirectory + "/crossguard-load", arguments, output: scratch.path + "/" + log)
}

/// A site file for the tests: an example site (`examples/<example>`) with device id `it-device` (the
/// example's id is left as a comment) and the given `[uplink]` lines.
func testSite(_ scratch: Scratch, example: String = "site.toml", uplink: String = "") throws -> String {
    var text = try String(contentsOfFile: packageRoot + "/examples/" + example, encoding: .utf8)
    text = text.replacingOccurrences(of: #"device_id = ""#, with: #"device_id = "it-device" # ""#)
    if !uplink.isEmpty { text += "\n[uplink]\n" + uplink + "\n" }
    let path = scratch.path + "/site-\(UUID().uuidString.prefix(8)).toml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Every number from `first` through `last` appears, and the first arrival of each is in rising order.
func complete(_ seqs: [UInt64], _ range: ClosedRange<UInt64>) -> (missing: [UInt64], outOfOrder: Int) {
    var seen = Set<UInt64>()
    var firsts: [UInt64] = []
    for s in seqs where seen.insert(s).inserted { firsts.append(s) }
    let missing = range.filter { !seen.contains($0) }
    var outOfOrder = 0
    for i in firsts.indices.dropFirst() where firsts[i] < firsts[i - 1] { outOfOrder += 1 }
    return (Array(missing.prefix(20)), outOfOrder)
}

/// The test PKI in `dir`: a CA (`ca.pem`) and a stranger CA (`stranger.pem`); broker certificates for
/// 127.0.0.1 signed by the CA with the same key (`server.key`): `server.pem` (400 days), `expiring.pem`
/// (10 days), `expired.pem` (January 2025) and `other.pem` (for other.example only); device certificates
/// with `client.key`: `client.pem` (400 days), `client-expired.pem` (January 2025), and `rogue.pem`
/// (its own key `rogue.key`, signed by the stranger).
func makeTestCertificates(_ dir: String) throws {
    let script = """
    set -e
    cd '\(dir)'
    ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout $1.key -out $1.pem -days 400 -subj /CN=$2 2>/dev/null; }
    key() { openssl req -newkey rsa:2048 -nodes -keyout $1.key -out $1.csr -subj /CN=$2 2>/dev/null; }
    sign() { openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $3.pem -days $4 ${5:+-extfile $5} 2>/dev/null; }
    # openssl ca, unlike openssl x509, takes any start and end date: for the expired ones.
    signPast() { openssl ca -batch -config past.cnf -cert ca.pem -keyfile ca.key -in $1.csr -out $2.pem \\
        -startdate 20250101000000Z -enddate 20250201000000Z ${3:+-extfile $3} 2>/dev/null; }
    printf '[ca]\\ndefault_ca=t\\n[t]\\ndatabase=index.txt\\nnew_certs_dir=.\\nserial=serial\\ndefault_md=sha256\\npolicy=p\\n[p]\\ncommonName=supplied\\n' > past.cnf
    : > index.txt; echo 01 > serial
    printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
    printf 'subjectAltName=DNS:other.example\\n' > other.ext
    ca ca crossguard-test-ca
    ca stranger stranger-ca
    key server 127.0.0.1
    sign server ca server 400 san.ext
    sign server ca expiring 10 san.ext
    sign server ca other 400 other.ext
    signPast server expired san.ext
    key client it-device
    sign client ca client 400
    signPast client client-expired
    key rogue it-device
    sign rogue stranger rogue 400
    chmod 644 *.key   # mosquitto started as root reads them as its own user
    """
    let p = try Child("/bin/bash", ["-c", script], output: dir + "/openssl.log")
    #expect(p.wait(seconds: 60) == 0, "\(p.text)")
}

/// A Mosquitto listener on loopback `port` for mutual TLS with the test PKI in `certs`
/// (`makeTestCertificates`): the broker certificate `certificate`, a device certificate from the CA required.
func mutualTLSListener(_ port: Int, certs: String, certificate: String = "server") -> String {
    """
    listener \(port) 127.0.0.1
    cafile \(certs)/ca.pem
    certfile \(certs)/\(certificate).pem
    keyfile \(certs)/server.key
    require_certificate true
    """
}
