/*
 * term.c - the one curses singleton (STYLE.md 18): terminal setup and restore, colour
 * detection (true colour, 256, 8, mono), colour roles, glyphs, input, stderr capture and the
 * signal handlers that restore the terminal.
 *
 * While curses runs, fd 2 points at a memfd: libtorch warnings and any stray message land
 * there instead of on the screen, and tui_term_restore writes them back after endwin()
 * (htop's redirectStderr/dumpStderr).  Restore runs on every exit path: a normal quit, exit()
 * (atexit), and fatal signals (SIGSEGV, SIGABRT from CHECK, ...), whose handler restores and
 * re-raises.  SIGINT/SIGTERM/SIGHUP/SIGQUIT only set a flag the main loop polls, so those
 * quit cleanly too.  Ctrl-C reaches the TUI alone: sweeps run in their own process group.
 *
 * Colours: FBW_TUI_COLOR=mono|8|256|truecolor forces a mode; NO_COLOR or a terminal without
 * colours gives mono (attributes only: bold, reverse, dim, underline).  Roles are RGB values
 * mapped to the palette the terminal has (direct colour when terminfo has it, else the xterm
 * 256 cube, else the 8 ANSI colours).
 */
#include "tui/tui_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/err.h"

static volatile sig_atomic_t tui_term_stop_flag;

static struct {
    SCREEN *screen;
    int active;
    int utf8;
    enum tui_color_mode mode;
    int err_saved;              /* the real stderr while captured, else -1 */
    int err_memfd;
    struct sigaction old[32];
    int atexit_done;
    int overlay;                /* 24-bit images written past curses (see tui_term_overlay) */
    struct tui_term_pixel { int y, x; uint32_t top, bottom; } *pixels;
    size_t npixels, apixels;
    uint64_t overlay_hash;      /* what the last flush wrote */
} tui_term = {.err_saved = -1, .err_memfd = -1};

static const int tui_term_quit_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static const int tui_term_fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

static const struct tui_glyphs tui_term_utf8_glyphs = {
    .ellipsis = "\xe2\x80\xa6", .upper_half = "\xe2\x96\x80", .full = "\xe2\x96\x88",
    .dot = "\xc2\xb7", .ok = "\xe2\x9c\x93", .fail = "\xe2\x9c\x97", .thr = "\xe2\x95\x8c",
    .sep = "\xe2\x94\x82", .hline = "\xe2\x94\x80", .up = "\xe2\x96\xb2",
    .down = "\xe2\x96\xbc", .best = "*",
    .vbar = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
             "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"},
    .hbar = {" ", "\xe2\x96\x8f", "\xe2\x96\x8e", "\xe2\x96\x8d", "\xe2\x96\x8c",
             "\xe2\x96\x8b", "\xe2\x96\x8a", "\xe2\x96\x89", "\xe2\x96\x88"},
};

static const struct tui_glyphs tui_term_ascii_glyphs = {
    .ellipsis = "~", .upper_half = "#", .full = "#", .dot = ".", .ok = "+", .fail = "x",
    .thr = "-", .sep = "|", .hline = "-", .up = "^", .down = "v", .best = "*",
    .vbar = {" ", ".", ".", "_", "_", "=", "=", "#", "#"},
    .hbar = {" ", " ", " ", " ", "#", "#", "#", "#", "#"},
};

