/*
 * source.c - what a plot reads from the store: the sweep (named, or the latest), its runs, its
 * axes, the caption made from its spec, and metric values per cell.
 *
 * Axes come from the sweep's canonical spec (JSON text with "x", "y", "z" as "knob=values");
 * the values and their order come from the cells themselves (each cell has ix, iy, iz and its
 * params), so a plot shows exactly what was stored.  A spec that cannot be read (a store
 * written by hand) falls back to inferring each axis from the cells: the param that changes
 * with the axis index and only with it.
 *
 * Metric values come from the cell rows where db_cells_list has them (median wall time,
 * speed-up, hit rates, PSNR, SSIM), else from the run's details (any summary or result key),
 * read once per cell and kept in the context.
 */
#include "plots/plot_impl.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/spec.h"
#include "util/err.h"

static const char *const plot_axis_keys[3] = {"x", "y", "z"};

/* ---- the sweep and its axes ---- */

static int
plot_source_sweep(struct plot_ctx *c, char **cause)
{
    const struct plot_params *p = c->p;
    int rc;
    if (p->sweep != NULL) {
        rc = db_sweep_find(c->db, p->sweep, &c->sweep, cause);
        if (rc == 1)
            return err_set(cause, "no sweep '%s' in the store (`fbw runs` lists them)",
                           p->sweep);
    } else if (p->kind == PLOT_TRACE && p->nruns > 0) {
        struct db_run_detail d;
        rc = db_run_get(c->db, p->runs[0], &d, cause);
        if (rc == 1)
            return err_set(cause, "no run %lld in the store", (long long)p->runs[0]);
        if (rc == 0) {
            int64_t id = d.run.sweep_id;
            db_run_detail_release(&d);
            rc = db_sweep_get(c->db, id, &c->sweep, cause);
        }
    } else {
        rc = db_sweep_latest(c->db, &c->sweep, cause);
        if (rc == 1)
            return err_set(cause, "the store holds no sweep yet (run `fbw sweep` first)");
    }
    if (rc < 0)
        return -1;
    c->have_sweep = 1;
    return 0;
}

static int
plot_cell_index(const struct db_cell *cell, int axis)
{
    return axis == 0 ? cell->ix : axis == 1 ? cell->iy : cell->iz;
}

/* Whether knob's text is a function of the axis index and takes more than one value. */
static int
plot_source_varies_with(const struct plot_ctx *c, const char *knob, int axis)
{
    const char *first = NULL;
    int varies = 0;
    for (size_t i = 0; i < c->ncells; i++) {
        const struct db_cell *a = &c->cells[i];
        const char *ta = db_cell_param(a, knob);
        if (a->kind != DB_RUN_CELL || ta == NULL)
            continue;
        first = first != NULL ? first : ta;
        varies |= strcmp(first, ta) != 0;
        for (size_t j = i + 1; j < c->ncells; j++) {
            const struct db_cell *b = &c->cells[j];
            const char *tb = db_cell_param(b, knob);
            if (b->kind == DB_RUN_CELL && tb != NULL &&
                (plot_cell_index(a, axis) == plot_cell_index(b, axis)) != (strcmp(ta, tb) == 0))
                return 0;
        }
    }
    return varies;
}

/* The knob of an axis when the spec does not say: see the concept comment. */
static char *
plot_source_infer_knob(const struct plot_ctx *c, int axis)
{
    const struct db_cell *first = NULL;
    for (size_t i = 0; i < c->ncells && first == NULL; i++)
        if (c->cells[i].kind == DB_RUN_CELL)
            first = &c->cells[i];
    if (first == NULL)
        return NULL;
    for (size_t k = 0; k < first->nparams; k++)
        if (plot_source_varies_with(c, first->params[k].key, axis))
            return xstrdup(first->params[k].key);
    return NULL;
}

static int
plot_knob_is_numeric(const char *knob)
{
    int k = sweep_knob_find(knob, NULL);
    if (k < 0)
        return 1;
    if (k == SWEEP_KNOB_SEED || k == SWEEP_KNOB_CLASS)
        return 0;   /* numbers, but labels rather than quantities */
    enum sweep_kind kind = sweep_knob_info((enum sweep_knob)k)->kind;
    return kind == SWEEP_KIND_INT || kind == SWEEP_KIND_FLOAT;
}

