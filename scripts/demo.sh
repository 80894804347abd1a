#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# See rtap work: set up, build, then carry real traffic between two network
# namespaces through a DPDK forwarder (dpdk-testpmd, io forwarding) whose two
# ports are rtap ports. Each port's kernel interface is moved into its own
# namespace with an address; ping and iperf3 go from one to the other.
# Everything created is removed on exit, Ctrl-C or failure.
set -euo pipefail
RTAP_LOG_TAG=demo
. "$(dirname "$0")/lib.sh"

cd "$RTAP_TOP"
rtap_log "setting up (packages, DPDK driver-SDK headers)..."
bash scripts/setup.sh | sed 's/^/    /'
rtap_log "building..."
ninja -C "$RTAP_BUILD" | tail -1 | sed 's/^/    /'
plugin=$(rtap_stage_plugin)

tok=$(rtap_token)
fwd=rdf$tok ns1=rd1$tok ns2=rd2$tok
if1=rd${tok}a if2=rd${tok}b
work=$(mktemp -d)
rtap_on_exit rm -rf "$work"
for ns in "$fwd" "$ns1" "$ns2"; do
	rtap_netns_add "$ns"
done

rtap_eal_prefix "rtap-demo-$tok"
rtap_log "starting dpdk-testpmd with two rtap ports ($if1, $if2) on CPU 1..."
rtap_tpmd_start "$work" taskset -c 1 ip netns exec "$fwd" dpdk-testpmd -d "$plugin" \
	--no-huge -m 1024 --no-pci --file-prefix="rtap-demo-$tok" --lcores=0@1,1@1 \
	--vdev="net_rtap0,iface=$if1" --vdev="net_rtap1,iface=$if2" -- \
	--total-num-mbufs=16384 --nb-cores=1 --forward-mode=io
ip -n "$fwd" link set "$if1" netns "$ns1"
ip -n "$fwd" link set "$if2" netns "$ns2"
for side in "$ns1 $if1 10.200.0.1/24" "$ns2 $if2 10.200.0.2/24"; do
	set -- $side
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" link set "$2" up
done
rtap_log "  $ns1: $if1 10.200.0.1  <->  testpmd io forwarding  <->  $ns2: $if2 10.200.0.2"
rtap_tpmd_cmd start >/dev/null

rtap_log "ping, 10 packets..."
ip netns exec "$ns1" taskset -c 0 ping -c 10 -i 0.05 -W 2 10.200.0.2 >"$work/ping" ||
	{ cat "$work/ping"; rtap_die "ping through the forwarder failed"; }
rtt=$(sed -n 's|^rtt min/avg/max/mdev = \([^/]*\)/\([^/]*\)/.*|min \1 ms, avg \2 ms|p' "$work/ping")
loss=$(grep -o '[0-9.]*% packet loss' "$work/ping")

rtap_log "iperf3 TCP, 3 seconds..."
ip netns exec "$ns2" taskset -c 0 iperf3 -s -1 -B 10.200.0.2 >"$work/iperf-s" 2>&1 &
RTAP_PIDS+=("$!")
for ((i = 0; i < 50; i++)); do
	ip netns exec "$ns2" ss -ltn | grep -q ':5201 ' && break
	sleep 0.1
done
ip netns exec "$ns1" taskset -c 0 iperf3 -c 10.200.0.2 -t 3 -f g >"$work/iperf" 2>&1 ||
	{ cat "$work/iperf"; rtap_die "iperf3 through the forwarder failed"; }
gbps=$(awk '/ receiver$/ { print $7, $8 }' "$work/iperf")
retr=$(awk '/ sender$/ { print $9 }' "$work/iperf")

rtap_tpmd_cmd stop >"$work/stop"
rtap_log "results"
printf '    ping   %s: rtt %s\n' "$loss" "$rtt"
printf '    iperf3 TCP %s -> %s: %s, %s retransmits\n' "$ns1" "$ns2" "$gbps" "${retr:-?}"
awk -v if0="$if1" -v if1="$if2" '
	/Forward statistics for port/ { port = $(NF - 1) }
	/RX-packets:/ && port != "" { rx = $2; drop = $4 }
	/TX-packets:/ && port != "" {
		printf "    port %s (%s): RX %s packets, TX %s packets, RX dropped %s\n",
			port, port == 0 ? if0 : if1, rx, $2, drop
		port = ""
	}' "$work/stop"
rtap_tpmd_quit
rtap_log "done; cleaning up"
