/*
 * cmd_bench.c - `fbw bench`: the engine's own performance figures.
 *
 * On a DiT with random weights (DiT-S/2-shaped by default: hidden 384,
 * depth 12, 6 heads, patch 2, 32x32x4, batch 2 through CFG) it runs, side by
 * side in one process: uncached generations (time per model call, and the
 * share of wall time spent outside model calls) and generations where every
 * call after the first is a cache hit (threshold 1e9), then compares the
 * hit/full call-time ratio with what the FLOP count of embed + block 0 +
 * final predicts.  Beside them, in the same repetitions, it times a square
 * float32 matmul (the machine's own attainable GFLOP/s) so that the model's
 * full-call GFLOP/s can be read as a model-FLOP utilisation, and it counts the
 * minor page faults of each uncached generation (what the allocator costs).
 * --model FILE measures a model file (e.g. the default model) instead of a
 * random DiT.  Every figure comes with its spread over the repetitions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/engine.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/malloc_tune.h"
#include "util/stats.h"

/* The summary of n samples (bench/stats: median, sample sd, min, max), 0s when empty. */
static struct stats
bench_stats(const double *v, size_t n)
{
    struct stats s = {0};
    if (n > 0)
        stats_compute(v, n, &s);
    return s;
}

struct bench_run {
    double *call_ms, *hit_ms, *outside, *faults;
    size_t ncall, nhit, nout;
};

/* One configuration under test: an ATen thread count and what was measured with it. */
struct bench_arm {
    int threads;
    struct bench_run full, hit;
    double *matmul_gflops;          /* one per repetition */
    size_t nmatmul;
};

#define BENCH_MAX_ARMS 8

static void
bench_run_init(struct bench_run *b, size_t cap)
{
    *b = (struct bench_run){xcalloc(cap, sizeof(double)), xcalloc(cap, sizeof(double)),
                            xcalloc(cap, sizeof(double)), xcalloc(cap, sizeof(double)), 0, 0, 0};
}

static void
bench_run_release(struct bench_run *b)
{
    free(b->call_ms);
    free(b->hit_ms);
    free(b->outside);
    free(b->faults);
}

/* One generation; collects per-call times (hits and full calls apart) and the outside share. */
static int
bench_generate(struct model *m, const struct engine_params *p, struct bench_run *b, char **cause)
{
    struct engine_result r;
    const long faults0 = malloc_tune_minor_faults();
    if (engine_generate(m, p, &r, cause) < 0)
        return -1;
    b->faults[b->nout] = (double)(malloc_tune_minor_faults() - faults0);
    for (size_t i = 0; i < r.trace.count; i++) {
        const struct trace_record *t = &r.trace.records[i];
        if (t->hit)
            b->hit_ms[b->nhit++] = t->ms;
        else if (i > 0)     /* the first call of a run is timed apart from the rest */
            b->call_ms[b->ncall++] = t->ms;
    }
    b->outside[b->nout++] = (r.wall_seconds - r.call_seconds) / r.wall_seconds;
    engine_result_release(&r);
    return 0;
}

static void
bench_print(const char *what, struct stats s, const char *unit, double scale)
{
    printf("  %-34s %9.3f %s  (sd %.3f, min %.3f, max %.3f, n %zu)\n", what, s.median * scale,
           unit, s.stddev * scale, s.min * scale, s.max * scale, s.n);
}

/*
 * The machine's attainable float32 GEMM rate: the median GFLOP/s of BENCH_MATMUL_REPS
 * products of two random N x N matrices (N = BENCH_MATMUL_N), after one untimed product.
 */
#define BENCH_MATMUL_N 1024
#define BENCH_MATMUL_REPS 5

