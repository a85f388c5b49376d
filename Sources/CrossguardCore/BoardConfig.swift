/// The pull resistor a line is requested with.
public enum LineBias: String, CaseIterable, Sendable {
    case asIs = "as-is"
    case pullUp = "pull-up"
    case pullDown = "pull-down"
    case disabled
}

/// Where a role's line is, in one of the three ways a board file names it and nothing in between: by line
/// name (preferred: `GPIO17`), or by chip label and offset — never by chip number, which moves between
/// kernels (Pi 5: gpiochip4 became gpiochip0) — or on a pin of an I2C GPIO expander the board file names
/// (`expander = "x1"`, `pin = "GPA0"`), which the sensor thread drives, not libgpiod.
public enum LineAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// A GPIO line by the name the device tree gives it, on the chip with this label (`pinctrl-rp1`,
    /// `gpio-sim`), or on whichever chip has it when the label is nil.
    case named(String, chip: String?)
    /// A GPIO line without a name: the chip's label and the offset on it.
    case offset(Int, chip: String)
    /// A pin of an I2C expander: the `name` of its `[[i2c]]` mcp23017 and the pin, 0–15 (GPA0–GPA7 are
    /// 0–7, GPB0–GPB7 are 8–15, `ExpanderPin`).
    case expanderPin(expander: String, pin: Int)

    /// Whether the line is on an I2C expander (the sensor thread's) rather than a GPIO chip (libgpiod's).
    public var isOnExpander: Bool {
        if case .expanderPin = self { return true }
        return false
    }

    /// The pin, when the line is on the expander called `name`.
    public func pin(onExpander name: String) -> Int? {
        if case .expanderPin(name, let pin) = self { return pin }
        return nil
    }

    public var description: String {
        switch self {
        case .named(let name, let chip): chip.map { "\($0)/\(name)" } ?? name
        case .offset(let offset, let chip): "\(chip):\(offset)"
        case .expanderPin(let expander, let pin): "\(expander)/\(ExpanderPin.name(pin))"
        }
    }
}

/// The names of an MCP23017's 16 pins as its datasheet and board files write them: `GPA0`–`GPA7` are pins
/// 0–7 (port A), `GPB0`–`GPB7` pins 8–15 (port B); every 16-bit mask has pin n in bit n.
public enum ExpanderPin {
    /// `GPA7` and `GPB7` (pins 7 and 15): output-only since the datasheet's revision D (used as inputs they
    /// can corrupt SDA during a read).
    public static let outputOnlyMask: UInt16 = 0x8080

    /// The pin number of `GPA0`…`GPB7`, nil for anything else.
    public static func number(_ name: String) -> Int? {
        let chars = Array(name)
        guard chars.count == 4, chars[0] == "G", chars[1] == "P", let digit = chars[3].wholeNumberValue, digit < 8 else { return nil }
        switch chars[2] {
        case "A": return digit
        case "B": return 8 + digit
        default: return nil
        }
    }

