/* The libvirt switch backend: a libvirt network named after the resource.
 *
 * Forward mode NAT (worker.switch-forward = isolated: none), the bridge
 * named by libvirt, its MAC derived from the name, <ip> at the subnet's .1
 * with DHCP from .2 to the last address before broadcast. Defined
 * (persistent), marked autostart and started; a failed step undefines it
 * again. deleteSwitch refuses a network a VM still has an interface on. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/ops/ops-network.h"
#include "worker/ops/ops-storage.h"

#define NETWORK_XML_MAX 2048
/* Domains listed when looking for users of a network. */
#define NETWORK_USERS_MAX 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(virNetworkPtr, virNetworkFree);

static int libvirt_describe(virNetworkPtr netw, const char *name,
                            const struct switch_subnet *net, struct result *res,
                            cJSON **ret_data)
{
    _cleanup_free_ char *xml = virNetworkGetXMLDesc(netw, 0);
    char uuid[VIR_UUID_STRING_BUFLEN] = "", bridge[64] = "", mac[SWITCH_MAC_MAX] = "";
    char mode[32] = "";
    struct switch_info info = {
        .net = net, .switch_id = uuid, .switch_name = name, .router_name = bridge,
        .rport_name = bridge, .rport_mac = mac, .dhcp_id = uuid, .server_mac = mac,
    };
    cJSON *data;

    if (!xml || virNetworkGetUUIDString(netw, uuid) < 0)
        return ops_fail_libvirt(res, "The network is created but cannot be described");
    (void)storage_xml_value(xml, "/network/bridge/@name", bridge, sizeof(bridge));
    (void)storage_xml_value(xml, "/network/mac/@address", mac, sizeof(mac));
    (void)storage_xml_value(xml, "/network/forward/@mode", mode, sizeof(mode));
    /* libvirt's NAT masquerades the subnet behind the host's address. */
    if (strcmp(mode, "nat") == 0)
        info.nat_type = "snat";
    data = switch_data_build(&info);
    if (!data)
        return ops_fail_exception(res, ENOMEM, "Out of memory while describing the network.");
    *ret_data = data;
    return 0;
}

/* Undoes a half-made network; the first error is what is reported. */
static int libvirt_fail(virNetworkPtr netw, struct result *res, const char *what)
{
    virErrorPtr err = virSaveLastError();

    if (virNetworkIsActive(netw) == 1)
        (void)virNetworkDestroy(netw);
    (void)virNetworkUndefine(netw);
    ops_fail_virerror(res, err, what);
    virFreeError(err);
    return -EIO;
}

static int libvirt_create(virConnectPtr conn, const char *name, const struct switch_subnet *net,
                          struct result *res, cJSON **ret_data)
{
    _cleanup_(virNetworkFreep) virNetworkPtr netw = NULL;
    bool nat = strcmp(ops_network_forward(), "nat") == 0;
    char xml[NETWORK_XML_MAX], mac[SWITCH_MAC_MAX];
    int n;

    netw = virNetworkLookupByName(conn, name);
    if (netw)
        return ops_fail_virtctl(res, "createSwitch: a network named %s already exists.", name);
    virResetLastError();

    /* The MAC is derived from the name, so that a retried create writes the
     * same one (libvirt would pick a random one). name passed
     * storage_check_name() (no XML specials); the addresses are inet_ntop's. */
    switch_mac_for(name, mac);
    n = snprintf(xml, sizeof(xml),
                 "<network><name>%s</name>%s<mac address='%s'/>"
                 "<ip address='%s' netmask='%s'><dhcp><range start='%s' end='%s'>"
                 "<lease expiry='%d' unit='seconds'/></range></dhcp></ip></network>",
                 name, nat ? "<forward mode='nat'/>" : "", mac, net->gateway, net->netmask,
                 net->dhcp_start, net->dhcp_end, SWITCH_LEASE_SECONDS);
    if (n < 0 || (size_t)n >= sizeof(xml))
        return ops_fail_exception(res, ENAMETOOLONG, "The network definition is too long.");

