/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 */

#ifndef _RTAP_H_
#define _RTAP_H_

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/uio.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <liburing.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include <ethdev_driver.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_power_intrinsics.h>

#include "rtap_compat.h"

/*
 * UDP segmentation offload, Linux 6.2 uapi: older system headers lack it,
 * and the kernel is probed for it (rtap_tap_offload_ok()) whatever they say.
 */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6	0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#endif

extern int rtap_logtype;
#define RTE_LOGTYPE_RTAP rtap_logtype
#define PMD_LOG(level, ...) \
	RTE_LOG_LINE_PREFIX(level, RTAP, "%s(): ", __func__, __VA_ARGS__)

/* Limits advertised in dev_info; see doc/guides/nics/rtap.rst. */
#define RTAP_MAX_QUEUES		16
#define RTAP_MIN_DESC		16
#define RTAP_MAX_DESC		4096
#define RTAP_DEFAULT_DESC	512
#define RTAP_MAX_SEGS		64
/* Chains kept across bursts for reads that found the queue empty. */
#define RTAP_RX_SPARE		64
#define RTAP_MIN_MTU		RTE_ETHER_MIN_MTU
#define RTAP_MAX_MTU		(65535 - RTAP_FRAME_OVERHEAD)
/* Ethernet header plus a QinQ tag pair: a tagged full-MTU frame must fit. */
#define RTAP_FRAME_OVERHEAD	(RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN)
/*
 * Bytes a posted read can take for frames of at most frame_size: one more.
 * The kernel cuts a frame that does not fit and reports only what it copied,
 * so a read that fills the buffer to the last byte is known to be too long.
 */
#define RTAP_RX_CAPACITY(frame_size)	((frame_size) + 1)
/* The largest LRO packet an application may ask for (max_lro_pkt_size). */
#define RTAP_LRO_MAX_PKT	65535
/*
 * The largest frame the kernel hands us with a GSO (LRO) header: an IP
 * packet of up to 64 KB behind the Ethernet header (skbs of up to 65549
 * bytes before Linux 6.7), and the VLAN tags tun_put_user() inserts.
 */
#define RTAP_GSO_MAX_FRAME	(RTAP_LRO_MAX_PKT + RTAP_FRAME_OVERHEAD)
/* iovecs one burst stages before it must submit; also the kernel's UIO_MAXIOV. */
#define RTAP_IOV_BATCH		1024

/* Signed, so that -RTAP_VNET_HDR_LEN is a negative offset and no pointer wraps. */
#define RTAP_VNET_HDR_LEN	((int)sizeof(struct virtio_net_hdr))
/* Exact addresses the kernel's TAP filter holds (FLT_EXACT_COUNT in tun.c). */
#define RTAP_MAX_MAC_ADDRS	8
#define RTAP_MAX_MC_ADDRS	64

/* Frame size buckets of the extended stats, as other PMDs count them. */
enum {
	RTAP_SIZE_64,
	RTAP_SIZE_65_127,
	RTAP_SIZE_128_255,
	RTAP_SIZE_256_511,
	RTAP_SIZE_512_1023,
	RTAP_SIZE_1024_1522,
	RTAP_SIZE_1523_MAX,
	RTAP_SIZE_BINS
};

/* Bucket of a frame: from 65 to 1522 bytes one per power of two. */
static inline unsigned int
rtap_size_bin(uint32_t len)
{
	if (len <= 64)
		return RTAP_SIZE_64;
	if (len > 1522)
		return RTAP_SIZE_1523_MAX;
	return rte_fls_u32(len) - 6;
}

/* Offloads advertised in dev_info; see "Offloads" in doc/guides/nics/rtap.rst. */
#define RTAP_RX_CKSUM_OFFLOADS	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | \
				 RTE_ETH_RX_OFFLOAD_UDP_CKSUM | \
				 RTE_ETH_RX_OFFLOAD_TCP_CKSUM)
#define RTAP_RX_OFFLOAD_CAPA	(RTE_ETH_RX_OFFLOAD_SCATTER | RTAP_RX_CKSUM_OFFLOADS | \
				 RTE_ETH_RX_OFFLOAD_TCP_LRO | RTE_ETH_RX_OFFLOAD_RSS_HASH)
