/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * The ethdev side of rtap: devargs, probe/remove and the control operations.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <ethdev_vdev.h>
#include <bus_vdev_driver.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>

#include "rtap.h"

RTE_LOG_REGISTER_DEFAULT(rtap_logtype, NOTICE);

static int
rtap_dev_configure(struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	struct rtap_proc *proc = dev->process_private;
	uint16_t nb_fds = RTE_MAX(dev->data->nb_rx_queues, (uint16_t)1);
	int ret;

	/* One kernel queue per Rx queue: frames steered elsewhere would be lost. */
	while (pmd->nb_queue_fds > nb_fds) {
		ret = rtap_tap_queue_attach(proc->fds[pmd->nb_queue_fds - 1], false);
		if (ret < 0)
			return ret;
		pmd->nb_queue_fds--;
	}
	while (pmd->nb_queue_fds < nb_fds) {
		ret = rtap_tap_queue_attach(proc->fds[pmd->nb_queue_fds], true);
		if (ret < 0)
			return ret;
		pmd->nb_queue_fds++;
	}

	ret = rtap_tap_ifindex(rtap_ctl_fd(dev));
	if (ret > 0)
		pmd->if_index = ret;
	ret = rtap_rss_configure(dev);
	if (ret == 0)
		ret = rtap_tap_set_mtu(rtap_ctl_fd(dev), dev->data->mtu);
	/* A TUN has no link-layer addresses to filter. */
	if (ret == 0 && !pmd->tun)
		ret = rtap_filter_sync(dev);
	if (ret == 0)
		ret = rtap_link_intr_configure(dev);
	return ret;
}

static int
rtap_dev_stop(struct rte_eth_dev *dev)
{
	uint16_t i;

	rtap_rx_intr_uninstall(dev);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		rtap_rx_queue_stop(dev, i);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		rtap_tx_queue_stop(dev, i);

	/* An interface deleted from outside cannot be set down: not an error. */
	rtap_tap_set_flags(rtap_ctl_fd(dev), 0, IFF_UP);
	rtap_link_update(dev, 0);
	return 0;
}

/* ethdev starts a port with a queue configured but never set up. */
static int
rtap_queues_set_up(const struct rte_eth_dev *dev)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		if (dev->data->rx_queues[i] == NULL) {
			PMD_LOG(ERR, "port %u: Rx queue %u was never set up",
				dev->data->port_id, i);
			return -EINVAL;
		}
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		if (dev->data->tx_queues[i] == NULL) {
			PMD_LOG(ERR, "port %u: Tx queue %u was never set up",
				dev->data->port_id, i);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Size the kernel's queue for the Rx queues just set up: at its default a
 * thread polling several ports loses frames while it serves the others.
 */
static int
rtap_txqlen_apply(struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	uint16_t max_desc = 0;
	uint32_t qlen;
	uint16_t i;
	int ret;

	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct rtap_rx_queue *rxq = dev->data->rx_queues[i];

		max_desc = RTE_MAX(max_desc, rxq->nb_desc);
	}
	qlen = rtap_txqlen(pmd->txqlen_arg, pmd->txqlen_orig, max_desc);
	ret = rtap_tap_set_txqlen(rtap_ctl_fd(dev), qlen);
	if (ret == 0)
		pmd->txqlen_set = true;
	return ret;
}

