/*
 * shim_test.c - exercises Sources/CGPIOD against the kernel's gpio-sim (see run.sh).
 *
 * usage: shim_test API_MAJOR SYSFS_A SYSFS_B
 *   API_MAJOR  1 or 2: the libgpiod API the shim must have been built for
 *   SYSFS_A    /sys/devices/platform/gpio-sim.N/gpiochipM of the bank labelled "cg-sim"
 *   SYSFS_B    the same for the bank labelled "cg-sim-b"
 * Line names (set by run.sh): cg-sim 0 RED, 1 GREEN, 2 AMBER_AL, 4 BUTTON, 5 BUTTON_AL, 6 DOOR,
 * 7 DUP; cg-sim-b 0 DUP. Prints "PASS: ..." / "FAIL: ..." per check, "INFO: ..." for
 * observations; exits 0 iff nothing failed.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "crossguard_gpiod.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

/* Allocation counter: this program's malloc family wraps libc's, so calls from the shim and from
 * libgpiod.so are counted while `counting` is set. dlsym may calloc while resolving: a static
 * bootstrap buffer serves those, and free ignores it. */
static unsigned long allocs;
static int counting, resolving;
static void *(*real_malloc)(size_t), *(*real_calloc)(size_t, size_t), *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static _Alignas(16) char boot[4096];
static size_t boot_used;
static void resolve(void) {
    if (real_free || resolving) return;
    resolving = 1;
    *(void **)&real_calloc = dlsym(RTLD_NEXT, "calloc");
    *(void **)&real_malloc = dlsym(RTLD_NEXT, "malloc");
    *(void **)&real_realloc = dlsym(RTLD_NEXT, "realloc");
    *(void **)&real_free = dlsym(RTLD_NEXT, "free");
    resolving = 0;
}
void *malloc(size_t n) {
    resolve();
    allocs += counting;
    return real_malloc(n);
}
void *calloc(size_t k, size_t n) {
    if (resolving || !real_calloc) {
        resolve();
        if (!real_calloc) {
            void *p = boot + boot_used;
            boot_used += (k * n + 15) & ~(size_t)15;
            return boot_used <= sizeof boot ? p : NULL;
        }
    }
    allocs += counting;
    return real_calloc(k, n);
}
void *realloc(void *p, size_t n) {
    resolve();
    allocs += counting;
    return real_realloc(p, n);
}
void free(void *p) {
    if ((char *)p >= boot && (char *)p < boot + sizeof boot) return;
    resolve();
    real_free(p);
}
static const char *sysfs_a, *sysfs_b;

