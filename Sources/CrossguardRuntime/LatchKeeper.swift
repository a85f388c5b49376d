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

/// Keeps the latched fail-safe in a durable record (the latch survives a restart). Reads once
/// at start-up; writes on its own queue, so the tick thread that sees the latch change never waits for
/// the disk. Writes happen in order and the newest state always lands last; a write that fails is
/// retried, with a growing pause up to `maximumRetryPause`, until it lands or a newer state replaces it.
public final class LatchKeeper: Sendable {
    public let record: DurableRecord
    private let queue = DispatchQueue(label: "crossguard.latch")
    private struct State {
        /// What should be on disk, and how many times it has been handed over (newer replaces older).
        var wanted: [UInt8]?
        var generation: UInt64 = 0
        var failures: UInt64 = 0
        var lastFailure: HardwareError?
        /// Whether the wanted state is not yet on disk.
        var pending = false
    }
    private let state = Mutex(State())
    private let firstRetryPauseMs: Int
    private let maximumRetryPauseMs: Int

    /// A keeper for `record`; a failed write is tried again after `firstRetryPauseMs`, doubling up to
    /// `maximumRetryPauseMs`.
    public init(record: DurableRecord, firstRetryPauseMs: Int = 500, maximumRetryPauseMs: Int = 30_000) {
        self.record = record
        self.firstRetryPauseMs = firstRetryPauseMs
        self.maximumRetryPauseMs = maximumRetryPauseMs
    }

    /// The latch kept by the last run, at start-up. A record this program cannot read, or storage that
    /// cannot be read at all, gives a latch of `latch-unreadable` and a problem text: a device that cannot
    /// tell whether it was safe starts in fail-safe rather than not at all.
    public func load() -> (latch: KeptLatch?, problem: String?) {
        let bytes: [UInt8]?
        do throws(HardwareError) {
            bytes = try record.read()
        } catch {
            return (KeptLatch(rule: .latchUnreadable, outputs: OutputSet()), "\(record.location) cannot be read: \(error)")
        }
        guard let bytes else { return (nil, nil) }
        let (latch, problem) = KeptLatch.decode(bytes)
        return (latch, problem.map { "\(record.location) \($0)" })
    }

    /// Hands the new state of the latch to the writer and returns at once.
    public func save(_ latch: KeptLatch?) {
        let generation = state.withLock { s in
            s.wanted = KeptLatch.encode(latch)
            s.generation += 1
            s.pending = true
            return s.generation
        }
        queue.async { [self] in write(generation: generation, pauseMs: firstRetryPauseMs) }
    }

    private func write(generation: UInt64, pauseMs: Int) {
        guard let bytes = state.withLock({ s in s.generation == generation ? s.wanted : nil }) else { return }  // a newer state follows
        do throws(HardwareError) {
            try record.write(bytes)
            state.withLock { s in if s.generation == generation { s.pending = false } }
        } catch {
            state.withLock { s in
                s.failures += 1
                s.lastFailure = error
            }
            let next = min(pauseMs * 2, maximumRetryPauseMs)
            queue.asyncAfter(deadline: .now() + .milliseconds(pauseMs)) { [self] in write(generation: generation, pauseMs: next) }
        }
    }

    /// Waits until every write queued so far has been tried once (a clean stop, a test).
    public func flush() { queue.sync {} }

    /// Whether the newest state is not on disk yet, the writes that failed, and the last failure: the
    /// fail-safe still holds in memory, but until the record lands a restart would forget it, which the
    /// status and `diag` must say.
    public var health: (pending: Bool, failures: UInt64, last: HardwareError?) {
        state.withLock { ($0.pending, $0.failures, $0.lastFailure) }
    }
}
