/*
 * complete.c - Tab completion in the sweep editor: knob names (and aliases) before the `=` of
 * an axis, sampler, scheduler, compile or dtype names where a value of those knobs is typed,
 * and model files (*.safetensors and directories) where a model path is.  Names come from the
 * registries (bench/spec's knob table, core's sampler, scheduler and compute dtype tables),
 * never from a copy.  Tab again cycles through the matches, Shift-Tab backwards; any other key
 * ends the cycle.
 */
#include "tui/tui_impl.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/sampler.h"
#include "core/scheduler.h"
#include "util/err.h"

#define TUI_COMPLETE_MAX 128

static const char *const tui_complete_compile_names[] = {"none"};

/* The registry names of a name knob, or of the knobs themselves (k < 0). */
static size_t
tui_complete_names(int k, const char **out)
{
    size_t n = 0;
    if (k < 0) {
        for (int i = 0; i < SWEEP_KNOB_COUNT; i++) {
            out[n++] = sweep_knob_info(i)->name;
            if (sweep_knob_info(i)->alias != NULL)
                out[n++] = sweep_knob_info(i)->alias;
        }
    } else if (k == SWEEP_KNOB_SAMPLER) {
        for (size_t i = 0; i < sampler_count && n < TUI_COMPLETE_MAX; i++)
            out[n++] = sampler_registry[i]->name;
    } else if (k == SWEEP_KNOB_SCHEDULER) {
        for (size_t i = 0; i < scheduler_count && n < TUI_COMPLETE_MAX; i++)
            out[n++] = scheduler_registry[i].name;
    } else if (k == SWEEP_KNOB_COMPILE) {
        out[n++] = tui_complete_compile_names[0];
    } else if (k == SWEEP_KNOB_DTYPE) {
        for (int i = 0; i < MODEL_DTYPE_COUNT; i++)
            out[n++] = tensor_dtype_name(model_dtypes[i]);
    }
    return n;
}

/* Model files and directories whose path starts with prefix (g is released by the caller). */
static size_t
tui_complete_paths(const char *prefix, glob_t *g, const char **out)
{
    char *pattern = xasprintf("%s*", prefix);
    size_t n = 0;
    if (glob(pattern, GLOB_MARK, NULL, g) == 0)
        for (size_t i = 0; i < g->gl_pathc && n < TUI_COMPLETE_MAX; i++) {
            const char *p = g->gl_pathv[i];
            size_t len = strlen(p);
            if (p[len - 1] == '/' || (len > 12 && strcmp(p + len - 12, ".safetensors") == 0))
                out[n++] = p;
        }
    free(pattern);
    return n;
}

/* Where the word at the cursor starts, and which names complete it: knob names, a name
 * registry, or (the model knob) files. */
static size_t
tui_complete_context(const struct tui_field *f, const char *prefix, size_t *start, glob_t *g,
                     const char **names)
{
    const char *text = f->line.text;
    size_t at = f->line.cursor;
    int k = f->kind == TUI_FIELD_KNOB ? f->index : -1;
    while (at > 0 && strchr(k == SWEEP_KNOB_MODEL ? "," : "=,| ", text[at - 1]) == NULL)
        at--;
    *start = at;
    if (f->kind == TUI_FIELD_AXIS) {
        const char *eq = memchr(text, '=', at);
        char knob[64];
        if (eq == NULL)
            return tui_complete_names(-1, names);
        snprintf(knob, sizeof knob, "%.*s", (int)(eq - text), text);
        if ((k = sweep_knob_find(knob, NULL)) < 0)
            return 0;
    } else if (f->kind != TUI_FIELD_KNOB) {
        return 0;
    }
    if (k == SWEEP_KNOB_MODEL)
        return tui_complete_paths(prefix ? prefix : text + at, g, names);
    return tui_complete_names(k, names);
}

/* Replaces text[start..cursor) with word. */
static void
tui_complete_replace(struct tui_field *f, size_t start, const char *word)
{
    char rest[TUI_LINE_MAX], *text = f->line.text;
    snprintf(rest, sizeof rest, "%s", text + f->line.cursor);
    snprintf(text + start, sizeof f->line.text - start, "%s%s", word, rest);
    f->line.cursor = start + strlen(word);
    if (f->line.cursor > strlen(text))
        f->line.cursor = strlen(text);
}

int
tui_editor_complete(struct tui *t, int dir)
{
    struct tui_editor *e = &t->ed;
    struct tui_field *f = &e->fields[e->focus];
    const char *names[TUI_COMPLETE_MAX], *matches[TUI_COMPLETE_MAX];
    glob_t g = {0};
    int again = e->comp_field == e->focus;
    size_t start, m = 0;
    size_t n = tui_complete_context(f, again ? e->comp_prefix : NULL, &start, &g, names);
    if (!again) {
        e->comp_field = e->focus;
        e->comp_start = start;
        snprintf(e->comp_prefix, sizeof e->comp_prefix, "%.*s", (int)(f->line.cursor - start),
                 f->line.text + start);
        e->comp_index = dir > 0 ? -1 : 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strncmp(names[i], e->comp_prefix, strlen(e->comp_prefix)) == 0)
            matches[m++] = names[i];
    if (m == 0) {
        tui_message(t, TUI_ROLE_WARN, "no completion for '%s'", e->comp_prefix);
        tui_editor_complete_reset(t);
    } else {
        e->comp_index = (int)(((size_t)(e->comp_index + dir + (int)m)) % m);
        tui_complete_replace(f, e->comp_start, matches[e->comp_index]);
        if (m > 1)
            tui_message(t, TUI_ROLE_OK, "%d of %zu matches (Tab: next)", e->comp_index + 1, m);
        tui_editor_changed(t);
    }
    globfree(&g);
    return TUI_HANDLED | TUI_REDRAW;
}

void
tui_editor_complete_reset(struct tui *t)
{
    t->ed.comp_field = -1;
}
