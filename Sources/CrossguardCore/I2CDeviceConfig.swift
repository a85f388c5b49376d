/// An I2C part on the board and what it tells the controller. Board facts live in the board file, so a
/// cabinet that swaps a push button for a time-of-flight sensor changes data, not Swift.
public struct I2CDeviceConfig: Equatable, Sendable {
    /// The parts this build drives (CrossguardDrivers).
    public enum Part: String, CaseIterable, Sendable {
        case vl53l0x, ina219, ina226, veml7700, ht16k33, mcp23017

        /// The address the part answers at when its address pins are left at their defaults.
        public var defaultAddress: UInt8 {
            switch self {
            case .vl53l0x: 0x29
            case .ina219, .ina226: 0x40
            case .veml7700: 0x10
            case .ht16k33: 0x70
            case .mcp23017: 0x20
            }
        }

        /// How often the sensor thread reads it unless the board says otherwise (ms): presence and lamp
        /// current within a few ticks of a debounce, light slowly (it changes over minutes).
        public var defaultPollMs: Int {
            switch self {
            case .vl53l0x, .ina219, .ina226: 50
            case .veml7700: 1_000
            case .ht16k33: 100
            case .mcp23017: 5
            }
        }

        /// The poll periods a board may set (ms). Sensors: 10 ms to a minute. An expander's lines are
        /// buttons and lamps, so at most 50 ms: a press shorter than the poll period can fall between two
        /// reads, and an output follows the tick one poll late; at least 2 ms, because one read of its 16
        /// lines holds a 100 kHz bus for about half a millisecond and the other parts share it.
        public var pollRangeMs: ClosedRange<Int> {
            switch self {
            case .mcp23017: 2...50
            default: 10...60_000
            }
        }
    }

    /// What the part is for.
    public enum Function: Equatable, Sendable {
        /// A time-of-flight sensor: someone between `nearMm` and `farMm` is present; leaving needs the
        /// distance to go `hysteresisMm` beyond the band. Plays `ped.kerb` or `ped.crossing`.
        case presence(nearMm: Int, farMm: Int, hysteresisMm: Int)
        /// A current monitor on a lamp's supply: lit above `litAboveMa`, dark below `darkBelowMa`, through a
        /// shunt of `shuntMilliohm`. Plays `lamp.<output role>`.
        case lampCurrent(shuntMilliohm: Int, litAboveMa: Int, darkBelowMa: Int)
        /// The ambient light sensor for the night logic.
        case ambientLight
        /// The `ped.countdown` display.
        case countdown
        /// An MCP23017 GPIO expander: a bank of 16 lines that `[[input]]` and `[[output]]` tables place
        /// pins on by its `name` (`expander = "x1"`, `pin = "GPA0"`).
        case expander(name: String)
    }

    public var part: Part
    /// The bus device (`/dev/i2c-1`).
    public var bus: String
    /// 7-bit address.
    public var address: UInt8
    /// The input role it plays (presence and lamp current), nil for light, display and expander.
    public var role: InputRole?
    /// 1 for the role itself, 2 for `ped.kerb.2`, …
    public var copy: Int
    public var function: Function
    /// How often the sensor thread reads (or, for the display, refreshes) it, in ms.
    public var pollMs: Int

    /// The role as written in the board file, or what the device is for when it has none (the roles of
    /// an expander's lines are the board's: `BoardConfig.roleNames(servedBy:)`).
    public var roleName: String {
        guard let role else {
            switch function {
            case .countdown: return countdownRoleName
            case .expander(let name): return "expander \(name)"
            default: return "ambient light"
            }
        }
        return copy == 1 ? role.name : "\(role.name).\(copy)"
    }

    /// The board-file name of an expander (`x1`), nil for every other part.
    public var expanderName: String? {
        if case .expander(let name) = function { return name }
        return nil
    }

    /// `vl53l0x at 0x29 on /dev/i2c-1` (`mcp23017 x1 at 0x20 on /dev/i2c-1`): how messages and `diag`
    /// name the device.
    public var label: String {
        "\(part.rawValue)\(expanderName.map { " \($0)" } ?? "") at \(hexText(address)) on \(bus)"
    }

    /// Values as given; `BoardConfig.load` is what validates a file.
    public init(part: Part, bus: String, address: UInt8, role: InputRole?, copy: Int = 1, function: Function, pollMs: Int) {
        self.part = part
        self.bus = bus
        self.address = address
        self.role = role
        self.copy = copy
        self.function = function
        self.pollMs = pollMs
    }
}

