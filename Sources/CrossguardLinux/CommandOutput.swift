import CLinuxShim
import Glibc

/// Runs a short command (`systemctl show …`) and collects what it prints, for `diag`'s checks of things only
/// a tool can say. Not for the tick path: it spawns a process and waits for it (at most `timeoutMs`).
public enum CommandOutput {
    /// The command's exit status and standard output (at most `limit` bytes; standard error is discarded),
    /// or nil when it could not be started (not installed) or did not finish within `timeoutMs` (it is then
    /// killed). `arguments[0]` is looked up on PATH.
    public static func run(_ arguments: [String], limit: Int = 65_536, timeoutMs: Int = 2_000) -> (status: Int32, output: String)? {
        guard !arguments.isEmpty else { return nil }
        var pipeEnds: [Int32] = [0, 0]
        guard cg_pipe_cloexec(&pipeEnds) == 0 else { return nil }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The child's stdout is a dup2 of the write end, which does not close on exec.
        posix_spawn_file_actions_adddup2(&actions, writeEnd, STDOUT_FILENO)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
        close(writeEnd)
        defer { close(readEnd) }
        guard spawned == 0 else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let deadline = MonotonicTickClock.nowNs() + UInt64(timeoutMs) * 1_000_000
        var timedOut = false
        while true {
            let now = MonotonicTickClock.nowNs()
            guard now < deadline else { timedOut = true; break }
            var ready = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let n = poll(&ready, 1, Int32(min(1_000, (deadline - now) / 1_000_000 + 1)))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { continue }
            let got = read(readEnd, &chunk, chunk.count)
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            if bytes.count < limit { bytes += chunk[0..<min(got, limit - bytes.count)] }
        }
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return nil }
        // WIFEXITED / WEXITSTATUS, which Swift does not import: a normal exit leaves the low 7 bits zero.
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, String(decoding: bytes, as: UTF8.self))
    }
}
