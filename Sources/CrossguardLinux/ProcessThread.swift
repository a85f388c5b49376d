import CLinuxShim
import Glibc

/// A detached thread of this process with a name `top -H` and `ps -L` show (the kernel keeps 15 bytes of
/// it), for the daemon's tick, sensor and uplink threads and the bench's tick.
public enum ProcessThread {
    /// Runs `body` on a new thread named `name`. Returns false when the system has no thread to give.
    @discardableResult
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        final class Start {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) { (self.name, self.body) = (name, body) }
        }
        let raw = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let code = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            _ = cg_set_thread_name(start.name)
            start.body()
            return nil
        }, raw)
        guard code == 0 else {
            Unmanaged<Start>.fromOpaque(raw).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
