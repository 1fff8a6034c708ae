/*
 * clock.h - a monotonic clock in seconds, for timings.
 */
#ifndef FBW_UTIL_CLOCK_H
#define FBW_UTIL_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC (arbitrary origin). */
static inline double
clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