/* The RSS hash (rtap_rss.c): Toeplitz over addresses, and ports for TCP and UDP. */
#define RTAP_RSS_KEY_LEN	40
#define RTAP_RSS_TUPLE_MAX	9	/* words: two IPv6 addresses and the ports */
#define RTAP_RETA_SIZE		64	/* one rte_eth_rss_reta_entry64 */
#define RTAP_BPF_MAX_INSNS	4096	/* the steering program's longest (rtap_bpf.c) */
#define RTAP_RSS_HF	(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | \
			 RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP | \
			 RTE_ETH_RSS_NONFRAG_IPV4_OTHER | \
			 RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | \
			 RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | \
			 RTE_ETH_RSS_NONFRAG_IPV6_OTHER)
#define RTAP_TX_OFFLOAD_CAPA	(RTE_ETH_TX_OFFLOAD_MULTI_SEGS | \
				 RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | \
				 RTE_ETH_TX_OFFLOAD_UDP_CKSUM | \
				 RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
				 RTE_ETH_TX_OFFLOAD_TCP_TSO)
/* Advertised only when the kernel takes USO (struct rtap_pmd, uso). */
#define RTAP_TX_OFFLOAD_USO	RTE_ETH_TX_OFFLOAD_UDP_TSO

/*
 * Queue counters: written by the thread polling the queue, read by any thread
 * (stats, xstats, telemetry): relaxed atomics through rtap_count(), as DPDK's
 * software drivers count. rtap_stats.c reads them as arrays of these.
 */
typedef RTE_ATOMIC(uint64_t) rtap_counter_t;

struct rtap_rx_stats {
	rtap_counter_t packets;
	rtap_counter_t bytes;
	rtap_counter_t errors;	/* every frame dropped for a reason below */
	rtap_counter_t nombuf;	/* refill allocations that failed */
	rtap_counter_t runts;		/* shorter than an Ethernet (net_rtun: IPv4) header */
	rtap_counter_t oversized;	/* longer than the MTU allows (the kernel cuts them) */
	rtap_counter_t bad_vnet_hdr;	/* virtio-net header we cannot honour */
	rtap_counter_t io_errors;	/* read completed with an error */
	rtap_counter_t multiseg;	/* delivered as a chain of mbufs */
	rtap_counter_t filtered;	/* unlisted multicast the kernel's hash let pass */
	rtap_counter_t size_bins[RTAP_SIZE_BINS];	/* delivered frames by length */
};

struct rtap_tx_stats {
	rtap_counter_t packets;
	rtap_counter_t bytes;
	rtap_counter_t errors;	/* writes the kernel refused */
	rtap_counter_t nombuf;	/* header mbufs that could not be allocated */
	rtap_counter_t multiseg;	/* written with writev */
	rtap_counter_t hdr_mbuf;	/* needed a chained header mbuf */
	rtap_counter_t bad_offload;	/* offload requests the headers contradict */
	rtap_counter_t size_bins[RTAP_SIZE_BINS];	/* posted frames by length */
};

static inline void
rtap_count(rtap_counter_t *c, uint64_t n)
{
	rte_atomic_store_explicit(c, rte_atomic_load_explicit(c, rte_memory_order_relaxed) + n,
				  rte_memory_order_relaxed);
}

/*
 * A queue lives in two parts. The one ethdev holds (dev->data->rx_queues[],
 * in memory every process shares) has the configuration the primary's start
 * writes and the counters, so the statistics add up whichever process polls
 * it. Its io_uring ring and requests in flight are the polling process's own
 * (an io_uring's mappings are process-local): see struct rtap_rx_ring.
 */
struct rtap_rx_queue {
	struct rte_mempool *mb_pool;
	const struct rtap_pmd *pmd;	/* for the multicast list (rtap_filter.c) */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t nb_desc;	/* most reads one burst posts */
	/*
	 * Odd while the queue is started: a start writes the fields below, then
	 * the new generation (release), which any process's burst compares with
	 * the one its ring was set up for (acquire). Never 0 (RTAP_GEN_NONE).
	 */
	RTE_ATOMIC(uint32_t) gen;
	uint32_t frame_size;	/* the longest frame accepted, vnet header excluded */
	uint32_t min_frame;	/* shorter frames are runts */
	bool l3;		/* net_rtun: IP packets, no Ethernet header */
	uint64_t offloads;	/* RTE_ETH_RX_OFFLOAD_* enabled */
	uint64_t rss_hf;	/* flow types hashed, 0 without RTE_ETH_RX_OFFLOAD_RSS_HASH */
	uint32_t rss_key[RTAP_RSS_KEY_LEN / sizeof(uint32_t)];	/* as rte_softrss_be() takes it */
	bool deferred_start;
	struct rtap_rx_stats stats;	/* written by the polling lcore only */
	struct rtap_rx_stats stats_base;	/* stats at the last reset (rtap_stats.c) */
};

