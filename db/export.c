/*
 * export.c - a sweep as CSV / JSON / Markdown and one run as a hyperfine-style block (see
 * export.h for the formats).
 *
 * Everything here reads through db/query.h and writes only to the FILE * it is given; a write
 * error is noticed once at the end (ferror) and reported through *cause.  The settings shown
 * beside a cell are the ones that vary across its sweep (the axes); the others are the same for
 * every cell and would only repeat.
 */
#include "db/export.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/stats.h"
#include "db/query.h"
#include "util/err.h"
#include "util/usage.h"

static const char *const db_format_names[] = { "csv", "json", "md" };
NAME_TABLE_CHECK(db_format_names, DB_FORMAT_COUNT);

const char *
db_format_name(enum db_format f)
{
    CHECK((unsigned)f < DB_FORMAT_COUNT);
    return db_format_names[f];
}

int
db_format_parse(const char *name)
{
    for (int f = 0; f < DB_FORMAT_COUNT; f++) {
        if (strcmp(db_format_names[f], name) == 0)
            return f;
    }
    return strcmp(name, "markdown") == 0 ? DB_FORMAT_MD : -1;
}

/* ---- shared helpers ---- */

/* Does key have the same text in every run of the kind (cells when there are any)? */
static int
db_export_constant(const struct db_cell *cells, size_t n, const char *key)
{
    int have_cells = 0;
    for (size_t i = 0; i < n && !have_cells; i++)
        have_cells = cells[i].kind == DB_RUN_CELL;
    const char *first = NULL;
    size_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (have_cells && cells[i].kind != DB_RUN_CELL)
            continue;
        const char *t = db_cell_param(&cells[i], key);
        if (seen++ == 0)
            first = t;
        else if ((t == NULL) != (first == NULL) || (t != NULL && strcmp(first, t) != 0))
            return 0;       /* absent in one run and present in another differs too */
    }
    return 1;
}

/*
 * The keys of the runs' settings, sorted and unique (borrowed from cells).  With varying, only
 * the keys that differ between cells (the sweep's axes; references differ from their cells in
 * the cache knobs by design, so they do not count), or every key when there is a single cell.
 */
static size_t
db_export_keys(const struct db_cell *cells, size_t n, int varying, const char ***keys)
{
    const char **k = NULL;
    size_t nk = 0, cellcount = 0;
    for (size_t i = 0; i < n; i++) {
        cellcount += cells[i].kind == DB_RUN_CELL;
        for (size_t j = 0; j < cells[i].nparams; j++) {
            const char *key = cells[i].params[j].key;
            size_t at = 0;
            while (at < nk && strcmp(k[at], key) < 0)
                at++;
            if (at < nk && strcmp(k[at], key) == 0)
                continue;
            k = xrealloc(k, (nk + 1) * sizeof *k);
            memmove(k + at + 1, k + at, (nk - at) * sizeof *k);
            k[at] = key;
            nk++;
        }
    }
    size_t kept = 0;
    for (size_t a = 0; a < nk; a++) {
        if (!varying || cellcount <= 1 || !db_export_constant(cells, n, k[a]))
            k[kept++] = k[a];
    }
    *keys = k;
    return kept;
}

/* "cell 7: threshold=0.1, scheduler=karras" (label) from the given keys (allocated). */
static char *
db_export_label(const struct db_cell *c, const char **keys, size_t nkeys, int capital)
{
    const char *kind = c->kind == DB_RUN_CELL ? (capital ? "Cell" : "cell")
                                              : (capital ? "Reference" : "reference");
    char *s = xasprintf("%s %lld", kind, (long long)c->id);
    const char *sep = ": ";
    for (size_t i = 0; i < nkeys; i++) {
        const char *v = db_cell_param(c, keys[i]);
        if (v == NULL)
            continue;
        char *t = xasprintf("%s%s%s=%s", s, sep, keys[i], v);
        free(s);
        s = t;
        sep = ", ";
    }
    return s;
}

/* The interval level the runner asks for, assumed where a store does not say (speedup_level). */
#define DB_EXPORT_LEVEL 0.95

/*
 * The rounds an interval of a median at level needs: the smallest n whose widest
 * order-statistic interval [x(1), x(n)] covers level, 1 - 2^(1-n) >= level (the binomial method
 * util/stats.h's stats_median_ci_rank applies); 6 at 95%, 5 at 90%.
 */
static int
db_export_rounds_needed(double level)
{
    if (!(level > 0 && level < 1))
        level = DB_EXPORT_LEVEL;
    return (int)ceil(1 - log2(1 - level) - 1e-9);
}

const char *
db_speedup_brief(const struct db_cell *c, int wide, char *buf, size_t size)
{
    const char *x = wide ? "×" : "", *comma = wide ? ", " : ",";
    if (!isfinite(c->speedup))
        snprintf(buf, size, "%s", "");
    else if (isfinite(c->speedup_lo) && isfinite(c->speedup_hi))
        snprintf(buf, size, "%.2f%s [%.2f%s%.2f]", c->speedup, x, c->speedup_lo, comma,
                 c->speedup_hi);
    else if (isfinite(c->rounds))     /* paired rounds, too few for an interval */
        snprintf(buf, size, "%.2f%s (n<%d)", c->speedup, x,
                 db_export_rounds_needed(DB_EXPORT_LEVEL));
    else if (isfinite(c->speedup_err))  /* stored before paired rounds */
        snprintf(buf, size, "%.2f%s ± %.2f", c->speedup, x, c->speedup_err);
    else
        snprintf(buf, size, "%.2f%s", c->speedup, x);
    return buf;
}

