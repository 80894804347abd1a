/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 */

/*
 * What the queues were set up with and how they move packets, for
 * rte_eth_{rx,tx}_queue_info_get() and rte_eth_{rx,tx}_burst_mode_get():
 * testpmd's "show rxq info", OVS and telemetry show it; and what the queues
 * hold, for rte_eth_rx_queue_count() and rte_eth_{rx,tx}_descriptor_status().
 *
 * A queue's descriptors are its io_uring requests: a read posted and not yet
 * completed waits for a frame (AVAIL), a completed read holding a frame is
 * DONE until a burst returns it; a write posted and not completed is FULL, a
 * free slot or a completed write is DONE. Frames still queued in the kernel's
 * TAP queue are in no descriptor (the next burst reads them). These are
 * fast-path calls: like a burst, only the queue's polling thread may make them
 * (they first post the completions the kernel has left to that thread).
 */

#include <errno.h>

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

/* How this process's ring of the queue reads, as of the queue's last start. */
int
rtap_rx_burst_mode_get(struct rte_eth_dev *dev, uint16_t queue_id,
		       struct rte_eth_burst_mode *mode)
{
	const struct rtap_rx_ring *rxr = rtap_rx_rings[dev->data->port_id][queue_id];

	rte_strlcpy(mode->info, rxr != NULL && rxr->mshot ?
		    "io_uring: a multishot read into provided mbufs" :
		    "io_uring: one read waits while idle, a batch drains", sizeof(mode->info));
	return 0;
}

int
rtap_tx_burst_mode_get(struct rte_eth_dev *dev __rte_unused, uint16_t queue_id __rte_unused,
		       struct rte_eth_burst_mode *mode)
{
	rte_strlcpy(mode->info, "io_uring: a burst of writes, one submit", sizeof(mode->info));
	return 0;
}

/*
 * Completions in a ring's CQ; frames counts the reads among them that
 * brought a frame (of at least min_frame bytes).
 */
static uint32_t
rtap_ring_completed(struct io_uring *ring, uint32_t min_frame, uint32_t *frames)
{
	struct io_uring_cqe *cqe;
	unsigned int head;
	uint32_t n = 0, nb_frames = 0;

	rtap_ring_run_tasks(ring);
	io_uring_for_each_cqe(ring, head, cqe) {
		n++;
		nb_frames += cqe->res >= RTAP_VNET_HDR_LEN + (int32_t)min_frame;
	}
	if (frames != NULL)
		*frames = nb_frames;
	return n;
}

rtap_rx_queue_count_t
rtap_rx_queue_count(void *queue)
{
	struct rtap_rx_ring *rxr = rtap_rxr(queue);
	uint32_t frames;

	/* A secondary has no ring of a queue before it polls it. */
	if (rxr == NULL || !rtap_rxr_ready(rxr))
		return 0;
	rtap_ring_completed(&rxr->ring, rxr->q->min_frame, &frames);
	return frames;
}

int
rtap_rx_descriptor_status(void *queue, uint16_t offset)
{
	struct rtap_rx_queue *rxq = queue;
	struct rtap_rx_ring *rxr = rtap_rxr(rxq);
	uint32_t completed, frames;

	if (offset >= rxq->nb_desc)
		return -EINVAL;
	if (rxr == NULL || !rtap_rxr_ready(rxr))
		return RTE_ETH_RX_DESC_UNAVAIL;
	completed = rtap_ring_completed(&rxr->ring, rxq->min_frame, &frames);
	if (offset < frames)
		return RTE_ETH_RX_DESC_DONE;
	if (offset < frames + rtap_rx_posted(rxr) - completed)
		return RTE_ETH_RX_DESC_AVAIL;
	return RTE_ETH_RX_DESC_UNAVAIL;
}

int
rtap_tx_descriptor_status(void *queue, uint16_t offset)
{
	struct rtap_tx_queue *txq = queue;
	struct rtap_tx_ring *txr = rtap_txr(txq);
	uint32_t completed;

	if (offset >= txq->nb_desc)
		return -EINVAL;
	if (txr == NULL || !rtap_txr_ready(txr))
		return RTE_ETH_TX_DESC_UNAVAIL;
	completed = rtap_ring_completed(&txr->ring, 0, NULL);
	if (offset < txq->nb_desc - txr->inflight + completed)
		return RTE_ETH_TX_DESC_DONE;
	return RTE_ETH_TX_DESC_FULL;
}
