/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Rx interrupts.
 *
 * Each Rx queue's io_uring gets an eventfd (io_uring_register_eventfd): the
 * kernel signals it when it posts a completion, that is when a posted read
 * got a frame. The eventfds are the event fds of the port's interrupt handle,
 * so rte_eth_dev_rx_intr_ctl_q() adds them to the application's epoll set and
 * it sleeps in rte_epoll_wait() until the next frame, without polling.
 *
 * While the application polls, the eventfd stays muted with
 * IORING_CQ_EVENTFD_DISABLED, which the kernel checks before each signal: no
 * system call and no wake-up on the fast path. Arming the interrupt clears the
 * flag; a completion posted while it was set signalled nothing, so arming
 * signals the eventfd itself when completions are already waiting. Arming
 * also posts the waiting read of a queue never polled yet (rtap_rx_arm()),
 * and wakes the application at once when frames may already be queued.
 *
 * This handle is separate from the netlink one of rtap_link.c: Rx interrupts
 * and link events work together.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <rte_interrupts.h>

#include "rtap.h"

void
rtap_rx_intr_uninstall(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *intr = dev->intr_handle;
	int nb_efd = rte_intr_nb_efd_get(intr);
	int i;

	/*
	 * Removes the eventfds from the application's epoll set first. EAL also
	 * closes them when max_intr exceeds nb_efd: they are the queues' and
	 * closed below, once, so say there is nothing else.
	 */
	rte_intr_max_intr_set(intr, nb_efd);
	rte_intr_efd_disable(intr);
	for (i = 0; i < nb_efd; i++) {
		struct rtap_rx_ring *rxr = rtap_rxr(dev->data->rx_queues[i]);

		io_uring_unregister_eventfd(&rxr->ring);
		close(rte_intr_efds_index_get(intr, i));
		rte_intr_efds_index_set(intr, i, -1);
	}
	/* Arming then fails with "not started" instead of reaching a stopped ring. */
	rte_intr_nb_efd_set(intr, 0);
	rte_intr_vec_list_free(intr);
}

int
rtap_rx_intr_install(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *intr = dev->intr_handle;
	uint16_t nb_rxq = dev->data->nb_rx_queues;
	uint16_t i;
	int ret;

	if (!dev->data->dev_conf.intr_conf.rxq)
		return 0;

	if (rte_intr_type_set(intr, RTE_INTR_HANDLE_VDEV) < 0 ||
	    rte_intr_efd_counter_size_set(intr, sizeof(eventfd_t)) < 0 ||
	    rte_intr_vec_list_alloc(intr, "rtap_rx_intr", nb_rxq) < 0) {
		PMD_LOG(ERR, "port %u: cannot set up Rx interrupts", dev->data->port_id);
		return -ENOMEM;
	}
	for (i = 0; i < nb_rxq; i++) {
		struct rtap_rx_ring *rxr = rtap_rxr(dev->data->rx_queues[i]);
		int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

		if (efd < 0) {
			ret = -errno;
			goto error;
		}
		ret = io_uring_register_eventfd(&rxr->ring, efd);
		if (ret < 0) {
			close(efd);
			goto error;
		}
		rte_intr_efds_index_set(intr, i, efd);
		rte_intr_vec_list_index_set(intr, i, RTE_INTR_VEC_RXTX_OFFSET + i);
		/* Counts the installed eventfds, for the error path too. */
		rte_intr_nb_efd_set(intr, i + 1);
		/* Muted until the application arms it. */
		ret = io_uring_cq_eventfd_toggle(&rxr->ring, false);
		if (ret < 0)
			goto error;
	}
	rte_intr_max_intr_set(intr, nb_rxq + 1);
	return 0;

error:
	PMD_LOG(ERR, "port %u: Rx interrupt of queue %u: %s", dev->data->port_id, i,
		strerror(-ret));
	rtap_rx_intr_uninstall(dev);
	return ret;
}

/*
 * The ring of the queue whose Rx interrupt the application arms, NULL when it
 * has none. The primary's: Rx interrupts are not offered to a secondary.
 */
static struct rtap_rx_ring *
rtap_rx_intr_queue(struct rte_eth_dev *dev, uint16_t queue_id)
{
	if (queue_id >= rte_intr_nb_efd_get(dev->intr_handle)) {
		PMD_LOG(ERR, "port %u: Rx interrupts not configured (intr_conf.rxq) or not started",
			dev->data->port_id);
		return NULL;
	}
	return rtap_rxr(dev->data->rx_queues[queue_id]);
}

int
rtap_rx_queue_intr_enable(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct rtap_rx_ring *rxr = rtap_rx_intr_queue(dev, queue_id);
	int ret;

	if (rxr == NULL)
		return -EINVAL;
	ret = io_uring_cq_eventfd_toggle(&rxr->ring, true);
	if (ret < 0)
		return ret;
	/* Order the flag store before the look at the tail: see the top. */
	rte_atomic_thread_fence(rte_memory_order_seq_cst);
	if (!rtap_rx_arm(rxr) || io_uring_cq_ready(&rxr->ring) > 0)
		eventfd_write(rte_intr_efds_index_get(dev->intr_handle, queue_id), 1);
	return 0;
}

int
rtap_rx_queue_intr_disable(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct rtap_rx_ring *rxr = rtap_rx_intr_queue(dev, queue_id);

	if (rxr == NULL)
		return -EINVAL;
	return io_uring_cq_eventfd_toggle(&rxr->ring, false);
}
