import CrossguardUplink

/// What one check of `crossguard diag` concluded. A pass and a skip carry no remedy; a warning and a
/// failure always carry one, a line the technician can type or do, so a finding without a next step
/// cannot be written down.
public enum DiagOutcome: Equatable, Sendable {
    /// The check ran and found nothing wrong.
    case pass
    /// The check could not run or does not apply here; the check's detail says why.
    case skip
    /// Works, but something will bite later (a certificate close to expiry, no real-time priority).
    case warn(remedy: String)
    /// Broken: the daemon will not start, or will start without what this check covers.
    case fail(remedy: String)

    /// The word printed and put in the JSON document.
    public var word: String {
        switch self {
        case .pass: "pass"
        case .skip: "skip"
        case .warn: "warn"
        case .fail: "fail"
        }
    }

    /// The remedy of a warning or a failure.
    public var remedy: String? {
        switch self {
        case .pass, .skip: nil
        case .warn(let remedy), .fail(let remedy): remedy
        }
    }
}

/// One finding: a stable id that scripts and the operations centre key on (`gpio.line.ped.button`), what
/// was checked, what was found, and the outcome.
public struct DiagCheck: Equatable, Sendable {
    /// Dotted and stable across versions: a check keeps its id when its wording changes.
    public var id: String
    /// What was found (or, for a skip, why the check did not run), one line.
    public var detail: String
    public var outcome: DiagOutcome

    /// A finding of check `id`.
    public init(_ id: String, _ outcome: DiagOutcome, _ detail: String) {
        self.id = id
        self.outcome = outcome
        self.detail = detail
    }
}

/// Everything one `diag` run found, in the order the checks ran, and what the technician sees of it:
/// a text report or a JSON document (`schemas/diag.schema.json`), and the exit status.
public struct DiagReport: Equatable, Sendable {
    /// The board file's name and path, and the site's device id and path, as the header shows them.
    public var board: String
    public var site: String
    /// True when the checks ran against the built-in simulated board rather than the kernel's lines.
    public var simulated: Bool
    public var checks: [DiagCheck]

    /// A report of `checks`.
    public init(board: String, site: String, simulated: Bool, checks: [DiagCheck] = []) {
        self.board = board
        self.site = site
        self.simulated = simulated
        self.checks = checks
    }

    /// How many checks ended in each outcome, in the order pass, warn, fail, skip.
    public var counts: (pass: Int, warn: Int, fail: Int, skip: Int) {
        var c = (pass: 0, warn: 0, fail: 0, skip: 0)
        for check in checks {
            switch check.outcome {
            case .pass: c.pass += 1
            case .warn: c.warn += 1
            case .fail: c.fail += 1
            case .skip: c.skip += 1
            }
        }
        return c
    }

    /// The overall result: a failure if any check failed, else a warning if any warned, else a pass.
    public var result: DiagResult {
        let c = counts
        return c.fail > 0 ? .fail : c.warn > 0 ? .warn : .pass
    }

    /// The exit status: 0 when every check passed or was skipped, 2 with warnings only, 1 with any failure.
    public var exitCode: Int32 {
        switch result {
        case .fail: 1
        case .warn: 2
        case .pass: 0
        }
    }

    /// The report as the technician reads it: a header, a line per check (`FAIL  id  detail`), the remedy
    /// under each warning and failure, and a summary line with the exit status.
    public var text: String {
        let width = checks.map(\.id.count).max() ?? 0
        var out = "crossguard diag: board \(board), site \(site)\(simulated ? ", simulated board" : "")\n"
        for check in checks {
            let word = check.outcome.word.uppercased()
            out += "\(word)  \(check.id)\(String(repeating: " ", count: width - check.id.count))  \(check.detail)\n"
            if let remedy = check.outcome.remedy {
                out += "      \(String(repeating: " ", count: width))  -> \(remedy)\n"
            }
        }
        let c = counts
        out += "diag: \(c.pass) pass, \(c.warn) warn, \(c.fail) fail, \(c.skip) skip; exit \(exitCode)\n"
        return out
    }

    /// The report as one JSON object (`schemas/diag.schema.json`), for scripts and the operations centre.
    public var json: String {
        let c = counts
        let items = checks.map { check in
            "{\"id\":\(JSONText.quote(check.id)),\"status\":\"\(check.outcome.word)\",\"detail\":\(JSONText.quote(check.detail)),"
                + "\"remedy\":\(check.outcome.remedy.map(JSONText.quote) ?? "null")}"
        }
        return "{\"board\":\(JSONText.quote(board)),\"site\":\(JSONText.quote(site)),\"simulated\":\(simulated),"
            + "\"result\":\"\(result.rawValue)\",\"counts\":{\"pass\":\(c.pass),\"warn\":\(c.warn),\"fail\":\(c.fail),\"skip\":\(c.skip)},"
            + "\"checks\":[\(items.joined(separator: ","))]}"
    }
}

/// A whole run's verdict, which the exit status follows.
public enum DiagResult: String, Sendable {
    case pass, warn, fail
}
