/*
 * cmd_generate.c - `fbw generate`: one generation to a PNG, a JSON Lines
 * trace and optionally the raw float32 output, then one summary line.
 *
 * Every output file is written to a temporary name and renamed, so Ctrl-C
 * or a crash never leaves a half-written file behind.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/engine.h"
#include "core/image.h"
#include "core/safetensors.h"
#include "util/err.h"

#define GENERATE_HELP \
    USAGE_GENERATE \
    "\nRuns one class-conditional generation with ComfyUI's sampler and scheduler\n" \
    "maths and WaveSpeed's First Block Cache, and writes:\n" \
    "  --out IMG.png            the image (8-bit RGB; parameters in a tEXt chunk)\n" \
    "  --trace FILE.jsonl       one JSON object per model call: step, call, sigma,\n" \
    "                           timestep, rel_l1, hit, reason, ms (and seq, dtype)\n" \
    "  --latent-out FILE        the raw float32 output as safetensors tensor 'x0'\n" \
    "then prints one summary line (steps, model calls, hits, hit rate, wall seconds and,\n" \
    "on a GPU, the device memory high-water mark).\n\n" \
    "defaults (ComfyUI KSampler's): --steps 20 --cfg 8 --sampler euler --scheduler simple,\n" \
    "--class 0 --seed 0.  Cache knobs (Comfy-WaveSpeed's names and defaults):\n" \
    "  --residual-diff-threshold F  (alias --threshold) relative-L1 threshold; <= 0 = off (0)\n" \
    "  --max-consecutive-cache-hits N (alias --max-hits) -1 unlimited, 0 off (-1)\n" \
    "  --start F, --end F       fraction of sampling (via the model's percent_to_sigma)\n" \
    "                           in which caching is allowed (0 and 1)\n" \
    "  --denoise F              fraction of the schedule to run, (0, 1] (1): KSampler\n" \
    "                           samples the last steps+1 sigmas of int(steps/denoise)\n" \
    "  --eta F, --s-noise F     noise scale of ancestral/SDE samplers (their ComfyUI\n" \
    "                           defaults: eta 1, or 0 where a sampler has no eta; s_noise 1)\n" \
    "  --threads N              ATen intra-op threads (default: libtorch's)\n" \
    "  --device cpu|cuda        where the model runs (noise is always drawn on the CPU)\n" \
    "  --dtype f32|bf16|f16     the model's compute dtype (f32): weights are converted\n" \
    "                           once on load; the sampler, noise and output stay float32\n" \
    "  --quiet                  no progress bar\n" \
    "See `fbw list samplers` and `fbw list schedulers` for the names.\n"

struct generate_opts {
    const char *model, *out, *trace, *latent_out;
    struct engine_params p;
    enum tensor_device device;
    enum tensor_dtype dtype;
    int threads, quiet;
};

enum {
    OPT_MODEL = 256, OPT_CLASS, OPT_SEED, OPT_STEPS, OPT_SAMPLER, OPT_SCHEDULER, OPT_CFG,
    OPT_THRESHOLD, OPT_MAX_HITS, OPT_START, OPT_END, OPT_OUT, OPT_TRACE, OPT_LATENT,
    OPT_THREADS, OPT_DEVICE, OPT_QUIET, OPT_HELP, OPT_DENOISE, OPT_ETA, OPT_S_NOISE, OPT_DTYPE,
};

static const struct option generate_longopts[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"class", required_argument, NULL, OPT_CLASS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"steps", required_argument, NULL, OPT_STEPS},
    {"sampler", required_argument, NULL, OPT_SAMPLER},
    {"scheduler", required_argument, NULL, OPT_SCHEDULER},
    {"cfg", required_argument, NULL, OPT_CFG},
    {"residual-diff-threshold", required_argument, NULL, OPT_THRESHOLD},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"max-consecutive-cache-hits", required_argument, NULL, OPT_MAX_HITS},
    {"max-hits", required_argument, NULL, OPT_MAX_HITS},
    {"start", required_argument, NULL, OPT_START},
    {"end", required_argument, NULL, OPT_END},
    {"out", required_argument, NULL, OPT_OUT},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"latent-out", required_argument, NULL, OPT_LATENT},
    {"denoise", required_argument, NULL, OPT_DENOISE},
    {"eta", required_argument, NULL, OPT_ETA},
    {"s-noise", required_argument, NULL, OPT_S_NOISE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"dtype", required_argument, NULL, OPT_DTYPE},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* --dtype: a compute dtype, with the sweep grammar's wording for an unknown one. */
