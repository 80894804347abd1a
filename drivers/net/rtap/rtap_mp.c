/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Secondary processes.
 *
 * A secondary attaches to a port the primary created and may read it (device
 * info, link state, basic and extended statistics, queue information, which
 * is what dpdk-proc-info and telemetry use), reset its statistics, and poll
 * any of its queues: Rx and Tx bursts, queue count and descriptor status.
 * Every other operation fails with -ENOTSUP: the primary owns configure,
 * start and stop, Rx interrupts, monitoring and the filters.
 *
 * At attach the primary passes the secondary every TAP queue fd of the port
 * over the EAL IPC channel (the interface may be in a namespace the
 * secondary cannot name), RTE_MP_MAX_FD_NUM a message. Those fds also carry
 * link state and the kernel's drop counter.
 *
 * A queue's configuration and counters are shared (rtap.h, struct
 * rtap_rx_queue), so the statistics add up across processes; its io_uring
 * ring is the polling process's own. A secondary sets its ring of a queue up
 * at its first burst after each start of the queue, and gives it up at its
 * first burst after a stop: bursts return 0 in between. Its close cancels
 * what its rings still have in flight and closes its rings and fds; the
 * primary's are untouched. As everywhere in DPDK, one process polls a queue
 * at a time, the primary stops a queue only once its poller is quiet, and a
 * secondary attaches once the primary has configured the port (ethdev keeps
 * the queue array the port had at attach).
 *
 * The primary serves requests on EAL's IPC thread, from any process that can
 * reach its socket: a request is checked before it is read, and only an rtap
 * port that is not being closed lends its fds.
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

/*
 * Serialises the primary lending a port's fds with their being closed: an
 * fd closed, and maybe reused, between the lookup and the send would lend
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

/* The secondary's own: its rings, and the fds that keep a non-persistent interface alive. */
static int
rtap_secondary_close(struct rte_eth_dev *dev)
{
	rtap_rings_free(dev->data->port_id);
	rtap_proc_free(dev);
	return 0;
}

static const struct eth_dev_ops rtap_secondary_ops = {
	.dev_close		= rtap_secondary_close,
	RTAP_READ_OPS,
};

/*
 * Request: the first fd wanted (uint32_t), then the port's name with its
 * terminator ending the param. Reply: struct rtap_mp_fds_reply, and fds
 * first.. of the port's RTAP_MAX_QUEUES, as many as a message carries.
 */
#define RTAP_MP_FDS		"rtap_queue_fds"
#define RTAP_MP_NAME_OFF	sizeof(uint32_t)

struct rtap_mp_fds_reply {
	int32_t err;		/* 0, or a negative errno and no fd */
	uint32_t first;		/* as requested */
	uint32_t total;		/* fds the port has */
};

const char *
rtap_mp_req_parse(const struct rte_mp_msg *req, uint32_t *first)
{
	const char *name = (const char *)req->param + RTAP_MP_NAME_OFF;
	size_t name_len;

	if (req->len_param < (int)RTAP_MP_NAME_OFF + 2 || req->len_param > RTE_MP_MAX_PARAM_LEN ||
	    req->num_fds != 0)
		return NULL;
	name_len = req->len_param - RTAP_MP_NAME_OFF;
	if (strnlen(name, name_len) != name_len - 1)
		return NULL;
	memcpy(first, req->param, sizeof(*first));
	if (*first >= RTAP_MAX_QUEUES)
		return NULL;
	return name;
}

int
rtap_mp_reply_parse(const struct rte_mp_msg *reply, uint32_t first, uint32_t *total)
{
	struct rtap_mp_fds_reply rep;
	int i;

	if (reply->len_param != sizeof(rep) || reply->num_fds < 0 ||
	    reply->num_fds > RTE_MP_MAX_FD_NUM)
		return -EBADMSG;
	memcpy(&rep, reply->param, sizeof(rep));
	if (rep.err < 0)
		return reply->num_fds == 0 ? rep.err : -EBADMSG;
	if (rep.err != 0 || rep.first != first || rep.total == 0 ||
	    rep.total > RTAP_MAX_QUEUES || first >= rep.total ||
	    (uint32_t)reply->num_fds != RTE_MIN(rep.total - first, (uint32_t)RTE_MP_MAX_FD_NUM))
		return -EBADMSG;
	for (i = 0; i < reply->num_fds; i++)
		if (reply->fds[i] < 0)
			return -EBADMSG;
	*total = rep.total;
	return reply->num_fds;
}

