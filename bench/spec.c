/*
 * spec.c - sweep specs: the knob table, axes and fixed values, the JSON form, and the expansion
 * into cells (the value grammar itself is in grammar.c).
 *
 * Concept: a spec is up to three axes, each one knob with its parsed values and the text the
 * user wrote, plus one fixed value for every knob (its default until set).  Its canonical form
 * is compact JSON with a fixed key order and every knob that is not on an axis spelled out
 * (except a quiet_default knob at its default, so that sweeps stored before that knob existed
 * keep their text), so two specs that run the same cells print the same text; the store keys
 * sweeps by it.
 *
 * Cells are numbered in grid order (x fastest) and listed in run order: the axes sorted by
 * switching cost, costliest outermost, ties in the order z, y, x (A1111's xyz_grid does the
 * same, so a model is loaded once per model value).  A cell's config_hash covers every knob's
 * canonical text; its ref_hash only the knobs that choose the uncached reference image, so
 * cells that differ only in cache knobs (and compile mode, which changes how fast, not what, is
 * computed) share one reference.
 *
 * Ownership: the spec owns its name, axis sources, axis values and fixed values; cells borrow
 * values from the spec.  Errors come back as -1 with an allocated *cause.
 */
#include "bench/spec.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/sha256.h"
#include "util/strdist.h"

/* More cells than this is surely a typo; each cell is at least one generation. */
#define SWEEP_MAX_CELLS 1000000

static const struct sweep_knob_info sweep_knobs[] = {
    [SWEEP_KNOB_THRESHOLD] = {
        .name = "residual_diff_threshold", .alias = "threshold", .kind = SWEEP_KIND_FLOAT,
        .lo = 0, .hi = 10, .cache_knob = 1, .default_text = "0.1",
        .help = "FBCache reuses the cache while the first block's relative change is below this",
    },
    [SWEEP_KNOB_MAX_HITS] = {
        .name = "max_consecutive_cache_hits", .alias = "max_hits", .kind = SWEEP_KIND_INT,
        .lo = -1, .hi = 1000, .cache_knob = 1, .default_text = "-1",
        .help = "most cache hits in a row (-1 unlimited, 0 cache off)",
    },
    [SWEEP_KNOB_START] = {
        .name = "start", .kind = SWEEP_KIND_FLOAT, .lo = 0, .hi = 1, .cache_knob = 1,
        .default_text = "0", .help = "fraction of the schedule where caching may begin",
    },
    [SWEEP_KNOB_END] = {
        .name = "end", .kind = SWEEP_KIND_FLOAT, .lo = 0, .hi = 1, .cache_knob = 1,
        .default_text = "1", .help = "fraction of the schedule where caching stops",
    },
    [SWEEP_KNOB_SAMPLER] = {
        .name = "sampler", .kind = SWEEP_KIND_NAME, .default_text = "euler",
        .help = "sampler, by ComfyUI name (fbw list samplers)",
    },
    [SWEEP_KNOB_SCHEDULER] = {
        .name = "scheduler", .kind = SWEEP_KIND_NAME, .default_text = "simple",
        .help = "scheduler, by ComfyUI name (fbw list schedulers)",
    },
    [SWEEP_KNOB_STEPS] = {
        .name = "steps", .kind = SWEEP_KIND_INT, .lo = 1, .hi = 10000, .default_text = "30",
        .help = "sampling steps",
    },
    [SWEEP_KNOB_CFG] = {
        .name = "cfg", .kind = SWEEP_KIND_FLOAT, .lo = 0, .hi = 100, .default_text = "3",
        .help = "classifier-free guidance scale (1: no unconditional pass)",
    },
    [SWEEP_KNOB_SEED] = {
        .name = "seed", .kind = SWEEP_KIND_INT, .lo = 0, .hi = 9007199254740992.0,
        .default_text = "0", .help = "noise seed",
    },
    [SWEEP_KNOB_CLASS] = {
        .name = "class", .kind = SWEEP_KIND_INT, .lo = 0, .hi = 100000, .default_text = "0",
        .help = "class label (checked against the model when the sweep runs)",
    },
    [SWEEP_KNOB_MODEL] = {
        .name = "model", .kind = SWEEP_KIND_PATH, .cost = 1.0, .default_text = "",
        .help = "model file (empty: the default model)",
    },
    [SWEEP_KNOB_COMPILE] = {
        .name = "compile", .kind = SWEEP_KIND_NAME, .cost = 0.5, .default_text = "none",
        .help = "compile mode (only none for now)",
    },
    /* A new dtype reloads the model (weights are converted once, on load): costlier than a
     * compile mode, cheaper than another model file.  It changes what is computed, so it picks
     * the reference: a bf16 cell is compared with the uncached bf16 generation. */
    [SWEEP_KNOB_DTYPE] = {
        .name = "dtype", .kind = SWEEP_KIND_NAME, .cost = 0.75, .default_text = "f32",
        .quiet_default = 1,
        .help = "the model's compute dtype: f32, bf16 or f16 (the sampler stays float32)",
    },
};
NAME_TABLE_CHECK(sweep_knobs, SWEEP_KNOB_COUNT);