const char *
db_rounds_brief(const struct db_cell *c, char *buf, size_t size)
{
    if (!isfinite(c->rounds))
        snprintf(buf, size, "%s", "");
    else if (isfinite(c->rounds_disturbed))
        snprintf(buf, size, "%.0f (%.0f)", c->rounds, c->rounds_disturbed);
    else
        snprintf(buf, size, "%.0f", c->rounds);
    return buf;
}

/* A failed write to the output stream: errno from the failing call, else a plain I/O error. */
static int
db_export_write_error(char **cause)
{
    return err_set(cause, "cannot write the export: %s", strerror(errno ? errno : EIO));
}

static int
db_export_finish(FILE *out, char **cause)
{
    if (fflush(out) != 0 || ferror(out))
        return db_export_write_error(cause);
    return 0;
}

/* ---- CSV ---- */

static void
db_export_csv_field(FILE *out, const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Whether v is an identical image's PSNR: +Inf (core/metrics.h says why). */
static int
db_export_identical(double v)
{
    return isinf(v) && v > 0;
}

static void
db_export_csv_num(FILE *out, double v)
{
    fputc(',', out);
    if (isfinite(v))
        fprintf(out, "%.10g", v);
    else if (db_export_identical(v))
        fputs(DB_EXPORT_INF, out);
}

static void
db_export_csv_row(FILE *out, const struct db_cell *c, const char **keys, size_t nkeys)
{
    fprintf(out, "%lld,%s,%s", (long long)c->id, db_run_kind_name(c->kind),
            db_state_name(c->state));
    const struct stats *w = &c->wall;
    double t[] = { w->mean, w->stddev, w->median, w->min, w->max };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        db_export_csv_num(out, c->has_wall ? t[i] / 1000.0 : NAN);
    db_export_csv_num(out, c->has_wall ? (double)w->n : NAN);
    double r[] = { c->speedup, c->speedup_err, c->hit_rate, c->psnr, c->ssim, c->speedup_lo,
                   c->speedup_hi, c->speedup_coverage, c->rounds, c->rounds_disturbed,
                   c->flop_speedup, c->time_speedup, c->efficiency };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        db_export_csv_num(out, r[i]);
    for (size_t i = 0; i < nkeys; i++) {
        fputc(',', out);
        db_export_csv_field(out, db_cell_param(c, keys[i]));
    }
    fputc('\n', out);
}

static void
db_export_csv(FILE *out, const struct db_cell *cells, size_t n)
{
    const char **keys = NULL;
    size_t nkeys = db_export_keys(cells, n, 0, &keys);
    fputs("cell,kind,state,mean,stddev,median,min,max,n,speedup,speedup_err,hit_rate,psnr,ssim,"
          "speedup_lo,speedup_hi,ci_level,rounds,rounds_disturbed,flop_speedup,time_speedup,"
          "efficiency", out);
    for (size_t i = 0; i < nkeys; i++) {
        char *col = xasprintf("parameter_%s", keys[i]);
        fputc(',', out);
        db_export_csv_field(out, col);
        free(col);
    }
    fputc('\n', out);
    for (size_t i = 0; i < n; i++)
        db_export_csv_row(out, &cells[i], keys, nkeys);
    free(keys);
}

/* ---- JSON ---- */

static json_t *
db_export_json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
db_export_json_stats(const struct stats *s, double scale)
{
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)s->n));
    const char *names[] = { "mean", "stddev", "median", "min", "max", "p5", "p25", "p75", "p95",
                            "mad" };
    const double v[] = { s->mean, s->stddev, s->median, s->min, s->max, s->p5, s->p25, s->p75,
                         s->p95, s->mad };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        json_object_set_new(o, names[i], db_export_json_num(v[i] * scale));
    json_object_set_new(o, "cv", db_export_json_num(s->cv));
    json_object_set_new(o, "outliers_tukey", json_integer((json_int_t)s->outliers_tukey));
    json_object_set_new(o, "outliers_z", json_integer((json_int_t)s->outliers_z));
    json_object_set_new(o, "first_slow", json_boolean(s->first_slow));
    return o;
}

static json_t *
db_export_json_kvs(const struct db_kv *v, size_t n, int numbers)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *x = numbers && !isnan(v[i].num) ? json_real(v[i].num) :
                    v[i].text != NULL ? json_string(v[i].text) : json_null();
        json_object_set_new(o, v[i].key, x != NULL ? x : json_null());
    }
    return o;
}

/* hyperfine's keys (seconds) first. */
static void
db_export_json_hyperfine(json_t *o, const struct db_run_detail *d, const char *label)
{
    const struct db_cell *c = &d->run;
    json_object_set_new(o, "command", json_string(label));
    const char *names[] = { "mean", "stddev", "median", "min", "max" };
    const double v[] = { c->wall.mean, c->wall.stddev, c->wall.median, c->wall.min, c->wall.max };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        json_object_set_new(o, names[i], c->has_wall ? db_export_json_num(v[i] / 1000.0)
                                                     : json_null());
    json_t *times = json_array();
    for (size_t i = 0; i < d->nsamples; i++) {
        if (d->samples[i].phase == DB_PHASE_MEASURE)
            json_array_append_new(times, db_export_json_num(d->samples[i].wall_ms / 1000.0));
    }
    json_object_set_new(o, "times", times);
    json_t *params = json_object();
    for (size_t i = 0; i < c->nparams; i++)
        json_object_set_new(params, c->params[i].key, json_string(c->params[i].text));
    json_object_set_new(o, "parameters", params);
}

