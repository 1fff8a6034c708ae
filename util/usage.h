/*
 * usage.h - what the machine did to a measurement: the process's CPU time, context switches and
 * page faults over an interval (getrusage), the load average, and the rule that calls one
 * generation of a run "disturbed".
 *
 * The rule, over the measured generations of one run (each with wall time w, process CPU time
 * c summed over all its threads, and involuntary context switches s):
 *   u = c / w (CPU seconds per wall second) and r = s / w (preemptions per wall second);
 *   a generation is disturbed when u < USAGE_UTIL_FLOOR x median(u) (it got clearly less CPU
 *   per wall second than its siblings: something else had the cores), or when
 *   r > USAGE_SWITCH_FACTOR x median(r) + USAGE_SWITCH_SLACK (a burst of preemptions).
 * The utilisation test needs a generation of at least USAGE_MIN_WALL_S: process CPU time is
 * accounted in scheduler ticks (4 ms at 250 Hz), too coarse to compare shorter ones, which
 * only the preemption test judges.
 * It compares a run's generations with each other, so a load that lasts the whole run shows in
 * the load averages recorded beside it (usage_loadavg), not in the flags.  Disturbed
 * generations are kept and counted, never dropped.
 */
#ifndef FBW_UTIL_USAGE_H
#define FBW_UTIL_USAGE_H

#include <stddef.h>

#define USAGE_UTIL_FLOOR 0.8
#define USAGE_SWITCH_FACTOR 4.0
#define USAGE_SWITCH_SLACK 20.0
#define USAGE_MIN_WALL_S 0.05

struct usage {
    double wall_s;              /* monotonic clock */
    double cpu_s;               /* user + system CPU of every thread of the process */
    long minflt, majflt;        /* page faults: minor (no I/O), major (I/O) */
    long nvcsw, nivcsw;         /* context switches: voluntary (waits), involuntary (preempted) */
};

/* The process's counters now (cumulative since it started). */
void usage_now(struct usage *u);
/* *out = b - a, counter by counter (a taken before b). */
void usage_diff(const struct usage *a, const struct usage *b, struct usage *out);
/* The 1-minute load average, or NAN when the system does not say. */
double usage_loadavg(void);
/*
 * The runnable count of a /proc/loadavg line ("0.52 0.58 0.59 3/467 12345": 3, the scheduling
 * entities running or ready to run now, the reader included), or -1 when the text is not one.
 */
int usage_parse_runnable(const char *loadavg);
/*
 * How many of this process's CPUs are idle now: the CPUs it may run on minus the other
 * runnable tasks, the least of 5 readings of /proc/loadavg 20 ms apart (a task that only
 * passes by is not counted); at least 1.  Without /proc/loadavg: every CPU.
 */
int usage_idle_cpus(void);

/* Applies the rule above to n generations: flags[i] = 1 when generation i is disturbed.
 * Returns how many are. */
size_t usage_flag_disturbed(const struct usage *u, size_t n, int *flags);

#endif
