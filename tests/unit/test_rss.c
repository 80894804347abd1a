/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Unit tests of RSS: Microsoft's RSS verification vectors (addresses and
 * ports, with its key) hashed from real frames, whole and cut into 7-byte
 * segments, tagged and not, and which flow types hash what; then the
 * steering program, loaded into the kernel and run on the same frames
 * (BPF_PROG_TEST_RUN), picks reta[hash % 64] for the hash Rx computed.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "rtap.h"
#include "test_eal.h"

#define POOL_SIZE	512
#define SEG		7

static struct rte_mempool *pool;
static struct rtap_pmd pmd;
static struct rtap_rx_queue rxq;

struct vector {
	const char *src, *dst;
	uint16_t sport, dport;
	uint32_t l3_hash, l4_hash;
};

/* Microsoft's "Verifying the RSS Hash Calculation", with its key. */
static const struct vector v4[] = {
	{ "66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178 },
	{ "199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea },
	{ "24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
	{ "38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f },
	{ "153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2 },
};

static const struct vector v6[] = {
	{ "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766, 0x2cc18cd5, 0x40207d3d },
	{ "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739, 0x0f0c461c, 0xdde51bbf },
	{ "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf", 44251, 38024,
	  0x4b61e985, 0x02d1feef },
};

enum l4 { L4_TCP, L4_UDP, L4_ICMP, L4_FRAG };
/* IPV6_EXT: a hop-by-hop header; L3: no Ethernet header (net_rtun). */
enum tags { NO_TAG, VLAN, QINQ, IPV6_EXT, L3 };

static int
eal_setup(void **state __rte_unused)
{
	if (test_eal_init("rss", "128") < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("rss", POOL_SIZE, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	rtap_rss_init(&pmd);
	return pool != NULL ? 0 : -1;
}

static int
eal_teardown(void **state __rte_unused)
{
	rte_mempool_free(pool);
	return rte_eal_cleanup();
}

static int
pool_full(void **state __rte_unused)
{
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
	return 0;
}

static void
put16(uint8_t *f, size_t *len, uint16_t v)
{
	uint16_t be = rte_cpu_to_be_16(v);

	memcpy(f + *len, &be, 2);
	*len += 2;
}

/*
 * Ethernet (VLAN, QinQ, none) + IPv4 or IPv6 (a hop-by-hop header, a
 * fragment header for L4_FRAG) + what l4 says, as one frame.
 */
static size_t
build(uint8_t *f, const struct vector *v, bool ipv6, enum l4 l4, enum tags tags)
{
	static const uint8_t proto[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_TCP };
	size_t len = 2 * RTE_ETHER_ADDR_LEN;

	memset(f, 0, 256);
	if (tags == QINQ) {
		put16(f, &len, RTE_ETHER_TYPE_QINQ);
		put16(f, &len, 7);
	}
	if (tags == VLAN || tags == QINQ) {
		put16(f, &len, RTE_ETHER_TYPE_VLAN);
		put16(f, &len, 5);
	}
	put16(f, &len, ipv6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (ipv6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f + len);
		uint8_t *next = &ip->proto;

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->hop_limits = 64;
		assert_int_equal(inet_pton(AF_INET6, v->src, &ip->src_addr), 1);
		assert_int_equal(inet_pton(AF_INET6, v->dst, &ip->dst_addr), 1);
		len += sizeof(*ip);
		if (tags == IPV6_EXT) {
			*next = IPPROTO_HOPOPTS;
			next = f + len;
			f[len + 1] = 1;		/* 16 bytes */
			len += 16;
		}
		if (l4 == L4_FRAG) {
			*next = IPPROTO_FRAGMENT;
			next = f + len;
			f[len + 3] = 1;		/* more fragments */
			len += 8;
		}
		*next = proto[l4];
		ip->payload_len = rte_cpu_to_be_16(len - ((uint8_t *)(ip + 1) - f) +
						   sizeof(struct rte_tcp_hdr));
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + len);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->next_proto_id = proto[l4];
		ip->time_to_live = 64;
		ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(struct rte_tcp_hdr));
		if (l4 == L4_FRAG)
			ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
		assert_int_equal(inet_pton(AF_INET, v->src, &ip->src_addr), 1);
		assert_int_equal(inet_pton(AF_INET, v->dst, &ip->dst_addr), 1);
		len += sizeof(*ip);
	}
	if (l4 == L4_TCP || l4 == L4_UDP || l4 == L4_FRAG) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + len);

		th->src_port = rte_cpu_to_be_16(v->sport);
		th->dst_port = rte_cpu_to_be_16(v->dport);
		th->data_off = 5 << 4;
	}
	len += sizeof(struct rte_tcp_hdr);
	if (tags == L3) {
		len -= RTE_ETHER_HDR_LEN;
		memmove(f, f + RTE_ETHER_HDR_LEN, len);
	}
	return len;
}

/* The frame in one mbuf, or cut into SEG-byte segments. */
static struct rte_mbuf *
frame_mbuf(const uint8_t *f, size_t len, bool chain)
{
	struct rte_mbuf *head = NULL;
	size_t off = 0;

	while (off < len) {
		size_t n = chain ? RTE_MIN((size_t)SEG, len - off) : len;
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

		assert_non_null(m);
		memcpy(rte_pktmbuf_append(m, n), f + off, n);
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
		off += n;
	}
	return head;
}

/* The hash Rx gives the frame under rss_hf; 0 and no flag when it gives none. */
static uint32_t
rx_hash(const struct vector *v, bool ipv6, enum l4 l4, enum tags tags, bool chain,
	uint64_t rss_hf)
{
	uint8_t f[256];
	size_t len = build(f, v, ipv6, l4, tags);
	struct rte_mbuf *m = frame_mbuf(f, len, chain);
	uint32_t hash = 0;

	pmd.rss_hf = rss_hf;
	rtap_rss_rxq_load(&rxq, &pmd, RTE_ETH_RX_OFFLOAD_RSS_HASH);
	rxq.l3 = tags == L3;
	rtap_rss_hash_set(m, &rxq);
	/* An L3 packet is parsed behind a borrowed Ethernet header: all put back. */
	assert_int_equal(m->pkt_len, len);
	assert_int_equal(m->data_off, RTE_PKTMBUF_HEADROOM);
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		hash = m->hash.rss;
	else
		assert_int_equal(m->ol_flags, 0);
	rte_pktmbuf_free(m);
	return hash;
}

static void
test_vectors(void **state __rte_unused)
{
	unsigned int i, layout;

	for (layout = 0; layout < 10; layout++) {
		enum tags vlan = layout % 5;
		bool chain = layout >= 5;

		for (i = 0; i < RTE_DIM(v4); i++) {
			assert_int_equal(rx_hash(&v4[i], false, L4_TCP, vlan, chain,
						 RTE_ETH_RSS_NONFRAG_IPV4_TCP), v4[i].l4_hash);
			assert_int_equal(rx_hash(&v4[i], false, L4_UDP, vlan, chain,
						 RTE_ETH_RSS_NONFRAG_IPV4_UDP), v4[i].l4_hash);
			assert_int_equal(rx_hash(&v4[i], false, L4_TCP, vlan, chain,
						 RTE_ETH_RSS_IPV4), v4[i].l3_hash);
		}
		for (i = 0; i < RTE_DIM(v6); i++) {
			assert_int_equal(rx_hash(&v6[i], true, L4_TCP, vlan, chain,
						 RTE_ETH_RSS_NONFRAG_IPV6_TCP), v6[i].l4_hash);
			assert_int_equal(rx_hash(&v6[i], true, L4_UDP, vlan, chain,
						 RTE_ETH_RSS_NONFRAG_IPV6_UDP), v6[i].l4_hash);
			assert_int_equal(rx_hash(&v6[i], true, L4_UDP, vlan, chain,
						 RTE_ETH_RSS_IPV6), v6[i].l3_hash);
		}
	}
}

/* Each flow type hashes its packets only; the plain IP type hashes the rest by address. */
static void
test_flow_types(void **state __rte_unused)
{
	const struct vector *v = &v4[0];

	/* TCP hashed, so UDP, fragments and ICMP are not. */
	assert_int_equal(rx_hash(v, false, L4_UDP, NO_TAG, false, RTE_ETH_RSS_NONFRAG_IPV4_TCP), 0);
	assert_int_equal(rx_hash(v, false, L4_FRAG, NO_TAG, false, RTE_ETH_RSS_NONFRAG_IPV4_TCP), 0);
	assert_int_equal(rx_hash(v, false, L4_ICMP, NO_TAG, false, RTE_ETH_RSS_NONFRAG_IPV4_TCP), 0);
	/* A fragment's ports are not read: its own type hashes the addresses. */
	assert_int_equal(rx_hash(v, false, L4_FRAG, NO_TAG, false,
				 RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP), v->l3_hash);
	assert_int_equal(rx_hash(v, false, L4_ICMP, NO_TAG, false, RTE_ETH_RSS_NONFRAG_IPV4_OTHER),
			 v->l3_hash);
	assert_int_equal(rx_hash(v, false, L4_ICMP, NO_TAG, false, RTE_ETH_RSS_IPV4), v->l3_hash);
	/* The IPv4 types do not hash IPv6, nor the IPv6 ones IPv4. */
	assert_int_equal(rx_hash(&v6[0], true, L4_TCP, NO_TAG, false, RTAP_RSS_HF &
				 ~(RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP)), 0);
	assert_int_equal(rx_hash(v, false, L4_TCP, NO_TAG, false,
				 RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP), 0);
	/* Without the offload nothing is hashed. */
	pmd.rss_hf = RTAP_RSS_HF;
	rtap_rss_rxq_load(&rxq, &pmd, 0);
	assert_int_equal(rxq.rss_hf, 0);
}

static void
test_not_ip(void **state __rte_unused)
{
	static const uint8_t arp[60] = { [12] = 0x08, [13] = 0x06 };
	uint32_t tuple[RTAP_RSS_TUPLE_MAX];
	struct rte_mbuf *m = frame_mbuf(arp, sizeof(arp), false);

	assert_int_equal(rtap_rss_tuple(m, RTAP_RSS_HF, false, tuple), 0);
	/* Nor is an L3 packet of another version, or one too short for its header. */
	assert_int_equal(rtap_rss_tuple(m, RTAP_RSS_HF, true, tuple), 0);
	rte_pktmbuf_free(m);
}

/* A frame cut short after the IP header has no ports to read: not hashed. */
static void
test_truncated(void **state __rte_unused)
{
	uint32_t tuple[RTAP_RSS_TUPLE_MAX];
	uint8_t f[256];
	size_t len = build(f, &v4[0], false, L4_TCP, NO_TAG);
	struct rte_mbuf *m = frame_mbuf(f, len - sizeof(struct rte_tcp_hdr), false);

	assert_int_equal(rtap_rss_tuple(m, RTE_ETH_RSS_NONFRAG_IPV4_TCP, false, tuple), 0);
	rte_pktmbuf_free(m);
}

/*
 * The steering program's verdict on a frame: test runs start past an
 * Ethernet header, where tun runs a TAP's program at the frame and a TUN's
 * at the IP packet.
 */
static int
steer_run(int fd, const uint8_t *frame, size_t len)
{
	uint8_t in[RTE_ETHER_HDR_LEN + 256] = { [12] = 0x08 }, out[sizeof(in)];
	union bpf_attr attr;

	memcpy(in + RTE_ETHER_HDR_LEN, frame, len);
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = fd;
	attr.test.data_in = (uintptr_t)in;
	attr.test.data_size_in = RTE_ETHER_HDR_LEN + len;
	/* Not needed by the kernel, but valgrind checks the buffer. */
	attr.test.data_out = (uintptr_t)out;
	attr.test.data_size_out = sizeof(out);
	attr.test.repeat = 1;
	assert_int_equal(syscall(__NR_bpf, BPF_PROG_TEST_RUN, &attr, sizeof(attr)), 0);
	return attr.test.retval;
}

/* For every flow-type set, frame and layout: queue reta[i] for Rx's hash i (mod 64). */
static void
test_steering_program(void **state __rte_unused)
{
	static const uint64_t sets[] = {
		RTAP_RSS_HF, RTE_ETH_RSS_IPV4, RTE_ETH_RSS_IPV6, RTE_ETH_RSS_NONFRAG_IPV4_TCP,
		RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_FRAG_IPV4,
		RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_OTHER,
		RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_IPV4, 0,
	};
	uint16_t reta[RTAP_RETA_SIZE];
	unsigned int s, i, l4, tags, checked = 0;

	for (i = 0; i < RTAP_RETA_SIZE; i++)
		reta[i] = i;
	for (s = 0; s < RTE_DIM(sets); s++) {
		int fd[2] = {
			rtap_bpf_steer_load(false, pmd.rss_key, sets[s], reta),
			rtap_bpf_steer_load(true, pmd.rss_key, sets[s], reta),
		};

		assert_true(fd[0] >= 0 && fd[1] >= 0);
		for (l4 = L4_TCP; l4 <= L4_FRAG; l4++) {
			for (tags = NO_TAG; tags <= L3; tags++) {
				for (i = 0; i < RTE_DIM(v4) + RTE_DIM(v6); i++) {
					bool ipv6 = i >= RTE_DIM(v4);
					const struct vector *v = ipv6 ? &v6[i - RTE_DIM(v4)] : &v4[i];
					uint8_t f[256];
					size_t len;

					if (tags == IPV6_EXT && !ipv6)
						continue;
					len = build(f, v, ipv6, l4, tags);
					assert_int_equal(steer_run(fd[tags == L3], f, len),
							 rx_hash(v, ipv6, l4, tags, false, sets[s]) %
							 RTAP_RETA_SIZE);
					checked++;
				}
			}
		}
		close(fd[0]);
		close(fd[1]);
	}
	assert_int_equal(checked, RTE_DIM(sets) * 4 * (4 * RTE_DIM(v4) + 5 * RTE_DIM(v6)));
}

/* A reta of one queue sends everything there; the program fits every set. */
static void
test_steering_reta(void **state __rte_unused)
{
	static struct bpf_insn insn[RTAP_BPF_MAX_INSNS];
	uint16_t reta[RTAP_RETA_SIZE];
	uint8_t f[256];
	size_t len = build(f, &v6[1], true, L4_UDP, IPV6_EXT);
	unsigned int i;
	int fd;

	for (i = 0; i < RTAP_RETA_SIZE; i++)
		reta[i] = 2;
	fd = rtap_bpf_steer_load(false, pmd.rss_key, RTAP_RSS_HF, reta);
	assert_true(fd >= 0);
	assert_int_equal(steer_run(fd, f, len), 2);
	close(fd);
	assert_true(rtap_bpf_steer_build(insn, RTE_DIM(insn), false, pmd.rss_key, RTAP_RSS_HF,
					 reta) > 0);
	assert_int_equal(rtap_bpf_steer_build(insn, 100, false, pmd.rss_key, RTAP_RSS_HF, reta),
			 -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_vectors, pool_full),
		cmocka_unit_test_teardown(test_flow_types, pool_full),
		cmocka_unit_test_teardown(test_not_ip, pool_full),
		cmocka_unit_test_teardown(test_truncated, pool_full),
		cmocka_unit_test_teardown(test_steering_program, pool_full),
		cmocka_unit_test_teardown(test_steering_reta, pool_full),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
