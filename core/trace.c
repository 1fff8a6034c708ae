/*
 * trace.c - the per-call record array and its JSON Lines form.
 * The JSON is written with jansson so numbers and nulls are always valid.
 */
#include "core/trace.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "util/err.h"

static const char *const trace_reason_names[] = {
    "off", "first", "window", "max_hits", "threshold", "hit",
};
NAME_TABLE_CHECK(trace_reason_names, TRACE_REASON_COUNT);

const char *
trace_reason_name(enum trace_reason reason)
{
    CHECK((unsigned)reason < TRACE_REASON_COUNT);
    return trace_reason_names[reason];
}

void
trace_init(struct trace *t)
{
    memset(t, 0, sizeof *t);
}

void
trace_release(struct trace *t)
{
    free(t->records);
    memset(t, 0, sizeof *t);
}

void
trace_reset(struct trace *t)
{
    t->count = 0;
}

struct trace_record *
trace_append(struct trace *t)
{
    if (t->count == t->alloc) {
        t->alloc = t->alloc ? 2 * t->alloc : 64;
        t->records = xrealloc(t->records, t->alloc * sizeof *t->records);
    }
    struct trace_record *r = &t->records[t->count++];
    memset(r, 0, sizeof *r);
    r->rel_l1 = NAN;
    return r;
}

size_t
trace_hits(const struct trace *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++)
        n += t->records[i].hit != 0;
    return n;
}

size_t
trace_steps_hit(const struct trace *t, size_t *steps)
{
    size_t hit = 0, n = 0;
    for (size_t i = 0; i < t->count;) {
        int step = t->records[i].step, all = 1;
        for (; i < t->count && t->records[i].step == step; i++)
            all &= t->records[i].hit != 0;
        hit += all;
        n++;
    }
    if (steps != NULL)
        *steps = n;
    return hit;
}

char *
trace_steps_hit_text(const struct trace *t)
{
    size_t cap = 64, len = 0;
    char *out = xmalloc(cap);
    out[0] = '\0';
    int first = -1, last = -2;
    for (size_t i = 0; i <= t->count;) {
        int step = -1, all = 0;
        if (i < t->count) {
            step = t->records[i].step;
            for (all = 1; i < t->count && t->records[i].step == step; i++)
                all &= t->records[i].hit != 0;
        } else {
            i++;
        }
        if (all && step == last + 1) {
            last = step;
            continue;
        }
        if (first >= 0) {
            char piece[48];
            int n = first == last ? snprintf(piece, sizeof piece, "%s%d", len ? "," : "", first)
                                  : snprintf(piece, sizeof piece, "%s%d-%d", len ? "," : "",
                                             first, last);
            if (len + (size_t)n + 1 > cap)
                out = xrealloc(out, cap = 2 * (len + (size_t)n + 1));
            memcpy(out + len, piece, (size_t)n + 1);
            len += (size_t)n;
        }
        first = last = all ? step : -1;
        if (!all)
            last = -2;
    }
    return out;
}

int
trace_write_jsonl(const struct trace *t, FILE *f)
{
    for (size_t i = 0; i < t->count; i++) {
        const struct trace_record *r = &t->records[i];
        json_t *o = json_object();
        json_object_set_new(o, "step", json_integer(r->step));
        json_object_set_new(o, "call", json_integer(r->call));
        json_object_set_new(o, "sigma", json_real(r->sigma));
        json_object_set_new(o, "timestep", json_real(r->timestep));
        json_object_set_new(o, "rel_l1", isfinite(r->rel_l1) ? json_real(r->rel_l1) : json_null());
        json_object_set_new(o, "hit", json_boolean(r->hit));
        json_object_set_new(o, "reason", json_string(trace_reason_name(r->reason)));
        json_object_set_new(o, "ms", json_real(r->ms));
        json_object_set_new(o, "seq", json_integer(r->seq));
        if (t->dtype != NULL)
            json_object_set_new(o, "dtype", json_string(t->dtype));
        int rc = json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        json_decref(o);
        if (rc != 0 || fputc('\n', f) == EOF)
            return -1;
    }
    return 0;
}
