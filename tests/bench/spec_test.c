/*
 * spec_test.c - the sweep value grammar, axes, the JSON spec and the expansion into cells.
 *
 * Every expected list below is worked out by hand from the grammar in bench/spec.h
 * (shared/reference/bench-tui.md 3.4): A1111's forms with exact decimal steps, ints truncated
 * toward zero in a-b [n], and errors where A1111 would silently return nothing or repeats.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/spec.h"
#include "util/err.h"
#include "util/sha256.h"

/* The values' texts joined by '|', or "error: " and the cause. */
static char *
parse_joined(enum sweep_knob k, const char *text)
{
    struct sweep_value *v = NULL;
    size_t n = 0;
    char *cause = NULL;
    if (sweep_values_parse(k, text, &v, &n, &cause) != 0) {
        char *r = xasprintf("error: %s", cause);
        free(cause);
        return r;
    }
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i].text) + 1;
    char *r = xcalloc(len, 1);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(r, "|");
        strcat(r, v[i].text);
    }
    sweep_values_free(v, n);
    return r;
}

#define expect_values(k, text, want)                                                        \
    do {                                                                                    \
        char *got_ = parse_joined((k), (text));                                             \
        if (strcmp(got_, (want)) != 0)                                                      \
            fail_msg("'%s': got '%s', want '%s'", (text), got_, (want));                    \
        free(got_);                                                                         \
    } while (0)

/* The parse fails with a cause containing want. */
#define expect_error(k, text, want)                                                         \
    do {                                                                                    \
        char *got_ = parse_joined((k), (text));                                             \
        if (strncmp(got_, "error: ", 7) != 0 || strstr(got_, (want)) == NULL)               \
            fail_msg("'%s': got '%s', want an error with '%s'", (text), got_, (want));      \
        free(got_);                                                                         \
    } while (0)

static void
test_lists(void **state)
{
    (void)state;
    expect_values(SWEEP_KNOB_STEPS, "1, 2, 3", "1|2|3");
    expect_values(SWEEP_KNOB_STEPS, "  7 ", "7");
    expect_values(SWEEP_KNOB_SAMPLER, "euler, heun,dpmpp_2m", "euler|heun|dpmpp_2m");
    /* CSV quotes keep a comma inside one value; "" is a quote. */
    expect_values(SWEEP_KNOB_MODEL, "\"a,b.st\", c.st", "a,b.st|c.st");
    expect_values(SWEEP_KNOB_MODEL, "\"say \"\"hi\"\"\"", "say \"hi\"");
    /* With `||` present, it separates instead of commas. */
    expect_values(SWEEP_KNOB_MODEL, "a,b.st || c.st", "a,b.st|c.st");
    expect_values(SWEEP_KNOB_STEPS, "1-3 || 10", "1|2|3|10");
    /* A quoted number is one literal value, never a range. */
    expect_values(SWEEP_KNOB_CFG, "\"4.5\", 5", "4.5|5");
    expect_error(SWEEP_KNOB_CFG, "\"1-3\"", "quoted values are not expanded");
}

static void
test_canonical_numbers(void **state)
{
    (void)state;
    expect_values(SWEEP_KNOB_THRESHOLD, "0.10, 0.050, 1.0, .5, 2.", "0.1|0.05|1|0.5|2");
    expect_values(SWEEP_KNOB_CFG, "1e1, 2.5E-1, 100", "10|0.25|100");
    expect_values(SWEEP_KNOB_THRESHOLD, "0.00000001, 0.0000001", "1e-8|0.0000001");
    expect_values(SWEEP_KNOB_THRESHOLD, "-0", "0");
    expect_values(SWEEP_KNOB_STEPS, "+5, 2.0, 1e2", "5|2|100");
    /* 0.30000000000000004 is another double than 0.3, and keeps its digits. */
    expect_values(SWEEP_KNOB_THRESHOLD, "0.30000000000000004", "0.30000000000000004");
}

static void
test_int_ranges(void **state)
{
    (void)state;
    expect_values(SWEEP_KNOB_STEPS, "1-5", "1|2|3|4|5");
    expect_values(SWEEP_KNOB_STEPS, "1-5 (+2)", "1|3|5");
    expect_values(SWEEP_KNOB_STEPS, "10-5 (-3)", "10|7");
    expect_values(SWEEP_KNOB_STEPS, "1-10(+3)", "1|4|7|10");
    expect_values(SWEEP_KNOB_STEPS, "3-3", "3");
    /* A step without a sign points from a to b (A1111 would not match "(1)" at all). */
    expect_values(SWEEP_KNOB_STEPS, "1-10 (1)", "1|2|3|4|5|6|7|8|9|10");
    expect_values(SWEEP_KNOB_STEPS, "5-1 (2)", "5|3|1");
    /* Negative endpoints. */
    expect_values(SWEEP_KNOB_MAX_HITS, "-1-2", "-1|0|1|2");
    expect_values(SWEEP_KNOB_MAX_HITS, "1--1 (-1)", "1|0|-1");
    expect_values(SWEEP_KNOB_MAX_HITS, "-1 - 1", "-1|0|1");
    expect_error(SWEEP_KNOB_MAX_HITS, "-5--1",
                 "max_consecutive_cache_hits must be in [-1, 1000], not -5");
}

