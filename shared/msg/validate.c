/* Request validation against the operation catalogue (see validate.h). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shared/msg/optstring.h"
#include "shared/msg/validate.h"

#define VALIDATE_VCPUS_MAX 4096
#define VALIDATE_MEMORY_MIB_MAX 16777216LL        /* 16 TiB */
#define VALIDATE_SIZE_KIB_MAX 17179869184LL       /* 16 TiB */
#define VALIDATE_BYTES_MAX 1152921504606846976LL  /* 1 EiB */
#define VALIDATE_UINT_MAX 9007199254740991LL      /* 2^53 - 1: exact in JSON numbers */
#define VALIDATE_WORD_MAX 64
#define VALIDATE_URI_MAX 1024
#define VALIDATE_IFNAME_MAX 15
#define VALIDATE_PASSWORD_MAX 64
#define VALIDATE_VALUE_SHOWN 64
#define VALIDATE_NUMBER_LEN 32

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"
#define HEX DIGITS "abcdefABCDEF"

typedef int (*validate_fn)(const char *field, const char *value, const struct validate_opts *opts,
                           char *err, size_t errlen);

/* `field "<field>": <rule>, got "<value>"` with the value shortened. */
_printf_(5, 6) static int fail(char *err, size_t errlen, const char *field, const char *value,
                               const char *fmt, ...)
{
    char rule[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rule, sizeof(rule), fmt, ap);
    va_end(ap);
    if (value)
        snprintf(err, errlen, "field \"%s\": %s, got \"%.*s%s\"", field, rule,
                 VALIDATE_VALUE_SHOWN, value, strlen(value) > VALIDATE_VALUE_SHOWN ? "..." : "");
    else
        snprintf(err, errlen, "field \"%s\": %s", field, rule);
    return -EINVAL;
}

static bool all_of(const char *s, const char *set)
{
    return s[0] != '\0' && strspn(s, set) == strlen(s);
}

static bool one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* A decimal integer of digits only, within [min, max]. */
static bool parse_uint(const char *s, long long min, long long max, long long *ret)
{
    unsigned long long v = 0;
    size_t len = strlen(s);

    if (len == 0 || len > 19 || !all_of(s, DIGITS))
        return false;
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    if (v > (unsigned long long)max || (long long)v < min)
        return false;
    if (ret)
        *ret = (long long)v;
    return true;
}

static bool is_ipv4(const char *s)
{
    struct in_addr a;

    return inet_pton(AF_INET, s, &a) == 1;
}

static bool is_ipv6(const char *s)
{
    struct in6_addr a;

    return inet_pton(AF_INET6, s, &a) == 1;
}

static bool is_hostname(const char *s)
{
    return strlen(s) <= 253 && all_of(s, LOWER UPPER DIGITS ".-") && s[0] != '-' && s[0] != '.';
}

static bool is_mac(const char *s)
{
    if (strlen(s) != 17)
        return false;
    for (size_t i = 0; i < 17; i++) {
        if (i % 3 == 2 ? s[i] != ':' : !strchr(HEX, s[i]))
            return false;
    }
    return true;
}

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;

        if (dash ? s[i] != '-' : !strchr(HEX, s[i]))
            return false;
    }
    return true;
}

static bool is_word(const char *s)
{
    return strlen(s) <= VALIDATE_WORD_MAX && all_of(s, LOWER UPPER DIGITS "._-");
}

/* A host CPU list: N, N-M or ^N items joined by commas. */
static bool is_cpuset(const char *s)
{
    const char *p = s;

    for (;;) {
        char item[32];
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        long long a, b;
        char *dash;

        if (len == 0 || len >= sizeof(item))
            return false;
        memcpy(item, p, len);
        item[len] = '\0';
        if (item[0] == '^') {
            if (!parse_uint(item + 1, 0, VALIDATE_VCPUS_MAX - 1, NULL))
                return false;
        } else if ((dash = strchr(item, '-'))) {
            *dash = '\0';
            if (!parse_uint(item, 0, VALIDATE_VCPUS_MAX - 1, &a) ||
                !parse_uint(dash + 1, 0, VALIDATE_VCPUS_MAX - 1, &b) || a > b)
                return false;
        } else if (!parse_uint(item, 0, VALIDATE_VCPUS_MAX - 1, NULL)) {
            return false;
        }
        if (!comma)
            return true;
        p = comma + 1;
    }
}

