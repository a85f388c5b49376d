/*
 * crossguard_gpiod_v1.c - the shim's primitives on libgpiod 1.x (uAPI v1); compiles to nothing on 2.x.
 *
 * Real-time paths (cg_get_values, cg_set_values, cg_drain_edges): no allocation, no blocking. Each input
 * line has its own event fd, set O_NONBLOCK at request time; a drain is one poll(..., 0) over all of them
 * plus a read of each ready fd. Outputs are requested as one handle per group of lines sharing
 * active_low and bias (uAPI v1 flags are per handle).
 */
#include "cg_gpiod_internal.h"

#if CG_API == 1

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

#define CG_V1_GROUPS 8 /* (active_low: 2) x (bias: 4) */

struct cg_request {
    unsigned n;
    int input;
    unsigned offsets[CG_MAX_LINES];
    struct gpiod_chip *chip;
    struct gpiod_line *lines[CG_MAX_LINES];
    unsigned ngroups;                           /* outputs: one handle per flag group */
    unsigned char group[CG_MAX_LINES];          /* outputs: line i -> its group */
    struct gpiod_line_bulk bulk[CG_V1_GROUPS];
    struct pollfd pfd[CG_MAX_LINES];            /* inputs: one event fd per line */
};

const char *cg_gpiod_version(void) {
    return gpiod_version_string();
}

/* Label and number of lines of an open chip. 0 or -errno. */
int cg_chip_props(struct gpiod_chip *c, char *label, size_t len, unsigned *nlines) {
    cg_copy(label, len, gpiod_chip_label(c));
    *nlines = gpiod_chip_num_lines(c);
    return 0;
}

/* Name of line `off` ("" if unnamed), and whether it is used and by whom (consumer may be NULL).
 * Fresh from the kernel. Returns 0 or -errno. */
int cg_line_props(struct gpiod_chip *c, unsigned off, char *name, size_t name_len, int *used,
                      char *consumer, size_t cons_len) {
    struct gpiod_line *l = gpiod_chip_get_line(c, off);
    if (l == NULL || gpiod_line_update(l) < 0) return -errno;
    cg_copy(name, name_len, gpiod_line_name(l));
    if (used) *used = gpiod_line_is_used(l);
    cg_copy(consumer, cons_len, gpiod_line_consumer(l));
    return 0;
}

cg_request *cg_api_request(int input, struct gpiod_chip *c, const char *chip_path, const char *consumer,
                           unsigned n, const cg_line_settings *lines, int *err_no, char *err, size_t err_len) {
    int rc;
    cg_request *r = calloc(1, sizeof *r);
    if (r == NULL) {
        gpiod_chip_close(c);
        *err_no = ENOMEM;
        cg_fail(ENOMEM, err, err_len, cg_base(chip_path));
        return NULL;
    }
    r->n = n;
    r->input = input;
    for (unsigned i = 0; i < n; i++) r->offsets[i] = lines[i].offset;

    r->chip = c;
    for (unsigned i = 0; i < n; i++) {
        r->lines[i] = gpiod_chip_get_line(c, lines[i].offset);
        if (r->lines[i] == NULL) {
            rc = errno;
            cg_request_failure(chip_path, &lines[i].offset, 1, rc, err, err_len);
            goto fail;
        }
    }
    static const int bias_flag[] = {0, GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE, GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP,
                                    GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN};
    if (input) {
        /* uAPI v1: one event request (and fd) per line. */
        for (unsigned i = 0; i < n; i++) {
            struct gpiod_line_request_config cfg = {
                consumer, GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES,
                bias_flag[lines[i].bias] | (lines[i].active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0)};
            if (gpiod_line_request(r->lines[i], &cfg, 0) < 0) {
                rc = errno;
                cg_request_failure(chip_path, &lines[i].offset, 1, rc, err, err_len);
                goto fail;
            }
            int fd = gpiod_line_event_get_fd(r->lines[i]);
            int fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);
            if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                rc = errno ? errno : EBADF;
                cg_request_failure(chip_path, &lines[i].offset, 1, rc, err, err_len);
                goto fail;
            }
            r->pfd[i].fd = fd;
            r->pfd[i].events = POLLIN;
        }
    } else {
        /* uAPI v1 flags apply to a whole handle: one handle per (active_low, bias) group. */
        int key_group[CG_V1_GROUPS];
        int group_flags[CG_V1_GROUPS];
        for (unsigned g = 0; g < CG_V1_GROUPS; g++) key_group[g] = -1;
        for (unsigned g = 0; g < CG_V1_GROUPS; g++) gpiod_line_bulk_init(&r->bulk[g]);
        for (unsigned i = 0; i < n; i++) {
            unsigned key = (lines[i].active_low ? 4u : 0u) + (unsigned)lines[i].bias;
            if (key_group[key] < 0) {
                key_group[key] = (int)r->ngroups;
                group_flags[r->ngroups] =
                    bias_flag[lines[i].bias] | (lines[i].active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0);
                r->ngroups++;
            }
            r->group[i] = (unsigned char)key_group[key];
            gpiod_line_bulk_add(&r->bulk[key_group[key]], r->lines[i]);
        }
        for (unsigned g = 0; g < r->ngroups; g++) {
            int init[CG_MAX_LINES];
            unsigned offs[CG_MAX_LINES], k = 0;
            for (unsigned i = 0; i < n; i++) {
                if (r->group[i] != g) continue;
                init[k] = lines[i].initial ? 1 : 0;
                offs[k++] = lines[i].offset;
            }
            struct gpiod_line_request_config cfg = {consumer, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, group_flags[g]};
            if (gpiod_line_request_bulk(&r->bulk[g], &cfg, init) < 0) {
                rc = errno;
                cg_request_failure(chip_path, offs, k, rc, err, err_len);
                goto fail;
            }
        }
    }
    return r;
