#define _GNU_SOURCE /* pipe2 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shared/msg/optstring.h"
#include "worker/ops/devices.h"
#include "worker/ops/virtinstall.h"

extern char **environ;

const char *const virtinstall_fields[] = {
    "arch",     "autostart",  "blkiotune",   "boot",          "cdrom",     "channel",
    "check",    "clock",      "console",     "container",     "controller", "cpu",
    "cputune",  "disk",       "events",      "extra_args",    "features",  "filesystem",
    "graphics", "hostdev",    "hvm",         "idmap",         "import",    "initrd_inject",
    "input",    "location",   "machine",     "memballoon",    "memdev",    "memory",
    "memorybacking", "memtune", "metadata",  "network",       "noautoconsole", "noreboot",
    "numatune", "os_variant", "panic",       "parallel",      "paravirt",  "pm",
    "pxe",      "qemu_commandline", "redirdev", "resource",   "rng",       "security",
    "serial",   "smartcard",  "sound",       "sysinfo",       "tpm",       "vcpus",
    "virt_type", "watchdog",  NULL,
};

/* Options that take no value: true gives the bare flag, false leaves it out. */
static const char *const flag_fields[] = {
    "autostart", "container", "hvm", "import", "noautoconsole", "noreboot", "paravirt", "pxe",
    NULL,
};

/* Options the API lets a client repeat inside one string, as "A --disk B". */
static const char *const multi_fields[] = {"disk", "network", NULL};

static bool name_in(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(name, list[i]) == 0)
            return true;
    return false;
}

void virtinstall_argv_free(struct virtinstall_argv *args)
{
    if (!args)
        return;
    for (size_t i = 0; i < args->n; i++)
        free(args->argv[i]);
    free(args);
}

static int argv_push(struct virtinstall_argv *args, const char *s)
{
    if (args->n >= VIRTINSTALL_ARGS_MAX)
        return -E2BIG;
    args->argv[args->n] = strdup(s);
    if (!args->argv[args->n])
        return -ENOMEM;
    args->n++;
    return 0;
}

/* "--opt=value" keeps a value that starts with '-' from being read as the
 * next option. */
static int argv_push_option(struct virtinstall_argv *args, const char *field, const char *value)
{
    char buf[VIRTINSTALL_VALUE_MAX + 64];
    size_t len;

    len = (size_t)snprintf(buf, sizeof(buf), "--%s%s%s", field, value ? "=" : "",
                           value ? value : "");
    if (len >= sizeof(buf))
        return -E2BIG;
    for (char *p = buf + 2; *p && *p != '='; p++)
        if (*p == '_')
            *p = '-';
    return argv_push(args, buf);
}

/* The API's network syntax names an Open vSwitch bridge as l2bridge or
 * l3bridge; virt-install knows it as a bridge with an openvswitch port.
 * inbound and outbound have no virt-install form: they are checked here,
 * left out of the option and added to the printed XML afterwards
 * (virtinstall_apply_bandwidth). The OVN keys ip and switch need a switch
 * backend this worker does not have, and are refused by name rather than
 * silently dropped. */
static int network_translate(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
    static const char *const refused[] = {"ip", "switch", NULL};
    static const char *const bandwidth[] = {"inbound", "outbound", NULL};
    char copy[VIRTINSTALL_VALUE_MAX];
    char *save = NULL, *tok;
    bool ovs = false;
    size_t len = 0;

    if (strncmp(in, "type=l2bridge", 13) != 0 && strncmp(in, "type=l3bridge", 13) != 0 &&
        strncmp(in, "type=bridge", 11) != 0) {
        snprintf(out, outlen, "%s", in);
        return 0;
    }
    snprintf(copy, sizeof(copy), "%s", in);
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char key[64];
        const char *eq = strchr(tok, '=');
        size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);

        snprintf(key, sizeof(key), "%.*s", (int)klen, tok);
        if (name_in(key, refused)) {
            snprintf(err, errlen, "field 'network': option '%s' is not supported by this worker "
                     "(it needs an OVN switch backend)", key);
            return -EINVAL;
        }
        if (name_in(key, bandwidth)) {
            if (!eq || !eq[1] || strspn(eq + 1, "0123456789") != strlen(eq + 1) ||
                strlen(eq + 1) > VIRTINSTALL_BANDWIDTH_DIGITS) {
                snprintf(err, errlen, "field 'network': option '%s' must be a non-negative "
                         "integer (KiB/s)", key);
                return -EINVAL;
            }
            continue;
        }
        if (strcmp(key, "type") == 0) {
            ovs = strcmp(eq + 1, "bridge") != 0;
            tok = "type=bridge";
        }
        len += (size_t)snprintf(out + len, len < outlen ? outlen - len : 0, "%s%s",
                                len ? "," : "", tok);
    }
    if (ovs)
        len += (size_t)snprintf(out + len, len < outlen ? outlen - len : 0,
                                ",virtualport.type=openvswitch");
    if (len >= outlen) {
        snprintf(err, errlen, "field 'network' is too long");
        return -EINVAL;
    }
    return 0;
}

