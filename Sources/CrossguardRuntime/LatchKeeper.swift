import CrossguardCore
import CrossguardHAL
import Dispatch
import Synchronization

/// A latched fail-safe as it is kept across restarts: the rule and the outputs it involved.
public struct KeptLatch: Equatable, Sendable {
    public var rule: SafetyRule
    public var outputs: OutputSet

    /// A latch of `rule` involving `outputs`.
    public init(rule: SafetyRule, outputs: OutputSet) {
        self.rule = rule
        self.outputs = outputs
    }

    /// The record's text: `latched <rule> <output,output>` or `clear`, one line, so a technician can read it.
    public static func encode(_ latch: KeptLatch?) -> [UInt8] {
        guard let latch else { return Array("clear\n".utf8) }
        let outputs = OutputRole.allCases.filter(latch.outputs.contains).map(\.name).joined(separator: ",")
        return Array("latched \(latch.rule.name) \(outputs.isEmpty ? "-" : outputs)\n".utf8)
    }

    /// Reads a record's text back; nil for `clear`, a latch of `latch-unreadable` for anything else it
    /// cannot read (a device that cannot tell whether it was safe stays in fail-safe).
    public static func decode(_ bytes: [UInt8]) -> (latch: KeptLatch?, problem: String?) {
        let text = String(decoding: bytes, as: UTF8.self)
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        if words == ["clear"] { return (nil, nil) }
        let unreadable = KeptLatch(rule: .latchUnreadable, outputs: OutputSet())
        guard words.count == 3, words[0] == "latched", text.hasSuffix("\n") else {
            return (unreadable, "is not \"clear\" or \"latched <rule> <outputs>\": \(String(text.prefix(80)).debugDescription)")
        }
        guard let rule = SafetyRule.allCases.first(where: { $0.name == words[1] }) else {
            return (unreadable, "names no rule this version knows: \(words[1].debugDescription)")
        }
        var outputs = OutputSet()
        if words[2] != "-" {
            for name in words[2].split(separator: ",") {
                guard let role = OutputRole(name: String(name)) else { return (unreadable, "names no output role: \(String(name).debugDescription)") }
                outputs.insert(role)
            }
        }
        return (KeptLatch(rule: rule, outputs: outputs), nil)
    }
}

/// Keeps the latched fail-safe in a durable record (DOMAIN.md: the latch survives a restart). Reads once
/// at start-up; writes on its own queue, so the tick thread that sees the latch change never waits for
/// the disk. Writes happen in order; the newest always lands last.
public final class LatchKeeper: Sendable {
    public let record: DurableRecord
    private let queue = DispatchQueue(label: "crossguard.latch")
    private let failure = Mutex<(count: UInt64, last: HardwareError?)>((0, nil))

    /// A keeper for `record`.
    public init(record: DurableRecord) { self.record = record }

    /// The latch kept by the last run, at start-up. A record this program cannot read gives a latch of
    /// `latch-unreadable` and a problem text; storage that cannot be read at all is an error.
    public func load() throws(HardwareError) -> (latch: KeptLatch?, problem: String?) {
        guard let bytes = try record.read() else { return (nil, nil) }
        let (latch, problem) = KeptLatch.decode(bytes)
        return (latch, problem.map { "\(record.location) \($0)" })
    }

    /// Queues the new state of the latch for writing and returns at once.
    public func save(_ latch: KeptLatch?) {
        let bytes = KeptLatch.encode(latch)
        queue.async { [self] in
            do throws(HardwareError) {
                try record.write(bytes)
            } catch {
                failure.withLock { $0 = ($0.count + 1, error) }
            }
        }
    }

    /// Waits until every queued write has landed (a clean stop, a test).
    public func flush() { queue.sync {} }

    /// Writes that failed, and the last failure: the fail-safe still holds in memory, but a restart would
    /// forget it, which `diag` and the status must say.
    public var failures: (count: UInt64, last: HardwareError?) { failure.withLock { $0 } }
}