static void check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!ok) failures++;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* gpio-sim: what the chip drives (outputs) */
static int sim_value(const char *dir, unsigned off) {
    char p[256];
    snprintf(p, sizeof p, "%s/sim_gpio%u/value", dir, off);
    FILE *f = fopen(p, "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}

/* gpio-sim: the level the outside world puts on an input (1 = pull-up) */
static void sim_pull(const char *dir, unsigned off, int up) {
    char p[256];
    snprintf(p, sizeof p, "%s/sim_gpio%u/pull", dir, off);
    FILE *f = fopen(p, "w");
    if (!f) {
        check(0, "open %s: %s", p, strerror(errno));
        return;
    }
    fputs(up ? "pull-up" : "pull-down", f);
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s API_MAJOR SYSFS_A SYSFS_B\n", argv[0]);
        return 2;
    }
    int want_api = atoi(argv[1]);
    sysfs_a = argv[2];
    sysfs_b = argv[3];
    const char *chip_a = strrchr(sysfs_a, '/') + 1, *chip_b = strrchr(sysfs_b, '/') + 1;
    char path_a[64], path_b[64], path[64], err[256], who[64];
    unsigned off = 999;
    int rc, e;
    snprintf(path_a, sizeof path_a, "/dev/%s", chip_a);
    snprintf(path_b, sizeof path_b, "/dev/%s", chip_b);

    printf("INFO: shim api %d, libgpiod %s\n", cg_gpiod_api_major(), cg_gpiod_version());
    check(cg_gpiod_api_major() == want_api && cg_gpiod_version()[0] == '0' + want_api,
          "built for libgpiod %d.x and running %s", want_api, cg_gpiod_version());

    /* ---- finding lines ---- */
    counting = 1; /* (start-up calls may allocate: this shows the counter works) */
    rc = cg_find_line("cg-sim", "GREEN", -1, path, sizeof path, &off, err, sizeof err);
    counting = 0;
    printf("INFO: cg_find_line made %lu allocations\n", allocs);
    check(allocs > 0, "allocation counter sees libc/libgpiod allocations (%lu)", allocs);
    allocs = 0;
    check(rc == 0 && strcmp(path, path_a) == 0 && off == 1, "find label cg-sim + name GREEN -> %s %u (rc %d %s)",
          path, off, rc, rc ? err : "");
    rc = cg_find_line(NULL, "BUTTON_AL", -1, path, sizeof path, &off, err, sizeof err);
    check(rc == 0 && strcmp(path, path_a) == 0 && off == 5, "find name BUTTON_AL on any chip -> %s %u (rc %d %s)",
          path, off, rc, rc ? err : "");
    rc = cg_find_line("cg-sim", NULL, 6, path, sizeof path, &off, err, sizeof err);
    check(rc == 0 && strcmp(path, path_a) == 0 && off == 6, "find label cg-sim + offset 6 -> %s %u", path, off);
    rc = cg_find_line("cg-sim-b", "DUP", -1, path, sizeof path, &off, err, sizeof err);
    check(rc == 0 && strcmp(path, path_b) == 0 && off == 0, "find label cg-sim-b + name DUP -> %s %u", path, off);
    rc = cg_find_line("cg-sim", "NOPE", -1, path, sizeof path, &off, err, sizeof err);
    check(rc == -ENOENT && strstr(err, "NOPE"), "missing line name -> ENOENT: %s", err);
    rc = cg_find_line(NULL, "NOPE", -1, path, sizeof path, &off, err, sizeof err);
    check(rc == -ENOENT, "missing line name on any chip -> ENOENT: %s", err);
    rc = cg_find_line("no-such-chip", "RED", -1, path, sizeof path, &off, err, sizeof err);
    check(rc == -ENOENT && strstr(err, "no-such-chip"), "missing chip label -> ENOENT: %s", err);
    rc = cg_find_line("cg-sim", NULL, 99, path, sizeof path, &off, err, sizeof err);
    check(rc == -ENOENT, "offset 99 on an 8-line chip -> ENOENT: %s", err);
    rc = cg_find_line(NULL, "DUP", -1, path, sizeof path, &off, err, sizeof err);
    check(rc == -ENOTUNIQ, "name on two chips -> ENOTUNIQ: %s", err);
    rc = cg_find_line("cg-sim", "RED", -1, path, 8, &off, err, sizeof err);
    check(rc == -ENAMETOOLONG, "path buffer too small -> ENAMETOOLONG: %s", err);

    /* ---- outputs ---- */
    cg_line_settings outs[3] = {{0, 0, CG_BIAS_AS_IS, 1}, {1, 0, CG_BIAS_AS_IS, 0}, {2, 1, CG_BIAS_AS_IS, 1}};
    cg_request *out = cg_request_outputs(path_a, "crossguard-test", 3, outs, &e, err, sizeof err);
    check(out != NULL, "request 3 outputs (%s)", out ? "ok" : err);
    if (!out) return 1;
    check(cg_request_num_lines(out) == 3, "request holds 3 lines");
    int v[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    check(sim_value(sysfs_a, 0) == 1 && sim_value(sysfs_a, 1) == 0 && sim_value(sysfs_a, 2) == 0,
          "initial values on the wire RED=1 GREEN=0 AMBER_AL(logical 1)=0: %d %d %d", sim_value(sysfs_a, 0),
          sim_value(sysfs_a, 1), sim_value(sysfs_a, 2));
    rc = cg_get_values(out, v);
    check(rc == 0 && v[0] == 1 && v[1] == 0 && v[2] == 1, "read back outputs 1 0 1: %d %d %d (rc %d)", v[0], v[1],
          v[2], rc);
    int set[3] = {0, 1, 0};
    rc = cg_set_values(out, set);
    check(rc == 0 && sim_value(sysfs_a, 0) == 0 && sim_value(sysfs_a, 1) == 1 && sim_value(sysfs_a, 2) == 1,
          "set 0 1 0 -> wire 0 1 1: %d %d %d (rc %d)", sim_value(sysfs_a, 0), sim_value(sysfs_a, 1),
          sim_value(sysfs_a, 2), rc);
    rc = cg_get_values(out, v);
    check(rc == 0 && v[0] == 0 && v[1] == 1 && v[2] == 0, "read back 0 1 0: %d %d %d", v[0], v[1], v[2]);
    int set2[3] = {1, 1, 1};
    double t0 = now_us();
    counting = 1;
    for (int i = 0; i < 1000; i++) {
        cg_set_values(out, (i & 1) ? set2 : set);
        cg_get_values(out, v);
    }
    counting = 0;
    printf("INFO: cg_set_values + cg_get_values: %.2f us per pair (under emulation)\n", (now_us() - t0) / 1000);
    check(allocs == 0, "no allocation in 1000 x cg_set_values + cg_get_values on outputs (%lu)", allocs);

    /* ---- busy lines and consumers ---- */
    rc = cg_line_consumer(path_a, 0, who, sizeof who, err, sizeof err);
    check(rc == 1 && strcmp(who, "crossguard-test") == 0, "consumer of RED: \"%s\" (rc %d)", who, rc);
    rc = cg_line_consumer(path_a, 3, who, sizeof who, err, sizeof err);
    check(rc == 0 && who[0] == '\0', "line 3 is free (rc %d, \"%s\")", rc, who);
    cg_line_settings red_again[2] = {{3, 0, CG_BIAS_AS_IS, 0}, {0, 0, CG_BIAS_AS_IS, 0}};
    cg_request *busy = cg_request_outputs(path_a, "intruder", 2, red_again, &e, err, sizeof err);
    check(busy == NULL && e == EBUSY && strstr(err, "line 0") && strstr(err, "held by \"crossguard-test\""),
          "second request of RED refused with EBUSY: %s", err);
    cg_release(busy);
    cg_request *inb = cg_request_inputs(path_a, "intruder", 1, &red_again[1], &e, err, sizeof err);
    check(inb == NULL && e == EBUSY, "input request of held RED refused: %s", err);
    cg_release(inb);
    cg_request *nochip = cg_request_outputs("/dev/gpiochip99", NULL, 1, outs, &e, err, sizeof err);
    check(nochip == NULL && e == ENOENT, "request on missing chip -> ENOENT: %s", err);
    cg_line_settings dup2[2] = {{3, 0, 0, 0}, {3, 0, 0, 0}};
    cg_request *dup = cg_request_outputs(path_a, NULL, 2, dup2, &e, err, sizeof err);
    check(dup == NULL && e == EINVAL, "same line twice -> EINVAL: %s", err);
    cg_line_settings far = {40, 0, 0, 0};
    cg_request *farr = cg_request_outputs(path_a, NULL, 1, &far, &e, err, sizeof err);
    check(farr == NULL && e == EINVAL, "offset 40 -> EINVAL: %s", err);

    /* ---- inputs ---- */
    cg_line_settings ins[3] = {
        {4, 0, CG_BIAS_PULL_UP, 0}, /* BUTTON */
        {5, 1, CG_BIAS_PULL_UP, 0}, /* BUTTON_AL */
        {6, 0, CG_BIAS_PULL_DOWN, 0}, /* DOOR */
    };
    cg_request *in = cg_request_inputs(path_a, "crossguard-test", 3, ins, &e, err, sizeof err);
    check(in != NULL, "request 3 inputs with bias and both edges (%s)", in ? "ok" : err);
    if (!in) return 1;
    check(cg_set_values(in, set) == -EPERM, "cg_set_values on inputs -> EPERM");
    sleep_ms(50);
    rc = cg_get_values(in, v);
    check(rc == 0 && v[0] == 1 && v[1] == 0 && v[2] == 0,
          "requested bias reaches gpio-sim: BUTTON(pull-up)=1 BUTTON_AL(pull-up, active-low)=0 DOOR(pull-down)=0: "
          "%d %d %d",
          v[0], v[1], v[2]);
    sim_pull(sysfs_a, 4, 0);
    sim_pull(sysfs_a, 5, 0);
    sim_pull(sysfs_a, 6, 1);
    sleep_ms(50);
    rc = cg_get_values(in, v);
    check(rc == 0 && v[0] == 0 && v[1] == 1 && v[2] == 1, "sysfs pull-down,pull-down,pull-up -> 0 1 1: %d %d %d", v[0],
          v[1], v[2]);
    unsigned cnt[3] = {0, 0, 0};
    rc = cg_drain_edges(in, cnt);
    check(rc >= 0, "drain after set-up: %d events, counts %u %u %u", rc, cnt[0], cnt[1], cnt[2]);
    printf("INFO: the three sysfs pull changes gave counts %u %u %u\n", cnt[0], cnt[1], cnt[2]);

    memset(cnt, 0, sizeof cnt);
    int drained = 0;
    t0 = now_us();
    counting = 1;
    for (int i = 0; i < 100; i++) {
        drained += cg_drain_edges(in, cnt);
        cg_get_values(in, v);
    }
    counting = 0;
    double dt = (now_us() - t0) / 100;
    check(drained == 0 && cnt[0] == 0 && cnt[1] == 0 && cnt[2] == 0,
          "drain with nothing pending does not block: 0 events, %.0f us per drain + read", dt);

    /* a short pulse between two samples: the levels agree, the edge count shows it */
    int before[3], after[3];
    cg_get_values(in, before);
    counting = 1;
    sim_pull(sysfs_a, 4, 1);
    sleep_ms(30);
    sim_pull(sysfs_a, 4, 0);
    sim_pull(sysfs_a, 6, 0); /* DOOR: one falling edge */
    sleep_ms(50);
    counting = 0;
    allocs = 0; /* sim_pull's stdio allocates */
    counting = 1;
    cg_get_values(in, after);
    memset(cnt, 0, sizeof cnt);
    rc = cg_drain_edges(in, cnt);
    counting = 0;
    check(allocs == 0, "no allocation in cg_drain_edges with events pending, nor in cg_get_values (%lu)", allocs);
    check(before[0] == 0 && after[0] == 0, "BUTTON level before and after the pulse: %d %d", before[0], after[0]);
    check(rc == 3 && cnt[0] == 2 && cnt[1] == 0 && cnt[2] == 1,
          "pulse on BUTTON -> 2 edges, DOOR -> 1, BUTTON_AL -> 0: %u %u %u (%d events)", cnt[0], cnt[1], cnt[2], rc);
    check(after[2] == 0, "DOOR now 0");
    sim_pull(sysfs_a, 5, 1); /* BUTTON_AL: physical rise = logical fall */
    sleep_ms(50);
    memset(cnt, 0, sizeof cnt);
    rc = cg_drain_edges(in, cnt);
    cg_get_values(in, v);
    check(rc == 1 && cnt[1] == 1 && v[1] == 0, "active-low line: one edge, logical 0 (%u, %d)", cnt[1], v[1]);

    /* a burst of 80 edges: more than the v1 kernel FIFO (16 per line) and the v2 default buffer
     * (16 x 3 lines = 48, rounded up to a power of two by kfifo: 64 per request) hold */
    for (int i = 0; i < 40; i++) {
        sim_pull(sysfs_a, 4, 1);
        sleep_ms(5);
        sim_pull(sysfs_a, 4, 0);
        sleep_ms(5);
    }
    sleep_ms(100);
    memset(cnt, 0, sizeof cnt);
    rc = cg_drain_edges(in, cnt);
    printf("INFO: burst of 80 edges on BUTTON: drain read %d events, count %u\n", rc, cnt[0]);
    check(rc >= 0 && cnt[0] >= 16 && cnt[0] <= 80, "burst counted (%u of 80)", cnt[0]);
    if (want_api == 2) check(cnt[0] == 80, "libgpiod 2.x counts all 80 edges though the kernel kept 64 (line seqno): %u", cnt[0]);
    else check(cnt[0] == 16, "libgpiod 1.x: the kernel keeps 16 events per line, so 16 of 80 edges: %u", cnt[0]);

    /* ---- release ---- */
    cg_release(in);
    cg_release(out);
    rc = cg_line_consumer(path_a, 0, who, sizeof who, err, sizeof err);
    check(rc == 0, "RED free after release (rc %d \"%s\")", rc, who);
    out = cg_request_outputs(path_a, "crossguard-test", 3, outs, &e, err, sizeof err);
    check(out != NULL, "request the outputs again after release (%s)", out ? "ok" : err);
    /* mixed flags (v1: two handles) still set together */
    cg_release(out);
    cg_line_settings mixed[4] = {{0, 0, 0, 0}, {2, 1, 0, 0}, {1, 0, 0, 1}, {3, 1, 0, 1}};
    out = cg_request_outputs(path_a, "crossguard-test", 4, mixed, &e, err, sizeof err);
    check(out != NULL, "request outputs with mixed active-low (%s)", out ? "ok" : err);
    if (out) {
        check(sim_value(sysfs_a, 0) == 0 && sim_value(sysfs_a, 2) == 1 && sim_value(sysfs_a, 1) == 1 &&
                  sim_value(sysfs_a, 3) == 0,
              "mixed initial values on the wire 0 1 1 0: %d %d %d %d", sim_value(sysfs_a, 0), sim_value(sysfs_a, 2),
              sim_value(sysfs_a, 1), sim_value(sysfs_a, 3));
        int m[4] = {1, 1, 0, 0};
        rc = cg_set_values(out, m);
        int rb[4];
        cg_get_values(out, rb);
        check(rc == 0 && sim_value(sysfs_a, 0) == 1 && sim_value(sysfs_a, 2) == 0 && sim_value(sysfs_a, 1) == 0 &&
                  sim_value(sysfs_a, 3) == 1 && rb[0] == 1 && rb[1] == 1 && rb[2] == 0 && rb[3] == 0,
              "mixed set 1 1 0 0 -> wire 1 0 0 1, read back %d %d %d %d", rb[0], rb[1], rb[2], rb[3]);
        cg_release(out);
    }
    printf("shim_test: %d failed\n", failures);
    return failures ? 1 : 0;
}
