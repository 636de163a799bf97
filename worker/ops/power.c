/* Power operations: each is one libvirt call on the named domain and takes
 * no parameters (the API document's tables for them are empty). */
#include "worker/ops/ops.h"

typedef int (*power_call)(virDomainPtr dom);

static int power_run(virConnectPtr conn, const struct request *req, struct result *res,
                     power_call call, const char *what)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    int r;

    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    if (call(dom) < 0)
        return ops_fail_libvirt(res, what);
    return 0;
}

static int call_shutdown(virDomainPtr dom)
{
    return virDomainShutdown(dom);
}

static int call_reboot(virDomainPtr dom)
{
    return virDomainReboot(dom, 0);
}

static int call_reset(virDomainPtr dom)
{
    return virDomainReset(dom, 0);
}

int ops_start_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    return power_run(conn, req, res, virDomainCreate, "Cannot start the VM");
}

int ops_stop_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    /* A guest-cooperative shutdown: libvirt returns once the request is
     * delivered, so the state reported may still be "Running" for a real
     * guest that is shutting down. */
    return power_run(conn, req, res, call_shutdown, "Cannot shut down the VM");
}

int ops_stop_vm_force(virConnectPtr conn, const struct request *req, struct result *res)
{
    return power_run(conn, req, res, virDomainDestroy, "Cannot force off the VM");
}

int ops_reboot_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    return power_run(conn, req, res, call_reboot, "Cannot reboot the VM");
}

int ops_reset_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    return power_run(conn, req, res, call_reset, "Cannot reset the VM");
}

int ops_suspend_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    return power_run(conn, req, res, virDomainSuspend, "Cannot suspend the VM");
}

int ops_resume_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    return power_run(conn, req, res, virDomainResume, "Cannot resume the VM");
}
