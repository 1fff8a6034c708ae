/*
 * cmd_sweep.c - `fbw sweep`: build a spec from a JSON file and/or flags, preview it with
 * --dry-run, or run (and resume) it into the store with a progress line.
 *
 * Every knob of the spec is also a flag (`--threshold 0.1`, `--sampler euler`, ...), built
 * from bench/spec's knob table, so the flags and the table cannot drift apart.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/runner.h"
#include "bench/spec.h"
#include "cli/cli.h"
#include "core/sampler.h"
#include "db/store.h"
#include "util/err.h"
#include "util/lockfile.h"
#include "util/stats.h"
#include "util/usage.h"

enum {
    SWEEP_OPT_X, SWEEP_OPT_Y, SWEEP_OPT_Z, SWEEP_OPT_REPEAT, SWEEP_OPT_WARMUP, SWEEP_OPT_BUDGET, SWEEP_OPT_REDO,
    SWEEP_OPT_DB, SWEEP_OPT_NAME, SWEEP_OPT_DRY, SWEEP_OPT_THREADS, SWEEP_OPT_DEVICE,
    SWEEP_OPT_QUIET, SWEEP_OPT_PROGRESS_FD,
    SWEEP_OPT_KNOB = 512,           /* + the knob (sweep_knob_options) */
};

static const struct cli_option sweep_options[] = {
    {"x", "KNOB=VALUES", SWEEP_OPT_X, 0, "the X axis: a knob and its values"},
    {"y", "KNOB=VALUES", SWEEP_OPT_Y, 0, "the Y axis"},
    {"z", "KNOB=VALUES", SWEEP_OPT_Z, 0, "the Z axis"},
    {"KNOB", "VALUE ...", -1, CLI_DOC,
     "a knob's fixed value (`fbw list knobs`: every knob's name\n"
     "and alias is an option, e.g. --steps 30 --threshold 0.1)"},
    {"repeat", "R", SWEEP_OPT_REPEAT, 0, "measured rounds per reference group (10)"},
    {"warmup", "W", SWEEP_OPT_WARMUP, 0, "discarded generations after the first (1)"},
    {"budget", "SECONDS", SWEEP_OPT_BUDGET, 0,
     "after R rounds, more rounds until every run has SECONDS measured"},
    {"redo-disturbed", "N", SWEEP_OPT_REDO, 0,
     "up to N replacement rounds per group for disturbed rounds (0)"},
    {"db", "FILE", SWEEP_OPT_DB, 0, "the store (default fbw.db)"},
    {"name", "NAME", SWEEP_OPT_NAME, 0,
     "the sweep's name in the store (default: from the spec's hash)"},
    {"dry-run", NULL, SWEEP_OPT_DRY, 0,
     "print the axes, cells, generations and estimated time; run nothing"},
    {"threads", "N|auto", SWEEP_OPT_THREADS, 0,
     "ATen intra-op threads, recorded with the results (auto: the\n"
     "CPUs no other task is running on at the start)"},
    {"device", "cpu|cuda", SWEEP_OPT_DEVICE, 0, "where the model runs"},
    {"quiet", NULL, SWEEP_OPT_QUIET, 0, "no progress line"},
    {"progress-fd", "N", SWEEP_OPT_PROGRESS_FD, 0,
     "also write progress as JSON Lines to file descriptor N (for\n"
     "the TUI): step events with the current generation's rel-L1\n"
     "and hits so far, one event per finished run, and an end event"},
    {0},
};

/* One --NAME per knob name and alias, from bench/spec's knob table. */
static size_t
sweep_knob_options(struct cli_option *out, size_t cap)
{
    size_t n = 0;
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
        const struct sweep_knob_info *info = sweep_knob_info(k);
        CHECK(n + 2 <= cap);
        out[n++] = (struct cli_option){info->name, "VALUE", SWEEP_OPT_KNOB + k, 0, NULL};
        if (info->alias != NULL)
            out[n++] = (struct cli_option){info->alias, "VALUE", SWEEP_OPT_KNOB + k, CLI_ALIAS,
                                           NULL};
    }
    return n;
}

#define SWEEP_THREADS_AUTO -1

