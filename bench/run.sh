#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Side-by-side benchmark: rtap, net_tap and net_af_packet (on a veth) in one
# run, on identical settings (one testpmd binary, burst, descriptors, mempool,
# lcores), the drivers interleaved in every repetition.
#
#   bench/run.sh [--quick] [--reps N] [--secs S] [--drivers "rtap tap af_packet"]
#                [--placement "pinned spread"]
#
# --quick (CI smoke): 1 repetition, 1 s per measurement. Default: 5 x 3 s.
# --short: only the 64-byte Tx, Rx and forwarding rows and the idle ping, to
# compare data-path changes (no TCP, offload or OVS rows).
# --drivers may also name rtap's variants: rtap_sqpoll, rtap with sqpoll=0 on
# every port (an io_uring SQPOLL thread on the kernel-side CPU), and
# rtap_mshot, rtap with multishot=1 (multishot Rx where the kernel has it).
#
# Topology, per driver: testpmd runs in namespace F with two ports; the kernel
# side of port 0 lives in namespace 1 (10.201.0.1), that of port 1 in
# namespace 2 (10.201.0.2). For net_af_packet the ports sit on veths in F
# whose peers are the kernel sides. Every driver runs in each placement:
# "pinned", testpmd's main and forwarding lcores on CPU 1 and the kernel-side
# tools (trafgen, iperf3, ping, bench/udp_gso.py) on CPU 0; "spread", EAL's
# main lcore on CPU 0 and the forwarding lcore on CPU 1, testpmd otherwise
# unpinned, and the kernel-side tools where the scheduler puts them, but
# trafgen, still on CPU 0 so that the offered load stays comparable. UDP with
# GSO (bench/udp_gso.py) runs with every offload a driver has, none for
# net_af_packet. rtap's TCP rows also run without LRO with its default
# complete Rx checksums and with csum=partial; rtap and net_tap also carry TCP
# through Open vSwitch (bench/ovs.py). Results: bench/results/<time>-<token>/
# with runs.csv (one row per measurement), table.md and chart.png.
set -euo pipefail
RTAP_LOG_TAG=bench
. "$(dirname "$0")/../scripts/lib.sh"

reps=5 secs=3 pings=200 short=0
drivers="rtap tap af_packet" placements="pinned spread"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) reps=1 secs=1 pings=20 ;;
	--short) short=1 ;;
	--reps) reps=$2; shift ;;
	--secs) secs=$2; shift ;;
	--drivers) drivers=$2; shift ;;
	--placement) placements=$2; shift ;;
	*) rtap_die "usage: $0 [--quick] [--short] [--reps N] [--secs S] [--drivers LIST]" \
		"[--placement LIST]" ;;
	esac
	shift
done
read -ra drv_list <<<"$drivers"
read -ra pl_list <<<"$placements"
# A typo would otherwise run testpmd without ports, or everything unpinned.
for d in "${drv_list[@]}"; do
	case $d in rtap | rtap_sqpoll | rtap_mshot | tap | af_packet) ;;
	*) rtap_die "unknown driver $d" ;;
	esac
done
for p in "${pl_list[@]}"; do
	case $p in pinned | spread) ;; *) rtap_die "unknown placement $p" ;; esac