/* Primary, EAL IPC thread: lend the named port's TAP fds from the one asked for. */
static int
rtap_mp_fds(const struct rte_mp_msg *req, const void *peer)
{
	struct rte_mp_msg reply = { .len_param = sizeof(struct rtap_mp_fds_reply) };
	struct rtap_mp_fds_reply rep = { .err = -EINVAL };
	const char *name = rtap_mp_req_parse(req, &rep.first);
	const struct rtap_proc *proc;
	struct rte_eth_dev *dev;
	int i, ret;

	/* A request carries no fd: any it brought would stay open here. */
	for (i = 0; i < req->num_fds && i < RTE_MP_MAX_FD_NUM; i++)
		if (req->fds[i] >= 0)
			close(req->fds[i]);
	rte_strscpy(reply.name, RTAP_MP_FDS, sizeof(reply.name));
	/* Held until the reply holds its own references to the fds (sendmsg). */
	pthread_mutex_lock(&rtap_mp_lock);
	dev = name != NULL ? rte_eth_dev_allocated(name) : NULL;
	if (name != NULL)
		rep.err = -ENODEV;
	/* Another driver's process_private is not ours to read. */
	if (dev != NULL && rtap_dev_is_rtap(dev) && dev->process_private != NULL) {
		proc = dev->process_private;
		rep.err = 0;
		rep.total = RTAP_MAX_QUEUES;
		reply.num_fds = RTE_MIN(RTAP_MAX_QUEUES - rep.first, (uint32_t)RTE_MP_MAX_FD_NUM);
		for (i = 0; i < reply.num_fds; i++)
			reply.fds[i] = proc->fds[rep.first + i];
	}
	if (rep.err < 0)
		rep.first = 0;
	memcpy(reply.param, &rep, sizeof(rep));
	ret = rte_mp_reply(&reply, peer);
	pthread_mutex_unlock(&rtap_mp_lock);
	return ret;
}

int
rtap_mp_init(void)
{
	int ret = rte_mp_action_register(RTAP_MP_FDS, rtap_mp_fds);

	/* ENOTSUP: no IPC (--in-memory), so no secondary either. */
	if (ret < 0 && rte_errno != EEXIST && rte_errno != ENOTSUP) {
		PMD_LOG(ERR, "cannot serve secondary processes: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

/*
 * Ask the primary for fds first.. of the port into fds[]: how many came, or a
 * negative errno. Whatever a malformed reply brought is closed.
 */
static int
rtap_mp_get_fds(const char *name, uint32_t first, int fds[RTAP_MAX_QUEUES], uint32_t *total)
{
	struct rte_mp_msg req = { 0 };
	struct rte_mp_reply reply = { 0 };
	struct timespec timeout = { .tv_sec = 5 };
	const struct rte_mp_msg *msg;
	size_t len = strlen(name) + 1;
	int n, i;

	rte_strscpy(req.name, RTAP_MP_FDS, sizeof(req.name));
	if (RTAP_MP_NAME_OFF + len > RTE_MP_MAX_PARAM_LEN)
		return -ENAMETOOLONG;
	req.len_param = RTAP_MP_NAME_OFF + len;
	memcpy(req.param, &first, sizeof(first));
	memcpy(req.param + RTAP_MP_NAME_OFF, name, len);
	if (rte_mp_request_sync(&req, &reply, &timeout) < 0 || reply.nb_received != 1) {
		free(reply.msgs);
		return -EIO;
	}
	msg = &reply.msgs[0];
	n = rtap_mp_reply_parse(msg, first, total);
	for (i = 0; i < msg->num_fds && i < RTE_MP_MAX_FD_NUM; i++) {
		if (n > 0)
			fds[first + i] = msg->fds[i];
		else if (msg->fds[i] >= 0)
			close(msg->fds[i]);
	}
	free(reply.msgs);
	return n;
}

int
rtap_secondary_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *dev;
	struct rtap_proc *proc;
	uint32_t first, total = 1;
	int ret = 0, i;

	proc = rte_zmalloc(name, sizeof(*proc), 0);
	if (proc == NULL)
		return -ENOMEM;
	for (i = 0; i < RTAP_MAX_QUEUES; i++)
		proc->fds[i] = -1;
	/* Several messages when the port has more fds than one carries. */
	for (first = 0; first < total; first += ret) {
		ret = rtap_mp_get_fds(name, first, proc->fds, &total);
		if (ret < 0) {
			PMD_LOG(ERR, "%s: the primary process lent no TAP fds: %s", name,
				strerror(-ret));
			rtap_tap_close(proc->fds);
			rte_free(proc);
			return ret;
		}
	}
	dev = rte_eth_dev_attach_secondary(name);
	if (dev == NULL) {
		PMD_LOG(ERR, "%s: cannot attach to the primary's port", name);
		rtap_tap_close(proc->fds);
		rte_free(proc);
		return -ENODEV;
	}
	dev->process_private = proc;
	dev->dev_ops = &rtap_secondary_ops;
	rtap_fast_ops_set(dev);
	dev->device = &vdev->device;
	rte_eth_dev_probing_finish(dev);
	return 0;
}

int
rtap_secondary_remove(struct rte_eth_dev *dev)
{
	rtap_rings_free(dev->data->port_id);
	rtap_proc_free(dev);
	return rte_eth_dev_release_port(dev);
}
