/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Pure conversions between what the kernel hands us (a virtio-net header and
 * a frame read into a chain of mbufs) and what DPDK expects (mbuf lengths,
 * flags and offload fields). Nothing here touches a file descriptor, so the
 * unit tests and fuzzers call these functions directly.
 */

#include <errno.h>
#include <linux/if_tun.h>

#include <rte_errno.h>

#include <rte_ip.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "rtap.h"

static_assert(RTE_PKTMBUF_HEADROOM >= RTAP_VNET_HDR_LEN,
	      "mbuf headroom cannot hold the virtio-net header");

/* Bytes a segment can receive: all of its buffer after the headroom. */
static inline uint32_t
rtap_seg_room(const struct rte_mbuf *seg)
{
	return seg->buf_len - seg->data_off;
}

/*
 * Allocate a chain that holds frame_size bytes after the virtio-net header,
 * which the first segment carries in its headroom. One bulk get from the
 * pool, whatever the chain length.
 */
struct rte_mbuf *
rtap_rx_chain_alloc(struct rte_mempool *mp, uint32_t frame_size)
{
	uint32_t seg_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	uint32_t nb_segs = RTE_MAX(1u, (frame_size + seg_room - 1) / seg_room);
	struct rte_mbuf *segs[RTAP_MAX_SEGS];
	uint32_t i;

	if (unlikely(nb_segs > RTAP_MAX_SEGS))
		return NULL;
	if (unlikely(rte_pktmbuf_alloc_bulk(mp, segs, nb_segs) != 0))
		return NULL;

	for (i = 1; i < nb_segs; i++)
		segs[i - 1]->next = segs[i];
	segs[0]->nb_segs = nb_segs;
	return segs[0];
}

/*
 * Spread a received frame of len bytes over the chain it was read into and
 * free the segments it did not reach. A length beyond the chain's room
 * leaves the chain intact for reuse and returns -EMSGSIZE.
 */
int
rtap_rx_chain_trim(struct rte_mbuf *mb, uint32_t len)
{
	struct rte_mbuf *seg;
	uint32_t room = 0;
	uint16_t nb_segs = 0;

	for (seg = mb; seg != NULL && room < len; seg = seg->next)
		room += rtap_seg_room(seg);
	if (unlikely(room < len))
		return -EMSGSIZE;

	mb->pkt_len = len;
	for (seg = mb; ; seg = seg->next) {
		seg->data_len = RTE_MIN(len, rtap_seg_room(seg));
		len -= seg->data_len;
		nb_segs++;
		if (len == 0)
			break;
	}

	if (seg->next != NULL) {
		struct rte_mbuf *tail = seg->next;

		tail->nb_segs = mb->nb_segs - nb_segs;
		seg->next = NULL;
		rte_pktmbuf_free(tail);
	}
	mb->nb_segs = nb_segs;
	return 0;
}

static inline bool
rtap_vnet_gso_known(uint8_t gso_type)
{
	switch (gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return true;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		/* ECN is a TCP flag. */
		return !(gso_type & VIRTIO_NET_HDR_GSO_ECN);
	default:
		return false;
	}
}

/*
 * What the kernel may leave unfinished in the frames it hands us
 * (TUNSETOFFLOAD). By default nothing: the kernel completes every checksum
 * and segments every super-frame, so an application that forwards a frame
 * unchanged sends correct checksums whatever it knows of offloads. Partial
 * checksums are for applications that opted in: csum=partial with Rx L4
 * checksum offload (they see RX_L4_CKSUM_NONE and request the checksum on
 * Tx), or LRO, whose TCP super-frames always carry a partial checksum.
 * With LRO and a kernel that has USO (uso), UDP GSO super-frames come whole
 * too, like TCP ones: the kernel enables either only with both USO4 and USO6.
 */
unsigned int
rtap_tun_offloads(uint64_t rx_offloads, bool csum_partial, bool uso)
{
	unsigned int tun = 0;

	if (csum_partial &&
	    (rx_offloads & (RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM)))
		tun |= TUN_F_CSUM;
	if (rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO)
		tun |= TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	if ((rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO) && uso)
		tun |= TUN_F_USO4 | TUN_F_USO6;
	return tun;
}

