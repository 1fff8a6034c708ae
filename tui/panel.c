/*
 * panel.c - a scrolling list region of the screen (htop's Panel, reduced to geometry): its
 * rectangle, the selected row and the first visible row.  Panels hold no data; the screen
 * that owns one passes the row count in.  Nor a redraw flag: frames are drawn whole, when
 * struct tui's dirty says so (tui_impl.h).
 */
#include "tui/tui_impl.h"

void
panel_move(struct panel *p, struct tui_rect r)
{
    p->x = r.x;
    p->y = r.y;
    p->w = r.w;
    p->h = r.h;
}

void
panel_select(struct panel *p, int index, int count)
{
    if (index >= count)
        index = count - 1;
    if (index < 0)
        index = 0;
    p->selected = index;
    if (p->h <= 0) {
        p->scroll = 0;
        return;
    }
    if (p->selected < p->scroll)
        p->scroll = p->selected;
    if (p->selected >= p->scroll + p->h)
        p->scroll = p->selected - p->h + 1;
    if (p->scroll > count - p->h)
        p->scroll = count - p->h;
    if (p->scroll < 0)
        p->scroll = 0;
}

int
panel_key(struct panel *p, int key, int count)
{
    int page = p->h > 1 ? p->h - 1 : 1, to;
    switch (key) {
    case TUI_KEY_CODE(KEY_UP): to = p->selected - 1; break;
    case TUI_KEY_CODE(KEY_DOWN): to = p->selected + 1; break;
    case TUI_KEY_CODE(KEY_PPAGE): to = p->selected - page; break;
    case TUI_KEY_CODE(KEY_NPAGE): to = p->selected + page; break;
    case TUI_KEY_CODE(KEY_HOME): to = 0; break;
    case TUI_KEY_CODE(KEY_END): to = count - 1; break;
    default: return 0;
    }
    panel_select(p, to, count);
    return TUI_HANDLED | TUI_REDRAW;
}

int
panel_row_at(const struct panel *p, int x, int y)
{
    if (x < p->x || x >= p->x + p->w || y < p->y || y >= p->y + p->h)
        return -1;
    return p->scroll + (y - p->y);
}
