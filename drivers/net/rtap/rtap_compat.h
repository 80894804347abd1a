/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 */

/*
 * What differs between the DPDK releases rtap builds against (22.11 to 26.07).
 * Each block is named after the API change it covers and is used in one
 * place; the newest API is the one the driver is written for.
 */

#ifndef _RTAP_COMPAT_H_
#define _RTAP_COMPAT_H_

#include <stdarg.h>

#include <rte_kvargs.h>
#include <rte_log.h>
#include <rte_version.h>

#define RTAP_DPDK_AT_LEAST(y, m)	(RTE_VERSION_NUM(y, m, 0, 0) <= RTE_VERSION)

/*
 * 23.11: rte_stdatomic.h names the memory orders and wraps atomic objects
 * (RTE_ATOMIC) and their loads and stores. Before, fences took the compiler's
 * orders, which C11's memory_order_* equal, and C11's atomics are what
 * rte_stdatomic.h expands to when DPDK is built with enable_stdatomic.
 */
#if RTAP_DPDK_AT_LEAST(23, 11)
#include <rte_stdatomic.h>
#else
#include <stdatomic.h>
#define rte_memory_order_relaxed	memory_order_relaxed
#define rte_memory_order_acquire	memory_order_acquire
#define rte_memory_order_release	memory_order_release
#define rte_memory_order_seq_cst	memory_order_seq_cst
#define RTE_ATOMIC(type)		_Atomic(type)
#define rte_atomic_load_explicit(ptr, mo)	atomic_load_explicit(ptr, mo)
#define rte_atomic_store_explicit(ptr, val, mo)	atomic_store_explicit(ptr, val, mo)
#endif

/*
 * 24.03: RTE_LOG_LINE_PREFIX, which appends the newline, is how drivers log.
 * Before, the same line goes through rte_vlog().
 */
#ifndef RTE_LOG_LINE_PREFIX
static inline int __rte_format_printf(3, 4)
rtap_log_line(uint32_t level, uint32_t logtype, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = rte_vlog(level, logtype, fmt, ap);
	va_end(ap);
	return ret;
}
#define RTE_LOG_LINE_PREFIX(l, t, prefix, args, ...) \
	rtap_log_line(RTE_LOG_ ## l, RTE_LOGTYPE_ ## t, \
		      RTE_FMT(RTE_STR(t) ": " prefix RTE_FMT_HEAD(__VA_ARGS__ ,) "\n", \
			      args, RTE_FMT_TAIL(__VA_ARGS__ ,)))
#endif

/*
 * 24.11: rte_kvargs_process() refuses a key given without a value, and
 * rte_kvargs_process_opt() accepts it. Before, the former accepted it.
 */
#if !RTAP_DPDK_AT_LEAST(24, 11)
#define rte_kvargs_process_opt rte_kvargs_process
#endif

/*
 * 24.03: dev_supported_ptypes_get reports how many ptypes its array holds.
 * Before, the array's RTE_PTYPE_UNKNOWN terminator told.
 */
#if RTAP_DPDK_AT_LEAST(24, 3)
#define RTAP_PTYPES_GET_PARAMS		struct rte_eth_dev *dev, size_t *no_of_elements
#define RTAP_PTYPES_SET_COUNT(n)	(*no_of_elements = (n))
#else
#define RTAP_PTYPES_GET_PARAMS		struct rte_eth_dev *dev
#define RTAP_PTYPES_SET_COUNT(n)	RTE_SET_USED(n)
#endif

/*
 * 25.11: stats_get fills the per-queue counters into a struct eth_queue_stats
 * of their own, which may be NULL. Before, they were fields of rte_eth_stats.
 * RTAP_QUEUE_STATS is where they go, within stats_get.
 */
#if RTAP_DPDK_AT_LEAST(25, 11)
typedef struct eth_queue_stats rtap_queue_stats_t;
#define RTAP_STATS_GET_PARAMS \
	struct rte_eth_dev *dev, struct rte_eth_stats *stats, struct eth_queue_stats *qstats
#define RTAP_QUEUE_STATS		(qstats)
#else
typedef struct rte_eth_stats rtap_queue_stats_t;
#define RTAP_STATS_GET_PARAMS		struct rte_eth_dev *dev, struct rte_eth_stats *stats
#define RTAP_QUEUE_STATS		(stats)
#endif

/*
 * 25.11: rx_queue_count returns an int (a negative errno for a bad queue).
 * Before, a uint32_t.
 */
#if RTAP_DPDK_AT_LEAST(25, 11)
typedef int rtap_rx_queue_count_t;
#else
typedef uint32_t rtap_rx_queue_count_t;
#endif

/*
 * 23.11: an RSS configuration names its hash function (algorithm), and
 * dev_info says which ones the port computes (rss_algo_capa). Before, the
 * function was the driver's own choice.
 */
#if RTAP_DPDK_AT_LEAST(23, 11)
#define RTAP_RSS_ALGO_CAPA_SET(info)	((info)->rss_algo_capa = \
	RTE_ETH_HASH_ALGO_CAPA_MASK(DEFAULT) | RTE_ETH_HASH_ALGO_CAPA_MASK(TOEPLITZ))
#define RTAP_RSS_ALGO_SET(conf)		((conf)->algorithm = RTE_ETH_HASH_FUNCTION_TOEPLITZ)
#else
#define RTAP_RSS_ALGO_CAPA_SET(info)	RTE_SET_USED(info)
#define RTAP_RSS_ALGO_SET(conf)		RTE_SET_USED(conf)
#endif

#endif /* _RTAP_COMPAT_H_ */
