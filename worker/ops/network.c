/* VirtualMachineNetwork: createSwitch and deleteSwitch, dispatched to the
 * configured switch backend (ops-network.h), plus the settings, the subnet
 * arithmetic and the spec.data builder both backends share. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/core/json.h"
#include "worker/ops/ops-network.h"
#include "worker/ops/ops-storage.h"
#include "worker/ops/params.h"

/* The defaults stand until main hands over the configuration. */
static struct {
    char backend[SWITCH_SETTING_MAX];
    char ovn_nb[SWITCH_SETTING_MAX];
    char forward[SWITCH_SETTING_MAX];
} settings = {SWITCH_BACKEND_DEFAULT, SWITCH_OVN_NB_DEFAULT, SWITCH_FORWARD_DEFAULT};

int ops_network_configure(const char *backend, const char *ovn_nb, const char *forward,
                          char *err, size_t errlen)
{
    backend = backend ? backend : SWITCH_BACKEND_DEFAULT;
    ovn_nb = ovn_nb ? ovn_nb : SWITCH_OVN_NB_DEFAULT;
    forward = forward ? forward : SWITCH_FORWARD_DEFAULT;

    /* Checked here, so that a typo stops the worker at start instead of
     * failing every createSwitch later. */
    if (strcmp(backend, "libvirt") != 0 && strcmp(backend, "ovn") != 0) {
        snprintf(err, errlen, "Key worker.switch-backend must be libvirt or ovn, not '%.64s'.",
                 backend);
        return -EINVAL;
    }
    if (strcmp(forward, "nat") != 0 && strcmp(forward, "isolated") != 0) {
        snprintf(err, errlen, "Key worker.switch-forward must be nat or isolated, not '%.64s'.",
                 forward);
        return -EINVAL;
    }
    if (!ovn_nb[0] || strlen(ovn_nb) >= SWITCH_SETTING_MAX) {
        snprintf(err, errlen, "Key worker.ovn-nb must be an ovn-nbctl --db address of 1 to %d "
                 "bytes.", SWITCH_SETTING_MAX - 1);
        return -EINVAL;
    }

    snprintf(settings.backend, sizeof(settings.backend), "%s", backend);
    snprintf(settings.ovn_nb, sizeof(settings.ovn_nb), "%s", ovn_nb);
    snprintf(settings.forward, sizeof(settings.forward), "%s", forward);
    return 0;
}

const char *ops_network_backend(void)
{
    return settings.backend;
}

const char *ops_network_ovn_nb(void)
{
    return settings.ovn_nb;
}

const char *ops_network_forward(void)
{
    return settings.forward;
}

static void addr_text(uint32_t addr, char buf[SWITCH_ADDR_MAX])
{
    struct in_addr a = {.s_addr = htonl(addr)};

    if (!inet_ntop(AF_INET, &a, buf, SWITCH_ADDR_MAX))
        buf[0] = '\0';
}

int switch_subnet_parse(const char *text, struct switch_subnet *ret_net)
{
    struct switch_subnet net = {0};
    char addr[SWITCH_ADDR_MAX], *end;
    const char *slash = text ? strchr(text, '/') : NULL;
    struct in_addr a;
    unsigned long prefix;
    uint32_t mask;

    if (!slash || (size_t)(slash - text) >= sizeof(addr) || slash[1] < '0' || slash[1] > '9')
        return -EINVAL;
    memcpy(addr, text, (size_t)(slash - text));
    addr[slash - text] = '\0';
    if (inet_pton(AF_INET, addr, &a) != 1)
        return -EINVAL;
    errno = 0;
    prefix = strtoul(slash + 1, &end, 10);
    if (errno != 0 || *end != '\0' || prefix < 1 || prefix > 30)
        return -EINVAL;

    mask = 0xffffffffu << (32 - prefix);
    net.prefix = (unsigned)prefix;
    net.network = ntohl(a.s_addr) & mask;
    addr_text(net.network, addr);
    snprintf(net.cidr, sizeof(net.cidr), "%s/%u", addr, net.prefix);
    addr_text(net.network + 1, net.gateway);
    addr_text(mask, net.netmask);
    addr_text(net.network + 2, net.dhcp_start);
    addr_text((net.network | ~mask) - 1, net.dhcp_end);
    *ret_net = net;
    return 0;
}

void switch_mac_for(const char *name, char buf[SWITCH_MAC_MAX])
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */

    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    /* 0a: locally administered, unicast. */
    snprintf(buf, SWITCH_MAC_MAX, "0a:%02x:%02x:%02x:%02x:%02x", (unsigned)(h >> 32) & 0xff,
             (unsigned)(h >> 24) & 0xff, (unsigned)(h >> 16) & 0xff, (unsigned)(h >> 8) & 0xff,
             (unsigned)h & 0xff);
}

static bool add_strings(cJSON *obj, const char *const *pairs)
{
    for (size_t i = 0; pairs[i]; i += 2)
        if (!cJSON_AddStringToObject(obj, pairs[i], pairs[i + 1] ? pairs[i + 1] : ""))
            return false;
    return true;
}