/*
 * The TAP's txqueuelen, what the kernel holds for each Rx queue while the
 * application is busy elsewhere: room for two full bursts of the largest
 * queue, so that a thread serving several ports finds the frames of one
 * burst's absence still queued. Never less than the interface had (the
 * kernel's default or the operator's choice), unless the devarg says so.
 */
uint32_t
rtap_txqlen(uint32_t txqlen_arg, int txqlen_orig, uint16_t max_nb_rx_desc)
{
	uint32_t floor = txqlen_orig > 0 ? (uint32_t)txqlen_orig : RTAP_TXQLEN_DEFAULT;

	if (txqlen_arg != 0)
		return txqlen_arg;
	return RTE_MAX(floor, 2u * max_nb_rx_desc);
}

/*
 * Verify the IPv4 header checksum of a header of hlen bytes at l3_off, the
 * IHL of a header rte_net_get_ptype() recognised: 20 to 60 bytes, of which
 * it read the first 20; options may run past the end of the frame.
 */
static uint64_t
rtap_rx_ip_cksum(const struct rte_mbuf *m, uint32_t l3_off, uint32_t hlen)
{
	uint8_t buf[0xf * RTE_IPV4_IHL_MULTIPLIER];
	const void *ip = rte_pktmbuf_read(m, l3_off, hlen, buf);

	if (ip == NULL)
		return RTE_MBUF_F_RX_IP_CKSUM_BAD;
	return rte_raw_cksum(ip, hlen) == 0xffff ?
		RTE_MBUF_F_RX_IP_CKSUM_GOOD : RTE_MBUF_F_RX_IP_CKSUM_BAD;
}

/*
 * Internet checksum of len bytes at off of a chain. Not rte_raw_cksum_mbuf():
 * in DPDK 22.11 it truncates the carries of a segment that starts at an odd
 * offset of the range.
 */
static int
rtap_cksum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t *sum)
{
	uint32_t done = 0;

	if (off + len > m->pkt_len)
		return -1;
	while (off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	*sum = 0;
	while (done < len) {
		uint32_t n = RTE_MIN(m->data_len - off, len - done);
		uint16_t s = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const void *, off), n);

		/* Bytes of an odd position sit in the other half of each word. */
		*sum += (done & 1) ? rte_bswap16(s) : s;
		done += n;
		off = 0;
		m = m->next;
	}
	return 0;
}

/*
 * Verify the TCP or UDP checksum of a frame the kernel did not validate.
 * The L4 length comes from the IP header and is checked against the frame.
 */
