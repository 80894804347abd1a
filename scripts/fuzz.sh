#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) in
# build-fuzz/ and run each for the given number of seconds (default 60),
# starting from the checked-in seed corpus in tests/fuzz/corpus/<target>/.
# New inputs go to build-fuzz/corpus/<target>/, crashes to
# build-fuzz/crashes/<target>/. Exit status 1 when any target found a crash.
#
#   scripts/fuzz.sh 60                  # CI: about a minute per target
#   scripts/fuzz.sh 3600                # long run, an hour per target
#   FUZZ_TARGETS=fuzz_devargs scripts/fuzz.sh 600   # one target
#
# Reproduce a crash: build-fuzz/tests/fuzz/<target> <crash file>.
# A crash that is a driver bug gets fixed with a unit test that replays it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
build="$top/build-fuzz"
targets=${FUZZ_TARGETS:-"fuzz_rx_frame fuzz_chain_trim fuzz_devargs"}

bash "$top/scripts/setup.sh" >/dev/null
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$top" -Dfuzz=true -Dbuildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$build" >"$build/ninja.log" || { cat "$build/ninja.log"; exit 1; }

# Abort on the first UBSan report so libFuzzer keeps the input.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1

failed=0
for t in $targets; do
	corpus="$build/corpus/$t"
	crashes="$build/crashes/$t"
	mkdir -p "$corpus" "$crashes"
	echo "[fuzz] $t: ${secs}s"
	if ! "$build/tests/fuzz/$t" -max_total_time="$secs" -max_len=9000 \
		-print_final_stats=1 -artifact_prefix="$crashes/" \
		"$corpus" "$top/tests/fuzz/corpus/$t" >"$build/$t.log" 2>&1; then
		echo "[fuzz] $t: FAILED, see $build/$t.log and $crashes/"
		grep -m5 -E 'ERROR|SUMMARY|runtime error|abort' "$build/$t.log" || true
		failed=1
		continue
	fi
	grep -E '^stat::number_of_executed_runs|cov: ' "$build/$t.log" | tail -2 | tr '\n' ' '
	echo
done
exit $failed
