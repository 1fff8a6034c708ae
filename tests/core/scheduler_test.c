/*
 * scheduler_test.c - model-sampling tables (EPS, DiscreteFlow, Flux), the scheduler registry,
 * and the edit distance behind its "did you mean".
 *
 * Golden data come from two independent places: the vectors, table endpoints and quirk values
 * quoted in shared/reference/sampling.md (A.2-A.4) and fbcache.md, pasted below, and
 * tests/ref/schedulers.txt, written by tests/ref/schedulers.py from the formulas with
 * numpy/scipy.  Tolerances: 1e-6 relative for schedules (1e-5 for normal/sgm_uniform, as A.4
 * allows), plus half a unit of the last printed digit for the hand-quoted vectors.  The flow
 * tables must match the reference's float32 emulation of ComfyUI's torch code bit for bit.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model_sampling.h"
#include "core/scheduler.h"
#include "util/err.h"
#include "util/strdist.h"

#define REF_PATH "tests/ref/schedulers.txt"
#define REF_MAGIC "fbw-ref schedulers 1"

/*
 * The tables the tests use, by the tag tests/ref/schedulers.txt gives them: the two EPS beta
 * schedules (at their enum's index), SD3 (ComfyUI's ModelSamplingSD3 node defaults), FLUX.1-dev
 * and FLUX-schnell (DiscreteFlow with shift 1, multiplier 1).
 */
enum { TAB_DIT, TAB_SD15, TAB_SD3, TAB_FLUX, TAB_SCHNELL, TAB_COUNT };

static const struct {
    const char *tag;
    enum model_sampling_kind kind;
    double shift, multiplier;       /* flow kinds */
} tab_defs[TAB_COUNT] = {
    [TAB_DIT] = { "linear", MODEL_SAMPLING_EPS, 0, 0 },
    [TAB_SD15] = { "scaled_linear", MODEL_SAMPLING_EPS, 0, 0 },
    [TAB_SD3] = { "sd3", MODEL_SAMPLING_FLOW, 3.0, 1000.0 },
    [TAB_FLUX] = { "flux", MODEL_SAMPLING_FLUX, 1.15, 1.0 },
    [TAB_SCHNELL] = { "schnell", MODEL_SAMPLING_FLOW, 1.0, 1.0 },
};

/* Built once per group. */
struct fixture {
    struct model_sampling ms[TAB_COUNT];
};

static int
tab_init(struct model_sampling *ms, int t, char **cause)
{
    switch (tab_defs[t].kind) {
    case MODEL_SAMPLING_EPS:
        return model_sampling_init_discrete(ms, t == TAB_DIT ? MODEL_SAMPLING_BETA_LINEAR
                                                             : MODEL_SAMPLING_BETA_SCALED_LINEAR,
                                            0, 0, 1000, cause);
    case MODEL_SAMPLING_FLOW:
        return model_sampling_init_flow(ms, tab_defs[t].shift, tab_defs[t].multiplier, 1000,
                                        cause);
    default:
        return model_sampling_init_flux(ms, tab_defs[t].shift, cause);
    }
}

static int
setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    for (int t = 0; t < TAB_COUNT; t++) {
        char *cause = NULL;
        if (tab_init(&f->ms[t], t, &cause) != 0) {
            fprintf(stderr, "init %s: %s\n", tab_defs[t].tag, cause);
            free(cause);
            return -1;
        }
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    for (int t = 0; t < TAB_COUNT; t++)
        model_sampling_release(&f->ms[t]);
    free(f);
    return 0;
}

static const struct model_sampling *
tab(void **state, int t)
{
    return &((struct fixture *)*state)->ms[t];
}

static const struct model_sampling *
sd15(void **state)
{
    return tab(state, TAB_SD15);
}

static const struct model_sampling *
dit(void **state)
{
    return tab(state, TAB_DIT);
}

/* Run the named scheduler; fails the test on error.  The caller frees the result. */
static double *
run(const char *name, const struct model_sampling *ms, int steps, int *count)
{
    const struct scheduler *s = scheduler_find(name);
    if (s == NULL)
        fail_msg("no scheduler '%s'", name);
    double *sig = NULL;
    char *cause = NULL;
    if (scheduler_sigmas(s, ms, steps, &sig, count, &cause) != 0)
        fail_msg("%s(%d): %s", name, steps, cause);
    return sig;
}

