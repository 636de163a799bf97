"""Writes a node description for libvirt's test driver with many domains.

Domain names are vm<node:3><index:5> (10 lowercase letters and digits, the
API document's rule of 8 to 32), the names vmrelay-bench-load sends
requests for. Every domain has 1 GiB of memory (maximum 2 GiB) and 1 of 4
vCPUs, so resizeRAM and changeNumberOfCPU can go both ways; state is
"running" or "shutoff".
"""
import os
import argparse
import sys

HEAD = """<?xml version="1.0"?>
<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><active>4</active><nodes>1</nodes>
    <sockets>1</sockets><cores>2</cores><threads>2</threads></cpu>
  <memory>{memory}</memory>
"""

DOMAIN = """  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>{name}</name>
    <uuid>{uuid}</uuid>
    <memory unit='KiB'>2097152</memory>
    <currentMemory unit='KiB'>1048576</currentMemory>
    <vcpu current='1'>4</vcpu>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='file' device='disk'>
        <source file='/var/lib/vmrelay-bench/{name}.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
    </devices>
    <test:runstate>{runstate}</test:runstate>
  </domain>
"""


def domain_name(node, index):
    return f"vm{node:03d}{index:05d}"


def write(path, node, domains, state="running"):
    runstate = 1 if state == "running" else 5
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(HEAD.format(memory=16777216 * max(1, domains // 8)))
        for i in range(domains):
            uuid = f"6a7f5a36-2b1c-4f0e-{node:04x}-{i:012x}"
            f.write(DOMAIN.format(name=domain_name(node, i), uuid=uuid, runstate=runstate))
        f.write("</node>\n")
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("path")
    p.add_argument("--node", type=int, default=0)
    p.add_argument("--domains", type=int, default=1000)
    p.add_argument("--state", choices=("running", "shutoff"), default="running")
    a = p.parse_args()
    write(a.path, a.node, a.domains, a.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
