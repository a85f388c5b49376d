import CrossguardCore
import Glibc

/// Reads TOML files into the core's `ConfigTable`. This is the only module that knows TOML; every rule
/// about what the values mean lives in the core.
public enum TOMLDocument {
    /// Parses TOML text. A syntax error names the file, line and column.
    public static func parse(_ text: String, file: String) -> Result<ConfigTable, ConfigErrors> {
        TOMLReader.parse(text).mapError { ConfigErrors([ConfigProblem(file: file, key: "", message: $0.description)]) }
    }

    /// Reads and parses a file. A missing or unreadable file is a problem naming the path.
    public static func load(path: String) -> Result<ConfigTable, ConfigErrors> {
        let bytes: [UInt8]
        switch readFile(path) {
        case .success(let read): bytes = read
        case .failure(let error):
            let message = switch error.code {
            case ENOENT: "does not exist"
            case EACCES: "cannot be read (check its permissions)"
            case EFBIG: "is larger than 1 MiB, which no configuration file is"
            default: "cannot be read: \(String(cString: strerror(error.code)))"
            }
            return .failure(ConfigErrors([ConfigProblem(file: path, key: "", message: message)]))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(ConfigErrors([ConfigProblem(file: path, key: "", message: "is not UTF-8 text")]))
        }
        return parse(text, file: path)
    }

    /// A whole file's bytes (at most 1 MiB: a configuration file is a few KiB), or the errno that stopped it.
    private static func readFile(_ path: String) -> Result<[UInt8], Errno> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Errno(errno)) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { return .failure(Errno(EISDIR)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return .failure(Errno(errno)) }
            if n == 0 { return .success(bytes) }
            bytes += chunk[0..<n]
            if bytes.count > 1 << 20 { return .failure(Errno(EFBIG)) }
        }
    }

    /// An errno as an error value.
    private struct Errno: Error {
        let code: Int32
        init(_ code: Int32) { self.code = code }
    }
}
