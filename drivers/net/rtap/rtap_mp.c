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
 * 0 and say why once; every other operation fails with -ENOTSUP.
 */

#include <errno.h>
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

static const struct eth_dev_ops rtap_secondary_ops = {
	RTAP_READ_OPS,
};

#define RTAP_MP_CTL_FD	"rtap_ctl_fd"

/* Primary, EAL IPC thread: lend the named port's control fd. */
static int
rtap_mp_ctl_fd(const struct rte_mp_msg *req, const void *peer)
{
	struct rte_mp_msg reply = { .len_param = sizeof(int32_t) };
	struct rte_eth_dev *dev;
	int32_t err = 0;

	rte_strscpy(reply.name, RTAP_MP_CTL_FD, sizeof(reply.name));
	dev = rte_eth_dev_allocated((const char *)req->param);
	if (req->len_param < 1 || req->param[req->len_param - 1] != '\0' || dev == NULL ||
	    dev->process_private == NULL || dev->dev_ops == &rtap_secondary_ops) {
		err = -ENODEV;
	} else {
		reply.fds[0] = rtap_ctl_fd(dev);
		reply.num_fds = 1;
	}
	memcpy(reply.param, &err, sizeof(err));
	return rte_mp_reply(&reply, peer);
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
	int32_t err;
	int fd = -ENODEV;

	rte_strscpy(req.name, RTAP_MP_CTL_FD, sizeof(req.name));
	req.len_param = strlen(name) + 1;
	if (req.len_param > RTE_MP_MAX_PARAM_LEN)
		return -ENAMETOOLONG;
	memcpy(req.param, name, req.len_param);
	if (rte_mp_request_sync(&req, &reply, &timeout) < 0 || reply.nb_received != 1) {
		free(reply.msgs);
		return -EIO;
	}
	memcpy(&err, reply.msgs[0].param, sizeof(err));
	if (err == 0 && reply.msgs[0].num_fds == 1)
		fd = reply.msgs[0].fds[0];
	else if (err < 0)
		fd = err;
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
	dev->device = &vdev->device;
	rte_eth_dev_probing_finish(dev);
	return 0;
}

int
rtap_secondary_remove(struct rte_eth_dev *dev)
{
	struct rtap_proc *proc = dev->process_private;

	if (proc != NULL)
		rtap_tap_close(proc->fds);
	rte_free(proc);
	dev->process_private = NULL;
	return rte_eth_dev_release_port(dev);
}
