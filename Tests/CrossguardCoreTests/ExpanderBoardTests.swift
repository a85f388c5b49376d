import CrossguardCore
import CrossguardTOML
import Foundation
import Testing

@Suite("Board files: lines on an MCP23017 expander")
struct ExpanderBoardTests {
    static let expanderBoard = """
        name = "t"
        chip = "c"
        i2c_bus = "/dev/i2c-1"
        [[input]]
        role = "ped.button"
        line = "GPIO6"
        [[input]]
        role = "ped.button.2"
        expander = "x1"
        pin = "GPA0"
        active_low = true
        bias = "pull-up"
        [[input]]
        role = "ped.crossing"
        expander = "x1"
        pin = "GPB6"
        [[output]]
        role = "ped.wait"
        expander = "x1"
        pin = "GPB0"
        active_low = true
        [[output]]
        role = "vehicle.red"
        line = "GPIO17"
        [[output]]
        role = "aps.locator"
        expander = "x1"
        pin = "GPA7"
        [[i2c]]
        part = "mcp23017"
        name = "x1"
        """

    @Test func anExpanderTakesItsDefaultsAndLinesArePlacedOnItsPins() throws {
        let b = try board(Self.expanderBoard)
        let x1 = try #require(b.i2c.first)
        #expect(x1 == I2CDeviceConfig(part: .mcp23017, bus: "/dev/i2c-1", address: 0x20, role: nil, function: .expander(name: "x1"), pollMs: 5))
        #expect(x1.label == "mcp23017 x1 at 0x20 on /dev/i2c-1")
        #expect(b.inputs.map(\.roleName) == ["ped.button", "ped.button.2", "ped.crossing"])   // board order, GPIO and expander alike
        #expect(b.inputs[1].address == LineAddress.expanderPin(expander: "x1", pin: 0))
        #expect(b.inputs[2].address.description == "x1/GPB6")
        #expect(b.outputs.map(\.address.description) == ["x1/GPB0", "c/GPIO17", "x1/GPA7"])
        #expect(b.hasExpanderLines)
        let gpio = b.gpioLinesOnly
        #expect(gpio.inputs.map(\.roleName) == ["ped.button"] && gpio.outputs.map(\.roleName) == ["vehicle.red"])
        #expect(!gpio.hasExpanderLines)
        #expect(b.roleNames(servedBy: x1) == "ped.button.2, ped.crossing, ped.wait, aps.locator")
        #expect(b.inputRoles.contains(.pedCrossing) && b.outputRoles.contains(.apsLocator))
    }

    @Test func theLayoutIsWhatTheChipIsConfiguredWith() throws {
        let b = try board(Self.expanderBoard)
        let layout = try #require(b.expanderLayout(b.i2c[0]))
        #expect(layout.inputPins == 0x4001)                 // GPA0, GPB6
        #expect(layout.outputPins == 0x0180)                // GPA7, GPB0
        #expect(layout.activeLowInputs == 0x0001 && layout.activeLowOutputs == 0x0100)
        #expect(layout.silentLevels == 0x4000)              // a silent ped.crossing reads occupied, a silent button unpressed
        // Every pin not an output is an input, except the unused GPB7: output-only, so an output (driven low).
        #expect(layout.directions == 0x7E7F)
        // The button's pull-up and every unused input's, so none floats; the crossing detector has its own.
        #expect(layout.pullUps == 0x3E7F)
        #expect(layout.inactiveLatch == 0x0100)             // the active-low ped.wait off = high
        #expect(layout.latch(active: 0x0100) == 0x0000)
        #expect(layout.latch(active: 0x0080) == 0x0180)
        #expect(layout.latch(active: 0xFFFF) == 0x0080)     // bits of inputs and unused pins are never latched high
        #expect(layout.inputLevels(raw: 0xFFFF) == 0x4000)  // GPA0 high: the active-low button is released
        #expect(layout.inputLevels(raw: 0x0000) == 0x0001)
        #expect(layout.lines.map(\.roleName) == ["ped.button.2", "ped.crossing", "ped.wait", "aps.locator"])
    }

