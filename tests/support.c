/* support.c - see support.h. */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

static char support_dir[256];

static void
support_cleanup(void)
{
    if (support_dir[0] != '\0') {
        char *cmd = xasprintf("rm -rf '%s'", support_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove %s\n", support_dir);
        free(cmd);
    }
}

const char *
test_tmpdir(void)
{
    if (support_dir[0] == '\0') {
        snprintf(support_dir, sizeof support_dir, "/tmp/fbw-test-XXXXXX");
        if (mkdtemp(support_dir) == NULL) {
            perror("mkdtemp");
            abort();
        }
        atexit(support_cleanup);
    }
    return support_dir;
}

char *
test_tmppath(const char *name)
{
    return xasprintf("%s/%s", test_tmpdir(), name);
}

void
test_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

void
test_assert_close(double got, double want, double rtol, double atol, const char *expr,
                  const char *file, int line)
{
    double tol = atol + rtol * fabs(want);
    if (!(fabs(got - want) <= tol))
    {
        print_error("%s = %.12g, want %.12g (tol %.3g)\n", expr, got, want, tol);
        _fail(file, line);
    }
}
