/*
 * support.h - small helpers shared by the C tests (cmocka).
 *
 * Paths: tests run from the repository root.  shared/ (the reference texts)
 * sits beside the checkout as ../shared; tests may read it but fbw never does.
 */
#ifndef FBW_TESTS_SUPPORT_H
#define FBW_TESTS_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* A fresh temporary directory for this test process (created once, removed at exit). */
const char *test_tmpdir(void);
/* A path inside test_tmpdir(); the caller frees it. */
char *test_tmppath(const char *name);
/* Write bytes to a file; fails the test on error. */
void test_write_file(const char *path, const void *data, size_t n);

/* |got - want| <= atol + rtol * |want|, printing both values on failure. */
#define assert_close(got, want, rtol, atol) \
    test_assert_close((double)(got), (double)(want), (rtol), (atol), #got, __FILE__, __LINE__)
void test_assert_close(double got, double want, double rtol, double atol, const char *expr,
                       const char *file, int line);

#endif