int validate_name(const char *field, const char *value, const struct validate_opts *opts,
                  char *err, size_t errlen)
{
    size_t min = opts && opts->name_min ? opts->name_min : VALIDATE_NAME_MIN;
    size_t max = opts && opts->name_max ? opts->name_max : VALIDATE_NAME_MAX;
    size_t len = strlen(value);

    if (len < min || len > max || !all_of(value, LOWER DIGITS))
        return fail(err, errlen, field, value, "must be %zu to %zu lowercase letters and digits",
                    min, max);
    return 0;
}

static bool path_under(const char *path, const char *root)
{
    size_t rlen = strlen(root);

    while (rlen > 1 && root[rlen - 1] == '/')
        rlen--;
    if (rlen == 1 && root[0] == '/')
        return path[1] != '\0';
    return strncmp(path, root, rlen) == 0 && path[rlen] == '/' && path[rlen + 1] != '\0';
}

static int check_path(const char *field, const char *value, const struct validate_opts *opts,
                      char *err, size_t errlen)
{
    static const char *const default_roots[] = {VALIDATE_DEFAULT_ROOT, NULL};
    const char *const *roots = opts && opts->allowed_roots && opts->allowed_roots[0]
                                   ? opts->allowed_roots
                                   : default_roots;
    char shown[256] = "";
    size_t len = strlen(value);

    if (len > VALIDATE_PATH_MAX)
        return fail(err, errlen, field, NULL, "a path is longer than %d bytes",
                    VALIDATE_PATH_MAX);
    if (value[0] != '/')
        return fail(err, errlen, field, value, "must be an absolute path");
    if (!all_of(value, LOWER UPPER DIGITS "._+-/"))
        return fail(err, errlen, field, value,
                    "a path may hold only letters, digits, '.', '_', '+', '-' and '/'");
    if (strstr(value, "//") || (len > 1 && value[len - 1] == '/') || strstr(value, "/./") ||
        strstr(value, "/../") || (len >= 2 && strcmp(value + len - 2, "/.") == 0) ||
        (len >= 3 && strcmp(value + len - 3, "/..") == 0))
        return fail(err, errlen, field, value,
                    "a path must be normalised (no '//', '.', '..' or trailing '/')");

    for (size_t i = 0; roots[i] && i < VALIDATE_ROOTS_MAX; i++) {
        size_t used = strlen(shown);

        if (path_under(value, roots[i]))
            return 0;
        snprintf(shown + used, sizeof(shown) - used, "%s%s", i ? ", " : "", roots[i]);
    }
    return fail(err, errlen, field, value, "a path must lie under one of: %s", shown);
}

/* Parses an option string, turning a tokenizer error into a field error. */
static int parse_opts(const char *field, const char *what, const char *value,
                      const char *const *list_keys, struct optstring **ret_opts, char *err,
                      size_t errlen)
{
    char detail[256] = "";
    int r;

    r = optstring_parse(value, list_keys, ret_opts, detail, sizeof(detail));
    if (r == -EINVAL)
        return fail(err, errlen, field, value, "%s %s", what, detail);
    return r;
}

/* Refuses any option key not in allowed. */
static int check_keys(const char *field, const char *what, const struct optstring *o,
                      const char *const *allowed, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->n_items; i++)
        if (!one_of(o->items[i].key, allowed))
            return fail(err, errlen, field, NULL, "%s: \"%s\" is not a known option", what,
                        o->items[i].key);
    return 0;
}

static int check_uint_keys(const char *field, const char *what, const struct optstring *o,
                           const char *const *keys, char *err, size_t errlen)
{
    for (size_t i = 0; keys[i]; i++) {
        const char *v = optstring_get(o, keys[i]);

        if (v && !parse_uint(v, 0, VALIDATE_UINT_MAX, NULL))
            return fail(err, errlen, field, v, "%s: option \"%s\" must be a non-negative "
                        "integer", what, keys[i]);
    }
    return 0;
}