static int
generate_dtype(const char *v, enum tensor_dtype *out)
{
    if (model_dtype_find(v, out) == 0)
        return 0;
    cli_usage_error("generate", USAGE_GENERATE, "unknown dtype '%s' (did you mean '%s'?)", v,
                    model_dtype_closest(v));
    return -1;
}

/* One flag into o; -1 on a bad value, 1 for --help. */
static int
generate_opt(struct generate_opts *o, int c, const char *flag, const char *v)
{
    struct engine_params *p = &o->p;
    int n;
    switch (c) {
    case OPT_MODEL: o->model = v; return 0;
    case OPT_OUT: o->out = v; return 0;
    case OPT_TRACE: o->trace = v; return 0;
    case OPT_LATENT: o->latent_out = v; return 0;
    case OPT_SAMPLER: p->sampler = v; return 0;
    case OPT_SCHEDULER: p->scheduler = v; return 0;
    case OPT_QUIET: o->quiet = 1; return 0;
    case OPT_HELP: return 1;
    case OPT_CLASS:
        if (cli_int(flag, v, 0, MODEL_MAX_CLASSES, &n) < 0)
            return -1;
        p->label = n;
        return 0;
    case OPT_SEED: return cli_u64(flag, v, &p->seed);
    case OPT_STEPS: return cli_int(flag, v, 1, 10000, &p->steps);
    case OPT_CFG: return cli_double(flag, v, -1e6, 1e6, &p->cfg);
    case OPT_THRESHOLD: return cli_double(flag, v, -1e9, 1e9, &p->cache.residual_diff_threshold);
    case OPT_MAX_HITS: return cli_int(flag, v, -1, 1000000, &p->cache.max_consecutive_cache_hits);
    case OPT_START: return cli_double(flag, v, 0, 1, &p->cache.start);
    case OPT_END: return cli_double(flag, v, 0, 1, &p->cache.end);
    case OPT_DENOISE: return cli_double(flag, v, 1e-6, 1, &p->denoise);
    case OPT_ETA: return cli_double(flag, v, 0, 100, &p->eta);
    case OPT_S_NOISE: return cli_double(flag, v, 0, 100, &p->s_noise);
    case OPT_THREADS: return cli_int(flag, v, 0, 1024, &o->threads);
    case OPT_DEVICE: return cli_device(flag, v, &o->device);
    case OPT_DTYPE: return generate_dtype(v, &o->dtype);
    default: return -1;
    }
}

static int
generate_parse(int argc, char **argv, struct generate_opts *o)
{
    *o = (struct generate_opts){.p = ENGINE_PARAMS_DEFAULT, .device = TENSOR_CPU,
                                .dtype = TENSOR_F32};
    int c, idx;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", generate_longopts, &idx)) != -1) {
        if (c == '?')
            return cli_usage_error("generate", USAGE_GENERATE, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        char flag[64];
        snprintf(flag, sizeof flag, "--%s", generate_longopts[idx].name);
        int rc = generate_opt(o, c, flag, optarg);
        if (rc == 1) {
            fputs(GENERATE_HELP, stdout);
            return -1;
        }
        if (rc < 0)
            return EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error("generate", USAGE_GENERATE, "unexpected argument '%s'",
                               argv[optind]);
    if (o->out == NULL)
        return cli_usage_error("generate", USAGE_GENERATE, "--out is required");
    return 0;
}

/* Before every step: stop on Ctrl-C; a progress bar on stderr when ctx (show) is set. */
static int
generate_progress(void *ctx, int step, int steps)
{
    if (cli_interrupted())
        return 1;
    if (ctx != NULL) {
        int width = 30, done = steps ? step * width / steps : width;
        fprintf(stderr, "\r[%.*s%*s] step %d/%d", done, "##############################",
                width - done, "", step + 1, steps);
        fflush(stderr);
    }
    return 0;
}

static char *
generate_infotext(const struct generate_opts *o)
{
    const struct engine_params *p = &o->p;
    char eta[32] = "default", s_noise[32] = "1";
    if (!isnan(p->eta))
        snprintf(eta, sizeof eta, "%g", p->eta);
    if (!isnan(p->s_noise))
        snprintf(s_noise, sizeof s_noise, "%g", p->s_noise);
    return xasprintf("class: %lld, seed: %llu, steps: %d, sampler: %s, scheduler: %s, cfg: %g, "
                     "denoise: %g, eta: %s, s_noise: %s, residual_diff_threshold: %g, "
                     "max_consecutive_cache_hits: %d, start: %g, end: %g, dtype: %s, model: %s",
                     (long long)p->label, (unsigned long long)p->seed, p->steps, p->sampler,
                     p->scheduler, p->cfg, p->denoise, eta, s_noise,
                     p->cache.residual_diff_threshold, p->cache.max_consecutive_cache_hits,
                     p->cache.start, p->cache.end, tensor_dtype_name(o->dtype), o->model);
}

static int
generate_write_trace(const struct trace *t, const char *path, char **cause)
{
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = f ? trace_write_jsonl(t, f) : -1;
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc < 0) {
        remove(tmp);
        err_set(cause, "cannot write trace '%s'", path);
    }
    free(tmp);
    return rc;
}