/* Fills axis a's values from the cells once its knob is known. */
static void
plot_source_axis_values(struct plot_ctx *c, int axis)
{
    struct plot_axis *a = &c->axes[axis];
    size_t count = 1;
    for (size_t i = 0; i < c->ncells; i++)
        if (c->cells[i].kind == DB_RUN_CELL && a->knob != NULL &&
            (size_t)plot_cell_index(&c->cells[i], axis) + 1 > count)
            count = (size_t)plot_cell_index(&c->cells[i], axis) + 1;
    a->count = count;
    a->values = xcalloc(count, sizeof *a->values);
    a->nums = xcalloc(count, sizeof *a->nums);
    for (size_t i = 0; i < c->ncells && a->knob != NULL; i++) {
        const char *t = db_cell_param(&c->cells[i], a->knob);
        int idx = plot_cell_index(&c->cells[i], axis);
        if (c->cells[i].kind == DB_RUN_CELL && t != NULL && idx >= 0 && a->values[idx] == NULL)
            a->values[idx] = xstrdup(t);
    }
    a->numeric = a->knob != NULL && plot_knob_is_numeric(a->knob);
    for (size_t i = 0; i < count; i++) {
        if (a->values[i] == NULL)
            a->values[i] = xstrdup(a->knob != NULL ? "?" : "");
        char *end;
        a->nums[i] = strtod(a->values[i], &end);
        if (end == a->values[i] || *end != '\0' || !isfinite(a->nums[i])) {
            a->nums[i] = NAN;
            a->numeric = 0;
        }
    }
}

/* Appends "key=value" of a JSON value to *s. */
static void
plot_source_fixed_item(char **s, const char *key, json_t *v)
{
    char *val = json_is_string(v) ? xstrdup(json_string_value(v))
                : json_is_integer(v) ? xasprintf("%lld", (long long)json_integer_value(v))
                : json_is_real(v) ? xasprintf("%g", json_real_value(v)) : xstrdup("?");
    char *old = *s;
    *s = xasprintf("%s %s=%s", old, key, val);
    free(old);
    free(val);
}

/* The caption lines and axis knobs from the spec JSON (absent keys are left NULL). */
static void
plot_source_spec(struct plot_ctx *c, json_t *root)
{
    c->spec_axes = xstrdup("");
    for (int a = 0; a < 3; a++) {
        const char *s = json_string_value(json_object_get(root, plot_axis_keys[a]));
        const char *eq = s != NULL ? strchr(s, '=') : NULL;
        if (eq == NULL)
            continue;
        c->axes[a].knob = xasprintf("%.*s", (int)(eq - s), s);
        char *old = c->spec_axes;
        c->spec_axes = xasprintf("%s%s%s: %s", old, old[0] ? "; " : "", plot_axis_keys[a], s);
        free(old);
    }
    c->spec_fixed = xstrdup("fixed:");
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(root, "fixed"), key, v)
        plot_source_fixed_item(&c->spec_fixed, key, v);
    char *old = c->spec_fixed;
    c->spec_fixed = xasprintf("%s; repeat %lld, warmup %lld", old,
                              (long long)json_integer_value(json_object_get(root, "repeat")),
                              (long long)json_integer_value(json_object_get(root, "warmup")));
    free(old);
}

static void
plot_source_axes(struct plot_ctx *c)
{
    json_t *root = json_loads(c->sweep.spec != NULL ? c->sweep.spec : "", 0, NULL);
    if (json_is_object(root)) {
        plot_source_spec(c, root);
    } else {
        for (int a = 0; a < 3; a++)
            c->axes[a].knob = plot_source_infer_knob(c, a);
        c->spec_axes = xstrdup(c->sweep.spec != NULL ? c->sweep.spec : "");
    }
    json_decref(root);
    for (int a = 0; a < 3; a++)
        plot_source_axis_values(c, a);
}

int
plot_source_load(struct plot_ctx *c, char **cause)
{
    if (plot_source_sweep(c, cause) < 0)
        return -1;
    if (db_cells_list(c->db, c->sweep.id, &c->cells, &c->ncells, cause) < 0)
        return -1;
    size_t cells = 0;
    for (size_t i = 0; i < c->ncells; i++)
        cells += c->cells[i].kind == DB_RUN_CELL;
    if (cells == 0)
        return err_set(cause, "sweep '%s' has no cells", c->sweep.name);
    c->details = xcalloc(c->ncells, sizeof *c->details);
    c->detail_state = xcalloc(c->ncells, sizeof *c->detail_state);
    plot_source_axes(c);
    return 0;
}