static uint64_t
rtap_rx_l4_cksum(const struct rte_mbuf *m, uint32_t ptype, const struct rte_net_hdr_lens *lens)
{
	uint32_t l3_off = lens->l2_len;
	uint32_t l4_off = l3_off + lens->l3_len;
	uint32_t sum, l4_sum, l4_len;
	uint16_t udp_cksum, copy;

	if ((ptype & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP) {
		const void *p = rte_pktmbuf_read(m, l4_off +
			offsetof(struct rte_udp_hdr, dgram_cksum), sizeof(copy), &copy);

		if (p == NULL)
			return RTE_MBUF_F_RX_L4_CKSUM_BAD;
		/* p may be odd: a segment of odd length can come before it. */
		memcpy(&udp_cksum, p, sizeof(udp_cksum));
		/* No checksum: allowed over IPv4 only (RFC 768, RFC 8200). */
		if (udp_cksum == 0)
			return RTE_ETH_IS_IPV4_HDR(ptype) ?
				RTE_MBUF_F_RX_L4_CKSUM_GOOD : RTE_MBUF_F_RX_L4_CKSUM_BAD;
	}

	if (RTE_ETH_IS_IPV4_HDR(ptype)) {
		struct rte_ipv4_hdr ip_copy;
		/* Cannot fail: rte_net_get_ptype() read it. */
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_read(m, l3_off, sizeof(ip_copy),
								 &ip_copy);
		uint16_t tot;

		tot = rte_be_to_cpu_16(ip->total_length);
		if (tot < lens->l3_len)
			return RTE_MBUF_F_RX_L4_CKSUM_BAD;
		l4_len = tot - lens->l3_len;
		sum = rte_ipv4_phdr_cksum(ip, 0);
	} else {
		struct rte_ipv6_hdr ip;
		uint32_t ext = lens->l3_len - sizeof(ip);
		/* Cannot fail: rte_net_get_ptype() read it. */
		const void *p = rte_pktmbuf_read(m, l3_off, sizeof(ip), &ip);
		uint16_t plen;

		/* A copy: the pseudo-header length is the L4 length, after extensions. */
		memcpy(&ip, p, sizeof(ip));
		plen = rte_be_to_cpu_16(ip.payload_len);
		if (plen < ext)
			return RTE_MBUF_F_RX_L4_CKSUM_BAD;
		l4_len = plen - ext;
		ip.payload_len = rte_cpu_to_be_16(l4_len);
		sum = rte_ipv6_phdr_cksum(&ip, 0);
	}

	if (rtap_cksum_chain(m, l4_off, l4_len, &l4_sum) < 0)
		return RTE_MBUF_F_RX_L4_CKSUM_BAD;
	return __rte_raw_cksum_reduce(sum + l4_sum) == 0xffff ?
		RTE_MBUF_F_RX_L4_CKSUM_GOOD : RTE_MBUF_F_RX_L4_CKSUM_BAD;
}

/*
 * A frame's packet type and header lengths, as rte_net_get_ptype() finds
 * them. It parses from an Ethernet header only, so an IP packet of net_rtun
 * (l3) gets one in its headroom for the time of the parse: then the mbuf is
 * as it was but for headroom bytes, which belong to nobody.
 */
uint32_t
rtap_net_ptype(struct rte_mbuf *m, struct rte_net_hdr_lens *lens, bool l3)
{
	const uint32_t layers = RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK;
	uint32_t ptype = l3 ? rtap_l3_ptype(m) : 0;
	struct rte_ether_hdr *eth;

	if (!l3)
		return rte_net_get_ptype(m, lens, layers);
	if (ptype == RTE_PTYPE_UNKNOWN || rte_pktmbuf_headroom(m) < sizeof(*eth)) {
		memset(lens, 0, sizeof(*lens));
		return RTE_PTYPE_UNKNOWN;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETH_IS_IPV4_HDR(ptype) ?
					   RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	ptype = rte_net_get_ptype(m, lens, layers);
	rte_pktmbuf_adj(m, sizeof(*eth));
	lens->l2_len = 0;
	return ptype & ~RTE_PTYPE_L2_MASK;
}

/*
 * The application asked for checksum offload: parse the frame (packet_type)
 * and verify in software whatever the kernel did not vouch for, so that
 * every flag reported is true.
 */
static void
rtap_rx_cksum_sw(struct rte_mbuf *m, uint64_t offloads, bool l3)
{
	struct rte_net_hdr_lens lens;
	uint32_t ptype = rtap_net_ptype(m, &lens, l3);
	uint32_t l4 = ptype & RTE_PTYPE_L4_MASK;

	m->packet_type = ptype;
	if (RTE_ETH_IS_IPV4_HDR(ptype) && (offloads & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM))
		m->ol_flags |= rtap_rx_ip_cksum(m, lens.l2_len, lens.l3_len);

	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN ||
	    !(RTE_ETH_IS_IPV4_HDR(ptype) || RTE_ETH_IS_IPV6_HDR(ptype)))
		return;
	if ((l4 == RTE_PTYPE_L4_TCP && (offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM)) ||
	    (l4 == RTE_PTYPE_L4_UDP && (offloads & RTE_ETH_RX_OFFLOAD_UDP_CKSUM)))
		m->ol_flags |= rtap_rx_l4_cksum(m, ptype, &lens);
}

/*
 * Translate the virtio-net header of a received frame into mbuf flags.
 * Every field the kernel sent is checked against the frame before it is
 * believed: a header we cannot honour makes the frame an error (-EINVAL).
 */
int
rtap_rx_offload(struct rte_mbuf *m, const struct virtio_net_hdr *hdr, uint64_t offloads,
		bool l3)
{
	if (likely(hdr->flags == 0 && hdr->gso_type == VIRTIO_NET_HDR_GSO_NONE &&
		   !(offloads & RTAP_RX_CKSUM_OFFLOADS)))
		return 0;

	if (unlikely(hdr->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)))
		return -EINVAL;
	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (unlikely((uint32_t)hdr->csum_start + hdr->csum_offset + sizeof(uint16_t) >
			     m->pkt_len))
			return -EINVAL;
		/* The data is intact; only the checksum field is unfinished. */
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
	} else if (hdr->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}

	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		if (unlikely(!rtap_vnet_gso_known(hdr->gso_type) || hdr->gso_size == 0))
			return -EINVAL;
		m->ol_flags |= RTE_MBUF_F_RX_LRO;
		m->tso_segsz = hdr->gso_size;
	}

	if (offloads & RTAP_RX_CKSUM_OFFLOADS)
		rtap_rx_cksum_sw(m, offloads, l3);
	return 0;
}

