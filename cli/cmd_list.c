/*
 * cmd_list.c - `fbw list`: prints a registry - the samplers, the schedulers or the knobs a
 * sweep can vary - from the same tables the sweep grammar and the TUI enumerate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/spec.h"
#include "cli/cli.h"
#include "core/sampler.h"
#include "core/scheduler.h"
#include "util/err.h"
#include "util/strdist.h"

static int
cmd_list(int argc, char **argv, struct app *app)
{
    (void)app;
    int argi, rc = cli_parse(&cmd_list_entry, argc, argv, NULL, NULL, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    const char *what = argv[argi];
    if (strcmp(what, "samplers") == 0) {
        printf("%-24s %-14s %s\n", "name", "family", "calls/step");
        for (size_t i = 0; i < sampler_count; i++)
            printf("%-24s %-14s %d\n", sampler_registry[i]->name,
                   sampler_family_name(sampler_registry[i]->family),
                   sampler_registry[i]->calls_per_step);
    } else if (strcmp(what, "schedulers") == 0) {
        for (size_t i = 0; i < scheduler_count; i++)
            printf("%-18s %s\n", scheduler_registry[i].name, scheduler_registry[i].summary);
    } else if (strcmp(what, "knobs") == 0) {
        printf("%-40s %-8s %s\n", "knob (alias)", "default", "meaning");
        for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
            const struct sweep_knob_info *info = sweep_knob_info(k);
            char *name = info->alias ? xasprintf("%s (%s)", info->name, info->alias)
                                     : xstrdup(info->name);
            printf("%-40s %-8s %s\n", name, info->default_text[0] ? info->default_text : "-",
                   info->help);
            free(name);
        }
    } else {
        static const char *const lists[] = {"samplers", "schedulers", "knobs"};
        return cli_usage_error(&cmd_list_entry, "unknown list '%s' (did you mean '%s'?)", what,
                               strdist_closest(what, lists, 3));
    }
    return EXIT_OK;
}

const struct cli_command cmd_list_entry = {
    .name = "list",
    .summary = "list samplers, schedulers or cache knobs",
    .args = {"samplers|schedulers|knobs", 1, 1,
             "expected one of samplers, schedulers, knobs"},
    .help =
        "Prints a registry: samplers (name, family, model calls per step),\n"
        "schedulers, or the knobs a sweep can vary (with their defaults).\n",
    .run = cmd_list,
};
