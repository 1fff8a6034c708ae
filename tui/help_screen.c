/*
 * help_screen.c - the `?` screen: every key of the key table (keys.c), by screen, in a box over the
 * body; it scrolls when the terminal is short.  Nothing here is written by hand twice: the
 * lines come from tui_keys_help.
 */
#include "tui/tui_impl.h"

#include <stdlib.h>

void
tui_help_layout(struct tui *t)
{
    panel_move(&t->help, tui_layout_box(t->frame.body, 96, t->frame.body.h));
}

void
tui_help_draw(struct tui *t)
{
    struct panel *p = &t->help;
    char **lines;
    size_t n = tui_keys_help(t, &lines);
    int inner = p->h - 2;
    if (p->scroll > (int)n - inner)
        p->scroll = (int)n - inner > 0 ? (int)n - inner : 0;
    tui_draw_fill((struct tui_rect){p->x, p->y, p->w, p->h}, TUI_ROLE_NORMAL);
    tui_draw_heading(p->y, p->x, p->w, "keys (Esc closes; Up/Down scroll)");
    for (int i = p->scroll, y = p->y + 1; i < (int)n && y < p->y + p->h - 1; i++, y++) {
        enum tui_role role = lines[i][0] != ' ' ? TUI_ROLE_VALUE : TUI_ROLE_NORMAL;
        tui_draw_text(y, p->x + 1, p->w - 2, role, lines[i]);
    }
    tui_draw_heading(p->y + p->h - 1, p->x, p->w, "fbw: the First Block Cache workbench");
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

int
tui_help_key(struct tui *t, int key)
{
    struct panel *p = &t->help;
    switch (key) {
    case TUI_KEY_CODE(KEY_UP): p->scroll = p->scroll > 0 ? p->scroll - 1 : 0; break;
    case TUI_KEY_CODE(KEY_DOWN): p->scroll++; break;
    case TUI_KEY_CODE(KEY_PPAGE): p->scroll = p->scroll > p->h ? p->scroll - p->h : 0; break;
    case TUI_KEY_CODE(KEY_NPAGE): p->scroll += p->h; break;
    default: return 0;
    }
    return TUI_HANDLED | TUI_REDRAW;
}
