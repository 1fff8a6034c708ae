/*
 * query.c - the read side of the store (see query.h): sweeps with run counts, a sweep's cells,
 * one run in full, a run's call rows.
 *
 * Every query is a plain SELECT on the caller's connection, outside any explicit transaction,
 * so with WAL it reads the last committed state and never waits for the runner.  A sweep's cells
 * are read with three statements (runs with their wall_ms summary, every param, the key
 * results) rather than one per cell, and matched to their cell by id through a sorted index:
 * a 10 000-cell sweep stays three scans.
 */
#include "db/query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/store_impl.h"
#include "util/err.h"

/* ---- sweeps ---- */

static const char db_query_sweep_sql[] =
    "SELECT s.id, s.name, s.spec, s.status, s.created_ms, s.updated_ms,"
    " coalesce(sum(r.kind = 'cell'), 0), coalesce(sum(r.kind = 'reference'), 0),"
    " coalesce(sum(r.state = 'waiting'), 0), coalesce(sum(r.state = 'running'), 0),"
    " coalesce(sum(r.state = 'complete'), 0), coalesce(sum(r.state = 'failed'), 0)"
    " FROM sweep s LEFT JOIN run r ON r.sweep_id = s.id ";

static void
db_query_sweep_row(sqlite3_stmt *st, struct db_sweep_info *s)
{
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    s->name = db_column_strdup(st, 1);
    s->spec = db_column_strdup(st, 2);
    s->status = db_column_strdup(st, 3);
    s->created_ms = sqlite3_column_int64(st, 4);
    s->updated_ms = sqlite3_column_int64(st, 5);
    s->cells = (long)sqlite3_column_int64(st, 6);
    s->references = (long)sqlite3_column_int64(st, 7);
    for (int k = 0; k < DB_STATE_COUNT; k++)
        s->states[k] = (long)sqlite3_column_int64(st, 8 + k);
}

/*
 * Sweeps selected by tail (a WHERE/GROUP/ORDER suffix with at most one parameter, bound to
 * text when non-NULL, else to id).
 */
static int
db_query_sweeps(struct db *db, const char *tail, const char *text, int64_t id,
                struct db_sweep_info **out, size_t *n, char **cause)
{
    sqlite3_stmt *st = NULL;
    struct db_sweep_info *v = NULL;
    size_t count = 0;
    int ret = -1, rc;
    char *sql = xasprintf("%s%s", db_query_sweep_sql, tail);
    if (db_prepare(db, sql, &st, cause) != 0)
        goto out;
    if (sqlite3_bind_parameter_count(st) > 0) {
        if (text != NULL)
            sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 1, id);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        v = xrealloc(v, (count + 1) * sizeof *v);
        db_query_sweep_row(st, &v[count++]);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot list the sweeps", cause);
        goto out;
    }
    *out = v;
    *n = count;
    v = NULL;
    count = 0;
    ret = 0;
out:
    db_sweep_list_free(v, count);
    sqlite3_finalize(st);
    free(sql);
    return ret;
}

int
db_sweep_list(struct db *db, struct db_sweep_info **out, size_t *n, char **cause)
{
    return db_query_sweeps(db, "GROUP BY s.id ORDER BY s.id", NULL, 0, out, n, cause);
}

void
db_sweep_info_release(struct db_sweep_info *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->spec);
    free(s->status);
    memset(s, 0, sizeof *s);
}

void
db_sweep_list_free(struct db_sweep_info *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        db_sweep_info_release(&v[i]);
    free(v);
}

/* The first sweep of a selection into *out: 0, 1 when none, -1 on error. */
static int
db_query_sweep_one(struct db *db, const char *tail, const char *text, int64_t id,
                   struct db_sweep_info *out, char **cause)
{
    struct db_sweep_info *v = NULL;
    size_t n = 0;
    if (db_query_sweeps(db, tail, text, id, &v, &n, cause) != 0)
        return -1;
    if (n == 0) {
        free(v);
        return 1;
    }
    *out = v[0];
    memset(&v[0], 0, sizeof v[0]);
    db_sweep_list_free(v, n);
    return 0;
}

int
db_sweep_find(struct db *db, const char *which, struct db_sweep_info *out, char **cause)
{
    int found = db_query_sweep_one(db, "WHERE s.name = ? GROUP BY s.id", which, 0, out, cause);
    if (found != 1)
        return found;
    size_t len = strlen(which);
    if (len == 0 || len > 18 || strspn(which, "0123456789") != len)
        return 1;
    return db_sweep_get(db, (int64_t)strtoll(which, NULL, 10), out, cause);
}

