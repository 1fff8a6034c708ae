/*
 * trace.h - one record per model call: the raw material of hit rates,
 * per-step plots and the TUI's live strip.
 *
 * A struct trace is a growable array the caller owns (trace_init/release).
 * The engine appends one record per call of D(x, sigma); the cache policy
 * fills the decision fields.  As JSON Lines each record is one object with
 * the keys step, call, sigma, timestep, rel_l1 (number or null), hit, reason,
 * ms, in that order (DESIGN.md), then seq and, when the trace knows it, dtype
 * (the model's compute dtype, the same on every record of a generation).
 */
#ifndef FBW_CORE_TRACE_H
#define FBW_CORE_TRACE_H

#include <stddef.h>
#include <stdio.h>

/* Why a call was computed or skipped. */
enum trace_reason {
    TRACE_OFF,          /* no cache policy active: every call computed */
    TRACE_FIRST,        /* no reference yet (first call of a generation or of a slot) */
    TRACE_WINDOW,       /* similar, but sigma outside [end_sigma, start_sigma] */
    TRACE_MAX_HITS,     /* similar, but max_consecutive_cache_hits reached */
    TRACE_THRESHOLD,    /* rel-L1 not below the threshold (NaN included) */
    TRACE_HIT,          /* cached: blocks 1..n-1 skipped */
    TRACE_REASON_COUNT
};

const char *trace_reason_name(enum trace_reason reason);

struct trace_record {
    int step;           /* sampler step index, 0-based */
    int call;           /* model call index within the step, 0-based */
    int seq;            /* calls in a row at this same sigma before this one (WaveSpeed's
                         * sequence_num) */
    double sigma;
    double timestep;    /* what the network received */
    double rel_l1;      /* NaN when not computed */
    int hit;
    enum trace_reason reason;
    double ms;          /* wall time of the whole call */
};

struct trace {
    struct trace_record *records;
    size_t count, alloc;
    const char *dtype;  /* the calls' compute dtype ("f32", "bf16", "f16"; static storage), or
                         * NULL when unknown (a trace read back from the store) */
};

void trace_init(struct trace *t);
void trace_release(struct trace *t);
/* Empties the trace, keeping its storage and dtype. */
void trace_reset(struct trace *t);
/* Appends a zeroed record and returns it (valid until the next append). */
struct trace_record *trace_append(struct trace *t);
size_t trace_hits(const struct trace *t);
/* Steps whose every call hit, and the number of distinct steps. */
size_t trace_steps_hit(const struct trace *t, size_t *steps);
/* The steps whose every call hit as ranges, e.g. "5-9,12" ("" when none); allocated. */
char *trace_steps_hit_text(const struct trace *t);
/* Writes one JSON object per line; -1 on a write error. */
int trace_write_jsonl(const struct trace *t, FILE *f);

#endif
