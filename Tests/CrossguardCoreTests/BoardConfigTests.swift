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

    @Test func shippedSimBoardWiresEveryRole() throws {
        let b = try simBoard()
        #expect(b.name == "sim")
        for role in InputRole.allCases where role.sensedLamp == nil { #expect(b.inputRoles.contains(role), "\(role.name)") }
        for role in OutputRole.allCases { #expect(b.outputRoles.contains(role), "\(role.name)") }
        #expect(b.hasCountdown)
        let button = try #require(b.inputs.first { $0.roleName == "ped.button" })
        #expect(button.activeLow && button.bias == .pullUp && button.debounceMs == 30)
        #expect(b.inputs.first { $0.roleName == "ped.button.2" }?.copy == 2)
        #expect(button.address == LineAddress(chip: "crossguard-sim", name: "PED_BUTTON_A", offset: nil))
    }

    @Test func unknownRoleListsTheKnownOnes() {
        #expect(boardProblems(boardText(inputs: ["ped.buton"], outputs: [])) == [
            "board.toml: input[0].role = \"ped.buton\" is not an input role (known: ped.button, ped.kerb, ped.crossing, sos.button, cabinet.door, mains.ok, battery.low, fault.reset, lamp.<output role>)",
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
            "board.toml: input[0].line is missing; give the line name (\"GPIO17\") or chip and offset",
            "board.toml: input[1].chip is missing; an offset needs the chip label (\"pinctrl-rp1\") here or at the top of the file",
            "board.toml: input[2].offset is given together with line = \"GPIO5\"; name the line or give chip and offset, not both",
            "board.toml: output[0].offset = 600 is outside 0–511",
        ])
    }

    @Test func biasAndDebounce() {
        let text = "name = \"t\"\nchip = \"c\"\n[[input]]\nrole = \"ped.button\"\noffset = 1\nbias = \"up\"\ndebounce = \"2s\"\n"
        #expect(boardProblems(text) == [
            "board.toml: input[0].bias = \"up\" is not a bias; use one of: as-is, pull-up, pull-down, disabled",
            "board.toml: input[0].debounce = 2 s is above 1 s; a press would be missed",
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
