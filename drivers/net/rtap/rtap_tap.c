/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * The kernel side of the port: the TAP queue file descriptors and the ioctls
 * that drive the kernel interface.
 *
 * An operator may rename the interface or move it to another network namespace
 * at any time (a port's kernel side usually lives in a container's namespace).
 * So nothing here looks the interface up by a remembered name or index in our
 * own namespace: its current name comes from the TAP itself (TUNGETIFF) and
 * interface ioctls go through a socket opened in its current namespace
 * (TUNGETDEVNETNS). All queue fds are opened when the port is created, while
 * the name is still ours to resolve, and attached or detached later with
 * TUNSETQUEUE, which needs no name.
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include <rte_string_fns.h>
#include <rte_thread.h>

#include "rtap.h"

#define RTAP_TUN_DEV	"/dev/net/tun"
#define RTAP_TUN_FLAGS	(IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE)

/*
 * The fds are non-blocking because of how io_uring issues reads and writes on
 * a file without FMODE_NOWAIT, which a tun file lacks before Linux 6.4: a
 * request on a blocking fd is handed to an io-wq worker thread that sleeps in
 * read(), one kernel thread per posted read and a thread hop per write. With
 * O_NONBLOCK those kernels try the request inline; a read with nothing queued
 * completes with -EAGAIN and the Rx path posts it again. From 6.4 io_uring
 * arms its internal poll for either kind of fd and the flag makes no
 * difference (checked on 6.18: no worker threads, no -EAGAIN in both modes).
 */
static int
rtap_tap_open(const char *name, bool tun, char *actual)
{
	struct ifreq ifr = { .ifr_flags = RTAP_TUN_FLAGS | (tun ? IFF_TUN : IFF_TAP) };
	int fd = open(RTAP_TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		PMD_LOG(ERR, "cannot open %s: %s", RTAP_TUN_DEV, strerror(errno));
		return -errno;
	}
	rte_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;

		if (errno == EINVAL)
			PMD_LOG(ERR, "TUNSETIFF %s: the interface exists as another kind "
				"(a %s is asked for, multi-queue, with a vnet header)",
				name, tun ? "TUN" : "TAP");
		else
			PMD_LOG(ERR, "TUNSETIFF %s: %s", name, strerror(errno));
		close(fd);
		return err;
	}
	if (actual != NULL)
		rte_strlcpy(actual, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

/* An existing interface may only be reused when it is tun's (a TAP or a TUN). */
static int
rtap_tap_check_existing(const char *name)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };
	int sock, ret = 0;

	if (strchr(name, '%') != NULL || if_nametoindex(name) == 0)
		return 0;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rte_strlcpy(ifr.ifr_name, name, IFNAMSIZ);
	if (sock < 0 || ioctl(sock, SIOCETHTOOL, &ifr) < 0 || strcmp(info.driver, "tun") != 0) {
		PMD_LOG(ERR, "interface %s exists and is not a TAP or TUN", name);
		ret = -EEXIST;
	}
	if (sock >= 0)
		close(sock);
	return ret;
}

int
rtap_tap_create(const char *name, bool persist, bool tun, char ifname[IFNAMSIZ],
		int fds[RTAP_MAX_QUEUES])
{
	int vnet_hdr_len = RTAP_VNET_HDR_LEN;
	int i, ret;

	for (i = 0; i < RTAP_MAX_QUEUES; i++)
		fds[i] = -1;

	ret = rtap_tap_check_existing(name);
	if (ret < 0)
		return ret;

	ret = rtap_tap_open(name, tun, ifname);
	if (ret < 0)
		return ret;
	fds[0] = ret;

	if (ioctl(fds[0], TUNSETVNETHDRSZ, &vnet_hdr_len) < 0 ||
	    ioctl(fds[0], TUNSETPERSIST, (unsigned long)persist) < 0 ||
	    ioctl(fds[0], TUNSETOFFLOAD, 0UL) < 0) {
		ret = -errno;
		PMD_LOG(ERR, "%s: TAP setup: %s", ifname, strerror(errno));
		goto error;
	}

	for (i = 1; i < RTAP_MAX_QUEUES; i++) {
		ret = rtap_tap_open(ifname, tun, NULL);
		if (ret < 0)
			goto error;
		fds[i] = ret;
	}

	/* Queues are attached when the port is configured. */
	for (i = 0; i < RTAP_MAX_QUEUES; i++) {
		ret = rtap_tap_queue_attach(fds[i], false);
		if (ret < 0)
			goto error;
	}
	return 0;

error:
	rtap_tap_close(fds);
	return ret;
}

