/*
 * runner.c - runs a sweep's cells and references and stores them (see runner.h).
 *
 * Shape of the work: runner_run plans every run in the store first (cells and the references
 * they share, all `waiting`), then walks the cells in run order.  Before a cell, its reference
 * is measured unless the store already has it complete; the reference's output and timing
 * statistics stay in memory (struct runner_ref) for the cells after it, or are read back from
 * the store on a resumed sweep.  One model is loaded at a time, in the cell's compute dtype
 * (weights converted once, on load); the spec's run order puts the model axis outermost, then
 * dtype, so each model and dtype loads once.
 *
 * Each run: db_run_start, the compile/first generation, W warm-ups, R measured generations
 * (each a full engine_generate with its own trace), then statistics, diffs and PNGs, and one
 * db_run_complete.  Time outside engine_generate per run is the runner's overhead, reported.
 */
#include "bench/runner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/machine.h"
#include "util/stats.h"
#include "core/engine.h"
#include "core/image.h"
#include "core/metrics.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/sha256.h"

#define RUNNER_HEARTBEAT_S 2.0
#define RUNNER_HEATMAP_SCALE 0.25

/* A reference run: its store id and, once measured or read back, its output and timings. */
struct runner_ref {
    char ref_hash[17];
    int64_t run_id;
    enum db_run_state state;
    const struct sweep_cell *first;     /* the first cell (in run order) that uses it */
    float *x0;                          /* (1, C, H, W) output, or NULL until known */
    size_t x0_bytes;
    int64_t shape[4];
    struct stats wall;                  /* measured wall_ms */
    int tried;                          /* measured (or attempted) in this runner_run */
};

/* Everything runner_run carries between runs. */
struct runner {
    struct db *db;
    const struct runner_params *p;
    struct runner_report *report;
    int64_t sweep_id, env_id;
    struct sweep_cell *cells;
    size_t ncells;
    int64_t *cell_ids;
    enum db_run_state *cell_states;
    struct runner_ref *refs;
    size_t nrefs;
    struct model *model;
    char *model_path;
    enum tensor_dtype model_dtype;
    /* progress */
    struct runner_progress prog;
    double t0, steps_total, steps_done, last_heartbeat;
    int64_t current_run;
    int stop;
    char detail[192];                   /* the last finished run in one line */
};

/* One generation of a run. */
struct runner_gen {
    enum db_phase phase;
    int rep;
    struct engine_result r;
};

char *
runner_default_name(const struct sweep_spec *spec)
{
    char *canon = sweep_spec_canonical(spec);
    char hex[SHA256_HEX_SIZE];
    sha256_hex(canon, strlen(canon), hex);
    free(canon);
    return xasprintf("sweep-%.8s", hex);
}

static const char *
runner_model_of(const struct runner *rn, const struct sweep_cell *c)
{
    const char *m = sweep_cell_text(c, SWEEP_KNOB_MODEL);
    return m[0] != '\0' ? m : rn->p->default_model;
}

/* ---- planning ------------------------------------------------------------------------- */

/* The params stored with a run: every knob for a cell; for a reference the knobs of its key. */
static size_t
runner_params_of(const struct sweep_cell *c, int reference, struct db_param *out)
{
    size_t n = 0;
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
        const struct sweep_knob_info *info = sweep_knob_info(k);
        if (reference && (info->cache_knob || k == SWEEP_KNOB_COMPILE))
            continue;
        out[n++] = (struct db_param){info->name, c->v[k]->text, c->v[k]->num};
    }
    if (reference)
        out[n++] = (struct db_param){"cache", "off", NAN};
    return n;
}

static struct runner_ref *
runner_ref_of(struct runner *rn, const struct sweep_cell *c)
{
    for (size_t i = 0; i < rn->nrefs; i++)
        if (strcmp(rn->refs[i].ref_hash, c->ref_hash) == 0)
            return &rn->refs[i];
    return NULL;
}