done
[ ${#drv_list[@]} -gt 0 ] && [ ${#pl_list[@]} -gt 0 ] || rtap_die "no driver or no placement"

cd "$RTAP_TOP"
[ -f "$RTAP_BUILD/build.ninja" ] || rtap_die "not configured: run scripts/setup.sh"
ninja -C "$RTAP_BUILD" >/dev/null
plugin=$(rtap_stage_plugin)

tok=$(rtap_token)
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$tok"
mkdir -p "$out/logs"
work=$(mktemp -d)
rtap_on_exit rm -rf "$work"
csv="$out/runs.csv"
# New columns go at the end, the placement last: older readers keep working.
echo "rep,driver,test,value,unit,generated_mpps,delivered_pct,cycles_per_pkt,retrans,rtt_min_ms,rtt_p99_ms,offloads,dropped_tap,lost_tap,lost_pmd,lost_rx,cpu_ns_per_pkt,placement" >"$csv"

nsf=bf$tok ns1=b1$tok ns2=b2$tok
k0=bk0$tok k1=bk1$tok
mac0="02:${tok:0:2}:${tok:2:2}:${tok:4:2}:00:01"
mac1="02:${tok:0:2}:${tok:2:2}:${tok:4:2}:00:02"
ip0=10.201.0.1 ip1=10.201.0.2
for ns in "$nsf" "$ns1" "$ns2"; do
	rtap_netns_add "$ns"
	# No ICMP errors for the UDP flood to a closed port: they would travel back.
	ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=100000000
done

# The kernel-only ceiling: a veth straight between the two namespaces.
ip link add "bv1$tok" netns "$ns1" type veth peer name "bv2$tok" netns "$ns2"
ip -n "$ns1" addr add 10.202.0.1/24 dev "bv1$tok"
ip -n "$ns2" addr add 10.202.0.2/24 dev "bv2$tok"
ip -n "$ns1" link set "bv1$tok" up
ip -n "$ns2" link set "bv2$tok" up

# The 64-byte UDP frame every generator sends, from namespace 1 to 2.
cat >"$work/udp64.cfg" <<EOF
{ eth(da=$mac1, sa=$mac0), ipv4(saddr=$ip0, daddr=$ip1, ttl=64), udp(sp=9, dp=9), fill(0x00, 22) }
EOF

# One CSV row; the placement it ran in is added at the end.
row() { # rep driver test value unit [generated delivered cycles retrans rttmin rttp99 offloads
	#   dropped_tap lost_tap lost_pmd lost_rx cpu_ns]
	local IFS=,
	echo "$*" | awk -F, -v OFS=, -v pl="$placement" '{ NF = 17; $18 = pl; print }' >>"$csv"
}

now_ns() { date +%s%N; }

# Where the processes run (see the top). trafgen is on CPU 0 in both.
placement= tpmd_pin=() eal_lcores=() kpin=()
placement_set() {
	placement=$1
	case $1 in
	pinned) tpmd_pin=(taskset -c 1) eal_lcores=(--lcores=0@1,1@1) kpin=(taskset -c 0) ;;
	spread) tpmd_pin=() eal_lcores=(-l 0-1) kpin=() ;;
	esac
}

# Busy jiffies of all CPUs (user, nice, system, irq, softirq, steal): the CPU
# a measurement cost on both cores, whoever spent it.
cpu_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
hz=$(getconf CLK_TCK)

cpu_ns_per_pkt() { # busy-before busy-after packets
	awk -v b=$(($2 - $1)) -v n="$3" -v hz="$hz" 'BEGIN { if (n > 0) printf "%.0f", b * 1e9 / hz / n }'
}

# Counter $3 (RX-packets, RX-missed, RX-errors, RX-nombuf, TX-packets,
# TX-errors) of port $2 in the output of "show port stats all" in file $1.
pstat() {
	awk -v p="$2" -v k="$3:" '/NIC statistics for port/ { cur = $(NF - 1) }
		cur == p { for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1"
}

# UDP receive errors in namespace $1 (InErrors, which counts RcvbufErrors too).
udp_errors() {
	ip netns exec "$1" awk '$1 == "Udp:" { if (k) { print $k; exit }
		for (i = 2; i <= NF; i++) if ($i == "InErrors") k = i }' /proc/net/snmp
}

