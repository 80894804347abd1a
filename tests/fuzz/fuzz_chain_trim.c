/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * libFuzzer target: the segment length fix-up alone. A chain is allocated the
 * way Rx refill does (rtap_rx_chain_alloc of RTAP_RX_CAPACITY(frame size)),
 * from pools of several buffer sizes, and trimmed to an arbitrary length.
 *
 * Input: pool index (1 byte) | frame_size (uint16 LE) | len (uint32 LE).
 */

#include <stdlib.h>
#include <string.h>

#include "rtap.h"
#include "fuzz_mbuf.h"

/* Segment rooms from one byte to a jumbo buffer. */
static const uint16_t fuzz_rooms[] = { 1, 60, 1000, 2048, 9216 };
static struct rte_mempool *pools[RTE_DIM(fuzz_rooms)];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int i;

	fuzz_eal_init((*argv)[0]);
	for (i = 0; i < RTE_DIM(fuzz_rooms); i++) {
		snprintf(name, sizeof(name), "fuzz_trim%u", i);
		pools[i] = fuzz_pool_create(name, RTE_PKTMBUF_HEADROOM + fuzz_rooms[i]);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mempool *mp;
	struct rte_mbuf *m, *seg;
	uint32_t room = 0, len, capacity;
	uint16_t frame_size, nb_segs;
	unsigned int idx;

	if (size != 1 + sizeof(frame_size) + sizeof(len))
		return -1;
	idx = data[0] % RTE_DIM(pools);
	mp = pools[idx];
	memcpy(&frame_size, data + 1, sizeof(frame_size));
	memcpy(&len, data + 3, sizeof(len));

	capacity = RTAP_RX_CAPACITY(frame_size);
	m = rtap_rx_chain_alloc(mp, capacity);
	if (m == NULL) {
		/* Only a frame needing more than RTAP_MAX_SEGS segments is refused. */
		if ((capacity + fuzz_rooms[idx] - 1) / fuzz_rooms[idx] <= RTAP_MAX_SEGS)
			abort();
		fuzz_check_pool_full(mp);
		return 0;
	}
	fuzz_check_chain(m);
	for (seg = m; seg != NULL; seg = seg->next)
		room += rte_pktmbuf_tailroom(seg);
	if (room < capacity)
		abort();
	nb_segs = m->nb_segs;

	if (rtap_rx_chain_trim(m, len) == 0) {
		if (len > room || m->pkt_len != len || m->nb_segs > nb_segs)
			abort();
		fuzz_check_chain(m);
		fuzz_touch_packet(m);
	} else if (len <= room || m->nb_segs != nb_segs) {
		abort();
	}
	rte_pktmbuf_free(m);
	fuzz_check_pool_full(mp);
	return 0;
}