static int
runner_plan(struct runner *rn, char **cause)
{
    struct db_param params[SWEEP_KNOB_COUNT + 1];
    rn->cell_ids = xcalloc(rn->ncells, sizeof *rn->cell_ids);
    rn->cell_states = xcalloc(rn->ncells, sizeof *rn->cell_states);
    rn->refs = xcalloc(rn->ncells, sizeof *rn->refs);
    for (size_t i = 0; i < rn->ncells; i++) {
        const struct sweep_cell *c = &rn->cells[i];
        struct runner_ref *ref = runner_ref_of(rn, c);
        if (ref == NULL) {
            ref = &rn->refs[rn->nrefs++];
            memcpy(ref->ref_hash, c->ref_hash, sizeof ref->ref_hash);
            ref->first = c;
            struct db_run_key key = {DB_RUN_REFERENCE, -1, -1, -1, -1, c->ref_hash, 0};
            if (db_run_ensure(rn->db, rn->sweep_id, &key, params, runner_params_of(c, 1, params),
                              &ref->run_id, &ref->state, cause) < 0)
                return -1;
        }
        struct db_run_key key = {DB_RUN_CELL, (long)c->number, (int)c->ix, (int)c->iy,
                                 (int)c->iz, c->config_hash, ref->run_id};
        if (db_run_ensure(rn->db, rn->sweep_id, &key, params, runner_params_of(c, 0, params),
                          &rn->cell_ids[i], &rn->cell_states[i], cause) < 0)
            return -1;
    }
    return 0;
}

/* Generations per run, for the ETA (a time budget may add more; the ETA then catches up). */
static int
runner_gens(const struct runner *rn)
{
    return 1 + rn->p->spec->warmup + rn->p->spec->repeat;
}

static void
runner_count_work(struct runner *rn)
{
    struct runner_report *rep = rn->report;
    rep->runs = rn->ncells + rn->nrefs;
    for (size_t i = 0; i < rn->nrefs; i++) {
        if (rn->refs[i].state == DB_COMPLETE)
            rep->skipped++;
        else
            rn->steps_total += runner_gens(rn) * sweep_cell_num(rn->refs[i].first,
                                                                 SWEEP_KNOB_STEPS);
    }
    for (size_t i = 0; i < rn->ncells; i++) {
        if (rn->cell_states[i] == DB_COMPLETE)
            rep->skipped++;
        else
            rn->steps_total += runner_gens(rn) * sweep_cell_num(&rn->cells[i], SWEEP_KNOB_STEPS);
    }
    rn->prog.total = rep->runs;
    rn->prog.done = rep->skipped;
}

/* ---- progress and stopping ------------------------------------------------------------ */

static void
runner_emit(struct runner *rn)
{
    struct runner_progress *pg = &rn->prog;
    pg->elapsed_s = clock_now() - rn->t0;
    double done = rn->steps_done + pg->step;
    pg->eta_s = done > 0 ? pg->elapsed_s / done * fmax(0, rn->steps_total - done) : -1;
    if (rn->p->on_progress != NULL)
        rn->p->on_progress(rn->p->ctx, pg);
}

static void
runner_event(struct runner *rn, const char *event, const char *detail)
{
    rn->prog.event = event;
    rn->prog.detail = detail;
    runner_emit(rn);
    rn->prog.event = rn->prog.detail = NULL;
}

/* engine on_step: progress, heartbeats, and the stop request. */
static int
runner_on_step(void *ctx, int step, int steps)
{
    struct runner *rn = ctx;
    rn->prog.step = step;
    rn->prog.steps = steps;
    runner_emit(rn);
    double now = clock_now();
    if (now - rn->last_heartbeat >= RUNNER_HEARTBEAT_S) {
        rn->prog.load = usage_loadavg();    /* read with the heartbeat, not every step */
        char *cause = NULL;
        if (db_run_heartbeat(rn->db, rn->current_run, &cause) < 0)
            free(cause);    /* a missed heartbeat only ages the row; the run goes on */
        rn->last_heartbeat = now;
    }
    if (rn->p->should_stop != NULL && rn->p->should_stop(rn->p->ctx))
        rn->stop = 1;
    return rn->stop;
}