static json_t *
db_export_json_samples(const struct db_run_detail *d)
{
    json_t *a = json_array();
    for (size_t i = 0; i < d->nsamples; i++) {
        const struct db_sample_row *s = &d->samples[i];
        json_t *o = json_object();
        json_object_set_new(o, "phase", json_string(db_phase_name(s->phase)));
        json_object_set_new(o, "rep", json_integer(s->rep));
        json_object_set_new(o, "wall_ms", db_export_json_num(s->wall_ms));
        json_object_set_new(o, "calls_ms", db_export_json_num(s->calls_ms));
        if (isfinite(s->peak_device_bytes))     /* only where the device was measured */
            json_object_set_new(o, "peak_device_bytes",
                                json_integer((json_int_t)s->peak_device_bytes));
        if (isfinite(s->cpu_ms)) {              /* only where the counters were recorded */
            json_object_set_new(o, "cpu_ms", json_real(s->cpu_ms));
            json_object_set_new(o, "nvcsw", json_integer((json_int_t)s->nvcsw));
            json_object_set_new(o, "nivcsw", json_integer((json_int_t)s->nivcsw));
            json_object_set_new(o, "minflt", json_integer((json_int_t)s->minflt));
            json_object_set_new(o, "majflt", json_integer((json_int_t)s->majflt));
            json_object_set_new(o, "disturbed", json_boolean(s->disturbed == 1));
        }
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *
db_export_json_trace(const struct db_trace_brief *t)
{
    if (!t->present)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "phase", json_string(db_phase_name(t->phase)));
    json_object_set_new(o, "rep", json_integer(t->rep));
    json_object_set_new(o, "calls", json_integer((json_int_t)t->calls));
    json_object_set_new(o, "hits", json_integer((json_int_t)t->hits));
    json_object_set_new(o, "steps", json_integer((json_int_t)t->steps));
    json_object_set_new(o, "steps_hit", json_integer((json_int_t)t->steps_hit));
    json_object_set_new(o, "steps_hit_text", json_string(t->steps_hit_text));
    return o;
}

static json_t *
db_export_json_artifacts(const struct db_run_detail *d)
{
    json_t *a = json_array();
    for (size_t i = 0; i < d->nartifacts; i++) {
        const struct db_artifact_info *x = &d->artifacts[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:i, s:i}", "kind", x->kind,
                                           "sha256", x->hash, "size", (json_int_t)x->size,
                                           "width", x->width, "height", x->height));
    }
    return a;
}

/* The speed-up keys a run of kind always has in metrics{} (export.h), null where absent. */
static void
db_export_json_speedup_keys(json_t *metrics, enum db_run_kind kind)
{
    static const char *const keys[] = {
        "rounds", "rounds_disturbed", "speedup", "speedup_lo", "speedup_hi", "speedup_level",
        "speedup_coverage", "speedup_method", "speedup_err", "speedup_clean", "flop_speedup",
        "time_speedup", "efficiency", "efficiency_lo", "efficiency_hi", "model_stray",
    };
    size_t n = kind == DB_RUN_CELL ? sizeof keys / sizeof keys[0] : 2;
    for (size_t i = 0; i < n; i++) {
        if (json_object_get(metrics, keys[i]) == NULL)
            json_object_set_new(metrics, keys[i], json_null());
    }
}

static json_t *
db_export_json_run(const struct db_run_detail *d, const char *label)
{
    const struct db_cell *c = &d->run;
    json_t *o = json_object();
    db_export_json_hyperfine(o, d, label);
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "kind", json_string(db_run_kind_name(c->kind)));
    json_object_set_new(o, "number", json_integer(c->number));
    json_object_set_new(o, "ix", json_integer(c->ix));
    json_object_set_new(o, "iy", json_integer(c->iy));
    json_object_set_new(o, "iz", json_integer(c->iz));
    json_object_set_new(o, "state", json_string(db_state_name(c->state)));
    json_object_set_new(o, "ref_id", c->ref_id ? json_integer(c->ref_id) : json_null());
    json_object_set_new(o, "config_hash", json_string(c->config_hash));
    json_object_set_new(o, "attempts", json_integer(c->attempts));
    json_object_set_new(o, "started_ms", json_integer(d->started_ms));
    json_object_set_new(o, "finished_ms", json_integer(d->finished_ms));
    json_object_set_new(o, "error", c->error ? json_string(c->error) : json_null());
    json_object_set_new(o, "settings", db_export_json_kvs(c->params, c->nparams, 1));
    json_t *sums = json_object();
    for (size_t i = 0; i < d->nsummaries; i++)
        json_object_set_new(sums, d->summaries[i].key,
                            db_export_json_stats(&d->summaries[i].st, 1.0));
    json_object_set_new(o, "summaries", sums);
    json_t *metrics = db_export_json_kvs(d->results, d->nresults, 1);
    db_export_json_speedup_keys(metrics, c->kind);
    const struct db_kv *psnr = db_run_result(d, "psnr");
    if (psnr != NULL)       /* JSON has no infinity: psnr is null and this says why */
        json_object_set_new(metrics, "identical", json_boolean(db_export_identical(psnr->num)));
    json_object_set_new(o, "metrics", metrics);
    json_object_set_new(o, "samples", db_export_json_samples(d));
    json_object_set_new(o, "trace", db_export_json_trace(&d->trace));
    json_object_set_new(o, "tags", db_export_json_kvs(d->tags, d->ntags, 0));
    json_object_set_new(o, "artifacts", db_export_json_artifacts(d));
    return o;
}

