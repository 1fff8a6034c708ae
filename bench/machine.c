/*
 * machine.c - the fingerprint of the machine a sweep runs on, stored once per environment with
 * every run it measured (db env table): what a timing figure must be read against.
 */
#include "bench/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>

#include "util/err.h"
#include "util/malloc_tune.h"

static char *
machine_cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512], *model = NULL;
    while (f != NULL && model == NULL && fgets(line, sizeof line, f) != NULL) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            colon += 1 + strspn(colon + 1, " \t");
            colon[strcspn(colon, "\n")] = '\0';
            model = xstrdup(colon);
        }
    }
    if (f != NULL)
        fclose(f);
    return model != NULL ? model : xstrdup("unknown");
}

char *
machine_fingerprint_json(enum tensor_device device, int threads)
{
    struct utsname u;
    char host[256] = "unknown";
    char *cpu = machine_cpu_model();
    char dev[256];
    const struct malloc_tuning *mt = malloc_tune_state();
    gethostname(host, sizeof host - 1);
    int have_uname = uname(&u) == 0;
    json_t *o = json_object();
    json_object_set_new(o, "cpu", json_string(cpu));
    json_object_set_new(o, "cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(o, "threads", json_integer(threads));
    json_object_set_new(o, "interop_threads", json_integer(tensor_interop_threads()));
    json_object_set_new(o, "blas", json_string(tensor_backend_blas()));
    json_object_set_new(o, "malloc", json_string(mt->state ? mt->state : "not set"));
    json_object_set_new(o, "libtorch", json_string(tensor_backend_version()));
    json_object_set_new(o, "libtorch_cuda", json_boolean(tensor_cuda_built()));
    json_object_set_new(o, "device", json_string(tensor_device_name(device)));
    json_object_set_new(o, "device_info", json_string(tensor_device_info(device, dev,
                                                                           sizeof dev)));
    json_object_set_new(o, "host", json_string(host));
    json_object_set_new(o, "kernel", json_string(have_uname ? u.release : "unknown"));
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    free(cpu);
    char *out = xstrdup(text);
    free(text);
    return out;
}