/* Role colours (RGB, -1 = default) and attributes; mono uses mono_attr alone. */
static const struct {
    long fg, bg;
    attr_t attr, mono_attr;
} tui_term_roles[TUI_ROLE_COUNT] = {
    [TUI_ROLE_NORMAL] = {-1, -1, 0, 0},
    [TUI_ROLE_TITLE] = {0xffffff, 0x005f87, A_BOLD, A_REVERSE | A_BOLD},
    [TUI_ROLE_TAB] = {0xd0d0d0, 0x005f87, 0, A_REVERSE},
    [TUI_ROLE_TAB_ON] = {0x000000, 0x5fd7ff, A_BOLD, A_BOLD | A_UNDERLINE},
    [TUI_ROLE_FKEY] = {-1, -1, A_BOLD, A_BOLD},
    [TUI_ROLE_FLABEL] = {0x000000, 0x5fafaf, 0, A_REVERSE},
    [TUI_ROLE_SEL] = {0x000000, 0x5fafd7, 0, A_REVERSE},
    [TUI_ROLE_DIM] = {0x8a8a8a, -1, 0, A_DIM},
    [TUI_ROLE_ERR] = {0xff5f5f, -1, A_BOLD, A_BOLD},
    [TUI_ROLE_OK] = {0x5fd75f, -1, 0, 0},
    [TUI_ROLE_WARN] = {0xffd75f, -1, 0, A_BOLD},
    [TUI_ROLE_BEST] = {0x5fd700, -1, A_BOLD, A_BOLD},
    [TUI_ROLE_GOOD] = {0x5f87ff, -1, 0, A_UNDERLINE},
    [TUI_ROLE_BAD] = {0xaf5f5f, -1, A_DIM, A_DIM},
    [TUI_ROLE_HIT] = {0x5fd75f, -1, 0, A_BOLD},
    [TUI_ROLE_MISS] = {0xd75f5f, -1, 0, 0},
    [TUI_ROLE_HEAD] = {0x000000, 0x87af87, 0, A_REVERSE},
    [TUI_ROLE_BAR] = {0x5faf5f, 0x303030, 0, 0},
    [TUI_ROLE_FIELD] = {0xffffff, 0x303030, 0, A_UNDERLINE},
    [TUI_ROLE_LABEL] = {0x5fafd7, -1, 0, 0},
    [TUI_ROLE_VALUE] = {0xffd787, -1, 0, A_BOLD},
};

static int tui_term_role_pair[TUI_ROLE_COUNT];

/* ---- colours --------------------------------------------------------------------------------- */

/* The nearest xterm-256 colour: the 6x6x6 cube or the grey ramp, whichever is closer. */
static int
tui_term_rgb_to_256(uint32_t rgb)
{
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    int c[3] = {(int)(rgb >> 16) & 255, (int)(rgb >> 8) & 255, (int)rgb & 255}, q[3];
    long cube = 0, grey_d = 0;
    for (int i = 0; i < 3; i++) {
        q[i] = c[i] < 48 ? 0 : c[i] < 115 ? 1 : (c[i] - 35) / 40;
        cube += (long)(c[i] - level[q[i]]) * (c[i] - level[q[i]]);
    }
    int mean = (c[0] + c[1] + c[2]) / 3;
    int g = mean > 238 ? 23 : mean < 8 ? 0 : (mean - 8) / 10;
    for (int i = 0; i < 3; i++)
        grey_d += (long)(c[i] - (8 + 10 * g)) * (c[i] - (8 + 10 * g));
    return grey_d < cube ? 232 + g : 16 + 36 * q[0] + 6 * q[1] + q[2];
}

static int
tui_term_map_color(long rgb)
{
    if (rgb < 0)
        return -1;
    uint32_t v = (uint32_t)rgb;
    switch (tui_term.mode) {
    case TUI_COLOR_DIRECT: return (int)v;
    case TUI_COLOR_256: return tui_term_rgb_to_256(v);
    case TUI_COLOR_8:
        return ((v >> 16 & 255) > 127 ? COLOR_RED : 0) | ((v >> 8 & 255) > 127 ? COLOR_GREEN : 0) |
               ((v & 255) > 127 ? COLOR_BLUE : 0);
    default: return -1;
    }
}

int
tui_term_rgb_pair(uint32_t fg, uint32_t bg)
{
    if (tui_term.mode == TUI_COLOR_MONO)
        return 0;
    int p = alloc_pair(tui_term_map_color(fg), tui_term_map_color(bg));
    return p < 0 ? 0 : p;
}

static uint32_t
tui_term_index_rgb(int i)
{
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    static const uint32_t ansi[16] = {0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee,
                                      0xcd00cd, 0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000,
                                      0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff,
                                      0xffffff};
    if (i < 16)
        return ansi[i];
    if (i >= 232) {
        uint32_t g = (uint32_t)(8 + 10 * (i - 232));
        return g << 16 | g << 8 | g;
    }
    i -= 16;
    return (uint32_t)level[i / 36] << 16 | (uint32_t)level[i / 6 % 6] << 8 | level[i % 6];
}

