/*
 * cli.c - strict flag-value parsers, the error printers, Ctrl-C and the default model (see
 * cli.h).  The option parser and the help it generates are in parse.c.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

static int
cli_bad(const char *flag, const char *text, const char *why)
{
    fprintf(stderr, "fbw: invalid value '%s' for %s: %s\n", text, flag, why);
    return -1;
}

int
cli_double(const char *flag, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v))
        return cli_bad(flag, text, "expected a number");
    if (v < lo || v > hi) {
        char why[96];
        snprintf(why, sizeof why, "expected a number in [%g, %g]", lo, hi);
        return cli_bad(flag, text, why);
    }
    *out = v;
    return 0;
}

int
cli_int(const char *flag, const char *text, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return cli_bad(flag, text, "expected an integer");
    if (v < lo || v > hi) {
        char why[96];
        snprintf(why, sizeof why, "expected an integer in [%ld, %ld]", lo, hi);
        return cli_bad(flag, text, why);
    }
    *out = (int)v;
    return 0;
}

int
cli_u64(const char *flag, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text[0] == '-')
        return cli_bad(flag, text, "expected a non-negative integer");
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return cli_bad(flag, text, "expected a non-negative 64-bit integer");
    *out = v;
    return 0;
}

int
cli_device(const char *flag, const char *text, enum tensor_device *out)
{
    if (strcmp(text, "cpu") == 0) {
        *out = TENSOR_CPU;
        return 0;
    }
    if (strcmp(text, "cuda") == 0) {
        if (!tensor_cuda_built())
            return cli_bad(flag, text, "this fbw was built against a CPU-only libtorch "
                           "(build against a CUDA PyTorch: make LIBTORCH=<torch dir>)");
        if (!tensor_cuda_available())
            return cli_bad(flag, text, "no CUDA device is visible (fbw is built with CUDA, "
                           "but the driver finds no GPU; check nvidia-smi and "
                           "CUDA_VISIBLE_DEVICES)");
        *out = TENSOR_CUDA;
        return 0;
    }
    return cli_bad(flag, text, "expected cpu or cuda");
}

int
cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fbw %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cli_usage(cmd, stderr);
    return EXIT_USAGE;
}

int
cli_fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fbw: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_RUNTIME;
}

/* The one signal flag (STYLE.md: a justified singleton). */
static volatile sig_atomic_t cli_interrupt_flag;

static void
cli_on_signal(int sig)
{
    cli_interrupt_flag = 1;
    signal(sig, SIG_DFL);       /* a second signal ends the process */
}

void
cli_catch_interrupt(void)
{
    struct sigaction sa = {.sa_handler = cli_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int
cli_interrupted(void)
{
    return cli_interrupt_flag != 0;
}

void
cli_set_threads(struct app *app, int threads)
{
    app->threads = tensor_threads(threads);
}

char *
cli_default_model(char **cause)
{
    static const char rel[] = "models/default.safetensors";
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            char *path = xasprintf("%s/%s", exe, rel);
            if (access(path, R_OK) == 0)
                return path;
            free(path);
        }
    }
    if (access(rel, R_OK) == 0)
        return xstrdup(rel);
    err_set(cause, "no --model given and no default model (%s beside the fbw binary or in the "
            "current directory)", rel);
    return NULL;
}
