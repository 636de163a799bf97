/* The request and result codecs of the wire contract (see message.h). */
#include <stdio.h>
#include <string.h>

#include "shared/core/json.h"
#include "shared/msg/field.h"
#include "shared/msg/message.h"

#define ID_CHARSET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"
#define DNS_CHARSET "abcdefghijklmnopqrstuvwxyz0123456789.-"
#define NODE_CHARSET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define OP_CHARSET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define NAMESPACE_MAX 63
#define OPERATION_MAX 64
#define KIND_MAX 64

static const char *const message_kinds[] = {
    "VirtualMachine",     "VirtualMachineSnapshot", "VirtualMachinePool",
    "VirtualMachineNetwork", "VirtualMachineImage", "VirtualMachineDisk",
    "VirtualMachineDiskImage",
};

static const char *const error_type_names[] = {
    [ERROR_NONE] = "",
    [ERROR_LIBVIRT] = "LibvirtError",
    [ERROR_VIRTCTL] = "VirtctlError",
    [ERROR_VIRTLET] = "VirtletError",
    [ERROR_EXCEPTION] = "Exception",
};

const char *error_type_to_string(enum error_type t)
{
    if ((size_t)t >= ELEMENTSOF(error_type_names))
        return "";
    return error_type_names[t];
}

enum error_type error_type_from_string(const char *s)
{
    if (!s)
        return ERROR_NONE;
    for (size_t i = 1; i < ELEMENTSOF(error_type_names); i++)
        if (strcmp(s, error_type_names[i]) == 0)
            return (enum error_type)i;
    return ERROR_NONE;
}

/* Parses buf as one JSON object, refusing oversize input before parsing. */
static int message_root_parse(const char *buf, size_t len, cJSON **ret_root, char *err,
                              size_t errlen)
{
    const char *end = NULL;
    cJSON *root;

    if (len > MESSAGE_MAX_BYTES) {
        snprintf(err, errlen, "message of %zu bytes is larger than the %d-byte cap", len,
                 MESSAGE_MAX_BYTES);
        return -EMSGSIZE;
    }
    root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
    if (!root) {
        snprintf(err, errlen, "message is not valid JSON (error near byte %td)",
                 end && end >= buf ? end - buf : (ptrdiff_t)0);
        return -EINVAL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(err, errlen, "message must be a JSON object");
        return -EINVAL;
    }
    *ret_root = root;
    return 0;
}

static int message_version_check(const cJSON *root, char *err, size_t errlen)
{
    int64_t version;
    int r;

    r = field_get_int(root, "version", true, 1, INT32_MAX, &version, err, errlen);
    if (r < 0)
        return r;
    if (version > MESSAGE_VERSION)
        return field_error(err, errlen, "version",
                           "version %lld is newer than the supported version %d",
                           (long long)version, MESSAGE_VERSION);
    return 0;
}

static int message_kind_get(const cJSON *root, char **ret_kind, char *err, size_t errlen)
{
    _cleanup_free_ char *kind = NULL;
    int r;

    r = field_get_string(root, "kind", true, KIND_MAX, NULL, NULL, &kind, err, errlen);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(message_kinds); i++)
        if (strcmp(kind, message_kinds[i]) == 0) {
            *ret_kind = TAKE_PTR(kind);
            return 0;
        }
    return field_error(err, errlen, "kind", "must be one of the seven kinds, got \"%.64s\"", kind);
}

/* The identity fields that requests and results share. */
struct message_ident {
    char *id, *kind, *operation, *namespace, *name, *node, *uid, *event_id;
};

static void message_ident_done(struct message_ident *ident)
{
    free(ident->id);
    free(ident->kind);
    free(ident->operation);
    free(ident->namespace);
    free(ident->name);
    free(ident->node);
    free(ident->uid);
    free(ident->event_id);
}

static int message_ident_parse(const cJSON *root, struct message_ident *ident, char *err,
                               size_t errlen)
{
    int r;

    r = field_get_string(root, "id", true, MESSAGE_ID_MAX, ID_CHARSET,
                         "letters, digits, '.', '_', ':' or '-'", &ident->id, err, errlen);
    if (r < 0)
        return r;
    r = message_kind_get(root, &ident->kind, err, errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "operation", true, OPERATION_MAX, OP_CHARSET,
                         "a lowerCamel operation name of letters and digits", &ident->operation,
                         err, errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "namespace", false, NAMESPACE_MAX, DNS_CHARSET,
                         "a Kubernetes namespace of lowercase letters, digits and '-'",
                         &ident->namespace, err, errlen);
    if (r < 0)
        return r;
    if (r > 0) {
        ident->namespace = strdup("default");
        if (!ident->namespace)
            return -ENOMEM;
    }
    r = field_get_string(root, "name", true, MESSAGE_NAME_MAX, DNS_CHARSET,
                         "a name of lowercase letters, digits, '.' and '-'", &ident->name, err,
                         errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "node", true, MESSAGE_NAME_MAX, NODE_CHARSET,
                         "a node name of letters, digits, '.', '_' and '-'", &ident->node, err,
                         errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "uid", false, MESSAGE_ID_MAX, NULL, NULL, &ident->uid, err,
                         errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "event_id", false, MESSAGE_NAME_MAX, NULL, NULL,
                         &ident->event_id, err, errlen);
    return r < 0 ? r : 0;
}

