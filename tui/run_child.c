/*
 * run_child.c - a sweep running in the background: the child process, its progress stream, and
 * pause / resume / cancel.
 *
 * The child is the same binary: `fbw sweep SPEC.json --db DB --name NAME --quiet
 * --progress-fd 3`, in its own process group (Ctrl-C in the TUI never reaches it), with
 * stdout and stderr in a log file (never the screen) and fd 3 the write end of a pipe on
 * which it writes one JSON object per line: step events (the current generation's rel-L1 and
 * hit per call so far), one event per finished run, and an end event (cli/cmd_sweep.c).  The
 * main loop reads the pipe without blocking.
 *
 * Pause sends SIGINT: the runner stops between steps and keeps every complete run (the run in
 * flight goes back to waiting).  Resume starts the same spec again: the store resumes the
 * sweep and skips complete runs.  Cancel is a pause that is not resumed.  The child is the
 * store's only writer; the TUI only reads.
 */
#include "tui/run_child.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"

extern char **environ;

static const char *const tui_run_state_names[] = {
    "idle", "running", "pausing", "paused", "cancelling", "cancelled", "done", "failed",
};
NAME_TABLE_CHECK(tui_run_state_names, TUI_RUN_STATE_COUNT);

const char *
tui_run_state_name(enum tui_run_state s)
{
    CHECK((unsigned)s < TUI_RUN_STATE_COUNT);
    return tui_run_state_names[s];
}

int
tui_run_active(const struct tui_run *r)
{
    return r->pid > 0;
}

int
tui_run_fd(const struct tui_run *r)
{
    return r->fd;
}

/* ---- spawning -------------------------------------------------------------------------------- */

static int
tui_run_write_spec(const char *path, const char *json, char **cause)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return err_set(cause, "cannot write '%s': %s", path, strerror(errno));
    int bad = fputs(json, f) < 0;
    bad |= fclose(f) != 0;
    return bad ? err_set(cause, "cannot write '%s'", path) : 0;
}

static void
tui_run_spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, const char *log,
                    int wfd, int append)
{
    sigset_t def, none;
    posix_spawn_file_actions_init(fa);
    posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(fa, 1, log, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC),
                                     0644);
    posix_spawn_file_actions_adddup2(fa, 1, 2);
    posix_spawn_file_actions_adddup2(fa, wfd, 3);
    posix_spawnattr_init(at);
    sigemptyset(&none);
    sigemptyset(&def);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&def, sigs[i]);
    posix_spawnattr_setsigdefault(at, &def);
    posix_spawnattr_setsigmask(at, &none);
    posix_spawnattr_setpgroup(at, 0);
    posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                     POSIX_SPAWN_SETSIGMASK);
}