    @Test func pinNamesRoundTrip() {
        for pin in 0...15 { #expect(ExpanderPin.number(ExpanderPin.name(pin)) == pin) }
        #expect(ExpanderPin.name(8) == "GPB0")
        for bad in ["GPA8", "GPC0", "gpa0", "GPA", "GPA00", "A0", ""] { #expect(ExpanderPin.number(bad) == nil, "\(bad)") }
    }

    @Test func linePlacementRefusalsNameTheEntryAndTheKey() {
        let text = """
            name = "t"
            chip = "c"
            i2c_bus = "/dev/i2c-1"
            [[input]]
            role = "ped.button"
            expander = "x1"
            pin = "GPA0"
            line = "GPIO17"
            [[input]]
            role = "ped.button.2"
            expander = "x9"
            pin = "GPA1"
            [[input]]
            role = "sos.button"
            expander = "x1"
            pin = "GPA2"
            [[input]]
            role = "fault.reset"
            expander = "x1"
            pin = "GPA2"
            [[input]]
            role = "cabinet.door"
            expander = "x1"
            pin = "GPA7"
            [[input]]
            role = "mains.ok"
            expander = "x1"
            pin = "GPB3"
            bias = "pull-down"
            [[input]]
            role = "battery.low"
            pin = "GPB4"
            [[input]]
            role = "ped.kerb"
            expander = "x1"
            pin = "GPC0"
            [[input]]
            role = "ped.crossing"
            expander = "x1"
            [[input]]
            role = "ped.button.3"
            expander = "x1"
            pin = "GPB7"
            [[output]]
            role = "vehicle.green"
            expander = "x1"
            pin = "GPB0"
            [[output]]
            role = "ped.wait"
            expander = "x1"
            pin = "GPB5"
            offset = 3
            [[i2c]]
            part = "mcp23017"
            name = "x1"
            """
        #expect(boardProblems(text) == [
            "board.toml: input[0].line is given together with expander = \"x1\"; a line is on a GPIO chip (line, or chip and offset) or on an expander (expander and pin), not both",
            "board.toml: input[2].expander = \"x1\" cannot read sos.button: \(Self.sosButtonRefusal)",
            "board.toml: input[3].pin = \"GPA2\" on x1 is already used by input[2]",
            "board.toml: input[4].pin = \"GPA7\" is output-only on the MCP23017 (datasheet rev. D: read as an input it can corrupt SDA); use it for an output, or put the input on another pin",
            "board.toml: input[4].expander = \"x1\" cannot read cabinet.door: \(Self.cabinetDoorRefusal)",
            "board.toml: input[5].bias = \"pull-down\" is not available on an expander pin: the MCP23017 has only 100 kΩ pull-ups; use \"pull-up\", or \"as-is\" with an external pull-down",
            "board.toml: input[6].expander is missing; pin = … is a pin of an expander: name its [[i2c]] mcp23017 table (expander = \"x1\")",
            "board.toml: input[7].pin = \"GPC0\" is not an MCP23017 pin; use GPA0–GPA7 or GPB0–GPB7",
            "board.toml: input[8].pin is missing; give the expander pin (GPA0–GPA7, GPB0–GPB7)",
            "board.toml: input[9].pin = \"GPB7\" is output-only on the MCP23017 (datasheet rev. D: read as an input it can corrupt SDA); use it for an output, or put the input on another pin",
            "board.toml: output[0].expander = \"x1\" cannot drive vehicle.green: a hung expander holds its outputs on or off, and for this role either could show a conflicting or dangerous aspect; only ped.wait, aps.locator, sos.strobe may be on an expander (docs/configuration.md)",
            "board.toml: output[1].offset is given together with expander = \"x1\"; a line is on a GPIO chip (line, or chip and offset) or on an expander (expander and pin), not both",
            "board.toml: input[1].expander = \"x9\" is not an expander of this board (known: x1)",
        ])
    }

    /// The rule of `OutputRole.mayBeOnExpander`: outputs whose stuck state shows no aspect and takes no warning away.
    @Test func onlyOutputsWithoutAnAspectMayBeOnAnExpander() {
        #expect(OutputRole.allCases.filter(\.mayBeOnExpander) == [.pedWait, .apsLocator, .sosStrobe])
    }

    /// A board with one line of `table` ("input" or "output"), `role`, on expander x1's GPA3.
    static func oneExpanderLine(_ table: String, _ role: String) -> String {
        """
        name = "t"
        [[\(table)]]
        role = "\(role)"
        expander = "x1"
        pin = "GPA3"
        [[i2c]]
        part = "mcp23017"
        bus = "/dev/i2c-1"
        name = "x1"
        """
    }

    /// A board with one output, `role`, on expander x1's GPA3.
    static func oneExpanderOutput(_ role: String) -> String { oneExpanderLine("output", role) }

    @Test(arguments: OutputRole.allCases)
    func everyOutputRoleIsRefusedOrAcceptedOnAnExpanderByTheRule(role: OutputRole) {
        let problems = boardProblems(Self.oneExpanderOutput(role.name))
        if role.mayBeOnExpander {
            #expect(problems == [])
        } else {
            #expect(problems.count == 1 && problems[0].hasPrefix("board.toml: output[0].expander = \"x1\" cannot drive \(role.name):"), "\(problems)")
        }
    }

