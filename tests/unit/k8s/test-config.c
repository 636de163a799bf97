#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/testing.h"
#include "shared/k8s/base64.h"
#include "shared/k8s/config.h"

static char dir[] = "/tmp/test-k8s-config-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "we");
    if (!f)
        test_abort("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void remove_file(const char *name)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

/* "CA-PEM" "CERT-PEM" "KEY-PEM" in base64. */
static const char data_form[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: dev\n"
    "clusters:\n"
    "- name: other\n"
    "  cluster: {server: 'https://wrong:1'}\n"
    "- name: local\n"
    "  cluster:\n"
    "    server: https://127.0.0.1:6443/\n"
    "    certificate-authority-data: Q0EtUEVN\n"
    "contexts:\n"
    "- name: dev\n"
    "  context: {cluster: local, user: admin, namespace: vms}\n"
    "users:\n"
    "- name: admin\n"
    "  user:\n"
    "    client-certificate-data: Q0VSVC1QRU0=\n"
    "    client-key-data: |\n"
    "      S0VZLV\n"
    "      BFTQ==\n";

static void test_data_form(void)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    char err[256] = "";

    CHECK_INT(k8s_config_parse(data_form, strlen(data_form), "kc", NULL, NULL, &cfg, err,
                               sizeof(err)), 0);
    if (!cfg)
        return;
    CHECK_STR(cfg->server, "https://127.0.0.1:6443");
    CHECK_STR(cfg->namespace, "vms");
    CHECK_STR((char *)cfg->ca.data, "CA-PEM");
    CHECK_INT(cfg->ca.len, 6);
    CHECK_STR((char *)cfg->client_cert.data, "CERT-PEM");
    CHECK_STR((char *)cfg->client_key.data, "KEY-PEM");
    CHECK(!cfg->insecure_skip_tls_verify);
    CHECK(cfg->token == NULL);
    CHECK(strstr(cfg->source, "dev") != NULL);
}

static void test_file_form(void)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    char err[256] = "", path[512];

    write_file("ca.crt", "CA FROM FILE\n");
    write_file("token", "sekret-token\n");
    write_file("kubeconfig",
               "current-context: c\n"
               "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:8080', "
               "certificate-authority: ca.crt, insecure-skip-tls-verify: true}}]\n"
               "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
               "users: [{name: u, user: {tokenFile: token}}]\n");
    snprintf(path, sizeof(path), "%s/kubeconfig", dir);

    CHECK_INT(k8s_config_load(path, &cfg, err, sizeof(err)), 0);
    if (!cfg)
        return;
    CHECK_STR(cfg->server, "http://127.0.0.1:8080");
    CHECK_STR((char *)cfg->ca.data, "CA FROM FILE\n");
    CHECK(cfg->insecure_skip_tls_verify);
    CHECK_STR(cfg->token, "sekret-token");
    CHECK(cfg->token_file && strstr(cfg->token_file, "/token") != NULL);
    CHECK_STR(cfg->namespace, "default");

    /* The same file through $KUBECONFIG when no path is given. */
    {
        _cleanup_(k8s_config_unrefp) struct k8s_config *via_env = NULL;
        char list[600];

        snprintf(list, sizeof(list), "%s:/nonexistent", path);
        setenv("KUBECONFIG", list, 1);
        CHECK_INT(k8s_config_load(NULL, &via_env, err, sizeof(err)), 0);
        CHECK(via_env && strcmp(via_env->token, "sekret-token") == 0);
        unsetenv("KUBECONFIG");
    }

    /* A missing credential file is named. */
    remove_file("ca.crt");
    {
        struct k8s_config *none = NULL;

        CHECK_INT(k8s_config_load(path, &none, err, sizeof(err)), -ENOENT);
        CHECK(none == NULL);
        CHECK(strstr(err, "ca.crt") != NULL);
    }
}

#define KC_BASE                                                                            \
    "current-context: %s\n"                                                                \
    "clusters: [{name: k, cluster: {server: 'https://h:6443'}}]\n"                          \
    "contexts: [{name: c, context: {cluster: k, user: u}}]\n"                               \
    "users: [{name: u, user: {%s}}]\n"

