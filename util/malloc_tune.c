/*
 * malloc_tune.c - see malloc_tune.h.
 */
#include "util/malloc_tune.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum {
    MALLOC_TUNE_MMAP = 32 << 20,            /* glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit */
};
#define MALLOC_TUNE_TRIM (1L << 30)

/* Written once at start-up, before any thread exists (STYLE.md: a justified singleton). */
static struct malloc_tuning malloc_tune_last;

void
malloc_tune_apply(struct malloc_tuning *t)
{
    struct malloc_tuning r = {0};
    const char *env = getenv("FBW_MALLOC_TUNING");
    if (env != NULL && strcmp(env, "off") == 0) {
        r.state = "off (FBW_MALLOC_TUNING=off)";
    } else {
        /* mallopt returns 1 on success, 0 when it refuses a value (and then changes nothing). */
        int ok = mallopt(M_MMAP_THRESHOLD, MALLOC_TUNE_MMAP) == 1;
        ok = (mallopt(M_TRIM_THRESHOLD, MALLOC_TUNE_TRIM) == 1) && ok;
        r.applied = ok;
        r.mmap_threshold = ok ? MALLOC_TUNE_MMAP : 0;
        r.trim_threshold = ok ? MALLOC_TUNE_TRIM : 0;
        r.state = ok ? "on" : "refused by mallopt";
    }
    malloc_tune_last = r;
    if (t != NULL)
        *t = r;
}

const struct malloc_tuning *
malloc_tune_state(void)
{
    return &malloc_tune_last;
}

long
malloc_tune_minor_faults(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : -1;
}
