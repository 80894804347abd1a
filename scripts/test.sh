#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set up the machine, build rtap and run every test: the C unit tests and the
# system tests (real TAP interfaces, namespaces and traffic). Needs root.
# Ends with one line: "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/setup.sh || exit 1
ninja -C build >/dev/null || { echo "build failed"; ninja -C build; exit 1; }

passed=0
failed=0
count() {
	passed=$((passed + $1))
	failed=$((failed + $2))
}

echo "== unit tests"
meson test -C build --suite unit --print-errorlogs
log=build/meson-logs/testlog.json
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
