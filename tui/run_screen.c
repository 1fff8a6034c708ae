/*
 * run_screen.c - the run view: the background sweep's overall progress bar with its ETA, the
 * current cell's settings and phase, a live strip of the current generation (rel-L1 per model
 * call against the threshold, hit or miss per call), the runs finished so far, and the child's
 * log when it fails.  The data is struct tui_run's (run_child.c); this file only draws it and
 * maps pause, resume and cancel onto it.
 */
#include "tui/tui_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static struct tui_run_layout
tui_runview_geometry(const struct tui *t)
{
    struct tui_run_layout l;
    struct tui_rect b = t->frame.body;
    b.x += 1;
    b.w -= 2;
    tui_layout_run(b, &l);
    return l;
}

void
tui_runview_layout(struct tui *t)
{
    struct tui_run_layout l = tui_runview_geometry(t);
    panel_move(&t->run_list, l.finished);
}

static enum tui_role
tui_runview_state_role(enum tui_run_state s)
{
    switch (s) {
    case TUI_RUN_RUNNING: return TUI_ROLE_OK;
    case TUI_RUN_DONE: return TUI_ROLE_BEST;
    case TUI_RUN_FAILED: return TUI_ROLE_ERR;
    default: return TUI_ROLE_WARN;
    }
}

static const char *
tui_runview_hint(enum tui_run_state s)
{
    switch (s) {
    case TUI_RUN_RUNNING: return "F6 pauses, F8 cancels; complete cells are always kept";
    case TUI_RUN_PAUSING: case TUI_RUN_CANCELLING: return "stopping after the current step...";
    case TUI_RUN_PAUSED: return "F6 resumes: complete cells are skipped";
    case TUI_RUN_CANCELLED: return "cancelled; F6 resumes anyway, F4 shows what is complete";
    case TUI_RUN_DONE: return "every run complete: F4 for the results, F5 for plots";
    case TUI_RUN_FAILED: return "F6 retries; the log is below";
    default: return "";
    }
}

static void
tui_runview_draw_head(struct tui *t, const struct tui_run_layout *l)
{
    const struct tui_run *r = &t->run;
    struct tui_rect s = l->status, b = l->bar;
    char el[32], eta[32];
    int x = s.x + tui_draw_textf(s.y, s.x, s.w, TUI_ROLE_VALUE, "sweep '%s' ", r->name);
    x += tui_draw_textf(s.y, x, s.x + s.w - x, tui_runview_state_role(r->state), "%s ",
                        tui_run_state_name(r->state));
    tui_draw_textf(s.y, x, s.x + s.w - x, TUI_ROLE_DIM, " %s", tui_runview_hint(r->state));
    tui_text_duration(r->elapsed, el, sizeof el);
    tui_text_duration(tui_run_active(r) ? r->eta : 0, eta, sizeof eta);
    char tail[128];
    char failed[32] = "";
    if (r->failed > 0)
        snprintf(failed, sizeof failed, " (%ld failed)", r->failed);
    int n = snprintf(tail, sizeof tail, " %ld/%ld runs%s %3.0f%%  elapsed %s  ETA %s", r->done,
                     r->total, failed, r->total ? 100.0 * (double)r->done / (double)r->total : 0,
                     el, tui_run_active(r) && r->eta >= 0 ? eta : "-");
    int bw = b.w - n;
    if (bw > 4) {
        tui_draw_bar(b.y, b.x, bw, r->total ? (double)r->done / (double)r->total : 0,
                     TUI_ROLE_BAR);
        tui_draw_text(b.y, b.x + bw, b.w - bw, TUI_ROLE_NORMAL, tail);
    } else {
        tui_draw_text(b.y, b.x, b.w, TUI_ROLE_NORMAL, tail);
    }
}

