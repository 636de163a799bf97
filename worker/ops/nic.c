/* plugNIC and unplugNIC. All three API interface types are libvirt bridge
 * interfaces: "bridge" a Linux bridge, "l2bridge"/"l3bridge" an Open vSwitch
 * bridge (<virtualport type='openvswitch'/>). Bandwidth limits become
 * <bandwidth>; the OVN keys ip and switch are refused by name, as this
 * worker has no switch backend. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shared/msg/optstring.h"
#include "worker/ops/devices.h"
#include "worker/ops/ops.h"

static bool nic_type_is_ovs(const char *type)
{
    return strcmp(type, "l2bridge") == 0 || strcmp(type, "l3bridge") == 0;
}

int devices_nic_bandwidth(xmlNodePtr iface, const char *inbound, const char *outbound)
{
    xmlNodePtr bw, n;

    if (!inbound && !outbound)
        return 0;
    bw = xmlNewChild(iface, NULL, BAD_CAST "bandwidth", NULL);
    if (!bw)
        return -ENOMEM;
    if (inbound) {
        n = xmlNewChild(bw, NULL, BAD_CAST "inbound", NULL);
        if (!n || !xmlNewProp(n, BAD_CAST "average", BAD_CAST inbound))
            return -ENOMEM;
    }
    if (outbound) {
        n = xmlNewChild(bw, NULL, BAD_CAST "outbound", NULL);
        if (!n || !xmlNewProp(n, BAD_CAST "average", BAD_CAST outbound))
            return -ENOMEM;
    }
    return 0;
}

/* Reads source=BRIDGE[,ip=..][,switch=..] and refuses the OVN keys. */
static int nic_bridge(const char *source, char *bridge, size_t len, char *err, size_t errlen)
{
    _cleanup_(optstring_freep) struct optstring *o = NULL;
    char detail[256] = "";
    const char *br;
    int r;

    r = optstring_parse(source, NULL, &o, detail, sizeof(detail));
    if (r < 0) {
        snprintf(err, errlen, "field 'source': %s", detail);
        return r;
    }
    for (size_t i = 0; i < o->n_items; i++)
        if (strcmp(o->items[i].key, "source") != 0) {
            snprintf(err, errlen, "field 'source': option '%s' is not supported by this worker "
                     "(it needs an OVN switch backend)", o->items[i].key);
            return -EINVAL;
        }
    br = optstring_get(o, "source");
    if (!br || o->head) {
        snprintf(err, errlen, "field 'source' must be source=BRIDGE");
        return -EINVAL;
    }
    snprintf(bridge, len, "%s", br);
    return 0;
}

int devices_nic_xml(const cJSON *params, char **ret_xml, char *err, size_t errlen)
{
    char b_type[DEVICES_VALUE_MAX], b_src[DEVICES_VALUE_MAX], b_mac[DEVICES_VALUE_MAX];
    char b_in[DEVICES_VALUE_MAX], b_out[DEVICES_VALUE_MAX], b_model[DEVICES_VALUE_MAX];
    char bridge[DEVICES_VALUE_MAX];
    const char *type, *source, *mac, *in = NULL, *out = NULL, *model = "virtio";
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    xmlNodePtr iface, n;
    int r;

    r = devices_param_text(params, "type", "nic_type", true, b_type, &type, err, errlen);
    if (r >= 0)
        r = devices_param_text(params, "source", "nic_source", true, b_src, &source, err,
                               errlen);
    if (r >= 0)
        r = nic_bridge(source, bridge, sizeof(bridge), err, errlen);
    if (r >= 0)
        r = devices_param_text(params, "mac", "mac", true, b_mac, &mac, err, errlen);
    if (r >= 0)
        r = devices_param_text(params, "inbound", "uint", false, b_in, &in, err, errlen);
    if (r >= 0 || r == -ENOENT)
        r = devices_param_text(params, "outbound", "uint", false, b_out, &out, err, errlen);
    if (r >= 0 || r == -ENOENT)
        r = devices_param_text(params, "model", "word", false, b_model, &model, err, errlen);
    if (r < 0 && r != -ENOENT)
        return r;

    doc = xmlNewDoc(BAD_CAST "1.0");
    iface = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "interface", NULL) : NULL;
    if (!iface)
        return -ENOMEM;
    xmlDocSetRootElement(doc, iface);
    if (!xmlNewProp(iface, BAD_CAST "type", BAD_CAST "bridge"))
        return -ENOMEM;
    n = xmlNewChild(iface, NULL, BAD_CAST "mac", NULL);
    if (!n || !xmlNewProp(n, BAD_CAST "address", BAD_CAST mac))
        return -ENOMEM;
    n = xmlNewChild(iface, NULL, BAD_CAST "source", NULL);
    if (!n || !xmlNewProp(n, BAD_CAST "bridge", BAD_CAST bridge))
        return -ENOMEM;
    if (nic_type_is_ovs(type)) {
        n = xmlNewChild(iface, NULL, BAD_CAST "virtualport", NULL);
        if (!n || !xmlNewProp(n, BAD_CAST "type", BAD_CAST "openvswitch"))
            return -ENOMEM;
    }
    r = devices_nic_bandwidth(iface, in, out);
    if (r < 0)
        return r;
    /* virtio unless asked otherwise: QEMU's own default model (rtl8139)
     * needs a driver few cloud images load. */
    n = xmlNewChild(iface, NULL, BAD_CAST "model", NULL);
    if (!n || !xmlNewProp(n, BAD_CAST "type", BAD_CAST model))
        return -ENOMEM;
    return devices_node_dump(iface, ret_xml);
}

