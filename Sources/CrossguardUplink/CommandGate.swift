import CrossguardCore

/// What to do with one message from `cmd`.
public enum CommandAdmission: Equatable, Sendable {
    /// A valid command for the core: post it, and answer with the core's outcome.
    case execute(id: String, command: Command)
    /// A valid `diag.run`: answer with diagnostics.
    case diagnose(id: String)
    /// Answer at once with this `cmd/result` payload (an invalid command, or a repeated id's first answer).
    case reply([UInt8])
    /// A repeat of a command still being executed: its answer is on the way.
    case ignore
}

/// Validates the centre's commands: JSON, an `id`, a known `type`, the type's fields, an
/// `issued_at` inside the window, and no id twice. A repeated id is answered with the first answer and
/// never executed again, so a retried `sos.close` cannot close the next alarm.
public struct CommandGate: Sendable {
    public let tickMs: Int
    /// How old `issued_at` may be, and how far ahead of the device's clock, in milliseconds.
    public var windowMs: Int64 = 300_000
    public var futureMs: Int64 = 30_000
    /// The ids seen most recently and their answers (nil while being executed), oldest first.
    private var recent: [(id: String, reply: [UInt8]?)] = []
    private let remember = 256

    /// A gate for a device ticking every `tickMs` milliseconds.
    public init(tickMs: Int) { self.tickMs = tickMs }

    /// The largest command payload read, in bytes (16 KiB): a larger one is consumed unread and refused.
    public static let maximumPayload = 16_384

    /// Reads one `cmd` payload at wall-clock time `nowUnixMs`.
    public mutating func admit(_ payload: [UInt8], nowUnixMs: Int64) -> CommandAdmission {
        let table: ConfigTable
        switch JSONText.parseObject(payload, maximumBytes: CommandGate.maximumPayload) {
        case .success(let t): table = t
        case .failure(let e): return .reply(UplinkPayload.commandResult(id: nil, type: nil, error: "the command is \(e)"))
        }
        var type: String?
        if case .string(let t) = table["type"] { type = t }
        guard case .string(let id) = table["id"], !id.isEmpty, id.utf8.count <= 64 else {
            let problem = table["id"] == nil ? "id is missing" : "id must be a string of 1–64 bytes"
            return .reply(UplinkPayload.commandResult(id: nil, type: type, error: problem))
        }
        if let seen = recent.first(where: { $0.id == id }) {
            return seen.reply.map { .reply($0) } ?? .ignore
        }
        func refuse(_ error: String) -> CommandAdmission {
            let reply = UplinkPayload.commandResult(id: id, type: type, error: error)
            note(id, reply)
            return .reply(reply)
        }
        guard let issuedValue = table["issued_at"] else { return refuse("issued_at is missing (RFC 3339 UTC time the centre issued the command)") }
        guard case .string(let issuedText) = issuedValue, let issued = RFC3339.parse(issuedText) else {
            return refuse("issued_at = \(issuedValue.rendered) is not an RFC 3339 time such as 2026-11-21T10:00:00Z")
        }
        if nowUnixMs - issued > windowMs { return refuse("issued_at \(issuedText) is older than the \(windowMs / 1000) s command window") }
        if issued - nowUnixMs > futureMs { return refuse("issued_at \(issuedText) is more than \(futureMs / 1000) s ahead of the device clock") }
        // The fields the envelope adds are not the command's; the core's reader checks the rest, and refuses unknown keys.
        let body = ConfigTable(table.entries.filter { $0.key != "id" && $0.key != "issued_at" })
        if type == "diag.run" {
            if let key = body.entries.map(\.key).first(where: { $0 != "type" }) { return refuse("\(key) is not a field of diag.run") }
            note(id, nil)
            return .diagnose(id: id)
        }
        // Every problem the core's reader found, unknown keys included (a command it could still build).
        let log = ProblemLog(file: "cmd")
        let command = Command.parse(body, key: "", log: log, tickMs: tickMs, alsoKnown: ["diag.run"])
        guard log.problems.isEmpty, let command else {
            return refuse(log.problems.map { $0.key.isEmpty ? $0.message : "\($0.key) \($0.message)" }.joined(separator: "; "))
        }
        note(id, nil)
        return .execute(id: id, command: command)
    }

    /// Remembers the answer given to command `id`, so a repeat gets it again.
    public mutating func answered(id: String, reply: [UInt8]) { note(id, reply) }

    /// Remembers `id` with its answer, or with nil while it is being executed.
    private mutating func note(_ id: String, _ reply: [UInt8]?) {
        if let i = recent.firstIndex(where: { $0.id == id }) { recent[i].reply = reply } else { recent.append((id, reply)) }
        trim()
    }

    private mutating func trim() {
        if recent.count > remember { recent.removeFirst(recent.count - remember) }
    }
}