static void
expect_vector(const char *name, const struct model_sampling *ms, int steps, const double *want,
              int n, double rtol, double atol)
{
    int count = 0;
    double *got = run(name, ms, steps, &count);
    assert_int_equal(count, n);
    for (int i = 0; i < n; i++)
        assert_close(got[i], want[i], rtol, atol);
    free(got);
}

static void
test_beta_names(void **state)
{
    (void)state;
    assert_string_equal(model_sampling_beta_name(MODEL_SAMPLING_BETA_LINEAR), "linear");
    assert_string_equal(model_sampling_beta_name(MODEL_SAMPLING_BETA_SCALED_LINEAR),
                        "scaled_linear");
    for (int b = 0; b < MODEL_SAMPLING_BETA_COUNT; b++)
        assert_int_equal(model_sampling_beta_from_name(model_sampling_beta_name(b)), b);
    assert_int_equal(model_sampling_beta_from_name("cosine"), -1);
    assert_int_equal(model_sampling_beta_from_name(NULL), -1);
    assert_string_equal(model_sampling_kind_name(MODEL_SAMPLING_EPS), "eps");
}

static void
test_init_errors(void **state)
{
    (void)state;
    struct model_sampling ms;
    char *cause = NULL;
    assert_int_equal(model_sampling_init_discrete(&ms, MODEL_SAMPLING_BETA_LINEAR, 0, 0, 1,
                                                  &cause), -1);
    assert_non_null(cause);
    assert_non_null(strstr(cause, "timesteps"));
    free(cause);
    cause = NULL;
    assert_int_equal(model_sampling_init_discrete(&ms, MODEL_SAMPLING_BETA_LINEAR, 1e-4, 1.5,
                                                  1000, &cause), -1);
    assert_non_null(cause);
    free(cause);
    assert_null(ms.sigmas);
    model_sampling_release(&ms);
    model_sampling_release(NULL);

    /* Explicit defaults give the same table as "use the default". */
    struct model_sampling a, b;
    assert_int_equal(model_sampling_init_discrete(&a, MODEL_SAMPLING_BETA_SCALED_LINEAR,
                                                  0.00085, 0.012, 1000, NULL), 0);
    assert_int_equal(model_sampling_init_discrete(&b, MODEL_SAMPLING_BETA_SCALED_LINEAR,
                                                  -1, 0, 1000, NULL), 0);
    assert_memory_equal(a.sigmas, b.sigmas, 1000 * sizeof *a.sigmas);
    assert_int_equal(a.kind, MODEL_SAMPLING_EPS);
    model_sampling_release(&a);
    model_sampling_release(&b);
}

/* A.2: the SD1.5 (scaled_linear) and DiT (linear) table endpoints. */
static void
test_table_endpoints(void **state)
{
    const struct model_sampling *sd = sd15(state);
    assert_int_equal(sd->n, 1000);
    assert_close(sd->sigma_min, 0.029167158, 1e-7, 0);
    assert_close(sd->sigma_max, 14.614641229, 1e-7, 0);
    assert_close(sd->sigmas[1], 0.041314412, 1e-7, 0);
    assert_close(sd->sigmas[500], 1.618278826, 1e-7, 0);
    assert_true(sd->sigma_min == sd->sigmas[0] && sd->sigma_max == sd->sigmas[999]);

    const struct model_sampling *d = dit(state);
    assert_close(d->sigma_min, 0.0100005, 1e-6, 0);
    assert_close(d->sigma_max, 157.40728, 1e-6, 0);
    for (int i = 1; i < 1000; i++) {
        assert_true(sd->sigmas[i] > sd->sigmas[i - 1]);
        assert_true(d->sigmas[i] > d->sigmas[i - 1]);
    }
}

