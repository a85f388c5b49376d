/*
 * crossguard_gpiod.h - the only C interface CrossguardLinux sees for GPIO.
 *
 * A thin shim over libgpiod that hides the 1.x / 2.x API split. The .c file is compiled
 * against whichever <gpiod.h> is on the include path (1.x headers define
 * GPIOD_LINE_BULK_MAX_LINES, 2.x headers do not) and linked with -lgpiod. No libgpiod type
 * appears here.
 *
 * Conventions:
 *  - Every function that can fail returns 0 (or a documented non-negative value) on success and
 *    -errno on failure, and writes a one-line human message into the caller's buffer `err`
 *    (`err_len` bytes, always NUL-terminated when err_len > 0; err may be NULL), e.g.
 *    "gpiochip0 line 17: Device or resource busy (held by \"gpioset\")".
 *  - Values are logical levels 0/1: active-low is applied by the kernel.
 *  - A request holds at most CG_MAX_LINES lines (the kernel's limit for one request).
 *  - cg_get_values, cg_set_values and cg_drain_edges never block and never allocate: they are
 *    meant for the real-time tick thread. Everything else may allocate and is for start-up.
 *  - No global state. One cg_request must not be used from two threads at once.
 */
#ifndef CROSSGUARD_GPIOD_H
#define CROSSGUARD_GPIOD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most lines in one request (GPIO_V2_LINES_MAX, and libgpiod 1.x's GPIOD_LINE_BULK_MAX_LINES). */
#define CG_MAX_LINES 64

/** Lines requested on one chip (opaque). */
typedef struct cg_request cg_request;

/* Bias (pull resistor) of a line; AS_IS leaves whatever the chip has. Macros rather than an enum so
 * that Swift imports them as Int32, the type of cg_line_settings.bias. */
#define CG_BIAS_AS_IS 0
#define CG_BIAS_DISABLED 1
#define CG_BIAS_PULL_UP 2
#define CG_BIAS_PULL_DOWN 3

/** One line of a request. */
typedef struct {
    unsigned offset;  /**< offset of the line on its chip (from cg_find_line) */
    int active_low;   /**< nonzero: logical 1 is the low physical level */
    int bias;         /**< one of CG_BIAS_* */
    int initial;      /**< outputs only: logical value driven from the moment of the request */
} cg_line_settings;

/**
 * Which libgpiod API this shim was compiled against: 1 or 2 (0: built without <gpiod.h>; then every
 * other function fails with -ENOSYS).
 */
int cg_gpiod_api_major(void);

/** Version string of the libgpiod loaded at run time (e.g. "1.6.3", "2.2.1"), "" without libgpiod. */
const char *cg_gpiod_version(void);

/**
 * Finds one GPIO line and writes its chip's device path (e.g. "/dev/gpiochip0") and its offset.
 *  - chip_label and name: the line called `name` on the chip labelled `chip_label`;
 *  - chip_label NULL and name: the line called `name` on any chip (every /dev/gpiochip* character
 *    device is searched; symlinks such as a compatibility /dev/gpiochip4 -> gpiochip0 are skipped);
 *  - chip_label and name NULL: line number `offset` of the chip labelled `chip_label`.
 * The match must be unique: a name (or label) found twice is an error, so a board with two
 * identical expanders must be told apart by label.
 * Returns 0, or -ENOENT (no such chip, line name or offset), -ENOTUNIQ (more than one match),
 * -EACCES (a chip that could not be opened; reported only when nothing matched), -EINVAL
 * (bad arguments), -ENAMETOOLONG (chip_path too small), other -errno.
 */
int cg_find_line(const char *chip_label, const char *name, int offset,
                 char *chip_path, size_t path_len, unsigned *out_offset,
                 char *err, size_t err_len);

/**
 * Who holds a line now: writes its consumer into `consumer` (`len` bytes, truncated, "" when the
 * holder gave no name) and returns 1 if the line is in use (by a process, the kernel or sysfs),
 * 0 if it is free (consumer ""), or -errno. For the start-up message "line X is held by <consumer>".
 */
int cg_line_consumer(const char *chip_path, unsigned offset, char *consumer, size_t len,
                     char *err, size_t err_len);

/**
 * The label of the chip at `chip_path` (written into `label`, `len` bytes, truncated) and its number
 * of lines (into *nlines). For `diag`, which names each chip the board uses. 0 or -errno (ENOENT:
 * no such chip; EACCES: no rights to open it).
 */
int cg_chip_info(const char *chip_path, char *label, size_t len, unsigned *nlines, char *err, size_t err_len);

/**
 * Requests n (1...CG_MAX_LINES) distinct lines of one chip as push-pull outputs, each driven at
 * its `initial` logical value from the moment of the request, with its own active_low and bias.
 * consumer: the name other programs see (gpioinfo), e.g. "crossguard".
 * Returns the request, or NULL with *err_no set (EBUSY: a line is held by someone else, the
 * message names the line and its holder; ENOENT, EACCES, EINVAL, ...).
 */
cg_request *cg_request_outputs(const char *chip_path, const char *consumer, unsigned n,
                               const cg_line_settings *lines, int *err_no, char *err, size_t err_len);

/**
 * Requests n (1...CG_MAX_LINES) distinct lines of one chip as inputs with their bias and
 * active_low, and edge detection on both edges (see cg_drain_edges). `initial` is ignored.
 * Returns the request, or NULL with *err_no set, as cg_request_outputs.
 */
cg_request *cg_request_inputs(const char *chip_path, const char *consumer, unsigned n,
                              const cg_line_settings *lines, int *err_no, char *err, size_t err_len);

/** Number of lines in the request. */
unsigned cg_request_num_lines(const cg_request *r);

/**
 * Reads the logical levels of every line of the request into values[0..n-1] (in the order the
 * lines were given at request time; outputs read back what is driven). 0 or -errno.
 * Real-time safe: no allocation, no blocking (one ioctl per request with libgpiod 2.x,
 * one per line for libgpiod 1.x inputs).
 */
int cg_get_values(cg_request *r, int *values);

/**
 * Drives every line of an output request to values[0..n-1] (logical; nonzero is 1). 0 or -errno.
 * Real-time safe. With libgpiod 2.x all lines change in one ioctl; with 1.x in one ioctl per
 * group of lines that share active_low and bias (a single ioctl when they all do).
 */
int cg_set_values(cg_request *r, const int *values);

/**
 * Consumes every edge event pending on an input request without blocking, and adds to counts[i]
 * the number of edges (rising or falling) seen on line i since the previous drain.
 * Returns the number of edge events read (>= 0) or -errno. Real-time safe.
 * Counting: with libgpiod 2.x the count comes from the kernel's per-line sequence numbers, so
 * events the kernel dropped on buffer overflow are still counted. With libgpiod 1.x the kernel
 * keeps at most 16 events per line and drops new ones when full: more than 16 edges on a line
 * between two drains are undercounted. Either way edges are hints: compare levels too.
 */
int cg_drain_edges(cg_request *r, unsigned *counts);

/** Releases the lines (outputs then fall back to whatever the hardware does) and frees r. NULL is fine. */
void cg_release(cg_request *r);

#ifdef __cplusplus
}
#endif

#endif /* CROSSGUARD_GPIOD_H */
