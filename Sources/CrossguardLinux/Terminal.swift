import Glibc

/// The controlling terminal in raw mode for the interactive bench: keys arrive one at a time without
/// echo, and the original settings come back on `restore()` (also after Ctrl-C, which arrives as a key,
/// and after SIGTERM, which the caller turns into a stop).
public final class Terminal {
    private var original = termios()
    private var active = false

    /// Whether standard output is a terminal (the bench is interactive only then).
    public static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 && isatty(STDIN_FILENO) == 1 }

    /// Takes no action until `enterRawMode()`.
    public init() {}

    /// Switches stdin to raw mode and hides the cursor. Returns false when stdin is not a terminal.
    public func enterRawMode() -> Bool {
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return false }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else { return false }
        active = true
        write("\u{1B}[?25l\u{1B}[?1049h")  // hide cursor, alternate screen
        return true
    }

    /// Restores the terminal as it was. Safe to call more than once.
    public func restore() {
        guard active else { return }
        active = false
        write("\u{1B}[?1049l\u{1B}[?25h\u{1B}[0m")
        _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
    }

    /// Waits up to `timeoutMs` for input and returns the bytes typed (empty on timeout).
    public func readKeys(timeoutMs: Int32) -> [UInt8] {
        var fds = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&fds, 1, timeoutMs) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(STDIN_FILENO, &buffer, buffer.count)
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Writes text to stdout unbuffered.
    public func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if errno == EINTR { continue } else { return } }
            offset += n
        }
    }

    deinit { restore() }
}