    /// `GPA0` for pin 0, `GPB7` for pin 15.
    public static func name(_ pin: Int) -> String {
        guard (0...15).contains(pin) else { return "GP?\(pin)" }
        return (pin < 8 ? "GPA" : "GPB") + String(pin % 8)
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
    /// The start of the device-tree model of the board this file is for (`Raspberry Pi 5`), nil when the
    /// file names none: a Pi 4 file on a Pi 5 would look for the wrong chip.
    public var model: String?
    /// The input lines in board order, on GPIO chips and on expanders alike (the tick sees one bank).
    public var inputs: [InputLine]
    /// The output lines in board order, on GPIO chips and on expanders alike.
    public var outputs: [OutputLine]
    /// Whether the board carries a `ped.countdown` display.
    public var hasCountdown: Bool
    /// The I2C parts: presence sensors and lamp current monitors (inputs that are not lines), the light
    /// sensor, the countdown display and GPIO expanders (whose lines are among `inputs` and `outputs`).
    public var i2c: [I2CDeviceConfig]

    /// Every input role the board wires at least once, by a line or by an I2C sensor.
    public var inputRoles: InputSet { InputSet(inputs.map(\.role) + i2c.compactMap(\.role)) }
    /// Every output role the board wires at least once.
    public var outputRoles: OutputSet { OutputSet(outputs.map(\.role)) }

    /// Values as given; `BoardConfig.load` is what validates a file.
    public init(name: String, description: String, model: String? = nil, inputs: [InputLine], outputs: [OutputLine], hasCountdown: Bool,
                i2c: [I2CDeviceConfig] = []) {
        self.name = name
        self.description = description
        self.model = model
        self.inputs = inputs
        self.outputs = outputs
        self.hasCountdown = hasCountdown
        self.i2c = i2c
    }
}

extension BoardConfig {
    /// Whether the board this runs on is the one the file is for: nil when the file names no model,
    /// else whether the device-tree model (`Raspberry Pi 5 Model B Rev 1.0`) starts with it.
    public func isFor(deviceTreeModel real: String) -> Bool? {
        model.map { real.hasPrefix($0) }
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
        let model = top.string("model")
        if model?.isEmpty == true {
            top.report("model", "= \"\" is empty; give the start of the board's /proc/device-tree/model (\"Raspberry Pi 5\"), or leave model out")
        }
        let defaultChip = top.string("chip")
        if defaultChip?.isEmpty == true {
            top.report("chip", "= \"\" is empty; give the chip's label as gpiodetect shows it (\"pinctrl-rp1\"), or leave chip out to find lines by name")
        }
        var used: [LineAddress: String] = [:]
        var roles: Set<String> = []
        // Lines that name an expander, checked against the [[i2c]] tables after those are read.
        var expanderReferences: [(reader: TableReader, name: String)] = []

        func expanderAddress(_ r: TableReader, _ owner: String) -> LineAddress? {
            let expander = r.string("expander")
            let pinText = r.string("pin")
            var valid = true
            let placement = expander.map { "expander = \"\($0)\"" } ?? "pin"
            for key in ["line", "offset", "chip"] where r.has(key) {
                r.report(key, "is given together with \(placement); a line is on a GPIO chip (line, or chip and offset) or on an expander (expander and pin), not both")
                valid = false
            }
            if let expander { expanderReferences.append((r, expander)) } else if !r.has("expander") {
                r.report("expander", "is missing; pin = … is a pin of an expander: name its [[i2c]] mcp23017 table (expander = \"x1\")")
            }
            var pin: Int?
            if let pinText {
                pin = ExpanderPin.number(pinText)
                if pin == nil { r.report("pin", "= \"\(pinText)\" is not an MCP23017 pin; use GPA0–GPA7 or GPB0–GPB7") }
            } else if !r.has("pin") {
                r.report("pin", "is missing; give the expander pin (GPA0–GPA7, GPB0–GPB7)")
            }
            guard valid, let expander, let pin else { return nil }
            let address = LineAddress.expanderPin(expander: expander, pin: pin)
            if let other = used[address] {
                r.report("pin", "= \"\(ExpanderPin.name(pin))\" on \(expander) is already used by \(other)")
                return nil
            }
            used[address] = owner
            return address
        }

        func address(_ r: TableReader, _ owner: String) -> LineAddress? {
            if r.has("expander") || r.has("pin") { return expanderAddress(r, owner) }
            let chip = r.string("chip") ?? defaultChip
            let lineName = r.string("line")
            let offset = r.integer("offset")
            if r.has("chip"), chip?.isEmpty == true {
                r.report("chip", "= \"\" is empty; give the chip's label as gpiodetect shows it (\"pinctrl-rp1\"), or leave chip out to find the line by name")
                return nil
            }
            if lineName?.isEmpty == true {
                r.report("line", "= \"\" is empty; give the line name (\"GPIO17\")")
                return nil
            }
            if lineName != nil && offset != nil {
                r.report("offset", "is given together with line = \"\(lineName!)\"; name the line or give chip and offset, not both")
                return nil
            }
            if lineName == nil && offset == nil {
                r.report("line", "is missing; give the line name (\"GPIO17\"), chip and offset, or expander and pin")
                return nil
            }
            if let o = offset, !(0...511).contains(o) { r.report("offset", "= \(o) is outside 0–511"); return nil }
            if offset != nil && chip == nil {
                r.report("chip", "is missing; an offset needs the chip label (\"pinctrl-rp1\") here or at the top of the file")
                return nil
            }
            let address: LineAddress
            switch (lineName, offset, chip) {
            case (let name?, _, _): address = .named(name, chip: chip)
            case (nil, let offset?, let chip?): address = .offset(offset, chip: chip)
            default:  // refused above, each with its message
                return nil
            }
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
            let debounce = r.read(BoardKeys.debounce, default: 30) ?? 30
            if case .expanderPin(_, let pin)? = addr {
                if (1 << UInt16(pin)) & ExpanderPin.outputOnlyMask != 0 {
                    r.report("pin", "= \"\(ExpanderPin.name(pin))\" is output-only on the MCP23017 (datasheet rev. D: read as an input it can corrupt SDA); use it for an output, or put the input on another pin")
                }
                if bias == .pullDown {
                    r.report("bias", "= \"pull-down\" is not available on an expander pin: the MCP23017 has only 100 kΩ pull-ups; use \"pull-up\", or \"as-is\" with an external pull-down")
                }
            }
            if case .expanderPin(let expander, _)? = addr, let p = parsed, let role = inputRole, !role.mayBeOnExpander {
                let allowed = (InputRole.allCases.filter { $0.mayBeOnExpander && $0.sensedLamp == nil }.map(\.name) + ["lamp.<output role>"]).joined(separator: ", ")
                r.report("expander", "= \"\(expander)\" cannot read \(p.copy == 1 ? role.name : "\(role.name).\(p.copy)"): \(role.hiddenWhileExpanderSilent); only \(allowed) may be on an expander (docs/configuration.md)")
            }
            r.finish()
            if let p = parsed, let role = inputRole, let a = addr {
                inputs.append(InputLine(role: role, copy: p.copy, address: a, activeLow: activeLow, bias: bias, debounceMs: debounce))
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
            if case .expanderPin(let expander, _)? = addr, let p = parsed, let role = outputRole, !role.mayBeOnExpander {
                let allowed = OutputRole.allCases.filter(\.mayBeOnExpander).map(\.name).joined(separator: ", ")
                r.report("expander", "= \"\(expander)\" cannot drive \(p.copy == 1 ? role.name : "\(role.name).\(p.copy)"): a hung expander holds its outputs on or off, and for this role either could show a conflicting or dangerous aspect; only \(allowed) may be on an expander (docs/configuration.md)")
            }
            r.finish()
            if let p = parsed, let role = outputRole, let a = addr {
                outputs.append(OutputLine(role: role, copy: p.copy, address: a, activeLow: activeLow))
            }
        }
        var i2c: [I2CDeviceConfig] = []
        var devices: [String: String] = [:]  // "bus address" -> the table that has it
        var expanders: [String: String] = [:]  // expander name -> the table that has it
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
            if let name = device.expanderName {
                if let other = expanders[name] {
                    r.report("name", "= \"\(name)\" is already the name of \(other); give each expander its own name")
                    continue
                }
                expanders[name] = "i2c[\(i)]"
            }
            devices[key] = "i2c[\(i)]"
            if device.function == .countdown { hasCountdown = true }
            i2c.append(device)
        }
        // An expander table with a problem of its own still declares its name: its lines are not reported
        // as naming an unknown expander on top of that.
        var declared = Set(expanders.keys)
        if case .array(let tables)? = document["i2c"] {
            for case .table(let t) in tables where t["part"] == ConfigValue.string("mcp23017") {
                if case .string(let name)? = t["name"] { declared.insert(name) }
            }
        }
        for (r, name) in expanderReferences where !declared.contains(name) {
            r.report("expander", "= \"\(name)\" is not an expander of this board "
                + (declared.isEmpty ? "(it has no [[i2c]] table with part = \"mcp23017\")" : "(known: \(declared.sorted().joined(separator: ", ")))"))
        }
        top.finish()
        if !log.problems.isEmpty { return .failure(ConfigErrors(log.problems)) }
        return .success(BoardConfig(name: name, description: description, model: model, inputs: inputs, outputs: outputs, hasCountdown: hasCountdown, i2c: i2c))
    }

    /// Checks that the board wires what the site needs; problems are reported against the board file.
    public func problems(for site: SiteConfig, boardFile: String, siteFile: String) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func need(_ missing: [String], _ what: String) {
            guard !missing.isEmpty else { return }
            problems.append(ConfigProblem(file: boardFile, key: "", message: "has no \(missing.joined(separator: ", ")); \(what) in \(siteFile) needs \(missing.count == 1 ? "it" : "them")"))
        }
        if site.profile.kind == .signalized || site.profile.kind == .hybridBeacon {
            let heads: [OutputRole] = site.profile.kind == .signalized
                ? [.vehicleRed, .vehicleAmber, .vehicleGreen, .pedDontWalk, .pedWalk]
                : [.vehicleRed, .vehicleRedRight, .vehicleAmber, .pedDontWalk, .pedWalk]  // two reds over one amber
            let what = "profile \"\(site.profile.kind.rawValue)\""
            need(heads.filter { !outputRoles.contains($0) }.map(\.name), what)
            if !inputRoles.contains(.pedButton) && !inputRoles.contains(.pedKerb) {
                need(["ped.button or ped.kerb input"], what)
            }
        }
        if site.profile.kind == .beacon {
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
