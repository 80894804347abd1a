/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Unit tests of the offload conversions against a real mempool: the
 * TUNSETOFFLOAD mapping, virtio-net header -> Rx mbuf flags (including the
 * software checksum verification over chains), Tx mbuf flags -> header, the
 * Tx header fixes and tx_prepare. Every branch of rtap_offload.c's offload
 * code is reached by some test here.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "rtap.h"
#include "test_eal.h"

#define POOL_SIZE	2048
#define TINY_ROOM	64	/* forces headers and payload across segments */

static struct rte_mempool *pool;	/* one mbuf per frame */
static struct rte_mempool *tiny_pool;	/* chains */

static int
eal_setup(void **state __rte_unused)
{
	if (test_eal_init("offl", "256") < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("offl", POOL_SIZE, 0, 0, 8192 + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	tiny_pool = rte_pktmbuf_pool_create("offl_tiny", POOL_SIZE, 0, 0,
					    TINY_ROOM + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	return pool && tiny_pool ? 0 : -1;
}

static int
eal_teardown(void **state __rte_unused)
{
	rte_mempool_free(pool);
	rte_mempool_free(tiny_pool);
	return rte_eal_cleanup();
}

static int
pools_full(void **state __rte_unused)
{
	assert_int_equal(rte_mempool_avail_count(pool), POOL_SIZE);
	assert_int_equal(rte_mempool_avail_count(tiny_pool), POOL_SIZE);
	return 0;
}

/* Frame builders: Ethernet + IPv4/IPv6 (+ extension) + TCP/UDP, correct checksums. */
#define L2	RTE_ETHER_HDR_LEN
#define L3V4	sizeof(struct rte_ipv4_hdr)
#define L3V6	sizeof(struct rte_ipv6_hdr)
#define L4TCP	sizeof(struct rte_tcp_hdr)
#define L4UDP	sizeof(struct rte_udp_hdr)

struct frame {
	uint8_t b[4096];
	uint32_t len;
	uint32_t l3, l4;	/* offsets */
};

static void
build(struct frame *f, bool v6, uint8_t proto, uint32_t payload, bool hbh)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->b;
	uint32_t ext = hbh ? 8 : 0, l4len = (proto == IPPROTO_TCP ? L4TCP : L4UDP) + payload;
	uint32_t i;

	memset(f, 0, sizeof(*f));
	memset(&eth->dst_addr, 0x02, RTE_ETHER_ADDR_LEN);
	memset(&eth->src_addr, 0x04, RTE_ETHER_ADDR_LEN);
	f->l3 = L2;
	if (!v6) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->b + f->l3);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16(L3V4 + l4len);
		ip->time_to_live = 64;
		ip->next_proto_id = proto;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		f->l4 = f->l3 + L3V4;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f->b + f->l3);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(ext + l4len);
		ip->hop_limits = 64;
		/* An array before 24.11, a struct rte_ipv6_addr since: bytes either way. */
		((uint8_t *)&ip->src_addr)[0] = 0xfd;
		((uint8_t *)&ip->src_addr)[15] = 1;
		((uint8_t *)&ip->dst_addr)[0] = 0xfd;
		((uint8_t *)&ip->dst_addr)[15] = 2;
		ip->proto = hbh ? IPPROTO_HOPOPTS : proto;
		f->l4 = f->l3 + L3V6;
		if (hbh) {
			/* Hop-by-hop header: next header, length 0 (8 bytes), PadN. */
			f->b[f->l4] = proto;
			f->b[f->l4 + 2] = 1;
			f->b[f->l4 + 3] = 4;
			f->l4 += ext;
		}
	}
	f->len = f->l4 + l4len;
	for (i = f->len - payload; i < f->len; i++)
		f->b[i] = i * 7;

	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f->b + f->l4);

		th->src_port = rte_cpu_to_be_16(1000);
		th->dst_port = rte_cpu_to_be_16(2000);
		th->data_off = (L4TCP / 4) << 4;
		th->tcp_flags = RTE_TCP_ACK_FLAG;
	} else {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(f->b + f->l4);

		uh->src_port = rte_cpu_to_be_16(1000);
		uh->dst_port = rte_cpu_to_be_16(2000);
		uh->dgram_len = rte_cpu_to_be_16(l4len);
	}
}

/* Set the L4 checksum; a correct one when delta is 0. */
static void
set_l4_cksum(struct frame *f, uint8_t proto, uint16_t delta)
{
	uint16_t *field = (uint16_t *)(f->b + f->l4 +
		(proto == IPPROTO_TCP ? offsetof(struct rte_tcp_hdr, cksum) :
					offsetof(struct rte_udp_hdr, dgram_cksum)));
	uint32_t sum;
	uint16_t c;

	*field = 0;
	if (((struct rte_ether_hdr *)f->b)->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		c = rte_ipv4_udptcp_cksum((struct rte_ipv4_hdr *)(f->b + f->l3), f->b + f->l4);
	} else {
		struct rte_ipv6_hdr ip = *(struct rte_ipv6_hdr *)(f->b + f->l3);

		ip.payload_len = rte_cpu_to_be_16(f->len - f->l4);
		sum = rte_ipv6_phdr_cksum(&ip, 0) + rte_raw_cksum(f->b + f->l4, f->len - f->l4);
		sum = (sum & 0xffff) + (sum >> 16);
		c = ~(uint16_t)((sum & 0xffff) + (sum >> 16));
		if (c == 0 && proto == IPPROTO_UDP)
			c = 0xffff;
	}
	*field = c + delta;
}

