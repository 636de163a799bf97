/* VirtualMachineNetwork: createSwitch and deleteSwitch, on one of two
 * backends behind a small table of functions (struct switch_backend):
 *
 *   libvirt (default)  a libvirt network: NAT (or isolated, key
 *                      worker.switch-forward), its <ip> at the subnet's .1
 *                      with a DHCP range over the rest, persistent,
 *                      autostart, started (switch-libvirt.c);
 *   ovn                a logical switch in the OVN northbound database
 *                      (key worker.ovn-nb), a router port at .1 on the
 *                      router vmrelay-router and a DHCP_Options row, written
 *                      with ovn-nbctl in one transaction (switch-ovn.c).
 *
 * Both describe the switch in the API document's shape: spec.data =
 * {switchInfo, routerInfo, gatewayInfo}, and spec.type = the backend.
 *
 * Thread safety: ops_network_configure() from main before the first
 * request; switch_subnet_parse(), switch_mac_for() and switch_data_build()
 * are pure (any thread); the rest on the thread that owns the connection. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "worker/ops/registry.h"

#define SWITCH_BACKEND_DEFAULT "libvirt"
#define SWITCH_OVN_NB_DEFAULT "unix:/var/run/ovn/ovnnb_db.sock"
#define SWITCH_FORWARD_DEFAULT "nat"
#define SWITCH_OVN_NBCTL "/usr/bin/ovn-nbctl"
#define SWITCH_OVN_ROUTER "vmrelay-router"
/* Seconds ovn-nbctl waits for the database before it gives up. */
#define SWITCH_OVN_TIMEOUT_S "20"
/* DHCP lease the switch hands out, both backends (libvirt's own default). */
#define SWITCH_LEASE_SECONDS 3600
#define SWITCH_ADDR_MAX 16 /* "255.255.255.255" */
#define SWITCH_MAC_MAX 18  /* "aa:bb:cc:dd:ee:ff" */
#define SWITCH_SETTING_MAX 1024

/* The subnet of a createSwitch, worked out once for both backends. */
struct switch_subnet {
    uint32_t network; /* host order, host bits cleared */
    unsigned prefix;  /* 1..30: a gateway and at least one client */
    char cidr[SWITCH_ADDR_MAX + 4];    /* "192.168.5.0/24" */
    char gateway[SWITCH_ADDR_MAX];     /* network + 1 */
    char netmask[SWITCH_ADDR_MAX];
    char dhcp_start[SWITCH_ADDR_MAX];  /* network + 2 */
    char dhcp_end[SWITCH_ADDR_MAX];    /* broadcast - 1 */
};

/* Parses "A.B.C.D/N" (any host bits, which are cleared). -EINVAL when it is
 * not a subnet with room for a gateway and a client (N from 1 to 30);
 * *ret_net is then untouched. */
int switch_subnet_parse(const char *text, struct switch_subnet *ret_net);

/* A locally administered MAC derived from the switch name, so a retried
 * create writes the same one. */
void switch_mac_for(const char *name, char buf[SWITCH_MAC_MAX]);

/* What a backend knows of a switch, for spec.data. NULL strings are
 * written as "" (the document's fields are all strings); a NULL port name
 * leaves that port list empty. */
struct switch_info {
    const struct switch_subnet *net;
    const char *switch_id, *switch_name;
    const char *port_name, *port_type, *port_addresses, *port_router_port;
    const char *router_id, *router_name;
    const char *rport_name, *rport_mac;
    const char *nat_type; /* NULL: no NAT rule */
    const char *dhcp_id, *server_mac;
};

/* spec.data in the API document's shape: {switchInfo: {id, name, port: [{addresses,
 * name, router_port, type}]}, routerInfo: {id, name, nat: [{externalIP, gateway,
 * logicalIP, name, type}], port: [{gateway, mac, name, networks}]}, gatewayInfo:
 * {id, lease_time, router, server_id, server_mac}}. NULL when out of memory. */
cJSON *switch_data_build(const struct switch_info *info);

struct switch_backend {
    const char *name;
    /* Creates the switch name serving net; on failure nothing of it is
     * left. *ret_data is spec.data. */
    int (*create)(virConnectPtr conn, const char *name, const struct switch_subnet *net,
                  struct result *res, cJSON **ret_data);
    /* Removes the switch name; refuses one that VMs still use. */
    int (*remove)(virConnectPtr conn, const char *name, struct result *res);
};

extern const struct switch_backend switch_libvirt_backend;
extern const struct switch_backend switch_ovn_backend;

/* The settings: backend "libvirt" or "ovn" (key worker.switch-backend),
 * the OVN NB address (worker.ovn-nb: tcp:H:P, ssl:H:P or unix:PATH, as
 * ovn-nbctl --db takes it) and the libvirt forward mode
 * (worker.switch-forward: "nat" or "isolated"). NULL keeps the default.
 * -EINVAL with a sentence naming the key in err when a value is not one of
 * those, and nothing changes. Call from main before the first request;
 * without a call the defaults stand. */
int ops_network_configure(const char *backend, const char *ovn_nb, const char *forward,
                          char *err, size_t errlen);
const char *ops_network_backend(void);
const char *ops_network_ovn_nb(void);
const char *ops_network_forward(void);

int ops_switch_create(virConnectPtr conn, const struct request *req, struct result *res);
int ops_switch_delete(virConnectPtr conn, const struct request *req, struct result *res);

extern const struct ops_table ops_network_table;