static const char *const sweep_axis_names[] = {"x", "y", "z"};
NAME_TABLE_CHECK(sweep_axis_names, SWEEP_AXIS_COUNT);

const struct sweep_knob_info *
sweep_knob_info(enum sweep_knob k)
{
    CHECK((int)k >= 0 && k < SWEEP_KNOB_COUNT);
    return &sweep_knobs[k];
}

int
sweep_knob_find(const char *name, const char **closest)
{
    const char *names[2 * SWEEP_KNOB_COUNT];
    size_t n = 0;
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
        const struct sweep_knob_info *i = &sweep_knobs[k];
        if (strcmp(name, i->name) == 0 || (i->alias != NULL && strcmp(name, i->alias) == 0))
            return k;
        names[n++] = i->name;
        if (i->alias != NULL)
            names[n++] = i->alias;
    }
    if (closest != NULL)
        *closest = strdist_closest(name, names, n);
    return -1;
}

/* The knob called name, or -1 with an error that suggests one. */
static int
sweep_knob_lookup(const char *name, char **cause)
{
    const char *hint;
    int k = sweep_knob_find(name, &hint);
    if (k < 0)
        err_set(cause, "unknown knob '%s' (did you mean '%s'?)", name, hint);
    return k;
}

/* Whether knob k at value text is left out of the canonical spec and the hashes. */
static int
sweep_knob_quiet(int k, const char *text)
{
    return sweep_knobs[k].quiet_default && strcmp(text, sweep_knobs[k].default_text) == 0;
}

/* Whether the knob picks the uncached reference image (see the concept comment). */
static int
sweep_knob_in_ref(int k)
{
    return !sweep_knobs[k].cache_knob && k != SWEEP_KNOB_COMPILE;
}

/* ---- the spec ---- */

static void
sweep_value_default(struct sweep_value *v, int k)
{
    const struct sweep_knob_info *i = &sweep_knobs[k];
    v->text = xstrdup(i->default_text);
    v->num = i->kind == SWEEP_KIND_INT || i->kind == SWEEP_KIND_FLOAT
                 ? strtod(i->default_text, NULL) : NAN;
}

void
sweep_spec_init(struct sweep_spec *s)
{
    memset(s, 0, sizeof *s);
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        s->axes[a].knob = -1;
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++)
        sweep_value_default(&s->fixed[k], k);
    s->repeat = SWEEP_DEFAULT_REPEAT;
    s->warmup = 1;
}

void
sweep_spec_release(struct sweep_spec *s)
{
    if (s == NULL)
        return;
    free(s->name);
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++) {
        free(s->axes[a].source);
        sweep_values_free(s->axes[a].values, s->axes[a].count);
    }
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++)
        free(s->fixed[k].text);
    memset(s, 0, sizeof *s);
}

/* The axis holding knob k, or -1. */
static int
sweep_spec_axis_of(const struct sweep_spec *s, int k)
{
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        if (s->axes[a].knob == k)
            return a;
    return -1;
}

/* s[0..len) without surrounding blanks, as a new string. */
static char *
sweep_spec_trimmed(const char *s, size_t len)
{
    while (len > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
                       s[len - 1] == '\r'))
        len--;
    return xasprintf("%.*s", (int)len, s);
}

/* Checks that knob k may go on axis a. */
static int
sweep_spec_axis_free(const struct sweep_spec *s, enum sweep_axis_id a, int k, char **cause)
{
    int on = sweep_spec_axis_of(s, k);
    if (on >= 0)
        return err_set(cause, "%s is already on the %s axis", sweep_knobs[k].name,
                       sweep_axis_names[on]);
    if (s->axes[a].knob >= 0)
        return err_set(cause, "the %s axis already holds %s", sweep_axis_names[a],
                       sweep_knobs[s->axes[a].knob].name);
    return 0;
}

