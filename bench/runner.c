/*
 * runner.c - runs a sweep's reference groups in rounds and stores them (see runner.h).
 *
 * Shape of the work: runner_run plans every run in the store first (cells and the references
 * they share, all `waiting`), then walks the reference groups in run order (a group: one
 * reference and the cells that share it; the order of its first cell).  One model is loaded
 * at a time, in the group's compute dtype; the spec's run order puts the model axis outermost,
 * then dtype, so each model and dtype loads once.
 *
 * A group (shared/reference/timing.md 2):
 *   round 0      every member's compile/first generation and W warm-ups, members in a shuffled
 *                order (once per process run: a resumed group is cold again)
 *   rounds 1..R  every member once per round, in an order shuffled from a seed derived from
 *                the reference's hash and k (recorded with the round); more rounds while a time
 *                budget lasts, and replacement rounds for disturbed ones when asked
 *   figures      per member, the timing statistics of its measured generations; per cell, the
 *                median of its per-round paired ratios with a binomial order-statistic
 *                interval, the FLOP- and time-modelled speed-ups and the efficiency; then every
 *                active member completes in one transaction
 * Each generation is committed as it finishes (db_round_add), so Ctrl-C or a crash loses at
 * most that generation; a resumed group abandons the round in flight, runs a new round 0 and
 * continues at the next k, so a complete round is never recomputed.
 */
#include "bench/runner.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

#define RUNNER_CI_LEVEL 0.95
#define RUNNER_MODEL_TOLERANCE 0.05     /* how far past its interval a cell's time model may
                                         * lie before the cell is flagged (timing.md 3) */
#define RUNNER_SPEEDUP_METHOD "median of paired round ratios, binomial order-statistic CI"

/* A reference run: its store id, state and the first cell (in run order) that uses it. */
struct runner_ref {
    char ref_hash[17];
    int64_t run_id;
    enum db_run_state state;
    const struct sweep_cell *first;
};

/* Everything runner_run carries between groups. */
struct runner {
    struct db *db;
    const struct runner_params *p;
    struct runner_report *report;
    int64_t sweep_id, env_id;
    int64_t session;                    /* this process run: its start, ms since the epoch */
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
    char detail[256];                   /* the last finished run in one line */
};