/* A.4 vectors, pasted from shared/reference/sampling.md (6 decimals: atol 5e-7). */
static void
test_a4_vectors(void **state)
{
    static const double karras_fixed[] = {
        14.614600, 9.103405, 5.479027, 3.169204, 1.749901, 0.914420, 0.447145, 0.201532,
        0.081981, 0.029200, 0,
    };
    static const double sd_karras[] = {
        14.614641, 9.102928, 5.478392, 3.168603, 1.749417, 0.914072, 0.446918, 0.201398,
        0.081910, 0.029167, 0,
    };
    static const double sd_normal[] = {
        14.614641, 7.839883, 4.609174, 2.918307, 1.950161, 1.344928, 0.932358, 0.624977,
        0.368658, 0.029167, 0,
    };
    /* karras(10, 0.0292, 14.6146): the formula schedulers read only sigma_min/sigma_max. */
    struct model_sampling fixed = {
        .kind = MODEL_SAMPLING_EPS, .n = 0, .sigma_min = 0.0292, .sigma_max = 14.6146,
    };
    expect_vector("karras", &fixed, 10, karras_fixed, 11, 1e-6, 5e-7);
    expect_vector("karras", sd15(state), 10, sd_karras, 11, 1e-6, 5e-7);
    expect_vector("normal", sd15(state), 10, sd_normal, 11, 1e-5, 5e-7);

    /* "SD3 flow shift=3 simple": the strided walk down ComfyUI's DiscreteFlow table. */
    static const double sd3_simple[] = {
        1, 0.964286, 0.923077, 0.875000, 0.818182, 0.750000, 0.666667, 0.562500, 0.428571,
        0.250000, 0,
    };
    expect_vector("simple", tab(state, TAB_SD3), 10, sd3_simple, 11, 1e-6, 5e-7);
}

/* sampling.md A.2: DiscreteFlow's time_snr_shift and Flux's flux_time_shift, in double. */
static double
time_snr_shift(double alpha, double t)
{
    return alpha == 1.0 ? t : alpha * t / (1 + (alpha - 1) * t);
}

static double
flux_time_shift(double mu, double t)
{
    return exp(mu) / (exp(mu) + (1 / t - 1));
}

static void
test_flow_kinds(void **state)
{
    assert_string_equal(model_sampling_kind_name(MODEL_SAMPLING_FLOW), "flow");
    assert_string_equal(model_sampling_kind_name(MODEL_SAMPLING_FLUX), "flux");
    assert_false(model_sampling_is_const(sd15(state)));
    assert_false(model_sampling_is_const(dit(state)));
    assert_true(model_sampling_is_const(tab(state, TAB_SD3)));
    assert_true(model_sampling_is_const(tab(state, TAB_SCHNELL)));
    assert_true(model_sampling_is_const(tab(state, TAB_FLUX)));
    assert_int_equal(tab(state, TAB_SD3)->kind, MODEL_SAMPLING_FLOW);
    assert_int_equal(tab(state, TAB_FLUX)->kind, MODEL_SAMPLING_FLUX);

    /* Bad parameters fail with a cause and leave nothing owned. */
    static const double bad_flow[][2] = { { 0, 1000 }, { -1, 1000 }, { 3, 0 }, { NAN, 1 } };
    for (size_t i = 0; i < sizeof bad_flow / sizeof bad_flow[0]; i++) {
        struct model_sampling ms;
        char *cause = NULL;
        assert_int_equal(model_sampling_init_flow(&ms, bad_flow[i][0], bad_flow[i][1], 1000,
                                                  &cause), -1);
        assert_non_null(strstr(cause, "shift"));
        assert_null(ms.sigmas);
        free(cause);
    }
    struct model_sampling ms;
    char *cause = NULL;
    assert_int_equal(model_sampling_init_flow(&ms, 3, 1000, 1, &cause), -1);
    assert_non_null(strstr(cause, "timesteps"));
    free(cause);
    cause = NULL;
    assert_int_equal(model_sampling_init_flux(&ms, INFINITY, &cause), -1);
    assert_non_null(cause);
    assert_null(ms.sigmas);
    free(cause);
}

/*
 * A.2: the flow tables' sizes and endpoints (SD3's sigma_min is shift(0.001) = 0.002994), and
 * every entry within an ulp or two of the double formula (ComfyUI computes them in float32).
 */
static void
test_flow_tables(void **state)
{
    const struct model_sampling *sd3 = tab(state, TAB_SD3);
    const struct model_sampling *flux = tab(state, TAB_FLUX);
    const struct model_sampling *schnell = tab(state, TAB_SCHNELL);
    assert_int_equal(sd3->n, 1000);
    assert_int_equal(schnell->n, 1000);
    assert_int_equal(flux->n, 10000);
    assert_close(sd3->sigma_min, 0.002994, 0, 5e-7);
    assert_close(sd3->sigma_min, time_snr_shift(3, 0.001), 2.5e-7, 0);
    assert_close(flux->sigma_min, flux_time_shift(1.15, 1e-4), 2.5e-7, 0);
    assert_true(sd3->sigma_max == 1.0 && flux->sigma_max == 1.0 && schnell->sigma_max == 1.0);
    assert_true(schnell->sigma_min == (double)0.001f);
    for (int i = 0; i < 1000; i++) {
        double t = (i + 1) / 1000.0;
        assert_close(sd3->sigmas[i], time_snr_shift(3, t), 2.5e-7, 0);
        assert_true(schnell->sigmas[i] == (float)t);
        assert_true(i == 0 || sd3->sigmas[i] > sd3->sigmas[i - 1]);
    }
    for (int i = 0; i < 10000; i++) {
        assert_close(flux->sigmas[i], flux_time_shift(1.15, (i + 1) / 10000.0), 2.5e-7, 0);
        assert_true(i == 0 || flux->sigmas[i] > flux->sigmas[i - 1]);
    }
}

