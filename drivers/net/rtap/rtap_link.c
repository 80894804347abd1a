/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Link state and link events, from rtnetlink.
 *
 * The link is up when the kernel interface is administratively up and running
 * (it has carrier: a TAP has it while a queue is attached).
 *
 * Events: a NETLINK_ROUTE socket joined to RTMGRP_LINK, opened in the
 * interface's namespace, is watched by the EAL interrupt thread. A change of
 * our interface's flags raises RTE_ETH_EVENT_INTR_LSC, its deletion
 * RTE_ETH_EVENT_INTR_RMV. An interface moved to another namespace also
 * vanishes from the socket's (RTM_DELLINK) but its TAP fds still reach it:
 * then the socket is opened again in the new namespace and no RMV is raised.
 * An address set from outside (ip link set ... address) becomes the port's
 * MAC, on the event or on the next link_update, whichever comes first.
 *
 * The kernel's counters (IFLA_STATS64) are read with RTM_GETLINK on a socket
 * opened per call, in whatever namespace the interface is in now.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <rte_alarm.h>
#include <rte_interrupts.h>

#include "rtap.h"

/* Large enough for one RTM_NEWLINK message with all its attributes. */
#define RTAP_NL_BUFSZ	32768

/* A NETLINK_ROUTE socket in the interface's current namespace. */
static int
rtap_nl_open(int tap_fd, uint32_t groups)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = groups };
	int fd = rtap_tap_socket(tap_fd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);

	if (fd < 0)
		return fd;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Every byte of a datagram is checked before it is read: it may come from any
 * process that can reach the socket, and a link event from any interface of
 * the namespace. Only the kernel's (nl_pid 0) are taken.
 */
static void
rtap_nl_parse_attrs(const struct nlmsghdr *nh, struct rtap_nl_link *link)
{
	/* The walk of RTA_OK()/RTA_NEXT(), whose casts drop const. */
	const char *p = (const char *)nh + NLMSG_SPACE(sizeof(struct ifinfomsg));
	size_t rem = nh->nlmsg_len - NLMSG_SPACE(sizeof(struct ifinfomsg));

	while (rem >= sizeof(struct rtattr)) {
		const struct rtattr *rta = (const void *)p;
		size_t step = RTA_ALIGN(rta->rta_len);

		if (rta->rta_len < sizeof(*rta) || rta->rta_len > rem)
			return;
		if (rta->rta_type == IFLA_STATS64 &&
		    rta->rta_len - RTA_LENGTH(0) >= sizeof(link->stats)) {
			memcpy(&link->stats, p + RTA_LENGTH(0), sizeof(link->stats));
			link->has_stats = true;
		} else if (rta->rta_type == IFLA_ADDRESS &&
			   rta->rta_len - RTA_LENGTH(0) == RTE_ETHER_ADDR_LEN) {
			memcpy(link->mac.addr_bytes, p + RTA_LENGTH(0), RTE_ETHER_ADDR_LEN);
			link->has_mac = true;
		}
		if (step >= rem)
			return;
		p += step;
		rem -= step;
	}
}

int
rtap_nl_parse(const void *buf, ssize_t len, const struct sockaddr_nl *from,
	      rtap_nl_link_cb cb, void *arg)
{
	/* The walk of NLMSG_OK()/NLMSG_NEXT(), unsigned and without casts from const. */
	const char *p = buf;
	struct rtap_nl_link link;
	size_t rem;
	int ret;

	if (from == NULL || from->nl_family != AF_NETLINK || from->nl_pid != 0)
		return -EPERM;
	if (len < 0)
		return -EINVAL;
	for (rem = len; rem >= sizeof(struct nlmsghdr); ) {
		const struct nlmsghdr *nh = (const void *)p;
		const void *data = p + NLMSG_HDRLEN;
		size_t step = NLMSG_ALIGN(nh->nlmsg_len);

		if (nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > rem)
			break;
		if (nh->nlmsg_type == NLMSG_DONE)
			return 0;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = data;

			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
				return -EBADMSG;
			if (err->error != 0)
				return err->error > 0 ? -EBADMSG : err->error;
		} else if ((nh->nlmsg_type == RTM_NEWLINK || nh->nlmsg_type == RTM_DELLINK) &&
			   nh->nlmsg_len >= NLMSG_SPACE(sizeof(struct ifinfomsg))) {
			const struct ifinfomsg *ifi = data;

			memset(&link, 0, sizeof(link));
			link.type = nh->nlmsg_type;
			link.if_index = ifi->ifi_index;
			link.flags = ifi->ifi_flags;
			rtap_nl_parse_attrs(nh, &link);
			ret = cb(&link, arg);
			if (ret != 0)
				return ret;
		}
		if (step >= rem)
			break;
		p += step;
		rem -= step;
	}
	return 0;
}

