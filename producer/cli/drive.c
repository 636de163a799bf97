/* See drive.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "producer/cli/cli.h"
#include "producer/cli/drive.h"
#include "shared/core/json.h"
#include "shared/core/log.h"

#define DRIVE_GROUP "cloudplus.io"
#define DRIVE_VERSION "v1alpha3"
#define DRIVE_PLURAL "virtualmachines"
#define DRIVE_NAMESPACE "default"
#define DRIVE_PARAMS_MAX 2048

struct drive_step {
    const char *operation;
    const char *params; /* JSON; createAndStartVMFromISO is built in drive_params() */
    const char *reason; /* expected; "" for a deletion, which removes the resource */
};

/* Values the catalogue accepts and virt-install takes on the test driver:
 * the disk is created by virt-install's dry run only, the ISO must exist. */
static const struct drive_step drive_sequence[] = {
    {"createAndStartVMFromISO", NULL, "Running"},
    {"suspendVM", "{}", "Paused"},
    {"resumeVM", "{}", "Running"},
    {"resizeRAM", "{\"size\":\"262144\",\"live\":true}", "Running"},
    {"changeNumberOfCPU", "{\"count\":1,\"live\":true}", "Running"},
    {"stopVM", "{}", "Shutdown"},
    {"startVM", "{}", "Running"},
    {"rebootVM", "{}", "Running"},
    {"stopVMForce", "{}", "Shutdown"},
    {"deleteVM", "{}", ""},
};

size_t drive_steps(void)
{
    return ELEMENTSOF(drive_sequence);
}

const char *drive_step_operation(size_t step)
{
    return step < ELEMENTSOF(drive_sequence) ? drive_sequence[step].operation : "-";
}

static void drive_params(const struct drive_vm *vm, const char *iso, char *buf, size_t len)
{
    const struct drive_step *s = &drive_sequence[vm->step];

    if (s->params) {
        snprintf(buf, len, "%s", s->params);
        return;
    }
    snprintf(buf, len,
             "{\"memory\":\"512\",\"vcpus\":\"2\","
             "\"disk\":\"/var/lib/libvirt/images/%s.qcow2,size=1\",\"cdrom\":\"%s\","
             "\"os_variant\":\"centos7.0\",\"graphics\":\"vnc,listen=0.0.0.0\","
             "\"network\":\"type=bridge,source=virbr0\",\"noautoconsole\":true}",
             vm->name, iso);
}

static int drive_path(const struct drive_vm *vm, bool collection, char **ret_path)
{
    return k8s_resource_path(DRIVE_GROUP, DRIVE_VERSION, DRIVE_PLURAL, DRIVE_NAMESPACE,
                             collection ? NULL : vm->name, NULL, ret_path);
}

static void drive_fail(struct drive_vm *vm, const char *what, const char *detail)
{
    vm->failed = true;
    vm->changed = true;
    snprintf(vm->message, sizeof(vm->message), "%s: %.300s", what, detail);
}

int drive_create(struct k8s_client *client, struct drive_vm *vm, const char *iso)
{
    _cleanup_free_ char *path = NULL;
    char params[DRIVE_PARAMS_MAX], body[DRIVE_PARAMS_MAX * 2];
    struct k8s_error err = {0};
    int r;

    vm->step = 0;
    drive_params(vm, iso, params, sizeof(params));
    snprintf(body, sizeof(body),
             "{\"apiVersion\":\"" DRIVE_GROUP "/" DRIVE_VERSION "\",\"kind\":\"VirtualMachine\","
             "\"metadata\":{\"name\":\"%s\",\"labels\":{\"host\":\"%s\"}},"
             "\"spec\":{\"nodeName\":\"%s\",\"lifecycle\":{\"%s\":%s}}}",
             vm->name, vm->node, vm->node, drive_sequence[0].operation, params);
    r = drive_path(vm, true, &path);
    if (r < 0)
        return r;
    r = k8s_create(client, path, body, NULL, &err);
    if (r < 0)
        drive_fail(vm, "Cannot create the resource", err.message);
    vm->changed = true;
    return r;
}

/* Clearing spec.status with the request tells a finished outcome from the
 * previous one without comparing versions. */
static int drive_next(struct k8s_client *client, struct drive_vm *vm, const char *path,
                      const char *iso)
{
    char params[DRIVE_PARAMS_MAX], patch[DRIVE_PARAMS_MAX * 2];
    struct k8s_error err = {0};
    int r;

    drive_params(vm, iso, params, sizeof(params));
    snprintf(patch, sizeof(patch), "{\"spec\":{\"lifecycle\":{\"%s\":%s},\"status\":null}}",
             drive_sequence[vm->step].operation, params);
    r = k8s_merge_patch(client, path, patch, NULL, &err);
    if (r < 0)
        drive_fail(vm, drive_sequence[vm->step].operation, err.message);
    return r;
}

int drive_poll(struct k8s_client *client, struct drive_vm *vm, const char *iso)
{
    _cleanup_(cJSON_Deletep) cJSON *obj = NULL;
    _cleanup_free_ char *path = NULL;
    const struct drive_step *s;
    const char *reason, *message;
    struct k8s_error err = {0};
    int r;

    if (vm->done || vm->failed)
        return 0;
    s = &drive_sequence[vm->step];
    r = drive_path(vm, false, &path);
    if (r < 0)
        return r;
    r = k8s_get(client, path, &obj, &err);
    if (r == -ENOENT) {
        /* A successful delete removes the resource: that is its outcome. */
        if (s->reason[0] != '\0') {
            drive_fail(vm, s->operation, "the resource disappeared before its outcome.");
            return 0;
        }
        snprintf(vm->reason, sizeof(vm->reason), "Ready");
        snprintf(vm->message, sizeof(vm->message), "The VM and its resource are deleted.");
        vm->done = vm->changed = true;
        return 0;
    }
    if (r < 0) {
        snprintf(vm->message, sizeof(vm->message), "API server: %.300s", err.message);
        return r;
    }
    if (json_path(obj, "spec.lifecycle"))
        return 0;
    reason = json_path_string(obj, "spec.status.conditions.state.waiting.reason");
    message = json_path_string(obj, "spec.status.conditions.state.waiting.message");
    if (!reason)
        return 0;
    snprintf(vm->reason, sizeof(vm->reason), "%s", reason);
    snprintf(vm->message, sizeof(vm->message), "%s", message ? message : "");
    vm->changed = true;
    if (strcmp(reason, s->reason) != 0) {
        vm->failed = true;
        return 0;
    }
    vm->step++;
    if (vm->step >= ELEMENTSOF(drive_sequence)) {
        vm->done = true;
        return 0;
    }
    return drive_next(client, vm, path, iso);
}
