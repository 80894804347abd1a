#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What one received frame costs the polling lcore, per way of reading: rtap's
# Rx with each set of devargs given, testpmd rxonly pinned to CPU 1, trafgen
# pinned to CPU 0 sending 64-byte frames into the TAP flat out and at a low
# rate. Counted with perf over the same window: frames delivered, io_uring
# requests submitted (io_uring:io_uring_submit_req) and io_uring_enter()
# calls a frame, then the lcore's hottest symbols (perf record).
#
#   bench/profile.sh [--secs S] [--rate PPS] ["devargs" ...]
#
# Default: 3 s, 10000 frames/s for the low rate, "multishot=1" against
# "multishot=0". Output: one line a variant and load, then the profiles;
# logs in a temporary directory that is removed.
set -euo pipefail
RTAP_LOG_TAG=profile
. "$(dirname "$0")/../scripts/lib.sh"

secs=3 rate=10000
while [ $# -gt 0 ]; do
	case $1 in
	--secs) secs=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- multishot=1 multishot=0

cd "$RTAP_TOP"
ninja -C "$RTAP_BUILD" >/dev/null
plugin=$(rtap_stage_plugin)
tok=$(rtap_token)
work=$(mktemp -d)
rtap_on_exit rm -rf "$work"
ns=pr$tok ifname=prk$tok
rtap_netns_add "$ns"
cat >"$work/udp64.cfg" <<EOF
{ eth(da=02:00:00:00:00:02, sa=02:00:00:00:00:01), ipv4(saddr=10.9.0.1, daddr=10.9.0.2),
  udp(sp=9, dp=9), fill(0x00, 22) }
EOF

# One window: trafgen at the given options, perf counting testpmd's events.
measure() { # label trafgen-options...
	local label=$1 before after sent
	shift
	rtap_tpmd_cmd start >/dev/null
	before=$(rtap_if_stat "$ns" "$ifname" tx_packets)
	ip netns exec "$ns" taskset -c 0 timeout -s INT "$secs" trafgen -o "$ifname" \
		-i "$work/udp64.cfg" -P 1 -q --no-sock-mem --notouch-irq "$@" >/dev/null 2>&1 &
	local gen=$!
	perf stat -x, -e io_uring:io_uring_submit_req -e syscalls:sys_enter_io_uring_enter \
		-p "$TPMD_PID" -o "$work/stat" -- sleep "$secs"
	wait "$gen" || true
	sleep 0.3
	rtap_tpmd_cmd stop >"$work/stop"
	after=$(rtap_if_stat "$ns" "$ifname" tx_packets)
	sent=$((after - before))
	awk -F, -v label="$label" -v sent="$sent" -v stop="$work/stop" '
		BEGIN { while ((getline l < stop) > 0) if (l ~ /RX-packets:/ && !got) {
			split(l, w, " "); got = w[2] } }
		/io_uring_submit_req/ { req = $1 } /sys_enter_io_uring_enter/ { enter = $1 }
		END { printf "%-34s %9d frames delivered of %9d, %6.2f requests and %6.2f io_uring_enter a frame\n",
			label, got, sent, got ? req / got : 0, got ? enter / got : 0 }' "$work/stat"
}

for variant in "$@"; do
	prefix="rtapp-$tok"
	rtap_eal_prefix "$prefix"
	rtap_tpmd_start "$work" taskset -c 1 dpdk-testpmd -d "$plugin" --no-huge -m 1024 \
		--no-pci --file-prefix="$prefix" --lcores=0@1,1@1 \
		"--vdev=net_rtap0,iface=$ifname,$variant" -- --forward-mode=rxonly \
		--nb-cores=1 --burst=32 --rxd=512 --txd=512 --total-num-mbufs=16384
	rtap_if_to_ns "$ifname" "$ns" 02:00:00:00:00:02 ""
	measure "$variant, flat out"
	measure "$variant, $rate frames/s" -b "${rate}pps"
	# The lcore's profile while flat out.
	rtap_tpmd_cmd start >/dev/null
	ip netns exec "$ns" taskset -c 0 timeout -s INT "$secs" trafgen -o "$ifname" \
		-i "$work/udp64.cfg" -P 1 -q --no-sock-mem --notouch-irq >/dev/null 2>&1 &
	gen=$!
	perf record -q -C 0,1 -o "$work/perf.data" -- sleep "$secs" 2>/dev/null
	wait "$gen" || true
	rtap_tpmd_cmd stop >/dev/null
	# CPU 1 polls; CPU 0 sends, and wakes whatever waits on the TAP queue.
	for cpu in 1 0; do
		perf report -q -i "$work/perf.data" --cpu "$cpu" --no-children --sort symbol \
			2>/dev/null | awk -v head="  $variant, flat out, CPU $cpu" '
			NF { if ($3 ~ /^_*io_/) uring += $1; if (n++ < 10) top = top "    " $1 " " $3 "\n" }
			END { printf "%s (io_uring symbols %.1f%%):\n%s", head, uring, top }'
	done
	rtap_tpmd_quit
done