/*
 * A.3 quirk: normal goes from timestep(sigma_max) to timestep(sigma_min) = sigma_min *
 * multiplier and maps back through sigma(), so on a shifted flow table the shift is applied
 * twice at the low end: SD3 shift 3 ends at 0.008929, not at sigma_min 0.002994, and FLUX's
 * normal ends at 0.000997.  sgm_uniform never reaches that end.
 */
static void
test_normal_double_shift(void **state)
{
    static const double sd3_end = 0.008929, flux_end = 0.000997;     /* pasted from A.3 */
    const struct model_sampling *sd3 = tab(state, TAB_SD3);
    const struct model_sampling *flux = tab(state, TAB_FLUX);
    for (int steps = 2; steps <= 40; steps++) {
        int count = 0;
        double *sig = run("normal", sd3, steps, &count);
        assert_int_equal(count, steps + 1);
        assert_close(sig[0], 1.0, 0, 0);
        assert_close(sig[steps - 1], sd3_end, 0, 5e-7);
        assert_close(sig[steps - 1], time_snr_shift(3, time_snr_shift(3, 0.001)), 1e-5, 0);
        assert_true(sig[steps - 1] > 2.9 * sd3->sigma_min);
        assert_true(sig[steps] == 0.0);
        free(sig);
        sig = run("normal", flux, steps, &count);
        assert_int_equal(count, steps + 1);
        assert_close(sig[steps - 1], flux_end, 0, 5e-7);
        free(sig);
    }
    /* Without a shift, timestep() inverts sigma() and normal ends at sigma_min. */
    int count = 0;
    double *sig = run("normal", tab(state, TAB_SCHNELL), 10, &count);
    assert_close(sig[9], 0.001, 1e-6, 0);
    free(sig);
}

/* A.2: flow timestep() is sigma * multiplier, not the inverse of sigma(). */
static void
test_flow_maps(void **state)
{
    const struct model_sampling *sd3 = tab(state, TAB_SD3);
    const struct model_sampling *flux = tab(state, TAB_FLUX);
    const struct model_sampling *schnell = tab(state, TAB_SCHNELL);
    for (double s = 0.05; s < 1.0; s += 0.05) {
        assert_true(model_sampling_timestep(sd3, s) == s * 1000.0);
        assert_true(model_sampling_timestep(flux, s) == s);
        assert_true(model_sampling_timestep(schnell, s) == s);
        assert_close(model_sampling_sigma(sd3, s * 1000.0), time_snr_shift(3, s), 1e-15, 0);
        assert_close(model_sampling_sigma(flux, s), flux_time_shift(1.15, s), 1e-15, 0);
        /* Round trips: the identity only where there is no shift. */
        assert_true(model_sampling_sigma(sd3, model_sampling_timestep(sd3, s)) > s);
        assert_true(model_sampling_sigma(flux, model_sampling_timestep(flux, s)) > s);
        assert_close(model_sampling_sigma(schnell, model_sampling_timestep(schnell, s)), s,
                     1e-15, 0);
    }
    assert_true(model_sampling_timestep(sd3, 0.5) == 500.0);
    assert_close(model_sampling_sigma(sd3, 500.0), 0.75, 1e-15, 0);
    assert_true(model_sampling_sigma(sd3, 0.0) == 0.0);
    assert_true(model_sampling_sigma(flux, 0.0) == 0.0);
    assert_close(model_sampling_sigma(flux, 1.0), 1.0, 1e-15, 0);
}

/*
 * percent_to_sigma on the flow kinds: 1 before the start (not EPS's 999999999.9), 0 at the end,
 * and the shift at 1 - p between, whatever the multiplier.  fbcache.md's example: FLUX with
 * start 0.2 gives e^1.15 / (e^1.15 + 0.25) ~ 0.927.
 */