/* ---- one run -------------------------------------------------------------------------- */

/* The cell's compute dtype (the grammar admits only model_dtypes' names). */
static enum tensor_dtype
runner_dtype_of(const struct sweep_cell *c)
{
    enum tensor_dtype dt;
    CHECK(model_dtype_find(sweep_cell_text(c, SWEEP_KNOB_DTYPE), &dt) == 0);
    return dt;
}

/* The cell's model in the cell's dtype, reloaded only when either changes. */
static int
runner_load_model(struct runner *rn, const struct sweep_cell *c, char **cause)
{
    const char *path = runner_model_of(rn, c);
    enum tensor_dtype dtype = runner_dtype_of(c);
    if (rn->model != NULL && strcmp(rn->model_path, path) == 0 && rn->model_dtype == dtype)
        return 0;
    model_free(rn->model);
    free(rn->model_path);
    rn->model_path = xstrdup(path);
    rn->model_dtype = dtype;
    rn->model = model_load_as(path, rn->p->device, dtype, cause);
    return rn->model != NULL ? 0 : -1;
}

static void
runner_engine_params(struct runner *rn, const struct sweep_cell *c, int reference,
                     struct engine_params *ep)
{
    *ep = (struct engine_params)ENGINE_PARAMS_DEFAULT;
    ep->sampler = sweep_cell_text(c, SWEEP_KNOB_SAMPLER);
    ep->scheduler = sweep_cell_text(c, SWEEP_KNOB_SCHEDULER);
    ep->steps = (int)sweep_cell_num(c, SWEEP_KNOB_STEPS);
    ep->cfg = sweep_cell_num(c, SWEEP_KNOB_CFG);
    ep->seed = (uint64_t)sweep_cell_num(c, SWEEP_KNOB_SEED);
    ep->label = (int64_t)sweep_cell_num(c, SWEEP_KNOB_CLASS);
    if (!reference) {
        ep->cache.residual_diff_threshold = sweep_cell_num(c, SWEEP_KNOB_THRESHOLD);
        ep->cache.max_consecutive_cache_hits = (int)sweep_cell_num(c, SWEEP_KNOB_MAX_HITS);
        ep->cache.start = sweep_cell_num(c, SWEEP_KNOB_START);
        ep->cache.end = sweep_cell_num(c, SWEEP_KNOB_END);
    }
    ep->on_step = runner_on_step;
    ep->ctx = rn;
}

static void
runner_gens_free(struct runner_gen *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        engine_result_release(&g[i].r);
    free(g);
}

/* Compile, warm-up and measured generations; *gens holds them (count in *n). */
static int
runner_generate_all(struct runner *rn, const struct engine_params *ep, struct runner_gen **gens,
                    size_t *n, char **cause)
{
    const struct sweep_spec *s = rn->p->spec;
    size_t cap = (size_t)runner_gens(rn);
    struct runner_gen *g = xcalloc(cap, sizeof *g);
    double measured_s = 0;
    size_t count = 0;
    int rc = 0;
    for (;;) {
        enum db_phase phase = count == 0 ? DB_PHASE_COMPILE
                              : count <= (size_t)s->warmup ? DB_PHASE_WARMUP : DB_PHASE_MEASURE;
        int rep = phase == DB_PHASE_COMPILE ? 0
                  : phase == DB_PHASE_WARMUP ? (int)count - 1 : (int)count - 1 - s->warmup;
        if (phase == DB_PHASE_MEASURE && rep >= s->repeat &&
            (s->budget_s <= 0 || measured_s >= s->budget_s))
            break;
        if (count == cap)
            g = xrealloc(g, (cap *= 2) * sizeof *g);
        rn->prog.phase = phase;
        rn->prog.rep = rep;
        rn->prog.reps = phase == DB_PHASE_COMPILE ? 1
                        : phase == DB_PHASE_WARMUP ? s->warmup : s->repeat;
        g[count].phase = phase;
        g[count].rep = rep;
        rn->prog.trace = &g[count].r.trace;     /* filled by the engine as it runs */
        rc = engine_generate(rn->model, ep, &g[count].r, cause);
        rn->prog.trace = NULL;
        if (rc < 0)
            break;
        rn->report->generate_s += g[count].r.wall_seconds;
        rn->steps_done += ep->steps;
        rn->prog.step = 0;
        if (phase == DB_PHASE_MEASURE)
            measured_s += g[count].r.wall_seconds;
        count++;
    }
    *gens = g;
    *n = count;
    return rc;
}