/* Adds key: [] and, when pairs is non-NULL, one object of pairs to it. */
static bool add_list(cJSON *obj, const char *key, const char *const *pairs)
{
    cJSON *list = cJSON_AddArrayToObject(obj, key), *item;

    if (!list)
        return false;
    if (!pairs)
        return true;
    item = cJSON_CreateObject();
    if (!item || !cJSON_AddItemToArray(list, item)) {
        cJSON_Delete(item);
        return false;
    }
    return add_strings(item, pairs);
}

cJSON *switch_data_build(const struct switch_info *in)
{
    _cleanup_(cJSON_Deletep) cJSON *data = cJSON_CreateObject();
    cJSON *sw = data ? cJSON_AddObjectToObject(data, "switchInfo") : NULL;
    cJSON *rt = data ? cJSON_AddObjectToObject(data, "routerInfo") : NULL;
    cJSON *gw = data ? cJSON_AddObjectToObject(data, "gatewayInfo") : NULL;
    char lease[32], networks[SWITCH_ADDR_MAX + 4];
    const char *const sw_pairs[] = {"id", in->switch_id, "name", in->switch_name, NULL};
    const char *const sw_port[] = {"addresses", in->port_addresses, "name", in->port_name,
                                   "router_port", in->port_router_port, "type", in->port_type,
                                   NULL};
    const char *const rt_pairs[] = {"id", in->router_id, "name", in->router_name, NULL};
    const char *const rt_nat[] = {"externalIP", "", "gateway", in->net->gateway, "logicalIP",
                                  in->net->cidr, "name", in->switch_name, "type", in->nat_type,
                                  NULL};
    const char *const rt_port[] = {"gateway", in->net->gateway, "mac", in->rport_mac, "name",
                                   in->rport_name, "networks", networks, NULL};
    const char *const gw_pairs[] = {"id", in->dhcp_id, "lease_time", lease,
                                    "router", in->net->gateway, "server_id", in->net->gateway,
                                    "server_mac", in->server_mac, NULL};

    snprintf(lease, sizeof(lease), "%d", SWITCH_LEASE_SECONDS);
    snprintf(networks, sizeof(networks), "%s/%u", in->net->gateway, in->net->prefix);
    if (!sw || !rt || !gw || !add_strings(sw, sw_pairs) ||
        !add_list(sw, "port", in->port_name ? sw_port : NULL) || !add_strings(rt, rt_pairs) ||
        !add_list(rt, "nat", in->nat_type ? rt_nat : NULL) ||
        !add_list(rt, "port", in->rport_name ? rt_port : NULL) || !add_strings(gw, gw_pairs))
        return NULL;
    return TAKE_PTR(data);
}

/* The backend was checked by ops_network_configure(): only its two names
 * reach here. */
static const struct switch_backend *backend_get(void)
{
    if (strcmp(settings.backend, "ovn") == 0)
        return &switch_ovn_backend;
    return &switch_libvirt_backend;
}

int ops_switch_create(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(cJSON_Deletep) cJSON *spec = NULL, *data = NULL;
    const struct switch_backend *b = backend_get();
    struct switch_subnet net;
    char err[OPS_ERR_MAX], message[256];
    const char *subnet;
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;

    r = ops_param_string(req->params, "subnet", &subnet, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "createSwitch: %s.", err);
    if (!subnet)
        return ops_fail_virtctl(res, "createSwitch: field 'subnet' is required.");
    /* The bridge checked the form (N from 0 to 32); a switch also needs a
     * gateway and a client inside it. */
    if (switch_subnet_parse(subnet, &net) < 0)
        return ops_fail_virtctl(res, "createSwitch: field 'subnet' must be A.B.C.D/N with N "
                                "from 1 to 30 (room for a gateway and a client), not "
                                "'%.64s'.", subnet);

    r = b->create(conn, req->name, &net, res, &data);
    if (r < 0)
        return r;

    spec = cJSON_CreateObject();
    if (!spec || !cJSON_AddStringToObject(spec, "type", b->name) ||
        !cJSON_AddItemToObject(spec, "data", data))
        return ops_fail_exception(res, ENOMEM, "Out of memory while writing the result.");
    TAKE_PTR(data); /* spec owns it now */
    snprintf(message, sizeof(message), "The switch serves %s with its gateway at %s (%s).",
             net.cidr, net.gateway, b->name);
    r = ops_result_set_ok(res, "Ready", message);
    if (r < 0)
        return r;
    cJSON_Delete(res->spec);
    res->spec = TAKE_PTR(spec);
    return 0;
}

int ops_switch_delete(virConnectPtr conn, const struct request *req, struct result *res)
{
    const struct switch_backend *b = backend_get();
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;

    r = b->remove(conn, req->name, res);
    if (r < 0)
        return r;
    return ops_result_set_ok(res, "Ready", "The switch is deleted.");
}

static const char *const create_fields[] = {"subnet", NULL};
static const char *const no_fields[] = {NULL};

static const struct ops_entry network_entries[] = {
    {"VirtualMachineNetwork", "createSwitch", ops_switch_create, create_fields, false},
    {"VirtualMachineNetwork", "deleteSwitch", ops_switch_delete, no_fields, false},
};

const struct ops_table ops_network_table = {network_entries, ELEMENTSOF(network_entries)};