static void
tui_runview_draw_current(struct tui *t, const struct tui_run_layout *l)
{
    const struct tui_run *r = &t->run;
    struct tui_rect c = l->current;
    if (c.h < 1)
        return;
    if (!tui_run_active(r) || r->desc == NULL) {
        tui_draw_text(c.y, c.x, c.w, TUI_ROLE_DIM, "no generation running");
        return;
    }
    int x = c.x + tui_draw_text(c.y, c.x, c.w, TUI_ROLE_LABEL, r->reference ? "reference  "
                                                                            : "cell  ");
    tui_draw_textf(c.y, x, c.x + c.w - x, TUI_ROLE_VALUE, "%s%s", r->desc,
                   r->reference ? "  (uncached)" : "");
    if (c.h < 2)
        return;
    /* Measured generations run in rounds (every member of the group once per round). */
    const char *phase = strcmp(r->phase, "measure") == 0 ? "round" : r->phase;
    x = c.x + tui_draw_textf(c.y + 1, c.x, c.w, TUI_ROLE_NORMAL, "%s %d/%d  step %d/%d  ",
                             phase, r->rep + 1, r->reps, r->step + 1, r->steps);
    int bar = c.x + c.w - x > 40 ? 40 : c.x + c.w - x;
    if (bar > 10) {
        tui_draw_bar(c.y + 1, x, bar, r->steps ? (double)(r->step + 1) / r->steps : 0,
                     TUI_ROLE_BAR);
        x += bar;
    }
    if (isfinite(r->load) && c.x + c.w - x > 12)     /* the machine's state beside the work */
        tui_draw_textf(c.y + 1, x, c.x + c.w - x, TUI_ROLE_DIM, "  load %.2f", r->load);
}

static void
tui_runview_draw_strip(struct tui *t, const struct tui_run_layout *l)
{
    const struct tui_run *r = &t->run;
    char title[128];
    if (l->chart.h <= 0 || !tui_run_active(r))
        return;
    if (r->threshold > 0)
        snprintf(title, sizeof title, "rel-L1 per model call, threshold %g (dashed): green "
                 "hit, red computed", r->threshold);
    else
        snprintf(title, sizeof title, "rel-L1 per model call (cache off: every call computed)");
    tui_draw_heading(l->chart.y - 1, l->chart.x, l->chart.w, title);
    if (r->ncalls == 0) {
        tui_draw_text(l->chart.y + l->chart.h / 2, l->chart.x + 7, l->chart.w - 7, TUI_ROLE_DIM,
                      "waiting for the first step...");
        return;
    }
    /* laid out for the whole generation: steps x the calls per step seen so far */
    size_t per_step = (r->ncalls + (size_t)r->step) / (size_t)(r->step + 1);
    size_t total = (size_t)r->steps * (per_step ? per_step : 1);
    tui_draw_strip(l->chart, l->hits, r->rel, r->hit, r->ncalls, total, r->threshold);
}

/* The finished runs, newest at the bottom; a failure's log tail after them. */
static void
tui_runview_draw_finished(struct tui *t, const struct tui_run_layout *l)
{
    const struct tui_run *r = &t->run;
    struct panel *p = &t->run_list;
    struct tui_rect f = l->finished;
    const struct tui_glyphs *g = tui_term_glyphs();
    char **lines = NULL;
    size_t nerr = r->error ? tui_text_wrap(r->error, f.w > 2 ? f.w - 2 : 1, 2, &lines) : 0;
    size_t kept = r->nlines < TUI_RUN_KEEP ? r->nlines : TUI_RUN_KEEP;
    int total = (int)(kept + nerr), y = f.y;
    tui_draw_heading(f.y - 1, f.x, f.w, r->error ? "finished runs, then the sweep's log"
                                                 : "finished runs (newest last)");
    if (p->scroll > total - f.h)
        p->scroll = total - f.h > 0 ? total - f.h : 0;
    int first = total - f.h - p->scroll > 0 ? total - f.h - p->scroll : 0;
    for (int i = first; i < total && y < f.y + f.h; i++, y++) {
        if ((size_t)i < kept) {
            const struct tui_run_line *ln = &r->lines[(r->nlines - kept + (size_t)i) %
                                                      TUI_RUN_KEEP];
            enum tui_role role = ln->kind == TUI_RUN_LINE_OK ? TUI_ROLE_OK
                                 : ln->kind == TUI_RUN_LINE_FAILED ? TUI_ROLE_ERR : TUI_ROLE_DIM;
            tui_draw_text(y, f.x, 2, role, ln->kind == TUI_RUN_LINE_FAILED ? g->fail : g->ok);
            tui_draw_text(y, f.x + 2, f.w - 2, TUI_ROLE_NORMAL, ln->text);
        } else {
            tui_draw_text(y, f.x + 2, f.w - 2, TUI_ROLE_ERR, lines[(size_t)i - kept]);
        }
    }
    for (size_t i = 0; i < nerr; i++)
        free(lines[i]);
    free(lines);
}

