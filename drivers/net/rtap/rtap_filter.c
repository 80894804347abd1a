/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Destination filtering, done by the kernel.
 *
 * A TAP hands its reader every frame the stack sends through the interface,
 * whatever the destination. The TAP's own filter (TUNSETTXFILTER) drops, before
 * they are queued to us, frames whose destination is neither one of up to
 * RTAP_MAX_MAC_ADDRS exact addresses nor a multicast address whose hash bit is
 * set (TUN_FLT_ALLMULTI sets them all). The filter is built from the port's
 * state:
 *  - promiscuous: no filter at all (a filter of no address passes everything);
 *  - otherwise the unicast addresses (port MAC, mac_addr_add), then broadcast,
 *    then the multicast list (set_mc_addr_list), as exact addresses while they
 *    fit; the remaining multicast addresses go to the 64-bin hash;
 *  - allmulticast: every multicast address passes.
 * Only multicast overflowing the exact slots is inexact: an unlisted group that
 * shares a hash bin passes. Then, and only then, Rx checks multicast frames
 * against the list itself (rtap_rx_filtered); everything else is filtered
 * exactly in the kernel and the data path does nothing. Frames the kernel
 * drops count as the TAP's tx_dropped, which is the port's imissed; those Rx
 * drops as rx_qN_mc_filtered_packets.
 *
 * The filter belongs to the interface but is set through an attached queue fd:
 * it is pushed when the port is configured and on every change after that.
 */

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>

#include "rtap.h"

/*
 * A change the ethdev layer records in dev->data, and we in the port, only
 * once the kernel has taken it.
 */
struct rtap_filter_state {
	bool promisc;
	bool allmulti;
	uint32_t index;			/* dev->data->mac_addrs[] entry replaced */
	const struct rte_ether_addr *addr;	/* its new value, NULL to remove */
	const struct rte_ether_addr *mc_addrs;	/* the multicast list */
	uint32_t nb_mc_addrs;
};

#define RTAP_FILTER_NO_INDEX	UINT32_MAX
#define RTAP_FILTER_MAX		(RTAP_MAX_MAC_ADDRS + 1 + RTAP_MAX_MC_ADDRS)

struct rtap_filter_req {
	struct tun_filter hdr;
	uint8_t addr[RTAP_FILTER_MAX][RTE_ETHER_ADDR_LEN];
};

static void
rtap_filter_add(struct rtap_filter_req *req, const struct rte_ether_addr *addr)
{
	memcpy(req->addr[req->hdr.count++], addr->addr_bytes, RTE_ETHER_ADDR_LEN);
}

/* Unicast first: the kernel gives up filtering when one lands in the hash. */
static void
rtap_filter_add_macs(struct rtap_filter_req *req, const struct rte_eth_dev *dev,
		     const struct rtap_filter_state *st, bool multicast)
{
	uint32_t i;

	for (i = 0; i < RTAP_MAX_MAC_ADDRS; i++) {
		const struct rte_ether_addr *addr = &dev->data->mac_addrs[i];

		if (i == st->index)
			addr = st->addr;
		if (addr == NULL || rte_is_zero_ether_addr(addr) ||
		    rte_is_multicast_ether_addr(addr) != multicast)
			continue;
		rtap_filter_add(req, addr);
	}
}

/*
 * Under filter_lock. A reader still scanning the slot about to be filled
 * started two publications ago: the release fence orders the last publication
 * before these writes, so that reader sees the generation move and scans again.
 */
void
rtap_mc_allow_set(struct rtap_pmd *pmd, const struct rte_ether_addr *addrs, uint32_t n,
		  bool check)
{
	uint32_t gen = rte_atomic_load_explicit(&pmd->mc_gen, rte_memory_order_relaxed);
	struct rtap_mc_allow *next = &pmd->mc_allow[(gen + 1) & 1];
	uint32_t i, nb = RTE_MIN(n, (uint32_t)RTE_DIM(next->addr));

	rte_atomic_thread_fence(rte_memory_order_release);
	rte_atomic_store_explicit(&next->nb, nb, rte_memory_order_relaxed);
	for (i = 0; i < nb; i++)
		rte_atomic_store_explicit(&next->addr[i], rtap_mac_key(&addrs[i]),
					  rte_memory_order_relaxed);
	rte_atomic_store_explicit(&next->check, check, rte_memory_order_relaxed);
	rte_atomic_store_explicit(&pmd->mc_gen, gen + 1, rte_memory_order_release);
}