/* The Tx segmentation requests the kernel carries out. */
#define RTAP_TX_SEG	(RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)

/* Bytes from the start of the frame to the innermost L3 header. */
static inline uint32_t
rtap_tx_l3_off(const struct rte_mbuf *m)
{
	uint32_t off = m->l2_len;

	if (m->ol_flags & (RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6))
		off += m->outer_l2_len + m->outer_l3_len;
	return off;
}

/* Translate the Tx offload requests of an mbuf into a virtio-net header. */
void
rtap_tx_offload(struct virtio_net_hdr *hdr, const struct rte_mbuf *m)
{
	uint64_t ol_flags = m->ol_flags;
	uint64_t l4 = ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint16_t l4_start;

	memset(hdr, 0, sizeof(*hdr));
	if (likely(!(ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTAP_TX_SEG))))
		return;

	l4_start = rtap_tx_l3_off(m) + m->l3_len;
	/* Segmentation implies the L4 checksum. */
	if (ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		l4 = RTE_MBUF_F_TX_TCP_CKSUM;
	else if (ol_flags & RTE_MBUF_F_TX_UDP_SEG)
		l4 = RTE_MBUF_F_TX_UDP_CKSUM;

	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
		hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr->csum_start = l4_start;
		hdr->csum_offset = l4 == RTE_MBUF_F_TX_TCP_CKSUM ?
			offsetof(struct rte_tcp_hdr, cksum) :
			offsetof(struct rte_udp_hdr, dgram_cksum);
	}

	if (ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		hdr->gso_type = (ol_flags & RTE_MBUF_F_TX_IPV6) ?
			VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
		hdr->gso_size = m->tso_segsz;
		hdr->hdr_len = l4_start + m->l4_len;
	} else if (ol_flags & RTE_MBUF_F_TX_UDP_SEG) {
		/* One type for both families: the kernel reads the IP version. */
		hdr->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		hdr->gso_size = m->tso_segsz;
		hdr->hdr_len = l4_start + sizeof(struct rte_udp_hdr);
	}
}

/*
 * Header bytes rtap_tx_fix_headers() rewrites for this packet, 0 when none:
 * the IPv4 checksum (RTE_MBUF_F_TX_IP_CKSUM) and, for TSO, the TCP pseudo-header
 * checksum and the ECN bit of the GSO type; for USO, the UDP length and
 * pseudo-header checksum.
 */
uint32_t
rtap_tx_fix_len(const struct rte_mbuf *m)
{
	uint64_t ol_flags = m->ol_flags;
	uint32_t len;

	if (likely(!(ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTAP_TX_SEG))))
		return 0;
	len = rtap_tx_l3_off(m) + m->l3_len;
	if (ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		len += m->l4_len;
	else if (ol_flags & RTE_MBUF_F_TX_UDP_SEG)
		len += sizeof(struct rte_udp_hdr);
	return len;
}

/*
 * The pseudo-header sum of the L3 header at l3 (l3_len bytes, of the family
 * the flags say) with l4_len as the L4 length, folded to 16 bits: what the
 * kernel expects in the checksum field of a GSO frame.
 */
static int
rtap_tx_gso_phdr(const uint8_t *l3, uint64_t ol_flags, uint32_t l3_len, uint32_t l4_len,
		 uint16_t *cksum)
{
	uint8_t version = l3[0] >> 4;
	uint32_t sum;

	/* RTE_MBUF_F_TX_TCP_SEG: the DPDK sum without the length, for either L4. */
	if (ol_flags & RTE_MBUF_F_TX_IPV4) {
		if (unlikely(version != 4 || l3_len < sizeof(struct rte_ipv4_hdr)))
			return -EINVAL;
		sum = rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)l3, RTE_MBUF_F_TX_TCP_SEG);
	} else {
		if (unlikely(version != 6 || l3_len < sizeof(struct rte_ipv6_hdr)))
			return -EINVAL;
		sum = rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)l3, RTE_MBUF_F_TX_TCP_SEG);
	}
	sum += rte_cpu_to_be_16(l4_len);
	sum = (sum & 0xffff) + (sum >> 16);
	*cksum = (uint16_t)((sum & 0xffff) + (sum >> 16));
	return 0;
}

