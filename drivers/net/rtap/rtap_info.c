/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 */

/*
 * What the queues were set up with and how they move packets, for
 * rte_eth_{rx,tx}_queue_info_get() and rte_eth_{rx,tx}_burst_mode_get():
 * testpmd's "show rxq info", OVS and telemetry show it.
 */

#include <rte_string_fns.h>

#include "rtap.h"

void
rtap_rxq_info_get(struct rte_eth_dev *dev, uint16_t queue_id, struct rte_eth_rxq_info *qinfo)
{
	const struct rtap_rx_queue *rxq = dev->data->rx_queues[queue_id];

	qinfo->mp = rxq->mb_pool;
	qinfo->nb_desc = rxq->nb_desc;
	qinfo->rx_buf_size = rte_pktmbuf_data_room_size(rxq->mb_pool) - RTE_PKTMBUF_HEADROOM;
	/* A read spans a chain when the longest frame (as of the last start) does not fit. */
	qinfo->scattered_rx = RTAP_RX_CAPACITY(rxq->frame_size) > qinfo->rx_buf_size;
	qinfo->conf.offloads = dev->data->dev_conf.rxmode.offloads;
	qinfo->conf.rx_deferred_start = rxq->deferred_start;
}

void
rtap_txq_info_get(struct rte_eth_dev *dev, uint16_t queue_id, struct rte_eth_txq_info *qinfo)
{
	const struct rtap_tx_queue *txq = dev->data->tx_queues[queue_id];

	qinfo->nb_desc = txq->nb_desc;
	qinfo->conf.offloads = dev->data->dev_conf.txmode.offloads;
	qinfo->conf.tx_deferred_start = txq->deferred_start;
}

int
rtap_rx_burst_mode_get(struct rte_eth_dev *dev __rte_unused, uint16_t queue_id __rte_unused,
		       struct rte_eth_burst_mode *mode)
{
	rte_strlcpy(mode->info, "io_uring: one read waits while idle, a batch drains",
		    sizeof(mode->info));
	return 0;
}

int
rtap_tx_burst_mode_get(struct rte_eth_dev *dev __rte_unused, uint16_t queue_id __rte_unused,
		       struct rte_eth_burst_mode *mode)
{
	rte_strlcpy(mode->info, "io_uring: a burst of writes, one submit", sizeof(mode->info));
	return 0;
}
