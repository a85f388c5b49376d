/// The pull resistor a line is requested with.
public enum LineBias: String, CaseIterable, Sendable {
    case asIs = "as-is"
    case pullUp = "pull-up"
    case pullDown = "pull-down"
    case disabled
}

/// Where a line is: by line name (preferred: `GPIO17`), or by chip label and offset. Never by chip number,
/// which moves between kernels (Pi 5: gpiochip4 became gpiochip0).
public struct LineAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Chip label (`pinctrl-rp1`, `gpio-sim`), nil to search every chip for the line name.
    public var chip: String?
    /// Line name as the device tree gives it.
    public var name: String?
    /// Offset on the chip, when the line has no name.
    public var offset: Int?

    /// An address by line name, or by chip label and offset.
    public init(chip: String?, name: String?, offset: Int?) {
        self.chip = chip
        self.name = name
        self.offset = offset
    }

    public var description: String {
        if let name { return chip.map { "\($0)/\(name)" } ?? name }
        return "\(chip ?? "?"):\(offset ?? -1)"
    }
}

/// An input line and the role it plays.
public struct InputLine: Equatable, Sendable {
    public var role: InputRole
    /// 1 for the role itself, 2 for `ped.button.2`, …
    public var copy: Int
    public var address: LineAddress
    public var activeLow: Bool
    public var bias: LineBias
    public var debounceMs: Int

    /// The name as written in the board file (`ped.button.2`).
    public var roleName: String { copy == 1 ? role.name : "\(role.name).\(copy)" }

    /// Values as given; `BoardConfig.load` is what validates a file.
    public init(role: InputRole, copy: Int, address: LineAddress, activeLow: Bool, bias: LineBias, debounceMs: Int) {
        self.role = role
        self.copy = copy
        self.address = address
        self.activeLow = activeLow
        self.bias = bias
        self.debounceMs = debounceMs
    }
}

/// An output line and the role it shows.
public struct OutputLine: Equatable, Sendable {
    public var role: OutputRole
    public var copy: Int
    public var address: LineAddress
    public var activeLow: Bool

    /// The name as written in the board file (`beacon.left.2`).
    public var roleName: String { copy == 1 ? role.name : "\(role.name).\(copy)" }

    /// Values as given; `BoardConfig.load` is what validates a file.
    public init(role: OutputRole, copy: Int, address: LineAddress, activeLow: Bool) {
        self.role = role
        self.copy = copy
        self.address = address
        self.activeLow = activeLow
    }
}

/// A validated board file: which line plays which role. Board facts live here, never in Swift.
public struct BoardConfig: Equatable, Sendable {
    public var name: String
    public var description: String
    public var inputs: [InputLine]
    public var outputs: [OutputLine]
    /// Whether the board carries a `ped.countdown` display.
    public var hasCountdown: Bool
    /// The I2C parts: presence sensors and lamp current monitors (inputs that are not lines), the light
    /// sensor and the countdown display.
    public var i2c: [I2CDeviceConfig]

    /// Every input role the board wires at least once, by a line or by an I2C sensor.
    public var inputRoles: InputSet { InputSet(inputs.map(\.role) + i2c.compactMap(\.role)) }
    /// Every output role the board wires at least once.
    public var outputRoles: OutputSet { OutputSet(outputs.map(\.role)) }

    /// Values as given; `BoardConfig.load` is what validates a file.
    public init(name: String, description: String, inputs: [InputLine], outputs: [OutputLine], hasCountdown: Bool, i2c: [I2CDeviceConfig] = []) {
        self.name = name
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.hasCountdown = hasCountdown
        self.i2c = i2c
    }
}

