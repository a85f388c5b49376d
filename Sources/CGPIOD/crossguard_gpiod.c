/*
 * crossguard_gpiod.c - libgpiod 1.x / 2.x shim behind crossguard_gpiod.h.
 *
 * The API is chosen at compile time: only libgpiod 1.x's <gpiod.h> defines
 * GPIOD_LINE_BULK_MAX_LINES. Without any <gpiod.h> every call fails with ENOSYS, so the package
 * still builds on machines without libgpiod-dev (link without -lgpiod there).
 *
 * Real-time paths (cg_get_values, cg_set_values, cg_drain_edges): no allocation, no blocking.
 *  - 1.x: each input line has its own event fd (uAPI v1), set O_NONBLOCK at request time; a drain
 *    is one poll(..., 0) over all of them plus a read of each ready fd. Outputs are requested as
 *    one handle per group of lines sharing active_low and bias (uAPI v1 flags are per handle).
 *  - 2.x: one request fd, set O_NONBLOCK at request time; a drain reads into an event buffer
 *    allocated at request time until the kernel has no more.
 */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "crossguard_gpiod.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__has_include)
#if __has_include(<gpiod.h>)
#define CG_HAVE_GPIOD 1
#else
#define CG_HAVE_GPIOD 0
#endif
#else
#define CG_HAVE_GPIOD 1
#endif

#if CG_HAVE_GPIOD
#include <gpiod.h>
#ifdef GPIOD_LINE_BULK_MAX_LINES
#define CG_API 1
#else
#define CG_API 2
#endif
#else
#define CG_API 0
#endif

#ifndef ENOTUNIQ
#define ENOTUNIQ EINVAL
#endif

/* ------------------------------------------------------------------ messages ---- */

