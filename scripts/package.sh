#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the Debian package "rtap" for the system's DPDK (libdpdk-dev): the
# net_rtap plugin in the directory EAL loads plugins from at startup
# (RTE_EAL_PMD_PATH), so every DPDK application finds net_rtap without -d.
#
#   scripts/package.sh [outdir]     # default: build-pkg/ in the source tree
#
# The build runs with dpkg-buildpackage on a copy of the tree (it writes next
# to the source directory), with the driver-SDK headers scripts/setup.sh
# fetched. Installs the missing build dependencies when run as root.
# Ends with the path of the .deb on the last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-pkg}
mkdir -p "$out"
out=$(cd "$out" && pwd)

log() { printf '[package] %s\n' "$*"; }
die() { printf '[package] error: %s\n' "$*" >&2; exit 1; }

build_deps=(debhelper dpkg-dev meson ninja-build pkg-config libdpdk-dev liburing-dev)
missing=()
for p in "${build_deps[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing build dependencies: ${missing[*]} (run as root to install them)"
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

dpdk_version=$(dpkg-query -W -f='${Version}' libdpdk-dev)
sdk=$top/build-deps/dpdk-sdk
if [ "$(cat "$sdk/.version" 2>/dev/null)" != "$dpdk_version" ]; then
	log "driver-SDK headers for DPDK $dpdk_version missing: running scripts/setup.sh"
	bash "$top/scripts/setup.sh"
fi

# The package's version is the project's: one number for both.
version=$(sed -n "s/^[[:space:]]*version: '\([^']*\)'.*/\1/p" "$top/meson.build" | head -n 1)
deb_version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
[ -n "$version" ] || die "no version in meson.build"
[ "$version" = "$deb_version" ] ||
	die "meson.build says version $version, debian/changelog $deb_version"

# EAL of the installed DPDK loads every plugin in this directory.
pmd_dir=$(printf '#include <rte_build_config.h>\nRTE_EAL_PMD_PATH\n' |
	cpp -P $(pkg-config --cflags libdpdk) - | tail -n 1 | tr -d '"')
case "$pmd_dir" in
/*) ;;
*) die "cannot read RTE_EAL_PMD_PATH of the installed DPDK (got '$pmd_dir')" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/rtap-$version
mkdir -p "$src/build-deps/dpdk-sdk"
tar -C "$top" --exclude=./.git --exclude=./build --exclude='./build-*' \
	--exclude=./debian/rtap --exclude=./debian/.debhelper --exclude='./obj-*' \
	--exclude=__pycache__ -cf - . | tar -C "$src" -xf -
cp -r "$sdk/include" "$sdk/.version" "$src/build-deps/dpdk-sdk/"

log "building rtap $version for DPDK $dpdk_version (plugin directory $pmd_dir)"
(cd "$src" && dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
	tail -n 40 "$work/build.log" >&2
	die "dpkg-buildpackage failed"
}

deb=$(ls "$work"/rtap_"$version"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "dpkg-buildpackage produced no rtap_${version}_*.deb"
contents=$(dpkg-deb -c "$deb")
grep -q " \.$pmd_dir/librte_net_rtap\.so$" <<<"$contents" ||
	die "$(basename "$deb") has no $pmd_dir/librte_net_rtap.so"
depends=$(dpkg-deb -f "$deb" Depends)
for d in librte-ethdev liburing2; do
	grep -q "$d" <<<"$depends" || die "Depends lacks $d: $depends"
done
rm -f "$out"/rtap_*.deb
cp "$deb" "$work"/rtap_"$version"_*.buildinfo "$work"/rtap_"$version"_*.changes "$out/"
log "Depends: $depends"
echo "$out/$(basename "$deb")"
