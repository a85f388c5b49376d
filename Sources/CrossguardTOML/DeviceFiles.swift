import CrossguardCore

/// A site and the board it runs on, loaded and validated together: each file on its own, then the
/// board against what the site needs. Every problem of both files is reported at once.
public struct DeviceFiles: Sendable {
    public var site: SiteConfig
    public var board: BoardConfig
    public var sitePath: String
    public var boardPath: String

    /// Loads both files; the error lists every problem found in either.
    public static func load(boardPath: String, sitePath: String) -> Result<DeviceFiles, ConfigErrors> {
        var problems: [ConfigProblem] = []
        var board: BoardConfig?
        var site: SiteConfig?
        switch TOMLDocument.load(path: boardPath).flatMap({ BoardConfig.load($0, file: boardPath) }) {
        case .success(let b): board = b
        case .failure(let e): problems += e.problems
        }
        switch TOMLDocument.load(path: sitePath).flatMap({ SiteConfig.load($0, file: sitePath) }) {
        case .success(let s): site = s
        case .failure(let e): problems += e.problems
        }
        if let board, let site {
            problems += board.problems(for: site, boardFile: boardPath, siteFile: sitePath)
        }
        guard problems.isEmpty, let board, let site else { return .failure(ConfigErrors(problems)) }
        return .success(DeviceFiles(site: site, board: board, sitePath: sitePath, boardPath: boardPath))
    }
}