void
rtap_tap_close(int fds[RTAP_MAX_QUEUES])
{
	int i;

	/* Without TUNSETPERSIST the kernel deletes the interface with its last fd. */
	for (i = 0; i < RTAP_MAX_QUEUES; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * A detached queue keeps the interface alive but gets no frames: the kernel
 * spreads frames over attached queues only, and frames steered to a queue
 * nobody reads would be lost.
 */
int
rtap_tap_queue_attach(int fd, bool attach)
{
	struct ifreq ifr = { .ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

	if (ioctl(fd, TUNSETQUEUE, &ifr) < 0) {
		PMD_LOG(ERR, "TUNSETQUEUE %s: %s", attach ? "attach" : "detach", strerror(errno));
		return -errno;
	}
	return 0;
}

struct rtap_ns_socket {
	int ns;
	int domain;
	int type;
	int protocol;
	int ret;
};

/*
 * setns() moves only the calling thread: a thread of its own enters the
 * interface's namespace and ends there, so no thread ever has to move back.
 */
static uint32_t
rtap_ns_socket_thread(void *arg)
{
	struct rtap_ns_socket *req = arg;

	if (setns(req->ns, CLONE_NEWNET) < 0) {
		req->ret = -errno;
		return 0;
	}
	req->ret = socket(req->domain, req->type | SOCK_CLOEXEC, req->protocol);
	if (req->ret < 0)
		req->ret = -errno;
	return 0;
}

/* A socket in the network namespace the interface is in now. */
int
rtap_tap_socket(int tap_fd, int domain, int type, int protocol)
{
	struct rtap_ns_socket req = {
		.domain = domain, .type = type, .protocol = protocol, .ret = -EINVAL,
	};
	struct stat there, here;
	rte_thread_t thread;
	int ret;

	req.ns = ioctl(tap_fd, TUNGETDEVNETNS);
	if (req.ns < 0)
		return -errno;
	if (fstat(req.ns, &there) < 0 || stat("/proc/thread-self/ns/net", &here) < 0) {
		ret = -errno;
	} else if (there.st_ino == here.st_ino && there.st_dev == here.st_dev) {
		ret = socket(domain, type | SOCK_CLOEXEC, protocol);
		if (ret < 0)
			ret = -errno;
	} else {
		ret = -rte_thread_create(&thread, NULL, rtap_ns_socket_thread, &req);
		if (ret == 0) {
			rte_thread_join(thread, NULL);
			ret = req.ret;
		}
	}
	close(req.ns);
	return ret;
}

/* Issue an interface ioctl by the interface's current name in its namespace. */
static int
rtap_tap_ioctl(int tap_fd, unsigned long req, struct ifreq *ifr)
{
	struct ifreq tun = { 0 };
	int sock, ret = 0;

	if (ioctl(tap_fd, TUNGETIFF, &tun) < 0)
		return -errno;	/* -EBADFD: the interface was deleted */
	memcpy(ifr->ifr_name, tun.ifr_name, IFNAMSIZ);

	sock = rtap_tap_socket(tap_fd, AF_INET, SOCK_DGRAM, 0);
	if (sock < 0)
		return sock;
	if (ioctl(sock, req, ifr) < 0)
		ret = -errno;
	close(sock);
	return ret;
}

int
rtap_tap_name(int tap_fd, char name[IFNAMSIZ])
{
	struct ifreq ifr = { 0 };

	if (ioctl(tap_fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	rte_strlcpy(name, ifr.ifr_name, IFNAMSIZ);
	return 0;
}

int
rtap_tap_ifindex(int tap_fd)
{
	struct ifreq ifr = { 0 };
	int ret = rtap_tap_ioctl(tap_fd, SIOCGIFINDEX, &ifr);

	return ret < 0 ? ret : ifr.ifr_ifindex;
}

int
rtap_tap_get_flags(int tap_fd, unsigned int *flags)
{
	struct ifreq ifr = { 0 };
	int ret = rtap_tap_ioctl(tap_fd, SIOCGIFFLAGS, &ifr);

	if (ret == 0)
		*flags = (unsigned short)ifr.ifr_flags;
	return ret;
}

int
rtap_tap_set_flags(int tap_fd, unsigned int set, unsigned int clear)
{
	struct ifreq ifr = { 0 };
	int ret = rtap_tap_ioctl(tap_fd, SIOCGIFFLAGS, &ifr);

	if (ret == 0) {
		ifr.ifr_flags = (ifr.ifr_flags | set) & ~clear;
		ret = rtap_tap_ioctl(tap_fd, SIOCSIFFLAGS, &ifr);
	}
	if (ret < 0)
		PMD_LOG(ERR, "%s: set flags: %s", ifr.ifr_name, strerror(-ret));
	return ret;
}

int
rtap_tap_get_mtu(int tap_fd, int *mtu)
{
	struct ifreq ifr = { 0 };
	int ret = rtap_tap_ioctl(tap_fd, SIOCGIFMTU, &ifr);

	if (ret == 0)
		*mtu = ifr.ifr_mtu;
	return ret;
}

int
rtap_tap_set_mtu(int tap_fd, int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };
	int ret = rtap_tap_ioctl(tap_fd, SIOCSIFMTU, &ifr);

	if (ret < 0)
		PMD_LOG(ERR, "%s: set MTU %d: %s", ifr.ifr_name, mtu, strerror(-ret));
	return ret;
}

int
rtap_tap_get_mac(int tap_fd, struct rte_ether_addr *mac)
{
	struct ifreq ifr = { 0 };
	int ret = rtap_tap_ioctl(tap_fd, SIOCGIFHWADDR, &ifr);

	if (ret == 0)
		memcpy(mac->addr_bytes, ifr.ifr_hwaddr.sa_data, RTE_ETHER_ADDR_LEN);
	return ret;
}

int
rtap_tap_set_mac(int tap_fd, const struct rte_ether_addr *mac)
{
	struct ifreq ifr = { 0 };
	int ret;

	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	ret = rtap_tap_ioctl(tap_fd, SIOCSIFHWADDR, &ifr);
	if (ret < 0)
		PMD_LOG(ERR, "%s: set MAC: %s", ifr.ifr_name, strerror(-ret));
	return ret;
}

int
rtap_tap_set_offload(int tap_fd, unsigned int tun_offloads)
{
	if (ioctl(tap_fd, TUNSETOFFLOAD, (unsigned long)tun_offloads) < 0) {
		PMD_LOG(ERR, "TUNSETOFFLOAD %#x: %s", tun_offloads, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * Whether the kernel accepts these offloads: TUNSETOFFLOAD refuses flags it
 * does not know with EINVAL (TUN_F_USO4/6 before Linux 6.2). Leaves the
 * offloads off; each start negotiates its own.
 */
bool
rtap_tap_offload_ok(int tap_fd, unsigned int tun_offloads)
{
	bool ok = ioctl(tap_fd, TUNSETOFFLOAD, (unsigned long)tun_offloads) == 0;

	ioctl(tap_fd, TUNSETOFFLOAD, 0UL);
	return ok;
}

int
rtap_tap_get_txqlen(int tap_fd, int *qlen)
{
	struct ifreq ifr = { 0 };
	int ret = rtap_tap_ioctl(tap_fd, SIOCGIFTXQLEN, &ifr);

	if (ret == 0)
		*qlen = ifr.ifr_qlen;
	return ret;
}

/*
 * Applied to every queue's ring at once (tun_queue_resize), the interface up
 * or down; shrinking drops the frames queued beyond the new length.
 */
int
rtap_tap_set_txqlen(int tap_fd, int qlen)
{
	struct ifreq ifr = { .ifr_qlen = qlen };
	int ret = rtap_tap_ioctl(tap_fd, SIOCSIFTXQLEN, &ifr);

	if (ret < 0)
		PMD_LOG(ERR, "%s: set txqueuelen %d: %s", ifr.ifr_name, qlen, strerror(-ret));
	return ret;
}
