/*
 * query.c - the read side of the store (see query.h): sweeps with run counts, a sweep's cells,
 * one run in full, a run's call rows.
 *
 * Every query is a plain SELECT on the caller's connection, outside any explicit transaction,
 * so with WAL it reads the last committed state and never waits for the runner.  A sweep's cells
 * are read with three statements (runs with their wall_ms summary, every param, the key
 * results) rather than one per cell, and matched to their cell by id through a sorted index:
 * a 10 000-cell sweep stays three scans.  Most reads are one statement whose rows a small
 * function takes in turn (db_query_each), so each reader says only what a row means.
 */
#include "db/query.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "db/store_impl.h"
#include "util/err.h"

/* db_query_each with one integer parameter on the SQL that fmt makes with where for its %s. */
static int
db_query_where(struct db *db, const char *fmt, const char *where, int64_t arg, const char *what,
               void (*row)(sqlite3_stmt *st, void *ctx), void *ctx, char **cause)
{
    const struct db_arg args[] = { DB_INT(arg) };
    char *sql = xasprintf(fmt, where);
    int ret = db_query_each(db, sql, args, DB_NARGS(args), what, row, ctx, cause);
    free(sql);
    return ret;
}

/* Appends a key/text/num row read from columns first.. to the array *v of *n. */
static void
db_query_kv_push(sqlite3_stmt *st, int first, struct db_kv **v, size_t *n)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    struct db_kv *kv = &(*v)[(*n)++];
    kv->key = db_column_strdup(st, first);
    kv->text = db_column_strdup(st, first + 1);
    kv->num = db_column_double(st, first + 2);
}

static const struct db_kv *
db_query_kv_find(const struct db_kv *v, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].key, key) == 0)
            return &v[i];
    }
    return NULL;
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

/* ---- sweeps ---- */

static const char db_query_sweep_sql[] =
    "SELECT s.id, s.name, s.spec, s.status, s.created_ms, s.updated_ms,"
    " coalesce(sum(r.kind = 'cell'), 0), coalesce(sum(r.kind = 'reference'), 0),"
    " coalesce(sum(r.state = 'waiting'), 0), coalesce(sum(r.state = 'running'), 0),"
    " coalesce(sum(r.state = 'complete'), 0), coalesce(sum(r.state = 'failed'), 0)"
    " FROM sweep s LEFT JOIN run r ON r.sweep_id = s.id ";

/* Sweeps being read (db_query_sweeps). */
struct db_query_sweepset {
    struct db_sweep_info *v;
    size_t n;
};