int ops_plug_nic(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_free_ char *xml = NULL;
    char err[OPS_ERR_MAX];
    unsigned flags;
    int active, r;

    r = devices_nic_xml(req->params, &xml, err, sizeof(err));
    if (r == -ENOMEM)
        return ops_fail_exception(res, r, "Out of memory while building the interface XML.");
    if (r < 0)
        return ops_fail_virtctl(res, "plugNIC: %s.", err);
    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    active = virDomainIsActive(dom);
    if (active < 0)
        return ops_fail_libvirt(res, "Cannot read the state of the VM");
    r = devices_affect_flags(req->params, active, &flags, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "plugNIC: %s.", err);
    if (virDomainAttachDeviceFlags(dom, xml, flags) < 0)
        return ops_fail_libvirt(res, "Cannot attach the network interface");
    return 0;
}

/* The interface found by MAC must be of the type the request names, so
 * that a request for an Open vSwitch port never removes a plain one. */
static int nic_check_type(xmlNodePtr iface, const char *type, char *err, size_t errlen)
{
    xmlNodePtr vport = devices_node_child(iface, "virtualport");
    bool ovs = devices_node_attr_is(vport, "type", "openvswitch");

    if (!devices_node_attr_is(iface, "type", "bridge") || ovs != nic_type_is_ovs(type)) {
        snprintf(err, errlen, "field 'type': the interface with that MAC is not of type %s",
                 type);
        return -EINVAL;
    }
    return 0;
}

int ops_unplug_nic(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    _cleanup_free_ char *xml = NULL;
    char err[OPS_ERR_MAX], b_type[DEVICES_VALUE_MAX], b_mac[DEVICES_VALUE_MAX];
    const char *type, *mac;
    xmlNodePtr iface;
    unsigned flags;
    int active, r;

    r = devices_param_text(req->params, "type", "nic_type", true, b_type, &type, err,
                           sizeof(err));
    if (r >= 0)
        r = devices_param_text(req->params, "mac", "mac", true, b_mac, &mac, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "unplugNIC: %s.", err);
    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    active = virDomainIsActive(dom);
    if (active < 0)
        return ops_fail_libvirt(res, "Cannot read the state of the VM");
    r = devices_affect_flags(req->params, active, &flags, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "unplugNIC: %s.", err);
    if (devices_domain_doc(dom, devices_doc_flags(flags, active), &doc) < 0)
        return ops_fail_libvirt(res, "Cannot read the description of the VM");
    iface = devices_find_interface(doc, mac);
    if (!iface)
        return ops_fail_virtctl(res, "unplugNIC: field 'mac': the VM has no interface %s in its "
                                "%s definition.", mac,
                                devices_doc_flags(flags, active) ? "saved" : "running");
    r = nic_check_type(iface, type, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "unplugNIC: %s.", err);
    r = devices_node_dump(iface, &xml);
    if (r < 0)
        return ops_fail_exception(res, r, "Out of memory while building the interface XML.");
    if (virDomainDetachDeviceFlags(dom, xml, flags) < 0)
        return ops_fail_libvirt(res, "Cannot detach the network interface");
    if (active && (flags & VIR_DOMAIN_AFFECT_LIVE || flags == VIR_DOMAIN_AFFECT_CURRENT))
        (void)devices_wait_removed(dom, devices_find_interface, mac);
    return 0;
}
