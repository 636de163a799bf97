/* Resource changes of a VM: memory (resizeRAM, virsh setmem) and vCPUs
 * (changeNumberOfCPU, virsh setvcpus). */
#include <limits.h>

#include "worker/ops/ops.h"
#include "worker/ops/params.h"

int ops_resize_ram(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    char err[OPS_ERR_MAX];
    unsigned long long kib;
    unsigned flags;
    int r;

    /* size is in KiB, as virDomainSetMemoryFlags takes it. */
    r = ops_param_uint(req->params, "size", true, ULONG_MAX, &kib, err, sizeof(err));
    if (r >= 0)
        r = ops_memory_flags(req->params, &flags, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "resizeRAM: %s.", err);

    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    if (virDomainSetMemoryFlags(dom, (unsigned long)kib, flags) < 0)
        return ops_fail_libvirt(res, "Cannot change the memory of the VM");
    return 0;
}

int ops_change_cpu(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    char err[OPS_ERR_MAX];
    unsigned long long count;
    unsigned flags;
    int r;

    r = ops_param_uint(req->params, "count", true, OPS_VCPU_MAX, &count, err, sizeof(err));
    if (r >= 0)
        r = ops_vcpu_flags(req->params, &flags, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "changeNumberOfCPU: %s.", err);

    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    if (virDomainSetVcpusFlags(dom, (unsigned)count, flags) < 0)
        return ops_fail_libvirt(res, "Cannot change the number of vCPUs of the VM");
    return 0;
}