/* Copy a frame into a fresh mbuf (chain of seg-byte segments when seg != 0). */
static struct rte_mbuf *
to_mbuf(const struct frame *f, uint32_t seg)
{
	struct rte_mempool *mp = seg ? tiny_pool : pool;
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;

	if (seg == 0)
		seg = f->len;
	while (off < f->len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t n = RTE_MIN(seg, f->len - off);

		assert_non_null(m);
		memcpy(rte_pktmbuf_append(m, n), f->b + off, n);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		last = m;
	}
	return head;
}

static const struct virtio_net_hdr no_hdr;

/*
 * Rx flags of a frame (an IP packet of net_rtun when l3) with the given
 * header and enabled offloads; -errno on error.
 */
static int64_t
rx_flags_of(const struct frame *f, uint32_t seg, const struct virtio_net_hdr *h,
	    uint64_t offloads, bool l3, uint32_t *ptype, uint16_t *segsz)
{
	struct rte_mbuf *m = to_mbuf(f, seg);
	int ret = rtap_rx_offload(m, h, offloads, l3);
	int64_t flags = ret < 0 ? ret : (int64_t)m->ol_flags;

	/* The parse borrowed headroom only. */
	assert_int_equal(m->data_off, RTE_PKTMBUF_HEADROOM);
	assert_int_equal(m->pkt_len, f->len);
	if (ptype != NULL)
		*ptype = m->packet_type;
	if (segsz != NULL)
		*segsz = m->tso_segsz;
	rte_pktmbuf_free(m);
	return flags;
}

static int64_t
rx_flags(const struct frame *f, uint32_t seg, const struct virtio_net_hdr *h,
	 uint64_t offloads, uint32_t *ptype, uint16_t *segsz)
{
	return rx_flags_of(f, seg, h, offloads, false, ptype, segsz);
}

/* The frame's IP packet alone, as a TUN carries it. */
static void
strip_l2(struct frame *f)
{
	f->len -= L2;
	memmove(f->b, f->b + L2, f->len);
	f->l3 -= L2;
	f->l4 -= L2;
}

#define ALL_CKSUM	RTAP_RX_CKSUM_OFFLOADS
#define L4_MASK		RTE_MBUF_F_RX_L4_CKSUM_MASK
#define IP_MASK		RTE_MBUF_F_RX_IP_CKSUM_MASK

static void
test_tun_offloads(void **state __rte_unused)
{
	const unsigned int lro = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	const uint64_t l4 = RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	unsigned int partial;

	for (partial = 0; partial <= 1; partial++) {
		assert_int_equal(rtap_tun_offloads(0, partial, false), 0);
		assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_SCATTER, partial, false), 0);
		/* The IPv4 header checksum is verified in software: nothing to negotiate. */
		assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, partial, false), 0);
		/* LRO implies partial checksums, whatever csum= says. */
		assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_TCP_LRO, partial, false), lro);
		assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_TCP_LRO | ALL_CKSUM,
						   partial, false), lro);
	}
	/* USO only where the kernel has it, and only with LRO. */
	assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_TCP_LRO, false, true),
			 lro | TUN_F_USO4 | TUN_F_USO6);
	assert_int_equal(rtap_tun_offloads(ALL_CKSUM, true, true), TUN_F_CSUM);
	assert_int_equal(rtap_tun_offloads(0, false, true), 0);
	/* csum=full (the default): checksum offload alone gets complete checksums. */
	assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_UDP_CKSUM, false, false), 0);
	assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_TCP_CKSUM, false, false), 0);
	assert_int_equal(rtap_tun_offloads(ALL_CKSUM, false, false), 0);
	/* csum=partial: only together with an L4 checksum offload. */
	assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_UDP_CKSUM, true, false), TUN_F_CSUM);
	assert_int_equal(rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_TCP_CKSUM, true, false), TUN_F_CSUM);
	assert_int_equal(rtap_tun_offloads(l4 | RTE_ETH_RX_OFFLOAD_SCATTER, true, false), TUN_F_CSUM);
}

static void
test_txqlen(void **state __rte_unused)
{
	/* Never below what the interface had, else two bursts of the largest queue. */
	assert_int_equal(rtap_txqlen(0, 500, 0), 500);
	assert_int_equal(rtap_txqlen(0, 500, RTAP_MIN_DESC), 500);
	assert_int_equal(rtap_txqlen(0, 500, 250), 500);
	assert_int_equal(rtap_txqlen(0, 500, 251), 502);
	assert_int_equal(rtap_txqlen(0, 1000, RTAP_DEFAULT_DESC), 1024);
	assert_int_equal(rtap_txqlen(0, 1000, 256), 1000);
	assert_int_equal(rtap_txqlen(0, 10000, RTAP_MAX_DESC), 10000);
	assert_int_equal(rtap_txqlen(0, 1, RTAP_MAX_DESC), 2 * RTAP_MAX_DESC);
	assert_int_equal(rtap_txqlen(0, 1000, UINT16_MAX), 2u * UINT16_MAX);
	/* Unknown (-1) or 0: the kernel's usual default. */
	assert_int_equal(rtap_txqlen(0, -1, RTAP_MIN_DESC), RTAP_TXQLEN_DEFAULT);
	assert_int_equal(rtap_txqlen(0, 0, RTAP_MIN_DESC), RTAP_TXQLEN_DEFAULT);
	/* The devarg wins, also below the floor. */
	assert_int_equal(rtap_txqlen(1, 1000, RTAP_MAX_DESC), 1);
	assert_int_equal(rtap_txqlen(100000, 1000, 16), 100000);
}