/* The part of an Rx queue that belongs to the process polling it. */
struct rtap_rx_ring {
	struct io_uring ring;
	struct rtap_rx_queue *q;
	uint32_t gen;		/* the start the ring is set up for, or RTAP_GEN_NONE */
	uint16_t inflight;	/* reads posted and not yet reaped */
	bool draining;		/* frames are queued: read without waiting */
	uint16_t drain_batch;	/* non-waiting reads the next drain posts */
	bool nowait;		/* RWF_NOWAIT reads work (tun, Linux 6.4+) */
	bool detached;		/* the kernel interface is gone (-EBADFD) */
	int fd;			/* the TAP queue fd: readv drain without nowait */
	/*
	 * Multishot Rx: one read, armed while mshot_armed, takes each frame into
	 * an mbuf of the provided-buffer ring br (buffer ID i is bufs[i]); the
	 * IDs whose mbufs were delivered wait in free_bid[] for new ones.
	 */
	bool mshot_ok;		/* the kernel has IORING_OP_READ_MULTISHOT */
	bool mshot;		/* this start reads with it */
	bool mshot_armed;
	uint16_t nb_bufs;	/* IDs in use: nb_desc */
	uint16_t nb_free;
	struct io_uring_buf_ring *br;	/* NULL while not registered */
	struct rte_mbuf **bufs;
	uint16_t *free_bid;
	struct rte_mbuf *waiting;	/* the read waiting for the next frame */
	uint16_t nb_spare;
	struct rte_mbuf *spare[RTAP_RX_SPARE];	/* chains that brought no frame */
	unsigned int nb_iov;	/* iov[] entries staged for the next submit */
	struct iovec iov[RTAP_IOV_BATCH];
};

/* Shared, as struct rtap_rx_queue. */
struct rtap_tx_queue {
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t nb_desc;	/* writes allowed in flight */
	RTE_ATOMIC(uint32_t) gen;	/* as in rtap_rx_queue */
	bool l3;		/* as in rtap_rx_queue */
	bool deferred_start;
	struct rtap_tx_stats stats;	/* written by the polling lcore only */
	struct rtap_tx_stats stats_base;	/* stats at the last reset (rtap_stats.c) */
};

/* The polling process's own, as struct rtap_rx_ring. */
struct rtap_tx_ring {
	struct io_uring ring;
	struct rtap_tx_queue *q;
	uint32_t gen;		/* as in rtap_rx_ring */
	uint16_t inflight;	/* writes posted and not yet reaped */
	unsigned int nb_iov;	/* iov[] entries staged for the next submit */
	struct iovec iov[RTAP_IOV_BATCH];
};

/*
 * Non-waiting reads the next drain posts, from how the last ones fared
 * (frames they brought, reads that found the queue empty): twice as many
 * while each brought a frame, else one more than brought frames, so a queue
 * the kernel fills slowly costs one -EAGAIN read a drain, not a burst of them.
 */
static inline uint16_t
rtap_rx_drain_next(uint16_t frames, uint16_t empty, uint16_t max)
{
	uint32_t n = empty != 0 ? frames + 1u : 2u * frames;

	n = RTE_MIN(n, (uint32_t)max);
	return RTE_MAX(1u, n);
}

/*
 * Reads the kernel may complete: requests in flight, or with multishot Rx the
 * buffers provided to the armed read (its completions included).
 */
static inline uint32_t
rtap_rx_posted(const struct rtap_rx_ring *rxr)
{
	if (!rxr->mshot)
		return rxr->inflight;
	return rxr->mshot_armed ? rxr->nb_bufs - rxr->nb_free : 0;
}

/* A ring set up for no start; no queue's generation ever is. */
#define RTAP_GEN_NONE	0u
/* A queue set up and never started. */
#define RTAP_GEN_INIT	2u

