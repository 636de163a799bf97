/* Request, result and node event codecs: round trips, every refusal
 * naming its field, caps, versions, and the examples of the schemas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/core/json.h"
#include "shared/msg/event.h"
#include "shared/msg/field.h"
#include "shared/msg/message.h"

#define FILE_MAX (1024 * 1024)

static char *read_source_file(const char *rel)
{
    const char *dir = getenv("VMRELAY_SOURCE_DIR");
    char path[1024];
    char *buf;
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", rel);
    f = fopen(path, "re");
    if (!f)
        test_abort("cannot open %s", path);
    buf = calloc(1, FILE_MAX + 1);
    if (!buf)
        test_abort("out of memory");
    n = fread(buf, 1, FILE_MAX, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char good_request[] =
    "{\"version\":1,\"id\":\"req-1\",\"kind\":\"VirtualMachine\",\"operation\":\"resizeRAM\","
    "\"name\":\"centos7vm0001\",\"node\":\"node22\",\"params\":{\"size\":\"1048576\"},"
    "\"created_at\":\"2026-01-02T03:04:05.678Z\",\"future_field\":[1,2]}";

static void test_request_round_trip(void)
{
    _cleanup_(request_freep) struct request *req = NULL, *again = NULL;
    _cleanup_free_ char *text = NULL, *key = NULL;
    char err[256] = "";

    CHECK_INT(request_parse(good_request, strlen(good_request), &req, err, sizeof(err)), 0);
    if (!req)
        return;
    CHECK_STR(req->id, "req-1");
    CHECK_STR(req->namespace, "default"); /* filled in when absent */
    CHECK_INT(req->created_ms, 1767323045678LL);
    CHECK_INT(req->deadline_ms, 0);
    CHECK(!req->has_resource);
    CHECK_STR(cJSON_GetObjectItem(req->params, "size")->valuestring, "1048576");

    req->deadline_ms = req->created_ms + 60000;
    req->has_resource = true;
    req->uid = strdup("uid-1");
    text = request_encode(req);
    CHECK(text != NULL);
    CHECK(text && strstr(text, "\"created_at\":\"2026-01-02T03:04:05.678Z\"") != NULL);
    CHECK(text && strstr(text, "\"deadline\":\"2026-01-02T03:05:05.678Z\"") != NULL);
    CHECK(text && strstr(text, "future_field") == NULL);
    CHECK_INT(request_parse(text, strlen(text), &again, err, sizeof(err)), 0);
    if (!again)
        return;
    CHECK_STR(again->uid, "uid-1");
    CHECK(again->has_resource);
    CHECK_INT(again->deadline_ms, req->deadline_ms);

    key = request_ordering_key(again);
    CHECK_STR(key, "VirtualMachine/default/centos7vm0001");
}

static void test_snapshot_key(void)
{
    const char text[] = "{\"version\":1,\"id\":\"s\",\"kind\":\"VirtualMachineSnapshot\","
                        "\"operation\":\"createSnapshot\",\"namespace\":\"ns1\","
                        "\"name\":\"snapshot0001\",\"node\":\"n\",\"params\":{\"domain\":"
                        "\"centos7vm0001\"},\"created_at\":\"2026-01-02T03:04:05+08:00\"}";
    _cleanup_(request_freep) struct request *req = NULL;
    _cleanup_free_ char *key = NULL;
    char err[256] = "";

    CHECK_INT(request_parse(text, strlen(text), &req, err, sizeof(err)), 0);
    if (!req)
        return;
    CHECK_INT(req->created_ms, 1767294245000LL); /* the offset is applied */
    key = request_ordering_key(req);
    CHECK_STR(key, "VirtualMachine/ns1/centos7vm0001");
}