int
tui_term_index_pair(int fg, int bg)
{
    if (tui_term.mode == TUI_COLOR_MONO)
        return 0;
    if (fg > 255)
        fg = 255;
    if (tui_term.mode == TUI_COLOR_256) {
        int p = alloc_pair(fg, bg);
        return p < 0 ? 0 : p;
    }
    return tui_term_rgb_pair(fg < 0 ? 0 : tui_term_index_rgb(fg),
                             bg < 0 ? 0 : tui_term_index_rgb(bg));
}

void
tui_term_role(enum tui_role r)
{
    if (tui_term.mode == TUI_COLOR_MONO) {
        attrset(tui_term_roles[r].mono_attr);
        return;
    }
    int pair = tui_term_role_pair[r];
    attr_set(tui_term_roles[r].attr, 0, &pair);
}

static enum tui_color_mode
tui_term_detect_mode(void)
{
    const char *force = getenv("FBW_TUI_COLOR"), *no = getenv("NO_COLOR");
    if (force != NULL && *force != '\0')
        return strcmp(force, "mono") == 0 ? TUI_COLOR_MONO : strcmp(force, "8") == 0 ? TUI_COLOR_8
               : strcmp(force, "truecolor") == 0 && COLORS >= 0x1000000 ? TUI_COLOR_DIRECT
                                                                      : TUI_COLOR_256;
    if (!has_colors() || (no != NULL && *no != '\0'))
        return TUI_COLOR_MONO;
    if (COLORS >= 0x1000000)
        return TUI_COLOR_DIRECT;
    return COLORS >= 256 ? TUI_COLOR_256 : COLORS >= 8 ? TUI_COLOR_8 : TUI_COLOR_MONO;
}

/* True colour without a direct-colour terminfo: COLORTERM says the terminal has it. */
static int
tui_term_want_overlay(void)
{
    const char *force = getenv("FBW_TUI_COLOR"), *ct = getenv("COLORTERM");
    if (tui_term.mode != TUI_COLOR_256 || !tui_term.utf8)
        return 0;
    if (force != NULL && *force != '\0')
        return strcmp(force, "truecolor") == 0;
    return ct != NULL && (strcmp(ct, "truecolor") == 0 || strcmp(ct, "24bit") == 0);
}

static void
tui_term_setup_colors(void)
{
    if (has_colors()) {
        start_color();
        use_default_colors();
    }
    tui_term.mode = tui_term_detect_mode();
    if (tui_term.mode != TUI_COLOR_MONO && COLORS < 256 && tui_term.mode == TUI_COLOR_256)
        tui_term.mode = TUI_COLOR_8;
    tui_term.overlay = tui_term_want_overlay();
    for (int r = 0; r < TUI_ROLE_COUNT; r++) {
        long fg = tui_term_roles[r].fg, bg = tui_term_roles[r].bg;
        tui_term_role_pair[r] = 0;
        if (tui_term.mode != TUI_COLOR_MONO && (fg >= 0 || bg >= 0)) {
            int p = alloc_pair(tui_term_map_color(fg), tui_term_map_color(bg));
            tui_term_role_pair[r] = p < 0 ? 0 : p;
        }
    }
}

/* ---- stderr capture and signals -------------------------------------------------------------- */

static int
tui_term_capture_stderr(void)
{
    fflush(stderr);
    tui_term.err_memfd = memfd_create("fbw-tui-stderr", MFD_CLOEXEC);
    if (tui_term.err_memfd < 0)
        return -1;
    tui_term.err_saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10);
    if (tui_term.err_saved < 0 || dup2(tui_term.err_memfd, STDERR_FILENO) < 0) {
        close(tui_term.err_memfd);
        tui_term.err_memfd = -1;
        return -1;
    }
    return 0;
}

