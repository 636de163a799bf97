#!/usr/bin/env python3
"""Every storage operation of one kind end to end: a request written into a
resource goes through the bridge, Kafka and the worker (libvirt test driver
on storagenode.xml, template pool = storepool), and its outcome and refreshed
description land in the resource, or the resource goes when the operation
removes its object.

Usage: test_storage.py snapshot|pool|disk|diskimage|image kafka|embedded-kafka
"""
import os
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from pipeline import Failures, Kube, Pipeline, peer_value, waiting_of  # noqa: E402

NODE = "storenode"
NODE_FILE = os.path.abspath(os.path.join(os.path.dirname(__file__), "storagenode.xml"))
POOL = "storepool"
POOL_DIR = "/var/lib/libvirt/storepool"

t = Failures()


class Run:
    """Creates and patches resources of one namespace and checks outcomes."""

    def __init__(self, kube, ns):
        self.kube = kube
        self.ns = ns

    def create(self, kind, name, lifecycle):
        obj = {"apiVersion": "cloudplus.io/v1alpha3", "kind": kind,
               "metadata": {"name": name, "namespace": self.ns, "labels": {"host": NODE}},
               "spec": {"nodeName": NODE, "lifecycle": lifecycle}}
        code, _ = self.kube.create(obj)
        t.check(code == 201, f"create {kind}/{name} answered {code}")
        return self.kube.wait_outcome(kind, self.ns, name)

    def patch(self, kind, name, lifecycle):
        code, _ = self.kube.merge_patch(kind, self.ns, name, {"spec": {"lifecycle": lifecycle}})
        t.check(code == 200, f"patch {kind}/{name} {lifecycle} answered {code}")
        return self.kube.wait_outcome(kind, self.ns, name)

    def do(self, kind, name, lifecycle, create=False):
        return (self.create if create else self.patch)(kind, name, lifecycle)


def expect(obj, reason, what, part=None):
    if not t.check(obj is not None, f"{what}: resource still exists"):
        return False
    waiting = waiting_of(obj)
    ok = t.check(waiting["reason"] == reason,
                 f"{what}: reason {waiting['reason']!r} ({waiting['message']}), want {reason!r}")
    if part:
        t.check(part in waiting["message"],
                f"{what}: message {waiting['message']!r} lacks {part!r}")
    t.check("lifecycle" not in obj["spec"], f"{what}: spec.lifecycle removed")
    return ok


def expect_gone(obj, what):
    detail = "" if obj is None else f": {waiting_of(obj)}"
    t.check(obj is None, f"{what}: the resource was removed{detail}")


def text(obj, field, element):
    return (obj or {}).get("spec", {}).get(field, {}).get(element, {}).get("text")


def test_snapshot(r):
    kind, snap = "VirtualMachineSnapshot", "snapaaaa1"
    obj = r.do(kind, snap, {"createSnapshot": {"domain": "storevm01"}}, create=True)
    expect(obj, "Ready", "createSnapshot", "created")
    t.check(text(obj, "domainsnapshot", "name") == snap, "spec.domainsnapshot.name is the snapshot")
    t.check(text(obj, "domainsnapshot", "state") == "shutoff", "snapshot of a shut-off VM")

    obj = r.do(kind, snap, {"revertVirtualMachine": {"domain": "storevm01", "running": True}})
    expect(obj, "Ready", "revertVirtualMachine", "and running")
    t.check(text(obj, "domainsnapshot", "name") == snap, "revert refreshed spec.domainsnapshot")
    obj = r.do(kind, snap, {"revertVirtualMachine": {"domain": "storevm01"}})
    expect(obj, "Ready", "revertVirtualMachine without running")

    obj = r.do(kind, snap, {"createSnapshot": {}})
    expect(obj, "VirtctlError", "createSnapshot without domain", "domain")
    obj = r.do(kind, "snapnone1", {"deleteSnapshot": {"domain": "storevm01"}}, create=True)
    expect(obj, "LibvirtError", "deleteSnapshot of an unknown snapshot", "snapnone1")
    obj = r.do(kind, snap, {"deleteSnapshot": {"domain": "storevm01"}})
    expect_gone(obj, "deleteSnapshot")


