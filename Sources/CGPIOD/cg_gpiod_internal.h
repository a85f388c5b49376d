/*
 * cg_gpiod_internal.h - what the shim's C files share, private to the CGPIOD target.
 *
 * The libgpiod API is chosen at compile time: only libgpiod 1.x's <gpiod.h> defines
 * GPIOD_LINE_BULK_MAX_LINES. crossguard_gpiod.c holds everything both majors do alike (looking lines
 * up, checking a request, the messages); crossguard_gpiod_v1.c and crossguard_gpiod_v2.c hold the
 * primitives of one major each, and each compiles to nothing under the other.
 */
#ifndef CG_GPIOD_INTERNAL_H
#define CG_GPIOD_INTERNAL_H

#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "crossguard_gpiod.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

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

#define CG_HIDDEN __attribute__((visibility("hidden")))

/* printf into err (if any). */
CG_HIDDEN void cg_msg(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* src (or "") into dst, cut to len. */
CG_HIDDEN void cg_copy(char *dst, size_t len, const char *src);

#if CG_HAVE_GPIOD
/* strerror_r is int (XSI, musl) or char * (GNU): pick the right reading without a global. */
static inline const char *cg_pick_xsi(int rc, char *buf) { (void)rc; return buf; }
static inline const char *cg_pick_gnu(char *rc, char *buf) { (void)buf; return rc; }
#define CG_STRERROR(e, buf, len) \
    _Generic(strerror_r((e), (buf), (len)), char *: cg_pick_gnu, default: cg_pick_xsi)( \
        strerror_r((e), (buf), (len)), (buf))

/* "<what>: <strerror(e)>" into err; returns -e. */
CG_HIDDEN int cg_fail(int e, char *err, size_t err_len, const char *what);
/* The file name of a path. */
CG_HIDDEN const char *cg_base(const char *path);
/* Message for a failed request of lines offs[0..k-1]; on EBUSY names the first held line and its holder. */
CG_HIDDEN void cg_request_failure(const char *path, const unsigned *offs, unsigned k, int e, char *err, size_t err_len);

/* ---- one major's primitives (crossguard_gpiod_v1.c or crossguard_gpiod_v2.c) ---- */

/* Label and number of lines of an open chip. 0 or -errno. */
CG_HIDDEN int cg_chip_props(struct gpiod_chip *c, char *label, size_t len, unsigned *nlines);
/* Name of line `off` ("" if unnamed), and whether it is used and by whom (consumer may be NULL).
 * Fresh from the kernel. Returns 0 or -errno. */
CG_HIDDEN int cg_line_props(struct gpiod_chip *c, unsigned off, char *name, size_t name_len, int *used,
                            char *consumer, size_t cons_len);
/* Requests lines already checked (offsets on the chip, biases valid, none twice) on the open chip c,
 * which it takes over (closes it, or keeps it in the request). NULL with *err_no and err on failure. */
CG_HIDDEN cg_request *cg_api_request(int input, struct gpiod_chip *c, const char *chip_path, const char *consumer,
                                     unsigned n, const cg_line_settings *lines, int *err_no, char *err, size_t err_len);
#endif

#endif
