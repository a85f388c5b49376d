import CrossguardArguments
import CrossguardCLI
import CrossguardCore
import CrossguardTOML

/// `crossguard check-config`: validates a board and a site together and prints the derived timings.
struct CheckConfig: CLICommand {
    static let spec = CommandSpec(
        name: "check-config",
        abstract: "Validate a board and a site file and print the timing table the controller will run.",
        discussion: "Every problem in either file is listed, each naming the file, the key, the value and the rule. Exits 1 if there is any.",
        options: DeviceOptions.options + [
            .flag("json", help: "Print the resolved configuration as JSON (lines, I2C parts with defaults, every timing in ms), or the problems."),
            .flag("keys", help: "Print every site-file and board-file key (default, range, rule) as the Markdown tables of docs/configuration.md, and read no file."),
        ])

    let files: DeviceOptions
    let json: Bool
    let keys: Bool

    init(_ arguments: ParsedArguments) {
        files = DeviceOptions(arguments)
        json = arguments.flag("json")
        keys = arguments.flag("keys")
    }

    func run() throws {
        if keys {
            let site = SiteKeys.documentedTables.map { "[\($0.title)]\n" + SiteKeys.markdown($0.tables) }
            let board = BoardKeys.documentedTables.map { "[board: \($0.title)]\n" + SiteKeys.markdown($0.tables, keys: BoardKeys.all) }
            print((site + board).joined(separator: "\n\n"))
            return
        }
        let loaded = DeviceFiles.load(boardPath: files.boardPath(), sitePath: files.sitePath())
        if json {
            switch loaded {
            case .success(let device): print(ConfigJSON.render(site: device.site, board: device.board))
            case .failure(let errors):
                print(ConfigJSON.render(errors))
                throw ExitCode(1)
            }
            return
        }
        switch loaded {
        case .success(let device):
            print("\(device.boardPath): board \(device.board.name), \(device.board.inputs.count) inputs, \(device.board.outputs.count) outputs\(device.board.hasCountdown ? ", countdown display" : "")")
            print("\(device.sitePath): valid\n")
            print(TimingTable.render(device.site))
        case .failure(let errors):
            printError(errors)
            throw ExitCode(1)
        }
    }
}
