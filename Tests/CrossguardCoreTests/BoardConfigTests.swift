import CrossguardCore
import CrossguardTOML
import Foundation
import Testing

@Suite("Board validation")
struct BoardConfigTests {
    @Test func everyShippedBoardValidatesAndServesTheExampleSites() throws {
        let boards = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("boards").path)
            .filter { $0.hasSuffix(".toml") }.sorted()
        #expect(boards.count >= 4, "\(boards)")  // sim and the three Raspberry Pi boards
        for board in boards.map({ "boards/" + $0 }) + ["Tests/HIL/board.toml"] {
            let boardPath = repositoryRoot.appendingPathComponent(board).path
            guard FileManager.default.fileExists(atPath: boardPath) else { continue }
            for site in ["site.toml", "site-us.toml", "site-uk.toml", "site-phb.toml", "site-beacon.toml", "sos-post.toml"] {
                let sitePath = repositoryRoot.appendingPathComponent("examples/" + site).path
                let result = DeviceFiles.load(boardPath: boardPath, sitePath: sitePath)
                switch result {
                case .success: break
                case .failure(let errors):
                    // The reference cabinet has one vehicle red per approach, not a hybrid beacon's right-hand red
                    // (docs/wiring.md), and the HIL board only the lines its checks use.
                    let expected = site == "site-phb.toml" && board.contains("rpi") && errors.description.contains("vehicle.red.right")
                    #expect(expected || board.hasPrefix("Tests/HIL"), "\(board) with \(site): \(errors)")
                }
            }
        }
    }

    /// The HIL board with its own site (the pair scripts/hil runs in the VM): the loop above accepts any error
    /// from it with the example sites, so a refusal only this pair would show is caught here, before a VM boots.
    @Test func theHILBoardServesTheHILSite() throws {
        let result = DeviceFiles.load(
            boardPath: repositoryRoot.appendingPathComponent("Tests/HIL/board.toml").path,
            sitePath: repositoryRoot.appendingPathComponent("Tests/HIL/site.toml").path)
        let files = try result.get()
        // The vehicle red is sensed by the INA226 the (h) checks blow, so the monitor counts red lamps.
        #expect(files.board.inputRoles.contains(.lampVehicleRed))
        #expect(files.board.i2c.contains { $0.part == .ina226 && $0.role == .lampVehicleRed })
    }

    @Test func theRolesTableInTheDocsListsEveryRoleAndNoOther() throws {
        let doc = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let section = try #require(doc.components(separatedBy: "### Roles").dropFirst().first?.components(separatedBy: "\nA line is found").first)
        // Every `name` in the first column of the two tables.
        var documented: Set<String> = []
        for row in section.split(separator: "\n") where row.hasPrefix("| `") {
            let first = row.split(separator: "|")[0]
            for part in first.split(separator: "`").enumerated() where part.offset % 2 == 1 { documented.insert(String(part.element)) }
        }
        var roles = Set(InputRole.allCases.filter { $0.sensedLamp == nil }.map(\.name) + OutputRole.allCases.map(\.name))
        roles.insert("lamp.<output role>")
        roles.insert(countdownRoleName)
        #expect(documented == roles, "missing from the docs: \(roles.subtracting(documented).sorted()); not roles: \(documented.subtracting(roles).sorted())")
    }

    @Test func eachPiBoardFileNamesItsModelAndKnowsItsOwnBoardFromTheOthers() throws {
        // /proc/device-tree/model as the three boards' firmware gives it.
        let real = ["rpi4b": "Raspberry Pi 4 Model B Rev 1.4", "rpi5": "Raspberry Pi 5 Model B Rev 1.0", "rpi-zero2w": "Raspberry Pi Zero 2 W Rev 1.0"]
        for (name, _) in real {
            let text = try String(contentsOf: repositoryRoot.appendingPathComponent("boards/\(name).toml"), encoding: .utf8)
            let b = try board(text)
            for (other, model) in real { #expect(b.isFor(deviceTreeModel: model) == (other == name), "\(name) on a \(model)") }
        }
        #expect(try simBoard().isFor(deviceTreeModel: "Raspberry Pi 5 Model B Rev 1.0") == nil)
        #expect(boardProblems("name = \"x\"\nmodel = \"\"") == [#"board.toml: model = "" is empty; give the start of the board's /proc/device-tree/model ("Raspberry Pi 5"), or leave model out"#])
    }

    @Test func shippedSimBoardWiresEveryRole() throws {
        let b = try simBoard()
        #expect(b.name == "sim")
        for role in InputRole.allCases where role.sensedLamp == nil { #expect(b.inputRoles.contains(role), "\(role.name)") }
        for role in OutputRole.allCases { #expect(b.outputRoles.contains(role), "\(role.name)") }
        #expect(b.hasCountdown)
        let button = try #require(b.inputs.first { $0.roleName == "ped.button" })
        #expect(button.activeLow && button.bias == .pullUp && button.debounceMs == 30)
        #expect(b.inputs.first { $0.roleName == "ped.button.2" }?.copy == 2)
        #expect(button.address == LineAddress.named("PED_BUTTON_A", chip: "crossguard-sim"))
    }

    @Test func unknownRoleListsTheKnownOnes() {
        #expect(boardProblems(boardText(inputs: ["ped.buton"], outputs: [])) == [
            "board.toml: input[0].role = \"ped.buton\" is not an input role (known: ped.button, ped.kerb, ped.crossing, sos.button, cabinet.door, mains.ok, battery.low, fault.reset, lamp.<output role>)",
        ])
    }

    @Test func anEmptyChipOrLineNameIsRefused() {
        #expect(boardProblems("name = \"test\"\n[[input]]\nrole = \"ped.button\"\nchip = \"\"\noffset = 3\n[[output]]\nrole = \"ped.wait\"\nline = \"\"\n") == [
            #"board.toml: input[0].chip = "" is empty; give the chip's label as gpiodetect shows it ("pinctrl-rp1"), or leave chip out to find the line by name"#,
            #"board.toml: output[0].line = "" is empty; give the line name ("GPIO17")"#,
        ])
    }

    @Test func roleInTheWrongDirection() {
        #expect(boardProblems(boardText(inputs: ["vehicle.red"], outputs: ["ped.button"])) == [
            "board.toml: input[0].role = \"vehicle.red\" is an output role; move it to an [[output]] table",
            "board.toml: output[0].role = \"ped.button\" is an input role; move it to an [[input]] table",
        ])
    }

    @Test func duplicateRoleAndCopyNumbers() {
        #expect(boardProblems(boardText(inputs: ["ped.button", "ped.button", "ped.button.1", "ped.button.17"], outputs: [])) == [
            "board.toml: input[1].role = \"ped.button\" appears twice; number further copies (\"ped.button.2\")",
            "board.toml: input[2].role = \"ped.button.1\" has copy number 1; copies are numbered 2–16 (the first has no number)",
            "board.toml: input[3].role = \"ped.button.17\" has copy number 17; copies are numbered 2–16 (the first has no number)",
        ])
    }

    @Test func oneLineTwoRoles() {
        let text = "name = \"t\"\n[[input]]\nrole = \"ped.button\"\nline = \"GPIO17\"\n[[output]]\nrole = \"vehicle.red\"\nline = \"GPIO17\"\n"
        #expect(boardProblems(text) == ["board.toml: output[0].line = GPIO17 is already used by input[0]"])
    }

    @Test func lineAddressRules() {
        let text = """
            name = "t"
            [[input]]
            role = "ped.button"
            [[input]]
            role = "ped.kerb"
            offset = 4
            [[input]]
            role = "sos.button"
            line = "GPIO5"
            offset = 5
            [[output]]
            role = "vehicle.red"
            chip = "pinctrl-rp1"
            offset = 600
            """
        #expect(boardProblems(text) == [
            "board.toml: input[0].line is missing; give the line name (\"GPIO17\"), chip and offset, or expander and pin",
            "board.toml: input[1].chip is missing; an offset needs the chip label (\"pinctrl-rp1\") here or at the top of the file",
            "board.toml: input[2].offset is given together with line = \"GPIO5\"; name the line or give chip and offset, not both",
            "board.toml: output[0].offset = 600 is outside 0–511",
        ])
    }

    @Test func i2cPartsPlayRolesAndTakeTheirDefaults() throws {
        let b = try board("""
            name = "t"
            chip = "c"
            i2c_bus = "/dev/i2c-1"
            [[input]]
            role = "ped.button"
            offset = 1
            [[i2c]]
            part = "vl53l0x"
            role = "ped.kerb"
            far_mm = 1200
            [[i2c]]
            part = "vl53l0x"
            address = 0x30
            role = "ped.kerb.2"
            near_mm = 100
            far_mm = 900
            hysteresis_mm = 80
            poll = "100ms"
            [[i2c]]
            part = "ina226"
            bus = "/dev/i2c-3"
            role = "lamp.vehicle.red"
            shunt_mohm = 100
            lit_above_ma = 40
            [[i2c]]
            part = "veml7700"
            [[i2c]]
            part = "ht16k33"
            """)
        #expect(b.i2c.count == 5)
        #expect(b.i2c[0] == I2CDeviceConfig(part: .vl53l0x, bus: "/dev/i2c-1", address: 0x29, role: .pedKerb,
                                            function: .presence(nearMm: 30, farMm: 1200, hysteresisMm: 50), pollMs: 50))
        #expect(b.i2c[1].copy == 2 && b.i2c[1].address == 0x30 && b.i2c[1].pollMs == 100)
        #expect(b.i2c[1].function == .presence(nearMm: 100, farMm: 900, hysteresisMm: 80))
        #expect(b.i2c[2] == I2CDeviceConfig(part: .ina226, bus: "/dev/i2c-3", address: 0x40, role: .lampVehicleRed,
                                            function: .lampCurrent(shuntMilliohm: 100, litAboveMa: 40, darkBelowMa: 20), pollMs: 50))
        #expect(b.i2c[3].function == .ambientLight && b.i2c[3].address == 0x10 && b.i2c[3].pollMs == 1_000)
        #expect(b.i2c[4].function == .countdown && b.i2c[4].address == 0x70 && b.i2c[4].roleName == "ped.countdown")
        #expect(b.hasCountdown)
        #expect(b.inputRoles.contains(.pedKerb) && b.inputRoles.contains(.lampVehicleRed))
        #expect(b.i2c[2].label == "ina226 at 0x40 on /dev/i2c-3")
    }

    @Test func i2cProblemsNameTheTableAndKey() {
        let text = """
            name = "t"
            [[i2c]]
            part = "vl53l1x"
            bus = "/dev/i2c-1"
            [[i2c]]
            part = "vl53l0x"
            role = "ped.button"
            far_mm = 3000
            [[i2c]]
            part = "ina219"
            bus = "/dev/i2c-1"
            role = "lamp.vehicle.red"
            lit_above_ma = 40
            dark_below_ma = 40
            [[i2c]]
            part = "veml7700"
            bus = "/dev/i2c-1"
            address = 0x40
            [[i2c]]
            part = "veml7700"
            bus = "i2c-1"
            address = 0x7f
            role = "ped.kerb"
            [[i2c]]
            part = "ht16k33"
            bus = "/dev/i2c-1"
            [[output]]
            role = "ped.countdown"
            """
        #expect(boardProblems(text) == [
            "board.toml: i2c[0].part = \"vl53l1x\" is not a part this build drives (vl53l0x, ina219, ina226, veml7700, ht16k33, mcp23017)",
            "board.toml: i2c[1].bus is missing; give the bus device (\"/dev/i2c-1\") here or as i2c_bus at the top of the file",
            "board.toml: i2c[1].role = \"ped.button\" is not a presence role; a vl53l0x plays ped.kerb or ped.crossing",
            "board.toml: i2c[1].far_mm = 3000 must be above near_mm (30) and at most 2000 mm (the VL53L0X ranges to about 2 m)",
            "board.toml: i2c[2].shunt_mohm is missing; the shunt resistor in milliohms (100 on most INA219 boards)",
            "board.toml: i2c[2].dark_below_ma = 40 must be at least 0 and below lit_above_ma (40), so a lamp at the threshold does not flicker between lit and dark",
            "board.toml: i2c[3].address = 0x40 is not where a veml7700 answers; its address is fixed at 0x10",
            "board.toml: i2c[4].bus = \"i2c-1\" is not a device path (\"/dev/i2c-1\")",
            "board.toml: i2c[4].address = 127 is outside the 7-bit device addresses 0x08–0x77",
            "board.toml: i2c[4].role is not taken by a veml7700: it is the ambient light sensor",
            "board.toml: i2c[5].role = \"ped.countdown\" appears twice; a board has one countdown display (an [[output]] for the simulator or an [[i2c]] ht16k33)",
        ])
    }

    @Test func i2cAddressesAreNotShared() {
        let text = """
            name = "t"
            i2c_bus = "/dev/i2c-1"
            [[i2c]]
            part = "ina219"
            role = "lamp.vehicle.red"
            shunt_mohm = 100
            lit_above_ma = 40
            [[i2c]]
            part = "ina226"
            role = "lamp.vehicle.red.2"
            shunt_mohm = 100
            lit_above_ma = 40
            [[i2c]]
            part = "veml7700"
            [[i2c]]
            part = "veml7700"
            bus = "/dev/i2c-2"
            """
        #expect(boardProblems(text) == [
            "board.toml: i2c[1].address = 0x40 on /dev/i2c-1 is already used by i2c[0]; give each part its own address (most have address pins)",
            "board.toml: i2c[3].part = \"veml7700\" is a second light sensor (the first is veml7700 at 0x10 on /dev/i2c-1); the night logic reads one",
        ])
    }

    @Test func biasAndDebounce() {
        let text = "name = \"t\"\nchip = \"c\"\n[[input]]\nrole = \"ped.button\"\noffset = 1\nbias = \"up\"\ndebounce = \"2s\"\n"
        #expect(boardProblems(text) == [
            "board.toml: input[0].bias = \"up\" is not a bias; use one of: as-is, pull-up, pull-down, disabled",
            "board.toml: input[0].debounce = 2 s is outside 0 s–1 s (a press would be missed)",
        ])
    }

    @Test func boardMustWireWhatTheSiteNeeds() throws {
        let b = try board(boardText(inputs: ["sos.button"], outputs: ["vehicle.red", "vehicle.green", "sos.yellow"]))
        let s = try site(baseSite + "\n[sos]\n")
        #expect(b.problems(for: s, boardFile: "board.toml", siteFile: "site.toml").map(\.description) == [
            "board.toml: has no vehicle.amber, ped.dont_walk, ped.walk; profile \"signalized\" in site.toml needs them",
            "board.toml: has no ped.button or ped.kerb input; profile \"signalized\" in site.toml needs it",
            "board.toml: has no sos.green; the [sos] table in site.toml needs it",
        ])
    }
}

