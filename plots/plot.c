/*
 * plot.c - the entry points: the kind, terminal and x-axis name tables, where the files go,
 * and one rendering from start to end (read the sweep, write data and script, run gnuplot,
 * read the text back for the dumb terminal).
 *
 * Files: an output path "dir/foo.png" puts foo.gp and the data files in dir beside it; text
 * output without a path gets a fresh directory from mkdtemp, which is emptied and removed at the
 * end unless gnuplot failed (then the error names the script in it, and it stays for reading).
 * Only files this rendering created are ever removed.  gnuplot writes the output itself; the
 * dumb text it writes starts with a form feed, which is dropped.
 */
#include "plots/plot.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "plots/plot_impl.h"
#include "util/err.h"

struct plot_kind_entry {
    const char *name;
    const char *summary;
    int (*write)(struct plot_ctx *c, char **cause);
};

static const struct plot_kind_entry plot_kinds[] = {
    [PLOT_GRID] = {"grid", "the XY image grid, each cell annotated with time, speed-up, hits "
                           "and PSNR", plot_grid_write},
    [PLOT_LINES] = {"lines", "a metric against X, one series per Y value, with interval bars",
                    plot_lines_write},
    [PLOT_HEATMAP] = {"heatmap", "a metric over X x Y with the values in the cells",
                      plot_heatmap_write},
    [PLOT_PARETO] = {"pareto", "speed-up against quality for every cell, with the frontier",
                     plot_pareto_write},
    [PLOT_TRACE] = {"trace", "per-step rel-L1 against the threshold, hits marked",
                    plot_trace_write},
};
NAME_TABLE_CHECK(plot_kinds, PLOT_KIND_COUNT);

static const char *const plot_terms[] = {"png", "svg", "dumb"};
NAME_TABLE_CHECK(plot_terms, PLOT_TERM_COUNT);
static const char *const plot_vss[] = {"step", "sigma"};
NAME_TABLE_CHECK(plot_vss, PLOT_VS_COUNT);

const char *
plot_kind_name(enum plot_kind k)
{
    CHECK(k >= 0 && k < PLOT_KIND_COUNT);
    return plot_kinds[k].name;
}

const char *
plot_kind_summary(enum plot_kind k)
{
    CHECK(k >= 0 && k < PLOT_KIND_COUNT);
    return plot_kinds[k].summary;
}

const char *
plot_term_name(enum plot_term t)
{
    CHECK(t >= 0 && t < PLOT_TERM_COUNT);
    return plot_terms[t];
}

const char *
plot_vs_name(enum plot_vs v)
{
    CHECK(v >= 0 && v < PLOT_VS_COUNT);
    return plot_vss[v];
}

int
plot_kind_find(const char *name)
{
    for (int k = 0; k < PLOT_KIND_COUNT; k++)
        if (strcmp(name, plot_kinds[k].name) == 0)
            return k;
    return -1;
}

int
plot_term_find(const char *name)
{
    for (int t = 0; t < PLOT_TERM_COUNT; t++)
        if (strcmp(name, plot_terms[t]) == 0)
            return t;
    return -1;
}

int
plot_vs_find(const char *name)
{
    for (int v = 0; v < PLOT_VS_COUNT; v++)
        if (strcmp(name, plot_vss[v]) == 0)
            return v;
    return -1;
}

int
plot_term_of_path(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (dot == NULL || (slash != NULL && dot < slash))
        return -1;
    if (strcasecmp(dot, ".png") == 0)
        return PLOT_TERM_PNG;
    if (strcasecmp(dot, ".svg") == 0)
        return PLOT_TERM_SVG;
    if (strcasecmp(dot, ".txt") == 0)
        return PLOT_TERM_DUMB;
    return -1;
}

/* ---- files ---- */

/* dir, stem and output name for an output path; its directory must exist. */
static int
plot_files_beside(struct plot_ctx *c, const char *out, char **cause)
{
    const char *slash = strrchr(out, '/');
    char *dir = slash == NULL ? xstrdup(".") : slash == out ? xstrdup("/")
                : xasprintf("%.*s", (int)(slash - out), out);
    const char *base = slash == NULL ? out : slash + 1;
    const char *dot = strrchr(base, '.');
    char resolved[PATH_MAX];
    int rc = 0;
    if (base[0] == '\0' || dot == base)
        rc = err_set(cause, "output '%s' needs a file name such as plot.png", out);
    else if (dot != NULL && (strcmp(dot, ".gp") == 0 || strcmp(dot, ".dat") == 0 ||
                             strcmp(dot, ".rgb") == 0))
        rc = err_set(cause, "output '%s' would be overwritten by its own script or data: "
                            "name it .png, .svg or .txt", out);
    else if (realpath(dir, resolved) == NULL)
        rc = err_set(cause, "cannot write '%s': %s", out, strerror(errno));
    if (rc == 0) {
        c->dir = xstrdup(resolved);
        c->out_name = xstrdup(base);
        c->stem = dot != NULL ? xasprintf("%.*s", (int)(dot - base), base) : xstrdup(base);
    }
    free(dir);
    return rc;
}