    netw = virNetworkDefineXML(conn, xml);
    if (!netw)
        return ops_fail_libvirt(res, "Cannot define the network");
    if (virNetworkSetAutostart(netw, 1) < 0)
        return libvirt_fail(netw, res, "Cannot mark the network autostart (it was undefined)");
    if (virNetworkCreate(netw) < 0)
        return libvirt_fail(netw, res, "Cannot start the network (it was undefined)");

    if (libvirt_describe(netw, name, net, res, ret_data) < 0) {
        (void)virNetworkDestroy(netw);
        (void)virNetworkUndefine(netw);
        return -EIO;
    }
    return 0;
}

/* True when the domain XML has an interface on the network name, or one
 * bridged straight onto its bridge (plugNIC's type=bridge). */
static bool domain_xml_uses(const char *xml, const char *name, const char *bridge)
{
    char expr[256], v[STORAGE_NAME_MAX];

    snprintf(expr, sizeof(expr),
             "/domain/devices/interface[@type='network']/source[@network='%s']/@network", name);
    if (storage_xml_value(xml, expr, v, sizeof(v)) == 0)
        return true;
    if (!bridge[0])
        return false;
    snprintf(expr, sizeof(expr),
             "/domain/devices/interface[@type='bridge']/source[@bridge='%s']/@bridge", bridge);
    return storage_xml_value(xml, expr, v, sizeof(v)) == 0;
}

/* 1 with the VM's name in buf when a domain, in its persistent or its live
 * definition, has an interface on the network; 0 when none has. */
static int libvirt_user(virConnectPtr conn, const char *name, const char *bridge,
                        struct result *res, char *buf, size_t len)
{
    virDomainPtr *doms = NULL;
    int n, found = 0;

    n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0)
        return ops_fail_libvirt(res, "Cannot list the VMs using the network");

    for (int i = 0; i < n && i < NETWORK_USERS_MAX && !found; i++) {
        _cleanup_free_ char *inactive = virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE);
        _cleanup_free_ char *live = virDomainGetXMLDesc(doms[i], 0);

        if ((inactive && domain_xml_uses(inactive, name, bridge)) ||
            (live && domain_xml_uses(live, name, bridge))) {
            snprintf(buf, len, "%s", virDomainGetName(doms[i]));
            found = 1;
        }
    }
    for (int i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
    return found;
}

static int libvirt_remove(virConnectPtr conn, const char *name, struct result *res)
{
    _cleanup_(virNetworkFreep) virNetworkPtr netw = virNetworkLookupByName(conn, name);
    _cleanup_free_ char *xml = NULL;
    char user[STORAGE_NAME_MAX], bridge[STORAGE_NAME_MAX] = "";
    bool was_active;
    int r;

    /* libvirt's own "Network not found" (VIR_ERR_NO_NETWORK), as deleteDisk
     * reports a missing volume. */
    if (!netw)
        return ops_fail_libvirt(res, "Cannot find the network");

    xml = virNetworkGetXMLDesc(netw, 0);
    if (xml)
        (void)storage_xml_value(xml, "/network/bridge/@name", bridge, sizeof(bridge));
    r = libvirt_user(conn, name, bridge, res, user, sizeof(user));
    if (r < 0)
        return r;
    if (r > 0)
        return ops_fail_virtctl(res, "deleteSwitch: the network is used by VM %s; unplug its "
                                "interface first.", user);

    was_active = virNetworkIsActive(netw) == 1;
    if (was_active && virNetworkDestroy(netw) < 0)
        return ops_fail_libvirt(res, "Cannot stop the network");
    if (virNetworkUndefine(netw) < 0) {
        virErrorPtr err = virSaveLastError();

        /* Leave it as it was: running again. */
        if (was_active)
            (void)virNetworkCreate(netw);
        ops_fail_virerror(res, err, "Cannot undefine the network");
        virFreeError(err);
        return -EIO;
    }
    return 0;
}

const struct switch_backend switch_libvirt_backend = {
    .name = "libvirt",
    .create = libvirt_create,
    .remove = libvirt_remove,
};
