/* Child processes of vmrelay demo: spawned with an argument vector, their
 * stdout and stderr in one log file, stopped with SIGTERM and then SIGKILL
 * after a grace period. Main thread only. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define CHILDREN_MAX 32
#define CHILDREN_ARGS_MAX 32
#define CHILDREN_NAME_MAX 64
#define CHILDREN_STOP_GRACE_MS 10000

struct child {
    char name[CHILDREN_NAME_MAX];
    pid_t pid;     /* 0 once reaped */
    int status;    /* wait status once reaped */
};

struct children {
    struct child list[CHILDREN_MAX];
    size_t n;
    char log_dir[1024];
};

/* Starts argv[0] (a path) with envp (NULL: our environment); output to
 * <log_dir>/<name>.log. Logs the reason on failure. */
int children_spawn(struct children *c, const char *name, char *const argv[],
                   char *const envp[]);

/* Runs a program to completion (with its output in <log_dir>/<name>.log);
 * returns its exit code, 128+signal, or -ETIMEDOUT after timeout_ms (then
 * it is killed). */
int children_run(struct children *c, const char *name, char *const argv[], char *const envp[],
                 long long timeout_ms, volatile int *stop);

/* Reaps children that exited; returns the first that exited since the last
 * call, or NULL. */
const struct child *children_reap(struct children *c);

/* SIGTERM to every live child, SIGKILL to those alive after the grace. */
void children_stop_all(struct children *c);
