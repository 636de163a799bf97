#!/usr/bin/env python3
"""The fleet end to end on real programs: the bridge schedules a new VM onto
the live node with room, says so in the resource when a node's worker is
lost, and a domain changed by hand on a node reaches the resources.

1. Scheduling: two workers on test-driver nodes of different capacity
   (one with 256 MiB of memory, too small for the 512 MiB VM; the other
   with 16 GiB but two running domains, so it loses on load). A
   createAndStartVMFromISO with no spec.nodeName and no label host gets the
   big node written into spec.nodeName and label host, and ends Running.
2. Dead node: the big node's worker is killed (SIGKILL, no last
   heartbeat); after fleet.grace-seconds a request on its VM is still
   dispatched and status.lastRequest.message says the node is unavailable.
3. Changed by hand: a worker on the libvirtd peer (QEMU driver); a domain
   defined there with virsh (never started) gets a resource, and its
   undefine with virsh removes the resource (docs/messages.md, node event).

Usage: test_fleet_pipeline.py
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Kube, Pipeline, peer_value, waiting_of  # noqa: E402

t = Failures()
HEARTBEAT_S = 1
GRACE_S = 3

NODE = """<?xml version="1.0"?>
<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><active>{cpus}</active><nodes>1</nodes>
    <sockets>1</sockets><cores>{cpus}</cores><threads>1</threads></cpu>
  <memory>{memory}</memory>
{domains}</node>
"""

# A running domain: load that makes the big node the less attractive one
# by load, so that only the room check keeps the VM off the small node.
BUSY = """  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>busy{index}</name>
    <memory unit='MiB'>64</memory>
    <vcpu>1</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <test:runstate>1</test:runstate>
  </domain>
