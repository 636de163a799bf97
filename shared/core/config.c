#include "shared/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define CONFIG_DEFAULT_FILE "/etc/vmrelay/vmrelay.conf"
#define ENV_PREFIX "VMRELAY_"

struct config_entry {
    char *key;
    char *value;
};

struct config {
    struct config_entry *entries;
    size_t n_entries;
    size_t allocated;
};

int config_new(struct config **ret_cfg)
{
    struct config *cfg = calloc(1, sizeof(*cfg));

    if (!cfg)
        return -ENOMEM;
    *ret_cfg = cfg;
    return 0;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_entries; i++) {
        free(cfg->entries[i].key);
        free(cfg->entries[i].value);
    }
    free(cfg->entries);
    free(cfg);
}

static bool key_is_valid(const char *key)
{
    if (!key || !*key)
        return false;
    for (const char *p = key; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' || *p == '-'))
            return false;
    return true;
}

static struct config_entry *find_entry(const struct config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n_entries; i++)
        if (strcmp(cfg->entries[i].key, key) == 0)
            return &cfg->entries[i];
    return NULL;
}

int config_set(struct config *cfg, const char *key, const char *value)
{
    struct config_entry *e;
    char *copy;

    if (!key_is_valid(key) || !value)
        return -EINVAL;

    copy = strdup(value);
    if (!copy)
        return -ENOMEM;

    e = find_entry(cfg, key);
    if (e) {
        free(e->value);
        e->value = copy;
        return 0;
    }

    if (cfg->n_entries >= CONFIG_ENTRIES_MAX) {
        free(copy);
        return -E2BIG;
    }
    if (cfg->n_entries == cfg->allocated) {
        size_t n = cfg->allocated ? cfg->allocated * 2 : 16;
        struct config_entry *grown = realloc(cfg->entries, n * sizeof(*grown));

        if (!grown) {
            free(copy);
            return -ENOMEM;
        }
        cfg->entries = grown;
        cfg->allocated = n;
    }

    e = &cfg->entries[cfg->n_entries];
    e->key = strdup(key);
    if (!e->key) {
        free(copy);
        return -ENOMEM;
    }
    e->value = copy;
    cfg->n_entries++;
    return 0;
}

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Splits "key = value" in place. Returns -EINVAL with a sentence in err. */
static int parse_pair(struct config *cfg, char *text, const char *where, char *err, size_t errlen)
{
    char *eq = strchr(text, '=');
    char *key, *value;
    int r;

    if (!eq) {
        snprintf(err, errlen, "%s: expected 'key = value', got '%.64s'", where, text);
        return -EINVAL;
    }
    *eq = '\0';
    key = trim(text);
    value = trim(eq + 1);

    r = config_set(cfg, key, value);
    if (r == -EINVAL)
        snprintf(err, errlen, "%s: invalid key '%.64s' (keys are lowercase letters, digits, "
                 "'.' and '-')", where, key);
    else if (r == -E2BIG)
        snprintf(err, errlen, "%s: more than %d settings", where, CONFIG_ENTRIES_MAX);
    else if (r < 0)
        snprintf(err, errlen, "%s: %s", where, strerror(-r));
    return r;
}

int config_set_pair(struct config *cfg, const char *pair, char *err, size_t errlen)
{
    char buf[CONFIG_LINE_MAX];

    if (strlen(pair) >= sizeof(buf)) {
        snprintf(err, errlen, "--set: setting longer than %d bytes", CONFIG_LINE_MAX);
        return -EINVAL;
    }
    snprintf(buf, sizeof(buf), "%s", pair);
    return parse_pair(cfg, buf, "--set", err, errlen);
}