static int push_multi(struct virtinstall_argv *args, const char *field, const char *value,
                      char *err, size_t errlen)
{
    char sep[32];
    const char *p = value;
    int r;

    snprintf(sep, sizeof(sep), " --%s ", field);
    for (;;) {
        const char *end = strstr(p, sep);
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char one[VIRTINSTALL_VALUE_MAX], net[VIRTINSTALL_VALUE_MAX];

        if (len == 0 || len >= sizeof(one)) {
            snprintf(err, errlen, "field '%s' has an empty or too long part", field);
            return -EINVAL;
        }
        snprintf(one, sizeof(one), "%.*s", (int)len, p);
        if (strcmp(field, "network") == 0) {
            r = network_translate(one, net, sizeof(net), err, errlen);
            if (r < 0)
                return r;
            r = argv_push_option(args, field, net);
        } else {
            r = argv_push_option(args, field, one);
        }
        if (r < 0)
            goto fail;
        if (!end)
            return 0;
        p = end + strlen(sep);
    }
fail:
    snprintf(err, errlen, "field '%s' makes too many arguments", field);
    return r;
}

static int push_field(struct virtinstall_argv *args, const cJSON *item, char *err, size_t errlen)
{
    const char *field = item->string;
    char num[32];
    const char *value;
    int r;

    if (name_in(field, flag_fields)) {
        bool on;

        if (cJSON_IsBool(item))
            on = cJSON_IsTrue(item);
        else if (cJSON_IsString(item) && (strcmp(item->valuestring, "true") == 0 ||
                                          strcmp(item->valuestring, "false") == 0))
            on = strcmp(item->valuestring, "true") == 0;
        else {
            snprintf(err, errlen, "field '%s' must be a boolean", field);
            return -EINVAL;
        }
        return on ? argv_push_option(args, field, NULL) : 0;
    }

    if (cJSON_IsNumber(item) && item->valuedouble >= 0 &&
        item->valuedouble == (double)(long long)item->valuedouble) {
        snprintf(num, sizeof(num), "%lld", (long long)item->valuedouble);
        value = num;
    } else if (cJSON_IsString(item) && item->valuestring[0] != '\0') {
        value = item->valuestring;
    } else {
        snprintf(err, errlen, "field '%s' must be a non-empty string", field);
        return -EINVAL;
    }
    if (strlen(value) >= VIRTINSTALL_VALUE_MAX) {
        snprintf(err, errlen, "field '%s' is longer than %d bytes", field,
                 VIRTINSTALL_VALUE_MAX - 1);
        return -EINVAL;
    }
    if (name_in(field, multi_fields))
        return push_multi(args, field, value, err, errlen);
    r = argv_push_option(args, field, value);
    if (r < 0)
        snprintf(err, errlen, "field '%s' makes too many arguments", field);
    return r;
}

/* An import boots its first disk: the installation medium of the API's
 * cdrom field is attached as a CD-ROM drive instead. */
static int push_import_cdrom(struct virtinstall_argv *args, const cJSON *item, char *err,
                             size_t errlen)
{
    char disk[VIRTINSTALL_VALUE_MAX];
    int n;

    if (!cJSON_IsString(item) || !item->valuestring[0]) {
        snprintf(err, errlen, "field 'cdrom' must be a non-empty string");
        return -EINVAL;
    }
    n = snprintf(disk, sizeof(disk), "%s,device=cdrom,readonly=on", item->valuestring);
    if (n < 0 || (size_t)n >= sizeof(disk)) {
        snprintf(err, errlen, "field 'cdrom' is longer than %d bytes", VIRTINSTALL_VALUE_MAX - 64);
        return -EINVAL;
    }
    return argv_push_option(args, "disk", disk);
}