/* Replaces one field of good_request and checks the refusal names it. */
static void expect_refusal(const char *field, const char *json_value, const char *want_in_err)
{
    _cleanup_(cJSON_Deletep) cJSON *root = cJSON_Parse(good_request);
    _cleanup_(request_freep) struct request *req = NULL;
    _cleanup_free_ char *text = NULL;
    char err[512] = "", want[128];

    if (json_value) {
        cJSON *v = cJSON_Parse(json_value);

        CHECK(v != NULL);
        if (cJSON_GetObjectItem(root, field))
            cJSON_ReplaceItemInObject(root, field, v);
        else
            cJSON_AddItemToObject(root, field, v);
    } else {
        cJSON_DeleteItemFromObject(root, field);
    }
    text = cJSON_PrintUnformatted(root);
    CHECK_INT(request_parse(text, strlen(text), &req, err, sizeof(err)), -EINVAL);
    CHECK(req == NULL);
    snprintf(want, sizeof(want), "field \"%s\"", field);
    if (!CHECK(strstr(err, want) != NULL) || !CHECK(strstr(err, want_in_err) != NULL))
        fprintf(stderr, "  error was: %s\n", err);
}

static void test_request_refusals(void)
{
    static const char *const required[] = {"version", "id", "kind", "operation",
                                           "name", "node", "params", "created_at"};

    for (size_t i = 0; i < ELEMENTSOF(required); i++)
        expect_refusal(required[i], NULL, "is required");

    expect_refusal("operation", "42", "expected a string");
    expect_refusal("id", "\"has space\"", "must be letters");
    expect_refusal("kind", "\"Pod\"", "one of the seven kinds");
    expect_refusal("params", "[]", "expected an object");
    expect_refusal("params", "null", "is required");
    expect_refusal("created_at", "\"yesterday\"", "RFC 3339");
    expect_refusal("created_at", "\"2026-02-30T00:00:00Z\"", "RFC 3339");
    expect_refusal("deadline", "12", "RFC 3339");
    expect_refusal("has_resource", "\"yes\"", "true or false");
    expect_refusal("version", "2", "newer than the supported version 1");
    expect_refusal("version", "1.5", "integer");
    expect_refusal("version", "0", "between");
    expect_refusal("namespace", "\"Bad_NS\"", "Kubernetes namespace");
    expect_refusal("name", "\"\"", "must not be empty");
    expect_refusal("uid", "{}", "expected a string");
    expect_refusal("source", "true", "expected a string");
    expect_refusal("event_id", "1", "expected a string");
    expect_refusal("node", "\"a/b\"", "node name");
}

static void test_request_caps(void)
{
    _cleanup_(request_freep) struct request *req = NULL;
    _cleanup_free_ char *big = NULL;
    char err[256] = "";
    char id_json[300];
    char text[1024];

    big = malloc(MESSAGE_MAX_BYTES + 2);
    CHECK(big != NULL);
    if (!big)
        return;
    memset(big, ' ', MESSAGE_MAX_BYTES + 1);
    big[MESSAGE_MAX_BYTES + 1] = '\0';
    CHECK_INT(request_parse(big, MESSAGE_MAX_BYTES + 1, &req, err, sizeof(err)), -EMSGSIZE);
    CHECK(strstr(err, "cap") != NULL);

    CHECK_INT(request_parse("{not json", 9, &req, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "not valid JSON") != NULL);
    CHECK_INT(request_parse("[1]", 3, &req, err, sizeof(err)), -EINVAL);

    /* An id of 129 characters is one too many. */
    memset(id_json, 'a', 129);
    id_json[129] = '\0';
    snprintf(text, sizeof(text),
             "{\"version\":1,\"id\":\"%s\",\"kind\":\"VirtualMachine\",\"operation\":\"startVM\","
             "\"name\":\"n\",\"node\":\"n\",\"params\":{},\"created_at\":\"2026-01-02T03:04:05Z\"}",
             id_json);
    CHECK_INT(request_parse(text, strlen(text), &req, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "field \"id\"") && strstr(err, "128"));
}

