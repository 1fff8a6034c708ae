/*
 * grammar.c - the value grammar of sweep axes: text such as "0.1-0.3 (+0.1)", "1, 2, .., 10"
 * or "euler, heun" to the list of values one knob takes (spec.h documents the forms).
 *
 * Concept: numbers are read as exact decimals (an int64 mantissa times a power of ten), and
 * ranges and ellipses step in those, so 0.1-0.3 (+0.1) stops at 0.3 where A1111's
 * np.arange(a, b + s, s) overshoots to 0.4.  `a-b [n]` is exact where the decimal result is
 * (0.05-0.3 [6]), and the nearest double otherwise (0-1 [3] gives 1/3 as 0.3333333333333333);
 * ints truncate toward zero as A1111's int(np.linspace(...)), but on the exact quotient.
 * A value's canonical text is its integer (ints) or the shortest decimal that reads back as the
 * same double (floats): it is the label and what the store keeps, and reading it back through
 * this grammar gives the same value and text.
 *
 * Lists split on commas, with CSV double quotes; when the text holds `||`, on that instead.  A
 * quoted item is one literal value (no range or ellipsis inside).  Names are checked against
 * their registries, numbers against the knob's bounds; empty items, empty or reversed ranges,
 * zero steps, duplicates and more than SWEEP_MAX_VALUES values are errors whose message names
 * the knob and the offending text.
 *
 * Ownership: sweep_values_parse returns a new array owning each value's text.
 */
#include "bench/spec.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/sampler.h"
#include "core/scheduler.h"
#include "util/err.h"

#define SWEEP_FMT_SIZE 48   /* a double's canonical text, with room to spare */

/* value = m * 10^e; m has no trailing zeros, and e = 0 when m = 0. */
struct sweep_dec {
    int64_t m;
    int e;
};

struct sweep_item {
    char *text;         /* trimmed */
    int quoted;         /* 1: written in double quotes (one literal value) */
};

/* The values read so far for one knob. */
struct sweep_parse {
    enum sweep_knob k;
    const struct sweep_knob_info *info;
    struct sweep_value *v;
    size_t n, cap;
    char **cause;
};

/* ---- canonical text of a double ---- */

/* Rewrites "%.*e" output (d.ddde+XX) as plain decimal, or as 1.5e-8 outside 1e-7..1e21. */
static void
sweep_fmt_plain(const char *sci, char *out)
{
    char digits[24];
    size_t n = 0;
    const char *p = sci;
    if (*p == '-')
        *out++ = *p++;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    int e = atoi(p + 1);
    if (e < -7 || e >= 21)
        sprintf(out, "%c%s%se%+d", digits[0], n > 1 ? "." : "", digits + 1, e);
    else if (e < 0)
        sprintf(out, "0.%.*s%s", -e - 1, "000000", digits);
    else if ((size_t)e + 1 >= n)
        sprintf(out, "%s%.*s", digits, (int)((size_t)e + 1 - n), "00000000000000000000");
    else
        sprintf(out, "%.*s.%s", e + 1, digits, digits + e + 1);
}

/* The shortest decimal that strtod reads back as x (x finite). */
static void
sweep_fmt_double(double x, char out[SWEEP_FMT_SIZE])
{
    char sci[SWEEP_FMT_SIZE];
    CHECK(isfinite(x));
    if (x == 0) {
        strcpy(out, "0");
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(sci, sizeof sci, "%.*e", p - 1, x);
        if (strtod(sci, NULL) == x)
            break;
    }
    sweep_fmt_plain(sci, out);
}

/* ---- exact decimals ---- */

