/* usage_test.c - the process counters and the disturbance rule of util/usage.h, on synthetic
 * generations whose expected flags follow from the rule's stated constants. */
#include "tests/support.h"

#include <math.h>
#include <stdlib.h>

#include "util/usage.h"

/* A generation of wall w seconds with utilisation u (CPU s per wall s) and r preemptions/s. */
static struct usage
gen(double w, double u, double r)
{
    return (struct usage){.wall_s = w, .cpu_s = u * w, .nivcsw = (long)(r * w)};
}

static void
test_quiet_run_has_none(void **state)
{
    (void)state;
    struct usage u[6];
    int flags[6];
    for (int i = 0; i < 6; i++)
        u[i] = gen(0.2 + 0.01 * i, 1.9 - 0.02 * i, 10 + i);
    assert_int_equal(usage_flag_disturbed(u, 6, flags), 0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(flags[i], 0);
}

static void
test_lost_cpu_is_flagged(void **state)
{
    (void)state;
    /* median utilisation 1.9; the floor is 0.8 x 1.9 = 1.52: 1.50 is below, 1.55 is not */
    struct usage u[5] = {gen(0.2, 1.9, 10), gen(0.2, 1.9, 10), gen(0.3, 1.50, 10),
                         gen(0.2, 1.9, 10), gen(0.25, 1.55, 10)};
    int flags[5];
    assert_int_equal(usage_flag_disturbed(u, 5, flags), 1);
    assert_int_equal(flags[2], 1);
    assert_int_equal(flags[4], 0);
}

static void
test_short_generations_skip_the_cpu_test(void **state)
{
    (void)state;
    /* 10 ms generations: the utilisation drop alone is within tick resolution, not flagged;
     * a preemption burst still is (4 x 10 + 20 = 60/s; 5 switches in 10 ms = 500/s) */
    struct usage u[4] = {gen(0.01, 1.9, 0), gen(0.01, 0.8, 0), gen(0.01, 1.9, 0),
                         gen(0.01, 1.9, 500)};
    int flags[4];
    assert_int_equal(usage_flag_disturbed(u, 4, flags), 1);
    assert_int_equal(flags[1], 0);
    assert_int_equal(flags[3], 1);
}

static void
test_preemption_burst_is_flagged(void **state)
{
    (void)state;
    /* median rate 10/s: the limit is 4 x 10 + 20 = 60/s; 70/s is above, 55/s is not */
    struct usage u[5] = {gen(1, 1.9, 10), gen(1, 1.9, 70), gen(1, 1.9, 10), gen(1, 1.9, 55),
                         gen(1, 1.9, 10)};
    int flags[5];
    assert_int_equal(usage_flag_disturbed(u, 5, flags), 1);
    assert_int_equal(flags[1], 1);
    assert_int_equal(flags[3], 0);
}

static void
test_counters(void **state)
{
    (void)state;
    struct usage a, b, d;
    usage_now(&a);
    volatile double x = 0;
    for (long i = 0; i < 30 * 1000 * 1000; i++)
        x += 1e-9 * (double)i;
    usage_now(&b);
    usage_diff(&a, &b, &d);
    assert_true(d.wall_s > 0 && d.cpu_s > 0);
    assert_true(d.cpu_s <= d.wall_s * 64 + 0.05);      /* at most all cores, plus tick slack */
    assert_true(d.minflt >= 0 && d.majflt >= 0 && d.nvcsw >= 0 && d.nivcsw >= 0);
    struct usage e;
    usage_diff(&b, &b, &e);
    assert_true(e.wall_s == 0 && e.cpu_s == 0 && e.nivcsw == 0);
    double l = usage_loadavg();
    assert_true(isnan(l) || l >= 0);
}

/* /proc/loadavg's fourth field, per proc_loadavg(5): runnable/total scheduling entities. */
static void
test_runnable(void **state)
{
    (void)state;
    assert_int_equal(usage_parse_runnable("0.52 0.58 0.59 3/467 12345\n"), 3);
    assert_int_equal(usage_parse_runnable("12.00 8.50 4.25 17/2048 99"), 17);
    assert_int_equal(usage_parse_runnable(""), -1);
    assert_int_equal(usage_parse_runnable("0.52 0.58 0.59"), -1);
    assert_int_equal(usage_parse_runnable("0.52 0.58 0.59 9/3 1"), -1);    /* more than all */
    const int idle = usage_idle_cpus();
    assert_true(idle >= 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet_run_has_none),
        cmocka_unit_test(test_lost_cpu_is_flagged),
        cmocka_unit_test(test_preemption_burst_is_flagged),
        cmocka_unit_test(test_short_generations_skip_the_cpu_test),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_runnable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