fail:
    *err_no = rc;
    gpiod_chip_close(c); /* releases whatever was requested */
    free(r);
    return NULL;
}

unsigned cg_request_num_lines(const cg_request *r) { return r ? r->n : 0; }

void cg_release(cg_request *r) {
    if (r == NULL) return;
    if (r->chip) gpiod_chip_close(r->chip);
    free(r);
}

/* ------------------------------------------------------------ per tick ---- */

int cg_get_values(cg_request *r, int *values) {
    if (r == NULL || values == NULL) return -EINVAL;
    if (r->input) {
        for (unsigned i = 0; i < r->n; i++) {
            int v = gpiod_line_get_value(r->lines[i]);
            if (v < 0) return -errno;
            values[i] = v;
        }
        return 0;
    }
    for (unsigned g = 0; g < r->ngroups; g++) {
        int v[CG_MAX_LINES];
        if (gpiod_line_get_value_bulk(&r->bulk[g], v) < 0) return -errno;
        for (unsigned i = 0, k = 0; i < r->n; i++)
            if (r->group[i] == g) values[i] = v[k++];
    }
    return 0;
}

int cg_set_values(cg_request *r, const int *values) {
    if (r == NULL || values == NULL) return -EINVAL;
    if (r->input) return -EPERM;
    for (unsigned g = 0; g < r->ngroups; g++) {
        int v[CG_MAX_LINES];
        unsigned k = 0;
        for (unsigned i = 0; i < r->n; i++)
            if (r->group[i] == g) v[k++] = values[i] ? 1 : 0;
        if (gpiod_line_set_value_bulk(&r->bulk[g], v) < 0) return -errno;
    }
    return 0;
}

/* Reads per call are bounded so a line that toggles without pause cannot hold the tick thread. */
#define CG_DRAIN_ROUNDS 4

int cg_drain_edges(cg_request *r, unsigned *counts) {
    if (r == NULL || counts == NULL) return -EINVAL;
    if (!r->input) return -EPERM;
    int total = 0;
    int ready = poll(r->pfd, r->n, 0);
    if (ready < 0) return errno == EINTR ? 0 : -errno; /* EINTR: the events wait for the next drain */
    for (unsigned i = 0; ready > 0 && i < r->n; i++) {
        short re = r->pfd[i].revents;
        if (re == 0) continue;
        ready--;
        if (re & (POLLERR | POLLNVAL)) return -EIO;
        for (int round = 0; round < CG_DRAIN_ROUNDS; round++) {
            struct gpiod_line_event ev[16]; /* the v1 kernel FIFO holds 16 */
            int k = gpiod_line_event_read_fd_multiple(r->pfd[i].fd, ev, 16);
            if (k < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                return -errno;
            }
            counts[i] += (unsigned)k;
            total += k;
            if (k < 16) break;
        }
    }
    return total;
}

#endif /* CG_API == 1 */
