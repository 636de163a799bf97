#include "shared/k8s/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "shared/k8s/base64.h"
#include "shared/k8s/file.h"

#define K8S_FILE_PATH_MAX 4096

static int set_err(char *err, size_t errlen, int r, const char *fmt, ...) _printf_(4, 5);
static int set_err(char *err, size_t errlen, int r, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return r;
}

struct k8s_config *k8s_config_ref(struct k8s_config *cfg)
{
    if (cfg)
        atomic_fetch_add(&cfg->refs, 1);
    return cfg;
}

void k8s_config_unref(struct k8s_config *cfg)
{
    if (!cfg || atomic_fetch_sub(&cfg->refs, 1) != 1)
        return;
    free(cfg->server);
    free(cfg->namespace);
    free(cfg->source);
    free(cfg->ca.data);
    free(cfg->client_cert.data);
    free(cfg->client_key.data);
    if (cfg->token)
        explicit_bzero(cfg->token, strlen(cfg->token));
    free(cfg->token);
    free(cfg->token_file);
    free(cfg);
}

static int config_new(struct k8s_config **ret_cfg)
{
    struct k8s_config *cfg = calloc(1, sizeof(*cfg));

    if (!cfg)
        return -ENOMEM;
    atomic_init(&cfg->refs, 1);
    *ret_cfg = cfg;
    return 0;
}

/* Joins a kubeconfig-relative file name onto the kubeconfig's directory. */
static int resolve_path(const char *base_dir, const char *file, char **ret_path)
{
    char buf[K8S_FILE_PATH_MAX];
    int n;

    if (file[0] == '/' || !base_dir)
        n = snprintf(buf, sizeof(buf), "%s", file);
    else
        n = snprintf(buf, sizeof(buf), "%s/%s", base_dir, file);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    *ret_path = strdup(buf);
    return *ret_path ? 0 : -ENOMEM;
}

static yaml_node_t *yaml_map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);

        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

/* Returns the scalar text of map[key], or NULL when absent or not a
 * scalar. An empty scalar counts as absent, as kubectl treats it. */
static const char *yaml_map_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    yaml_node_t *n = yaml_map_get(doc, map, key);

    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.length == 0)
        return NULL;
    return (const char *)n->data.scalar.value;
}

/* Finds the entry "name: <name>" of a list such as clusters: and returns
 * its inner map (entry[inner]). */
static yaml_node_t *yaml_named_entry(yaml_document_t *doc, yaml_node_t *root, const char *list,
                                     const char *name, const char *inner)
{
    yaml_node_t *seq = yaml_map_get(doc, root, list);

    if (!seq || seq->type != YAML_SEQUENCE_NODE)
        return NULL;
    for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top;
         i++) {
        yaml_node_t *entry = yaml_document_get_node(doc, *i);
        const char *n = yaml_map_str(doc, entry, "name");

        if (n && strcmp(n, name) == 0)
            return yaml_map_get(doc, entry, inner);
    }
    return NULL;
}

/* Fills blob from "<field>-data" (base64) or "<field>" (a file name). */
static int load_credential(yaml_document_t *doc, yaml_node_t *map, const char *field,
                           const char *name, const char *base_dir, struct k8s_blob *blob,
                           char *err, size_t errlen)
{
    char data_key[64];
    const char *v;
    int r;

    snprintf(data_key, sizeof(data_key), "%s-data", field);
    v = yaml_map_str(doc, map, data_key);
    if (v) {
        r = k8s_base64_decode(v, strlen(v), &blob->data, &blob->len);
        if (r < 0)
            return set_err(err, errlen, r, "%s: %s is not valid base64.", name, data_key);
        return 0;
    }

    v = yaml_map_str(doc, map, field);
    if (v) {
        _cleanup_free_ char *path = NULL;

        r = resolve_path(base_dir, v, &path);
        if (r < 0)
            return set_err(err, errlen, r, "%s: %s path is too long.", name, field);
        r = k8s_file_read(path, K8S_CREDENTIAL_FILE_MAX, (char **)&blob->data, &blob->len);
        if (r < 0)
            return set_err(err, errlen, r, "%s: cannot read %s %s: %s.", name, field, path,
                           strerror(-r));
    }
    return 0;
}

/* A token file's content without the trailing newline most writers add. */
static int read_token(const char *path, char **ret_token)
{
    char *buf = NULL;
    size_t len;
    int r;

    r = k8s_file_read(path, K8S_CREDENTIAL_FILE_MAX, &buf, &len);
    if (r < 0)
        return r;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    if (len == 0 || strpbrk(buf, "\r\n")) {
        free(buf);
        return -EINVAL;
    }
    *ret_token = buf;
    return 0;
}

static int check_server(const char *server, const char *name, char *err, size_t errlen)
{
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return set_err(err, errlen, -EINVAL,
                       "%s: server '%s' is not an http:// or https:// URL.", name, server);
    return 0;
}