static int message_ident_encode(cJSON *root, const struct message_ident *ident)
{
    if (!cJSON_AddNumberToObject(root, "version", MESSAGE_VERSION))
        return -ENOMEM;
    if (field_add_string(root, "id", ident->id) < 0 ||
        field_add_string(root, "kind", ident->kind) < 0 ||
        field_add_string(root, "operation", ident->operation) < 0 ||
        field_add_string(root, "namespace", ident->namespace) < 0 ||
        field_add_string(root, "name", ident->name) < 0 ||
        field_add_string(root, "node", ident->node) < 0 ||
        field_add_string(root, "uid", ident->uid) < 0 ||
        field_add_string(root, "event_id", ident->event_id) < 0)
        return -ENOMEM;
    return 0;
}

void request_free(struct request *req)
{
    if (!req)
        return;
    free(req->id);
    free(req->kind);
    free(req->operation);
    free(req->namespace);
    free(req->name);
    free(req->node);
    cJSON_Delete(req->params);
    free(req->uid);
    free(req->event_id);
    free(req->source);
    free(req);
}

static void request_take_ident(struct request *req, struct message_ident *ident)
{
    req->id = TAKE_PTR(ident->id);
    req->kind = TAKE_PTR(ident->kind);
    req->operation = TAKE_PTR(ident->operation);
    req->namespace = TAKE_PTR(ident->namespace);
    req->name = TAKE_PTR(ident->name);
    req->node = TAKE_PTR(ident->node);
    req->uid = TAKE_PTR(ident->uid);
    req->event_id = TAKE_PTR(ident->event_id);
}

static int request_parse_rest(const cJSON *root, struct request *req, char *err, size_t errlen)
{
    const cJSON *params;
    int r;

    params = cJSON_GetObjectItemCaseSensitive(root, "params");
    if (!params || cJSON_IsNull(params))
        return field_error(err, errlen, "params", "is required");
    if (!cJSON_IsObject(params))
        return field_error(err, errlen, "params", "expected an object");
    req->params = cJSON_Duplicate(params, true);
    if (!req->params)
        return -ENOMEM;

    r = field_get_string(root, "source", false, MESSAGE_NAME_MAX, NULL, NULL, &req->source, err,
                         errlen);
    if (r < 0)
        return r;
    r = field_get_time(root, "created_at", true, &req->created_ms, err, errlen);
    if (r < 0)
        return r;
    r = field_get_time(root, "deadline", false, &req->deadline_ms, err, errlen);
    if (r < 0)
        return r;
    r = field_get_bool(root, "has_resource", false, &req->has_resource, err, errlen);
    return r < 0 ? r : 0;
}

int request_parse(const char *buf, size_t len, struct request **ret_req, char *err, size_t errlen)
{
    _cleanup_(cJSON_Deletep) cJSON *root = NULL;
    _cleanup_(request_freep) struct request *req = NULL;
    struct message_ident ident = {0};
    int r;

    r = message_root_parse(buf, len, &root, err, errlen);
    if (r < 0)
        return r;
    r = message_version_check(root, err, errlen);
    if (r < 0)
        return r;

    req = calloc(1, sizeof(*req));
    if (!req)
        return -ENOMEM;
    r = message_ident_parse(root, &ident, err, errlen);
    request_take_ident(req, &ident);
    message_ident_done(&ident);
    if (r < 0)
        return r;
    r = request_parse_rest(root, req, err, errlen);
    if (r < 0)
        return r;

    *ret_req = TAKE_PTR(req);
    return 0;
}

