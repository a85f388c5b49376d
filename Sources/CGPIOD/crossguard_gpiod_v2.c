/*
 * crossguard_gpiod_v2.c - the shim's primitives on libgpiod 2.x; compiles to nothing on 1.x.
 *
 * Real-time paths (cg_get_values, cg_set_values, cg_drain_edges): no allocation, no blocking. One request
 * fd, set O_NONBLOCK at request time; a drain reads into an event buffer allocated at request time until
 * the kernel has no more.
 */
#include "cg_gpiod_internal.h"

#if CG_API == 2

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>


struct cg_request {
    unsigned n;
    int input;
    unsigned offsets[CG_MAX_LINES];
    struct gpiod_line_request *req;
    struct gpiod_edge_event_buffer *events;     /* inputs */
    size_t events_cap;
    uint32_t last_seqno[CG_MAX_LINES];          /* inputs: kernel line_seqno of the last event seen */
};

const char *cg_gpiod_version(void) {
    return gpiod_api_version();
}

/* Label and number of lines of an open chip. 0 or -errno. */
int cg_chip_props(struct gpiod_chip *c, char *label, size_t len, unsigned *nlines) {
    struct gpiod_chip_info *info = gpiod_chip_get_info(c);
    if (info == NULL) return -errno;
    cg_copy(label, len, gpiod_chip_info_get_label(info));
    *nlines = (unsigned)gpiod_chip_info_get_num_lines(info);
    gpiod_chip_info_free(info);
    return 0;
}

/* Name of line `off` ("" if unnamed), and whether it is used and by whom (consumer may be NULL).
 * Fresh from the kernel. Returns 0 or -errno. */
int cg_line_props(struct gpiod_chip *c, unsigned off, char *name, size_t name_len, int *used,
                      char *consumer, size_t cons_len) {
    struct gpiod_line_info *info = gpiod_chip_get_line_info(c, off);
    if (info == NULL) return -errno;
    cg_copy(name, name_len, gpiod_line_info_get_name(info));
    if (used) *used = gpiod_line_info_is_used(info);
    cg_copy(consumer, cons_len, gpiod_line_info_get_consumer(info));
    gpiod_line_info_free(info);
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
        cg_request_failure(chip_path, r->offsets, n, rc, err, err_len);
        *err_no = rc;
        cg_release(r);
        return NULL;
    }
    return r;
}

unsigned cg_request_num_lines(const cg_request *r) { return r ? r->n : 0; }

void cg_release(cg_request *r) {
    if (r == NULL) return;
    if (r->req) gpiod_line_request_release(r->req);
    if (r->events) gpiod_edge_event_buffer_free(r->events);
    free(r);
}

/* ------------------------------------------------------------ per tick ---- */

int cg_get_values(cg_request *r, int *values) {
    if (r == NULL || values == NULL) return -EINVAL;
    enum gpiod_line_value v[CG_MAX_LINES];
    if (gpiod_line_request_get_values_subset(r->req, r->n, r->offsets, v) < 0) return -errno;
    for (unsigned i = 0; i < r->n; i++) values[i] = v[i] == GPIOD_LINE_VALUE_ACTIVE;
    return 0;
}

int cg_set_values(cg_request *r, const int *values) {
    if (r == NULL || values == NULL) return -EINVAL;
    if (r->input) return -EPERM;
    enum gpiod_line_value v[CG_MAX_LINES];
    for (unsigned i = 0; i < r->n; i++) v[i] = values[i] ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
    return gpiod_line_request_set_values_subset(r->req, r->n, r->offsets, v) < 0 ? -errno : 0;
}

/* Reads per call are bounded so a line that toggles without pause cannot hold the tick thread. */
#define CG_DRAIN_ROUNDS 4

int cg_drain_edges(cg_request *r, unsigned *counts) {
    if (r == NULL || counts == NULL) return -EINVAL;
    if (!r->input) return -EPERM;
    int total = 0;
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
}

#endif /* CG_API == 2 */