static void
test_float_ranges(void **state)
{
    (void)state;
    struct sweep_value *v;
    size_t n;
    char *cause = NULL;
    /* Exactly three values, each the same double as the literal (A1111 gives four). */
    assert_int_equal(sweep_values_parse(SWEEP_KNOB_THRESHOLD, "0.1-0.3 (+0.1)", &v, &n, &cause),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].text, "0.1");
    assert_string_equal(v[1].text, "0.2");
    assert_string_equal(v[2].text, "0.3");
    assert_true(v[0].num == 0.1 && v[1].num == 0.2 && v[2].num == 0.3);
    sweep_values_free(v, n);

    assert_int_equal(sweep_values_parse(SWEEP_KNOB_THRESHOLD, "0-1 (+0.1)", &v, &n, &cause), 0);
    assert_int_equal(n, 11);
    assert_true(v[10].num == 1.0 && v[3].num == 0.3 && v[7].num == 0.7);
    sweep_values_free(v, n);
    expect_values(SWEEP_KNOB_THRESHOLD, "0-1 (+0.1)", "0|0.1|0.2|0.3|0.4|0.5|0.6|0.7|0.8|0.9|1");

    /* Down to 0.1 itself (A1111 ends at 0.1 - 2e-17). */
    expect_values(SWEEP_KNOB_THRESHOLD, "0.5-0.1 (-0.1)", "0.5|0.4|0.3|0.2|0.1");
    expect_values(SWEEP_KNOB_CFG, "1-3 (+0.5)", "1|1.5|2|2.5|3");
    expect_values(SWEEP_KNOB_CFG, "1-2", "1|2");
    /* The end is included only when the step lands on it. */
    expect_values(SWEEP_KNOB_THRESHOLD, "0-1 (+0.3)", "0|0.3|0.6|0.9");
    expect_values(SWEEP_KNOB_THRESHOLD, "0.1-0.3", "0.1");
    expect_values(SWEEP_KNOB_START, "1-0 (0.25)", "1|0.75|0.5|0.25|0");
}

static void
test_count_ranges(void **state)
{
    (void)state;
    /* Floats: exact decimals where they exist (A1111: 0.30000000000000004, 0.6000000000000001). */
    expect_values(SWEEP_KNOB_THRESHOLD, "0.1-0.5 [5]", "0.1|0.2|0.3|0.4|0.5");
    expect_values(SWEEP_KNOB_START, "0.0-1.0 [6]", "0|0.2|0.4|0.6|0.8|1");
    expect_values(SWEEP_KNOB_THRESHOLD, "0.05-0.3 [6]", "0.05|0.1|0.15|0.2|0.25|0.3");
    expect_values(SWEEP_KNOB_START, "0-1 [3]", "0|0.5|1");
    /* Thirds do not terminate: the nearest doubles, shortest text. */
    expect_values(SWEEP_KNOB_START, "0-1 [4]", "0|0.3333333333333333|0.6666666666666666|1");
    expect_values(SWEEP_KNOB_CFG, "5-5 [1]", "5");
    /* Ints: int(linspace), truncated as A1111 does. */
    expect_values(SWEEP_KNOB_STEPS, "1-10 [5]", "1|3|5|7|10");      /* 3.25 5.5 7.75 */
    expect_values(SWEEP_KNOB_STEPS, "1-10 [4]", "1|4|7|10");
    expect_values(SWEEP_KNOB_STEPS, "20-10 [3]", "20|15|10");
    expect_values(SWEEP_KNOB_STEPS, "10-20 [4]", "10|13|16|20");    /* 13.33 16.67 */
    /* 2^53 / 3 = 3002399751580330.67 and 2 * 2^53 / 3 = 6004799503160661.33, exactly. */
    expect_values(SWEEP_KNOB_SEED, "0-9007199254740992 [3]",
                  "0|4503599627370496|9007199254740992");
    expect_values(SWEEP_KNOB_SEED, "0-9007199254740992 [4]",
                  "0|3002399751580330|6004799503160661|9007199254740992");
    /* Truncation repeats values: an error naming the value.  1-3 [5] is 1 1.5 2 2.5 3. */
    expect_error(SWEEP_KNOB_STEPS, "1-3 [5]", "steps: duplicate value 1");
    /* -1 -0.5 0 0.5 1 truncates toward zero to -1 0 0 0 1 (floor would repeat -1). */
    expect_error(SWEEP_KNOB_MAX_HITS, "-1-1 [5]", "duplicate value 0");
    expect_error(SWEEP_KNOB_STEPS, "1-10 [0]", "count in '1-10 [0]' must be a whole number");
    expect_error(SWEEP_KNOB_STEPS, "1-10 [2.5]", "must be a whole number");
    expect_error(SWEEP_KNOB_STEPS, "1.5-3 [2]", "steps must be an integer, not 1.5");
}