static void
db_query_sweep_row(sqlite3_stmt *st, void *ctx)
{
    struct db_query_sweepset *set = ctx;
    set->v = xrealloc(set->v, (set->n + 1) * sizeof *set->v);
    struct db_sweep_info *s = &set->v[set->n++];
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

/* Sweeps selected by tail, a WHERE/GROUP/ORDER suffix with one parameter arg, or none (NULL). */
static int
db_query_sweeps(struct db *db, const char *tail, const struct db_arg *arg,
                struct db_sweep_info **out, size_t *n, char **cause)
{
    struct db_query_sweepset set = { 0 };
    char *sql = xasprintf("%s%s", db_query_sweep_sql, tail);
    int ret = db_query_each(db, sql, arg, arg != NULL, "cannot list the sweeps", db_query_sweep_row,
                            &set, cause);
    if (ret == 0) {
        *out = set.v;
        *n = set.n;
    } else {
        db_sweep_list_free(set.v, set.n);
    }
    free(sql);
    return ret;
}

int
db_sweep_list(struct db *db, struct db_sweep_info **out, size_t *n, char **cause)
{
    return db_query_sweeps(db, "GROUP BY s.id ORDER BY s.id", NULL, out, n, cause);
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
db_query_sweep_one(struct db *db, const char *tail, const struct db_arg *arg,
                   struct db_sweep_info *out, char **cause)
{
    struct db_sweep_info *v = NULL;
    size_t n = 0;
    if (db_query_sweeps(db, tail, arg, &v, &n, cause) != 0)
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
    int found = db_query_sweep_one(db, "WHERE s.name = ? GROUP BY s.id", &DB_TEXT(which), out,
                                   cause);
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
    return db_query_sweep_one(db, "WHERE s.id = ? GROUP BY s.id", &DB_INT(id), out, cause);
}

int
db_sweep_latest(struct db *db, struct db_sweep_info *out, char **cause)
{
    return db_query_sweep_one(db, "GROUP BY s.id ORDER BY s.created_ms DESC, s.id DESC LIMIT 1",
                              NULL, out, cause);
}

int
db_store_count(struct db *db, struct db_store_counts *out, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = db_query_one(db, "SELECT (SELECT count(*) FROM sweep), (SELECT count(*) FROM run),"
                           " (SELECT count(*) FROM blob), (SELECT coalesce(sum(size), 0)"
                           " FROM blob)", NULL, 0, "cannot count the store's rows", &st, cause);
    if (ret == 0) {
        out->sweeps = (long)sqlite3_column_int64(st, 0);
        out->runs = (long)sqlite3_column_int64(st, 1);
        out->blobs = (long)sqlite3_column_int64(st, 2);
        out->blob_bytes = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return ret;
}

/* ---- cells ---- */

/* The three statements of db_query_cells; %s is a condition on run r with one parameter. */
static const char db_query_cell_sql[] =
    "SELECT r.id, r.sweep_id, r.ref_id, r.kind, r.number, r.ix, r.iy, r.iz, r.state,"
    " r.attempts, r.config_hash, r.error,"
    " s.n, s.mean, s.stddev, s.median, s.min, s.max, s.p5, s.p25, s.p75, s.p95, s.mad, s.cv,"
    " s.outliers_tukey, s.outliers_z, s.first_slow"
    " FROM run r LEFT JOIN summary s ON s.run_id = r.id AND s.key = 'wall_ms'"
    " WHERE %s ORDER BY r.kind = 'reference', r.number, r.id";
static const char db_query_param_sql[] =
    "SELECT p.run_id, p.key, p.value_text, p.value_num FROM param p"
    " JOIN run r ON r.id = p.run_id WHERE %s ORDER BY p.run_id, p.key";
static const char db_query_result_sql[] =
    "SELECT x.run_id, x.key, x.value FROM result x JOIN run r ON r.id = x.run_id"
    " WHERE %s AND x.key IN (%s)";

/* The key results a struct db_cell carries: the result key and its field. */
static const struct db_query_key {
    const char *key;
    size_t offset;
} db_query_keys[] = {
#define DB_QUERY_KEY(name) { #name, offsetof(struct db_cell, name) }
    DB_QUERY_KEY(speedup), DB_QUERY_KEY(speedup_err), DB_QUERY_KEY(speedup_lo),
    DB_QUERY_KEY(speedup_hi), DB_QUERY_KEY(speedup_coverage), DB_QUERY_KEY(rounds),
    DB_QUERY_KEY(rounds_disturbed), DB_QUERY_KEY(time_speedup), DB_QUERY_KEY(flop_speedup),
    DB_QUERY_KEY(efficiency), DB_QUERY_KEY(model_stray), DB_QUERY_KEY(hit_rate),
    DB_QUERY_KEY(hit_rate_step), DB_QUERY_KEY(psnr), DB_QUERY_KEY(ssim),
#undef DB_QUERY_KEY
};
#define DB_QUERY_NKEYS (sizeof db_query_keys / sizeof db_query_keys[0])

static double *
db_query_key_slot(struct db_cell *c, size_t k)
{
    return (double *)((char *)c + db_query_keys[k].offset);
}

/* A cell's position by id, to find it from a param or result row. */
struct db_query_index {
    int64_t id;
    size_t pos;
};

/* The runs being read, and once they all are, their index sorted by id. */
struct db_query_cellset {
    struct db_cell *v;
    size_t n;
    struct db_query_index *idx;
};

static void
db_query_cell_row(sqlite3_stmt *st, struct db_cell *c)
{
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    c->sweep_id = sqlite3_column_int64(st, 1);
    c->ref_id = sqlite3_column_int64(st, 2);
    c->kind = db_column_kind(st, 3);
    c->number = (long)sqlite3_column_int64(st, 4);
    c->ix = sqlite3_column_int(st, 5);
    c->iy = sqlite3_column_int(st, 6);
    c->iz = sqlite3_column_int(st, 7);
    c->state = db_column_state(st, 8);
    c->attempts = sqlite3_column_int(st, 9);
    c->config_hash = db_column_strdup(st, 10);
    c->error = db_column_strdup(st, 11);
    c->has_wall = sqlite3_column_type(st, 12) != SQLITE_NULL;
    if (c->has_wall)
        db_column_stats(st, 12, &c->wall);
    for (size_t k = 0; k < DB_QUERY_NKEYS; k++)
        *db_query_key_slot(c, k) = NAN;
}

static void
db_query_cell_append(sqlite3_stmt *st, void *ctx)
{
    struct db_query_cellset *set = ctx;
    set->v = xrealloc(set->v, (set->n + 1) * sizeof *set->v);
    db_query_cell_row(st, &set->v[set->n++]);
}

static int
db_query_index_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct db_query_index *)a)->id;
    int64_t y = ((const struct db_query_index *)b)->id;
    return (x > y) - (x < y);
}

