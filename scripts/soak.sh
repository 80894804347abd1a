#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Soak: forward for a chosen time under everything that goes on in a real
# deployment, then check that nothing leaked.
#
#   scripts/soak.sh 60            # CI: a minute
#   scripts/soak.sh 28800         # overnight
#   RTAP_TESTAPP=build-asan/tests/rtap_testapp scripts/soak.sh 600   # under ASan
#
# The test app forwards between two rtap ports of 2 queues each; their kernel
# sides sit in two network namespaces that talk through it: ping with sizes
# from 56 to 8000 bytes (fragmented), iperf3 UDP of mixed datagram sizes and
# iperf3 TCP with 4 streams (spread over both queues). Every few seconds one
# of: a link flap from outside (ip link set down/up in the namespace), or a
# stop/start of both ports (checking the pool is full while they are stopped).
# At the end: the pool is full, the process holds the fds it held before the
# ports existed and no TAP fd or io_uring, no Rx error, both directions moved
# traffic, and the app exits 0 (with ASan: no report). Needs root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
app_bin=${RTAP_TESTAPP:-$top/build/tests/rtap_testapp}
tok=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
nsa=rtsoak-a-$tok
nsb=rtsoak-b-$tok
ifa=rtsa$tok
ifb=rtsb$tok
subnet=10.$((200 + 0x${tok:0:2} % 50)).$((0x${tok:2:2}))
log=$(mktemp -d /tmp/rtap-soak.XXXXXX)
pids=()

say() { printf '[soak] %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	if [ -n "${APP_PID:-}" ] && kill -0 "$APP_PID" 2>/dev/null; then
		kill "$APP_PID" 2>/dev/null || true
	fi
	ip netns del "$nsa" 2>/dev/null || true
	ip netns del "$nsb" 2>/dev/null || true
	ip link del "$ifa" 2>/dev/null || true
	ip link del "$ifb" 2>/dev/null || true
}
trap cleanup EXIT

bash "$top/scripts/setup.sh" >/dev/null
ninja -C "$top/build" >/dev/null

coproc APP { exec "$app_bin" --no-huge -m 512 --no-pci --lcores '0@(0-1)' \
	--file-prefix "rtsoak$tok" -- --pool-size 8192 2>"$log/app.log"; }
APP_PID=$APP_PID

# Send one command; the reply's words after "ok" land in $reply.
call() {
	local line
	echo "$*" >&"${APP[1]}"
	while read -r -t 120 -u "${APP[0]}" line; do
		case $line in
		ok*) reply=${line#ok}; return 0 ;;
		err*) reply=$line; fail "'$*': $line" ;;
		esac
	done
	fail "'$*': no answer (see $log/app.log)"
}

fds() { ls "/proc/$APP_PID/fd" | wc -l; }
kernel_fds() { ls -l "/proc/$APP_PID/fd" | grep -c 'tun\|io_uring' || true; }

pool_full() {
	call pool
	local avail size
	avail=$(sed 's/.*avail=\([0-9]*\).*/\1/' <<<"$reply")
	size=$(sed 's/.*size=\([0-9]*\).*/\1/' <<<"$reply")
	[ "$avail" = "$size" ] || fail "pool: $avail of $size mbufs free $1"
}

read -r -t 60 -u "${APP[0]}" ready
[ "$ready" = ready ] || fail "test app did not start (see $log/app.log)"
fds_start=$(fds)

