/*
 * err.c - the fatal paths behind CHECK and the x* allocators.
 * Nothing here keeps state; every message goes to stderr just before abort.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
err_check_failed(const char *file, int line, const char *expr)
{
    fprintf(stderr, "fbw: internal error at %s:%d: CHECK(%s) failed\n", file, line, expr);
    abort();
}

static void
err_oom(size_t n)
{
    fprintf(stderr, "fbw: out of memory allocating %zu bytes\n", n);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        err_oom(n);
    return p;
}

void *
xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        err_oom(count * size);
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        err_oom(n);
    return q;
}

char *
xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

char *
xvasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    CHECK(n >= 0);
    char *s = xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

int
err_set(char **cause, const char *fmt, ...)
{
    if (cause == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    *cause = xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}
