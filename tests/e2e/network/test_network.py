#!/usr/bin/env python3
"""createSwitch and deleteSwitch end to end on one switch backend: a request
written into a VirtualMachineNetwork goes through the bridge, Kafka and the
worker, and its outcome and the switch's description (spec.type, spec.data)
land in the resource, or the resource goes when the switch is deleted.

libvirt: the worker runs on libvirt's test driver with networknode.xml. The
    test driver lives inside the worker process, so what libvirt holds is
    read through the worker: a second create of the same name is refused,
    a delete of a deleted switch is libvirt's own "no network", and the
    name can be created again after the delete.
ovn: the worker writes the northbound database of the "ovn" peer
    (ovsdb-server), and the test reads the rows back with ovn-nbctl.

Usage: test_network.py libvirt|ovn kafka|embedded-kafka
"""
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Kube, Pipeline, peer_value, waiting_of  # noqa: E402

NODE = "netnode"
NODE_FILE = os.path.abspath(os.path.join(os.path.dirname(__file__), "networknode.xml"))
KIND = "VirtualMachineNetwork"
ROUTER = "vmrelay-router"

t = Failures()


class Run:
    """Creates and patches resources of one namespace and waits for outcomes."""

    def __init__(self, kube, ns):
        self.kube = kube
        self.ns = ns

    def create(self, name, lifecycle):
        obj = {"apiVersion": "cloudplus.io/v1alpha3", "kind": KIND,
               "metadata": {"name": name, "namespace": self.ns, "labels": {"host": NODE}},
               "spec": {"nodeName": NODE, "lifecycle": lifecycle}}
        code, _ = self.kube.create(obj)
        t.check(code == 201, f"create {name} answered {code}")
        return self.kube.wait_outcome(KIND, self.ns, name)

    def patch(self, name, lifecycle):
        previous = self.kube.last_request_id(KIND, self.ns, name)
        code, _ = self.kube.merge_patch(KIND, self.ns, name, {"spec": {"lifecycle": lifecycle}})
        t.check(code == 200, f"patch {name} {lifecycle} answered {code}")
        return self.kube.wait_outcome(KIND, self.ns, name, previous_id=previous)


def expect(obj, reason, what, part=None, phase=None):
    if not t.check(obj is not None, f"{what}: resource still exists"):
        return False
    waiting = waiting_of(obj)
    ok = t.check(waiting["reason"] == reason,
                 f"{what}: reason {waiting['reason']!r} ({waiting['message']}), want {reason!r}")
    if part:
        t.check(part in waiting["message"],
                f"{what}: message {waiting['message']!r} lacks {part!r}")
    t.check("lifecycle" not in obj["spec"], f"{what}: spec.lifecycle removed")
    if phase:
        got = obj.get("status", {}).get("lastRequest", {}).get("phase")
        t.check(got == phase, f"{what}: lastRequest.phase {got!r}, want {phase!r}")
    return ok


def expect_gone(obj, what):
    detail = "" if obj is None else f": {waiting_of(obj)}"
    t.check(obj is None, f"{what}: the resource was removed{detail}")


def data_of(obj):
    return (obj or {}).get("spec", {}).get("data", {})


def check_shape(obj, backend, what):
    """spec.type and spec.data in the shape of the API document's return value."""
    spec = (obj or {}).get("spec", {})
    t.check(spec.get("type") == backend, f"{what}: spec.type {spec.get('type')!r}")
    data = data_of(obj)
    want = {"switchInfo": {"id", "name", "port"},
            "routerInfo": {"id", "name", "nat", "port"},
            "gatewayInfo": {"id", "lease_time", "router", "server_id", "server_mac"}}
    t.check(set(data) == set(want), f"{what}: spec.data keys {sorted(data)}")
    for part, keys in want.items():
        t.check(set(data.get(part, {})) == keys,
                f"{what}: spec.data.{part} keys {sorted(data.get(part, {}))}")
    gw = data.get("gatewayInfo", {})
    t.check(gw.get("router") == "192.168.5.1" and gw.get("server_id") == "192.168.5.1",
            f"{what}: the gateway is the subnet's .1: {gw}")
    t.check(gw.get("lease_time") == "3600", f"{what}: lease_time {gw.get('lease_time')!r}")
    ports = data.get("routerInfo", {}).get("port", [])
    t.check(len(ports) == 1 and ports[0].get("networks") == "192.168.5.1/24"
            and ports[0].get("gateway") == "192.168.5.1",
            f"{what}: one router port at 192.168.5.1/24: {ports}")
    t.check(data.get("switchInfo", {}).get("name") == obj["metadata"]["name"],
            f"{what}: switchInfo.name is the resource's name")


