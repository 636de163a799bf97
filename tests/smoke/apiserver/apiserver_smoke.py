#!/usr/bin/env python3
"""Smoke test of the API server peer: the behaviour vmrelay relies on.

Talks to the server with the client certificate of the peer's kubeconfig
(python3 stdlib only) and checks, each step asserting:
discovery of the seven kinds, that anonymous requests are refused, create,
LIST, WATCH from the list's resourceVersion (a MODIFIED event arrives),
merge-patch of spec (generation moves), merge-patch of /status (generation
and spec stay), the printer columns, and delete.
"""
import http.client
import json
import os
import re
import ssl
import sys
import time

GROUP = "/apis/cloudplus.io/v1alpha3"
VMS = GROUP + "/namespaces/default/virtualmachines"
KINDS = {
    "virtualmachines": "vm",
    "virtualmachinesnapshots": "vmsn",
    "virtualmachinepools": "vmp",
    "virtualmachinenetworks": "vmn",
    "virtualmachineimages": "vmi",
    "virtualmachinedisks": "vmd",
    "virtualmachinediskimages": "vmdi",
}
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"ok {checks} - {what}")


def kubeconfig():
    peers = os.environ.get("VMRELAY_PEERS_DIR")
    if not peers:
        sys.exit("VMRELAY_PEERS_DIR is not set; run this test through ctest")
    path = os.path.join(peers, "apiserver", "kubeconfig")
    with open(path, encoding="utf-8") as f:
        text = f.read()

    def field(key):
        m = re.search(rf"^\s*{key}: *(\S+)\s*$", text, re.M)
        if not m:
            sys.exit(f"{path}: no {key}")
        return m.group(1)

    return {k: field(k) for k in
            ("server", "certificate-authority", "client-certificate", "client-key")}


class Api:
    def __init__(self, cfg, with_cert=True):
        m = re.fullmatch(r"https://([^:/]+):(\d+)", cfg["server"])
        self.host, self.port = m.group(1), int(m.group(2))
        self.ctx = ssl.create_default_context(cafile=cfg["certificate-authority"])
        if with_cert:
            self.ctx.load_cert_chain(cfg["client-certificate"], cfg["client-key"])

    def conn(self):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)

    def call(self, method, path, body=None, ctype="application/json", accept="application/json"):
        c = self.conn()
        headers = {"Accept": accept}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = ctype
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        raw = r.read()
        c.close()
        try:
            return r.status, json.loads(raw) if raw else None
        except ValueError:
            return r.status, raw.decode(errors="replace")


class Watch:
    """One WATCH stream, read an event (one JSON line) at a time."""

    def __init__(self, api, path):
        self.c = api.conn()
        self.c.request("GET", path, headers={"Accept": "application/json"})
        self.r = self.c.getresponse()

    def next_event(self, deadline):
        while time.monotonic() < deadline:
            line = self.r.readline()
            if not line:
                return None
            if line.strip():
                return json.loads(line)
        return None

    def close(self):
        self.c.close()


