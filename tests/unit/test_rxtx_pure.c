/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Unit tests of the data path's pure pieces against a real mempool: Rx chain
 * allocation for a frame size, the segment length fix-up, where the Tx
 * virtio-net header may go, the Rx multicast check, the fixed MAC address and
 * the size of Rx drain batches.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "rtap.h"
#include "test_eal.h"

#define SEG_ROOM	512	/* data room after the headroom of the small pool */
#define POOL_SIZE	256

static struct rte_mempool *small_pool;	/* forces chains */
static struct rte_mempool *big_pool;	/* one mbuf per 1500-byte frame */
static struct rte_mempool *tiny_pool;	/* 1 data byte per mbuf, the least a port takes */

static int
eal_setup(void **state __rte_unused)
{
	if (test_eal_init("unit", "128") < 0)
		return -1;
	small_pool = rte_pktmbuf_pool_create("small", POOL_SIZE, 0, 0,
					     SEG_ROOM + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	big_pool = rte_pktmbuf_pool_create("big", POOL_SIZE, 0, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	tiny_pool = rte_pktmbuf_pool_create("tiny", POOL_SIZE, 0, 0,
					    1 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	return small_pool && big_pool && tiny_pool ? 0 : -1;
}

static int
eal_teardown(void **state __rte_unused)
{
	rte_mempool_free(small_pool);
	rte_mempool_free(big_pool);
	rte_mempool_free(tiny_pool);
	return rte_eal_cleanup();
}

static int
pools_full(void **state __rte_unused)
{
	assert_int_equal(rte_mempool_avail_count(small_pool), POOL_SIZE);
	assert_int_equal(rte_mempool_avail_count(big_pool), POOL_SIZE);
	assert_int_equal(rte_mempool_avail_count(tiny_pool), POOL_SIZE);
	return 0;
}

static void
test_chain_alloc_single(void **state __rte_unused)
{
	struct rte_mbuf *m = rtap_rx_chain_alloc(big_pool, 1500 + RTAP_FRAME_OVERHEAD);

	assert_non_null(m);
	assert_int_equal(m->nb_segs, 1);
	assert_null(m->next);
	assert_true(rte_pktmbuf_tailroom(m) >= 1500 + RTAP_FRAME_OVERHEAD);
	/* The virtio-net header is read into the headroom in front of the data. */
	assert_true(rte_pktmbuf_headroom(m) >= RTAP_VNET_HDR_LEN);
	rte_pktmbuf_free(m);
}

static void
test_chain_alloc_for_mtu(void **state __rte_unused)
{
	/* A tagged 9000-byte MTU frame: 9022 bytes in 512-byte segments. */
	uint32_t frame = 9000 + RTAP_FRAME_OVERHEAD, room = 0;
	struct rte_mbuf *m = rtap_rx_chain_alloc(small_pool, frame), *seg;
	unsigned int n = 0;

	assert_non_null(m);
	for (seg = m; seg != NULL; seg = seg->next, n++)
		room += rte_pktmbuf_tailroom(seg);
	assert_int_equal(n, (frame + SEG_ROOM - 1) / SEG_ROOM);
	assert_int_equal(m->nb_segs, n);
	assert_true(room >= frame);
	assert_true(room - frame < SEG_ROOM);
	assert_int_equal(rte_mempool_avail_count(small_pool), POOL_SIZE - n);
	rte_pktmbuf_free(m);
}

static void
test_chain_alloc_limits(void **state __rte_unused)
{
	struct rte_mbuf *hold[POOL_SIZE];

	/* More segments than a read may take: refused, nothing taken. */
	assert_null(rtap_rx_chain_alloc(small_pool, (RTAP_MAX_SEGS + 1) * SEG_ROOM));
	assert_int_equal(rte_mempool_avail_count(small_pool), POOL_SIZE);

	/* Two mbufs left and three needed: all or nothing. */
	assert_int_equal(rte_pktmbuf_alloc_bulk(small_pool, hold, POOL_SIZE - 2), 0);
	assert_null(rtap_rx_chain_alloc(small_pool, 3 * SEG_ROOM));
	assert_int_equal(rte_mempool_avail_count(small_pool), 2);
	rte_pktmbuf_free_bulk(hold, POOL_SIZE - 2);
}

static struct rte_mbuf *
chain3(void)
{
	struct rte_mbuf *m = rtap_rx_chain_alloc(small_pool, 3 * SEG_ROOM);

	assert_non_null(m);
	assert_int_equal(m->nb_segs, 3);
	return m;
}

static void
test_trim_frees_unused_tail(void **state __rte_unused)
{
	struct rte_mbuf *m = chain3();

	assert_int_equal(rtap_rx_chain_trim(m, 1000), 0);
	assert_int_equal(m->pkt_len, 1000);
	assert_int_equal(m->nb_segs, 2);
	assert_int_equal(m->data_len, SEG_ROOM);
	assert_int_equal(m->next->data_len, 1000 - SEG_ROOM);
	assert_null(m->next->next);
	assert_int_equal(rte_mempool_avail_count(small_pool), POOL_SIZE - 2);
	rte_pktmbuf_free(m);
}

static void
test_trim_boundaries(void **state __rte_unused)
{
	struct rte_mbuf *m = chain3();

	assert_int_equal(rtap_rx_chain_trim(m, SEG_ROOM), 0);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(m->data_len, SEG_ROOM);
	assert_null(m->next);
	rte_pktmbuf_free(m);

	m = chain3();
	assert_int_equal(rtap_rx_chain_trim(m, 3 * SEG_ROOM), 0);
	assert_int_equal(m->nb_segs, 3);
	assert_int_equal(m->pkt_len, 3 * SEG_ROOM);
	assert_int_equal(m->next->next->data_len, SEG_ROOM);
	rte_pktmbuf_free(m);

	m = chain3();
	assert_int_equal(rtap_rx_chain_trim(m, 1), 0);
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(m->pkt_len, 1);
	rte_pktmbuf_free(m);
}

static void
test_trim_truncated_leaves_chain(void **state __rte_unused)
{
	struct rte_mbuf *m = chain3();

	assert_int_equal(rtap_rx_chain_trim(m, 3 * SEG_ROOM + 1), -EMSGSIZE);
	assert_int_equal(m->nb_segs, 3);
	assert_int_equal(m->pkt_len, 0);
	assert_int_equal(m->data_len, 0);
	assert_int_equal(rte_mempool_avail_count(small_pool), POOL_SIZE - 3);
	rte_pktmbuf_free(m);
}

static void
test_hdr_placement(void **state __rte_unused)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(big_pool), *clone;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 60));
	assert_true(rtap_tx_hdr_in_headroom(m));

	/* Shared: another owner may read the bytes in front of the data. */
	rte_mbuf_refcnt_update(m, 1);
	assert_false(rtap_tx_hdr_in_headroom(m));
	rte_mbuf_refcnt_update(m, -1);

	/* Indirect: the headroom belongs to the mbuf it is attached to. */
	clone = rte_pktmbuf_clone(m, big_pool);
	assert_non_null(clone);
	assert_false(rtap_tx_hdr_in_headroom(clone));
	rte_pktmbuf_free(clone);

	/* Direct but no room for the header. */
	m->data_off = RTAP_VNET_HDR_LEN - 1;
	assert_false(rtap_tx_hdr_in_headroom(m));
	m->data_off = RTAP_VNET_HDR_LEN;
	assert_true(rtap_tx_hdr_in_headroom(m));
	rte_pktmbuf_free(m);
}

