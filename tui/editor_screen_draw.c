/*
 * editor_screen_draw.c - the sweep editor on the screen: the form (label, value, and the error
 * under any field that does not parse) and the preview (each axis expanded, the grid of cells
 * with their state when the store has the sweep, counts, model calls, the estimated time, and
 * the equivalent `fbw sweep` command line).  The model and the input are editor_screen.c's.
 */
#include "tui/tui_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define TUI_EDITOR_LABEL_W 11

static const char *const tui_editor_axis_labels[SWEEP_AXIS_COUNT] = {"X axis", "Y axis", "Z axis"};

char *
tui_editor_error_line(const struct tui_editor *e, int field, int width, int line)
{
    char **lines, *s = NULL;
    if (e->fields[field].error == NULL)
        return NULL;
    size_t n = tui_text_wrap(e->fields[field].error, width - TUI_EDITOR_LABEL_W - 3, 0, &lines);
    for (size_t i = 0; i < n; i++) {
        if ((int)i == line)
            s = lines[i];
        else
            free(lines[i]);
    }
    free(lines);
    return s;
}

int
tui_editor_rows(const struct tui_editor *e, int width, struct tui_editor_row *rows, int max)
{
    int n = 0;
    for (int i = 0; i < TUI_EDITOR_FIELDS && n + 2 + TUI_EDITOR_ERROR_LINES <= max; i++) {
        if (i == 0)
            rows[n++] = (struct tui_editor_row){TUI_EDITOR_ROW_HEADING, -1, "sweep", 0};
        if (e->fields[i].kind == TUI_FIELD_KNOB && e->fields[i].index == 0)
            rows[n++] = (struct tui_editor_row){TUI_EDITOR_ROW_HEADING, -1,
                                                "fixed settings (knobs not on an axis)", 0};
        rows[n++] = (struct tui_editor_row){TUI_EDITOR_ROW_FIELD, i, NULL, 0};
        for (int l = 0; l < TUI_EDITOR_ERROR_LINES; l++) {
            char *text = tui_editor_error_line(e, i, width, l);
            if (text == NULL)
                break;
            free(text);
            rows[n++] = (struct tui_editor_row){TUI_EDITOR_ROW_ERROR, i, NULL, l};
        }
    }
    return n;
}

static const char *
tui_editor_label(const struct tui_field *f, char *buf, size_t n)
{
    switch (f->kind) {
    case TUI_FIELD_NAME: return "name";
    case TUI_FIELD_AXIS: return tui_editor_axis_labels[f->index];
    case TUI_FIELD_REPEAT: return "repeat";
    case TUI_FIELD_WARMUP: return "warm-up";
    default: break;
    }
    const struct sweep_knob_info *k = sweep_knob_info(f->index);
    snprintf(buf, n, "%s", k->alias ? k->alias : k->name);
    return buf;
}

/* The dim text shown in an empty or unused field. */
static void
tui_editor_placeholder(const struct tui *t, const struct tui_field *f, char *buf, size_t n)
{
    if (f->kind == TUI_FIELD_KNOB && f->on_axis)
        snprintf(buf, n, "on the %c axis", "XYZ"[f->on_axis - 1]);
    else if (f->kind == TUI_FIELD_AXIS)
        snprintf(buf, n, "unused (KNOB=VALUES, Tab completes)");
    else if (f->kind == TUI_FIELD_NAME)
        snprintf(buf, n, "%s (from the spec's hash)", t->ed.name ? t->ed.name : "");
    else if (f->kind == TUI_FIELD_KNOB && f->index == SWEEP_KNOB_MODEL)
        snprintf(buf, n, "default: %s", t->default_model ? t->default_model : "none found");
    else if (f->kind == TUI_FIELD_KNOB)
        snprintf(buf, n, "default: %s", sweep_knob_info(f->index)->default_text);
    else
        buf[0] = '\0';
}

