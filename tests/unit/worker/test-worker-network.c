/* The pure pieces of the switch operations: the subnet parser, the MAC
 * derived from a switch name, the spec.data builder and the settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/core/json.h"
#include "worker/ops/ops-network.h"

static void subnet_ok(const char *text, const char *cidr, unsigned prefix, const char *gateway,
                      const char *netmask, const char *start, const char *end)
{
    struct switch_subnet net;

    memset(&net, 0, sizeof(net));
    if (!CHECK_INT(switch_subnet_parse(text, &net), 0)) {
        fprintf(stderr, "  subnet '%s' was refused\n", text);
        return;
    }
    CHECK_STR(net.cidr, cidr);
    CHECK_INT(net.prefix, prefix);
    CHECK_STR(net.gateway, gateway);
    CHECK_STR(net.netmask, netmask);
    CHECK_STR(net.dhcp_start, start);
    CHECK_STR(net.dhcp_end, end);
}

static void subnet_bad(const char *text)
{
    struct switch_subnet net;

    /* Output parameters are left untouched on failure. */
    memset(&net, 0x5a, sizeof(net));
    if (!CHECK_INT(switch_subnet_parse(text, &net), -EINVAL))
        fprintf(stderr, "  subnet '%s' was accepted\n", text ? text : "(null)");
    CHECK(((const unsigned char *)&net)[0] == 0x5a && net.prefix == 0x5a5a5a5au);
}

static void test_subnet(void)
{
    struct switch_subnet net;

    /* The API document's example: host bits set, .1 is the gateway. */
    subnet_ok("192.168.5.1/24", "192.168.5.0/24", 24, "192.168.5.1", "255.255.255.0",
              "192.168.5.2", "192.168.5.254");
    CHECK_INT(switch_subnet_parse("192.168.5.1/24", &net), 0);
    CHECK_INT(net.network, 0xc0a80500u);

    /* Host bits are cleared whatever they are. */
    subnet_ok("10.1.2.3/8", "10.0.0.0/8", 8, "10.0.0.1", "255.0.0.0", "10.0.0.2",
              "10.255.255.254");
    subnet_ok("172.16.77.200/20", "172.16.64.0/20", 20, "172.16.64.1", "255.255.240.0",
              "172.16.64.2", "172.16.79.254");
    subnet_ok("192.168.5.0/24", "192.168.5.0/24", 24, "192.168.5.1", "255.255.255.0",
              "192.168.5.2", "192.168.5.254");

    /* The prefix limits: /30 leaves exactly a gateway and one client, /1
     * is the widest. */
    subnet_ok("10.0.0.7/30", "10.0.0.4/30", 30, "10.0.0.5", "255.255.255.252", "10.0.0.6",
              "10.0.0.6");
    subnet_ok("200.1.2.3/1", "128.0.0.0/1", 1, "128.0.0.1", "128.0.0.0", "128.0.0.2",
              "255.255.255.254");
    subnet_ok("255.255.255.255/30", "255.255.255.252/30", 30, "255.255.255.253",
              "255.255.255.252", "255.255.255.254", "255.255.255.254");

    /* No room for a gateway and a client, or no subnet at all. */
    subnet_bad("192.168.5.1/31");
    subnet_bad("192.168.5.1/32");
    subnet_bad("192.168.5.1/33");
    subnet_bad("192.168.5.1/0");
    subnet_bad("192.168.5.1/99999999999999999999");

    /* The form. */
    subnet_bad(NULL);
    subnet_bad("");
    subnet_bad("192.168.5.1");
    subnet_bad("192.168.5.1/");
    subnet_bad("/24");
    subnet_bad("192.168.5.1/24x");
    subnet_bad("192.168.5.1/24/8");
    subnet_bad("192.168.5.1/ 24");
    subnet_bad("192.168.5.1/+24");
    subnet_bad("192.168.5.1/-24");
    subnet_bad("192.168.5.1 /24");
    subnet_bad("192.168.5/24");
    subnet_bad("192.168.5.256/24");
    subnet_bad("192.168.5.1.1/24");
    subnet_bad("a.b.c.d/24");
    subnet_bad("fe80::1/64");
    subnet_bad("1234567890123456789.168.5.1/24");
}

static bool hex_pair(const char *p)
{
    return strspn(p, "0123456789abcdef") >= 2;
}

static void test_mac(void)
{
    char a[SWITCH_MAC_MAX], b[SWITCH_MAC_MAX], c[SWITCH_MAC_MAX];

    switch_mac_for("netaaaa01", a);
    switch_mac_for("netaaaa01", b);
    switch_mac_for("netaaaa02", c);

    /* Six lowercase hex pairs separated by ':'. */
    CHECK_INT(strlen(a), 17);
    for (int i = 0; i < 6; i++) {
        CHECK(hex_pair(a + 3 * i));
        if (i < 5)
            CHECK(a[3 * i + 2] == ':');
    }

    /* Locally administered and unicast: never a vendor's address, never a
     * multicast one. */
    CHECK(strncmp(a, "0a:", 3) == 0);
    CHECK((strtoul(a, NULL, 16) & 0x03) == 0x02);

    /* The same name gives the same MAC (a retried create), another name
     * another one. */
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0);

    /* Pinned (FNV-1a 64 of the name, its low 40 bits after 0a): a worker of
     * a later version must derive the MAC an earlier one wrote, or a retry
     * after an upgrade would change it. */
    switch_mac_for("netaaaa01", a);
    CHECK_STR(a, "0a:35:bc:c7:df:a7");
    switch_mac_for("", a);
    CHECK_STR(a, "0a:e4:84:22:23:25");
}