/*
 * This process's rings, by port and queue: static storage is the process's
 * own, so a burst reaches its ring from the shared queue with one load.
 */
extern struct rtap_rx_ring *rtap_rx_rings[RTE_MAX_ETHPORTS][RTAP_MAX_QUEUES];
extern struct rtap_tx_ring *rtap_tx_rings[RTE_MAX_ETHPORTS][RTAP_MAX_QUEUES];

static inline struct rtap_rx_ring *
rtap_rxr(const struct rtap_rx_queue *rxq)
{
	return rtap_rx_rings[rxq->port_id][rxq->queue_id];
}

static inline struct rtap_tx_ring *
rtap_txr(const struct rtap_tx_queue *txq)
{
	return rtap_tx_rings[txq->port_id][txq->queue_id];
}

/*
 * Multicast the kernel's filter passes, checked by Rx only when the kernel
 * had to hash some groups (check), which lets unlisted groups of the same
 * hash bins through too.
 */
struct rtap_mc_allow {
	/* Relaxed atomics: a slow reader may meet the next rewrite (rtap_rx_filtered). */
	RTE_ATOMIC(bool) check;
	RTE_ATOMIC(uint32_t) nb;
	RTE_ATOMIC(uint64_t) addr[RTAP_MAX_MAC_ADDRS + 1 + RTAP_MAX_MC_ADDRS];	/* rtap_mac_key() */
};

/* An Ethernet address as one integer, to compare and store at once. */
static inline uint64_t
rtap_mac_key(const struct rte_ether_addr *addr)
{
	uint64_t key = 0;

	memcpy(&key, addr, sizeof(*addr));
	return key;
}

struct rtap_pmd {
	char ifname[IFNAMSIZ];	/* as created; the operator may rename it */
	int if_index;		/* in the namespace it was last seen in */
	bool persist;
	bool tun;		/* net_rtun: an L3 TUN device, no Ethernet header */
	uint16_t nb_queue_fds;	/* TAP queues attached, fds[0..n-1] */
	bool removed;		/* the kernel interface was deleted */
	bool csum_partial;	/* csum=partial: the application finishes checksums */
	bool uso;		/* the kernel takes UDP GSO frames both ways (TUN_F_USO4/6) */
	uint32_t txqlen_arg;	/* txqueuelen=, 0 when sized from nb_rx_desc */
	int sqpoll_cpu;		/* sqpoll=: the CPU of the rings' SQ thread, or -1 */
	bool multishot;		/* multishot=1: multishot Rx where the kernel has it */
	int txqlen_orig;	/* the interface's txqueuelen at probe, -1 if unknown */
	bool txqlen_set;	/* changed by a start, to restore at close */
	uint64_t rss_hf;	/* the RSS configuration; queues copy it at start */
	uint8_t rss_key[RTAP_RSS_KEY_LEN];
	uint16_t reta[RTAP_RETA_SIZE];
	bool steering;		/* the TAP runs rtap's steering program */
	/*
	 * The filter (mac, the modes, the multicast list and the kernel's
	 * TUNSETTXFILTER) changes from the control thread's ops and from the
	 * interrupt thread following a MAC set from outside: under filter_lock,
	 * from reading the state to the kernel accepting the next one. The modes
	 * are the filter's own: ethdev records its flags after the op returns.
	 */
	rte_spinlock_t filter_lock;
	struct rte_ether_addr mac;
	bool promisc;
	bool allmulti;
	rtap_counter_t kernel_drops_base;	/* kernel tx_dropped at the last reset */
	uint32_t nb_mc_addrs;
	struct rte_ether_addr mc_addrs[RTAP_MAX_MC_ADDRS];	/* as the kernel has them */
	/*
	 * Rx reads mc_allow[mc_gen & 1]. The control thread fills the other one
	 * and publishes it with one release store of mc_gen (rtap_mc_allow_set).
	 */
	RTE_ATOMIC(uint32_t) mc_gen;
	struct rtap_mc_allow mc_allow[2];
};

/*
 * Whether Rx drops a frame the kernel's filter let through: only multicast
 * when the filter had to hash some groups. Runs on the polling lcore while
 * the control thread may publish a new list: a list rewritten under the scan
 * (two publications during it) shows as a changed generation, and only a
 * drop needs to be sure of it; passing a stray frame is what the kernel's
 * hash does anyway.
 */