# Running totals of the frames lost on the way ns1 -> port 0 -> port 1 -> ns2,
# to subtract: "<at port 0's TAP queue> <in the PMD or testpmd> <at the
# receiving side>". testpmd's RX-missed is not counted in the PMD: rtap's is
# its TAP's tx_dropped, net_af_packet's (in DPDKs that report it) the packet
# socket's drops, both of which are counted here at the queue.
losses() { # driver
	local st=$work/pstats tap pmd rx
	rtap_tpmd_cmd "show port stats all" >"$st"
	# A TAP the reader does not keep up with drops as tx_dropped.
	tap=$(rtap_if_stat "$ns1" "$k0" tx_dropped)
	rx=$(($(rtap_if_stat "$ns2" "$k1" rx_dropped) + $(udp_errors "$ns2")))
	if [ "$1" = af_packet ]; then
		# What the veth handed to F and testpmd did not get: the packet socket
		# ring's drops (this DPDK's net_af_packet reports none). The veth's
		# own drops (a full backlog) are tx_dropped of its sending end.
		tap=$((tap + $(rtap_if_stat "$nsf" "bd0$tok" rx_packets) - $(pstat "$st" 0 RX-packets)))
		rx=$((rx + $(rtap_if_stat "$nsf" "bd1$tok" tx_dropped)))
	fi
	# For io forwarding, what port 0 received and port 1 did not send is what
	# testpmd's stop output counts as TX-dropped (Tx refused or errors).
	pmd=$(($(pstat "$st" 0 RX-errors) + $(pstat "$st" 0 RX-nombuf) +
		$(pstat "$st" 0 RX-packets) - $(pstat "$st" 1 TX-packets)))
	echo "$tap $pmd $rx"
}

# The devargs of rtap's variants. The SQPOLL thread goes on CPU 0, with the
# kernel-side tools.
rtap_variant() {
	case $1 in
	rtap_sqpoll) echo ,sqpoll=0 ;;
	rtap_mshot) echo ,multishot=1 ;;
	esac
}

# EAL, mempool, descriptors, burst and lcores: the same for every driver;
# rtap's ports get the devargs in rtap_devargs (",key=value...") too.
rtap_devargs=
tpmd_launch() { # driver tag extra-testpmd-args...
	local drv=$1 tag=$2 vdevs=()
	shift 2
	case $drv in
	rtap*)
		local v=$rtap_devargs$(rtap_variant "$drv")
		vdevs=("--vdev=net_rtap0,iface=$k0$v" "--vdev=net_rtap1,iface=$k1$v") ;;
	tap) vdevs=("--vdev=net_tap0,iface=$k0" "--vdev=net_tap1,iface=$k1") ;;
	af_packet)
		local i
		for i in 0 1; do
			local ns=$ns1
			[ $i = 1 ] && ns=$ns2
			ip link add "bd$i$tok" netns "$nsf" type veth peer name "bk$i$tok" netns "$ns"
			ip -n "$nsf" link set "bd$i$tok" up
			# The kernel side must finish checksums and segments, as it does for a
			# TAP without offloads: a packet socket gets frames as they are.
			ip netns exec "$ns" ethtool -K "bk$i$tok" tx off tso off >/dev/null
			vdevs+=("--vdev=net_af_packet$i,iface=bd$i$tok")
		done
		;;
	esac
	local prefix="rtapb-$tok-$tag"
	rtap_eal_prefix "$prefix"
	mkdir -p "$work/$tag"
	rtap_tpmd_start "$work/$tag" "${tpmd_pin[@]}" ip netns exec "$nsf" dpdk-testpmd -d "$plugin" \
		--no-huge -m 1024 --no-pci --file-prefix="$prefix" "${eal_lcores[@]}" "${vdevs[@]}" \
		-- --total-num-mbufs=16384 --nb-cores=1 --burst=32 --rxd=512 --txd=512 \
		--record-core-cycles "$@"
}

# After any port reconfiguration: the kernel sides go to their namespaces.
tpmd_plumb() {
	local drv=$1 n ns ifname mac addr peer peermac
	for n in 0 1; do
		if [ $n = 0 ]; then
			ns=$ns1 ifname=$k0 mac=$mac0 addr=$ip0 peer=$ip1 peermac=$mac1
		else
			ns=$ns2 ifname=$k1 mac=$mac1 addr=$ip1 peer=$ip0 peermac=$mac0
		fi
		[ "$drv" = af_packet ] || ip -n "$nsf" link set "$ifname" netns "$ns"
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifname.disable_ipv6=1"
		ip -n "$ns" link set "$ifname" address "$mac"
		ip -n "$ns" addr add "$addr/24" dev "$ifname"
		ip -n "$ns" link set "$ifname" up
		# Static neighbours: no ARP in the counts, and the same for every driver.
		ip -n "$ns" neigh replace "$peer" lladdr "$peermac" dev "$ifname" nud permanent
	done
}

