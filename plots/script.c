/*
 * script.c - writing gnuplot text: quoted strings, the terminal and title every kind opens
 * with, the spec caption, categorical tics, series colours, and the data files beside the
 * script.
 *
 * Strings are gnuplot single-quoted constants, in which nothing is special but the quote
 * (written twice); a newline cannot appear inside one, so multi-line text is written as
 * 'line 1'."\n".'line 2'.  Enhanced text mode is off three times over (the terminal option,
 * `set termoption noenhanced`, and `noenhanced` on each label) because knob names are full of
 * underscores that enhanced mode would turn into subscripts.
 */
#include "plots/plot_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

void
plot_gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            fputs("''", f);
        else if (*s == '\n')
            fputs("'.\"\\n\".'", f);
        else if ((unsigned char)*s >= 0x20 || *s == '\t')
            fputc(*s, f);
    }
    fputc('\'', f);
}

void
plot_dat_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++)
        fputc(*s == '"' || *s == '\n' || *s == '\\' ? '\'' : *s, f);
    fputc('"', f);
}

size_t
plot_text_width(const char *s)
{
    size_t best = 0, cur = 0;
    for (; *s != '\0'; s++) {
        if (*s == '\n') {
            cur = 0;
            continue;
        }
        if (((unsigned char)*s & 0xc0) != 0x80)
            cur++;
        if (cur > best)
            best = cur;
    }
    return best;
}

void
plot_default_size(const struct plot_ctx *c, int *w, int *h)
{
    int dumb = c->term == PLOT_TERM_DUMB;
    *w = c->p->width > 0 ? c->p->width : dumb ? 100 : 1000;
    *h = c->p->height > 0 ? c->p->height : dumb ? 32 : 640;
}

size_t
plot_caption_wrap(const struct plot_ctx *c, int w)
{
    size_t cols = c->term == PLOT_TERM_DUMB ? (size_t)w - 2 : (size_t)(w / 7.2) - 2;
    return cols < 30 ? 30 : cols;
}

void
plot_terminal(struct plot_ctx *c, int w, int h, int font_pt)
{
    FILE *f = c->gp;
    fprintf(f, "# fbw plot %s of sweep '%s' (id %lld); re-render with: gnuplot %s\n",
            plot_kind_name(c->p->kind), c->sweep.name, (long long)c->sweep.id, c->gp_name);
    switch (c->term) {
    case PLOT_TERM_PNG:
        fprintf(f, "set terminal pngcairo size %d,%d noenhanced font 'Sans,%d' "
                   "background '#ffffff'\n", w, h, font_pt);
        break;
    case PLOT_TERM_SVG:
        fprintf(f, "set terminal svg size %d,%d noenhanced font 'Sans,%d' "
                   "background '#ffffff'\n", w, h, font_pt);
        break;
    default:
        fprintf(f, "set terminal dumb size %d,%d noenhanced %s\n", w, h,
                c->p->mono ? "mono" : "ansi256");
        break;
    }
    fputs("set termoption noenhanced\nset encoding utf8\nset decimalsign '.'\nset output ", f);
    plot_gp_str(f, c->out_name);
    fputc('\n', f);
}

/* Appends word to the caption being built, wrapping at wrap columns. */
static void
plot_caption_word(char **text, size_t *col, const char *word, size_t wrap)
{
    size_t len = plot_text_width(word);
    char *old = *text;
    if (*col > 0 && *col + 1 + len > wrap) {
        *text = xasprintf("%s\n%s", old, word);
        *col = len;
    } else {
        *text = xasprintf("%s%s%s", old, *col > 0 ? " " : "", word);
        *col += len + (*col > 0);
    }
    free(old);
}

/* Appends the words of line (split at spaces that follow a comma or separate fields). */
static void
plot_caption_line(char **text, size_t *col, const char *line, size_t wrap)
{
    char *copy = xstrdup(line), *save = NULL;
    if (**text != '\0') {
        char *old = *text;
        *text = xasprintf("%s\n", old);
        free(old);
        *col = 0;
    }
    for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
        plot_caption_word(text, col, w, wrap);
    free(copy);
}

