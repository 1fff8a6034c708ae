/*
 * editor_screen.c - the sweep editor's model and input: a form of fields (name, X/Y/Z axes in
 * the command line's KNOB=VALUES grammar, repetitions, and one fixed value per knob), checked
 * on every keystroke through bench/spec (so errors read exactly as `fbw sweep` prints them,
 * with the closest valid name), the cell count, the model calls and an estimated time, and
 * the actions: run, save, load, starter.  editor_screen_draw.c draws it.
 *
 * The spec in struct tui_editor is rebuilt from the fields' text after every change; it is
 * what F6 runs and F7 saves, as canonical JSON.  The estimate times a short generation of the
 * first cell (runner_calibrate) in a background job, again only when the model or cfg change.
 */
#include "tui/tui_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/runner.h"
#include "core/sampler.h"
#include "core/scheduler.h"
#include "util/err.h"

#define TUI_EDITOR_F_NAME 0
#define TUI_EDITOR_F_AXIS 1
#define TUI_EDITOR_F_REPEAT (TUI_EDITOR_F_AXIS + SWEEP_AXIS_COUNT)
#define TUI_EDITOR_F_WARMUP (TUI_EDITOR_F_REPEAT + 1)
#define TUI_EDITOR_F_KNOB (TUI_EDITOR_F_WARMUP + 1)

/* The starter sweep: FBCache's threshold against two schedulers on the default model. */
static const struct { int field; const char *text; } tui_editor_starter_fields[] = {
    {TUI_EDITOR_F_NAME, "starter"},
    {TUI_EDITOR_F_AXIS + SWEEP_X, "threshold=0.05, 0.1, 0.2"},
    {TUI_EDITOR_F_AXIS + SWEEP_Y, "scheduler=simple,karras"},
    {TUI_EDITOR_F_REPEAT, "10"},        /* the default: enough rounds for a 95% interval */
    {TUI_EDITOR_F_KNOB + SWEEP_KNOB_STEPS, "30"},
    {TUI_EDITOR_F_KNOB + SWEEP_KNOB_CFG, "3"},
};

static void
tui_editor_set_error(struct tui_field *f, char *cause)
{
    free(f->error);
    f->error = cause;
}

static enum tui_field_kind
tui_editor_kind_of(int i)
{
    if (i == TUI_EDITOR_F_NAME)
        return TUI_FIELD_NAME;
    if (i < TUI_EDITOR_F_REPEAT)
        return TUI_FIELD_AXIS;
    if (i == TUI_EDITOR_F_REPEAT)
        return TUI_FIELD_REPEAT;
    return i == TUI_EDITOR_F_WARMUP ? TUI_FIELD_WARMUP : TUI_FIELD_KNOB;
}

/* A field's text before any editing: spec.h's defaults (the model: --model's, if given). */
static const char *
tui_editor_default_text(const struct tui *t, const struct tui_field *f, char *buf, size_t n)
{
    struct sweep_spec d;
    sweep_spec_init(&d);
    snprintf(buf, n, "%d", f->kind == TUI_FIELD_REPEAT ? d.repeat : d.warmup);
    sweep_spec_release(&d);
    switch (f->kind) {
    case TUI_FIELD_REPEAT: case TUI_FIELD_WARMUP: return buf;
    case TUI_FIELD_KNOB:
        return f->index == SWEEP_KNOB_MODEL ? t->model : sweep_knob_info(f->index)->default_text;
    default: return "";
    }
}

static void
tui_editor_defaults(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    for (int i = 0; i < TUI_EDITOR_FIELDS; i++) {
        struct tui_field *f = &e->fields[i];
        tui_editor_set_error(f, NULL);
        f->kind = tui_editor_kind_of(i);
        f->index = i < TUI_EDITOR_F_REPEAT ? i - TUI_EDITOR_F_AXIS : i - TUI_EDITOR_F_KNOB;
        char num[32];
        tui_line_set(&f->line, tui_editor_default_text(t, f, num, sizeof num));
    }
}

/* ---- checking -------------------------------------------------------------------------------- */

/* Text without surrounding blanks, in buf. */
static const char *
tui_editor_trim(const char *s, char *buf, size_t n)
{
    while (*s == ' ')
        s++;
    snprintf(buf, n, "%s", s);
    for (size_t len = strlen(buf); len > 0 && buf[len - 1] == ' ';)
        buf[--len] = '\0';
    return buf;
}