tpmd_done() {
	cp "$TPMD_LOG" "$out/logs/$1.log"
	rtap_tpmd_quit
	ip -n "$ns1" link del "$k0" 2>/dev/null || true
	ip -n "$ns2" link del "$k1" 2>/dev/null || true
}

stop_field() { # stop-output pattern: the accumulated RX/TX packets, cycles/packet
	case $2 in
	rx) awk '/Accumulated/ { a = 1 } a && /RX-packets:/ { print $2; exit }' "$1" ;;
	cycles) sed -n 's|.*CPU cycles/packet=\([0-9.]*\).*|\1|p' "$1" | tail -1 ;;
	esac
}

# Tx: testpmd txonly on port 0, counted where the kernel received it.
bench_tx() { # rep driver test txpkts
	local rep=$1 drv=$2 test=$3 t0 t1 c0 c1 bytes0 bytes1 busy0 busy1
	rtap_tpmd_cmd "set txpkts $4" >/dev/null
	rtap_tpmd_cmd start >/dev/null
	sleep 0.5
	c0=$(rtap_if_stat "$ns1" "$k0" rx_packets) bytes0=$(rtap_if_stat "$ns1" "$k0" rx_bytes)
	t0=$(now_ns) busy0=$(cpu_busy)
	sleep "$secs"
	c1=$(rtap_if_stat "$ns1" "$k0" rx_packets) bytes1=$(rtap_if_stat "$ns1" "$k0" rx_bytes)
	t1=$(now_ns) busy1=$(cpu_busy)
	rtap_tpmd_cmd stop >"$work/stop"
	row "$rep" "$drv" "$test" \
		"$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.4f", c * 1000 / t }')" Mpps \
		"" "" "$(stop_field "$work/stop" cycles)" "" "" "" "" "" "" "" "" \
		"$(cpu_ns_per_pkt "$busy0" "$busy1" $((c1 - c0)))"
	rtap_log "  $drv $test [$placement]: $(tail -1 "$csv" | cut -d, -f4) Mpps received by the kernel" \
		"($(awk -v b=$((bytes1 - bytes0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", b * 8 / t }') Gbit/s)," \
		"$(tail -1 "$csv" | cut -d, -f17) CPU ns/packet"
}

# trafgen pinned to CPU 0 on interface $2 of namespace $1 for $secs s, with
# any further trafgen options (a rate); prints how many frames it sent. The
# CPU's busy jiffies at its start and end go to $work/busy0 and busy1.
trafgen_run() {
	local ns=$1 dev=$2
	shift 2
	cpu_busy >"$work/busy0"
	ip netns exec "$ns" taskset -c 0 timeout -s INT "$secs" \
		trafgen -o "$dev" -i "$work/udp64.cfg" -P 1 -q --no-sock-mem --notouch-irq -C "$@" \
		>"$work/trafgen" 2>&1 || true
	cpu_busy >"$work/busy1"
	# Its forked sender prints the count as it exits, after the parent.
	for ((i = 0; i < 40; i++)); do
		grep -q 'packets outgoing' "$work/trafgen" && break
		sleep 0.05
	done
	tr -d '\r' <"$work/trafgen" | awk '/packets outgoing/ { print $1 }'
}

