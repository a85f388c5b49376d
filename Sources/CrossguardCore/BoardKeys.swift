/// Every key of the board file, declared once like the site file's (`SiteKeys`): the loader takes the
/// ranges and reasons of its numbered keys from here, `check-config --keys` prints these tables too, and
/// the board-file key tables in `docs/configuration.md` are that output (a test compares them). Tables
/// are the top level (`""`) and the array tables `input`, `output` and `i2c`.
public enum BoardKeys {
    // The top level.
    public static let name = SiteKey("", "name", .text, default: "required", note: "the board's name in messages and `diag` (\"rpi5\", \"sim\")")
    public static let description = SiteKey("", "description", .text, default: "`\"\"`", note: "free text for people")
    public static let model = SiteKey("", "model", .text, default: "none",
                                      note: "the start of `/proc/device-tree/model` on the board this file is for (\"Raspberry Pi 5\"); `diag` fails on another")
    public static let chip = SiteKey("", "chip", .text, default: "none",
                                     note: "the default chip label (as `gpiodetect` shows it) for lines given by `offset`; never a chip number, which moves between kernels")
    public static let i2cBus = SiteKey("", "i2c_bus", .text, default: "none", note: "the default bus device (`/dev/i2c-1`) for `[[i2c]]` tables without `bus`")

    // [[input]] and [[output]]: a line is named by `line` (with an optional `chip`), by `chip` and
    // `offset`, or is an expander pin (`expander` and `pin`).
    static func lineKeys(_ table: String) -> [SiteKey] {
        [
            SiteKey(table, "role", .text, default: "required", note: "a role from the tables above; further copies numbered 2–16 (`\(table == "input" ? "ped.button.2" : "vehicle.red.2")`)"),
            SiteKey(table, "line", .text, default: "none", note: "the line's name (`GPIO17`), found on any chip or on `chip`"),
            SiteKey(table, "chip", .text, default: "the board's `chip`", note: "the chip label for `line` or `offset`"),
            SiteKey(table, "offset", .integer(0...65_535, unit: ""), default: "none", note: "the line's offset on `chip`, instead of `line`"),
            SiteKey(table, "expander", .text, default: "none", note: "the `name` of an `[[i2c]]` mcp23017, instead of a GPIO line"),
            SiteKey(table, "pin", .text, default: "none", note: "`GPA0`–`GPB7` on `expander`"),
            SiteKey(table, "active_low", .flag, default: "false", note: table == "input" ? "true for a contact wired to ground" : "true for a driver that lights the lamp on a low line"),
        ]
    }

    public static let input = lineKeys("input")
    public static let bias = SiteKey("input", "bias", .choice(LineBias.allCases.map(\.rawValue)), default: "`\"as-is\"`",
                                     note: "`as-is`, `pull-up`, `pull-down` or `disabled`; an expander pin has only its 100 kΩ pull-up")
    public static let debounce = SiteKey("input", "debounce", .duration(0...1_000), default: "30 ms", because: "a press would be missed",
                                         note: "0 counts every latched edge, even a sub-tick pulse")
    public static let output = lineKeys("output")
    public static let kind = SiteKey("output", "kind", .choice(["simulated"]), default: "none",
                                     note: "only for `ped.countdown`: the simulator's display (a real one is an `[[i2c]]` ht16k33)")

    // [[i2c]]
    public static let part = SiteKey("i2c", "part", .choice(I2CDeviceConfig.Part.allCases.map(\.rawValue)), default: "required",
                                     note: "`vl53l0x` (presence), `ina219` or `ina226` (lamp current), `veml7700` (light), `ht16k33` (countdown), `mcp23017` (lines)")
    public static let role = SiteKey("i2c", "role", .text, default: "required for vl53l0x, ina219, ina226",
                                     note: "vl53l0x: `ped.kerb` or `ped.crossing`; ina219, ina226: `lamp.<output role>`; none for the others")
    public static let bus = SiteKey("i2c", "bus", .text, default: "`i2c_bus`", note: "the bus device (`/dev/i2c-3`)")
    public static let address = SiteKey("i2c", "address", .number(0x08...0x77, unit: "", shown: "0x08–0x77"), default: "per part",
                                        because: "the 7-bit device addresses; 0x00–0x07 and 0x78–0x7F are reserved by the I2C specification",
                                        note: "vl53l0x 0x29, ina219 and ina226 0x40, veml7700 0x10 (fixed), ht16k33 0x70, mcp23017 0x20")
    public static let poll = SiteKey("i2c", "poll", .duration(nil), default: "per part",
                                     note: "vl53l0x, ina219, ina226 50 ms, veml7700 1 s, ht16k33 100 ms, mcp23017 5 ms; sensors 10 ms–1 min, mcp23017 2 ms–50 ms (a press must not fall between two reads)")
    public static let nearMm = SiteKey("i2c", "near_mm", .integer(0...2_000, unit: "mm"), default: "30", because: "the VL53L0X ranges to about 2 m",
                                       note: "vl53l0x: someone between `near_mm` and `far_mm` is present")
    public static let farMm = SiteKey("i2c", "far_mm", .integer(1...2_000, unit: "mm"), default: "required for vl53l0x", because: "the VL53L0X ranges to about 2 m",
                                      note: "above `near_mm`")
    public static let hysteresisMm = SiteKey("i2c", "hysteresis_mm", .integer(0...500, unit: "mm"), default: "50",
                                             note: "leaving needs `far_mm` + this (or `near_mm` − this)")
    public static let shuntMohm = SiteKey("i2c", "shunt_mohm", .integer(1...10_000, unit: "mΩ"), default: "required for ina219, ina226",
                                          note: "the shunt resistor (100 on most INA219 boards)")
    public static let litAboveMa = SiteKey("i2c", "lit_above_ma", .integer(1...20_000, unit: "mA"), default: "required for ina219, ina226",
                                           note: "above this the lamp is lit")
    public static let darkBelowMa = SiteKey("i2c", "dark_below_ma", .integer(nil, unit: "mA"), default: "half of `lit_above_ma`",
                                            note: "below this it is dark; at least 0 and below `lit_above_ma` (the gap is the hysteresis)")
    public static let expanderName = SiteKey("i2c", "name", .text, default: "required for mcp23017",
                                             note: "what `expander` in a line table calls it (`x1`)")

    /// Every key, table by table.
    public static let all: [SiteKey] = [name, description, model, chip, i2cBus] + input + [bias, debounce] + output + [kind]
        + [part, role, bus, address, poll, nearMm, farMm, hysteresisMm, shuntMohm, litAboveMa, darkBelowMa, expanderName]

    /// The documentation's tables: the top level, then one per array table.
    public static let documentedTables: [(title: String, tables: [String])] = [
        ("board", [""]), ("input", ["input"]), ("output", ["output"]), ("i2c", ["i2c"]),
    ]
}