/* A member of the group being measured: the reference or one of its cells. */
struct runner_member {
    const struct sweep_cell *cell;      /* for the reference: the group's first cell */
    int reference;
    int64_t run_id;
    enum db_run_state *state;           /* where the runner keeps the run's state */
    int active;                         /* 1: completes with this group (not yet complete) */
    int failed;                         /* failed in this group: out of the later rounds */
    int next_rep[DB_PHASE_COUNT];       /* the next free rep of each phase in the store */
    struct engine_params ep;
    struct engine_result last;          /* the latest generation: output and trace */
    float *first_x0;                    /* this session's first output (determinism) */
    int nondeterministic;
    double first_ms;                    /* this session's compile/first generation */
    double measured_s;                  /* its measured time in complete rounds, all sessions */
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

/* Generations per member, for the ETA (a time budget or replacement rounds may add more; the
 * ETA then catches up). */
static int
runner_gens(const struct runner *rn)
{
    return 1 + rn->p->spec->warmup + rn->p->spec->repeat;
}

/* Whether the reference's group still has a cell to complete. */
static int
runner_group_open(const struct runner *rn, const struct runner_ref *ref)
{
    for (size_t i = 0; i < rn->ncells; i++)
        if (rn->cell_states[i] != DB_COMPLETE &&
            strcmp(rn->cells[i].ref_hash, ref->ref_hash) == 0)
            return 1;
    return ref->state != DB_COMPLETE;
}

/* Complete runs are skipped; an open group runs all its incomplete members and its reference
 * (which every round needs, complete or not). */
static void
runner_count_work(struct runner *rn)
{
    struct runner_report *rep = rn->report;
    rep->runs = rn->ncells + rn->nrefs;
    for (size_t i = 0; i < rn->nrefs; i++) {
        rep->skipped += rn->refs[i].state == DB_COMPLETE;
        if (runner_group_open(rn, &rn->refs[i]))
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

/* ---- the order of a round ------------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): a small generator whose whole state is the seed, so a
 * recorded seed replays its order exactly. */
static uint64_t
runner_splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The seed of round k of a group: the first 16 hex digits of SHA-256("fbw-round:<ref_hash>:<k>")
 * read as a 64-bit number, the same in every process run. */
static uint64_t
runner_round_seed(const char *ref_hash, int k)
{
    char text[64], hex[SHA256_HEX_SIZE];
    int len = snprintf(text, sizeof text, "fbw-round:%s:%d", ref_hash, k);
    sha256_hex(text, (size_t)len, hex);
    hex[16] = '\0';
    return strtoull(hex, NULL, 16);
}

/* Fisher-Yates over idx[0..n): for i = n-1 down to 1, swap i with splitmix() mod (i + 1).  The
 * modulo's bias is below 2^-57 for any group size fbw runs. */
static void
runner_shuffle(size_t *idx, size_t n, uint64_t seed)
{
    uint64_t state = seed;
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)(runner_splitmix(&state) % (uint64_t)(i + 1));
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* ---- a group -------------------------------------------------------------------------- */

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

/* The group being measured: its reference and members (members[0] is the reference). */
struct runner_group {
    struct runner_ref *ref;
    struct runner_member *m;
    size_t n;
    int rounds_done;            /* complete measured rounds every open cell took part in */
    int last_k;                 /* the highest complete measured round */
    double load_start;          /* the 1-minute load average when this session began it */
};

static void
runner_group_release(struct runner_group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        engine_result_release(&g->m[i].last);
        free(g->m[i].first_x0);
    }
    free(g->m);
    memset(g, 0, sizeof *g);
}

static struct runner_member *
runner_group_add(struct runner_group *g, const struct sweep_cell *c, int reference,
                 int64_t run_id, enum db_run_state *state)
{
    g->m = xrealloc(g->m, (g->n + 1) * sizeof *g->m);
    struct runner_member *m = &g->m[g->n++];
    memset(m, 0, sizeof *m);
    m->cell = c;
    m->reference = reference;
    m->run_id = run_id;
    m->state = state;
    m->active = *state != DB_COMPLETE;
    return m;
}

/* How far the store already is: the measured time, and the complete rounds each open cell
 * has (a group resumed after a crash, or a cell retried after it failed). */
static int
runner_group_read(struct runner *rn, struct runner_group *g, char **cause)
{
    struct db_round_gen *gens = NULL;
    size_t n = 0;
    if (db_round_last(rn->db, g->ref->run_id, &g->last_k, cause) < 0 ||
        db_round_gens(rn->db, g->ref->run_id, &gens, &n, cause) < 0)
        return -1;
    g->rounds_done = INT32_MAX;
    for (size_t i = 1; i < g->n; i++) {
        if (!g->m[i].active)
            continue;
        int have = 0;
        for (size_t k = 0; k < n; k++)
            have += gens[k].run_id == g->m[i].run_id;
        if (have < g->rounds_done)
            g->rounds_done = have;
    }
    if (g->rounds_done == INT32_MAX)
        g->rounds_done = 0;
    for (size_t i = 0; i < g->n; i++)
        for (size_t k = 0; k < n; k++)
            if (gens[k].run_id == g->m[i].run_id)
                g->m[i].measured_s += gens[k].wall_ms / 1e3;
    free(gens);
    for (size_t i = 0; i < g->n; i++)
        for (int ph = 0; ph < DB_PHASE_COUNT; ph++)
            if (db_rep_next(rn->db, g->m[i].run_id, (enum db_phase)ph, &g->m[i].next_rep[ph],
                            cause) < 0)
                return -1;
    return 0;
}

/* Progress fields for the member about to run. */
static void
runner_prog_member(struct runner *rn, const struct runner_member *m)
{
    rn->current_run = m->run_id;
    rn->prog.cell = m->cell;
    rn->prog.reference = m->reference;
    rn->prog.run_number = m->reference ? -1 : (long)m->cell->number;
    rn->prog.run_id = m->run_id;
    rn->prog.threshold = m->reference ? 0 : sweep_cell_num(m->cell, SWEEP_KNOB_THRESHOLD);
}

/* One generation of a member at a round's position, committed at once.  0; -1 with *cause
 * when the generation failed (the member's failure) or could not be stored (*store set). */
static int
runner_generation(struct runner *rn, struct runner_member *m, int64_t round_id, int position,
                  enum db_phase phase, int *store, char **cause)
{
    struct engine_result r;
    runner_prog_member(rn, m);
    rn->prog.phase = phase;
    rn->prog.trace = &r.trace;              /* filled by the engine as it runs */
    memset(&r, 0, sizeof r);
    int rc = engine_generate(rn->model, &m->ep, &r, cause);
    rn->prog.trace = NULL;
    rn->prog.step = 0;
    if (rc < 0)
        return -1;
    rn->report->generate_s += r.wall_seconds;
    rn->steps_done += m->ep.steps;
    size_t bytes = engine_result_numel(&r) * sizeof(float);
    if (m->first_x0 == NULL) {
        m->first_x0 = xmalloc(bytes);
        memcpy(m->first_x0, r.x0, bytes);
        m->first_ms = 1e3 * r.wall_seconds;
    } else if (memcmp(m->first_x0, r.x0, bytes) != 0) {
        m->nondeterministic = 1;
    }
    struct db_rep rep = {phase, m->next_rep[phase], 1e3 * r.wall_seconds,
                         1e3 * r.call_seconds, &r.trace, r.peak_device_bytes, &r.usage, -1};
    if (db_round_add(rn->db, round_id, position, m->run_id, &rep, cause) < 0) {
        *store = 1;
        engine_result_release(&r);
        return -1;
    }
    m->next_rep[phase]++;
    engine_result_release(&m->last);
    m->last = r;
    return 0;
}

/* The group's members still in the rounds. */
static size_t
runner_group_live(const struct runner_group *g, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        if (!g->m[i].failed)
            idx[n++] = i;
    return n;
}

/* A member failed: a cell leaves the group; the reference takes every open cell with it. */
static int
runner_member_fail(struct runner *rn, struct runner_group *g, struct runner_member *m,
                   const char *why, char **cause)
{
    char *text = NULL;
    for (size_t i = 0; i < g->n; i++) {
        struct runner_member *x = &g->m[i];
        if (x->failed || (x != m && !m->reference))
            continue;
        x->failed = 1;
        if (!x->active)
            continue;       /* complete already: it stays complete */
        runner_prog_member(rn, x);
        rn->prog.done++;
        *x->state = DB_FAILED;
        rn->report->failed++;
        free(text);
        text = x == m ? xstrdup(why) : xasprintf("its reference run failed: %s", why);
        runner_event(rn, "failed", text);
        if (db_run_fail(rn->db, x->run_id, text, cause) < 0) {
            free(text);
            return -1;
        }
    }
    free(text);
    return 0;
}

/*
 * One round: round 0 runs each live member's compile/first and warm-up generations, rounds
 * k >= 1 one measured generation each, members in the round's shuffled order.  0 when the
 * round completed (members may have failed in it); -1 when the sweep must end (stopped, or
 * the store failed: *cause).
 */
static int
runner_round(struct runner *rn, struct runner_group *g, int k, char **cause)
{
    size_t *idx = xmalloc(g->n * sizeof *idx);
    size_t live = runner_group_live(g, idx);
    int64_t *order = xmalloc((live ? live : 1) * sizeof *order);
    const uint64_t seed = runner_round_seed(g->ref->ref_hash, k);
    runner_shuffle(idx, live, seed);
    for (size_t i = 0; i < live; i++)
        order[i] = g->m[idx[i]].run_id;
    rn->prog.load = usage_loadavg();
    struct db_round_plan plan = {rn->sweep_id, g->ref->run_id, k, rn->session, seed, order,
                                 live, rn->prog.load};
    int64_t round_id;
    int rc = -1, position = 0;
    if (db_round_begin(rn->db, &plan, &round_id, cause) < 0)
        goto out;
    for (size_t i = 0; i < live; i++) {
        struct runner_member *m = &g->m[idx[i]];
        const int gens = k == 0 ? 1 + rn->p->spec->warmup : 1;
        for (int j = 0; j < gens && !m->failed; j++) {
            const enum db_phase phase = k > 0 ? DB_PHASE_MEASURE
                                        : j == 0 ? DB_PHASE_COMPILE : DB_PHASE_WARMUP;
            rn->prog.rep = k > 0 ? g->rounds_done : j == 0 ? 0 : j - 1;
            rn->prog.reps = k > 0 ? rn->p->spec->repeat : j == 0 ? 1 : rn->p->spec->warmup;
            char *why = NULL;
            int store = 0;
            if (runner_generation(rn, m, round_id, position, phase, &store, &why) == 0) {
                position++;
                if (k > 0)
                    m->measured_s += m->last.wall_seconds;
                continue;
            }
            if (rn->stop || store) {
                if (store)
                    *cause = why;
                else
                    free(why);
                goto out;
            }
            int frc = runner_member_fail(rn, g, m, why, cause);
            free(why);
            if (frc < 0)
                goto out;
        }
        if (g->m[0].failed)
            break;          /* the reference failed: the round means nothing */
    }
    if (g->m[0].failed)
        rc = db_round_abandon(rn->db, g->ref->run_id, NULL, cause);
    else
        rc = db_round_finish(rn->db, round_id, usage_loadavg(), cause);
out:
    free(idx);
    free(order);
    return rc;
}

/* Whether the group needs another measured round: R rounds for every open cell, then more
 * until every member has the time budget measured. */
static int
runner_group_more(const struct runner *rn, const struct runner_group *g)
{
    const struct sweep_spec *s = rn->p->spec;
    size_t live = 0;
    for (size_t i = 1; i < g->n; i++)
        live += g->m[i].active && !g->m[i].failed;
    if (live == 0 || g->m[0].failed)
        return 0;
    if (g->rounds_done < s->repeat)
        return 1;
    for (size_t i = 0; s->budget_s > 0 && i < g->n; i++)
        if (!g->m[i].failed && g->m[i].measured_s < s->budget_s)
            return 1;
    return 0;
}


/* Everything a finished run stores, built from its generations. */
struct runner_out {
    struct db_summary sums[2];
    struct db_metric metrics[40];
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

static double
runner_metric_value(const struct runner_out *o, const char *key)
{
    for (size_t i = 0; i < o->nmetrics; i++)
        if (strcmp(o->metrics[i].key, key) == 0)
            return o->metrics[i].value;
    return NAN;
}


/* ---- the group's figures -------------------------------------------------------------- */

/* What the group's complete rounds hold, read back from the store (so a resumed group counts
 * the rounds of every session alike). */
struct runner_rounds {
    struct db_round_gen *gens;
    size_t n;
    int *flags;                 /* per generation: disturbed by util/usage.h's rule */
    int *round_disturbed;       /* per generation: its round has a disturbed generation */
    double ref_call_ms;         /* the reference's median model call (t_full) */
    double ref_outside_ms;      /* the reference's median time outside its calls */
};

static void
runner_rounds_release(struct runner_rounds *r)
{
    free(r->gens);
    free(r->flags);
    free(r->round_disturbed);
}

/*
 * Reads the rounds and judges them: each member's measured generations against each other
 * (util/usage.h), then a round is disturbed when any generation in it is; the verdicts are
 * stored (the 'disturbed' sample rows and the round's column).
 */
static int
runner_rounds_read(struct runner *rn, const struct runner_group *g, struct runner_rounds *r,
                   char **cause)
{
    memset(r, 0, sizeof *r);
    if (db_round_gens(rn->db, g->ref->run_id, &r->gens, &r->n, cause) < 0)
        return -1;
    r->flags = xcalloc(r->n + 1, sizeof *r->flags);
    r->round_disturbed = xcalloc(r->n + 1, sizeof *r->round_disturbed);
    struct usage *u = xcalloc(r->n + 1, sizeof *u);
    size_t *at = xcalloc(r->n + 1, sizeof *at);
    int *f = xcalloc(r->n + 1, sizeof *f);
    for (size_t i = 0; i < g->n; i++) {
        size_t m = 0;
        for (size_t j = 0; j < r->n; j++)
            if (r->gens[j].run_id == g->m[i].run_id) {
                at[m] = j;
                u[m++] = r->gens[j].usage;
            }
        usage_flag_disturbed(u, m, f);
        for (size_t j = 0; j < m; j++)
            r->flags[at[j]] = f[j];
    }
    for (size_t j = 0; j < r->n; j++)
        for (size_t i = 0; i < r->n; i++)
            if (r->gens[i].round_id == r->gens[j].round_id && r->flags[i])
                r->round_disturbed[j] = 1;
    free(u);
    free(at);
    free(f);
    return db_round_judge(rn->db, r->gens, r->flags, r->n, cause);
}

/* The member's wall_ms or calls_ms over its measured generations, into v: the count. */
static size_t
runner_member_times(const struct runner_rounds *r, int64_t run_id, int calls, double *v)
{
    size_t m = 0;
    for (size_t j = 0; j < r->n; j++)
        if (r->gens[j].run_id == run_id)
            v[m++] = calls ? r->gens[j].calls_ms : r->gens[j].wall_ms;
    return m;
}

/* The rounds the reference and a cell both completed: their wall times side by side; clean
 * skips disturbed rounds.  Returns the number of pairs; *disturbed counts the disturbed ones. */
static size_t
runner_pairs(const struct runner_rounds *r, int64_t ref_id, int64_t cell_id, int clean,
             double *tref, double *tcell, size_t *disturbed)
{
    size_t n = 0;
    if (disturbed != NULL)
        *disturbed = 0;
    for (size_t j = 0; j < r->n; j++) {
        if (r->gens[j].run_id != cell_id || (clean && r->round_disturbed[j]))
            continue;
        for (size_t i = 0; i < r->n; i++)
            if (r->gens[i].round_id == r->gens[j].round_id && r->gens[i].run_id == ref_id) {
                tref[n] = r->gens[i].wall_ms;
                tcell[n++] = r->gens[j].wall_ms;
                if (disturbed != NULL)
                    *disturbed += r->round_disturbed[j] != 0;
            }
    }
    return n;
}

/* The median of v[0..n) (v is reordered), NAN when n == 0. */
static double
runner_median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    struct stats st;
    stats_compute(v, n, &st);
    return st.median;
}

/* The median model-call time of a member's hits or full calls in the group's rounds. */
static int
runner_call_median(struct runner *rn, const struct runner_group *g, int64_t run_id, int hit,
                   double *out, char **cause)
{
    double *ms = NULL;
    size_t n = 0;
    if (db_round_call_ms(rn->db, g->ref->run_id, run_id, hit, &ms, &n, cause) < 0)
        return -1;
    *out = runner_median(ms, n);
    free(ms);
    return 0;
}

/* Median of (wall - calls) over the member's measured generations: the time outside the model
 * calls (sampler, noise, copies). */
static double
runner_outside_ms(const struct runner_rounds *r, int64_t run_id)
{
    double *v = xcalloc(r->n + 1, sizeof *v);
    size_t m = 0;
    for (size_t j = 0; j < r->n; j++)
        if (r->gens[j].run_id == run_id)
            v[m++] = r->gens[j].wall_ms - r->gens[j].calls_ms;
    double med = runner_median(v, m);
    free(v);
    return med;
}

/*
 * The time-modelled speed-up (shared/reference/timing.md 3): cost ratios measured in the same
 * rounds, so drift cancels.  t_full = the reference's median call; m, h = the cell's median full
 * and hit call over t_full; o_ref, o_cell = the median time outside calls over t_full; then
 * S_time = (o_ref + C) / (o_cell + m N_full + h N_hit), C the reference's calls per generation.
 */
static int
runner_time_speedup(struct runner *rn, const struct runner_group *g, const struct runner_rounds *r,
                    const struct runner_member *cell, double *out, char **cause)
{
    const double t_full = r->ref_call_ms;
    double t_miss, t_hit;
    if (runner_call_median(rn, g, cell->run_id, 0, &t_miss, cause) < 0 ||
        runner_call_median(rn, g, cell->run_id, 1, &t_hit, cause) < 0)
        return -1;
    const double calls = (double)g->m[0].last.trace.count;
    const double hits = (double)trace_hits(&cell->last.trace);
    const double full = (double)cell->last.trace.count - hits;
    const double o_ref = r->ref_outside_ms / t_full;
    const double o_cell = runner_outside_ms(r, cell->run_id) / t_full;
    const double denom = o_cell + (full > 0 ? t_miss / t_full * full : 0) +
                         (hits > 0 ? t_hit / t_full * hits : 0);
    *out = t_full > 0 ? (o_ref + calls) / denom : NAN;
    return 0;
}

/* The measured speed-up of a cell with its interval, the clean estimate and the models. */
static int
runner_speedup_metrics(struct runner *rn, const struct runner_group *g,
                       const struct runner_rounds *r, const struct runner_member *cell,
                       struct runner_out *o, char **cause)
{
    double *tref = xcalloc(r->n + 1, sizeof *tref), *tcell = xcalloc(r->n + 1, sizeof *tcell);
    size_t disturbed = 0;
    size_t n = runner_pairs(r, g->m[0].run_id, cell->run_id, 0, tref, tcell, &disturbed);
    struct stats_speedup sp = {0, NAN, NAN, NAN, RUNNER_CI_LEVEL, NAN};
    if (n > 0)
        stats_paired_speedup(tref, tcell, n, RUNNER_CI_LEVEL, &sp);
    struct stats_speedup clean = {0, NAN, NAN, NAN, RUNNER_CI_LEVEL, NAN};
    size_t nc = runner_pairs(r, g->m[0].run_id, cell->run_id, 1, tref, tcell, NULL);
    if (nc > 0)
        stats_paired_speedup(tref, tcell, nc, RUNNER_CI_LEVEL, &clean);
    free(tref);
    free(tcell);
    double s_time;
    if (runner_time_speedup(rn, g, r, cell, &s_time, cause) < 0)
        return -1;
    const double s_flop = runner_flop_speedup(rn, &cell->last.trace);
    runner_metric(o, "speedup", sp.estimate, NULL);
    runner_metric(o, "speedup_lo", sp.lo, NULL);
    runner_metric(o, "speedup_hi", sp.hi, NULL);
    runner_metric(o, "speedup_level", sp.level, NULL);
    runner_metric(o, "speedup_coverage", sp.coverage, NULL);
    runner_metric(o, "speedup_method", NAN, RUNNER_SPEEDUP_METHOD);
    runner_metric(o, "rounds", (double)n, NULL);
    runner_metric(o, "rounds_disturbed", (double)disturbed, NULL);
    runner_metric(o, "speedup_clean", clean.estimate, NULL);
    runner_metric(o, "flop_speedup", s_flop, NULL);
    runner_metric(o, "time_speedup", s_time, NULL);
    runner_metric(o, "efficiency", sp.estimate / s_flop, NULL);
    runner_metric(o, "efficiency_lo", sp.lo / s_flop, NULL);
    runner_metric(o, "efficiency_hi", sp.hi / s_flop, NULL);
    double stray = NAN;
    if (!isnan(sp.lo) && !isnan(s_time))
        stray = s_time < sp.lo / (1 + RUNNER_MODEL_TOLERANCE) ||
                s_time > sp.hi * (1 + RUNNER_MODEL_TOLERANCE);
    runner_metric(o, "model_stray", stray, NULL);
    return 0;
}

/* The rounds a reference took part in, and how many were disturbed. */
static void
runner_ref_rounds(const struct runner_rounds *r, int64_t run_id, struct runner_out *o)
{
    size_t n = 0, disturbed = 0;
    for (size_t j = 0; j < r->n; j++)
        if (r->gens[j].run_id == run_id) {
            n++;
            disturbed += r->round_disturbed[j] != 0;
        }
    runner_metric(o, "rounds", (double)n, NULL);
    runner_metric(o, "rounds_disturbed", (double)disturbed, NULL);
}

/* Everything a member stores when its group completes. */
static int
runner_build_out(struct runner *rn, const struct runner_group *g, const struct runner_rounds *r,
                 const struct runner_member *m, struct runner_out *o, char **cause)
{
    memset(o, 0, sizeof *o);
    double *v = xcalloc(r->n + 1, sizeof *v);
    size_t nt = runner_member_times(r, m->run_id, 0, v);
    if (nt == 0) {
        free(v);
        return err_set(cause, "no complete round measured it");
    }
    o->sums[0].key = "wall_ms";
    stats_compute(v, nt, &o->sums[0].st);
    o->sums[1].key = "calls_ms";
    stats_compute(v, runner_member_times(r, m->run_id, 1, v), &o->sums[1].st);
    free(v);
    size_t flagged = 0;
    for (size_t j = 0; j < r->n; j++)
        flagged += r->gens[j].run_id == m->run_id && r->flags[j];
    runner_metric(o, "disturbed", (double)flagged, NULL);
    runner_metric(o, "first_ms", m->first_ms, NULL);
    runner_metric(o, "nondeterministic", m->nondeterministic, NULL);
    runner_cache_metrics(o, &m->last.trace);
    const struct engine_result *last = &m->last;
    size_t values = engine_result_numel(last);
    o->arts[o->narts++] = (struct db_artifact){"x0", (const unsigned char *)last->x0,
                                               values * sizeof(float), (int)last->shape[3],
                                               (int)last->shape[2]};
    struct image img;
    image_from_output(&img, last->x0, last->shape);
    char *canon = sweep_spec_canonical(rn->p->spec);
    int rc = runner_png(o, "image", &img, canon, cause);
    image_release(&img);
    if (rc == 0 && m->reference)
        runner_ref_rounds(r, m->run_id, o);
    if (rc == 0 && !m->reference) {
        const float *ref_x0 = g->m[0].last.x0;
        struct metrics_diff d = metrics_compare_image(last->x0, ref_x0, last->shape);
        runner_metric(o, "psnr", d.psnr, NULL);
        runner_metric(o, "ssim", d.ssim, NULL);
        runner_metric(o, "mae", d.mae, NULL);
        runner_metric(o, "max_abs", d.max_abs, NULL);
        rc = runner_speedup_metrics(rn, g, r, m, o, cause);
        if (rc == 0) {
            metrics_heatmap(last->x0, ref_x0, last->shape, RUNNER_HEATMAP_SCALE, &img);
            rc = runner_png(o, "diff", &img, canon, cause);
            image_release(&img);
        }
    }
    free(canon);
    return rc;
}

/* The one-line summary of a finished run shown in progress output. */
static void
runner_summarise(struct runner *rn, const struct runner_out *o, int reference)
{
    const struct stats *w = &o->sums[0].st;
    const double disturbed = runner_metric_value(o, "rounds_disturbed");
    char note[32] = "";
    if (disturbed > 0)
        snprintf(note, sizeof note, ", %.0f disturbed", disturbed);
    const double rounds = runner_metric_value(o, "rounds");
    int n = snprintf(rn->detail, sizeof rn->detail, "median %.1f ms (%.0f round%s%s)",
                     w->median, rounds, rounds == 1 ? "" : "s", note);
    if (reference || n < 0 || (size_t)n >= sizeof rn->detail)
        return;
    char psnr[40] = "image identical to the reference";
    if (!metrics_identical(runner_metric_value(o, "psnr")))
        snprintf(psnr, sizeof psnr, "PSNR %.1f dB", runner_metric_value(o, "psnr"));
    char interval[48] = "(no 95% interval: too few rounds)";
    if (!isnan(runner_metric_value(o, "speedup_lo")))
        snprintf(interval, sizeof interval, "[%.2f, %.2f]",
                 runner_metric_value(o, "speedup_lo"), runner_metric_value(o, "speedup_hi"));
    snprintf(rn->detail + n, sizeof rn->detail - (size_t)n,
             ", %.2fx the reference %s, modelled %.2fx, hits %.0f%%, %s",
             runner_metric_value(o, "speedup"), interval,
             runner_metric_value(o, "time_speedup"), 100 * runner_metric_value(o, "hit_rate"),
             psnr);
}

/* The group's figures, and every active member completes in one transaction. */
static int
runner_group_complete(struct runner *rn, struct runner_group *g, char **cause)
{
    double t_over = clock_now(), load_end = usage_loadavg();
    struct runner_rounds r;
    /* The reference's costs are the time model's unit, the same for every cell. */
    if (runner_rounds_read(rn, g, &r, cause) < 0 ||
        runner_call_median(rn, g, g->m[0].run_id, 0, &r.ref_call_ms, cause) < 0) {
        runner_rounds_release(&r);
        return -1;
    }
    r.ref_outside_ms = runner_outside_ms(&r, g->m[0].run_id);
    struct runner_out *outs = xcalloc(g->n, sizeof *outs);
    int rc = db_batch_begin(rn->db, cause);
    for (size_t i = 0; rc == 0 && i < g->n; i++) {
        struct runner_member *m = &g->m[i];
        if (!m->active || m->failed)
            continue;
        if (runner_build_out(rn, g, &r, m, &outs[i], cause) < 0) {
            rc = -1;
            break;
        }
        runner_metric(&outs[i], "load_start", g->load_start, NULL);   /* 1-minute loads */
        runner_metric(&outs[i], "load_end", load_end, NULL);
        struct db_run_result res = {NULL, 0, outs[i].sums, 2, outs[i].metrics,
                                    outs[i].nmetrics, outs[i].arts, outs[i].narts};
        rc = db_run_complete(rn->db, m->run_id, &res, cause);
    }
    if (rc == 0)
        rc = db_batch_end(rn->db, 1, cause);
    else
        db_batch_end(rn->db, 0, NULL);
    rn->report->overhead_s += clock_now() - t_over;
    for (size_t i = 0; rc == 0 && i < g->n; i++) {
        struct runner_member *m = &g->m[i];
        if (!m->active || m->failed)
            continue;
        *m->state = DB_COMPLETE;
        rn->report->completed++;
        rn->prog.done++;
        runner_prog_member(rn, m);
        runner_summarise(rn, &outs[i], m->reference);
        runner_event(rn, "complete", rn->detail);
    }
    for (size_t i = 0; i < g->n; i++)
        runner_out_release(&outs[i]);
    free(outs);
    runner_rounds_release(&r);
    return rc;
}

/* The group's disturbed rounds so far (judging them, and storing the verdicts). */
static int
runner_disturbed_rounds(struct runner *rn, const struct runner_group *g, int *count,
                        char **cause)
{
    struct runner_rounds r;
    int rc = runner_rounds_read(rn, g, &r, cause);
    *count = 0;
    for (size_t j = 0; rc == 0 && j < r.n; j++) {
        int first = 1;      /* count each round once: at its first generation */
        for (size_t i = 0; i < j && first; i++)
            first = r.gens[i].round_id != r.gens[j].round_id;
        *count += first && r.round_disturbed[j];
    }
    runner_rounds_release(&r);
    return rc;
}

/* ---- the groups ----------------------------------------------------------------------- */

/* The group of a reference: the reference first, then its cells in run order. */
static void
runner_group_build(struct runner *rn, struct runner_ref *ref, struct runner_group *g)
{
    memset(g, 0, sizeof *g);
    g->ref = ref;
    runner_group_add(g, ref->first, 1, ref->run_id, &ref->state);
    for (size_t i = 0; i < rn->ncells; i++)
        if (strcmp(rn->cells[i].ref_hash, ref->ref_hash) == 0)
            runner_group_add(g, &rn->cells[i], 0, rn->cell_ids[i], &rn->cell_states[i]);
    for (size_t i = 0; i < g->n; i++)
        runner_engine_params(rn, g->m[i].cell, g->m[i].reference, &g->m[i].ep);
}

/* Starts the group's active members (waiting/failed -> running) and abandons the rounds a
 * crash or a stop left running. */
static int
runner_group_start(struct runner *rn, struct runner_group *g, char **cause)
{
    int abandoned = 0;
    if (db_round_abandon(rn->db, g->ref->run_id, &abandoned, cause) < 0)
        return -1;
    for (size_t i = 0; i < g->n; i++)
        if (g->m[i].active && db_run_start(rn->db, g->m[i].run_id, rn->env_id, cause) < 0)
            return -1;
    return 0;
}

/* Runs one open group to completion: 0 (members may have failed), -1 when the sweep must
 * end (stopped: *cause NULL; the store failed: *cause says why). */
static int
runner_group(struct runner *rn, struct runner_ref *ref, char **cause)
{
    struct runner_group g;
    runner_group_build(rn, ref, &g);
    rn->last_heartbeat = clock_now();
    int rc = -1;
    if (runner_group_start(rn, &g, cause) < 0 || runner_group_read(rn, &g, cause) < 0)
        goto out;
    g.load_start = rn->prog.load = usage_loadavg();
    char *why = NULL;
    if (runner_load_model(rn, ref->first, &why) < 0) {
        runner_prog_member(rn, &g.m[0]);
        rc = runner_member_fail(rn, &g, &g.m[0], why, cause);
        free(why);
        goto out;
    }
    if (runner_round(rn, &g, 0, cause) < 0)
        goto out;
    int k = g.last_k;
    while (!g.m[0].failed && runner_group_more(rn, &g)) {
        if (runner_round(rn, &g, ++k, cause) < 0)
            goto out;
        g.rounds_done++;
    }
    /* Replacement rounds (--redo-disturbed N): one more round per disturbed round, until N
     * have run in this process; the disturbed rounds stay on record and in the counts. */
    for (int redone = 0, bad = 0; !g.m[0].failed && redone < rn->p->spec->redo_disturbed;) {
        if (runner_disturbed_rounds(rn, &g, &bad, cause) < 0)
            goto out;
        if (bad <= redone)
            break;
        for (int want = bad - redone; want > 0 && redone < rn->p->spec->redo_disturbed;
             want--, redone++)
            if (runner_round(rn, &g, ++k, cause) < 0)
                goto out;
    }
    rc = g.m[0].failed ? 0 : runner_group_complete(rn, &g, cause);
out:
    runner_group_release(&g);
    return rn->stop ? -1 : rc;
}

static int
runner_groups(struct runner *rn, char **cause)
{
    for (size_t i = 0; i < rn->nrefs && !rn->stop; i++) {
        if (!runner_group_open(rn, &rn->refs[i]))
            continue;
        if (runner_group(rn, &rn->refs[i], cause) < 0)
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
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct runner rn = {.db = db, .p = p, .report = report, .t0 = clock_now(),
                        .session = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000};
    int rc = -1;
    if (runner_begin(&rn, cause) < 0)
        goto out;
    runner_count_work(&rn);
    if (runner_groups(&rn, cause) < 0)
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