static void
test_rx_no_offload_fast_path(void **state __rte_unused)
{
	struct frame f;
	uint32_t ptype = 1;

	build(&f, false, IPPROTO_TCP, 100, false);
	set_l4_cksum(&f, IPPROTO_TCP, 1);	/* wrong, and nobody asked */
	assert_int_equal(rx_flags(&f, 0, &no_hdr, 0, &ptype, NULL), 0);
	assert_int_equal(ptype, 0);
}

static void
test_rx_header_flags(void **state __rte_unused)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	struct frame f;

	build(&f, false, IPPROTO_TCP, 100, false);
	set_l4_cksum(&f, IPPROTO_TCP, 1);
	/* The kernel's word is taken without looking at the data. */
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	assert_int_equal(rx_flags(&f, 0, &h, ALL_CKSUM, NULL, NULL) & L4_MASK,
			 RTE_MBUF_F_RX_L4_CKSUM_GOOD);

	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.csum_start = f.l4;
	h.csum_offset = offsetof(struct rte_tcp_hdr, cksum);
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), RTE_MBUF_F_RX_L4_CKSUM_NONE);
	assert_int_equal(rx_flags(&f, 0, &h, ALL_CKSUM, NULL, NULL) & L4_MASK,
			 RTE_MBUF_F_RX_L4_CKSUM_NONE);
	/* NEEDS_CSUM wins over DATA_VALID. */
	h.flags |= VIRTIO_NET_HDR_F_DATA_VALID;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), RTE_MBUF_F_RX_L4_CKSUM_NONE);

	/* The checksum field ends exactly at the end of the frame: fine. */
	h.csum_start = f.len - 2;
	h.csum_offset = 0;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), RTE_MBUF_F_RX_L4_CKSUM_NONE);
	/* One byte past it, or a start beyond the frame: malformed. */
	h.csum_offset = 1;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), -EINVAL);
	h.csum_start = UINT16_MAX;
	h.csum_offset = UINT16_MAX;
	assert_int_equal(rx_flags(&f, TINY_ROOM, &h, 0, NULL, NULL), -EINVAL);

	/* Flag bits the kernel never sends. */
	h = (struct virtio_net_hdr){ .flags = 0x80 };
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), -EINVAL);
}

static void
test_rx_gso(void **state __rte_unused)
{
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.gso_size = 1448,
	};
	struct frame f;
	uint16_t segsz = 0;

	build(&f, false, IPPROTO_TCP, 3000, false);
	h.csum_start = f.l4;
	h.csum_offset = offsetof(struct rte_tcp_hdr, cksum);
	h.hdr_len = f.l4 + L4TCP;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, &segsz),
			 RTE_MBUF_F_RX_L4_CKSUM_NONE | RTE_MBUF_F_RX_LRO);
	assert_int_equal(segsz, 1448);

	build(&f, true, IPPROTO_TCP, 3000, false);
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN;
	h.gso_size = 1000;
	h.csum_start = f.l4;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, &segsz),
			 RTE_MBUF_F_RX_L4_CKSUM_NONE | RTE_MBUF_F_RX_LRO);
	assert_int_equal(segsz, 1000);

	/* GSO without a partial checksum: LRO, nothing said about the checksum. */
	h.flags = 0;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, &segsz), RTE_MBUF_F_RX_LRO);
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;

	h.gso_size = 0;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), -EINVAL);
	h.gso_size = 1000;
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), -EINVAL);
	h.gso_type = VIRTIO_NET_HDR_GSO_ECN;	/* ECN of nothing */
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), -EINVAL);

	/* USO, either family: flagged like TCP, the datagram size in tso_segsz. */
	build(&f, false, IPPROTO_UDP, 3000, false);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	h.gso_size = 1200;
	h.csum_start = f.l4;
	h.csum_offset = offsetof(struct rte_udp_hdr, dgram_cksum);
	h.hdr_len = f.l4 + L4UDP;
	segsz = 0;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, &segsz),
			 RTE_MBUF_F_RX_L4_CKSUM_NONE | RTE_MBUF_F_RX_LRO);
	assert_int_equal(segsz, 1200);
	build(&f, true, IPPROTO_UDP, 3000, false);
	h.csum_start = f.l4;
	assert_int_equal(rx_flags(&f, 0, &h, ALL_CKSUM, NULL, &segsz),
			 RTE_MBUF_F_RX_L4_CKSUM_NONE | RTE_MBUF_F_RX_LRO);
	/* ECN is a TCP flag. */
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4 | VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(rx_flags(&f, 0, &h, 0, NULL, NULL), -EINVAL);
}