/* The reply to our RTM_GETLINK: the first link message of that index. */
static int
rtap_nl_get_link_cb(const struct rtap_nl_link *link, void *arg)
{
	struct rtap_nl_link *info = arg;

	if (link->type != RTM_NEWLINK || link->if_index != info->if_index)
		return 0;
	*info = *link;
	return 1;
}

static int
rtap_nl_get_link(int tap_fd, struct rtap_nl_link *info)
{
	int if_index = rtap_tap_ifindex(tap_fd);
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1,
		},
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	struct sockaddr_nl from;
	socklen_t from_len = sizeof(from);
	char *buf;
	ssize_t len;
	int fd, ret;

	if (if_index < 0)
		return if_index;
	req.ifi.ifi_index = if_index;
	fd = rtap_nl_open(tap_fd, 0);
	if (fd < 0)
		return fd;
	buf = malloc(RTAP_NL_BUFSZ);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	len = recvfrom(fd, buf, RTAP_NL_BUFSZ, 0, (struct sockaddr *)&from, &from_len);
	if (len < 0) {
		ret = -errno;
		goto out;
	}
	memset(info, 0, sizeof(*info));
	info->if_index = if_index;
	ret = rtap_nl_parse(buf, len, from_len == sizeof(from) ? &from : NULL,
			    rtap_nl_get_link_cb, info);
	if (ret == 1)
		ret = 0;
	else if (ret == 0)
		ret = -EIO;
out:
	free(buf);
	close(fd);
	return ret;
}

int
rtap_link_kernel_drops(const struct rte_eth_dev *dev, uint64_t *drops)
{
	struct rtap_nl_link info;
	int ret = rtap_nl_get_link(rtap_ctl_fd(dev), &info);

	if (ret == 0 && !info.has_stats)
		ret = -ENOTSUP;
	if (ret == 0)
		*drops = info.stats.tx_dropped;
	return ret;
}

static bool
rtap_link_is_up(unsigned int flags)
{
	return (flags & IFF_UP) && (flags & IFF_RUNNING);
}

/* Record the link state; true when it changed. */
static bool
rtap_link_set(struct rte_eth_dev *dev, bool up)
{
	struct rte_eth_link link = {
		.link_speed = up ? RTE_ETH_SPEED_NUM_10G : RTE_ETH_SPEED_NUM_NONE,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = up,
	};

	return rte_eth_linkstatus_set(dev, &link) == 0;
}

/*
 * The port MAC is the kernel interface's address. One set from outside becomes
 * the port's, and the kernel's filter is rebuilt to pass it. DPDK has no event
 * for a MAC change: the application reads it with rte_eth_macaddr_get().
 * pmd->mac, not mac_addrs[0], tells ours from outside: mac_addr_set records it
 * before ethdev copies the address. The primary only: the filter and the port
 * data are its own.
 */
static void
rtap_link_mac_follow(struct rte_eth_dev *dev, const struct rte_ether_addr *addr)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];

	if (rte_eal_process_type() != RTE_PROC_PRIMARY || rte_is_zero_ether_addr(addr) ||
	    !rtap_filter_follow_mac(dev, addr))
		return;
	rte_ether_format_addr(buf, sizeof(buf), addr);
	PMD_LOG(INFO, "port %u: MAC address set from outside: %s", dev->data->port_id, buf);
}

