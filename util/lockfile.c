/*
 * lockfile.c - exclusive flock with the owner's pid inside (see lockfile.h).
 */
#include "util/lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/err.h"

int
lockfile_acquire(const char *path, int *fd, char **cause)
{
    *fd = -1;
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        return err_set(cause, "cannot open lock file '%s': %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(f, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(f);
        if (e == EWOULDBLOCK)
            return err_set(cause, "'%s' is held by process %s", path, pid[0] ? pid : "?");
        return err_set(cause, "cannot lock '%s': %s", path, strerror(e));
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) < 0 || pwrite(f, pid, (size_t)n, 0) != n) {
        int e = errno;
        close(f);
        return err_set(cause, "cannot write lock file '%s': %s", path, strerror(e));
    }
    *fd = f;
    return 0;
}

void
lockfile_release(int fd)
{
    if (fd < 0)
        return;
    flock(fd, LOCK_UN);
    close(fd);
}