static double
bench_matmul_gflops(char **cause)
{
    struct tensor_gen *gen = tensor_gen_new(3, TENSOR_CPU, cause);
    if (gen == NULL)
        return -1;
    struct tensor_scope *s = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    const int64_t shape[2] = {BENCH_MATMUL_N, BENCH_MATMUL_N};
    struct tensor *a = tensor_randn(s, gen, 2, shape), *b = tensor_randn(s, gen, 2, shape);
    double gflops[BENCH_MATMUL_REPS];
    const double flop = 2.0 * BENCH_MATMUL_N * BENCH_MATMUL_N * BENCH_MATMUL_N;
    tensor_matmul(s, a, b);
    for (int i = 0; i < BENCH_MATMUL_REPS; i++) {
        const double t0 = clock_now();
        tensor_matmul(s, a, b);
        gflops[i] = flop * 1e-9 / (clock_now() - t0);
    }
    const char *err = tensor_scope_error(s);
    double rate = -1;
    if (err != NULL)
        *cause = xasprintf("matmul: %s", err);
    else
        rate = bench_stats(gflops, BENCH_MATMUL_REPS).median;
    tensor_scope_free(s);
    tensor_gen_free(gen);
    return rate;
}

/* "1,2" -> arms with those thread counts (0 = libtorch's default). */
static int
bench_parse_threads(const char *text, struct bench_arm *arms, int *narms)
{
    char *copy = xstrdup(text), *save = NULL;
    int n = 0, rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == BENCH_MAX_ARMS) {
            fprintf(stderr, "fbw: --threads takes at most %d values\n", BENCH_MAX_ARMS);
            rc = -1;
        } else {
            rc = cli_int("--threads", tok, 0, 1024, &arms[n++].threads);
        }
    }
    free(copy);
    if (rc == 0 && n == 0)
        rc = cli_int("--threads", text, 0, 1024, &arms[n++].threads);
    *narms = n;
    return rc;
}

/* The parsed flags: a random DiT's shape (or a model file) and what to measure. */
struct bench_opts {
    struct model_config cfg;
    const char *model;
    int steps, repeat, narms;
    struct bench_arm arms[BENCH_MAX_ARMS];
};

enum {
    BENCH_OPT_HIDDEN_SIZE, BENCH_OPT_DEPTH, BENCH_OPT_NUM_HEADS, BENCH_OPT_PATCH_SIZE,
    BENCH_OPT_INPUT_SIZE, BENCH_OPT_IN_CHANNELS, BENCH_OPT_STEPS, BENCH_OPT_REPEAT,
    BENCH_OPT_THREADS, BENCH_OPT_MODEL,
};

static const struct cli_option bench_options[] = {
    {"hidden-size", "N", BENCH_OPT_HIDDEN_SIZE, 0, "the random DiT's width (384)"},
    {"depth", "N", BENCH_OPT_DEPTH, 0, "its blocks (12)"},
    {"num-heads", "N", BENCH_OPT_NUM_HEADS, 0, "its attention heads (6)"},
    {"patch-size", "N", BENCH_OPT_PATCH_SIZE, 0, "its patch size (2)"},
    {"input-size", "N", BENCH_OPT_INPUT_SIZE, 0, "its latent height and width (32)"},
    {"in-channels", "N", BENCH_OPT_IN_CHANNELS, 0, "its latent channels (4)"},
    {"steps", "N", BENCH_OPT_STEPS, 0, "sampling steps per generation (30)"},
    {"repeat", "N", BENCH_OPT_REPEAT, 0, "repetitions (3)"},
    {"threads", "N[,N...]", BENCH_OPT_THREADS, 0,
     "ATen thread counts, measured side by side (default: libtorch's)"},
    {"model", "FILE", BENCH_OPT_MODEL, 0,
     "measure this model file instead of a random DiT (the shape\n"
     "flags are then ignored)"},
    {0},
};

/* One option into o (a struct bench_opts); nonzero on a bad value. */
static int
bench_option(void *ctx, int id, const char *flag, const char *v)
{
    struct bench_opts *o = ctx;
    struct model_config *cfg = &o->cfg;
    switch (id) {
    case BENCH_OPT_HIDDEN_SIZE: return cli_int(flag, v, 4, 16384, &cfg->hidden_size);
    case BENCH_OPT_DEPTH: return cli_int(flag, v, 1, 1024, &cfg->depth);
    case BENCH_OPT_NUM_HEADS: return cli_int(flag, v, 1, 1024, &cfg->num_heads);
    case BENCH_OPT_PATCH_SIZE: return cli_int(flag, v, 1, 64, &cfg->patch_size);
    case BENCH_OPT_INPUT_SIZE: return cli_int(flag, v, 1, 4096, &cfg->input_size);
    case BENCH_OPT_IN_CHANNELS: return cli_int(flag, v, 1, 64, &cfg->in_channels);
    case BENCH_OPT_STEPS: return cli_int(flag, v, 2, 10000, &o->steps);
    case BENCH_OPT_REPEAT: return cli_int(flag, v, 1, 1000, &o->repeat);
    case BENCH_OPT_THREADS: return bench_parse_threads(v, o->arms, &o->narms);
    case BENCH_OPT_MODEL: o->model = v; return 0;
    default: return -1;
    }
}

