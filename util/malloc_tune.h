/*
 * malloc_tune.h - glibc malloc thresholds for a process that churns through tensor-sized blocks.
 *
 * libtorch's CPU allocator takes every activation from malloc.  With glibc's defaults a freed
 * block at the top of the heap beyond 128 KiB is trimmed back to the kernel and the next
 * allocation of the same size faults its pages in again, so a model call spends much of its time
 * in page faults (measured: 386k-448k minor faults for a bench run against 61k-63k with the
 * thresholds below, and a full DiT-S/2 call 10 % slower; see README's benchmark section).
 * malloc_tune_apply raises the trim threshold to 1 GiB and pins the mmap threshold at glibc's
 * largest allowed value (32 MiB on 64-bit: mallopt refuses more and changes nothing), so blocks
 * up to 32 MiB come from a heap that keeps its pages.  The price: the heap does not shrink below
 * its high-water mark until the process ends, which is what a benchmark wants.
 *
 * Called once at start-up, before libtorch allocates.  FBW_MALLOC_TUNING=off leaves glibc's
 * defaults (for before/after measurements).  The outcome is recorded with every benchmark and
 * sweep, so a figure can be traced to the allocator it ran on.
 */
#ifndef FBW_UTIL_MALLOC_TUNE_H
#define FBW_UTIL_MALLOC_TUNE_H

struct malloc_tuning {
    int applied;                /* 1: both mallopt calls took effect */
    long mmap_threshold;        /* bytes asked for (0 when not applied) */
    long trim_threshold;
    const char *state;          /* "on", "off (FBW_MALLOC_TUNING=off)" or "refused by mallopt" */
};

/* Applies the thresholds unless FBW_MALLOC_TUNING=off; fills t (may be NULL) with the outcome. */
void malloc_tune_apply(struct malloc_tuning *t);
/* The outcome of the last malloc_tune_apply in this process (all zero before it). */
const struct malloc_tuning *malloc_tune_state(void);
/* Minor page faults of this process so far (getrusage). */
long malloc_tune_minor_faults(void);

#endif
