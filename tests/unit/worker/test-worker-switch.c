/* createSwitch and deleteSwitch on the libvirt backend, through the
 * registry, in process, on libvirt's test driver (test:///default), so
 * that the test reads the networks on the worker's own connection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/core/json.h"
#include "worker/ops/ops-network.h"
#include "worker/ops/registry.h"

static virConnectPtr conn;

static struct result *run(const char *operation, const char *name, const char *params)
{
    struct request req = {.id = "t-1", .kind = "VirtualMachineNetwork",
                          .operation = (char *)operation, .name = (char *)name, .node = "n1",
                          .namespace = "default"};
    struct result *res = NULL;

    req.params = cJSON_Parse(params);
    if (!req.params || result_new_for(&req, &res) < 0)
        test_abort("cannot set up %s", operation);
    (void)ops_execute(conn, &req, res);
    cJSON_Delete(req.params);
    return res;
}

static const char *data_string(const struct result *res, const char *dotted)
{
    const cJSON *data = res->spec ? json_path(res->spec, "data") : NULL;

    return data ? json_path_string(data, dotted) : NULL;
}

static const cJSON *data_list(const struct result *res, const char *dotted)
{
    const cJSON *data = res->spec ? json_path(res->spec, "data") : NULL;
    const cJSON *list = data ? json_path(data, dotted) : NULL;

    return cJSON_IsArray(list) ? list : NULL;
}

static void fails(const char *operation, const char *name, const char *params,
                  const char *reason, const char *part)
{
    struct result *res = run(operation, name, params);

    CHECK(!res->success);
    if (!CHECK_STR(res->reason, reason) || !CHECK(res->message && strstr(res->message, part)))
        fprintf(stderr, "  %s %s: %s (want '%s')\n", operation, name, res->message, part);
    CHECK(res->spec == NULL);
    result_free(res);
}

static bool network_exists(const char *name)
{
    virNetworkPtr netw = virNetworkLookupByName(conn, name);

    if (!netw) {
        virResetLastError();
        return false;
    }
    virNetworkFree(netw);
    return true;
}

static void test_create_delete(void)
{
    virNetworkPtr netw;
    struct result *res;
    char uuid[VIR_UUID_STRING_BUFLEN] = "", mac[SWITCH_MAC_MAX];
    int autostart = 0;

    res = run("createSwitch", "netaaaa01", "{\"subnet\": \"192.168.5.1/24\"}");
    if (!CHECK_STR(res->reason, "Ready"))
        fprintf(stderr, "  createSwitch: %s\n", res->message);
    CHECK(res->success);
    CHECK(res->message && strstr(res->message, "192.168.5.0/24"));
    CHECK_STR(res->spec ? json_path_string(res->spec, "type") : NULL, "libvirt");

    /* What the result says is what libvirt holds. */
    netw = virNetworkLookupByName(conn, "netaaaa01");
    CHECK(netw != NULL);
    if (netw) {
        char *xml = virNetworkGetXMLDesc(netw, 0);

        switch_mac_for("netaaaa01", mac);
        CHECK(xml && strstr(xml, "<forward mode='nat'/>"));
        CHECK(xml && strstr(xml, "<ip address='192.168.5.1' netmask='255.255.255.0'>"));
        CHECK(xml && strstr(xml, "<range start='192.168.5.2' end='192.168.5.254'>"));
        CHECK(xml && strstr(xml, "<lease expiry='3600' unit='seconds'/>"));
        CHECK(xml && strstr(xml, mac));
        free(xml);
        CHECK_INT(virNetworkIsActive(netw), 1);
        CHECK_INT(virNetworkIsPersistent(netw), 1);
        CHECK(virNetworkGetAutostart(netw, &autostart) == 0 && autostart == 1);
        CHECK_INT(virNetworkGetUUIDString(netw, uuid), 0);
        virNetworkFree(netw);
    }
    CHECK_STR(data_string(res, "switchInfo.id"), uuid);
    CHECK_STR(data_string(res, "switchInfo.name"), "netaaaa01");
    CHECK_STR(data_string(res, "gatewayInfo.router"), "192.168.5.1");
    CHECK_STR(data_string(res, "gatewayInfo.server_mac"), mac);
    CHECK(data_list(res, "routerInfo.nat") && cJSON_GetArraySize(data_list(res, "routerInfo.nat"))
                                                  == 1);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(
                  cJSON_GetArrayItem(data_list(res, "routerInfo.port"), 0), "networks")),
              "192.168.5.1/24");
    result_free(res);

    /* A second create of the same name changes nothing. */
    fails("createSwitch", "netaaaa01", "{\"subnet\": \"10.0.0.1/24\"}", "VirtctlError",
          "already exists");

    res = run("deleteSwitch", "netaaaa01", "{}");
    if (!CHECK_STR(res->reason, "Ready"))
        fprintf(stderr, "  deleteSwitch: %s\n", res->message);
    CHECK(res->spec == NULL);
    result_free(res);
    CHECK(!network_exists("netaaaa01"));

    /* Deleting it again is libvirt's own "no network". */
    res = run("deleteSwitch", "netaaaa01", "{}");
    CHECK_STR(res->reason, "LibvirtError");
    CHECK_INT(res->error_code, VIR_ERR_NO_NETWORK);
    CHECK(res->message && strstr(res->message, "netaaaa01"));
    result_free(res);
}