static const char *
sweep_skip_ws(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

static struct sweep_dec
sweep_dec_norm(int64_t m, int e)
{
    if (m == 0)
        return (struct sweep_dec){0, 0};
    for (; m % 10 == 0; e++)
        m /= 10;
    return (struct sweep_dec){m, e};
}

/* Appends the exponent of "e[+-]digits" at s to *e when one is there; returns the end. */
static const char *
sweep_dec_exponent(const char *s, int *e)
{
    const char *t = s + 1;
    int neg = 0, x = 0;
    if (*s != 'e' && *s != 'E')
        return s;
    if (*t == '+' || *t == '-')
        neg = *t++ == '-';
    if (!isdigit((unsigned char)*t))
        return s;
    for (; isdigit((unsigned char)*t); t++)
        if (x < 100000)
            x = x * 10 + (*t - '0');
    *e += neg ? -x : x;
    return t;
}

/*
 * Reads a decimal at *p, [+-]digits[.digits][e[+-]digits] or [+-].digits, and advances *p.
 * *sign is -1 or +1 when a sign was written, else 0.  Returns 1; 0 when no number starts at
 * *p (nothing is consumed); -1 when the digits do not fit an int64.
 */
static int
sweep_dec_scan(const char **p, struct sweep_dec *d, int *sign)
{
    const char *s = *p;
    int64_t m = 0;
    int e = 0, digits = 0, over = 0, point = 0;
    *sign = 0;
    if (*s == '+' || *s == '-')
        *sign = *s++ == '-' ? -1 : 1;
    for (;; s++) {
        if (*s == '.' && !point) {
            point = 1;
            continue;
        }
        if (!isdigit((unsigned char)*s))
            break;
        digits++;
        if (m > (INT64_MAX - 9) / 10) {
            over = 1;
            continue;
        }
        m = m * 10 + (*s - '0');
        e -= point;
    }
    if (digits == 0)
        return 0;
    *p = sweep_dec_exponent(s, &e);
    if (over)
        return -1;
    *d = sweep_dec_norm(*sign < 0 ? -m : m, e);
    return 1;
}

/* d as a multiple of 10^e, for e <= d.e; -1 on int64 overflow. */
static int
sweep_dec_scale(struct sweep_dec d, int e, int64_t *out)
{
    int64_t m = d.m;
    CHECK(e <= d.e);
    for (int i = d.e; i > e && m != 0; i--)
        if (__builtin_mul_overflow(m, 10, &m))
            return -1;
    *out = m;
    return 0;
}

/* The nearest double (strtod rounds correctly). */
static double
sweep_dec_double(struct sweep_dec d)
{
    char buf[SWEEP_FMT_SIZE];
    snprintf(buf, sizeof buf, "%" PRId64 "e%d", d.m, d.e);
    return strtod(buf, NULL);
}

/* d's text for messages: canonical where d is a finite double. */
static void
sweep_dec_text(struct sweep_dec d, char out[SWEEP_FMT_SIZE])
{
    double x = sweep_dec_double(d);
    if (isfinite(x) && (x != 0) == (d.m != 0))
        sweep_fmt_double(x, out);
    else
        snprintf(out, SWEEP_FMT_SIZE, "%" PRId64 "e%d", d.m, d.e);
}

/* ---- values ---- */

static int
sweep_push(struct sweep_parse *ps, char *text, double num)
{
    if (ps->n == SWEEP_MAX_VALUES) {
        free(text);
        return err_set(ps->cause, "%s: more than %d values", ps->info->name, SWEEP_MAX_VALUES);
    }
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 8;
        ps->v = xrealloc(ps->v, ps->cap * sizeof *ps->v);
    }
    ps->v[ps->n++] = (struct sweep_value){.text = text, .num = num};
    return 0;
}

static int
sweep_bounds_error(const struct sweep_parse *ps, const char *value)
{
    char lo[SWEEP_FMT_SIZE], hi[SWEEP_FMT_SIZE];
    sweep_fmt_double(ps->info->lo, lo);
    sweep_fmt_double(ps->info->hi, hi);
    return err_set(ps->cause, "%s must be in [%s, %s], not %s", ps->info->name, lo, hi, value);
}

static int
sweep_emit_int(struct sweep_parse *ps, int64_t v)
{
    char *text = xasprintf("%" PRId64, v);
    if (v < (int64_t)ps->info->lo || v > (int64_t)ps->info->hi) {
        sweep_bounds_error(ps, text);
        free(text);
        return -1;
    }
    return sweep_push(ps, text, (double)v);
}

