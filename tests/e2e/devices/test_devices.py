#!/usr/bin/env python3
"""The device operations end to end: requests written into a
VirtualMachine resource go through the bridge, Kafka and the worker (libvirt
test driver) and their outcomes land in the resource.

libvirt 9.0's test driver has no device hot-plug, update or migration, so
here plugDisk, unplugNIC, manageISO and migrateVM must come back as the
libvirt error of that call (every check of the worker passed and libvirt was
reached), the worker's own refusals as VirtctlError naming the field, and
updateOS and the network bandwidth of createAndStartVMFromISO as successes.
tests/real/devices/ runs the hot-plugs on QEMU.

Usage: test_devices.py kafka|embedded-kafka
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Kube, Pipeline, peer_value, waiting_of  # noqa: E402

t = Failures()
MAC = "52:54:00:aa:00:01"


def vm(name, namespace, node, lifecycle):
    return {"apiVersion": "cloudplus.io/v1alpha3", "kind": "VirtualMachine",
            "metadata": {"name": name, "namespace": namespace, "labels": {"host": node}},
            "spec": {"lifecycle": lifecycle, "nodeName": node}}


def request(kube, ns, name, lifecycle):
    code, _ = kube.merge_patch("VirtualMachine", ns, name, {"spec": {"lifecycle": lifecycle}})
    t.check(code == 200, f"patch {lifecycle} answered {code}")
    return kube.wait_outcome("VirtualMachine", ns, name)


def expect(obj, reason, what, message_part=None):
    if not t.check(obj is not None, f"{what}: resource still exists"):
        return None
    waiting = waiting_of(obj)
    t.check(waiting["reason"] == reason,
            f"{what}: reason {waiting['reason']!r} ({waiting['message']}), want {reason!r}")
    if message_part:
        t.check(message_part in waiting["message"],
                f"{what}: message {waiting['message']!r} lacks {message_part!r}")
    return waiting


def interfaces(obj):
    devices = (obj or {}).get("spec", {}).get("domain", {}).get("devices", {})
    found = devices.get("interface", [])
    return found if isinstance(found, list) else [found]


def main():
    broker = sys.argv[1] if len(sys.argv) > 1 else "embedded-kafka"
    kube = Kube()
    root = tempfile.mkdtemp(prefix="vmrelay-e2e-devices-")
    iso = os.path.join(root, "install.iso")
    os_disk = os.path.join(root, "root.img")
    template = os.path.join(root, "template.img")
    for path, data in ((iso, b"\0" * 4096), (os_disk, b"old disk"), (template, b"template")):
        with open(path, "wb") as f:
            f.write(data)

    extra = ["--set", f"paths.roots=/var/lib/libvirt,{root}"]
    with Pipeline(peer_value(broker, "bootstrap"), nodes=("devnode",), extra=extra) as p:
        p.start(kube)
        ns, name = p.namespace, f"devvm{p.tag}"

        # inbound/outbound, which virt-install cannot take, reach the
        # domain; l2bridge is an Open vSwitch port.
        create = {"createAndStartVMFromISO": {
            "memory": "512", "vcpus": "1", "cdrom": iso, "disk": os_disk,
            "os_variant": "centos7.0", "graphics": "vnc,listen=0.0.0.0",
            "network": f"type=l2bridge,source=br-int,inbound=102400,outbound=2048,mac={MAC}",
            "noautoconsole": True}}
        code, _ = kube.create(vm(name, ns, "devnode", create))
        t.check(code == 201, f"create answered {code}")
        obj = kube.wait_outcome("VirtualMachine", ns, name, timeout=60)
        expect(obj, "Running", "createAndStartVMFromISO")
        nics = [i for i in interfaces(obj) if i.get("mac", {}).get("address") == MAC]
        t.check(len(nics) == 1, f"interface {MAC} in spec.domain: {interfaces(obj)}")
        if nics:
            bw = nics[0].get("bandwidth", {})
            t.check(bw.get("inbound", {}).get("average") == "102400" and
                    bw.get("outbound", {}).get("average") == "2048",
                    f"bandwidth in spec.domain: {bw}")
            t.check(nics[0].get("virtualport", {}).get("type") == "openvswitch",
                    f"virtualport: {nics[0].get('virtualport')}")

        steps = [
            # Checked by the worker, then refused by the test driver.
            ({"plugDisk": {"source": os_disk, "target": "vdb", "read_bytes_sec": "1024",
                           "live": True}}, "LibvirtError", "Cannot attach the disk"),
            ({"plugNIC": {"type": "bridge", "source": "source=br0", "mac": "52:54:00:aa:00:02",
                          "inbound": 100}}, "LibvirtError", "Cannot attach the network"),
            ({"unplugNIC": {"type": "l3bridge", "mac": MAC}}, "LibvirtError",
             "Cannot detach the network"),
            ({"manageISO": {"path": iso, "update": True}}, "LibvirtError",
             "Cannot change the CD-ROM medium"),
            ({"migrateVM": {"desturi": "test:///default", "p2p": True}}, "LibvirtError",
             "Cannot migrate"),
            # Refused by the worker, naming the field.
            ({"plugNIC": {"type": "bridge", "source": "source=br0,switch=sw1",
                          "mac": "52:54:00:aa:00:03"}}, "VirtctlError", "'switch'"),
            ({"unplugDisk": {"target": "vdz"}}, "VirtctlError", "'target'"),
            ({"unplugNIC": {"type": "bridge", "mac": MAC}}, "VirtctlError", "'type'"),
            ({"plugDevice": {"file": iso}}, "VirtctlError", "'file'"),
            ({"updateOS": {"source": os_disk, "target": template}}, "VirtctlError", "shut off"),
            ({"migrateVM": {"desturi": "test:///default", "tunnelled": True}}, "VirtctlError",
             "'tunnelled'"),
            # Refused by the bridge before dispatch.
            ({"plugDisk": {"source": "/etc/passwd", "target": "vdb"}}, "VirtctlError",
             "source"),
            # updateOS on the stopped VM really replaces the disk.
            ({"stopVMForce": {}}, "Shutdown", None),
            ({"updateOS": {"source": os_disk, "target": template}}, "Shutdown", None),
        ]
        for lifecycle, reason, part in steps:
            op = next(iter(lifecycle))
            expect(request(kube, ns, name, lifecycle), reason, op, part)
        with open(os_disk, "rb") as f:
            t.check(f.read() == b"template", "updateOS copied the template over the disk")

        code, _ = kube.merge_patch("VirtualMachine", ns, name,
                                   {"spec": {"lifecycle": {"deleteVM": {}}}})
        t.check(all(p.alive().values()), f"every program still running: {p.alive()}")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