/*
 * Warm-up per arm (discarded), then per repetition and arm one uncached and one all-hit
 * generation and the matmul rate, interleaved so that machine noise falls on every
 * configuration and on the matmul alike.
 */
static int
bench_measure(struct model *m, struct app *app, int steps, int repeat, struct bench_arm *arms,
              int narms, char **cause)
{
    struct engine_params p = ENGINE_PARAMS_DEFAULT;
    p.scheduler = "normal";
    p.steps = steps;
    p.cfg = 4.0;
    p.seed = 1;
    p.label = 1;
    struct engine_params ph = p;
    ph.cache.residual_diff_threshold = 1e9;     /* every call after the first hits */
    for (int a = 0; a < narms; a++) {
        cli_set_threads(app, arms[a].threads);
        arms[a].threads = app->threads;
        if (bench_generate(m, &p, &arms[a].full, cause) < 0)
            return -1;
        arms[a].full.ncall = arms[a].full.nhit = arms[a].full.nout = 0;
    }
    for (int i = 0; i < repeat; i++) {
        fprintf(stderr, "\rbench: repetition %d/%d", i + 1, repeat);
        for (int a = 0; a < narms; a++) {
            cli_set_threads(app, arms[a].threads);
            if (bench_generate(m, &p, &arms[a].full, cause) < 0 ||
                bench_generate(m, &ph, &arms[a].hit, cause) < 0)
                return -1;
            double g = bench_matmul_gflops(cause);
            if (g < 0)
                return -1;
            arms[a].matmul_gflops[arms[a].nmatmul++] = g;
        }
    }
    fputc('\n', stderr);
    return 0;
}

static void
bench_report_arm(const struct model_config *cfg, struct bench_arm *arm, double *full_median)
{
    struct model_flops f = model_flops(cfg, 2);
    double total = f.embed + cfg->depth * f.block + f.final;
    double pred = (f.embed + f.block + f.final) / total;
    struct stats sf = bench_stats(arm->full.call_ms, arm->full.ncall);
    struct stats sh = bench_stats(arm->hit.hit_ms, arm->hit.nhit);
    struct stats so = bench_stats(arm->full.outside, arm->full.nout);
    printf("ATen threads %d:\n", arm->threads);
    bench_print("full model call", sf, "ms", 1);
    bench_print("cache-hit model call", sh, "ms", 1);
    bench_print("wall time outside model calls", so, "%", 100);
    printf("  hit/full call time (medians)       %9.4f\n", sh.median / sf.median);
    printf("  FLOP prediction (embed+block0+final)/full %.4f\n", pred);
    printf("  measured / predicted               %9.3f  (target <= 1.2)\n",
           sh.median / sf.median / pred);
    struct stats sm = bench_stats(arm->matmul_gflops, arm->nmatmul);
    struct stats sp = bench_stats(arm->full.faults, arm->full.nout);
    const double model_rate = total * 1e-9 / (sf.median * 1e-3);
    printf("  GFLOP per full call %.2f -> %.1f GFLOP/s\n", total * 1e-9, model_rate);
    bench_print("f32 matmul 1024^3 (same run)", sm, "GFLOP/s", 1);
    printf("  model-FLOP utilisation (full call / matmul, medians) %.3f\n",
           model_rate / sm.median);
    bench_print("minor page faults per generation", sp, "k", 1e-3);
    *full_median = sf.median;
}