static void
test_flow_percent(void **state)
{
    const struct model_sampling *flux = tab(state, TAB_FLUX);
    const struct model_sampling *sd3 = tab(state, TAB_SD3);
    for (int t = TAB_SD3; t < TAB_COUNT; t++) {
        const struct model_sampling *ms = tab(state, t);
        assert_true(model_sampling_percent_to_sigma(ms, 0.0) == 1.0);
        assert_true(model_sampling_percent_to_sigma(ms, -0.5) == 1.0);
        assert_true(model_sampling_percent_to_sigma(ms, 1.0) == 0.0);
        assert_true(model_sampling_percent_to_sigma(ms, 1.5) == 0.0);
    }
    double e = exp(1.15);
    assert_close(model_sampling_percent_to_sigma(flux, 0.2), e / (e + 0.25), 1e-15, 0);
    assert_close(model_sampling_percent_to_sigma(flux, 0.2), 0.927, 0, 5e-4);
    assert_close(model_sampling_percent_to_sigma(sd3, 0.5), 0.75, 1e-15, 0);
    assert_close(model_sampling_percent_to_sigma(tab(state, TAB_SCHNELL), 0.2), 0.8, 1e-15, 0);
}

/* Parse a whitespace-separated double; fails the test on junk. */
static double
ref_double(const char *tok, int line)
{
    char *end = NULL;
    if (tok == NULL)
        fail_msg("%s:%d: missing number", REF_PATH, line);
    double v = strtod(tok, &end);
    if (end == tok || *end != '\0')
        fail_msg("%s:%d: bad number '%s'", REF_PATH, line, tok);
    return v;
}

/* The index of the table a record's tag names; fails the test on an unknown tag. */
static int
ref_table_index(const char *name, int line)
{
    for (int t = 0; name != NULL && t < TAB_COUNT; t++) {
        if (strcmp(tab_defs[t].tag, name) == 0)
            return t;
    }
    fail_msg("%s:%d: unknown table '%s'", REF_PATH, line, name ? name : "(none)");
    return -1;
}

static const struct model_sampling *
ref_table(void **state, const char *name, int line)
{
    return tab(state, ref_table_index(name, line));
}

/* "sched <name> <beta> <steps> <count> v..." */
static void
ref_check_sched(void **state, char **save, int line, unsigned *seen)
{
    const char *name = strtok_r(NULL, " \t", save);
    int t = ref_table_index(strtok_r(NULL, " \t", save), line);
    const struct model_sampling *ms = tab(state, t);
    int steps = (int)ref_double(strtok_r(NULL, " \t", save), line);
    int want_count = (int)ref_double(strtok_r(NULL, " \t", save), line);
    const struct scheduler *s = scheduler_find(name);
    if (s == NULL)
        fail_msg("%s:%d: unknown scheduler '%s'", REF_PATH, line, name);
    seen[s - scheduler_registry] |= 1u << t;
    double rtol = strcmp(name, "normal") == 0 || strcmp(name, "sgm_uniform") == 0 ? 1e-5 : 1e-6;
    int count = 0;
    double *got = run(name, ms, steps, &count);
    if (count != want_count)
        fail_msg("%s:%d: %s(%d) gave %d values, want %d", REF_PATH, line, name, steps, count,
                 want_count);
    for (int i = 0; i < count; i++) {
        double want = ref_double(strtok_r(NULL, " \t", save), line);
        if (!(fabs(got[i] - want) <= rtol * fabs(want)))
            fail_msg("%s:%d: %s(%d)[%d] = %.10g, want %.10g", REF_PATH, line, name, steps, i,
                     got[i], want);
    }
    free(got);
}

/*
 * "table <tab> <n> <i> <sigma> <log_sigma>": EPS entries to 1e-7 relative; flow entries exactly,
 * since both sides reproduce ComfyUI's float32 arithmetic.
 */
static void
ref_check_table(const struct model_sampling *ms, char **save, int line)
{
    assert_int_equal((int)ref_double(strtok_r(NULL, " \t", save), line), ms->n);
    int i = (int)ref_double(strtok_r(NULL, " \t", save), line);
    assert_true(i >= 0 && i < ms->n);
    double want = ref_double(strtok_r(NULL, " \t", save), line);
    if (!model_sampling_is_const(ms))
        assert_close(ms->sigmas[i], want, 1e-7, 0);
    else if ((double)ms->sigmas[i] != want)
        fail_msg("%s:%d: %s sigmas[%d] = %.9g, want %.9g (ComfyUI's float32 buffer)", REF_PATH,
                 line, model_sampling_kind_name(ms->kind), i, ms->sigmas[i], want);
    assert_close(ms->log_sigmas[i], ref_double(strtok_r(NULL, " \t", save), line), 1e-7, 0);
}

