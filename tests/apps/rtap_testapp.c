/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * A DPDK application the system tests drive over stdin/stdout, one command a
 * line. It links the rtap driver objects directly, so it needs no -d plugin.
 *
 *   rtap_testapp <EAL args> -- [--pool-size N] [--mbuf-size N]
 *
 * With --proc-type=secondary it attaches to a running test app's ports and pool,
 * and its rx/tx commands poll the queues they name (the primary polls others).
 *
 * Every command answers zero or more data lines, then "ok [values]" or
 * "err <errno> <text>". Ports are referred to by port id. Values are decimal
 * unless written 0x...
 *
 *   attach <devargs>                 hot-plug a vdev, "ok <port>"
 *   detach <port>                    stop, close and unplug it
 *   info <port>                      "ok if_index=.. max_rxq=.. min_mtu=.. max_mtu=..
 *                                        rx_capa=0x.. tx_capa=0x.. mac=.."
 *   configure <port> <nb_rxq> <nb_txq> [mtu=N] [rxoff=0x..] [txoff=0x..]
 *             [desc=N] [lsc=0|1] [rmv=0|1] [rxq_intr=0|1] [setup_rxq=N] [setup_txq=N]
 *             [rss_hf=0x..] [rss_key=<hex>]
 *                                    configure and set up every queue (or the first N);
 *                                    rss_hf sets the RSS multi-queue mode
 *   start|stop|close <port>
 *   rxq_start|rxq_stop|txq_start|txq_stop <port> <queue>
 *   rxq_intr <port> <queue> on|off   arm or mute the queue's Rx interrupt
 *   rx <port> <queue> <max> <timeout_ms>
 *                                    poll until max frames or the timeout, one line per
 *                                    frame: "pkt <len> <nb_segs> <ol_flags> <ptype>
 *                                    <tso_segsz> <hash.rss> <hex>", then "ok <count>"
 *   rxall <port> <nb_queues> <max> <timeout_ms>
 *                                    poll queues 0..nb_queues-1 round robin, one line per
 *                                    frame: "q <queue> <hex>", then "ok <count>"
 *   tx <port> <queue> <hex> [seg=N] [mode=direct|indirect|clone0|shared|nohead]
 *      [ol=0x..] [l2=N] [l3=N] [l4=N] [mss=N] [prep=1] [nb_segs=N]
 *                                    send one frame cut into N-byte segments, "ok <sent>";
 *                                    prep=1 passes it through rte_eth_tx_prepare() first
 *                                    ("err <errno> prepare" when refused); nb_segs=N
 *                                    overwrites the head's segment count (a broken chain)
 *   tx_cleanup <port> <queue> <count>
 *                                    rte_eth_tx_done_cleanup(), "ok <freed>"
 *   monitor <port> <queue>           rte_eth_get_monitor_addr(), then the condition's verdict
 *                                    on the value there now: "ok size=N sleep=<0|1>"
 *   txburst <port> <queue> <count> <len> [seg=N]
 *                                    send count frames, retrying partial bursts, "ok <sent>"
 *   fwd <port_a> <port_b> <ms> [offload=1]
 *                                    forward both ways for ms, every Rx queue to the Tx
 *                                    queue of the same index (modulo), "ok <a_to_b> <b_to_a>";
 *                                    offload=1: an LRO frame goes out with TSO (USO), a partial
 *                                    checksum is finished by Tx (needs the Rx checksum offloads,
 *                                    for packet_type)
 *   stats <port>                     "ok ipackets=.. ibytes=.. ierrors=.. imissed=..
 *                                        rx_nombuf=.. opackets=.. obytes=.. oerrors=.."
 *   xstats <port>                    "<name> <value>" lines, "ok <count>"
 *   stats_reset|xstats_reset <port>
 *   qinfo <port> <queue>             queue and burst-mode information: "rx_mode <info>" and
 *                                    "tx_mode <info>" lines, then "ok rx_desc=.. rx_buf=..
 *                                    scattered=.. rx_offloads=0x.. rx_deferred=.. pool=..
 *                                    rx_state=.. tx_desc=.. tx_offloads=0x.. tx_deferred=.."
 *   link <port>                      "ok status=<0|1> speed=<Mbps>"
 *   link_set <port> up|down          rte_eth_dev_set_link_up/down
 *   events <port>                    LSC/RMV callbacks so far and the link status the last
 *                                    LSC callback read: "ok lsc=N rmv=N status=<0|1>"
 *   promisc|allmulti <port> on|off
 *   mtu <port> <mtu>
 *   rss_get <port>                   rte_eth_dev_rss_hash_conf_get(): "ok hf=0x.. key=<hex>"
 *   rss_set <port> <hf> [key=<hex>]  rte_eth_dev_rss_hash_update()
 *   reta <port> [<q>[,<q>...]]       rte_eth_dev_rss_reta_query(): "ok <q>,<q>,..." (every
 *                                    entry); with queues, rte_eth_dev_rss_reta_update() of
 *                                    entries 0.. (one queue: every entry)
 *   mac <port> <xx:xx:xx:xx:xx:xx>
 *   mac_add|mac_del <port> <mac>     secondary unicast address filter
 *   mc <port> [<mac> ...]            set the multicast address list (empty: clear, passing
 *                                    NULL)
 *   intr_start <port> <queue> [arm_first=1]
 *                                    a thread that sleeps in rte_epoll_wait on the queue's
 *                                    Rx interrupt, drains the queue on each wake-up, re-arms;
 *                                    arm_first: arm before the first drain, so frames that
 *                                    completed earlier must wake it
 *   intr_status                      "ok wakeups=N frames=N cpu_ns=<thread CPU time>
 *                                        wake_ns=<CLOCK_MONOTONIC of the last wake-up>"
 *   intr_stop                        end that thread
 *   flood_start <port> <queue> <len> a thread that sends len-byte frames as fast as it can
 *   flood_stop                       end it, "ok <sent>"
 *   poll_start <port> <nb_queues>    a thread that polls Rx queues 0..nb_queues-1 round robin
 *                                    and frees what it receives; "ok" once each was polled
 *   poll_stop                        end it, "ok <received>"
 *   poll_block <ms> [quit]           have that thread block in the kernel, in vfork(), for ms
 *                                    (it polls nothing meanwhile); "ok" once it is blocked;
 *                                    quit: it ends as it wakes, polling nothing more
 *   poll_status                      "ok blocked=<0|1> received=N"
 *   reset_check <port> <n>           n times, while the flood runs: reset the stats, read
 *                                    them; "ok excess=<most opackets beyond what the flood
 *                                    sent between reset and read>"
 *   pool                             "ok avail=<free mbufs> size=<pool size>"
 *   hold <n> / release               take n mbufs out of the pool / give them back
 *   quit                             close every port and exit
 */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_epoll.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>