static void cg_msg(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cg_msg(char *err, size_t err_len, const char *fmt, ...) {
    if (err == NULL || err_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static void cg_copy(char *dst, size_t len, const char *src) {
    if (dst == NULL || len == 0) return;
    snprintf(dst, len, "%s", src ? src : "");
}

int cg_gpiod_api_major(void) { return CG_API; }

#if !CG_HAVE_GPIOD
/* ------------------------------------------------------------ no libgpiod ---- */

const char *cg_gpiod_version(void) { return ""; }

#define CG_NOSYS(err, len) (cg_msg((err), (len), "built without libgpiod (no <gpiod.h>)"), -ENOSYS)

int cg_find_line(const char *chip_label, const char *name, int offset, char *chip_path, size_t path_len,
                 unsigned *out_offset, char *err, size_t err_len) {
    (void)chip_label, (void)name, (void)offset, (void)chip_path, (void)path_len, (void)out_offset;
    return CG_NOSYS(err, err_len);
}
int cg_line_consumer(const char *chip_path, unsigned offset, char *consumer, size_t len, char *err, size_t err_len) {
    (void)chip_path, (void)offset;
    cg_copy(consumer, len, "");
    return CG_NOSYS(err, err_len);
}
static cg_request *cg_nosys_request(int *err_no, char *err, size_t err_len) {
    if (err_no) *err_no = ENOSYS;
    (void)CG_NOSYS(err, err_len);
    return NULL;
}
cg_request *cg_request_outputs(const char *chip_path, const char *consumer, unsigned n,
                               const cg_line_settings *lines, int *err_no, char *err, size_t err_len) {
    (void)chip_path, (void)consumer, (void)n, (void)lines;
    return cg_nosys_request(err_no, err, err_len);
}
cg_request *cg_request_inputs(const char *chip_path, const char *consumer, unsigned n,
                              const cg_line_settings *lines, int *err_no, char *err, size_t err_len) {
    (void)chip_path, (void)consumer, (void)n, (void)lines;
    return cg_nosys_request(err_no, err, err_len);
}
unsigned cg_request_num_lines(const cg_request *r) { (void)r; return 0; }
int cg_get_values(cg_request *r, int *values) { (void)r, (void)values; return -ENOSYS; }
int cg_set_values(cg_request *r, const int *values) { (void)r, (void)values; return -ENOSYS; }
int cg_drain_edges(cg_request *r, unsigned *counts) { (void)r, (void)counts; return -ENOSYS; }
void cg_release(cg_request *r) { (void)r; }

#else
/* ------------------------------------------------- per-API chip primitives ---- */

/* strerror_r is int (XSI, musl) or char * (GNU): pick the right reading without a global. */
static const char *cg_pick_xsi(int rc, char *buf) { (void)rc; return buf; }
static const char *cg_pick_gnu(char *rc, char *buf) { (void)buf; return rc; }
#define CG_STRERROR(e, buf, len) \
    _Generic(strerror_r((e), (buf), (len)), char *: cg_pick_gnu, default: cg_pick_xsi)( \
        strerror_r((e), (buf), (len)), (buf))

/* "<what>: <strerror(e)>" into err; returns -e. */
static int cg_fail(int e, char *err, size_t err_len, const char *what) {
    char buf[128] = "Unknown error";
    cg_msg(err, err_len, "%s: %s", what, CG_STRERROR(e, buf, sizeof buf));
    return -e;
}

static const char *cg_base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}


#define CG_V1_GROUPS 8 /* (active_low: 2) x (bias: 4) */

struct cg_request {
    unsigned n;
    int input;
    unsigned offsets[CG_MAX_LINES];
#if CG_API == 1
    struct gpiod_chip *chip;
    struct gpiod_line *lines[CG_MAX_LINES];
    unsigned ngroups;                           /* outputs: one handle per flag group */
    unsigned char group[CG_MAX_LINES];          /* outputs: line i -> its group */
    struct gpiod_line_bulk bulk[CG_V1_GROUPS];
    struct pollfd pfd[CG_MAX_LINES];            /* inputs: one event fd per line */
#else
    struct gpiod_line_request *req;
    struct gpiod_edge_event_buffer *events;     /* inputs */
    size_t events_cap;
    uint32_t last_seqno[CG_MAX_LINES];          /* inputs: kernel line_seqno of the last event seen */
#endif
};

const char *cg_gpiod_version(void) {
#if CG_API == 1
    return gpiod_version_string();
#else
    return gpiod_api_version();
#endif
}

/* Label and number of lines of an open chip. 0 or -errno. */
static int chip_props(struct gpiod_chip *c, char *label, size_t len, unsigned *nlines) {
#if CG_API == 1
    cg_copy(label, len, gpiod_chip_label(c));
    *nlines = gpiod_chip_num_lines(c);
    return 0;
#else
    struct gpiod_chip_info *info = gpiod_chip_get_info(c);
    if (info == NULL) return -errno;
    cg_copy(label, len, gpiod_chip_info_get_label(info));
    *nlines = (unsigned)gpiod_chip_info_get_num_lines(info);
    gpiod_chip_info_free(info);
    return 0;
#endif
}

/* Name of line `off` ("" if unnamed), and whether it is used and by whom (consumer may be NULL).
 * Fresh from the kernel. Returns 0 or -errno. */
static int line_props(struct gpiod_chip *c, unsigned off, char *name, size_t name_len, int *used,
                      char *consumer, size_t cons_len) {
#if CG_API == 1
    struct gpiod_line *l = gpiod_chip_get_line(c, off);
    if (l == NULL || gpiod_line_update(l) < 0) return -errno;
    cg_copy(name, name_len, gpiod_line_name(l));
    if (used) *used = gpiod_line_is_used(l);
    cg_copy(consumer, cons_len, gpiod_line_consumer(l));
    return 0;
#else
    struct gpiod_line_info *info = gpiod_chip_get_line_info(c, off);
    if (info == NULL) return -errno;
    cg_copy(name, name_len, gpiod_line_info_get_name(info));
    if (used) *used = gpiod_line_info_is_used(info);
    cg_copy(consumer, cons_len, gpiod_line_info_get_consumer(info));
    gpiod_line_info_free(info);
    return 0;
#endif
}

/* ---------------------------------------------------------------- lookups ---- */

static int chip_entry(const struct dirent *d) { return strncmp(d->d_name, "gpiochip", 8) == 0; }

static int chip_entry_cmp(const struct dirent **a, const struct dirent **b) {
    unsigned long x = strtoul((*a)->d_name + 8, NULL, 10), y = strtoul((*b)->d_name + 8, NULL, 10);
    return x < y ? -1 : x > y ? 1 : strcmp((*a)->d_name, (*b)->d_name);
}

int cg_find_line(const char *chip_label, const char *name, int offset, char *chip_path, size_t path_len,
                 unsigned *out_offset, char *err, size_t err_len) {
    if ((chip_label == NULL && name == NULL) || (name == NULL && offset < 0) || chip_path == NULL ||
        path_len == 0 || out_offset == NULL) {
        cg_msg(err, err_len, "cg_find_line: give a chip label and a line name or offset, or a line name");
        return -EINVAL;
    }
    chip_path[0] = '\0';
    struct dirent **list = NULL;
    int nent = scandir("/dev", &list, chip_entry, chip_entry_cmp);
    if (nent < 0) return cg_fail(errno, err, err_len, "cannot list /dev");

    int matches = 0, chips = 0, labelled = 0, open_err = 0;
    unsigned found_off = 0, other_off = 0, labelled_lines = 0;
    char other[280] = "", open_err_path[280] = "", label[64], lname[64];
    for (int k = 0; k < nent; k++) {
        char path[280];
        struct stat st;
        snprintf(path, sizeof path, "/dev/%s", list[k]->d_name);
        if (lstat(path, &st) < 0 || !S_ISCHR(st.st_mode)) continue; /* symlinks, leftovers */
        chips++;
        struct gpiod_chip *c = gpiod_chip_open(path);
        unsigned nlines = 0;
        if (c == NULL || chip_props(c, label, sizeof label, &nlines) < 0) {
            if (!open_err) {
                open_err = errno ? errno : EIO;
                snprintf(open_err_path, sizeof open_err_path, "%s", path);
            }
            if (c) gpiod_chip_close(c);
            continue;
        }
        if (chip_label && strcmp(label, chip_label) != 0) {
            gpiod_chip_close(c);
            continue;
        }
        labelled++;
        labelled_lines = nlines;
        for (unsigned i = 0; i < nlines; i++) {
            if (name) {
                if (line_props(c, i, lname, sizeof lname, NULL, NULL, 0) < 0 || strcmp(lname, name) != 0) continue;
            } else if (i != (unsigned)offset) {
                continue;
            }
            if (++matches == 1) {
                if ((size_t)snprintf(chip_path, path_len, "%s", path) >= path_len) {
                    gpiod_chip_close(c);
                    free(list);
                    chip_path[0] = '\0';
                    cg_msg(err, err_len, "%s: path longer than the %zu-byte buffer", path, path_len);
                    return -ENAMETOOLONG;
                }
                found_off = i;
            } else if (matches == 2) {
                snprintf(other, sizeof other, "%s", path);
                other_off = i;
            }
        }
        gpiod_chip_close(c);
    }
    for (int k = 0; k < nent; k++) free(list[k]);
    free(list);

    if (matches == 1) {
        *out_offset = found_off;
        return 0;
    }
    if (matches > 1) {
        cg_msg(err, err_len, "line \"%s\" is not unique: %s line %u and %s line %u%s",
               name ? name : "?", cg_base(chip_path), found_off, cg_base(other), other_off,
               chip_label ? "" : " (name the chip by its label)");
        chip_path[0] = '\0';
        return -ENOTUNIQ;
    }
    chip_path[0] = '\0';
    if (open_err && (chip_label == NULL || labelled == 0)) {
        char what[320];
        snprintf(what, sizeof what, "cannot open %s", open_err_path);
        return cg_fail(open_err, err, err_len, what);
    }
    if (chips == 0)
        cg_msg(err, err_len, "no GPIO chips (/dev/gpiochip*)");
    else if (chip_label && labelled == 0)
        cg_msg(err, err_len, "no GPIO chip labelled \"%s\"", chip_label);
    else if (chip_label && labelled > 1 && name == NULL)
        cg_msg(err, err_len, "%d GPIO chips are labelled \"%s\" and none has line %d", labelled, chip_label, offset);
    else if (chip_label && name)
        cg_msg(err, err_len, "no line named \"%s\" on GPIO chip \"%s\"", name, chip_label);
    else if (chip_label)
        cg_msg(err, err_len, "GPIO chip \"%s\" has %u lines: no line %d", chip_label, labelled_lines, offset);
    else
        cg_msg(err, err_len, "no line named \"%s\" on any GPIO chip", name);
    return -ENOENT;
}

int cg_line_consumer(const char *chip_path, unsigned offset, char *consumer, size_t len, char *err, size_t err_len) {
    cg_copy(consumer, len, "");
    if (chip_path == NULL) {
        cg_msg(err, err_len, "cg_line_consumer: no chip path");
        return -EINVAL;
    }
    struct gpiod_chip *c = gpiod_chip_open(chip_path);
    if (c == NULL) return cg_fail(errno, err, err_len, chip_path);
    int used = 0, rc = line_props(c, offset, NULL, 0, &used, consumer, len);
    gpiod_chip_close(c);
    if (rc < 0) {
        char what[320];
        snprintf(what, sizeof what, "%s line %u", cg_base(chip_path), offset);
        return cg_fail(-rc, err, err_len, what);
    }
    if (!used) cg_copy(consumer, len, "");
    return used ? 1 : 0;
}

/* --------------------------------------------------------------- requests ---- */

/* Message for a failed request of lines offs[0..k-1]; on EBUSY names the first held line and its holder. */
static void request_failure(const char *path, const unsigned *offs, unsigned k, int e, char *err, size_t err_len) {
    char buf[128] = "Unknown error", holder[64], what[64];
    const char *chip = cg_base(path), *msg = CG_STRERROR(e, buf, sizeof buf);
    if (e == EBUSY) {
        for (unsigned i = 0; i < k; i++) {
            if (cg_line_consumer(path, offs[i], holder, sizeof holder, NULL, 0) == 1) {
                cg_msg(err, err_len, "%s line %u: %s (held by \"%s\")", chip, offs[i], msg, holder);
                return;
            }
        }
    }
    if (k == 1)
        snprintf(what, sizeof what, "line %u", offs[0]);
    else
        snprintf(what, sizeof what, "%u lines from line %u", k, offs[0]);
    cg_msg(err, err_len, "%s %s: %s", chip, what, msg);
}

static cg_request *request_lines(int input, const char *chip_path, const char *consumer, unsigned n,
                                 const cg_line_settings *lines, int *err_no, char *err, size_t err_len) {
    int dummy;
    if (err_no == NULL) err_no = &dummy;
    *err_no = EINVAL;
    if (chip_path == NULL || lines == NULL || n == 0 || n > CG_MAX_LINES) {
        cg_msg(err, err_len, "request: need a chip path and 1 to %d lines (got %u)", CG_MAX_LINES, n);
        return NULL;
    }
    const char *chip = cg_base(chip_path);
    for (unsigned i = 0; i < n; i++) {
        if (lines[i].bias < CG_BIAS_AS_IS || lines[i].bias > CG_BIAS_PULL_DOWN) {
            cg_msg(err, err_len, "%s line %u: bad bias %d", chip, lines[i].offset, lines[i].bias);
            return NULL;
        }
        for (unsigned j = 0; j < i; j++) {
            if (lines[j].offset == lines[i].offset) {
                cg_msg(err, err_len, "%s line %u: listed twice in one request", chip, lines[i].offset);
                return NULL;
            }
        }
    }
    if (consumer == NULL) consumer = "crossguard";

    struct gpiod_chip *c = gpiod_chip_open(chip_path);
    if (c == NULL) {
        *err_no = errno;
        cg_fail(errno, err, err_len, chip_path);
        return NULL;
    }
    char label[64];
    unsigned nlines = 0;
    int rc = chip_props(c, label, sizeof label, &nlines);
    if (rc < 0) {
        gpiod_chip_close(c);
        *err_no = -rc;
        cg_fail(-rc, err, err_len, chip_path);
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        if (lines[i].offset >= nlines) {
            gpiod_chip_close(c);
            cg_msg(err, err_len, "%s (\"%s\") has %u lines: no line %u", chip, label, nlines, lines[i].offset);
            return NULL;
        }
    }
    cg_request *r = calloc(1, sizeof *r);
    if (r == NULL) {
        gpiod_chip_close(c);
        *err_no = ENOMEM;
        cg_fail(ENOMEM, err, err_len, chip);
        return NULL;
    }
    r->n = n;
    r->input = input;
    for (unsigned i = 0; i < n; i++) r->offsets[i] = lines[i].offset;

#if CG_API == 1
    r->chip = c;
    for (unsigned i = 0; i < n; i++) {
        r->lines[i] = gpiod_chip_get_line(c, lines[i].offset);
        if (r->lines[i] == NULL) {
            rc = errno;
            request_failure(chip_path, &lines[i].offset, 1, rc, err, err_len);
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
                request_failure(chip_path, &lines[i].offset, 1, rc, err, err_len);
                goto fail;
            }
            int fd = gpiod_line_event_get_fd(r->lines[i]);
            int fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);
            if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                rc = errno ? errno : EBADF;
                request_failure(chip_path, &lines[i].offset, 1, rc, err, err_len);
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
                request_failure(chip_path, offs, k, rc, err, err_len);
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
#else
    static const enum gpiod_line_bias bias_v2[] = {GPIOD_LINE_BIAS_AS_IS, GPIOD_LINE_BIAS_DISABLED,
                                                   GPIOD_LINE_BIAS_PULL_UP, GPIOD_LINE_BIAS_PULL_DOWN};
    struct gpiod_line_settings *s = gpiod_line_settings_new();
    struct gpiod_line_config *lc = gpiod_line_config_new();
    struct gpiod_request_config *rq = gpiod_request_config_new();
    rc = 0;
    if (s == NULL || lc == NULL || rq == NULL) rc = ENOMEM;
    for (unsigned i = 0; rc == 0 && i < n; i++) {
        gpiod_line_settings_reset(s);
        if (gpiod_line_settings_set_direction(s, input ? GPIOD_LINE_DIRECTION_INPUT : GPIOD_LINE_DIRECTION_OUTPUT) < 0 ||
            gpiod_line_settings_set_bias(s, bias_v2[lines[i].bias]) < 0 ||
            (input && gpiod_line_settings_set_edge_detection(s, GPIOD_LINE_EDGE_BOTH) < 0) ||
            (!input && gpiod_line_settings_set_output_value(
                           s, lines[i].initial ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) < 0)) {
            rc = errno ? errno : EINVAL;
            break;
        }
        gpiod_line_settings_set_active_low(s, lines[i].active_low != 0);
        if (gpiod_line_config_add_line_settings(lc, &lines[i].offset, 1, s) < 0) rc = errno ? errno : EINVAL;
    }
    if (rc == 0) {
        gpiod_request_config_set_consumer(rq, consumer);
        r->req = gpiod_chip_request_lines(c, rq, lc);
        if (r->req == NULL) rc = errno ? errno : EIO;
    }
    if (rc == 0 && input) {
        r->events_cap = 16u * n; /* the kernel's default buffer: one read drains it */
        if (r->events_cap > 1024) r->events_cap = 1024;
        r->events = gpiod_edge_event_buffer_new(r->events_cap);
        if (r->events == NULL) rc = errno ? errno : ENOMEM;
    }
    if (rc == 0 && input) {
        int fd = gpiod_line_request_get_fd(r->req);
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) rc = errno;
    }
    gpiod_line_settings_free(s);
    gpiod_line_config_free(lc);
    gpiod_request_config_free(rq);
    gpiod_chip_close(c); /* a v2 request lives on without its chip */
    if (rc != 0) {
        request_failure(chip_path, r->offsets, n, rc, err, err_len);
        *err_no = rc;
        cg_release(r);
        return NULL;
    }
    return r;
#endif
}

cg_request *cg_request_outputs(const char *chip_path, const char *consumer, unsigned n,
                               const cg_line_settings *lines, int *err_no, char *err, size_t err_len) {
    return request_lines(0, chip_path, consumer, n, lines, err_no, err, err_len);
}

cg_request *cg_request_inputs(const char *chip_path, const char *consumer, unsigned n,
                              const cg_line_settings *lines, int *err_no, char *err, size_t err_len) {
    return request_lines(1, chip_path, consumer, n, lines, err_no, err, err_len);
}

unsigned cg_request_num_lines(const cg_request *r) { return r ? r->n : 0; }

void cg_release(cg_request *r) {
    if (r == NULL) return;
#if CG_API == 1
    if (r->chip) gpiod_chip_close(r->chip);
#else
    if (r->req) gpiod_line_request_release(r->req);
    if (r->events) gpiod_edge_event_buffer_free(r->events);
#endif
    free(r);
}

/* ------------------------------------------------------------ per tick ---- */

int cg_get_values(cg_request *r, int *values) {
    if (r == NULL || values == NULL) return -EINVAL;
#if CG_API == 1
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
#else
    enum gpiod_line_value v[CG_MAX_LINES];
    if (gpiod_line_request_get_values_subset(r->req, r->n, r->offsets, v) < 0) return -errno;
    for (unsigned i = 0; i < r->n; i++) values[i] = v[i] == GPIOD_LINE_VALUE_ACTIVE;
    return 0;
#endif
}

int cg_set_values(cg_request *r, const int *values) {
    if (r == NULL || values == NULL) return -EINVAL;
    if (r->input) return -EPERM;
#if CG_API == 1
    for (unsigned g = 0; g < r->ngroups; g++) {
        int v[CG_MAX_LINES];
        unsigned k = 0;
        for (unsigned i = 0; i < r->n; i++)
            if (r->group[i] == g) v[k++] = values[i] ? 1 : 0;
        if (gpiod_line_set_value_bulk(&r->bulk[g], v) < 0) return -errno;
    }
    return 0;
#else
    enum gpiod_line_value v[CG_MAX_LINES];
    for (unsigned i = 0; i < r->n; i++) v[i] = values[i] ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
    return gpiod_line_request_set_values_subset(r->req, r->n, r->offsets, v) < 0 ? -errno : 0;
#endif
}

/* Reads per call are bounded so a line that toggles without pause cannot hold the tick thread. */
#define CG_DRAIN_ROUNDS 4

int cg_drain_edges(cg_request *r, unsigned *counts) {
    if (r == NULL || counts == NULL) return -EINVAL;
    if (!r->input) return -EPERM;
    int total = 0;
#if CG_API == 1
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
#else
    for (int round = 0; round < CG_DRAIN_ROUNDS; round++) {
        int k = gpiod_line_request_read_edge_events(r->req, r->events, r->events_cap);
        if (k < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            return -errno;
        }
        for (int e = 0; e < k; e++) {
            struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(r->events, (unsigned long)e);
            unsigned off = gpiod_edge_event_get_line_offset(ev);
            uint32_t seq = (uint32_t)gpiod_edge_event_get_line_seqno(ev);
            for (unsigned i = 0; i < r->n; i++) {
                if (r->offsets[i] != off) continue;
                /* line_seqno counts every edge the kernel saw, including ones it dropped on overflow */
                counts[i] += (unsigned)(seq - r->last_seqno[i]);
                r->last_seqno[i] = seq;
                break;
            }
        }
        total += k;
        if ((size_t)k < r->events_cap) break;
    }
    return total;
#endif
}

#endif /* CG_HAVE_GPIOD */