/* "table", "timestep", "sigma" and "percent" records. */
static void
ref_check_point(void **state, const char *kind, char **save, int line)
{
    const struct model_sampling *ms = ref_table(state, strtok_r(NULL, " \t", save), line);
    if (strcmp(kind, "table") == 0) {
        ref_check_table(ms, save, line);
        return;
    }
    double x = ref_double(strtok_r(NULL, " \t", save), line);
    double want = ref_double(strtok_r(NULL, " \t", save), line);
    if (strcmp(kind, "timestep") == 0)
        assert_true(model_sampling_timestep(ms, x) == want);
    else if (strcmp(kind, "sigma") == 0)
        assert_close(model_sampling_sigma(ms, x), want, 1e-12, 0);
    else if (strcmp(kind, "percent") == 0)
        assert_close(model_sampling_percent_to_sigma(ms, x), want, 1e-12, 0);
    else
        fail_msg("%s:%d: unknown record '%s'", REF_PATH, line, kind);
}

/* Every record of tests/ref/schedulers.txt, and every scheduler covered on every table. */
static void
test_reference_file(void **state)
{
    FILE *fp = fopen(REF_PATH, "r");
    if (fp == NULL)
        fail_msg("cannot open %s (run the tests from the repository root)", REF_PATH);
    char *buf = NULL;
    size_t cap = 0;
    int line = 0, records = 0;
    unsigned seen[64] = { 0 };
    assert_true(scheduler_count <= 64);
    while (getline(&buf, &cap, fp) >= 0) {
        line++;
        buf[strcspn(buf, "\r\n")] = '\0';
        if (line == 1) {
            if (strcmp(buf, REF_MAGIC) != 0)
                fail_msg("%s: first line '%s', want '%s' (regenerate with "
                         "/usr/bin/python3 tests/ref/schedulers.py)", REF_PATH, buf, REF_MAGIC);
            continue;
        }
        char *save = NULL;
        const char *kind = strtok_r(buf, " \t", &save);
        if (kind == NULL || kind[0] == '#')
            continue;
        if (strcmp(kind, "sched") == 0)
            ref_check_sched(state, &save, line, seen);
        else
            ref_check_point(state, kind, &save, line);
        records++;
    }
    free(buf);
    fclose(fp);
    assert_true(records > 700);
    for (size_t i = 0; i < scheduler_count; i++) {
        for (int t = 0; t < TAB_COUNT; t++) {
            if (!(seen[i] & 1u << t))
                fail_msg("%s: no reference for scheduler '%s' on table '%s'", REF_PATH,
                         scheduler_registry[i].name, tab_defs[t].tag);
        }
    }
}

static void
test_timestep_nearest(void **state)
{
    const struct model_sampling *ms = sd15(state);
    for (int i = 0; i < ms->n; i++)
        assert_true(model_sampling_timestep(ms, ms->sigmas[i]) == i);
    for (int i = 0; i + 1 < ms->n; i += 37) {
        double mid = 0.5 * ((double)ms->log_sigmas[i] + ms->log_sigmas[i + 1]);
        double gap = (double)ms->log_sigmas[i + 1] - ms->log_sigmas[i];
        assert_true(model_sampling_timestep(ms, exp(mid - 0.01 * gap)) == i);
        assert_true(model_sampling_timestep(ms, exp(mid + 0.01 * gap)) == i + 1);
    }
    assert_true(model_sampling_timestep(ms, 1e-6) == 0);
    assert_true(model_sampling_timestep(ms, 0.0) == 0);
    assert_true(model_sampling_timestep(ms, 1e6) == ms->n - 1);

    /* An exact tie goes to the first index, like torch.argmin. */
    float sig[] = { expf(-1.0f), expf(1.0f) };
    float logs[] = { -1.0f, 1.0f };
    struct model_sampling tie = {
        .kind = MODEL_SAMPLING_EPS, .n = 2, .sigmas = sig, .log_sigmas = logs,
        .sigma_min = sig[0], .sigma_max = sig[1],
    };
    assert_true(model_sampling_timestep(&tie, 1.0) == 0);
}