static const char *const nic_types[] = {"bridge", "l2bridge", "l3bridge", NULL};
static const char *const disk_buses[] = {"virtio", "scsi", "sata", "ide", "usb", "fdc", NULL};
static const char *const disk_formats[] = {"qcow2", "raw",  "vmdk", "vdi", "vhd",
                                           "vhdx",  "qed",  "iso",  "luks", NULL};

static int check_disk_group(const char *field, const char *what, const char *group,
                            const struct validate_opts *opts, char *err, size_t errlen)
{
    static const char *const keys[] = {
        "path", "device", "perms", "bus", "format", "size", "cache", "io", "discard",
        "target", "boot_order", "serial", "readonly", "shareable", "sparse", "driver_name",
        "driver_type", "iothread", "backing_store", "read_bytes_sec", "write_bytes_sec",
        "total_bytes_sec", "read_iops_sec", "write_iops_sec", "total_iops_sec", NULL};
    static const char *const uint_keys[] = {
        "boot_order", "iothread", "read_bytes_sec", "write_bytes_sec", "total_bytes_sec",
        "read_iops_sec", "write_iops_sec", "total_iops_sec", NULL};
    static const char *const devices[] = {"disk", "cdrom", "floppy", "lun", NULL};
    static const char *const perms[] = {"ro", "rw", "sh", NULL};
    static const char *const caches[] = {"none", "writethrough", "writeback", "directsync",
                                         "unsafe", "default", NULL};
    _cleanup_(optstring_freep) struct optstring *o = NULL;
    const char *v;
    int r;

    r = parse_opts(field, what, group, NULL, &o, err, errlen);
    if (r < 0)
        return r;
    r = check_keys(field, what, o, keys, err, errlen);
    if (r < 0)
        return r;
    if (!o->head && !optstring_get(o, "path"))
        return fail(err, errlen, field, group, "%s must start with a path", what);
    if (o->head && optstring_get(o, "path"))
        return fail(err, errlen, field, group, "%s gives its path twice", what);

    /* Every path in the string obeys the path rule, not only the first. */
    if ((r = check_path(field, o->head ? o->head : optstring_get(o, "path"), opts, err,
                        errlen)) < 0)
        return r;
    if ((v = optstring_get(o, "backing_store")) && (r = check_path(field, v, opts, err,
                                                                    errlen)) < 0)
        return r;

    if ((v = optstring_get(o, "device")) && !one_of(v, devices))
        return fail(err, errlen, field, v, "%s: device must be disk, cdrom, floppy or lun", what);
    if ((v = optstring_get(o, "perms")) && !one_of(v, perms))
        return fail(err, errlen, field, v, "%s: perms must be ro, rw or sh", what);
    if ((v = optstring_get(o, "bus")) && !one_of(v, disk_buses))
        return fail(err, errlen, field, v, "%s: bus must be virtio, scsi, sata, ide, usb or fdc",
                    what);
    if ((v = optstring_get(o, "format")) && !one_of(v, disk_formats))
        return fail(err, errlen, field, v, "%s: format is not a known disk format", what);
    if ((v = optstring_get(o, "cache")) && !one_of(v, caches))
        return fail(err, errlen, field, v, "%s: cache is not a known cache mode", what);
    if ((v = optstring_get(o, "size")) && !all_of(v, DIGITS "."))
        return fail(err, errlen, field, v, "%s: size must be a number of GiB", what);
    return check_uint_keys(field, what, o, uint_keys, err, errlen);
}

static int check_disk(const char *field, const char *value, const struct validate_opts *opts,
                      char *err, size_t errlen)
{
    char *groups[OPTSTRING_MAX_GROUPS] = {0};
    char detail[256] = "";
    int n, r = 0;

    n = optstring_split_groups(value, "--disk", groups, detail, sizeof(detail));
    if (n == -EINVAL)
        return fail(err, errlen, field, value, "a disk list %s", detail);
    if (n < 0)
        return n;
    for (int i = 0; i < n && r == 0; i++) {
        char what[32];

        snprintf(what, sizeof(what), "disk %d", i + 1);
        r = check_disk_group(field, what, groups[i], opts, err, errlen);
    }
    optstring_groups_free(groups, (size_t)n);
    return r;
}

