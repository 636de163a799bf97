#!/usr/bin/env python3
"""Plays systemd's part of the sd_notify protocol for one program.

Usage: notify-harness.py [options] -- PROGRAM [ARG...]

Creates an AF_UNIX datagram socket, runs PROGRAM with NOTIFY_SOCKET (and,
with --watchdog-usec, WATCHDOG_USEC and WATCHDOG_PID) set as systemd would
for Type=notify, NotifyAccess=main, WatchdogSec=, records every datagram
with its time and sender, sends SIGTERM some time after READY=1 and checks:

  - READY=1 arrives (before --ready-timeout);
  - a STATUS= line arrives;
  - with --watchdog-usec: WATCHDOG=1 arrives at least every WATCHDOG_USEC/2
    between READY=1 and SIGTERM (plus --jitter for a busy machine);
  - STOPPING=1 arrives after SIGTERM;
  - every datagram comes from the main process (NotifyAccess=main drops
    the others);
  - the program exits with code 0 before --stop-timeout (the unit's
    TimeoutStopSec).

Every failed check is printed, naming what is missing, and the harness
exits 1; the program's output is shown on failure. Arguments may contain
{tmp} (a private temporary directory), {peers} ($VMRELAY_PEERS_DIR) and
{cat:PATH} (the stripped content of PATH, e.g. a peer's bootstrap file).
Python 3 standard library only.
"""
import argparse
import os
import re
import select
import signal
import socket
import struct
import sys
import tempfile
import time

RECV_MAX = 4096  # systemd itself accepts notification datagrams up to PIPE_BUF
UCRED = struct.Struct("3i")  # pid, uid, gid: struct ucred
LOG_TAIL_LINES = 40


class Run:
    """What happened while the program ran."""

    def __init__(self):
        self.start = time.monotonic()
        self.messages = []  # (seconds since start, sender pid, text)
        self.term_at = None
        self.exit_at = None
        self.status = None  # os.waitpid status

    def now(self):
        return time.monotonic() - self.start

    def first(self, line, after=0.0):
        for t, _pid, text in self.messages:
            if t >= after and line in text.split("\n"):
                return t
        return None

    def times_of(self, line):
        return [t for t, _pid, text in self.messages if line in text.split("\n")]

    def statuses(self):
        return [ln for _t, _pid, text in self.messages for ln in text.split("\n")
                if ln.startswith("STATUS=")]


def expand(arg, tmp):
    peers = os.environ.get("VMRELAY_PEERS_DIR", "")
    arg = arg.replace("{tmp}", tmp).replace("{peers}", peers)

    def cat(m):
        with open(m.group(1), encoding="utf-8") as f:
            return f.read().strip()

    return re.sub(r"\{cat:([^}]*)\}", cat, arg)


def notify_socket(tmp):
    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    sock.bind(path)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    return sock, path


def spawn(argv, sock_path, watchdog_usec, log_path):
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    pid = os.fork()
    if pid == 0:
        try:
            env = dict(os.environ)
            env["NOTIFY_SOCKET"] = sock_path
            if watchdog_usec:
                env["WATCHDOG_USEC"] = str(watchdog_usec)
                env["WATCHDOG_PID"] = str(os.getpid())
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(log_fd, 1)
            os.dup2(log_fd, 2)
            os.execve(argv[0], argv, env)
        except OSError as e:
            os.write(2, f"cannot run {argv[0]}: {e}\n".encode())
        os._exit(127)
    os.close(log_fd)
    return pid


