#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build and install a minimal upstream DPDK (or liburing) for the version
# matrix, into a cache outside the clone, keyed by version:
#
#   scripts/dpdk-build.sh dpdk 24.11.6     -> $RTAP_CACHE/dpdk-24.11.6
#   scripts/dpdk-build.sh liburing 2.9     -> $RTAP_CACHE/liburing-2.9
#   scripts/dpdk-build.sh dpdk-src 26.07   -> $RTAP_CACHE/dpdk-src-26.07 (the source only)
#   scripts/dpdk-build.sh dpdk-tsan 24.11.6 -> $RTAP_CACHE/dpdk-tsan-24.11.6
#
# Prints the installed prefix on its last line. A second run returns at once.
# The release tarball comes from ../shared/dpdk/ when it is there (these
# machines cannot download releases), else from its usual place; either way
# its SHA-256 must match SHA256SUMS. The DPDK build holds what rtap's tests
# and benchmark use: bus/vdev, mempool/ring, net/tap, net/af_packet,
# dpdk-testpmd, dpdk-proc-info and the driver-SDK headers. dpdk-tsan is that
# DPDK built by clang with ThreadSanitizer, its atomics and locks the
# compiler's intrinsics (RTE_FORCE_INTRINSICS, RTE_USE_C11_MEM_MODEL) rather
# than inline assembly, which ThreadSanitizer cannot see: then a mbuf's trip
# through a mempool orders what the threads on both sides did with it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${RTAP_CACHE:-/var/cache/rtap}
shared=${RTAP_SHARED:-$top/../shared/dpdk}
what=${1:?usage: dpdk-build.sh dpdk|dpdk-tsan|dpdk-src|liburing VERSION}
version=${2:?usage: dpdk-build.sh dpdk|dpdk-tsan|dpdk-src|liburing VERSION}

log() { printf '[dpdk-build] %s\n' "$*" >&2; }
die() { printf '[dpdk-build] error: %s\n' "$*" >&2; exit 1; }

case "$what" in
dpdk | dpdk-tsan | dpdk-src)
	file=dpdk-$version.tar.xz
	url=https://fast.dpdk.org/rel/$file
	;;
liburing)
	file=liburing_$version.orig.tar.gz
	url=https://github.com/axboe/liburing/archive/refs/tags/liburing-$version.tar.gz
	;;
*)
	die "unknown component '$what' (dpdk, dpdk-tsan, dpdk-src or liburing)"
	;;
esac

prefix=$cache/$what-$version
# What the cached build was built with: a cache of another configuration is rebuilt.
config="shared libraries, apps linked to them"
if [ "$(cat "$prefix/.complete" 2>/dev/null)" = "$config" ]; then
	echo "$prefix"
	exit 0
fi

sums=$top/scripts/dpdk-sha256sums
want=$(awk -v f="$file" '$2 == f { print $1 }' "$sums")
[ -n "$want" ] || die "$file is not in $sums: add its SHA-256 first"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -f "$shared/$file" ]; then
	cp "$shared/$file" "$work/$file"
else
	log "downloading $url"
	curl -fsSL -o "$work/$file" "$url" || die "cannot download $url"
fi
got=$(sha256sum "$work/$file" | cut -d' ' -f1)
[ "$got" = "$want" ] || die "$file: SHA-256 $got, expected $want"

mkdir -p "$work/src"
tar -xf "$work/$file" -C "$work/src" --strip-components=1
rm -rf "$prefix"
if [ "$what" = dpdk-src ]; then
	mkdir -p "$cache"
	mv "$work/src" "$prefix"
	echo "$config" >"$prefix/.complete"
	echo "$prefix"
	exit 0
fi
jobs=$(nproc)

case "$what" in
dpdk | dpdk-tsan)
	bash "$top/scripts/setup.sh" --packages-only
	log "building DPDK $version into $prefix"
	cc=cc flavour=(-Dbuildtype=release)
	if [ "$what" = dpdk-tsan ]; then
		cc=clang
		flavour=(-Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false
			"-Dc_args=-DRTE_FORCE_INTRINSICS -DRTE_USE_C11_MEM_MODEL")
	fi
	# DPDK's build scripts need pyelftools: Debian's python, not the first on PATH.
	CC=$cc PATH=/usr/bin:$PATH meson setup "$work/build" "$work/src" --prefix="$prefix" \
		--libdir=lib "${flavour[@]}" -Dtests=false -Dexamples= \
		-Ddefault_library=shared \
		-Denable_driver_sdk=true \
		-Denable_drivers=bus/vdev,mempool/ring,net/tap,net/af_packet,net/ring \
		-Denable_apps=test-pmd,proc-info,dumpcap >"$work/setup.log" 2>&1 ||
		{ tail -n 30 "$work/setup.log" >&2; die "meson setup of DPDK $version failed"; }
	PATH=/usr/bin:$PATH ninja -C "$work/build" -j "$jobs" install >"$work/build.log" 2>&1 ||
		{ tail -n 30 "$work/build.log" >&2; die "build of DPDK $version failed"; }
	;;
liburing)
	log "building liburing $version into $prefix"
	(cd "$work/src" && ./configure --prefix="$prefix" --libdir="$prefix/lib" >/dev/null &&
		make -j "$jobs" install >/dev/null) || die "build of liburing $version failed"
	;;
esac
echo "$config" >"$prefix/.complete"
echo "$prefix"