static int check_vcpus(const char *field, const char *value, const struct validate_opts *opts,
                       char *err, size_t errlen)
{
    static const char *const list_keys[] = {"cpuset", NULL};
    static const char *const keys[] = {"maxvcpus", "sockets", "cores", "threads", "cpuset",
                                       NULL};
    _cleanup_(optstring_freep) struct optstring *o = NULL;
    long long n, max;
    const char *v;
    int r;

    r = parse_opts(field, "vcpus", value, list_keys, &o, err, errlen);
    if (r < 0)
        return r;
    if (!o->head || !parse_uint(o->head, 1, VALIDATE_VCPUS_MAX, &n))
        return fail(err, errlen, field, value,
                    "must start with a number of vCPUs from 1 to %d (N[,cpuset=LIST])",
                    VALIDATE_VCPUS_MAX);
    r = check_keys(field, "vcpus", o, keys, err, errlen);
    if (r < 0)
        return r;
    if ((v = optstring_get(o, "maxvcpus")) &&
        (!parse_uint(v, 1, VALIDATE_VCPUS_MAX, &max) || max < n))
        return fail(err, errlen, field, v, "maxvcpus must be a number from the vCPU count to %d",
                    VALIDATE_VCPUS_MAX);
    for (size_t i = 1; i <= 3; i++) {
        const char *k = keys[i];

        if ((v = optstring_get(o, k)) && !parse_uint(v, 1, VALIDATE_VCPUS_MAX, NULL))
            return fail(err, errlen, field, v, "%s must be a number from 1 to %d", k,
                        VALIDATE_VCPUS_MAX);
    }
    if ((v = optstring_get(o, "cpuset")) && !is_cpuset(v))
        return fail(err, errlen, field, v, "cpuset must be a CPU list like 1-4,6,^3");
    return 0;
}

static int check_vcpu_count(const char *field, const char *value,
                            const struct validate_opts *opts, char *err, size_t errlen)
{
    if (!parse_uint(value, 1, VALIDATE_VCPUS_MAX, NULL))
        return fail(err, errlen, field, value, "must be a number of vCPUs from 1 to %d",
                    VALIDATE_VCPUS_MAX);
    return 0;
}

static int check_graphics(const char *field, const char *value, const struct validate_opts *opts,
                          char *err, size_t errlen)
{
    static const char *const types[] = {"vnc", "spice", "none", NULL};
    static const char *const keys[] = {"listen", "port", "password", "keymap", NULL};
    _cleanup_(optstring_freep) struct optstring *o = NULL;
    const char *v;
    int r;

    r = parse_opts(field, "graphics", value, NULL, &o, err, errlen);
    if (r < 0)
        return r;
    if (!o->head || !one_of(o->head, types))
        return fail(err, errlen, field, value,
                    "must start with vnc, spice or none (vnc|spice,listen=ADDR[,password=P])");
    r = check_keys(field, "graphics", o, keys, err, errlen);
    if (r < 0)
        return r;
    if ((v = optstring_get(o, "listen")) && !is_ipv4(v) && !is_ipv6(v) && !is_hostname(v))
        return fail(err, errlen, field, v, "listen must be an IP address or a host name");
    if ((v = optstring_get(o, "port")) && strcmp(v, "-1") != 0 && !parse_uint(v, 0, 65535, NULL))
        return fail(err, errlen, field, v, "port must be -1 or 0 to 65535");
    if ((v = optstring_get(o, "password")) && strlen(v) > VALIDATE_PASSWORD_MAX)
        return fail(err, errlen, field, NULL, "password must be at most %d characters",
                    VALIDATE_PASSWORD_MAX);
    if ((v = optstring_get(o, "keymap")) && !is_word(v))
        return fail(err, errlen, field, v, "keymap must be a keymap name");
    return 0;
}