static void
test_ellipsis(void **state)
{
    (void)state;
    struct sweep_value *v;
    size_t n;
    char *cause = NULL;
    expect_values(SWEEP_KNOB_STEPS, "1, 2, .., 5", "1|2|3|4|5");
    expect_values(SWEEP_KNOB_STEPS, "10, 8, ..., 2", "10|8|6|4|2");
    /* SwarmUI's example: the step changes with the two values before each `..`. */
    expect_values(SWEEP_KNOB_CFG, "1, 3, 5, 6, 6.5, .., 9, 11, 13",
                  "1|3|5|6|6.5|7|7.5|8|8.5|9|11|13");
    /* The two values before may come from a range. */
    expect_values(SWEEP_KNOB_STEPS, "1-3, .., 6", "1|2|3|4|5|6");
    assert_int_equal(sweep_values_parse(SWEEP_KNOB_THRESHOLD, "0.1, 0.2, .., 0.5", &v, &n,
                                        &cause), 0);
    assert_int_equal(n, 5);
    assert_true(v[2].num == 0.3 && v[4].num == 0.5);
    assert_string_equal(v[2].text, "0.3");
    sweep_values_free(v, n);

    expect_error(SWEEP_KNOB_STEPS, "1, .., 5", "'..' needs two values before it");
    expect_error(SWEEP_KNOB_STEPS, "1, 2, ..", "'..' needs one value after it");
    expect_error(SWEEP_KNOB_STEPS, "1, 2, .., ..", "'..' needs one value after it");
    expect_error(SWEEP_KNOB_STEPS, "2, 2, .., 5", "zero step");
    expect_error(SWEEP_KNOB_STEPS, "3, 2, .., 5", "'..' steps by -1 from 2, away from 5");
    expect_error(SWEEP_KNOB_STEPS, "1, 3, .., 6", "'..' steps by 2 from 3 and misses 6");
    expect_error(SWEEP_KNOB_STEPS, "1, 2, .., 2", "'..' ends at 2, the value before it");
    expect_error(SWEEP_KNOB_STEPS, "1, 2, .., 3-5", "'..' must be followed by one value");
}

static void
test_colon_ranges(void **state)
{
    (void)state;
    expect_values(SWEEP_KNOB_STEPS, "1:9:4", "1|5|9");
    expect_values(SWEEP_KNOB_STEPS, "1:10:4", "1|5|9");
    expect_values(SWEEP_KNOB_THRESHOLD, "0:0.3:0.1", "0|0.1|0.2|0.3");
    expect_values(SWEEP_KNOB_STEPS, "5:1:-2", "5|3|1");
    /* The step's sign is as written, as in numpy. */
    expect_error(SWEEP_KNOB_STEPS, "5:1:2", "step 2 does not go from 5 to 1");
    expect_error(SWEEP_KNOB_STEPS, "1:5", "cannot read '1:5'");
}

static void
test_bad_input(void **state)
{
    (void)state;
    char *got = parse_joined(SWEEP_KNOB_STEPS, "5-1");
    assert_string_equal(got, "error: steps: range 5-1 is empty; write 5-1 (-1) to count down");
    free(got);
    expect_error(SWEEP_KNOB_THRESHOLD, "0.1-0.5 (-0.1)", "step -0.1 does not go from 0.1 to 0.5");
    expect_error(SWEEP_KNOB_THRESHOLD, "", "no values given");
    expect_error(SWEEP_KNOB_THRESHOLD, "   ", "no values given");
    expect_error(SWEEP_KNOB_STEPS, "1,,2", "empty value");
    expect_error(SWEEP_KNOB_STEPS, "1, 2,", "empty value");
    expect_error(SWEEP_KNOB_STEPS, "1 || ", "empty value");
    expect_error(SWEEP_KNOB_MODEL, "\"\"", "empty value");
    expect_error(SWEEP_KNOB_THRESHOLD, "abc", "cannot read 'abc'");
    expect_error(SWEEP_KNOB_THRESHOLD, "1x5-2", "cannot read '1x5-2'");
    expect_error(SWEEP_KNOB_STEPS, "1-5 (+1", "cannot read '1-5 (+1'");
    expect_error(SWEEP_KNOB_STEPS, "1-5 x", "cannot read");
    expect_error(SWEEP_KNOB_STEPS, "1-5 (0)", "has a zero step");
    expect_error(SWEEP_KNOB_STEPS, "1-5 (+0)", "has a zero step");
    expect_error(SWEEP_KNOB_STEPS, "2.5", "steps must be an integer, not 2.5");
    expect_error(SWEEP_KNOB_STEPS, "1-2 (+0.5)", "steps must be an integer, not 1.5");
    expect_error(SWEEP_KNOB_STEPS, "99999999999999999999", "too many digits");
    expect_error(SWEEP_KNOB_MODEL, "\"a", "unterminated quote");
    expect_error(SWEEP_KNOB_MODEL, "\"a\" b", "text after a closing quote");
}