/* A 14-byte Ethernet header spread one byte a segment, as Rx delivers it. */
static struct rte_mbuf *
header_chain(const struct rte_ether_addr *dst)
{
	uint8_t hdr[RTE_ETHER_HDR_LEN] = { 0 };
	struct rte_mbuf *m = rtap_rx_chain_alloc(tiny_pool, sizeof(hdr)), *seg;
	unsigned int i = 0;

	assert_non_null(m);
	memcpy(hdr, dst, sizeof(*dst));
	for (seg = m; seg != NULL; seg = seg->next)
		*rte_pktmbuf_mtod(seg, uint8_t *) = hdr[i++];
	assert_int_equal(i, sizeof(hdr));
	assert_int_equal(rtap_rx_chain_trim(m, sizeof(hdr)), 0);
	assert_int_equal(m->data_len, 1);
	return m;
}

/*
 * The Rx multicast check on a chain whose first segment is shorter than an
 * address: it once read the address from the first segment alone, past the
 * end of its buffer, and dropped listed groups.
 */
static void
test_filter_split_address(void **state __rte_unused)
{
	const struct rte_ether_addr listed = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }};
	const struct rte_ether_addr unlisted = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 }};
	const struct rte_ether_addr unicast = {{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }};
	static struct rtap_pmd pmd;
	struct rte_mbuf *m;

	rtap_mc_allow_set(&pmd, &listed, 1, true);

	m = header_chain(&listed);
	assert_false(rtap_rx_filtered(&pmd, m));
	rte_pktmbuf_free(m);
	m = header_chain(&unlisted);
	assert_true(rtap_rx_filtered(&pmd, m));
	rte_pktmbuf_free(m);
	m = header_chain(&unicast);
	assert_false(rtap_rx_filtered(&pmd, m));
	rte_pktmbuf_free(m);
}

struct mc_race {
	struct rtap_pmd pmd;
	RTE_ATOMIC(bool) done;
	uint64_t published;
};

