/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Rx and Tx through io_uring.
 *
 * Rx reads each frame into its own (possibly chained) mbuf with the
 * virtio-net header landing in the headroom: one read waits in the kernel
 * while the queue is idle, and a busy queue is drained with batches of
 * non-waiting reads, at most nb_desc a burst (see rtap_rx_burst). A read
 * that brings no frame keeps its mbuf for the next one; mbufs the pool could
 * not give are asked for again on the next burst, so nothing shrinks for good.
 *
 * Tx writes each packet with the virtio-net header in front of it: in the
 * headroom when that is ours to write, else in a chained header mbuf. A burst
 * first reaps the writes the kernel has completed, so at most nb_desc packets
 * are ever held, then posts and submits once.
 *
 * Chains are read and written with readv/writev. Their iovecs are staged in
 * the ring and reused only once the kernel has consumed every submission
 * (io_uring copies iovecs at submit, IORING_FEAT_SUBMIT_STABLE).
 *
 * Each process that polls a queue has its own ring of it (struct
 * rtap_rx_ring, rtap_tx_ring); the queue ethdev holds is shared and counts.
 * The primary's rings follow its starts and stops; a secondary's follow them
 * at its bursts (rtap_rx_ring_follow()).
 */

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "rtap.h"

/*
 * A queue's TAP fd is its ring's registered file 0: requests then skip the
 * fd table lookup and the file reference count, shared by all our threads.
 * A stop that leaves requests in flight (see rtap_ring_cancel()) empties the
 * slot instead of unregistering the table, which on kernels before 6.4 waits
 * for them; the next start fills it again.
 */
#define RTAP_RING_FD	0