void
plot_source_release(struct plot_ctx *c)
{
    for (int a = 0; a < 3; a++) {
        for (size_t i = 0; i < c->axes[a].count; i++)
            free(c->axes[a].values[i]);
        free(c->axes[a].values);
        free(c->axes[a].nums);
        free(c->axes[a].knob);
    }
    for (size_t i = 0; i < c->ncells && c->detail_state != NULL; i++)
        if (c->detail_state[i] == 1)
            db_run_detail_release(&c->details[i]);
    free(c->details);
    free(c->detail_state);
    if (c->cells != NULL)
        db_cells_free(c->cells, c->ncells);
    if (c->have_sweep)
        db_sweep_info_release(&c->sweep);
    free(c->spec_axes);
    free(c->spec_fixed);
}

/* ---- cells ---- */

const struct db_cell *
plot_cell_any_at(const struct plot_ctx *c, size_t ix, size_t iy, size_t iz)
{
    for (size_t i = 0; i < c->ncells; i++) {
        const struct db_cell *cell = &c->cells[i];
        if (cell->kind == DB_RUN_CELL && (size_t)cell->ix == ix && (size_t)cell->iy == iy &&
            (size_t)cell->iz == iz)
            return cell;
    }
    return NULL;
}

const struct db_cell *
plot_cell_at(const struct plot_ctx *c, size_t ix, size_t iy, size_t iz)
{
    const struct db_cell *cell = plot_cell_any_at(c, ix, iy, iz);
    return cell != NULL && cell->state == DB_COMPLETE ? cell : NULL;
}

const struct db_cell *
plot_cell_by_id(const struct plot_ctx *c, int64_t id)
{
    for (size_t i = 0; i < c->ncells; i++)
        if (c->cells[i].id == id)
            return &c->cells[i];
    return NULL;
}

int
plot_axes_used(const struct plot_ctx *c)
{
    int n = 0;
    for (int a = 0; a < 3; a++)
        n += c->axes[a].knob != NULL;
    return n;
}

char *
plot_cell_label(const struct plot_ctx *c, const struct db_cell *cell)
{
    char *s = xstrdup("");
    for (int a = 0; a < 3; a++) {
        const struct plot_axis *ax = &c->axes[a];
        int idx = plot_cell_index(cell, a);
        if (ax->knob == NULL || idx < 0 || (size_t)idx >= ax->count)
            continue;
        char *old = s;
        s = xasprintf("%s%s%s", old, old[0] ? ", " : "", ax->values[idx]);
        free(old);
    }
    if (s[0] == '\0') {
        free(s);
        s = xasprintf("run %lld", (long long)cell->id);
    }
    return s;
}

double
plot_axis_pos(const struct plot_axis *a, size_t i)
{
    return a->numeric ? a->nums[i] : (double)i;
}

char *
plot_axis_value_label(const struct plot_axis *a, size_t i)
{
    if (a->knob == NULL)
        return xstrdup("");
    return xasprintf("%s = %s", a->knob, a->values[i]);
}

/* ---- metrics ---- */

static const struct plot_metric plot_metrics[] = {
    {"wall_ms", "median wall time per image (ms)", "%.0f", 1, 0, 1, 1},
    {"calls_ms", "median model-call time per image (ms)", "%.0f", 1, 0, 1, 1},
    {"speedup", "speed-up over the uncached reference (x)", "%.2fx", 1, 1, 1, 1},
    {"hit_rate", "cache hit rate per model call (%)", "%.0f%%", 100, 1, 0, 0},
    {"hit_rate_step", "steps fully cached (%)", "%.0f%%", 100, 1, 0, 0},
    {"psnr", "PSNR against the reference (dB)", "%.1f", 1, 1, 0, 0},
    {"ssim", "SSIM against the reference", "%.3f", 1, 1, 0, 0},
    {"mae", "mean absolute error against the reference", "%.4f", 1, 0, 0, 0},
    {"max_abs", "largest absolute error against the reference", "%.3f", 1, 0, 0, 0},
    {"first_ms", "first generation's wall time (ms)", "%.0f", 1, 0, 0, 1},
};
#define PLOT_NMETRICS (sizeof plot_metrics / sizeof plot_metrics[0])

