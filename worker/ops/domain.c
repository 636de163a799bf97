#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/ops/ops.h"
#include "worker/ops/xmljson.h"

int ops_domain_lookup(virConnectPtr conn, const struct request *req, struct result *res,
                      virDomainPtr *ret_dom)
{
    virDomainPtr dom = virDomainLookupByName(conn, req->name);

    if (!dom)
        return ops_fail_libvirt(res, "Cannot find the VM");
    *ret_dom = dom;
    return 0;
}

const char *ops_state_reason(int state)
{
    switch (state) {
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
        return "Paused";
    case VIR_DOMAIN_SHUTDOWN:
    case VIR_DOMAIN_SHUTOFF:
        return "Shutdown";
    case VIR_DOMAIN_CRASHED:
        return "Crashed";
    default:
        /* The API document counts no-state and blocked as running: the
         * guest is alive, it is only not on a CPU right now. */
        return "Running";
    }
}

int ops_result_set_ok(struct result *res, const char *reason, const char *message)
{
    char *r = strdup(reason), *m = strdup(message);

    if (!r || !m) {
        free(r);
        free(m);
        return ops_fail_exception(res, ENOMEM, "Out of memory while writing the result.");
    }
    free(res->reason);
    free(res->message);
    res->reason = r;
    res->message = m;
    res->success = true;
    res->error_type = ERROR_NONE;
    res->error_code = 0;
    res->error_domain = 0;
    return 0;
}

int ops_result_set_domain(virConnectPtr conn, const char *name, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_free_ char *xml = NULL;
    cJSON *domain = NULL, *spec;
    const char *reason;
    char message[64];
    int state, why, r;

    dom = virDomainLookupByName(conn, name);
    if (!dom)
        return ops_fail_libvirt(res, "The operation ran but the VM cannot be found");
    if (virDomainGetState(dom, &state, &why, 0) < 0)
        return ops_fail_libvirt(res, "The operation ran but the VM state cannot be read");
    xml = virDomainGetXMLDesc(dom, 0);
    if (!xml)
        return ops_fail_libvirt(res, "The operation ran but the VM description cannot be read");

    r = ops_xml_to_json(xml, strlen(xml), &domain);
    if (r < 0)
        return ops_fail_exception(res, r, "The VM description from libvirt cannot be converted.");
    spec = cJSON_CreateObject();
    if (!spec || !cJSON_AddItemToObject(spec, "domain", domain)) {
        cJSON_Delete(spec);
        cJSON_Delete(domain);
        return ops_fail_exception(res, ENOMEM, "Out of memory while writing the result.");
    }

    reason = ops_state_reason(state);
    /* "The VM is running." etc.: the reason word in lower case. */
    snprintf(message, sizeof(message), "The VM is %s.",
             state == VIR_DOMAIN_PAUSED || state == VIR_DOMAIN_PMSUSPENDED ? "paused"
             : state == VIR_DOMAIN_CRASHED                                 ? "crashed"
             : state == VIR_DOMAIN_SHUTDOWN || state == VIR_DOMAIN_SHUTOFF ? "shut down"
                                                                           : "running");
    r = ops_result_set_ok(res, reason, message);
    if (r < 0) {
        cJSON_Delete(spec);
        return r;
    }
    cJSON_Delete(res->spec);
    res->spec = spec;
    return 0;
}