int
sweep_spec_set_axis(struct sweep_spec *s, enum sweep_axis_id a, const char *assign,
                    char **cause)
{
    CHECK((int)a >= 0 && a < SWEEP_AXIS_COUNT && assign != NULL);
    const char *eq = strchr(assign, '=');
    if (eq == NULL)
        return err_set(cause, "%s axis '%s': expected knob=values", sweep_axis_names[a],
                       assign);
    char *name = sweep_spec_trimmed(assign, (size_t)(eq - assign));
    int k = sweep_knob_lookup(name, cause);
    free(name);
    if (k < 0 || sweep_spec_axis_free(s, a, k, cause) != 0)
        return -1;
    struct sweep_axis *x = &s->axes[a];
    if (sweep_values_parse(k, eq + 1, &x->values, &x->count, cause) != 0)
        return -1;
    x->knob = k;
    x->source = sweep_spec_trimmed(eq + 1, strlen(eq + 1));
    return 0;
}

/* value as knob k's one fixed value (its default text is always accepted, even "" for model). */
static int
sweep_fixed_value(int k, const char *value, struct sweep_value *out, char **cause)
{
    struct sweep_value *v;
    size_t n;
    if (strcmp(value, sweep_knobs[k].default_text) == 0) {
        sweep_value_default(out, k);
        return 0;
    }
    if (sweep_values_parse(k, value, &v, &n, cause) != 0)
        return -1;
    if (n != 1) {
        sweep_values_free(v, n);
        return err_set(cause, "%s takes one fixed value, not %zu ('%s')", sweep_knobs[k].name,
                       n, value);
    }
    *out = v[0];
    free(v);
    return 0;
}

int
sweep_spec_set_fixed(struct sweep_spec *s, const char *knob, const char *value, char **cause)
{
    struct sweep_value v;
    int k = sweep_knob_lookup(knob, cause);
    if (k < 0 || sweep_fixed_value(k, value, &v, cause) != 0)
        return -1;
    free(s->fixed[k].text);
    s->fixed[k] = v;
    return 0;
}

/* ---- JSON ---- */

/* A "fixed" entry: a string, or a number written as text (reals read back exactly). */
static int
sweep_json_fixed_one(struct sweep_spec *s, const char *knob, json_t *v, char **cause)
{
    char *text;
    if (json_is_string(v))
        text = xstrdup(json_string_value(v));
    else if (json_is_integer(v))
        text = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        text = xasprintf("%.17g", json_real_value(v));
    else
        return err_set(cause, "fixed: %s must be a number or a string", knob);
    char *why = NULL;
    int rc = sweep_spec_set_fixed(s, knob, text, &why);
    free(text);
    if (rc != 0) {
        err_set(cause, "fixed: %s", why);
        free(why);
    }
    return rc;
}

static int
sweep_json_fixed(struct sweep_spec *s, json_t *fixed, char **cause)
{
    const char *key;
    json_t *v;
    if (!json_is_object(fixed))
        return err_set(cause, "fixed must be an object of knob: value");
    json_object_foreach(fixed, key, v)
        if (sweep_json_fixed_one(s, key, v, cause) != 0)
            return -1;
    return 0;
}

/* An integer in [lo, hi] for key. */
static int
sweep_json_int(json_t *v, const char *key, int lo, int hi, int *out, char **cause)
{
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return err_set(cause, "%s must be an integer from %d to %d", key, lo, hi);
    *out = (int)json_integer_value(v);
    return 0;
}

static int
sweep_json_axis(struct sweep_spec *s, enum sweep_axis_id a, json_t *v, char **cause)
{
    char *why = NULL;
    if (!json_is_string(v))
        return err_set(cause, "%s must be a string \"knob=values\"", sweep_axis_names[a]);
    if (sweep_spec_set_axis(s, a, json_string_value(v), &why) == 0)
        return 0;
    err_set(cause, "%s: %s", sweep_axis_names[a], why);
    free(why);
    return -1;
}