int
db_sweep_get(struct db *db, int64_t id, struct db_sweep_info *out, char **cause)
{
    return db_query_sweep_one(db, "WHERE s.id = ? GROUP BY s.id", NULL, id, out, cause);
}

int
db_sweep_latest(struct db *db, struct db_sweep_info *out, char **cause)
{
    return db_query_sweep_one(db, "GROUP BY s.id ORDER BY s.created_ms DESC, s.id DESC LIMIT 1",
                              NULL, 0, out, cause);
}

int
db_store_count(struct db *db, struct db_store_counts *out, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "SELECT (SELECT count(*) FROM sweep), (SELECT count(*) FROM run),"
                   " (SELECT count(*) FROM blob), (SELECT coalesce(sum(size), 0) FROM blob)",
                   &st, cause) != 0)
        goto out;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "cannot count the store's rows", cause);
        goto out;
    }
    out->sweeps = (long)sqlite3_column_int64(st, 0);
    out->runs = (long)sqlite3_column_int64(st, 1);
    out->blobs = (long)sqlite3_column_int64(st, 2);
    out->blob_bytes = sqlite3_column_int64(st, 3);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* ---- cells ---- */

static const char db_query_cell_sql[] =
    "SELECT r.id, r.sweep_id, r.ref_id, r.kind, r.number, r.ix, r.iy, r.iz, r.state,"
    " r.attempts, r.config_hash, r.error,"
    " s.n, s.mean, s.stddev, s.median, s.min, s.max, s.p5, s.p25, s.p75, s.p95, s.mad, s.cv,"
    " s.outliers_tukey, s.outliers_z, s.first_slow"
    " FROM run r LEFT JOIN summary s ON s.run_id = r.id AND s.key = 'wall_ms'"
    " WHERE %s ORDER BY r.kind = 'reference', r.number, r.id";

/* Fills st from columns first.. of a summary row (n, mean, ..., first_slow). */
static void
db_query_stats(sqlite3_stmt *st, int first, struct stats *s)
{
    memset(s, 0, sizeof *s);
    s->n = (size_t)sqlite3_column_int64(st, first);
    double *v[] = { &s->mean, &s->stddev, &s->median, &s->min, &s->max,
                    &s->p5, &s->p25, &s->p75, &s->p95, &s->mad, &s->cv };
    for (int k = 0; k < (int)(sizeof v / sizeof v[0]); k++)
        *v[k] = db_column_double(st, first + 1 + k);
    s->outliers_tukey = (size_t)sqlite3_column_int64(st, first + 12);
    s->outliers_z = (size_t)sqlite3_column_int64(st, first + 13);
    s->first_slow = sqlite3_column_int(st, first + 14);
}

static void
db_query_cell_row(sqlite3_stmt *st, struct db_cell *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    c->sweep_id = sqlite3_column_int64(st, 1);
    c->ref_id = sqlite3_column_int64(st, 2);
    int kind = db_run_kind_parse((const char *)sqlite3_column_text(st, 3));
    int state = db_state_parse((const char *)sqlite3_column_text(st, 8));
    CHECK(kind >= 0 && state >= 0);
    c->kind = (enum db_run_kind)kind;
    c->number = (long)sqlite3_column_int64(st, 4);
    c->ix = sqlite3_column_int(st, 5);
    c->iy = sqlite3_column_int(st, 6);
    c->iz = sqlite3_column_int(st, 7);
    c->state = (enum db_run_state)state;
    c->attempts = sqlite3_column_int(st, 9);
    c->config_hash = db_column_strdup(st, 10);
    c->error = db_column_strdup(st, 11);
    c->has_wall = sqlite3_column_type(st, 12) != SQLITE_NULL;
    if (c->has_wall)
        db_query_stats(st, 12, &c->wall);
    c->speedup = c->speedup_err = c->hit_rate = c->hit_rate_step = NAN;
    c->psnr = c->ssim = NAN;
}

/* Cells sorted by id, to find a cell from a param or result row. */
struct db_query_index {
    int64_t id;
    size_t pos;
};

static int
db_query_index_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct db_query_index *)a)->id;
    int64_t y = ((const struct db_query_index *)b)->id;
    return (x > y) - (x < y);
}

static struct db_cell *
db_query_index_find(const struct db_query_index *idx, size_t n, struct db_cell *cells,
                    int64_t id)
{
    struct db_query_index key = { .id = id };
    const struct db_query_index *hit = bsearch(&key, idx, n, sizeof *idx, db_query_index_cmp);
    return hit != NULL ? &cells[hit->pos] : NULL;
}