/* Puts fd 2 back and copies what was captured to it (async-signal-safe). */
static void
tui_term_release_stderr(void)
{
    char buf[4096];
    ssize_t n;
    if (tui_term.err_saved < 0)
        return;
    dup2(tui_term.err_saved, STDERR_FILENO);
    close(tui_term.err_saved);
    tui_term.err_saved = -1;
    lseek(tui_term.err_memfd, 0, SEEK_SET);
    while ((n = read(tui_term.err_memfd, buf, sizeof buf)) > 0)
        if (write(STDERR_FILENO, buf, (size_t)n) < 0)
            break;
    close(tui_term.err_memfd);
    tui_term.err_memfd = -1;
}

static void
tui_term_on_quit_signal(int sig)
{
    (void)sig;
    tui_term_stop_flag = 1;
}

static void
tui_term_on_fatal_signal(int sig)
{
    if (tui_term.active)
        endwin();
    tui_term.active = 0;
    tui_term_release_stderr();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void
tui_term_set_signals(void)
{
    struct sigaction qa = {.sa_handler = tui_term_on_quit_signal};
    struct sigaction fa = {.sa_handler = tui_term_on_fatal_signal, .sa_flags = SA_RESETHAND};
    sigemptyset(&qa.sa_mask);
    sigemptyset(&fa.sa_mask);
    for (size_t i = 0; i < sizeof tui_term_quit_signals / sizeof tui_term_quit_signals[0]; i++)
        sigaction(tui_term_quit_signals[i], &qa, &tui_term.old[tui_term_quit_signals[i]]);
    for (size_t i = 0; i < sizeof tui_term_fatal_signals / sizeof tui_term_fatal_signals[0]; i++)
        sigaction(tui_term_fatal_signals[i], &fa, &tui_term.old[tui_term_fatal_signals[i]]);
    sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &tui_term.old[SIGPIPE]);
}

static void
tui_term_reset_signals(void)
{
    for (size_t i = 0; i < sizeof tui_term_quit_signals / sizeof tui_term_quit_signals[0]; i++)
        sigaction(tui_term_quit_signals[i], &tui_term.old[tui_term_quit_signals[i]], NULL);
    for (size_t i = 0; i < sizeof tui_term_fatal_signals / sizeof tui_term_fatal_signals[0]; i++)
        sigaction(tui_term_fatal_signals[i], &tui_term.old[tui_term_fatal_signals[i]], NULL);
    sigaction(SIGPIPE, &tui_term.old[SIGPIPE], NULL);
}

/* ---- setup and restore ----------------------------------------------------------------------- */

int
tui_term_init(char **cause)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return err_set(cause, "the TUI needs a terminal on stdin and stdout");
    const char *tn = getenv("TERM");
    if (tn == NULL || *tn == '\0' || strcmp(tn, "dumb") == 0)
        return err_set(cause, "the TUI needs a terminal type (TERM is '%s')", tn ? tn : "");
    setlocale(LC_CTYPE, "");
    tui_term.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    if (tui_term_capture_stderr() < 0)
        return err_set(cause, "cannot capture stderr: %s", strerror(errno));
    tui_term.screen = newterm(NULL, stdout, stdin);
    if (tui_term.screen == NULL) {
        tui_term_release_stderr();
        return err_set(cause, "cannot start curses on terminal type '%s'", tn);
    }
    tui_term.active = 1;
    if (!tui_term.atexit_done++)
        atexit(tui_term_restore);
    tui_term_set_signals();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    mouseinterval(0);
    mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    tui_term_setup_colors();
    /* a test hook: a line written to stderr while curses runs must not reach the screen and
     * must come back after the TUI ends (tests/e2e/tui.sh) */
    const char *probe = getenv("FBW_TUI_TEST_STDERR");
    if (probe != NULL)
        fprintf(stderr, "%s\n", probe);
    return 0;
}

void
tui_term_restore(void)
{
    if (!tui_term.active)
        return;
    tui_term.active = 0;
    mousemask(0, NULL);
    curs_set(1);
    endwin();
    delscreen(tui_term.screen);
    tui_term.screen = NULL;
    free(tui_term.pixels);
    tui_term.pixels = NULL;
    tui_term.npixels = tui_term.apixels = 0;
    tui_term_reset_signals();
    fflush(stderr);
    tui_term_release_stderr();
}