static int
rtap_ring_set_fd(struct io_uring *ring, int fd)
{
	int ret = io_uring_register_files_update(ring, RTAP_RING_FD, &fd, 1);

	if (ret == -ENXIO)
		ret = io_uring_register_files(ring, &fd, 1);
	if (ret < 0) {
		PMD_LOG(ERR, "registering the TAP fd with io_uring: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/* An idle ring's table goes at once, and with it the file's reference. */
static void
rtap_ring_clear_fd(struct io_uring *ring, uint16_t inflight)
{
	int no_fd = -1;

	if (inflight == 0)
		io_uring_unregister_files(ring);
	else
		io_uring_register_files_update(ring, RTAP_RING_FD, &no_fd, 1);
}

static struct rtap_rx_ring *rtap_rx_ring_follow(struct rtap_rx_queue *rxq);
static struct rtap_tx_ring *rtap_tx_ring_follow(struct rtap_tx_queue *txq);

/* How long a stop waits for the completions of what it cancels. */
#define RTAP_CANCEL_WAIT_MS	20

/*
 * Submit what is staged. The iovecs are free again once the kernel has
 * consumed every SQE: at once without SQPOLL, whenever its thread got to
 * them with it.
 */
static inline void
rtap_ring_submit(struct io_uring *ring, unsigned int *nb_iov)
{
	if (io_uring_sq_ready(ring) != 0)
		io_uring_submit(ring);
	if (io_uring_sq_ready(ring) == 0)
		*nb_iov = 0;
}

/*
 * The iovecs of a chain, the first starting at the virtio-net header: Rx
 * reads into each segment's tailroom, Tx writes its data. There are nb_segs
 * of them, and the request tells the kernel as many, so a chain whose ->next
 * links disagree with nb_segs (sent without tx_prepare) is refused before
 * anything past them is written: -EINVAL.
 */
static inline int
rtap_iov_fill(struct iovec *v, struct rte_mbuf *mb, void *hdr, uint32_t first_len, bool rx)
{
	const uint16_t nb_segs = mb->nb_segs;
	struct rte_mbuf *seg;
	uint16_t i;

	v[0].iov_base = hdr;
	v[0].iov_len = first_len;
	for (i = 1, seg = mb->next; seg != NULL && i < nb_segs; i++, seg = seg->next) {
		v[i].iov_base = rte_pktmbuf_mtod(seg, void *);
		v[i].iov_len = rx ? rte_pktmbuf_tailroom(seg) : seg->data_len;
	}
	if (unlikely(seg != NULL || i != nb_segs))
		return -EINVAL;
	return i;
}

/*
 * Stage the iovecs of a chain for the next submit (rtap_iov_fill()): -EINVAL
 * for a chain whose links lie, -EBUSY when the staging area is full and
 * cannot be flushed.
 */
static inline int
rtap_iov_stage(struct io_uring *ring, struct iovec *iov, unsigned int *nb_iov,
	       struct rte_mbuf *mb, void *hdr, uint32_t first_len, bool rx,
	       struct iovec **staged)
{
	struct iovec *v;
	int n;

	if (*nb_iov + mb->nb_segs > RTAP_IOV_BATCH) {
		rtap_ring_submit(ring, nb_iov);
		if (*nb_iov != 0)
			return -EBUSY;
	}
	v = &iov[*nb_iov];
	n = rtap_iov_fill(v, mb, hdr, first_len, rx);
	if (unlikely(n < 0))
		return n;
	*nb_iov += n;
	*staged = v;
	return 0;
}

/* A chain to read into: a spare one if any, else a fresh one. */
static inline struct rte_mbuf *
rtap_rx_get(struct rtap_rx_ring *rxr)
{
	struct rte_mbuf *mb;

	if (rxr->nb_spare > 0)
		return rxr->spare[--rxr->nb_spare];
	mb = rtap_rx_chain_alloc(rxr->q->mb_pool, RTAP_RX_CAPACITY(rxr->q->frame_size));
	if (unlikely(mb == NULL))
		rtap_count(&rxr->q->stats.nombuf, 1);
	return mb;
}

/* Keep a chain that brought no frame, untouched, for the next read. */
static inline void
rtap_rx_put(struct rtap_rx_ring *rxr, struct rte_mbuf *mb)
{
	if (rxr->nb_spare < RTAP_RX_SPARE)
		rxr->spare[rxr->nb_spare++] = mb;
	else
		rte_pktmbuf_free(mb);
}

/*
 * Post one read into mb; the caller submits. A RWF_NOWAIT read completes
 * within the submit, with -EAGAIN once the kernel queue is empty; any other
 * read waits in the kernel's poll for the next frame.
 */
static inline int
rtap_rx_post(struct rtap_rx_ring *rxr, struct rte_mbuf *mb, bool nowait)
{
	void *hdr = rte_pktmbuf_mtod_offset(mb, void *, -RTAP_VNET_HDR_LEN);
	uint32_t len = RTAP_VNET_HDR_LEN + rte_pktmbuf_tailroom(mb);
	struct iovec *iov = NULL;
	struct io_uring_sqe *sqe;

	if (mb->nb_segs > 1) {
		if (unlikely(rtap_iov_stage(&rxr->ring, rxr->iov, &rxr->nb_iov, mb, hdr, len,
					    true, &iov) < 0))
			return -EBUSY;
	}
	sqe = io_uring_get_sqe(&rxr->ring);
	if (unlikely(sqe == NULL))
		return -ENOSPC;

	if (iov == NULL)
		io_uring_prep_read(sqe, RTAP_RING_FD, hdr, len, 0);
	else
		io_uring_prep_readv(sqe, RTAP_RING_FD, iov, mb->nb_segs, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->rw_flags = nowait ? RWF_NOWAIT : 0;
	io_uring_sqe_set_data(sqe, mb);
	rxr->inflight++;
	return 0;
}

/* Post a read into a spare or fresh chain: the chain, or NULL when none. */
static inline struct rte_mbuf *
rtap_rx_post_chain(struct rtap_rx_ring *rxr, bool nowait)
{
	struct rte_mbuf *mb = rtap_rx_get(rxr);

	if (unlikely(mb == NULL))
		return NULL;
	if (unlikely(rtap_rx_post(rxr, mb, nowait) < 0)) {
		rtap_rx_put(rxr, mb);
		return NULL;
	}
	return mb;
}

/* Post the read that waits for the next frame while the queue is idle. */
static void
rtap_rx_wait(struct rtap_rx_ring *rxr)
{
	rxr->waiting = rtap_rx_post_chain(rxr, false);
	rtap_ring_submit(&rxr->ring, &rxr->nb_iov);
}

/*
 * Read up to n frames already queued in the kernel, all within one submit
 * (without SQPOLL; its thread completes them by a later burst). Reads in
 * flight stay within nb_desc, so the CQ has room for all.
 */
static void
rtap_rx_read_queued(struct rtap_rx_ring *rxr, uint16_t n)
{
	uint16_t room = rxr->q->nb_desc > rxr->inflight ? rxr->q->nb_desc - rxr->inflight : 0;

	room = RTE_MIN(room, rxr->drain_batch);
	n = RTE_MIN(n, room);
	while (n-- > 0 && rtap_rx_post_chain(rxr, true) != NULL)
		;
	rtap_ring_submit(&rxr->ring, &rxr->nb_iov);
}

/* A read that brought no frame; its chain is intact and is kept. */
static void
rtap_rx_drop(struct rtap_rx_ring *rxr, struct rte_mbuf *mb, int32_t res)
{
	/*
	 * Any failed read ends the drain: -EAGAIN means the kernel queue is
	 * empty, and an error would come back on every read of the next burst
	 * too. The waiting read takes over and brings the next frame.
	 */
	if (res < 0)
		rxr->draining = false;
	if (res == -EAGAIN || res == -ECANCELED) {
		/* Not errors: the queue is empty, or the thread that posted it exited. */
	} else if (res == -EBADFD || res == -EBADF) {
		/* The kernel interface was deleted: reading again would spin. */
		rxr->detached = true;
		rtap_count(&rxr->q->stats.io_errors, 1);
		rtap_count(&rxr->q->stats.errors, 1);
	} else {
		if (res < 0)
			rtap_count(&rxr->q->stats.io_errors, 1);
		else if (res < RTAP_VNET_HDR_LEN + (int32_t)rxr->q->min_frame)
			rtap_count(&rxr->q->stats.runts, 1);
		else
			rtap_count(&rxr->q->stats.oversized, 1);
		rtap_count(&rxr->q->stats.errors, 1);
	}
	rtap_rx_put(rxr, mb);
}

/* Turn a completed read into a packet; false when the frame is dropped. */
static inline bool
rtap_rx_complete(struct rtap_rx_ring *rxr, struct rte_mbuf *mb, int32_t res)
{
	const struct virtio_net_hdr *hdr =
		rte_pktmbuf_mtod_offset(mb, const void *, -RTAP_VNET_HDR_LEN);

	if (unlikely(res < RTAP_VNET_HDR_LEN + (int32_t)rxr->q->min_frame) ||
	    unlikely((uint32_t)res - RTAP_VNET_HDR_LEN > rxr->q->frame_size) ||
	    unlikely(rtap_rx_chain_trim(mb, res - RTAP_VNET_HDR_LEN) < 0)) {
		rtap_rx_drop(rxr, mb, res);
		return false;
	}

	if (rxr->q->l3)
		mb->packet_type = rtap_l3_ptype(mb);
	if (unlikely(rtap_rx_offload(mb, hdr, rxr->q->offloads, rxr->q->l3) < 0)) {
		rtap_count(&rxr->q->stats.bad_vnet_hdr, 1);
		rtap_count(&rxr->q->stats.errors, 1);
		rte_pktmbuf_free(mb);
		return false;
	}
	if (unlikely(rtap_rx_filtered(rxr->q->pmd, mb))) {
		rtap_count(&rxr->q->stats.filtered, 1);
		rte_pktmbuf_free(mb);
		return false;
	}
	if (rxr->q->rss_hf != 0)
		rtap_rss_hash_set(mb, rxr->q);
	mb->port = rxr->q->port_id;
	return true;
}

static inline uint16_t
rtap_rx_reap(struct rtap_rx_ring *rxr, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
	struct io_uring_cqe *cqe;
	unsigned int head, nb_cqe = 0;
	uint16_t nb_rx = 0, drained = 0, empty = 0;

	io_uring_for_each_cqe(&rxr->ring, head, cqe) {
		struct rte_mbuf *mb = io_uring_cqe_get_data(cqe);

		if (nb_rx == nb_pkts)
			break;
		nb_cqe++;
		if (mb == rxr->waiting) {
			/* A frame came: read what follows it without waiting. */
			rxr->waiting = NULL;
			rxr->draining = true;
		} else if (cqe->res > 0) {
			drained++;
		} else {
			empty++;
		}
		if (rtap_rx_complete(rxr, mb, cqe->res))
			bufs[nb_rx++] = mb;
	}
	io_uring_cq_advance(&rxr->ring, nb_cqe);
	rxr->inflight -= nb_cqe;
	if (drained + empty != 0)
		rxr->drain_batch = rtap_rx_drain_next(drained, empty, rxr->q->nb_desc);
	return nb_rx;
}

/*
 * Multishot Rx (Linux 6.7, where tun has FMODE_NOWAIT): one read takes every
 * frame the kernel queues into the next mbuf of the ring's provided-buffer
 * ring, each completion naming the buffer it filled. The kernel reads as
 * completion work, which with cooperative task running happens in the
 * burst's rtap_ring_run_tasks(): no SQE a frame, no read that finds the
 * queue empty, no waiting read to re-post. It ends when the buffers run out
 * (-ENOBUFS; the frames stay queued in the kernel) or on an error, and is
 * armed again once there are buffers. Frames larger than one mbuf (scatter,
 * LRO) are read as before.
 */
#define RTAP_OP_READ_MULTISHOT	49	/* Linux 6.7 uapi; liburing 2.5 names it */
#define RTAP_MSHOT_BGID		0	/* each ring has its own buffer groups */
/* The user data of the multishot read: not an mbuf (rtap_ring_collect()). */
#define RTAP_MSHOT_TAG		((void *)(uintptr_t)1)

static inline uint16_t
rtap_br_mask(const struct rtap_rx_ring *rxr)
{
	return io_uring_buf_ring_mask(rte_align32pow2(rxr->nb_bufs));
}

/* Fresh mbufs one refill takes from the pool at once: a few bursts' worth. */
#define RTAP_RX_FILL_BULK	64

/*
 * Provide an mbuf for each free buffer ID, as long as the pool gives them:
 * the spares first, else in bulk, else one by one (rtap_rx_get() counts what
 * the pool refuses).
 */
static void
rtap_rx_mshot_fill(struct rtap_rx_ring *rxr)
{
	struct rte_mbuf *fresh[RTAP_RX_FILL_BULK];
	uint16_t mask = rtap_br_mask(rxr);
	uint16_t nb_fresh = 0, i = 0;
	int n = 0;

	if (rxr->nb_free > rxr->nb_spare) {
		nb_fresh = RTE_MIN(rxr->nb_free - rxr->nb_spare, RTAP_RX_FILL_BULK);
		if (rte_pktmbuf_alloc_bulk(rxr->q->mb_pool, fresh, nb_fresh) != 0)
			nb_fresh = 0;
	}
	while (rxr->nb_free > 0) {
		struct rte_mbuf *mb = i < nb_fresh ? fresh[i++] : rtap_rx_get(rxr);
		uint16_t bid;

		if (unlikely(mb == NULL))
			break;
		bid = rxr->free_bid[--rxr->nb_free];
		rxr->bufs[bid] = mb;
		io_uring_buf_ring_add(rxr->br,
				      rte_pktmbuf_mtod_offset(mb, void *, -RTAP_VNET_HDR_LEN),
				      RTAP_VNET_HDR_LEN + rte_pktmbuf_tailroom(mb), bid, mask, n++);
	}
	if (n > 0)
		io_uring_buf_ring_advance(rxr->br, n);
}

/*
 * Arm the multishot read once it has buffers to read into. Only the polling
 * thread fills and arms: a queue never polled holds no mbufs.
 */
static void
rtap_rx_mshot_arm(struct rtap_rx_ring *rxr)
{
	struct io_uring_sqe *sqe;

	rtap_rx_mshot_fill(rxr);
	if (rxr->nb_free == rxr->nb_bufs)
		return;
	sqe = io_uring_get_sqe(&rxr->ring);
	if (unlikely(sqe == NULL))
		return;
	io_uring_prep_rw(RTAP_OP_READ_MULTISHOT, sqe, RTAP_RING_FD, NULL, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = RTAP_MSHOT_BGID;
	io_uring_sqe_set_data(sqe, RTAP_MSHOT_TAG);
	rxr->inflight++;
	rxr->mshot_armed = true;
	io_uring_submit(&rxr->ring);
}

/* The multishot read ended without a frame: why, and whether to arm it again. */
static void
rtap_rx_mshot_end(struct rtap_rx_ring *rxr, int32_t res)
{
	if (res == -ENOBUFS || res == -ECANCELED || res >= 0)
		return;		/* out of buffers, the thread that armed it exited */
	if (res == -EBADFD || res == -EBADF)
		rxr->detached = true;
	rtap_count(&rxr->q->stats.io_errors, 1);
	rtap_count(&rxr->q->stats.errors, 1);
}

static inline uint16_t
rtap_rx_mshot_reap(struct rtap_rx_ring *rxr, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
	struct io_uring_cqe *cqe;
	unsigned int head, nb_cqe = 0;
	uint16_t nb_rx = 0;

	io_uring_for_each_cqe(&rxr->ring, head, cqe) {
		struct rte_mbuf *mb;
		uint16_t bid;

		if (nb_rx == nb_pkts)
			break;
		nb_cqe++;
		if (unlikely(!(cqe->flags & IORING_CQE_F_MORE))) {
			rxr->mshot_armed = false;
			rxr->inflight--;
		}
		if (unlikely(!(cqe->flags & IORING_CQE_F_BUFFER))) {
			rtap_rx_mshot_end(rxr, cqe->res);
			continue;
		}
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		mb = rxr->bufs[bid];
		rxr->bufs[bid] = NULL;
		rxr->free_bid[rxr->nb_free++] = bid;
		if (rtap_rx_complete(rxr, mb, cqe->res))
			bufs[nb_rx++] = mb;
	}
	io_uring_cq_advance(&rxr->ring, nb_cqe);
	if (unlikely(!rxr->mshot_armed)) {
		if (likely(!rxr->detached))
			rtap_rx_mshot_arm(rxr);
	} else {
		rtap_rx_mshot_fill(rxr);
	}
	return nb_rx;
}

/*
 * Give back the mbufs of the buffer ring and unregister it, once the
 * multishot read is no longer in flight (the kernel may write them until it
 * completes).
 */
static void
rtap_rx_mshot_release(struct rtap_rx_ring *rxr)
{
	uint16_t i;

	if (rxr->br == NULL)
		return;
	io_uring_unregister_buf_ring(&rxr->ring, RTAP_MSHOT_BGID);
	munmap(rxr->br, rte_align32pow2(rxr->nb_bufs) * sizeof(struct io_uring_buf));
	rxr->br = NULL;
	for (i = 0; i < rxr->nb_bufs; i++)
		rte_pktmbuf_free(rxr->bufs[i]);
	rte_free(rxr->bufs);
	rxr->bufs = NULL;
	rxr->free_bid = NULL;
	rxr->mshot = false;
	rxr->mshot_armed = false;
}

/*
 * Set this start up for multishot Rx where the kernel has it and a frame fits
 * one mbuf: a buffer ring of nb_desc mbufs. Anything missing keeps the
 * single reads, with the reason in the debug log.
 */
static void
rtap_rx_mshot_setup(struct rtap_rx_ring *rxr)
{
	struct rtap_rx_queue *rxq = rxr->q;
	uint16_t room = rte_pktmbuf_data_room_size(rxq->mb_pool) - RTE_PKTMBUF_HEADROOM;
	struct io_uring_buf_reg reg = { .bgid = RTAP_MSHOT_BGID };
	uint32_t entries = rte_align32pow2(rxq->nb_desc);
	const char *why = NULL;
	void *br;
	uint16_t i;
	int ret;

	if (!rxq->pmd->multishot)
		why = "no multishot=1";
	else if (!rxr->nowait || !rxr->mshot_ok)
		why = "the kernel has no IORING_OP_READ_MULTISHOT on a TAP (Linux 6.7)";
	else if (RTAP_RX_CAPACITY(rxq->frame_size) > room)
		why = "frames take more than one mbuf";
	if (why != NULL)
		goto single;

	br = mmap(NULL, entries * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rxr->bufs = rte_zmalloc("rtap_rx_bufs", rxq->nb_desc * (sizeof(*rxr->bufs) +
				sizeof(*rxr->free_bid)), RTE_CACHE_LINE_SIZE);
	if (br == MAP_FAILED || rxr->bufs == NULL) {
		why = "out of memory";
		goto undo;
	}
	io_uring_buf_ring_init(br);
	reg.ring_addr = (uintptr_t)br;
	reg.ring_entries = entries;
	ret = io_uring_register_buf_ring(&rxr->ring, &reg, 0);
	if (ret < 0) {
		why = strerror(-ret);
		goto undo;
	}
	rxr->br = br;
	rxr->free_bid = (uint16_t *)&rxr->bufs[rxq->nb_desc];
	rxr->nb_bufs = rxq->nb_desc;
	rxr->nb_free = rxq->nb_desc;
	for (i = 0; i < rxq->nb_desc; i++)
		rxr->free_bid[i] = rxq->nb_desc - 1 - i;
	rxr->mshot = true;
	PMD_LOG(DEBUG, "port %u Rx queue %u: multishot reads into %u provided mbufs",
		rxq->port_id, rxq->queue_id, rxr->nb_bufs);
	return;

undo:
	if (br != MAP_FAILED)
		munmap(br, entries * sizeof(struct io_uring_buf));
	rte_free(rxr->bufs);
	rxr->bufs = NULL;
single:
	PMD_LOG(DEBUG, "port %u Rx queue %u: one read a frame: %s",
		rxq->port_id, rxq->queue_id, why);
}

/*
 * The drain of kernels whose TAP fd takes no RWF_NOWAIT read (tun gained
 * FMODE_NOWAIT in Linux 6.4; before, such a read fails with -EOPNOTSUPP, and
 * one without the flag waits in poll even on an empty queue, where every
 * waiting read is woken for every frame). The fd is O_NONBLOCK, so readv()
 * returns a queued frame or -EAGAIN: up to n frames, one system call each,
 * read in the order the kernel queued them.
 */
static uint16_t
rtap_rx_readv_queued(struct rtap_rx_ring *rxr, struct rte_mbuf **bufs, uint16_t n)
{
	struct iovec iov[RTAP_MAX_SEGS];
	uint16_t nb_rx = 0;

	while (n-- > 0) {
		struct rte_mbuf *mb = rtap_rx_get(rxr);
		ssize_t res;
		int n_iov;

		if (unlikely(mb == NULL))
			break;
		/* Our own chains (rtap_rx_get()): their links agree with nb_segs. */
		n_iov = rtap_iov_fill(iov, mb,
				      rte_pktmbuf_mtod_offset(mb, void *, -RTAP_VNET_HDR_LEN),
				      RTAP_VNET_HDR_LEN + rte_pktmbuf_tailroom(mb), true);
		res = readv(rxr->fd, iov, n_iov);
		if (unlikely(res < 0)) {
			rtap_rx_drop(rxr, mb, -errno);
			break;
		}
		if (rtap_rx_complete(rxr, mb, res))
			bufs[nb_rx++] = mb;
	}
	return nb_rx;
}

/*
 * Have a read wait for the next frame once the queue is drained. Only the
 * polling thread posts reads (this runs in its Rx burst, or when it arms the
 * Rx interrupt): a request's completion work runs in the task that submitted
 * it, and with cooperative task running that task must enter the kernel for
 * it. Returns false when frames may already be queued: poll instead of sleep.
 */
bool
rtap_rx_arm(struct rtap_rx_ring *rxr)
{
	/* A stopped queue's ring has no file: a read there would outlive the stop. */
	if (!rtap_rxr_ready(rxr))
		return true;
	if (rxr->mshot) {
		if (!rxr->mshot_armed && likely(!rxr->detached))
			rtap_rx_mshot_arm(rxr);
		return rxr->mshot_armed || rxr->detached;
	}
	if (rxr->draining)
		return false;
	if (rxr->waiting == NULL && likely(!rxr->detached))
		rtap_rx_wait(rxr);
	return rxr->waiting != NULL || rxr->detached;
}

/* One read a frame: reap, drain what is queued, have a read wait again. */
static inline uint16_t
rtap_rx_single(struct rtap_rx_ring *rxr, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
	uint16_t nb_rx = rtap_rx_reap(rxr, bufs, nb_pkts);

	if (rxr->draining && nb_rx < nb_pkts) {
		if (likely(rxr->nowait)) {
			rtap_rx_read_queued(rxr, nb_pkts - nb_rx);
			nb_rx += rtap_rx_reap(rxr, bufs + nb_rx, nb_pkts - nb_rx);
		} else {
			nb_rx += rtap_rx_readv_queued(rxr, bufs + nb_rx, nb_pkts - nb_rx);
		}
	}
	rtap_rx_arm(rxr);
	return nb_rx;
}

/*
 * Reads do not all wait in the kernel at once: the kernel wakes every read
 * waiting on a TAP queue for each frame that arrives, so the cost of a frame
 * would grow with the number of reads posted (3.5 us of CPU with one, 172 us
 * with 512, measured on 6.18). One read waits while the queue is idle; once
 * it brings a frame, each burst reads what is queued with RWF_NOWAIT reads
 * that the kernel completes within a single submit, until one finds the queue
 * empty and the waiting read is posted again. Where the kernel has no
 * RWF_NOWAIT read of a TAP fd, the drain is readv() instead (see
 * rtap_rx_readv_queued()). With multishot=1, one multishot read does it all
 * where the kernel has it (rtap_rx_mshot_reap()).
 */
uint16_t
rtap_rx_burst(void *queue, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
	struct rtap_rx_queue *rxq = queue;
	struct rtap_rx_ring *rxr = rtap_rxr(rxq);
	uint16_t nb_rx, nb_multiseg = 0, i;
	uint64_t nb_bytes = 0;

	if (unlikely(rxr == NULL || rxr->gen != RTAP_QUEUE_GEN(rxq))) {
		rxr = rtap_rx_ring_follow(rxq);
		if (rxr == NULL)
			return 0;
	}

	rtap_ring_run_tasks(&rxr->ring);
	if (rxr->mshot)
		nb_rx = rtap_rx_mshot_reap(rxr, bufs, nb_pkts);
	else
		nb_rx = rtap_rx_single(rxr, bufs, nb_pkts);

	for (i = 0; i < nb_rx; i++) {
		nb_bytes += bufs[i]->pkt_len;
		nb_multiseg += bufs[i]->nb_segs > 1;
		rtap_count(&rxq->stats.size_bins[rtap_size_bin(bufs[i]->pkt_len)], 1);
	}
	rtap_count(&rxq->stats.multiseg, nb_multiseg);
	rtap_count(&rxq->stats.packets, nb_rx);
	rtap_count(&rxq->stats.bytes, nb_bytes);
	return nb_rx;
}

/* Free the mbufs of completed writes, at most max; returns how many. */
static inline unsigned int
rtap_tx_reap(struct rtap_tx_ring *txr, unsigned int max)
{
	struct io_uring_cqe *cqe;
	unsigned int head, nb_cqe = 0, nb_err = 0;

	rtap_ring_run_tasks(&txr->ring);
	io_uring_for_each_cqe(&txr->ring, head, cqe) {
		if (nb_cqe == max)
			break;
		nb_cqe++;
		nb_err += cqe->res < 0;
		rte_pktmbuf_free(io_uring_cqe_get_data(cqe));
	}
	io_uring_cq_advance(&txr->ring, nb_cqe);
	rtap_count(&txr->q->stats.errors, nb_err);
	txr->inflight -= nb_cqe;
	return nb_cqe;
}

/*
 * Free the packets whose writes the kernel has completed, at most free_cnt
 * (0: all), without waiting for those still in flight: the number freed.
 * From the thread that sends on the queue, as tx_burst.
 */
int
rtap_tx_done_cleanup(void *queue, uint32_t free_cnt)
{
	struct rtap_tx_ring *txr = rtap_txr(queue);

	/* A stopped queue has nothing in flight: stopping reaps every write. */
	if (txr == NULL || !rtap_txr_ready(txr))
		return 0;
	return rtap_tx_reap(txr, free_cnt == 0 ? UINT_MAX : free_cnt);
}

/* rte_power_monitor() callback: abort the sleep when the value has the bits. */
static int
rtap_monitor_has_bits(const uint64_t val, const uint64_t opaque[RTE_POWER_MONITOR_OPAQUE_SZ])
{
	return (val & opaque[0]) != 0 ? -1 : 0;
}

/* rte_power_monitor() callback: abort the sleep when the value has changed. */
static int
rtap_monitor_changed(const uint64_t val, const uint64_t opaque[RTE_POWER_MONITOR_OPAQUE_SZ])
{
	return val != opaque[0] ? -1 : 0;
}

/* rte_power_monitor() callback: never sleep. */
static int
rtap_monitor_busy(const uint64_t val __rte_unused,
		  const uint64_t opaque[RTE_POWER_MONITOR_OPAQUE_SZ] __rte_unused)
{
	return -1;
}

/*
 * Where the next frame of an idle queue shows in memory, for rte_power_monitor().
 * The frame completes the read waiting in the kernel. With cooperative task
 * running (rtap_ring_params()) the kernel posts no completion while the
 * polling thread sleeps in user space: it sets IORING_SQ_TASKRUN in the SQ
 * ring's flags, so that word is watched. Without it the completion is posted
 * at once: the CQ tail is watched. A queue that may already hold frames
 * (draining, completions not reaped, no read waiting) must not sleep at all.
 */
int
rtap_get_monitor_addr(void *queue, struct rte_power_monitor_cond *pmc)
{
	struct rtap_rx_ring *rxr = rtap_rxr(queue);
	struct io_uring *ring;

	/* Only the primary offers this: its rings are there once the queue is set up. */
	ring = &rxr->ring;

	memset(pmc, 0, sizeof(*pmc));
	pmc->size = sizeof(uint32_t);
	if (ring->flags & IORING_SETUP_TASKRUN_FLAG) {
		pmc->addr = ring->sq.kflags;
		pmc->opaque[0] = IORING_SQ_TASKRUN;
		pmc->fn = rtap_monitor_has_bits;
	} else {
		pmc->addr = ring->cq.ktail;
		pmc->opaque[0] = IO_URING_READ_ONCE(*ring->cq.ktail);
		pmc->fn = rtap_monitor_changed;
	}
	if (!rtap_rxr_ready(rxr) || io_uring_cq_ready(ring) != 0 ||
	    (rxr->mshot ? !rxr->mshot_armed : rxr->draining || rxr->waiting == NULL))
		pmc->fn = rtap_monitor_busy;
	return 0;
}

/*
 * Post one write of mb behind a virtio-net header; the caller submits.
 * A negative return leaves mb with the caller, untouched: -EBUSY when the
 * ring is full, -ENOBUFS when the pool is empty, -EINVAL when mb can never be
 * sent (offload requests its headers contradict, a header mbuf from its pool
 * has no room for the headers, or its segments are not nb_segs).
 *
 * Headers the kernel needs finished (rtap_tx_fix_headers(), idempotent so a
 * packet handed back and retried is fine) are rewritten in place when the
 * first segment is ours alone; in a shared or indirect mbuf they are copied
 * into the header mbuf and fixed there, and the write skips the originals.
 */
static inline int
rtap_tx_post(struct rtap_tx_ring *txr, struct rte_mbuf *mb)
{
	uint32_t fix_len = rtap_tx_fix_len(mb);
	struct rte_mbuf *head = mb;
	struct virtio_net_hdr *hdr;
	struct iovec *iov = NULL;
	struct io_uring_sqe *sqe;
	uint8_t *fix_at = NULL;
	int ret;

	if (unlikely(fix_len > mb->data_len)) {
		rtap_count(&txr->q->stats.bad_offload, 1);
		return -EINVAL;
	}
	if (unlikely(!rtap_tx_hdr_in_headroom(mb))) {
		head = rte_pktmbuf_alloc(mb->pool);
		if (unlikely(head == NULL)) {
			rtap_count(&txr->q->stats.nombuf, 1);
			return -ENOBUFS;
		}
		/* A pool of clones may have no data room: nowhere for the headers. */
		if (unlikely(rte_pktmbuf_headroom(head) < RTAP_VNET_HDR_LEN ||
			     fix_len > rte_pktmbuf_tailroom(head))) {
			rte_pktmbuf_free_seg(head);
			return -EINVAL;
		}
		head->next = mb;
		head->nb_segs = mb->nb_segs + 1;
		head->pkt_len = mb->pkt_len;
		rtap_count(&txr->q->stats.hdr_mbuf, 1);
		if (fix_len != 0) {
			fix_at = rte_pktmbuf_mtod(head, uint8_t *);
			rte_memcpy(fix_at, rte_pktmbuf_mtod(mb, void *), fix_len);
			head->data_len = fix_len;
		}
	} else if (fix_len != 0) {
		fix_at = rte_pktmbuf_mtod(mb, uint8_t *);
	}
	hdr = rte_pktmbuf_mtod_offset(head, struct virtio_net_hdr *, -RTAP_VNET_HDR_LEN);
	/* From the packet mbuf: a header mbuf carries no offload fields. */
	rtap_tx_offload(hdr, mb);
	if (unlikely(fix_at != NULL)) {
		ret = rtap_tx_fix_headers(fix_at, mb, hdr);
		if (unlikely(ret < 0)) {
			rtap_count(&txr->q->stats.bad_offload, 1);
			goto unchain;
		}
	}

	if (head->nb_segs > 1) {
		/* -EINVAL, a chain that lies about its length, is never sendable. */
		ret = rtap_iov_stage(&txr->ring, txr->iov, &txr->nb_iov, head, hdr,
				     RTAP_VNET_HDR_LEN + head->data_len, false, &iov);
		if (unlikely(ret < 0))
			goto unchain;
		if (head != mb && fix_len != 0) {
			/* The copied headers replace the originals. */
			iov[1].iov_base = RTE_PTR_ADD(iov[1].iov_base, fix_len);
			iov[1].iov_len -= fix_len;
		}
	} else if (unlikely(head->next != NULL)) {
		/* One segment claimed, more linked: the write would cut the frame. */
		return -EINVAL;
	}
	ret = -EBUSY;
	sqe = io_uring_get_sqe(&txr->ring);
	if (unlikely(sqe == NULL))
		goto unchain;

	if (iov == NULL) {
		io_uring_prep_write(sqe, RTAP_RING_FD, hdr, RTAP_VNET_HDR_LEN + head->data_len, 0);
	} else {
		io_uring_prep_writev(sqe, RTAP_RING_FD, iov, head->nb_segs, 0);
		rtap_count(&txr->q->stats.multiseg, 1);
	}
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, head);
	txr->inflight++;
	return 0;

unchain:
	if (head != mb) {
		head->next = NULL;
		head->nb_segs = 1;
		rte_pktmbuf_free_seg(head);
	}
	return ret;
}

uint16_t
rtap_tx_burst(void *queue, struct rte_mbuf **bufs, uint16_t nb_pkts)
{
	struct rtap_tx_queue *txq = queue;
	struct rtap_tx_ring *txr = rtap_txr(txq);
	uint64_t nb_bytes = 0;
	uint16_t i, nb_sent = 0;
	int ret;

	if (unlikely(txr == NULL || txr->gen != RTAP_QUEUE_GEN(txq))) {
		txr = rtap_tx_ring_follow(txq);
		if (txr == NULL)
			return 0;
	}

	rtap_tx_reap(txr, UINT_MAX);
	nb_pkts = RTE_MIN(nb_pkts, txq->nb_desc - txr->inflight);

	for (i = 0; i < nb_pkts; i++) {
		struct rte_mbuf *mb = bufs[i];

		if (unlikely(mb->nb_segs >= RTAP_IOV_BATCH)) {
			/* More segments than one writev takes: never sendable. */
			rtap_count(&txq->stats.errors, 1);
			rte_pktmbuf_free(mb);
			continue;
		}
		ret = rtap_tx_post(txr, mb);
		if (unlikely(ret == -EINVAL)) {
			/* Never sendable: see rtap_tx_post(). */
			rtap_count(&txq->stats.errors, 1);
			rte_pktmbuf_free(mb);
			continue;
		}
		if (unlikely(ret < 0))
			break;
		nb_sent++;
		nb_bytes += mb->pkt_len;
		rtap_count(&txq->stats.size_bins[rtap_size_bin(mb->pkt_len)], 1);
	}
	rtap_ring_submit(&txr->ring, &txr->nb_iov);

	rtap_count(&txq->stats.packets, nb_sent);
	rtap_count(&txq->stats.bytes, nb_bytes);
	return i;
}

/*
 * Free the mbufs of a stopped ring's completed requests, waiting up to
 * wait_ms for those still in flight (without limit if negative). Returns how
 * many are still in flight.
 */
static uint16_t
rtap_ring_collect(struct io_uring *ring, uint16_t *inflight, int wait_ms)
{
	struct __kernel_timespec tick = { .tv_nsec = 1000 * 1000 };
	struct io_uring_cqe *cqe;
	int waited;

	for (waited = 0; ; waited++) {
		int ret;

		while (io_uring_peek_cqe(ring, &cqe) == 0) {
			struct rte_mbuf *mb = io_uring_cqe_get_data(cqe);

			/*
			 * NULL: the cancel's own completion. The multishot read's
			 * mbufs are the buffer ring's (rtap_rx_mshot_release()).
			 */
			if (mb == RTAP_MSHOT_TAG) {
				if (!(cqe->flags & IORING_CQE_F_MORE))
					(*inflight)--;
			} else if (mb != NULL) {
				rte_pktmbuf_free(mb);
				(*inflight)--;
			}
			io_uring_cqe_seen(ring, cqe);
		}
		if (*inflight == 0 || (wait_ms >= 0 && waited >= wait_ms))
			return *inflight;
		if (waited > 0 && waited % 1000 == 0)
			PMD_LOG(WARNING, "still waiting for %u cancelled requests", *inflight);
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &tick);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			rte_delay_us_sleep(1000);
	}
}

/*
 * Cancel every request posted on a ring, and collect their completions for a
 * while. A read waiting in the kernel completes as task work of the thread
 * that posted it, which runs only once that thread enters the kernel: not
 * while it busy-polls other ports on a tickless CPU, nor while it is blocked,
 * in vfork() for instance. So a stop does not wait for it: what is still in
 * flight stays counted, its mbufs owned by the kernel until its completion is
 * collected, by the next start or by the queue's release, which waits for it.
 */
static void
rtap_ring_cancel(struct io_uring *ring, uint16_t *inflight, unsigned int *nb_iov)
{
	struct io_uring_sqe *sqe;
	int ret;

	io_uring_submit(ring);
	*nb_iov = 0;
	if (*inflight == 0)
		return;
	sqe = io_uring_get_sqe(ring);
	if (sqe != NULL) {
		io_uring_prep_cancel(sqe, NULL, IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data(sqe, NULL);
		ret = io_uring_submit(ring);
	} else {
		ret = -EBUSY;
	}
	if (ret < 0)
		PMD_LOG(ERR, "cancelling %u requests: %s; waiting for them to complete",
			*inflight, strerror(-ret));
	if (rtap_ring_collect(ring, inflight, RTAP_CANCEL_WAIT_MS) > 0)
		PMD_LOG(INFO, "%u requests complete once the thread that posted them enters the kernel",
			*inflight);
}

/* Start on an idle ring: collect what the last stop left in flight. */
static int
rtap_ring_idle(struct io_uring *ring, uint16_t *inflight)
{
	if (rtap_ring_collect(ring, inflight, RTAP_CANCEL_WAIT_MS) == 0)
		return 0;
	PMD_LOG(ERR, "%u requests of the last stop are still in flight: the thread that "
		"posted them has not entered the kernel since", *inflight);
	return -EBUSY;
}

/* The largest frame the kernel may hand this port, after the vnet header. */
static uint32_t
rtap_rx_frame_size(const struct rte_eth_dev *dev)
{
	if (dev->data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO)
		return RTAP_GSO_MAX_FRAME;
	return dev->data->mtu + rtap_frame_overhead(dev->data->dev_private);
}

/* Check that mbufs of mp can receive the port's largest frame. */
static int
rtap_rx_buffer_check(const struct rte_eth_dev *dev, struct rte_mempool *mp,
		     uint32_t frame_size)
{
	uint16_t room = rte_pktmbuf_data_room_size(mp);
	uint32_t seg_room, nb_segs;

	if (room <= RTE_PKTMBUF_HEADROOM) {
		PMD_LOG(ERR, "mempool %s: data room %u leaves nothing after the headroom",
			mp->name, room);
		return -EINVAL;
	}
	seg_room = room - RTE_PKTMBUF_HEADROOM;
	nb_segs = (RTAP_RX_CAPACITY(frame_size) + seg_room - 1) / seg_room;
	if (nb_segs > 1 && !(dev->data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER)) {
		PMD_LOG(ERR, "%u-byte frames need %u-segment mbufs of pool %s: enable Rx scatter",
			frame_size, nb_segs, mp->name);
		return -EINVAL;
	}
	if (nb_segs > RTAP_MAX_SEGS) {
		PMD_LOG(ERR, "%u-byte frames need %u segments of pool %s, more than %u",
			frame_size, nb_segs, mp->name, RTAP_MAX_SEGS);
		return -EINVAL;
	}
	return 0;
}

struct rtap_rx_ring *rtap_rx_rings[RTE_MAX_ETHPORTS][RTAP_MAX_QUEUES];
struct rtap_tx_ring *rtap_tx_rings[RTE_MAX_ETHPORTS][RTAP_MAX_QUEUES];

/* A ring of the port in this process whose SQ thread new rings share, or -1. */
static int
rtap_sqpoll_ring_fd(uint16_t port_id)
{
	uint16_t i;

	for (i = 0; i < RTAP_MAX_QUEUES; i++) {
		if (rtap_rx_rings[port_id][i] != NULL)
			return rtap_rx_rings[port_id][i]->ring.ring_fd;
		if (rtap_tx_rings[port_id][i] != NULL)
			return rtap_tx_rings[port_id][i]->ring.ring_fd;
	}
	return -1;
}

/*
 * The parameters of a queue's ring. Without sqpoll=, cooperative task
 * running: a frame arriving for the waiting read sets a flag in the SQ ring,
 * which the polling burst checks, instead of interrupting the polling CPU (a
 * thread asleep is still woken); kernels before 5.19 lack the flags. With
 * sqpoll=, a kernel thread on that CPU submits for all of the port's rings in
 * this process (the first ring's thread, IORING_SETUP_ATTACH_WQ): the polling
 * lcore fills SQEs and reaps CQEs, enters the kernel only to wake the thread
 * after sq_thread_idle, and the kernel's TAP work runs on the thread's CPU,
 * which also runs the completion work (the task-running flags are refused).
 */
static void
rtap_ring_params(struct io_uring_params *p, uint16_t port_id)
{
	const struct rtap_pmd *pmd = rte_eth_devices[port_id].data->dev_private;

	memset(p, 0, sizeof(*p));
	if (pmd->sqpoll_cpu < 0) {
		p->flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
		return;
	}
	p->flags = IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF;
	p->sq_thread_cpu = pmd->sqpoll_cpu;
	p->wq_fd = rtap_sqpoll_ring_fd(port_id);
	if ((int)p->wq_fd >= 0)
		p->flags |= IORING_SETUP_ATTACH_WQ;
}

static int
rtap_queue_ring_init(struct io_uring *ring, uint16_t nb_desc, uint16_t port_id)
{
	struct io_uring_params p;
	int ret;

	/* Room for nb_desc completions plus the cancel's: the CQ never overflows. */
	rtap_ring_params(&p, port_id);
	ret = io_uring_queue_init_params(nb_desc + 1, ring, &p);
	if (ret == -EINVAL && !(p.flags & IORING_SETUP_SQPOLL)) {
		memset(&p, 0, sizeof(p));
		ret = io_uring_queue_init_params(nb_desc + 1, ring, &p);
	}
	if (ret < 0)
		PMD_LOG(ERR, "io_uring_queue_init(%u%s): %s", nb_desc + 1,
			p.flags & IORING_SETUP_SQPOLL ? ", SQPOLL" : "", strerror(-ret));
	return ret;
}

/*
 * sqpoll=<cpu> checked at probe, by creating a ring with an SQ thread there:
 * the kernel refuses a CPU that is offline or outside the process's cpuset.
 */
int
rtap_sqpoll_check(const char *name, int cpu)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF,
		.sq_thread_cpu = cpu,
	};
	struct io_uring ring;
	int ret;

	if (cpu < 0)
		return 0;
	ret = io_uring_queue_init_params(1, &ring, &p);
	if (ret < 0) {
		PMD_LOG(ERR, "%s: sqpoll=%d: the kernel refuses an SQ thread on CPU %d: %s%s",
			name, cpu, cpu, strerror(-ret),
			ret == -EINVAL ? " (offline, or not in this process's cpuset)" : "");
		return ret;
	}
	io_uring_queue_exit(&ring);
	return 0;
}

/* The start of each queue a secondary could not follow: not tried (and logged) every burst. */
static uint32_t rtap_rx_failed[RTE_MAX_ETHPORTS][RTAP_MAX_QUEUES];
static uint32_t rtap_tx_failed[RTE_MAX_ETHPORTS][RTAP_MAX_QUEUES];

/* The next generation of a queue: odd for a start, even for a stop, never 0. */
static uint32_t
rtap_gen_next(uint32_t gen)
{
	return gen + 1 == RTAP_GEN_NONE ? 2 : gen + 1;
}

/* Whether the kernel knows an io_uring opcode. */
static bool
rtap_ring_has_op(struct io_uring *ring, int op)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
	bool ok = probe != NULL && io_uring_opcode_supported(probe, op);

	io_uring_free_probe(probe);
	return ok;
}

static struct rtap_rx_ring *
rtap_rx_ring_alloc(struct rtap_rx_queue *rxq, int socket_id)
{
	struct rtap_rx_ring *rxr;

	rxr = rte_zmalloc_socket("rtap_rxr", sizeof(*rxr), RTE_CACHE_LINE_SIZE, socket_id);
	if (rxr == NULL) {
		PMD_LOG(ERR, "port %u Rx queue %u: out of memory", rxq->port_id, rxq->queue_id);
		return NULL;
	}
	if (rtap_queue_ring_init(&rxr->ring, rxq->nb_desc, rxq->port_id) < 0) {
		rte_free(rxr);
		return NULL;
	}
	rxr->mshot_ok = rtap_ring_has_op(&rxr->ring, RTAP_OP_READ_MULTISHOT);
	rxr->q = rxq;
	rxr->fd = -1;
	return rxr;
}

static struct rtap_tx_ring *
rtap_tx_ring_alloc(struct rtap_tx_queue *txq, int socket_id)
{
	struct rtap_tx_ring *txr;

	txr = rte_zmalloc_socket("rtap_txr", sizeof(*txr), RTE_CACHE_LINE_SIZE, socket_id);
	if (txr == NULL) {
		PMD_LOG(ERR, "port %u Tx queue %u: out of memory", txq->port_id, txq->queue_id);
		return NULL;
	}
	if (rtap_queue_ring_init(&txr->ring, txq->nb_desc, txq->port_id) < 0) {
		rte_free(txr);
		return NULL;
	}
	txr->q = txq;
	return txr;
}

/* This process stops using the ring; what the kernel still holds is collected later. */
static void
rtap_rx_ring_stop(struct rtap_rx_ring *rxr)
{
	if (rxr->gen == RTAP_GEN_NONE)
		return;
	rxr->gen = RTAP_GEN_NONE;
	rtap_ring_cancel(&rxr->ring, &rxr->inflight, &rxr->nb_iov);
	rtap_ring_clear_fd(&rxr->ring, rxr->inflight);
	if (rxr->inflight == 0)
		rtap_rx_mshot_release(rxr);
	rxr->mshot = false;
	rxr->waiting = NULL;
	rte_pktmbuf_free_bulk(rxr->spare, rxr->nb_spare);
	rxr->nb_spare = 0;
}

/*
 * count: the queue is known to be there still, for the errors of completed
 * writes; a secondary's ring may outlive the queue the primary released.
 */
static void
rtap_tx_ring_stop(struct rtap_tx_ring *txr, bool count)
{
	if (txr->gen == RTAP_GEN_NONE)
		return;
	txr->gen = RTAP_GEN_NONE;
	if (count)
		rtap_tx_reap(txr, UINT_MAX);
	rtap_ring_cancel(&txr->ring, &txr->inflight, &txr->nb_iov);
	rtap_ring_clear_fd(&txr->ring, txr->inflight);
}

/* Stop, wait for every request still in flight, and free. */
static void
rtap_rx_ring_free(struct rtap_rx_ring *rxr)
{
	rtap_rx_ring_stop(rxr);
	rtap_ring_collect(&rxr->ring, &rxr->inflight, -1);
	rtap_rx_mshot_release(rxr);
	rtap_ring_clear_fd(&rxr->ring, 0);
	io_uring_queue_exit(&rxr->ring);
	rte_free(rxr);
}

static void
rtap_tx_ring_free(struct rtap_tx_ring *txr)
{
	rtap_tx_ring_stop(txr, false);
	rtap_ring_collect(&txr->ring, &txr->inflight, -1);
	rtap_ring_clear_fd(&txr->ring, 0);
	io_uring_queue_exit(&txr->ring);
	rte_free(txr);
}

void
rtap_rings_free(uint16_t port_id)
{
	uint16_t i;

	for (i = 0; i < RTAP_MAX_QUEUES; i++) {
		if (rtap_rx_rings[port_id][i] != NULL)
			rtap_rx_ring_free(rtap_rx_rings[port_id][i]);
		rtap_rx_rings[port_id][i] = NULL;
		if (rtap_tx_rings[port_id][i] != NULL)
			rtap_tx_ring_free(rtap_tx_rings[port_id][i]);
		rtap_tx_rings[port_id][i] = NULL;
		rtap_rx_failed[port_id][i] = RTAP_GEN_NONE;
		rtap_tx_failed[port_id][i] = RTAP_GEN_NONE;
	}
}

int
rtap_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_rx_desc,
		    unsigned int socket_id, const struct rte_eth_rxconf *rx_conf,
		    struct rte_mempool *mb_pool)
{
	struct rtap_rx_queue *rxq;
	struct rtap_rx_ring *rxr;
	int ret;

	ret = rtap_rx_buffer_check(dev, mb_pool, rtap_rx_frame_size(dev));
	if (ret < 0)
		return ret;

	rxq = rte_zmalloc_socket("rtap_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE, socket_id);
	if (rxq == NULL) {
		PMD_LOG(ERR, "Rx queue %u: out of memory", queue_id);
		return -ENOMEM;
	}
	rxq->mb_pool = mb_pool;
	rxq->port_id = dev->data->port_id;
	rxq->pmd = dev->data->dev_private;
	rxq->queue_id = queue_id;
	rxq->l3 = rxq->pmd->tun;
	rxq->min_frame = rtap_min_frame(rxq->pmd);
	rxq->nb_desc = nb_rx_desc;
	rxq->deferred_start = rx_conf->rx_deferred_start;
	rte_atomic_store_explicit(&rxq->gen, RTAP_GEN_INIT,
				  rte_memory_order_relaxed);
	rxr = rtap_rx_ring_alloc(rxq, socket_id);
	if (rxr == NULL) {
		rte_free(rxq);
		return -ENOMEM;
	}
	rtap_rx_rings[rxq->port_id][queue_id] = rxr;
	dev->data->rx_queues[queue_id] = rxq;
	return 0;
}

int
rtap_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_tx_desc,
		    unsigned int socket_id, const struct rte_eth_txconf *tx_conf)
{
	struct rtap_tx_queue *txq;
	struct rtap_tx_ring *txr;

	txq = rte_zmalloc_socket("rtap_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE, socket_id);
	if (txq == NULL) {
		PMD_LOG(ERR, "Tx queue %u: out of memory", queue_id);
		return -ENOMEM;
	}
	txq->port_id = dev->data->port_id;
	txq->queue_id = queue_id;
	txq->l3 = ((const struct rtap_pmd *)dev->data->dev_private)->tun;
	txq->nb_desc = nb_tx_desc;
	txq->deferred_start = tx_conf->tx_deferred_start;
	rte_atomic_store_explicit(&txq->gen, RTAP_GEN_INIT,
				  rte_memory_order_relaxed);
	txr = rtap_tx_ring_alloc(txq, socket_id);
	if (txr == NULL) {
		rte_free(txq);
		return -ENOMEM;
	}
	rtap_tx_rings[txq->port_id][queue_id] = txr;
	dev->data->tx_queues[queue_id] = txq;
	return 0;
}

/* Submit one request on an idle ring and return its result. */
static int
rtap_ring_probe_one(struct io_uring *ring, struct io_uring_sqe *sqe)
{
	struct io_uring_cqe *cqe;
	int ret;

	io_uring_sqe_set_data(sqe, NULL);
	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_peek_cqe(ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/*
 * What the kernel offers this queue, asked at every start (the ring is idle):
 * - cancelling every request of a ring (IORING_ASYNC_CANCEL_ANY, Linux 5.19),
 *   without which a stop could not collect the reads it posted: refused;
 * - non-waiting reads of the TAP fd (RWF_NOWAIT, tun's FMODE_NOWAIT since
 *   Linux 6.4), which pick the drain. A read of zero bytes takes no frame:
 *   it completes with 0 where the flag works and -EOPNOTSUPP where it does
 *   not. Both complete within the submit, so nothing is left posted by this
 *   (control) thread.
 */
static int
rtap_rx_probe(struct rtap_rx_ring *rxr)
{
	struct io_uring_sqe *sqe;
	int ret;

	sqe = io_uring_get_sqe(&rxr->ring);
	if (sqe == NULL)
		return -EBUSY;
	io_uring_prep_cancel(sqe, NULL, IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY);
	ret = rtap_ring_probe_one(&rxr->ring, sqe);
	if (ret == -EINVAL) {
		PMD_LOG(ERR, "port %u Rx queue %u: kernel lacks IORING_ASYNC_CANCEL_ANY (Linux 5.19)",
			rxr->q->port_id, rxr->q->queue_id);
		return -ENOTSUP;
	}

	sqe = io_uring_get_sqe(&rxr->ring);
	if (sqe == NULL)
		return -EBUSY;
	io_uring_prep_read(sqe, RTAP_RING_FD, rxr->iov, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->rw_flags = RWF_NOWAIT;
	ret = rtap_ring_probe_one(&rxr->ring, sqe);
	rxr->nowait = ret >= 0 || ret == -EAGAIN;
	if (!rxr->nowait && ret != -EOPNOTSUPP)
		PMD_LOG(WARNING, "port %u Rx queue %u: RWF_NOWAIT read probe: %s",
			rxr->q->port_id, rxr->q->queue_id, strerror(-ret));
	PMD_LOG(DEBUG, "port %u Rx queue %u: drain with %s", rxr->q->port_id, rxr->q->queue_id,
		rxr->nowait ? "RWF_NOWAIT reads" : "readv (no RWF_NOWAIT on the TAP fd)");
	return 0;
}

/* Set a stopped ring up for reading fd; the caller publishes the start. */
static int
rtap_rx_ring_start(struct rtap_rx_ring *rxr, int fd)
{
	int ret;

	if (fd < 0)
		return -EBADF;
	ret = rtap_ring_idle(&rxr->ring, &rxr->inflight);
	if (ret < 0)
		return ret;
	rtap_rx_mshot_release(rxr);
	ret = rtap_ring_set_fd(&rxr->ring, fd);
	if (ret < 0)
		return ret;
	rxr->fd = fd;
	ret = rtap_rx_probe(rxr);
	if (ret < 0) {
		rtap_ring_clear_fd(&rxr->ring, 0);
		return ret;
	}
	rxr->detached = false;
	rxr->draining = false;
	rxr->drain_batch = 1;
	rtap_rx_mshot_setup(rxr);
	return 0;
}

static int
rtap_tx_ring_start(struct rtap_tx_ring *txr, int fd)
{
	int ret;

	if (fd < 0)
		return -EBADF;
	ret = rtap_ring_idle(&txr->ring, &txr->inflight);
	if (ret < 0)
		return ret;
	return rtap_ring_set_fd(&txr->ring, fd);
}

/*
 * The TAP fd of a queue in this process (the primary's own, or those it
 * lent a secondary at attach, rtap_mp.c): more Tx than Rx queues share the
 * kernel queues round robin.
 */
static int
rtap_queue_fd(uint16_t port_id, uint16_t queue_id, bool rx)
{
	const struct rte_eth_dev *dev = &rte_eth_devices[port_id];
	const struct rtap_pmd *pmd = dev->data->dev_private;
	const struct rtap_proc *proc = dev->process_private;

	if (proc == NULL)
		return -1;
	return proc->fds[rx ? queue_id : queue_id % RTE_MAX(pmd->nb_queue_fds, 1)];
}

/*
 * A burst whose ring is not set up for the queue's current start: the
 * primary stopped the queue, or started it since this process last polled
 * it. The primary's rings follow its starts and stops themselves, so only a
 * secondary gets here with the queue started: it sets its own ring up then,
 * at its first burst of each start, and gives it up at its first burst after
 * a stop (reads it posted would otherwise take the next start's frames).
 */
static __rte_noinline struct rtap_rx_ring *
rtap_rx_ring_follow(struct rtap_rx_queue *rxq)
{
	struct rtap_rx_ring **slot = &rtap_rx_rings[rxq->port_id][rxq->queue_id];
	struct rtap_rx_ring *rxr = *slot;
	uint32_t gen = RTAP_QUEUE_GEN(rxq);

	if (rxr != NULL && rxr->gen == gen)
		return rxr;
	if (rxr != NULL)
		rtap_rx_ring_stop(rxr);
	if ((gen & 1) == 0 || rte_eal_process_type() == RTE_PROC_PRIMARY ||
	    rtap_rx_failed[rxq->port_id][rxq->queue_id] == gen)
		return NULL;
	/* Failed until set up: a start that cannot be followed is tried, and logged, once. */
	rtap_rx_failed[rxq->port_id][rxq->queue_id] = gen;
	/* The primary set the queue up again since: the ring may be too small. */
	if (rxr != NULL && (rxr->q != rxq || rxr->ring.sq.ring_entries <= rxq->nb_desc)) {
		rtap_rx_ring_free(rxr);
		*slot = rxr = NULL;
	}
	if (rxr == NULL) {
		rxr = rtap_rx_ring_alloc(rxq, rte_socket_id());
		if (rxr == NULL)
			return NULL;
		*slot = rxr;
	}
	if (rtap_rx_ring_start(rxr, rtap_queue_fd(rxq->port_id, rxq->queue_id, true)) < 0) {
		PMD_LOG(ERR, "port %u Rx queue %u: cannot poll it from this process",
			rxq->port_id, rxq->queue_id);
		return NULL;
	}
	rtap_rx_failed[rxq->port_id][rxq->queue_id] = RTAP_GEN_NONE;
	rxr->gen = gen;
	return rxr;
}

static __rte_noinline struct rtap_tx_ring *
rtap_tx_ring_follow(struct rtap_tx_queue *txq)
{
	struct rtap_tx_ring **slot = &rtap_tx_rings[txq->port_id][txq->queue_id];
	struct rtap_tx_ring *txr = *slot;
	uint32_t gen = RTAP_QUEUE_GEN(txq);

	if (txr != NULL && txr->gen == gen)
		return txr;
	if (txr != NULL)
		rtap_tx_ring_stop(txr, txr->q == txq);
	if ((gen & 1) == 0 || rte_eal_process_type() == RTE_PROC_PRIMARY ||
	    rtap_tx_failed[txq->port_id][txq->queue_id] == gen)
		return NULL;
	/* Failed until set up: a start that cannot be followed is tried, and logged, once. */
	rtap_tx_failed[txq->port_id][txq->queue_id] = gen;
	if (txr != NULL && (txr->q != txq || txr->ring.sq.ring_entries <= txq->nb_desc)) {
		rtap_tx_ring_free(txr);
		*slot = txr = NULL;
	}
	if (txr == NULL) {
		txr = rtap_tx_ring_alloc(txq, rte_socket_id());
		if (txr == NULL)
			return NULL;
		*slot = txr;
	}
	if (rtap_tx_ring_start(txr, rtap_queue_fd(txq->port_id, txq->queue_id, false)) < 0) {
		PMD_LOG(ERR, "port %u Tx queue %u: cannot poll it from this process",
			txq->port_id, txq->queue_id);
		return NULL;
	}
	rtap_tx_failed[txq->port_id][txq->queue_id] = RTAP_GEN_NONE;
	txr->gen = gen;
	return txr;
}

int
rtap_rx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct rtap_rx_queue *rxq = dev->data->rx_queues[queue_id];
	struct rtap_rx_ring *rxr = rtap_rxr(rxq);
	uint32_t gen;
	int ret;

	if (RTAP_QUEUE_STARTED(rxq))
		return 0;
	/* Queue offloads are a subset of the port's (no per-queue capability). */
	rxq->offloads = dev->data->dev_conf.rxmode.offloads;
	rtap_rss_rxq_load(rxq, dev->data->dev_private, rxq->offloads);
	rxq->frame_size = rtap_rx_frame_size(dev);
	ret = rtap_rx_buffer_check(dev, rxq->mb_pool, rxq->frame_size);
	if (ret < 0)
		return ret;
	ret = rtap_rx_ring_start(rxr, rtap_queue_fd(rxq->port_id, queue_id, true));
	if (ret < 0)
		return ret;
	/* The first burst posts the first read: see rtap_rx_arm(). */
	gen = rtap_gen_next(rte_atomic_load_explicit(&rxq->gen, rte_memory_order_relaxed));
	rxr->gen = gen;
	rte_atomic_store_explicit(&rxq->gen, gen, rte_memory_order_release);
	dev->data->rx_queue_state[queue_id] = RTE_ETH_QUEUE_STATE_STARTED;
	return 0;
}

int
rtap_rx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct rtap_rx_queue *rxq = dev->data->rx_queues[queue_id];
	uint32_t gen = rte_atomic_load_explicit(&rxq->gen, rte_memory_order_relaxed);

	if ((gen & 1) == 0)
		return 0;
	rte_atomic_store_explicit(&rxq->gen, rtap_gen_next(gen), rte_memory_order_release);
	rtap_rx_ring_stop(rtap_rxr(rxq));
	dev->data->rx_queue_state[queue_id] = RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

int
rtap_tx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct rtap_tx_queue *txq = dev->data->tx_queues[queue_id];
	struct rtap_tx_ring *txr = rtap_txr(txq);
	uint32_t gen;
	int ret;

	if (RTAP_QUEUE_STARTED(txq))
		return 0;
	ret = rtap_tx_ring_start(txr, rtap_queue_fd(txq->port_id, queue_id, false));
	if (ret < 0)
		return ret;
	gen = rtap_gen_next(rte_atomic_load_explicit(&txq->gen, rte_memory_order_relaxed));
	txr->gen = gen;
	rte_atomic_store_explicit(&txq->gen, gen, rte_memory_order_release);
	dev->data->tx_queue_state[queue_id] = RTE_ETH_QUEUE_STATE_STARTED;
	return 0;
}

int
rtap_tx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct rtap_tx_queue *txq = dev->data->tx_queues[queue_id];
	uint32_t gen = rte_atomic_load_explicit(&txq->gen, rte_memory_order_relaxed);

	if ((gen & 1) == 0)
		return 0;
	rte_atomic_store_explicit(&txq->gen, rtap_gen_next(gen), rte_memory_order_release);
	rtap_tx_ring_stop(rtap_txr(txq), true);
	dev->data->tx_queue_state[queue_id] = RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

void
rtap_rx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct rtap_rx_queue *rxq = dev->data->rx_queues[queue_id];

	if (rxq == NULL)
		return;
	rtap_rx_queue_stop(dev, queue_id);
	rtap_rx_ring_free(rtap_rxr(rxq));
	rtap_rx_rings[rxq->port_id][queue_id] = NULL;
	rte_free(rxq);
	dev->data->rx_queues[queue_id] = NULL;
}

void
rtap_tx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct rtap_tx_queue *txq = dev->data->tx_queues[queue_id];

	if (txq == NULL)
		return;
	rtap_tx_queue_stop(dev, queue_id);
	rtap_tx_ring_free(rtap_txr(txq));
	rtap_tx_rings[txq->port_id][queue_id] = NULL;
	rte_free(txq);
	dev->data->tx_queues[queue_id] = NULL;
}

/* The data-path functions, the same in every process. */
void
rtap_fast_ops_set(struct rte_eth_dev *dev)
{
	dev->rx_pkt_burst = rtap_rx_burst;
	dev->tx_pkt_burst = rtap_tx_burst;
	dev->tx_pkt_prepare = rtap_tx_prepare;
	dev->rx_queue_count = rtap_rx_queue_count;
	dev->rx_descriptor_status = rtap_rx_descriptor_status;
	dev->tx_descriptor_status = rtap_tx_descriptor_status;
}
