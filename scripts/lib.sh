# SPDX-License-Identifier: BSD-3-Clause
#
# Shell helpers shared by scripts/demo.sh and bench/run.sh; source it.
#
# Everything a helper creates (network namespaces, veths, processes) is
# registered and undone by rtap_cleanup, which runs on exit, Ctrl-C or
# failure: several people run tests on one machine at once, so every name
# carries a random token and only what this shell started is ever killed.

RTAP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The build to use: build/ against the system's DPDK, or one scripts/test.sh
# made for another DPDK (RTAP_DPDK=).
RTAP_BUILD=${RTAP_BUILD:-$RTAP_TOP/build}
RTAP_UNDO=()
RTAP_PIDS=()

rtap_log() { printf '[%s] %s\n' "${RTAP_LOG_TAG:-rtap}" "$*"; }
rtap_die() { printf '[%s] error: %s\n' "${RTAP_LOG_TAG:-rtap}" "$*" >&2; exit 1; }

# A random 6-hex-digit token: names stay unique and within IFNAMSIZ.
rtap_token() { od -An -N3 -tx1 /dev/urandom | tr -d ' \n'; }

# Undo in reverse order: processes first, then the interfaces and namespaces.
rtap_cleanup() {
	local i pid
	trap - EXIT INT TERM
	set +e
	for pid in "${RTAP_PIDS[@]}"; do
		rtap_stop_pid "$pid"
	done
	for ((i = ${#RTAP_UNDO[@]} - 1; i >= 0; i--)); do
		eval "${RTAP_UNDO[i]}" >/dev/null 2>&1 || true
	done
	RTAP_PIDS=()
	RTAP_UNDO=()
}
trap rtap_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rtap_on_exit() { RTAP_UNDO+=("$*"); }

# Ask a process we started to stop, then insist; bounded in time.
rtap_stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# A process that has been reaped: its pid may be reused, never kill it later.
rtap_forget_pid() {
	local p keep=()
	for p in "${RTAP_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	RTAP_PIDS=("${keep[@]}")
}

# Copy the plugin where EAL accepts it: no parent directory may be
# world-writable. Replaced by rename so a running process keeps its mapping.
rtap_stage_plugin() {
	local so="$RTAP_BUILD/drivers/net/rtap/librte_net_rtap.so"
	local dir="/run/rtap/$(printf '%s' "$RTAP_BUILD" | sha1sum | cut -c1-12)"

	[ -f "$so" ] || rtap_die "$so not built: run meson setup build && ninja -C build"
	install -d -m 755 /run/rtap "$dir"
	install -m 755 "$so" "$dir/.librte_net_rtap.so.$$"
	mv -f "$dir/.librte_net_rtap.so.$$" "$dir/librte_net_rtap.so"
	echo "$dir/librte_net_rtap.so"
}

# A namespace with loopback up and IPv6 off, so interfaces moved in later
# carry no kernel chatter (router solicitations, MLD) that would skew counts.
rtap_netns_add() {
	local ns=$1
	ip netns add "$ns" || rtap_die "cannot create netns $ns"
	rtap_on_exit ip netns del "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# Move interface $1 into namespace $2, give it MAC $3 and address $4, bring it up.
rtap_if_to_ns() {
	local ifname=$1 ns=$2 mac=$3 addr=$4
	ip link set "$ifname" netns "$ns" || rtap_die "cannot move $ifname into $ns"
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifname.disable_ipv6=1"
	ip -n "$ns" link set "$ifname" address "$mac"
	[ -z "$addr" ] || ip -n "$ns" addr add "$addr" dev "$ifname"
	ip -n "$ns" link set "$ifname" up
}

# EAL leaves its runtime directory behind: remove that of --file-prefix=$1 on exit.
rtap_eal_prefix() { rtap_on_exit rm -rf "/var/run/dpdk/$1"; }

# A veth pair $1 (left here) and $2, deleted on exit.
rtap_veth_add() {
	ip link add "$1" type veth peer name "$2" || rtap_die "cannot create veth $1"
	rtap_on_exit ip link del "$1"
	sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" "net.ipv6.conf.$2.disable_ipv6=1"
}

# Counter $3 (rx_packets, tx_dropped, ...) of interface $2 in namespace $1.
rtap_if_stat() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# testpmd in interactive mode driven through a FIFO, its output in a log.
# rtap_tpmd_start <dir> <testpmd command line...>; then rtap_tpmd_cmd, which
# waits for the prompt that follows the command. TPMD_PID and TPMD_LOG are set.
# Unbuffered output, so a prompt in the log means the command before it is done.
rtap_tpmd_start() {
	local dir=$1
	shift
	TPMD_LOG="$dir/testpmd.log"
	rm -f "$dir/testpmd.in"
	mkfifo "$dir/testpmd.in"
	stdbuf -o0 -e0 "$@" -i <"$dir/testpmd.in" >"$TPMD_LOG" 2>&1 &
	TPMD_PID=$!
	RTAP_PIDS+=("$TPMD_PID")
	exec {TPMD_FD}>"$dir/testpmd.in"
	rtap_tpmd_wait 1 60 || { tail -20 "$TPMD_LOG" >&2; rtap_die "testpmd did not start"; }
}

rtap_tpmd_prompts() { grep -o 'testpmd> ' "$TPMD_LOG" | wc -l; }

# Wait up to $2 s until the log holds $1 prompts.
rtap_tpmd_wait() {
	local deadline=$((SECONDS + $2))
	while [ "$(rtap_tpmd_prompts)" -lt "$1" ]; do
		kill -0 "$TPMD_PID" 2>/dev/null || return 1
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# Run one testpmd command; its output is what the log gained meanwhile.
rtap_tpmd_cmd() {
	local before prompts
	before=$(wc -c <"$TPMD_LOG")
	prompts=$(rtap_tpmd_prompts)
	echo "$*" >&"$TPMD_FD"
	rtap_tpmd_wait $((prompts + 1)) 30 ||
		{ tail -20 "$TPMD_LOG" >&2; rtap_die "testpmd: '$*' did not complete"; }
	tail -c +$((before + 1)) "$TPMD_LOG"
}

rtap_tpmd_quit() {
	echo quit >&"$TPMD_FD" 2>/dev/null
	exec {TPMD_FD}>&-
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$TPMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	rtap_stop_pid "$TPMD_PID"
	rtap_forget_pid "$TPMD_PID"
}