static json_t *
db_export_json_sweep(const struct db_sweep_info *s)
{
    json_error_t e;
    json_t *spec = json_loads(s->spec, 0, &e);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(s->id));
    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "status", json_string(s->status));
    json_object_set_new(o, "created_ms", json_integer(s->created_ms));
    json_object_set_new(o, "updated_ms", json_integer(s->updated_ms));
    json_object_set_new(o, "spec", spec != NULL ? spec : json_string(s->spec));
    return o;
}

static int
db_export_json(struct db *db, const struct db_sweep_info *s, const struct db_cell *cells,
               size_t n, FILE *out, char **cause)
{
    const char **keys = NULL;
    size_t nkeys = db_export_keys(cells, n, 1, &keys);
    int ret = -1;
    json_t *root = json_object(), *results = json_array();
    json_object_set_new(root, "schema", json_integer(db_schema_version(db)));
    json_object_set_new(root, "sweep", db_export_json_sweep(s));
    json_object_set_new(root, "results", results);
    for (size_t i = 0; i < n; i++) {
        struct db_run_detail d;
        if (db_run_get(db, cells[i].id, &d, cause) != 0)
            goto out;
        char *label = db_export_label(&d.run, keys, nkeys, 0);
        json_array_append_new(results, db_export_json_run(&d, label));
        free(label);
        db_run_detail_release(&d);
    }
    if (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12))
        != 0 || fputc('\n', out) == EOF) {
        db_export_write_error(cause);
        goto out;
    }
    ret = 0;
out:
    json_decref(root);
    free(keys);
    return ret;
}

/* ---- Markdown ---- */

/* One table cell " text |", with `|` escaped and line breaks as spaces (NULL: empty). */
static void
db_export_md_cell(FILE *out, const char *s)
{
    fputc(' ', out);
    for (; s != NULL && *s != '\0'; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
    }
    fputs(" |", out);
}

/* A number " 2.20× |" (unit after it) or an empty cell when NaN. */
static void
db_export_md_num(FILE *out, const char *fmt, double v)
{
    char buf[32] = "";
    if (isfinite(v))
        snprintf(buf, sizeof buf, fmt, v);
    db_export_md_cell(out, buf);
}

static void
db_export_md_row(FILE *out, const struct db_cell *c, const char **keys, size_t nkeys)
{
    char buf[64];
    fprintf(out, "| %lld%s |", (long long)c->id, c->kind == DB_RUN_REFERENCE ? " (ref)" : "");
    for (size_t i = 0; i < nkeys; i++)
        db_export_md_cell(out, db_cell_param(c, keys[i]));
    const struct stats *w = &c->wall;
    fprintf(out, " %.1f ± %.1f | %.1f | %.1f |", w->mean, w->stddev, w->min, w->max);
    db_export_md_cell(out, db_speedup_brief(c, 1, buf, sizeof buf));
    db_export_md_num(out, "%.2f×", c->flop_speedup);
    db_export_md_num(out, "%.2f×", c->time_speedup);
    db_export_md_num(out, "%.2f", c->efficiency);
    db_export_md_cell(out, db_rounds_brief(c, buf, sizeof buf));
    db_export_md_num(out, "%.1f %%", 100.0 * c->hit_rate);
    if (db_export_identical(c->psnr))
        db_export_md_cell(out, DB_EXPORT_IDENTICAL);
    else
        db_export_md_num(out, "%.2f", c->psnr);
    fputc('\n', out);
}

static void
db_export_md(FILE *out, const struct db_cell *cells, size_t n)
{
    const char **keys = NULL;
    size_t nkeys = db_export_keys(cells, n, 1, &keys);
    fputs("| Cell |", out);
    for (size_t i = 0; i < nkeys; i++)
        db_export_md_cell(out, keys[i]);
    fputs(" Mean [ms] | Min [ms] | Max [ms] | speed-up [95% CI] | S_flop | S_time | efficiency "
          "| rounds (disturbed) | hit rate | PSNR |\n|:---|", out);
    for (size_t i = 0; i < nkeys; i++)
        fputs(":---|", out);
    fputs("---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", out);
    for (size_t i = 0; i < n; i++) {
        if (cells[i].has_wall)
            db_export_md_row(out, &cells[i], keys, nkeys);
    }
    fprintf(out, "\nspeed-up: the median of the paired rounds' ratios, uncached reference time / "
            "cell time, with its distribution-free 95%% confidence interval from binomial order "
            "statistics of the per-round log ratios (asv's method); (n<%d): too few rounds for "
            "an interval; ± a propagated sd, in runs stored before paired rounds.  S_flop: the "
            "FLOP-modelled speed-up (what cache-dit calls speed-up); S_time: the time-modelled "
            "one (per-call costs measured in the run × the calls made); efficiency = speed-up / "
            "S_flop.\n", db_export_rounds_needed(DB_EXPORT_LEVEL));
    free(keys);
}