def bad_subnets(r):
    # The bridge checks the form; the worker also needs room for a gateway
    # and a client. Either way the message names the field.
    obj = r.create("netbadd01", {"createSwitch": {"subnet": "192.168.5.300/24"}})
    expect(obj, "VirtctlError", "createSwitch with a bad address", "subnet", phase="Rejected")
    obj = r.create("netbadd02", {"createSwitch": {"subnet": "192.168.5.1/31"}})
    expect(obj, "VirtctlError", "createSwitch with /31", "'subnet'", phase="Failed")
    t.check(not data_of(obj), "createSwitch with /31: no spec.data")
    obj = r.create("netbadd03", {"createSwitch": {}})
    expect(obj, "VirtctlError", "createSwitch without subnet", "subnet", phase="Rejected")


def test_libvirt(r):
    obj = r.create("netaaaa01", {"createSwitch": {"subnet": "192.168.5.1/24"}})
    expect(obj, "Ready", "createSwitch", "192.168.5.0/24", phase="Succeeded")
    check_shape(obj, "libvirt", "createSwitch")
    data = data_of(obj)
    t.check(len(data.get("switchInfo", {}).get("id", "")) == 36,
            f"createSwitch: switchInfo.id is the network's UUID: {data.get('switchInfo')}")
    nat = data.get("routerInfo", {}).get("nat", [])
    t.check(len(nat) == 1 and nat[0].get("logicalIP") == "192.168.5.0/24",
            f"createSwitch: the NAT of the subnet: {nat}")
    mac = data.get("gatewayInfo", {}).get("server_mac", "")
    t.check(mac.startswith("0a:") and len(mac) == 17, f"createSwitch: derived MAC {mac!r}")

    # The network exists in the worker's libvirt: the name is taken.
    obj = r.patch("netaaaa01", {"createSwitch": {"subnet": "10.1.0.1/16"}})
    expect(obj, "VirtctlError", "createSwitch twice", "already exists")

    obj = r.create("netused01", {"deleteSwitch": {}})
    expect(obj, "VirtctlError", "deleteSwitch of a network in use", "used by VM netuser01")

    obj = r.patch("netaaaa01", {"deleteSwitch": {}})
    expect_gone(obj, "deleteSwitch")
    # Gone from libvirt: deleting it again is libvirt's "no network", and
    # the name is free for a new switch.
    obj = r.create("netaaaa01", {"deleteSwitch": {}})
    expect(obj, "LibvirtError", "deleteSwitch of a deleted switch", "netaaaa01", phase="Failed")
    obj = r.patch("netaaaa01", {"createSwitch": {"subnet": "192.168.5.1/24"}})
    expect(obj, "Ready", "createSwitch after the delete")
    obj = r.patch("netaaaa01", {"deleteSwitch": {}})
    expect_gone(obj, "deleteSwitch again")

    bad_subnets(r)


class Nb:
    """ovn-nbctl against the ovn peer's database, with an argument vector."""

    def __init__(self, db):
        self.db = db

    def run(self, *args, ok=True):
        p = subprocess.run(["ovn-nbctl", f"--db={self.db}", "--timeout=10", *args],
                           capture_output=True, text=True, timeout=30)
        if ok and p.returncode != 0:
            raise SystemExit(f"ovn-nbctl {' '.join(args)}: {p.stderr.strip()}")
        return p.stdout.strip()

    def find(self, table, cond, column="_uuid"):
        out = self.run("--bare", f"--columns={column}", "find", table, cond)
        return [line for line in out.splitlines() if line]

    def get(self, table, record, column):
        return self.run("get", table, record, column).strip('"')