static void
test_bounds_and_limits(void **state)
{
    (void)state;
    expect_error(SWEEP_KNOB_THRESHOLD, "11", "residual_diff_threshold must be in [0, 10], not 11");
    expect_error(SWEEP_KNOB_THRESHOLD, "-0.5", "must be in [0, 10], not -0.5");
    expect_error(SWEEP_KNOB_STEPS, "0", "steps must be in [1, 10000], not 0");
    expect_error(SWEEP_KNOB_START, "0.5-1.5 (+0.5)", "start must be in [0, 1], not 1.5");
    expect_error(SWEEP_KNOB_CFG, "1e400", "cfg must be in [0, 100], not inf");
    expect_values(SWEEP_KNOB_SEED, "9007199254740992", "9007199254740992");
    expect_error(SWEEP_KNOB_SEED, "9007199254740993",
                 "seed must be in [0, 9007199254740992], not 9007199254740993");
    /* SWEEP_MAX_VALUES values and no more. */
    struct sweep_value *v;
    size_t n;
    char *cause = NULL;
    assert_int_equal(sweep_values_parse(SWEEP_KNOB_STEPS, "1-10000", &v, &n, &cause), 0);
    assert_int_equal(n, SWEEP_MAX_VALUES);
    sweep_values_free(v, n);
    expect_error(SWEEP_KNOB_SEED, "0-10000", "more than 10000");
    expect_error(SWEEP_KNOB_SEED, "0-100000000", "gives 100000001 values");
    expect_error(SWEEP_KNOB_SEED, "1, 0-9999", "more than 10000 values");
}

static void
test_duplicates(void **state)
{
    (void)state;
    expect_error(SWEEP_KNOB_STEPS, "1, 2, 1", "steps: duplicate value 1");
    expect_error(SWEEP_KNOB_THRESHOLD, "0.1, 0.10", "duplicate value 0.1");
    expect_error(SWEEP_KNOB_STEPS, "1-3, 3-5", "duplicate value 3");
    expect_error(SWEEP_KNOB_SAMPLER, "euler, heun, euler", "sampler: duplicate value euler");
}

static void
test_names(void **state)
{
    (void)state;
    char *got = parse_joined(SWEEP_KNOB_SAMPLER, "eulr");
    assert_string_equal(got, "error: unknown sampler 'eulr' (did you mean 'euler'?)");
    free(got);
    expect_error(SWEEP_KNOB_SAMPLER, "Euler", "unknown sampler 'Euler'");
    expect_error(SWEEP_KNOB_SCHEDULER, "normal, karas",
                 "unknown scheduler 'karas' (did you mean 'karras'?)");
    expect_error(SWEEP_KNOB_COMPILE, "max-autotune", "(did you mean 'none'?)");
    expect_values(SWEEP_KNOB_COMPILE, "none", "none");
    expect_values(SWEEP_KNOB_SCHEDULER, "normal, karras", "normal|karras");
    /* Names and paths take no ranges: "1-2" is a file name. */
    expect_values(SWEEP_KNOB_MODEL, "1-2, ..", "1-2|..");
}

static void
test_knobs(void **state)
{
    (void)state;
    const char *hint = NULL;
    assert_int_equal(sweep_knob_find("threshold", NULL), SWEEP_KNOB_THRESHOLD);
    assert_int_equal(sweep_knob_find("residual_diff_threshold", NULL), SWEEP_KNOB_THRESHOLD);
    assert_int_equal(sweep_knob_find("max_hits", NULL), SWEEP_KNOB_MAX_HITS);
    assert_int_equal(sweep_knob_find("max_consecutive_cache_hits", NULL), SWEEP_KNOB_MAX_HITS);
    assert_int_equal(sweep_knob_find("compile", NULL), SWEEP_KNOB_COMPILE);
    assert_int_equal(sweep_knob_find("treshold", &hint), -1);
    assert_string_equal(hint, "threshold");
    assert_int_equal(sweep_knob_find("schedular", &hint), -1);
    assert_string_equal(hint, "scheduler");

    const struct sweep_knob_info *t = sweep_knob_info(SWEEP_KNOB_THRESHOLD);
    assert_true(t->kind == SWEEP_KIND_FLOAT && t->cache_knob && t->lo == 0 && t->hi == 10);
    assert_true(sweep_knob_info(SWEEP_KNOB_MODEL)->cost == 1.0);
    assert_true(sweep_knob_info(SWEEP_KNOB_COMPILE)->cost == 0.5);
    assert_false(sweep_knob_info(SWEEP_KNOB_COMPILE)->cache_knob);
    assert_false(sweep_knob_info(SWEEP_KNOB_SEED)->cache_knob);
    /* Every default but the model's "" is one value of its own grammar, already canonical. */
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
        const struct sweep_knob_info *i = sweep_knob_info(k);
        assert_non_null(i->name);
        assert_non_null(i->help);
        assert_null(strchr(i->help, '\n'));
        if (k != SWEEP_KNOB_MODEL)
            expect_values(k, i->default_text, i->default_text);
    }
}

static void
test_set_axis(void **state)
{
    (void)state;
    struct sweep_spec s;
    char *cause = NULL;
    sweep_spec_init(&s);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_X, "threshold", &cause), -1);
    assert_non_null(strstr(cause, "expected knob=values"));
    free(cause);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_X, "thresh=0.1", &cause), -1);
    assert_string_equal(cause, "unknown knob 'thresh' (did you mean 'threshold'?)");
    free(cause);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_X, "steps=0", &cause), -1);
    assert_int_equal(s.axes[SWEEP_X].knob, -1);
    free(cause);

    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_X, " threshold = 0.1, 0.2 ", &cause), 0);
    assert_int_equal(s.axes[SWEEP_X].knob, SWEEP_KNOB_THRESHOLD);
    assert_string_equal(s.axes[SWEEP_X].source, "0.1, 0.2");
    assert_int_equal(s.axes[SWEEP_X].count, 2);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_Y, "residual_diff_threshold=0.3", &cause),
                     -1);
    assert_string_equal(cause, "residual_diff_threshold is already on the x axis");
    free(cause);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_X, "threshold=0.3", &cause), -1);
    free(cause);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_X, "steps=10", &cause), -1);
    assert_string_equal(cause, "the x axis already holds residual_diff_threshold");
    free(cause);
    assert_int_equal(sweep_spec_cell_count(&s), 2);
    sweep_spec_release(&s);
}