static int
sweep_emit_double(struct sweep_parse *ps, double x)
{
    char text[SWEEP_FMT_SIZE];
    if (!isfinite(x))
        return sweep_bounds_error(ps, x > 0 ? "inf" : "-inf");
    x = x == 0 ? 0 : x;     /* -0 reads as 0 */
    sweep_fmt_double(x, text);
    if (x < ps->info->lo || x > ps->info->hi)
        return sweep_bounds_error(ps, text);
    return sweep_push(ps, xstrdup(text), x);
}

/* d as an integer for an int knob, or an error naming it. */
static int
sweep_dec_int(struct sweep_parse *ps, struct sweep_dec d, int64_t *v)
{
    char text[SWEEP_FMT_SIZE];
    sweep_dec_text(d, text);
    if (d.e < 0)
        return err_set(ps->cause, "%s must be an integer, not %s", ps->info->name, text);
    if (sweep_dec_scale(d, 0, v) != 0)
        return sweep_bounds_error(ps, text);
    return 0;
}

static int
sweep_emit_dec(struct sweep_parse *ps, struct sweep_dec d)
{
    int64_t v;
    if (ps->info->kind == SWEEP_KIND_FLOAT)
        return sweep_emit_double(ps, sweep_dec_double(d));
    if (sweep_dec_int(ps, d, &v) != 0)
        return -1;
    return sweep_emit_int(ps, v);
}

/* ---- ranges ---- */

enum sweep_step_mode {
    SWEEP_STEP_NONE,        /* a-b: step 1, and b < a is an error */
    SWEEP_STEP_UNSIGNED,    /* a-b (s): s points from a to b */
    SWEEP_STEP_SIGNED,      /* a-b (+s), a-b (-s), a:b:s: s as written */
};

static int
sweep_too_many_digits(struct sweep_parse *ps, const char *item)
{
    return err_set(ps->cause, "%s: the numbers in '%s' need too many digits", ps->info->name,
                   item);
}

/* Scales in[0..n) to their smallest exponent *e: out[i] * 10^*e == in[i]. */
static int
sweep_align(struct sweep_parse *ps, const char *item, const struct sweep_dec *in, int64_t *out,
            int n, int *e)
{
    *e = in[0].e;
    for (int i = 1; i < n; i++)
        *e = in[i].e < *e ? in[i].e : *e;
    for (int i = 0; i < n; i++)
        if (sweep_dec_scale(in[i], *e, &out[i]) != 0)
            return sweep_too_many_digits(ps, item);
    return 0;
}

/* Emits (a + i*s) * 10^e for i = from..to. */
static int
sweep_steps(struct sweep_parse *ps, const char *item, int64_t a, int64_t s, int e, int64_t from,
            int64_t to)
{
    if (to - from >= SWEEP_MAX_VALUES)
        return err_set(ps->cause, "%s: '%s' gives %" PRId64 " values, more than %d",
                       ps->info->name, item, to - from + 1, SWEEP_MAX_VALUES);
    for (int64_t i = from; i <= to; i++)
        if (sweep_emit_dec(ps, sweep_dec_norm(a + i * s, e)) != 0)
            return -1;
    return 0;
}

/* a to b inclusive by s: a-b, a-b (s), a-b (+s), a:b:s. */
static int
sweep_range(struct sweep_parse *ps, const char *item, struct sweep_dec a, struct sweep_dec b,
            struct sweep_dec s, enum sweep_step_mode mode)
{
    int64_t x[3], span;
    int e;
    char ts[SWEEP_FMT_SIZE], ta[SWEEP_FMT_SIZE], tb[SWEEP_FMT_SIZE];
    if (sweep_align(ps, item, (struct sweep_dec[]){a, b, s}, x, 3, &e) != 0)
        return -1;
    if (__builtin_sub_overflow(x[1], x[0], &span))
        return sweep_too_many_digits(ps, item);
    if (mode == SWEEP_STEP_NONE && span < 0)
        return err_set(ps->cause, "%s: range %s is empty; write %s (-1) to count down",
                       ps->info->name, item, item);
    if (mode == SWEEP_STEP_UNSIGNED && span < 0)
        x[2] = -x[2];
    if (x[2] == 0)
        return err_set(ps->cause, "%s: '%s' has a zero step", ps->info->name, item);
    if ((span > 0 && x[2] < 0) || (span < 0 && x[2] > 0)) {
        sweep_dec_text(sweep_dec_norm(x[2], e), ts);
        sweep_dec_text(a, ta);
        sweep_dec_text(b, tb);
        return err_set(ps->cause, "%s: step %s does not go from %s to %s", ps->info->name, ts,
                       ta, tb);
    }
    return sweep_steps(ps, item, x[0], x[2], e, 0, span / x[2]);
}

