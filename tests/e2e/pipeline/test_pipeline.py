#!/usr/bin/env python3
"""The main job end to end on real peers: a request written into a
VirtualMachine resource goes through the bridge, the node's Kafka topic and
the worker (libvirt test driver), and its outcome lands in the resource.

Usage: test_pipeline.py kafka|embedded-kafka
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Kube, Pipeline, peer_value, waiting_of  # noqa: E402

t = Failures()


def vm(name, namespace, node, lifecycle, labels=None):
    meta = {"name": name, "namespace": namespace, "labels": dict(labels or {})}
    spec = {"lifecycle": lifecycle}
    if node:
        meta["labels"]["host"] = node
        spec["nodeName"] = node
    return {"apiVersion": "cloudplus.io/v1alpha3", "kind": "VirtualMachine",
            "metadata": meta, "spec": spec}


def request(kube, ns, name, lifecycle):
    previous = kube.last_request_id("VirtualMachine", ns, name)
    code, _ = kube.merge_patch("VirtualMachine", ns, name, {"spec": {"lifecycle": lifecycle}})
    t.check(code == 200, f"patch {lifecycle} answered {code}")
    return kube.wait_outcome("VirtualMachine", ns, name, previous_id=previous)


def expect(obj, reason, what, message_part=None):
    if not t.check(obj is not None, f"{what}: resource still exists"):
        return
    waiting = waiting_of(obj)
    t.check(waiting["reason"] == reason,
            f"{what}: reason {waiting['reason']!r} ({waiting['message']}), want {reason!r}")
    if message_part:
        t.check(message_part in waiting["message"],
                f"{what}: message {waiting['message']!r} lacks {message_part!r}")
    t.check("lifecycle" not in obj["spec"], f"{what}: spec.lifecycle removed")
    last = obj.get("status", {}).get("lastRequest", {})
    t.check(last.get("phase") in ("Succeeded", "Failed", "Rejected"),
            f"{what}: status.lastRequest.phase is {last.get('phase')!r}")


def metric_sum(text, name, match):
    """Sums the samples of one metric whose labels contain match."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if match in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def main():
    broker = sys.argv[1] if len(sys.argv) > 1 else "kafka"
    kube = Kube()
    iso_root = tempfile.mkdtemp(prefix="vmrelay-e2e-iso-")
    iso = os.path.join(iso_root, "install.iso")
    with open(iso, "wb") as f:
        f.write(b"\0" * 4096)

    # Extra settings: an allowed root for the ISO of this test.
    extra = ["--set", f"paths.roots=/var/lib/libvirt,{iso_root}"]
    with Pipeline(peer_value(broker, "bootstrap"), nodes=("e2enode",), extra=extra) as p:
        p.start(kube)
        ns, name = p.namespace, f"pipevm{p.tag}"
        create = {"createAndStartVMFromISO": {
            "memory": "512", "vcpus": "1", "cdrom": iso,
            "disk": os.path.join(iso_root, "root.qcow2") + ",size=1",
            "os_variant": "centos7.0", "graphics": "vnc,listen=0.0.0.0",
            "network": "type=bridge,source=virbr0", "noautoconsole": True}}
        code, _ = kube.create(vm(name, ns, "e2enode", create, {"eventId": "evt0001"}))
        t.check(code == 201, f"create answered {code}")
        obj = kube.wait_outcome("VirtualMachine", ns, name, timeout=60)
        expect(obj, "Running", "createAndStartVMFromISO", "running")
        t.check(obj and "name" in obj["spec"].get("domain", {}), "spec.domain refreshed")
        t.check(obj and obj["spec"].get("domain", {}).get("name", {}).get("text") == name,
                "spec.domain.name.text is the VM's name")

        steps = [
            ({"suspendVM": {}}, "Paused"),
            ({"resumeVM": {}}, "Running"),
            ({"resumeVM": {}}, "LibvirtError"),
            # The test driver refuses live and config together.
            ({"resizeRAM": {"size": "262144", "live": True}}, "Running"),
            ({"changeNumberOfCPU": {"count": 1, "config": True}}, "Running"),
            # After a stop and start the domain runs its final definition,
            # not the install one (whose on_reboot is destroy).
            ({"stopVM": {}}, "Shutdown"),
            ({"startVM": {}}, "Running"),
            ({"rebootVM": {}}, "Running"),
            ({"resetVM": {}}, "Running"),
            ({"stopVMForce": {}}, "Shutdown"),
        ]
        for lifecycle, reason in steps:
            op = next(iter(lifecycle))
            obj = request(kube, ns, name, lifecycle)
            expect(obj, reason, op)
            if reason == "LibvirtError":
                last = obj["status"]["lastRequest"]
                t.check(last.get("error", {}).get("type") == "LibvirtError" and
                        last["error"].get("code", 0) > 0,
                        f"{op}: libvirt error code recorded: {last.get('error')}")
            elif op == "resizeRAM":
                mem = obj["spec"].get("domain", {}).get("currentMemory", {}).get("text")
                t.check(mem == "262144", f"resizeRAM: currentMemory is {mem!r}")

        # An invalid request is never dispatched: its outcome is written at
        # once and names the field.
        obj = request(kube, ns, name, {"resizeRAM": {"size": "lots"}})
        expect(obj, "VirtctlError", "invalid resizeRAM", "size")
        t.check(obj["status"]["lastRequest"]["phase"] == "Rejected", "rejected, not dispatched")
        obj = request(kube, ns, name, {"startVM": {"force": True}})
        expect(obj, "VirtctlError", "unknown field", "force")

        # A resource whose name breaks the rule, and one without a node.
        code, _ = kube.create(vm("shortvm", ns, "e2enode", {"startVM": {}}))
        t.check(code == 201, f"create shortvm answered {code}")
        obj = kube.wait_outcome("VirtualMachine", ns, "shortvm") if code == 201 else None
        expect(obj, "VirtctlError", "bad name", "name")
        code, _ = kube.create(vm(f"nonode{p.tag}", ns, None, {"startVM": {}}))
        obj = kube.wait_outcome("VirtualMachine", ns, f"nonode{p.tag}")
        expect(obj, "VirtctlError", "no node", "nodeName")

        # deleteVM removes the libvirt domain, then the resource.
        code, _ = kube.merge_patch("VirtualMachine", ns, name,
                                   {"spec": {"lifecycle": {"deleteVM": {}}}})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and kube.get("VirtualMachine", ns, name)[0] != 404:
            time.sleep(0.1)
        t.check(kube.get("VirtualMachine", ns, name)[0] == 404, "deleteVM removed the resource")

        # The daemons' metrics agree with what happened.
        code, text = p.scrape("bridge")
        t.check(code == 200, f"bridge /metrics answered {code}")
        dispatched = metric_sum(text, "vmrelay_bridge_requests_total", 'outcome="dispatched"')
        rejected = metric_sum(text, "vmrelay_bridge_requests_total", 'outcome="rejected"')
        t.check(dispatched == len(steps) + 2, f"bridge counted {dispatched} dispatched, "
                f"want {len(steps) + 2}")
        t.check(rejected == 4, f"bridge counted {rejected} rejected, want 4")
        t.check(p.scrape("bridge", "/readyz")[0] == 200, "bridge /readyz")
        code, text = p.scrape("status")
        running = metric_sum(text, "vmrelay_requests_total", 'reason="Running"')
        t.check(running >= 6, f"status writer counted {running} Running outcomes")
        t.check(metric_sum(text, "vmrelay_request_duration_seconds_count", "") >= len(steps),
                "request durations observed")

        t.check(all(p.alive().values()), f"every program still running: {p.alive()}")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