static void
test_set_fixed(void **state)
{
    (void)state;
    struct sweep_spec s;
    char *cause = NULL;
    sweep_spec_init(&s);
    assert_string_equal(s.fixed[SWEEP_KNOB_STEPS].text, "30");
    assert_true(s.fixed[SWEEP_KNOB_STEPS].num == 30);
    assert_true(isnan(s.fixed[SWEEP_KNOB_SAMPLER].num));
    assert_int_equal(s.repeat, 10);     /* the fewest rounds with [x(2), x(9)] at 95% */
    assert_int_equal(s.warmup, 1);
    assert_int_equal(sweep_spec_set_fixed(&s, "steps", "20", &cause), 0);
    assert_string_equal(s.fixed[SWEEP_KNOB_STEPS].text, "20");
    assert_true(s.fixed[SWEEP_KNOB_STEPS].num == 20);
    assert_int_equal(sweep_spec_set_fixed(&s, "steps", "10, 20", &cause), -1);
    assert_string_equal(cause, "steps takes one fixed value, not 2 ('10, 20')");
    free(cause);
    assert_string_equal(s.fixed[SWEEP_KNOB_STEPS].text, "20");
    assert_int_equal(sweep_spec_set_fixed(&s, "threshold", "0.250", &cause), 0);
    assert_string_equal(s.fixed[SWEEP_KNOB_THRESHOLD].text, "0.25");
    assert_int_equal(sweep_spec_set_fixed(&s, "model", "m.safetensors", &cause), 0);
    assert_string_equal(s.fixed[SWEEP_KNOB_MODEL].text, "m.safetensors");
    assert_int_equal(sweep_spec_set_fixed(&s, "model", "", &cause), 0);
    assert_string_equal(s.fixed[SWEEP_KNOB_MODEL].text, "");
    assert_int_equal(sweep_spec_set_fixed(&s, "stepz", "1", &cause), -1);
    assert_string_equal(cause, "unknown knob 'stepz' (did you mean 'steps'?)");
    free(cause);
    sweep_spec_release(&s);
}

/* from_json(text) must succeed; returns its canonical text. */
static char *
canonical_of(const char *json)
{
    struct sweep_spec s;
    char *cause = NULL;
    sweep_spec_init(&s);
    if (sweep_spec_from_json(&s, json, "spec.json", &cause) != 0)
        fail_msg("%s", cause);
    char *c = sweep_spec_canonical(&s);
    sweep_spec_release(&s);
    return c;
}

static void
test_json_canonical(void **state)
{
    (void)state;
    struct sweep_spec s;
    sweep_spec_init(&s);
    char *c = sweep_spec_canonical(&s);
    assert_string_equal(c,
        "{\"fixed\":{\"residual_diff_threshold\":\"0.1\",\"max_consecutive_cache_hits\":\"-1\","
        "\"start\":\"0\",\"end\":\"1\",\"sampler\":\"euler\",\"scheduler\":\"simple\","
        "\"steps\":\"30\",\"cfg\":\"3\",\"seed\":\"0\",\"class\":\"0\",\"model\":\"\","
        "\"compile\":\"none\"},\"repeat\":10,\"warmup\":1,\"budget_s\":0}");
    free(c);
    sweep_spec_release(&s);

    const char *in =
        "{\"budget_s\": 2.5, \"name\": \"t\", \"y\": \"scheduler = normal,karras\",\n"
        " \"x\": \"threshold=0.1, 0.2\", \"fixed\": {\"steps\": 20, \"cfg\": 4.5,\n"
        " \"start\": \"0.10\", \"sampler\": \"heun\", \"seed\": 7, \"threshold\": 0.7},\n"
        " \"repeat\": 5, \"warmup\": 0}";
    const char *want =
        "{\"name\":\"t\",\"x\":\"residual_diff_threshold=0.1, 0.2\","
        "\"y\":\"scheduler=normal,karras\",\"fixed\":{\"max_consecutive_cache_hits\":\"-1\","
        "\"start\":\"0.1\",\"end\":\"1\",\"sampler\":\"heun\",\"steps\":\"20\",\"cfg\":\"4.5\","
        "\"seed\":\"7\",\"class\":\"0\",\"model\":\"\",\"compile\":\"none\"},\"repeat\":5,"
        "\"warmup\":0,\"budget_s\":2.5}";
    c = canonical_of(in);
    assert_string_equal(c, want);
    /* Round trip: the canonical text reads back to the same canonical text. */
    char *again = canonical_of(c);
    assert_string_equal(again, want);
    free(again);
    free(c);

    /* budget_s prints shortest and reads back exactly. */
    c = canonical_of("{\"budget_s\": 0.1}");
    assert_non_null(strstr(c, "\"budget_s\":0.1}"));
    again = canonical_of(c);
    assert_string_equal(again, c);
    free(again);
    free(c);

    /* A JSON real reads as the decimal it denotes. */
    c = canonical_of("{\"fixed\": {\"threshold\": 0.1, \"cfg\": 7.0, \"model\": \"m.st\"}}");
    assert_non_null(strstr(c, "\"residual_diff_threshold\":\"0.1\""));
    assert_non_null(strstr(c, "\"cfg\":\"7\""));
    assert_non_null(strstr(c, "\"model\":\"m.st\""));
    again = canonical_of(c);
    assert_string_equal(again, c);
    free(again);
    free(c);
}