/* Software verification of a frame the kernel did not vouch for. */
static void
check_sw(bool v6, uint8_t proto, bool hbh, uint32_t seg)
{
	uint64_t off = proto == IPPROTO_TCP ? RTE_ETH_RX_OFFLOAD_TCP_CKSUM :
					      RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	uint32_t ptype, want_l3 = v6 ? (hbh ? RTE_PTYPE_L3_IPV6_EXT : RTE_PTYPE_L3_IPV6) :
				       RTE_PTYPE_L3_IPV4;
	struct frame f;

	build(&f, v6, proto, 301, hbh);
	set_l4_cksum(&f, proto, 0);
	assert_int_equal(rx_flags(&f, seg, &no_hdr, off, &ptype, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	assert_int_equal(ptype, RTE_PTYPE_L2_ETHER | want_l3 |
			 (proto == IPPROTO_TCP ? RTE_PTYPE_L4_TCP : RTE_PTYPE_L4_UDP));
	set_l4_cksum(&f, proto, 1);
	assert_int_equal(rx_flags(&f, seg, &no_hdr, off, NULL, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_BAD);
	/* Only the protocol the application asked about is verified. */
	off ^= RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	assert_int_equal(rx_flags(&f, seg, &no_hdr, off, &ptype, NULL), 0);
	assert_int_not_equal(ptype, 0);
	/* A payload byte changed in the last segment. */
	set_l4_cksum(&f, proto, 0);
	f.b[f.len - 1] ^= 0x10;
	assert_int_equal(rx_flags(&f, seg, &no_hdr, ALL_CKSUM, NULL, NULL) & L4_MASK,
			 RTE_MBUF_F_RX_L4_CKSUM_BAD);
}

static void
test_rx_sw_verify(void **state __rte_unused)
{
	check_sw(false, IPPROTO_TCP, false, 0);
	check_sw(false, IPPROTO_UDP, false, 0);
	check_sw(true, IPPROTO_TCP, false, 0);
	check_sw(true, IPPROTO_UDP, false, 0);
	check_sw(true, IPPROTO_TCP, true, 0);
	/* Chains, headers split across segments included. */
	check_sw(false, IPPROTO_TCP, false, TINY_ROOM);
	check_sw(true, IPPROTO_UDP, true, 17);
	/* 13-byte segments put the UDP checksum (offset 40) at an odd address. */
	check_sw(false, IPPROTO_UDP, false, 13);
}

/* net_rtun: the same parse and verdicts on packets with no Ethernet header. */
static void
test_rx_sw_l3(void **state __rte_unused)
{
	const uint64_t good = RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	struct rte_mbuf *m;
	uint32_t ptype;
	struct frame f;

	build(&f, false, IPPROTO_TCP, 100, false);
	set_l4_cksum(&f, IPPROTO_TCP, 0);
	strip_l2(&f);
	assert_int_equal(rx_flags_of(&f, 0, &no_hdr, ALL_CKSUM, true, &ptype, NULL), good);
	assert_int_equal(ptype, RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP);
	/* Cut into segments, the first shorter than the header borrowed. */
	assert_int_equal(rx_flags_of(&f, 9, &no_hdr, ALL_CKSUM, true, &ptype, NULL), good);
	assert_int_equal(ptype, RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP);
	f.b[f.len - 1] ^= 1;
	assert_int_equal(rx_flags_of(&f, 0, &no_hdr, ALL_CKSUM, true, NULL, NULL),
			 RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD);

	build(&f, true, IPPROTO_UDP, 33, true);
	set_l4_cksum(&f, IPPROTO_UDP, 0);
	strip_l2(&f);
	assert_int_equal(rx_flags_of(&f, 0, &no_hdr, ALL_CKSUM, true, &ptype, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	assert_int_equal(ptype, RTE_PTYPE_L3_IPV6_EXT | RTE_PTYPE_L4_UDP);
	/* What Rx says of every packet, parsed or not: its version. */
	m = to_mbuf(&f, 0);
	assert_int_equal(rtap_l3_ptype(m), RTE_PTYPE_L3_IPV6_EXT_UNKNOWN);

	/* Neither version: nothing is parsed or flagged. */
	*rte_pktmbuf_mtod(m, uint8_t *) = 0x50;
	assert_int_equal(rtap_l3_ptype(m), RTE_PTYPE_UNKNOWN);
	rte_pktmbuf_free(m);
	f.b[0] = 0x50;
	assert_int_equal(rx_flags_of(&f, 0, &no_hdr, ALL_CKSUM, true, &ptype, NULL), 0);
	assert_int_equal(ptype, RTE_PTYPE_UNKNOWN);
}

static void
test_rx_sw_udp_zero(void **state __rte_unused)
{
	struct frame f;

	/* No checksum is legal over IPv4, not over IPv6. */
	build(&f, false, IPPROTO_UDP, 10, false);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	build(&f, true, IPPROTO_UDP, 10, false);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_BAD);
}

static void
test_rx_sw_lengths(void **state __rte_unused)
{
	struct rte_ipv4_hdr *ip4;
	struct rte_ipv6_hdr *ip6;
	struct frame f;

	/* IPv4 total length beyond the frame, and shorter than the IP header. */
	build(&f, false, IPPROTO_TCP, 40, false);
	set_l4_cksum(&f, IPPROTO_TCP, 0);
	ip4 = (struct rte_ipv4_hdr *)(f.b + f.l3);
	ip4->total_length = rte_cpu_to_be_16(f.len);
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD);
	ip4->total_length = rte_cpu_to_be_16(10);
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, NULL, NULL) & L4_MASK,
			 RTE_MBUF_F_RX_L4_CKSUM_BAD);

	/* IPv6 payload length beyond the frame, and shorter than the extension. */
	build(&f, true, IPPROTO_TCP, 40, true);
	set_l4_cksum(&f, IPPROTO_TCP, 0);
	ip6 = (struct rte_ipv6_hdr *)(f.b + f.l3);
	ip6->payload_len = rte_cpu_to_be_16(f.len);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_BAD);
	ip6->payload_len = rte_cpu_to_be_16(4);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_BAD);

	/* A UDP header cut short by the end of the frame. */
	build(&f, false, IPPROTO_UDP, 0, false);
	f.len -= 2;
	assert_int_equal(rx_flags(&f, 0, &no_hdr, RTE_ETH_RX_OFFLOAD_UDP_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_BAD);
}