static void test_refusals(void)
{
    fails("createSwitch", "netbbbb01", "{\"subnet\": \"192.168.5.1/31\"}", "VirtctlError",
          "'subnet'");
    fails("createSwitch", "netbbbb01", "{\"subnet\": \"192.168.5/24\"}", "VirtctlError",
          "'subnet'");
    fails("createSwitch", "netbbbb01", "{}", "VirtctlError", "'subnet' is required");
    fails("createSwitch", "netbbbb01", "{\"subnet\": 24}", "VirtctlError", "subnet");
    fails("createSwitch", "netbbbb01", "{\"subnet\": \"192.168.5.1/24\", \"mtu\": 1500}",
          "VirtctlError", "mtu");
    fails("createSwitch", "net'bb01", "{\"subnet\": \"192.168.5.1/24\"}", "VirtctlError",
          "name");
    fails("deleteSwitch", "netbbbb01", "{\"force\": true}", "VirtctlError", "force");
    CHECK(!network_exists("netbbbb01"));
}

static void test_isolated(void)
{
    struct result *res;
    virNetworkPtr netw;
    char err[256];

    CHECK_INT(ops_network_configure(NULL, NULL, "isolated", err, sizeof(err)), 0);
    res = run("createSwitch", "netcccc01", "{\"subnet\": \"10.20.30.40/28\"}");
    CHECK_STR(res->reason, "Ready");
    CHECK(data_list(res, "routerInfo.nat") && cJSON_GetArraySize(data_list(res, "routerInfo.nat"))
                                                  == 0);
    CHECK_STR(data_string(res, "gatewayInfo.router"), "10.20.30.33");
    result_free(res);
    netw = virNetworkLookupByName(conn, "netcccc01");
    CHECK(netw != NULL);
    if (netw) {
        char *xml = virNetworkGetXMLDesc(netw, 0);

        CHECK(xml && !strstr(xml, "<forward"));
        CHECK(xml && strstr(xml, "<range start='10.20.30.34' end='10.20.30.46'>"));
        free(xml);
        virNetworkFree(netw);
    }
    CHECK_INT(ops_network_configure(NULL, NULL, NULL, err, sizeof(err)), 0);
    res = run("deleteSwitch", "netcccc01", "{}");
    CHECK_STR(res->reason, "Ready");
    result_free(res);
}

/* A VM with an interface on the network keeps it. */
static void test_in_use(void)
{
    static const char dom_xml[] =
        "<domain type='test'><name>netuser01</name><memory>65536</memory><vcpu>1</vcpu>"
        "<os><type>hvm</type></os><devices><interface type='network'>"
        "<source network='netdddd01'/></interface></devices></domain>";
    virDomainPtr dom;
    struct result *res;

    res = run("createSwitch", "netdddd01", "{\"subnet\": \"172.16.0.1/16\"}");
    CHECK_STR(res->reason, "Ready");
    result_free(res);
    dom = virDomainDefineXML(conn, dom_xml);
    if (!CHECK(dom != NULL))
        return;

    fails("deleteSwitch", "netdddd01", "{}", "VirtctlError", "used by VM netuser01");
    CHECK(network_exists("netdddd01"));

    CHECK_INT(virDomainUndefine(dom), 0);
    virDomainFree(dom);
    res = run("deleteSwitch", "netdddd01", "{}");
    CHECK_STR(res->reason, "Ready");
    result_free(res);
    CHECK(!network_exists("netdddd01"));
}

/* The failures are expected and checked: keep them off stderr. */
static void quiet(void *data, virErrorPtr err)
{
}

int main(void)
{
    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen("test:///default");
    if (!conn)
        test_abort("cannot open test:///default");

    test_create_delete();
    test_refusals();
    test_isolated();
    test_in_use();

    virConnectClose(conn);
    return test_finish();
}