static void
db_query_kv_row(sqlite3_stmt *st, int first, struct db_kv *kv)
{
    kv->key = db_column_strdup(st, first);
    kv->text = db_column_strdup(st, first + 1);
    kv->num = db_column_double(st, first + 2);
}

static int
db_query_cell_params(struct db *db, const char *where, int64_t arg, struct db_cell *cells,
                     const struct db_query_index *idx, size_t n, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    char *sql = xasprintf("SELECT p.run_id, p.key, p.value_text, p.value_num FROM param p"
                          " JOIN run r ON r.id = p.run_id WHERE %s ORDER BY p.run_id, p.key",
                          where);
    if (db_prepare(db, sql, &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, arg);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct db_cell *c = db_query_index_find(idx, n, cells, sqlite3_column_int64(st, 0));
        CHECK(c != NULL);
        c->params = xrealloc(c->params, (c->nparams + 1) * sizeof *c->params);
        db_query_kv_row(st, 1, &c->params[c->nparams++]);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot read the runs' settings", cause);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    free(sql);
    return ret;
}

static void
db_query_cell_result(struct db_cell *c, const char *key, double value)
{
    static const char *const keys[] = {
        "speedup", "speedup_err", "hit_rate", "hit_rate_step", "psnr", "ssim",
    };
    double *slots[] = {
        &c->speedup, &c->speedup_err, &c->hit_rate, &c->hit_rate_step, &c->psnr, &c->ssim,
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (strcmp(keys[k], key) == 0)
            *slots[k] = value;
    }
}

static int
db_query_cell_results(struct db *db, const char *where, int64_t arg, struct db_cell *cells,
                      const struct db_query_index *idx, size_t n, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    char *sql = xasprintf("SELECT x.run_id, x.key, x.value FROM result x"
                          " JOIN run r ON r.id = x.run_id WHERE %s AND x.key IN ('speedup',"
                          " 'speedup_err', 'hit_rate', 'hit_rate_step', 'psnr', 'ssim')", where);
    if (db_prepare(db, sql, &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, arg);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct db_cell *c = db_query_index_find(idx, n, cells, sqlite3_column_int64(st, 0));
        CHECK(c != NULL);
        db_query_cell_result(c, (const char *)sqlite3_column_text(st, 1),
                             db_column_double(st, 2));
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot read the runs' results", cause);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    free(sql);
    return ret;
}

/* The runs matching where (an expression on run r with one integer parameter). */
static int
db_query_cells(struct db *db, const char *where, int64_t arg, struct db_cell **out, size_t *n,
               char **cause)
{
    sqlite3_stmt *st = NULL;
    struct db_cell *v = NULL;
    struct db_query_index *idx = NULL;
    size_t count = 0;
    int ret = -1, rc;
    char *sql = xasprintf(db_query_cell_sql, where);
    if (db_prepare(db, sql, &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, arg);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        v = xrealloc(v, (count + 1) * sizeof *v);
        db_query_cell_row(st, &v[count++]);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot list the runs", cause);
        goto out;
    }
    idx = xmalloc((count ? count : 1) * sizeof *idx);
    for (size_t i = 0; i < count; i++)
        idx[i] = (struct db_query_index){ .id = v[i].id, .pos = i };
    qsort(idx, count, sizeof *idx, db_query_index_cmp);
    if (db_query_cell_params(db, where, arg, v, idx, count, cause) != 0 ||
        db_query_cell_results(db, where, arg, v, idx, count, cause) != 0)
        goto out;
    *out = v;
    *n = count;
    v = NULL;
    count = 0;
    ret = 0;
out:
    db_cells_free(v, count);
    free(idx);
    sqlite3_finalize(st);
    free(sql);
    return ret;
}

int
db_cells_list(struct db *db, int64_t sweep_id, struct db_cell **out, size_t *n, char **cause)
{
    return db_query_cells(db, "r.sweep_id = ?", sweep_id, out, n, cause);
}

static void
db_query_kv_free(struct db_kv *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i].key);
        free(v[i].text);
    }
    free(v);
}

void
db_cell_release(struct db_cell *c)
{
    if (c == NULL)
        return;
    free(c->config_hash);
    free(c->error);
    db_query_kv_free(c->params, c->nparams);
    memset(c, 0, sizeof *c);
}

