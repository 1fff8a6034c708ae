/*
 * line.c - a one-line text editor: the sweep editor's fields and the prompt line (`/` filter,
 * save and load paths).  Text is UTF-8; the cursor is a byte offset on a character boundary.
 * Keys: printable characters insert, Left/Right/Home/End (Ctrl-A/Ctrl-E) move, Backspace and
 * Delete remove, Ctrl-U clears, Ctrl-W removes the word before the cursor.
 */
#include "tui/tui_impl.h"

#include <limits.h>
#include <string.h>
#include <wchar.h>

void
tui_line_set(struct tui_line *l, const char *text)
{
    size_t n = strlen(text);
    if (n >= sizeof l->text)
        n = sizeof l->text - 1;
    memcpy(l->text, text, n);
    l->text[n] = '\0';
    l->cursor = n;
}

static size_t
tui_line_prev(const struct tui_line *l, size_t at)
{
    while (at > 0 && ((unsigned char)l->text[--at] & 0xc0) == 0x80)
        ;
    return at;
}

static size_t
tui_line_next(const struct tui_line *l, size_t at)
{
    size_t n = strlen(l->text);
    if (at < n)
        at++;
    while (at < n && ((unsigned char)l->text[at] & 0xc0) == 0x80)
        at++;
    return at;
}

static void
tui_line_remove(struct tui_line *l, size_t from, size_t to)
{
    memmove(l->text + from, l->text + to, strlen(l->text + to) + 1);
    l->cursor = from;
}

static int
tui_line_insert(struct tui_line *l, int ch)
{
    char mb[MB_LEN_MAX];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(mb, (wchar_t)ch, &st), len = strlen(l->text);
    if (n == (size_t)-1 || len + n >= sizeof l->text)
        return 0;
    memmove(l->text + l->cursor + n, l->text + l->cursor, len - l->cursor + 1);
    memcpy(l->text + l->cursor, mb, n);
    l->cursor += n;
    return 2;
}

int
tui_line_key(struct tui_line *l, int key)
{
    size_t len = strlen(l->text), at;
    switch (key) {
    case TUI_KEY_CODE(KEY_LEFT): l->cursor = tui_line_prev(l, l->cursor); return 1;
    case TUI_KEY_CODE(KEY_RIGHT): l->cursor = tui_line_next(l, l->cursor); return 1;
    case TUI_KEY_CODE(KEY_HOME): case TUI_KEY_CTRL('a'): l->cursor = 0; return 1;
    case TUI_KEY_CODE(KEY_END): case TUI_KEY_CTRL('e'): l->cursor = len; return 1;
    case TUI_KEY_CODE(KEY_BACKSPACE): case 127: case TUI_KEY_CTRL('h'):
        if (l->cursor == 0)
            return 1;
        tui_line_remove(l, tui_line_prev(l, l->cursor), l->cursor);
        return 2;
    case TUI_KEY_CODE(KEY_DC):
        if (l->cursor < len)
            tui_line_remove(l, l->cursor, tui_line_next(l, l->cursor));
        return 2;
    case TUI_KEY_CTRL('u'): l->text[0] = '\0'; l->cursor = 0; return 2;
    case TUI_KEY_CTRL('w'):
        at = l->cursor;
        while (at > 0 && l->text[at - 1] == ' ')
            at--;
        while (at > 0 && strchr(" =,", l->text[at - 1]) == NULL)
            at--;
        tui_line_remove(l, at, l->cursor);
        return 2;
    default:
        if (key >= 0x20 && key != 127 && key < 0x110000)
            return tui_line_insert(l, key);
        return 0;
    }
}

void
tui_line_draw(const struct tui_line *l, int y, int x, int w, enum tui_role role, int *cx)
{
    size_t start = 0;
    char head[TUI_LINE_MAX];
    if (w <= 0)
        return;
    /* scroll right until the cursor fits, keeping one column for it */
    for (;;) {
        size_t n = l->cursor - start;
        memcpy(head, l->text + start, n);
        head[n] = '\0';
        if (tui_text_width(head) < w || start >= l->cursor)
            break;
        start = tui_line_next(l, start);
    }
    tui_draw_fill((struct tui_rect){x, y, w, 1}, role);
    tui_draw_text(y, x, w, role, l->text + start);
    *cx = x + tui_text_width(head);
}