int
db_export(struct db *db, int64_t sweep_id, enum db_format format, FILE *out, char **cause)
{
    CHECK((unsigned)format < DB_FORMAT_COUNT);
    struct db_sweep_info s;
    struct db_cell *cells = NULL;
    size_t n = 0;
    int ret = -1, found;
    memset(&s, 0, sizeof s);
    if ((found = db_sweep_get(db, sweep_id, &s, cause)) < 0)
        goto out;
    if (found == 1) {
        err_set(cause, "no sweep %lld in the store", (long long)sweep_id);
        goto out;
    }
    if (db_cells_list(db, sweep_id, &cells, &n, cause) != 0)
        goto out;
    errno = 0;
    if (format == DB_FORMAT_CSV)
        db_export_csv(out, cells, n);
    else if (format == DB_FORMAT_MD)
        db_export_md(out, cells, n);
    else if (db_export_json(db, &s, cells, n, out, cause) != 0)
        goto out;
    ret = db_export_finish(out, cause);
out:
    db_cells_free(cells, n);
    db_sweep_info_release(&s);
    return ret;
}

/* ---- runs ---- */

int
db_print_sweeps(struct db *db, const char *path, FILE *out, char **cause)
{
    struct db_sweep_info *v = NULL;
    struct db_store_counts c;
    size_t n = 0;
    if (db_sweep_list(db, &v, &n, cause) < 0 || db_store_count(db, &c, cause) < 0) {
        db_sweep_list_free(v, n);
        return -1;
    }
    fprintf(out, "%4s  %-24s %-8s %6s %5s %9s %7s %7s %6s\n", "id", "name", "status", "cells",
            "refs", "complete", "running", "waiting", "failed");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%4lld  %-24s %-8s %6ld %5ld %9ld %7ld %7ld %6ld\n", (long long)v[i].id,
                v[i].name, v[i].status, v[i].cells, v[i].references, v[i].states[DB_COMPLETE],
                v[i].states[DB_RUNNING], v[i].states[DB_WAITING], v[i].states[DB_FAILED]);
    fprintf(out, "%s: %ld sweep%s, %ld runs, %ld distinct images (%.1f kB)\n", path, c.sweeps,
            c.sweeps == 1 ? "" : "s", c.runs, c.blobs, (double)c.blob_bytes / 1e3);
    db_sweep_list_free(v, n);
    return db_export_finish(out, cause);
}

static void
db_print_num(FILE *out, const char *fmt, double v, int width)
{
    /* fmt is " %*.Nf" plus maybe a "%%" suffix: the dash fills the same columns. */
    if (isfinite(v))
        fprintf(out, fmt, width, v);
    else
        fprintf(out, " %*s", width + (strstr(fmt, "%%") != NULL), "-");
}

/* " text" right-aligned in width columns ("-" when empty); UTF-8 aware ("±" is one column). */
static void
db_print_field(FILE *out, const char *text, int width)
{
    text = text[0] != '\0' ? text : "-";
    int cols = 0;
    for (const char *p = text; *p != '\0'; p++)
        cols += ((unsigned char)*p & 0xc0) != 0x80;
    fprintf(out, " %*s%s", width > cols ? width - cols : 0, "", text);
}

int
db_print_cells(struct db *db, int64_t sweep_id, FILE *out, char **cause)
{
    struct db_cell *cells = NULL;
    size_t n = 0;
    if (db_cells_list(db, sweep_id, &cells, &n, cause) != 0)
        return -1;
    const char **keys = NULL;
    size_t nkeys = db_export_keys(cells, n, 1, &keys);
    int *width = xcalloc(nkeys + 1, sizeof *width);
    for (size_t k = 0; k < nkeys; k++) {
        width[k] = (int)strlen(keys[k]);
        for (size_t i = 0; i < n; i++) {
            const char *t = db_cell_param(&cells[i], keys[k]);
            if (t != NULL && (int)strlen(t) > width[k])
                width[k] = (int)strlen(t);
        }
    }
    fprintf(out, "%5s %-9s %-8s", "run", "kind", "state");
    for (size_t k = 0; k < nkeys; k++)
        fprintf(out, " %-*s", width[k], keys[k]);
    db_print_field(out, "median ms (± sd)", 20);
    db_print_field(out, "speed-up", 18);
    db_print_field(out, "rounds", 7);
    fprintf(out, " %8s %9s %7s\n", "hits", "PSNR", "SSIM");
    for (size_t i = 0; i < n; i++) {
        const struct db_cell *c = &cells[i];
        fprintf(out, "%5lld %-9s %-8s", (long long)c->id, db_run_kind_name(c->kind),
                db_state_name(c->state));
        for (size_t k = 0; k < nkeys; k++) {
            const char *t = db_cell_param(c, keys[k]);
            fprintf(out, " %-*s", width[k], t != NULL ? t : "-");
        }
        char med[32] = "-", buf[64];
        if (c->has_wall)
            snprintf(med, sizeof med, "%.1f ± %.1f", c->wall.median, c->wall.stddev);
        db_print_field(out, med, 20);
        db_print_field(out, db_speedup_brief(c, 0, buf, sizeof buf), 18);
        db_print_field(out, db_rounds_brief(c, buf, sizeof buf), 7);
        db_print_num(out, " %*.1f%%", 100 * c->hit_rate, 7);
        if (db_export_identical(c->psnr))
            fprintf(out, " %9s", DB_EXPORT_IDENTICAL);
        else
            db_print_num(out, " %*.2f", c->psnr, 9);
        db_print_num(out, " %*.4f", c->ssim, 7);
        fputc('\n', out);
        if (c->error != NULL)
            fprintf(out, "      error: %s\n", c->error);
    }
    free(width);
    free(keys);
    db_cells_free(cells, n);
    return db_export_finish(out, cause);
}