static void
test_sigma_interpolation(void **state)
{
    const struct model_sampling *ms = dit(state);
    for (int i = 0; i < ms->n; i += 111)
        assert_close(model_sampling_sigma(ms, i), ms->sigmas[i], 1e-6, 0);
    for (int i = 0; i + 1 < ms->n; i += 97) {
        /* ComfyUI interpolates float32 tensors: (1 - w) * lo + w * hi, then exp, each
         * rounded to float32; the exact maths is within float32 rounding of it. */
        float wantf = expf(0.75f * ms->log_sigmas[i] + 0.25f * ms->log_sigmas[i + 1]);
        double exact = exp(0.75 * ms->log_sigmas[i] + 0.25 * ms->log_sigmas[i + 1]);
        assert_true(model_sampling_sigma(ms, i + 0.25) == (double)wantf);
        assert_close(model_sampling_sigma(ms, i + 0.25), exact, 1e-6, 0);
        assert_true(model_sampling_sigma(ms, i + 0.25) > model_sampling_sigma(ms, i));
        assert_true(model_sampling_sigma(ms, i + 0.25) < model_sampling_sigma(ms, i + 1));
    }
    assert_true(model_sampling_sigma(ms, -3.0) == model_sampling_sigma(ms, 0.0));
    assert_true(model_sampling_sigma(ms, 5000.0) == model_sampling_sigma(ms, ms->n - 1));
    /* timestep(sigma(i)) round-trips on the grid. */
    for (int i = 0; i < ms->n; i += 53)
        assert_true(model_sampling_timestep(ms, model_sampling_sigma(ms, i)) == i);
}

static void
test_percent_to_sigma(void **state)
{
    const struct model_sampling *ms = sd15(state);
    assert_true(model_sampling_percent_to_sigma(ms, 0.0) == 999999999.9);
    assert_true(model_sampling_percent_to_sigma(ms, -1.0) == MODEL_SAMPLING_SIGMA_BEFORE_START);
    assert_true(model_sampling_percent_to_sigma(ms, 1.0) == 0.0);
    assert_true(model_sampling_percent_to_sigma(ms, 1.5) == 0.0);
    assert_close(model_sampling_percent_to_sigma(ms, 0.5), model_sampling_sigma(ms, 499.5),
                 1e-15, 0);
    assert_close(model_sampling_percent_to_sigma(ms, 1e-12), ms->sigma_max, 1e-6, 0);
    assert_close(model_sampling_percent_to_sigma(ms, 1 - 1e-12), ms->sigma_min, 1e-6, 0);
    double prev = INFINITY;
    for (double p = 0.05; p < 1.0; p += 0.05) {
        double s = model_sampling_percent_to_sigma(ms, p);
        assert_true(s < prev);
        prev = s;
    }
}

/* test_steps_edges on one table. */
static void
steps_edges_on(const struct model_sampling *ms)
{
    for (size_t i = 0; i < scheduler_count; i++) {
        const struct scheduler *s = &scheduler_registry[i];
        double *sig = (double *)1;
        int count = -1;
        char *cause = NULL;
        assert_int_equal(scheduler_sigmas(s, ms, 0, &sig, &count, &cause), -1);
        assert_null(sig);
        assert_int_equal(count, 0);
        assert_non_null(strstr(cause, "steps"));
        free(cause);
        cause = NULL;
        assert_int_equal(scheduler_sigmas(s, ms, SCHEDULER_MAX_STEPS + 1, &sig, &count, &cause),
                         -1);
        free(cause);
        cause = NULL;
        if (strcmp(s->name, "kl_optimal") == 0) {
            sig = (double *)1;
            assert_int_equal(scheduler_sigmas(s, ms, 1, &sig, &count, &cause), -1);
            assert_null(sig);
            assert_int_equal(count, 0);
            assert_non_null(strstr(cause, "kl_optimal"));
            free(cause);
            continue;
        }
        sig = run(s->name, ms, 1, &count);
        assert_int_equal(count, 2);
        double first = strcmp(s->name, "ddim_uniform") == 0 ? ms->sigmas[1] : ms->sigma_max;
        assert_close(sig[0], first, 1e-6, 0);
        assert_true(sig[1] == 0.0);
        free(sig);
    }
}