char *request_encode(const struct request *req)
{
    _cleanup_(cJSON_Deletep) cJSON *root = cJSON_CreateObject();
    struct message_ident ident = {
        .id = req->id, .kind = req->kind, .operation = req->operation,
        .namespace = req->namespace, .name = req->name, .node = req->node,
        .uid = req->uid, .event_id = req->event_id,
    };
    cJSON *params;

    if (!root || message_ident_encode(root, &ident) < 0)
        return NULL;
    params = req->params ? cJSON_Duplicate(req->params, true) : cJSON_CreateObject();
    if (!params)
        return NULL;
    cJSON_AddItemToObject(root, "params", params);
    if (field_add_string(root, "source", req->source) < 0 ||
        field_add_time(root, "created_at", req->created_ms) < 0 ||
        field_add_time(root, "deadline", req->deadline_ms) < 0 ||
        !cJSON_AddBoolToObject(root, "has_resource", req->has_resource))
        return NULL;
    return cJSON_PrintUnformatted(root);
}

char *request_ordering_key(const struct request *req)
{
    const char *kind = req->kind, *name = req->name;
    const char *ns = req->namespace ? req->namespace : "default";

    /* Snapshots act on their domain, so they share its key to stay in
     * order with the domain's own requests. */
    if (kind && strcmp(kind, "VirtualMachineSnapshot") == 0) {
        const cJSON *domain = cJSON_GetObjectItemCaseSensitive(req->params, "domain");

        if (cJSON_IsString(domain) && domain->valuestring && domain->valuestring[0]) {
            kind = "VirtualMachine";
            name = domain->valuestring;
        }
    }
    return field_key_join(kind, ns, name);
}

void result_free(struct result *res)
{
    if (!res)
        return;
    free(res->id);
    free(res->kind);
    free(res->operation);
    free(res->namespace);
    free(res->name);
    free(res->node);
    free(res->uid);
    free(res->event_id);
    free(res->reason);
    free(res->message);
    cJSON_Delete(res->spec);
    free(res);
}

static void result_take_ident(struct result *res, struct message_ident *ident)
{
    res->id = TAKE_PTR(ident->id);
    res->kind = TAKE_PTR(ident->kind);
    res->operation = TAKE_PTR(ident->operation);
    res->namespace = TAKE_PTR(ident->namespace);
    res->name = TAKE_PTR(ident->name);
    res->node = TAKE_PTR(ident->node);
    res->uid = TAKE_PTR(ident->uid);
    res->event_id = TAKE_PTR(ident->event_id);
}

static int result_error_parse(const cJSON *root, struct result *res, char *err, size_t errlen)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    _cleanup_free_ char *type = NULL;
    int64_t n;
    int r;

    if (!error || cJSON_IsNull(error))
        return 0;
    if (!cJSON_IsObject(error))
        return field_error(err, errlen, "error", "expected an object");

    r = field_get_string(error, "type", true, KIND_MAX, NULL, NULL, &type, err, errlen);
    if (r < 0)
        return field_error(err, errlen, "error.type", "is required and must be a string");
    res->error_type = error_type_from_string(type);
    if (res->error_type == ERROR_NONE)
        return field_error(err, errlen, "error.type",
                           "must be LibvirtError, VirtctlError, VirtletError or Exception, "
                           "got \"%.64s\"", type);
    r = field_get_int(error, "code", false, INT32_MIN, INT32_MAX, &n, err, errlen);
    if (r < 0)
        return field_error(err, errlen, "error.code", "expected an integer");
    if (r == 0)
        res->error_code = (int)n;
    r = field_get_int(error, "domain", false, INT32_MIN, INT32_MAX, &n, err, errlen);
    if (r < 0)
        return field_error(err, errlen, "error.domain", "expected an integer");
    if (r == 0)
        res->error_domain = (int)n;
    if (!res->message) {
        r = field_get_string(error, "message", false, MESSAGE_TEXT_MAX, NULL, NULL,
                             &res->message, err, errlen);
        if (r < 0)
            return field_error(err, errlen, "error.message", "expected a string of at most %d "
                               "bytes", MESSAGE_TEXT_MAX);
    }
    return 0;
}

static int result_parse_rest(const cJSON *root, struct result *res, char *err, size_t errlen)
{
    const cJSON *spec;
    int64_t attempt = 1;
    int r;

    r = field_get_bool(root, "has_resource", false, &res->has_resource, err, errlen);
    if (r < 0)
        return r;
    r = field_get_bool(root, "success", true, &res->success, err, errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "reason", true, KIND_MAX, NULL, NULL, &res->reason, err, errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "message", false, MESSAGE_TEXT_MAX, NULL, NULL, &res->message,
                         err, errlen);
    if (r < 0)
        return r;
    r = result_error_parse(root, res, err, errlen);
    if (r < 0)
        return r;
    if (!res->success && res->error_type == ERROR_NONE)
        return field_error(err, errlen, "error", "is required when success is false");

    spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
    if (spec && !cJSON_IsNull(spec)) {
        if (!cJSON_IsObject(spec))
            return field_error(err, errlen, "spec", "expected an object");
        res->spec = cJSON_Duplicate(spec, true);
        if (!res->spec)
            return -ENOMEM;
    }

    r = field_get_time(root, "started_at", false, &res->started_ms, err, errlen);
    if (r < 0)
        return r;
    r = field_get_time(root, "finished_at", true, &res->finished_ms, err, errlen);
    if (r < 0)
        return r;
    r = field_get_int(root, "attempt", false, 1, INT32_MAX, &attempt, err, errlen);
    if (r < 0)
        return r;
    res->attempt = (int)attempt;
    r = field_get_bool(root, "replayed", false, &res->replayed, err, errlen);
    return r < 0 ? r : 0;
}

