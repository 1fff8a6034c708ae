/*
 * err.h - exit codes, programmer-error checks and allocation helpers.
 *
 * Runtime failures are returned to the caller (-1 or NULL plus an allocated
 * `char **cause` the caller reports and frees).  Programmer errors - broken
 * invariants, shape mismatches - abort through CHECK in every build, because
 * a silently wrong number ruins an experiment.  Out of memory is fatal.
 */
#ifndef FBW_UTIL_ERR_H
#define FBW_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum {
    EXIT_OK = 0,        /* success */
    EXIT_RUNTIME = 1,   /* the command was valid but failed while running */
    EXIT_USAGE = 2,     /* bad flags or arguments */
};

/*
 * A name table names every value of its enum: placed beside the table (declared with [] so
 * that its size is what the initialiser gives), e.g.
 *     static const char *const db_state_names[] = {"waiting", "running", "complete", "failed"};
 *     NAME_TABLE_CHECK(db_state_names, DB_STATE_COUNT);
 */
#define NAME_TABLE_CHECK(table, count)                                               \
    _Static_assert(sizeof(table) / sizeof((table)[0]) == (count), #table " must name every value")

/* Abort with file, line and expression when cond is false (release builds too). */
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond))                                                         \
            err_check_failed(__FILE__, __LINE__, #cond);                     \
    } while (0)

void err_check_failed(const char *file, int line, const char *expr)
    __attribute__((noreturn));

/* Allocation helpers: never return NULL; abort with a message on OOM. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* printf into a newly allocated string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a va_list (consumed). */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * Fill *cause (when cause is non-NULL) with a newly allocated message and
 * return -1, so error paths read `return err_set(cause, "...", ...);`.
 */
int err_set(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