/*
 * Value i of linspace(a, b, m + 1), a and b scaled by 10^e: the exact quotient
 * (a*m + (b-a)*i) / m, truncated toward zero for ints (A1111's int()), a decimal where it
 * terminates within 13 more digits (enough for m < 2^14), else the nearest double.  The
 * numerator needs up to 79 bits, hence GCC's __int128.
 */
static int
sweep_linspace_at(struct sweep_parse *ps, int64_t a, int64_t b, int e, int64_t i, int64_t m)
{
    if (i == 0 || i == m)
        return sweep_emit_dec(ps, sweep_dec_norm(i == 0 ? a : b, e));
    __int128 num = (__int128)a * m + ((__int128)b - a) * i;
    if (ps->info->kind == SWEEP_KIND_INT)
        return sweep_emit_int(ps, (int64_t)(num / m));
    __int128 t = num;
    for (int k = 0; k <= 13; k++, t *= 10) {
        if (t % m != 0)
            continue;
        __int128 q = t / m;
        if (q >= INT64_MIN && q <= INT64_MAX)
            return sweep_emit_dec(ps, sweep_dec_norm((int64_t)q, e - k));
        break;
    }
    long double x = (long double)num / (long double)m;
    for (int k = e; k < 0; k++)
        x /= 10;
    for (int k = e; k > 0; k--)
        x *= 10;
    return sweep_emit_double(ps, (double)x);
}

/* a-b [n]: n values evenly from a to b. */
static int
sweep_linspace(struct sweep_parse *ps, const char *item, struct sweep_dec a, struct sweep_dec b,
               struct sweep_dec count)
{
    int64_t n, x[2];
    int e;
    if (count.e < 0 || count.m < 1 || sweep_dec_scale(count, 0, &n) != 0 ||
        n > SWEEP_MAX_VALUES)
        return err_set(ps->cause, "%s: the count in '%s' must be a whole number from 1 to %d",
                       ps->info->name, item, SWEEP_MAX_VALUES);
    if (ps->info->kind == SWEEP_KIND_INT) {
        e = 0;
        if (sweep_dec_int(ps, a, &x[0]) != 0 || sweep_dec_int(ps, b, &x[1]) != 0)
            return -1;
    } else if (sweep_align(ps, item, (struct sweep_dec[]){a, b}, x, 2, &e) != 0) {
        return -1;
    }
    for (int64_t i = 0; i < n; i++)
        if (sweep_linspace_at(ps, x[0], x[1], e, i, n - 1) != 0)
            return -1;
    return 0;
}

/* ---- items ---- */

static int
sweep_bad_item(struct sweep_parse *ps, const char *item)
{
    return err_set(ps->cause, "%s: cannot read '%s' (expected %s, a-b, a-b (s), a-b [n] or a:b:s)",
                   ps->info->name, item,
                   ps->info->kind == SWEEP_KIND_INT ? "an integer" : "a number");
}

/* One number at *p of item, then blanks. */
static int
sweep_item_number(struct sweep_parse *ps, const char *item, const char **p, struct sweep_dec *d,
                  int *sign)
{
    int r = sweep_dec_scan(p, d, sign);
    if (r < 0)
        return sweep_too_many_digits(ps, item);
    if (r == 0)
        return sweep_bad_item(ps, item);
    *p = sweep_skip_ws(*p);
    return 0;
}

