#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set up the machine, build rtap and run every test: the C unit tests and the
# system tests (real TAP interfaces, namespaces and traffic) against Debian's
# DPDK, then the stages: the same tests against DPDK RTAP_CI_DPDK (24.11.6),
# the driver built inside DPDK 26.07's tree with devtools/checkpatches.sh on
# it (scripts/intree.sh), the Debian package check (scripts/test-package.py),
# the tests again under ASan/UBSan/LSan and valgrind with a stress run, each
# fuzz target for RTAP_FUZZ_SECONDS (30), a RTAP_SOAK_SECONDS (60) soak, and
# the data-path, control, RSS, TUN, SQPOLL and toolbox tests in a QEMU guest on Debian 12's kernel 6.1
# (scripts/test-kernels.sh).
# RTAP_QUICK=1 stops after the system tests. RTAP_DPDK=<version> (and
# RTAP_LIBURING=<version>) runs only the unit and system tests, against that
# upstream release instead of Debian's: scripts/dpdk-build.sh builds it once
# into a cache, rtap builds in build-<versions>/. Extra arguments go to pytest.
# Needs root. Ends with one line: "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/setup.sh || exit 1
build=build
for what in dpdk liburing; do
	var=RTAP_${what^^}
	version=${!var:-}
	[ -n "$version" ] || continue
	prefix=$(bash scripts/dpdk-build.sh "$what" "$version" | tail -n 1) || exit 1
	export PKG_CONFIG_PATH=$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	export LD_LIBRARY_PATH=$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export PATH=$prefix/bin:$PATH
	build=$build-$what$version
done
if [ "$build" != build ]; then
	export RTAP_BUILD=$top/$build
	[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null || exit 1
	echo "== against $(pkg-config --modversion libdpdk | sed 's/^/DPDK /'), $(pkg-config --modversion liburing | sed 's/^/liburing /') in $build/"
fi
ninja -C "$build" >/dev/null || { echo "build failed"; ninja -C "$build"; exit 1; }

passed=0
failed=0
count() {
	passed=$((passed + $1))
	failed=$((failed + $2))
}

echo "== unit tests"
meson test -C "$build" --suite unit --print-errorlogs
log=$build/meson-logs/testlog.json
count "$(grep -c '"result": "OK"' "$log")" "$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\)"' "$log")"

echo "== system tests"
out=$(mktemp)
/usr/bin/python3 -m pytest -ra -p no:cacheprovider tests/system "$@" 2>&1 | tee "$out"
summary=$(tail -n 1 "$out")
rm -f "$out"
p=$(grep -o '[0-9]\+ passed' <<<"$summary" | grep -o '[0-9]\+')
f=$(grep -o '[0-9]\+ \(failed\|error\|errors\)' <<<"$summary" | grep -o '[0-9]\+' | paste -sd+ | bc)
count "${p:-0}" "${f:-0}"
[ -n "$p$f" ] || count 0 1	# pytest did not get to its summary

# A stage that prints its own "N passed, N failed" counts with it, else as one.
stage() {
	local name=$1 out line
	shift
	echo "== $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	rm -f "$out"
	if [ -n "$line" ]; then
		count "${line%% passed*}" "$(sed 's/.*, \([0-9]*\) failed/\1/' <<<"$line")"
		[ "$rc" -eq 0 ] || [ "${line##*, }" != "0 failed" ] || count 0 1
	elif [ "$rc" -eq 0 ]; then
		count 1 0
	else
		count 0 1
	fi
}

if [ -z "${RTAP_QUICK:-}" ] && [ "$build" = build ]; then
	# The newest LTS as well as Debian's: the same tests, its own testpmd.
	stage "DPDK ${RTAP_CI_DPDK:-24.11.6}" env RTAP_QUICK=1 RTAP_DPDK="${RTAP_CI_DPDK:-24.11.6}" \
		bash scripts/test.sh "$@"
	stage "in DPDK 26.07's tree, checkpatches" bash scripts/intree.sh 26.07
	# Installs the package for a few seconds: every DPDK process started then loads it.
	stage "Debian package" /usr/bin/python3 scripts/test-package.py
	stage "sanitizers and valgrind" bash scripts/test-sanitize.sh
	stage "fuzzing" bash scripts/fuzz.sh "${RTAP_FUZZ_SECONDS:-30}"
	stage "soak" bash scripts/soak.sh "${RTAP_SOAK_SECONDS:-60}"
	# Debian 12's own kernel in a TCG guest: the readv drain (no RWF_NOWAIT on tun).
	stage "kernel 6.1" bash scripts/test-kernels.sh 6.1 -- -k "datapath or control or rss or tun or sqpoll or toolbox"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