# Rx: trafgen into the kernel side of port 0, testpmd rxonly; flat out, or at
# a rate offered alike to every driver (more trafgen options).
bench_rx() { # rep driver test [trafgen options]
	local rep=$1 drv=$2 test=$3 gen got l0 l1
	shift 3
	rtap_tpmd_cmd "set fwd rxonly" >/dev/null
	rtap_tpmd_cmd start >/dev/null
	read -ra l0 <<<"$(losses "$drv")"
	gen=$(trafgen_run "$ns1" "$k0" "$@")
	sleep 0.3
	read -ra l1 <<<"$(losses "$drv")"
	rtap_tpmd_cmd stop >"$work/stop"
	got=$(stop_field "$work/stop" rx)
	[ -n "$gen" ] && [ "$gen" -gt 0 ] || rtap_die "trafgen sent nothing: $(cat "$work/trafgen")"
	row "$rep" "$drv" "$test" "$(awk -v c="$got" -v t="$secs" 'BEGIN { printf "%.4f", c / t / 1e6 }')" \
		Mpps "$(awk -v c="$gen" -v t="$secs" 'BEGIN { printf "%.4f", c / t / 1e6 }')" \
		"$(awk -v g="$gen" -v c="$got" 'BEGIN { printf "%.1f", 100 * c / g }')" \
		"$(stop_field "$work/stop" cycles)" "" "" "" "" $((l1[0] - l0[0])) "" "" "" \
		"$(cpu_ns_per_pkt "$(cat "$work/busy0")" "$(cat "$work/busy1")" "$got")"
	rtap_log "  $drv $test [$placement]: $(tail -1 "$csv" | cut -d, -f4) Mpps delivered," \
		"$(tail -1 "$csv" | cut -d, -f7)% of generated, $(tail -1 "$csv" | cut -d, -f8) cycles/packet," \
		"$((l1[0] - l0[0])) of $gen dropped before the PMD, $(tail -1 "$csv" | cut -d, -f17) CPU ns/packet"
}

# Forward: UDP from namespace 1 to 2 through io forwarding, counted in 2.
bench_fwd() { # rep driver
	local rep=$1 drv=$2 gen c0 c1 l0 l1 lost
	c0=$(rtap_if_stat "$ns2" "$k1" rx_packets)
	read -ra l0 <<<"$(losses "$drv")"
	gen=$(trafgen_run "$ns1" "$k0")
	sleep 0.3
	c1=$(rtap_if_stat "$ns2" "$k1" rx_packets)
	read -ra l1 <<<"$(losses "$drv")"
	lost=($((l1[0] - l0[0])) $((l1[1] - l0[1])) $((l1[2] - l0[2])))
	row "$rep" "$drv" fwd_udp64 \
		"$(awk -v c=$((c1 - c0)) -v t="$secs" 'BEGIN { printf "%.4f", c / t / 1e6 }')" Mpps \
		"$(awk -v c="$gen" -v t="$secs" 'BEGIN { printf "%.4f", c / t / 1e6 }')" \
		"$(awk -v g="$gen" -v c=$((c1 - c0)) 'BEGIN { printf "%.1f", 100 * c / g }')" \
		"" "" "" "" "" "" "${lost[@]}"
	rtap_log "  $drv fwd_udp64 [$placement]: $(tail -1 "$csv" | cut -d, -f4) Mpps delivered," \
		"$((c1 - c0)) of $gen frames; lost at the TAP queue ${lost[0]}, in the PMD ${lost[1]}," \
		"at the receiver ${lost[2]}"
}

# ping from namespace 1; prints "min median p99" in ms.
ping_run() { # dst count
	ip netns exec "$ns1" "${kpin[@]}" timeout 60 ping -n -c "$2" -i 0.01 -W 1 "$1" 2>&1 |
		sed -n 's/.* time=\([0-9.]*\) ms/\1/p' | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) exit 1
			p = int(NR * 0.99 + 0.5); if (p < 1) p = 1
			printf "%s %s %s\n", v[1], v[int((NR + 1) / 2)], v[p] }'
}

bench_ping() { # rep driver test dst
	local r
	r=$(ping_run "$4" "$pings") || rtap_die "$2: ping $4 failed"
	set -- "$1" "$2" "$3" $r
	row "$1" "$2" "$3" "$5" ms "" "" "" "" "$4" "$6"
	rtap_log "  $2 $3 [$placement]: rtt min $4, median $5, p99 $6 ms"
}