int
rtap_link_update(struct rte_eth_dev *dev, int wait_to_complete __rte_unused)
{
	const struct rtap_pmd *pmd = dev->data->dev_private;
	struct rte_ether_addr mac;
	unsigned int flags;
	bool up = false;

	if (!pmd->removed && rtap_tap_get_flags(rtap_ctl_fd(dev), &flags) == 0)
		up = rtap_link_is_up(flags);
	if (!pmd->removed && rte_eal_process_type() == RTE_PROC_PRIMARY &&
	    rtap_tap_get_mac(rtap_ctl_fd(dev), &mac) == 0)
		rtap_link_mac_follow(dev, &mac);
	/* ethdev's convention: 0 when the status changed, -1 when it did not. */
	return rtap_link_set(dev, up) ? 0 : -1;
}

static int
rtap_link_set_admin(struct rte_eth_dev *dev, bool up)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	int ret;

	if (pmd->removed)
		return -ENODEV;
	ret = rtap_tap_set_flags(rtap_ctl_fd(dev), up ? IFF_UP : 0, up ? 0 : IFF_UP);
	if (ret == 0)
		rtap_link_update(dev, 0);
	return ret;
}

int
rtap_dev_set_link_up(struct rte_eth_dev *dev)
{
	return rtap_link_set_admin(dev, true);
}

int
rtap_dev_set_link_down(struct rte_eth_dev *dev)
{
	return rtap_link_set_admin(dev, false);
}

static void rtap_link_resubscribe(void *arg);