/* The "(s)" or "[n]" after a-b, at p. */
static int
sweep_suffix_item(struct sweep_parse *ps, const char *item, struct sweep_dec a,
                  struct sweep_dec b, const char *p)
{
    char close = *p == '(' ? ')' : ']';
    struct sweep_dec x;
    int sign;
    p = sweep_skip_ws(p + 1);
    if (sweep_item_number(ps, item, &p, &x, &sign) != 0)
        return -1;
    if (*p != close || *sweep_skip_ws(p + 1) != '\0')
        return sweep_bad_item(ps, item);
    if (close == ']')
        return sweep_linspace(ps, item, a, b, x);
    return sweep_range(ps, item, a, b, x, sign ? SWEEP_STEP_SIGNED : SWEEP_STEP_UNSIGNED);
}

/* The ":b:s" of a:b:s, at p. */
static int
sweep_colon_item(struct sweep_parse *ps, const char *item, struct sweep_dec a, const char *p)
{
    struct sweep_dec b, s;
    int sign;
    p = sweep_skip_ws(p);
    if (sweep_item_number(ps, item, &p, &b, &sign) != 0)
        return -1;
    if (*p != ':')
        return sweep_bad_item(ps, item);
    p = sweep_skip_ws(p + 1);
    if (sweep_item_number(ps, item, &p, &s, &sign) != 0)
        return -1;
    if (*p != '\0')
        return sweep_bad_item(ps, item);
    return sweep_range(ps, item, a, b, s, SWEEP_STEP_SIGNED);
}

/* A number, a-b, a-b (s), a-b [n] or a:b:s. */
static int
sweep_number_item(struct sweep_parse *ps, const char *item)
{
    const char *p = item;
    struct sweep_dec a, b;
    int sign;
    if (sweep_item_number(ps, item, &p, &a, &sign) != 0)
        return -1;
    if (*p == '\0')
        return sweep_emit_dec(ps, a);
    if (*p == ':')
        return sweep_colon_item(ps, item, a, p + 1);
    if (*p != '-')
        return sweep_bad_item(ps, item);
    p = sweep_skip_ws(p + 1);
    if (sweep_item_number(ps, item, &p, &b, &sign) != 0)
        return -1;
    if (*p == '\0')
        return sweep_range(ps, item, a, b, (struct sweep_dec){1, 0}, SWEEP_STEP_NONE);
    if (*p == '(' || *p == '[')
        return sweep_suffix_item(ps, item, a, b, p);
    return sweep_bad_item(ps, item);
}

/* A quoted number: one literal value, never a range. */
static int
sweep_quoted_number(struct sweep_parse *ps, const char *item)
{
    const char *p = sweep_skip_ws(item);
    struct sweep_dec d;
    int sign;
    if (sweep_dec_scan(&p, &d, &sign) != 1 || *sweep_skip_ws(p) != '\0')
        return err_set(ps->cause, "%s: cannot read \"%s\" as one number (quoted values are "
                       "not expanded)", ps->info->name, item);
    return sweep_emit_dec(ps, d);
}

static int
sweep_name_item(struct sweep_parse *ps, const char *name)
{
    const char *hint;
    switch (ps->k) {
    case SWEEP_KNOB_SAMPLER:
        if (sampler_find(name) != NULL)
            return sweep_push(ps, xstrdup(name), NAN);
        hint = sampler_closest(name);
        break;
    case SWEEP_KNOB_SCHEDULER:
        if (scheduler_find(name) != NULL)
            return sweep_push(ps, xstrdup(name), NAN);
        hint = scheduler_closest(name);
        break;
    case SWEEP_KNOB_DTYPE: {
        enum tensor_dtype dt;
        if (model_dtype_find(name, &dt) == 0)
            return sweep_push(ps, xstrdup(name), NAN);
        hint = model_dtype_closest(name);
        break;
    }
    default:
        CHECK(ps->k == SWEEP_KNOB_COMPILE);
        if (strcmp(name, "none") == 0)
            return sweep_push(ps, xstrdup(name), NAN);
        hint = "none";
        break;
    }
    return err_set(ps->cause, "unknown %s '%s' (did you mean '%s'?)", ps->info->name, name, hint);
}

static int
sweep_one_item(struct sweep_parse *ps, const struct sweep_item *it)
{
    if (it->text[0] == '\0')
        return err_set(ps->cause, "%s: empty value", ps->info->name);
    switch (ps->info->kind) {
    case SWEEP_KIND_NAME:
        return sweep_name_item(ps, it->text);
    case SWEEP_KIND_PATH:
        return sweep_push(ps, xstrdup(it->text), NAN);
    default:
        return it->quoted ? sweep_quoted_number(ps, it->text) : sweep_number_item(ps, it->text);
    }
}