struct sweep_opts {
    struct sweep_spec spec;
    const char *db, *name, *file;
    int dry, threads, quiet;        /* threads: SWEEP_THREADS_AUTO or a count */
    int progress_fd;                /* > 0: JSON Lines progress for the TUI */
    int repeat, warmup;             /* -1: from the file or the default */
    double budget_s;                /* -1: likewise */
    int redo_disturbed;             /* -1: likewise */
    enum tensor_device device;
    /* flags are applied after the file, so they are collected first */
    int nset;
    struct { int opt; const char *name, *value; } set[64];
};

/* One option into o (a struct sweep_opts); the axes and knobs are kept, in order, for
 * sweep_build_spec.  Nonzero on a bad value. */
static int
sweep_option(void *ctx, int id, const char *flag, const char *v)
{
    struct sweep_opts *o = ctx;
    switch (id) {
    case SWEEP_OPT_REPEAT: return cli_int(flag, v, 1, 100000, &o->repeat);
    case SWEEP_OPT_WARMUP: return cli_int(flag, v, 0, 100000, &o->warmup);
    case SWEEP_OPT_BUDGET: return cli_double(flag, v, 0, 1e7, &o->budget_s);
    case SWEEP_OPT_REDO: return cli_int(flag, v, 0, 100000, &o->redo_disturbed);
    case SWEEP_OPT_DB: o->db = v; return 0;
    case SWEEP_OPT_NAME: o->name = v; return 0;
    case SWEEP_OPT_DRY: o->dry = 1; return 0;
    case SWEEP_OPT_THREADS:
        if (strcmp(v, "auto") == 0) {
            o->threads = SWEEP_THREADS_AUTO;
            return 0;
        }
        return cli_int(flag, v, 1, 1024, &o->threads);
    case SWEEP_OPT_DEVICE: return cli_device(flag, v, &o->device);
    case SWEEP_OPT_QUIET: o->quiet = 1; return 0;
    case SWEEP_OPT_PROGRESS_FD: return cli_int(flag, v, 3, 1023, &o->progress_fd);
    default: break;
    }
    if (o->nset == (int)(sizeof o->set / sizeof o->set[0]))
        return cli_usage_error(&cmd_sweep_entry, "too many settings");
    o->set[o->nset].opt = id;
    o->set[o->nset].name = id >= SWEEP_OPT_KNOB ? sweep_knob_info(id - SWEEP_OPT_KNOB)->name
                                                : id == SWEEP_OPT_X ? "--x"
                                                : id == SWEEP_OPT_Y ? "--y" : "--z";
    o->set[o->nset++].value = v;
    return 0;
}

/* The file first, then the flags on top of it. */
static int
sweep_build_spec(struct sweep_opts *o)
{
    char *cause = NULL;
    if (o->file != NULL && sweep_spec_load(&o->spec, o->file, &cause) < 0)
        goto bad;
    for (int i = 0; i < o->nset; i++) {
        int opt = o->set[i].opt;
        int rc = opt >= SWEEP_OPT_KNOB
                     ? sweep_spec_set_fixed(&o->spec, o->set[i].name, o->set[i].value, &cause)
                     : sweep_spec_set_axis(&o->spec, (enum sweep_axis_id)(opt - SWEEP_OPT_X),
                                           o->set[i].value, &cause);
        if (rc < 0) {
            char *msg = xasprintf("%s: %s", o->set[i].name, cause);
            free(cause);
            cause = msg;
            goto bad;
        }
    }
    if (o->repeat >= 0)
        o->spec.repeat = o->repeat;
    if (o->warmup >= 0)
        o->spec.warmup = o->warmup;
    if (o->budget_s >= 0)
        o->spec.budget_s = o->budget_s;
    if (o->redo_disturbed >= 0)
        o->spec.redo_disturbed = o->redo_disturbed;
    return 0;
bad:
    cli_usage_error(&cmd_sweep_entry, "%s", cause);
    free(cause);
    return -1;
}