static int
rtap_dev_start(struct rte_eth_dev *dev)
{
	const struct rtap_pmd *pmd = dev->data->dev_private;
	uint16_t i;
	int ret;

	ret = rtap_queues_set_up(dev);
	if (ret < 0)
		return ret;
	/* What the application lets the kernel leave unfinished; renegotiated each start. */
	ret = rtap_tap_set_offload(rtap_ctl_fd(dev),
				   rtap_tun_offloads(dev->data->dev_conf.rxmode.offloads,
						     pmd->csum_partial, pmd->uso));
	if (ret == 0)
		ret = rtap_txqlen_apply(dev);
	if (ret == 0)
		ret = rtap_tap_set_flags(rtap_ctl_fd(dev), IFF_UP, 0);
	if (ret == 0)
		ret = rtap_rx_intr_install(dev);
	if (ret == 0)
		rtap_rss_steer_start(dev);
	for (i = 0; ret == 0 && i < dev->data->nb_rx_queues; i++) {
		const struct rtap_rx_queue *rxq = dev->data->rx_queues[i];

		if (!rxq->deferred_start)
			ret = rtap_rx_queue_start(dev, i);
	}
	for (i = 0; ret == 0 && i < dev->data->nb_tx_queues; i++) {
		const struct rtap_tx_queue *txq = dev->data->tx_queues[i];

		if (!txq->deferred_start)
			ret = rtap_tx_queue_start(dev, i);
	}
	if (ret < 0) {
		/* Stopping a queue that did not start is a no-op: undo all at once. */
		rtap_dev_stop(dev);
		return ret;
	}
	rtap_link_update(dev, 0);
	return 0;
}

static int
rtap_dev_close(struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	struct rtap_proc *proc = dev->process_private;
	char ifname[IFNAMSIZ];
	uint16_t i;

	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		/*
		 * An interface that outlives the port (persist, or a secondary
		 * still holding its fds) gets back the length it had. One deleted
		 * from outside has no name left (TUNGETIFF fails): nothing to do.
		 */
		if (pmd->txqlen_set && pmd->txqlen_orig > 0 && proc != NULL &&
		    rtap_tap_name(proc->fds[0], ifname) == 0)
			rtap_tap_set_txqlen(proc->fds[0], pmd->txqlen_orig);
		pmd->txqlen_set = false;
		rtap_rss_steer_close(dev);
		rtap_link_intr_close(dev);
		for (i = 0; i < dev->data->nb_rx_queues; i++)
			rtap_rx_queue_release(dev, i);
		for (i = 0; i < dev->data->nb_tx_queues; i++)
			rtap_tx_queue_release(dev, i);
		pmd->nb_queue_fds = 0;
		rte_intr_instance_free(dev->intr_handle);
		dev->intr_handle = NULL;
	}
	rtap_proc_free(dev);
	return 0;
}

int
rtap_dev_info(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	const struct rtap_pmd *pmd = dev->data->dev_private;

	info->if_index = pmd->if_index;
	info->max_mac_addrs = pmd->tun ? 1 : RTAP_MAX_MAC_ADDRS;
	info->max_rx_queues = RTAP_MAX_QUEUES;
	info->max_tx_queues = RTAP_MAX_QUEUES;
	info->min_mtu = RTAP_MIN_MTU;
	info->max_mtu = RTAP_MAX_MTU;
	info->max_rx_pktlen = RTAP_MAX_MTU + rtap_frame_overhead(pmd);
	/* The kernel coalesces up to a 64 KB GSO frame. */
	info->max_lro_pkt_size = RTAP_LRO_MAX_PKT;
	info->min_rx_bufsize = RTE_PKTMBUF_HEADROOM + 1;
	info->rx_desc_lim = (struct rte_eth_desc_lim) {
		.nb_max = RTAP_MAX_DESC,
		.nb_min = RTAP_MIN_DESC,
		.nb_align = 1,
		.nb_seg_max = RTAP_MAX_SEGS,
		.nb_mtu_seg_max = RTAP_MAX_SEGS,
	};
	info->tx_desc_lim = (struct rte_eth_desc_lim) {
		.nb_max = RTAP_MAX_DESC,
		.nb_min = RTAP_MIN_DESC,
		.nb_align = 1,
		.nb_seg_max = RTAP_IOV_BATCH - 1,
		.nb_mtu_seg_max = RTAP_IOV_BATCH - 1,
	};
	info->default_rxportconf.ring_size = RTAP_DEFAULT_DESC;
	info->default_txportconf.ring_size = RTAP_DEFAULT_DESC;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->rx_offload_capa = RTAP_RX_OFFLOAD_CAPA;
	info->tx_offload_capa = RTAP_TX_OFFLOAD_CAPA | (pmd->uso ? RTAP_TX_OFFLOAD_USO : 0);
	info->flow_type_rss_offloads = RTAP_RSS_HF;
	info->hash_key_size = RTAP_RSS_KEY_LEN;
	info->reta_size = RTAP_RETA_SIZE;
	RTAP_RSS_ALGO_CAPA_SET(info);
	info->rx_queue_offload_capa = 0;
	info->tx_queue_offload_capa = 0;
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	return 0;
}