static void
test_rx_sw_ip_header(void **state __rte_unused)
{
	struct rte_ipv4_hdr *ip;
	struct frame f;
	uint32_t ptype;

	build(&f, false, IPPROTO_TCP, 20, false);
	set_l4_cksum(&f, IPPROTO_TCP, 0);
	ip = (struct rte_ipv4_hdr *)(f.b + f.l3);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	/* Split across segments. */
	assert_int_equal(rx_flags(&f, 20, &no_hdr, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	ip->hdr_checksum ^= 1;
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	/* Not asked for: not looked at. */
	assert_int_equal(rx_flags(&f, 0, &no_hdr, RTE_ETH_RX_OFFLOAD_TCP_CKSUM, NULL, NULL),
			 RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	/* Options announced past the end of the frame. */
	ip->version_ihl = 0x4f;
	f.len = f.l3 + 40;
	assert_int_equal(rx_flags(&f, 0, &no_hdr, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM, &ptype, NULL),
			 RTE_MBUF_F_RX_IP_CKSUM_BAD);
	assert_int_equal(ptype & RTE_PTYPE_L3_MASK, RTE_PTYPE_L3_IPV4_EXT);
	/* An IHL below 5 is no IPv4 header to rte_net_get_ptype(): nothing claimed. */
	ip->version_ihl = 0x44;
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, &ptype, NULL), 0);
	assert_int_equal(ptype & RTE_PTYPE_L3_MASK, 0);
}

static void
test_rx_sw_not_verifiable(void **state __rte_unused)
{
	struct rte_ipv4_hdr *ip;
	struct frame f;
	uint32_t ptype;

	/* A fragment: its L4 checksum covers other frames too. */
	build(&f, false, IPPROTO_TCP, 20, false);
	ip = (struct rte_ipv4_hdr *)(f.b + f.l3);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, &ptype, NULL),
			 RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	assert_int_equal(ptype, RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_FRAG);

	/* Not IP at all. */
	build(&f, false, IPPROTO_TCP, 20, false);
	((struct rte_ether_hdr *)f.b)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	assert_int_equal(rx_flags(&f, 0, &no_hdr, ALL_CKSUM, &ptype, NULL), 0);
	assert_int_equal(ptype, RTE_PTYPE_L2_ETHER);
}

/* A Tx mbuf of a frame with offload fields set. */
static struct rte_mbuf *
tx_mbuf(const struct frame *f, uint32_t seg, uint64_t ol, uint16_t l4_len, uint16_t mss)
{
	struct rte_mbuf *m = to_mbuf(f, seg);
	bool v6 = ((const struct rte_ether_hdr *)f->b)->ether_type ==
		rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);

	m->ol_flags = ol | (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
	m->l2_len = f->l3;
	m->l3_len = f->l4 - f->l3;
	m->l4_len = l4_len;
	m->tso_segsz = mss;
	return m;
}

static void
test_tx_offload_hdr(void **state __rte_unused)
{
	struct virtio_net_hdr h;
	struct rte_mbuf *m;
	struct frame f;

	build(&f, false, IPPROTO_TCP, 100, false);
	m = tx_mbuf(&f, 0, 0, 0, 0);
	memset(&h, 0xff, sizeof(h));
	rtap_tx_offload(&h, m);
	assert_true(h.flags == 0 && h.gso_type == 0 && h.csum_start == 0 &&
		    h.csum_offset == 0 && h.gso_size == 0 && h.hdr_len == 0);
	/* Only the IPv4 header checksum: nothing for the kernel to do. */
	m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.flags, 0);

	m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, L2 + L3V4);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);

	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_TX_L4_MASK) | RTE_MBUF_F_TX_UDP_CKSUM;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.csum_offset, 6);

	/* SCTP's CRC is not the Internet checksum: no NEEDS_CSUM. */
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_TX_L4_MASK) | RTE_MBUF_F_TX_SCTP_CKSUM;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.flags, 0);

	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
	m->l4_len = L4TCP;
	m->tso_segsz = 1400;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(h.gso_size, 1400);
	assert_int_equal(h.hdr_len, L2 + L3V4 + L4TCP);

	m->ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_SEG;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);

	/* USO implies the UDP checksum; the header is the UDP one whatever l4_len says. */
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_SEG;
	m->l4_len = 0;
	m->tso_segsz = 1200;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, L2 + L3V4);
	assert_int_equal(h.csum_offset, 6);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	assert_int_equal(h.gso_size, 1200);
	assert_int_equal(h.hdr_len, L2 + L3V4 + L4UDP);
	assert_int_equal(rtap_tx_fix_len(m), L2 + L3V4 + L4UDP);
	m->ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_UDP_CKSUM;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	assert_int_equal(h.csum_offset, 6);
	m->l4_len = L4TCP;

	/* Inner checksum of a tunnelled packet: after the outer headers. */
	m->ol_flags = RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_TUNNEL_VXLAN |
		      RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
	m->outer_l2_len = 14;
	m->outer_l3_len = 20;
	m->l2_len = 8 + 8 + 14;	/* UDP + VXLAN + inner Ethernet */
	m->l3_len = 20;
	rtap_tx_offload(&h, m);
	assert_int_equal(h.csum_start, 14 + 20 + 30 + 20);
	assert_int_equal(h.csum_offset, 6);
	assert_int_equal(rtap_tx_fix_len(m), 0);
	m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	assert_int_equal(rtap_tx_fix_len(m), 14 + 20 + 30 + 20);
	/* Tunnel flags without outer IP flags: no outer offsets. */
	m->ol_flags &= ~RTE_MBUF_F_TX_OUTER_IPV4;
	assert_int_equal(rtap_tx_fix_len(m), 30 + 20);
	rte_pktmbuf_free(m);
}

