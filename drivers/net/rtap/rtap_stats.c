/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Basic and extended statistics.
 *
 * The queues count in their own structures (shared memory, so a secondary
 * process reads them too). ethdev itself names the per-queue packets, bytes
 * and errors (rx_q0_packets...: RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS); the
 * extended stats add what only this driver knows, named the DPDK way so that
 * telemetry lists them next to the others.
 *
 * Frames the kernel could not hand us (queue full, or refused by the
 * destination filter of rtap_filter.c) are counted by the kernel as the TAP's
 * tx_dropped; they are the port's imissed, relative to the last reset.
 *
 * Only the polling lcore writes a queue's counters, without atomics. A reset,
 * from the control thread, telemetry or a secondary, while it counts must not
 * write them (its increment would put back what the reset cleared): it
 * records them as the baseline that the reads subtract.
 */

#include <stdio.h>
#include <string.h>

#include "rtap.h"

struct rtap_xstat {
	const char *name;
	size_t offset;
};

/* Beyond packets, bytes and errors, which ethdev names itself. */
static const struct rtap_xstat rtap_rxq_xstats[] = {
	{ "mbuf_allocation_errors", offsetof(struct rtap_rx_stats, nombuf) },
	{ "runt_errors", offsetof(struct rtap_rx_stats, runts) },
	{ "oversize_errors", offsetof(struct rtap_rx_stats, oversized) },
	{ "vnet_hdr_errors", offsetof(struct rtap_rx_stats, bad_vnet_hdr) },
	{ "io_errors", offsetof(struct rtap_rx_stats, io_errors) },
	{ "multiseg_packets", offsetof(struct rtap_rx_stats, multiseg) },
	{ "mc_filtered_packets", offsetof(struct rtap_rx_stats, filtered) },
};

/* Beyond packets and bytes, which ethdev names itself. */
static const struct rtap_xstat rtap_txq_xstats[] = {
	{ "errors", offsetof(struct rtap_tx_stats, errors) },
	{ "mbuf_allocation_errors", offsetof(struct rtap_tx_stats, nombuf) },
	{ "multiseg_packets", offsetof(struct rtap_tx_stats, multiseg) },
	{ "hdr_mbuf_packets", offsetof(struct rtap_tx_stats, hdr_mbuf) },
	{ "offload_errors", offsetof(struct rtap_tx_stats, bad_offload) },
};

/* Then, in both directions, the frame size buckets (size_bins[]). */
static const char *const rtap_size_xstats[RTAP_SIZE_BINS] = {
	[RTAP_SIZE_64] = "size_64_packets",
	[RTAP_SIZE_65_127] = "size_65_to_127_packets",
	[RTAP_SIZE_128_255] = "size_128_to_255_packets",
	[RTAP_SIZE_256_511] = "size_256_to_511_packets",
	[RTAP_SIZE_512_1023] = "size_512_to_1023_packets",
	[RTAP_SIZE_1024_1522] = "size_1024_to_1522_packets",
	[RTAP_SIZE_1523_MAX] = "size_1523_to_max_packets",
};

#define RTAP_XSTAT_KERNEL_DROPS	"rx_kernel_dropped_packets"

static unsigned int
rtap_xstats_count(const struct rte_eth_dev *dev)
{
	return 1 + dev->data->nb_rx_queues * (RTE_DIM(rtap_rxq_xstats) + RTAP_SIZE_BINS) +
		dev->data->nb_tx_queues * (RTE_DIM(rtap_txq_xstats) + RTAP_SIZE_BINS);
}

/* Kernel drops since the last reset; 0 when the interface is gone. */
static uint64_t
rtap_kernel_drops(const struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	uint64_t drops, base;

	base = rte_atomic_load_explicit(&pmd->kernel_drops_base, rte_memory_order_relaxed);
	if (rtap_link_kernel_drops(dev, &drops) < 0 || drops < base)
		return 0;
	return drops - base;
}

/* A counter since the last reset; a reset racing the read makes it 0, not huge. */
static inline uint64_t
rtap_counter(const void *stats, const void *base, size_t offset)
{
	uint64_t b = rte_atomic_load_explicit((const rtap_counter_t *)RTE_PTR_ADD(base, offset),
					      rte_memory_order_relaxed);
	uint64_t v = rte_atomic_load_explicit((const rtap_counter_t *)RTE_PTR_ADD(stats, offset),
					      rte_memory_order_relaxed);

	return v > b ? v - b : 0;
}

static inline uint64_t
rtap_rxq_counter(const struct rtap_rx_queue *rxq, size_t offset)
{
	return rtap_counter(&rxq->stats, &rxq->stats_base, offset);
}

static inline uint64_t
rtap_txq_counter(const struct rtap_tx_queue *txq, size_t offset)
{
	return rtap_counter(&txq->stats, &txq->stats_base, offset);
}

#define RTAP_RXQ(rxq, field)	rtap_rxq_counter(rxq, offsetof(struct rtap_rx_stats, field))
#define RTAP_TXQ(txq, field)	rtap_txq_counter(txq, offsetof(struct rtap_tx_stats, field))