static bool is_ifname(const char *s)
{
    return strlen(s) <= VALIDATE_IFNAME_MAX && all_of(s, LOWER UPPER DIGITS "._:-");
}

/* Shared by network and nic_source: source=BRIDGE[,ip=][,switch=]... */
static int check_nic_opts(const char *field, const char *what, const struct optstring *o,
                          char *err, size_t errlen)
{
    static const char *const qos_keys[] = {"inbound", "outbound", NULL};
    const char *v;

    if (o->head)
        return fail(err, errlen, field, o->head, "%s takes only key=value options", what);
    if (!(v = optstring_get(o, "source")))
        return fail(err, errlen, field, NULL, "%s needs source=BRIDGE", what);
    if (!is_ifname(v))
        return fail(err, errlen, field, v, "source must be a bridge name of at most %d "
                    "letters, digits, '.', '_', ':' or '-'", VALIDATE_IFNAME_MAX);
    if ((v = optstring_get(o, "ip")) && !is_ipv4(v))
        return fail(err, errlen, field, v, "ip must be an IPv4 address");
    if ((v = optstring_get(o, "switch")) && !is_word(v))
        return fail(err, errlen, field, v, "switch must be a switch name");
    if ((v = optstring_get(o, "model")) && !is_word(v))
        return fail(err, errlen, field, v, "model must be a NIC model name");
    if ((v = optstring_get(o, "mac")) && !is_mac(v))
        return fail(err, errlen, field, v, "mac must be six hex pairs like 7e:0c:b0:ef:6a:04");
    return check_uint_keys(field, what, o, qos_keys, err, errlen);
}

static int check_network(const char *field, const char *value, const struct validate_opts *opts,
                         char *err, size_t errlen)
{
    static const char *const keys[] = {"type", "source", "ip", "switch", "inbound", "outbound",
                                       "model", "mac", NULL};
    _cleanup_(optstring_freep) struct optstring *o = NULL;
    const char *v;
    int r;

    r = parse_opts(field, "network", value, NULL, &o, err, errlen);
    if (r < 0)
        return r;
    r = check_keys(field, "network", o, keys, err, errlen);
    if (r < 0)
        return r;
    if (!(v = optstring_get(o, "type")) || !one_of(v, nic_types))
        return fail(err, errlen, field, value,
                    "must have type=bridge, l2bridge or l3bridge "
                    "(type=T,source=BR[,ip=..][,switch=..][,inbound=N][,outbound=N][,model=..]"
                    "[,mac=..])");
    return check_nic_opts(field, "network", o, err, errlen);
}

static int check_nic_source(const char *field, const char *value,
                            const struct validate_opts *opts, char *err, size_t errlen)
{
    static const char *const keys[] = {"source", "ip", "switch", NULL};
    _cleanup_(optstring_freep) struct optstring *o = NULL;
    int r;

    r = parse_opts(field, "source", value, NULL, &o, err, errlen);
    if (r < 0)
        return r;
    r = check_keys(field, "source", o, keys, err, errlen);
    if (r < 0)
        return r;
    return check_nic_opts(field, "source", o, err, errlen);
}

static int check_metadata(const char *field, const char *value, const struct validate_opts *opts,
                          char *err, size_t errlen)
{
    _cleanup_(optstring_freep) struct optstring *o = NULL;
    const char *v;
    int r;

    r = parse_opts(field, "metadata", value, NULL, &o, err, errlen);
    if (r < 0)
        return r;
    if (o->head)
        return fail(err, errlen, field, o->head, "metadata takes only key=value pairs");
    for (size_t i = 0; i < o->n_items; i++)
        if (!all_of(o->items[i].key, LOWER UPPER DIGITS "_"))
            return fail(err, errlen, field, o->items[i].key,
                        "a metadata key may hold only letters, digits and '_'");
    if ((v = optstring_get(o, "uuid")) && !is_uuid(v))
        return fail(err, errlen, field, v, "uuid must be a UUID like "
                    "950646e8-c17a-49d0-b83c-1c797811e001");
    return 0;
}