/* from_json(json) must fail with exactly want. */
static void
json_error_is(const char *json, const char *want)
{
    struct sweep_spec s;
    char *cause = NULL;
    sweep_spec_init(&s);
    s.name = xstrdup("keep");
    assert_int_equal(sweep_spec_from_json(&s, json, "spec.json", &cause), -1);
    if (strstr(cause, want) == NULL)
        fail_msg("got '%s', want '%s'", cause, want);
    assert_string_equal(s.name, "keep");        /* unchanged on failure */
    free(cause);
    sweep_spec_release(&s);
}

static void
test_json_errors(void **state)
{
    (void)state;
    json_error_is("{\"foo\": 1}", "spec.json: unknown key 'foo'");
    json_error_is("{", "spec.json:1:");
    json_error_is("[1]", "spec.json: expected a JSON object");
    json_error_is("{\"fixed\": {\"stepz\": 3}}",
                  "spec.json: fixed: unknown knob 'stepz' (did you mean 'steps'?)");
    json_error_is("{\"fixed\": {\"steps\": true}}", "fixed: steps must be a number or a string");
    json_error_is("{\"x\": \"sampler=eulr\"}",
                  "spec.json: x: unknown sampler 'eulr' (did you mean 'euler'?)");
    json_error_is("{\"x\": 3}", "x must be a string");
    json_error_is("{\"repeat\": 0}", "repeat must be an integer from 1");
    json_error_is("{\"budget_s\": -1}", "budget_s must be a number of seconds >= 0");
    json_error_is("{\"name\": \"a\", \"name\": \"b\"}", "spec.json:1:");
}

static void
test_load(void **state)
{
    (void)state;
    struct sweep_spec s;
    char *cause = NULL;
    char *path = test_tmppath("spec.json");
    const char *json = "{\"x\": \"steps=10, 20\", \"fixed\": {\"cfg\": \"5\"}}";
    test_write_file(path, json, strlen(json));
    sweep_spec_init(&s);
    assert_int_equal(sweep_spec_load(&s, path, &cause), 0);
    assert_int_equal(s.axes[SWEEP_X].knob, SWEEP_KNOB_STEPS);
    assert_string_equal(s.fixed[SWEEP_KNOB_CFG].text, "5");
    assert_int_equal(sweep_spec_load(&s, "/nonexistent/spec.json", &cause), -1);
    assert_non_null(strstr(cause, "cannot open spec '/nonexistent/spec.json'"));
    free(cause);
    sweep_spec_release(&s);
    free(path);
}

/* First 16 hex digits of SHA-256 over text. */
static void
hash16(const char *text, char out[17])
{
    char hex[SHA256_HEX_SIZE];
    sha256_hex(text, strlen(text), hex);
    memcpy(out, hex, 16);
    out[16] = '\0';
}

static void
test_expand_grid(void **state)
{
    (void)state;
    struct sweep_spec s;
    struct sweep_cell *c;
    size_t n;
    char *cause = NULL, want[17];
    sweep_spec_init(&s);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_X, "threshold=0.1, 0.2", &cause), 0);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_Y, "scheduler=normal, karras", &cause), 0);
    assert_int_equal(sweep_spec_cell_count(&s), 4);
    assert_int_equal(sweep_spec_expand(&s, &c, &n, &cause), 0);
    assert_int_equal(n, 4);
    for (size_t r = 0; r < n; r++) {      /* no costly axis: run order is grid order */
        assert_int_equal(c[r].number, r);
        assert_int_equal(c[r].ix, r % 2);
        assert_int_equal(c[r].iy, r / 2);
        assert_int_equal(c[r].iz, 0);
    }
    assert_string_equal(sweep_cell_text(&c[1], SWEEP_KNOB_THRESHOLD), "0.2");
    assert_true(sweep_cell_num(&c[1], SWEEP_KNOB_THRESHOLD) == 0.2);
    assert_string_equal(sweep_cell_text(&c[2], SWEEP_KNOB_SCHEDULER), "karras");
    assert_ptr_equal(c[1].v[SWEEP_KNOB_THRESHOLD], &s.axes[SWEEP_X].values[1]);
    assert_ptr_equal(c[1].v[SWEEP_KNOB_STEPS], &s.fixed[SWEEP_KNOB_STEPS]);
    assert_true(sweep_cell_num(&c[0], SWEEP_KNOB_STEPS) == 30);

    /* Cells 0 and 1 differ only in the threshold: one reference, two configs. */
    assert_string_equal(c[0].ref_hash, c[1].ref_hash);
    assert_string_not_equal(c[0].config_hash, c[1].config_hash);
    assert_string_not_equal(c[0].ref_hash, c[2].ref_hash);
    hash16("residual_diff_threshold=0.1\nmax_consecutive_cache_hits=-1\nstart=0\nend=1\n"
           "sampler=euler\nscheduler=normal\nsteps=30\ncfg=3\nseed=0\nclass=0\nmodel=\n"
           "compile=none\n", want);
    assert_string_equal(c[0].config_hash, want);
    hash16("sampler=euler\nscheduler=normal\nsteps=30\ncfg=3\nseed=0\nclass=0\nmodel=\n", want);
    assert_string_equal(c[0].ref_hash, want);
    free(c);
    sweep_spec_release(&s);

    /* No axes: one cell of fixed values. */
    sweep_spec_init(&s);
    assert_int_equal(sweep_spec_expand(&s, &c, &n, &cause), 0);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].number, 0);
    assert_string_equal(sweep_cell_text(&c[0], SWEEP_KNOB_SAMPLER), "euler");
    free(c);
    sweep_spec_release(&s);
}