/*
 * Finish the headers of m, copied or in place at hdrs (rtap_tx_fix_len()
 * bytes, checked by the caller to be in the first segment), as the kernel
 * needs them: it never computes an IPv4 header checksum, and for TSO it
 * expects the TCP checksum field to hold the pseudo-header sum including the
 * L4 length (virtio_net_hdr_to_skb() then tcp_gso_segment()), which DPDK's
 * convention (rte_ipv4_phdr_cksum() with RTE_MBUF_F_TX_TCP_SEG) leaves out.
 * For USO likewise with the UDP length, which __udp_gso_segment() takes from
 * the UDP header to adjust the sum of each datagram: both are set from the
 * frame's length.
 * All are recomputed from the headers, so calling this twice is harmless.
 * Returns -EINVAL for headers that contradict the flags.
 */
int
rtap_tx_fix_headers(uint8_t *hdrs, const struct rte_mbuf *m, struct virtio_net_hdr *hdr)
{
	uint64_t ol_flags = m->ol_flags;
	uint32_t l3_off = rtap_tx_l3_off(m);
	uint8_t *l3 = hdrs + l3_off;
	uint8_t version = l3[0] >> 4;

	if (ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		if (unlikely(m->l3_len < sizeof(*ip) || version != 4 ||
			     rte_ipv4_hdr_len(ip) > m->l3_len))
			return -EINVAL;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}

	if (ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(l3 + m->l3_len);
		uint16_t cksum;

		if (unlikely(m->l4_len < sizeof(*th)))
			return -EINVAL;
		if (unlikely(rtap_tx_gso_phdr(l3, ol_flags, m->l3_len,
					      m->pkt_len - l3_off - m->l3_len, &cksum) < 0))
			return -EINVAL;
		th->cksum = cksum;
		if (th->tcp_flags & RTE_TCP_CWR_FLAG)
			hdr->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	} else if (ol_flags & RTE_MBUF_F_TX_UDP_SEG) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(l3 + m->l3_len);
		uint32_t udp_len = m->pkt_len - l3_off - m->l3_len;
		uint16_t cksum;

		if (unlikely(udp_len < sizeof(*uh) || udp_len > UINT16_MAX))
			return -EINVAL;
		if (unlikely(rtap_tx_gso_phdr(l3, ol_flags, m->l3_len, udp_len, &cksum) < 0))
			return -EINVAL;
		uh->dgram_len = rte_cpu_to_be_16(udp_len);
		uh->dgram_cksum = cksum;
	}
	return 0;
}

/* UDP_MAX_SEGMENTS of Linux 6.2, the first with USO (later kernels take more). */
#define RTAP_UDP_MAX_SEGS	64

/* Tx mbuf flags rtap acts on; any other offload request cannot be honoured. */
#define RTAP_TX_OL_FLAGS (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM | \
	RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM | RTAP_TX_SEG | \
	RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6 | RTE_MBUF_F_TX_TUNNEL_MASK)

/*
 * Check that the kernel can accept what a packet asks for, then write the
 * pseudo-header checksum the DPDK way (rte_net_intel_cksum_prepare()):
 * tx_burst completes it into what virtio_net_hdr_to_skb() expects.
 * Returns 0 or a negative errno.
 */