/* Publish the multicast addresses of the filter for Rx, checked when the kernel hashes. */
static void
rtap_filter_sw(struct rtap_pmd *pmd, const struct rtap_filter_req *req, bool allmulti)
{
	struct rte_ether_addr mc[RTAP_FILTER_MAX];
	uint32_t i, n = 0;

	for (i = 0; i < req->hdr.count; i++) {
		const struct rte_ether_addr *addr = (const void *)req->addr[i];

		if (rte_is_multicast_ether_addr(addr))
			mc[n++] = *addr;
	}
	/* The kernel hashes what exceeds its RTAP_MAX_MAC_ADDRS exact slots. */
	rtap_mc_allow_set(pmd, mc, n, req->hdr.count > RTAP_MAX_MAC_ADDRS && !allmulti);
}

/* Under filter_lock. */
static int
rtap_filter_push(struct rte_eth_dev *dev, const struct rtap_filter_state *st)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }
	};
	struct rtap_filter_req req;
	uint32_t i;

	/* Not configured yet: dev_configure pushes the state then. */
	if (pmd->nb_queue_fds == 0)
		goto accepted;

	memset(&req.hdr, 0, sizeof(req.hdr));
	if (!st->promisc) {
		rtap_filter_add_macs(&req, dev, st, false);
		rtap_filter_add(&req, &bcast);
		rtap_filter_add_macs(&req, dev, st, true);
		for (i = 0; i < st->nb_mc_addrs; i++)
			rtap_filter_add(&req, &st->mc_addrs[i]);
		if (st->allmulti)
			req.hdr.flags = TUN_FLT_ALLMULTI;
	}
	if (ioctl(rtap_ctl_fd(dev), TUNSETTXFILTER, &req) < 0) {
		PMD_LOG(ERR, "port %u: TUNSETTXFILTER: %s", dev->data->port_id,
			strerror(errno));
		return -errno;
	}
	rtap_filter_sw(pmd, &req, st->allmulti);
accepted:
	pmd->promisc = st->promisc;
	pmd->allmulti = st->allmulti;
	if (st->mc_addrs != pmd->mc_addrs) {
		/* No memcpy from a NULL list: flushing passes none. */
		if (st->nb_mc_addrs > 0)
			memcpy(pmd->mc_addrs, st->mc_addrs,
			       st->nb_mc_addrs * sizeof(*st->mc_addrs));
		pmd->nb_mc_addrs = st->nb_mc_addrs;
	}
	return 0;
}

static void
rtap_filter_current(const struct rte_eth_dev *dev, struct rtap_filter_state *st)
{
	const struct rtap_pmd *pmd = dev->data->dev_private;

	st->promisc = pmd->promisc;
	st->allmulti = pmd->allmulti;
	st->index = RTAP_FILTER_NO_INDEX;
	st->addr = NULL;
	st->mc_addrs = pmd->mc_addrs;
	st->nb_mc_addrs = pmd->nb_mc_addrs;
}

/* Under filter_lock. */
static int
rtap_filter_push_current(struct rte_eth_dev *dev)
{
	struct rtap_filter_state st;

	rtap_filter_current(dev, &st);
	return rtap_filter_push(dev, &st);
}

int
rtap_filter_sync(struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	int ret;

	rte_spinlock_lock(&pmd->filter_lock);
	ret = rtap_filter_push_current(dev);
	rte_spinlock_unlock(&pmd->filter_lock);
	return ret;
}

/*
 * Interrupt thread: a MAC the kernel interface got from outside becomes the
 * port's, and the filter is rebuilt to pass it. False if it was ours already.
 */
bool
rtap_filter_follow_mac(struct rte_eth_dev *dev, const struct rte_ether_addr *addr)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	bool changed = false;

	rte_spinlock_lock(&pmd->filter_lock);
	if (!rte_is_same_ether_addr(addr, &pmd->mac)) {
		pmd->mac = *addr;
		rte_ether_addr_copy(addr, &dev->data->mac_addrs[0]);
		rtap_filter_push_current(dev);
		changed = true;
	}
	rte_spinlock_unlock(&pmd->filter_lock);
	return changed;
}

