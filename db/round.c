/*
 * round.c - the rounds of a reference group (schema 3; see store.h and db/schema.c).
 *
 * Each generation is committed on its own, with the round position it filled, so the store
 * always says which rounds are complete.  Only complete measured rounds (k >= 1) count: the
 * readers below join round_member to the sample and call rows of those rounds and nothing else,
 * so the rows of an abandoned round stay on record without entering any figure.
 */
#include "db/store_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* The plan as a JSON array of run ids, "[12,9,10]". */
static char *
db_round_plan_text(const int64_t *order, size_t n)
{
    size_t cap = 2 + n * 22, len = 0;
    char *s = xmalloc(cap);
    s[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "",
                                (long long)order[i]);
    snprintf(s + len, cap - len, "]");
    return s;
}

int
db_round_begin(struct db *db, const struct db_round_plan *plan, int64_t *round_id,
               char **cause)
{
    char *text = db_round_plan_text(plan->order, plan->n);
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, "INSERT INTO round(sweep_id, ref_id, k, session, seed, plan,"
                        " load_start, started_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)", &st, cause);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, plan->sweep_id);
        sqlite3_bind_int64(st, 2, plan->ref_id);
        sqlite3_bind_int(st, 3, plan->k);
        sqlite3_bind_int64(st, 4, plan->session);
        /* The seed is 64 bits; SQLite integers are signed, so it is stored as its two's
         * complement and read back the same way. */
        sqlite3_bind_int64(st, 5, (int64_t)plan->seed);
        db_bind_text(st, 6, text);
        db_bind_double(st, 7, plan->load_start);
        sqlite3_bind_int64(st, 8, db_now_ms());
        rc = db_step_done(db, st, "cannot store a round", cause);
        if (rc == 0)
            *round_id = sqlite3_last_insert_rowid(db->sql);
    }
    sqlite3_finalize(st);
    free(text);
    return rc;
}

int
db_round_add(struct db *db, int64_t round_id, int position, int64_t run_id,
             const struct db_rep *rep, char **cause)
{
    const struct db_arg args[] = { DB_INT(round_id), DB_INT(position), DB_INT(run_id),
                                   DB_TEXT(db_phase_name(rep->phase)), DB_INT(rep->rep) };
    if (db_begin(db, cause) != 0)
        return -1;
    int ok = db_write_rep(db, run_id, rep, cause) == 0 &&
             db_write(db, "INSERT INTO round_member(round_id, position, run_id, phase, rep)"
                      " VALUES(?, ?, ?, ?, ?)", args, DB_NARGS(args),
                      "cannot store a round's generation", NULL, cause) == 0;
    return db_end(db, ok, cause);
}

int
db_round_finish(struct db *db, int64_t round_id, double load_end, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "UPDATE round SET state = 'complete', load_end = ?, finished_ms = ?"
                   " WHERE id = ? AND state = 'running'", &st, cause) == 0) {
        db_bind_double(st, 1, load_end);
        sqlite3_bind_int64(st, 2, db_now_ms());
        sqlite3_bind_int64(st, 3, round_id);
        ret = db_step_done(db, st, "cannot complete a round", cause);
        if (ret == 0 && sqlite3_changes(db->sql) != 1)
            ret = err_set(cause, "round %lld in '%s' is not running", (long long)round_id,
                          db->path);
    }
    sqlite3_finalize(st);
    return ret;
}

int
db_round_abandon(struct db *db, int64_t ref_id, int *count, char **cause)
{
    const struct db_arg args[] = { DB_INT(db_now_ms()), DB_INT(ref_id) };
    return db_write(db, "UPDATE round SET state = 'abandoned', finished_ms = ?"
                    " WHERE ref_id = ? AND state = 'running'", args, DB_NARGS(args),
                    "cannot abandon the group's unfinished rounds", count, cause);
}

int
db_round_last(struct db *db, int64_t ref_id, int *k, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = db_query_one(db, "SELECT coalesce(max(k), 0) FROM round"
                           " WHERE ref_id = ? AND state = 'complete'", &DB_INT(ref_id), 1,
                           "cannot read the group's rounds", &st, cause);
    if (ret == 0)
        *k = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return ret;
}

int
db_rep_next(struct db *db, int64_t run_id, enum db_phase phase, int *rep, char **cause)
{
    const struct db_arg args[] = { DB_INT(run_id), DB_TEXT(db_phase_name(phase)) };
    sqlite3_stmt *st = NULL;
    int ret = db_query_one(db, "SELECT coalesce(max(rep) + 1, 0) FROM sample"
                           " WHERE run_id = ? AND phase = ?", args, DB_NARGS(args),
                           "cannot read the run's repetitions", &st, cause);
    if (ret == 0)
        *rep = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return ret;
}

/* ---- reading a group back ---- */

struct db_round_gens_ctx {
    struct db_round_gen *gens;
    size_t n, cap;
};