int config_load_buffer(struct config *cfg, const char *name, const char *buf, size_t len,
                       char *err, size_t errlen)
{
    size_t pos = 0;
    unsigned line_no = 0;

    if (len > CONFIG_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes", name, CONFIG_FILE_MAX);
        return -EFBIG;
    }

    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        char line[CONFIG_LINE_MAX], where[256];
        char *text;
        int r;

        line_no++;
        snprintf(where, sizeof(where), "%s:%u", name, line_no);
        if (n >= sizeof(line)) {
            snprintf(err, errlen, "%s: line longer than %d bytes", where, CONFIG_LINE_MAX);
            return -EINVAL;
        }
        if (memchr(buf + pos, '\0', n)) {
            snprintf(err, errlen, "%s: NUL byte in line", where);
            return -EINVAL;
        }
        memcpy(line, buf + pos, n);
        line[n] = '\0';
        pos += n + 1;

        text = trim(line);
        if (*text == '\0' || *text == '#')
            continue;
        r = parse_pair(cfg, text, where, err, errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

int config_load_file(struct config *cfg, const char *path, bool required, char *err,
                     size_t errlen)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    struct stat st;
    size_t got = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !required)
            return 0;
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -errno;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -EINVAL;
    }
    if (st.st_size > CONFIG_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
        return -EFBIG;
    }

    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: read failed: %s", path, strerror(errno));
            return -errno;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return config_load_buffer(cfg, path, buf, got, err, errlen);
}

int config_load_env(struct config *cfg, char **envp, char *err, size_t errlen)
{
    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        char key[256];
        size_t n;
        int r;

        if (strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) != 0 || !eq)
            continue;
        n = (size_t)(eq - *e) - strlen(ENV_PREFIX);
        if (n == 0 || n >= sizeof(key))
            continue;
        for (size_t i = 0; i < n; i++) {
            char c = (*e)[strlen(ENV_PREFIX) + i];
            key[i] = c == '_' ? '.' : (char)tolower((unsigned char)c);
        }
        key[n] = '\0';
        if (strcmp(key, "config") == 0)
            continue;

        r = config_set(cfg, key, eq + 1);
        if (r < 0) {
            snprintf(err, errlen, "environment: cannot use %.*s: %s", (int)(eq - *e), *e,
                     r == -EINVAL ? "invalid name" : strerror(-r));
            return r;
        }
    }
    return 0;
}

int config_load_standard(struct config *cfg, const char *file, char *err, size_t errlen)
{
    extern char **environ;
    int r;

    if (file)
        r = config_load_file(cfg, file, true, err, errlen);
    else if (getenv("VMRELAY_CONFIG"))
        r = config_load_file(cfg, getenv("VMRELAY_CONFIG"), true, err, errlen);
    else
        r = config_load_file(cfg, CONFIG_DEFAULT_FILE, false, err, errlen);
    if (r < 0)
        return r;
    return config_load_env(cfg, environ, err, errlen);
}

const char *config_get(const struct config *cfg, const char *key, const char *fallback)
{
    const struct config_entry *e = cfg ? find_entry(cfg, key) : NULL;

    return e ? e->value : fallback;
}

int config_get_int(const struct config *cfg, const char *key, long long fallback, long long min,
                   long long max, long long *ret_value, char *err, size_t errlen)
{
    const char *v = config_get(cfg, key, NULL);
    char *end;
    long long n;

    if (!v) {
        *ret_value = fallback;
        return 0;
    }
    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
        snprintf(err, errlen, "setting %s: '%.64s' is not an integer in [%lld, %lld]", key, v,
                 min, max);
        return -EINVAL;
    }
    *ret_value = n;
    return 0;
}

int config_get_bool(const struct config *cfg, const char *key, bool fallback, bool *ret_value,
                    char *err, size_t errlen)
{
    const char *v = config_get(cfg, key, NULL);

    if (!v) {
        *ret_value = fallback;
        return 0;
    }
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on")) {
        *ret_value = true;
        return 0;
    }
    if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off")) {
        *ret_value = false;
        return 0;
    }
    snprintf(err, errlen, "setting %s: '%.64s' is not a boolean (true/false)", key, v);
    return -EINVAL;
}

int config_foreach_prefix(const struct config *cfg, const char *prefix, config_visit_fn fn,
                          void *userdata)
{
    size_t plen = strlen(prefix);

    for (size_t i = 0; i < cfg->n_entries; i++) {
        int r;

        if (strncmp(cfg->entries[i].key, prefix, plen) != 0)
            continue;
        r = fn(cfg->entries[i].key + plen, cfg->entries[i].value, userdata);
        if (r < 0)
            return r;
    }
    return 0;
}
