/*
 * trace_test.c - hit counting and the "steps that hit" text over hand-built traces, and the
 * JSON Lines form.
 */
#include "tests/support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"

/* A trace with calls_per_step calls per step; hits[] says which steps hit (all their calls),
 * except that step `half` (if >= 0) hits on its first call only. */
static void
trace_build(struct trace *t, const int *hits, int steps, int calls_per_step, int half)
{
    trace_init(t);
    for (int s = 0; s < steps; s++)
        for (int c = 0; c < calls_per_step; c++) {
            struct trace_record *r = trace_append(t);
            r->step = s;
            r->call = c;
            r->hit = hits[s] || (s == half && c == 0);
        }
}

static void
expect_text(const int *hits, int steps, int calls, int half, const char *want)
{
    struct trace t;
    trace_build(&t, hits, steps, calls, half);
    char *got = trace_steps_hit_text(&t);
    assert_string_equal(got, want);
    free(got);
    trace_release(&t);
}

static void
test_steps_hit_text(void **state)
{
    (void)state;
    const int none[6] = {0}, all[6] = {1, 1, 1, 1, 1, 1};
    const int mixed[12] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0};
    const int islands[8] = {1, 0, 1, 0, 0, 1, 1, 0};
    const int tail[5] = {0, 0, 1, 0, 1};
    expect_text(none, 6, 1, -1, "");
    expect_text(all, 6, 1, -1, "0-5");
    expect_text(mixed, 12, 1, -1, "5-9");
    expect_text(islands, 8, 1, -1, "0,2,5-6");
    expect_text(tail, 5, 1, -1, "2,4");
    /* A step whose second call missed (heun-like two calls per step) does not count. */
    expect_text(mixed, 12, 2, 10, "5-9");
    const int gap[6] = {0, 1, 1, 0, 1, 1};
    expect_text(gap, 6, 2, 3, "1-2,4-5");
}

static void
test_counts(void **state)
{
    (void)state;
    const int hits[4] = {0, 1, 0, 1};
    struct trace t;
    trace_build(&t, hits, 4, 2, 2);
    size_t steps = 0;
    assert_int_equal(trace_hits(&t), 5);        /* 2 + 2 full steps, 1 half */
    assert_int_equal(trace_steps_hit(&t, &steps), 2);
    assert_int_equal(steps, 4);
    trace_release(&t);
}

/* The trace as JSON Lines text (allocated). */
static char *
jsonl_of(const struct trace *t)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    assert_int_equal(trace_write_jsonl(t, f), 0);
    fclose(f);
    return buf;
}

/* DESIGN.md's keys in order, then seq, then the compute dtype when the trace knows it. */
static void
test_jsonl(void **state)
{
    (void)state;
    const int hits[2] = {0, 1};
    struct trace t;
    trace_build(&t, hits, 2, 1, -1);
    t.records[1].rel_l1 = 0.0625;
    t.records[1].reason = TRACE_HIT;
    char *text = jsonl_of(&t);
    assert_string_equal(text,
        "{\"step\":0,\"call\":0,\"sigma\":0.0,\"timestep\":0.0,\"rel_l1\":null,\"hit\":false,"
        "\"reason\":\"off\",\"ms\":0.0,\"seq\":0}\n"
        "{\"step\":1,\"call\":0,\"sigma\":0.0,\"timestep\":0.0,\"rel_l1\":0.0625,\"hit\":true,"
        "\"reason\":\"hit\",\"ms\":0.0,\"seq\":0}\n");
    free(text);
    t.dtype = "bf16";
    trace_reset(&t);
    trace_append(&t)->hit = 0;
    assert_string_equal(t.dtype, "bf16");       /* kept across a reset */
    text = jsonl_of(&t);
    assert_string_equal(text,
        "{\"step\":0,\"call\":0,\"sigma\":0.0,\"timestep\":0.0,\"rel_l1\":null,\"hit\":false,"
        "\"reason\":\"off\",\"ms\":0.0,\"seq\":0,\"dtype\":\"bf16\"}\n");
    free(text);
    trace_release(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps_hit_text),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_jsonl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