static int
sweep_is_ellipsis(const struct sweep_item *it)
{
    return !it->quoted && (strcmp(it->text, "..") == 0 || strcmp(it->text, "...") == 0);
}

/* "prev, last, .., end": last + step, ..., end, where step = last - prev must reach end. */
static int
sweep_ellipsis(struct sweep_parse *ps, const char *end_item)
{
    struct sweep_dec d[3];
    int64_t x[3], step, span;
    int e, sign;
    char tl[SWEEP_FMT_SIZE], ts[SWEEP_FMT_SIZE], te[SWEEP_FMT_SIZE];
    const char *p = end_item;
    if (ps->n < 2)
        return err_set(ps->cause, "%s: '..' needs two values before it", ps->info->name);
    for (int i = 0; i < 2; i++) {
        const char *t = ps->v[ps->n - 2 + i].text;
        CHECK(sweep_dec_scan(&t, &d[i], &sign) == 1);
    }
    if (sweep_item_number(ps, end_item, &p, &d[2], &sign) != 0)
        return -1;
    if (*p != '\0')
        return err_set(ps->cause, "%s: '..' must be followed by one value, not '%s'",
                       ps->info->name, end_item);
    if (sweep_align(ps, end_item, d, x, 3, &e) != 0 ||
        __builtin_sub_overflow(x[1], x[0], &step) || __builtin_sub_overflow(x[2], x[1], &span))
        return sweep_too_many_digits(ps, end_item);
    sweep_dec_text(d[1], tl);
    sweep_dec_text(sweep_dec_norm(step, e), ts);
    sweep_dec_text(d[2], te);
    if (step == 0)
        return err_set(ps->cause, "%s: '..' after %s, %s has a zero step", ps->info->name, tl,
                       tl);
    if (span == 0)
        return err_set(ps->cause, "%s: '..' ends at %s, the value before it", ps->info->name,
                       te);
    if ((span > 0) != (step > 0))
        return err_set(ps->cause, "%s: '..' steps by %s from %s, away from %s", ps->info->name,
                       ts, tl, te);
    if (span % step != 0)
        return err_set(ps->cause, "%s: '..' steps by %s from %s and misses %s", ps->info->name,
                       ts, tl, te);
    return sweep_steps(ps, end_item, x[1], step, e, 1, span / step);
}

static int
sweep_parse_items(struct sweep_parse *ps, const struct sweep_item *it, size_t n)
{
    int numeric = ps->info->kind == SWEEP_KIND_INT || ps->info->kind == SWEEP_KIND_FLOAT;
    for (size_t i = 0; i < n; i++) {
        if (!numeric || !sweep_is_ellipsis(&it[i])) {
            if (sweep_one_item(ps, &it[i]) != 0)
                return -1;
            continue;
        }
        if (i + 1 == n || sweep_is_ellipsis(&it[i + 1]))
            return err_set(ps->cause, "%s: '..' needs one value after it", ps->info->name);
        if (sweep_ellipsis(ps, it[++i].text) != 0)
            return -1;
    }
    return 0;
}

/* ---- splitting ---- */

struct sweep_items {
    struct sweep_item *v;
    size_t n, cap;
};

static void
sweep_items_add(struct sweep_items *l, char *text, int quoted)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (struct sweep_item){.text = text, .quoted = quoted};
}

static void
sweep_items_release(struct sweep_items *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
}

/* s[0..len) without surrounding blanks, as a new string. */
static char *
sweep_trimmed(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s))
        s++, len--;
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    char *t = xmalloc(len + 1);
    memcpy(t, s, len);
    t[len] = '\0';
    return t;
}

/* Items between `||` separators. */
static int
sweep_split_bars(struct sweep_parse *ps, const char *text, struct sweep_items *l)
{
    for (const char *p = text;;) {
        const char *q = strstr(p, "||");
        sweep_items_add(l, sweep_trimmed(p, q ? (size_t)(q - p) : strlen(p)), 0);
        if (l->v[l->n - 1].text[0] == '\0')
            return err_set(ps->cause, "%s: empty value in '%s'", ps->info->name, text);
        if (q == NULL)
            return 0;
        p = q + 2;
    }
}

