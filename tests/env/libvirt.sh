#!/usr/bin/env bash
# Starts, checks and stops the libvirt test peer: virtlogd and libvirtd with
# the QEMU driver, private to this build tree.
#
#   tests/env/libvirt.sh start|check|stop
#
# State lives in $VMRELAY_PEERS_DIR/libvirt (default build/peers/libvirt):
#   uri      the URI tests connect to (qemu+unix:///system?socket=...)
#   accel    kvm or tcg: the domain type to use is kvm or qemu
#   etc/ run/ lib/ log/ cache/   what libvirtd sees as /etc/libvirt,
#            /run/libvirt, /var/lib/libvirt, /var/log/libvirt,
#            /var/cache/libvirt (log/qemu/<domain>.log has QEMU's stderr)
#
# Start is idempotent (a running peer is left alone) and otherwise starts
# from a clean slate; stop destroys the domains still running.
#
# Why a mount namespace: as root, libvirtd is "privileged" and the QEMU
# driver takes its paths (qemu.conf, state, virtlogd's socket) from
# compile-time locations; only libvirtd.conf can be moved (--config). The
# daemons therefore run in a private mount namespace where those folders are
# bind mounts of the peer folder, and the client socket sits in the peer
# folder (unix_sock_dir), reachable from outside. No system libvirt is
# touched, and two build trees can each run their own peer.
#
# Set VMRELAY_ACCEL=kvm or tcg to override the accelerator probe.
set -euo pipefail

# The daemons and modprobe live in sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
peers=${VMRELAY_PEERS_DIR:-$repo/build/peers}
dir=$peers/libvirt
start_timeout=30
stop_timeout=15
sock_path_max=107

fail() {
    echo "libvirt peer: $*" >&2
    exit 1
}

