/* The OVN switch backend: the OVN northbound database, driven with
 * ovn-nbctl (Debian has no C library for it) through an argument vector,
 * never a shell.
 *
 * createSwitch, in one ovn-nbctl transaction (all or nothing):
 *   - the router vmrelay-router, when missing;
 *   - the logical switch <name> with other_config:subnet (OVN's IPAM);
 *   - the router port rtr-<name> at the subnet's .1, and the switch port
 *     <name>-rtr of type router facing it;
 *   - a DHCP_Options row for the subnet (router, server_id, server_mac,
 *     lease_time), tagged external_ids:vmrelay-switch=<name>, for the
 *     ports of VMs to point their dhcpv4_options at.
 * A second run reads back the ids the database gave the switch and the
 * router; when that fails the switch is removed again.
 *
 * deleteSwitch removes the same, in one transaction, and refuses a switch
 * with ports other than its router port. The router stays: other
 * switches share it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/ops/ops-network.h"
#include "worker/ops/ops-storage.h"
#include "worker/ops/virtinstall.h"

/* One composed argument: "options={...}", "--db=<address>". */
#define OVN_ARG_MAX (SWITCH_SETTING_MAX + 64)
#define OVN_UUID_MAX 40
#define OVN_PORT_MAX (STORAGE_NAME_MAX + 8)
/* DHCP_Options rows one switch may carry; we write one. */
#define OVN_DHCP_ROWS_MAX 16

/* Appends the NULL-terminated words to args. */
static __attribute__((sentinel)) int ovn_argv_add(struct virtinstall_argv *args, ...)
{
    const char *word;
    va_list ap;
    int r = 0;

    va_start(ap, args);
    while (r == 0 && (word = va_arg(ap, const char *))) {
        if (args->n >= VIRTINSTALL_ARGS_MAX) {
            r = -E2BIG;
            break;
        }
        args->argv[args->n] = strdup(word);
        if (!args->argv[args->n])
            r = -ENOMEM;
        else
            args->n++;
    }
    va_end(ap);
    return r;
}

/* ovn-nbctl with the configured database and a timeout, so that a database
 * that is down fails the request instead of hanging the worker. */
static int ovn_argv_new(struct virtinstall_argv **ret_args)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *args = calloc(1, sizeof(*args));
    char db[OVN_ARG_MAX];
    int r;

    if (!args)
        return -ENOMEM;
    snprintf(db, sizeof(db), "--db=%s", ops_network_ovn_nb());
    r = ovn_argv_add(args, SWITCH_OVN_NBCTL, db, "--timeout=" SWITCH_OVN_TIMEOUT_S, NULL);
    if (r < 0)
        return r;
    *ret_args = TAKE_PTR(args);
    return 0;
}

/* Runs ovn-nbctl; on failure fills res (Exception: the database or the
 * tool failed, not the request) with what, the database and ovn-nbctl's
 * own words. */
static int ovn_run(const struct virtinstall_argv *args, const char *what, struct result *res,
                   char **ret_out)
{
    char err[OPS_ERR_MAX] = "";
    int r = virtinstall_run(SWITCH_OVN_NBCTL, args, ret_out, err, sizeof(err));

    if (r < 0)
        return ops_fail_exception(res, r, "%s: ovn-nbctl on %s failed: %s", what,
                                  ops_network_ovn_nb(), err[0] ? err : strerror(-r));
    return 0;
}

/* Line index (from 0) of out, into buf ("" when out has fewer lines). */
static void nth_line(const char *out, unsigned index, char *buf, size_t len)
{
    size_t n;

    for (; index > 0 && out; index--) {
        out = strchr(out, '\n');
        if (out)
            out++;
    }
    if (!out) {
        buf[0] = '\0';
        return;
    }
    n = strcspn(out, "\n");
    if (n >= len)
        n = len - 1;
    memcpy(buf, out, n);
    buf[n] = '\0';
}

/* The _uuid of the rows of table matching cond ("column=value"), one per
 * line; "" when none. */
static int ovn_find(const char *table, const char *cond, struct result *res, char **ret_out)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *args = NULL;
    int r;

    r = ovn_argv_new(&args);
    if (r == 0)
        r = ovn_argv_add(args, "--bare", "--columns=_uuid", "find", table, cond, NULL);
    if (r < 0)
        return ops_fail_exception(res, r, "Cannot build the ovn-nbctl command.");
    return ovn_run(args, "Cannot read the OVN northbound database", res, ret_out);
}

