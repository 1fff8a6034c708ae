/*
 * spec.h - sweep specs: the knobs, the value grammar, X/Y/Z axes, fixed settings, and the
 * expansion of a spec into cells.
 *
 * A spec names up to three axes (X, Y, Z), each a knob with a list of values, and one fixed
 * value for every other knob.  Values are written in A1111's XY-plot grammar, with its float
 * quirks fixed (shared/reference/bench-tui.md 3.4):
 *
 *     a, b, c            a list (CSV: "a,b" in double quotes is one value; `||` may separate
 *                        values instead of commas)
 *     a-b                inclusive range, step 1 (ints and floats)
 *     a-b (+s)  a-b (s)  inclusive range with step s (sign optional, must point from a to b)
 *     a-b [n]            n values evenly from a to b (ints: truncated, as A1111)
 *     1, 2, .., 10       SwarmUI ellipsis: the step from the two values before `..`
 *     a:b:s              inclusive range with step s (numpy/Hydra style)
 *
 * Float ranges step in exact decimal: `0.1-0.3 (+0.1)` is 0.1, 0.2, 0.3 and every value keeps a
 * canonical decimal text (`0.3`, never `0.30000000000000004`) used as its label and stored in
 * the database.  Names (sampler, scheduler, compile) are checked against their registries up
 * front (dtype against core/model's compute dtypes); an unknown name is an error naming the
 * closest valid one.  Empty or reversed ranges,
 * zero steps, duplicates and more than SWEEP_MAX_VALUES values are errors.
 *
 * Ownership: a struct sweep_spec is caller storage (sweep_spec_init / sweep_spec_release) that
 * owns its axes' values; cells from sweep_spec_expand borrow values from the spec, which must
 * outlive them.  Errors are returned as -1 with an allocated *cause naming the knob or value.
 *
 *     struct sweep_spec s;
 *     sweep_spec_init(&s);
 *     sweep_spec_set_axis(&s, SWEEP_X, "threshold=0.05-0.3 [6]", &cause);
 *     sweep_spec_set_axis(&s, SWEEP_Y, "scheduler=normal,karras", &cause);
 *     sweep_spec_set_fixed(&s, "steps", "30", &cause);
 *     sweep_spec_expand(&s, &cells, &ncells, &cause);   (12 cells)
 */
#ifndef FBW_BENCH_SPEC_H
#define FBW_BENCH_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_VALUES 10000  /* per axis */

enum sweep_knob {
    SWEEP_KNOB_THRESHOLD,   /* residual_diff_threshold (alias threshold), float >= 0 */
    SWEEP_KNOB_MAX_HITS,    /* max_consecutive_cache_hits (alias max_hits), int >= -1 */
    SWEEP_KNOB_START,       /* start, float in [0, 1] */
    SWEEP_KNOB_END,         /* end, float in [0, 1] */
    SWEEP_KNOB_SAMPLER,     /* sampler, name (core/sampler registry) */
    SWEEP_KNOB_SCHEDULER,   /* scheduler, name (core/scheduler registry) */
    SWEEP_KNOB_STEPS,       /* steps, int in [1, 10000] */
    SWEEP_KNOB_CFG,         /* cfg, float in [0, 100] */
    SWEEP_KNOB_SEED,        /* seed, int in [0, 2^53] */
    SWEEP_KNOB_CLASS,       /* class, int >= 0 (checked against the model by the runner) */
    SWEEP_KNOB_MODEL,       /* model, a path (text) */
    SWEEP_KNOB_COMPILE,     /* compile, name: only "none" for now */
    SWEEP_KNOB_DTYPE,       /* dtype, name: the model's compute dtype (f32, bf16, f16) */
    SWEEP_KNOB_COUNT
};

enum sweep_kind { SWEEP_KIND_INT, SWEEP_KIND_FLOAT, SWEEP_KIND_NAME, SWEEP_KIND_PATH };

struct sweep_knob_info {
    const char *name;       /* WaveSpeed/ComfyUI spelling, e.g. "residual_diff_threshold" */
    const char *alias;      /* short name, e.g. "threshold", or NULL */
    enum sweep_kind kind;
    double lo, hi;          /* inclusive bounds for numbers */
    int cache_knob;         /* 1: cells differing only in cache knobs share a reference */
    double cost;            /* switching cost: the costliest axis is the outermost loop */
    const char *default_text;   /* the fixed value when not given */
    const char *help;       /* one line for `fbw list knobs` */
    int quiet_default;      /* 1: at its default the knob is left out of the canonical spec and
                             * of the cell hashes (a knob added after stores existed: their
                             * sweeps keep their keys, and an absent knob reads as its default) */
};

