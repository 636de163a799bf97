/* See children.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "producer/cli/children.h"
#include "producer/cli/cli.h"
#include "shared/core/log.h"

extern char **environ;

#define CHILDREN_POLL_US (100 * 1000)

static int children_start(struct children *c, const char *name, char *const argv[],
                          char *const envp[], pid_t *ret_pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char path[1200];
    sigset_t none;
    pid_t pid;
    int r;

    snprintf(path, sizeof(path), "%s/%s.log", c->log_dir, name);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    /* Opened straight onto the child's descriptors, hence no O_CLOEXEC
     * (glibc would close them at exec). stdin is /dev/null so that Ctrl-C
     * and the terminal belong to the demo alone. */
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, path,
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    /* Own process group: a Ctrl-C reaches the demo, which then stops the
     * children in order, instead of every child at once. */
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    r = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (r != 0)
        return log_error_errno(r, "Cannot start %s (%s): %s", name, argv[0], strerror(r));
    *ret_pid = pid;
    return 0;
}

int children_spawn(struct children *c, const char *name, char *const argv[],
                   char *const envp[])
{
    struct child *ch;
    int r;

    if (c->n >= CHILDREN_MAX)
        return log_error_errno(E2BIG, "More than %d child processes.", CHILDREN_MAX);
    ch = &c->list[c->n];
    r = children_start(c, name, argv, envp, &ch->pid);
    if (r < 0)
        return r;
    snprintf(ch->name, sizeof(ch->name), "%s", name);
    c->n++;
    return 0;
}

static int exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int children_run(struct children *c, const char *name, char *const argv[], char *const envp[],
                 long long timeout_ms, volatile int *stop)
{
    long long deadline = cli_mono_ms() + timeout_ms;
    pid_t pid;
    int status, r;

    r = children_start(c, name, argv, envp, &pid);
    if (r < 0)
        return r;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);

        if (w == pid)
            return exit_code(status);
        if (w < 0 && errno != EINTR)
            return -errno;
        if (cli_mono_ms() > deadline || (stop && *stop)) {
            kill(pid, SIGTERM);
            waitpid(pid, &status, 0);
            return stop && *stop ? -EINTR : -ETIMEDOUT;
        }
        usleep(CHILDREN_POLL_US);
    }
}

const struct child *children_reap(struct children *c)
{
    const struct child *first = NULL;

    for (size_t i = 0; i < c->n; i++) {
        struct child *ch = &c->list[i];

        if (ch->pid > 0 && waitpid(ch->pid, &ch->status, WNOHANG) == ch->pid) {
            ch->pid = 0;
            if (!first)
                first = ch;
        }
    }
    return first;
}

void children_stop_all(struct children *c)
{
    long long deadline = cli_mono_ms() + CHILDREN_STOP_GRACE_MS;
    bool alive = false;

    for (size_t i = 0; i < c->n; i++)
        if (c->list[i].pid > 0 && kill(c->list[i].pid, SIGTERM) == 0)
            alive = true;
    while (alive && cli_mono_ms() < deadline) {
        usleep(CHILDREN_POLL_US);
        children_reap(c);
        alive = false;
        for (size_t i = 0; i < c->n; i++)
            alive = alive || c->list[i].pid > 0;
    }
    for (size_t i = 0; i < c->n; i++) {
        struct child *ch = &c->list[i];

        if (ch->pid <= 0)
            continue;
        log_warning("%s (pid %d) ignored SIGTERM for %d s; killing it.", ch->name,
                    (int)ch->pid, CHILDREN_STOP_GRACE_MS / 1000);
        kill(ch->pid, SIGKILL);
        waitpid(ch->pid, &ch->status, 0);
        ch->pid = 0;
    }
}