static int
generate_write_latent(const struct engine_result *r, const char *path, const char *info,
                      char **cause)
{
    struct safetensors_writer *w = safetensors_writer_new();
    size_t n = (size_t)(r->shape[0] * r->shape[1] * r->shape[2] * r->shape[3]);
    int rc = safetensors_writer_add(w, "x0", SAFETENSORS_F32, 4, r->shape, r->x0,
                                    n * sizeof(float), cause);
    if (rc == 0)
        rc = safetensors_writer_set_metadata(w, "parameters", info, cause);
    if (rc == 0)
        rc = safetensors_writer_write(w, path, cause);
    safetensors_writer_free(w);
    return rc;
}

static int
generate_outputs(const struct generate_opts *o, const struct engine_result *r, char **cause)
{
    char *info = generate_infotext(o);
    struct image img;
    image_from_output(&img, r->x0, r->shape);
    int rc = image_write_png(&img, o->out, "parameters", info, cause);
    image_release(&img);
    if (rc == 0 && o->trace != NULL)
        rc = generate_write_trace(&r->trace, o->trace, cause);
    if (rc == 0 && o->latent_out != NULL)
        rc = generate_write_latent(r, o->latent_out, info, cause);
    free(info);
    return rc;
}

int
cmd_generate(int argc, char **argv, struct app *app)
{
    struct generate_opts o;
    int rc = generate_parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? EXIT_OK : rc;
    cli_set_threads(app, o.threads);
    char *cause = NULL, *fallback = NULL;
    if (o.model == NULL && (o.model = fallback = cli_default_model(&cause)) == NULL) {
        rc = cli_usage_error("generate", USAGE_GENERATE, "%s", cause);
        free(cause);
        return rc;
    }
    struct model *m = model_load_as(o.model, o.device, o.dtype, &cause);
    if (m == NULL) {
        rc = cli_fail("%s", cause);
        free(cause);
        free(fallback);
        return rc;
    }
    if (engine_check_params(m, &o.p, &cause) < 0) {
        rc = cli_usage_error("generate", USAGE_GENERATE, "%s", cause);
        goto out;
    }
    int show = !o.quiet && isatty(STDERR_FILENO);
    o.p.on_step = generate_progress;
    o.p.ctx = show ? &show : NULL;
    cli_catch_interrupt();
    struct engine_result r;
    if (engine_generate(m, &o.p, &r, &cause) < 0) {
        if (show)
            fputc('\n', stderr);
        rc = cli_interrupted() ? EXIT_INTERRUPTED : cli_fail("generation failed: %s", cause);
        if (rc == EXIT_INTERRUPTED)
            fprintf(stderr, "fbw: interrupted; nothing was written\n");
        goto out;
    }
    if (show)
        fputc('\n', stderr);
    if (generate_outputs(&o, &r, &cause) < 0) {
        rc = cli_fail("%s", cause);
    } else {
        size_t hits = trace_hits(&r.trace);
        printf("steps %d, model calls %d, hits %zu, hit rate %.1f%%, wall %.3f s",
               r.nsigmas - 1, r.calls, hits, r.calls ? 100.0 * (double)hits / r.calls : 0.0,
               r.wall_seconds);
        if (r.peak_device_bytes >= 0)       /* measured on a GPU only */
            printf(", device peak %.1f MiB", (double)r.peak_device_bytes / (1024.0 * 1024.0));
        putchar('\n');
        rc = EXIT_OK;
    }
    engine_result_release(&r);
out:
    free(cause);
    free(fallback);
    model_free(m);
    return rc;
}
