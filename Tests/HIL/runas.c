/*
 * runas UID GID PROGRAM [ARG...]: runs PROGRAM as UID:GID with no supplementary groups, for the HIL
 * checks of what an unprivileged user meets (the guest's busybox has no setpriv --reuid and its su
 * cannot read the guest's users). Built static by scripts/hil.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: runas UID GID PROGRAM [ARG...]\n");
        return 2;
    }
    uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
    gid_t gid = (gid_t)strtoul(argv[2], NULL, 10);
    if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        perror("runas");
        return 2;
    }
    execv(argv[3], argv + 3);
    perror(argv[3]);
    return 127;
}
