/*
 * gnuplot.c - gnuplot as a child process: `gnuplot SCRIPT` run in the script's directory (so
 * the script names its data files relative to itself), stdin from /dev/null, stdout and stderr
 * captured through one pipe.
 *
 * gnuplot stops at the first error in a script file and exits nonzero; its message (which
 * names the script line) is returned with the script's full path.  Warnings on a successful run
 * are ignored.  A missing program is told apart from a failing one through a close-on-exec
 * pipe on which the child writes errno when exec fails.  No signal handler or global state is
 * touched; the child is always reaped.
 */
#include "plots/plot_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/err.h"

#define PLOT_GNUPLOT_MAX_MSG 4000   /* bytes of gnuplot's output kept for the error */

/* In the child: never returns. */
static void
plot_gnuplot_child(const char *program, const char *dir, const char *script, int out_fd,
                   int err_fd)
{
    int e = 0;
    int null_fd = open("/dev/null", O_RDONLY);
    if (chdir(dir) != 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
        dup2(out_fd, 2) < 0) {
        e = errno;
    } else {
        execlp(program, program, script, (char *)NULL);
        e = errno;
    }
    ssize_t w = write(err_fd, &e, sizeof e);
    (void)w;
    _exit(127);
}

/* Reads fd to EOF, keeping the first PLOT_GNUPLOT_MAX_MSG bytes (allocated, NUL-terminated). */
static char *
plot_gnuplot_drain(int fd)
{
    char *buf = xmalloc(PLOT_GNUPLOT_MAX_MSG + 1), chunk[1024];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r;
        if (take > PLOT_GNUPLOT_MAX_MSG - n)
            take = PLOT_GNUPLOT_MAX_MSG - n;
        memcpy(buf + n, chunk, take);
        n += take;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    return buf;
}

/* The child's exec errno from the close-on-exec pipe, or 0 when exec succeeded. */
static int
plot_gnuplot_exec_errno(int fd)
{
    int e = 0;
    ssize_t r;
    do {
        r = read(fd, &e, sizeof e);
    } while (r < 0 && errno == EINTR);
    return r == (ssize_t)sizeof e ? e : 0;
}

static int
plot_gnuplot_status(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* The error for a child that could not exec or that failed. */
static int
plot_gnuplot_error(const char *program, const char *dir, const char *script, int exec_errno,
                   int status, const char *msg, char **cause)
{
    if (exec_errno == ENOENT && strcmp(program, "gnuplot") == 0)
        return err_set(cause, "gnuplot not found: install it with `apt-get install "
                              "gnuplot-nox` (or set FBW_GNUPLOT)");
    if (exec_errno == ENOENT)
        return err_set(cause, "gnuplot '%s' not found: install gnuplot with `apt-get install "
                              "gnuplot-nox` (or set FBW_GNUPLOT)", program);
    if (exec_errno != 0)
        return err_set(cause, "cannot run gnuplot '%s' in '%s': %s", program, dir,
                       strerror(exec_errno));
    char *how = WIFSIGNALED(status) ? xasprintf("killed by signal %d", WTERMSIG(status))
                                    : xasprintf("exit status %d", WEXITSTATUS(status));
    int rc = err_set(cause, "gnuplot failed on '%s/%s': %s", dir, script,
                     msg[0] != '\0' ? msg : how);
    free(how);
    return rc;
}

/* A relative path with a slash names a file from here, not from dir (allocated). */
static char *
plot_gnuplot_path(const char *program)
{
    char cwd[4096];
    if (strchr(program, '/') == NULL || program[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
        return xstrdup(program);
    return xasprintf("%s/%s", cwd, program);
}

int
plot_gnuplot_run(const char *program, const char *dir, const char *script, char **cause)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, rc = -1;
    char *msg = NULL, *path = plot_gnuplot_path(program);
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        err_set(cause, "cannot run gnuplot: %s", strerror(errno));
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        err_set(cause, "cannot run gnuplot: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        plot_gnuplot_child(path, dir, script, out[1], errp[1]);
    close(out[1]);
    close(errp[1]);
    out[1] = errp[1] = -1;
    msg = plot_gnuplot_drain(out[0]);
    int exec_errno = plot_gnuplot_exec_errno(errp[0]);
    int status = plot_gnuplot_status(pid);
    if (exec_errno == 0 && status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        rc = 0;
    else
        plot_gnuplot_error(program, dir, script, exec_errno, status < 0 ? 0 : status, msg,
                           cause);
out:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    free(msg);
    free(path);
    return rc;
}
