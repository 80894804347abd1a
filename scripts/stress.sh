#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Concurrency stress (tests/system/stress.py): traffic both ways on a 4-queue
# port while the control thread, EAL's interrupt thread (link events from
# outside), telemetry and a secondary process all work on it.
#
#   scripts/stress.sh 30                                        # as CI runs it
#   RTAP_TESTAPP=build-asan/tests/rtap_testapp scripts/stress.sh 3600   # an hour under ASan
#
# CI runs it for RTAP_STRESS_SECONDS (30) under ASan, in
# scripts/test-sanitize.sh. Needs root; ends with "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
exec /usr/bin/python3 "$top/tests/system/stress.py" "${1:-30}"