/* Statistics of one timing over the measured generations. */
static void
runner_stats(const struct runner_gen *g, size_t n, int calls, struct stats *st)
{
    double *v = xmalloc(n * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (g[i].phase == DB_PHASE_MEASURE)
            v[m++] = 1e3 * (calls ? g[i].r.call_seconds : g[i].r.wall_seconds);
    stats_compute(v, m, st);
    free(v);
}

static int
runner_deterministic(const struct runner_gen *g, size_t n)
{
    size_t bytes = engine_result_numel(&g[0].r) * sizeof(float);
    for (size_t i = 1; i < n; i++)
        if (memcmp(g[i].r.x0, g[0].r.x0, bytes) != 0)
            return 0;
    return 1;
}

/* Everything a finished run stores, built from its generations. */
struct runner_out {
    struct db_rep *reps;
    struct db_summary sums[2];
    struct db_metric metrics[24];
    size_t nmetrics;
    struct db_artifact arts[3];
    size_t narts;
    unsigned char *png[2];          /* the image and the diff, owned */
    size_t npng;
    char *steps_hit;
};

static void
runner_metric(struct runner_out *o, const char *key, double value, const char *text)
{
    CHECK(o->nmetrics < sizeof o->metrics / sizeof o->metrics[0]);
    o->metrics[o->nmetrics++] = (struct db_metric){key, value, text};
}

static int
runner_png(struct runner_out *o, const char *kind, struct image *img, const char *info,
           char **cause)
{
    size_t size;
    CHECK(o->npng < sizeof o->png / sizeof o->png[0]);
    unsigned char **png = &o->png[o->npng++];
    if (image_encode_png(img, "parameters", info, png, &size, cause) < 0)
        return -1;
    o->arts[o->narts++] = (struct db_artifact){kind, *png, size, img->width, img->height};
    return 0;
}

static void
runner_out_release(struct runner_out *o)
{
    free(o->reps);
    free(o->png[0]);
    free(o->png[1]);
    free(o->steps_hit);
}

/* The cache figures of a run, from the trace it is given (the last measured generation's; runs
 * are deterministic, so every repetition's decisions are the same). */
static void
runner_cache_metrics(struct runner_out *o, const struct trace *t)
{
    size_t steps = 0, steps_hit = trace_steps_hit(t, &steps), hits = trace_hits(t);
    runner_metric(o, "calls", (double)t->count, NULL);
    runner_metric(o, "hits", (double)hits, NULL);
    runner_metric(o, "hit_rate", t->count ? (double)hits / (double)t->count : 0, NULL);
    runner_metric(o, "hit_rate_step", steps ? (double)steps_hit / (double)steps : 0, NULL);
    o->steps_hit = trace_steps_hit_text(t);
    runner_metric(o, "steps_hit", NAN, o->steps_hit);
}

/*
 * The FLOP-modelled speed-up of a cell, noise-free, from its trace: the uncached generation
 * makes the same calls, all full (embed + depth blocks + final); the cell's hits compute embed +
 * block 0 + final (core/model.h model_flops).  The batch cancels out.  cache-dit calls this
 * ratio "speed-up"; fbw shows it beside the measured one, as the model.
 */
static double
runner_flop_speedup(const struct runner *rn, const struct trace *t)
{
    const struct model_config *cfg = model_config(rn->model);
    const struct model_flops f = model_flops(cfg, 1);
    const double full = f.embed + cfg->depth * f.block + f.final, hit = f.embed + f.block + f.final;
    const double n = (double)t->count, hits = (double)trace_hits(t);
    return n > 0 ? n * full / ((n - hits) * full + hits * hit) : NAN;
}

/* util/usage.h's rule over the measured generations; sets reps[i].disturbed, returns the count. */
static size_t
runner_flag_disturbed(const struct runner_gen *g, size_t n, struct db_rep *reps)
{
    struct usage *u = xcalloc(n, sizeof *u);
    int *flags = xcalloc(n, sizeof *flags);
    size_t *at = xcalloc(n, sizeof *at), m = 0;
    for (size_t i = 0; i < n; i++)
        if (g[i].phase == DB_PHASE_MEASURE) {
            at[m] = i;
            u[m++] = g[i].r.usage;
        }
    size_t count = usage_flag_disturbed(u, m, flags);
    for (size_t k = 0; k < m; k++)
        reps[at[k]].disturbed = flags[k];
    free(u);
    free(flags);
    free(at);
    return count;
}

static int
runner_build_out(struct runner *rn, struct runner_ref *ref, int reference,
                 const struct runner_gen *g, size_t n, struct runner_out *o, char **cause)
{
    memset(o, 0, sizeof *o);
    o->reps = xcalloc(n, sizeof *o->reps);
    size_t measured = 0;
    for (size_t i = 0; i < n; i++) {
        o->reps[i] = (struct db_rep){g[i].phase, g[i].rep, 1e3 * g[i].r.wall_seconds,
                                     1e3 * g[i].r.call_seconds, &g[i].r.trace,
                                     g[i].r.peak_device_bytes, &g[i].r.usage, 0};
        measured += g[i].phase == DB_PHASE_MEASURE;
    }
    CHECK(measured > 0);
    runner_metric(o, "disturbed", (double)runner_flag_disturbed(g, n, o->reps), NULL);
    o->sums[0].key = "wall_ms";
    runner_stats(g, n, 0, &o->sums[0].st);
    o->sums[1].key = "calls_ms";
    runner_stats(g, n, 1, &o->sums[1].st);
    runner_metric(o, "first_ms", 1e3 * g[0].r.wall_seconds, NULL);
    runner_metric(o, "nondeterministic", runner_deterministic(g, n) ? 0 : 1, NULL);
    runner_cache_metrics(o, &g[n - 1].r.trace);
    const struct engine_result *last = &g[n - 1].r;
    size_t values = engine_result_numel(last);
    o->arts[o->narts++] = (struct db_artifact){"x0", (const unsigned char *)last->x0,
                                               values * sizeof(float), (int)last->shape[3],
                                               (int)last->shape[2]};
    struct image img;
    image_from_output(&img, last->x0, last->shape);
    char *canon = sweep_spec_canonical(rn->p->spec);
    int rc = runner_png(o, "image", &img, canon, cause);
    image_release(&img);
    if (rc == 0 && !reference) {
        struct metrics_diff d = metrics_compare_image(last->x0, ref->x0, last->shape);
        runner_metric(o, "psnr", d.psnr, NULL);
        runner_metric(o, "ssim", d.ssim, NULL);
        runner_metric(o, "mae", d.mae, NULL);
        runner_metric(o, "max_abs", d.max_abs, NULL);
        double err, sp = stats_ratio(ref->wall.median, ref->wall.stddev, o->sums[0].st.median,
                                     o->sums[0].st.stddev, &err);
        runner_metric(o, "speedup", sp, NULL);
        runner_metric(o, "speedup_err", err, NULL);
        const double fsp = runner_flop_speedup(rn, &last->trace);
        runner_metric(o, "flop_speedup", fsp, NULL);
        runner_metric(o, "efficiency", sp / fsp, NULL);
        metrics_heatmap(last->x0, ref->x0, last->shape, RUNNER_HEATMAP_SCALE, &img);
        rc = runner_png(o, "diff", &img, canon, cause);
        image_release(&img);
    }
    free(canon);
    return rc;
}

static double
runner_metric_value(const struct runner_out *o, const char *key)
{
    for (size_t i = 0; i < o->nmetrics; i++)
        if (strcmp(o->metrics[i].key, key) == 0)
            return o->metrics[i].value;
    return NAN;
}

/* The one-line summary of a finished run shown in progress output. */
static void
runner_summarise(struct runner *rn, const struct runner_out *o, int reference)
{
    const struct stats *w = &o->sums[0].st;
    const double disturbed = runner_metric_value(o, "disturbed");
    char note[32] = "";
    if (disturbed > 0)
        snprintf(note, sizeof note, ", %.0f disturbed", disturbed);
    int n = snprintf(rn->detail, sizeof rn->detail, "median %.1f ms (sd %.1f, n %zu%s)",
                     w->median, w->stddev, w->n, note);
    char psnr[32] = "image identical to the reference";
    if (!metrics_identical(runner_metric_value(o, "psnr")))
        snprintf(psnr, sizeof psnr, "PSNR %.1f dB", runner_metric_value(o, "psnr"));
    if (!reference && n > 0 && (size_t)n < sizeof rn->detail)
        snprintf(rn->detail + n, sizeof rn->detail - (size_t)n,
                 ", %.2f ± %.2f x the reference, hits %.0f%%, %s",
                 runner_metric_value(o, "speedup"), runner_metric_value(o, "speedup_err"),
                 100 * runner_metric_value(o, "hit_rate"), psnr);
}

/* Keeps a finished reference's output and timings for the cells after it. */
static void
runner_ref_keep(struct runner_ref *ref, const struct runner_gen *g, size_t n,
                const struct stats *wall)
{
    const struct engine_result *last = &g[n - 1].r;
    size_t values = engine_result_numel(last);
    free(ref->x0);
    ref->x0 = xmalloc(values * sizeof(float));
    ref->x0_bytes = values * sizeof(float);
    memcpy(ref->x0, last->x0, values * sizeof(float));
    memcpy(ref->shape, last->shape, sizeof ref->shape);
    ref->wall = *wall;
    ref->state = DB_COMPLETE;
}

/* A reference complete in the store (a resumed sweep): read its output and timings back. */
static int
runner_ref_load(struct runner *rn, struct runner_ref *ref, char **cause)
{
    unsigned char *data = NULL;
    size_t size = 0;
    int rc = db_artifact_get(rn->db, ref->run_id, "x0", &data, &size, cause);
    if (rc == 0)
        rc = db_summary_get(rn->db, ref->run_id, "wall_ms", &ref->wall, cause);
    if (rc == 1)
        rc = err_set(cause, "reference run %lld is complete but lacks its output or timings",
                     (long long)ref->run_id);
    if (rc < 0) {
        free(data);
        return -1;
    }
    ref->x0 = (float *)data;
    ref->x0_bytes = size;
    ref->shape[0] = 0;      /* filled from the first generation that compares with it */
    return 0;
}

/* One run: a cell (compared with ref) or the reference itself; 0 ok, -1 failed or stopped. */
static int
runner_one(struct runner *rn, const struct sweep_cell *c, int reference, int64_t run_id,
           struct runner_ref *ref, char **cause)
{
    struct engine_params ep;
    struct runner_gen *g = NULL;
    size_t n = 0;
    struct runner_out o = {0};
    int rc = -1;
    rn->current_run = run_id;
    rn->last_heartbeat = clock_now();
    rn->prog.cell = c;
    rn->prog.reference = reference;
    rn->prog.run_number = reference ? -1 : (long)c->number;
    rn->prog.run_id = run_id;
    rn->prog.threshold = reference ? 0 : sweep_cell_num(c, SWEEP_KNOB_THRESHOLD);
    runner_engine_params(rn, c, reference, &ep);
    if (db_run_start(rn->db, run_id, rn->env_id, cause) < 0 ||
        runner_load_model(rn, c, cause) < 0)
        goto out;
    const double load_start = rn->prog.load = usage_loadavg();
    if (runner_generate_all(rn, &ep, &g, &n, cause) < 0)
        goto out;
    const double load_end = usage_loadavg();
    double t_over = clock_now();
    const int64_t *sh = g[0].r.shape;
    const size_t bytes = engine_result_numel(&g[0].r) * sizeof(float);
    if (!reference && ref->x0_bytes != bytes) {
        err_set(cause, "the reference's stored output has %zu bytes, not the %zu this cell "
                "makes", ref->x0_bytes, bytes);
        goto out;
    }
    if (!reference && ref->shape[0] == 0)
        memcpy(ref->shape, sh, sizeof ref->shape);
    if (runner_build_out(rn, ref, reference, g, n, &o, cause) < 0)
        goto out;
    double overhead_ms = 1e3 * (clock_now() - t_over);
    runner_metric(&o, "overhead_ms", overhead_ms, NULL);
    runner_metric(&o, "load_start", load_start, NULL);     /* 1-minute load averages */
    runner_metric(&o, "load_end", load_end, NULL);
    struct db_run_result res = {o.reps, n, o.sums, 2, o.metrics, o.nmetrics, o.arts, o.narts};
    if (db_run_complete(rn->db, run_id, &res, cause) < 0)
        goto out;
    rn->report->overhead_s += clock_now() - t_over;
    runner_summarise(rn, &o, reference);
    if (reference)
        runner_ref_keep(ref, g, n, &o.sums[0].st);
    rc = 0;
out:
    runner_out_release(&o);
    runner_gens_free(g, n);
    return rc;
}

/* Marks a run failed and reports it; -1 only when the store cannot record it. */
static int
runner_fail(struct runner *rn, int64_t run_id, enum db_run_state *state, const char *why,
            char **cause)
{
    *state = DB_FAILED;
    rn->report->failed++;
    runner_event(rn, "failed", why);
    return db_run_fail(rn->db, run_id, why, cause);
}

/* Runs one run and reports it: 0 to go on (even when the run failed), -1 when the sweep must
 * end (stopped: *cause NULL; the store failed: *cause says why). */
static int
runner_do(struct runner *rn, const struct sweep_cell *c, int reference, int64_t run_id,
          struct runner_ref *ref, enum db_run_state *state, char **cause)
{
    char *why = NULL;
    int rc = runner_one(rn, c, reference, run_id, ref, &why);
    if (rn->stop) {
        free(why);
        return -1;
    }
    rn->prog.done++;
    if (rc == 0) {
        *state = DB_COMPLETE;
        rn->report->completed++;
        runner_event(rn, "complete", rn->detail);
        return 0;
    }
    rc = runner_fail(rn, run_id, state, why, cause);
    free(why);
    return rc;
}

static int
runner_cells(struct runner *rn, char **cause)
{
    for (size_t i = 0; i < rn->ncells && !rn->stop; i++) {
        const struct sweep_cell *c = &rn->cells[i];
        struct runner_ref *ref = runner_ref_of(rn, c);
        if (ref->state != DB_COMPLETE && !ref->tried) {
            ref->tried = 1;     /* a reference that failed is not retried for every cell */
            if (runner_do(rn, c, 1, ref->run_id, ref, &ref->state, cause) < 0)
                return rn->stop ? 0 : -1;
        }
        if (rn->cell_states[i] == DB_COMPLETE)
            continue;
        if (ref->state != DB_COMPLETE) {
            rn->prog.cell = c;
            rn->prog.reference = 0;
            rn->prog.run_number = (long)c->number;
            rn->prog.run_id = rn->cell_ids[i];
            rn->prog.done++;
            if (runner_fail(rn, rn->cell_ids[i], &rn->cell_states[i],
                            "its reference run failed", cause) < 0)
                return -1;
            continue;
        }
        if (ref->x0 == NULL && runner_ref_load(rn, ref, cause) < 0)
            return -1;
        if (runner_do(rn, c, 0, rn->cell_ids[i], ref, &rn->cell_states[i], cause) < 0)
            return rn->stop ? 0 : -1;
    }
    return 0;
}

/* ---- the sweep ------------------------------------------------------------------------ */

static void
runner_release(struct runner *rn)
{
    free(rn->cells);
    free(rn->cell_ids);
    free(rn->cell_states);
    for (size_t i = 0; i < rn->nrefs; i++)
        free(rn->refs[i].x0);
    free(rn->refs);
    model_free(rn->model);
    free(rn->model_path);
}

static int
runner_begin(struct runner *rn, char **cause)
{
    const struct runner_params *p = rn->p;
    struct runner_report *rep = rn->report;
    char *canon = sweep_spec_canonical(p->spec);
    char *env = machine_fingerprint_json(p->device, p->threads);
    rep->name = p->name != NULL ? xstrdup(p->name)
                : p->spec->name != NULL ? xstrdup(p->spec->name) : runner_default_name(p->spec);
    int64_t id = 0;
    int rc = -1;
    if (sweep_spec_expand(p->spec, &rn->cells, &rn->ncells, cause) < 0 ||
        db_env_intern(rn->db, env, &rn->env_id, cause) < 0 ||
        db_sweep_begin(rn->db, rep->name, canon, &id, &rep->resumed, cause) < 0)
        goto out;
    rn->sweep_id = rep->sweep_id = id;
    if (db_sweep_recover(rn->db, id, &rep->recovered, cause) < 0 || runner_plan(rn, cause) < 0 ||
        db_sweep_set_status(rn->db, id, "running", cause) < 0)
        goto out;
    rc = 0;
out:
    free(canon);
    free(env);
    return rc;
}

int
runner_run(struct db *db, const struct runner_params *p, struct runner_report *report,
           char **cause)
{
    memset(report, 0, sizeof *report);
    struct runner rn = {.db = db, .p = p, .report = report, .t0 = clock_now()};
    int rc = -1;
    if (runner_begin(&rn, cause) < 0)
        goto out;
    runner_count_work(&rn);
    if (runner_cells(&rn, cause) < 0)
        goto out;
    report->stopped = rn.stop;
    const char *status = rn.stop ? "stopped" : report->failed ? "failed" : "done";
    int dummy;
    if ((rn.stop && db_sweep_recover(db, rn.sweep_id, &dummy, cause) < 0) ||
        db_sweep_set_status(db, rn.sweep_id, status, cause) < 0)
        goto out;
    rc = rn.stop || report->failed ? 1 : 0;
out:
    report->wall_s = clock_now() - rn.t0;
    runner_release(&rn);
    return rc;
}

void
runner_report_release(struct runner_report *r)
{
    free(r->name);
    memset(r, 0, sizeof *r);
}

double
runner_calibrate(const struct runner_params *p, char **cause)
{
    struct sweep_cell *cells = NULL;
    size_t n = 0;
    if (sweep_spec_expand(p->spec, &cells, &n, cause) < 0)
        return -1;
    struct runner rn = {.p = p};
    double per_call = -1;
    if (runner_load_model(&rn, &cells[0], cause) == 0) {
        struct engine_params ep;
        runner_engine_params(&rn, &cells[0], 1, &ep);
        ep.on_step = NULL;
        ep.steps = 3;
        ep.sampler = "euler";
        struct engine_result r;
        for (int i = 0; i < 2 && engine_generate(rn.model, &ep, &r, cause) == 0; i++) {
            per_call = r.call_seconds / r.calls;
            engine_result_release(&r);
        }
    }
    model_free(rn.model);
    free(rn.model_path);
    free(cells);
    return per_call;
}