static void
rtap_link_event(struct rte_eth_dev *dev, const struct rtap_nl_link *link)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	const struct rte_intr_conf *conf = &dev->data->dev_conf.intr_conf;

	if (link->if_index != pmd->if_index || pmd->removed)
		return;

	if (link->type == RTM_DELLINK) {
		char name[IFNAMSIZ];

		if (rtap_tap_name(rtap_ctl_fd(dev), name) == 0) {
			/* Moved to another namespace: follow it, outside this handler. */
			rte_eal_alarm_set(1, rtap_link_resubscribe, dev);
			return;
		}
		pmd->removed = true;
		PMD_LOG(NOTICE, "port %u: interface %s was deleted", dev->data->port_id,
			pmd->ifname);
		if (rtap_link_set(dev, false) && conf->lsc)
			rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
		if (conf->rmv)
			rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_RMV, NULL);
		return;
	}
	if (link->has_mac)
		rtap_link_mac_follow(dev, &link->mac);
	if (rtap_link_set(dev, rtap_link_is_up(link->flags)) && conf->lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static int
rtap_link_event_cb(const struct rtap_nl_link *link, void *arg)
{
	struct rte_eth_dev *dev = arg;

	rtap_link_event(dev, link);
	/* An event callback may have closed the port. */
	return dev->process_private == NULL;
}

/* EAL interrupt thread: drain the socket, one event per change of ours. */
static void
rtap_link_intr_handler(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct rtap_proc *proc = dev->process_private;
	int fd = rte_intr_fd_get(proc->link_intr);
	union {
		struct nlmsghdr nh;	/* aligned as the walk reads it */
		char bytes[RTAP_NL_BUFSZ];
	} buf;
	struct sockaddr_nl from;
	socklen_t from_len;
	ssize_t len;

	for (;;) {
		from_len = sizeof(from);
		len = recvfrom(fd, buf.bytes, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
			       &from_len);
		if (len < 0 && errno == ENOBUFS) {
			/* Events were lost: the current state is what matters. */
			if (rtap_link_update(dev, 0) == 0 && dev->data->dev_conf.intr_conf.lsc)
				rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
			continue;
		}
		if (len <= 0)
			return;
		if (rtap_nl_parse(buf.bytes, len, from_len == sizeof(from) ? &from : NULL,
				  rtap_link_event_cb, dev) > 0)
			return;
	}
}

static void
rtap_link_intr_free(struct rte_intr_handle *intr, void *arg __rte_unused)
{
	close(rte_intr_fd_get(intr));
	rte_intr_instance_free(intr);
}

/* Stop watching link events; under link_lock. */
static void
rtap_link_intr_release(struct rte_eth_dev *dev)
{
	struct rtap_proc *proc = dev->process_private;
	struct rte_intr_handle *intr = proc->link_intr;

	if (intr == NULL)
		return;
	/*
	 * Once unregistered, the handler (which reads link_intr) never runs
	 * again. Off the interrupt thread, wait for a run of it in progress
	 * there to end. On it, this is the handler itself (an event callback
	 * closing the port) or the resubscription: EAL frees the handle once
	 * a handler in progress returns.
	 */
	if (!rte_thread_is_intr()) {
		rte_intr_callback_unregister_sync(intr, rtap_link_intr_handler, dev);
		rtap_link_intr_free(intr, NULL);
	} else if (rte_intr_callback_unregister(intr, rtap_link_intr_handler, dev) == -EAGAIN) {
		rte_intr_callback_unregister_pending(intr, rtap_link_intr_handler, dev,
						     rtap_link_intr_free);
	} else {
		rtap_link_intr_free(intr, NULL);
	}
	proc->link_intr = NULL;
}

/* Start watching link events; under link_lock. */
static int
rtap_link_intr_open(struct rte_eth_dev *dev)
{
	struct rtap_proc *proc = dev->process_private;
	struct rte_intr_handle *intr;
	int fd, ret;

	fd = rtap_nl_open(rtap_ctl_fd(dev), RTMGRP_LINK);
	if (fd < 0) {
		PMD_LOG(ERR, "port %u: netlink socket for link events: %s",
			dev->data->port_id, strerror(-fd));
		return fd;
	}
	intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (intr == NULL || rte_intr_type_set(intr, RTE_INTR_HANDLE_EXT) < 0 ||
	    rte_intr_fd_set(intr, fd) < 0) {
		ret = -ENOMEM;
		goto error;
	}
	/* The handler may run before the register call returns: it reads link_intr. */
	proc->link_intr = intr;
	ret = rte_intr_callback_register(intr, rtap_link_intr_handler, dev);
	if (ret < 0) {
		proc->link_intr = NULL;
		goto error;
	}
	return 0;

error:
	PMD_LOG(ERR, "port %u: cannot watch link events: %s", dev->data->port_id,
		strerror(-ret));
	rte_intr_instance_free(intr);
	close(fd);
	return ret;
}

/*
 * Close: first the handler, which may set the resubscription alarm, then the
 * alarm (waiting for a run in progress), which finds link_closed.
 */
void
rtap_link_intr_close(struct rte_eth_dev *dev)
{
	struct rtap_proc *proc = dev->process_private;

	rte_spinlock_lock(&proc->link_lock);
	proc->link_closed = true;
	rtap_link_intr_release(dev);
	rte_spinlock_unlock(&proc->link_lock);
	rte_eal_alarm_cancel(rtap_link_resubscribe, dev);
}

/* Interrupt thread, as an alarm: watch the namespace the interface moved to. */
static void
rtap_link_resubscribe(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct rtap_pmd *pmd = dev->data->dev_private;
	struct rtap_proc *proc = dev->process_private;
	const struct rte_intr_conf *conf = &dev->data->dev_conf.intr_conf;
	int if_index;

	rte_spinlock_lock(&proc->link_lock);
	if (proc->link_closed) {
		rte_spinlock_unlock(&proc->link_lock);
		return;
	}
	rtap_link_intr_release(dev);
	if_index = rtap_tap_ifindex(rtap_ctl_fd(dev));
	if (if_index > 0)
		pmd->if_index = if_index;
	if (conf->lsc || conf->rmv)
		rtap_link_intr_open(dev);
	rte_spinlock_unlock(&proc->link_lock);
	/* Not under the lock: an event callback may close the port. */
	if (rtap_link_update(dev, 0) == 0 && conf->lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

int
rtap_link_intr_configure(struct rte_eth_dev *dev)
{
	const struct rte_intr_conf *conf = &dev->data->dev_conf.intr_conf;
	struct rtap_proc *proc = dev->process_private;
	int ret = 0;

	rte_spinlock_lock(&proc->link_lock);
	if (!conf->lsc && !conf->rmv)
		rtap_link_intr_release(dev);
	else if (proc->link_intr == NULL)
		ret = rtap_link_intr_open(dev);
	rte_spinlock_unlock(&proc->link_lock);
	return ret;
}
