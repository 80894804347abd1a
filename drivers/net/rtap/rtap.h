/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 */

#ifndef _RTAP_H_
#define _RTAP_H_

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/uio.h>
#include <liburing.h>
#include <linux/virtio_net.h>

#include <ethdev_driver.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

extern int rtap_logtype;
#define PMD_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, rtap_logtype, "%s(): " fmt "\n", __func__, ##__VA_ARGS__)

/* Limits advertised in dev_info; see doc/guides/nics/rtap.rst. */
#define RTAP_MAX_QUEUES		16
#define RTAP_MIN_DESC		16
#define RTAP_MAX_DESC		4096
#define RTAP_DEFAULT_DESC	512
#define RTAP_MAX_SEGS		64
#define RTAP_MIN_MTU		RTE_ETHER_MIN_MTU
#define RTAP_MAX_MTU		(65535 - RTAP_FRAME_OVERHEAD)
/* Ethernet header plus a QinQ tag pair: a tagged full-MTU frame must fit. */
#define RTAP_FRAME_OVERHEAD	(RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN)
/* The largest frame the kernel hands us with a GSO (LRO) header. */
#define RTAP_GSO_MAX_FRAME	65535
/* iovecs one burst stages before it must submit; also the kernel's UIO_MAXIOV. */
#define RTAP_IOV_BATCH		1024

/* Signed, so that -RTAP_VNET_HDR_LEN is a negative offset and no pointer wraps. */
#define RTAP_VNET_HDR_LEN	((int)sizeof(struct virtio_net_hdr))

struct rtap_rx_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;	/* every frame dropped for a reason below */
	uint64_t nombuf;	/* refill allocations that failed */
	uint64_t runts;		/* shorter than an Ethernet header */
	uint64_t truncated;	/* longer than the posted buffers */
	uint64_t bad_vnet_hdr;	/* virtio-net header we cannot honour */
	uint64_t io_errors;	/* read completed with an error */
	uint64_t multiseg;	/* delivered as a chain of mbufs */
};

struct rtap_tx_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;	/* writes the kernel refused */
	uint64_t nombuf;	/* header mbufs that could not be allocated */
	uint64_t multiseg;	/* written with writev */
	uint64_t hdr_mbuf;	/* needed a chained header mbuf */
};

struct rtap_rx_queue {
	struct io_uring ring;
	struct rte_mempool *mb_pool;
	int fd;			/* TAP queue fd, set at start */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t nb_desc;	/* reads kept posted while started */
	uint16_t inflight;	/* reads posted and not yet reaped */
	uint32_t frame_size;	/* bytes a chain holds after the vnet header */
	bool started;
	bool detached;		/* the kernel interface is gone (-EBADFD) */
	uint64_t offloads;	/* RTE_ETH_RX_OFFLOAD_* enabled */
	unsigned int nb_iov;	/* iov[] entries staged for the next submit */
	bool deferred_start;
	struct rtap_rx_stats stats;
	struct iovec iov[RTAP_IOV_BATCH];
};

struct rtap_tx_queue {
	struct io_uring ring;
	int fd;			/* TAP queue fd, set at start */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t nb_desc;	/* writes allowed in flight */
	uint16_t inflight;	/* writes posted and not yet reaped */
	bool started;
	unsigned int nb_iov;	/* iov[] entries staged for the next submit */
	bool deferred_start;
	struct rtap_tx_stats stats;
	struct iovec iov[RTAP_IOV_BATCH];
};

struct rtap_pmd {
	char ifname[IFNAMSIZ];	/* as created; the operator may rename it */
	int if_index;		/* in the namespace it was last seen in */
	bool persist;
	uint16_t nb_queue_fds;	/* TAP queues attached, fds[0..n-1] */
	struct rte_ether_addr mac;
};

/*
 * process_private: this process's TAP queue fds, all opened at probe; those
 * beyond nb_queue_fds are detached from the kernel's queue set.
 */
struct rtap_proc {
	int fds[RTAP_MAX_QUEUES];
};

/* rtap_args.c: devargs */
#define RTAP_ARG_IFACE		"iface"
#define RTAP_ARG_PERSIST	"persist"
#define RTAP_ARG_MAC		"mac"
#define RTAP_DEFAULT_IFACE	"rtap%d"
#define RTAP_MAC_FIXED		"fixed"

struct rtap_args {
	char ifname[IFNAMSIZ];
	bool persist;
	bool mac_fixed;
	bool mac_given;
	struct rte_ether_addr mac;
};

int rtap_parse_args(const char *name, const char *params, struct rtap_args *args);

/* Any of the port's TAP fds reaches the kernel interface. */
static inline int
rtap_ctl_fd(const struct rte_eth_dev *dev)
{
	const struct rtap_proc *proc = dev->process_private;

	return proc->fds[0];
}

/* rtap_tap.c: the kernel side (TAP queue fds and interface ioctls) */
int rtap_tap_create(const char *name, bool persist, char ifname[IFNAMSIZ],
		    int fds[RTAP_MAX_QUEUES]);
void rtap_tap_close(int fds[RTAP_MAX_QUEUES]);
int rtap_tap_queue_attach(int fd, bool attach);
int rtap_tap_socket(int tap_fd, int domain, int type, int protocol);
int rtap_tap_name(int tap_fd, char name[IFNAMSIZ]);
int rtap_tap_ifindex(int tap_fd);
int rtap_tap_get_flags(int tap_fd, unsigned int *flags);
int rtap_tap_set_flags(int tap_fd, unsigned int set, unsigned int clear);
int rtap_tap_get_mtu(int tap_fd, int *mtu);
int rtap_tap_set_mtu(int tap_fd, int mtu);
int rtap_tap_set_mac(int tap_fd, const struct rte_ether_addr *mac);
int rtap_tap_set_offload(int tap_fd, unsigned int tun_offloads);

/*
 * Segments of seg_room bytes an Rx chain needs for frames of up to frame_size
 * bytes. One byte more than the frame: a TAP read returns only what fit, so a
 * read that filled every byte of the chain may have been cut short.
 */
static inline uint32_t
rtap_rx_chain_segs(uint32_t seg_room, uint32_t frame_size)
{
	return frame_size / seg_room + 1;
}

/* rtap_offload.c: pure conversions, unit tested */
struct rte_mbuf *rtap_rx_chain_alloc(struct rte_mempool *mp, uint32_t frame_size);
int rtap_rx_chain_trim(struct rte_mbuf *mb, uint32_t len);
int rtap_rx_offload(struct rte_mbuf *m, const struct virtio_net_hdr *hdr);
void rtap_tx_offload(struct virtio_net_hdr *hdr, const struct rte_mbuf *m);
bool rtap_tx_hdr_in_headroom(const struct rte_mbuf *m);
void rtap_fixed_mac(const char *ifname, struct rte_ether_addr *mac);

/* rtap_rxtx.c */
uint16_t rtap_rx_burst(void *queue, struct rte_mbuf **bufs, uint16_t nb_pkts);
uint16_t rtap_tx_burst(void *queue, struct rte_mbuf **bufs, uint16_t nb_pkts);
int rtap_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_rx_desc,
			unsigned int socket_id, const struct rte_eth_rxconf *rx_conf,
			struct rte_mempool *mb_pool);
int rtap_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_tx_desc,
			unsigned int socket_id, const struct rte_eth_txconf *tx_conf);
void rtap_rx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id);
void rtap_tx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id);
int rtap_rx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id);
int rtap_rx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id);
int rtap_tx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id);
int rtap_tx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id);

#endif /* _RTAP_H_ */