/* Expands x, y, z (NULL: unused) and checks the cells' numbers in run order. */
static void
check_run_order(const char *x, const char *y, const char *z, const size_t *want, size_t n)
{
    struct sweep_spec s;
    struct sweep_cell *c;
    size_t got;
    char *cause = NULL;
    const char *axes[SWEEP_AXIS_COUNT] = {x, y, z};
    sweep_spec_init(&s);
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        if (axes[a] != NULL)
            assert_int_equal(sweep_spec_set_axis(&s, a, axes[a], &cause), 0);
    assert_int_equal(sweep_spec_expand(&s, &c, &got, &cause), 0);
    assert_int_equal(got, n);
    for (size_t r = 0; r < n; r++) {
        assert_int_equal(c[r].number, want[r]);
        size_t nx = s.axes[SWEEP_X].knob >= 0 ? s.axes[SWEEP_X].count : 1;
        size_t ny = s.axes[SWEEP_Y].knob >= 0 ? s.axes[SWEEP_Y].count : 1;
        assert_int_equal(c[r].ix + nx * (c[r].iy + ny * c[r].iz), c[r].number);
    }
    free(c);
    sweep_spec_release(&s);
}

static void
test_expand_run_order(void **state)
{
    (void)state;
    /* Default loops z, y, x: grid order. */
    check_run_order("threshold=0.1,0.2", "steps=10,20", "seed=1,2",
                    (size_t[]){0, 1, 2, 3, 4, 5, 6, 7}, 8);
    /* Model on x: x outermost, then y: (0,0) (0,1) (1,0) (1,1) = numbers 0 2 1 3. */
    check_run_order("model=a.st,b.st", "threshold=0.1,0.2", NULL, (size_t[]){0, 2, 1, 3}, 4);
    /* Model on x, ties keep z before y: x, z, y -> ix + 2*(iy + 2*iz). */
    check_run_order("model=a.st,b.st", "steps=10,20", "threshold=0.1,0.2",
                    (size_t[]){0, 2, 4, 6, 1, 3, 5, 7}, 8);
    /* Model on y (3 thresholds on x, 2 steps on z): y, z, x -> ix + 3*(iy + 2*iz). */
    check_run_order("threshold=0.1,0.2,0.3", "model=a.st,b.st", "steps=10,20",
                    (size_t[]){0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11}, 12);
}

/*
 * The dtype knob: names checked against core's compute dtypes with a suggestion, no ranges,
 * no duplicates; it picks the reference (a bf16 cell is compared with the bf16 reference) and
 * runs outside cheaper axes; at its default it stays out of the canonical spec and the hashes,
 * so sweeps stored before it existed keep their keys (the hashes test_expand_grid pins).
 */