void
tui_runview_draw(struct tui *t)
{
    struct tui_run_layout l = tui_runview_geometry(t);
    if (t->run.state == TUI_RUN_IDLE) {
        struct tui_rect b = t->frame.body;
        tui_draw_text(b.y + b.h / 2 - 1, b.x + 2, b.w - 4, TUI_ROLE_VALUE,
                      "No sweep has run in this session.");
        tui_draw_text(b.y + b.h / 2, b.x + 2, b.w - 4, TUI_ROLE_DIM,
                      "Plan one in the sweep editor (F2) and press F6 to run it here.");
        return;
    }
    tui_runview_draw_head(t, &l);
    tui_runview_draw_current(t, &l);
    tui_runview_draw_strip(t, &l);
    tui_runview_draw_finished(t, &l);
}

int
tui_runview_key(struct tui *t, int key)
{
    struct panel *p = &t->run_list;
    switch (key) {
    case TUI_KEY_CODE(KEY_UP): p->scroll++; return TUI_REDRAW;
    case TUI_KEY_CODE(KEY_DOWN): p->scroll = p->scroll > 0 ? p->scroll - 1 : 0; return TUI_REDRAW;
    case TUI_KEY_CODE(KEY_PPAGE): p->scroll += p->h; return TUI_REDRAW;
    case TUI_KEY_CODE(KEY_NPAGE):
        p->scroll = p->scroll > p->h ? p->scroll - p->h : 0;
        return TUI_REDRAW;
    case TUI_KEY_CODE(KEY_END): p->scroll = 0; return TUI_REDRAW;
    default: return 0;
    }
}

int
tui_runview_mouse(struct tui *t, int x, int y, int button)
{
    (void)x;
    (void)y;
    if (button == TUI_MOUSE_UP)
        return tui_runview_key(t, TUI_KEY_CODE(KEY_UP));
    if (button == TUI_MOUSE_DOWN)
        return tui_runview_key(t, TUI_KEY_CODE(KEY_DOWN));
    return 0;
}

int
tui_runview_pause(struct tui *t)
{
    char *cause = NULL;
    struct tui_run *r = &t->run;
    switch (r->state) {
    case TUI_RUN_RUNNING:
        tui_run_pause(r);
        tui_message(t, TUI_ROLE_WARN, "pausing after the current step");
        break;
    case TUI_RUN_PAUSED: case TUI_RUN_CANCELLED: case TUI_RUN_FAILED: case TUI_RUN_DONE:
        if (tui_run_resume(r, &cause) < 0) {
            tui_message(t, TUI_ROLE_ERR, "%s", cause);
            free(cause);
        } else {
            tui_message(t, TUI_ROLE_OK, "resumed sweep '%s'", r->name);
        }
        break;
    default:
        tui_message(t, TUI_ROLE_WARN, "no sweep to pause: run one from the editor (F2, F6)");
    }
    return TUI_REDRAW;
}

int
tui_runview_cancel(struct tui *t)
{
    if (t->run.state == TUI_RUN_RUNNING || t->run.state == TUI_RUN_PAUSING ||
        t->run.state == TUI_RUN_PAUSED) {
        tui_run_cancel(&t->run);
        tui_message(t, TUI_ROLE_WARN, "cancelling: complete cells stay in the store");
    }
    return TUI_REDRAW;
}