extension BoardConfig {
    /// Validates a whole board document, reporting every problem at once.
    public static func load(_ document: ConfigTable, file: String) -> Result<BoardConfig, ConfigErrors> {
        let log = ProblemLog(file: file)
        let top = TableReader(document, path: "", log: log)
        let name = top.string("name") ?? ""
        if !top.has("name") { top.report("name", "is missing; name the board (\"rpi5\", \"sim\")") }
        let description = top.string("description") ?? ""
        let defaultChip = top.string("chip")
        var used: [LineAddress: String] = [:]
        var roles: Set<String> = []

        func address(_ r: TableReader, _ owner: String) -> LineAddress? {
            let chip = r.string("chip") ?? defaultChip
            let lineName = r.string("line")
            let offset = r.integer("offset")
            if lineName != nil && offset != nil {
                r.report("offset", "is given together with line = \"\(lineName!)\"; name the line or give chip and offset, not both")
                return nil
            }
            if lineName == nil && offset == nil {
                r.report("line", "is missing; give the line name (\"GPIO17\") or chip and offset")
                return nil
            }
            if let o = offset, !(0...511).contains(o) { r.report("offset", "= \(o) is outside 0–511"); return nil }
            if offset != nil && chip == nil {
                r.report("chip", "is missing; an offset needs the chip label (\"pinctrl-rp1\") here or at the top of the file")
                return nil
            }
            let address = LineAddress(chip: chip, name: lineName, offset: offset)
            if let other = used[address] {
                r.report(lineName != nil ? "line" : "offset", "= \(address) is already used by \(other)")
                return nil
            }
            used[address] = owner
            return address
        }

        func role(_ r: TableReader, implied: String? = nil) -> (base: String, copy: Int)? {
            guard let text = r.string("role") ?? (r.has("role") ? nil : implied) else {
                if !r.has("role") { r.report("role", "is missing") }
                return nil
            }
            var base = text
            var copy = 1
            if let dot = text.lastIndex(of: "."), let n = Int(text[text.index(after: dot)...]) {
                guard n >= 2 && n <= 16 else {
                    r.report("role", "= \"\(text)\" has copy number \(n); copies are numbered 2–16 (the first has no number)")
                    return nil
                }
                base = String(text[..<dot])
                copy = n
            }
            if roles.contains(text) {
                r.report("role", text == countdownRoleName
                    ? "= \"\(text)\" appears twice; a board has one countdown display (an [[output]] for the simulator or an [[i2c]] ht16k33)"
                    : "= \"\(text)\" appears twice; number further copies (\"\(base).\(copy + 1)\")")
                return nil
            }
            roles.insert(text)
            return (base, copy)
        }

        var inputs: [InputLine] = []
        for (i, table) in (top.tables("input") ?? []).enumerated() {
            let r = TableReader(table, path: "input[\(i)]", log: log)
            let parsed = role(r)
            var inputRole: InputRole?
            if let p = parsed {
                inputRole = InputRole(name: p.base)
                if inputRole == nil {
                    if OutputRole(name: p.base) != nil || p.base == countdownRoleName {
                        r.report("role", "= \"\(p.base)\" is an output role; move it to an [[output]] table")
                    } else {
                        r.report("role", "= \"\(p.base)\" is not an input role (known: \(InputRole.namesForMessages))")
                    }
                }
            }
            let addr = address(r, "input[\(i)]")
            let activeLow = r.bool("active_low") ?? false
            var bias = LineBias.asIs
            if let b = r.string("bias") {
                if let v = LineBias(rawValue: b) { bias = v } else {
                    r.report("bias", "= \"\(b)\" is not a bias; use one of: \(LineBias.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
            let debounce = r.duration("debounce") ?? 30
            if debounce > 1000 { r.report("debounce", "= \(DurationText.format(milliseconds: debounce)) is above 1 s; a press would be missed") }
            r.finish()
            if let p = parsed, let role = inputRole, let a = addr {
                inputs.append(InputLine(role: role, copy: p.copy, address: a, activeLow: activeLow, bias: bias, debounceMs: min(debounce, 1000)))
            }
        }

        var outputs: [OutputLine] = []
        var hasCountdown = false
        for (i, table) in (top.tables("output") ?? []).enumerated() {
            let r = TableReader(table, path: "output[\(i)]", log: log)
            let parsed = role(r)
            if let p = parsed, p.base == countdownRoleName {
                // The countdown is a display, not a line: it takes only its kind.
                hasCountdown = true
                if let kind = r.string("kind"), kind != "simulated" {
                    r.report("kind", "= \"\(kind)\" is not a countdown display kind (\"simulated\"); an HT16K33 display is an [[i2c]] table with part = \"ht16k33\"")
                }
                r.finish()
                continue
            }
            var outputRole: OutputRole?
            if let p = parsed {
                outputRole = OutputRole(name: p.base)
                if outputRole == nil {
                    if InputRole(name: p.base) != nil {
                        r.report("role", "= \"\(p.base)\" is an input role; move it to an [[input]] table")
                    } else {
                        r.report("role", "= \"\(p.base)\" is not an output role (known: \(OutputRole.allCases.map(\.name).joined(separator: ", ")), \(countdownRoleName))")
                    }
                }
            }
            let addr = address(r, "output[\(i)]")
            let activeLow = r.bool("active_low") ?? false
            r.finish()
            if let p = parsed, let role = outputRole, let a = addr {
                outputs.append(OutputLine(role: role, copy: p.copy, address: a, activeLow: activeLow))
            }
        }
        var i2c: [I2CDeviceConfig] = []
        var devices: [String: String] = [:]  // "bus address" -> the table that has it
        let defaultBus = top.string("i2c_bus")
        if let bus = defaultBus, !bus.hasPrefix("/dev/") { top.report("i2c_bus", "= \"\(bus)\" is not a device path (\"/dev/i2c-1\")") }
        for (i, table) in (top.tables("i2c") ?? []).enumerated() {
            let r = TableReader(table, path: "i2c[\(i)]", log: log)
            guard let device = I2CDeviceConfig.load(r, defaultBus: defaultBus, claim: role) else { continue }
            let key = "\(device.bus) \(device.address)"
            if let other = devices[key] {
                r.report("address", "= \(hexText(device.address)) on \(device.bus) is already used by \(other); give each part its own address (most have address pins)")
                continue
            }
            if device.part == .veml7700, let other = i2c.first(where: { $0.part == .veml7700 }) {
                r.report("part", "= \"veml7700\" is a second light sensor (the first is \(other.label)); the night logic reads one")
                continue
            }
            if device.role != nil && i2c.count(where: { $0.role != nil }) == 32 {
                r.report("role", "makes a 33rd I2C sensor with a role; a board carries at most 32")
                continue
            }
            devices[key] = "i2c[\(i)]"
            if device.function == .countdown { hasCountdown = true }
            i2c.append(device)
        }
        top.finish()
        if !log.problems.isEmpty { return .failure(ConfigErrors(log.problems)) }
        return .success(BoardConfig(name: name, description: description, inputs: inputs, outputs: outputs, hasCountdown: hasCountdown, i2c: i2c))
    }

    /// Checks that the board wires what the site needs; problems are reported against the board file.
    public func problems(for site: SiteConfig, boardFile: String, siteFile: String) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func need(_ missing: [String], _ what: String) {
            guard !missing.isEmpty else { return }
            problems.append(ConfigProblem(file: boardFile, key: "", message: "has no \(missing.joined(separator: ", ")); \(what) in \(siteFile) needs \(missing.count == 1 ? "it" : "them")"))
        }
        if site.profile == .signalized || site.profile == .hybridBeacon {
            let heads: [OutputRole] = site.profile == .signalized
                ? [.vehicleRed, .vehicleAmber, .vehicleGreen, .pedDontWalk, .pedWalk]
                : [.vehicleRed, .vehicleRedRight, .vehicleAmber, .pedDontWalk, .pedWalk]  // two reds over one amber
            let what = "profile \"\(site.profile.rawValue)\""
            need(heads.filter { !outputRoles.contains($0) }.map(\.name), what)
            if !inputRoles.contains(.pedButton) && !inputRoles.contains(.pedKerb) {
                need(["ped.button or ped.kerb input"], what)
            }
        }
        if site.profile == .beacon {
            if !outputRoles.contains(.beaconLeft) && !outputRoles.contains(.beaconRight) {
                need(["beacon.left or beacon.right output"], "profile \"beacon\"")
            }
            if !inputRoles.contains(.pedButton) && !inputRoles.contains(.pedKerb) {
                need(["ped.button or ped.kerb input"], "profile \"beacon\"")
            }
        }
        if site.sos != nil {
            need(inputRoles.contains(.sosButton) ? [] : ["sos.button input"], "the [sos] table")
            need([OutputRole.sosYellow, .sosGreen].filter { !outputRoles.contains($0) }.map(\.name), "the [sos] table")
        }
        return problems
    }
}