/* The one transaction that removes the switch name, its router port and the
 * DHCP_Options rows listed in dhcp_rows (uuids, one per line). */
static int ovn_remove_rows(const char *name, char *dhcp_rows, const char *what,
                           struct result *res)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *args = NULL;
    _cleanup_free_ char *out = NULL;
    char lrp[OVN_PORT_MAX];
    unsigned rows = 0;
    int r;

    snprintf(lrp, sizeof(lrp), "rtr-%s", name);
    r = ovn_argv_new(&args);
    if (r == 0)
        r = ovn_argv_add(args, "--", "ls-del", name, "--", "--if-exists", "lrp-del", lrp,
                         NULL);
    for (char *line = dhcp_rows, *next; r == 0 && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!line[0])
            continue;
        if (++rows > OVN_DHCP_ROWS_MAX)
            r = -E2BIG;
        else
            r = ovn_argv_add(args, "--", "destroy", "dhcp_options", line, NULL);
    }
    if (r < 0)
        return ops_fail_exception(res, r, "Cannot build the ovn-nbctl command.");
    return ovn_run(args, what, res, &out);
}

/* After a create whose ids cannot be read: takes the switch away again, so
 * that a failed request leaves nothing behind. Keeps res as it is. */
static void ovn_undo(const char *name, char *dhcp_id)
{
    _cleanup_(result_freep) struct result *scratch = calloc(1, sizeof(*scratch));

    if (scratch)
        (void)ovn_remove_rows(name, dhcp_id, "Cannot undo the switch", scratch);
}

static int ovn_create(virConnectPtr conn, const char *name, const struct switch_subnet *net,
                      struct result *res, cJSON **ret_data)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *args = NULL, *get_args = NULL;
    _cleanup_free_ char *out = NULL, *ids = NULL;
    char mac[SWITCH_MAC_MAX], err[OPS_ERR_MAX] = "", options[OVN_ARG_MAX];
    char lsp[OVN_PORT_MAX], lrp[OVN_PORT_MAX], networks[SWITCH_ADDR_MAX + 4];
    char subnet[OVN_ARG_MAX], rport[OVN_ARG_MAX], cidr[OVN_ARG_MAX], tag[OVN_ARG_MAX];
    char dhcp_id[OVN_UUID_MAX], ls_id[OVN_UUID_MAX], lr_id[OVN_UUID_MAX];
    struct switch_info info = {
        .net = net, .switch_id = ls_id, .switch_name = name, .port_name = lsp,
        .port_type = "router", .port_addresses = "router", .port_router_port = lrp,
        .router_id = lr_id, .router_name = SWITCH_OVN_ROUTER, .rport_name = lrp,
        .rport_mac = mac, .dhcp_id = dhcp_id, .server_mac = mac,
    };
    cJSON *data;
    int r;

    (void)conn;
    switch_mac_for(name, mac);
    snprintf(lsp, sizeof(lsp), "%s-rtr", name);
    snprintf(lrp, sizeof(lrp), "rtr-%s", name);
    snprintf(networks, sizeof(networks), "%s/%u", net->gateway, net->prefix);
    snprintf(subnet, sizeof(subnet), "other_config:subnet=%s", net->cidr);
    snprintf(rport, sizeof(rport), "router-port=%s", lrp);
    snprintf(cidr, sizeof(cidr), "cidr=%s", net->cidr);
    snprintf(tag, sizeof(tag), "external_ids:vmrelay-switch=%s", name);
    /* OVSDB map syntax; the quotes keep the MAC's colons inside the value. */
    snprintf(options, sizeof(options),
             "options={router=\"%s\",server_id=\"%s\",server_mac=\"%s\",lease_time=\"%d\"}",
             net->gateway, net->gateway, mac, SWITCH_LEASE_SECONDS);

    /* ls-add without --may-exist: a name already taken fails the whole
     * transaction, so nothing of someone else's switch is changed. */
    r = ovn_argv_new(&args);
    if (r == 0)
        r = ovn_argv_add(args,
                         "--", "--may-exist", "lr-add", SWITCH_OVN_ROUTER,
                         "--", "ls-add", name,
                         "--", "set", "logical_switch", name, subnet,
                         "--", "lrp-add", SWITCH_OVN_ROUTER, lrp, mac, networks,
                         "--", "lsp-add", name, lsp,
                         "--", "lsp-set-type", lsp, "router",
                         "--", "lsp-set-addresses", lsp, "router",
                         "--", "lsp-set-options", lsp, rport,
                         "--", "create", "dhcp_options", cidr, options, tag, NULL);
    if (r < 0)
        return ops_fail_exception(res, r, "Cannot build the ovn-nbctl command.");
    r = virtinstall_run(SWITCH_OVN_NBCTL, args, &out, err, sizeof(err));
    if (r < 0 && strstr(err, "already exists"))
        return ops_fail_virtctl(res, "createSwitch: the OVN northbound database already has "
                                "a switch or port named for %s: %s", name, err);
    if (r < 0)
        return ops_fail_exception(res, r, "Cannot create the switch: ovn-nbctl on %s failed "
                                  "(nothing was written): %s", ops_network_ovn_nb(),
                                  err[0] ? err : strerror(-r));

    /* create printed the new row's uuid; the database gave the switch and
     * the router theirs only at commit, so they are read back now. */
    nth_line(out, 0, dhcp_id, sizeof(dhcp_id));
    r = ovn_argv_new(&get_args);
    if (r == 0)
        r = ovn_argv_add(get_args, "get", "logical_switch", name, "_uuid",
                         "--", "get", "logical_router", SWITCH_OVN_ROUTER, "_uuid", NULL);
    if (r < 0) {
        ovn_undo(name, dhcp_id);
        return ops_fail_exception(res, r, "Cannot build the ovn-nbctl command (the switch "
                                  "was removed again).");
    }
    r = ovn_run(get_args, "Cannot read back the new switch (it was removed again)", res, &ids);
    if (r < 0) {
        ovn_undo(name, dhcp_id);
        return r;
    }
    nth_line(ids, 0, ls_id, sizeof(ls_id));
    nth_line(ids, 1, lr_id, sizeof(lr_id));

    data = switch_data_build(&info);
    if (!data)
        return ops_fail_exception(res, ENOMEM, "Out of memory while describing the switch.");
    *ret_data = data;
    return 0;
}