int
tui_term_utf8(void)
{
    return tui_term.utf8;
}

enum tui_color_mode
tui_term_color_mode(void)
{
    return tui_term.mode;
}

int
tui_term_stop_requested(void)
{
    return tui_term_stop_flag != 0;
}

const struct tui_glyphs *
tui_term_glyphs(void)
{
    return tui_term.utf8 ? &tui_term_utf8_glyphs : &tui_term_ascii_glyphs;
}

/* ---- input ----------------------------------------------------------------------------------- */

int
tui_term_wait(int extra_fd, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
                          {.fd = extra_fd, .events = POLLIN}};
    return poll(p, extra_fd >= 0 ? 2 : 1, timeout_ms);
}

int
tui_term_key(void)
{
    wint_t wc;
    nodelay(stdscr, TRUE);
    int rc = wget_wch(stdscr, &wc);
    if (rc == ERR)
        return -1;
    if (rc == KEY_CODE_YES)
        return TUI_KEY_CODE((int)wc);
    return wc == '\n' ? TUI_KEY_ENTER : (int)wc;
}

int
tui_term_mouse(int *x, int *y, int *button)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return -1;
    *x = ev.x;
    *y = ev.y;
    *button = ev.bstate & BUTTON4_PRESSED ? TUI_MOUSE_UP
              : ev.bstate & BUTTON5_PRESSED ? TUI_MOUSE_DOWN
              : ev.bstate & BUTTON1_PRESSED ? TUI_MOUSE_PRESS : 0;
    return *button ? 0 : -1;
}

/* ---- true colour past curses ----------------------------------------------------------------- */

/*
 * Curses emits 24-bit colour only with a direct-colour terminfo entry, which most systems
 * lack (xterm-256color and tmux-256color are 256-colour entries) even when the terminal
 * itself has true colour (COLORTERM=truecolor).  Images are then drawn twice: in the 256-colour
 * approximation through curses, and, after each refresh, in exact colour by writing the same
 * half blocks with SGR 38;2/48;2 straight to the terminal, then putting the cursor back where
 * curses left it.  Curses never learns of it: cells it later changes it repaints itself.
 */
int
tui_term_overlay_on(void)
{
    return tui_term.overlay;
}

void
tui_term_overlay_begin(void)
{
    tui_term.npixels = 0;
}

void
tui_term_overlay_add(int y, int x, uint32_t top, uint32_t bottom)
{
    if (tui_term.npixels == tui_term.apixels) {
        tui_term.apixels = tui_term.apixels ? 2 * tui_term.apixels : 4096;
        tui_term.pixels = xrealloc(tui_term.pixels, tui_term.apixels * sizeof *tui_term.pixels);
    }
    tui_term.pixels[tui_term.npixels++] = (struct tui_term_pixel){y, x, top, bottom};
}

/* FNV-1a over the pixels, so an unchanged picture is not written again. */
static uint64_t
tui_term_overlay_hash(void)
{
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *p = (const unsigned char *)tui_term.pixels;
    for (size_t i = 0; i < tui_term.npixels * sizeof *tui_term.pixels; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

void
tui_term_overlay_flush(int force)
{
    int cy, cx;
    uint64_t h = tui_term_overlay_hash();
    if (!tui_term.overlay || tui_term.npixels == 0 || (!force && h == tui_term.overlay_hash)) {
        if (tui_term.npixels == 0)
            tui_term.overlay_hash = 0;
        return;
    }
    tui_term.overlay_hash = h;
    getyx(curscr, cy, cx);
    for (size_t i = 0; i < tui_term.npixels; i++) {
        const struct tui_term_pixel *q = &tui_term.pixels[i];
        printf("\033[%d;%dH\033[38;2;%u;%u;%u;48;2;%u;%u;%um\xe2\x96\x80", q->y + 1, q->x + 1,
               q->top >> 16 & 255, q->top >> 8 & 255, q->top & 255, q->bottom >> 16 & 255,
               q->bottom >> 8 & 255, q->bottom & 255);
    }
    printf("\033[0m\033[%d;%dH", cy + 1, cx + 1);
    fflush(stdout);
}