static int parse_cluster(yaml_document_t *doc, yaml_node_t *cluster, const char *name,
                         const char *cluster_name, const char *base_dir, struct k8s_config *cfg,
                         char *err, size_t errlen)
{
    const char *server = yaml_map_str(doc, cluster, "server");
    const char *insecure = yaml_map_str(doc, cluster, "insecure-skip-tls-verify");
    size_t n;
    int r;

    if (!server)
        return set_err(err, errlen, -EINVAL, "%s: cluster '%s' has no server.", name,
                       cluster_name);
    r = check_server(server, name, err, errlen);
    if (r < 0)
        return r;
    cfg->server = strdup(server);
    if (!cfg->server)
        return -ENOMEM;
    n = strlen(cfg->server);
    while (n > 0 && cfg->server[n - 1] == '/')
        cfg->server[--n] = '\0';

    cfg->insecure_skip_tls_verify = insecure && strcmp(insecure, "true") == 0;
    return load_credential(doc, cluster, "certificate-authority", name, base_dir, &cfg->ca,
                           err, errlen);
}

static int parse_user(yaml_document_t *doc, yaml_node_t *user, const char *name,
                      const char *user_name, const char *base_dir, struct k8s_config *cfg,
                      char *err, size_t errlen)
{
    const char *token = yaml_map_str(doc, user, "token");
    const char *token_file = yaml_map_str(doc, user, "tokenFile");
    int r;

    r = load_credential(doc, user, "client-certificate", name, base_dir, &cfg->client_cert, err,
                        errlen);
    if (r < 0)
        return r;
    r = load_credential(doc, user, "client-key", name, base_dir, &cfg->client_key, err, errlen);
    if (r < 0)
        return r;
    if ((cfg->client_cert.len > 0) != (cfg->client_key.len > 0))
        return set_err(err, errlen, -EINVAL,
                       "%s: user '%s' has a client certificate without a key, or a key "
                       "without a certificate.", name, user_name);

    if (token) {
        cfg->token = strdup(token);
        if (!cfg->token)
            return -ENOMEM;
    } else if (token_file) {
        r = resolve_path(base_dir, token_file, &cfg->token_file);
        if (r < 0)
            return set_err(err, errlen, r, "%s: tokenFile path is too long.", name);
        r = read_token(cfg->token_file, &cfg->token);
        if (r < 0)
            return set_err(err, errlen, r, "%s: cannot read tokenFile %s: %s.", name,
                           cfg->token_file, strerror(-r));
    }

    if (!cfg->token && cfg->client_cert.len == 0) {
        if (yaml_map_get(doc, user, "exec") || yaml_map_get(doc, user, "auth-provider"))
            return set_err(err, errlen, -EOPNOTSUPP,
                           "%s: user '%s' needs an exec or auth-provider plugin, which vmrelay "
                           "does not run; give it a token or a client certificate.",
                           name, user_name);
    }
    return 0;
}

int k8s_config_parse(const char *text, size_t len, const char *name, const char *base_dir,
                     const char *context, struct k8s_config **ret_cfg, char *err, size_t errlen)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root, *ctx, *cluster, *user;
    const char *cluster_name, *user_name, *ns;
    char source[512];
    int r;

    if (len > K8S_KUBECONFIG_MAX)
        return set_err(err, errlen, -EFBIG, "%s: larger than %u bytes.", name,
                       K8S_KUBECONFIG_MAX);
    if (!yaml_parser_initialize(&parser))
        return -ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        r = set_err(err, errlen, -EINVAL, "%s:%zu: not valid YAML: %s.", name,
                    parser.problem_mark.line + 1, parser.problem ? parser.problem : "error");
        yaml_parser_delete(&parser);
        return r;
    }
    yaml_parser_delete(&parser);

    r = config_new(&cfg);
    if (r < 0)
        goto out;

    root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        r = set_err(err, errlen, -EINVAL, "%s: not a kubeconfig (no top-level mapping).", name);
        goto out;
    }
    if (!context)
        context = yaml_map_str(&doc, root, "current-context");
    if (!context) {
        r = set_err(err, errlen, -EINVAL, "%s: current-context is not set.", name);
        goto out;
    }

    ctx = yaml_named_entry(&doc, root, "contexts", context, "context");
    if (!ctx) {
        r = set_err(err, errlen, -ENOENT, "%s: context '%s' is not defined under contexts.",
                    name, context);
        goto out;
    }
    cluster_name = yaml_map_str(&doc, ctx, "cluster");
    user_name = yaml_map_str(&doc, ctx, "user");
    ns = yaml_map_str(&doc, ctx, "namespace");
    if (!cluster_name) {
        r = set_err(err, errlen, -EINVAL, "%s: context '%s' names no cluster.", name, context);
        goto out;
    }

    cluster = yaml_named_entry(&doc, root, "clusters", cluster_name, "cluster");
    if (!cluster) {
        r = set_err(err, errlen, -ENOENT,
                    "%s: cluster '%s' of context '%s' is not defined under clusters.", name,
                    cluster_name, context);
        goto out;
    }
    r = parse_cluster(&doc, cluster, name, cluster_name, base_dir, cfg, err, errlen);
    if (r < 0)
        goto out;

    if (user_name) {
        user = yaml_named_entry(&doc, root, "users", user_name, "user");
        if (!user) {
            r = set_err(err, errlen, -ENOENT,
                        "%s: user '%s' of context '%s' is not defined under users.", name,
                        user_name, context);
            goto out;
        }
        r = parse_user(&doc, user, name, user_name, base_dir, cfg, err, errlen);
        if (r < 0)
            goto out;
    }

    cfg->namespace = strdup(ns ? ns : "default");
    snprintf(source, sizeof(source), "kubeconfig %s, context %s", name, context);
    cfg->source = strdup(source);
    if (!cfg->namespace || !cfg->source) {
        r = -ENOMEM;
        goto out;
    }
    *ret_cfg = TAKE_PTR(cfg);
    r = 0;