/* ---- show ---- */

/* A duration in ms as hyperfine prints it ("812.3 ms"), into buf. */
static const char *
db_show_ms(char *buf, size_t size, double ms)
{
    snprintf(buf, size, fabs(ms) >= 1.0 || ms == 0 ? "%.1f ms" : "%.3f ms", ms);
    return buf;
}

static double
db_show_result(const struct db_run_detail *d, const char *key)
{
    const struct db_kv *kv = db_run_result(d, key);
    return kv != NULL ? kv->num : NAN;
}

/* The first line (settings that vary across the sweep), the fixed settings, state and tags. */
static int
db_show_head(struct db *db, const struct db_run_detail *d, FILE *out, char **cause)
{
    struct db_cell *cells = NULL;
    const char **keys = NULL;
    size_t n = 0;
    if (db_cells_list(db, d->run.sweep_id, &cells, &n, cause) != 0)
        return -1;
    size_t nkeys = db_export_keys(cells, n, 1, &keys);
    char *label = db_export_label(&d->run, keys, nkeys, 1);
    fprintf(out, "%s\n", label);
    const char *sep = "  Settings: ";
    for (size_t i = 0; i < d->run.nparams; i++) {
        size_t k = 0;
        while (k < nkeys && strcmp(keys[k], d->run.params[i].key) != 0)
            k++;
        if (k < nkeys)
            continue;
        fprintf(out, "%s%s=%s", sep, d->run.params[i].key, d->run.params[i].text);
        sep = ", ";
    }
    if (sep[0] == ',')
        fputc('\n', out);
    fprintf(out, "  Sweep '%s', state %s after %d attempt%s", d->sweep_name,
            db_state_name(d->run.state), d->run.attempts, d->run.attempts == 1 ? "" : "s");
    if (d->run.error != NULL)
        fprintf(out, ": %s", d->run.error);
    fputc('\n', out);
    for (size_t i = 0; i < d->ntags; i++)
        fprintf(out, "%s%s=%s", i == 0 ? "  Tags: " : ", ", d->tags[i].key,
                d->tags[i].text != NULL ? d->tags[i].text : "");
    if (d->ntags > 0)
        fputc('\n', out);
    free(label);
    free(keys);
    db_cells_free(cells, n);
    return 0;
}

static void
db_show_time(const struct db_run_detail *d, FILE *out)
{
    const struct stats *w = &d->run.wall;
    char a[32], b[32], c[32], e[32], f[32];
    if (w->n == 1) {
        fprintf(out, "  Time (abs ≡):        %s\n", db_show_ms(a, sizeof a, w->mean));
    } else {
        fprintf(out, "  Time (mean ± σ):     %s ± %s\n", db_show_ms(a, sizeof a, w->mean),
                db_show_ms(b, sizeof b, w->stddev));
        fprintf(out, "  Range (min … max):   %s … %s    %zu runs\n",
                db_show_ms(a, sizeof a, w->min), db_show_ms(b, sizeof b, w->max), w->n);
        fprintf(out, "  Median %s, P5 %s, P95 %s, MAD %s, CV %.1f %%\n",
                db_show_ms(a, sizeof a, w->median), db_show_ms(b, sizeof b, w->p5),
                db_show_ms(c, sizeof c, w->p95), db_show_ms(e, sizeof e, w->mad),
                100.0 * w->cv);
    }
    double first = db_show_result(d, "first_ms"), compile = db_show_result(d, "compile_ms");
    if (isfinite(first) && isfinite(compile))
        fprintf(out, "  First generation %s (compile %s)\n", db_show_ms(a, sizeof a, first),
                db_show_ms(f, sizeof f, compile));
    else if (isfinite(first))
        fprintf(out, "  First generation %s\n", db_show_ms(a, sizeof a, first));
}

/* The device memory high-water mark over the measured generations, where it was measured. */
static void
db_show_memory(const struct db_run_detail *d, FILE *out)
{
    double peak = NAN;
    size_t n = 0;
    for (size_t i = 0; i < d->nsamples; i++) {
        const struct db_sample_row *s = &d->samples[i];
        if (s->phase != DB_PHASE_MEASURE || !isfinite(s->peak_device_bytes))
            continue;
        peak = n++ == 0 ? s->peak_device_bytes : fmax(peak, s->peak_device_bytes);
    }
    if (n > 0)
        fprintf(out, "  Device memory peak:  %.1f MiB (max of %zu measured generation%s)\n",
                peak / (1024.0 * 1024.0), n, n == 1 ? "" : "s");
}

/*
 * The machine while the run was measured: the load averages at its start and end, the median
 * CPU seconds per wall second and preemptions of its measured generations, and how many of
 * them util/usage.h's rule flags as disturbed (nothing for stores without the counters).
 */