static int check_subnet(const char *field, const char *value, const struct validate_opts *opts,
                        char *err, size_t errlen)
{
    const char *slash = strchr(value, '/');
    char addr[INET_ADDRSTRLEN];

    if (!slash || (size_t)(slash - value) >= sizeof(addr))
        return fail(err, errlen, field, value, "must be a subnet like 192.168.5.1/24");
    memcpy(addr, value, (size_t)(slash - value));
    addr[slash - value] = '\0';
    if (!is_ipv4(addr) || !parse_uint(slash + 1, 0, 32, NULL))
        return fail(err, errlen, field, value,
                    "must be a subnet A.B.C.D/N with parts 0-255 and N 0-32");
    return 0;
}

static int check_mac(const char *field, const char *value, const struct validate_opts *opts,
                     char *err, size_t errlen)
{
    if (!is_mac(value))
        return fail(err, errlen, field, value,
                    "must be a MAC address of six hex pairs like 7e:0c:b0:ef:6a:04");
    return 0;
}

static int check_memory_mib(const char *field, const char *value,
                            const struct validate_opts *opts, char *err, size_t errlen)
{
    if (!parse_uint(value, 1, VALIDATE_MEMORY_MIB_MAX, NULL))
        return fail(err, errlen, field, value, "must be a positive integer number of MiB");
    return 0;
}

static int check_size_kib(const char *field, const char *value, const struct validate_opts *opts,
                          char *err, size_t errlen)
{
    if (!parse_uint(value, 1, VALIDATE_SIZE_KIB_MAX, NULL))
        return fail(err, errlen, field, value, "must be a positive integer number of KiB");
    return 0;
}

static int check_bytes(const char *field, const char *value, const struct validate_opts *opts,
                       char *err, size_t errlen)
{
    if (!parse_uint(value, 1, VALIDATE_BYTES_MAX, NULL))
        return fail(err, errlen, field, value, "must be a positive integer number of bytes");
    return 0;
}

static int check_uint(const char *field, const char *value, const struct validate_opts *opts,
                      char *err, size_t errlen)
{
    if (!parse_uint(value, 0, VALIDATE_UINT_MAX, NULL))
        return fail(err, errlen, field, value, "must be a non-negative integer");
    return 0;
}

static int check_uri(const char *field, const char *value, const struct validate_opts *opts,
                     char *err, size_t errlen)
{
    const char *sep = strstr(value, "://");

    if (strlen(value) > VALIDATE_URI_MAX || !sep || sep == value ||
        strspn(value, LOWER DIGITS "+") != (size_t)(sep - value) || sep[3] == '\0' ||
        strpbrk(value, " \t\r\n\"'`\\<>"))
        return fail(err, errlen, field, value,
                    "must be a libvirt URI like qemu+ssh://node23/system");
    return 0;
}

static int check_word(const char *field, const char *value, const struct validate_opts *opts,
                      char *err, size_t errlen)
{
    if (!is_word(value))
        return fail(err, errlen, field, value,
                    "must be 1 to %d letters, digits, '.', '_' or '-'", VALIDATE_WORD_MAX);
    return 0;
}

#define ENUM_CHECK(fn, list, text)                                                                 \
    static int fn(const char *field, const char *value, const struct validate_opts *opts,          \
                  char *err, size_t errlen)                                                        \
    {                                                                                              \
        if (!one_of(value, list))                                                                  \
            return fail(err, errlen, field, value, "must be " text);                               \
        return 0;                                                                                  \
    }

static const char *const virt_types[] = {"kvm", "qemu", "xen", "lxc", "hvf", NULL};
static const char *const disk_modes[] = {"shareable", "readonly", NULL};
static const char *const pool_types[] = {"dir",   "fs",      "netfs", "logical", "disk",
                                         "iscsi", "rbd", "gluster", "nfs",  "zfs", NULL};
