/*
 * run_child.h - the TUI's sweep run as a child process: `fbw sweep SPEC --db DB --name NAME
 * --quiet --progress-fd 3` started in the background, its JSON Lines progress read without
 * blocking, and pause, resume and cancel (run_child.c explains the protocol).  No curses here:
 * the run screen (run_screen.c) draws what struct tui_run holds.
 *
 * Ownership: the caller fills exe, db_path, spec_path and log_path (borrowed: they must
 * outlive r) and sets fd to -1; everything else in struct tui_run is r's and is freed by
 * tui_run_release.  finished_since is the caller's to reset once it has reloaded the results.
 *
 *     struct tui_run r = {.fd = -1, .exe = "/proc/self/exe", .db_path = "fbw.db",
 *                         .spec_path = "/tmp/s/spec.json", .log_path = "/tmp/s/sweep.log"};
 *     char *cause;
 *     if (tui_run_start(&r, spec_json, "starter", &cause) < 0) { show(cause); free(cause); }
 *     while (tui_run_active(&r))          (the TUI waits on tui_run_fd(&r) and the keys)
 *         if (tui_run_poll(&r)) redraw(&r);
 *     tui_run_release(&r);
 */
#ifndef FBW_TUI_RUN_CHILD_H
#define FBW_TUI_RUN_CHILD_H

#include <stddef.h>
#include <sys/types.h>

enum tui_run_state {
    TUI_RUN_IDLE, TUI_RUN_RUNNING, TUI_RUN_PAUSING, TUI_RUN_PAUSED, TUI_RUN_CANCELLING,
    TUI_RUN_CANCELLED, TUI_RUN_DONE, TUI_RUN_FAILED, TUI_RUN_STATE_COUNT
};

#define TUI_RUN_KEEP 200

enum tui_run_line_kind { TUI_RUN_LINE_OK, TUI_RUN_LINE_FAILED, TUI_RUN_LINE_SKIPPED };

struct tui_run_line {
    enum tui_run_line_kind kind;
    char *text;
};

struct tui_run {
    enum tui_run_state state;
    pid_t pid;
    int fd;                     /* the progress pipe, -1 when closed */
    char *exe, *db_path, *spec_path, *log_path, *name;
    long long sweep_id;
    char *buf;                  /* a partial progress line */
    size_t len, cap;
    long done, total, cell;
    long failed;                /* runs that failed in this attempt */
    long long run_id;
    int reference, rep, reps, step, steps;
    char phase[16];
    double elapsed, eta, threshold;
    double load;                /* the machine's 1-minute load average (NAN: unknown) */
    char *desc;
    double *rel;                /* the current generation's calls */
    signed char *hit;
    size_t ncalls, acalls;
    struct tui_run_line lines[TUI_RUN_KEEP];    /* a ring of finished runs */
    size_t nlines;              /* lines ever added */
    int finished_since;         /* runs finished since the results were reloaded */
    char *end_status;           /* the end event's status, or NULL */
    int exit_code;
    char *error;                /* why the sweep could not start or failed (log tail) */
};

const char *tui_run_state_name(enum tui_run_state s);
/* Starts `exe sweep SPEC --db DB --name NAME --quiet --progress-fd 3` in the background:
 * 0, or -1 with *cause (nothing started). */
int tui_run_start(struct tui_run *r, const char *spec_json, const char *name, char **cause);
/* Reads the progress pipe without blocking and reaps the child: 1 when something changed. */
int tui_run_poll(struct tui_run *r);
/* The pipe's fd for poll(), or -1. */
int tui_run_fd(const struct tui_run *r);
int tui_run_active(const struct tui_run *r);
void tui_run_pause(struct tui_run *r);
int tui_run_resume(struct tui_run *r, char **cause);
void tui_run_cancel(struct tui_run *r);
/* Stops a running child and waits for it (15 s at most, then it kills it). */
void tui_run_stop_wait(struct tui_run *r);
void tui_run_release(struct tui_run *r);

#endif
