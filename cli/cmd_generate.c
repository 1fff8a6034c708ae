/*
 * cmd_generate.c - `fbw generate`: one generation to a PNG, a JSON Lines
 * trace and optionally the raw float32 output, then one summary line.
 *
 * Every output file is written to a temporary name and renamed, so Ctrl-C
 * or a crash never leaves a half-written file behind.
 */
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

struct generate_opts {
    const char *model, *out, *trace, *latent_out;
    struct engine_params p;
    enum tensor_device device;
    enum tensor_dtype dtype;
    int threads, quiet;
};

enum {
    GENERATE_OPT_MODEL, GENERATE_OPT_CLASS, GENERATE_OPT_SEED, GENERATE_OPT_STEPS,
    GENERATE_OPT_SAMPLER, GENERATE_OPT_SCHEDULER, GENERATE_OPT_CFG, GENERATE_OPT_THRESHOLD,
    GENERATE_OPT_MAX_HITS, GENERATE_OPT_START, GENERATE_OPT_END, GENERATE_OPT_OUT,
    GENERATE_OPT_DENOISE, GENERATE_OPT_ETA, GENERATE_OPT_S_NOISE, GENERATE_OPT_TRACE,
    GENERATE_OPT_LATENT, GENERATE_OPT_THREADS, GENERATE_OPT_DEVICE, GENERATE_OPT_DTYPE,
    GENERATE_OPT_QUIET,
};

static const struct cli_option generate_options[] = {
    {"model", "FILE", GENERATE_OPT_MODEL, 0,
     "the checkpoint (default: models/default.safetensors)"},
    {"class", "N", GENERATE_OPT_CLASS, 0, "the class label (0)"},
    {"seed", "S", GENERATE_OPT_SEED, 0, "the noise seed (0)"},
    {"steps", "N", GENERATE_OPT_STEPS, 0, "sampling steps (20)"},
    {"sampler", "NAME", GENERATE_OPT_SAMPLER, 0, "a ComfyUI sampler (euler)"},
    {"scheduler", "NAME", GENERATE_OPT_SCHEDULER, 0, "a ComfyUI scheduler (simple)"},
    {"cfg", "F", GENERATE_OPT_CFG, 0, "classifier-free guidance scale (8)"},
    {"residual-diff-threshold", "F", GENERATE_OPT_THRESHOLD, 0,
     "relative-L1 threshold; <= 0 = off (0)"},
    {"threshold", "F", GENERATE_OPT_THRESHOLD, CLI_ALIAS, NULL},
    {"max-consecutive-cache-hits", "N", GENERATE_OPT_MAX_HITS, 0, "-1 unlimited, 0 off (-1)"},
    {"max-hits", "N", GENERATE_OPT_MAX_HITS, CLI_ALIAS, NULL},
    {"start", "F", GENERATE_OPT_START, 0,
     "fraction of sampling (via the model's percent_to_sigma)\n"
     "from which caching is allowed (0)"},
    {"end", "F", GENERATE_OPT_END, 0, "fraction of sampling up to which caching is allowed (1)"},
    {"out", "IMG.png", GENERATE_OPT_OUT, CLI_REQUIRED,
     "the image (8-bit RGB; parameters in a tEXt chunk)"},
    {"denoise", "F", GENERATE_OPT_DENOISE, 0,
     "fraction of the schedule to run, (0, 1] (1): KSampler\n"
     "samples the last steps+1 sigmas of int(steps/denoise)"},
    {"eta", "F", GENERATE_OPT_ETA, 0,
     "noise scale of ancestral/SDE samplers (their ComfyUI\n"
     "default: 1, or 0 where a sampler has no eta)"},
    {"s-noise", "F", GENERATE_OPT_S_NOISE, 0, "their s_noise (1)"},
    {"trace", "FILE.jsonl", GENERATE_OPT_TRACE, 0,
     "one JSON object per model call: step, call, sigma,\n"
     "timestep, rel_l1, hit, reason, ms (and seq, dtype)"},
    {"latent-out", "FILE.safetensors", GENERATE_OPT_LATENT, 0,
     "the raw float32 output as safetensors tensor 'x0'"},
    {"threads", "N", GENERATE_OPT_THREADS, 0, "ATen intra-op threads (default: libtorch's)"},
    {"device", "cpu|cuda", GENERATE_OPT_DEVICE, 0,
     "where the model runs (noise is always drawn on the CPU)"},
    {"dtype", "f32|bf16|f16", GENERATE_OPT_DTYPE, 0,
     "the model's compute dtype (f32): weights are converted\n"
     "once on load; the sampler, noise and output stay float32"},
    {"quiet", NULL, GENERATE_OPT_QUIET, 0, "no progress bar"},
    {0},
};

