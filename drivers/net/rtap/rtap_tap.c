/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * The kernel side of the port: the TAP character device and the ioctls that
 * drive the kernel interface. Interfaces are addressed by index, not by name,
 * so that an operator renaming the interface does not cut the driver off.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if_arp.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include <rte_string_fns.h>

#include "rtap.h"

#define RTAP_TUN_DEV	"/dev/net/tun"
#define RTAP_TUN_FLAGS	(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)

/* Fill ifr_name with the interface's current name. */
static int
rtap_tap_ifreq(const struct rtap_pmd *pmd, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	if (if_indextoname(pmd->if_index, ifr->ifr_name) == NULL)
		return -errno;
	return 0;
}

static int
rtap_tap_ioctl(const struct rtap_pmd *pmd, unsigned long req, struct ifreq *ifr)
{
	if (ioctl(pmd->ctl_sock, req, ifr) < 0)
		return -errno;
	return 0;
}

/*
 * The fd is non-blocking because of how io_uring issues reads and writes on a
 * file without FMODE_NOWAIT, which a tun file lacks before Linux 6.4: a request
 * on a blocking fd is handed to an io-wq worker thread that sleeps in read(),
 * one kernel thread per posted read and a thread hop per write. With O_NONBLOCK
 * those kernels try the request inline; a read with nothing queued completes
 * with -EAGAIN and the Rx path simply posts it again. From 6.4 io_uring arms
 * its internal poll for either kind of fd and the flag makes no difference
 * (checked on 6.18: no worker threads, no -EAGAIN completions in both modes).
 */
static int
rtap_tap_open(const char *name, struct ifreq *ifr)
{
	int fd = open(RTAP_TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		PMD_LOG(ERR, "cannot open %s: %s", RTAP_TUN_DEV, strerror(errno));
		return -errno;
	}

	memset(ifr, 0, sizeof(*ifr));
	ifr->ifr_flags = RTAP_TUN_FLAGS;
	rte_strlcpy(ifr->ifr_name, name, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, ifr) < 0) {
		int err = -errno;

		PMD_LOG(ERR, "TUNSETIFF %s: %s", name, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

/* An existing interface may only be reused when it is a TAP of ours. */
static int
rtap_tap_check_existing(int sock, const char *name)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };

	if (strchr(name, '%') != NULL || if_nametoindex(name) == 0)
		return 0;

	rte_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	ifr.ifr_data = (void *)&info;
	if (ioctl(sock, SIOCETHTOOL, &ifr) < 0 || strcmp(info.driver, "tun") != 0) {
		PMD_LOG(ERR, "interface %s exists and is not a TAP", name);
		return -EEXIST;
	}
	return 0;
}

int
rtap_tap_create(struct rtap_pmd *pmd, const char *name, bool persist)
{
	int vnet_hdr_len = RTAP_VNET_HDR_LEN;
	struct ifreq ifr;
	int ret;

	pmd->keep_fd = -1;
	pmd->persist = persist;
	pmd->ctl_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (pmd->ctl_sock < 0) {
		PMD_LOG(ERR, "control socket: %s", strerror(errno));
		return -errno;
	}

	ret = rtap_tap_check_existing(pmd->ctl_sock, name);
	if (ret < 0)
		goto error;

	ret = rtap_tap_open(name, &ifr);
	if (ret < 0)
		goto error;
	pmd->keep_fd = ret;
	rte_strlcpy(pmd->ifname, ifr.ifr_name, IFNAMSIZ);
	pmd->if_index = if_nametoindex(pmd->ifname);

	if (ioctl(pmd->keep_fd, TUNSETVNETHDRSZ, &vnet_hdr_len) < 0 ||
	    ioctl(pmd->keep_fd, TUNSETPERSIST, (unsigned long)persist) < 0 ||
	    ioctl(pmd->keep_fd, TUNSETOFFLOAD, 0UL) < 0) {
		ret = -errno;
		PMD_LOG(ERR, "%s: TAP setup: %s", pmd->ifname, strerror(errno));
		goto error;
	}

	/*
	 * This fd only keeps the interface alive between configurations; as an
	 * attached queue the kernel would steer frames to it that nobody reads.
	 */
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	if (ioctl(pmd->keep_fd, TUNSETQUEUE, &ifr) < 0) {
		ret = -errno;
		PMD_LOG(ERR, "%s: detach control queue: %s", pmd->ifname, strerror(errno));
		goto error;
	}
	return 0;

error:
	rtap_tap_destroy(pmd);
	return ret;
}