def test_ovn(r, nb, sw):
    # The database outlives one run when the peer is kept up: a name of
    # this run's own.
    obj = r.create(sw, {"createSwitch": {"subnet": "192.168.5.1/24"}})
    expect(obj, "Ready", "createSwitch", "192.168.5.0/24", phase="Succeeded")
    check_shape(obj, "ovn", "createSwitch")
    data = data_of(obj)

    # The rows are in the northbound database, and the result names them.
    switches = nb.find("logical_switch", f"name={sw}")
    t.check(len(switches) == 1, f"one logical switch {sw}: {switches}")
    t.check(switches[:1] == [data.get("switchInfo", {}).get("id")],
            f"switchInfo.id is the switch's uuid: {data.get('switchInfo')}")
    t.check(nb.get("logical_switch", sw, "other_config:subnet") == "192.168.5.0/24",
            "the switch's other_config:subnet")
    routers = nb.find("logical_router", f"name={ROUTER}")
    t.check(routers[:1] == [data.get("routerInfo", {}).get("id")],
            f"routerInfo.id is {ROUTER}'s uuid: {routers}")
    mac = data.get("routerInfo", {}).get("port", [{}])[0].get("mac")
    t.check(nb.get("logical_router_port", f"rtr-{sw}", "mac") == mac,
            f"the router port's MAC is the one reported ({mac})")
    t.check(nb.get("logical_router_port", f"rtr-{sw}", "networks") == '["192.168.5.1/24"]',
            "the router port is at 192.168.5.1/24")
    t.check(nb.get("logical_switch_port", f"{sw}-rtr", "type") == "router",
            "the switch port faces the router")
    t.check(nb.get("logical_switch_port", f"{sw}-rtr", "options:router-port")
            == f"rtr-{sw}", "the switch port's router-port")
    dhcp = nb.find("dhcp_options", f"external_ids:vmrelay-switch={sw}")
    t.check(len(dhcp) == 1 and dhcp[0] == data.get("gatewayInfo", {}).get("id"),
            f"one DHCP_Options row, the gatewayInfo.id: {dhcp}")
    if dhcp:
        t.check(nb.get("dhcp_options", dhcp[0], "cidr") == "192.168.5.0/24", "DHCP cidr")
        t.check(nb.get("dhcp_options", dhcp[0], "options:router") == "192.168.5.1",
                "DHCP router option")
        t.check(nb.get("dhcp_options", dhcp[0], "options:server_mac") == mac,
                "DHCP server_mac is the router port's MAC")
    t.check(data.get("routerInfo", {}).get("nat") == [], "no NAT rule on OVN")

    # A second create is refused and changes nothing.
    obj = r.patch(sw, {"createSwitch": {"subnet": "10.1.0.1/16"}})
    expect(obj, "VirtctlError", "createSwitch twice", "already exists")
    t.check(len(nb.find("dhcp_options", f"external_ids:vmrelay-switch={sw}")) == 1,
            "still one DHCP_Options row")
    t.check(nb.get("logical_switch", sw, "other_config:subnet") == "192.168.5.0/24",
            "the subnet is unchanged")

    # A VM's port on the switch keeps it.
    nb.run("lsp-add", sw, f"vm{sw}")
    obj = r.patch(sw, {"deleteSwitch": {}})
    expect(obj, "VirtctlError", "deleteSwitch with a VM port", f"vm{sw}")
    t.check(len(nb.find("logical_switch", f"name={sw}")) == 1, "the switch is kept")
    nb.run("lsp-del", f"vm{sw}")

    obj = r.patch(sw, {"deleteSwitch": {}})
    expect_gone(obj, "deleteSwitch")
    t.check(nb.find("logical_switch", f"name={sw}") == [], "the switch is gone")
    t.check(nb.find("logical_router_port", f"name=rtr-{sw}") == [],
            "the router port is gone")
    t.check(nb.find("logical_switch_port", f"name={sw}-rtr") == [],
            "the switch's router port is gone")
    t.check(nb.find("dhcp_options", f"external_ids:vmrelay-switch={sw}") == [],
            "the DHCP_Options row is gone")
    t.check(len(nb.find("logical_router", f"name={ROUTER}")) == 1,
            f"{ROUTER} stays for other switches")

    obj = r.create(sw, {"deleteSwitch": {}})
    expect(obj, "VirtctlError", "deleteSwitch of a deleted switch", f"has no switch {sw}",
           phase="Failed")

    bad_subnets(r)
    t.check(nb.find("logical_switch", "name=netbadd02") == [], "a refused create wrote nothing")


def check_bad_setting(binary, work):
    """A worker with an unknown backend stops at start, naming the key."""
    p = subprocess.run([binary, "--node", NODE, "--brokers", "127.0.0.1:1",
                        "--set", f"worker.journal={work}/refused.db",
                        "--set", "worker.switch-backend=ovs"],
                       capture_output=True, text=True, timeout=30)
    t.check(p.returncode != 0 and "worker.switch-backend" in p.stderr,
            f"worker.switch-backend=ovs: exit {p.returncode}, {p.stderr.strip()!r}")


def main():
    backend = sys.argv[1] if len(sys.argv) > 1 else "libvirt"
    broker = sys.argv[2] if len(sys.argv) > 2 else "embedded-kafka"
    kube = Kube()
    # A consumer group of its own: a worker of an earlier run that left
    # uncleanly would otherwise hold the group's rebalance for a session.
    # The node journal in a folder of this run, not the system's.
    work = tempfile.mkdtemp(prefix="vmrelay-e2e-network-")
    extra = ["--set", f"worker.group=vmrelay-worker-{NODE}-{uuid.uuid4().hex[:8]}",
             "--set", f"worker.journal={work}/journal.db",
             "--set", f"worker.switch-backend={backend}"]
    nb = None
    if backend == "ovn":
        nb = Nb(peer_value("ovn", "nb"))
        extra += ["--set", f"worker.ovn-nb={nb.db}"]
    check_bad_setting(os.path.join(os.environ["VMRELAY_BINARY_DIR"], "worker", "main",
                                   "vmrelay-worker"), work)
    with Pipeline(peer_value(broker, "bootstrap"), nodes=(NODE,), libvirt_uri=f"test://{NODE_FILE}",
                  extra=extra) as p:
        p.start(kube)
        if backend == "ovn":
            test_ovn(Run(kube, p.namespace), nb, f"net{p.tag}")
        else:
            test_libvirt(Run(kube, p.namespace))
        t.check(all(p.alive().values()), f"every program still running: {p.alive()}")
    shutil.rmtree(work, ignore_errors=True)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
