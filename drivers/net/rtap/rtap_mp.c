/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Secondary processes.
 *
 * A secondary attaches to the port the primary created and may read it:
 * device info, link state, basic and extended statistics (the counters live in
 * the queues, in shared memory), and reset the statistics; dpdk-proc-info and
 * telemetry use nothing else. Link state and the kernel's drop counter are
 * read through a TAP fd the primary passes over the EAL IPC channel (the
 * interface may be in a namespace the secondary cannot name).
 *
 * Rx and Tx are refused: the queues' io_uring rings live in the primary (a
 * ring cannot be shared between processes). The bursts of a secondary return
 * 0 and say why once; close releases the lent fd; every other operation fails
 * with -ENOTSUP.
 *
 * The primary serves requests on EAL's IPC thread, from any process that can
 * reach its socket: a request is checked before it is read, and only an rtap
 * port that is not being closed lends its fd.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_malloc.h>
#include <rte_string_fns.h>

#include "rtap.h"

static inline void
rtap_secondary_refuse(void)
{
	static bool logged;

	if (!logged) {
		logged = true;
		PMD_LOG(ERR, "Rx/Tx from a secondary process is not supported: "
			"the TAP queues and io_uring rings belong to the primary");
	}
}

/* Both directions: the same signature and the same refusal. */
static uint16_t
rtap_secondary_burst(void *queue __rte_unused, struct rte_mbuf **bufs __rte_unused,
		     uint16_t nb_pkts __rte_unused)
{
	rtap_secondary_refuse();
	return 0;
}

/*
 * The rings are mapped in the primary only. Since 25.11 ethdev calls these
 * ops without checking for NULL, so a secondary must have them.
 */
static rtap_rx_queue_count_t
rtap_secondary_queue_count(void *queue __rte_unused)
{
	return (rtap_rx_queue_count_t)-ENOTSUP;
}

static int
rtap_secondary_descriptor_status(void *queue __rte_unused, uint16_t offset __rte_unused)
{
	return -ENOTSUP;
}

/*
 * Serialises the primary lending a port's fd with the port's fds being closed:
 * an fd closed, and maybe reused, between the lookup and the send would lend
 * whatever it has become.
 */
static pthread_mutex_t rtap_mp_lock = PTHREAD_MUTEX_INITIALIZER;

void
rtap_proc_free(struct rte_eth_dev *dev)
{
	struct rtap_proc *proc = dev->process_private;

	pthread_mutex_lock(&rtap_mp_lock);
	dev->process_private = NULL;
	pthread_mutex_unlock(&rtap_mp_lock);
	if (proc != NULL)
		rtap_tap_close(proc->fds);
	rte_free(proc);
}

/* The secondary's own: the lent fd keeps a non-persistent interface alive. */
static int
rtap_secondary_close(struct rte_eth_dev *dev)
{
	rtap_proc_free(dev);
	return 0;
}

static const struct eth_dev_ops rtap_secondary_ops = {
	.dev_close		= rtap_secondary_close,
	RTAP_READ_OPS,
};

#define RTAP_MP_CTL_FD	"rtap_ctl_fd"

const char *
rtap_mp_req_name(const struct rte_mp_msg *req)
{
	const char *name = (const char *)req->param;

	if (req->len_param < 2 || req->len_param > RTE_MP_MAX_PARAM_LEN ||
	    req->num_fds != 0 || strnlen(name, req->len_param) != (size_t)req->len_param - 1)
		return NULL;
	return name;
}

int
rtap_mp_reply_fd(const struct rte_mp_msg *reply)
{
	int32_t err;

	if (reply->len_param != sizeof(err) || reply->num_fds < 0 ||
	    reply->num_fds > RTE_MP_MAX_FD_NUM)
		return -EBADMSG;
	memcpy(&err, reply->param, sizeof(err));
	if (err == 0 && reply->num_fds == 1 && reply->fds[0] >= 0)
		return reply->fds[0];
	if (err < 0 && reply->num_fds == 0)
		return err;
	return -EBADMSG;
}