int virtinstall_argv_build(const char *uri, const char *name, const cJSON *params,
                           enum virtinstall_mode mode, struct virtinstall_argv **ret_argv,
                           char *err, size_t errlen)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *args = NULL;
    const cJSON *item, *cdrom = NULL;
    int r;

    args = calloc(1, sizeof(*args));
    if (!args)
        return -ENOMEM;
    r = argv_push(args, "virt-install");
    if (r >= 0)
        r = argv_push_option(args, "connect", uri);
    if (r >= 0)
        r = argv_push_option(args, "name", name);
    if (r < 0)
        return r;

    cJSON_ArrayForEach(item, params) {
        if (!name_in(item->string, virtinstall_fields)) {
            snprintf(err, errlen, "field '%s' is not supported by this operation", item->string);
            return -EINVAL;
        }
        /* noautoconsole must be true in the API; the worker never attaches
         * a console anyway, so it is always passed. */
        if (strcmp(item->string, "noautoconsole") == 0)
            continue;
        /* After every disk of the disk field, which holds the boot disk. */
        if (mode == VIRTINSTALL_IMPORT && strcmp(item->string, "cdrom") == 0) {
            cdrom = item;
            continue;
        }
        r = push_field(args, item, err, errlen);
        if (r < 0)
            return r;
    }
    if (cdrom) {
        r = push_import_cdrom(args, cdrom, err, errlen);
        if (r < 0)
            return r;
    }

    /* Both phases' XML (install and final), and nothing created by
     * virt-install itself: the worker defines and starts through the API. */
    r = mode == VIRTINSTALL_IMPORT ? argv_push(args, "--import") : 0;
    if (r >= 0)
        r = argv_push(args, "--noautoconsole");
    if (r >= 0)
        r = argv_push(args, "--print-xml");
    if (r >= 0)
        r = argv_push(args, "--dry-run");
    if (r < 0) {
        snprintf(err, errlen, "the request makes more than %d arguments", VIRTINSTALL_ARGS_MAX);
        return r;
    }
    args->argv[args->n] = NULL;
    *ret_argv = TAKE_PTR(args);
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct capture {
    char *out;
    size_t out_len;
    char errbuf[VIRTINSTALL_STDERR_MAX];
    size_t err_len;
};

/* Reads both pipes until the child closes them; keeps the end of stderr. */
static int capture_pipes(int fd_out, int fd_err, struct capture *cap)
{
    struct pollfd pfd[2] = {{.fd = fd_out, .events = POLLIN}, {.fd = fd_err, .events = POLLIN}};
    long long deadline = now_ms() + VIRTINSTALL_TIMEOUT_MS;
    char buf[4096];

    while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
        long long left = deadline - now_ms();
        int n;

        if (left <= 0)
            return -ETIMEDOUT;
        n = poll(pfd, 2, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (int i = 0; i < 2; i++) {
            ssize_t k;

            if (pfd[i].fd < 0 || !pfd[i].revents)
                continue;
            k = read(pfd[i].fd, buf, sizeof(buf));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                pfd[i].fd = -1;
                continue;
            }
            if (i == 0) {
                if (cap->out_len + (size_t)k > VIRTINSTALL_OUTPUT_MAX)
                    return -EFBIG;
                memcpy(cap->out + cap->out_len, buf, (size_t)k);
                cap->out_len += (size_t)k;
            } else {
                size_t keep = sizeof(cap->errbuf) - 1;
                size_t take = (size_t)k > keep ? keep : (size_t)k;

                if (cap->err_len + take > keep) {
                    size_t drop = cap->err_len + take - keep;

                    memmove(cap->errbuf, cap->errbuf + drop, cap->err_len - drop);
                    cap->err_len -= drop;
                }
                memcpy(cap->errbuf + cap->err_len, buf + (size_t)k - take, take);
                cap->err_len += take;
            }
        }
    }
    return 0;
}

int virtinstall_run(const char *program, const struct virtinstall_argv *args,
                    char **ret_stdout, char *err, size_t errlen)
{
    _cleanup_close_ int out_r = -1, out_w = -1, err_r = -1, err_w = -1;
    _cleanup_free_ struct capture *cap = NULL;
    posix_spawn_file_actions_t fa;
    int pipe_out[2], pipe_err[2], status, r;
    pid_t pid;

    cap = calloc(1, sizeof(*cap));
    if (!cap)
        return -ENOMEM;
    cap->out = malloc(VIRTINSTALL_OUTPUT_MAX + 1);
    if (!cap->out)
        return -ENOMEM;
    if (pipe2(pipe_out, O_CLOEXEC) < 0) {
        free(cap->out);
        return -errno;
    }
    out_r = pipe_out[0], out_w = pipe_out[1];
    if (pipe2(pipe_err, O_CLOEXEC) < 0) {
        free(cap->out);
        return -errno;
    }
    err_r = pipe_err[0], err_w = pipe_err[1];

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO);
    r = posix_spawn(&pid, program, &fa, NULL, args->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0) {
        free(cap->out);
        snprintf(err, errlen, "cannot run %s: %s", program, strerror(r));
        return -r;
    }
    close(TAKE_FD(out_w));
    close(TAKE_FD(err_w));

    r = capture_pipes(out_r, err_r, cap);
    if (r < 0)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    cap->errbuf[cap->err_len] = '\0';
    if (r < 0) {
        free(cap->out);
        snprintf(err, errlen, "%s %s", program,
                 r == -ETIMEDOUT ? "timed out" : "printed more than the output cap");
        return r;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* Trailing newlines make a poor message end. */
        while (cap->err_len > 0 && (cap->errbuf[cap->err_len - 1] == '\n'))
            cap->errbuf[--cap->err_len] = '\0';
        free(cap->out);
        snprintf(err, errlen, "%s", cap->err_len ? cap->errbuf : "virt-install failed");
        return -EPROTO;
    }
    cap->out[cap->out_len] = '\0';
    *ret_stdout = cap->out;
    return 0;
}