/*
 * What rtap_rx_offload() parses, only when Rx checksum offload is enabled;
 * net_rtun always tells IPv4 from IPv6 (rtap_l3_ptype()), and has no L2.
 */
static const uint32_t *
rtap_supported_ptypes(RTAP_PTYPES_GET_PARAMS)
{
	static const uint32_t l3_ptypes[] = {
		RTE_PTYPE_L3_IPV4_EXT_UNKNOWN,
		RTE_PTYPE_L3_IPV6_EXT_UNKNOWN,
		RTE_PTYPE_UNKNOWN
	};
	static const uint32_t ptypes[] = {
		RTE_PTYPE_L2_ETHER,
		RTE_PTYPE_L2_ETHER_VLAN,
		RTE_PTYPE_L2_ETHER_QINQ,
		RTE_PTYPE_L3_IPV4,
		RTE_PTYPE_L3_IPV4_EXT,
		RTE_PTYPE_L3_IPV6,
		RTE_PTYPE_L3_IPV6_EXT,
		RTE_PTYPE_L4_TCP,
		RTE_PTYPE_L4_UDP,
		RTE_PTYPE_L4_SCTP,
		RTE_PTYPE_L4_FRAG,
		RTE_PTYPE_UNKNOWN
	};

	const struct rtap_pmd *pmd = dev->data->dev_private;
	/* net_rtun skips the L2 types ptypes[] begins with. */
	unsigned int first = pmd->tun ? 3 : 0;

	if ((dev->data->dev_conf.rxmode.offloads & RTAP_RX_CKSUM_OFFLOADS) == 0) {
		if (!pmd->tun)
			return NULL;
		RTAP_PTYPES_SET_COUNT(RTE_DIM(l3_ptypes) - 1);
		return l3_ptypes;
	}
	RTAP_PTYPES_SET_COUNT(RTE_DIM(ptypes) - 1 - first);
	return ptypes + first;
}

static int
rtap_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	/* Posted Rx buffers are sized for the MTU of the last start. */
	if (dev->data->dev_started) {
		PMD_LOG(ERR, "port %u: stop the port before changing its MTU",
			dev->data->port_id);
		return -EBUSY;
	}
	return rtap_tap_set_mtu(rtap_ctl_fd(dev), mtu);
}

/* The operations of both kinds of port. */
#define RTAP_COMMON_OPS \
	.dev_configure		= rtap_dev_configure, \
	.dev_start		= rtap_dev_start, \
	.dev_stop		= rtap_dev_stop, \
	.dev_close		= rtap_dev_close, \
	RTAP_READ_OPS, \
	.dev_supported_ptypes_get = rtap_supported_ptypes, \
	.dev_set_link_up	= rtap_dev_set_link_up, \
	.dev_set_link_down	= rtap_dev_set_link_down, \
	.mtu_set		= rtap_mtu_set, \
	.rss_hash_update	= rtap_rss_hash_update, \
	.reta_update		= rtap_rss_reta_update, \
	.rx_queue_setup		= rtap_rx_queue_setup, \
	.rx_queue_release	= rtap_rx_queue_release, \
	.rx_queue_start		= rtap_rx_queue_start, \
	.rx_queue_stop		= rtap_rx_queue_stop, \
	.rx_queue_intr_enable	= rtap_rx_queue_intr_enable, \
	.rx_queue_intr_disable	= rtap_rx_queue_intr_disable, \
	.tx_queue_setup		= rtap_tx_queue_setup, \
	.tx_queue_release	= rtap_tx_queue_release, \
	.tx_queue_start		= rtap_tx_queue_start, \
	.tx_queue_stop		= rtap_tx_queue_stop, \
	.tx_done_cleanup	= rtap_tx_done_cleanup, \
	.get_monitor_addr	= rtap_get_monitor_addr