sock_dir() {
    local d=$dir/sock
    # A Unix socket path is at most 107 bytes; a deep build tree gets a
    # short folder under /run instead, named after the peer folder.
    # 19 = length of "/libvirt-admin-sock", the longest socket name.
    if [ $((${#d} + 19)) -gt $sock_path_max ]; then
        d=/run/vmrelay-libvirt-$(echo -n "$dir" | sha256sum | cut -c1-12)
    fi
    echo "$d"
}

uri() {
    echo "qemu+unix:///system?socket=$(sock_dir)/libvirt-sock"
}

pid_alive() {
    local f=$1 pid
    [ -f "$f" ] || return 1
    pid=$(cat "$f" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# kvm when /dev/kvm opens read-write and the CPU exposes hardware
# virtualisation; tcg otherwise. A /dev/kvm without vmx/svm (kvm-pvm in a
# microVM) only runs specially built guest kernels: Debian's kernel hangs
# right after decompression there.
probe_accel() {
    if [ -n "${VMRELAY_ACCEL:-}" ]; then
        echo "$VMRELAY_ACCEL VMRELAY_ACCEL is set"
    elif ! { exec 9<>/dev/kvm; } 2>/dev/null; then
        echo "tcg /dev/kvm cannot be opened read-write"
    elif [ -d /sys/module/kvm_pvm ]; then
        echo "tcg /dev/kvm is kvm-pvm, which cannot boot a stock kernel"
    elif ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
        echo "tcg the CPU has neither vmx nor svm"
    else
        echo "kvm /dev/kvm is usable"
    fi
}

render() {
    local sd
    sd=$(sock_dir)
    sed -e "s|@DIR@|$dir|g" -e "s|\"$dir/sock\"|\"$sd\"|" \
        "$here/libvirt/libvirtd.conf.in" >"$dir/etc/libvirtd.conf"
    sed -e "s|@DIR@|$dir|g" "$here/libvirt/virtlogd.conf.in" >"$dir/etc/virtlogd.conf"
    cp "$here/libvirt/qemu.conf" "$dir/etc/qemu.conf"
}

# Runs inside the private mount namespace made by "start".
start_in_namespace() {
    local sub target
    for sub in etc:/etc/libvirt run:/run/libvirt lib:/var/lib/libvirt log:/var/log/libvirt \
        cache:/var/cache/libvirt; do
        target=${sub#*:}
        mkdir -p "$target"
        mount --bind "$dir/${sub%%:*}" "$target"
    done
    virtlogd -d -f "$dir/etc/virtlogd.conf" -p "$dir/pids/virtlogd.pid"
    libvirtd -d --config "$dir/etc/libvirtd.conf" -p "$dir/pids/libvirtd.pid"
}

check() {
    local u
    pid_alive "$dir/pids/virtlogd.pid" || { echo "virtlogd is not running"; return 1; }
    pid_alive "$dir/pids/libvirtd.pid" || { echo "libvirtd is not running"; return 1; }
    u=$(uri)
    virsh -q -c "$u" uri >/dev/null 2>&1 || { echo "libvirtd does not answer on $u"; return 1; }
    return 0
}

stop_pid() {
    local f=$1 pid i
    pid_alive "$f" || { rm -f "$f"; return 0; }
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < stop_timeout * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    rm -f "$f"
}

stop() {
    local u name f sd
    u=$(uri)
    # libvirtd leaves QEMU running when it exits: end the test domains first.
    if pid_alive "$dir/pids/libvirtd.pid"; then
        for name in $(virsh -q -c "$u" list --name 2>/dev/null); do
            virsh -q -c "$u" destroy "$name" >/dev/null 2>&1 || true
        done
    fi
    stop_pid "$dir/pids/libvirtd.pid"
    # QEMU processes left by a libvirtd that died (their pid files are
    # libvirt's, under its /run/libvirt/qemu).
    for f in "$dir"/run/qemu/*.pid; do
        [ -f "$f" ] && stop_pid "$f"
    done
    stop_pid "$dir/pids/virtlogd.pid"
    rm -f "$dir/uri" "$dir/accel"
    sd=$(sock_dir)
    # The short folder under /run is the peer's alone; the usual one stays.
    if [ "$sd" != "$dir/sock" ]; then
        rm -f "$sd"/libvirt-sock "$sd"/libvirt-sock-ro "$sd"/libvirt-admin-sock
        rmdir "$sd" 2>/dev/null || true
    fi
    echo "libvirt peer: stopped"
}

start() {
    local u accel reason sd i why
    if check >/dev/null 2>&1; then
        echo "libvirt peer: already running at $(uri)"
        return 0
    fi
    for bin in libvirtd virtlogd virsh unshare qemu-system-x86_64; do
        command -v "$bin" >/dev/null ||
            fail "$bin not found (run tests/env/install-deps.sh)"
    done
    # The QEMU driver resolves Debian's compile-time QEMU user and group
    # (libvirt-qemu) before it reads qemu.conf, and refuses to start when
    # they are unknown; libvirt-daemon-system would create them, but it also
    # installs and starts a system libvirtd.
    if ! getent group libvirt-qemu >/dev/null; then
        groupadd --system libvirt-qemu || fail "cannot create group libvirt-qemu"
    fi
    if ! getent passwd libvirt-qemu >/dev/null; then
        useradd --system --gid libvirt-qemu --no-create-home --home-dir /var/lib/libvirt \
            --shell /usr/sbin/nologin libvirt-qemu || fail "cannot create user libvirt-qemu"
    fi
    # Half-started leftovers from an earlier run would hold the sockets.
    stop >/dev/null

    # Each start is a clean slate: domains, pools and networks defined by an
    # earlier run are dropped. The capability cache stays (it saves ~6 s).
    rm -rf "${dir:?}"/{etc,run,lib}
    mkdir -p "$dir"/{etc,run,lib,log,cache,pids}
    sd=$(sock_dir)
    mkdir -p "$sd"
    rm -f "$sd"/libvirt-sock "$sd"/libvirt-sock-ro "$sd"/libvirt-admin-sock
    render
    read -r accel reason <<<"$(probe_accel)"
    case "$accel" in
    kvm | tcg) ;;
    *) fail "VMRELAY_ACCEL must be kvm or tcg, not '$accel'" ;;
    esac

    unshare --mount --propagation private -- "$0" __start_in_namespace ||
        fail "libvirtd or virtlogd did not start (see $dir/log/)"

    u=$(uri)
    for ((i = 0; i < start_timeout * 10; i++)); do
        why=$(check) && break
        # A daemon that wrote its pid file and died will not come back.
        if [ -f "$dir/pids/libvirtd.pid" ] && ! pid_alive "$dir/pids/libvirtd.pid"; then
            break
        fi
        sleep 0.1
    done
    if ! check >/dev/null; then
        tail -n 5 "$dir/log/libvirtd.log" >&2 2>/dev/null || true
        fail "$why (see $dir/log/libvirtd.log)"
    fi
    virsh -q -c "$u" domcapabilities --virttype "$([ "$accel" = kvm ] && echo kvm ||
        echo qemu)" >/dev/null 2>&1 ||
        fail "libvirtd runs but has no QEMU $accel support (see $dir/log/libvirtd.log)"

    echo "$u" >"$dir/uri"
    echo "$accel" >"$dir/accel"
    echo "libvirt peer: running at $u ($accel: $reason)"
}

case "${1:-}" in
start) start ;;
check)
    why=$(check) || fail "$why"
    echo "libvirt peer: running at $(uri) ($(cat "$dir/accel" 2>/dev/null || echo '?'))"
    ;;
stop) stop ;;
__start_in_namespace) start_in_namespace ;;
*)
    echo "usage: $0 start|check|stop" >&2
    exit 2
    ;;
esac