/* Starts the child on r's spec file; append: keep the log of an earlier attempt. */
static int
tui_run_spawn(struct tui_run *r, int append, char **cause)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return err_set(cause, "cannot create a pipe: %s", strerror(errno));
    int wfd = fds[1];
    if (wfd == 3) {             /* dup2(3, 3) would leave it close-on-exec */
        wfd = fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
        close(fds[1]);
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    tui_run_spawn_setup(&fa, &at, r->log_path, wfd, append);
    char *argv[] = {"fbw", "sweep", r->spec_path, "--db", r->db_path, "--name", r->name,
                    "--quiet", "--progress-fd", "3", NULL};
    int rc = posix_spawn(&r->pid, r->exe, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(wfd);
    if (rc != 0) {
        close(fds[0]);
        r->pid = 0;
        return err_set(cause, "cannot start '%s sweep': %s", r->exe, strerror(rc));
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    r->fd = fds[0];
    r->len = 0;
    r->state = TUI_RUN_RUNNING;
    free(r->end_status);
    r->end_status = NULL;
    free(r->error);
    r->error = NULL;
    r->ncalls = 0;
    r->failed = 0;
    r->eta = -1;
    return 0;
}

static void
tui_run_clear_lines(struct tui_run *r)
{
    for (size_t i = 0; i < TUI_RUN_KEEP; i++) {
        free(r->lines[i].text);
        r->lines[i].text = NULL;
    }
    r->nlines = 0;
}

int
tui_run_start(struct tui_run *r, const char *spec_json, const char *name, char **cause)
{
    if (tui_run_active(r))
        return err_set(cause, "a sweep is running: pause or cancel it first (F3)");
    if (tui_run_write_spec(r->spec_path, spec_json, cause) < 0)
        return -1;
    free(r->name);
    r->name = xstrdup(name);
    r->sweep_id = 0;
    r->done = r->total = 0;
    r->run_id = 0;
    free(r->desc);
    r->desc = NULL;
    tui_run_clear_lines(r);
    return tui_run_spawn(r, 0, cause);
}

int
tui_run_resume(struct tui_run *r, char **cause)
{
    if (tui_run_active(r))
        return err_set(cause, "the sweep is still stopping");
    if (r->name == NULL)
        return err_set(cause, "no sweep to resume: start one in the editor (F2)");
    return tui_run_spawn(r, 1, cause);
}

void
tui_run_pause(struct tui_run *r)
{
    if (r->state == TUI_RUN_RUNNING && r->pid > 0) {
        kill(r->pid, SIGINT);
        r->state = TUI_RUN_PAUSING;
    }
}

void
tui_run_cancel(struct tui_run *r)
{
    if ((r->state == TUI_RUN_RUNNING || r->state == TUI_RUN_PAUSING) && r->pid > 0) {
        if (r->state == TUI_RUN_RUNNING)
            kill(r->pid, SIGINT);
        r->state = TUI_RUN_CANCELLING;
    } else if (r->state == TUI_RUN_PAUSED || r->state == TUI_RUN_FAILED) {
        r->state = TUI_RUN_CANCELLED;
    }
}

/* ---- progress -------------------------------------------------------------------------------- */

static void
tui_run_add_line(struct tui_run *r, enum tui_run_line_kind kind, char *text)
{
    struct tui_run_line *l = &r->lines[r->nlines % TUI_RUN_KEEP];
    free(l->text);
    l->kind = kind;
    l->text = text;
    r->nlines++;
}

static void
tui_run_calls(struct tui_run *r, json_t *rel, json_t *hit)
{
    size_t n = json_array_size(rel);
    if (n > r->acalls) {
        r->acalls = n + 64;
        r->rel = xrealloc(r->rel, r->acalls * sizeof *r->rel);
        r->hit = xrealloc(r->hit, r->acalls * sizeof *r->hit);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(rel, i);
        r->rel[i] = json_is_number(v) ? json_number_value(v) : NAN;
        r->hit[i] = json_is_true(json_array_get(hit, i)) ? 1 : 0;
    }
    r->ncalls = n;
}

static void
tui_run_on_step(struct tui_run *r, json_t *o)
{
    const char *phase = json_string_value(json_object_get(o, "phase"));
    snprintf(r->phase, sizeof r->phase, "%s", phase ? phase : "");
    r->rep = (int)json_integer_value(json_object_get(o, "rep"));
    r->reps = (int)json_integer_value(json_object_get(o, "reps"));
    r->step = (int)json_integer_value(json_object_get(o, "step"));
    r->steps = (int)json_integer_value(json_object_get(o, "steps"));
    r->elapsed = json_number_value(json_object_get(o, "elapsed"));
    r->eta = json_number_value(json_object_get(o, "eta"));
    r->threshold = json_number_value(json_object_get(o, "threshold"));
    json_t *load = json_object_get(o, "load");
    r->load = json_is_number(load) ? json_number_value(load) : NAN;
    tui_run_calls(r, json_object_get(o, "rel_l1"), json_object_get(o, "hit"));
}

static void
tui_run_on_finished(struct tui_run *r, const char *event, json_t *o)
{
    const char *detail = json_string_value(json_object_get(o, "detail"));
    enum tui_run_line_kind kind = strcmp(event, "complete") == 0 ? TUI_RUN_LINE_OK
                                  : strcmp(event, "failed") == 0 ? TUI_RUN_LINE_FAILED
                                                                 : TUI_RUN_LINE_SKIPPED;
    char *line = xasprintf("[%ld/%ld] %s %s  %s%s%s", r->done, r->total,
                           r->reference ? "reference" : "cell", r->desc ? r->desc : "", event,
                           detail && *detail ? ": " : "", detail ? detail : "");
    tui_run_add_line(r, kind, line);
    r->finished_since++;
    r->failed += kind == TUI_RUN_LINE_FAILED;
    r->ncalls = 0;
}

static void
tui_run_on_event(struct tui_run *r, json_t *o)
{
    const char *event = json_string_value(json_object_get(o, "event"));
    if (event == NULL)
        return;
    if (strcmp(event, "end") == 0) {
        const char *status = json_string_value(json_object_get(o, "status"));
        free(r->end_status);
        r->end_status = xstrdup(status ? status : "");
        r->sweep_id = json_integer_value(json_object_get(o, "sweep_id"));
        return;
    }
    const char *desc = json_string_value(json_object_get(o, "desc"));
    r->done = (long)json_integer_value(json_object_get(o, "done"));
    r->total = (long)json_integer_value(json_object_get(o, "total"));
    r->run_id = json_integer_value(json_object_get(o, "run"));
    r->cell = (long)json_integer_value(json_object_get(o, "cell"));
    r->reference = json_is_true(json_object_get(o, "reference"));
    free(r->desc);
    r->desc = xstrdup(desc ? desc : "");
    if (strcmp(event, "step") == 0)
        tui_run_on_step(r, o);
    else
        tui_run_on_finished(r, event, o);
}

/* Parses every complete line in the buffer and keeps the partial rest. */
static void
tui_run_parse_lines(struct tui_run *r)
{
    size_t start = 0;
    for (size_t i = 0; i < r->len; i++) {
        if (r->buf[i] != '\n')
            continue;
        r->buf[i] = '\0';
        json_t *o = json_loads(r->buf + start, 0, NULL);
        if (o != NULL)
            tui_run_on_event(r, o);
        json_decref(o);
        start = i + 1;
    }
    memmove(r->buf, r->buf + start, r->len - start);
    r->len -= start;
}

/* Reads what the pipe holds: 1 when something arrived; closes the pipe at end of file. */
static int
tui_run_read(struct tui_run *r)
{
    int got = 0;
    for (;;) {
        if (r->cap - r->len < 65536) {
            r->cap = r->len + 131072;
            r->buf = xrealloc(r->buf, r->cap);
        }
        ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len - 1);
        if (n > 0) {
            r->len += (size_t)n;
            got = 1;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            close(r->fd);
            r->fd = -1;
            got = 1;
        }
        break;
    }
    if (got)
        tui_run_parse_lines(r);
    return got;
}

/* The last lines of the child's log, for a failure. */
static char *
tui_run_log_tail(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return xstrdup("the sweep failed (no log)");
    char buf[4096];
    fseek(f, 0, SEEK_END);
    long size = ftell(f), from = size > 1500 ? size - 1500 : 0;
    fseek(f, from, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = from > 0 && strchr(buf, '\n') ? strchr(buf, '\n') + 1 : buf;
    return xstrdup(*s ? s : "the sweep failed (empty log)");
}

static void
tui_run_finish(struct tui_run *r, int status)
{
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    const char *end = r->end_status ? r->end_status : "";
    r->exit_code = code;
    r->pid = 0;
    if (r->state == TUI_RUN_CANCELLING)
        r->state = TUI_RUN_CANCELLED;
    else if (r->state == TUI_RUN_PAUSING || strcmp(end, "stopped") == 0)
        r->state = TUI_RUN_PAUSED;
    else if (strcmp(end, "done") == 0 && code == 0)
        r->state = TUI_RUN_DONE;
    else
        r->state = TUI_RUN_FAILED;
    if (r->state == TUI_RUN_FAILED || (strcmp(end, "failed") == 0)) {
        free(r->error);
        r->error = tui_run_log_tail(r->log_path);
    }
    r->ncalls = 0;
}

int
tui_run_poll(struct tui_run *r)
{
    int changed = 0, status;
    if (r->fd >= 0)
        changed |= tui_run_read(r);
    if (r->pid > 0 && r->fd < 0 && waitpid(r->pid, &status, WNOHANG) == r->pid) {
        tui_run_finish(r, status);
        changed = 1;
    }
    return changed;
}

void
tui_run_stop_wait(struct tui_run *r)
{
    if (r->pid <= 0)
        return;
    if (r->state == TUI_RUN_RUNNING)
        tui_run_cancel(r);
    struct timespec tick = {0, 50 * 1000 * 1000};
    for (int i = 0; i < 300 && r->pid > 0; i++) {     /* 15 s, then kill it */
        tui_run_poll(r);
        if (r->pid > 0)
            nanosleep(&tick, NULL);
    }
    if (r->pid > 0) {
        int status;
        kill(r->pid, SIGKILL);
        waitpid(r->pid, &status, 0);
        r->pid = 0;
        r->state = TUI_RUN_CANCELLED;
    }
}

void
tui_run_release(struct tui_run *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    tui_run_clear_lines(r);
    free(r->buf);
    free(r->rel);
    free(r->hit);
    free(r->desc);
    free(r->name);
    free(r->end_status);
    free(r->error);
}