static inline bool
rtap_rx_filtered(const struct rtap_pmd *pmd, const struct rte_mbuf *mb)
{
	const struct rte_ether_addr *dst;
	const struct rtap_mc_allow *allow;
	struct rte_ether_addr copy;
	uint32_t gen, i, nb;
	uint64_t key;

	do {
		gen = rte_atomic_load_explicit(&pmd->mc_gen, rte_memory_order_acquire);
		allow = &pmd->mc_allow[gen & 1];
		if (likely(!rte_atomic_load_explicit(&allow->check, rte_memory_order_relaxed)))
			return false;
		/* The first segment may hold less than an address (1-byte mbufs are valid). */
		dst = rte_pktmbuf_read(mb, 0, sizeof(*dst), &copy);
		if (!rte_is_multicast_ether_addr(dst))
			return false;
		key = rtap_mac_key(dst);
		nb = RTE_MIN(rte_atomic_load_explicit(&allow->nb, rte_memory_order_relaxed),
			     (uint32_t)RTE_DIM(allow->addr));
		for (i = 0; i < nb; i++) {
			if (rte_atomic_load_explicit(&allow->addr[i],
						     rte_memory_order_relaxed) == key)
				return false;
		}
		rte_atomic_thread_fence(rte_memory_order_acquire);
	} while (unlikely(rte_atomic_load_explicit(&pmd->mc_gen, rte_memory_order_relaxed) != gen));
	return true;
}

/* What a frame carries besides the IP packet (the MTU). */
static inline uint32_t
rtap_frame_overhead(const struct rtap_pmd *pmd)
{
	return pmd->tun ? 0 : RTAP_FRAME_OVERHEAD;
}

/* The shortest frame Rx delivers: an Ethernet header, or net_rtun's IPv4 header. */
static inline uint32_t
rtap_min_frame(const struct rtap_pmd *pmd)
{
	return pmd->tun ? sizeof(struct rte_ipv4_hdr) : RTE_ETHER_HDR_LEN;
}

/* An IP packet's type by its version alone (net_rtun, before any parse). */
static inline uint32_t
rtap_l3_ptype(const struct rte_mbuf *m)
{
	uint8_t version = *rte_pktmbuf_mtod(m, const uint8_t *) >> 4;

	return version == 4 ? RTE_PTYPE_L3_IPV4_EXT_UNKNOWN :
	       version == 6 ? RTE_PTYPE_L3_IPV6_EXT_UNKNOWN : RTE_PTYPE_UNKNOWN;
}

/*
 * process_private: this process's TAP queue fds, all opened at probe (a
 * secondary's lent by the primary at attach, rtap_mp.c); those beyond
 * nb_queue_fds are detached from the kernel's queue set. The rings are not
 * here but in rtap_rx_rings[] and rtap_tx_rings[]: one load from a burst.
 */
struct rtap_proc {
	int fds[RTAP_MAX_QUEUES];
	/*
	 * link_intr is rebuilt by the control thread (configure) and by the
	 * interrupt thread (following the interface to another namespace):
	 * both under link_lock, and not at all once close set link_closed.
	 */
	rte_spinlock_t link_lock;
	bool link_closed;
	struct rte_intr_handle *link_intr;	/* netlink link events, or NULL */
};

/* rtap_args.c: devargs */
#define RTAP_ARG_IFACE		"iface"
#define RTAP_ARG_PERSIST	"persist"
#define RTAP_ARG_MAC		"mac"
#define RTAP_ARG_CSUM		"csum"
#define RTAP_ARG_TXQLEN		"txqueuelen"
#define RTAP_ARG_SQPOLL		"sqpoll"
#define RTAP_ARG_MULTISHOT	"multishot"
#define RTAP_DEFAULT_IFACE	"rtap%d"
#define RTAP_DEFAULT_TUN_IFACE	"rtun%d"
#define RTAP_MAC_FIXED		"fixed"
#define RTAP_CSUM_FULL		"full"
#define RTAP_CSUM_PARTIAL	"partial"
/* The floor when the interface's own txqueuelen cannot be read (DEFAULT_TX_QUEUE_LEN). */
#define RTAP_TXQLEN_DEFAULT	1000
/* ptr_ring entries the kernel allocates per TAP queue: keep them bounded. */
#define RTAP_TXQLEN_MAX		(1u << 20)