/* Primary, EAL IPC thread: lend the named port's control fd. */
static int
rtap_mp_ctl_fd(const struct rte_mp_msg *req, const void *peer)
{
	struct rte_mp_msg reply = { .len_param = sizeof(int32_t) };
	const char *name = rtap_mp_req_name(req);
	struct rte_eth_dev *dev;
	int32_t err = name == NULL ? -EINVAL : -ENODEV;
	int i, ret;

	/* A request carries no fd: any it brought would stay open here. */
	for (i = 0; i < req->num_fds && i < RTE_MP_MAX_FD_NUM; i++)
		if (req->fds[i] >= 0)
			close(req->fds[i]);
	rte_strscpy(reply.name, RTAP_MP_CTL_FD, sizeof(reply.name));
	/* Held until the reply holds its own reference to the fd (sendmsg). */
	pthread_mutex_lock(&rtap_mp_lock);
	dev = name != NULL ? rte_eth_dev_allocated(name) : NULL;
	/* Another driver's process_private is not ours to read. */
	if (dev != NULL && rtap_dev_is_rtap(dev) && dev->process_private != NULL) {
		reply.fds[0] = rtap_ctl_fd(dev);
		reply.num_fds = 1;
		err = 0;
	}
	memcpy(reply.param, &err, sizeof(err));
	ret = rte_mp_reply(&reply, peer);
	pthread_mutex_unlock(&rtap_mp_lock);
	return ret;
}

int
rtap_mp_init(void)
{
	int ret = rte_mp_action_register(RTAP_MP_CTL_FD, rtap_mp_ctl_fd);

	/* ENOTSUP: no IPC (--in-memory), so no secondary either. */
	if (ret < 0 && rte_errno != EEXIST && rte_errno != ENOTSUP) {
		PMD_LOG(ERR, "cannot serve secondary processes: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static int
rtap_mp_get_ctl_fd(const char *name)
{
	struct rte_mp_msg req = { 0 };
	struct rte_mp_reply reply = { 0 };
	struct timespec timeout = { .tv_sec = 5 };
	const struct rte_mp_msg *msg;
	int fd, i;

	rte_strscpy(req.name, RTAP_MP_CTL_FD, sizeof(req.name));
	req.len_param = strlen(name) + 1;
	if (req.len_param > RTE_MP_MAX_PARAM_LEN)
		return -ENAMETOOLONG;
	memcpy(req.param, name, req.len_param);
	if (rte_mp_request_sync(&req, &reply, &timeout) < 0 || reply.nb_received != 1) {
		free(reply.msgs);
		return -EIO;
	}
	msg = &reply.msgs[0];
	fd = rtap_mp_reply_fd(msg);
	/* Whatever else came along is ours to close. */
	for (i = 0; i < msg->num_fds && i < RTE_MP_MAX_FD_NUM; i++)
		if (msg->fds[i] >= 0 && msg->fds[i] != fd)
			close(msg->fds[i]);
	free(reply.msgs);
	return fd;
}

int
rtap_secondary_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *dev;
	struct rtap_proc *proc;
	int fd, i;

	fd = rtap_mp_get_ctl_fd(name);
	if (fd < 0) {
		PMD_LOG(ERR, "%s: the primary process lent no TAP fd: %s", name, strerror(-fd));
		return fd;
	}
	proc = rte_zmalloc(name, sizeof(*proc), 0);
	dev = rte_eth_dev_attach_secondary(name);
	if (proc == NULL || dev == NULL) {
		PMD_LOG(ERR, "%s: cannot attach to the primary's port", name);
		if (dev != NULL)
			rte_eth_dev_release_port(dev);
		rte_free(proc);
		close(fd);
		return -ENODEV;
	}
	for (i = 0; i < RTAP_MAX_QUEUES; i++)
		proc->fds[i] = -1;
	proc->fds[0] = fd;
	dev->process_private = proc;
	dev->dev_ops = &rtap_secondary_ops;
	dev->rx_pkt_burst = rtap_secondary_burst;
	dev->tx_pkt_burst = rtap_secondary_burst;
	dev->rx_queue_count = rtap_secondary_queue_count;
	dev->rx_descriptor_status = rtap_secondary_descriptor_status;
	dev->tx_descriptor_status = rtap_secondary_descriptor_status;
	dev->device = &vdev->device;
	rte_eth_dev_probing_finish(dev);
	return 0;
}

int
rtap_secondary_remove(struct rte_eth_dev *dev)
{
	rtap_proc_free(dev);
	return rte_eth_dev_release_port(dev);
}