static void
db_query_cellset_index(struct db_query_cellset *set)
{
    set->idx = xmalloc((set->n ? set->n : 1) * sizeof *set->idx);
    for (size_t i = 0; i < set->n; i++)
        set->idx[i] = (struct db_query_index){ .id = set->v[i].id, .pos = i };
    qsort(set->idx, set->n, sizeof *set->idx, db_query_index_cmp);
}

/* The cell of the run id in column 0; the rows come from the same runs, so it is there. */
static struct db_cell *
db_query_cellset_find(struct db_query_cellset *set, sqlite3_stmt *st)
{
    struct db_query_index key = { .id = sqlite3_column_int64(st, 0) };
    const struct db_query_index *hit = bsearch(&key, set->idx, set->n, sizeof *set->idx,
                                               db_query_index_cmp);
    CHECK(hit != NULL);
    return &set->v[hit->pos];
}

static void
db_query_cell_param(sqlite3_stmt *st, void *ctx)
{
    struct db_cell *c = db_query_cellset_find(ctx, st);
    db_query_kv_push(st, 1, &c->params, &c->nparams);
}

static void
db_query_cell_result(sqlite3_stmt *st, void *ctx)
{
    struct db_cell *c = db_query_cellset_find(ctx, st);
    const char *key = (const char *)sqlite3_column_text(st, 1);
    for (size_t k = 0; k < DB_QUERY_NKEYS; k++) {
        if (strcmp(db_query_keys[k].key, key) == 0)
            *db_query_key_slot(c, k) = db_column_double(st, 2);
    }
}

/* db_query_result_sql with the key list filled in, its %s for the condition kept (allocated). */
static char *
db_query_result_keys(void)
{
    char *list = xstrdup("");
    for (size_t k = 0; k < DB_QUERY_NKEYS; k++) {
        char *old = list;
        list = xasprintf("%s%s'%s'", old, k ? ", " : "", db_query_keys[k].key);
        free(old);
    }
    char *sql = xasprintf(db_query_result_sql, "%s", list);
    free(list);
    return sql;
}

/* The runs matching where (an expression on run r with one integer parameter). */
static int
db_query_cells(struct db *db, const char *where, int64_t arg, struct db_cell **out, size_t *n,
               char **cause)
{
    struct db_query_cellset set = { 0 };
    char *result_sql = db_query_result_keys();
    int ret = -1;
    if (db_query_where(db, db_query_cell_sql, where, arg, "cannot list the runs",
                       db_query_cell_append, &set, cause) != 0)
        goto out;
    db_query_cellset_index(&set);
    if (db_query_where(db, db_query_param_sql, where, arg, "cannot read the runs' settings",
                       db_query_cell_param, &set, cause) != 0 ||
        db_query_where(db, result_sql, where, arg, "cannot read the runs' results",
                       db_query_cell_result, &set, cause) != 0)
        goto out;
    *out = set.v;
    *n = set.n;
    set.v = NULL;
    set.n = 0;
    ret = 0;
out:
    db_cells_free(set.v, set.n);
    free(set.idx);
    free(result_sql);
    return ret;
}

