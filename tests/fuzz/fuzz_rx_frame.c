/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * libFuzzer target: a read completion turned into a packet, as the Rx burst
 * does it (rtap_rx_complete): the kernel's virtio-net header, the result it
 * reported and the bytes it wrote land in a chain of arbitrary layout, then
 * rtap_rx_chain_trim and rtap_rx_offload (with the checksum offloads the
 * input enables: the frame is then parsed and its checksums verified in
 * software) make an mbuf of them and rtap_rx_filtered checks its destination
 * against a multicast list.
 *
 * Input: virtio_net_hdr (10 bytes) | res (int32 LE) | Rx offloads (1 byte:
 *        bit 0 IPv4, bit 1 UDP, bit 2 TCP checksum; bit 3: net_rtun's IP
 *        packets, no Ethernet header) | nb_segs - 1 (1 byte) |
 *        room of each segment (uint16 LE each) | frame bytes.
 *
 * Everything in a segment's buffer outside the frame (and outside the header
 * in the first headroom, or the Ethernet header an IP packet's parse borrows
 * there) is poisoned for ASan while the driver looks at the packet, so a
 * read past the frame inside mempool memory is caught too.
 * The layout must not matter: the same frame in one flat mbuf must get the
 * same verdict, flags and packet type. Every iteration ends with all mbufs
 * back in the pool exactly once.
 */

#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "rtap.h"
#include "fuzz_mbuf.h"

#define FUZZ_FIXED_LEN	(RTAP_VNET_HDR_LEN + sizeof(int32_t) + 2)

static const uint64_t fuzz_offloads[] = {
	RTE_ETH_RX_OFFLOAD_IPV4_CKSUM,
	RTE_ETH_RX_OFFLOAD_UDP_CKSUM,
	RTE_ETH_RX_OFFLOAD_TCP_CKSUM,
};

static struct rte_mempool *pool;
static struct rte_mempool *flat_pool;	/* one mbuf holds any frame of a chain */
static struct rtap_pmd pmd;	/* its allow-list: listed alone, checked */
static const struct rte_ether_addr listed = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv)
{
	fuzz_eal_init((*argv)[0]);
	pool = fuzz_pool_create("fuzz_rx", RTE_MBUF_DEFAULT_BUF_SIZE);
	flat_pool = fuzz_pool_create("fuzz_flat", UINT16_MAX);
	rtap_mc_allow_set(&pmd, &listed, 1, true);
	return 0;
}

static void
fuzz_abort(const char *why)
{
	fprintf(stderr, "fuzz_rx_frame: %s\n", why);
	abort();
}

/* Poison what is not the frame (nor, in the first segment, the header). */
static void
fuzz_poison(struct rte_mbuf *m, bool poison, bool l3)
{
	uint16_t hdr_len = l3 ? RTE_ETHER_HDR_LEN : RTAP_VNET_HDR_LEN;
	struct rte_mbuf *seg;

	for (seg = m; seg != NULL; seg = seg->next) {
		uint8_t *buf = seg->buf_addr;
		uint16_t head = seg->data_off - (seg == m ? hdr_len : 0);
		uint32_t end = seg->data_off + seg->data_len;

		if (!poison) {
			ASAN_UNPOISON_MEMORY_REGION(buf, seg->buf_len);
			continue;
		}
		ASAN_POISON_MEMORY_REGION(buf, head);
		ASAN_POISON_MEMORY_REGION(buf + end, seg->buf_len - end);
	}
}

/* Build the chain the input describes and write what the kernel would have. */
static struct rte_mbuf *
fuzz_chain(const uint8_t **data, size_t *size, const struct virtio_net_hdr *hdr)
{
	struct rte_mbuf *segs[RTAP_MAX_SEGS];
	unsigned int nb_segs = 1 + (*(*data)++ % RTAP_MAX_SEGS);
	unsigned int i;

	(*size)--;
	if (*size < nb_segs * sizeof(uint16_t))
		return NULL;
	if (rte_pktmbuf_alloc_bulk(pool, segs, nb_segs) != 0)
		fuzz_abort("pool empty: an earlier iteration leaked");

	for (i = 0; i < nb_segs; i++) {
		struct rte_mbuf *seg = segs[i];
		uint16_t v = (*data)[0] | (*data)[1] << 8;

		*data += sizeof(uint16_t);
		*size -= sizeof(uint16_t);
		memset(seg->buf_addr, 0, seg->buf_len);
		if (i == 0) {
			/* The header must fit the headroom and stays 2-byte aligned, as in Rx. */
			uint16_t room = 1 + v % (seg->buf_len - RTE_PKTMBUF_HEADROOM);

			seg->data_off = RTE_ALIGN_FLOOR(seg->buf_len - room, 2);
			memcpy(rte_pktmbuf_mtod_offset(seg, void *, -RTAP_VNET_HDR_LEN), hdr,
			       RTAP_VNET_HDR_LEN);
		} else {
			seg->data_off = seg->buf_len - (1 + v % seg->buf_len);
			segs[i - 1]->next = seg;
		}
	}
	segs[0]->nb_segs = nb_segs;

	/* readv: the frame fills the segments in order, the rest is cut off. */
	for (i = 0; i < nb_segs && *size > 0; i++) {
		uint32_t n = RTE_MIN(*size, (size_t)rte_pktmbuf_tailroom(segs[i]));

		memcpy(rte_pktmbuf_mtod(segs[i], void *), *data, n);
		*data += n;
		*size -= n;
	}
	return segs[0];
}