"""


def node_file(folder, name, memory_kib, cpus, busy=0):
    path = os.path.join(folder, f"{name}.xml")
    with open(path, "w") as f:
        f.write(NODE.format(memory=memory_kib, cpus=cpus,
                            domains="".join(BUSY.format(index=i) for i in range(busy))))
    return path


def wait_for(predicate, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    t.check(False, f"{what} within {timeout} s")
    return None


def get(kube, ns, name):
    code, obj = kube.get("VirtualMachine", ns, name)
    return obj if code == 200 else None


def start_worker(p, node, uri, more=()):
    p.start_one(f"worker-{node}", [
        f"{p.bin}/worker/main/vmrelay-worker", "--node", node, "--libvirt-uri", uri,
        "--set", f"worker.heartbeat-seconds={HEARTBEAT_S}"] + list(more) + p.common())


def check_scheduling_and_lost_node(kube, bootstrap, folder):
    iso_root = os.path.join(folder, "iso")
    os.makedirs(iso_root)
    iso = os.path.join(iso_root, "install.iso")
    with open(iso, "wb") as f:
        f.write(b"\0" * 4096)
    small = node_file(folder, "small", 262144, 4)        # 256 MiB
    big = node_file(folder, "big", 16777216, 4, busy=2)  # 16 GiB, 2 running
    extra = ["--set", f"paths.roots=/var/lib/libvirt,{iso_root}",
             "--set", f"fleet.grace-seconds={GRACE_S}"]
    with Pipeline(bootstrap, nodes=(), extra=extra) as p:
        nsmall, nbig = f"small{p.tag}", f"big{p.tag}"
        start_worker(p, nsmall, f"test://{small}")
        start_worker(p, nbig, f"test://{big}")
        p.start_bridge(kube)
        p.start_status(kube)
        # Both heartbeats in the bridge's table before the request.
        time.sleep(3 * HEARTBEAT_S + 2)

        ns, name = p.namespace, f"schedvm{p.tag}"
        create = {"createAndStartVMFromISO": {
            "memory": "512", "vcpus": "1", "cdrom": iso,
            "disk": os.path.join(iso_root, "root.qcow2") + ",size=1",
            "os_variant": "centos7.0", "graphics": "vnc,listen=0.0.0.0",
            "network": "type=bridge,source=virbr0", "noautoconsole": True}}
        code, _ = kube.create({"apiVersion": "cloudplus.io/v1alpha3", "kind": "VirtualMachine",
                               "metadata": {"name": name, "namespace": ns},
                               "spec": {"lifecycle": create}})
        t.check(code == 201, f"create answered {code}")
        obj = kube.wait_outcome("VirtualMachine", ns, name, timeout=60)
        if not t.check(obj is not None, "scheduled VM: resource still exists"):
            return
        t.check(obj["spec"].get("nodeName") == nbig,
                f"spec.nodeName is {obj['spec'].get('nodeName')!r}, want {nbig!r} "
                f"(the only node with 512 MiB free)")
        t.check(obj["metadata"].get("labels", {}).get("host") == nbig,
                f"label host is {obj['metadata'].get('labels', {}).get('host')!r}, want {nbig!r}")
        waiting = waiting_of(obj)
        t.check(waiting["reason"] == "Running",
                f"scheduled VM: reason {waiting['reason']!r} ({waiting['message']}), want Running")
        last = obj.get("status", {}).get("lastRequest", {})
        t.check(last.get("phase") == "Succeeded" and last.get("node") == nbig,
                f"scheduled VM: lastRequest {last}")

        # 2. The big node's worker dies without a last heartbeat.
        p.stop(f"worker-{nbig}", signal.SIGKILL)
        time.sleep(GRACE_S + 2)
        previous = last.get("id")
        code, _ = kube.merge_patch("VirtualMachine", ns, name,
                                   {"spec": {"lifecycle": {"stopVM": {}}}})
        t.check(code == 200, f"patch stopVM answered {code}")

        def unavailable():
            o = get(kube, ns, name)
            rec = (o or {}).get("status", {}).get("lastRequest", {})
            # Pending first (the record), then Dispatched once published:
            # the message must still be there when the request is out.
            return rec.get("id") != previous and rec.get("phase") == "Dispatched" and \
                "unavailable" in rec.get("message", "") and rec
        rec = wait_for(unavailable, "status.lastRequest (phase Dispatched) says in its message "
                       "that the node is unavailable")
        if rec:
            t.check(nbig in rec["message"], f"message names the node: {rec['message']!r}")
            time.sleep(2)
            o = get(kube, ns, name) or {}
            t.check("lifecycle" in o.get("spec", {}),
                    "the request waits (spec.lifecycle kept, no outcome) while the node is lost")
        t.check(all(p.alive().values()), f"every other program still running: {p.alive()}")


DOMAIN = """<domain type='{type}'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
"""


def check_by_hand(kube, bootstrap, folder):
    uri = peer_value("libvirt", "uri")
    accel = peer_value("libvirt", "accel")

    def virsh(*args):
        return subprocess.run(["virsh", "-c", uri] + list(args), capture_output=True,
                              text=True, timeout=60)

    with Pipeline(bootstrap, nodes=()) as p:
        ns, node, name = p.namespace, f"hand{p.tag}", f"handmade{p.tag}"
        start_worker(p, node, uri, ["--set", f"worker.namespace={ns}"])
        p.start_status(kube)
        time.sleep(3)
        xml = os.path.join(folder, "domain.xml")
        with open(xml, "w") as f:
            f.write(DOMAIN.format(type="kvm" if accel == "kvm" else "qemu", name=name))
        r = virsh("define", xml)
        if not t.check(r.returncode == 0, f"virsh define: {r.stderr.strip()}"):
            return
        obj = None
        try:
            obj = wait_for(lambda: get(kube, ns, name), "a resource for the domain defined by hand")
            if obj:
                t.check(obj["spec"].get("nodeName") == node,
                        f"spec.nodeName is {obj['spec'].get('nodeName')!r}, want {node!r}")
                t.check(obj["metadata"].get("labels", {}).get("host") == node, "label host")
                t.check(obj["spec"].get("domain", {}).get("name", {}).get("text") == name,
                        "spec.domain mirrored")
                state = obj.get("spec", {}).get("status", {}).get("conditions", {}) \
                    .get("state", {}).get("waiting", {}).get("reason")
                t.check(state == "Shutdown", f"reason {state!r}, want Shutdown")
        finally:
            r = virsh("undefine", name)
        t.check(r.returncode == 0, f"virsh undefine: {r.stderr.strip()}")
        if obj:
            wait_for(lambda: kube.get("VirtualMachine", ns, name)[0] == 404,
                     "the resource removed after an undefine by hand")
        t.check(all(p.alive().values()), f"every program still running: {p.alive()}")


def main():
    bootstrap = peer_value("embedded-kafka", "bootstrap")
    kube = Kube()
    folder = tempfile.mkdtemp(prefix="vmrelay-e2e-fleet-")
    check_scheduling_and_lost_node(kube, bootstrap, folder)
    check_by_hand(kube, bootstrap, folder)
    code = t.finish()
    if code == 0:
        subprocess.run(["rm", "-rf", folder])
    return code


if __name__ == "__main__":
    sys.exit(main())
