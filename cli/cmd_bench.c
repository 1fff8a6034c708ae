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
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/stats.h"
#include "cli/cli.h"

#define BENCH_HELP USAGE_BENCH \
    "\nMeasures, on a DiT with random weights (default DiT-S/2-shaped: hidden 384,\n" \
    "depth 12, 6 heads, patch 2, 32x32x4; batch 2 through CFG), the time per model\n" \
    "call, the share of a generation's wall time outside model calls, and the cost\n" \
    "of a cache-hit call against a full call next to the FLOP-count prediction.\n" \
    "--threads 1,2 measures several ATen thread counts side by side, interleaved,\n" \
    "and prints their ratio.  Beside each repetition a 1024x1024x1024 float32 matmul\n" \
    "is timed: full-call GFLOP/s over matmul GFLOP/s is the model-FLOP utilisation.\n" \
    "--model FILE measures that model file instead of a random DiT (the shape flags\n" \
    "are then ignored).  FBW_MALLOC_TUNING=off runs on glibc's default malloc\n" \
    "thresholds, for a before/after (make bench does both, interleaved).\n" \
    "Defaults: --steps 30 --repeat 3, libtorch's threads.\n"
#include "core/engine.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/malloc_tune.h"

/* The summary of n samples (bench/stats: median, sample sd, min, max), 0s when empty. */
static struct stats
bench_stats(const double *v, size_t n)
{
    struct stats s = {0};
    if (n > 0)
        stats_compute(v, n, &s);
    return s;
}

/* FLOPs of one forward pass part (multiply-add = 2), batch B. */
struct bench_flops {
    double embed, block, final;
};

static struct bench_flops
bench_flops(const struct model_config *c, int B)
{
    const double H = c->hidden_size, P = c->patch_size, C = c->in_channels;
    const double g = c->input_size / c->patch_size, T = g * g;
    const double M = (double)(int)(H * c->mlp_ratio), Co = c->learn_sigma ? 2 * C : C;
    struct bench_flops f;
    f.embed = 2.0 * B * (T * H * C * P * P + 256 * H + H * H);
    f.block = 2.0 * B * (6 * H * H + T * (3 * H * H + H * H + 2 * H * M) + 2 * T * T * H);
    f.final = 2.0 * B * (2 * H * H + T * H * P * P * Co);
    return f;
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

static int
bench_parse(int argc, char **argv, struct model_config *cfg, const char **model, int *steps,
            int *repeat, struct bench_arm *arms, int *narms)
{
    static const struct option opts[] = {
        {"hidden-size", required_argument, NULL, 'H'}, {"depth", required_argument, NULL, 'd'},
        {"num-heads", required_argument, NULL, 'n'}, {"patch-size", required_argument, NULL, 'p'},
        {"input-size", required_argument, NULL, 'i'}, {"in-channels", required_argument, NULL, 'c'},
        {"steps", required_argument, NULL, 's'}, {"repeat", required_argument, NULL, 'r'},
        {"threads", required_argument, NULL, 't'}, {"model", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, bad = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1 && !bad) {
        switch (c) {
        case 'H': bad = cli_int("--hidden-size", optarg, 4, 16384, &cfg->hidden_size); break;
        case 'd': bad = cli_int("--depth", optarg, 1, 1024, &cfg->depth); break;
        case 'n': bad = cli_int("--num-heads", optarg, 1, 1024, &cfg->num_heads); break;
        case 'p': bad = cli_int("--patch-size", optarg, 1, 64, &cfg->patch_size); break;
        case 'i': bad = cli_int("--input-size", optarg, 1, 4096, &cfg->input_size); break;
        case 'c': bad = cli_int("--in-channels", optarg, 1, 64, &cfg->in_channels); break;
        case 's': bad = cli_int("--steps", optarg, 2, 10000, steps); break;
        case 'r': bad = cli_int("--repeat", optarg, 1, 1000, repeat); break;
        case 't': bad = bench_parse_threads(optarg, arms, narms); break;
        case 'm': *model = optarg; break;
        case 'h':
            fputs(BENCH_HELP, stdout);
            return 1;
        default:
            fprintf(stderr, "fbw bench: unknown or incomplete option '%s'\n%s",
                    argv[optind - 1], USAGE_BENCH);
            return -1;
        }
    }
    if (!bad && optind < argc) {
        fprintf(stderr, "fbw bench: unexpected argument '%s'\n%s", argv[optind], USAGE_BENCH);
        return -1;
    }
    return bad ? -1 : 0;
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
    struct bench_flops f = bench_flops(cfg, 2);
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

int
cmd_bench(int argc, char **argv, struct app *app)
{
    struct model_config cfg = {
        .arch = "dit", .input_size = 32, .patch_size = 2, .in_channels = 4, .hidden_size = 384,
        .depth = 12, .num_heads = 6, .mlp_ratio = 4.0, .num_classes = 10, .prediction = "eps",
        .beta_schedule = "linear", .num_timesteps = 1000,
    };
    struct bench_arm arms[BENCH_MAX_ARMS] = {{0}};
    const char *model_file = NULL;
    int steps = 30, repeat = 3, narms = 1;
    int prc = bench_parse(argc, argv, &cfg, &model_file, &steps, &repeat, arms, &narms);
    if (prc != 0)
        return prc > 0 ? EXIT_OK : EXIT_USAGE;
    char *cause = NULL, path[] = "/tmp/fbw-bench-XXXXXX";
    int fd = mkstemp(path), rc = EXIT_RUNTIME;
    if (fd < 0)
        return cli_fail("cannot create a temporary model file in /tmp");
    close(fd);
    struct model *m = NULL;
    size_t cap = (size_t)(repeat + 1) * (size_t)steps;
    for (int a = 0; a < narms; a++) {
        bench_run_init(&arms[a].full, cap);
        bench_run_init(&arms[a].hit, cap);
        arms[a].matmul_gflops = xcalloc((size_t)repeat, sizeof(double));
    }
    if ((model_file == NULL && model_write_random(&cfg, 7, path, &cause) < 0) ||
        (m = model_load(model_file ? model_file : path, TENSOR_CPU, &cause)) == NULL ||
        bench_measure(m, app, steps, repeat, arms, narms, &cause) < 0) {
        rc = cli_fail("bench: %s", cause);
        goto out;
    }
    const struct model_config *mc = model_config(m);
    printf("fbw bench: %s: DiT hidden %d, depth %d, heads %d, patch %d, %dx%dx%d, batch 2 (cfg), "
           "%lld params\n", model_file ? model_file : "random weights", mc->hidden_size,
           mc->depth, mc->num_heads, mc->patch_size, mc->in_channels, mc->input_size,
           mc->input_size, (long long)model_param_count(m));
    printf("libtorch %s (%s), malloc tuning %s, euler/normal, %d steps, %d repetitions "
           "interleaved across %d configuration(s)\n", tensor_backend_version(),
           tensor_backend_blas(), malloc_tune_state()->state, steps, repeat, narms);
    double medians[BENCH_MAX_ARMS];
    for (int a = 0; a < narms; a++)
        bench_report_arm(mc, &arms[a], &medians[a]);
    for (int a = 1; a < narms; a++)
        printf("full call, %d threads / %d threads (medians): %.3f\n", arms[a].threads,
               arms[0].threads, medians[a] / medians[0]);
    rc = EXIT_OK;
out:
    free(cause);
    model_free(m);
    remove(path);
    for (int a = 0; a < narms; a++) {
        bench_run_release(&arms[a].full);
        bench_run_release(&arms[a].hit);
        free(arms[a].matmul_gflops);
    }
    return rc;
}