static int
sweep_json_member(struct sweep_spec *s, const char *key, json_t *v, char **cause)
{
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        if (strcmp(key, sweep_axis_names[a]) == 0)
            return sweep_json_axis(s, a, v, cause);
    if (strcmp(key, "name") == 0) {
        if (!json_is_string(v))
            return err_set(cause, "name must be a string");
        free(s->name);
        s->name = xstrdup(json_string_value(v));
        return 0;
    }
    if (strcmp(key, "fixed") == 0)
        return sweep_json_fixed(s, v, cause);
    if (strcmp(key, "repeat") == 0)
        return sweep_json_int(v, key, 1, 1000000, &s->repeat, cause);
    if (strcmp(key, "warmup") == 0)
        return sweep_json_int(v, key, 0, 1000000, &s->warmup, cause);
    if (strcmp(key, "redo_disturbed") == 0)
        return sweep_json_int(v, key, 0, 1000000, &s->redo_disturbed, cause);
    if (strcmp(key, "budget_s") == 0) {
        if (!json_is_number(v) || !(json_number_value(v) >= 0) || !isfinite(json_number_value(v)))
            return err_set(cause, "budget_s must be a number of seconds >= 0");
        s->budget_s = json_number_value(v);
        return 0;
    }
    return err_set(cause, "unknown key '%s'", key);
}

/* Reads root into the fresh spec t. */
static int
sweep_json_read(struct sweep_spec *t, json_t *root, char **cause)
{
    const char *key;
    json_t *v;
    if (!json_is_object(root))
        return err_set(cause, "expected a JSON object");
    json_object_foreach(root, key, v)
        if (sweep_json_member(t, key, v, cause) != 0)
            return -1;
    return 0;
}

int
sweep_spec_from_json(struct sweep_spec *s, const char *json_text, const char *origin,
                     char **cause)
{
    json_error_t je;
    struct sweep_spec t;
    char *why = NULL;
    origin = origin != NULL ? origin : "spec";
    json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return err_set(cause, "%s:%d:%d: %s", origin, je.line, je.column, je.text);
    sweep_spec_init(&t);
    int rc = sweep_json_read(&t, root, &why);
    json_decref(root);
    if (rc != 0) {
        err_set(cause, "%s: %s", origin, why);
        free(why);
        sweep_spec_release(&t);
        return -1;
    }
    sweep_spec_release(s);
    *s = t;
    return 0;
}

/* The whole file as a string, or NULL with *cause. */
static char *
sweep_spec_read_file(const char *path, char **cause)
{
    FILE *f = fopen(path, "rb");
    size_t n = 0, cap = 4096;
    if (f == NULL) {
        err_set(cause, "cannot open spec '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = xmalloc(cap);
    for (size_t got; (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (cap - n - 1 == 0)
            buf = xrealloc(buf, cap *= 2);
    }
    if (ferror(f)) {
        err_set(cause, "cannot read spec '%s': %s", path, strerror(errno));
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
    }
    fclose(f);
    return buf;
}

int
sweep_spec_load(struct sweep_spec *s, const char *path, char **cause)
{
    char *text = sweep_spec_read_file(path, cause);
    if (text == NULL)
        return -1;
    int rc = sweep_spec_from_json(s, text, path, cause);
    free(text);
    return rc;
}

/* A JSON string for text; bytes that are not UTF-8 become '?' (jansson accepts only UTF-8). */
static json_t *
sweep_json_string(const char *text)
{
    json_t *j = json_string(text);
    if (j != NULL)
        return j;
    char *copy = xstrdup(text);
    for (char *p = copy; *p != '\0'; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    CHECK(j != NULL);
    return j;
}

static json_t *
sweep_json_budget(double b)
{
    if (b == floor(b) && fabs(b) < 9007199254740992.0)
        return json_integer((json_int_t)b);
    return json_real(b);
}

/* The fewest significant digits that print b so that it reads back exactly. */
static int
sweep_json_precision(double b)
{
    char buf[40];
    for (int p = 1; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, b);
        if (strtod(buf, NULL) == b)
            return p;
    }
    return 17;
}

char *
sweep_spec_canonical(const struct sweep_spec *s)
{
    json_t *o = json_object(), *fixed = json_object();
    if (s->name != NULL)
        json_object_set_new(o, "name", sweep_json_string(s->name));
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++) {
        const struct sweep_axis *x = &s->axes[a];
        if (x->knob < 0)
            continue;
        char *t = xasprintf("%s=%s", sweep_knobs[x->knob].name, x->source);
        json_object_set_new(o, sweep_axis_names[a], sweep_json_string(t));
        free(t);
    }
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++)
        if (sweep_spec_axis_of(s, k) < 0 && !sweep_knob_quiet(k, s->fixed[k].text))
            json_object_set_new(fixed, sweep_knobs[k].name, sweep_json_string(s->fixed[k].text));
    json_object_set_new(o, "fixed", fixed);
    json_object_set_new(o, "repeat", json_integer(s->repeat));
    json_object_set_new(o, "warmup", json_integer(s->warmup));
    json_object_set_new(o, "budget_s", sweep_json_budget(s->budget_s));
    /* Written only when set, so the specs (and sweep names) of earlier versions stay as they
     * were. */
    if (s->redo_disturbed > 0)
        json_object_set_new(o, "redo_disturbed", json_integer(s->redo_disturbed));
    /* budget_s is the only real: print it shortest, 0.1 and not 0.10000000000000001. */
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                   JSON_REAL_PRECISION(sweep_json_precision(s->budget_s)));
    json_decref(o);
    CHECK(text != NULL);
    return text;
}

