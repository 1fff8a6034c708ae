/*
 * job.c - work that must not block the screen (timing a model call for the estimate,
 * rendering a plot through gnuplot) runs in a thread of its own; the main loop polls it.
 *
 * A job owns nothing: fn reads its inputs from arg and writes its results there, and the
 * caller reads them only after tui_job_poll said TUI_JOB_FINISHED (the thread is joined by
 * then, so no lock is needed).  One job per struct at a time.
 */
#include "tui/tui_impl.h"

#include "util/err.h"

static void *
tui_job_main(void *arg)
{
    struct tui_job *j = arg;
    j->fn(j->arg);
    atomic_store(&j->done, 1);
    return NULL;
}

void
tui_job_start(struct tui_job *j, void (*fn)(void *arg), void *arg)
{
    CHECK(!j->started);
    j->fn = fn;
    j->arg = arg;
    atomic_store(&j->done, 0);
    if (pthread_create(&j->thread, NULL, tui_job_main, j) != 0) {
        fn(arg);                /* no thread to be had: do the work now */
        atomic_store(&j->done, 1);
        j->started = 0;
        return;
    }
    j->started = 1;
}

enum tui_job_state
tui_job_poll(struct tui_job *j)
{
    if (!j->started)
        return atomic_load(&j->done) ? (atomic_store(&j->done, 0), TUI_JOB_FINISHED)
                                     : TUI_JOB_IDLE;
    if (!atomic_load(&j->done))
        return TUI_JOB_RUNNING;
    pthread_join(j->thread, NULL);
    j->started = 0;
    atomic_store(&j->done, 0);
    return TUI_JOB_FINISHED;
}

void
tui_job_wait(struct tui_job *j)
{
    if (j->started) {
        pthread_join(j->thread, NULL);
        j->started = 0;
    }
    atomic_store(&j->done, 0);
}