/* The kernel interface shows the mode too (ip link: PROMISC, ALLMULTI). */
static int
rtap_filter_mode(struct rte_eth_dev *dev, unsigned int flag, bool on)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	struct rtap_filter_state st;
	int ret;

	rte_spinlock_lock(&pmd->filter_lock);
	rtap_filter_current(dev, &st);
	if (flag == IFF_PROMISC)
		st.promisc = on;
	else
		st.allmulti = on;
	ret = rtap_filter_push(dev, &st);
	if (ret == 0)
		ret = rtap_tap_set_flags(rtap_ctl_fd(dev), on ? flag : 0, on ? 0 : flag);
	rte_spinlock_unlock(&pmd->filter_lock);
	return ret;
}

int
rtap_promiscuous_enable(struct rte_eth_dev *dev)
{
	return rtap_filter_mode(dev, IFF_PROMISC, true);
}

int
rtap_promiscuous_disable(struct rte_eth_dev *dev)
{
	return rtap_filter_mode(dev, IFF_PROMISC, false);
}

int
rtap_allmulticast_enable(struct rte_eth_dev *dev)
{
	return rtap_filter_mode(dev, IFF_ALLMULTI, true);
}

int
rtap_allmulticast_disable(struct rte_eth_dev *dev)
{
	return rtap_filter_mode(dev, IFF_ALLMULTI, false);
}

/* Under filter_lock. */
static int
rtap_filter_mac_push(struct rte_eth_dev *dev, uint32_t index, const struct rte_ether_addr *addr)
{
	struct rtap_filter_state st;

	rtap_filter_current(dev, &st);
	st.index = index;
	st.addr = addr;
	return rtap_filter_push(dev, &st);
}

static int
rtap_filter_mac(struct rte_eth_dev *dev, uint32_t index, const struct rte_ether_addr *addr)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	int ret;

	rte_spinlock_lock(&pmd->filter_lock);
	ret = rtap_filter_mac_push(dev, index, addr);
	rte_spinlock_unlock(&pmd->filter_lock);
	return ret;
}

int
rtap_mac_addr_add(struct rte_eth_dev *dev, struct rte_ether_addr *addr, uint32_t index,
		  uint32_t vmdq __rte_unused)
{
	return rtap_filter_mac(dev, index, addr);
}

void
rtap_mac_addr_remove(struct rte_eth_dev *dev, uint32_t index)
{
	rtap_filter_mac(dev, index, NULL);
}

/* The port MAC is the kernel interface's address: both change. */
int
rtap_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	int ret;

	rte_spinlock_lock(&pmd->filter_lock);
	ret = rtap_tap_set_mac(rtap_ctl_fd(dev), addr);
	if (ret == 0) {
		pmd->mac = *addr;
		ret = rtap_filter_mac_push(dev, 0, addr);
	}
	rte_spinlock_unlock(&pmd->filter_lock);
	return ret;
}

int
rtap_set_mc_addr_list(struct rte_eth_dev *dev, struct rte_ether_addr *mc_addrs,
		      uint32_t nb_mc_addrs)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	struct rtap_filter_state st;
	uint32_t i;
	int ret;

	if (nb_mc_addrs > RTAP_MAX_MC_ADDRS) {
		PMD_LOG(ERR, "port %u: %u multicast addresses, at most %u",
			dev->data->port_id, nb_mc_addrs, RTAP_MAX_MC_ADDRS);
		return -ENOSPC;
	}
	for (i = 0; i < nb_mc_addrs; i++) {
		if (!rte_is_multicast_ether_addr(&mc_addrs[i])) {
			PMD_LOG(ERR, "port %u: multicast list entry %u is not multicast",
				dev->data->port_id, i);
			return -EINVAL;
		}
	}
	rte_spinlock_lock(&pmd->filter_lock);
	rtap_filter_current(dev, &st);
	st.mc_addrs = mc_addrs;
	st.nb_mc_addrs = nb_mc_addrs;
	ret = rtap_filter_push(dev, &st);
	rte_spinlock_unlock(&pmd->filter_lock);
	return ret;
}