void
db_cells_free(struct db_cell *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        db_cell_release(&v[i]);
    free(v);
}

const char *
db_cell_param(const struct db_cell *c, const char *key)
{
    for (size_t i = 0; i < c->nparams; i++) {
        if (strcmp(c->params[i].key, key) == 0)
            return c->params[i].text;
    }
    return NULL;
}

/* ---- one run in full ---- */

static int
db_query_run_head(struct db *db, int64_t run_id, struct db_run_detail *d, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "SELECT s.name, r.started_ms, r.finished_ms, r.heartbeat_ms, r.env_id"
                   " FROM run r JOIN sweep s ON s.id = r.sweep_id WHERE r.id = ?", &st,
                   cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "cannot read the run", cause);
        goto out;
    }
    d->sweep_name = db_column_strdup(st, 0);
    d->started_ms = sqlite3_column_int64(st, 1);
    d->finished_ms = sqlite3_column_int64(st, 2);
    d->heartbeat_ms = sqlite3_column_int64(st, 3);
    d->env_id = sqlite3_column_int64(st, 4);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* key/text/num rows of one run: sql selects (key, text, num) with the run id as parameter. */
static int
db_query_run_kvs(struct db *db, int64_t run_id, const char *sql, struct db_kv **out,
                 size_t *n, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    if (db_prepare(db, sql, &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        db_query_kv_row(st, 0, &(*out)[(*n)++]);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot read the run's results", cause);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_query_run_summaries(struct db *db, int64_t run_id, struct db_run_detail *d, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    if (db_prepare(db, "SELECT key, n, mean, stddev, median, min, max, p5, p25, p75, p95, mad,"
                   " cv, outliers_tukey, outliers_z, first_slow FROM summary WHERE run_id = ?"
                   " ORDER BY key", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        d->summaries = xrealloc(d->summaries, (d->nsummaries + 1) * sizeof *d->summaries);
        struct db_summary_row *s = &d->summaries[d->nsummaries++];
        s->key = db_column_strdup(st, 0);
        db_query_stats(st, 1, &s->st);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot read the run's summaries", cause);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_query_run_samples(struct db *db, int64_t run_id, struct db_run_detail *d, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    if (db_prepare(db, "SELECT phase, rep, max(CASE key WHEN 'wall_ms' THEN value END),"
                   " max(CASE key WHEN 'calls_ms' THEN value END) FROM sample WHERE run_id = ?"
                   " GROUP BY phase, rep ORDER BY CASE phase WHEN 'compile' THEN 0"
                   " WHEN 'warmup' THEN 1 ELSE 2 END, rep", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        d->samples = xrealloc(d->samples, (d->nsamples + 1) * sizeof *d->samples);
        struct db_sample_row *s = &d->samples[d->nsamples++];
        int phase = db_phase_parse((const char *)sqlite3_column_text(st, 0));
        CHECK(phase >= 0);
        s->phase = (enum db_phase)phase;
        s->rep = sqlite3_column_int(st, 1);
        s->wall_ms = db_column_double(st, 2);
        s->calls_ms = db_column_double(st, 3);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot read the run's timings", cause);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_query_run_artifacts(struct db *db, int64_t run_id, struct db_run_detail *d, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    if (db_prepare(db, "SELECT a.kind, a.blob_hash, b.size, a.width, a.height FROM artifact a"
                   " JOIN blob b ON b.hash = a.blob_hash WHERE a.run_id = ? ORDER BY a.kind",
                   &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        d->artifacts = xrealloc(d->artifacts, (d->nartifacts + 1) * sizeof *d->artifacts);
        struct db_artifact_info *a = &d->artifacts[d->nartifacts++];
        a->kind = db_column_strdup(st, 0);
        a->hash = db_column_strdup(st, 1);
        a->size = (size_t)sqlite3_column_int64(st, 2);
        a->width = sqlite3_column_int(st, 3);
        a->height = sqlite3_column_int(st, 4);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot read the run's images", cause);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* The first measured repetition with call rows (else warm-up, else compile), in brief. */
static int
db_query_run_trace(struct db *db, int64_t run_id, struct db_trace_brief *b, char **cause)
{
    sqlite3_stmt *st = NULL;
    struct trace t;
    int ret = -1;
    trace_init(&t);
    if (db_prepare(db, "SELECT phase, rep FROM call WHERE run_id = ? GROUP BY phase, rep"
                   " ORDER BY CASE phase WHEN 'measure' THEN 0 WHEN 'warmup' THEN 1 ELSE 2 END,"
                   " rep LIMIT 1", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ret = 0;
        goto out;
    }
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "cannot read the run's trace", cause);
        goto out;
    }
    int phase = db_phase_parse((const char *)sqlite3_column_text(st, 0));
    CHECK(phase >= 0);
    b->phase = (enum db_phase)phase;
    b->rep = sqlite3_column_int(st, 1);
    if (db_run_calls(db, run_id, b->phase, b->rep, &t, cause) < 0)
        goto out;
    b->present = 1;
    b->calls = t.count;
    b->hits = trace_hits(&t);
    b->steps_hit = trace_steps_hit(&t, &b->steps);
    b->steps_hit_text = trace_steps_hit_text(&t);
    ret = 0;
out:
    trace_release(&t);
    sqlite3_finalize(st);
    return ret;
}

int
db_run_get(struct db *db, int64_t run_id, struct db_run_detail *out, char **cause)
{
    struct db_cell *cells = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    if (db_query_cells(db, "r.id = ?", run_id, &cells, &n, cause) != 0)
        return -1;
    if (n == 0) {
        free(cells);
        return 1;
    }
    out->run = cells[0];
    free(cells);
    if (db_query_run_head(db, run_id, out, cause) != 0 ||
        db_query_run_summaries(db, run_id, out, cause) != 0 ||
        db_query_run_kvs(db, run_id, "SELECT key, text, value FROM result WHERE run_id = ?"
                         " ORDER BY key", &out->results, &out->nresults, cause) != 0 ||
        (db->version >= 2 &&
         db_query_run_kvs(db, run_id, "SELECT key, value, NULL FROM tag WHERE run_id = ?"
                          " ORDER BY key", &out->tags, &out->ntags, cause) != 0) ||
        db_query_run_samples(db, run_id, out, cause) != 0 ||
        db_query_run_artifacts(db, run_id, out, cause) != 0 ||
        db_query_run_trace(db, run_id, &out->trace, cause) != 0) {
        db_run_detail_release(out);
        return -1;
    }
    return 0;
}

void
db_run_detail_release(struct db_run_detail *d)
{
    if (d == NULL)
        return;
    db_cell_release(&d->run);
    free(d->sweep_name);
    for (size_t i = 0; i < d->nsummaries; i++)
        free(d->summaries[i].key);
    free(d->summaries);
    db_query_kv_free(d->results, d->nresults);
    db_query_kv_free(d->tags, d->ntags);
    free(d->samples);
    for (size_t i = 0; i < d->nartifacts; i++) {
        free(d->artifacts[i].kind);
        free(d->artifacts[i].hash);
    }
    free(d->artifacts);
    free(d->trace.steps_hit_text);
    memset(d, 0, sizeof *d);
}

const struct db_kv *
db_run_result(const struct db_run_detail *d, const char *key)
{
    for (size_t i = 0; i < d->nresults; i++) {
        if (strcmp(d->results[i].key, key) == 0)
            return &d->results[i];
    }
    return NULL;
}

/* ---- call rows ---- */

static enum trace_reason
db_query_reason(const char *name)
{
    for (int r = 0; name != NULL && r < TRACE_REASON_COUNT; r++) {
        if (strcmp(trace_reason_name((enum trace_reason)r), name) == 0)
            return (enum trace_reason)r;
    }
    CHECK(!"unknown trace reason in the store");
    return TRACE_OFF;
}

int
db_run_calls(struct db *db, int64_t run_id, enum db_phase phase, int rep, struct trace *out,
             char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    size_t before = out->count;
    if (db_prepare(db, "SELECT step, call, seq, sigma, timestep, rel_l1, hit, reason, ms"
                   " FROM call WHERE run_id = ? AND phase = ? AND rep = ? ORDER BY idx", &st,
                   cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, db_phase_name(phase), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, rep);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct trace_record *r = trace_append(out);
        r->step = sqlite3_column_int(st, 0);
        r->call = sqlite3_column_int(st, 1);
        r->seq = sqlite3_column_int(st, 2);
        r->sigma = db_column_double(st, 3);
        r->timestep = db_column_double(st, 4);
        r->rel_l1 = db_column_double(st, 5);
        r->hit = sqlite3_column_int(st, 6);
        r->reason = db_query_reason((const char *)sqlite3_column_text(st, 7));
        r->ms = db_column_double(st, 8);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "cannot read the run's trace", cause);
        goto out;
    }
    ret = out->count > before ? 0 : 1;
out:
    sqlite3_finalize(st);
    return ret;
}