static const struct eth_dev_ops rtap_ops = {
	RTAP_COMMON_OPS,
	.promiscuous_enable	= rtap_promiscuous_enable,
	.promiscuous_disable	= rtap_promiscuous_disable,
	.allmulticast_enable	= rtap_allmulticast_enable,
	.allmulticast_disable	= rtap_allmulticast_disable,
	.mac_addr_set		= rtap_mac_addr_set,
	.mac_addr_add		= rtap_mac_addr_add,
	.mac_addr_remove	= rtap_mac_addr_remove,
	.set_mc_addr_list	= rtap_set_mc_addr_list,
};

/* net_rtun: no link-layer address, so no filter (ethdev answers -ENOTSUP). */
static const struct eth_dev_ops rtap_tun_ops = {
	RTAP_COMMON_OPS,
};

/* A primary's port of this driver (of this copy of it, if loaded twice). */
bool
rtap_dev_is_rtap(const struct rte_eth_dev *dev)
{
	return dev->dev_ops == &rtap_ops || dev->dev_ops == &rtap_tun_ops;
}

static int
rtap_create(struct rte_vdev_device *vdev, const struct rtap_args *args)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *dev;
	struct rtap_pmd *pmd;
	struct rtap_proc *proc;
	int ret;

	dev = rte_eth_vdev_allocate(vdev, sizeof(*pmd));
	if (dev == NULL) {
		PMD_LOG(ERR, "%s: cannot allocate the ethdev", name);
		return -ENOMEM;
	}
	pmd = dev->data->dev_private;
	proc = rte_zmalloc_socket(name, sizeof(*proc), 0, vdev->device.numa_node);
	dev->data->mac_addrs = rte_zmalloc_socket(name,
		RTAP_MAX_MAC_ADDRS * sizeof(struct rte_ether_addr), 0, vdev->device.numa_node);
	/* Rx interrupt event fds; link events have a handle of their own. */
	dev->intr_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (proc == NULL || dev->data->mac_addrs == NULL || dev->intr_handle == NULL) {
		PMD_LOG(ERR, "%s: out of memory", name);
		ret = -ENOMEM;
		goto error;
	}

	ret = rtap_sqpoll_check(name, args->sqpoll_cpu);
	if (ret < 0)
		goto error;
	ret = rtap_tap_create(args->ifname, args->persist, args->tun, pmd->ifname, proc->fds);
	if (ret < 0)
		goto error;
	pmd->if_index = if_nametoindex(pmd->ifname);
	pmd->persist = args->persist;
	pmd->tun = args->tun;
	pmd->csum_partial = args->csum_partial;
	pmd->txqlen_arg = args->txqueuelen;
	pmd->sqpoll_cpu = args->sqpoll_cpu;
	pmd->multishot = args->multishot;
	rtap_rss_init(pmd);
	if (rtap_tap_get_txqlen(proc->fds[0], &pmd->txqlen_orig) < 0)
		pmd->txqlen_orig = -1;
	/* What LRO asks for with USO: the whole set must be accepted. */
	pmd->uso = rtap_tap_offload_ok(proc->fds[0],
		rtap_tun_offloads(RTE_ETH_RX_OFFLOAD_TCP_LRO, false, true));

	rte_spinlock_init(&pmd->filter_lock);
	/* A TUN's address stays all zeros, as the kernel reports it. */
	if (args->mac_fixed)
		rtap_fixed_mac(pmd->ifname, &pmd->mac);
	else if (args->mac_given)
		pmd->mac = args->mac;
	else if (!args->tun)
		rte_eth_random_addr(pmd->mac.addr_bytes);
	ret = args->tun ? 0 : rtap_tap_set_mac(proc->fds[0], &pmd->mac);
	if (ret < 0) {
		rtap_tap_close(proc->fds);
		goto error;
	}
	rte_ether_addr_copy(&pmd->mac, dev->data->mac_addrs);

	dev->process_private = proc;
	dev->dev_ops = args->tun ? &rtap_tun_ops : &rtap_ops;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_INTR_RMV |
		RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	rtap_fast_ops_set(dev);
	dev->data->dev_link = (struct rte_eth_link) {
		.link_speed = RTE_ETH_SPEED_NUM_10G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_status = RTE_ETH_LINK_DOWN,
		.link_autoneg = RTE_ETH_LINK_FIXED,
	};
	rte_eth_dev_probing_finish(dev);
	PMD_LOG(INFO, "%s: interface %s, port %u", name, pmd->ifname, dev->data->port_id);
	return 0;