/* Writes the random DiT (unless --model), measures every arm and prints the report. */
static int
bench_main(struct bench_opts *o, struct app *app)
{
    char *cause = NULL, path[] = "/tmp/fbw-bench-XXXXXX";
    int fd = mkstemp(path), rc = EXIT_RUNTIME;
    if (fd < 0)
        return cli_fail("cannot create a temporary model file in /tmp");
    close(fd);
    struct model *m = NULL;
    size_t cap = (size_t)(o->repeat + 1) * (size_t)o->steps;
    for (int a = 0; a < o->narms; a++) {
        bench_run_init(&o->arms[a].full, cap);
        bench_run_init(&o->arms[a].hit, cap);
        o->arms[a].matmul_gflops = xcalloc((size_t)o->repeat, sizeof(double));
    }
    if ((o->model == NULL && model_write_random(&o->cfg, 7, path, &cause) < 0) ||
        (m = model_load(o->model ? o->model : path, TENSOR_CPU, &cause)) == NULL ||
        bench_measure(m, app, o->steps, o->repeat, o->arms, o->narms, &cause) < 0) {
        rc = cli_fail("bench: %s", cause);
        goto out;
    }
    const struct model_config *mc = model_config(m);
    printf("fbw bench: %s: DiT hidden %d, depth %d, heads %d, patch %d, %dx%dx%d, batch 2 (cfg), "
           "%lld params\n", o->model ? o->model : "random weights", mc->hidden_size,
           mc->depth, mc->num_heads, mc->patch_size, mc->in_channels, mc->input_size,
           mc->input_size, (long long)model_param_count(m));
    printf("libtorch %s (%s), malloc tuning %s, euler/normal, %d steps, %d repetitions "
           "interleaved across %d configuration(s)\n", tensor_backend_version(),
           tensor_backend_blas(), malloc_tune_state()->state, o->steps, o->repeat, o->narms);
    double medians[BENCH_MAX_ARMS];
    for (int a = 0; a < o->narms; a++)
        bench_report_arm(mc, &o->arms[a], &medians[a]);
    for (int a = 1; a < o->narms; a++)
        printf("full call, %d threads / %d threads (medians): %.3f\n", o->arms[a].threads,
               o->arms[0].threads, medians[a] / medians[0]);
    rc = EXIT_OK;
out:
    free(cause);
    model_free(m);
    remove(path);
    for (int a = 0; a < o->narms; a++) {
        bench_run_release(&o->arms[a].full);
        bench_run_release(&o->arms[a].hit);
        free(o->arms[a].matmul_gflops);
    }
    return rc;
}

static int
cmd_bench(int argc, char **argv, struct app *app)
{
    struct bench_opts o = {
        .cfg = {.arch = "dit", .input_size = 32, .patch_size = 2, .in_channels = 4,
                .hidden_size = 384, .depth = 12, .num_heads = 6, .mlp_ratio = 4.0,
                .num_classes = 10, .prediction = "eps", .beta_schedule = "linear",
                .num_timesteps = 1000},
        .steps = 30, .repeat = 3, .narms = 1,
    };
    int argi, rc = cli_parse(&cmd_bench_entry, argc, argv, bench_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    return bench_main(&o, app);
}

const struct cli_command cmd_bench_entry = {
    .name = "bench",
    .summary = "measure model-call cost, overhead and cache-hit cost",
    .options = bench_options,
    .help =
        "Measures, on a DiT with random weights (default DiT-S/2-shaped: hidden 384,\n"
        "depth 12, 6 heads, patch 2, 32x32x4; batch 2 through CFG), the time per model\n"
        "call, the share of a generation's wall time outside model calls, and the cost\n"
        "of a cache-hit call against a full call next to the FLOP-count prediction.\n"
        "--threads 1,2 measures several ATen thread counts side by side, interleaved,\n"
        "and prints their ratio.  Beside each repetition a 1024x1024x1024 float32 matmul\n"
        "is timed: full-call GFLOP/s over matmul GFLOP/s is the model-FLOP utilisation.\n"
        "FBW_MALLOC_TUNING=off runs on glibc's default malloc thresholds, for a\n"
        "before/after (make bench does both, interleaved).\n",
    .run = cmd_bench,
};
