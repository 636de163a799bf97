#!/usr/bin/env python3
"""The status writer mirrors what a node saw on its own into the resources:
a domain defined by hand gets a resource; started and stopped refresh its
state; a resource with a request in flight is left to that request; an
undefined domain's resource is removed.

Events are published with kcat, as a worker would.
Usage: test_mirror.py kafka|embedded-kafka
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Kube, Pipeline, peer_value  # noqa: E402

t = Failures()


def publish(bootstrap, topic, key, value):
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-k", key],
                   input=json.dumps(value).encode(), check=True, timeout=30)


def event(node, ns, name, what, state, reason="by hand"):
    return {"version": 1, "node": node, "kind": "VirtualMachine", "name": name,
            "namespace": ns, "event": what, "reason": reason, "state": state,
            "spec": {"domain": {"type": "test", "name": {"text": name}}},
            "time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}


def wait_for(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    t.check(False, f"{what} within {timeout} s")
    return None


def waiting(obj):
    return obj.get("spec", {}).get("status", {}).get("conditions", {}) \
        .get("state", {}).get("waiting", {})


def main():
    broker = sys.argv[1] if len(sys.argv) > 1 else "embedded-kafka"
    bootstrap = peer_value(broker, "bootstrap")
    kube = Kube()
    with Pipeline(bootstrap, nodes=()) as p:
        p.start_status(kube)
        ns, node, topic = p.namespace, "mirrornode", f"{p.prefix}.events"
        name = f"handmade{p.tag}"
        key = f"VirtualMachine/{ns}/{name}"

        def get():
            code, obj = kube.get("VirtualMachine", ns, name)
            return obj if code == 200 else None

        publish(bootstrap, topic, key, event(node, ns, name, "defined", "Shutdown"))
        obj = wait_for(get, "a resource for the domain defined by hand")
        if obj:
            t.check(obj["spec"].get("nodeName") == node, "spec.nodeName is the node")
            t.check(obj["metadata"]["labels"].get("host") == node, "label host is the node")
            t.check(obj["spec"]["domain"]["name"]["text"] == name, "spec.domain mirrored")
            t.check(waiting(obj).get("reason") == "Shutdown", f"reason {waiting(obj)}")

        publish(bootstrap, topic, key, event(node, ns, name, "started", "Running", "booted"))
        obj = wait_for(lambda: (o := get()) and waiting(o).get("reason") == "Running" and o,
                       "reason Running after a start by hand")
        if obj:
            t.check(node in waiting(obj).get("message", ""), "message names the node")

        # A request in flight owns the resource: the event is not mirrored.
        code, _ = kube.merge_patch("VirtualMachine", ns, name,
                                   {"spec": {"lifecycle": {"stopVM": {}}}})
        t.check(code == 200, f"patch answered {code}")
        publish(bootstrap, topic, key, event(node, ns, name, "crashed", "Crashed", "panicked"))
        time.sleep(2)
        obj = get()
        t.check(obj and waiting(obj).get("reason") == "Running",
                "an event during a request in flight is left to the request")
        kube.merge_patch("VirtualMachine", ns, name, {"spec": {"lifecycle": None}})

        # An event from a node the resource does not name is not mirrored.
        publish(bootstrap, topic, key, event("othernode", ns, name, "stopped", "Shutdown"))
        time.sleep(2)
        obj = get()
        t.check(obj and waiting(obj).get("reason") == "Running",
                "an event from another node leaves the resource alone")

        publish(bootstrap, topic, key, event(node, ns, name, "undefined", "Shutdown", "removed"))
        wait_for(lambda: kube.get("VirtualMachine", ns, name)[0] == 404,
                 "the resource removed after an undefine by hand")

        # An unreadable event goes to the dead letters; the writer goes on.
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-k", "x"],
                       input=b"{not json", check=True, timeout=30)
        other = f"handmade2{p.tag}"
        publish(bootstrap, topic, f"VirtualMachine/{ns}/{other}",
                event(node, ns, other, "defined", "Shutdown"))
        wait_for(lambda: kube.get("VirtualMachine", ns, other)[0] == 200,
                 "the writer goes on after an unreadable event")
        t.check(all(p.alive().values()), f"the status writer is still running: {p.alive()}")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