/* The name of a port of the switch other than its router port lsp, into
 * buf: returns 1, or 0 when there is none. */
static int ovn_other_port(const char *name, const char *lsp, struct result *res, char *buf,
                          size_t len)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *args = NULL;
    _cleanup_free_ char *out = NULL;
    int r;

    r = ovn_argv_new(&args);
    if (r == 0)
        r = ovn_argv_add(args, "lsp-list", name, NULL);
    if (r < 0)
        return ops_fail_exception(res, r, "Cannot build the ovn-nbctl command.");
    r = ovn_run(args, "Cannot list the switch's ports", res, &out);
    if (r < 0)
        return r;

    /* Lines are "<uuid> (<name>)". */
    for (char *line = out, *next; line && *line; line = next) {
        char *open_paren, *close_paren;

        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        open_paren = strchr(line, '(');
        close_paren = open_paren ? strrchr(open_paren, ')') : NULL;
        if (!close_paren)
            continue;
        *close_paren = '\0';
        if (strcmp(open_paren + 1, lsp) != 0) {
            snprintf(buf, len, "%s", open_paren + 1);
            return 1;
        }
    }
    return 0;
}

static int ovn_remove(virConnectPtr conn, const char *name, struct result *res)
{
    _cleanup_free_ char *ls_out = NULL, *dhcp_out = NULL;
    char lsp[OVN_PORT_MAX], port[OVN_ARG_MAX], cond[OVN_ARG_MAX];
    int r;

    (void)conn;
    snprintf(cond, sizeof(cond), "name=%s", name);
    r = ovn_find("logical_switch", cond, res, &ls_out);
    if (r < 0)
        return r;
    if (strspn(ls_out, "\n") == strlen(ls_out))
        return ops_fail_virtctl(res, "deleteSwitch: the OVN northbound database has no switch "
                                "%s.", name);

    snprintf(lsp, sizeof(lsp), "%s-rtr", name);
    r = ovn_other_port(name, lsp, res, port, sizeof(port));
    if (r < 0)
        return r;
    if (r > 0)
        return ops_fail_virtctl(res, "deleteSwitch: the switch still has the port %s (a VM's "
                                "NIC); unplug it first.", port);

    snprintf(cond, sizeof(cond), "external_ids:vmrelay-switch=%s", name);
    r = ovn_find("dhcp_options", cond, res, &dhcp_out);
    if (r < 0)
        return r;
    return ovn_remove_rows(name, dhcp_out, "Cannot delete the switch (nothing was removed)",
                           res);
}

const struct switch_backend switch_ovn_backend = {
    .name = "ovn",
    .create = ovn_create,
    .remove = ovn_remove,
};