static void
tui_editor_check_axes(struct tui_editor *e)
{
    char buf[TUI_LINE_MAX], *cause = NULL;
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++) {
        struct tui_field *f = &e->fields[TUI_EDITOR_F_AXIS + a];
        if (*tui_editor_trim(f->line.text, buf, sizeof buf) == '\0')
            continue;
        if (sweep_spec_set_axis(&e->spec, (enum sweep_axis_id)a, buf, &cause) < 0)
            tui_editor_set_error(f, cause);
    }
}

static int
tui_editor_int(struct tui_field *f, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(f->line.text, &end, 10);
    while (*end == ' ')
        end++;
    if (end == f->line.text || *end != '\0' || v < lo || v > hi) {
        tui_editor_set_error(f, xasprintf("expected a whole number from %d to %d", lo, hi));
        return -1;
    }
    *out = (int)v;
    return 0;
}

static void
tui_editor_check_fixed(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    char buf[TUI_LINE_MAX], *cause = NULL;
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
        struct tui_field *f = &e->fields[TUI_EDITOR_F_KNOB + k];
        f->on_axis = 0;
        for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
            if (e->spec.axes[a].knob == k)
                f->on_axis = a + 1;
        tui_editor_trim(f->line.text, buf, sizeof buf);
        if (f->on_axis || buf[0] == '\0') {
            if (k == SWEEP_KNOB_MODEL && !f->on_axis && t->default_model == NULL)
                tui_editor_set_error(f, xstrdup("no model: give a path (no models/default."
                                                "safetensors beside fbw)"));
            continue;
        }
        if (sweep_spec_set_fixed(&e->spec, sweep_knob_info(k)->name, buf, &cause) < 0)
            tui_editor_set_error(f, cause);
        else if (k == SWEEP_KNOB_MODEL && access(buf, R_OK) != 0)
            tui_editor_set_error(f, xasprintf("cannot read '%s': %s", buf, strerror(errno)));
    }
}

/* Cells, shared references and model calls of the expanded spec (as `fbw sweep --dry-run`). */
static void
tui_editor_count(struct tui_editor *e, const struct sweep_cell *cells, size_t n)
{
    double per_run = 1 + e->spec.warmup + e->spec.repeat;
    e->cells = n;
    e->refs = 0;
    e->calls = 0;
    for (size_t i = 0; i < n; i++) {
        const struct sampler *s = sampler_find(sweep_cell_text(&cells[i], SWEEP_KNOB_SAMPLER));
        double c = per_run * sweep_cell_num(&cells[i], SWEEP_KNOB_STEPS) *
                   (s ? s->calls_per_step : 1);
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(cells[j].ref_hash, cells[i].ref_hash) == 0;
        e->refs += !seen;
        e->calls += c * (seen ? 1 : 2);
    }
}

static int
tui_editor_fields_ok(const struct tui_editor *e)
{
    for (int i = 0; i < TUI_EDITOR_FIELDS; i++)
        if (e->fields[i].error != NULL)
            return 0;
    return 1;
}

/* Each cell's state in the store, by grid position, for the preview's grid. */
static void
tui_editor_cell_states(struct tui_editor *e, struct db *db, int64_t sweep_id)
{
    struct db_cell *cells;
    size_t n, nx = 1, ny = 1;
    if (e->cells == 0 || db_cells_list(db, sweep_id, &cells, &n, NULL) < 0)
        return;
    if (e->spec.axes[SWEEP_X].knob >= 0)
        nx = e->spec.axes[SWEEP_X].count;
    if (e->spec.axes[SWEEP_Y].knob >= 0)
        ny = e->spec.axes[SWEEP_Y].count;
    e->cell_state = xcalloc(e->cells, 1);
    for (size_t i = 0; i < n; i++) {
        size_t at = (size_t)cells[i].ix + nx * ((size_t)cells[i].iy + ny * (size_t)cells[i].iz);
        if (cells[i].kind == DB_RUN_CELL && cells[i].ix >= 0 && at < e->cells)
            e->cell_state[at] = (unsigned char)(cells[i].state + 1);
    }
    db_cells_free(cells, n);
}