ENUM_CHECK(check_nic_type, nic_types, "bridge, l2bridge or l3bridge")
ENUM_CHECK(check_virt_type, virt_types, "kvm, qemu, xen, lxc or hvf")
ENUM_CHECK(check_disk_bus, disk_buses, "virtio, scsi, sata, ide, usb or fdc")
ENUM_CHECK(check_disk_format, disk_formats, "qcow2, raw, vmdk, vdi, vhd, vhdx, qed, iso or luks")
ENUM_CHECK(check_disk_mode, disk_modes, "shareable or readonly")
ENUM_CHECK(check_pool_type, pool_types,
           "dir, fs, netfs, logical, disk, iscsi, rbd, gluster, nfs or zfs")

static int check_disk_target(const char *field, const char *value,
                             const struct validate_opts *opts, char *err, size_t errlen)
{
    static const char *const prefixes[] = {"xvd", "hd", "sd", "vd", NULL};

    for (size_t i = 0; prefixes[i]; i++) {
        size_t plen = strlen(prefixes[i]), rest;

        if (strncmp(value, prefixes[i], plen) != 0)
            continue;
        rest = strlen(value + plen);
        if (rest >= 1 && rest <= 3 && all_of(value + plen, LOWER))
            return 0;
    }
    return fail(err, errlen, field, value,
                "must be a device name like vdb: hd, sd, vd or xvd and 1 to 3 letters");
}

static int check_true(const char *field, const char *value, const struct validate_opts *opts,
                      char *err, size_t errlen)
{
    if (strcmp(value, "true") != 0)
        return fail(err, errlen, field, value, "must be true");
    return 0;
}

static int check_name(const char *field, const char *value, const struct validate_opts *opts,
                      char *err, size_t errlen)
{
    return validate_name(field, value, opts, err, errlen);
}

static const struct {
    const char *id;
    validate_fn fn;
} constraint_table[] = {
    {"name", check_name},           {"path", check_path},
    {"disk", check_disk},           {"vcpus", check_vcpus},
    {"vcpu_count", check_vcpu_count}, {"graphics", check_graphics},
    {"network", check_network},     {"nic_source", check_nic_source},
    {"nic_type", check_nic_type},   {"subnet", check_subnet},
    {"mac", check_mac},             {"memory_mib", check_memory_mib},
    {"size_kib", check_size_kib},   {"bytes", check_bytes},
    {"uint", check_uint},           {"uri", check_uri},
    {"word", check_word},           {"metadata", check_metadata},
    {"virt_type", check_virt_type}, {"disk_bus", check_disk_bus},
    {"disk_format", check_disk_format}, {"disk_mode", check_disk_mode},
    {"disk_target", check_disk_target}, {"pool_type", check_pool_type},
    {"true", check_true},
};

int validate_value(const char *constraint, const char *field, const char *value,
                   const struct validate_opts *opts, char *err, size_t errlen)
{
    for (size_t i = 0; i < ELEMENTSOF(constraint_table); i++)
        if (strcmp(constraint_table[i].id, constraint) == 0)
            return constraint_table[i].fn(field, value, opts, err, errlen);
    snprintf(err, errlen, "field \"%s\": unknown constraint \"%s\"", field, constraint);
    return -ENOENT;
}

/* Brings a field's value to the text its constraint reads, checking the
 * JSON type the catalogue declares. buf holds integers written as text. */
static int field_text(const struct catalog_field *f, const cJSON *item, char *buf, size_t buflen,
                      const char **ret_text, char *err, size_t errlen)
{
    bool integral = cJSON_IsNumber(item) && item->valuedouble >= 0 &&
                    item->valuedouble <= (double)VALIDATE_UINT_MAX &&
                    item->valuedouble == (double)(long long)item->valuedouble;

    switch (f->type) {
    case CATALOG_BOOLEAN:
        if (!cJSON_IsBool(item))
            return fail(err, errlen, f->name, NULL, "expected true or false");
        if (f->constraint && strcmp(f->constraint, "true") == 0 && !cJSON_IsTrue(item))
            return fail(err, errlen, f->name, NULL, "must be true");
        *ret_text = NULL;
        return 0;
    case CATALOG_STRING:
        if (cJSON_IsString(item)) {
            *ret_text = item->valuestring;
            return 0;
        }
        if (f->accepts_integer && integral)
            break;
        return fail(err, errlen, f->name, NULL, f->accepts_integer
                                                    ? "expected a string or a whole number"
                                                    : "expected a string");
    case CATALOG_INTEGER:
    case CATALOG_NUMBER:
        if (integral || (f->type == CATALOG_NUMBER && cJSON_IsNumber(item)))
            break;
        if (f->accepts_string && cJSON_IsString(item)) {
            *ret_text = item->valuestring;
            return 0;
        }
        if (cJSON_IsNumber(item))
            return fail(err, errlen, f->name, NULL, "expected a whole number of at least 0");
        return fail(err, errlen, f->name, NULL, f->accepts_string
                                                    ? "expected a whole number or a string of "
                                                      "digits"
                                                    : "expected a whole number");
    }
    snprintf(buf, buflen, "%lld", (long long)item->valuedouble);
    *ret_text = buf;
    return 0;
}