int
rtap_tap_open_queue(const struct rtap_pmd *pmd)
{
	char name[IFNAMSIZ];
	struct ifreq ifr;

	if (if_indextoname(pmd->if_index, name) == NULL) {
		PMD_LOG(ERR, "%s: interface is gone: %s", pmd->ifname, strerror(errno));
		return -errno;
	}
	return rtap_tap_open(name, &ifr);
}

void
rtap_tap_destroy(struct rtap_pmd *pmd)
{
	/* Without TUNSETPERSIST the kernel deletes the interface with its last fd. */
	if (pmd->keep_fd >= 0)
		close(pmd->keep_fd);
	if (pmd->ctl_sock >= 0)
		close(pmd->ctl_sock);
	pmd->keep_fd = -1;
	pmd->ctl_sock = -1;
}

int
rtap_tap_get_flags(const struct rtap_pmd *pmd, unsigned int *flags)
{
	struct ifreq ifr;
	int ret = rtap_tap_ifreq(pmd, &ifr);

	if (ret == 0)
		ret = rtap_tap_ioctl(pmd, SIOCGIFFLAGS, &ifr);
	if (ret == 0)
		*flags = (unsigned short)ifr.ifr_flags;
	return ret;
}

int
rtap_tap_set_flags(const struct rtap_pmd *pmd, unsigned int set, unsigned int clear)
{
	struct ifreq ifr;
	int ret = rtap_tap_ifreq(pmd, &ifr);

	if (ret == 0)
		ret = rtap_tap_ioctl(pmd, SIOCGIFFLAGS, &ifr);
	if (ret == 0) {
		ifr.ifr_flags = (ifr.ifr_flags | set) & ~clear;
		ret = rtap_tap_ioctl(pmd, SIOCSIFFLAGS, &ifr);
	}
	if (ret < 0)
		PMD_LOG(ERR, "%s: set flags: %s", pmd->ifname, strerror(-ret));
	return ret;
}

int
rtap_tap_get_mtu(const struct rtap_pmd *pmd, int *mtu)
{
	struct ifreq ifr;
	int ret = rtap_tap_ifreq(pmd, &ifr);

	if (ret == 0)
		ret = rtap_tap_ioctl(pmd, SIOCGIFMTU, &ifr);
	if (ret == 0)
		*mtu = ifr.ifr_mtu;
	return ret;
}

int
rtap_tap_set_mtu(const struct rtap_pmd *pmd, int mtu)
{
	struct ifreq ifr;
	int ret = rtap_tap_ifreq(pmd, &ifr);

	if (ret == 0) {
		ifr.ifr_mtu = mtu;
		ret = rtap_tap_ioctl(pmd, SIOCSIFMTU, &ifr);
	}
	if (ret < 0)
		PMD_LOG(ERR, "%s: set MTU %d: %s", pmd->ifname, mtu, strerror(-ret));
	return ret;
}

int
rtap_tap_set_mac(const struct rtap_pmd *pmd, const struct rte_ether_addr *mac)
{
	struct ifreq ifr;
	int ret = rtap_tap_ifreq(pmd, &ifr);

	if (ret == 0) {
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
		ret = rtap_tap_ioctl(pmd, SIOCSIFHWADDR, &ifr);
	}
	if (ret < 0)
		PMD_LOG(ERR, "%s: set MAC: %s", pmd->ifname, strerror(-ret));
	return ret;
}

int
rtap_tap_set_offload(int fd, unsigned int tun_offloads)
{
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_offloads) < 0) {
		PMD_LOG(ERR, "TUNSETOFFLOAD %#x: %s", tun_offloads, strerror(errno));
		return -errno;
	}
	return 0;
}