const char *const plot_metric_names[] = {
    "wall_ms", "calls_ms", "speedup", "hit_rate", "hit_rate_step", "psnr", "ssim", "mae",
    "max_abs", "first_ms", NULL,
};

/* The details of the cell at index i of c->cells, read on first use; NULL when unreadable. */
static const struct db_run_detail *
plot_detail(struct plot_ctx *c, const struct db_cell *cell)
{
    size_t i = (size_t)(cell - c->cells);
    if (c->detail_state[i] == 0) {
        char *cause = NULL;
        c->detail_state[i] = db_run_get(c->db, cell->id, &c->details[i], &cause) == 0 ? 1 : -1;
        free(cause);
    }
    return c->detail_state[i] == 1 ? &c->details[i] : NULL;
}

/* The median of a summary with its interquartile range as the bar; none when the quartiles
 * do not bracket the median (not computed). */
static void
plot_summary_value(const struct stats *st, double *v, double *lo, double *hi)
{
    *v = st->median;
    int iqr = st->p25 <= st->median && st->median <= st->p75;
    *lo = iqr ? st->p25 : st->median;
    *hi = iqr ? st->p75 : st->median;
}

/* A value from the run's summaries (median, IQR) or results; 1 when absent. */
static int
plot_detail_value(struct plot_ctx *c, const char *key, const struct db_cell *cell, double *v,
                  double *lo, double *hi)
{
    const struct db_run_detail *d = plot_detail(c, cell);
    if (d == NULL)
        return 1;
    for (size_t i = 0; i < d->nsummaries; i++)
        if (strcmp(d->summaries[i].key, key) == 0) {
            plot_summary_value(&d->summaries[i].st, v, lo, hi);
            return 0;
        }
    const struct db_kv *r = db_run_result(d, key);
    if (r == NULL || !isfinite(r->num))
        return 1;
    *v = *lo = *hi = r->num;
    return 0;
}

/* The speed-up's bar: its interval, else (stored before paired rounds) ± err clamped at 0. */
static void
plot_speedup_value(const struct db_cell *cell, double *v, double *lo, double *hi)
{
    *v = *lo = *hi = cell->speedup;
    if (isfinite(cell->speedup_lo) && isfinite(cell->speedup_hi)) {
        *lo = cell->speedup_lo;
        *hi = cell->speedup_hi;
    } else if (isnan(cell->rounds) && isfinite(cell->speedup_err)) {
        *lo = fmax(0, cell->speedup - cell->speedup_err);
        *hi = cell->speedup + cell->speedup_err;
    }
}

int
plot_metric_value(struct plot_ctx *c, const struct plot_metric *m, const struct db_cell *cell,
                  double *value, double *low, double *high)
{
    double v = NAN, lo = NAN, hi = NAN;
    const char *n = m->name;
    if (strcmp(n, "wall_ms") == 0 && cell->has_wall) {
        plot_summary_value(&cell->wall, &v, &lo, &hi);
    } else if (strcmp(n, "speedup") == 0) {
        plot_speedup_value(cell, &v, &lo, &hi);
    } else if (strcmp(n, "hit_rate") == 0 || strcmp(n, "hit_rate_step") == 0) {
        v = n[8] == '\0' ? cell->hit_rate : cell->hit_rate_step;
    } else if (strcmp(n, "psnr") == 0 || strcmp(n, "ssim") == 0) {
        v = n[0] == 'p' ? cell->psnr : cell->ssim;
    } else if (plot_detail_value(c, n, cell, &v, &lo, &hi) != 0) {
        return 1;
    }
    if (isnan(v) || (isinf(v) && v < 0))
        return 1;
    *value = v * m->scale;      /* +Inf (identical) stays +Inf */
    int bar = m->has_bars && isfinite(v) && isfinite(lo) && isfinite(hi);
    *low = bar ? lo * m->scale : *value;
    *high = bar ? hi * m->scale : *value;
    return 0;
}

void
plot_metric_zero(FILE *f, const struct plot_metric *m, char axis)
{
    if (m->zero)
        fprintf(f, "set %crange [0:*]\n", axis);
}