# TCP: iperf3 from namespace 1 to 2 for $secs s, with ping under load.
bench_tcp() { # rep driver test dst offloads
	local rep=$1 drv=$2 test=$3 dst=$4 offl=$5 spid gbps retr r
	ip netns exec "$ns2" "${kpin[@]}" timeout $((secs + 30)) iperf3 -s -1 -B "$dst" \
		>"$work/iperf-s" 2>&1 &
	spid=$!
	RTAP_PIDS+=("$spid")
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$ns2" ss -ltn | grep -q "$dst:5201 " && break
		sleep 0.1
	done
	ip netns exec "$ns1" "${kpin[@]}" timeout $((secs + 30)) iperf3 -c "$dst" -t "$secs" -f g \
		>"$work/iperf" 2>&1 &
	local cpid=$!
	RTAP_PIDS+=("$cpid")
	r=$(ping_run "$dst" $((secs * 50))) || r="" 
	wait "$cpid" || { cat "$work/iperf" >&2; rtap_die "$drv $test: iperf3 failed"; }
	wait "$spid" || true
	rtap_forget_pid "$cpid"
	rtap_forget_pid "$spid"
	gbps=$(awk '/ receiver$/ { print $7 }' "$work/iperf")
	retr=$(awk '/ sender$/ { print $9 }' "$work/iperf")
	row "$rep" "$drv" "$test" "$gbps" Gbit/s "" "" "" "$retr" "" "" "$offl"
	rtap_log "  $drv $test [$placement]: $gbps Gbit/s, $retr retransmits${offl:+ (offloads $offl)}"
	if [ -n "$r" ]; then
		set -- $r
		row "$rep" "$drv" "ping_${test}" "$2" ms "" "" "" "" "$1" "$3"
		rtap_log "  $drv ping under $test: rtt min $1, median $2, p99 $3 ms"
	fi
}

# The offloads a driver advertises, out of those the TCP row wants.
declare -A capa=()
probe_offloads() { # driver
	local rx tx
	rx=$(rtap_tpmd_cmd "show port 0 rx_offload capabilities")
	tx=$(rtap_tpmd_cmd "show port 0 tx_offload capabilities")
	local want=() o
	for o in TCP_LRO TCP_CKSUM UDP_CKSUM IPV4_CKSUM SCATTER; do
		grep -q "Per Port.* $o\|Per Queue.* $o" <<<"$rx" && want+=("rx_$o")
	done
	for o in TCP_TSO UDP_TSO TCP_CKSUM UDP_CKSUM IPV4_CKSUM; do
		grep -q "Per Port.* $o\|Per Queue.* $o" <<<"$tx" && want+=("tx_$o")
	done
	capa[$1]="${want[*]}"
}

# UDP with segmentation offload (bench/udp_gso.py): 64 KB UDP_SEGMENT writes
# from namespace 1, read with UDP_GRO in namespace 2, bytes received a second.
bench_udp() { # rep driver test dst offloads
	local rep=$1 drv=$2 test=$3 dst=$4 offl=$5 spid sent got
	ip netns exec "$ns2" "${kpin[@]}" timeout $((secs + 30)) /usr/bin/python3 bench/udp_gso.py \
		recv "$dst" "$secs" >"$work/udp-r" 2>&1 &
	spid=$!
	RTAP_PIDS+=("$spid")
	for ((i = 0; i < 50; i++)); do
		grep -q listening "$work/udp-r" && break
		sleep 0.1
	done
	sent=$(ip netns exec "$ns1" "${kpin[@]}" /usr/bin/python3 bench/udp_gso.py send "$dst" "$secs") ||
		rtap_die "$drv $test: the sender failed"
	wait "$spid" || { cat "$work/udp-r" >&2; rtap_die "$drv $test: the receiver failed"; }
	rtap_forget_pid "$spid"
	got=$(tail -1 "$work/udp-r")
	local gbps pct
	gbps=$(awk -v b="$got" -v s="$secs" 'BEGIN { printf "%.3f", b * 8 / s / 1e9 }')
	pct=$(awk -v g="$got" -v s="$sent" 'BEGIN { printf "%.1f", s ? 100 * g / s : 0 }')
	row "$rep" "$drv" "$test" "$gbps" Gbit/s "" "$pct" "" "" "" "" "$offl"
	rtap_log "  $drv $test [$placement]: $gbps Gbit/s received, $pct % of what was sent${offl:+ (offloads $offl)}"
}