def test_pool(r):
    kind, pool = "VirtualMachinePool", "pooltest1"
    obj = r.do(kind, pool, {"createPool": {"type": "dir", "target": "/var/lib/libvirt/pooltest1"}},
               create=True)
    expect(obj, "Ready", "createPool", "starts with the node")
    t.check(text(obj, "pool", "name") == pool, "spec.pool.name is the pool")
    t.check(obj and obj["spec"]["pool"].get("type") == "dir", "spec.pool.type is dir")

    steps = [({"autoStart": {"disable": True}}, "no longer starts"),
             ({"autoStart": {"disable": False}}, "starts with the node"),
             ({"stopPool": {}}, "stopped"),
             ({"startPool": {}}, "running")]
    for lifecycle, part in steps:
        obj = r.do(kind, pool, lifecycle)
        expect(obj, "Ready", next(iter(lifecycle)), part)
        t.check(text(obj, "pool", "name") == pool, f"{lifecycle}: spec.pool refreshed")

    obj = r.do(kind, pool, {"stopPool": {}})
    obj = r.do(kind, pool, {"stopPool": {}})
    expect(obj, "LibvirtError", "stopPool of a stopped pool")
    obj = r.do(kind, "pooltest2", {"createPool": {"type": "netfs",
                                                  "target": "/var/lib/libvirt/pooltest2"}},
               create=True)
    expect(obj, "VirtctlError", "createPool netfs", "'type'")
    obj = r.do(kind, "pooltest2", {"autoStart": {}})
    expect(obj, "VirtctlError", "autoStart without disable", "disable")

    # unregisterPool removes the resource; registerPool brings the pool back
    # from the description the worker saved.
    obj = r.do(kind, pool, {"unregisterPool": {}})
    expect_gone(obj, "unregisterPool")
    obj = r.do(kind, pool, {"registerPool": {}}, create=True)
    expect(obj, "Ready", "registerPool", "registered")
    t.check(obj and obj["spec"].get("pool", {}).get("target", {}).get("path", {}).get("text")
            == "/var/lib/libvirt/pooltest1", "registerPool: same target as before")
    obj = r.do(kind, pool, {"registerPool": {}})
    expect(obj, "VirtctlError", "registerPool twice", "already defined")
    obj = r.do(kind, pool, {"deletePool": {}})
    expect_gone(obj, "deletePool")
    obj = r.do(kind, POOL, {"deletePool": {}}, create=True)
    expect(obj, "VirtctlError", "deletePool of the template pool", "template pool")


def test_disk(r):
    kind = "VirtualMachineDisk"
    obj = r.do(kind, "diskaaaa1", {"createDisk": {"format": "qcow2", "pool": POOL,
                                                  "capacity": "1073741824"}}, create=True)
    expect(obj, "Ready", "createDisk", "created")
    t.check(text(obj, "volume", "name") == "diskaaaa1", "spec.volume.name is the disk")
    t.check(text(obj, "volume", "capacity") == "1073741824", "spec.volume.capacity")

    # The test driver has no virStorageVolResize: libvirt's own refusal.
    obj = r.do(kind, "diskaaaa1", {"resizeDisk": {"pool": POOL, "capacity": 2147483648}})
    expect(obj, "LibvirtError", "resizeDisk on the test driver", "not supported")
    obj = r.do(kind, "diskaaaa1", {"resizeDisk": {"pool": POOL, "capacity": "1024"}})
    expect(obj, "VirtctlError", "resizeDisk shrinking", "capacity")

    obj = r.do(kind, "diskaaaa1", {"cloneDisk": {"pool": POOL, "newname": "diskbbbb1"}})
    expect(obj, "Ready", "cloneDisk", "cloned to diskbbbb1")
    t.check(text(obj, "volume", "name") == "diskaaaa1", "cloneDisk: spec.volume is the source")
    obj = r.do(kind, "diskbbbb1", {"convertDiskToDiskImage": {"pool": POOL}}, create=True)
    expect_gone(obj, "convertDiskToDiskImage")
    obj = r.do(kind, "diskcccc1", {"createDiskFromDiskImage": {"pool": POOL,
                                                               "image": "diskbbbb1"}},
               create=True)
    expect(obj, "Ready", "createDiskFromDiskImage", "diskbbbb1")
    t.check(text(obj, "volume", "name") == "diskcccc1", "createDiskFromDiskImage: spec.volume")

    obj = r.do(kind, "usedisk01", {"deleteDisk": {"pool": POOL}}, create=True)
    expect(obj, "VirtctlError", "deleteDisk of a disk in use", "storevm01")
    obj = r.do(kind, "usedisk01", {"convertDiskToDiskImage": {"pool": POOL}})
    expect(obj, "VirtctlError", "convertDiskToDiskImage of a disk in use", "storevm01")
    obj = r.do(kind, "diskaaaa1", {"deleteDisk": {"pool": POOL}})
    expect_gone(obj, "deleteDisk")
    obj = r.do(kind, "diskaaaa1", {"deleteDisk": {"pool": POOL}}, create=True)
    expect(obj, "LibvirtError", "deleteDisk of a deleted disk", "diskaaaa1")