/* The finite range of m over the complete cells (lo > hi when none); *inf: any +Inf. */
static void
plot_metric_finite_range(struct plot_ctx *c, const struct plot_metric *m, double *lo, double *hi,
                         int *inf)
{
    double v, bar_lo, bar_hi;
    *lo = INFINITY;
    *hi = -INFINITY;
    *inf = 0;
    for (size_t i = 0; i < c->ncells; i++) {
        const struct db_cell *cell = &c->cells[i];
        if (cell->kind != DB_RUN_CELL || cell->state != DB_COMPLETE ||
            plot_metric_value(c, m, cell, &v, &bar_lo, &bar_hi) != 0)
            continue;
        if (isinf(v))
            *inf = 1;
        else {
            *lo = fmin(*lo, v);
            *hi = fmax(*hi, v);
        }
    }
}

/* A round tic step (1, 2 or 5 x 10^k) giving at most about six tics over span. */
static double
plot_tic_step(double span)
{
    if (!(span > 0))
        return 1;
    double step = pow(10, floor(log10(span / 6)));
    return span / step <= 6 ? step : span / (2 * step) <= 6 ? 2 * step : 5 * step;
}

void
plot_identical_tics(FILE *f, struct plot_ctx *c, const struct plot_metric *m, char axis)
{
    double lo, hi;
    int inf;
    plot_metric_finite_range(c, m, &lo, &hi, &inf);
    if (!inf)
        return;
    if (!(hi >= lo)) {          /* only identical images */
        fprintf(f, "set %ctics ('" PLOT_IDENTICAL "' %.17g)\n", axis,
                plot_metric_identical_pos(c, m, NULL));
        return;
    }
    const double step = plot_tic_step(hi - lo);
    const double first = floor(lo / step) * step, last = ceil(hi / step) * step;
    /* Regular tics over the finite values only, so none lands beside the label. */
    fprintf(f, "set %ctics %.17g, %.17g, %.17g\n", axis, first, step, last);
    fprintf(f, "set %ctics add ('" PLOT_IDENTICAL "' %.17g)\n", axis,
            plot_metric_identical_pos(c, m, NULL));
}

double
plot_metric_identical_pos(struct plot_ctx *c, const struct plot_metric *m, int *any)
{
    double lo, hi;
    int inf;
    plot_metric_finite_range(c, m, &lo, &hi, &inf);
    if (any != NULL)
        *any = inf;
    if (!isfinite(hi))
        return 1;
    /* one tic step past the last regular tic (plot_identical_tics) */
    const double step = plot_tic_step(hi - lo);
    return ceil(hi / step) * step + step;
}

int
plot_metric_find(struct plot_ctx *c, const char *name, const char *fallback,
                 struct plot_metric *m, char **cause)
{
    name = name != NULL ? name : fallback;
    for (size_t i = 0; i < PLOT_NMETRICS; i++)
        if (strcmp(plot_metrics[i].name, name) == 0) {
            *m = plot_metrics[i];
            return 0;
        }
    *m = (struct plot_metric){name, name, "%.3g", 1, -1, 0, 0};
    for (size_t i = 0; i < c->ncells; i++) {
        double v, lo, hi;
        if (c->cells[i].kind == DB_RUN_CELL &&
            plot_metric_value(c, m, &c->cells[i], &v, &lo, &hi) == 0)
            return 0;
    }
    char *known = xstrdup("");
    for (size_t i = 0; i < PLOT_NMETRICS; i++) {
        char *old = known;
        known = xasprintf("%s%s%s", old, i ? ", " : "", plot_metrics[i].name);
        free(old);
    }
    int rc = err_set(cause, "no metric '%s' in sweep '%s' (known: %s, or any result key "
                            "`fbw show RUN` lists)", name, c->sweep.name, known);
    free(known);
    return rc;
}

/* ---- series: one per (Y, Z) value pair ---- */

char *
plot_series_title(const struct plot_ctx *c, size_t iy, size_t iz)
{
    const struct plot_axis *y = &c->axes[1], *z = &c->axes[2];
    if (y->knob != NULL && z->knob != NULL)
        return xasprintf("%s, %s", y->values[iy], z->values[iz]);
    if (y->knob != NULL || z->knob != NULL)
        return xstrdup(y->knob != NULL ? y->values[iy] : z->values[iz]);
    return NULL;
}

char *
plot_series_key_title(const struct plot_ctx *c)
{
    const struct plot_axis *y = &c->axes[1], *z = &c->axes[2];
    if (y->knob != NULL && z->knob != NULL)
        return xasprintf("%s, %s", y->knob, z->knob);
    return xstrdup(y->knob != NULL ? y->knob : z->knob != NULL ? z->knob : "");
}