static void
tui_editor_draw_field(struct tui *t, int y, int field)
{
    struct tui_editor *e = &t->ed;
    const struct tui_field *f = &e->fields[field];
    struct panel *p = &e->form;
    char label[64], ph[256];
    int focus = field == e->focus, vx = p->x + TUI_EDITOR_LABEL_W + 1;
    int vw = p->w - TUI_EDITOR_LABEL_W - 1;
    enum tui_role lr = f->error ? TUI_ROLE_ERR : focus ? TUI_ROLE_SEL : TUI_ROLE_LABEL;
    tui_draw_fill((struct tui_rect){p->x, y, TUI_EDITOR_LABEL_W, 1}, lr);
    tui_draw_textf(y, p->x, TUI_EDITOR_LABEL_W, lr, " %s",
                   tui_editor_label(f, label, sizeof label));
    if (focus) {
        tui_line_draw(&f->line, y, vx, vw, TUI_ROLE_FIELD, &t->cur_x);
        t->cur_y = y;
        return;
    }
    if (f->line.text[0] != '\0' && !(f->kind == TUI_FIELD_KNOB && f->on_axis)) {
        tui_draw_text(y, vx, vw, TUI_ROLE_VALUE, f->line.text);
        return;
    }
    tui_editor_placeholder(t, f, ph, sizeof ph);
    tui_draw_text(y, vx, vw, TUI_ROLE_DIM, ph);
}

static void
tui_editor_draw_error(struct tui *t, int y, const struct tui_editor_row *r)
{
    struct panel *p = &t->ed.form;
    char *line = tui_editor_error_line(&t->ed, r->field, p->w, r->line);
    int x = p->x + TUI_EDITOR_LABEL_W + 1;
    if (r->line == 0)
        tui_draw_text(y, x, 2, TUI_ROLE_ERR, tui_term_glyphs()->fail);
    tui_draw_text(y, x + 2, p->x + p->w - x - 2, TUI_ROLE_ERR, line ? line : "");
    free(line);
}

static void
tui_editor_draw_form(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    struct panel *p = &e->form;
    struct tui_editor_row rows[TUI_EDITOR_FIELDS * (2 + TUI_EDITOR_ERROR_LINES)];
    int n = tui_editor_rows(e, p->w, rows, (int)(sizeof rows / sizeof rows[0])), frow = 0, erow;
    for (int i = 0; i < n; i++)
        if (rows[i].kind == TUI_EDITOR_ROW_FIELD && rows[i].field == e->focus)
            frow = i;
    /* the focused field, its error lines, and the heading above it when there is one */
    for (erow = frow; erow + 1 < n && rows[erow + 1].kind == TUI_EDITOR_ROW_ERROR;)
        erow++;
    panel_select(p, erow, n);
    panel_select(p, frow > 0 && rows[frow - 1].kind == TUI_EDITOR_ROW_HEADING ? frow - 1 : frow,
                 n);
    panel_select(p, frow, n);
    for (int i = p->scroll, y = p->y; i < n && y < p->y + p->h; i++, y++) {
        const struct tui_editor_row *r = &rows[i];
        if (r->kind == TUI_EDITOR_ROW_HEADING)
            tui_draw_heading(y, p->x, p->w, r->heading);
        else if (r->kind == TUI_EDITOR_ROW_FIELD)
            tui_editor_draw_field(t, y, r->field);
        else
            tui_editor_draw_error(t, y, r);
    }
}

/* ---- preview --------------------------------------------------------------------------------- */

struct tui_editor_pen {
    struct tui_rect r;
    int y;
};

static void
tui_editor_put(struct tui_editor_pen *pen, enum tui_role role, const char *text)
{
    if (pen->y < pen->r.y + pen->r.h)
        tui_draw_text(pen->y, pen->r.x, pen->r.w, role, text);
    pen->y++;
}

static void
tui_editor_putf(struct tui_editor_pen *pen, enum tui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tui_editor_putf(struct tui_editor_pen *pen, enum tui_role role, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tui_editor_put(pen, role, buf);
}

static void
tui_editor_preview_axes(struct tui *t, struct tui_editor_pen *pen)
{
    const struct sweep_spec *s = &t->ed.spec;
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++) {
        const struct sweep_axis *ax = &s->axes[a];
        if (ax->knob < 0)
            continue;
        char buf[1024];
        size_t len = (size_t)snprintf(buf, sizeof buf, "%c  %s (%zu): ", "XYZ"[a],
                                      sweep_knob_info(ax->knob)->name, ax->count);
        for (size_t i = 0; i < ax->count && len < sizeof buf; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? ", " : "",
                                    ax->values[i].text);
        tui_editor_put(pen, TUI_ROLE_NORMAL, buf);
    }
}

