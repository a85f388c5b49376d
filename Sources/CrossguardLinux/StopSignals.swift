import Glibc

/// SIGTERM and SIGINT as a stop request, with no global flag: both are blocked in the calling thread (and
/// so in every thread started after it, which inherit the mask), and one thread of their own takes them
/// with `sigwait` and calls `onStop`, an ordinary function on an ordinary thread. Call it first, before any
/// other thread starts, or a thread started earlier may take the signal and end the process.
public enum StopSignals {
    /// Delivers the first SIGTERM or SIGINT to `onStop` (later ones too: each calls it again).
    public static func deliver(to onStop: @escaping @Sendable () -> Void) {
        // An ignored signal is discarded before sigwait could take it, and a parent may have left either
        // ignored across exec: both get their default disposition (they are blocked next, so it never acts).
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let box = Unmanaged.passRetained(Waiter(set: set, onStop: onStop)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            let waiter = Unmanaged<Waiter>.fromOpaque(raw!).takeRetainedValue()
            var set = waiter.set
            var signal: Int32 = 0
            while sigwait(&set, &signal) == 0 { waiter.onStop() }
            return nil
        }, box)
        pthread_detach(thread)
    }

    private final class Waiter {
        let set: sigset_t
        let onStop: @Sendable () -> Void
        init(set: sigset_t, onStop: @escaping @Sendable () -> Void) {
            self.set = set
            self.onStop = onStop
        }
    }
}