int
db_cells_list(struct db *db, int64_t sweep_id, struct db_cell **out, size_t *n, char **cause)
{
    return db_query_cells(db, "r.sweep_id = ?", sweep_id, out, n, cause);
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
    const struct db_kv *kv = db_query_kv_find(c->params, c->nparams, key);
    return kv != NULL ? kv->text : NULL;
}

/* ---- one run in full ---- */

static int
db_query_run_head(struct db *db, int64_t run_id, struct db_run_detail *d, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = db_query_one(db, "SELECT s.name, r.started_ms, r.finished_ms, r.heartbeat_ms,"
                           " r.env_id FROM run r JOIN sweep s ON s.id = r.sweep_id"
                           " WHERE r.id = ?", &DB_INT(run_id), 1, "cannot read the run", &st,
                           cause);
    if (ret == 0) {
        d->sweep_name = db_column_strdup(st, 0);
        d->started_ms = sqlite3_column_int64(st, 1);
        d->finished_ms = sqlite3_column_int64(st, 2);
        d->heartbeat_ms = sqlite3_column_int64(st, 3);
        d->env_id = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    return ret;
}

/* The row readers of db_query_run_parts; ctx is the struct db_run_detail being filled. */

static void
db_query_summary_row(sqlite3_stmt *st, void *ctx)
{
    struct db_run_detail *d = ctx;
    d->summaries = xrealloc(d->summaries, (d->nsummaries + 1) * sizeof *d->summaries);
    struct db_summary_row *s = &d->summaries[d->nsummaries++];
    s->key = db_column_strdup(st, 0);
    db_column_stats(st, 1, &s->st);
}

static void
db_query_result_row(sqlite3_stmt *st, void *ctx)
{
    struct db_run_detail *d = ctx;
    db_query_kv_push(st, 0, &d->results, &d->nresults);
}

static void
db_query_tag_row(sqlite3_stmt *st, void *ctx)
{
    struct db_run_detail *d = ctx;
    db_query_kv_push(st, 0, &d->tags, &d->ntags);
}

static void
db_query_sample_row(sqlite3_stmt *st, void *ctx)
{
    struct db_run_detail *d = ctx;
    d->samples = xrealloc(d->samples, (d->nsamples + 1) * sizeof *d->samples);
    struct db_sample_row *s = &d->samples[d->nsamples++];
    s->phase = db_column_phase(st, 0);
    s->rep = sqlite3_column_int(st, 1);
    s->wall_ms = db_column_double(st, 2);
    s->calls_ms = db_column_double(st, 3);
    s->peak_device_bytes = db_column_double(st, 4);
    double *const counters[6] = { &s->cpu_ms, &s->nvcsw, &s->nivcsw, &s->minflt, &s->majflt,
                                  &s->disturbed };
    for (int k = 0; k < 6; k++)
        *counters[k] = db_column_double(st, 5 + k);
}

static void
db_query_artifact_row(sqlite3_stmt *st, void *ctx)
{
    struct db_run_detail *d = ctx;
    d->artifacts = xrealloc(d->artifacts, (d->nartifacts + 1) * sizeof *d->artifacts);
    struct db_artifact_info *a = &d->artifacts[d->nartifacts++];
    a->kind = db_column_strdup(st, 0);
    a->hash = db_column_strdup(st, 1);
    a->size = (size_t)sqlite3_column_int64(st, 2);
    a->width = sqlite3_column_int(st, 3);
    a->height = sqlite3_column_int(st, 4);
}

/* The parts of a run's detail that are lists, each one statement taking the run id. */
static const struct db_query_part {
    int since;                  /* the schema version that has the table */
    const char *sql;
    const char *what;
    void (*row)(sqlite3_stmt *st, void *ctx);
} db_query_run_parts[] = {
    { 1, "SELECT key, " DB_STATS_COLUMNS " FROM summary WHERE run_id = ? ORDER BY key",
      "cannot read the run's summaries", db_query_summary_row },
    { 1, "SELECT key, text, value FROM result WHERE run_id = ? ORDER BY key",
      "cannot read the run's results", db_query_result_row },
    { 2, "SELECT key, value, NULL FROM tag WHERE run_id = ? ORDER BY key",
      "cannot read the run's results", db_query_tag_row },
    { 1, "SELECT phase, rep, max(CASE key WHEN 'wall_ms' THEN value END),"
         " max(CASE key WHEN 'calls_ms' THEN value END),"
         " max(CASE key WHEN 'peak_device_bytes' THEN value END),"
         " max(CASE key WHEN 'cpu_ms' THEN value END), max(CASE key WHEN 'nvcsw' THEN value END),"
         " max(CASE key WHEN 'nivcsw' THEN value END),"
         " max(CASE key WHEN 'minflt' THEN value END),"
         " max(CASE key WHEN 'majflt' THEN value END),"
         " max(CASE key WHEN 'disturbed' THEN value END) FROM sample WHERE run_id = ?"
         " GROUP BY phase, rep ORDER BY CASE phase WHEN 'compile' THEN 0"
         " WHEN 'warmup' THEN 1 ELSE 2 END, rep",
      "cannot read the run's timings", db_query_sample_row },
    { 1, "SELECT a.kind, a.blob_hash, b.size, a.width, a.height FROM artifact a"
         " JOIN blob b ON b.hash = a.blob_hash WHERE a.run_id = ? ORDER BY a.kind",
      "cannot read the run's images", db_query_artifact_row },
};

/* Fills the brief from the call rows of its repetition (b->phase, b->rep). */
static int
db_query_trace_brief(struct db *db, int64_t run_id, struct db_trace_brief *b, char **cause)
{
    struct trace t;
    trace_init(&t);
    int ret = db_run_calls(db, run_id, b->phase, b->rep, &t, cause) < 0 ? -1 : 0;
    if (ret == 0) {
        b->present = 1;
        b->calls = t.count;
        b->hits = trace_hits(&t);
        b->steps_hit = trace_steps_hit(&t, &b->steps);
        b->steps_hit_text = trace_steps_hit_text(&t);
    }
    trace_release(&t);
    return ret;
}

/* The first measured repetition with call rows (else warm-up, else compile), in brief. */
static int
db_query_run_trace(struct db *db, int64_t run_id, struct db_trace_brief *b, char **cause)
{
    sqlite3_stmt *st = NULL;
    int found = db_query_row(db, "SELECT phase, rep FROM call WHERE run_id = ?"
                             " GROUP BY phase, rep ORDER BY CASE phase WHEN 'measure' THEN 0"
                             " WHEN 'warmup' THEN 1 ELSE 2 END, rep LIMIT 1", &DB_INT(run_id),
                             1, "cannot read the run's trace", &st, cause);
    if (found == 0) {
        b->phase = db_column_phase(st, 0);
        b->rep = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (found != 0)
        return found < 0 ? -1 : 0;  /* no call rows: b->present stays 0 */
    return db_query_trace_brief(db, run_id, b, cause);
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
    if (db_query_run_head(db, run_id, out, cause) != 0)
        goto fail;
    for (size_t i = 0; i < sizeof db_query_run_parts / sizeof db_query_run_parts[0]; i++) {
        const struct db_query_part *p = &db_query_run_parts[i];
        if (db->version >= p->since &&
            db_query_each(db, p->sql, &DB_INT(run_id), 1, p->what, p->row, out, cause) != 0)
            goto fail;
    }
    if (db_query_run_trace(db, run_id, &out->trace, cause) != 0)
        goto fail;
    return 0;
fail:
    db_run_detail_release(out);
    return -1;
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
    return db_query_kv_find(d->results, d->nresults, key);
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

static void
db_query_call_row(sqlite3_stmt *st, void *ctx)
{
    struct trace_record *r = trace_append(ctx);
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

int
db_run_calls(struct db *db, int64_t run_id, enum db_phase phase, int rep, struct trace *out,
             char **cause)
{
    const struct db_arg args[] = { DB_INT(run_id), DB_TEXT(db_phase_name(phase)), DB_INT(rep) };
    size_t before = out->count;
    if (db_query_each(db, "SELECT step, call, seq, sigma, timestep, rel_l1, hit, reason, ms"
                      " FROM call WHERE run_id = ? AND phase = ? AND rep = ? ORDER BY idx",
                      args, DB_NARGS(args), "cannot read the run's trace", db_query_call_row,
                      out, cause) != 0)
        return -1;
    return out->count > before ? 0 : 1;
}