error:
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
	rte_free(proc);
	rte_eth_dev_release_port(dev);
	return ret;
}

static int
rtap_probe_kind(struct rte_vdev_device *vdev, bool tun)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rtap_args args = { .tun = tun };
	int ret;

	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return rtap_secondary_probe(vdev);

	ret = rtap_parse_args(name, rte_vdev_device_args(vdev), &args);
	if (ret == 0)
		ret = rtap_mp_init();
	if (ret < 0)
		return ret;
	return rtap_create(vdev, &args);
}

static int
rtap_probe(struct rte_vdev_device *vdev)
{
	return rtap_probe_kind(vdev, false);
}

static int
rtap_tun_probe(struct rte_vdev_device *vdev)
{
	return rtap_probe_kind(vdev, true);
}

static int
rtap_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0;
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return rtap_secondary_remove(dev);
	rte_eth_dev_stop(dev->data->port_id);
	return rte_eth_dev_close(dev->data->port_id);
}

static struct rte_vdev_driver rtap_vdev_driver = {
	.probe = rtap_probe,
	.remove = rtap_remove,
};

RTE_PMD_REGISTER_VDEV(net_rtap, rtap_vdev_driver);
RTE_PMD_REGISTER_ALIAS(net_rtap, eth_rtap);
RTE_PMD_REGISTER_PARAM_STRING(net_rtap,
	RTAP_ARG_IFACE "=<name, default rtap%d> "
	RTAP_ARG_PERSIST "[=<0|1>] "
	RTAP_ARG_MAC "=<xx:xx:xx:xx:xx:xx|fixed> "
	RTAP_ARG_CSUM "=<full|partial> "
	RTAP_ARG_TXQLEN "=<frames> "
	RTAP_ARG_SQPOLL "=<cpu> "
	RTAP_ARG_MULTISHOT "=<0|1>");

/* L3: a TUN device, IP packets with no Ethernet header. */
static struct rte_vdev_driver rtap_tun_vdev_driver = {
	.probe = rtap_tun_probe,
	.remove = rtap_remove,
};

RTE_PMD_REGISTER_VDEV(net_rtun, rtap_tun_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_rtun,
	RTAP_ARG_IFACE "=<name, default rtun%d> "
	RTAP_ARG_PERSIST "[=<0|1>] "
	RTAP_ARG_CSUM "=<full|partial> "
	RTAP_ARG_TXQLEN "=<frames> "
	RTAP_ARG_SQPOLL "=<cpu> "
	RTAP_ARG_MULTISHOT "=<0|1>");