/* The CSV field in double quotes at *p ("" for a quote); leaves *p at the comma or the end. */
static int
sweep_read_quoted(struct sweep_parse *ps, const char *text, const char **p, char **out)
{
    const char *s = *p + 1;
    char *buf = xmalloc(strlen(s) + 1);
    size_t n = 0;
    for (; *s != '"' || s[1] == '"'; s++) {
        if (*s == '\0') {
            free(buf);
            return err_set(ps->cause, "%s: unterminated quote in '%s'", ps->info->name, text);
        }
        buf[n++] = *s;
        s += *s == '"';
    }
    buf[n] = '\0';
    s = sweep_skip_ws(s + 1);
    if (*s != ',' && *s != '\0') {
        free(buf);
        return err_set(ps->cause, "%s: text after a closing quote in '%s'", ps->info->name, text);
    }
    *p = s;
    *out = buf;
    return 0;
}

/* Comma-separated items, CSV quoting. */
static int
sweep_split_csv(struct sweep_parse *ps, const char *text, struct sweep_items *l)
{
    for (const char *p = text;; p++) {
        char *t = NULL;
        p = sweep_skip_ws(p);
        if (*p == '"') {
            if (sweep_read_quoted(ps, text, &p, &t) != 0)
                return -1;
            sweep_items_add(l, t, 1);
        } else {
            size_t len = strcspn(p, ",");
            sweep_items_add(l, t = sweep_trimmed(p, len), 0);
            if (t[0] == '\0')
                return err_set(ps->cause, "%s: empty value in '%s'", ps->info->name, text);
            p += len;
        }
        if (*p == '\0')
            return 0;
    }
}

static int
sweep_split(struct sweep_parse *ps, const char *text, struct sweep_items *l)
{
    if (*sweep_skip_ws(text) == '\0')
        return err_set(ps->cause, "%s: no values given", ps->info->name);
    if (strstr(text, "||") != NULL)
        return sweep_split_bars(ps, text, l);
    return sweep_split_csv(ps, text, l);
}

/* ---- the list ---- */

static int
sweep_value_cmp(const void *a, const void *b)
{
    const struct sweep_value *const *x = a, *const *y = b;
    return strcmp((*x)->text, (*y)->text);
}

/* Equal texts are equal values (texts are canonical). */
static int
sweep_check_duplicates(struct sweep_parse *ps)
{
    const struct sweep_value **sorted = xmalloc(ps->n * sizeof *sorted);
    int rc = 0;
    for (size_t i = 0; i < ps->n; i++)
        sorted[i] = &ps->v[i];
    qsort(sorted, ps->n, sizeof *sorted, sweep_value_cmp);
    for (size_t i = 1; i < ps->n && rc == 0; i++)
        if (strcmp(sorted[i - 1]->text, sorted[i]->text) == 0)
            rc = err_set(ps->cause, "%s: duplicate value %s", ps->info->name, sorted[i]->text);
    free(sorted);
    return rc;
}

int
sweep_values_parse(enum sweep_knob k, const char *text, struct sweep_value **values,
                   size_t *count, char **cause)
{
    CHECK((int)k >= 0 && k < SWEEP_KNOB_COUNT && text != NULL);
    struct sweep_parse ps = {.k = k, .info = sweep_knob_info(k), .cause = cause};
    struct sweep_items items = {0};
    int rc = sweep_split(&ps, text, &items);
    if (rc == 0)
        rc = sweep_parse_items(&ps, items.v, items.n);
    if (rc == 0)
        rc = sweep_check_duplicates(&ps);
    sweep_items_release(&items);
    if (rc != 0) {
        sweep_values_free(ps.v, ps.n);
        return -1;
    }
    *values = ps.v;
    *count = ps.n;
    return 0;
}

void
sweep_values_free(struct sweep_value *values, size_t count)
{
    if (values == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(values[i].text);
    free(values);
}