struct rtap_args {
	bool tun;		/* net_rtun, set by the caller */
	char ifname[IFNAMSIZ];
	bool persist;
	bool mac_fixed;
	bool mac_given;
	struct rte_ether_addr mac;
	bool csum_partial;
	uint32_t txqueuelen;	/* 0: follow nb_rx_desc */
	int sqpoll_cpu;		/* the SQ thread's CPU, or -1: no SQPOLL */
	bool multishot;		/* multishot=1: multishot Rx where the kernel has it */
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
int rtap_tap_create(const char *name, bool persist, bool tun, char ifname[IFNAMSIZ],
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
int rtap_tap_get_mac(int tap_fd, struct rte_ether_addr *mac);
int rtap_tap_set_mac(int tap_fd, const struct rte_ether_addr *mac);
int rtap_tap_set_offload(int tap_fd, unsigned int tun_offloads);
bool rtap_tap_offload_ok(int tap_fd, unsigned int tun_offloads);
int rtap_tap_get_txqlen(int tap_fd, int *qlen);
int rtap_tap_set_txqlen(int tap_fd, int qlen);

/* rtap_rss.c: the RSS hash of received packets, steering and their configuration */
struct rtap_rss_types {		/* an IP version's flow types, by what follows its header */
	uint64_t any, frag, tcp, udp, other;
};
extern const struct rtap_rss_types rtap_rss_v4, rtap_rss_v6;
void rtap_rss_init(struct rtap_pmd *pmd);
int rtap_rss_configure(struct rte_eth_dev *dev);
void rtap_rss_steer_start(struct rte_eth_dev *dev);
void rtap_rss_steer_close(struct rte_eth_dev *dev);
int rtap_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *rss_conf);
int rtap_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *rss_conf);
int rtap_rss_reta_update(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta_conf,
			 uint16_t reta_size);
int rtap_rss_reta_query(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta_conf,
			uint16_t reta_size);
void rtap_rss_rxq_load(struct rtap_rx_queue *rxq, const struct rtap_pmd *pmd,
		       uint64_t offloads);
uint32_t rtap_rss_tuple(struct rte_mbuf *m, uint64_t rss_hf, bool l3, uint32_t *tuple);
void rtap_rss_hash_set(struct rte_mbuf *m, const struct rtap_rx_queue *rxq);

/* rtap_bpf.c: the RSS steering program (TUNSETSTEERINGEBPF) */
struct bpf_insn;
int rtap_bpf_steer_build(struct bpf_insn *insn, uint32_t max, bool l3, const uint8_t *key,
			 uint64_t rss_hf, const uint16_t *reta);
int rtap_bpf_steer_load(bool l3, const uint8_t *key, uint64_t rss_hf, const uint16_t *reta);
int rtap_bpf_steer_attach(int tap_fd, int prog_fd);

/* rtap_offload.c: pure conversions, unit tested */
struct rte_mbuf *rtap_rx_chain_alloc(struct rte_mempool *mp, uint32_t frame_size);
int rtap_rx_chain_trim(struct rte_mbuf *mb, uint32_t len);
unsigned int rtap_tun_offloads(uint64_t rx_offloads, bool csum_partial, bool uso);
uint32_t rtap_txqlen(uint32_t txqlen_arg, int txqlen_orig, uint16_t max_nb_rx_desc);
struct rte_net_hdr_lens;
uint32_t rtap_net_ptype(struct rte_mbuf *m, struct rte_net_hdr_lens *lens, bool l3);
int rtap_rx_offload(struct rte_mbuf *m, const struct virtio_net_hdr *hdr, uint64_t offloads,
		    bool l3);
void rtap_tx_offload(struct virtio_net_hdr *hdr, const struct rte_mbuf *m);
uint32_t rtap_tx_fix_len(const struct rte_mbuf *m);
int rtap_tx_fix_headers(uint8_t *hdrs, const struct rte_mbuf *m, struct virtio_net_hdr *hdr);
int rtap_tx_prepare_one(struct rte_mbuf *m, bool l3);
uint16_t rtap_tx_prepare(void *queue, struct rte_mbuf **bufs, uint16_t nb_pkts);
bool rtap_tx_hdr_in_headroom(const struct rte_mbuf *m);
void rtap_fixed_mac(const char *ifname, struct rte_ether_addr *mac);