    @Test func aCopyOfARefusedRoleIsNamedWithItsNumber() {
        #expect(boardProblems(Self.oneExpanderOutput("sos.green.2")).first?.hasPrefix("board.toml: output[0].expander = \"x1\" cannot drive sos.green.2:") == true)
    }

    /// The rule of `InputRole.mayBeOnExpander`: inputs whose silent level is safe or raises an alarm.
    @Test func onlyInputsWhoseSilentLevelHidesNothingMayBeOnAnExpander() {
        #expect(InputRole.allCases.filter { !$0.mayBeOnExpander } == [.sosButton, .cabinetDoor, .batteryLow])
        #expect(InputRole.allCases.filter { $0.sensedLamp != nil }.allSatisfy { $0.mayBeOnExpander })
    }

    /// The end of every input refusal: the roles that may be on an expander.
    static let inputsAllowed = "only ped.button, ped.kerb, ped.crossing, mains.ok, fault.reset, lamp.<output role> may be on an expander (docs/configuration.md)"
    static let sosButtonRefusal = "a press while the expander is silent is lost (a GPIO line latches it), and the person at the SOS post is left alone; \(inputsAllowed)"
    static let cabinetDoorRefusal = "while the expander is silent the door reads shut, and a break-in is hidden; \(inputsAllowed)"
    static let batteryLowRefusal = "while the expander is silent the battery reads fine, and a failing battery is hidden; \(inputsAllowed)"

    /// A board with one input, `role`, on expander x1's GPA3.
    static func oneExpanderInput(_ role: String) -> String { oneExpanderLine("input", role) }

    @Test(arguments: InputRole.allCases)
    func everyInputRoleIsRefusedOrAcceptedOnAnExpanderByTheRule(role: InputRole) throws {
        let text = Self.oneExpanderInput(role.name)
        if role.mayBeOnExpander {
            let b = try board(text)
            #expect(b.inputs.map(\.roleName) == [role.name] && b.inputs[0].address == LineAddress.expanderPin(expander: "x1", pin: 3))
        } else {
            let problems = boardProblems(text)
            #expect(problems.count == 1, "\(problems)")
            #expect(problems.first?.hasPrefix("board.toml: input[0].expander = \"x1\" cannot read \(role.name): ") == true, "\(problems)")
            #expect(problems.first?.hasSuffix(Self.inputsAllowed) == true, "\(problems)")
        }
    }

