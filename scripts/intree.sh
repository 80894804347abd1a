#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Put rtap into DPDK's own tree and check it there, as an upstream submission
# would be:
#
#   scripts/intree.sh [VERSION] [OUT]
#
# extracts DPDK VERSION (default 26.07) into OUT (default build-intree/dpdk),
# commits it, adds drivers/net/rtap/ with its guide and features table as a
# second commit (OUT/rtap.patch is that commit as a patch), builds the tree
# with -Dwerror=true (DPDK's warning flags; only the libraries rtap and
# testpmd need) and runs devtools/checkpatches.sh on the patch. Ends with
# "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-26.07}
out=${2:-$top/build-intree/dpdk-$version}
checkpatch_dir=${RTAP_CACHE:-/var/cache/rtap}/checkpatch

log() { printf '[intree] %s\n' "$*"; }
die() { printf '[intree] error: %s\n' "$*" >&2; exit 1; }

src=$(bash "$top/scripts/dpdk-build.sh" dpdk-src "$version" | tail -n 1) || die "no DPDK $version source"

# checkpatch.pl is the kernel's: take it from Debian's kernel source package.
checkpatch=$(find "$checkpatch_dir" -name checkpatch.pl 2>/dev/null | head -n 1)
if [ -z "$checkpatch" ]; then
	log "fetching checkpatch.pl from Debian's linux-source"
	mkdir -p "$checkpatch_dir"
	work=$(mktemp -d)
	pkg=$(apt-cache search --names-only '^linux-source-[0-9.]+$' | sort -V | tail -n 1 | cut -d' ' -f1)
	[ -n "$pkg" ] || die "no linux-source package"
	(cd "$work" && apt-get download -qq "$pkg" 2>/dev/null) || die "cannot download $pkg"
	dpkg-deb --fsys-tarfile "$work"/"$pkg"_*.deb | tar -x -C "$work" --wildcards '*.tar.xz'
	tar -xf "$work"/usr/src/*.tar.xz -C "$checkpatch_dir" --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	rm -rf "$work"
	checkpatch=$(find "$checkpatch_dir" -name checkpatch.pl | head -n 1)
fi

rm -rf "$out"
mkdir -p "$(dirname "$out")"
cp -a "$src" "$out"
rm -f "$out/.complete"
cd "$out"
git init -q && git add -A && git -c user.name=rtap -c user.email=rtap@localhost \
	commit -qm "DPDK $version" || die "git init of the DPDK tree failed"

cp -r "$top/drivers/net/rtap" drivers/net/rtap
cp "$top/doc/guides/nics/rtap.rst" doc/guides/nics/
cp "$top/doc/guides/nics/features/rtap.ini" doc/guides/nics/features/
mkdir -p doc/guides/nics/img
cp "$top"/doc/guides/nics/img/rtap_* doc/guides/nics/img/ 2>/dev/null
# DPDK lists its net drivers by name, alphabetically, and its guides in an index.
sed -i "0,/^        'ring',/s//        'ring',\n        'rtap',/" drivers/net/meson.build
sed -i "0,/^    ring$/s//    ring\n    rtap/" doc/guides/nics/index.rst
grep -q "'rtap'" drivers/net/meson.build || die "cannot add rtap to drivers/net/meson.build"
git add -A && git -c user.name="rtap authors" -c user.email=rtap@localhost \
	commit -qm "net/rtap: add io_uring based TAP PMD

A poll mode driver for a Linux TAP interface whose packets move through
io_uring: a burst of reads or writes is one system call.

Signed-off-by: rtap authors <rtap@localhost>" || die "commit failed"
git format-patch -q -1 --stdout >rtap.patch

passed=0
failed=0
log "building DPDK $version with rtap in its tree (-Dwerror=true)"
if PATH=/usr/bin:$PATH meson setup build -Dwerror=true -Dtests=false -Denable_libs=ethdev \
	-Denable_drivers=bus/vdev,mempool/ring,net/rtap -Denable_apps=test-pmd \
	>setup.log 2>&1 && PATH=/usr/bin:$PATH ninja -C build >build.log 2>&1 &&
	[ -f build/drivers/librte_net_rtap.so ]; then
	log "in-tree build: ok (build/drivers/librte_net_rtap.so)"
	passed=$((passed + 1))
else
	tail -n 40 setup.log build.log 2>/dev/null
	log "in-tree build: FAILED"
	failed=$((failed + 1))
fi

# The kernel's checkpatch.pl is --strict for drivers/net/ and there misreads
# two C11 constructs DPDK's own drivers use: RTE_ATOMIC(type) field (as a
# cast followed by a space) and the _Atomic keyword (as CamelCase). Those
# CHECKs, and only those, are reported and allowed; any other message fails.
log "devtools/checkpatches.sh on the patch"
DPDK_CHECKPATCH_PATH=$checkpatch devtools/checkpatches.sh rtap.patch >checkpatches.log 2>&1
cat checkpatches.log
# Each message with the patch line it is about: those not of the two kinds.
other=$(awk '/^Warning in/ { print; next }
	/^(ERROR|WARNING|CHECK):/ { msg = $0; next }
	msg != "" && /^\+/ {
		if (!(msg ~ /^CHECK:SPACING: No space is necessary after a cast$/ && /RTE_ATOMIC\(/) &&
		    !(msg ~ /^CHECK:CAMELCASE: Avoid CamelCase: <_Atomic>$/))
			print msg ": " $0
		msg = ""
	}' checkpatches.log)
if grep -q '1/1 valid patch' checkpatches.log ||
	{ [ -z "$other" ] && grep -q '^total: 0 errors, 0 warnings' checkpatches.log; }; then
	log "checkpatches: clean$(grep -q '1/1 valid' checkpatches.log || echo ' but for the known RTE_ATOMIC/_Atomic CHECKs above')"
	passed=$((passed + 1))
else
	log "checkpatches: FAILED"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