static void
sweep_print_duration(FILE *f, double s)
{
    if (s < 0)
        fprintf(f, "?");
    else if (s < 60)
        fprintf(f, "%.0f s", s);
    else if (s < 3600)
        fprintf(f, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else
        fprintf(f, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* Sampler steps and model calls of the whole sweep (references included). */
static void
sweep_count(const struct sweep_cell *cells, size_t n, const struct sweep_spec *s, size_t *refs,
            double *calls)
{
    double per_run = 1 + s->warmup + s->repeat;
    *refs = 0;
    *calls = 0;
    for (size_t i = 0; i < n; i++) {
        const struct sampler *smp = sampler_find(sweep_cell_text(&cells[i], SWEEP_KNOB_SAMPLER));
        double c = per_run * sweep_cell_num(&cells[i], SWEEP_KNOB_STEPS) * smp->calls_per_step;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(cells[j].ref_hash, cells[i].ref_hash) == 0;
        *refs += !seen;
        *calls += c * (seen ? 1 : 2);
    }
}

static int
sweep_dry_run(struct sweep_opts *o, const struct runner_params *rp)
{
    const struct sweep_spec *s = &o->spec;
    struct sweep_cell *cells = NULL;
    size_t n = 0, refs;
    double calls;
    char *cause = NULL;
    if (sweep_spec_expand(s, &cells, &n, &cause) < 0) {
        cli_usage_error(&cmd_sweep_entry, "%s", cause);
        free(cause);
        return EXIT_USAGE;
    }
    char *name = o->name ? xstrdup(o->name) : s->name ? xstrdup(s->name) : runner_default_name(s);
    printf("sweep '%s' into %s\n", name, o->db);
    static const char axis_names[] = "XYZ";
    int on_axis[SWEEP_KNOB_COUNT] = {0};
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++) {
        const struct sweep_axis *ax = &s->axes[a];
        if (ax->knob < 0)
            continue;
        on_axis[ax->knob] = 1;
        printf("%c  %s (%zu): ", axis_names[a], sweep_knob_info(ax->knob)->name, ax->count);
        for (size_t i = 0; i < ax->count; i++)
            printf("%s%s", i ? ", " : "", ax->values[i].text);
        printf("   from \"%s\"\n", ax->source);
    }
    printf("fixed:");
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++)
        if (!on_axis[k])
            printf(" %s=%s", sweep_knob_info(k)->name,
                   k == SWEEP_KNOB_MODEL && s->fixed[k].text[0] == '\0' ? rp->default_model
                                                                       : s->fixed[k].text);
    sweep_count(cells, n, s, &refs, &calls);
    printf("\ncells: %zu, plus %zu uncached reference%s shared by cells that differ only in "
           "cache knobs\n", n, refs, refs == 1 ? "" : "s");
    printf("each run: 1 first (compile) + %d warm-up + %d measured generation%s%s\n", s->warmup,
           s->repeat, s->repeat == 1 ? "" : "s",
           s->budget_s > 0 ? " (more until the time budget)" : "");
    /* Rounds cost nothing extra: each member still makes 1 + W + R generations; they only
     * run interleaved, so a cell and its reference are timed in the same windows. */
    double coverage;
    if (stats_median_ci_rank((size_t)s->repeat, 0.95, &coverage) > 0)
        printf("rounds: %d per reference group, every member once per round in a shuffled "
               "order; speed-ups with a 95%% interval (%.1f%% achieved)\n", s->repeat,
               100 * coverage);
    else
        printf("rounds: %d per reference group; too few for a 95%% speed-up interval "
               "(6 needed)\n", s->repeat);
    printf("model calls: %.0f at most (cache hits make cells cheaper)\n", calls);
    double per_call = runner_calibrate(rp, &cause);
    if (per_call < 0) {
        printf("estimated time: unknown (%s)\n", cause);
        free(cause);
    } else {
        printf("estimated time: at most ");
        sweep_print_duration(stdout, calls * per_call);
        printf(" (%.1f ms per model call, measured now)\n", 1e3 * per_call);
    }
    free(name);
    free(cells);
    return EXIT_OK;
}

/* ---- progress -------------------------------------------------------------------------- */

struct sweep_view {
    int tty;
    int quiet;
};

/* The cell's axis values, e.g. "threshold=0.1 scheduler=karras" (for a reference, without
 * the cache knobs). */
static void
sweep_describe(const struct sweep_spec *s, const struct sweep_cell *c, int reference, char *buf,
               size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int a = 0; a < SWEEP_AXIS_COUNT && len < n; a++)
        if (s->axes[a].knob >= 0 && !(reference && sweep_knob_info(s->axes[a].knob)->cache_knob)) {
            const struct sweep_knob_info *info = sweep_knob_info(s->axes[a].knob);
            len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", len ? " " : "",
                                    info->alias ? info->alias : info->name,
                                    sweep_cell_text(c, s->axes[a].knob));
        }
}