static int
plot_files_temp(struct plot_ctx *c, char **cause)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/fbw-plot-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        int rc = err_set(cause, "cannot create a temporary directory '%s': %s", dir,
                         strerror(errno));
        free(dir);
        return rc;
    }
    c->dir = dir;
    c->tmpdir = 1;
    c->stem = xstrdup(plot_kind_name(c->p->kind));
    c->out_name = xasprintf("%s.txt", c->stem);
    return 0;
}

static int
plot_files_open(struct plot_ctx *c, char **cause)
{
    const char *out = c->p->out;
    if (out == NULL && c->term != PLOT_TERM_DUMB)
        return err_set(cause, "a %s plot needs an output file", plot_term_name(c->term));
    if ((out != NULL ? plot_files_beside(c, out, cause) : plot_files_temp(c, cause)) < 0)
        return -1;
    const char *name;
    c->gp = plot_data_open(c, "gp", &name, cause);
    if (c->gp == NULL)
        return -1;
    c->gp_name = xstrdup(name);
    if (c->tmpdir) {
        c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof *c->files);
        c->files[c->nfiles++] = xstrdup(c->out_name);
    }
    return 0;
}

static void
plot_files_release(struct plot_ctx *c)
{
    if (c->gp != NULL)
        fclose(c->gp);
    for (size_t i = 0; i < c->nfiles; i++) {
        if (c->tmpdir && !c->keep) {
            char *path = xasprintf("%s/%s", c->dir, c->files[i]);
            unlink(path);
            free(path);
        }
        free(c->files[i]);
    }
    if (c->tmpdir && !c->keep)
        rmdir(c->dir);
    free(c->files);
    free(c->dir);
    free(c->stem);
    free(c->out_name);
    free(c->gp_name);
}

/* Reads the dumb output back without its leading form feed (allocated); rewrites the file
 * without it when it is the user's. */
static int
plot_read_text(struct plot_ctx *c, char **text, char **cause)
{
    char *path = xasprintf("%s/%s", c->dir, c->out_name);
    FILE *f = fopen(path, "rb");
    int rc = -1;
    size_t n = 0, cap = 4096;
    char *buf = xmalloc(cap);
    if (f == NULL) {
        err_set(cause, "gnuplot wrote no '%s': %s", path, strerror(errno));
        goto out;
    }
    for (size_t r; (r = fread(buf + n, 1, cap - n - 1, f)) > 0;)
        if ((n += r) == cap - 1)
            buf = xrealloc(buf, cap *= 2);
    fclose(f);
    buf[n] = '\0';
    size_t skip = n > 0 && buf[0] == '\f' ? 1 : 0;
    memmove(buf, buf + skip, n + 1 - skip);
    if (skip && !c->tmpdir && (f = fopen(path, "wb")) != NULL) {
        fputs(buf, f);
        fclose(f);
    }
    *text = buf;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    free(path);
    return rc;
}

static const char *
plot_program(const struct plot_params *p)
{
    const char *env = getenv("FBW_GNUPLOT");
    if (p->gnuplot != NULL && p->gnuplot[0] != '\0')
        return p->gnuplot;
    return env != NULL && env[0] != '\0' ? env : "gnuplot";
}

/* One rendering; *text (when text is non-NULL and the terminal is dumb) gets the output. */
static int
plot_render_impl(struct db *db, const struct plot_params *p, enum plot_term term, char **text,
                 char **cause)
{
    CHECK(p->kind >= 0 && p->kind < PLOT_KIND_COUNT && term >= 0 && term < PLOT_TERM_COUNT);
    struct plot_ctx c = {.db = db, .p = p, .term = term};
    int rc = -1;
    if (plot_source_load(&c, cause) < 0 || plot_files_open(&c, cause) < 0)
        goto out;
    if (plot_kinds[p->kind].write(&c, cause) < 0)
        goto out;
    FILE *gp = c.gp;
    c.gp = NULL;
    if (plot_data_close(gp, c.gp_name, cause) < 0)
        goto out;
    if (plot_gnuplot_run(plot_program(p), c.dir, c.gp_name, cause) < 0) {
        c.keep = 1;
        goto out;
    }
    if (term == PLOT_TERM_DUMB && text != NULL && plot_read_text(&c, text, cause) < 0)
        goto out;
    rc = 0;
out:
    plot_files_release(&c);
    plot_source_release(&c);
    return rc;
}

int
plot_render(struct db *db, const struct plot_params *p, FILE *dumb_out, char **cause)
{
    char *text = NULL;
    int dumb = p->term == PLOT_TERM_DUMB;
    if (plot_render_impl(db, p, p->term, dumb ? &text : NULL, cause) < 0)
        return -1;
    int rc = 0;
    if (dumb && p->out == NULL && dumb_out != NULL &&
        (fputs(text, dumb_out) == EOF || fflush(dumb_out) != 0))
        rc = err_set(cause, "cannot write the plot: %s", strerror(errno));
    free(text);
    return rc;
}

int
plot_render_text(struct db *db, const struct plot_params *p, char **text, char **cause)
{
    *text = NULL;
    return plot_render_impl(db, p, PLOT_TERM_DUMB, text, cause);
}
