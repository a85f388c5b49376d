// Kernel calls Swift cannot make directly: prctl and ioctl are variadic in C, and Swift does not import
// variadic functions. Each wrapper is one call; it returns 0 or -errno.
#ifndef CROSSGUARD_LINUX_H
#define CROSSGUARD_LINUX_H

/// Sets the calling thread's timer slack (nanoseconds). The default 50 µs is most of a non-real-time
/// thread's wake-up lateness; the tick thread asks for 1 ns.
int cg_set_timerslack_ns(unsigned long ns);

/// Sets a hardware watchdog's timeout in seconds (WDIOC_SETTIMEOUT); the driver may round it, and
/// writes back what it chose into *seconds.
int cg_watchdog_set_timeout(int fd, int *seconds);

/// Pets a hardware watchdog (WDIOC_KEEPALIVE).
int cg_watchdog_keepalive(int fd);

/// Whether the kernel holds the system clock synchronised (adjtimex, read only; Swift's Glibc module does
/// not carry <sys/timex.h>): 1 yes, 0 no (TIME_ERROR), or -errno.
int cg_clock_synchronised(void);

/// Names the calling thread for `top -H` and `ps -L` (PR_SET_NAME; the kernel keeps the first 15 bytes).
int cg_set_thread_name(const char *name);

/// A pipe whose both ends close on exec, made in one step (pipe2 with O_CLOEXEC), so no other thread's
/// child inherits it. 0, or -errno.
int cg_pipe_cloexec(int fds[2]);

#endif