struct sweep_ctx {
    struct sweep_view view;
    const struct sweep_spec *spec;
    FILE *progress;                 /* --progress-fd, or NULL */
};

/* One JSON Lines progress event (see --help): before every step, and once per finished run. */
static void
sweep_progress_json(struct sweep_ctx *sc, const struct runner_progress *p, const char *what)
{
    json_t *o = json_object();
    json_object_set_new(o, "event", json_string(p->event ? p->event : "step"));
    json_object_set_new(o, "done", json_integer((json_int_t)p->done));
    json_object_set_new(o, "total", json_integer((json_int_t)p->total));
    json_object_set_new(o, "run", json_integer(p->run_id));
    json_object_set_new(o, "cell", json_integer(p->run_number));
    json_object_set_new(o, "reference", json_boolean(p->reference));
    json_object_set_new(o, "desc", json_string(what));
    if (p->event != NULL) {
        json_object_set_new(o, "detail", json_string(p->detail ? p->detail : ""));
    } else {
        json_t *rel = json_array(), *hit = json_array();
        for (size_t i = 0; p->trace != NULL && i < p->trace->count; i++) {
            const struct trace_record *r = &p->trace->records[i];
            json_array_append_new(rel, isfinite(r->rel_l1) ? json_real(r->rel_l1) : json_null());
            json_array_append_new(hit, json_boolean(r->hit));
        }
        json_object_set_new(o, "phase", json_string(db_phase_name(p->phase)));
        json_object_set_new(o, "rep", json_integer(p->rep));
        json_object_set_new(o, "reps", json_integer(p->reps));
        json_object_set_new(o, "step", json_integer(p->step));
        json_object_set_new(o, "steps", json_integer(p->steps));
        json_object_set_new(o, "elapsed", json_real(p->elapsed_s));
        json_object_set_new(o, "eta", json_real(p->eta_s));
        json_object_set_new(o, "threshold", json_real(p->threshold));
        if (isfinite(p->load))
            json_object_set_new(o, "load", json_real(p->load));
        json_object_set_new(o, "rel_l1", rel);
        json_object_set_new(o, "hit", hit);
    }
    json_dumpf(o, sc->progress, JSON_COMPACT);
    fputc('\n', sc->progress);
    fflush(sc->progress);
    json_decref(o);
}

static void
sweep_on_progress(void *ctx, const struct runner_progress *p)
{
    struct sweep_ctx *sc = ctx;
    /* How the progress line words each phase for a person (the store's names are
     * db_phase_name's): the compile phase is the run's first generation. */
    static const char *const phases[] = {"first", "warm-up", "round"};
    NAME_TABLE_CHECK(phases, DB_PHASE_COUNT);
    char what[256], eta[32] = "?";
    sweep_describe(sc->spec, p->cell, p->reference, what, sizeof what);
    if (sc->progress != NULL)
        sweep_progress_json(sc, p, what);
    if (p->eta_s >= 0)
        snprintf(eta, sizeof eta, "%d:%02d", (int)(p->eta_s / 60), (int)fmod(p->eta_s, 60));
    if (sc->view.quiet)
        return;
    if (p->event != NULL) {
        if (sc->view.tty)
            fprintf(stderr, "\r\033[K");
        fprintf(stderr, "[%zu/%zu] %s%s%s %s%s%s\n", p->done, p->total,
                p->reference ? "reference" : "cell", what[0] ? " " : "", what, p->event,
                p->detail ? ": " : "", p->detail ? p->detail : "");
        return;
    }
    if (!sc->view.tty)
        return;
    int width = 20, fill = p->total ? (int)(width * p->done / p->total) : 0;
    fprintf(stderr, "\r\033[K[%.*s%*s] %zu/%zu %s%s %s %d/%d step %d/%d ETA %s", fill,
            "####################", width - fill, "", p->done, p->total,
            p->reference ? "ref " : "", what, phases[p->phase], p->rep + 1, p->reps,
            p->step + 1, p->steps, eta);
    fflush(stderr);
}