def receive(sock, run, timeout):
    """Reads the datagrams that arrive within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return
        data, ancdata, _flags, _addr = sock.recvmsg(RECV_MAX, socket.CMSG_SPACE(UCRED.size))
        pid = None
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = UCRED.unpack(payload[:UCRED.size])[0]
        text = data.decode("utf-8", "replace")
        run.messages.append((run.now(), pid, text))
        print(f"  {run.now():7.3f}s pid {pid}: {text!r}")


def reap(pid, run):
    if run.status is not None:
        return True
    got, status = os.waitpid(pid, os.WNOHANG)
    if got == pid:
        run.status = status
        run.exit_at = run.now()
        return True
    return False


def supervise(sock, pid, args, run):
    """Waits for READY=1, lets the program run, stops it like systemd."""
    step = 0.1
    ready_deadline = run.now() + args.ready_timeout
    while run.first("READY=1") is None and run.now() < ready_deadline:
        receive(sock, run, step)
        if reap(pid, run):
            receive(sock, run, 0)
            return
    if run.first("READY=1") is None:
        return
    run_until = run.first("READY=1") + args.run
    while run.now() < run_until:
        receive(sock, run, step)
        if reap(pid, run):
            receive(sock, run, 0)
            return
    run.term_at = run.now()
    print(f"  {run.term_at:7.3f}s harness: SIGTERM")
    os.kill(pid, signal.SIGTERM)
    stop_deadline = run.term_at + args.stop_timeout
    while run.now() < stop_deadline:
        receive(sock, run, step)
        if reap(pid, run):
            receive(sock, run, 0)
            return


def check(run, pid, args, name):
    failures = []
    ready = run.first("READY=1")
    if ready is None:
        if run.status is not None:
            failures.append(f"{name} exited ({describe(run.status)}) before sending READY=1")
        else:
            failures.append(f"no READY=1 within {args.ready_timeout:g}s: {name} does not call "
                            "sd_notify(READY=1) once it is serving (Type=notify would time out)")
        failures.append("not checked, as the program never became ready: "
                        + ("WATCHDOG=1, " if args.watchdog_usec else "")
                        + "STOPPING=1 after SIGTERM, exit code 0")
    if not any(s != "STATUS=" for s in run.statuses()):
        failures.append(f"no STATUS= line: {name} does not tell systemd what it is doing "
                        "(sd_notify STATUS=...)")
    if args.watchdog_usec and ready is not None:
        failures += check_watchdog(run, args, name, ready)
    if run.term_at is not None:
        if run.first("STOPPING=1", after=run.term_at) is None:
            failures.append(f"no STOPPING=1 after SIGTERM: {name} does not call "
                            "sd_notify(STOPPING=1) when it starts to stop")
        if run.status is None:
            failures.append(f"{name} did not exit within {args.stop_timeout:g}s of SIGTERM "
                            "(TimeoutStopSec would kill it)")
    elif ready is not None and run.status is not None:
        failures.append(f"{name} exited ({describe(run.status)}) while running, before "
                        "the harness sent SIGTERM")
    if run.status is not None and run.term_at is not None:
        if not os.WIFEXITED(run.status) or os.WEXITSTATUS(run.status) != 0:
            failures.append(f"{name} stopped with {describe(run.status)} after SIGTERM, "
                            "not exit code 0")
    strangers = sorted({p for _t, p, _m in run.messages if p != pid})
    if strangers:
        failures.append(f"datagrams from pid(s) {strangers}, not the main process {pid}: "
                        "NotifyAccess=main drops them")
    return failures


def check_watchdog(run, args, name, ready):
    interval = args.watchdog_usec / 1e6 / 2
    allowed = interval + args.jitter
    pings = run.times_of("WATCHDOG=1")
    end = run.term_at if run.term_at is not None else run.now()
    if not pings:
        return [f"no WATCHDOG=1 at all although WATCHDOG_USEC={args.watchdog_usec} was set: "
                f"{name} does not ping the watchdog (the unit's WatchdogSec= would kill it)"]
    marks = [ready] + [t for t in pings if ready <= t <= end] + [end]
    gaps = [b - a for a, b in zip(marks, marks[1:])]
    worst = max(gaps)
    print(f"  watchdog: {len(pings)} pings, longest gap {worst:.3f}s, allowed {allowed:.3f}s "
          f"(WATCHDOG_USEC/2 = {interval:.3f}s)")
    if worst > allowed:
        return [f"WATCHDOG=1 gap of {worst:.3f}s exceeds WATCHDOG_USEC/2 = {interval:.3f}s "
                f"(+{args.jitter:g}s jitter)"]
    return []


def describe(status):
    if os.WIFEXITED(status):
        return f"exit code {os.WEXITSTATUS(status)}"
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"wait status {status}"


def show_log(log_path):
    with open(log_path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    print(f"--- last {LOG_TAIL_LINES} lines of the program's output ---", file=sys.stderr)
    for line in lines[-LOG_TAIL_LINES:]:
        print(line, file=sys.stderr)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--watchdog-usec", type=int, default=0,
                   help="set WATCHDOG_USEC/WATCHDOG_PID and require pings")
    p.add_argument("--jitter", type=float, default=0.25,
                   help="seconds of scheduling slack on each watchdog gap")
    p.add_argument("--ready-timeout", type=float, default=60)
    p.add_argument("--run", type=float, default=3,
                   help="seconds to let the program run after READY=1")
    p.add_argument("--stop-timeout", type=float, default=45,
                   help="seconds the program may take to exit after SIGTERM")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        p.error("no program given")
    if args.watchdog_usec and args.run * 1e6 < 2 * args.watchdog_usec:
        args.run = 2 * args.watchdog_usec / 1e6  # see at least four ping intervals
    return args


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="notify-") as tmp:
        argv = [expand(a, tmp) for a in args.command]
        name = os.path.basename(argv[0])
        sock, sock_path = notify_socket(tmp)
        log_path = os.path.join(tmp, "output.log")
        print(f"running {' '.join(argv)}")
        run = Run()
        pid = spawn(argv, sock_path, args.watchdog_usec, log_path)
        try:
            supervise(sock, pid, args, run)
        finally:
            if run.status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        failures = check(run, pid, args, name)
        if failures:
            show_log(log_path)
            for f in failures:
                print(f"FAIL: {f}", file=sys.stderr)
            return 1
        print(f"ok - {name}: READY=1 at {run.first('READY=1'):.3f}s, "
              f"{len(run.statuses())} STATUS= line(s), STOPPING=1 after SIGTERM, exit code 0")
        return 0


if __name__ == "__main__":
    sys.exit(main())