static void
fuzz_check_offload(const struct rte_mbuf *m, const struct virtio_net_hdr *hdr)
{
	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* The checksum field the kernel left to finish lies inside the frame. */
		if ((uint32_t)hdr->csum_start + hdr->csum_offset + 2 > m->pkt_len)
			fuzz_abort("NEEDS_CSUM field outside the frame accepted");
	}
	if ((m->ol_flags & RTE_MBUF_F_RX_LRO) && m->tso_segsz == 0)
		fuzz_abort("LRO packet without a segment size");
}

/* The frame of chain m, flat in one mbuf, converted the same way. */
static void
fuzz_check_layout(const struct rte_mbuf *m, int ret, const struct virtio_net_hdr *hdr,
		  uint64_t offloads, bool l3)
{
	struct rte_mbuf *flat;
	const void *p;
	void *data;

	if (m->pkt_len > UINT16_MAX - RTE_PKTMBUF_HEADROOM)
		return;
	flat = rte_pktmbuf_alloc(flat_pool);
	data = rte_pktmbuf_append(flat, m->pkt_len);
	p = rte_pktmbuf_read(m, 0, m->pkt_len, data);
	if (p != data)
		memcpy(data, p, m->pkt_len);
	if (rtap_rx_offload(flat, hdr, offloads, l3) != ret ||
	    (ret == 0 && (flat->ol_flags != m->ol_flags ||
			  flat->packet_type != m->packet_type ||
			  flat->tso_segsz != m->tso_segsz)))
		fuzz_abort("the chain's layout changed the offload verdict or flags");
	rte_pktmbuf_free(flat);
}

/* Dropped exactly when the destination is a multicast group not listed. */
static void
fuzz_check_filter(const struct rte_mbuf *m)
{
	struct rte_ether_addr copy;
	const struct rte_ether_addr *dst = rte_pktmbuf_read(m, 0, sizeof(copy), &copy);
	bool unlisted = rte_is_multicast_ether_addr(dst) &&
			!rte_is_same_ether_addr(dst, &listed);

	if (rtap_rx_filtered(&pmd, m) != unlisted)
		fuzz_abort("multicast check disagrees with the frame's destination");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_hdr hdr;
	struct rte_mbuf *m, *seg;
	uint64_t offloads = 0;
	uint16_t nb_segs, n;
	uint32_t min_frame;
	bool l3;
	unsigned int i;
	int32_t res;
	int ret;

	if (size < FUZZ_FIXED_LEN)
		return -1;
	memcpy(&hdr, data, RTAP_VNET_HDR_LEN);
	memcpy(&res, data + RTAP_VNET_HDR_LEN, sizeof(res));
	for (i = 0; i < RTE_DIM(fuzz_offloads); i++)
		if (data[RTAP_VNET_HDR_LEN + sizeof(res)] & (1 << i))
			offloads |= fuzz_offloads[i];
	l3 = data[RTAP_VNET_HDR_LEN + sizeof(res)] & (1 << RTE_DIM(fuzz_offloads));
	min_frame = l3 ? sizeof(struct rte_ipv4_hdr) : RTE_ETHER_HDR_LEN;
	data += FUZZ_FIXED_LEN - 1;
	size -= FUZZ_FIXED_LEN - 1;
	m = fuzz_chain(&data, &size, &hdr);
	if (m == NULL)
		return -1;
	nb_segs = m->nb_segs;

	if (res < RTAP_VNET_HDR_LEN + (int32_t)min_frame) {
		/* A runt or an error: the chain is reposted as it is. */
	} else if (rtap_rx_chain_trim(m, res - RTAP_VNET_HDR_LEN) < 0) {
		/* Truncated: the chain must come back intact for reuse. */
		for (n = 0, seg = m; seg != NULL; seg = seg->next)
			n++;
		if (n != nb_segs || m->nb_segs != nb_segs)
			fuzz_abort("a refused trim changed the chain");
	} else {
		if (m->pkt_len != (uint32_t)res - RTAP_VNET_HDR_LEN)
			fuzz_abort("pkt_len is not the frame length");
		fuzz_check_chain(m);
		fuzz_poison(m, true, l3);
		ret = rtap_rx_offload(m, rte_pktmbuf_mtod_offset(m, const void *,
								 -RTAP_VNET_HDR_LEN), offloads, l3);
		fuzz_check_layout(m, ret, &hdr, offloads, l3);
		if (ret == 0) {
			fuzz_check_offload(m, &hdr);
			fuzz_check_filter(m);
			fuzz_touch_packet(m);
		}
		fuzz_poison(m, false, l3);
	}
	rte_pktmbuf_free(m);
	fuzz_check_pool_full(pool);
	fuzz_check_pool_full(flat_pool);
	return 0;
}
