/*
 * tui.h - fbw's terminal workbench: plan a sweep, run it in the background, watch it, browse
 * and compare its cells, and look at its plots, without leaving the terminal.
 *
 * Screens (F2..F5, or a click on the tab line): the sweep editor (axes and values in the
 * command line's grammar, checked as you type, with a preview of the cells and the estimated
 * time), the run view (the sweep runs as a child `fbw sweep --progress-fd 3`; progress, the
 * current generation's per-step cache decisions, pause, resume and cancel), the results
 * browser (sortable, filterable, best cells marked; Enter opens a cell with its statistics,
 * trace and images) and the plot viewer (every plot kind through gnuplot's dumb terminal).
 * `?` or F1 shows every key, from the same table as the function-key line.
 *
 * The TUI drives the same bench, db and plots code as the command line and only reads the
 * store (db_open_readonly); the child sweep is its only writer.  While curses runs, stderr
 * goes to a memory file that is written back after the terminal is restored, on every exit
 * path including fatal signals.
 *
 * Ownership: params and the strings in it are borrowed for the call.
 *
 *     struct tui_params p = { .db_path = "fbw.db", .starter = 1 };
 *     char *cause;
 *     if (tui_main(&p, &cause) < 0) { fprintf(stderr, "fbw: %s\n", cause); free(cause); }
 */
#ifndef FBW_TUI_TUI_H
#define FBW_TUI_TUI_H

struct tui_params {
    const char *db_path;        /* the store (the first sweep creates it) */
    const char *model;          /* the model knob's fixed value; NULL or "": the default */
    const char *default_model;  /* what "" means (models/default.safetensors), or NULL */
    const char *spec_path;      /* a spec (JSON) to load into the editor, or NULL */
    int starter;                /* 1: open on the editor with the starter sweep */
    const char *exe;            /* the fbw binary sweeps run with; NULL: this process's own */
};

/*
 * Runs the TUI until the user quits.  Returns 0, or -1 with an allocated *cause when the
 * terminal cannot be used (not a terminal, unknown TERM).  Errors while running are shown
 * on the screen and never end the TUI.
 */
int tui_main(const struct tui_params *p, char **cause);

#endif