static cJSON *item(const cJSON *root, const char *dotted)
{
    return (cJSON *)json_path(root, dotted);
}

static void test_data(void)
{
    struct switch_subnet net;
    struct switch_info full = {
        .net = &net, .switch_id = "ls-uuid", .switch_name = "netaaaa01",
        .port_name = "netaaaa01-rtr", .port_type = "router", .port_addresses = "router",
        .port_router_port = "rtr-netaaaa01", .router_id = "lr-uuid",
        .router_name = "vmrelay-router", .rport_name = "rtr-netaaaa01",
        .rport_mac = "0a:01:02:03:04:05", .nat_type = "snat", .dhcp_id = "dhcp-uuid",
        .server_mac = "0a:01:02:03:04:05",
    };
    struct switch_info bare = {.net = &net, .switch_name = "netbbbb01"};
    _cleanup_(cJSON_Deletep) cJSON *data = NULL, *empty = NULL;
    _cleanup_free_ char *text = NULL;

    if (switch_subnet_parse("192.168.5.1/24", &net) < 0)
        test_abort("cannot parse the test subnet");

    /* Every field of the API document's return value, and nothing else. */
    data = switch_data_build(&full);
    CHECK(data != NULL);
    text = data ? json_print_canonical(data) : NULL;
    CHECK_STR(text,
              "{\"gatewayInfo\":{\"id\":\"dhcp-uuid\",\"lease_time\":\"3600\","
              "\"router\":\"192.168.5.1\",\"server_id\":\"192.168.5.1\","
              "\"server_mac\":\"0a:01:02:03:04:05\"},"
              "\"routerInfo\":{\"id\":\"lr-uuid\",\"name\":\"vmrelay-router\","
              "\"nat\":[{\"externalIP\":\"\",\"gateway\":\"192.168.5.1\","
              "\"logicalIP\":\"192.168.5.0/24\",\"name\":\"netaaaa01\",\"type\":\"snat\"}],"
              "\"port\":[{\"gateway\":\"192.168.5.1\",\"mac\":\"0a:01:02:03:04:05\","
              "\"name\":\"rtr-netaaaa01\",\"networks\":\"192.168.5.1/24\"}]},"
              "\"switchInfo\":{\"id\":\"ls-uuid\",\"name\":\"netaaaa01\","
              "\"port\":[{\"addresses\":\"router\",\"name\":\"netaaaa01-rtr\","
              "\"router_port\":\"rtr-netaaaa01\",\"type\":\"router\"}]}}");

    /* Unknown values are "" (the document's fields are all strings); no
     * port name and no NAT type leave those lists empty but present. */
    empty = switch_data_build(&bare);
    CHECK(empty != NULL);
    CHECK_STR(cJSON_GetStringValue(item(empty, "switchInfo.id")), "");
    CHECK_STR(cJSON_GetStringValue(item(empty, "switchInfo.name")), "netbbbb01");
    CHECK(cJSON_IsArray(item(empty, "switchInfo.port")));
    CHECK_INT(cJSON_GetArraySize(item(empty, "switchInfo.port")), 0);
    CHECK_INT(cJSON_GetArraySize(item(empty, "routerInfo.nat")), 0);
    CHECK_INT(cJSON_GetArraySize(item(empty, "routerInfo.port")), 0);
    CHECK_STR(cJSON_GetStringValue(item(empty, "routerInfo.name")), "");
    CHECK_STR(cJSON_GetStringValue(item(empty, "gatewayInfo.server_mac")), "");
    CHECK_STR(cJSON_GetStringValue(item(empty, "gatewayInfo.router")), "192.168.5.1");
    CHECK_STR(cJSON_GetStringValue(item(empty, "gatewayInfo.lease_time")), "3600");
}

static void test_settings(void)
{
    char err[256] = "";

    CHECK_STR(ops_network_backend(), "libvirt");
    CHECK_STR(ops_network_forward(), "nat");
    CHECK_STR(ops_network_ovn_nb(), SWITCH_OVN_NB_DEFAULT);

    CHECK_INT(ops_network_configure("ovn", "tcp:127.0.0.1:6641", "isolated", err, sizeof(err)),
              0);
    CHECK_STR(ops_network_backend(), "ovn");
    CHECK_STR(ops_network_ovn_nb(), "tcp:127.0.0.1:6641");
    CHECK_STR(ops_network_forward(), "isolated");

    /* A bad value names its key and changes nothing. */
    CHECK_INT(ops_network_configure("ovs", NULL, NULL, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "worker.switch-backend") && strstr(err, "'ovs'"));
    CHECK_INT(ops_network_configure(NULL, NULL, "route", err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "worker.switch-forward") && strstr(err, "'route'"));
    CHECK_INT(ops_network_configure(NULL, "", NULL, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "worker.ovn-nb") != NULL);
    CHECK_STR(ops_network_backend(), "ovn");
    CHECK_STR(ops_network_forward(), "isolated");

    /* NULL is the default. */
    CHECK_INT(ops_network_configure(NULL, NULL, NULL, err, sizeof(err)), 0);
    CHECK_STR(ops_network_backend(), "libvirt");
    CHECK_STR(ops_network_ovn_nb(), SWITCH_OVN_NB_DEFAULT);
    CHECK_STR(ops_network_forward(), "nat");
}

int main(void)
{
    test_subnet();
    test_mac();
    test_data();
    test_settings();
    return test_finish();
}
