/* migrateVM: every boolean field is one VIR_MIGRATE_* flag. As virsh does,
 * p2p hands the destination URI to the source libvirtd
 * (virDomainMigrateToURI3 with dconnuri), direct hands it to the hypervisor
 * (VIR_MIGRATE_PARAM_URI), and otherwise the worker itself connects to the
 * destination and runs virDomainMigrate3. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "worker/ops/devices.h"
#include "worker/ops/ops.h"
#include "worker/ops/params.h"

static const struct {
    const char *field;
    unsigned long flag;
} migrate_map[] = {
    {"live", VIR_MIGRATE_LIVE},
    {"offline", VIR_MIGRATE_OFFLINE},
    {"p2p", VIR_MIGRATE_PEER2PEER},
    {"tunnelled", VIR_MIGRATE_TUNNELLED},
    {"persistent", VIR_MIGRATE_PERSIST_DEST},
    {"undefinesource", VIR_MIGRATE_UNDEFINE_SOURCE},
    {"suspend", VIR_MIGRATE_PAUSED},
    {"copy_storage_all", VIR_MIGRATE_NON_SHARED_DISK},
    {"copy_storage_inc", VIR_MIGRATE_NON_SHARED_INC},
    {"change_protection", VIR_MIGRATE_CHANGE_PROTECTION},
    {"unsafe", VIR_MIGRATE_UNSAFE},
    {"compressed", VIR_MIGRATE_COMPRESSED},
    {"auto_converge", VIR_MIGRATE_AUTO_CONVERGE},
    {"postcopy", VIR_MIGRATE_POSTCOPY},
    {"rdma_pin_all", VIR_MIGRATE_RDMA_PIN_ALL},
    {"abort_on_error", VIR_MIGRATE_ABORT_ON_ERROR},
};

/* Pairs libvirt refuses, reported with the fields' own names. */
static const struct {
    unsigned long a, b;
    const char *text;
} migrate_conflicts[] = {
    {VIR_MIGRATE_LIVE, VIR_MIGRATE_OFFLINE, "'live' cannot be combined with 'offline'"},
    {VIR_MIGRATE_NON_SHARED_DISK, VIR_MIGRATE_NON_SHARED_INC,
     "'copy_storage_all' cannot be combined with 'copy_storage_inc'"},
    {VIR_MIGRATE_OFFLINE, VIR_MIGRATE_NON_SHARED_DISK,
     "'offline' cannot be combined with 'copy_storage_all': an offline migration moves no data"},
    {VIR_MIGRATE_OFFLINE, VIR_MIGRATE_NON_SHARED_INC,
     "'offline' cannot be combined with 'copy_storage_inc': an offline migration moves no data"},
};

int devices_migrate_flags(const cJSON *params, unsigned long *ret_flags, char *err,
                          size_t errlen)
{
    unsigned long flags = 0;
    bool direct;
    int r;

    for (size_t i = 0; i < ELEMENTSOF(migrate_map); i++) {
        bool on;

        r = ops_param_bool(params, migrate_map[i].field, &on, err, errlen);
        if (r < 0)
            return r;
        if (on)
            flags |= migrate_map[i].flag;
    }
    r = ops_param_bool(params, "direct", &direct, err, errlen);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(migrate_conflicts); i++)
        if ((flags & migrate_conflicts[i].a) && (flags & migrate_conflicts[i].b)) {
            snprintf(err, errlen, "field %s", migrate_conflicts[i].text);
            return -EINVAL;
        }
    if (direct && (flags & (VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED))) {
        snprintf(err, errlen, "field 'direct' cannot be combined with 'p2p' or 'tunnelled'");
        return -EINVAL;
    }
    if ((flags & VIR_MIGRATE_TUNNELLED) && !(flags & VIR_MIGRATE_PEER2PEER)) {
        snprintf(err, errlen, "field 'tunnelled' needs 'p2p': only the source libvirtd can "
                              "tunnel the data");
        return -EINVAL;
    }
    if ((flags & VIR_MIGRATE_OFFLINE) && !(flags & VIR_MIGRATE_PERSIST_DEST)) {
        snprintf(err, errlen, "field 'offline' needs 'persistent': an offline migration only "
                              "moves the definition");
        return -EINVAL;
    }
    if ((flags & VIR_MIGRATE_POSTCOPY) && !(flags & VIR_MIGRATE_LIVE)) {
        snprintf(err, errlen, "field 'postcopy' needs 'live'");
        return -EINVAL;
    }
    *ret_flags = flags;
    return 0;
}

/* The outcome when the destination cannot be described from here. */
static int migrate_result(struct result *res, unsigned long flags, const char *uri)
{
    char msg[MESSAGE_TEXT_MAX];
    const char *reason = flags & VIR_MIGRATE_OFFLINE ? "Shutdown"
                         : flags & VIR_MIGRATE_PAUSED ? "Paused"
                                                      : "Running";

    snprintf(msg, sizeof(msg), "The VM migrated to %s.", uri);
    return ops_result_set_ok(res, reason, msg);
}

int ops_migrate_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL, moved = NULL;
    _cleanup_(virConnectClosep) virConnectPtr dconn = NULL;
    char err[OPS_ERR_MAX], buf[DEVICES_VALUE_MAX];
    unsigned long flags;
    const char *uri;
    bool direct = false;
    int r;

    r = devices_param_text(req->params, "desturi", "uri", true, buf, &uri, err, sizeof(err));
    if (r >= 0)
        r = devices_migrate_flags(req->params, &flags, err, sizeof(err));
    if (r >= 0)
        r = ops_param_bool(req->params, "direct", &direct, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "migrateVM: %s.", err);
    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;

    if (flags & VIR_MIGRATE_PEER2PEER) {
        if (virDomainMigrateToURI3(dom, uri, NULL, 0, (unsigned)flags) < 0)
            return ops_fail_libvirt(res, "Cannot migrate the VM");
        return migrate_result(res, flags, uri);
    }
    if (direct) {
        virTypedParameter param = {.field = VIR_MIGRATE_PARAM_URI, .type = VIR_TYPED_PARAM_STRING};

        param.value.s = (char *)uri;
        if (virDomainMigrateToURI3(dom, NULL, &param, 1, (unsigned)flags) < 0)
            return ops_fail_libvirt(res, "Cannot migrate the VM");
        return migrate_result(res, flags, uri);
    }
    dconn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
    if (!dconn)
        return ops_fail_libvirt(res, "Cannot connect to the migration destination");
    moved = virDomainMigrate3(dom, dconn, NULL, 0, (unsigned)flags);
    if (!moved)
        return ops_fail_libvirt(res, "Cannot migrate the VM");
    /* The VM now lives there: its state and description come from the
     * destination, not from what may be left here. */
    return ops_result_set_domain(dconn, req->name, res);
}
