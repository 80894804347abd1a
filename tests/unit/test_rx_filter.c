/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Unit tests of the Rx multicast check (rtap_rx_filtered) on chains whose
 * first segment is shorter than an Ethernet address: mbufs of 1 data byte
 * are valid for the port (min_rx_bufsize), and the check once read the
 * address straight from the first segment, past the end of its buffer.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "rtap.h"

#define POOL_SIZE	64

static struct rte_mempool *tiny_pool;	/* 1 data byte per mbuf */

static int
eal_setup(void **state __rte_unused)
{
	char prefix[64];
	char *argv[] = { "unit", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			 "--log-level=lib.eal:error", "--file-prefix", prefix };

	snprintf(prefix, sizeof(prefix), "rtap-unit-filter-%d", getpid());
	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return -1;
	tiny_pool = rte_pktmbuf_pool_create("tiny", POOL_SIZE, 0, 0,
					    RTE_PKTMBUF_HEADROOM + 1, SOCKET_ID_ANY);
	return tiny_pool != NULL ? 0 : -1;
}

static int
eal_teardown(void **state __rte_unused)
{
	rte_mempool_free(tiny_pool);
	return rte_eal_cleanup();
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

static void
test_filter_split_address(void **state __rte_unused)
{
	const struct rte_ether_addr listed = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }};
	const struct rte_ether_addr unlisted = {{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 }};
	const struct rte_ether_addr unicast = {{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 }};
	static struct rtap_pmd pmd;
	struct rte_mbuf *m;

	pmd.mc_sw_filter = true;
	pmd.nb_mc_allowed = 1;
	pmd.mc_allowed[0] = listed;

	m = header_chain(&listed);
	assert_false(rtap_rx_filtered(&pmd, m));
	rte_pktmbuf_free(m);
	m = header_chain(&unlisted);
	assert_true(rtap_rx_filtered(&pmd, m));
	rte_pktmbuf_free(m);
	m = header_chain(&unicast);
	assert_false(rtap_rx_filtered(&pmd, m));
	rte_pktmbuf_free(m);
	assert_int_equal(rte_mempool_avail_count(tiny_pool), POOL_SIZE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_split_address),
	};

	return cmocka_run_group_tests(tests, eal_setup, eal_teardown);
}