char *
plot_caption(const struct plot_ctx *c, size_t wrap)
{
    char *text = xstrdup("");
    size_t col = 0;
    if (c->spec_axes != NULL && c->spec_axes[0] != '\0')
        plot_caption_line(&text, &col, c->spec_axes, wrap);
    if (c->spec_fixed != NULL && c->spec_fixed[0] != '\0')
        plot_caption_line(&text, &col, c->spec_fixed, wrap);
    return text;
}

int
plot_caption_labels(struct plot_ctx *c, size_t wrap)
{
    char *caption = plot_caption(c, wrap), *save = NULL;
    int n = 0;
    for (const char *p = caption; *p != '\0'; p++)
        n += *p == '\n';
    n += caption[0] != '\0';
    int i = 0;
    for (char *line = strtok_r(caption, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), i++) {
        fprintf(c->gp, "set label %d ", PLOT_CAPTION_TAG + i);
        plot_gp_str(c->gp, line);
        fprintf(c->gp, " at character 1, character %d left noenhanced%s\n", n - i,
                c->term == PLOT_TERM_DUMB ? "" : " font ',9' textcolor rgb '#444444'");
    }
    free(caption);
    return n;
}

void
plot_title(struct plot_ctx *c, const char *what, size_t wrap)
{
    /* A label, not `set title`: a centred title wider than the plot area would be clipped
     * (png) or dropped (dumb); this one starts at the left edge of the canvas. */
    char *title = xasprintf("sweep '%s': %s", c->sweep.name, what);
    fprintf(c->gp, "set label %d ", PLOT_CAPTION_TAG - 2);
    plot_gp_str(c->gp, title);
    fprintf(c->gp, " at character 1, screen 1 offset 0,%s left noenhanced%s\nset tmargin 4\n",
            c->term == PLOT_TERM_DUMB ? "-1" : "-1.2",
            c->term == PLOT_TERM_DUMB ? "" : " font ',13'");
    free(title);
    int n = plot_caption_labels(c, wrap);
    fprintf(c->gp, "set bmargin %d\n", n + 4);
}

void
plot_ylabel(struct plot_ctx *c, const char *text)
{
    if (c->term == PLOT_TERM_DUMB) {
        /* dumb cannot rotate text: the label goes above the axis, under the title */
        fprintf(c->gp, "set label %d ", PLOT_CAPTION_TAG - 1);
        plot_gp_str(c->gp, text);
        fputs(" at character 1, graph 1 offset 0,1 left noenhanced\n", c->gp);
        return;
    }
    fputs("set ylabel ", c->gp);
    plot_gp_str(c->gp, text);
    fputs(" noenhanced\n", c->gp);
}

void
plot_axis_tics(struct plot_ctx *c, const char *which, const struct plot_axis *a)
{
    fprintf(c->gp, "set %stics noenhanced (", which);
    for (size_t i = 0; i < a->count; i++) {
        fputs(i > 0 ? ", " : "", c->gp);
        plot_gp_str(c->gp, a->values[i]);
        fprintf(c->gp, " %zu", i);
    }
    fputs(")\n", c->gp);
}

const char *
plot_series_color(size_t i)
{
    /* Okabe-Ito, minus yellow (too light on white), then a few more. */
    static const char *const colors[] = {
        "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
        "#8c564b", "#7f7f7f", "#17becf",
    };
    return colors[i % (sizeof colors / sizeof colors[0])];
}

FILE *
plot_data_open(struct plot_ctx *c, const char *ext, const char **name, char **cause)
{
    char *base = xasprintf("%s.%s", c->stem, ext);
    char *path = xasprintf("%s/%s", c->dir, base);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        err_set(cause, "cannot write '%s': %s", path, strerror(errno));
        free(base);
    } else {
        c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof *c->files);
        c->files[c->nfiles++] = base;
        *name = base;
    }
    free(path);
    return f;
}

int
plot_data_close(FILE *f, const char *name, char **cause)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return err_set(cause, "cannot write '%s': %s", name, strerror(errno ? errno : EIO));
    return 0;
}