/* ---- cells ---- */

static size_t
sweep_axis_count(const struct sweep_spec *s, int a)
{
    return s->axes[a].knob >= 0 ? s->axes[a].count : 1;
}

size_t
sweep_spec_cell_count(const struct sweep_spec *s)
{
    size_t n = 1;
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        n *= sweep_axis_count(s, a);
    return n;
}

static double
sweep_axis_cost(const struct sweep_spec *s, int a)
{
    return s->axes[a].knob >= 0 ? sweep_knobs[s->axes[a].knob].cost : 0;
}

/* The axes from the outermost loop to the innermost: z, y, x, stably sorted by cost. */
static void
sweep_run_order(const struct sweep_spec *s, int order[SWEEP_AXIS_COUNT])
{
    for (int i = 0; i < SWEEP_AXIS_COUNT; i++)
        order[i] = SWEEP_AXIS_COUNT - 1 - i;
    for (int i = 1; i < SWEEP_AXIS_COUNT; i++)
        for (int j = i; j > 0 && sweep_axis_cost(s, order[j]) > sweep_axis_cost(s, order[j - 1]);
             j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

/* 16 hex digits of SHA-256 over "knob=text\n" for every knob (ref: only reference knobs). */
static void
sweep_cell_hash(const struct sweep_cell *c, int ref, char out[17])
{
    struct sha256 h;
    uint8_t digest[32];
    sha256_init(&h);
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
        if (ref && !sweep_knob_in_ref(k))
            continue;
        if (sweep_knob_quiet(k, c->v[k]->text))
            continue;
        const char *name = sweep_knobs[k].name, *text = c->v[k]->text;
        sha256_update(&h, name, strlen(name));
        sha256_update(&h, "=", 1);
        sha256_update(&h, text, strlen(text));
        sha256_update(&h, "\n", 1);
    }
    sha256_final(&h, digest);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static void
sweep_cell_fill(const struct sweep_spec *s, struct sweep_cell *c, const size_t idx[])
{
    size_t nx = sweep_axis_count(s, SWEEP_X), ny = sweep_axis_count(s, SWEEP_Y);
    c->ix = idx[SWEEP_X];
    c->iy = idx[SWEEP_Y];
    c->iz = idx[SWEEP_Z];
    c->number = c->ix + nx * (c->iy + ny * c->iz);
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++)
        c->v[k] = &s->fixed[k];
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        if (s->axes[a].knob >= 0)
            c->v[s->axes[a].knob] = &s->axes[a].values[idx[a]];
    sweep_cell_hash(c, 0, c->config_hash);
    sweep_cell_hash(c, 1, c->ref_hash);
}

int
sweep_spec_expand(const struct sweep_spec *s, struct sweep_cell **cells, size_t *count,
                  char **cause)
{
    int order[SWEEP_AXIS_COUNT];
    size_t n = sweep_spec_cell_count(s);
    if (n > SWEEP_MAX_CELLS)
        return err_set(cause, "the spec has %zu cells, more than %d", n, SWEEP_MAX_CELLS);
    sweep_run_order(s, order);
    struct sweep_cell *c = xcalloc(n, sizeof *c);
    for (size_t r = 0; r < n; r++) {
        size_t idx[SWEEP_AXIS_COUNT], rest = r;
        for (int j = SWEEP_AXIS_COUNT - 1; j >= 0; j--) {
            size_t na = sweep_axis_count(s, order[j]);
            idx[order[j]] = rest % na;
            rest /= na;
        }
        sweep_cell_fill(s, &c[r], idx);
    }
    *cells = c;
    *count = n;
    return 0;
}

double
sweep_cell_num(const struct sweep_cell *c, enum sweep_knob k)
{
    CHECK((int)k >= 0 && k < SWEEP_KNOB_COUNT);
    return c->v[k]->num;
}

const char *
sweep_cell_text(const struct sweep_cell *c, enum sweep_knob k)
{
    CHECK((int)k >= 0 && k < SWEEP_KNOB_COUNT);
    return c->v[k]->text;
}