# TCP (or UDP with GSO, proto udp) with every offload the driver has (but LRO
# where lro is 0): testpmd's csum engine sets the Tx flags (checksums, TSO,
# USO) on what it forwards. A 64 KB LRO frame fits two 32 KB mbufs
# (doc/guides/nics/rtap.rst, "Mbuf sizing"); every driver gets the same pool
# and rings here.
bench_offloads() { # rep driver test lro [proto]
	local rep=$1 drv=$2 test=$3 lro=$4 proto=${5:-tcp} c=" ${capa[$2]} " args=() rxo=0
	local txo=$((0x8000)) names=() segsz=1448
	# UDP runs whatever the driver has: the kernel cuts what it cannot hand over.
	case $proto$c in tcp*" tx_TCP_TSO "* | tcp*" rx_TCP_LRO "* | tcp*" tx_TCP_CKSUM "* | udp*) ;;
	*)
		row "$rep" "$drv" "$test" "" skipped "" "" "" "" "" "" none
		rtap_log "  $drv $test: skipped, the driver advertises no TSO, LRO or TCP checksum"
		return ;;
	esac
	[ "$lro" = 0 ] || case $c in *" rx_TCP_LRO "*) rxo=$((rxo | 0x10)); names+=(lro) ;; esac
	case $c in *" rx_TCP_CKSUM "*) rxo=$((rxo | 0x8)); names+=(rxcsum) ;; esac
	case $c in *" rx_UDP_CKSUM "*) rxo=$((rxo | 0x4)) ;; esac
	case $c in *" rx_IPV4_CKSUM "*) rxo=$((rxo | 0x2)) ;; esac
	case $c in *" rx_SCATTER "*) rxo=$((rxo | 0x2000)) ;; esac
	case $c in *" tx_TCP_CKSUM "*) txo=$((txo | 0x8)); names+=(txcsum) ;; esac
	case $c in *" tx_IPV4_CKSUM "*) txo=$((txo | 0x2)) ;; esac
	case $c in *" tx_UDP_CKSUM "*) txo=$((txo | 0x4)) ;; esac
	case $c in *" tx_TCP_TSO "*) txo=$((txo | 0x20)); names+=(tso) ;; esac
	if [ "$proto" = udp ]; then
		# Datagrams cut again at the sender's size: bench/udp_gso.py.
		segsz=1400
		case $c in *" tx_UDP_TSO "*) txo=$((txo | 0x40)); names+=(uso) ;; esac
	fi
	args=(--rx-offloads="$(printf '0x%x' $rxo)" --tx-offloads="$(printf '0x%x' $txo)"
	      --eth-peer="0,$mac0" --eth-peer="1,$mac1" --forward-mode=csum
	      --mbuf-size=$((32768 + 128)) --total-num-mbufs=4096 --rxd=256 --txd=256)
	[ $((rxo & 0x10)) = 0 ] || args+=(--enable-lro)
	tpmd_launch "$drv" "r$rep-$placement-$drv-$test" "${args[@]}"
	if [ $((txo & 0x60)) != 0 ]; then
		rtap_tpmd_cmd "port stop all" >/dev/null
		rtap_tpmd_cmd "tso set $segsz 0" >/dev/null
		rtap_tpmd_cmd "tso set $segsz 1" >/dev/null
		rtap_tpmd_cmd "port start all" >/dev/null
	fi
	tpmd_plumb "$drv"
	rtap_tpmd_cmd start >/dev/null
	bench_$proto "$rep" "$drv" "$test" "$ip1" "$(IFS=+; echo "${names[*]}")"
	rtap_tpmd_cmd stop >/dev/null
	tpmd_done "r$rep-$placement-$drv-$test"
}