static void
db_show_machine(const struct db_run_detail *d, FILE *out)
{
    double *util = xcalloc(d->nsamples + 1, sizeof *util);
    double *ivcs = xcalloc(d->nsamples + 1, sizeof *ivcs);
    size_t n = 0, disturbed = 0;
    for (size_t i = 0; i < d->nsamples; i++) {
        const struct db_sample_row *s = &d->samples[i];
        if (s->phase != DB_PHASE_MEASURE || !isfinite(s->cpu_ms) || !(s->wall_ms > 0))
            continue;
        util[n] = s->cpu_ms / s->wall_ms;
        ivcs[n++] = s->nivcsw;
        disturbed += s->disturbed == 1;
    }
    struct stats su = {0}, si = {0};
    if (n > 0) {
        stats_compute(util, n, &su);
        stats_compute(ivcs, n, &si);
    }
    free(util);
    free(ivcs);
    if (n == 0)
        return;
    double l0 = db_show_result(d, "load_start"), l1 = db_show_result(d, "load_end");
    fprintf(out, "  Machine:             load %.2f -> %.2f (1-minute average); CPU %.2f s per "
            "wall s, %.0f preemptions per generation (medians)\n", l0, l1, su.median,
            si.median);
    fprintf(out, "  Disturbed:           %zu of %zu measured generation%s (CPU per wall second "
            "under %.1fx the run's median, or preemptions over %.0fx its median + %.0f/s)\n",
            disturbed, n, n == 1 ? "" : "s", USAGE_UTIL_FLOOR, USAGE_SWITCH_FACTOR,
            USAGE_SWITCH_SLACK);
}

/* hyperfine's warnings, worded for generations and fbw's options. */
static void
db_show_warnings(const struct db_run_detail *d, FILE *out)
{
    const struct stats *w = &d->run.wall;
    char a[32];
    double first = NAN;
    for (size_t i = 0; i < d->nsamples && isnan(first); i++) {
        if (d->samples[i].phase == DB_PHASE_MEASURE)
            first = d->samples[i].wall_ms;
    }
    if (w->first_slow) {
        fprintf(out, "\n  Warning: The first measured generation was significantly slower than "
                "the rest (%s). This could be caused by caches (allocator, kernels, files) that "
                "were not filled until after the first generation. You should consider using "
                "the '--warmup' option to fill those caches before the measurement.\n",
                isfinite(first) ? db_show_ms(a, sizeof a, first) : "?");
    } else if (w->outliers_z > 0 || w->outliers_tukey > 0) {
        fprintf(out, "\n  Warning: Statistical outliers were detected (%zu by Tukey's 1.5 IQR "
                "rule, %zu by modified Z-score). Consider re-running this sweep on a quiet "
                "system without any interferences from other programs. It might help to use "
                "the '--warmup' option.\n", w->outliers_tukey, w->outliers_z);
    }
}

/* "1.93x [1.85, 2.01]" (unit "x"), or "1.93x" without a finite interval, into buf. */
static const char *
db_show_interval(char *buf, size_t size, double v, double lo, double hi, const char *unit)
{
    if (isfinite(lo) && isfinite(hi))
        snprintf(buf, size, "%.2f%s [%.2f, %.2f]", v, unit, lo, hi);
    else
        snprintf(buf, size, "%.2f%s", v, unit);
    return buf;
}

/*
 * The estimate and how it was made: "1.93x [1.85, 2.01] (95% CI, ...)" from paired rounds, with
 * or without an interval, or the "± sd" of a run stored before them.  A slower cell adds its
 * inverse with the bounds inverted and swapped, since 1/x reverses their order: 0.80x
 * [0.75, 0.85] = 1.25x slower [1.18, 1.33] (shared/reference/timing.md 6).
 */
static void
db_show_estimate(const struct db_run_detail *d, double level, FILE *out)
{
    const struct db_cell *c = &d->run;
    int interval = isfinite(c->speedup_lo) && isfinite(c->speedup_hi);
    char buf[64];
    fprintf(out, "    %s", db_show_interval(buf, sizeof buf, c->speedup, c->speedup_lo,
                                            c->speedup_hi, "x"));
    if (interval)
        fprintf(out, " (%.0f%% CI, achieved %.1f%%, median of %.0f paired rounds, %.0f disturbed)",
                100 * level, 100 * c->speedup_coverage, c->rounds, c->rounds_disturbed);
    else if (isfinite(c->rounds))
        fprintf(out, " (median of %.0f paired rounds, %.0f disturbed); no %.0f%% interval: too "
                "few rounds (n=%.0f; %d needed)", c->rounds, c->rounds_disturbed, 100 * level,
                c->rounds, db_export_rounds_needed(level));
    else if (isfinite(c->speedup_err))
        fprintf(out, " ± %.2f (ratio of the medians ± propagated sd, stored before paired "
                "rounds)", c->speedup_err);
    if (c->speedup < 1.0)
        fprintf(out, " = %s", db_show_interval(buf, sizeof buf, 1.0 / c->speedup,
                                               1.0 / c->speedup_hi, 1.0 / c->speedup_lo,
                                               "x slower"));
    fputc('\n', out);
}

