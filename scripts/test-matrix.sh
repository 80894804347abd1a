#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The unit and system tests on every DPDK release rtap supports, each with
# the oldest and newest liburing it supports:
#
#   scripts/test-matrix.sh [DPDK...]     (default: debian 23.11.7 24.11.6 25.11.2 26.07)
#
# "debian" is the system's DPDK (22.11) and the system's liburing (2.3) the
# oldest; upstream releases and liburing RTAP_MATRIX_LIBURING (2.9) are built
# once into a cache by scripts/dpdk-build.sh. Prints a table, one line per
# combination, and ends with "N passed, N failed" summed over all of them.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

dpdks=("$@")
[ ${#dpdks[@]} -gt 0 ] || dpdks=(debian 23.11.7 24.11.6 25.11.2 26.07)
urings=(debian "${RTAP_MATRIX_LIBURING:-2.9}")

passed=0
failed=0
table=()
for d in "${dpdks[@]}"; do
	for u in "${urings[@]}"; do
		env=(RTAP_QUICK=1)
		[ "$d" = debian ] || env+=(RTAP_DPDK="$d")
		[ "$u" = debian ] || env+=(RTAP_LIBURING="$u")
		echo "== DPDK $d, liburing $u"
		out=$(mktemp)
		env "${env[@]}" bash scripts/test.sh 2>&1 | tee "$out"
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
		against=$(sed -n 's/^== against //p' "$out" | head -n 1)
		rm -f "$out"
		p=${line%% passed*}
		f=$(sed 's/.*, \([0-9]*\) failed/\1/' <<<"$line")
		[ -n "$line" ] || { p=0; f=1; }
		passed=$((passed + p))
		failed=$((failed + f))
		table+=("$(printf '%-8s %-8s %-60s %s' "$d" "$u" "${against:-system DPDK and liburing}" \
			"${line:-did not finish}")")
	done
done

echo "== matrix"
printf '%-8s %-8s %-60s %s\n' DPDK liburing built-against result
printf '%s\n' "${table[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