def test_diskimage(r):
    kind = "VirtualMachineDiskImage"
    src = f"{POOL_DIR}/srcdisk01"
    obj = r.do(kind, "dimgaaaa1", {"createDiskImage": {"source": src}}, create=True)
    expect(obj, "Ready", "createDiskImage", "created")
    t.check(text(obj, "volume", "name") == "dimgaaaa1.diskimage", "spec.volume is the image")
    obj = r.do(kind, "dimgaaaa1", {"convertDiskImageToDisk": {"pool": POOL}})
    expect_gone(obj, "convertDiskImageToDisk")
    # The disk exists now: a disk resource can clone it.
    obj = r.do("VirtualMachineDisk", "dimgaaaa1", {"cloneDisk": {"pool": POOL,
                                                                 "newname": "dimgcopy1"}},
               create=True)
    expect(obj, "Ready", "cloneDisk of the converted image")

    obj = r.do(kind, "dimgbbbb1", {"createDiskImage": {"source": src}}, create=True)
    expect(obj, "Ready", "createDiskImage again")
    obj = r.do(kind, "dimgbbbb1", {"deleteDiskImage": {}})
    expect_gone(obj, "deleteDiskImage")
    obj = r.do(kind, "dimgbbbb1", {"deleteDiskImage": {}}, create=True)
    expect(obj, "LibvirtError", "deleteDiskImage of a deleted image", "dimgbbbb1")
    obj = r.do(kind, "dimgcccc1", {"createDiskImage": {"source": "/var/lib/libvirt/none.qcow2"}},
               create=True)
    expect(obj, "VirtctlError", "createDiskImage of a file outside any pool", "source")


def test_image(r):
    kind = "VirtualMachineImage"
    obj = r.do(kind, "imgaaaaa1", {"createImage": {"disk": f"{POOL_DIR}/srcdisk01"}},
               create=True)
    expect(obj, "Ready", "createImage", "created")
    t.check(text(obj, "domain", "name") == "imgaaaaa1", "spec.domain.name is the image")
    obj = r.do(kind, "imgaaaaa1", {"convertImageToVM": {}})
    expect_gone(obj, "convertImageToVM")
    obj = r.do("VirtualMachine", "imgaaaaa1", {"startVM": {}}, create=True)
    expect(obj, "Running", "startVM of the VM made from the image")
    obj = r.do("VirtualMachine", "imgaaaaa1", {"convertVMToImage": {}})
    expect(obj, "VirtctlError", "convertVMToImage of a running VM", "stop it first")
    obj = r.do("VirtualMachine", "imgaaaaa1", {"stopVMForce": {}})
    expect(obj, "Shutdown", "stopVMForce")
    obj = r.do("VirtualMachine", "imgaaaaa1", {"convertVMToImage": {}})
    expect_gone(obj, "convertVMToImage")
    obj = r.do(kind, "imgaaaaa1", {"deleteImage": {}}, create=True)
    expect_gone(obj, "deleteImage")

    obj = r.do("VirtualMachine", "imagevm01", {"convertVMToImage": {}}, create=True)
    expect_gone(obj, "convertVMToImage of a node VM")
    obj = r.do(kind, "imagevm01", {"convertImageToVM": {}}, create=True)
    expect_gone(obj, "convertImageToVM back")
    obj = r.do(kind, "imgbbbbb1", {"convertImageToVM": {}}, create=True)
    expect(obj, "VirtctlError", "convertImageToVM of an unknown image", "no VM image")
    obj = r.do(kind, "imgbbbbb1", {"createImage": {"disk": "/var/lib/libvirt/none.qcow2"}})
    expect(obj, "VirtctlError", "createImage of a file outside any pool", "disk")


TESTS = {"snapshot": test_snapshot, "pool": test_pool, "disk": test_disk,
         "diskimage": test_diskimage, "image": test_image}


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "disk"
    broker = sys.argv[2] if len(sys.argv) > 2 else "embedded-kafka"
    kube = Kube()
    storage_dir = tempfile.mkdtemp(prefix="vmrelay-e2e-storage-")
    # A consumer group of its own: a worker of an earlier run that left
    # uncleanly would otherwise hold the group's rebalance for a session.
    extra = ["--set", f"worker.template-pool={POOL}", "--set", f"worker.storage-dir={storage_dir}",
             "--set", f"worker.group=vmrelay-worker-{NODE}-{uuid.uuid4().hex[:8]}"]
    with Pipeline(peer_value(broker, "bootstrap"), nodes=(NODE,), libvirt_uri=f"test://{NODE_FILE}",
                  extra=extra) as p:
        p.start(kube)
        TESTS[which](Run(kube, p.namespace))
        t.check(all(p.alive().values()), f"every program still running: {p.alive()}")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