/* What the store holds under the sweep's name: nothing, this sweep, or another spec. */
static void
tui_editor_check_store(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    struct db_sweep_info info;
    struct db *db = tui_db(t);
    free(e->store_note);
    e->store_note = NULL;
    e->store_clash = 0;
    free(e->cell_state);
    e->cell_state = NULL;
    if (db == NULL || db_sweep_find(db, e->name, &info, NULL) != 0)
        return;
    char *canon = sweep_spec_canonical(&e->spec);
    long done = info.states[DB_COMPLETE], all = info.cells + info.references;
    if (strcmp(canon, info.spec) != 0) {
        e->store_clash = 1;
        e->store_note = xasprintf("the store has a sweep '%s' with another spec: choose "
                                  "another name", e->name);
    } else {
        e->store_note = xasprintf("in the store (%s): %ld of %ld runs complete; F6 resumes it",
                                  info.status, done, all);
        tui_editor_cell_states(e, db, info.id);
    }
    free(canon);
    db_sweep_info_release(&info);
}

static void
tui_editor_check(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    struct sweep_cell *cells = NULL;
    size_t n = 0;
    char *cause = NULL, buf[TUI_LINE_MAX];
    for (int i = 0; i < TUI_EDITOR_FIELDS; i++)
        tui_editor_set_error(&e->fields[i], NULL);
    free(e->error);
    e->error = NULL;
    sweep_spec_release(&e->spec);
    sweep_spec_init(&e->spec);
    if (*tui_editor_trim(e->fields[TUI_EDITOR_F_NAME].line.text, buf, sizeof buf) != '\0')
        e->spec.name = xstrdup(buf);
    tui_editor_check_axes(e);
    tui_editor_check_fixed(t);
    tui_editor_int(&e->fields[TUI_EDITOR_F_REPEAT], 1, 100000, &e->spec.repeat);
    tui_editor_int(&e->fields[TUI_EDITOR_F_WARMUP], 0, 100000, &e->spec.warmup);
    e->valid = tui_editor_fields_ok(e);
    e->cells = e->refs = 0;
    if (e->valid && sweep_spec_expand(&e->spec, &cells, &n, &cause) < 0) {
        e->error = cause;
        e->valid = 0;
    } else if (e->valid) {
        tui_editor_count(e, cells, n);
    }
    free(cells);
    free(e->name);
    e->name = e->spec.name ? xstrdup(e->spec.name) : runner_default_name(&e->spec);
    tui_editor_check_store(t);
    if (e->store_clash)
        tui_editor_set_error(&e->fields[TUI_EDITOR_F_NAME], xstrdup(e->store_note));
    e->valid = e->valid && !e->store_clash;
}

/* ---- the estimate ---------------------------------------------------------------------------- */

static void
tui_editor_calibrate_job(void *arg)
{
    struct tui_calib *c = arg;
    struct sweep_spec s;
    sweep_spec_init(&s);
    c->per_call = -1;
    if (sweep_spec_from_json(&s, c->spec_json, "editor", &c->cause) == 0) {
        struct runner_params p = {.spec = &s, .default_model = c->default_model,
                                  .device = TENSOR_CPU};
        c->per_call = runner_calibrate(&p, &c->cause);
    }
    sweep_spec_release(&s);
}

/* What the time per call depends on: the model and cfg (1 skips the unconditional half). */
static char *
tui_editor_calib_key(const struct tui_editor *e)
{
    const struct sweep_axis *ax = NULL;
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        if (e->spec.axes[a].knob == SWEEP_KNOB_MODEL || e->spec.axes[a].knob == SWEEP_KNOB_CFG)
            ax = &e->spec.axes[a];
    return xasprintf("%s|%s|%s", e->spec.fixed[SWEEP_KNOB_MODEL].text,
                     e->spec.fixed[SWEEP_KNOB_CFG].text, ax ? ax->source : "");
}

