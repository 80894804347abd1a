#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The tests again, where memory errors show:
#  1. build-asan/: the driver, unit tests and test app built with
#     AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer at exit);
#     the unit tests run there;
#  2. the unit tests of build/ under valgrind (memcheck);
#  3. the system tests (or those in $SANITIZE_TESTS) against the ASan test app
#     (RTAP_TESTAPP): a report makes the app exit non-zero, which fails the test;
#  4. the concurrency stress against the ASan test app, and against a
#     ThreadSanitizer build of everything: TSan sees a race only where it sees
#     every access and every synchronisation, so DPDK ($RTAP_TSAN_DPDK,
#     24.11.6) is built with it too (scripts/dpdk-build.sh dpdk-tsan), with its
#     atomics and locks as compiler intrinsics rather than inline assembly.
#     tests/tsan.supp names the races of DPDK's own design.
# DPDK runs with --no-huge everywhere, so its memory is ordinary mmap'd memory.
# DPDK's own libraries are not instrumented: ASan checks the driver's and the
# tests' own accesses (and libc calls), LSan every malloc, UBSan the driver;
# mbufs lost inside a mempool are what the tests' pool-full checks catch.
# Ends with "N passed, N failed" (one count per stage). Needs root.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
asan=build-asan
tests=${SANITIZE_TESTS:-tests/system}

bash scripts/setup.sh >/dev/null || exit 1
if [ ! -f "$asan/build.ninja" ]; then
	# clang: its UBSan checks pointer overflow where gcc's folds it away.
	CC=clang meson setup "$asan" -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null || exit 1
fi
for b in build "$asan"; do
	ninja -C "$b" >/dev/null || { echo "build of $b failed"; ninja -C "$b"; exit 1; }
done

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

passed=0
failed=0
stage() {
	local name=$1
	shift
	echo "== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "== $name: FAILED"
		failed=$((failed + 1))
	fi
}

stage "unit tests, ASan+UBSan+LSan" meson test -C "$asan" --suite unit --print-errorlogs
# EAL does not join its own threads at cleanup: their stacks are "possibly
# lost"; a definite leak is an error.
stage "unit tests, valgrind" meson test -C build --suite unit --print-errorlogs \
	--timeout-multiplier 10 --wrapper "valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite"
# shellcheck disable=SC2086
stage "system tests, ASan test app" env RTAP_TESTAPP="$top/$asan/tests/rtap_testapp" \
	/usr/bin/python3 -m pytest -q -ra -p no:cacheprovider $tests
stage "stress, ASan test app" env RTAP_TESTAPP="$top/$asan/tests/rtap_testapp" \
	bash scripts/stress.sh "${RTAP_STRESS_SECONDS:-30}"

# EAL's memory must lie below TSan's shadow (from 0x010000000000).
tsan_stress() {
	local prefix build=build-tsan-dpdk$tsan_dpdk
	prefix=$(bash scripts/dpdk-build.sh dpdk-tsan "$tsan_dpdk" | tail -n 1) || return 1
	if [ ! -f "$build/build.ninja" ]; then
		PKG_CONFIG_PATH=$prefix/lib/pkgconfig CC=clang meson setup "$build" \
			-Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false \
			"-Dc_args=-DRTE_FORCE_INTRINSICS -DRTE_USE_C11_MEM_MODEL" >/dev/null || return 1
	fi
	ninja -C "$build" >/dev/null || { ninja -C "$build"; return 1; }
	env LD_LIBRARY_PATH="$prefix/lib" PATH="$prefix/bin:$PATH" RTAP_DPDK="$tsan_dpdk" \
		RTAP_BUILD="$top/$build" RTAP_BASE_VIRTADDR=0x4000000000 \
		TSAN_OPTIONS="suppressions=$top/tests/tsan.supp report_signal_unsafe=0" \
		bash scripts/stress.sh "${RTAP_STRESS_SECONDS:-30}"
}
tsan_dpdk=${RTAP_TSAN_DPDK:-24.11.6}
stage "stress, TSan (DPDK $tsan_dpdk built with it)" tsan_stress

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