static void
test_dtype_knob(void **state)
{
    (void)state;
    assert_int_equal(sweep_knob_find("dtype", NULL), SWEEP_KNOB_DTYPE);
    const struct sweep_knob_info *i = sweep_knob_info(SWEEP_KNOB_DTYPE);
    assert_true(i->kind == SWEEP_KIND_NAME && !i->cache_knob && i->quiet_default);
    assert_string_equal(i->default_text, "f32");
    assert_true(i->cost > sweep_knob_info(SWEEP_KNOB_COMPILE)->cost &&
                i->cost < sweep_knob_info(SWEEP_KNOB_MODEL)->cost);
    const char *hint = NULL;
    assert_int_equal(sweep_knob_find("dtyp", &hint), -1);
    assert_string_equal(hint, "dtype");

    expect_values(SWEEP_KNOB_DTYPE, "f32, bf16,f16", "f32|bf16|f16");
    expect_values(SWEEP_KNOB_DTYPE, "bf16 || f32", "bf16|f32");
    expect_error(SWEEP_KNOB_DTYPE, "bf61", "unknown dtype 'bf61' (did you mean 'bf16'?)");
    expect_error(SWEEP_KNOB_DTYPE, "f32, fp16", "unknown dtype 'fp16' (did you mean 'f16'?)");
    expect_error(SWEEP_KNOB_DTYPE, "f64", "unknown dtype 'f64'");
    expect_error(SWEEP_KNOB_DTYPE, "BF16", "unknown dtype 'BF16'");
    expect_error(SWEEP_KNOB_DTYPE, "16-32", "unknown dtype '16-32'");
    expect_error(SWEEP_KNOB_DTYPE, "bf16, f16, bf16", "dtype: duplicate value bf16");
    expect_error(SWEEP_KNOB_DTYPE, "f32,", "dtype: empty value");

    struct sweep_spec s;
    char *cause = NULL;
    sweep_spec_init(&s);
    assert_int_equal(sweep_spec_set_fixed(&s, "dtype", "f15", &cause), -1);
    assert_string_equal(cause, "unknown dtype 'f15' (did you mean 'f16'?)");
    free(cause);
    /* At the default, set explicitly or not, the canonical text has no dtype. */
    char *plain = sweep_spec_canonical(&s);
    assert_int_equal(sweep_spec_set_fixed(&s, "dtype", "f32", &cause), 0);
    char *c = sweep_spec_canonical(&s);
    assert_string_equal(c, plain);
    assert_null(strstr(c, "dtype"));
    free(c);
    assert_int_equal(sweep_spec_set_fixed(&s, "dtype", "bf16", &cause), 0);
    c = sweep_spec_canonical(&s);
    assert_non_null(strstr(c, ",\"compile\":\"none\",\"dtype\":\"bf16\"},"));
    char *again = canonical_of(c);
    assert_string_equal(again, c);
    free(again);
    free(c);
    sweep_spec_release(&s);
    c = canonical_of("{\"x\": \"dtype=f32, bf16\", \"fixed\": {\"dtype\": \"f16\"}}");
    assert_non_null(strstr(c, "\"x\":\"dtype=f32, bf16\""));
    assert_null(strstr(c, "\"dtype\":\"f16\""));     /* on an axis, not fixed */
    free(c);
    json_error_is("{\"fixed\": {\"dtype\": \"float8\"}}", "fixed: unknown dtype 'float8'");
    json_error_is("{\"y\": \"dtype=bf16,bf61\"}",
                  "spec.json: y: unknown dtype 'bf61' (did you mean 'bf16'?)");

    /* dtype x threshold: two references (one per dtype), shared across thresholds; the f32
     * cells hash as if the knob did not exist. */
    struct sweep_cell *cells;
    size_t n;
    char want[17];
    sweep_spec_init(&s);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_X, "threshold=0.1, 0.2", &cause), 0);
    assert_int_equal(sweep_spec_set_axis(&s, SWEEP_Y, "dtype=f32, bf16", &cause), 0);
    assert_int_equal(sweep_spec_expand(&s, &cells, &n, &cause), 0);
    assert_int_equal(n, 4);
    /* dtype costs more than threshold: y is the outer loop, so run order is grid order. */
    for (size_t r = 0; r < n; r++)
        assert_int_equal(cells[r].number, r);
    assert_string_equal(sweep_cell_text(&cells[2], SWEEP_KNOB_DTYPE), "bf16");
    assert_string_equal(cells[0].ref_hash, cells[1].ref_hash);
    assert_string_equal(cells[2].ref_hash, cells[3].ref_hash);
    assert_string_not_equal(cells[0].ref_hash, cells[2].ref_hash);
    hash16("sampler=euler\nscheduler=simple\nsteps=30\ncfg=3\nseed=0\nclass=0\nmodel=\n", want);
    assert_string_equal(cells[0].ref_hash, want);
    hash16("sampler=euler\nscheduler=simple\nsteps=30\ncfg=3\nseed=0\nclass=0\nmodel=\n"
           "dtype=bf16\n", want);
    assert_string_equal(cells[2].ref_hash, want);
    hash16("residual_diff_threshold=0.2\nmax_consecutive_cache_hits=-1\nstart=0\nend=1\n"
           "sampler=euler\nscheduler=simple\nsteps=30\ncfg=3\nseed=0\nclass=0\nmodel=\n"
           "compile=none\ndtype=bf16\n", want);
    assert_string_equal(cells[3].config_hash, want);
    free(cells);
    sweep_spec_release(&s);
    /* Against cheaper axes dtype is the outer loop; a model axis stays outside it. */
    check_run_order("dtype=f32,bf16", "threshold=0.1,0.2", NULL, (size_t[]){0, 2, 1, 3}, 4);
    check_run_order("dtype=f32,bf16", "model=a.st,b.st", NULL, (size_t[]){0, 1, 2, 3}, 4);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_canonical_numbers),
        cmocka_unit_test(test_int_ranges),
        cmocka_unit_test(test_float_ranges),
        cmocka_unit_test(test_count_ranges),
        cmocka_unit_test(test_ellipsis),
        cmocka_unit_test(test_colon_ranges),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_bounds_and_limits),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_knobs),
        cmocka_unit_test(test_set_axis),
        cmocka_unit_test(test_set_fixed),
        cmocka_unit_test(test_json_canonical),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_expand_grid),
        cmocka_unit_test(test_expand_run_order),
        cmocka_unit_test(test_dtype_knob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
