/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Shared by the mbuf fuzz targets: EAL without hugepages, pools, and the
 * checks every iteration ends with.
 */

#ifndef _FUZZ_MBUF_H_
#define _FUZZ_MBUF_H_

#include <rte_mbuf.h>
#include <rte_mempool.h>

/* Mbufs per pool: a chain of RTAP_MAX_SEGS plus slack. */
#define FUZZ_POOL_SIZE	128

/* Bring EAL up once (--no-huge, no shared files); aborts on failure. */
void fuzz_eal_init(const char *prog);

/* A pool without a per-lcore cache, so its count is exact at any time. */
struct rte_mempool *fuzz_pool_create(const char *name, uint16_t data_room);

/* Abort unless the chain is consistent: nb_segs, pkt_len, every segment in its buffer. */
void fuzz_check_chain(const struct rte_mbuf *m);

/* Read every byte of the packet the way an application would. */
void fuzz_touch_packet(const struct rte_mbuf *m);

/* Abort unless every mbuf of mp is back in it exactly once (no leak, no double free). */
void fuzz_check_pool_full(struct rte_mempool *mp);

#endif /* _FUZZ_MBUF_H_ */
