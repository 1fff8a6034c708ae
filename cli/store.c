/*
 * store.c - what `fbw runs`, `fbw show` and `fbw export` share (see cli.h): their options,
 * opening the store read-only (so that they work while a sweep is writing it), finding a
 * sweep, and reporting a failed read.
 */
#include "cli/cli.h"

#include <stdlib.h>

#include "db/query.h"
#include "db/store.h"
#include "util/err.h"

int
cli_store_option(void *ctx, int id, const char *flag, const char *v)
{
    struct cli_store_opts *o = ctx;
    (void)flag;
    switch (id) {
    case CLI_STORE_DB: o->db = v; return 0;
    case CLI_STORE_SWEEP: o->sweep = v; return 0;
    case CLI_STORE_FORMAT: o->format = v; return 0;
    case CLI_STORE_OUT: o->out = v; return 0;
    default: return -1;
    }
}

struct db *
cli_store_open(const struct cli_store_opts *o)
{
    struct db *db = NULL;
    char *cause = NULL;
    if (db_open_readonly(o->db, &db, &cause) < 0) {
        cli_fail("%s", cause);
        free(cause);
    }
    return db;
}

int
cli_store_sweep(struct db *db, const struct cli_store_opts *o, struct db_sweep_info *s)
{
    char *cause = NULL;
    int rc = o->sweep != NULL ? db_sweep_find(db, o->sweep, s, &cause)
                              : db_sweep_latest(db, s, &cause);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        cli_fail("%s", cause);
        free(cause);
    } else if (o->sweep != NULL) {
        cli_fail("no sweep '%s' in %s (see `fbw runs --db %s`)", o->sweep, o->db, o->db);
    } else {
        cli_fail("%s holds no sweep yet (run `fbw sweep` first)", o->db);
    }
    return EXIT_RUNTIME;
}

/* cause is passed by address: it is set by the call that computed rc. */
int
cli_store_done(int rc, char **cause)
{
    if (rc < 0) {
        cli_fail("%s", *cause);
        free(*cause);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
