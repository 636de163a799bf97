/* vmrelay submit end to end: a vmrelay-worker on libvirt's test driver and
 * the embedded broker; each request goes through the CLI with --wait and
 * the exit code and the printed reason are checked. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/peers.h"
#include "lib/testing.h"

extern char **environ;

#define OUTPUT_MAX 65536
#define STOP_TIMEOUT_S 30

static char node[32], bindir[1024], out_path[1200], log_path[1200];
static const char *bootstrap;

static pid_t spawn_to(char *const argv[], const char *stdout_path, const char *stderr_path)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int r;

    /* No O_CLOEXEC here: glibc opens straight onto the target descriptor,
     * which the flag would then close at exec. */
    posix_spawn_file_actions_init(&fa);
    if (stdout_path)
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, stdout_path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, stderr_path,
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        test_abort("cannot start %s: %s", argv[0], strerror(r));
    return pid;
}

static int wait_exit(pid_t pid)
{
    int status;

    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void read_output(char *buf, size_t len)
{
    FILE *f = fopen(out_path, "re");
    size_t n = 0;

    if (f) {
        n = fread(buf, 1, len - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

/* Runs vmrelay submit with the common flags plus extra; returns the exit
 * code and leaves stdout in out. */
static int submit(const char *name, const char *op, const char *params, const char *timeout,
                  bool json, char *out, size_t outlen)
{
    char program[1100];
    char *argv[32];
    int n = 0;

    snprintf(program, sizeof(program), "%s/producer/cli/vmrelay", bindir);
    argv[n++] = program;
    argv[n++] = "submit";
    argv[n++] = "--node";
    argv[n++] = node;
    argv[n++] = "--kind";
    argv[n++] = "VirtualMachine";
    argv[n++] = "--name";
    argv[n++] = (char *)name;
    argv[n++] = "--op";
    argv[n++] = (char *)op;
    argv[n++] = "--params";
    argv[n++] = (char *)params;
    argv[n++] = "--brokers";
    argv[n++] = (char *)bootstrap;
    argv[n++] = "--set";
    argv[n++] = "validate.name-min=4"; /* the test driver's domain is "test" */
    argv[n++] = "--wait";
    argv[n++] = "--timeout";
    argv[n++] = (char *)timeout;
    if (json) {
        argv[n++] = "--output";
        argv[n++] = "json";
    }
    argv[n] = NULL;
    n = wait_exit(spawn_to(argv, out_path, log_path));
    read_output(out, outlen);
    return n;
}

static void expect(const char *op, const char *params, int code, const char *reason)
{
    char out[OUTPUT_MAX], want[256];

    snprintf(want, sizeof(want), "result: %s \u2014 ", reason);
    if (!CHECK_INT(submit("test", op, params, "90", false, out, sizeof(out)), code) |
        !CHECK(strstr(out, want) != NULL))
        fprintf(stderr, "  %s: output was:\n%s\n  (log %s)\n", op, out, log_path);
    CHECK(strstr(out, "published cli-") != NULL);
}

int main(void)
{
    char worker[1100], out[OUTPUT_MAX];
    char *wargv[] = {worker, "--node", node, "--brokers", NULL, "--libvirt-uri",
                     "test:///default", "--set", "kafka.session.timeout.ms=6000", NULL};
    cJSON *j;
    pid_t pid;

    bootstrap = peer_value("embedded-kafka", "bootstrap");
    snprintf(bindir, sizeof(bindir), "%s", getenv("VMRELAY_BINARY_DIR"));
    snprintf(node, sizeof(node), "cli%ld", (long)getpid());
    snprintf(out_path, sizeof(out_path), "%s/test-cli-submit-%s.out", bindir, node);
    snprintf(log_path, sizeof(log_path), "%s/test-cli-submit-%s.log", bindir, node);
    snprintf(worker, sizeof(worker), "%s/worker/main/vmrelay-worker", bindir);
    wargv[4] = (char *)bootstrap;

    /* Refused before anything is published: exit 2, no worker needed. */
    CHECK_INT(submit("test", "resizeRAM", "{\"size\":\"abc\"}", "5", false, out, sizeof(out)),
              2);
    CHECK_INT(submit("test", "noSuchOp", "{}", "5", false, out, sizeof(out)), 2);
    /* No worker yet: the wait times out with exit 3. */
    CHECK_INT(submit("test", "suspendVM", "{}", "2", false, out, sizeof(out)), 3);

    pid = spawn_to(wargv, NULL, log_path);
    /* The suspend queued above runs first once the worker starts. */
    expect("resumeVM", "{}", 0, "Running");
    expect("resumeVM", "{}", 1, "LibvirtError");
    expect("suspendVM", "{}", 0, "Paused");
    expect("resumeVM", "{}", 0, "Running");
    expect("stopVM", "{}", 0, "Shutdown");
    expect("startVM", "{}", 0, "Running");
    expect("resizeRAM", "{\"size\":\"1048576\",\"live\":true}", 0, "Running");

    CHECK_INT(submit("test", "stopVMForce", "{}", "90", true, out, sizeof(out)), 0);
    j = cJSON_Parse(out);
    CHECK(cJSON_IsObject(j));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "reason")), "Shutdown");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "node")), node);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "success")));
    cJSON_Delete(j);

    kill(pid, SIGTERM);
    CHECK_INT(wait_exit(pid), 0);
    unlink(out_path);
    return test_finish();
}