/* The estimate over undisturbed rounds, the method, the modelled speed-ups and efficiency. */
static void
db_show_models(const struct db_run_detail *d, FILE *out)
{
    const struct db_cell *c = &d->run;
    double clean = db_show_result(d, "speedup_clean");
    const struct db_kv *method = db_run_result(d, "speedup_method");
    char buf[64];
    if (isfinite(clean) && c->rounds_disturbed > 0)
        fprintf(out, "    undisturbed rounds only: %.2fx\n", clean);
    if (method != NULL && method->text != NULL)
        fprintf(out, "    method: %s\n", method->text);
    if (isfinite(c->flop_speedup))   /* the noise-free models beside the measurement, named */
        fprintf(out, "    FLOP-modelled (what cache-dit calls speed-up): %.2fx (the model FLOPs "
                "the cache saves; no timing)\n", c->flop_speedup);
    if (isfinite(c->time_speedup))
        fprintf(out, "    time-modelled: %.2fx (the per-call costs measured in this run times "
                "the calls made)\n", c->time_speedup);
    if (isfinite(c->efficiency))
        fprintf(out, "    efficiency = measured / FLOP-modelled %s\n",
                db_show_interval(buf, sizeof buf, c->efficiency,
                                 db_show_result(d, "efficiency_lo"),
                                 db_show_result(d, "efficiency_hi"), ""));
}

/* model_stray: the time model's speed-up outside the interval widened by 5% either way. */
static void
db_show_stray(const struct db_run_detail *d, double level, FILE *out)
{
    const struct db_cell *c = &d->run;
    if (c->model_stray != 1)
        return;
    fprintf(out, "\n  Warning: measured speed-up strays from the time model beyond its interval: "
            "time-modelled %.2fx lies outside [%.2f, %.2f], the %.0f%% interval widened by "
            "5%%.\n", c->time_speedup, c->speedup_lo / 1.05, c->speedup_hi * 1.05, 100 * level);
}

static void
db_show_speedup(const struct db_run_detail *d, FILE *out)
{
    const struct db_cell *c = &d->run;
    double level = db_show_result(d, "speedup_level");
    level = isfinite(level) ? level : DB_EXPORT_LEVEL;
    if (c->kind == DB_RUN_REFERENCE) {
        fputs("  Uncached reference: the baseline of its cells' speed-up and image diff", out);
        if (isfinite(c->rounds))
            fprintf(out, " (%.0f paired rounds, %.0f disturbed)", c->rounds, c->rounds_disturbed);
        fputc('\n', out);
        return;
    }
    if (!isfinite(c->speedup) || c->speedup <= 0)
        return;
    fprintf(out, "  Speed-up over the uncached reference (run %lld):\n", (long long)c->ref_id);
    db_show_estimate(d, level, out);
    db_show_models(d, out);
    db_show_stray(d, level, out);
}

static void
db_show_cache(const struct db_run_detail *d, FILE *out)
{
    const struct db_trace_brief *t = &d->trace;
    double calls = db_show_result(d, "calls"), hits = db_show_result(d, "hits");
    double rate = db_show_result(d, "hit_rate"), step = db_show_result(d, "hit_rate_step");
    const struct db_kv *text = db_run_result(d, "steps_hit");
    const char *steps = text != NULL && text->text != NULL ? text->text
                        : t->present ? t->steps_hit_text : NULL;
    if (!isfinite(calls) || !isfinite(hits)) {
        if (!t->present)
            return;
        calls = (double)t->calls;
        hits = (double)t->hits;
    }
    if (!isfinite(rate))
        rate = calls > 0 ? hits / calls : NAN;
    if (!isfinite(step) && t->present && t->steps > 0)
        step = (double)t->steps_hit / (double)t->steps;
    fprintf(out, "  Cache: %.0f/%.0f calls hit (hit rate %.1f %% per call", hits, calls,
            100.0 * rate);
    if (isfinite(step))
        fprintf(out, ", %.1f %% per step", 100.0 * step);
    fputs("), steps hit: ", out);
    if (steps == NULL || steps[0] == '\0')
        fputs("none", out);
    for (; steps != NULL && *steps != '\0'; steps++) {
        fputc(*steps, out);
        if (*steps == ',')
            fputc(' ', out);
    }
    fputc('\n', out);
}

static void
db_show_diff(const struct db_run_detail *d, FILE *out)
{
    const char *names[] = { "PSNR", "SSIM", "MAE", "max" };
    const char *keys[] = { "psnr", "ssim", "mae", "max_abs" };
    const char *fmts[] = { "%s%s %.2f dB", "%s%s %.4f", "%s%s %.5f", "%s%s %.5f" };
    const char *sep = "  Image vs reference: ";
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double v = db_show_result(d, keys[i]);
        if (i == 0 && db_export_identical(v))
            fprintf(out, "%s%s " DB_EXPORT_INF " dB (" DB_EXPORT_IDENTICAL ")", sep, names[i]);
        else if (isfinite(v))
            fprintf(out, fmts[i], sep, names[i], v);
        else
            continue;
        sep = ", ";
    }
    if (sep[0] == ',')
        fputc('\n', out);
}

int
db_show(struct db *db, int64_t run_id, FILE *out, char **cause)
{
    struct db_run_detail d;
    int found = db_run_get(db, run_id, &d, cause);
    if (found != 0)
        return found;
    int ret = -1;
    errno = 0;
    if (db_show_head(db, &d, out, cause) != 0)
        goto out;
    if (d.run.has_wall) {
        db_show_time(&d, out);
        db_show_memory(&d, out);
        db_show_machine(&d, out);
        db_show_warnings(&d, out);
        fputc('\n', out);
    }
    db_show_speedup(&d, out);
    db_show_cache(&d, out);
    db_show_diff(&d, out);
    ret = db_export_finish(out, cause);
out:
    db_run_detail_release(&d);
    return ret;
}