static void test_result_round_trip(void)
{
    _cleanup_(request_freep) struct request *req = NULL;
    _cleanup_(result_freep) struct result *res = NULL, *back = NULL;
    _cleanup_free_ char *text = NULL;
    char err[256] = "";

    CHECK_INT(request_parse(good_request, strlen(good_request), &req, err, sizeof(err)), 0);
    if (!req)
        return;
    CHECK_INT(result_new_for(req, &res), 0);
    if (!res)
        return;
    CHECK_STR(res->id, "req-1");
    CHECK_STR(res->namespace, "default");
    CHECK_INT(res->attempt, 1);

    res->success = false;
    res->reason = strdup("LibvirtError");
    res->message = strdup("domain is not running");
    res->error_type = ERROR_LIBVIRT;
    res->error_code = 55;
    res->error_domain = 10;
    res->spec = cJSON_Parse("{\"domain\":{\"name\":{\"text\":\"centos7vm0001\"}}}");
    res->started_ms = 1767323045000LL;
    res->finished_ms = 1767323046001LL;
    res->attempt = 3;
    res->replayed = true;

    text = result_encode(res);
    CHECK(text != NULL);
    if (!text)
        return;
    CHECK(strstr(text, "\"error\":{\"type\":\"LibvirtError\",\"code\":55,\"domain\":10") != NULL);
    CHECK_INT(result_parse(text, strlen(text), &back, err, sizeof(err)), 0);
    if (!back)
        return;
    CHECK(!back->success);
    CHECK_INT(back->error_type, ERROR_LIBVIRT);
    CHECK_INT(back->error_code, 55);
    CHECK_INT(back->error_domain, 10);
    CHECK_STR(back->message, "domain is not running");
    CHECK_INT(back->finished_ms, 1767323046001LL);
    CHECK_INT(back->attempt, 3);
    CHECK(back->replayed);
    CHECK_STR(json_path_string(back->spec, "domain.name.text"), "centos7vm0001");
}

static void test_result_refusals(void)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"version\":1,\"id\":\"a\",\"kind\":\"VirtualMachine\",\"operation\":\"startVM\","
         "\"name\":\"n\",\"node\":\"n\",\"success\":false,\"reason\":\"x\","
         "\"finished_at\":\"2026-01-02T03:04:05Z\"}",
         "field \"error\": is required when success is false"},
        {"{\"version\":1,\"id\":\"a\",\"kind\":\"VirtualMachine\",\"operation\":\"startVM\","
         "\"name\":\"n\",\"node\":\"n\",\"success\":false,\"reason\":\"x\",\"error\":{\"type\":"
         "\"Oops\"},\"finished_at\":\"2026-01-02T03:04:05Z\"}",
         "field \"error.type\""},
        {"{\"version\":1,\"id\":\"a\",\"kind\":\"VirtualMachine\",\"operation\":\"startVM\","
         "\"name\":\"n\",\"node\":\"n\",\"success\":\"yes\",\"reason\":\"x\","
         "\"finished_at\":\"2026-01-02T03:04:05Z\"}",
         "field \"success\": expected true or false"},
        {"{\"version\":1,\"id\":\"a\",\"kind\":\"VirtualMachine\",\"operation\":\"startVM\","
         "\"name\":\"n\",\"node\":\"n\",\"success\":true,\"reason\":\"Running\"}",
         "field \"finished_at\": is required"},
        {"{\"version\":1,\"id\":\"a\",\"kind\":\"VirtualMachine\",\"operation\":\"startVM\","
         "\"name\":\"n\",\"node\":\"n\",\"success\":true,\"reason\":\"Running\",\"attempt\":0,"
         "\"finished_at\":\"2026-01-02T03:04:05Z\"}",
         "field \"attempt\""},
        {"{\"version\":9,\"id\":\"a\"}", "field \"version\": version 9 is newer"},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        _cleanup_(result_freep) struct result *res = NULL;
        char err[512] = "";

        CHECK_INT(result_parse(cases[i].json, strlen(cases[i].json), &res, err, sizeof(err)),
                  -EINVAL);
        if (!CHECK(strstr(err, cases[i].want) != NULL))
            fprintf(stderr, "  case %zu error was: %s\n", i, err);
    }
}