/* What the kernel makes of the checksum field: the full checksum must verify. */
static void
assert_kernel_l4_cksum_ok(struct rte_mbuf *m, uint16_t csum_start, uint16_t csum_offset)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t *field = (uint16_t *)(p + csum_start + csum_offset);

	/* skb_checksum_help(): fold the data into the pseudo-header sum. */
	*field = ~rte_raw_cksum(p + csum_start, m->pkt_len - csum_start);
	if (p[12] == 0x08)
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(
			(struct rte_ipv4_hdr *)(p + L2), p + csum_start), 0);
	else
		assert_int_equal(rte_ipv6_udptcp_cksum_verify(
			(struct rte_ipv6_hdr *)(p + L2), p + csum_start), 0);
}

#define assert_kernel_cksum_ok(m, csum_start) assert_kernel_l4_cksum_ok(m, csum_start, 16)

static void
test_tx_fix_headers(void **state __rte_unused)
{
	struct virtio_net_hdr h;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct rte_mbuf *m;
	struct frame f;
	uint16_t want;

	build(&f, false, IPPROTO_TCP, 3000, false);
	m = tx_mbuf(&f, 0, RTE_MBUF_F_TX_IP_CKSUM, L4TCP, 1000);
	assert_int_equal(rtap_tx_fix_len(m), L2 + L3V4);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L2);
	want = ip->hdr_checksum;
	ip->hdr_checksum = 0x1234;
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), 0);
	assert_int_equal(ip->hdr_checksum, want);

	/* TSO: the pseudo-header sum with the L4 length, whatever was there. */
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	assert_int_equal(rtap_tx_fix_len(m), L2 + L3V4 + L4TCP);
	th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, L2 + L3V4);
	th->cksum = 0x5555;
	rtap_tx_offload(&h, m);
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), 0);
	assert_int_equal(th->cksum, rte_ipv4_phdr_cksum(ip, 0));
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	/* Idempotent: a packet handed back and sent again is fixed the same. */
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), 0);
	assert_int_equal(th->cksum, rte_ipv4_phdr_cksum(ip, 0));
	assert_kernel_cksum_ok(m, L2 + L3V4);

	/* CWR in the first segment: the kernel must know it is ECN. */
	th->tcp_flags |= RTE_TCP_CWR_FLAG;
	rtap_tx_offload(&h, m);
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), 0);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);

	/* Headers that contradict the flags. */
	m->l4_len = L4TCP - 1;
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), -EINVAL);
	m->l4_len = L4TCP;
	m->ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_SEG;
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), -EINVAL);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG;
	m->l3_len = 16;
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), -EINVAL);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), -EINVAL);
	m->l3_len = L3V4;
	ip->version_ihl = 0x46;	/* options the l3_len does not cover */
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), -EINVAL);
	ip->version_ihl = 0x65;
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), -EINVAL);
	rte_pktmbuf_free(m);

	build(&f, true, IPPROTO_TCP, 3000, false);
	m = tx_mbuf(&f, 0, RTE_MBUF_F_TX_TCP_SEG, L4TCP, 1000);
	th = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, L2 + L3V6);
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), 0);
	assert_int_equal(th->cksum, rte_ipv6_phdr_cksum(
		rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, L2), 0));
	assert_kernel_cksum_ok(m, L2 + L3V6);
	m->l3_len = 20;
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), -EINVAL);
	m->l3_len = L3V6;
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG;
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), -EINVAL);
	rte_pktmbuf_free(m);
}

/*
 * USO: the UDP length and the pseudo-header sum with it, whatever the
 * application left there, so that __udp_gso_segment() can adjust both.
 */
static void
test_tx_fix_headers_uso(void **state __rte_unused)
{
	struct virtio_net_hdr h;
	struct rte_udp_hdr *uh;
	struct rte_mbuf *m;
	struct frame f;
	unsigned int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		uint32_t l3 = v6 ? L3V6 : L3V4;
		const void *ip;

		build(&f, v6, IPPROTO_UDP, 3000, false);
		m = tx_mbuf(&f, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 1000);
		ip = rte_pktmbuf_mtod_offset(m, const void *, L2);
		uh = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, L2 + l3);
		uh->dgram_len = rte_cpu_to_be_16(1008);
		uh->dgram_cksum = 0x5555;
		rtap_tx_offload(&h, m);
		assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), 0);
		assert_int_equal(rte_be_to_cpu_16(uh->dgram_len), L4UDP + 3000);
		assert_int_equal(uh->dgram_cksum, v6 ? rte_ipv6_phdr_cksum(ip, 0) :
						       rte_ipv4_phdr_cksum(ip, 0));
		assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
		assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h), 0);
		assert_int_equal(rte_be_to_cpu_16(uh->dgram_len), L4UDP + 3000);
		assert_kernel_l4_cksum_ok(m, L2 + l3, 6);
		/* The family the flags say must be the packet's. */
		m->ol_flags ^= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6;
		assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(m, uint8_t *), m, &h),
				 -EINVAL);
		rte_pktmbuf_free(m);
	}
}

static int
prep(struct rte_mbuf *m)
{
	int ret = rtap_tx_prepare_one(m, false);

	rte_pktmbuf_free(m);
	return ret;
}