/* Two lists that both hold the group, at different places, published in turns. */
static void *
mc_race_writer(void *arg)
{
	struct mc_race *race = arg;
	struct rte_ether_addr a[40], b[20];
	unsigned int i;

	for (i = 0; i < RTE_DIM(a); i++)
		a[i] = (struct rte_ether_addr){{ 0x01, 0x00, 0x5e, 0x10, 0x00, i }};
	for (i = 0; i < RTE_DIM(b); i++)
		b[i] = (struct rte_ether_addr){{ 0x01, 0x00, 0x5e, 0x20, 0x00, i }};
	a[RTE_DIM(a) - 1] = (struct rte_ether_addr){{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }};
	b[0] = a[RTE_DIM(a) - 1];
	while (!rte_atomic_load_explicit(&race->done, rte_memory_order_acquire)) {
		rtap_mc_allow_set(&race->pmd, a, RTE_DIM(a), true);
		rtap_mc_allow_set(&race->pmd, b, RTE_DIM(b), true);
		race->published += 2;
	}
	return NULL;
}

/*
 * A group listed before, during and after every update is never dropped by
 * the Rx lcore's check, however the list is rewritten meanwhile.
 */
static void
test_filter_list_update_races_rx(void **state __rte_unused)
{
	const struct rte_ether_addr group = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }};
	const struct rte_ether_addr stray = {{ 0x01, 0x00, 0x5e, 0x7f, 0x00, 0x01 }};
	static struct mc_race race;
	struct rte_mbuf *listed = header_chain(&group), *unlisted = header_chain(&stray);
	unsigned int dropped = 0, strays = 0;
	uint64_t deadline;
	pthread_t writer;
	long i;

	rtap_mc_allow_set(&race.pmd, &group, 1, true);
	assert_int_equal(pthread_create(&writer, NULL, mc_race_writer, &race), 0);
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 2;
	for (i = 0; rte_get_timer_cycles() < deadline; i++) {
		dropped += rtap_rx_filtered(&race.pmd, listed);
		strays += rtap_rx_filtered(&race.pmd, unlisted);
	}
	rte_atomic_store_explicit(&race.done, true, rte_memory_order_release);
	pthread_join(writer, NULL);
	print_message("%ld checks against %" PRIu64 " updates\n", i, race.published);
	assert_int_equal(dropped, 0);
	assert_int_equal(strays, i);
	rte_pktmbuf_free(listed);
	rte_pktmbuf_free(unlisted);
}

static int
mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RTE_ETHER_ADDR_LEN);
}

static void
test_fixed_mac(void **state __rte_unused)
{
	enum { N = 20000 };
	static struct rte_ether_addr macs[N];
	struct rte_ether_addr again;
	char name[IFNAMSIZ];
	int i;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), i % 2 ? "rtap%d" : "dtap%d", i / 2);
		rtap_fixed_mac(name, &macs[i]);
		assert_true(rte_is_unicast_ether_addr(&macs[i]));
		assert_true(rte_is_local_admin_ether_addr(&macs[i]));
	}
	rtap_fixed_mac("dtap0", &again);
	assert_true(rte_is_same_ether_addr(&again, &macs[0]));

	qsort(macs, N, sizeof(macs[0]), mac_cmp);
	for (i = 1; i < N; i++)
		assert_false(rte_is_same_ether_addr(&macs[i - 1], &macs[i]));
}

/* Drain batches: grow while every read brings a frame, shrink to what came. */
static void
test_drain_batch(void **state __rte_unused)
{
	uint16_t batch = 1, i;

	/* A busy queue: 1, 2, 4, ... up to the ring. */
	for (i = 0; i < 12; i++)
		batch = rtap_rx_drain_next(batch, 0, 512);
	assert_int_equal(batch, 512);
	assert_int_equal(rtap_rx_drain_next(512, 0, 512), 512);
	/* The queue ran dry after 10 frames: 10 and the one read that says so. */
	assert_int_equal(rtap_rx_drain_next(10, 22, 512), 11);
	/* An idle queue: one read after each frame, never none. */
	assert_int_equal(rtap_rx_drain_next(0, 1, 512), 1);
	assert_int_equal(rtap_rx_drain_next(0, 0, 512), 1);
	assert_int_equal(rtap_rx_drain_next(40, 0, 64), 64);
	assert_int_equal(rtap_rx_drain_next(UINT16_MAX, 0, UINT16_MAX), UINT16_MAX);
	assert_int_equal(rtap_rx_drain_next(UINT16_MAX, 1, UINT16_MAX), UINT16_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_batch),
		cmocka_unit_test_teardown(test_chain_alloc_single, pools_full),
		cmocka_unit_test_teardown(test_chain_alloc_for_mtu, pools_full),
		cmocka_unit_test_teardown(test_chain_alloc_limits, pools_full),
		cmocka_unit_test_teardown(test_trim_frees_unused_tail, pools_full),
		cmocka_unit_test_teardown(test_trim_boundaries, pools_full),
		cmocka_unit_test_teardown(test_trim_truncated_leaves_chain, pools_full),
		cmocka_unit_test_teardown(test_hdr_placement, pools_full),
		cmocka_unit_test_teardown(test_filter_split_address, pools_full),
		cmocka_unit_test_teardown(test_filter_list_update_races_rx, pools_full),
		cmocka_unit_test(test_fixed_mac),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