static void test_event_round_trip(void)
{
    _cleanup_(node_event_freep) struct node_event *ev = NULL;
    _cleanup_free_ char *text = NULL, *key = NULL;
    const char bad[] = "{\"version\":1,\"node\":\"n\",\"kind\":\"VirtualMachine\",\"name\":\"x\","
                       "\"event\":\"Started!\",\"time\":\"2026-01-02T03:04:05Z\"}";
    struct node_event in = {
        .node = (char *)"node22", .kind = (char *)"VirtualMachine", .name = (char *)"vm00000001",
        .event = (char *)"crashed", .reason = (char *)"panicked", .state = (char *)"Crashed",
        .time_ms = 1767323045678LL,
    };
    char err[256] = "";

    text = node_event_encode(&in);
    CHECK(text != NULL);
    if (!text)
        return;
    CHECK_INT(node_event_parse(text, strlen(text), &ev, err, sizeof(err)), 0);
    if (!ev)
        return;
    CHECK_STR(ev->event, "crashed");
    CHECK_STR(ev->namespace, "default");
    CHECK_STR(ev->state, "Crashed");
    CHECK_INT(ev->time_ms, 1767323045678LL);
    key = node_event_key(ev);
    CHECK_STR(key, "VirtualMachine/default/vm00000001");

    node_event_free(TAKE_PTR(ev));
    CHECK_INT(node_event_parse(bad, strlen(bad), &ev, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "field \"event\"") != NULL);
}

static void test_time_format(void)
{
    char buf[FIELD_TIME_LEN];
    int64_t ms = 0;

    CHECK_STR(field_time_format(0, buf), "1970-01-01T00:00:00.000Z");
    CHECK_STR(field_time_format(1767323045678LL, buf), "2026-01-02T03:04:05.678Z");
    CHECK_INT(field_time_parse("2026-01-02T03:04:05.6Z", &ms), 0);
    CHECK_INT(ms, 1767323045600LL);
    CHECK_INT(field_time_parse("2026-01-02 03:04:05Z", &ms), -EINVAL);
    CHECK_INT(field_time_parse("2026-01-02T03:04:05", &ms), -EINVAL);
    CHECK_INT(field_time_parse("2026-01-02T03:04:05Zjunk", &ms), -EINVAL);
}

/* The examples embedded in each schema must pass the codec: the schema
 * and the C decoder describe one format. */
static void test_schema_examples(void)
{
    static const char *const files[] = {"schemas/request.schema.json",
                                        "schemas/result.schema.json",
                                        "schemas/event.schema.json"};

    for (size_t i = 0; i < ELEMENTSOF(files); i++) {
        _cleanup_free_ char *text = read_source_file(files[i]);
        _cleanup_(cJSON_Deletep) cJSON *schema = cJSON_Parse(text);
        const cJSON *examples = cJSON_GetObjectItem(schema, "examples"), *ex;
        int n = 0;

        CHECK(schema != NULL);
        cJSON_ArrayForEach(ex, examples) {
            _cleanup_free_ char *one = cJSON_PrintUnformatted(ex);
            char err[256] = "";
            int r;

            if (i == 0) {
                _cleanup_(request_freep) struct request *req = NULL;

                r = request_parse(one, strlen(one), &req, err, sizeof(err));
            } else if (i == 1) {
                _cleanup_(result_freep) struct result *res = NULL;

                r = result_parse(one, strlen(one), &res, err, sizeof(err));
            } else {
                _cleanup_(node_event_freep) struct node_event *ev = NULL;

                r = node_event_parse(one, strlen(one), &ev, err, sizeof(err));
            }
            if (!CHECK_INT(r, 0))
                fprintf(stderr, "  %s example %d: %s\n", files[i], n, err);
            n++;
        }
        CHECK(n >= 2);
    }
}

int main(void)
{
    test_request_round_trip();
    test_snapshot_key();
    test_request_refusals();
    test_request_caps();
    test_result_round_trip();
    test_result_refusals();
    test_event_round_trip();
    test_time_format();
    test_schema_examples();
    return test_finish();
}
