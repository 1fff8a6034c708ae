/*
 * usage.c - process counters from getrusage(RUSAGE_SELF), the load average from getloadavg,
 * and the disturbance rule of usage.h.
 */
#include "util/usage.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

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

int
usage_parse_runnable(const char *loadavg)
{
    double l1, l5, l15;
    int runnable, total;
    if (sscanf(loadavg, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &runnable, &total) != 5 ||
        runnable < 0 || total < runnable)
        return -1;
    return runnable;
}

int
usage_idle_cpus(void)
{
    cpu_set_t set;
    int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    int least = -1;
    for (int i = 0; i < 5; i++) {
        char line[128] = "";
        FILE *f = fopen("/proc/loadavg", "r");
        if (f != NULL) {
            if (fgets(line, sizeof line, f) == NULL)
                line[0] = '\0';
            fclose(f);
        }
        int r = usage_parse_runnable(line);
        if (r >= 0 && (least < 0 || r < least))
            least = r;
        if (i < 4)
            nanosleep(&(struct timespec){0, 20000000}, NULL);
    }
    if (least < 0)
        return cpus;
    int others = least > 0 ? least - 1 : 0;      /* the reading counts this process */
    return cpus - others >= 1 ? cpus - others : 1;
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