static void
db_round_gen_row(sqlite3_stmt *st, void *ctx)
{
    struct db_round_gens_ctx *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->gens = xrealloc(c->gens, c->cap * sizeof *c->gens);
    }
    struct db_round_gen *g = &c->gens[c->n++];
    memset(g, 0, sizeof *g);
    g->round_id = sqlite3_column_int64(st, 0);
    g->k = sqlite3_column_int(st, 1);
    g->position = sqlite3_column_int(st, 2);
    g->run_id = sqlite3_column_int64(st, 3);
    g->rep = sqlite3_column_int(st, 4);
    g->wall_ms = db_column_double(st, 5);
    g->calls_ms = db_column_double(st, 6);
    g->usage.cpu_s = sqlite3_column_double(st, 7) / 1e3;
    g->usage.nvcsw = sqlite3_column_int64(st, 8);
    g->usage.nivcsw = sqlite3_column_int64(st, 9);
    g->usage.minflt = sqlite3_column_int64(st, 10);
    g->usage.majflt = sqlite3_column_int64(st, 11);
    g->usage.wall_s = g->wall_ms / 1e3;
}

int
db_round_gens(struct db *db, int64_t ref_id, struct db_round_gen **gens, size_t *n,
              char **cause)
{
    struct db_round_gens_ctx c = {0};
    int ret = db_query_each(
        db, "SELECT r.id, r.k, m.position, m.run_id, m.rep,"
            " max(CASE s.key WHEN 'wall_ms' THEN s.value END),"
            " max(CASE s.key WHEN 'calls_ms' THEN s.value END),"
            " coalesce(max(CASE s.key WHEN 'cpu_ms' THEN s.value END), 0),"
            " coalesce(max(CASE s.key WHEN 'nvcsw' THEN s.value END), 0),"
            " coalesce(max(CASE s.key WHEN 'nivcsw' THEN s.value END), 0),"
            " coalesce(max(CASE s.key WHEN 'minflt' THEN s.value END), 0),"
            " coalesce(max(CASE s.key WHEN 'majflt' THEN s.value END), 0)"
            " FROM round r JOIN round_member m ON m.round_id = r.id"
            " JOIN sample s ON s.run_id = m.run_id AND s.phase = m.phase AND s.rep = m.rep"
            " WHERE r.ref_id = ? AND r.state = 'complete' AND r.k > 0"
            " AND m.phase = 'measure'"
            " GROUP BY r.id, m.position ORDER BY r.k, r.id, m.position",
        &DB_INT(ref_id), 1, "cannot read the group's rounds", db_round_gen_row, &c, cause);
    if (ret != 0) {
        free(c.gens);
        return -1;
    }
    *gens = c.gens;
    *n = c.n;
    return 0;
}

struct db_round_ms_ctx {
    double *ms;
    size_t n, cap;
};

static void
db_round_ms_row(sqlite3_stmt *st, void *ctx)
{
    struct db_round_ms_ctx *c = ctx;
    if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->ms = xrealloc(c->ms, c->cap * sizeof *c->ms);
    }
    c->ms[c->n++] = sqlite3_column_double(st, 0);
}

int
db_round_call_ms(struct db *db, int64_t ref_id, int64_t run_id, int hit, double **ms,
                 size_t *n, char **cause)
{
    const struct db_arg args[] = { DB_INT(ref_id), DB_INT(run_id), DB_INT(hit != 0) };
    struct db_round_ms_ctx c = {0};
    int ret = db_query_each(
        db, "SELECT c.ms FROM round r JOIN round_member m ON m.round_id = r.id"
            " JOIN call c ON c.run_id = m.run_id AND c.phase = m.phase AND c.rep = m.rep"
            " WHERE r.ref_id = ?1 AND r.state = 'complete' AND r.k > 0"
            " AND m.phase = 'measure' AND m.run_id = ?2 AND c.hit = ?3",
        args, DB_NARGS(args), "cannot read the group's model calls", db_round_ms_row, &c,
        cause);
    if (ret != 0) {
        free(c.ms);
        return -1;
    }
    *ms = c.ms;
    *n = c.n;
    return 0;
}

int
db_round_judge(struct db *db, const struct db_round_gen *gens, const int *flags, size_t n,
               char **cause)
{
    sqlite3_stmt *sample = NULL, *reset = NULL, *vote = NULL;
    if (db_begin(db, cause) != 0)
        return -1;
    int ok = db_prepare(db, "INSERT OR REPLACE INTO sample(run_id, phase, rep, key, value)"
                        " VALUES(?, 'measure', ?, 'disturbed', ?)", &sample, cause) == 0 &&
             db_prepare(db, "UPDATE round SET disturbed = 0 WHERE id = ?", &reset,
                        cause) == 0 &&
             db_prepare(db, "UPDATE round SET disturbed = 1 WHERE id = ?", &vote, cause) == 0;
    /* Every round is reset before its generations vote, so a group judged again (after
     * replacement rounds, with new medians) keeps no stale verdict. */
    for (size_t i = 0; ok && i < n; i++) {
        sqlite3_bind_int64(reset, 1, gens[i].round_id);
        ok = db_step_done(db, reset, "cannot judge the rounds", cause) == 0;
    }
    for (size_t i = 0; ok && i < n; i++) {
        sqlite3_bind_int64(sample, 1, gens[i].run_id);
        sqlite3_bind_int(sample, 2, gens[i].rep);
        sqlite3_bind_int(sample, 3, flags[i] != 0);
        ok = db_step_done(db, sample, "cannot judge the rounds", cause) == 0;
        if (ok && flags[i]) {
            sqlite3_bind_int64(vote, 1, gens[i].round_id);
            ok = db_step_done(db, vote, "cannot judge the rounds", cause) == 0;
        }
    }
    sqlite3_finalize(sample);
    sqlite3_finalize(reset);
    sqlite3_finalize(vote);
    return db_end(db, ok, cause);
}