extension I2CDeviceConfig {
    /// Reads one `[[i2c]]` table, reporting every problem against its keys. `claim` registers the table's
    /// role, or the given one when the table has none (shared with the line tables, so a role is wired
    /// once), and returns its base and copy, or nil.
    static func load(_ r: TableReader, defaultBus: String?, claim: (TableReader, String?) -> (base: String, copy: Int)?) -> I2CDeviceConfig? {
        var part: Part?
        if let text = r.string("part") {
            part = Part(rawValue: text)
            if part == nil { r.report("part", "= \"\(text)\" is not a part this build drives (\(Part.allCases.map(\.rawValue).joined(separator: ", ")))") }
        } else if !r.has("part") {
            r.report("part", "is missing; name the chip (\(Part.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let bus = r.string("bus") ?? defaultBus
        if bus == nil && !r.has("bus") { r.report("bus", "is missing; give the bus device (\"/dev/i2c-1\") here or as i2c_bus at the top of the file") }
        if let bus, !bus.hasPrefix("/dev/") { r.report("bus", "= \"\(bus)\" is not a device path (\"/dev/i2c-1\")") }
        var address = part?.defaultAddress
        if let a = r.integer("address") {
            // 0x00–0x07 and 0x78–0x7F are reserved by the I2C specification.
            if BoardKeys.address.admits(number: Double(a)) { address = UInt8(a) } else {
                r.report("address", "= \(a) is outside the 7-bit device addresses 0x08–0x77"); address = nil
            }
        }
        let poll = r.duration("poll") ?? part?.defaultPollMs ?? 50
        let pollRange = part?.pollRangeMs ?? 10...60_000
        if !pollRange.contains(poll) {
            r.report("poll", "= \(DurationText.format(milliseconds: poll)) is outside \(DurationText.format(milliseconds: pollRange.lowerBound))–\(DurationText.format(milliseconds: pollRange.upperBound))"
                + (part == .mcp23017 ? " (a press must not fall between two reads, and one read holds the bus for about 0.5 ms)" : ""))
        }

        var role: InputRole?
        var copy = 1
        var function: Function?
        switch part {
        case .vl53l0x?:
            if let claimed = claim(r, nil) {
                role = InputRole(name: claimed.base)
                copy = claimed.copy
                if role != .pedKerb && role != .pedCrossing {
                    r.report("role", "= \"\(claimed.base)\" is not a presence role; a vl53l0x plays ped.kerb or ped.crossing"); role = nil
                }
            }
            let K = BoardKeys.self
            let near = r.read(K.nearMm, default: 30) ?? 30
            let far = r.integer(K.farMm.name)
            let hysteresis = r.read(K.hysteresisMm, default: 50) ?? 50
            if far == nil && !r.has(K.farMm.name) { r.report(K.farMm.name, "is missing; how far from the sensor (mm) a person still counts as present") }
            if let far, !K.farMm.admits(integer: far) || far <= near {
                let most = if case .integer(let range?, let unit) = K.farMm.value { "\(range.upperBound) \(unit)" } else { "" }
                r.report(K.farMm.name, "= \(far) must be above near_mm (\(near)) and at most \(most) (\(K.farMm.because ?? ""))")
            }
            if let far { function = .presence(nearMm: near, farMm: far, hysteresisMm: hysteresis) }
        case .ina219?, .ina226?:
            if let claimed = claim(r, nil) {
                role = InputRole(name: claimed.base)
                copy = claimed.copy
                if role?.sensedLamp == nil {
                    r.report("role", "= \"\(claimed.base)\" is not a lamp sense role; a current monitor plays lamp.<output role>"); role = nil
                }
            }
            let K = BoardKeys.self
            // Both required: read only when present, so a refused value is reported once and an absent one as missing.
            let shunt = r.has(K.shuntMohm.name) ? r.read(K.shuntMohm, default: 0) : nil
            let lit = r.has(K.litAboveMa.name) ? r.read(K.litAboveMa, default: 0) : nil
            if !r.has(K.shuntMohm.name) { r.report(K.shuntMohm.name, "is missing; the shunt resistor in milliohms (100 on most INA219 boards)") }
            if !r.has(K.litAboveMa.name) { r.report(K.litAboveMa.name, "is missing; the current (mA) above which the lamp counts as lit") }
            let dark = r.integer("dark_below_ma") ?? (lit ?? 2) / 2
            if let lit, dark >= lit || dark < 0 { r.report("dark_below_ma", "= \(dark) must be at least 0 and below lit_above_ma (\(lit)), so a lamp at the threshold does not flicker between lit and dark") }
            if let shunt, let lit { function = .lampCurrent(shuntMilliohm: shunt, litAboveMa: lit, darkBelowMa: dark) }
        case .ht16k33?:
            function = .countdown
            if let claimed = claim(r, countdownRoleName), claimed.base != countdownRoleName || claimed.copy != 1 {
                r.report("role", "= \"\(claimed.base)\" is not for an ht16k33; it is the \(countdownRoleName) display")
            }
        case .veml7700?:
            function = .ambientLight
            if let a = address, a != 0x10 { r.report("address", "= \(hexText(a)) is not where a veml7700 answers; its address is fixed at 0x10"); address = nil }
            if r.has("role") { r.report("role", "is not taken by a veml7700: it is the ambient light sensor") }
        case .mcp23017?:
            if let a = address, !(0x20...0x27).contains(a) {
                r.report("address", "= \(hexText(a)) is not where an mcp23017 answers; its A2–A0 straps give 0x20–0x27"); address = nil
            }
            if r.has("role") {
                r.report("role", "is not taken by an mcp23017: its lines play roles in the [[input]] and [[output]] tables that name it (expander = \"…\", pin = \"GPA0\")")
            }
            if let name = r.string("name") {
                if isExpanderName(name) { function = .expander(name: name) } else {
                    r.report("name", "= \"\(name)\" is not an expander name; use 1–32 of a–z A–Z 0–9 - _ (\"x1\")")
                }
            } else if !r.has("name") {
                r.report("name", "is missing; name the expander (name = \"x1\") so [[input]] and [[output]] tables can place lines on it (expander = \"x1\")")
            }
        case nil:
            break
        }
        r.finish()
        guard let part, let bus, let address, let function, role != nil || part == .veml7700 || part == .ht16k33 || part == .mcp23017 else { return nil }
        return I2CDeviceConfig(part: part, bus: bus, address: address, role: role, copy: copy, function: function, pollMs: poll)
    }
}

/// Whether `text` may name an expander: 1–32 of `a–z A–Z 0–9 - _`, short enough for every message.
func isExpanderName(_ text: String) -> Bool {
    !text.isEmpty && text.utf8.count <= 32
        && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F }
}

/// `0x29`: an I2C address as board files and datasheets write it.
public func hexText(_ value: UInt8) -> String { "0x" + (value < 16 ? "0" : "") + String(value, radix: 16) }
