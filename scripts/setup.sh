#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Prepare a Debian bookworm machine to build, test, demo and benchmark rtap.
# Idempotent: a second run checks and returns quickly.
#
#  - installs the Debian packages the build, tests, demo and benchmark use
#    (and stops there with --packages-only);
#  - fetches the four DPDK driver-SDK headers, which Debian does not ship, from
#    Debian's own dpdk source package of exactly the installed libdpdk-dev version
#    into build-deps/dpdk-sdk/ (ignored by git);
#  - configures the meson build directory (build/).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
sdk="$top/build-deps/dpdk-sdk"

packages=(
	build-essential pkg-config meson ninja-build git
	libdpdk-dev dpdk-dev liburing-dev libbsd-dev libnuma-dev libcmocka-dev
	clang llvm libclang-rt-14-dev valgrind
	iproute2 iputils-ping iperf3 ethtool tcpdump netsniff-ng procps psmisc kmod
	python3-pytest python3-scapy gnuplot-nox dpkg-dev bc
	python3-pyelftools curl xz-utils gawk
	openvswitch-switch openvswitch-switch-dpdk
)

log() { printf '[setup] %s\n' "$*"; }

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "${1:-}" != --packages-only ] || exit 0

dpdk_version=$(dpkg-query -W -f='${Version}' libdpdk-dev)
stamp="$sdk/.version"
if [ "$(cat "$stamp" 2>/dev/null)" != "$dpdk_version" ]; then
	log "fetching DPDK driver-SDK headers from Debian source dpdk=$dpdk_version"
	if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		src=/etc/apt/sources.list.d/rtap-deb-src.sources
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -e "$f" ] && [ "$f" != "$src" ] || continue
			sed 's/^Types: deb$/Types: deb-src/' "$f"
			echo
		done >"$src"
		if [ ! -s "$src" ] && [ -f /etc/apt/sources.list ]; then
			sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/rtap-deb-src.list
			rm -f "$src"
		fi
		apt-get update -qq
	fi
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	chown _apt "$work" 2>/dev/null || true
	(cd "$work" && apt-get source -qq --download-only "dpdk=$dpdk_version" >/dev/null)
	dsc=$(ls "$work"/dpdk_*.dsc)
	got=$(sed -n 's/^Version: //p' "$dsc")
	if [ "$got" != "$dpdk_version" ]; then
		echo "setup: DPDK source version $got differs from installed libdpdk-dev $dpdk_version" >&2
		exit 1
	fi
	tarball=$(ls "$work"/dpdk_*.orig.tar.*)
	rm -rf "$sdk" && mkdir -p "$sdk/src"
	tar -xf "$tarball" -C "$sdk/src" --strip-components=1 --wildcards \
		'*/lib/ethdev/ethdev_driver.h' '*/lib/ethdev/ethdev_vdev.h' \
		'*/drivers/bus/vdev/bus_vdev_driver.h' '*/lib/eal/include/dev_driver.h' \
		'*/drivers/net/null/*' '*/drivers/net/af_packet/*' '*/drivers/net/tap/*' \
		'*/drivers/net/memif/*'
	mkdir -p "$sdk/include"
	for h in lib/ethdev/ethdev_driver.h lib/ethdev/ethdev_vdev.h \
		drivers/bus/vdev/bus_vdev_driver.h lib/eal/include/dev_driver.h; do
		cp "$sdk/src/$h" "$sdk/include/"
	done
	echo "$dpdk_version" >"$stamp"
fi

if [ ! -f "$top/build/build.ninja" ]; then
	log "configuring build/"
	meson setup "$top/build" "$top" >/dev/null
fi
log "ready (DPDK $dpdk_version)"