static void
tui_editor_poll_estimate(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    enum tui_job_state js = tui_job_poll(&e->job);
    if (js == TUI_JOB_FINISHED) {
        e->per_call = e->calib.per_call;
        free(e->calib_error);
        e->calib_error = e->calib.cause;
        e->calib.cause = NULL;
        free(e->calib.spec_json);
        e->calib.spec_json = NULL;
        t->dirty |= TUI_DIRTY_FRAME;
    }
    /* never while a sweep runs: a timed generation beside it would skew its timings */
    if (js == TUI_JOB_RUNNING || !e->valid || tui_run_active(&t->run))
        return;
    char *key = tui_editor_calib_key(e);
    if (e->calib_key != NULL && strcmp(key, e->calib_key) == 0) {
        free(key);
        return;
    }
    free(e->calib_key);
    e->calib_key = key;
    e->per_call = -1;
    e->calib.spec_json = sweep_spec_canonical(&e->spec);
    e->calib.default_model = t->default_model;
    tui_job_start(&e->job, tui_editor_calibrate_job, &e->calib);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

int
tui_editor_starter(struct tui *t)
{
    tui_editor_defaults(t);
    size_t n = sizeof tui_editor_starter_fields / sizeof tui_editor_starter_fields[0];
    for (size_t i = 0; i < n; i++)
        tui_line_set(&t->ed.fields[tui_editor_starter_fields[i].field].line,
                     tui_editor_starter_fields[i].text);
    t->ed.focus = TUI_EDITOR_F_AXIS;
    tui_editor_check(t);
    tui_message(t, TUI_ROLE_OK, "the starter sweep: F6 runs it");
    return TUI_REDRAW;
}

/* Fills the fields from a loaded spec. */
static void
tui_editor_from_spec(struct tui *t, const struct sweep_spec *s)
{
    char num[32];
    tui_editor_defaults(t);
    tui_line_set(&t->ed.fields[TUI_EDITOR_F_NAME].line, s->name ? s->name : "");
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        if (s->axes[a].knob >= 0) {
            const struct sweep_knob_info *k = sweep_knob_info(s->axes[a].knob);
            char *text = xasprintf("%s=%s", k->alias ? k->alias : k->name, s->axes[a].source);
            tui_line_set(&t->ed.fields[TUI_EDITOR_F_AXIS + a].line, text);
            free(text);
        }
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++)
        tui_line_set(&t->ed.fields[TUI_EDITOR_F_KNOB + k].line, s->fixed[k].text);
    snprintf(num, sizeof num, "%d", s->repeat);
    tui_line_set(&t->ed.fields[TUI_EDITOR_F_REPEAT].line, num);
    snprintf(num, sizeof num, "%d", s->warmup);
    tui_line_set(&t->ed.fields[TUI_EDITOR_F_WARMUP].line, num);
    tui_editor_check(t);
}

static int
tui_editor_load_path(struct tui *t, const char *path)
{
    struct sweep_spec s;
    char *cause = NULL;
    sweep_spec_init(&s);
    int rc = sweep_spec_load(&s, path, &cause);
    if (rc == 0) {
        tui_editor_from_spec(t, &s);
        tui_message(t, TUI_ROLE_OK, "loaded '%s'", path);
    } else {
        tui_message(t, TUI_ROLE_ERR, "%s", cause);
        free(cause);
    }
    sweep_spec_release(&s);
    return rc;
}

void
tui_editor_init(struct tui *t, const char *spec_path, int starter)
{
    sweep_spec_init(&t->ed.spec);
    t->ed.per_call = -1;
    t->ed.comp_field = -1;
    (void)starter;
    tui_editor_starter(t);
    if (spec_path != NULL)
        tui_editor_load_path(t, spec_path);
    t->msg_until = 0;
}

void
tui_editor_release(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    tui_job_wait(&e->job);
    for (int i = 0; i < TUI_EDITOR_FIELDS; i++)
        free(e->fields[i].error);
    sweep_spec_release(&e->spec);
    free(e->error);
    free(e->name);
    free(e->store_note);
    free(e->cell_state);
    free(e->calib.spec_json);
    free(e->calib.cause);
    free(e->calib_key);
    free(e->calib_error);
}

void
tui_editor_update(struct tui *t)
{
    tui_editor_poll_estimate(t);
}

/* ---- input ----------------------------------------------------------------------------------- */

/* Knob fields of knobs on an axis are skipped: their value comes from the axis. */
static int
tui_editor_focusable(const struct tui_editor *e, int i)
{
    return i >= 0 && i < TUI_EDITOR_FIELDS && !e->fields[i].on_axis;
}