int
rtap_tx_prepare_one(struct rte_mbuf *m, bool l3)
{
	uint64_t ol_flags = m->ol_flags;
	const struct rte_mbuf *seg;
	uint32_t len = 0, l4_start;
	uint16_t nb_segs = 0;
	int ret;

	for (seg = m; seg != NULL; seg = seg->next) {
		len += seg->data_len;
		nb_segs++;
	}
	if (len != m->pkt_len || nb_segs != m->nb_segs)
		return -EINVAL;
	/* One writev: the virtio-net header plus every segment. */
	if (m->nb_segs >= RTAP_IOV_BATCH)
		return -EINVAL;
	if (!(ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK))
		return 0;
	if (ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK & ~RTAP_TX_OL_FLAGS)
		return -ENOTSUP;
	ret = rte_validate_tx_offload(m);
	if (ret < 0)
		return ret;

	l4_start = rtap_tx_l3_off(m) + m->l3_len;
	switch (ol_flags & RTE_MBUF_F_TX_L4_MASK) {
	case RTE_MBUF_F_TX_L4_NO_CKSUM:
		break;
	case RTE_MBUF_F_TX_TCP_CKSUM:
		if (l4_start + sizeof(struct rte_tcp_hdr) > m->pkt_len)
			return -EINVAL;
		break;
	case RTE_MBUF_F_TX_UDP_CKSUM:
		if (l4_start + sizeof(struct rte_udp_hdr) > m->pkt_len)
			return -EINVAL;
		break;
	default:
		return -ENOTSUP;
	}

	if (ol_flags & RTE_MBUF_F_TX_UDP_SEG) {
		uint8_t proto;
		const uint8_t *p;

		/* Not inside a tunnel, not both at once, and over IPv4 or IPv6. */
		if ((ol_flags & (RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_TCP_SEG)) ||
		    (ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM)
			return -ENOTSUP;
		if (!(ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6)) ||
		    (m->l2_len == 0 && !l3) || m->tso_segsz == 0 || m->tso_segsz == UINT16_MAX ||
		    l4_start + sizeof(struct rte_udp_hdr) > m->data_len ||
		    m->pkt_len - rtap_tx_l3_off(m) > UINT16_MAX)
			return -EINVAL;
		/* virtio_net_hdr_to_skb() refuses more datagrams than this. */
		if (m->pkt_len - l4_start - sizeof(struct rte_udp_hdr) >
		    (uint32_t)m->tso_segsz * RTAP_UDP_MAX_SEGS)
			return -EINVAL;
		p = rte_pktmbuf_mtod_offset(m, const uint8_t *, rtap_tx_l3_off(m));
		proto = (ol_flags & RTE_MBUF_F_TX_IPV4) ?
			((const struct rte_ipv4_hdr *)p)->next_proto_id :
			((const struct rte_ipv6_hdr *)p)->proto;
		if (proto != IPPROTO_UDP)
			return -EINVAL;
	}

	if (ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		uint8_t proto;
		const uint8_t *p;

		/* The kernel segments TCP only, and not inside a tunnel. */
		if ((ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK) ||
		    (ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM)
			return -ENOTSUP;
		/* GSO_BY_FRAGS (0xffff) means something else to the kernel. */
		if (m->tso_segsz == UINT16_MAX || m->l4_len < sizeof(struct rte_tcp_hdr) ||
		    l4_start + m->l4_len > m->data_len ||
		    m->pkt_len - rtap_tx_l3_off(m) > UINT16_MAX)
			return -EINVAL;
		p = rte_pktmbuf_mtod_offset(m, const uint8_t *, rtap_tx_l3_off(m));
		proto = (ol_flags & RTE_MBUF_F_TX_IPV4) ?
			((const struct rte_ipv4_hdr *)p)->next_proto_id :
			((const struct rte_ipv6_hdr *)p)->proto;
		if (proto != IPPROTO_TCP)
			return -EINVAL;
	}
	return rte_net_intel_cksum_prepare(m);
}

uint16_t
rtap_tx_prepare(void *queue, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
	const struct rtap_tx_queue *txq = queue;
	uint16_t i;
	int ret;

	for (i = 0; i < nb_pkts; i++) {
		ret = rtap_tx_prepare_one(bufs[i], txq->l3);
		if (unlikely(ret < 0)) {
			rte_errno = -ret;
			break;
		}
	}
	return i;
}

/*
 * The virtio-net header may be written in front of the data only when nobody
 * else can see that memory: a direct mbuf we hold the only reference to.
 */
bool
rtap_tx_hdr_in_headroom(const struct rte_mbuf *m)
{
	return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1 &&
	       rte_pktmbuf_headroom(m) >= RTAP_VNET_HDR_LEN;
}

/*
 * A locally administered unicast address that is a function of the interface
 * name (64-bit FNV-1a folded to 40 bits), so an interface keeps its address
 * across restarts.
 */
void
rtap_fixed_mac(const char *ifname, struct rte_ether_addr *mac)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	for (; *ifname != '\0'; ifname++) {
		h ^= (uint8_t)*ifname;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 40;
	mac->addr_bytes[0] = RTE_ETHER_LOCAL_ADMIN_ADDR;
	for (i = 1; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = h >> (8 * (i - 1));
}