    /// Each refused role, a copy among them, names its own hazard; every one is reported, and the same roles
    /// on GPIO lines load.
    @Test func refusedInputsNameTheRoleTheCopyAndWhatASilentExpanderWouldHide() throws {
        let text = """
            name = "t"
            chip = "c"
            [[input]]
            role = "sos.button"
            line = "GPIO5"
            [[input]]
            role = "sos.button.2"
            expander = "x1"
            pin = "GPA0"
            [[input]]
            role = "cabinet.door"
            expander = "x1"
            pin = "GPA1"
            [[input]]
            role = "battery.low"
            expander = "x1"
            pin = "GPB0"
            [[input]]
            role = "mains.ok"
            expander = "x1"
            pin = "GPB1"
            [[i2c]]
            part = "mcp23017"
            bus = "/dev/i2c-1"
            name = "x1"
            """
        #expect(boardProblems(text) == [
            "board.toml: input[1].expander = \"x1\" cannot read sos.button.2: \(Self.sosButtonRefusal)",
            "board.toml: input[2].expander = \"x1\" cannot read cabinet.door: \(Self.cabinetDoorRefusal)",
            "board.toml: input[3].expander = \"x1\" cannot read battery.low: \(Self.batteryLowRefusal)",
        ])
        let onGPIO = text
            .replacingOccurrences(of: "expander = \"x1\"\npin = \"GPA0\"", with: "line = \"GPIO6\"")
            .replacingOccurrences(of: "expander = \"x1\"\npin = \"GPA1\"", with: "line = \"GPIO7\"")
            .replacingOccurrences(of: "expander = \"x1\"\npin = \"GPB0\"", with: "line = \"GPIO8\"")
        let b = try board(onGPIO)
        #expect(b.inputs.map(\.address.description) == ["c/GPIO5", "c/GPIO6", "c/GPIO7", "c/GPIO8", "x1/GPB1"])
    }

    @Test func expanderTableRefusals() {
        let text = """
            name = "t"
            i2c_bus = "/dev/i2c-1"
            [[input]]
            role = "ped.button"
            expander = "x2"
            pin = "GPA0"
            [[i2c]]
            part = "mcp23017"
            address = 0x30
            name = "x2"
            [[i2c]]
            part = "mcp23017"
            address = 0x21
            role = "ped.button"
            poll = "1ms"
            [[i2c]]
            part = "mcp23017"
            address = 0x22
            name = "x 3"
            poll = "60ms"
            [[i2c]]
            part = "mcp23017"
            address = 0x23
            name = "x4"
            [[i2c]]
            part = "mcp23017"
            address = 0x24
            name = "x4"
            """
        // x2 has a problem of its own; the button on it is not also reported as naming an unknown expander.
        #expect(boardProblems(text) == [
            "board.toml: i2c[0].address = 0x30 is not where an mcp23017 answers; its A2–A0 straps give 0x20–0x27",
            "board.toml: i2c[1].poll = 1 ms is outside 2 ms–50 ms (a press must not fall between two reads, and one read holds the bus for about 0.5 ms)",
            "board.toml: i2c[1].role is not taken by an mcp23017: its lines play roles in the [[input]] and [[output]] tables that name it (expander = \"…\", pin = \"GPA0\")",
            "board.toml: i2c[1].name is missing; name the expander (name = \"x1\") so [[input]] and [[output]] tables can place lines on it (expander = \"x1\")",
            "board.toml: i2c[2].poll = 60 ms is outside 2 ms–50 ms (a press must not fall between two reads, and one read holds the bus for about 0.5 ms)",
            "board.toml: i2c[2].name = \"x 3\" is not an expander name; use 1–32 of a–z A–Z 0–9 - _ (\"x1\")",
            "board.toml: i2c[4].name = \"x4\" is already the name of i2c[3]; give each expander its own name",
        ])
    }

    @Test func aLineOnAnExpanderOfABoardWithoutOneNamesWhatIsMissing() {
        let text = "name = \"t\"\n[[input]]\nrole = \"ped.button\"\nexpander = \"x1\"\npin = \"GPA0\"\n"
        #expect(boardProblems(text) == [
            "board.toml: input[0].expander = \"x1\" is not an expander of this board (it has no [[i2c]] table with part = \"mcp23017\")",
        ])
    }

    @Test func anExpanderSharesTheBusAddressRuleAndAcceptsItsStrapRange() throws {
        let text = """
            name = "t"
            i2c_bus = "/dev/i2c-1"
            [[i2c]]
            part = "mcp23017"
            name = "a"
            [[i2c]]
            part = "mcp23017"
            name = "b"
            [[i2c]]
            part = "mcp23017"
            name = "c"
            address = 0x27
            poll = "50ms"
            """
        #expect(boardProblems(text) == [
            "board.toml: i2c[1].address = 0x20 on /dev/i2c-1 is already used by i2c[0]; give each part its own address (most have address pins)",
        ])
        let b = try board(text.replacingOccurrences(of: "name = \"b\"", with: "name = \"b\"\naddress = 0x21\npoll = \"2ms\""))
        #expect(b.i2c.map(\.address) == [0x20, 0x21, 0x27] && b.i2c.map(\.pollMs) == [5, 2, 50])
        #expect(!b.hasExpanderLines && b.roleNames(servedBy: b.i2c[0]) == "expander a (no lines)")
    }

    /// The reference boards carry the cabinet's expander as commented-out tables: uncommented, they load.
    @Test(arguments: ["rpi4b", "rpi5", "rpi-zero2w"])
    func theReferenceBoardsExpanderTablesLoadWhenUncommented(boardName: String) throws {
        let path = repositoryRoot.appendingPathComponent("boards/\(boardName).toml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let part = try #require(lines.firstIndex(of: "# part = \"mcp23017\""), "no commented-out mcp23017 table")
        let start = try #require(lines[..<part].lastIndex { $0.hasPrefix("# [[i2c]]") })
        let end = try #require(lines[part...].firstIndex { $0.hasPrefix("# ====") })
        let block = lines[start..<end].map { $0 == "#" ? "" : String($0.dropFirst(2)) }
        #expect(block.allSatisfy { !$0.hasPrefix("#") }, "a prose line in the expander block: \(block)")
        let b = try TOMLDocument.parse(text + "\n" + block.joined(separator: "\n"), file: path).flatMap { BoardConfig.load($0, file: path) }.get()
        let expander = try #require(b.i2c.first { $0.part == .mcp23017 })
        #expect(expander.address == 0x20 && expander.expanderName == "x1")
        #expect(b.inputs.first { $0.roleName == "ped.button.2" }?.address == LineAddress.expanderPin(expander: "x1", pin: 0))
        #expect(b.outputs.first { $0.roleName == "aps.locator" }?.address == LineAddress.expanderPin(expander: "x1", pin: 2))
        #expect(b.roleNames(servedBy: expander) == "ped.button.2, aps.locator")
    }
}