static int
sweep_should_stop(void *ctx)
{
    (void)ctx;
    return cli_interrupted();
}

/* The summary lines after a run (stdout) and the progress stream's end event. */
static int
sweep_report(const struct sweep_opts *o, struct sweep_ctx *sc, const struct runner_report *r,
             int rc)
{
    printf("sweep '%s' (id %lld) in %s: %zu runs, %zu done now, %zu already complete, "
           "%zu failed%s\n", r->name, r->sweep_id, o->db, r->runs, r->completed, r->skipped,
           r->failed, r->stopped ? "; stopped by Ctrl-C (run again to resume)" : "");
    if (r->recovered)
        printf("%d run%s left running by an earlier crash retried\n", r->recovered,
               r->recovered == 1 ? "" : "s");
    printf("wall %.1f s; runner overhead (metrics, PNGs, store) %.2f%% of generation time\n",
           r->wall_s, r->generate_s > 0 ? 100 * r->overhead_s / r->generate_s : 0);
    const char *status = r->stopped ? "stopped" : rc ? "failed" : "done";
    if (sc->progress != NULL) {
        json_t *e = json_pack("{s:s, s:s, s:s, s:I}", "event", "end", "status", status, "sweep",
                              r->name, "sweep_id", (json_int_t)r->sweep_id);
        json_dumpf(e, sc->progress, JSON_COMPACT);
        fputc('\n', sc->progress);
        fflush(sc->progress);
        json_decref(e);
    }
    return r->stopped ? EXIT_INTERRUPTED : rc ? EXIT_RUNTIME : EXIT_OK;
}

static int
sweep_run(struct sweep_opts *o, struct runner_params *rp)
{
    struct db *db = NULL;
    char *cause = NULL, *lock = xasprintf("%s.lock", o->db);
    int lock_fd = -1, rc;
    struct sweep_ctx sc = {{isatty(STDERR_FILENO), o->quiet}, &o->spec, NULL};
    struct runner_report r = {0};
    if (o->progress_fd > 0 && (sc.progress = fdopen(o->progress_fd, "w")) == NULL) {
        rc = cli_fail("--progress-fd %d: %s", o->progress_fd, strerror(errno));
        goto out;
    }
    /* One runner per store: it may then safely retry runs an earlier crash left `running`. */
    if (lockfile_acquire(lock, &lock_fd, &cause) < 0 || db_open(o->db, &db, &cause) < 0) {
        rc = cli_fail("%s%s", lock_fd < 0 ? "another fbw sweep is writing this store: " : "",
                      cause);
        goto out;
    }
    rp->on_progress = sweep_on_progress;
    rp->should_stop = sweep_should_stop;
    rp->ctx = &sc;
    cli_catch_interrupt();
    rc = runner_run(db, rp, &r, &cause);
    if (sc.view.tty && !o->quiet)
        fprintf(stderr, "\r\033[K");
    if (rc < 0)
        rc = cli_fail("sweep '%s': %s", r.name ? r.name : "?", cause);
    else
        rc = sweep_report(o, &sc, &r, rc);
out:
    if (sc.progress != NULL)
        fclose(sc.progress);
    free(cause);
    runner_report_release(&r);
    db_close(db);
    lockfile_release(lock_fd);
    free(lock);
    return rc;
}

/* 1 when some cell uses the default model (the model knob's text is empty). */
static int
sweep_needs_default(const struct sweep_spec *s)
{
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        if (s->axes[a].knob == SWEEP_KNOB_MODEL) {
            for (size_t i = 0; i < s->axes[a].count; i++)
                if (s->axes[a].values[i].text[0] == '\0')
                    return 1;
            return 0;
        }
    return s->fixed[SWEEP_KNOB_MODEL].text[0] == '\0';
}

/*
 * --threads auto (the default): as many ATen threads as CPUs are idle at the start, at most
 * libtorch's own default.  A parallel op waits for its slowest thread, so a thread that shares
 * a CPU with another task stalls every op: measured here with one core busy, a 20-step
 * generation took 3.1-5.0 s with 2 threads and 0.24-0.26 s with 1.  Decided once per sweep, so
 * every round of every group runs with the same threads (recorded in the environment).
 */