/* The knob table, indexed by enum sweep_knob. */
const struct sweep_knob_info *sweep_knob_info(enum sweep_knob k);
/* Finds a knob by name or alias: its index, or -1 (then *closest, if non-NULL, is the nearest
 * valid name). */
int sweep_knob_find(const char *name, const char **closest);

struct sweep_value {
    char *text;             /* canonical text: the label, and what the database stores */
    double num;             /* numeric value; NAN for names and paths */
};

/* Parses text for knob k into a new array of values (free with sweep_values_free). */
int sweep_values_parse(enum sweep_knob k, const char *text, struct sweep_value **values,
                       size_t *count, char **cause);
void sweep_values_free(struct sweep_value *values, size_t count);

enum sweep_axis_id { SWEEP_X, SWEEP_Y, SWEEP_Z, SWEEP_AXIS_COUNT };

struct sweep_axis {
    int knob;               /* enum sweep_knob, or -1 when the axis is unused */
    char *source;           /* the values as the user typed them */
    struct sweep_value *values;
    size_t count;
};

/* Ten rounds: the binomial interval of the median needs n >= 6 at 95%; n = 10 gives
 * [x(2), x(9)] at 97.9%, not resting on the single most extreme round on either side. */
#define SWEEP_DEFAULT_REPEAT 10

struct sweep_spec {
    char *name;                             /* NULL: the runner picks one */
    struct sweep_axis axes[SWEEP_AXIS_COUNT];
    struct sweep_value fixed[SWEEP_KNOB_COUNT]; /* every knob's fixed value (defaults at init) */
    int repeat;                             /* measured rounds per reference group: each
                                             * member runs once per round (default 10, the
                                             * fewest with a 95% interval at j = 2) */
    int warmup;                             /* warm-up generations per cell (default 1) */
    double budget_s;                        /* > 0: after `repeat` rounds, more rounds until
                                             * each member has this many seconds measured */
    int redo_disturbed;                     /* > 0: up to this many replacement rounds per
                                             * group for rounds judged disturbed (the disturbed
                                             * ones are kept and counted too) */
};

void sweep_spec_init(struct sweep_spec *s);
void sweep_spec_release(struct sweep_spec *s);

/* "knob=values" onto axis a; a knob may be on one axis at most. */
int sweep_spec_set_axis(struct sweep_spec *s, enum sweep_axis_id a, const char *assign,
                        char **cause);
/* One fixed value for a knob (a single value of its grammar). */
int sweep_spec_set_fixed(struct sweep_spec *s, const char *knob, const char *value, char **cause);
/* Reads a JSON spec: {"name": "...", "x": "threshold=0.05-0.3 [6]", "y": ..., "z": ...,
 * "fixed": {"steps": 30, "sampler": "euler"}, "repeat": 3, "warmup": 1, "budget_s": 0}.
 * Numbers may be JSON numbers or strings; unknown keys are errors naming the key. */
int sweep_spec_from_json(struct sweep_spec *s, const char *json_text, const char *origin,
                         char **cause);
int sweep_spec_load(struct sweep_spec *s, const char *path, char **cause);

/* The canonical spec as JSON text with a fixed key order (allocated): equal specs give equal
 * text, and sweep_spec_from_json reads it back to the same spec. */
char *sweep_spec_canonical(const struct sweep_spec *s);

/* Cells: the product of the axes' counts (1 for unused axes). */
size_t sweep_spec_cell_count(const struct sweep_spec *s);

struct sweep_cell {
    size_t number;          /* position in grid order: x fastest, then y, then z */
    size_t ix, iy, iz;      /* value index on each axis (0 for unused axes) */
    const struct sweep_value *v[SWEEP_KNOB_COUNT];  /* every knob's value, borrowed */
    char config_hash[17];   /* 16 hex digits over every knob's canonical text (quiet
                             * defaults left out, see quiet_default) */
    char ref_hash[17];      /* the same over the knobs that are not cache knobs */
};

/* The cells in run order: grid order, except that the costliest axis (model, then dtype, then
 * compile) is the outermost loop.  The array is allocated; free it with free(). */
int sweep_spec_expand(const struct sweep_spec *s, struct sweep_cell **cells, size_t *count,
                      char **cause);

/* Knob values of a cell as numbers or text. */
double sweep_cell_num(const struct sweep_cell *c, enum sweep_knob k);
const char *sweep_cell_text(const struct sweep_cell *c, enum sweep_knob k);

#endif