/*
 * One step: every schedule is [start, 0]; steps outside [1, max] fail, and so does kl_optimal(1)
 * on every table (ComfyUI divides by zero there and returns NaN).
 */
static void
test_steps_edges(void **state)
{
    for (int t = 0; t < TAB_COUNT; t++)
        steps_edges_on(tab(state, t));
}

/* Shape invariants over many step counts: finite, non-increasing, ending in 0. */
static void
test_shapes(void **state)
{
    for (int t = 0; t < TAB_COUNT; t++) {
        const struct model_sampling *ms = tab(state, t);
        for (size_t i = 0; i < scheduler_count; i++) {
            const char *name = scheduler_registry[i].name;
            for (int steps = 2; steps <= 120; steps += (steps < 20 ? 1 : 7)) {
                int count = 0;
                double *sig = run(name, ms, steps, &count);
                assert_true((size_t)count <= scheduler_capacity(ms, steps));
                if (strcmp(name, "beta") == 0)
                    assert_true(count <= steps + 1);
                else if (strcmp(name, "ddim_uniform") != 0)
                    assert_int_equal(count, steps + 1);
                assert_true(sig[count - 1] == 0.0);
                for (int k = 0; k + 1 < count; k++) {
                    assert_true(isfinite(sig[k]) && sig[k] > 0);
                    assert_true(sig[k] >= sig[k + 1]);
                    assert_true(sig[k] == (double)(float)sig[k]);
                }
                free(sig);
            }
        }
    }
    /* The largest step count runs (beta does one quantile per step). */
    int count = 0;
    double *sig = run("beta", sd15(state), SCHEDULER_MAX_STEPS, &count);
    assert_true(count >= 2 && count <= 1001);
    free(sig);
    sig = run("beta", tab(state, TAB_FLUX), SCHEDULER_MAX_STEPS, &count);
    assert_true(count >= 2 && count <= 10001);
    free(sig);
}

static void
test_find_closest(void **state)
{
    (void)state;
    assert_int_equal(scheduler_count, 9);
    assert_string_equal(scheduler_registry[0].name, "simple");
    for (size_t i = 0; i < scheduler_count; i++) {
        const struct scheduler *s = &scheduler_registry[i];
        assert_ptr_equal(scheduler_find(s->name), s);
        assert_string_equal(scheduler_closest(s->name), s->name);
        assert_non_null(s->summary);
        assert_non_null(s->compute);
    }
    assert_null(scheduler_find("karas"));
    assert_null(scheduler_find(""));
    assert_null(scheduler_find(NULL));
    assert_string_equal(scheduler_closest("karas"), "karras");
    assert_string_equal(scheduler_closest("Normal"), "normal");
    assert_string_equal(scheduler_closest("sgm-uniform"), "sgm_uniform");
    assert_string_equal(scheduler_closest("kl_optimall"), "kl_optimal");
    assert_non_null(scheduler_closest(""));
}

static void
test_strdist(void **state)
{
    (void)state;
    assert_int_equal(strdist_levenshtein("kitten", "sitting"), 3);
    assert_int_equal(strdist_levenshtein("", "abc"), 3);
    assert_int_equal(strdist_levenshtein("abc", ""), 3);
    assert_int_equal(strdist_levenshtein("", ""), 0);
    assert_int_equal(strdist_levenshtein("flaw", "lawn"), 2);
    assert_int_equal(strdist_levenshtein("karras", "karras"), 0);
    assert_int_equal(strdist_levenshtein("karas", "karras"), 1);
    static const char *const names[] = { "abd", "abe", "xyz" };
    assert_ptr_equal(strdist_closest("abc", names, 3), names[0]);   /* tie: earliest */
    assert_ptr_equal(strdist_closest("xy", names, 3), names[2]);
    assert_null(strdist_closest("abc", names, 0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beta_names),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_table_endpoints),
        cmocka_unit_test(test_a4_vectors),
        cmocka_unit_test(test_flow_kinds),
        cmocka_unit_test(test_flow_tables),
        cmocka_unit_test(test_normal_double_shift),
        cmocka_unit_test(test_flow_maps),
        cmocka_unit_test(test_flow_percent),
        cmocka_unit_test(test_reference_file),
        cmocka_unit_test(test_timestep_nearest),
        cmocka_unit_test(test_sigma_interpolation),
        cmocka_unit_test(test_percent_to_sigma),
        cmocka_unit_test(test_steps_edges),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_find_closest),
        cmocka_unit_test(test_strdist),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
