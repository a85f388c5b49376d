/*
 * crossguard_gpiod.c - the libgpiod shim behind crossguard_gpiod.h: what libgpiod 1.x and 2.x do alike.
 *
 * Looking a line up by chip label and name or offset, naming a line's holder, and checking a request
 * before it reaches libgpiod live here; the primitives of each major are in crossguard_gpiod_v1.c and
 * crossguard_gpiod_v2.c (cg_gpiod_internal.h says which one compiles). Without any <gpiod.h> every call
 * fails with ENOSYS, so the package still builds on machines without libgpiod-dev (link without -lgpiod
 * there).
 */
#include "cg_gpiod_internal.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ messages ---- */

void cg_msg(char *err, size_t err_len, const char *fmt, ...) {
    if (err == NULL || err_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

void cg_copy(char *dst, size_t len, const char *src) {
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
int cg_chip_info(const char *chip_path, char *label, size_t len, unsigned *nlines, char *err, size_t err_len) {
    (void)chip_path;
    cg_copy(label, len, "");
    if (nlines) *nlines = 0;
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

int cg_fail(int e, char *err, size_t err_len, const char *what) {
    char buf[128] = "Unknown error";
    cg_msg(err, err_len, "%s: %s", what, CG_STRERROR(e, buf, sizeof buf));
    return -e;
}

const char *cg_base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
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
        if (c == NULL || cg_chip_props(c, label, sizeof label, &nlines) < 0) {
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
                if (cg_line_props(c, i, lname, sizeof lname, NULL, NULL, 0) < 0 || strcmp(lname, name) != 0) continue;
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
    int used = 0, rc = cg_line_props(c, offset, NULL, 0, &used, consumer, len);
    gpiod_chip_close(c);
    if (rc < 0) {
        char what[320];
        snprintf(what, sizeof what, "%s line %u", cg_base(chip_path), offset);
        return cg_fail(-rc, err, err_len, what);
    }
    if (!used) cg_copy(consumer, len, "");
    return used ? 1 : 0;
}

int cg_chip_info(const char *chip_path, char *label, size_t len, unsigned *nlines, char *err, size_t err_len) {
    cg_copy(label, len, "");
    unsigned n = 0;
    if (nlines) *nlines = 0;
    if (chip_path == NULL) {
        cg_msg(err, err_len, "cg_chip_info: no chip path");
        return -EINVAL;
    }
    struct gpiod_chip *c = gpiod_chip_open(chip_path);
    if (c == NULL) return cg_fail(errno, err, err_len, chip_path);
    int rc = cg_chip_props(c, label, len, &n);
    gpiod_chip_close(c);
    if (rc < 0) return cg_fail(-rc, err, err_len, chip_path);
    if (nlines) *nlines = n;
    return 0;
}

/* --------------------------------------------------------------- requests ---- */

void cg_request_failure(const char *path, const unsigned *offs, unsigned k, int e, char *err, size_t err_len) {
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
    int rc = cg_chip_props(c, label, sizeof label, &nlines);
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
    return cg_api_request(input, c, chip_path, consumer, n, lines, err_no, err, err_len);
}

cg_request *cg_request_outputs(const char *chip_path, const char *consumer, unsigned n,
                               const cg_line_settings *lines, int *err_no, char *err, size_t err_len) {
    return request_lines(0, chip_path, consumer, n, lines, err_no, err, err_len);
}

cg_request *cg_request_inputs(const char *chip_path, const char *consumer, unsigned n,
                              const cg_line_settings *lines, int *err_no, char *err, size_t err_len) {
    return request_lines(1, chip_path, consumer, n, lines, err_no, err, err_len);
}

#endif /* CG_HAVE_GPIOD */