@Suite("check-config --json")
struct ConfigJSONTests {
    @Test func theResolvedConfigurationParsesAndCarriesTheDerivedTimings() throws {
        let s = try shippedSite("site.toml"), b = try simBoard()
        let text = ConfigJSON.render(site: s, board: b)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == true)
        let board = try #require(object["board"] as? [String: Any]), site = try #require(object["site"] as? [String: Any])
        #expect((board["inputs"] as? [Any])?.count == b.inputs.count)
        #expect((board["outputs"] as? [Any])?.count == b.outputs.count)
        let crossing = try #require(site["crossing"] as? [String: Any])
        // The clearance is the loader's, derived from the length when the file gives less.
        #expect(crossing["clearance_ms"] as? Int == s.crossing?.clearance.value)
        #expect(crossing["min_green_ms"] as? Int == s.crossing?.minGreen.value)
        #expect(site["profile"] as? String == "signalized")
    }

    @Test func problemsComeOutAsJSONWithTheirKeys() throws {
        let errors = ConfigErrors([ConfigProblem(file: "site.toml", key: "crossing.walk", message: "= \"3s\" is below the 7 s minimum")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(ConfigJSON.render(errors).utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let problem = try #require((object["problems"] as? [[String: Any]])?.first)
        #expect(problem["key"] as? String == "crossing.walk")
        #expect(problem["message"] as? String == "= \"3s\" is below the 7 s minimum")
    }
}