static void
test_tx_prepare_rejects(void **state __rte_unused)
{
	const uint64_t tso4 = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM;
	struct rte_mbuf *m, *head, *seg;
	struct frame f, fu;
	unsigned int i;

	build(&f, false, IPPROTO_TCP, 3000, false);
	build(&fu, false, IPPROTO_UDP, 3000, false);

	assert_int_equal(prep(tx_mbuf(&f, 0, 0, 0, 0)), 0);
	m = tx_mbuf(&f, 0, 0, 0, 0);
	m->ol_flags = 0;
	assert_int_equal(prep(m), 0);
	/* TSO longer than an IP packet can be: 9 more 8 KB segments. */
	m = tx_mbuf(&f, 0, tso4, L4TCP, 1000);
	for (i = 0, seg = m; i < 9; i++) {
		seg->next = rte_pktmbuf_alloc(pool);
		seg = seg->next;
		assert_non_null(seg);
		seg->data_len = 8192;
		m->pkt_len += 8192;
		m->nb_segs++;
	}
	assert_int_equal(prep(m), -EINVAL);
	/* Lengths that do not add up. */
	m = tx_mbuf(&f, 0, 0, 0, 0);
	m->pkt_len++;
	assert_int_equal(prep(m), -EINVAL);
	m = tx_mbuf(&f, TINY_ROOM, 0, 0, 0);
	m->nb_segs--;
	assert_int_equal(prep(m), -EINVAL);
	/* More segments than one writev takes. */
	head = rte_pktmbuf_alloc(tiny_pool);
	for (i = 1, seg = head; i < RTAP_IOV_BATCH; i++) {
		seg->next = rte_pktmbuf_alloc(tiny_pool);
		seg = seg->next;
		assert_non_null(seg);
		seg->data_len = 1;
		head->pkt_len++;
	}
	head->nb_segs = RTAP_IOV_BATCH;
	assert_int_equal(prep(head), -EINVAL);

	/* Offloads the kernel cannot do. */
	assert_int_equal(prep(tx_mbuf(&f, 0, RTE_MBUF_F_TX_SCTP_CKSUM, 0, 0)), -ENOTSUP);
	assert_int_equal(prep(tx_mbuf(&f, 0, RTE_MBUF_F_TX_VLAN, 0, 0)), -ENOTSUP);
	assert_int_equal(prep(tx_mbuf(&f, 0, RTE_MBUF_F_TX_OUTER_IP_CKSUM |
				      RTE_MBUF_F_TX_OUTER_IPV4, 0, 0)), -ENOTSUP);
	assert_int_equal(prep(tx_mbuf(&f, 0, tso4 | RTE_MBUF_F_TX_UDP_CKSUM, L4TCP, 1000)),
			 -ENOTSUP);
	assert_int_equal(prep(tx_mbuf(&f, 0, tso4 | RTE_MBUF_F_TX_TUNNEL_VXLAN |
				      RTE_MBUF_F_TX_OUTER_IPV4, L4TCP, 1000)), -ENOTSUP);
	/* rte_validate_tx_offload(): IP checksum of IPv6, TSO without IP checksum. */
	m = tx_mbuf(&f, 0, RTE_MBUF_F_TX_IP_CKSUM, 0, 0);
	m->ol_flags |= RTE_MBUF_F_TX_IPV6;
	assert_int_equal(prep(m), -EINVAL);
	assert_int_equal(prep(tx_mbuf(&f, 0, RTE_MBUF_F_TX_TCP_SEG, L4TCP, 1000)), -EINVAL);
	/* TSO: MSS 0 or GSO_BY_FRAGS, short TCP header, headers past the first segment. */
	assert_int_equal(prep(tx_mbuf(&f, 0, tso4, L4TCP, 0)), -EINVAL);
	assert_int_equal(prep(tx_mbuf(&f, 0, tso4, L4TCP, UINT16_MAX)), -EINVAL);
	assert_int_equal(prep(tx_mbuf(&f, 0, tso4, 12, 1000)), -EINVAL);
	assert_int_equal(prep(tx_mbuf(&f, 40, tso4, L4TCP, 1000)), -EINVAL);
	build(&f, true, IPPROTO_TCP, 3000, false);
	assert_int_equal(prep(tx_mbuf(&f, 0, RTE_MBUF_F_TX_TCP_SEG, L4TCP, 1000)), 0);
	build(&f, false, IPPROTO_TCP, 3000, false);
	/* TSO of a UDP packet. */
	assert_int_equal(prep(tx_mbuf(&fu, 0, tso4, L4TCP, 1000)), -EINVAL);
	/* USO: UDP only, a datagram size, not with TSO, no more datagrams than the kernel takes. */
	build(&fu, false, IPPROTO_UDP, 3000, false);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 1000)), 0);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_UDP_CKSUM |
				      RTE_MBUF_F_TX_IP_CKSUM, L4UDP, 1000)), 0);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 0)), -EINVAL);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, UINT16_MAX)),
			 -EINVAL);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 3000 / 64)),
			 -EINVAL);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 3000 / 64 + 1)), 0);
	assert_int_equal(prep(tx_mbuf(&fu, 30, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 1000)), -EINVAL);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_TCP_CKSUM,
				      L4UDP, 1000)), -ENOTSUP);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG | tso4, L4UDP, 1000)),
			 -ENOTSUP);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_TUNNEL_VXLAN |
				      RTE_MBUF_F_TX_OUTER_IPV4, L4UDP, 1000)), -ENOTSUP);
	m = tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 1000);
	m->ol_flags &= ~RTE_MBUF_F_TX_IPV4;
	assert_int_equal(prep(m), -EINVAL);
	build(&f, false, IPPROTO_TCP, 3000, false);
	assert_int_equal(prep(tx_mbuf(&f, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 1000)), -EINVAL);
	build(&fu, true, IPPROTO_UDP, 3000, false);
	assert_int_equal(prep(tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_SEG, L4UDP, 1000)), 0);
	/* An L4 header cut short by the end of the packet. */
	build(&f, false, IPPROTO_TCP, 0, false);
	m = tx_mbuf(&f, 0, RTE_MBUF_F_TX_TCP_CKSUM, 0, 0);
	rte_pktmbuf_trim(m, 1);
	assert_int_equal(prep(m), -EINVAL);
	build(&fu, false, IPPROTO_UDP, 0, false);
	m = tx_mbuf(&fu, 0, RTE_MBUF_F_TX_UDP_CKSUM, 0, 0);
	rte_pktmbuf_trim(m, 1);
	assert_int_equal(prep(m), -EINVAL);
	/* Checksum requested with the headers split (rte_net_intel_cksum_prepare). */
	build(&f, false, IPPROTO_TCP, 100, false);
	assert_int_equal(prep(tx_mbuf(&f, 20, RTE_MBUF_F_TX_TCP_CKSUM, L4TCP, 0)), -ENOTSUP);
}

