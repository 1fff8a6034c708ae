/*
 * lockfile.h - one process at a time: an exclusive flock on a small file beside a resource
 * (e.g. "fbw.db.lock" beside a store), holding the owner's pid for the error message.
 *
 * The kernel drops the lock when the process dies, kill -9 included, so a crash never leaves a
 * stale lock behind.  The file itself is left in place (removing it would race with a waiting
 * locker).
 */
#ifndef FBW_UTIL_LOCKFILE_H
#define FBW_UTIL_LOCKFILE_H

/* Takes the lock on path without waiting: 0 and *fd (keep it open while holding the lock), or
 * -1 with *cause ("'x.lock' is held by process 123"). */
int lockfile_acquire(const char *path, int *fd, char **cause);
/* Releases and closes (fd < 0 is ignored). */
void lockfile_release(int fd);

#endif