/* rtap_ethdev.c */
int rtap_dev_info(struct rte_eth_dev *dev, struct rte_eth_dev_info *info);
bool rtap_dev_is_rtap(const struct rte_eth_dev *dev);

/* rtap_link.c: link state, link events (netlink) and kernel counters */
int rtap_link_update(struct rte_eth_dev *dev, int wait_to_complete);
int rtap_dev_set_link_up(struct rte_eth_dev *dev);
int rtap_dev_set_link_down(struct rte_eth_dev *dev);
int rtap_link_intr_configure(struct rte_eth_dev *dev);
void rtap_link_intr_close(struct rte_eth_dev *dev);
int rtap_link_kernel_drops(const struct rte_eth_dev *dev, uint64_t *drops);

/* One RTM_NEWLINK or RTM_DELLINK message, checked; see rtap_nl_parse(). */
struct rtap_nl_link {
	uint16_t type;
	int if_index;
	unsigned int flags;	/* IFF_* */
	bool has_mac;		/* IFLA_ADDRESS of an Ethernet address */
	bool has_stats;
	struct rte_ether_addr mac;
	struct rtnl_link_stats64 stats;
};

/* Called for each link message; non-zero stops the walk and is returned. */
typedef int (*rtap_nl_link_cb)(const struct rtap_nl_link *link, void *arg);
/*
 * Walk a netlink datagram of len bytes received from from: 0, a callback's
 * non-zero return, the error of an NLMSG_ERROR, -EPERM when the sender is not
 * the kernel. Pure; unit tested.
 */
int rtap_nl_parse(const void *buf, ssize_t len, const struct sockaddr_nl *from,
		  rtap_nl_link_cb cb, void *arg);

/* rtap_intr.c: Rx interrupts */
int rtap_rx_intr_install(struct rte_eth_dev *dev);
void rtap_rx_intr_uninstall(struct rte_eth_dev *dev);
int rtap_rx_queue_intr_enable(struct rte_eth_dev *dev, uint16_t queue_id);
int rtap_rx_queue_intr_disable(struct rte_eth_dev *dev, uint16_t queue_id);

/* rtap_stats.c: basic and extended statistics */
/* Of the type stats_get has in the DPDK built against (rtap_compat.h). */
typeof(*(eth_stats_get_t)NULL) rtap_stats_get;
int rtap_stats_reset(struct rte_eth_dev *dev);
int rtap_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n);
int rtap_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			  unsigned int size);

/* rtap_filter.c: destination filtering in the kernel (TUNSETTXFILTER) */
void rtap_mc_allow_set(struct rtap_pmd *pmd, const struct rte_ether_addr *addrs, uint32_t n,
		       bool check);
int rtap_filter_sync(struct rte_eth_dev *dev);
bool rtap_filter_follow_mac(struct rte_eth_dev *dev, const struct rte_ether_addr *addr);
int rtap_promiscuous_enable(struct rte_eth_dev *dev);
int rtap_promiscuous_disable(struct rte_eth_dev *dev);
int rtap_allmulticast_enable(struct rte_eth_dev *dev);
int rtap_allmulticast_disable(struct rte_eth_dev *dev);
int rtap_mac_addr_add(struct rte_eth_dev *dev, struct rte_ether_addr *addr, uint32_t index,
		      uint32_t vmdq);
void rtap_mac_addr_remove(struct rte_eth_dev *dev, uint32_t index);
int rtap_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr);
int rtap_set_mc_addr_list(struct rte_eth_dev *dev, struct rte_ether_addr *mc_addrs,
			  uint32_t nb_mc_addrs);

/* The operations a secondary may use too: they read the port or reset its counters. */
#define RTAP_READ_OPS \
	.dev_infos_get		= rtap_dev_info, \
	.link_update		= rtap_link_update, \
	.stats_get		= rtap_stats_get, \
	.stats_reset		= rtap_stats_reset, \
	.xstats_get		= rtap_xstats_get, \
	.xstats_get_names	= rtap_xstats_get_names, \
	.xstats_reset		= rtap_stats_reset, \
	.rss_hash_conf_get	= rtap_rss_hash_conf_get, \
	.reta_query		= rtap_rss_reta_query, \
	.rxq_info_get		= rtap_rxq_info_get, \
	.txq_info_get		= rtap_txq_info_get, \
	.rx_burst_mode_get	= rtap_rx_burst_mode_get, \
	.tx_burst_mode_get	= rtap_tx_burst_mode_get