#define MAX_ARGS	16
#define MAX_FRAME	65536
#define BURST		32u
#define RSS_KEY_MAX	64
#define RETA_MAX	512

static struct rte_mempool *pool;
static struct rte_mempool *clone_pool;	/* no data room, as pools of clones often are */
static unsigned int pool_size = 8192;
static uint16_t mbuf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
static struct rte_mbuf **held;
static unsigned int nb_held;

static int
reply_err(int err, const char *what)
{
	printf("err %d %s: %s\n", err, what, strerror(err < 0 ? -err : err));
	return 0;
}

/* key=value options after the positional arguments. */
static const char *
opt(char **argv, int argc, int first, const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = first; i < argc; i++)
		if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

static unsigned long long
opt_num(char **argv, int argc, int first, const char *key, unsigned long long def)
{
	const char *v = opt(argv, argc, first, key);

	return v == NULL ? def : strtoull(v, NULL, 0);
}

static size_t
hex_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int byte;

	while (n < max && sscanf(hex + 2 * n, "%2x", &byte) == 1)
		out[n++] = byte;
	return n;
}

static void
print_pkt(const struct rte_mbuf *m)
{
	static uint8_t buf[MAX_FRAME];
	const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	uint32_t i;

	printf("pkt %u %u 0x%" PRIx64 " 0x%x %u 0x%x ", m->pkt_len, m->nb_segs, m->ol_flags,
	       m->packet_type, m->tso_segsz, m->hash.rss);
	for (i = 0; i < m->pkt_len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* Build a chain of seg-byte segments holding data. */
static struct rte_mbuf *
build_chain(const uint8_t *data, size_t len, uint16_t seg)
{
	struct rte_mbuf *head = NULL, *m;
	size_t off = 0;

	do {
		size_t n = RTE_MIN((size_t)seg, len - off);

		m = rte_pktmbuf_alloc(pool);
		if (m == NULL || rte_pktmbuf_append(m, n) == NULL) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		memcpy(rte_pktmbuf_mtod(m, void *), data + off, n);
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			return NULL;
		off += n;
	} while (off < len);
	return head;
}

static int
cmd_configure(char **argv, int argc)
{
	uint16_t port = atoi(argv[1]), nb_rxq = atoi(argv[2]), nb_txq = atoi(argv[3]);
	uint16_t desc = opt_num(argv, argc, 4, "desc", 0);
	uint16_t setup_rxq = opt_num(argv, argc, 4, "setup_rxq", nb_rxq);
	uint16_t setup_txq = opt_num(argv, argc, 4, "setup_txq", nb_txq);
	const char *rss_key = opt(argv, argc, 4, "rss_key");
	struct rte_eth_conf conf = { 0 };
	uint8_t key[RSS_KEY_MAX];
	uint16_t q;
	int ret;

	conf.rx_adv_conf.rss_conf.rss_hf = opt_num(argv, argc, 4, "rss_hf", 0);
	if (conf.rx_adv_conf.rss_conf.rss_hf != 0)
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	if (rss_key != NULL) {
		conf.rx_adv_conf.rss_conf.rss_key = key;
		conf.rx_adv_conf.rss_conf.rss_key_len = hex_decode(rss_key, key, sizeof(key));
	}
	conf.rxmode.mtu = opt_num(argv, argc, 4, "mtu", 0);
	conf.rxmode.offloads = opt_num(argv, argc, 4, "rxoff", 0);
	conf.txmode.offloads = opt_num(argv, argc, 4, "txoff", 0);
	conf.intr_conf.lsc = opt_num(argv, argc, 4, "lsc", 0);
	conf.intr_conf.rmv = opt_num(argv, argc, 4, "rmv", 0);
	conf.intr_conf.rxq = opt_num(argv, argc, 4, "rxq_intr", 0);

	ret = rte_eth_dev_configure(port, nb_rxq, nb_txq, &conf);
	if (ret < 0)
		return reply_err(ret, "configure");
	for (q = 0; q < setup_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, desc, rte_socket_id(), NULL, pool);
		if (ret < 0)
			return reply_err(ret, "rx_queue_setup");
	}
	for (q = 0; q < setup_txq; q++) {
		ret = rte_eth_tx_queue_setup(port, q, desc, rte_socket_id(), NULL);
		if (ret < 0)
			return reply_err(ret, "tx_queue_setup");
	}
	printf("ok\n");
	return 0;
}

static int
cmd_rx(char **argv)
{
	uint16_t port = atoi(argv[1]), queue = atoi(argv[2]);
	unsigned int max = atoi(argv[3]), count = 0;
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * atoi(argv[4]) / 1000;
	struct rte_mbuf *pkts[BURST];

	while (count < max && rte_get_timer_cycles() < deadline) {
		uint16_t n = rte_eth_rx_burst(port, queue, pkts, RTE_MIN(BURST, max - count));
		uint16_t i;

		for (i = 0; i < n; i++) {
			print_pkt(pkts[i]);
			rte_pktmbuf_free(pkts[i]);
		}
		count += n;
	}
	printf("ok %u\n", count);
	return 0;
}

static int
cmd_rxall(char **argv)
{
	uint16_t port = atoi(argv[1]), nb_q = atoi(argv[2]), q;
	unsigned int max = atoi(argv[3]), count = 0;
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * atoi(argv[4]) / 1000;
	static uint8_t buf[MAX_FRAME];
	struct rte_mbuf *pkts[BURST];

	while (count < max && rte_get_timer_cycles() < deadline) {
		for (q = 0; q < nb_q; q++) {
			uint16_t n = rte_eth_rx_burst(port, q, pkts, RTE_MIN(BURST, max - count));
			uint16_t i;
			uint32_t j;

			for (i = 0; i < n; i++) {
				const uint8_t *p = rte_pktmbuf_read(pkts[i], 0, pkts[i]->pkt_len,
								    buf);

				printf("q %u ", q);
				for (j = 0; j < pkts[i]->pkt_len; j++)
					printf("%02x", p[j]);
				printf("\n");
				rte_pktmbuf_free(pkts[i]);
			}
			count += n;
		}
	}
	printf("ok %u\n", count);
	return 0;
}

static int
cmd_tx(char **argv, int argc)
{
	static uint8_t data[MAX_FRAME];
	uint16_t port = atoi(argv[1]), queue = atoi(argv[2]);
	size_t len = hex_decode(argv[3], data, sizeof(data));
	const char *mode = opt(argv, argc, 4, "mode");
	struct rte_mbuf *m, *orig = NULL;
	uint16_t sent;

	m = build_chain(data, len, opt_num(argv, argc, 4, "seg", mbuf_size - RTE_PKTMBUF_HEADROOM));
	if (m == NULL)
		return reply_err(-ENOMEM, "build");

	if (mode != NULL && (strcmp(mode, "indirect") == 0 || strcmp(mode, "clone0") == 0)) {
		/* The data stays in the original; the port sees clones only. */
		orig = m;
		m = rte_pktmbuf_clone(orig, strcmp(mode, "clone0") == 0 ? clone_pool : pool);
		if (m == NULL) {
			rte_pktmbuf_free(orig);
			return reply_err(-ENOMEM, "clone");
		}
	} else if (mode != NULL && strcmp(mode, "shared") == 0) {
		orig = m;
		/* Every segment: a chain shared by its head only would be freed twice. */
		rte_pktmbuf_refcnt_update(m, 1);
	} else if (mode != NULL && strcmp(mode, "nohead") == 0) {
		/* Move the data to the very start of the buffer: no headroom left. */
		if (m->nb_segs != 1) {
			rte_pktmbuf_free(m);
			return reply_err(-EINVAL, "nohead needs one segment");
		}
		memmove(m->buf_addr, rte_pktmbuf_mtod(m, void *), m->data_len);
		m->data_off = 0;
	}

	m->ol_flags |= opt_num(argv, argc, 4, "ol", 0);
	m->l2_len = opt_num(argv, argc, 4, "l2", 0);
	m->l3_len = opt_num(argv, argc, 4, "l3", 0);
	m->l4_len = opt_num(argv, argc, 4, "l4", 0);
	m->tso_segsz = opt_num(argv, argc, 4, "mss", 0);
	m->nb_segs = opt_num(argv, argc, 4, "nb_segs", m->nb_segs);

	if (opt_num(argv, argc, 4, "prep", 0) && rte_eth_tx_prepare(port, queue, &m, 1) != 1) {
		int err = rte_errno;

		rte_pktmbuf_free(m);
		rte_pktmbuf_free(orig);
		return reply_err(err, "prepare");
	}
	sent = rte_eth_tx_burst(port, queue, &m, 1);
	if (sent == 0)
		rte_pktmbuf_free(m);
	rte_pktmbuf_free(orig);
	printf("ok %u\n", sent);
	return 0;
}

static int
cmd_tx_cleanup(uint16_t port, uint16_t queue, uint32_t count)
{
	int ret = rte_eth_tx_done_cleanup(port, queue, count);

	if (ret < 0)
		return reply_err(ret, "tx_done_cleanup");
	printf("ok %d\n", ret);
	return 0;
}

static int
cmd_monitor(uint16_t port, uint16_t queue)
{
	struct rte_power_monitor_cond pmc;
	uint64_t val;
	int ret = rte_eth_get_monitor_addr(port, queue, &pmc);

	if (ret < 0)
		return reply_err(ret, "get_monitor_addr");
	switch (pmc.size) {
	case 1:
		val = *(volatile uint8_t *)pmc.addr;
		break;
	case 2:
		val = *(volatile uint16_t *)pmc.addr;
		break;
	case 4:
		val = *(volatile uint32_t *)pmc.addr;
		break;
	default:
		val = *(volatile uint64_t *)pmc.addr;
		break;
	}
	printf("ok size=%u sleep=%d\n", pmc.size, pmc.fn(val, pmc.opaque) == 0);
	return 0;
}

static int
cmd_txburst(char **argv, int argc)
{
	static uint8_t data[MAX_FRAME];
	uint16_t port = atoi(argv[1]), queue = atoi(argv[2]);
	unsigned int count = atoi(argv[3]), len = atoi(argv[4]), sent = 0, idle = 0;
	uint16_t seg = opt_num(argv, argc, 5, "seg", mbuf_size - RTE_PKTMBUF_HEADROOM);
	unsigned int i;

	/* Broadcast frames of a local ethertype, numbered so loss is visible. */
	memset(data, 0xff, RTE_ETHER_ADDR_LEN);
	memset(data + 6, 0x02, RTE_ETHER_ADDR_LEN);
	data[12] = 0x88;
	data[13] = 0xb5;
	for (i = 18; i < len; i++)
		data[i] = i;

	while (sent < count && idle < 1000000) {
		struct rte_mbuf *pkts[BURST];
		uint16_t n = RTE_MIN(BURST, count - sent), k, done;

		for (k = 0; k < n; k++) {
			uint32_t seq = rte_cpu_to_be_32(sent + k);

			memcpy(data + 14, &seq, sizeof(seq));
			pkts[k] = build_chain(data, len, seg);
			if (pkts[k] == NULL)
				break;
		}
		done = rte_eth_tx_burst(port, queue, pkts, k);
		for (n = done; n < k; n++)
			rte_pktmbuf_free(pkts[n]);
		sent += done;
		idle = done ? 0 : idle + 1;
	}
	printf("ok %u\n", sent);
	return 0;
}

/*
 * What a forwarding application does with what the kernel left to it: a
 * super-frame (LRO) is segmented again by Tx, a partial checksum finished.
 * Headers from packet_type: Ethernet or none (a TUN), IPv4 or IPv6 without
 * extensions, TCP or UDP; anything else goes out as it came.
 */
static void
fwd_offload(struct rte_mbuf *m)
{
	uint32_t ptype = m->packet_type;
	uint32_t l4 = ptype & RTE_PTYPE_L4_MASK;
	const uint8_t *ip;
	uint64_t ol;

	if (!(m->ol_flags & RTE_MBUF_F_RX_LRO) &&
	    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE)
		return;
	if ((l4 != RTE_PTYPE_L4_TCP && l4 != RTE_PTYPE_L4_UDP) ||
	    ((ptype & RTE_PTYPE_L2_MASK) != RTE_PTYPE_L2_ETHER &&
	     (ptype & RTE_PTYPE_L2_MASK) != 0))
		return;
	m->l2_len = (ptype & RTE_PTYPE_L2_MASK) ? RTE_ETHER_HDR_LEN : 0;
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	if ((ptype & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV4 ||
	    (ptype & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV4_EXT) {
		m->l3_len = (ip[0] & 0xf) * 4;
		ol = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else if ((ptype & RTE_PTYPE_L3_MASK) == RTE_PTYPE_L3_IPV6) {
		m->l3_len = sizeof(struct rte_ipv6_hdr);
		ol = RTE_MBUF_F_TX_IPV6;
	} else {
		return;
	}
	m->l4_len = l4 == RTE_PTYPE_L4_UDP ? sizeof(struct rte_udp_hdr) :
		(ip[m->l3_len + 12] >> 4) * 4;
	if (m->ol_flags & RTE_MBUF_F_RX_LRO)
		ol |= l4 == RTE_PTYPE_L4_TCP ? RTE_MBUF_F_TX_TCP_SEG : RTE_MBUF_F_TX_UDP_SEG;
	else
		ol |= l4 == RTE_PTYPE_L4_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
	m->ol_flags = ol;
}

static int
cmd_fwd(char **argv, int argc)
{
	bool offload = opt_num(argv, argc, 4, "offload", 0);
	uint16_t ports[2] = { atoi(argv[1]), atoi(argv[2]) };
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * atoi(argv[3]) / 1000;
	uint64_t moved[2] = { 0, 0 };
	struct rte_eth_dev_info info[2];
	struct rte_mbuf *pkts[BURST];
	int d;

	for (d = 0; d < 2; d++)
		if (rte_eth_dev_info_get(ports[d], &info[d]) < 0 || info[d].nb_tx_queues == 0)
			return reply_err(-EINVAL, "fwd");
	while (rte_get_timer_cycles() < deadline) {
		for (d = 0; d < 2; d++) {
			uint16_t q;

			/* Rx queue q goes out of Tx queue q (modulo): each is one flow set. */
			for (q = 0; q < info[d].nb_rx_queues; q++) {
				uint16_t txq = q % info[!d].nb_tx_queues;
				uint16_t n = rte_eth_rx_burst(ports[d], q, pkts, BURST);
				uint16_t ready = n, done, i;

				for (i = 0; offload && i < n; i++)
					fwd_offload(pkts[i]);
				/* Those past the first the driver cannot send are dropped. */
				if (offload)
					ready = rte_eth_tx_prepare(ports[!d], txq, pkts, n);
				done = rte_eth_tx_burst(ports[!d], txq, pkts, ready);

				rte_pktmbuf_free_bulk(pkts + done, n - done);
				moved[d] += done;
			}
		}
	}
	printf("ok %" PRIu64 " %" PRIu64 "\n", moved[0], moved[1]);
	return 0;
}

static int
cmd_stats(uint16_t port)
{
	struct rte_eth_stats s;
	int ret = rte_eth_stats_get(port, &s);

	if (ret < 0)
		return reply_err(ret, "stats_get");
	printf("ok ipackets=%" PRIu64 " ibytes=%" PRIu64 " ierrors=%" PRIu64
	       " imissed=%" PRIu64 " rx_nombuf=%" PRIu64 " opackets=%" PRIu64
	       " obytes=%" PRIu64 " oerrors=%" PRIu64 "\n", s.ipackets, s.ibytes, s.ierrors,
	       s.imissed, s.rx_nombuf, s.opackets, s.obytes, s.oerrors);
	return 0;
}

static int
cmd_qinfo(uint16_t port, uint16_t queue)
{
	struct rte_eth_burst_mode rx_mode, tx_mode;
	struct rte_eth_rxq_info rx;
	struct rte_eth_txq_info tx;
	int ret;

	ret = rte_eth_rx_queue_info_get(port, queue, &rx);
	if (ret < 0)
		return reply_err(ret, "rx_queue_info_get");
	ret = rte_eth_tx_queue_info_get(port, queue, &tx);
	if (ret < 0)
		return reply_err(ret, "tx_queue_info_get");
	ret = rte_eth_rx_burst_mode_get(port, queue, &rx_mode);
	if (ret < 0)
		return reply_err(ret, "rx_burst_mode_get");
	ret = rte_eth_tx_burst_mode_get(port, queue, &tx_mode);
	if (ret < 0)
		return reply_err(ret, "tx_burst_mode_get");
	printf("rx_mode %s\ntx_mode %s\n", rx_mode.info, tx_mode.info);
	printf("ok rx_desc=%u rx_buf=%u scattered=%u rx_offloads=0x%" PRIx64 " rx_deferred=%u"
	       " pool=%s rx_state=%u tx_desc=%u tx_offloads=0x%" PRIx64 " tx_deferred=%u\n",
	       rx.nb_desc, rx.rx_buf_size, rx.scattered_rx, rx.conf.offloads,
	       rx.conf.rx_deferred_start, rx.mp->name, rx.queue_state, tx.nb_desc,
	       tx.conf.offloads, tx.conf.tx_deferred_start);
	return 0;
}

static int
cmd_xstats(uint16_t port)
{
	int n = rte_eth_xstats_get_names(port, NULL, 0), i;
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *values;

	if (n < 0)
		return reply_err(n, "xstats");
	names = calloc(n, sizeof(*names));
	values = calloc(n, sizeof(*values));
	if (rte_eth_xstats_get_names(port, names, n) != n ||
	    rte_eth_xstats_get(port, values, n) != n) {
		free(names);
		free(values);
		return reply_err(-EIO, "xstats");
	}
	for (i = 0; i < n; i++)
		printf("%s %" PRIu64 "\n", names[values[i].id].name, values[i].value);
	printf("ok %d\n", n);
	free(names);
	free(values);
	return 0;
}

static int
cmd_info(uint16_t port)
{
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	int ret = rte_eth_dev_info_get(port, &info);

	if (ret == 0)
		ret = rte_eth_macaddr_get(port, &mac);
	if (ret < 0)
		return reply_err(ret, "info");
	rte_ether_format_addr(buf, sizeof(buf), &mac);
	printf("ok if_index=%u max_rxq=%u max_txq=%u min_mtu=%u max_mtu=%u max_rx_pktlen=%u max_lro=%u "
	       "rx_capa=0x%" PRIx64 " tx_capa=0x%" PRIx64 " mac=%s driver=%s\n",
	       info.if_index, info.max_rx_queues, info.max_tx_queues, info.min_mtu,
	       info.max_mtu, info.max_rx_pktlen, info.max_lro_pkt_size, info.rx_offload_capa, info.tx_offload_capa,
	       buf, info.driver_name);
	return 0;
}

static int
cmd_attach(const char *devargs)
{
	char name[RTE_DEV_NAME_MAX_LEN];
	const char *comma = strchr(devargs, ',');
	uint16_t port;
	int ret;

	rte_strscpy(name, devargs, comma ? (size_t)(comma - devargs + 1) : sizeof(name));
	ret = rte_vdev_init(name, comma ? comma + 1 : NULL);
	if (ret < 0)
		return reply_err(ret, "attach");
	ret = rte_eth_dev_get_port_by_name(name, &port);
	if (ret < 0)
		return reply_err(ret, "port_by_name");
	printf("ok %u\n", port);
	return 0;
}

static int
cmd_detach(uint16_t port)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	int ret = rte_eth_dev_get_name_by_port(port, name);

	if (ret == 0)
		ret = rte_eth_dev_stop(port);
	if (ret == 0)
		ret = rte_eth_dev_close(port);
	if (ret == 0)
		ret = rte_vdev_uninit(name);
	if (ret < 0)
		return reply_err(ret, "detach");
	printf("ok\n");
	return 0;
}

static int
cmd_hold(unsigned int n)
{
	held = realloc(held, (nb_held + n) * sizeof(*held));
	while (n-- > 0) {
		held[nb_held] = rte_pktmbuf_alloc(pool);
		if (held[nb_held] == NULL)
			break;
		nb_held++;
	}
	printf("ok %u\n", nb_held);
	return 0;
}

static int reply(int ret, const char *what);

/* LSC/RMV callbacks, counted for the "events" command. */
static unsigned int nb_lsc, nb_rmv, lsc_status;

static int
on_event(uint16_t port, enum rte_eth_event_type type, void *arg __rte_unused,
	 void *ret_param __rte_unused)
{
	struct rte_eth_link link;

	if (type == RTE_ETH_EVENT_INTR_LSC) {
		if (rte_eth_link_get_nowait(port, &link) < 0)
			link.link_status = RTE_ETH_LINK_DOWN;
		__atomic_store_n(&lsc_status, link.link_status, __ATOMIC_RELAXED);
		__atomic_fetch_add(&nb_lsc, 1, __ATOMIC_RELEASE);
	} else {
		__atomic_fetch_add(&nb_rmv, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

/* The Rx interrupt worker of intr_start. */
static struct {
	pthread_t thread;
	bool running;
	bool arm_first;
	uint16_t port, queue;
	int stop_fd;
	uint64_t wakeups, frames, wake_ns;
} intr;

static uint64_t
now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *
intr_worker(void *arg __rte_unused)
{
	struct rte_epoll_event stop_ev = { 0 }, ev[2];
	struct rte_mbuf *pkts[BURST];
	uint16_t n;

	stop_ev.epdata.event = EPOLLIN;
	if (rte_eth_dev_rx_intr_ctl_q(intr.port, intr.queue, RTE_EPOLL_PER_THREAD,
				      RTE_INTR_EVENT_ADD, NULL) < 0 ||
	    rte_epoll_ctl(rte_intr_tls_epfd(), EPOLL_CTL_ADD, intr.stop_fd, &stop_ev) < 0) {
		fprintf(stderr, "intr_worker: cannot wait for Rx interrupts\n");
		return NULL;
	}
	for (;;) {
		while (!intr.arm_first &&
		       (n = rte_eth_rx_burst(intr.port, intr.queue, pkts, BURST)) > 0) {
			__atomic_fetch_add(&intr.frames, n, __ATOMIC_RELEASE);
			rte_pktmbuf_free_bulk(pkts, n);
		}
		rte_eth_dev_rx_intr_enable(intr.port, intr.queue);
		if (rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, RTE_DIM(ev), -1) < 0)
			break;
		__atomic_store_n(&intr.wake_ns, now_ns(CLOCK_MONOTONIC), __ATOMIC_RELAXED);
		rte_eth_dev_rx_intr_disable(intr.port, intr.queue);
		intr.arm_first = false;
		if (__atomic_load_n(&intr.running, __ATOMIC_ACQUIRE) == false)
			break;
		__atomic_fetch_add(&intr.wakeups, 1, __ATOMIC_RELEASE);
	}
	rte_epoll_ctl(rte_intr_tls_epfd(), EPOLL_CTL_DEL, intr.stop_fd, &stop_ev);
	rte_eth_dev_rx_intr_ctl_q(intr.port, intr.queue, RTE_EPOLL_PER_THREAD,
				  RTE_INTR_EVENT_DEL, NULL);
	return NULL;
}

static int
cmd_intr_start(uint16_t port, uint16_t queue, bool arm_first)
{
	if (intr.running)
		return reply_err(-EBUSY, "intr_start");
	memset(&intr, 0, sizeof(intr));
	intr.port = port;
	intr.queue = queue;
	intr.arm_first = arm_first;
	intr.stop_fd = eventfd(0, EFD_CLOEXEC);
	intr.running = true;
	if (intr.stop_fd < 0 || pthread_create(&intr.thread, NULL, intr_worker, NULL) != 0) {
		intr.running = false;
		return reply_err(-errno, "intr_start");
	}
	printf("ok\n");
	return 0;
}

static void
cmd_intr_status(void)
{
	clockid_t clock;
	uint64_t cpu = 0;

	if (intr.running && pthread_getcpuclockid(intr.thread, &clock) == 0)
		cpu = now_ns(clock);
	printf("ok wakeups=%" PRIu64 " frames=%" PRIu64 " cpu_ns=%" PRIu64 " wake_ns=%" PRIu64
	       "\n", __atomic_load_n(&intr.wakeups, __ATOMIC_ACQUIRE),
	       __atomic_load_n(&intr.frames, __ATOMIC_ACQUIRE), cpu,
	       __atomic_load_n(&intr.wake_ns, __ATOMIC_RELAXED));
}

static void
intr_stop(void)
{
	if (!intr.running)
		return;
	__atomic_store_n(&intr.running, false, __ATOMIC_RELEASE);
	eventfd_write(intr.stop_fd, 1);
	pthread_join(intr.thread, NULL);
	close(intr.stop_fd);
}

static int
cmd_mc(uint16_t port, char **addrs, int n)
{
	struct rte_ether_addr mc[MAX_ARGS];
	int i;

	for (i = 0; i < n; i++)
		if (rte_ether_unformat_addr(addrs[i], &mc[i]) < 0)
			return reply_err(-EINVAL, "mc");
	/* An empty list as applications flush it: no array at all. */
	return reply(rte_eth_dev_set_mc_addr_list(port, n > 0 ? mc : NULL, n), "mc");
}

/* A Tx thread polling beside the control thread, for races with the stats. */
static pthread_t flood_thread;
static bool flood_running;
static uint64_t flood_sent;
static uint16_t flood_port, flood_queue, flood_len;

static void *
flood_main(void *arg __rte_unused)
{
	struct rte_mbuf *burst[BURST];
	unsigned int i, n;
	uint16_t sent;

	while (__atomic_load_n(&flood_running, __ATOMIC_ACQUIRE)) {
		for (n = 0; n < BURST; n++) {
			burst[n] = rte_pktmbuf_alloc(pool);
			if (burst[n] == NULL)
				break;
			memset(rte_pktmbuf_append(burst[n], flood_len), 0xff, flood_len);
		}
		sent = rte_eth_tx_burst(flood_port, flood_queue, burst, n);
		for (i = sent; i < n; i++)
			rte_pktmbuf_free(burst[i]);
		__atomic_fetch_add(&flood_sent, sent, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int
cmd_flood_start(uint16_t port, uint16_t queue, uint16_t len)
{
	if (flood_running)
		return reply_err(-EBUSY, "flood_start");
	flood_port = port;
	flood_queue = queue;
	flood_len = RTE_MAX(len, (uint16_t)RTE_ETHER_HDR_LEN);
	flood_sent = 0;
	flood_running = true;
	if (pthread_create(&flood_thread, NULL, flood_main, NULL) != 0) {
		flood_running = false;
		return reply_err(-errno, "flood_start");
	}
	printf("ok\n");
	return 0;
}

static void
flood_stop(void)
{
	if (!flood_running)
		return;
	__atomic_store_n(&flood_running, false, __ATOMIC_RELEASE);
	pthread_join(flood_thread, NULL);
}

/* An Rx thread polling beside the control thread, for the stress run. */
static pthread_t poll_thread;
static bool poll_running;
static uint64_t poll_received;
static uint64_t poll_bursts;
static uint16_t poll_port, poll_nb_queues;

static unsigned int poll_block_ms;
static bool poll_block_quit;
static bool poll_blocked;

static int
poll_block_child(void *arg)
{
	unsigned int ms = *(const unsigned int *)arg;
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	/* Running: the parent is in the kernel until we exit. */
	__atomic_store_n(&poll_blocked, true, __ATOMIC_RELEASE);
	nanosleep(&ts, NULL);
	_exit(0);
}

/*
 * Block in the kernel, where task work does not run: vfork() waits for the
 * child, which shares our memory (so runs on its own stack) and sleeps ms.
 */
static void
poll_block(unsigned int ms)
{
	static char stack[64 * 1024] __rte_aligned(16);
	pid_t child;

	child = clone(poll_block_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD,
		      &ms);
	if (child > 0)
		waitpid(child, NULL, 0);
	__atomic_store_n(&poll_blocked, false, __ATOMIC_RELEASE);
}

static void *
poll_main(void *arg __rte_unused)
{
	struct rte_mbuf *burst[BURST];
	uint16_t q = 0, n;

	while (__atomic_load_n(&poll_running, __ATOMIC_ACQUIRE)) {
		unsigned int ms = __atomic_exchange_n(&poll_block_ms, 0, __ATOMIC_ACQ_REL);

		if (ms > 0) {
			poll_block(ms);
			if (__atomic_load_n(&poll_block_quit, __ATOMIC_ACQUIRE))
				break;
		}
		n = rte_eth_rx_burst(poll_port, q, burst, BURST);
		rte_pktmbuf_free_bulk(burst, n);
		__atomic_fetch_add(&poll_received, n, __ATOMIC_RELEASE);
		__atomic_fetch_add(&poll_bursts, 1, __ATOMIC_RELEASE);
		q = (q + 1) % poll_nb_queues;
	}
	return NULL;
}

static int
cmd_poll_start(uint16_t port, uint16_t nb_queues)
{
	if (poll_running || nb_queues == 0)
		return reply_err(poll_running ? -EBUSY : -EINVAL, "poll_start");
	poll_port = port;
	poll_nb_queues = nb_queues;
	poll_received = 0;
	poll_bursts = 0;
	poll_running = true;
	if (pthread_create(&poll_thread, NULL, poll_main, NULL) != 0) {
		poll_running = false;
		return reply_err(-errno, "poll_start");
	}
	/* Each queue polled once: their waiting reads are the thread's. */
	while (__atomic_load_n(&poll_bursts, __ATOMIC_ACQUIRE) < nb_queues)
		rte_delay_us_sleep(100);
	printf("ok\n");
	return 0;
}

static void
poll_stop(void)
{
	if (!poll_running)
		return;
	__atomic_store_n(&poll_running, false, __ATOMIC_RELEASE);
	pthread_join(poll_thread, NULL);
}

static int
cmd_poll_block(unsigned int ms, bool quit)
{
	if (!poll_running || ms == 0)
		return reply_err(-EINVAL, "poll_block");
	__atomic_store_n(&poll_block_quit, quit, __ATOMIC_RELEASE);
	__atomic_store_n(&poll_block_ms, ms, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&poll_blocked, __ATOMIC_ACQUIRE))
		rte_delay_us_sleep(100);
	printf("ok\n");
	return 0;
}

static int
cmd_reset_check(uint16_t port, unsigned int n)
{
	uint64_t before, after, excess = 0, bin, id;
	struct rte_eth_stats st;
	unsigned int i;
	char name[RTE_ETH_XSTATS_NAME_SIZE];

	/* Counted per packet, where a lost reset shows most often. */
	snprintf(name, sizeof(name), "tx_q%u_size_64_packets", flood_queue);
	if (rte_eth_xstats_get_id_by_name(port, name, &id) < 0)
		return reply_err(-ENOENT, "reset_check");
	for (i = 0; i < n; i++) {
		before = __atomic_load_n(&flood_sent, __ATOMIC_ACQUIRE);
		if (rte_eth_stats_reset(port) < 0 || rte_eth_stats_get(port, &st) < 0 ||
		    rte_eth_xstats_get_by_id(port, &id, &bin, 1) != 1)
			return reply_err(-EIO, "reset_check");
		after = __atomic_load_n(&flood_sent, __ATOMIC_ACQUIRE);
		/* A burst counted by the driver before the thread adds it: BURST more. */
		if (st.opackets > after - before + BURST)
			excess = RTE_MAX(excess, st.opackets - (after - before));
		if (bin > after - before + BURST)
			excess = RTE_MAX(excess, bin - (after - before));
	}
	printf("ok excess=%" PRIu64 "\n", excess);
	return 0;
}

static int
reply(int ret, const char *what)
{
	if (ret < 0)
		return reply_err(ret, what);
	printf("ok\n");
	return 0;
}

/* A call returning a count or a status: "ok <value>". */
static int
reply_value(int ret, const char *what)
{
	if (ret < 0)
		return reply_err(ret, what);
	printf("ok %d\n", ret);
	return 0;
}

static int
on_off(const char *arg)
{
	return strcmp(arg, "on") == 0;
}

static void
close_all(void)
{
	uint16_t port;

	intr_stop();
	flood_stop();
	poll_stop();
	RTE_ETH_FOREACH_DEV(port) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
}

/* Returns 1 on quit. */
static void
cmd_rss_get(uint16_t port)
{
	uint8_t key[RSS_KEY_MAX];
	struct rte_eth_rss_conf conf = { .rss_key = key, .rss_key_len = sizeof(key) };
	int ret = rte_eth_dev_rss_hash_conf_get(port, &conf);
	unsigned int i;

	if (ret < 0) {
		reply_err(ret, "rss_hash_conf_get");
		return;
	}
	printf("ok hf=0x%" PRIx64 " key=", conf.rss_hf);
	for (i = 0; i < conf.rss_key_len; i++)
		printf("%02x", key[i]);
	printf("\n");
}

static void
cmd_rss_set(char **argv, int argc)
{
	const char *hex = opt(argv, argc, 3, "key");
	uint8_t key[RSS_KEY_MAX];
	struct rte_eth_rss_conf conf = { .rss_hf = strtoull(argv[2], NULL, 0) };

	if (hex != NULL) {
		conf.rss_key = key;
		conf.rss_key_len = hex_decode(hex, key, sizeof(key));
	}
	reply(rte_eth_dev_rss_hash_update(atoi(argv[1]), &conf), "rss_hash_update");
}

static void
cmd_reta(uint16_t port, const char *queues)
{
	struct rte_eth_rss_reta_entry64 conf[RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_dev_info info;
	unsigned int i, n = 0;
	uint16_t q[RETA_MAX];
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0 || info.reta_size == 0 || info.reta_size > RETA_MAX) {
		reply_err(ret < 0 ? ret : -ENOTSUP, "reta_size");
		return;
	}
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < info.reta_size; i++)
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= RTE_BIT64(i % RTE_ETH_RETA_GROUP_SIZE);
	if (queues != NULL) {
		char *end;

		while (n < RETA_MAX) {
			q[n++] = strtoul(queues, &end, 0);
			if (*end != ',')
				break;
			queues = end + 1;
		}
		for (i = 0; i < info.reta_size; i++)
			conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
				q[n == 1 ? 0 : i % n];
		reply(rte_eth_dev_rss_reta_update(port, conf, info.reta_size), "reta_update");
		return;
	}
	ret = rte_eth_dev_rss_reta_query(port, conf, info.reta_size);
	if (ret < 0) {
		reply_err(ret, "reta_query");
		return;
	}
	printf("ok ");
	for (i = 0; i < info.reta_size; i++)
		printf("%s%u", i ? "," : "",
		       conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE]);
	printf("\n");
}

static int
dispatch(char **argv, int argc)
{
	const char *c = argv[0];
	uint16_t port = argc > 1 ? atoi(argv[1]) : 0;
	uint16_t queue = argc > 2 ? atoi(argv[2]) : 0;
	struct rte_ether_addr mac;
	struct rte_eth_link link;

	if (strcmp(c, "quit") == 0)
		return 1;
	if (strcmp(c, "intr_status") == 0)
		cmd_intr_status();
	else if (strcmp(c, "intr_stop") == 0) {
		intr_stop();
		printf("ok\n");
	} else if (strcmp(c, "flood_stop") == 0) {
		flood_stop();
		printf("ok %" PRIu64 "\n", __atomic_load_n(&flood_sent, __ATOMIC_ACQUIRE));
	} else if (strcmp(c, "poll_stop") == 0) {
		poll_stop();
		printf("ok %" PRIu64 "\n", __atomic_load_n(&poll_received, __ATOMIC_ACQUIRE));
	} else if (strcmp(c, "poll_status") == 0) {
		printf("ok blocked=%d received=%" PRIu64 "\n",
		       __atomic_load_n(&poll_blocked, __ATOMIC_ACQUIRE),
		       __atomic_load_n(&poll_received, __ATOMIC_ACQUIRE));
	} else if (strcmp(c, "pool") == 0)
		printf("ok avail=%u size=%u\n", rte_mempool_avail_count(pool), pool->size);
	else if (strcmp(c, "release") == 0) {
		rte_pktmbuf_free_bulk(held, nb_held);
		nb_held = 0;
		printf("ok\n");
	} else if (argc < 2)
		reply_err(-EINVAL, "missing arguments");
	else if (strcmp(c, "attach") == 0)
		cmd_attach(argv[1]);
	else if (strcmp(c, "poll_start") == 0 && argc >= 3)
		cmd_poll_start(port, queue);
	else if (strcmp(c, "poll_block") == 0)
		cmd_poll_block(atoi(argv[1]), argc >= 3 && strcmp(argv[2], "quit") == 0);
	else if (strcmp(c, "flood_start") == 0 && argc >= 4)
		cmd_flood_start(port, queue, atoi(argv[3]));
	else if (strcmp(c, "reset_check") == 0 && argc >= 3)
		cmd_reset_check(port, atoi(argv[2]));
	else if (strcmp(c, "hold") == 0)
		cmd_hold(atoi(argv[1]));
	else if (strcmp(c, "detach") == 0)
		cmd_detach(port);
	else if (strcmp(c, "info") == 0)
		cmd_info(port);
	else if (strcmp(c, "configure") == 0 && argc >= 4)
		cmd_configure(argv, argc);
	else if (strcmp(c, "start") == 0)
		reply(rte_eth_dev_start(port), c);
	else if (strcmp(c, "stop") == 0)
		reply(rte_eth_dev_stop(port), c);
	else if (strcmp(c, "close") == 0)
		reply(rte_eth_dev_close(port), c);
	else if (strcmp(c, "rxq_start") == 0)
		reply(rte_eth_dev_rx_queue_start(port, queue), c);
	else if (strcmp(c, "rxq_stop") == 0)
		reply(rte_eth_dev_rx_queue_stop(port, queue), c);
	else if (strcmp(c, "txq_start") == 0)
		reply(rte_eth_dev_tx_queue_start(port, queue), c);
	else if (strcmp(c, "txq_stop") == 0)
		reply(rte_eth_dev_tx_queue_stop(port, queue), c);
	else if (strcmp(c, "rxall") == 0 && argc >= 5)
		cmd_rxall(argv);
	else if (strcmp(c, "rxq_intr") == 0 && argc >= 4)
		reply(strcmp(argv[3], "on") == 0 ? rte_eth_dev_rx_intr_enable(port, queue) :
			rte_eth_dev_rx_intr_disable(port, queue), c);
	else if (strcmp(c, "intr_start") == 0 && argc >= 3)
		cmd_intr_start(port, queue, opt_num(argv, argc, 3, "arm_first", 0));
	else if (strcmp(c, "events") == 0)
		printf("ok lsc=%u rmv=%u status=%u\n", __atomic_load_n(&nb_lsc, __ATOMIC_ACQUIRE),
		       __atomic_load_n(&nb_rmv, __ATOMIC_ACQUIRE),
		       __atomic_load_n(&lsc_status, __ATOMIC_RELAXED));
	else if (strcmp(c, "link_set") == 0 && argc >= 3)
		reply(strcmp(argv[2], "up") == 0 ? rte_eth_dev_set_link_up(port) :
			rte_eth_dev_set_link_down(port), c);
	else if (strcmp(c, "xstats_reset") == 0)
		reply(rte_eth_xstats_reset(port), c);
	else if (strcmp(c, "mc") == 0)
		cmd_mc(port, argv + 2, argc - 2);
	else if ((strcmp(c, "mac_add") == 0 || strcmp(c, "mac_del") == 0) && argc >= 3) {
		if (rte_ether_unformat_addr(argv[2], &mac) < 0)
			reply_err(-EINVAL, c);
		else if (c[4] == 'a')
			reply(rte_eth_dev_mac_addr_add(port, &mac, 0), c);
		else
			reply(rte_eth_dev_mac_addr_remove(port, &mac), c);
	} else if (strcmp(c, "rx") == 0 && argc >= 5)
		cmd_rx(argv);
	else if (strcmp(c, "tx") == 0 && argc >= 4)
		cmd_tx(argv, argc);
	else if (strcmp(c, "tx_cleanup") == 0 && argc >= 4)
		cmd_tx_cleanup(port, queue, atoi(argv[3]));
	else if (strcmp(c, "monitor") == 0 && argc >= 3)
		cmd_monitor(port, queue);
	else if (strcmp(c, "txburst") == 0 && argc >= 5)
		cmd_txburst(argv, argc);
	else if (strcmp(c, "fwd") == 0 && argc >= 4)
		cmd_fwd(argv, argc);
	else if (strcmp(c, "stats") == 0)
		cmd_stats(port);
	else if (strcmp(c, "xstats") == 0)
		cmd_xstats(port);
	else if (strcmp(c, "stats_reset") == 0)
		reply(rte_eth_stats_reset(port), c);
	else if (strcmp(c, "qinfo") == 0 && argc >= 3)
		cmd_qinfo(port, atoi(argv[2]));
	else if (strcmp(c, "rxcount") == 0 && argc >= 3)
		reply_value(rte_eth_rx_queue_count(port, atoi(argv[2])), c);
	else if (strcmp(c, "rxdesc") == 0 && argc >= 4)
		reply_value(rte_eth_rx_descriptor_status(port, atoi(argv[2]), atoi(argv[3])), c);
	else if (strcmp(c, "txdesc") == 0 && argc >= 4)
		reply_value(rte_eth_tx_descriptor_status(port, atoi(argv[2]), atoi(argv[3])), c);
	else if (strcmp(c, "link") == 0) {
		int ret = rte_eth_link_get_nowait(port, &link);

		if (ret < 0)
			reply_err(ret, c);
		else
			printf("ok status=%u speed=%u\n", link.link_status, link.link_speed);
	} else if (strcmp(c, "promisc") == 0 && argc >= 3)
		reply(on_off(argv[2]) ? rte_eth_promiscuous_enable(port) :
			rte_eth_promiscuous_disable(port), c);
	else if (strcmp(c, "allmulti") == 0 && argc >= 3)
		reply(on_off(argv[2]) ? rte_eth_allmulticast_enable(port) :
			rte_eth_allmulticast_disable(port), c);
	else if (strcmp(c, "rss_get") == 0)
		cmd_rss_get(port);
	else if (strcmp(c, "rss_set") == 0 && argc >= 3)
		cmd_rss_set(argv, argc);
	else if (strcmp(c, "reta") == 0)
		cmd_reta(port, argc > 2 ? argv[2] : NULL);
	else if (strcmp(c, "mtu") == 0 && argc >= 3)
		reply(rte_eth_dev_set_mtu(port, atoi(argv[2])), c);
	else if (strcmp(c, "mac") == 0 && argc >= 3) {
		if (rte_ether_unformat_addr(argv[2], &mac) < 0)
			reply_err(-EINVAL, c);
		else
			reply(rte_eth_dev_default_mac_addr_set(port, &mac), c);
	} else
		reply_err(-EINVAL, "unknown command or missing arguments");
	return 0;
}

static void
parse_app_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pool-size", required_argument, NULL, 'p' },
		{ "mbuf-size", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'p')
			pool_size = atoi(optarg);
		else if (c == 'm')
			mbuf_size = atoi(optarg);
		else
			rte_exit(EXIT_FAILURE, "usage: rtap_testapp <EAL> -- "
				 "[--pool-size N] [--mbuf-size N]\n");
	}
}

int
main(int argc, char **argv)
{
	static char line[2 * MAX_FRAME + 256];
	int ret = rte_eal_init(argc, argv);

	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	parse_app_args(argc - ret, argv + ret);

	/* No per-lcore cache: the available count must be exact at any time. */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		pool = rte_pktmbuf_pool_create("testapp_pool", pool_size, 0, 0, mbuf_size,
					       rte_socket_id());
		clone_pool = rte_pktmbuf_pool_create("testapp_clones", 256, 0, 0, 0,
						     rte_socket_id());
	} else {
		pool = rte_mempool_lookup("testapp_pool");
		clone_pool = rte_mempool_lookup("testapp_clones");
	}
	if (pool == NULL || clone_pool == NULL)
		rte_exit(EXIT_FAILURE, "cannot create the mbuf pool\n");

	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_LSC, on_event, NULL);
	rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV, on_event, NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *args[MAX_ARGS], *save = NULL, *tok;
		int n = 0;

		for (tok = strtok_r(line, " \t\n", &save); tok != NULL && n < MAX_ARGS;
		     tok = strtok_r(NULL, " \t\n", &save))
			args[n++] = tok;
		if (n > 0 && dispatch(args, n) != 0)
			break;
	}

	close_all();
	if (nb_held > 0)
		rte_pktmbuf_free_bulk(held, nb_held);
	free(held);
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		rte_mempool_free(pool);
	rte_eal_cleanup();
	printf("bye\n");
	return 0;
}
