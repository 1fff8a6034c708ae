/*
 * usage.c - process counters from getrusage(RUSAGE_SELF), the load average from getloadavg,
 * and the disturbance rule of usage.h.
 */
#include "util/usage.h"

#include <math.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "util/clock.h"
#include "util/err.h"
#include "util/stats.h"

void
usage_now(struct usage *u)
{
    struct rusage r;
    u->wall_s = clock_now();
    if (getrusage(RUSAGE_SELF, &r) != 0) {
        *u = (struct usage){.wall_s = u->wall_s};
        return;
    }
    u->cpu_s = (double)r.ru_utime.tv_sec + 1e-6 * (double)r.ru_utime.tv_usec +
               (double)r.ru_stime.tv_sec + 1e-6 * (double)r.ru_stime.tv_usec;
    u->minflt = r.ru_minflt;
    u->majflt = r.ru_majflt;
    u->nvcsw = r.ru_nvcsw;
    u->nivcsw = r.ru_nivcsw;
}

void
usage_diff(const struct usage *a, const struct usage *b, struct usage *out)
{
    *out = (struct usage){
        .wall_s = b->wall_s - a->wall_s, .cpu_s = b->cpu_s - a->cpu_s,
        .minflt = b->minflt - a->minflt, .majflt = b->majflt - a->majflt,
        .nvcsw = b->nvcsw - a->nvcsw, .nivcsw = b->nivcsw - a->nivcsw,
    };
}

double
usage_loadavg(void)
{
    double l[1];
    return getloadavg(l, 1) == 1 ? l[0] : NAN;
}

/* The median of v[0 .. n) (stats' definition), 0 when n is 0. */
static double
usage_median(const double *v, size_t n)
{
    struct stats s = {0};
    if (n > 0)
        stats_compute(v, n, &s);
    return s.median;
}

size_t
usage_flag_disturbed(const struct usage *u, size_t n, int *flags)
{
    double *util = xcalloc(n + 1, sizeof *util), *rate = xcalloc(n + 1, sizeof *rate);
    for (size_t i = 0; i < n; i++) {
        const double w = u[i].wall_s > 0 ? u[i].wall_s : 1e-9;
        util[i] = u[i].cpu_s / w;
        rate[i] = (double)u[i].nivcsw / w;
    }
    const double mu = usage_median(util, n), mr = usage_median(rate, n);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        flags[i] = (u[i].wall_s >= USAGE_MIN_WALL_S && util[i] < USAGE_UTIL_FLOOR * mu) ||
                   rate[i] > USAGE_SWITCH_FACTOR * mr + USAGE_SWITCH_SLACK;
        count += (size_t)flags[i];
    }
    free(util);
    free(rate);
    return count;
}