static void test_token_and_errors(void)
{
    struct k8s_config *cfg = NULL;
    char text[1024], err[256] = "";

    snprintf(text, sizeof(text), KC_BASE, "c", "token: abc");
    CHECK_INT(k8s_config_parse(text, strlen(text), "kc", NULL, NULL, &cfg, err, sizeof(err)), 0);
    CHECK(cfg && strcmp(cfg->token, "abc") == 0);
    CHECK(k8s_config_ref(cfg) == cfg);
    k8s_config_unref(cfg);
    CHECK(cfg && strcmp(cfg->server, "https://h:6443") == 0);
    k8s_config_unref(cfg);
    cfg = NULL;

    snprintf(text, sizeof(text), KC_BASE, "missing-ctx", "token: abc");
    CHECK_INT(k8s_config_parse(text, strlen(text), "kc", NULL, NULL, &cfg, err, sizeof(err)),
              -ENOENT);
    CHECK(strstr(err, "'missing-ctx'") != NULL);
    CHECK(cfg == NULL);

    /* An explicit context overrides current-context. */
    CHECK_INT(k8s_config_parse(text, strlen(text), "kc", NULL, "c", &cfg, err, sizeof(err)), 0);
    k8s_config_unref(cfg);
    cfg = NULL;

    snprintf(text, sizeof(text), KC_BASE, "c", "exec: {command: aws}");
    CHECK_INT(k8s_config_parse(text, strlen(text), "kc", NULL, NULL, &cfg, err, sizeof(err)),
              -EOPNOTSUPP);
    CHECK(strstr(err, "exec") != NULL);

    snprintf(text, sizeof(text), KC_BASE, "c", "client-certificate-data: Q0VSVA==");
    CHECK_INT(k8s_config_parse(text, strlen(text), "kc", NULL, NULL, &cfg, err, sizeof(err)),
              -EINVAL);
    CHECK(strstr(err, "without a key") != NULL);

    snprintf(text, sizeof(text), KC_BASE, "c", "client-certificate-data: 'not*base64'");
    CHECK_INT(k8s_config_parse(text, strlen(text), "kc", NULL, NULL, &cfg, err, sizeof(err)),
              -EINVAL);
    CHECK(strstr(err, "client-certificate-data") != NULL);

    CHECK_INT(k8s_config_parse("a: [", 4, "broken", NULL, NULL, &cfg, err, sizeof(err)),
              -EINVAL);
    CHECK(strstr(err, "broken") != NULL);

    snprintf(text, sizeof(text),
             "current-context: c\ncontexts: [{name: c, context: {cluster: gone}}]\n");
    CHECK_INT(k8s_config_parse(text, strlen(text), "kc", NULL, NULL, &cfg, err, sizeof(err)),
              -ENOENT);
    CHECK(strstr(err, "'gone'") != NULL);
}

static void test_in_cluster(void)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    struct k8s_config *none = NULL;
    char err[256] = "";

    write_file("token", "sa-token\n");
    write_file("ca.crt", "SA CA");
    write_file("namespace", "vmrelay-system");

    unsetenv("KUBERNETES_SERVICE_HOST");
    CHECK_INT(k8s_config_in_cluster(dir, &none, err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, "KUBERNETES_SERVICE_HOST") != NULL);

    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    CHECK_INT(k8s_config_in_cluster(dir, &cfg, err, sizeof(err)), 0);
    if (cfg) {
        CHECK_STR(cfg->server, "https://[fd00::1]:443");
        CHECK_STR(cfg->token, "sa-token");
        CHECK_STR((char *)cfg->ca.data, "SA CA");
        CHECK_STR(cfg->namespace, "vmrelay-system");
        CHECK(!cfg->insecure_skip_tls_verify);
    }
    unsetenv("KUBERNETES_SERVICE_HOST");
}

static void test_base64(void)
{
    unsigned char *out = NULL;
    size_t len = 0;

    CHECK_INT(k8s_base64_decode("aGVsbG8gd29ybGQ=", 16, &out, &len), 0);
    CHECK_INT(len, 11);
    CHECK_STR((char *)out, "hello world");
    free(out);
    CHECK_INT(k8s_base64_decode("aGVsbG8", 7, &out, &len), 0);
    CHECK_STR((char *)out, "hello");
    free(out);
    CHECK_INT(k8s_base64_decode("a", 1, &out, &len), -EINVAL);
    CHECK_INT(k8s_base64_decode("aGk=aGk=", 8, &out, &len), -EINVAL);
}

int main(void)
{
    if (!mkdtemp(dir))
        test_abort("cannot make a temporary directory");
    test_data_form();
    test_file_form();
    test_token_and_errors();
    test_in_cluster();
    test_base64();
    remove_file("kubeconfig");
    remove_file("token");
    remove_file("ca.crt");
    remove_file("namespace");
    rmdir(dir);
    return test_finish();
}