static void
sweep_threads(struct app *app, const struct sweep_opts *o)
{
    if (o->threads != SWEEP_THREADS_AUTO) {
        cli_set_threads(app, o->threads);
        return;
    }
    const int most = tensor_threads(0), idle = usage_idle_cpus();
    cli_set_threads(app, idle < most ? idle : most);
    if (idle < most && !o->quiet)
        fprintf(stderr, "fbw sweep: other tasks are running: %d ATen thread%s instead of %d "
                "(--threads N to choose)\n", app->threads, app->threads == 1 ? "" : "s",
                most);
}

static int
cmd_sweep(int argc, char **argv, struct app *app)
{
    struct sweep_opts o = {.db = DB_DEFAULT_PATH, .device = TENSOR_CPU, .repeat = -1,
                           .warmup = -1, .budget_s = -1,
                           .redo_disturbed = -1, .threads = SWEEP_THREADS_AUTO};
    sweep_spec_init(&o.spec);
    char *model = NULL, *cause = NULL;
    int argi, rc = cli_parse(&cmd_sweep_entry, argc, argv, sweep_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        goto out;
    o.file = argi < argc ? argv[argi] : NULL;
    if ((rc = sweep_build_spec(&o) < 0 ? EXIT_USAGE : 0) != 0)
        goto out;
    if ((model = cli_default_model(&cause)) == NULL && sweep_needs_default(&o.spec)) {
        rc = cli_fail("no model given (--model or a model axis): %s", cause);
        goto out;
    }
    sweep_threads(app, &o);
    struct runner_params rp = {
        .spec = &o.spec, .name = o.name, .default_model = model, .device = o.device,
        .threads = app->threads,
    };
    rc = o.dry ? sweep_dry_run(&o, &rp) : sweep_run(&o, &rp);
out:
    free(cause);
    free(model);
    sweep_spec_release(&o.spec);
    return rc;
}

const struct cli_command cmd_sweep_entry = {
    .name = "sweep",
    .summary = "run or resume an X/Y/Z sweep of settings into the store",
    .args = {"[SPEC.json]", 0, 1, NULL},
    .options = sweep_options,
    .more_options = sweep_knob_options,
    .help =
        "Runs every cell of an X/Y(/Z) grid of settings and compares each cell's image\n"
        "with its reference: the uncached generation with the same model, dtype, seed,\n"
        "class, sampler, scheduler, steps and cfg, shared by every cell that differs only\n"
        "in cache knobs.  A reference and its cells are timed together: a first (compile)\n"
        "generation and --warmup W more for each, then --repeat R rounds (more with\n"
        "--budget), each member once per round in a shuffled order, so a cell and its\n"
        "reference share every round's machine.  A cell's speed-up is the median of its\n"
        "per-round ratios with a distribution-free 95% interval (6 rounds or more).\n"
        "Everything goes into the store (--db, default fbw.db), each generation as it ends:\n"
        "running the same sweep again resumes it from its complete rounds.  Ctrl-C stops\n"
        "between steps.\n\n"
        "Axes: --x/--y/--z KNOB=VALUES.  Values: a,b,c | a-b | a-b (+s) | a-b [n] |\n"
        "1, 2, .., 10 | a:b:s.  Float steps are exact decimals (0.1-0.3 (+0.1) is three\n"
        "values).  Knobs (`fbw list knobs`): residual_diff_threshold (threshold),\n"
        "max_consecutive_cache_hits (max_hits), start, end, sampler, scheduler, steps, cfg,\n"
        "seed, class, model, compile, dtype (f32, bf16 or f16: the model's compute dtype; a\n"
        "bf16 cell is compared with the uncached bf16 reference).  Any knob not on an axis\n"
        "takes its fixed value: --KNOB VALUE, or the default.  SPEC.json:\n"
        "{\"x\": \"threshold=0.05-0.3 [6]\", \"y\": \"scheduler=normal,karras\",\n"
        "\"fixed\": {\"steps\": 30}, \"repeat\": 10}; flags given with a file override it.\n",
    .run = cmd_sweep,
};