# TCP through Open vSwitch (bench/ovs.py), for the TAP drivers OVS can use.
bench_ovs() { # rep driver
	local r
	r=$(/usr/bin/python3 bench/ovs.py "$2" "$plugin" "$secs" "$out/logs/r$1-$placement-$2-ovs.log" \
		"$placement") ||
		rtap_die "$2 ovs_tcp: bench/ovs.py failed"
	set -- "$1" "$2" $r
	if [ "$3" = skipped ]; then
		row "$1" "$2" ovs_tcp "" skipped
		rtap_log "  $2 ovs_tcp: skipped, ${*:4}"
		return
	fi
	row "$1" "$2" ovs_tcp "$3" Gbit/s "" "" "" "$4"
	rtap_log "  $2 ovs_tcp [$placement]: $3 Gbit/s, $4 retransmits"
}

bench_driver() { # rep driver
	local rep=$1 drv=$2
	rtap_log "repetition $rep/$reps: $drv, placement $placement"
	tpmd_launch "$drv" "r$rep-$placement-$drv" --tx-offloads=0x8000 --forward-mode=txonly
	[ -n "${capa[$drv]+set}" ] || probe_offloads "$drv"
	tpmd_plumb "$drv"
	rtap_tpmd_cmd "set portlist 0" >/dev/null
	bench_tx "$rep" "$drv" tx64 64
	if [ "$short" = 0 ]; then
		bench_tx "$rep" "$drv" tx1500 1500
		bench_tx "$rep" "$drv" tx1500_3seg 500,500,500
	fi
	bench_rx "$rep" "$drv" rx64
	# Offered at a rate a reader can take: the share delivered is the driver's.
	bench_rx "$rep" "$drv" rx64_paced -b 250000pps
	rtap_tpmd_cmd "set portlist 0,1" >/dev/null
	rtap_tpmd_cmd "set fwd io" >/dev/null
	rtap_tpmd_cmd start >/dev/null
	bench_ping "$rep" "$drv" ping_idle "$ip1"
	bench_fwd "$rep" "$drv"
	[ "$short" = 1 ] || bench_tcp "$rep" "$drv" tcp "$ip1" ""
	rtap_tpmd_cmd stop >/dev/null
	tpmd_done "r$rep-$placement-$drv"
	[ "$short" = 0 ] || return 0
	bench_offloads "$rep" "$drv" tcp_offloads 1
	bench_offloads "$rep" "$drv" udp_gso 1 udp
	if [ "$drv" = rtap ]; then
		# The checksum paths without LRO: complete sums (the default) or partial.
		bench_offloads "$rep" "$drv" tcp_csum_full 0
		rtap_devargs=,csum=partial bench_offloads "$rep" "$drv" tcp_csum_partial 0
	fi
	[ "$drv" = af_packet ] || bench_ovs "$rep" "$drv"
}

rtap_log "$reps repetition(s) x ${#drv_list[@]} drivers x ${#pl_list[@]} placements," \
	"${secs} s per measurement; results in $out"
for ((rep = 1; rep <= reps; rep++)); do
	# Rotate the order so no driver always runs first (or right after another);
	# each driver runs in every placement back to back, whose order rotates too.
	for ((d = 0; d < ${#drv_list[@]}; d++)); do
		for ((p = 0; p < ${#pl_list[@]}; p++)); do
			placement_set "${pl_list[(p + rep - 1) % ${#pl_list[@]}]}"
			bench_driver "$rep" "${drv_list[(d + rep - 1) % ${#drv_list[@]}]}"
		done
	done
	for pl in "${pl_list[@]}"; do
		[ "$short" = 0 ] || break
		placement_set "$pl"
		rtap_log "repetition $rep/$reps: kernel-only veth ceiling, placement $pl"
		bench_tcp "$rep" veth tcp 10.202.0.2 kernel
	done
done

/usr/bin/python3 bench/report.py "$out"
rtap_log "table: $out/table.md, chart: $out/chart.png"
