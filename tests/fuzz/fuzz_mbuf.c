/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "fuzz_mbuf.h"
#include "test_eal.h"

void
fuzz_eal_init(const char *prog)
{
	if (test_eal_init(prog, "64") < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", prog);
		abort();
	}
}

struct rte_mempool *
fuzz_pool_create(const char *name, uint16_t data_room)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create(name, FUZZ_POOL_SIZE, 0, 0,
							 data_room, SOCKET_ID_ANY);

	if (mp == NULL) {
		fprintf(stderr, "cannot create pool %s: %s\n", name, rte_strerror(rte_errno));
		abort();
	}
	return mp;
}

void
fuzz_check_chain(const struct rte_mbuf *m)
{
	const char *reason;

	if (rte_mbuf_check(m, 1, &reason) != 0) {
		fprintf(stderr, "inconsistent chain: %s\n", reason);
		abort();
	}
}

void
fuzz_touch_packet(const struct rte_mbuf *m)
{
	volatile uint8_t sum = 0;
	uint16_t i;

	for (; m != NULL; m = m->next)
		for (i = 0; i < m->data_len; i++)
			sum += *rte_pktmbuf_mtod_offset(m, const uint8_t *, i);
	(void)sum;
}

void
fuzz_check_pool_full(struct rte_mempool *mp)
{
	void *objs[FUZZ_POOL_SIZE + 1];

	/*
	 * The counts are clamped to the pool size, so take everything out: a
	 * leak leaves too few, a double free one too many.
	 */
	if (rte_mempool_get_bulk(mp, objs, mp->size) != 0) {
		fprintf(stderr, "pool %s: mbufs leaked, %u of %u left\n", mp->name,
			rte_mempool_avail_count(mp), mp->size);
		abort();
	}
	if (rte_mempool_get(mp, &objs[mp->size]) == 0) {
		fprintf(stderr, "pool %s: an mbuf was freed twice\n", mp->name);
		abort();
	}
	rte_mempool_put_bulk(mp, objs, mp->size);
}
