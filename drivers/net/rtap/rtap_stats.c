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
 */

#include <stdio.h>
#include <string.h>

#include "rtap.h"

struct rtap_xstat {
	const char *name;
	size_t offset;
};

#define RTAP_SIZE_XSTATS(type) \
	{ "size_64_packets", offsetof(type, size_bins[RTAP_SIZE_64]) }, \
	{ "size_65_to_127_packets", offsetof(type, size_bins[RTAP_SIZE_65_127]) }, \
	{ "size_128_to_255_packets", offsetof(type, size_bins[RTAP_SIZE_128_255]) }, \
	{ "size_256_to_511_packets", offsetof(type, size_bins[RTAP_SIZE_256_511]) }, \
	{ "size_512_to_1023_packets", offsetof(type, size_bins[RTAP_SIZE_512_1023]) }, \
	{ "size_1024_to_1522_packets", offsetof(type, size_bins[RTAP_SIZE_1024_1522]) }, \
	{ "size_1523_to_max_packets", offsetof(type, size_bins[RTAP_SIZE_1523_MAX]) }

/* Beyond packets, bytes and errors, which ethdev names itself. */
static const struct rtap_xstat rtap_rxq_xstats[] = {
	{ "mbuf_allocation_errors", offsetof(struct rtap_rx_stats, nombuf) },
	{ "runt_errors", offsetof(struct rtap_rx_stats, runts) },
	{ "oversize_errors", offsetof(struct rtap_rx_stats, oversized) },
	{ "vnet_hdr_errors", offsetof(struct rtap_rx_stats, bad_vnet_hdr) },
	{ "io_errors", offsetof(struct rtap_rx_stats, io_errors) },
	{ "multiseg_packets", offsetof(struct rtap_rx_stats, multiseg) },
	{ "mc_filtered_packets", offsetof(struct rtap_rx_stats, filtered) },
	RTAP_SIZE_XSTATS(struct rtap_rx_stats),
};

/* Beyond packets and bytes, which ethdev names itself. */
static const struct rtap_xstat rtap_txq_xstats[] = {
	{ "errors", offsetof(struct rtap_tx_stats, errors) },
	{ "mbuf_allocation_errors", offsetof(struct rtap_tx_stats, nombuf) },
	{ "multiseg_packets", offsetof(struct rtap_tx_stats, multiseg) },
	{ "hdr_mbuf_packets", offsetof(struct rtap_tx_stats, hdr_mbuf) },
	{ "offload_errors", offsetof(struct rtap_tx_stats, bad_offload) },
	RTAP_SIZE_XSTATS(struct rtap_tx_stats),
};

#define RTAP_XSTAT_KERNEL_DROPS	"rx_kernel_dropped_packets"

static unsigned int
rtap_xstats_count(const struct rte_eth_dev *dev)
{
	return 1 + dev->data->nb_rx_queues * RTE_DIM(rtap_rxq_xstats) +
		dev->data->nb_tx_queues * RTE_DIM(rtap_txq_xstats);
}

/* Kernel drops since the last reset; 0 when the interface is gone. */
static uint64_t
rtap_kernel_drops(const struct rte_eth_dev *dev)
{
	const struct rtap_pmd *pmd = dev->data->dev_private;
	uint64_t drops;

	if (rtap_link_kernel_drops(dev, &drops) < 0 || drops < pmd->kernel_drops_base)
		return 0;
	return drops - pmd->kernel_drops_base;
}

int
rtap_stats_get(RTAP_STATS_GET_PARAMS)
{
	rtap_queue_stats_t *q = RTAP_QUEUE_STATS(stats);
	uint16_t i;

	memset(stats, 0, sizeof(*stats));
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct rtap_rx_queue *rxq = dev->data->rx_queues[i];

		if (rxq == NULL)
			continue;
		stats->ipackets += rxq->stats.packets;
		stats->ibytes += rxq->stats.bytes;
		stats->ierrors += rxq->stats.errors;
		stats->rx_nombuf += rxq->stats.nombuf;
		if (q != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			q->q_ipackets[i] = rxq->stats.packets;
			q->q_ibytes[i] = rxq->stats.bytes;
			q->q_errors[i] = rxq->stats.errors;
		}
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct rtap_tx_queue *txq = dev->data->tx_queues[i];

		if (txq == NULL)
			continue;
		stats->opackets += txq->stats.packets;
		stats->obytes += txq->stats.bytes;
		stats->oerrors += txq->stats.errors;
		if (q != NULL && i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			q->q_opackets[i] = txq->stats.packets;
			q->q_obytes[i] = txq->stats.bytes;
		}
	}
	stats->imissed = rtap_kernel_drops(dev);
	return 0;
}

int
rtap_stats_reset(struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	uint64_t drops;
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		struct rtap_rx_queue *rxq = dev->data->rx_queues[i];

		if (rxq != NULL)
			memset(&rxq->stats, 0, sizeof(rxq->stats));
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		struct rtap_tx_queue *txq = dev->data->tx_queues[i];

		if (txq != NULL)
			memset(&txq->stats, 0, sizeof(txq->stats));
	}
	if (rtap_link_kernel_drops(dev, &drops) == 0)
		pmd->kernel_drops_base = drops;
	return 0;
}

int
rtap_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		      unsigned int size)
{
	unsigned int count = rtap_xstats_count(dev), n = 0, j;
	uint16_t q;

	if (names == NULL || size < count)
		return count;

	rte_strscpy(names[n++].name, RTAP_XSTAT_KERNEL_DROPS, RTE_ETH_XSTATS_NAME_SIZE);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		for (j = 0; j < RTE_DIM(rtap_rxq_xstats); j++)
			snprintf(names[n++].name, RTE_ETH_XSTATS_NAME_SIZE, "rx_q%u_%s", q,
				 rtap_rxq_xstats[j].name);
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		for (j = 0; j < RTE_DIM(rtap_txq_xstats); j++)
			snprintf(names[n++].name, RTE_ETH_XSTATS_NAME_SIZE, "tx_q%u_%s", q,
				 rtap_txq_xstats[j].name);
	return count;
}

/* A queue not set up yet reads as zeros, keeping ids stable. */
static uint64_t
rtap_xstat_value(const void *stats, const struct rtap_xstat *x)
{
	if (stats == NULL)
		return 0;
	return *(const uint64_t *)((const char *)stats + x->offset);
}

int
rtap_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	unsigned int count = rtap_xstats_count(dev), i = 0, j;
	uint16_t q;

	if (xstats == NULL || n < count)
		return count;

	xstats[i].id = i;
	xstats[i++].value = rtap_kernel_drops(dev);
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct rtap_rx_queue *rxq = dev->data->rx_queues[q];

		for (j = 0; j < RTE_DIM(rtap_rxq_xstats); j++, i++) {
			xstats[i].id = i;
			xstats[i].value = rtap_xstat_value(rxq ? &rxq->stats : NULL,
							   &rtap_rxq_xstats[j]);
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct rtap_tx_queue *txq = dev->data->tx_queues[q];

		for (j = 0; j < RTE_DIM(rtap_txq_xstats); j++, i++) {
			xstats[i].id = i;
			xstats[i].value = rtap_xstat_value(txq ? &txq->stats : NULL,
							   &rtap_txq_xstats[j]);
		}
	}
	return count;
}