int
rtap_stats_get(RTAP_STATS_GET_PARAMS)
{
	rtap_queue_stats_t *q = RTAP_QUEUE_STATS;
	uint16_t i;

	memset(stats, 0, sizeof(*stats));
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct rtap_rx_queue *rxq = dev->data->rx_queues[i];
		uint64_t packets, bytes, errors;

		if (rxq == NULL)
			continue;
		packets = RTAP_RXQ(rxq, packets);
		bytes = RTAP_RXQ(rxq, bytes);
		errors = RTAP_RXQ(rxq, errors);
		stats->ipackets += packets;
		stats->ibytes += bytes;
		stats->ierrors += errors;
		stats->rx_nombuf += RTAP_RXQ(rxq, nombuf);
		if (q != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			q->q_ipackets[i] = packets;
			q->q_ibytes[i] = bytes;
			q->q_errors[i] = errors;
		}
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct rtap_tx_queue *txq = dev->data->tx_queues[i];
		uint64_t packets, bytes;

		if (txq == NULL)
			continue;
		packets = RTAP_TXQ(txq, packets);
		bytes = RTAP_TXQ(txq, bytes);
		stats->opackets += packets;
		stats->obytes += bytes;
		stats->oerrors += RTAP_TXQ(txq, errors);
		if (q != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			q->q_opackets[i] = packets;
			q->q_obytes[i] = bytes;
		}
	}
	stats->imissed = rtap_kernel_drops(dev);
	return 0;
}

/* Every counter of a queue's stats (all rtap_counter_t) becomes its baseline. */
static void
rtap_stats_baseline(void *base_stats, const void *queue_stats, size_t size)
{
	rtap_counter_t *base = base_stats;
	const rtap_counter_t *stats = queue_stats;
	size_t i;

	for (i = 0; i < size / sizeof(*stats); i++)
		rte_atomic_store_explicit(&base[i],
			rte_atomic_load_explicit(&stats[i], rte_memory_order_relaxed),
			rte_memory_order_relaxed);
}

int
rtap_stats_reset(struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	uint64_t drops;
	uint16_t i;

	RTE_BUILD_BUG_ON(sizeof(struct rtap_rx_stats) % sizeof(rtap_counter_t) != 0);
	RTE_BUILD_BUG_ON(sizeof(struct rtap_tx_stats) % sizeof(rtap_counter_t) != 0);
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct rtap_rx_queue *rxq = dev->data->rx_queues[i];

		if (rxq != NULL)
			rtap_stats_baseline(&rxq->stats_base, &rxq->stats, sizeof(rxq->stats));
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct rtap_tx_queue *txq = dev->data->tx_queues[i];

		if (txq != NULL)
			rtap_stats_baseline(&txq->stats_base, &txq->stats, sizeof(txq->stats));
	}
	if (rtap_link_kernel_drops(dev, &drops) == 0)
		rte_atomic_store_explicit(&pmd->kernel_drops_base, drops, rte_memory_order_relaxed);
	return 0;
}

/* The names of one queue's extended stats; how many. */
static unsigned int
rtap_queue_xstats_names(struct rte_eth_xstat_name *names, const char *dir, uint16_t q,
			const struct rtap_xstat *table, unsigned int nb)
{
	unsigned int n = 0, j;

	for (j = 0; j < nb; j++)
		snprintf(names[n++].name, RTE_ETH_XSTATS_NAME_SIZE, "%s_q%u_%s", dir, q,
			 table[j].name);
	for (j = 0; j < RTAP_SIZE_BINS; j++)
		snprintf(names[n++].name, RTE_ETH_XSTATS_NAME_SIZE, "%s_q%u_%s", dir, q,
			 rtap_size_xstats[j]);
	return n;
}

int
rtap_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		      unsigned int size)
{
	unsigned int count = rtap_xstats_count(dev), n = 0;
	uint16_t q;

	if (names == NULL || size < count)
		return count;

	rte_strscpy(names[n++].name, RTAP_XSTAT_KERNEL_DROPS, RTE_ETH_XSTATS_NAME_SIZE);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		n += rtap_queue_xstats_names(names + n, "rx", q, rtap_rxq_xstats,
					     RTE_DIM(rtap_rxq_xstats));
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		n += rtap_queue_xstats_names(names + n, "tx", q, rtap_txq_xstats,
					     RTE_DIM(rtap_txq_xstats));
	return count;
}

/*
 * One queue's extended stats from its counters and their baseline (NULL for a
 * queue not set up yet, which reads as zeros and keeps ids stable), then its
 * size buckets at bins_offset; how many.
 */
static unsigned int
rtap_queue_xstats(struct rte_eth_xstat *xstats, unsigned int id, const void *stats,
		  const void *base, size_t bins_offset, const struct rtap_xstat *table,
		  unsigned int nb)
{
	unsigned int n = 0, j;

	for (j = 0; j < nb; j++, n++) {
		xstats[n].id = id + n;
		xstats[n].value = stats == NULL ? 0 : rtap_counter(stats, base, table[j].offset);
	}
	for (j = 0; j < RTAP_SIZE_BINS; j++, n++) {
		xstats[n].id = id + n;
		xstats[n].value = stats == NULL ? 0 :
			rtap_counter(stats, base, bins_offset + j * sizeof(uint64_t));
	}
	return n;
}

int
rtap_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	unsigned int count = rtap_xstats_count(dev), i = 0;
	uint16_t q;

	if (xstats == NULL || n < count)
		return count;

	xstats[i].id = i;
	xstats[i++].value = rtap_kernel_drops(dev);
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct rtap_rx_queue *rxq = dev->data->rx_queues[q];

		i += rtap_queue_xstats(xstats + i, i, rxq ? &rxq->stats : NULL,
				       rxq ? &rxq->stats_base : NULL,
				       offsetof(struct rtap_rx_stats, size_bins),
				       rtap_rxq_xstats, RTE_DIM(rtap_rxq_xstats));
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct rtap_tx_queue *txq = dev->data->tx_queues[q];

		i += rtap_queue_xstats(xstats + i, i, txq ? &txq->stats : NULL,
				       txq ? &txq->stats_base : NULL,
				       offsetof(struct rtap_tx_stats, size_bins),
				       rtap_txq_xstats, RTE_DIM(rtap_txq_xstats));
	}
	return count;
}