/* --dtype: a compute dtype, with the sweep grammar's wording for an unknown one. */
static int
generate_dtype(const char *v, enum tensor_dtype *out)
{
    if (model_dtype_find(v, out) == 0)
        return 0;
    return cli_usage_error(&cmd_generate_entry, "unknown dtype '%s' (did you mean '%s'?)", v,
                           model_dtype_closest(v));
}

/* One option into o (a struct generate_opts); nonzero on a bad value. */
static int
generate_option(void *ctx, int id, const char *flag, const char *v)
{
    struct generate_opts *o = ctx;
    struct engine_params *p = &o->p;
    int n;
    switch (id) {
    case GENERATE_OPT_MODEL: o->model = v; return 0;
    case GENERATE_OPT_OUT: o->out = v; return 0;
    case GENERATE_OPT_TRACE: o->trace = v; return 0;
    case GENERATE_OPT_LATENT: o->latent_out = v; return 0;
    case GENERATE_OPT_SAMPLER: p->sampler = v; return 0;
    case GENERATE_OPT_SCHEDULER: p->scheduler = v; return 0;
    case GENERATE_OPT_QUIET: o->quiet = 1; return 0;
    case GENERATE_OPT_CLASS:
        if (cli_int(flag, v, 0, MODEL_MAX_CLASSES, &n) < 0)
            return -1;
        p->label = n;
        return 0;
    case GENERATE_OPT_SEED: return cli_u64(flag, v, &p->seed);
    case GENERATE_OPT_STEPS: return cli_int(flag, v, 1, 10000, &p->steps);
    case GENERATE_OPT_CFG: return cli_double(flag, v, -1e6, 1e6, &p->cfg);
    case GENERATE_OPT_THRESHOLD:
        return cli_double(flag, v, -1e9, 1e9, &p->cache.residual_diff_threshold);
    case GENERATE_OPT_MAX_HITS:
        return cli_int(flag, v, -1, 1000000, &p->cache.max_consecutive_cache_hits);
    case GENERATE_OPT_START: return cli_double(flag, v, 0, 1, &p->cache.start);
    case GENERATE_OPT_END: return cli_double(flag, v, 0, 1, &p->cache.end);
    case GENERATE_OPT_DENOISE: return cli_double(flag, v, 1e-6, 1, &p->denoise);
    case GENERATE_OPT_ETA: return cli_double(flag, v, 0, 100, &p->eta);
    case GENERATE_OPT_S_NOISE: return cli_double(flag, v, 0, 100, &p->s_noise);
    case GENERATE_OPT_THREADS: return cli_int(flag, v, 0, 1024, &o->threads);
    case GENERATE_OPT_DEVICE: return cli_device(flag, v, &o->device);
    case GENERATE_OPT_DTYPE: return generate_dtype(v, &o->dtype);
    default: return -1;
    }
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
    size_t n = engine_result_numel(r);
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

static int
cmd_generate(int argc, char **argv, struct app *app)
{
    struct generate_opts o = {.p = ENGINE_PARAMS_DEFAULT, .device = TENSOR_CPU,
                              .dtype = TENSOR_F32};
    int argi, rc = cli_parse(&cmd_generate_entry, argc, argv, generate_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    cli_set_threads(app, o.threads);
    char *cause = NULL, *fallback = NULL;
    if (o.model == NULL && (o.model = fallback = cli_default_model(&cause)) == NULL) {
        rc = cli_usage_error(&cmd_generate_entry, "%s", cause);
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
        rc = cli_usage_error(&cmd_generate_entry, "%s", cause);
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

const struct cli_command cmd_generate_entry = {
    .name = "generate",
    .summary = "one generation: image, trace and summary",
    .options = generate_options,
    .help =
        "Runs one class-conditional generation with ComfyUI's sampler and scheduler\n"
        "maths and WaveSpeed's First Block Cache, and writes the image (--out), optionally a\n"
        "JSON Lines trace of every model call (--trace) and the raw output (--latent-out),\n"
        "then prints one summary line (steps, model calls, hits, hit rate, wall seconds and,\n"
        "on a GPU, the device memory high-water mark).  Every output is written to a\n"
        "temporary name and renamed, so Ctrl-C never leaves a half-written file.\n\n"
        "The defaults are ComfyUI KSampler's; the cache knobs have Comfy-WaveSpeed's names\n"
        "and defaults.  See `fbw list samplers` and `fbw list schedulers` for the names.\n",
    .run = cmd_generate,
};
