#define _GNU_SOURCE
#include "crossguard_linux.h"

#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/timex.h>

int cg_set_timerslack_ns(unsigned long ns) {
    return prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0) == 0 ? 0 : -errno;
}

int cg_watchdog_set_timeout(int fd, int *seconds) {
    return ioctl(fd, WDIOC_SETTIMEOUT, seconds) == 0 ? 0 : -errno;
}

int cg_watchdog_keepalive(int fd) {
    int dummy = 0;
    return ioctl(fd, WDIOC_KEEPALIVE, &dummy) == 0 ? 0 : -errno;
}

int cg_clock_synchronised(void) {
    struct timex tx = {0};  /* modes 0: read only */
    int state = adjtimex(&tx);
    if (state < 0) return -errno;
    return state == TIME_ERROR ? 0 : 1;
}

int cg_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0) == 0 ? 0 : -errno;
}

int cg_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}
