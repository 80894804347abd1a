/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Pure conversions between what the kernel hands us (a virtio-net header and
 * a frame read into a chain of mbufs) and what DPDK expects (mbuf lengths,
 * flags and offload fields). Nothing here touches a file descriptor, so the
 * unit tests and fuzzers call these functions directly.
 */

#include <errno.h>

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
	default:
		return false;
	}
}

/*
 * Translate the virtio-net header of a received frame into mbuf flags.
 * Every field the kernel sent is checked against the frame before it is
 * believed: a header we cannot honour makes the frame an error (-EINVAL).
 */
int
rtap_rx_offload(struct rte_mbuf *m, const struct virtio_net_hdr *hdr)
{
	if (hdr->flags == 0 && hdr->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;

	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if ((uint32_t)hdr->csum_start + hdr->csum_offset + sizeof(uint16_t) >
		    m->pkt_len)
			return -EINVAL;
		/* The data is intact; only the checksum field is unfinished. */
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
	} else if (hdr->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}

	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		if (!rtap_vnet_gso_known(hdr->gso_type) || hdr->gso_size == 0)
			return -EINVAL;
		m->ol_flags |= RTE_MBUF_F_RX_LRO;
		m->tso_segsz = hdr->gso_size;
	}
	return 0;
}

/* Translate the Tx offload requests of an mbuf into a virtio-net header. */
void
rtap_tx_offload(struct virtio_net_hdr *hdr, const struct rte_mbuf *m)
{
	uint64_t ol_flags = m->ol_flags;
	uint64_t l4 = ol_flags & RTE_MBUF_F_TX_L4_MASK;
	uint16_t l4_start = m->l2_len + m->l3_len;

	memset(hdr, 0, sizeof(*hdr));
	if (ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK)
		l4_start += m->outer_l2_len + m->outer_l3_len;

	if (ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		l4 = RTE_MBUF_F_TX_TCP_CKSUM;

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
	}
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