static void
test_tx_prepare_pseudo_header(void **state __rte_unused)
{
	struct rtap_tx_queue txq = { .l3 = false };
	struct rte_mbuf *pkts[3];
	struct virtio_net_hdr h;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	struct rte_udp_hdr *uh;
	struct frame f;

	/* Plain checksum: the full pseudo-header sum, as the kernel wants it. */
	build(&f, false, IPPROTO_TCP, 500, false);
	pkts[0] = tx_mbuf(&f, 0, RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IP_CKSUM, L4TCP, 0);
	build(&f, true, IPPROTO_UDP, 500, false);
	pkts[1] = tx_mbuf(&f, 0, RTE_MBUF_F_TX_UDP_CKSUM, 0, 0);
	/* TSO: DPDK's convention (no length), completed by the Tx fix. */
	build(&f, false, IPPROTO_TCP, 3000, false);
	pkts[2] = tx_mbuf(&f, 0, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM, L4TCP, 1000);
	assert_int_equal(rtap_tx_prepare(&txq, pkts, 3), 3);

	ip = rte_pktmbuf_mtod_offset(pkts[0], struct rte_ipv4_hdr *, L2);
	th = rte_pktmbuf_mtod_offset(pkts[0], struct rte_tcp_hdr *, L2 + L3V4);
	assert_int_equal(th->cksum, rte_ipv4_phdr_cksum(ip, 0));
	assert_kernel_cksum_ok(pkts[0], L2 + L3V4);
	uh = rte_pktmbuf_mtod_offset(pkts[1], struct rte_udp_hdr *, L2 + L3V6);
	assert_int_equal(uh->dgram_cksum, rte_ipv6_phdr_cksum(
		rte_pktmbuf_mtod_offset(pkts[1], struct rte_ipv6_hdr *, L2), 0));

	ip = rte_pktmbuf_mtod_offset(pkts[2], struct rte_ipv4_hdr *, L2);
	th = rte_pktmbuf_mtod_offset(pkts[2], struct rte_tcp_hdr *, L2 + L3V4);
	assert_int_equal(th->cksum, rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_TCP_SEG));
	assert_int_equal(ip->hdr_checksum, 0);
	rtap_tx_offload(&h, pkts[2]);
	assert_int_equal(rtap_tx_fix_headers(rte_pktmbuf_mtod(pkts[2], uint8_t *), pkts[2], &h),
			 0);
	assert_int_equal(rte_raw_cksum(ip, L3V4), 0xffff);
	assert_kernel_cksum_ok(pkts[2], L2 + L3V4);

	/* The burst stops at the first packet it cannot send, with rte_errno. */
	pkts[1]->ol_flags |= RTE_MBUF_F_TX_VLAN;
	rte_errno = 0;
	assert_int_equal(rtap_tx_prepare(&txq, pkts, 3), 1);
	assert_int_equal(rte_errno, ENOTSUP);
	rte_pktmbuf_free_bulk(pkts, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tun_offloads),
		cmocka_unit_test(test_txqlen),
		cmocka_unit_test_teardown(test_rx_no_offload_fast_path, pools_full),
		cmocka_unit_test_teardown(test_rx_header_flags, pools_full),
		cmocka_unit_test_teardown(test_rx_gso, pools_full),
		cmocka_unit_test_teardown(test_rx_sw_verify, pools_full),
		cmocka_unit_test_teardown(test_rx_sw_l3, pools_full),
		cmocka_unit_test_teardown(test_rx_sw_udp_zero, pools_full),
		cmocka_unit_test_teardown(test_rx_sw_lengths, pools_full),
		cmocka_unit_test_teardown(test_rx_sw_ip_header, pools_full),
		cmocka_unit_test_teardown(test_rx_sw_not_verifiable, pools_full),
		cmocka_unit_test_teardown(test_tx_offload_hdr, pools_full),
		cmocka_unit_test_teardown(test_tx_fix_headers, pools_full),
		cmocka_unit_test_teardown(test_tx_fix_headers_uso, pools_full),
		cmocka_unit_test_teardown(test_tx_prepare_rejects, pools_full),
		cmocka_unit_test_teardown(test_tx_prepare_pseudo_header, pools_full),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