static void
tui_editor_move_focus(struct tui_editor *e, int dir, int steps)
{
    int i = e->focus;
    for (int s = 0; s < steps; s++) {
        int j = i + dir;
        while (j >= 0 && j < TUI_EDITOR_FIELDS && !tui_editor_focusable(e, j))
            j += dir;
        if (j < 0 || j >= TUI_EDITOR_FIELDS)
            break;
        i = j;
    }
    e->focus = i;
}

void
tui_editor_focus(struct tui *t, int field)
{
    if (tui_editor_focusable(&t->ed, field))
        t->ed.focus = field;
}

int
tui_editor_key(struct tui *t, int key)
{
    struct tui_editor *e = &t->ed;
    struct tui_field *f = &e->fields[e->focus];
    if (key == '\t' || key == TUI_KEY_CODE(KEY_BTAB))
        return tui_editor_complete(t, key == '\t' ? 1 : -1);
    tui_editor_complete_reset(t);
    switch (key) {
    case TUI_KEY_CODE(KEY_UP): tui_editor_move_focus(e, -1, 1); return TUI_HANDLED | TUI_REDRAW;
    case TUI_KEY_CODE(KEY_DOWN): case TUI_KEY_ENTER:
        tui_editor_move_focus(e, 1, 1);
        return TUI_HANDLED | TUI_REDRAW;
    case TUI_KEY_CODE(KEY_PPAGE): tui_editor_move_focus(e, -1, 6); return TUI_HANDLED | TUI_REDRAW;
    case TUI_KEY_CODE(KEY_NPAGE): tui_editor_move_focus(e, 1, 6); return TUI_HANDLED | TUI_REDRAW;
    default: break;
    }
    int rc = tui_line_key(&f->line, key);
    if (rc == 2)
        tui_editor_check(t);
    return rc ? TUI_HANDLED | TUI_REDRAW : 0;
}

void
tui_editor_changed(struct tui *t)
{
    tui_editor_check(t);
}

/* ---- actions --------------------------------------------------------------------------------- */

int
tui_editor_run(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    char *cause = NULL;
    if (!e->valid) {
        for (int i = 0; i < TUI_EDITOR_FIELDS; i++)
            if (e->fields[i].error != NULL) {
                e->focus = i;
                break;
            }
        tui_message(t, TUI_ROLE_ERR, "the spec has errors (in red): fix them to run it");
        return TUI_REDRAW;
    }
    char *canon = sweep_spec_canonical(&e->spec);
    if (tui_run_start(&t->run, canon, e->name, &cause) < 0) {
        tui_message(t, TUI_ROLE_ERR, "%s", cause);
        free(cause);
    } else {
        tui_results_follow(t, 0);
        tui_show(t, TUI_SCREEN_RUN);
        tui_message(t, TUI_ROLE_OK, "sweep '%s' started", e->name);
    }
    free(canon);
    return TUI_REDRAW;
}

static void
tui_editor_save_done(struct tui *t, int accepted)
{
    const char *path = t->prompt.line.text;
    if (!accepted || *path == '\0')
        return;
    char *canon = sweep_spec_canonical(&t->ed.spec);
    FILE *f = fopen(path, "w");
    int ok = f != NULL && fprintf(f, "%s\n", canon) > 0;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (ok)
        tui_message(t, TUI_ROLE_OK, "saved '%s' (fbw sweep %s --db %s runs it)", path, path,
                    t->db_path);
    else
        tui_message(t, TUI_ROLE_ERR, "cannot write '%s'", path);
    free(canon);
}

int
tui_editor_save(struct tui *t)
{
    char *path = xasprintf("%s.json", t->ed.name);
    tui_prompt_open(t, "save the spec as", path, NULL, tui_editor_save_done);
    free(path);
    return TUI_REDRAW;
}

static void
tui_editor_load_done(struct tui *t, int accepted)
{
    if (accepted && t->prompt.line.text[0] != '\0')
        tui_editor_load_path(t, t->prompt.line.text);
}

int
tui_editor_load(struct tui *t)
{
    tui_prompt_open(t, "load a spec (JSON)", "", NULL, tui_editor_load_done);
    return TUI_REDRAW;
}