call attach "net_rtap_sa$tok,iface=$ifa"; pa=${reply# }
call attach "net_rtap_sb$tok,iface=$ifb"; pb=${reply# }
ip netns add "$nsa"
ip netns add "$nsb"
for x in "a $ifa $nsa 1" "b $ifb $nsb 2"; do
	set -- $x
	ip link set "$2" netns "$3"
	ip netns exec "$3" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip -n "$3" addr add "$subnet.$4/24" dev "$2"
	ip -n "$3" link set lo up
done
for p in $pa $pb; do
	call configure "$p" 2 2
	call start "$p"
	call promisc "$p" on
done
for x in "$ifa $nsa" "$ifb $nsb"; do
	set -- $x
	ip -n "$2" link set "$1" up
done

end=$((SECONDS + secs))
# Kernel-side generators, restarted until the end (a flap may break a run).
ip netns exec "$nsb" iperf3 -s -p 5201 >"$log/iperf-s1.log" 2>&1 & pids+=($!)
ip netns exec "$nsb" iperf3 -s -p 5202 >"$log/iperf-s2.log" 2>&1 & pids+=($!)
(
	sizes=(64 200 512 1000 1400 1472 3000 8000)
	while [ $SECONDS -lt $end ]; do
		l=${sizes[RANDOM % ${#sizes[@]}]}
		timeout 10 ip netns exec "$nsa" iperf3 -c "$subnet.2" -p 5201 -u -b 40M -l "$l" \
			-t 4 >>"$log/iperf-udp.log" 2>&1 || sleep 0.5
	done
) & pids+=($!)
(
	while [ $SECONDS -lt $end ]; do
		timeout 15 ip netns exec "$nsa" iperf3 -c "$subnet.2" -p 5202 -P 4 -t 5 \
			>>"$log/iperf-tcp.log" 2>&1 || sleep 0.5
	done
) & pids+=($!)
(
	sizes=(56 300 1000 1472 1473 4000 8000)
	while [ $SECONDS -lt $end ]; do
		ip netns exec "$nsb" ping -q -c 5 -i 0.05 -W 1 -s "${sizes[RANDOM % ${#sizes[@]}]}" \
			"$subnet.1" >>"$log/ping.log" 2>&1 || true
	done
) & pids+=($!)

a2b=0 b2a=0 flaps=0 restarts=0 round=0
while [ $SECONDS -lt $end ]; do
	round=$((round + 1))
	flap=
	case $((round % 3)) in
	1)	# A link flap from outside while forwarding.
		( sleep 0.7; ip -n "$nsa" link set "$ifa" down; sleep 0.3
		  ip -n "$nsa" link set "$ifa" up ) &
		flap=$!
		flaps=$((flaps + 1)) ;;
	2)	# Stop and start both ports: every mbuf must be home while stopped.
		call stop "$pa"; call stop "$pb"
		pool_full "with both ports stopped (round $round)"
		call start "$pa"; call start "$pb"
		restarts=$((restarts + 1)) ;;
	esac
	call fwd "$pa" "$pb" 2000
	read -r x y <<<"$reply"
	a2b=$((a2b + x)) b2a=$((b2a + y))
	[ -z "$flap" ] || wait "$flap"
done

for p in "${pids[@]}"; do
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
pids=()

call stats "$pa"; sa=$reply
call stats "$pb"; sb=$reply
call stop "$pa"; call stop "$pb"
pool_full "after the last stop"
call close "$pa"; call close "$pb"
pool_full "after close"
say "forwarded a->b $a2b, b->a $b2a; $flaps link flaps, $restarts stop/start cycles"
say "port a:$sa"
say "port b:$sb"
[ "$a2b" -gt 0 ] && [ "$b2a" -gt 0 ] || fail "no traffic forwarded"
for s in "$sa" "$sb"; do
	grep -q ' ierrors=0 ' <<<"$s" || fail "Rx errors: $s"
done
[ "$(kernel_fds)" -eq 0 ] || fail "TAP fds or io_urings left: $(ls -l /proc/$APP_PID/fd)"
[ "$(fds)" -eq "$fds_start" ] || fail "fds: $(fds) open, $fds_start at start"
echo quit >&"${APP[1]}"
wait "$APP_PID" || fail "test app exited with $? (see $log/app.log)"
say "PASS: pool full, fds back to $fds_start, no TAP fd or io_uring left"
rm -rf "$log"