def main():
    cfg = kubeconfig()
    api = Api(cfg)

    status, disc = api.call("GET", GROUP)
    check(status == 200, f"GET {GROUP} is served ({status})")
    served = {r["name"]: r for r in disc["resources"]}
    for plural, short in KINDS.items():
        r = served.get(plural)
        check(r is not None and r["namespaced"] and r.get("shortNames") == [short],
              f"{plural} is namespaced with short name {short}")
        check(plural + "/status" in served, f"{plural} has the status subresource")

    table_accept = "application/json;as=Table;v=v1;g=meta.k8s.io"
    for plural in KINDS:
        if plural == "virtualmachines":
            continue
        path = f"{GROUP}/namespaces/default/{plural}"
        status, table = api.call("GET", path, accept=table_accept)
        cols = [c["name"] for c in table["columnDefinitions"]] if status == 200 else status
        check(cols == ["Name", "STATUS", "NODE", "AGE"], f"{plural} printer columns ({cols})")

    status, _ = Api(cfg, with_cert=False).call("GET", VMS)
    check(status in (401, 403), f"a request without a client certificate is refused ({status})")

    name = f"smoke-{os.getpid()}-{int(time.time())}"
    vm = {
        "apiVersion": "cloudplus.io/v1alpha3",
        "kind": "VirtualMachine",
        "metadata": {"name": name, "namespace": "default", "labels": {"host": "node-a"}},
        "spec": {"nodeName": "node-a",
                 "owner": {"team": "smoke"},
                 "domain": {"uuid": {"text": "0f0e0d0c-0000-4000-8000-000000000001"},
                            "vcpu": {"text": "1", "_placement": "static"},
                            "memory": {"text": "1048576", "_unit": "KiB"}}},
    }
    status, created = api.call("POST", VMS, vm)
    check(status == 201, f"create VirtualMachine default/{name} ({status})")
    check(created["metadata"]["generation"] == 1, "a new resource has generation 1")
    check(created["spec"]["domain"]["vcpu"]["_placement"] == "static",
          "unknown spec fields are preserved")

    status, listed = api.call("GET", VMS)
    check(status == 200, f"LIST virtualmachines ({status})")
    check(name in [i["metadata"]["name"] for i in listed["items"]],
          "the LIST holds the new resource")
    list_rv = listed["metadata"]["resourceVersion"]
    check(bool(list_rv), f"the LIST has a resourceVersion ({list_rv})")

    watch = Watch(api, f"{VMS}?watch=1&resourceVersion={list_rv}&timeoutSeconds=60")
    check(watch.r.status == 200, f"WATCH from resourceVersion {list_rv} ({watch.r.status})")

    # No spec.lifecycle anywhere: a vmrelay bridge sharing this server must
    # find no request in this resource and leave it (and its generation) alone.
    patch = {"spec": {"owner": None, "status": {"conditions": {"state": {"waiting": {
        "reason": "Running", "message": "started"}}}}}}
    status, patched = api.call("PATCH", f"{VMS}/{name}", patch, "application/merge-patch+json")
    check(status == 200, f"merge-patch spec ({status})")
    check("owner" not in patched["spec"], "merge-patch null removes a spec field")
    check(patched["spec"]["domain"]["uuid"]["text"].startswith("0f0e0d0c"),
          "merge-patch keeps the other spec fields")
    check(patched["metadata"]["generation"] == 2, "patching spec moves generation to 2")

    deadline = time.monotonic() + 30
    seen = []
    event = watch.next_event(deadline)
    while event is not None:
        obj = event["object"]
        seen.append((event["type"], obj.get("metadata", {}).get("name")))
        if event["type"] == "MODIFIED" and obj["metadata"]["name"] == name:
            break
        event = watch.next_event(deadline)
    check(event is not None, f"the WATCH delivers MODIFIED for {name} (saw {seen})")
    check(("ADDED", name) not in seen,
          "a WATCH from the LIST's resourceVersion does not replay ADDED")
    got = event["object"]["spec"]["status"]["conditions"]["state"]["waiting"]["reason"]
    check(got == "Running", f"the MODIFIED event carries the patched spec ({got})")
    watch.close()

    status_patch = {
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Running",
                                   "message": "started", "observedGeneration": 2,
                                   "lastTransitionTime": "2026-01-01T00:00:00Z"}]},
        "spec": {"nodeName": "must-be-ignored"},
    }
    status, st = api.call("PATCH", f"{VMS}/{name}/status", status_patch,
                          "application/merge-patch+json")
    check(status == 200, f"merge-patch /status ({status})")
    check(st["status"]["conditions"][0]["reason"] == "Running", "the status is written")
    check(st["metadata"]["generation"] == 2, "patching /status leaves generation at 2")
    check(st["spec"]["nodeName"] == "node-a", "patching /status leaves spec alone")

    status, again = api.call("PATCH", f"{VMS}/{name}",
                             {"spec": {"domain": {"vcpu": {"text": "2"}}}},
                             "application/merge-patch+json")
    check(status == 200 and again["metadata"]["generation"] == 3,
          f"a second spec patch moves generation to 3 ({status})")
    check(again["status"]["conditions"][0]["type"] == "Ready", "a spec patch keeps the status")

    status, table = api.call("GET", f"{VMS}/{name}", accept=table_accept)
    check(status == 200 and table.get("kind") == "Table", f"GET as Table ({status})")
    cols = [c["name"] for c in table["columnDefinitions"]]
    check(cols == ["Name", "STATUS", "NODE", "UUID", "CPU", "RAM", "AGE"],
          f"VirtualMachine printer columns ({cols})")
    cells = table["rows"][0]["cells"]
    want = ["Running", "node-a", "0f0e0d0c-0000-4000-8000-000000000001", "2", "1048576"]
    check(cells[1:6] == want,
          f"printer column values ({cells})")

    status, _ = api.call("DELETE", f"{VMS}/{name}")
    check(status == 200, f"delete ({status})")
    status, _ = api.call("GET", f"{VMS}/{name}")
    check(status == 404, f"the deleted resource is gone ({status})")

    print(f"{checks} passed, 0 failed")


if __name__ == "__main__":
    main()
