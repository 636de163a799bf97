#!/usr/bin/env python3
"""Checks the systemd units of systemd/ without a running systemd.

For each unit, writes a copy whose ExecStart names the program built in
$VMRELAY_BINARY_DIR (verify refuses a command that does not exist, and the
real one is not installed here), then:

  - `systemd-analyze verify --man=no` must exit 0 and print nothing: an
    unknown or misspelt setting is only a warning there, and a warning here
    is a failure;
  - `systemd-analyze security --offline=yes` must rate the unit at or below
    its exposure bound (the hardening must not silently erode);
  - the settings the operations guide promises are present (Type=notify,
    watchdog and drain budget of the worker, dynamic user of the others).

Runs with PID 1 not being systemd: verify and offline security only read
unit files. Python 3 standard library only.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# unit file -> (installed path of its program, path in the build tree, exposure bound)
UNITS = {
    "vmrelay-worker@.service":
        ("/usr/bin/vmrelay-worker", "worker/main/vmrelay-worker", 3.5),
    "vmrelay-bridge.service":
        ("/usr/bin/vmrelay-bridge", "producer/bridge/vmrelay-bridge", 2.0),
    "vmrelay-status.service":
        ("/usr/bin/vmrelay-status", "producer/status/vmrelay-status", 2.0),
}
# Seconds a stop may take beyond the worker's own drain budget: closing the
# consumer, flushing the producer and the journal.
STOP_MARGIN_S = 10
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"ok {checks} - {what}")


def settings(text):
    """Every key=value of a unit file, values of repeated keys in order."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def seconds(value):
    m = re.fullmatch(r"(\d+)(s|min)?", value)
    check(m is not None, f"time span {value!r} is in seconds or minutes")
    return int(m.group(1)) * (60 if m.group(2) == "min" else 1)


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    return p.returncode, (p.stdout + p.stderr).strip()


def verify(analyze, path):
    rc, out = run([analyze, "verify", "--man=no", path])
    check(rc == 0 and out == "",
          f"systemd-analyze verify {os.path.basename(path)}: rc {rc}" +
          (f", said:\n{out}" if out else ""))


def exposure(analyze, path, bound):
    rc, out = run([analyze, "security", "--offline=yes", "--no-pager", path])
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    check(m is not None, f"systemd-analyze security rates {os.path.basename(path)} (rc {rc})")
    level = float(m.group(1))
    check(level <= bound, f"{os.path.basename(path)} exposure {level} <= {bound}")


def drain_budget(src):
    """worker.drain-timeout's built-in default, from the worker's header."""
    with open(os.path.join(src, "worker/main/worker.h"), encoding="utf-8") as f:
        m = re.search(r"#define WORKER_DRAIN_TIMEOUT_DEFAULT_S (\d+)", f.read())
    check(m is not None, "worker.h defines WORKER_DRAIN_TIMEOUT_DEFAULT_S")
    return int(m.group(1))


def promises(name, s, src):
    check(s.get("Type") == ["notify"], f"{name}: Type=notify")
    check(s.get("NotifyAccess") == ["main"], f"{name}: NotifyAccess=main")
    check(s.get("Restart") == ["on-failure"], f"{name}: Restart=on-failure")
    check(s.get("NoNewPrivileges") == ["yes"], f"{name}: NoNewPrivileges=yes")
    check(s.get("ProtectSystem") == ["strict"], f"{name}: ProtectSystem=strict")
    if name.startswith("vmrelay-worker@"):
        check("--node %i" in s["ExecStart"][0], f"{name}: the instance name is the node")
        check(s.get("StateDirectory") == ["vmrelay"], f"{name}: journal in /var/lib/vmrelay")
        check(s.get("WatchdogSec") == ["30s"], f"{name}: WatchdogSec=30s")
        check(s.get("KillSignal") == ["SIGTERM"], f"{name}: SIGTERM starts the drain")
        stop = seconds(s["TimeoutStopSec"][0])
        drain = drain_budget(src)
        check(stop >= drain + STOP_MARGIN_S,
              f"{name}: TimeoutStopSec {stop}s >= drain {drain}s + {STOP_MARGIN_S}s")
    else:
        check(s.get("DynamicUser") == ["yes"], f"{name}: DynamicUser=yes")
        check(s.get("CapabilityBoundingSet") == [""], f"{name}: no capabilities")
        check(s.get("MemoryDenyWriteExecute") == ["yes"], f"{name}: MemoryDenyWriteExecute")


def main():
    src = os.environ.get("VMRELAY_SOURCE_DIR")
    build = os.environ.get("VMRELAY_BINARY_DIR")
    if not src or not build:
        sys.exit("VMRELAY_SOURCE_DIR and VMRELAY_BINARY_DIR must be set; run through ctest")
    analyze = shutil.which("systemd-analyze")
    check(analyze is not None, "systemd-analyze is installed (package systemd)")
    units_dir = os.path.join(src, "systemd")
    found = sorted(f for f in os.listdir(units_dir) if f.endswith(".service"))
    check(found == sorted(UNITS), f"systemd/ holds exactly {sorted(UNITS)}")

    with tempfile.TemporaryDirectory(prefix="units-") as tmp:
        for name, (installed, built, bound) in UNITS.items():
            program = os.path.join(build, built)
            check(os.access(program, os.X_OK), f"{program} is built")
            with open(os.path.join(units_dir, name), encoding="utf-8") as f:
                text = f.read()
            s = settings(text)
            check(s.get("ExecStart", [""])[0].startswith(installed + " "),
                  f"{name}: ExecStart runs {installed}")
            promises(name, s, src)
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace(installed, program))
            verify(analyze, path)
            exposure(analyze, path, bound)
    print(f"{checks} checks passed")


if __name__ == "__main__":
    main()