static const char *
tui_editor_state_glyph(unsigned char st, enum tui_role *role)
{
    const struct tui_glyphs *g = tui_term_glyphs();
    switch (st) {
    case DB_COMPLETE + 1: *role = TUI_ROLE_OK; return g->ok;
    case DB_FAILED + 1: *role = TUI_ROLE_ERR; return g->fail;
    case DB_RUNNING + 1: *role = TUI_ROLE_WARN; return ">";
    default: *role = TUI_ROLE_DIM; return g->dot;
    }
}

/* X values across, Y values down (the first Z value), each cell's state in the store. */
static void
tui_editor_preview_grid(struct tui *t, struct tui_editor_pen *pen)
{
    const struct sweep_spec *s = &t->ed.spec;
    const struct sweep_axis *x = &s->axes[SWEEP_X], *y = &s->axes[SWEEP_Y];
    if (x->knob < 0 || !t->ed.valid)
        return;
    size_t ny = y->knob >= 0 ? y->count : 1;
    int lw = 10, cw = 8, maxc = (pen->r.w - lw) / cw;
    tui_editor_put(pen, TUI_ROLE_DIM, "");
    int x0 = pen->r.x + lw;
    for (size_t i = 0; i < x->count && (int)i < maxc && pen->y < pen->r.y + pen->r.h; i++)
        tui_draw_text(pen->y, x0 + (int)i * cw, cw - 1, TUI_ROLE_LABEL, x->values[i].text);
    pen->y++;
    for (size_t j = 0; j < ny && pen->y < pen->r.y + pen->r.h; j++, pen->y++) {
        tui_draw_text(pen->y, pen->r.x, lw - 1, TUI_ROLE_LABEL,
                      y->knob >= 0 ? y->values[j].text : "");
        for (size_t i = 0; i < x->count && (int)i < maxc; i++) {
            enum tui_role role;
            unsigned char st = t->ed.cell_state ? t->ed.cell_state[i + x->count * j] : 0;
            const char *gl = tui_editor_state_glyph(st, &role);
            tui_draw_text(pen->y, x0 + (int)i * cw + 1, 2, role, gl);
        }
    }
}

static void
tui_editor_preview_counts(struct tui *t, struct tui_editor_pen *pen)
{
    const struct tui_editor *e = &t->ed;
    char when[32];
    tui_editor_put(pen, TUI_ROLE_DIM, "");
    tui_editor_putf(pen, TUI_ROLE_VALUE, "%zu cell%s + %zu uncached reference%s = %zu runs",
                    e->cells, e->cells == 1 ? "" : "s", e->refs, e->refs == 1 ? "" : "s",
                    e->cells + e->refs);
    /* Under 6 rounds the speed-up has no 95% interval (util/stats.h). */
    tui_editor_putf(pen, TUI_ROLE_NORMAL, "1 first + %d warm-up, then %d round%s%s",
                    e->spec.warmup, e->spec.repeat, e->spec.repeat == 1 ? "" : "s",
                    e->spec.repeat < 6 ? " (n<6: no CI)" : "");
    tui_editor_putf(pen, TUI_ROLE_NORMAL, "model calls: %.0f at most (hits make cells cheaper)",
                    e->calls);
    if (e->job.started) {
        tui_editor_put(pen, TUI_ROLE_DIM, "estimated time: measuring a model call...");
    } else if (e->per_call < 0 && tui_run_active(&t->run)) {
        tui_editor_put(pen, TUI_ROLE_DIM, "estimated time: measured once the running sweep ends");
    } else if (e->per_call > 0) {
        tui_text_duration(e->calls * e->per_call, when, sizeof when);
        tui_editor_putf(pen, TUI_ROLE_VALUE, "estimated time: at most %s (%.1f ms per model call)",
                        when, 1e3 * e->per_call);
    } else {
        tui_editor_putf(pen, TUI_ROLE_WARN, "estimated time: unknown (%s)",
                        e->calib_error ? e->calib_error : "not measured yet");
    }
}