/* rtap_info.c: queue and burst-mode information */
void rtap_rxq_info_get(struct rte_eth_dev *dev, uint16_t queue_id,
		       struct rte_eth_rxq_info *qinfo);
void rtap_txq_info_get(struct rte_eth_dev *dev, uint16_t queue_id,
		       struct rte_eth_txq_info *qinfo);
int rtap_rx_burst_mode_get(struct rte_eth_dev *dev, uint16_t queue_id,
			   struct rte_eth_burst_mode *mode);
int rtap_tx_burst_mode_get(struct rte_eth_dev *dev, uint16_t queue_id,
			   struct rte_eth_burst_mode *mode);
rtap_rx_queue_count_t rtap_rx_queue_count(void *queue);
int rtap_rx_descriptor_status(void *queue, uint16_t offset);
int rtap_tx_descriptor_status(void *queue, uint16_t offset);

/* rtap_mp.c: secondary processes */
struct rte_vdev_device;
int rtap_mp_init(void);
int rtap_secondary_probe(struct rte_vdev_device *vdev);
int rtap_secondary_remove(struct rte_eth_dev *dev);
/* Close this process's fds of the port, not while the primary lends them. */
void rtap_proc_free(struct rte_eth_dev *dev);
/*
 * The port name a request for TAP fds names, and in first the first fd it
 * wants; NULL if malformed. Pure.
 */
const char *rtap_mp_req_parse(const struct rte_mp_msg *req, uint32_t *first);
/*
 * How many fds a reply to a request for fds first.. lends, with the port's
 * total in total, or a negative errno (-EBADMSG if malformed). Pure.
 */
int rtap_mp_reply_parse(const struct rte_mp_msg *reply, uint32_t first, uint32_t *total);

/* Complete the requests the kernel flagged as ready (IORING_SETUP_TASKRUN_FLAG). */
static inline void
rtap_ring_run_tasks(struct io_uring *ring)
{
	if (unlikely(IO_URING_READ_ONCE(*ring->sq.kflags) & IORING_SQ_TASKRUN))
		io_uring_get_events(ring);
}

/* rtap_rxtx.c */
/*
 * A start publishes the queue's configuration with its generation (release)
 * to the thread polling it, in whichever process (acquire). A stop relies on
 * the application: the queue is quiet by then.
 */
#define RTAP_QUEUE_GEN(q) \
	rte_atomic_load_explicit(&(q)->gen, rte_memory_order_acquire)
#define RTAP_QUEUE_STARTED(q)	((RTAP_QUEUE_GEN(q) & 1) != 0)
/* Whether this process's ring is set up for its queue's current start. */
static inline bool
rtap_rxr_ready(const struct rtap_rx_ring *rxr)
{
	return rxr->gen == RTAP_QUEUE_GEN(rxr->q);
}

static inline bool
rtap_txr_ready(const struct rtap_tx_ring *txr)
{
	return txr->gen == RTAP_QUEUE_GEN(txr->q);
}
uint16_t rtap_rx_burst(void *queue, struct rte_mbuf **bufs, uint16_t nb_pkts);
uint16_t rtap_tx_burst(void *queue, struct rte_mbuf **bufs, uint16_t nb_pkts);
int rtap_tx_done_cleanup(void *queue, uint32_t free_cnt);
int rtap_get_monitor_addr(void *queue, struct rte_power_monitor_cond *pmc);
int rtap_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_rx_desc,
			unsigned int socket_id, const struct rte_eth_rxconf *rx_conf,
			struct rte_mempool *mb_pool);
int rtap_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_tx_desc,
			unsigned int socket_id, const struct rte_eth_txconf *tx_conf);
void rtap_rx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id);
void rtap_tx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id);
bool rtap_rx_arm(struct rtap_rx_ring *rxr);
/* Free this process's rings of the port (a secondary's close). */
void rtap_rings_free(uint16_t port_id);
int rtap_sqpoll_check(const char *name, int cpu);
int rtap_rx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id);
void rtap_fast_ops_set(struct rte_eth_dev *dev);
int rtap_rx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id);
int rtap_tx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id);
int rtap_tx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id);

#endif /* _RTAP_H_ */
