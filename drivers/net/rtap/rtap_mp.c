/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Secondary processes.
 *
 * A secondary attaches to the port the primary created and may read it:
 * device info, link state, basic and extended statistics (the counters live in
 * the queues, in shared memory), and reset the statistics; dpdk-proc-info and
 * telemetry use nothing else. Rx and Tx are refused: the TAP queue fds and the
 * io_uring rings belong to the primary (an io_uring cannot be shared between
 * processes). The bursts of a secondary return 0 and say why once; every other
 * operation fails with -ENOTSUP.
 */

#include <bus_vdev_driver.h>
#include <ethdev_vdev.h>

#include "rtap.h"

static void
rtap_secondary_refuse(void)
{
	static bool logged;

	if (!logged) {
		logged = true;
		PMD_LOG(ERR, "Rx/Tx from a secondary process is not supported: "
			"the TAP queues and io_uring rings belong to the primary");
	}
}

static uint16_t
rtap_secondary_rx_burst(void *queue __rte_unused, struct rte_mbuf **bufs __rte_unused,
			uint16_t nb_pkts __rte_unused)
{
	rtap_secondary_refuse();
	return 0;
}

static uint16_t
rtap_secondary_tx_burst(void *queue __rte_unused, struct rte_mbuf **bufs __rte_unused,
			uint16_t nb_pkts __rte_unused)
{
	rtap_secondary_refuse();
	return 0;
}

static const struct eth_dev_ops rtap_secondary_ops = {
	.dev_infos_get		= rtap_dev_info,
	.link_update		= rtap_link_update,
	.stats_get		= rtap_stats_get,
	.stats_reset		= rtap_stats_reset,
	.xstats_get		= rtap_xstats_get,
	.xstats_get_names	= rtap_xstats_get_names,
	.xstats_reset		= rtap_stats_reset,
};

int
rtap_secondary_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *dev = rte_eth_dev_attach_secondary(name);

	if (dev == NULL) {
		PMD_LOG(ERR, "%s: no such port in the primary process", name);
		return -ENODEV;
	}
	dev->dev_ops = &rtap_secondary_ops;
	dev->rx_pkt_burst = rtap_secondary_rx_burst;
	dev->tx_pkt_burst = rtap_secondary_tx_burst;
	dev->device = &vdev->device;
	rte_eth_dev_probing_finish(dev);
	return 0;
}
