#!/usr/bin/env bash
# Installs the Debian packages vmrelay builds with and its test peers run on.
# Idempotent: a package already present costs one dpkg query.
set -euo pipefail

packages=(
	build-essential cmake ninja-build pkg-config git curl ca-certificates openssl
	librdkafka-dev libvirt-dev libcurl4-openssl-dev libcjson-dev libsystemd-dev
	libxml2-dev libyaml-dev libmicrohttpd-dev libsqlite3-dev libssl-dev
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients virtinst
	qemu-system-x86 qemu-utils linux-image-amd64 busybox-static cpio
	kcat valgrind clang libclang-rt-14-dev
	maven default-jre-headless
	python3 systemd
	openvswitch-common ovn-common ovn-central
)

missing=()
for pkg in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# ovn-central ships ovsdb-server units; tests run their own ovsdb-server
# (tests/env/ovn.sh), so no service may start during the install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