int virtinstall_split(const char *out, char **ret_install, char **ret_final)
{
    static const char end_tag[] = "</domain>";
    const char *first = strstr(out, "<domain");
    const char *first_end, *second;
    char *install = NULL, *final;

    if (!first)
        return -EINVAL;
    first_end = strstr(first, end_tag);
    if (!first_end)
        return -EINVAL;
    first_end += strlen(end_tag);
    second = strstr(first_end, "<domain");
    if (second) {
        const char *second_end = strstr(second, end_tag);

        if (!second_end)
            return -EINVAL;
        install = strndup(first, (size_t)(first_end - first));
        final = strndup(second, (size_t)(second_end + strlen(end_tag) - second));
    } else {
        final = strndup(first, (size_t)(first_end - first));
    }
    if (!final || (second && !install)) {
        free(install);
        free(final);
        return -ENOMEM;
    }
    *ret_install = install;
    *ret_final = final;
    return 0;
}

/* The inbound/outbound values of the n-th --network group, NULL when it
 * has none. */
static int bandwidth_of_group(const char *group, char *in, char *out, size_t len)
{
    _cleanup_(optstring_freep) struct optstring *o = NULL;
    char detail[128];
    const char *v;
    int r;

    in[0] = out[0] = '\0';
    r = optstring_parse(group, NULL, &o, detail, sizeof(detail));
    if (r < 0)
        return r;
    v = optstring_get(o, "inbound");
    if (v)
        snprintf(in, len, "%s", v);
    v = optstring_get(o, "outbound");
    if (v)
        snprintf(out, len, "%s", v);
    return 0;
}

int virtinstall_apply_bandwidth(const cJSON *params, const char *xml, char **ret_xml,
                                char *err, size_t errlen)
{
    const cJSON *net = params ? cJSON_GetObjectItemCaseSensitive(params, "network") : NULL;
    char *groups[OPTSTRING_MAX_GROUPS] = {0};
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    xmlNodePtr devs, iface = NULL;
    bool changed = false;
    int n, r;

    *ret_xml = NULL;
    if (!cJSON_IsString(net) || (!strstr(net->valuestring, "inbound=") &&
                                 !strstr(net->valuestring, "outbound=")))
        return 0;
    n = optstring_split_groups(net->valuestring, "--network", groups, err, errlen);
    if (n < 0)
        return n;
    r = devices_xml_parse(xml, strlen(xml), &doc, err, errlen);
    devs = r >= 0 ? devices_node_devices(doc) : NULL;
    if (r >= 0 && !devs) {
        snprintf(err, errlen, "virt-install printed a domain without devices");
        r = -EINVAL;
    }
    /* virt-install writes one <interface> per --network, in order. */
    for (int i = 0; r >= 0 && i < n; i++) {
        char in[VIRTINSTALL_BANDWIDTH_DIGITS + 1], out[VIRTINSTALL_BANDWIDTH_DIGITS + 1];

        for (iface = iface ? iface->next : devs->children; iface; iface = iface->next)
            if (iface->type == XML_ELEMENT_NODE &&
                xmlStrcmp(iface->name, BAD_CAST "interface") == 0)
                break;
        if (!iface) {
            snprintf(err, errlen, "virt-install printed fewer interfaces than --network options");
            r = -EINVAL;
            break;
        }
        r = bandwidth_of_group(groups[i], in, out, sizeof(in));
        if (r >= 0 && (in[0] || out[0])) {
            r = devices_nic_bandwidth(iface, in[0] ? in : NULL, out[0] ? out : NULL);
            changed = true;
        }
    }
    optstring_groups_free(groups, (size_t)n);
    if (r < 0)
        return r;
    if (!changed)
        return 0;
    return devices_node_dump(xmlDocGetRootElement(doc), ret_xml);
}