out:
    yaml_document_delete(&doc);
    return r;
}

static int load_file(const char *path, struct k8s_config **ret_cfg, char *err, size_t errlen)
{
    _cleanup_free_ char *text = NULL, *dir = NULL;
    char *slash;
    size_t len;
    int r;

    r = k8s_file_read(path, K8S_KUBECONFIG_MAX, &text, &len);
    if (r == -EFBIG)
        return set_err(err, errlen, r, "kubeconfig %s is larger than %u bytes.", path,
                       K8S_KUBECONFIG_MAX);
    if (r < 0)
        return set_err(err, errlen, r, "Cannot read kubeconfig %s: %s.", path, strerror(-r));

    dir = strdup(path);
    if (!dir)
        return -ENOMEM;
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else {
        free(dir);
        dir = strdup(".");
        if (!dir)
            return -ENOMEM;
    }
    return k8s_config_parse(text, len, path, dir, NULL, ret_cfg, err, errlen);
}

int k8s_config_in_cluster(const char *sa_dir, struct k8s_config **ret_cfg, char *err,
                          size_t errlen)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    char path[K8S_FILE_PATH_MAX], server[512];
    _cleanup_free_ char *ns = NULL;
    int r;

    if (!sa_dir)
        sa_dir = K8S_SERVICEACCOUNT_DIR;
    if (!host || !*host || !port || !*port)
        return set_err(err, errlen, -ENOENT,
                       "Not running inside a cluster: KUBERNETES_SERVICE_HOST or "
                       "KUBERNETES_SERVICE_PORT is not set.");
    if (strspn(port, "0123456789") != strlen(port))
        return set_err(err, errlen, -EINVAL, "KUBERNETES_SERVICE_PORT '%s' is not a number.",
                       port);

    r = config_new(&cfg);
    if (r < 0)
        return r;
    /* An IPv6 service address needs brackets in a URL. */
    if (strchr(host, ':'))
        snprintf(server, sizeof(server), "https://[%s]:%s", host, port);
    else
        snprintf(server, sizeof(server), "https://%s:%s", host, port);
    cfg->server = strdup(server);
    if (!cfg->server)
        return -ENOMEM;

    snprintf(path, sizeof(path), "%s/token", sa_dir);
    cfg->token_file = strdup(path);
    if (!cfg->token_file)
        return -ENOMEM;
    r = read_token(path, &cfg->token);
    if (r < 0)
        return set_err(err, errlen, r, "Cannot read the service account token %s: %s.", path,
                       strerror(-r));

    snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
    r = k8s_file_read(path, K8S_CREDENTIAL_FILE_MAX, (char **)&cfg->ca.data, &cfg->ca.len);
    if (r < 0)
        return set_err(err, errlen, r, "Cannot read the service account CA %s: %s.", path,
                       strerror(-r));

    snprintf(path, sizeof(path), "%s/namespace", sa_dir);
    r = read_token(path, &ns);
    cfg->namespace = strdup(r >= 0 ? ns : "default");
    cfg->source = strdup("in-cluster service account");
    if (!cfg->namespace || !cfg->source)
        return -ENOMEM;

    *ret_cfg = TAKE_PTR(cfg);
    return 0;
}

int k8s_config_load(const char *kubeconfig_path, struct k8s_config **ret_cfg, char *err,
                    size_t errlen)
{
    const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
    char path[K8S_FILE_PATH_MAX];

    if (kubeconfig_path)
        return load_file(kubeconfig_path, ret_cfg, err, errlen);

    if (env && *env) {
        size_t n = strcspn(env, ":");

        if (n == 0 || n >= sizeof(path))
            return set_err(err, errlen, -EINVAL, "$KUBECONFIG '%s' does not start with a path.",
                           env);
        memcpy(path, env, n);
        path[n] = '\0';
        return load_file(path, ret_cfg, err, errlen);
    }

    if (getenv("KUBERNETES_SERVICE_HOST"))
        return k8s_config_in_cluster(NULL, ret_cfg, err, errlen);

    if (home && *home) {
        snprintf(path, sizeof(path), "%s/.kube/config", home);
        if (access(path, F_OK) == 0)
            return load_file(path, ret_cfg, err, errlen);
    }
    return set_err(err, errlen, -ENOENT,
                   "No Kubernetes credentials: no kubeconfig given, $KUBECONFIG unset, not "
                   "inside a cluster and no ~/.kube/config.");
}