/* `fbw sweep ...` for the same sweep, from the fields that differ from the defaults. */
static char *
tui_editor_command(const struct tui *t)
{
    const struct tui_editor *e = &t->ed;
    char *cmd = xstrdup("fbw sweep"), *next;
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++) {
        const char *v = e->fields[1 + a].line.text;
        if (*v == '\0')
            continue;
        next = xasprintf("%s --%c '%s'", cmd, "xyz"[a], v);
        free(cmd);
        cmd = next;
    }
    for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
        const struct sweep_knob_info *info = sweep_knob_info(k);
        const struct tui_field *f = &e->fields[TUI_EDITOR_FIELDS - SWEEP_KNOB_COUNT + k];
        if (f->on_axis || f->line.text[0] == '\0' || strcmp(f->line.text, info->default_text) == 0)
            continue;
        next = xasprintf("%s --%s %s", cmd, info->alias ? info->alias : info->name, f->line.text);
        free(cmd);
        cmd = next;
    }
    next = xasprintf("%s --repeat %d --warmup %d --db %s --name %s", cmd, e->spec.repeat,
                     e->spec.warmup, t->db_path, e->name ? e->name : "");
    free(cmd);
    return next;
}

static void
tui_editor_draw_preview(struct tui *t)
{
    struct tui_editor *e = &t->ed;
    struct tui_editor_pen pen = {{e->preview.x, e->preview.y + 1, e->preview.w, e->preview.h - 1},
                             e->preview.y + 1};
    tui_draw_heading(e->preview.y, e->preview.x, e->preview.w, "preview");
    tui_editor_putf(&pen, TUI_ROLE_VALUE, "sweep '%s' into %s", e->name ? e->name : "", t->db_path);
    tui_editor_put(&pen, e->store_clash ? TUI_ROLE_ERR : TUI_ROLE_DIM,
                   e->store_note ? e->store_note : "new: the store does not have it yet");
    if (e->error != NULL)
        tui_editor_put(&pen, TUI_ROLE_ERR, e->error);
    tui_editor_preview_axes(t, &pen);
    tui_editor_preview_grid(t, &pen);
    if (e->valid)
        tui_editor_preview_counts(t, &pen);
    else
        tui_editor_put(&pen, TUI_ROLE_ERR, "fix the fields in red to see the cells");
    char *cmd = tui_editor_command(t), **lines;
    size_t n = tui_text_wrap(cmd, pen.r.w > 4 ? pen.r.w : 4, 4, &lines);
    pen.y++;
    if (pen.y + (int)n < pen.r.y + pen.r.h) {
        tui_draw_heading(pen.y++, pen.r.x, pen.r.w, "the same on the command line");
        for (size_t i = 0; i < n; i++)
            tui_editor_put(&pen, TUI_ROLE_DIM, lines[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(cmd);
}

void
tui_editor_layout(struct tui *t)
{
    struct tui_editor_layout l;
    struct tui_rect b = t->frame.body;
    b.x += 1;
    b.w -= 2;
    tui_layout_editor(b, &l);
    panel_move(&t->ed.form, l.form);
    panel_move(&t->ed.preview, l.preview);
}

void
tui_editor_draw(struct tui *t)
{
    tui_editor_draw_form(t);
    tui_editor_draw_preview(t);
}

int
tui_editor_mouse(struct tui *t, int x, int y, int button)
{
    struct tui_editor *e = &t->ed;
    struct tui_editor_row rows[TUI_EDITOR_FIELDS * (2 + TUI_EDITOR_ERROR_LINES)];
    int n = tui_editor_rows(e, e->form.w, rows, (int)(sizeof rows / sizeof rows[0]));
    int i = panel_row_at(&e->form, x, y);
    if (button == TUI_MOUSE_UP || button == TUI_MOUSE_DOWN)
        return tui_editor_key(t, TUI_KEY_CODE(button == TUI_MOUSE_UP ? KEY_UP : KEY_DOWN));
    if (i < 0 || i >= n || rows[i].kind == TUI_EDITOR_ROW_HEADING)
        return 0;
    tui_editor_focus(t, rows[i].field);
    struct tui_line *l = &e->fields[e->focus].line;
    int col = x - (e->form.x + TUI_EDITOR_LABEL_W + 1);
    if (e->focus == rows[i].field && col >= 0)
        l->cursor = (size_t)col < strlen(l->text) ? (size_t)col : strlen(l->text);
    return TUI_HANDLED | TUI_REDRAW;
}