int result_parse(const char *buf, size_t len, struct result **ret_res, char *err, size_t errlen)
{
    _cleanup_(cJSON_Deletep) cJSON *root = NULL;
    _cleanup_(result_freep) struct result *res = NULL;
    struct message_ident ident = {0};
    int r;

    r = message_root_parse(buf, len, &root, err, errlen);
    if (r < 0)
        return r;
    r = message_version_check(root, err, errlen);
    if (r < 0)
        return r;

    res = calloc(1, sizeof(*res));
    if (!res)
        return -ENOMEM;
    r = message_ident_parse(root, &ident, err, errlen);
    result_take_ident(res, &ident);
    message_ident_done(&ident);
    if (r < 0)
        return r;
    r = result_parse_rest(root, res, err, errlen);
    if (r < 0)
        return r;

    *ret_res = TAKE_PTR(res);
    return 0;
}

static int result_error_encode(cJSON *root, const struct result *res)
{
    cJSON *error;

    if (res->error_type == ERROR_NONE)
        return 0;
    error = cJSON_AddObjectToObject(root, "error");
    if (!error ||
        field_add_string(error, "type", error_type_to_string(res->error_type)) < 0 ||
        !cJSON_AddNumberToObject(error, "code", res->error_code) ||
        !cJSON_AddNumberToObject(error, "domain", res->error_domain) ||
        field_add_string(error, "message", res->message) < 0)
        return -ENOMEM;
    return 0;
}

char *result_encode(const struct result *res)
{
    _cleanup_(cJSON_Deletep) cJSON *root = cJSON_CreateObject();
    struct message_ident ident = {
        .id = res->id, .kind = res->kind, .operation = res->operation,
        .namespace = res->namespace, .name = res->name, .node = res->node,
        .uid = res->uid, .event_id = res->event_id,
    };

    if (!root || message_ident_encode(root, &ident) < 0)
        return NULL;
    if (!cJSON_AddBoolToObject(root, "has_resource", res->has_resource) ||
        !cJSON_AddBoolToObject(root, "success", res->success) ||
        field_add_string(root, "reason", res->reason) < 0 ||
        field_add_string(root, "message", res->message) < 0 ||
        result_error_encode(root, res) < 0)
        return NULL;
    if (res->spec) {
        cJSON *spec = cJSON_Duplicate(res->spec, true);

        if (!spec)
            return NULL;
        cJSON_AddItemToObject(root, "spec", spec);
    }
    if (field_add_time(root, "started_at", res->started_ms) < 0 ||
        field_add_time(root, "finished_at", res->finished_ms) < 0 ||
        !cJSON_AddNumberToObject(root, "attempt", res->attempt > 0 ? res->attempt : 1) ||
        !cJSON_AddBoolToObject(root, "replayed", res->replayed))
        return NULL;
    return cJSON_PrintUnformatted(root);
}

static int strdup_opt(const char *s, char **ret)
{
    if (!s) {
        *ret = NULL;
        return 0;
    }
    *ret = strdup(s);
    return *ret ? 0 : -ENOMEM;
}

int result_new_for(const struct request *req, struct result **ret_res)
{
    _cleanup_(result_freep) struct result *res = calloc(1, sizeof(*res));

    if (!res)
        return -ENOMEM;
    if (strdup_opt(req->id, &res->id) < 0 || strdup_opt(req->kind, &res->kind) < 0 ||
        strdup_opt(req->operation, &res->operation) < 0 ||
        strdup_opt(req->namespace, &res->namespace) < 0 ||
        strdup_opt(req->name, &res->name) < 0 || strdup_opt(req->node, &res->node) < 0 ||
        strdup_opt(req->uid, &res->uid) < 0 || strdup_opt(req->event_id, &res->event_id) < 0)
        return -ENOMEM;
    res->has_resource = req->has_resource;
    res->attempt = 1;
    *ret_res = TAKE_PTR(res);
    return 0;
}