static int check_field(const struct catalog_field *f, const cJSON *item,
                       const struct validate_opts *opts, char *err, size_t errlen)
{
    char buf[VALIDATE_NUMBER_LEN];
    const char *text = NULL;
    int r;

    r = field_text(f, item, buf, sizeof(buf), &text, err, errlen);
    if (r < 0 || !text || !f->constraint)
        return r;
    if (text[0] == '\0')
        return fail(err, errlen, f->name, NULL, "must not be empty");
    r = validate_value(f->constraint, f->name, text, opts, err, errlen);
    return r == -ENOENT ? -EINVAL : r;
}

static int unknown_field(const struct catalog_op *op, const char *name, char *err, size_t errlen)
{
    char known[512] = "";

    for (size_t i = 0; i < op->n_fields; i++) {
        size_t used = strlen(known);

        snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "", op->fields[i].name);
    }
    if (op->n_fields == 0)
        return fail(err, errlen, name, NULL, "is not a parameter of %s, which takes none",
                    op->name);
    return fail(err, errlen, name, NULL, "is not a parameter of %s (it takes: %s)", op->name,
                known);
}

static int check_conflicts(const struct catalog_op *op, const cJSON *params, char *err,
                           size_t errlen)
{
    const cJSON *pair;

    cJSON_ArrayForEach(pair, op->conflicts) {
        const cJSON *a = cJSON_GetArrayItem(pair, 0), *b = cJSON_GetArrayItem(pair, 1);

        if (!cJSON_IsString(a) || !cJSON_IsString(b))
            continue;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, a->valuestring)) &&
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, b->valuestring)))
            return fail(err, errlen, b->valuestring, NULL, "cannot be true together with \"%s\"",
                        a->valuestring);
    }
    return 0;
}

int validate_request(const struct catalog *cat, const char *kind, const char *name,
                     const char *operation, const cJSON *params,
                     const struct validate_opts *opts, char *err, size_t errlen)
{
    const struct catalog_op *op;
    const cJSON *item;
    int r;

    if (!name)
        return fail(err, errlen, "name", NULL, "is required");
    r = validate_name("name", name, opts, err, errlen);
    if (r < 0)
        return r;
    if (!catalog_find_kind(cat, kind))
        return fail(err, errlen, "kind", kind ? kind : "", "must be one of the seven kinds");
    op = catalog_find(cat, kind, operation);
    if (!op)
        return fail(err, errlen, "operation", operation ? operation : "",
                    "is not an operation of %s", kind);
    if (!cJSON_IsObject(params))
        return fail(err, errlen, operation, NULL, "the parameters must be a JSON object");

    cJSON_ArrayForEach(item, params) {
        const struct catalog_field *f = catalog_op_field(op, item->string);

        if (!f)
            return unknown_field(op, item->string, err, errlen);
        if (cJSON_IsNull(item))
            continue;
        r = check_field(f, item, opts, err, errlen);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < op->n_fields; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, op->fields[i].name);

        if (op->fields[i].required && (!v || cJSON_IsNull(v)))
            return fail(err, errlen, op->fields[i].name, NULL, "is required by %s", op->name);
    }
    return check_conflicts(op, params, err, errlen);
}
