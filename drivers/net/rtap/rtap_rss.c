/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 */

/*
 * RSS: the hash of received packets and the queue they land on. The 10-byte
 * virtio-net header rtap uses with tun has no hash field, so with
 * RTE_ETH_RX_OFFLOAD_RSS_HASH rtap computes the Toeplitz hash a NIC would,
 * over the flow types and with the key of the port's RSS configuration. The
 * queue is tun's choice: in RSS mode over several queues the TAP runs a
 * steering program (rtap_bpf.c) that computes the same hash and picks the
 * queue from the redirection table; otherwise the kernel's own flow hash
 * decides.
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_net.h>
#include <rte_thash.h>

#include "rtap.h"

/* Microsoft's RSS verification key, the one most NICs start with. */
static const uint8_t rtap_rss_default_key[RTAP_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

const struct rtap_rss_types rtap_rss_v4 = {
	RTE_ETH_RSS_IPV4, RTE_ETH_RSS_FRAG_IPV4, RTE_ETH_RSS_NONFRAG_IPV4_TCP,
	RTE_ETH_RSS_NONFRAG_IPV4_UDP, RTE_ETH_RSS_NONFRAG_IPV4_OTHER,
};

const struct rtap_rss_types rtap_rss_v6 = {
	RTE_ETH_RSS_IPV6, RTE_ETH_RSS_FRAG_IPV6, RTE_ETH_RSS_NONFRAG_IPV6_TCP,
	RTE_ETH_RSS_NONFRAG_IPV6_UDP, RTE_ETH_RSS_NONFRAG_IPV6_OTHER,
};

/* Load n big-endian words at off of the packet into tuple, in CPU order. */
static bool
rtap_rss_load(const struct rte_mbuf *m, uint32_t off, uint32_t n, uint32_t *tuple)
{
	uint32_t copy[RTAP_RSS_TUPLE_MAX];
	const uint8_t *p = rte_pktmbuf_read(m, off, n * sizeof(uint32_t), copy);
	uint32_t i, word;

	if (p == NULL)
		return false;
	for (i = 0; i < n; i++) {
		memcpy(&word, p + i * sizeof(word), sizeof(word));
		tuple[i] = rte_be_to_cpu_32(word);
	}
	return true;
}

/*
 * The hash input of a packet under rss_hf, as rte_softrss() takes it: the
 * addresses, then both ports when the packet's TCP or UDP flow type is
 * hashed. Returns its length in words, 0 when the packet is not hashed.
 */
uint32_t
rtap_rss_tuple(struct rte_mbuf *m, uint64_t rss_hf, bool l3, uint32_t *tuple)
{
	struct rte_net_hdr_lens lens;
	uint32_t ptype = rtap_net_ptype(m, &lens, l3);
	uint32_t l4 = ptype & RTE_PTYPE_L4_MASK;
	const struct rtap_rss_types *types;
	uint32_t addr_off, nb_addr;
	uint64_t flow;

	if (RTE_ETH_IS_IPV4_HDR(ptype)) {
		types = &rtap_rss_v4;
		addr_off = offsetof(struct rte_ipv4_hdr, src_addr);
		nb_addr = 2;
	} else if (RTE_ETH_IS_IPV6_HDR(ptype)) {
		types = &rtap_rss_v6;
		addr_off = offsetof(struct rte_ipv6_hdr, src_addr);
		nb_addr = 8;
	} else {
		return 0;
	}
	flow = l4 == RTE_PTYPE_L4_TCP ? types->tcp :
	       l4 == RTE_PTYPE_L4_UDP ? types->udp :
	       l4 == RTE_PTYPE_L4_FRAG ? types->frag : types->other;
	if ((rss_hf & (types->any | flow)) == 0 ||
	    !rtap_rss_load(m, lens.l2_len + addr_off, nb_addr, tuple))
		return 0;
	if ((flow == types->tcp || flow == types->udp) && (rss_hf & flow)) {
		/* Source and destination port: one word, as rte_ipv4_tuple has them. */
		if (!rtap_rss_load(m, lens.l2_len + lens.l3_len, 1, &tuple[nb_addr]))
			return 0;
		return nb_addr + 1;
	}
	return nb_addr;
}

void
rtap_rss_hash_set(struct rte_mbuf *m, const struct rtap_rx_queue *rxq)
{
	uint32_t tuple[RTAP_RSS_TUPLE_MAX];
	uint32_t n = rtap_rss_tuple(m, rxq->rss_hf, rxq->l3, tuple);

	if (n == 0)
		return;
	m->hash.rss = rte_softrss_be(tuple, n, (const uint8_t *)rxq->rss_key);
	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
}

void
rtap_rss_rxq_load(struct rtap_rx_queue *rxq, const struct rtap_pmd *pmd, uint64_t offloads)
{
	uint32_t key[RTAP_RSS_KEY_LEN / sizeof(uint32_t)];

	rxq->rss_hf = (offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH) ? pmd->rss_hf : 0;
	memcpy(key, pmd->rss_key, sizeof(key));
	rte_convert_rss_key(key, rxq->rss_key, RTAP_RSS_KEY_LEN);
}

static int
rtap_rss_key_check(const struct rte_eth_rss_conf *conf)
{
	if (conf->rss_key != NULL && conf->rss_key_len != RTAP_RSS_KEY_LEN) {
		PMD_LOG(ERR, "RSS key of %u bytes: rtap takes %u", conf->rss_key_len,
			RTAP_RSS_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

/*
 * Take a configuration's key (a NULL key keeps the one set) and flow types,
 * which ethdev has checked against flow_type_rss_offloads.
 */
static int
rtap_rss_set(struct rtap_pmd *pmd, const struct rte_eth_rss_conf *conf, uint64_t rss_hf)
{
	int ret = rtap_rss_key_check(conf);

	if (ret != 0)
		return ret;
	if (conf->rss_key != NULL)
		memcpy(pmd->rss_key, conf->rss_key, RTAP_RSS_KEY_LEN);
	pmd->rss_hf = rss_hf;
	return 0;
}

void
rtap_rss_init(struct rtap_pmd *pmd)
{
	memcpy(pmd->rss_key, rtap_rss_default_key, RTAP_RSS_KEY_LEN);
	pmd->rss_hf = 0;
}

int
rtap_rss_configure(struct rte_eth_dev *dev)
{
	const struct rte_eth_conf *conf = &dev->data->dev_conf;
	bool rss = conf->rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG;
	struct rtap_pmd *pmd = dev->data->dev_private;
	unsigned int i;

	/* Refused before anything changes: a failed configure keeps the last key. */
	if (rtap_rss_key_check(&conf->rx_adv_conf.rss_conf) != 0)
		return -EINVAL;
	/* A configuration without a key asks for the default one. */
	rtap_rss_init(pmd);
	for (i = 0; i < RTAP_RETA_SIZE; i++)
		pmd->reta[i] = i % RTE_MAX(dev->data->nb_rx_queues, 1);
	return rtap_rss_set(pmd, &conf->rx_adv_conf.rss_conf,
			    rss ? conf->rx_adv_conf.rss_conf.rss_hf : 0);
}

/* Give the TAP the steering program of the configuration, or none. */
static int
rtap_rss_steer_apply(struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	int fd, ret;

	if (!(dev->data->dev_conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG) ||
	    pmd->rss_hf == 0 || dev->data->nb_rx_queues < 2) {
		if (!pmd->steering)
			return 0;
		ret = rtap_bpf_steer_attach(rtap_ctl_fd(dev), -1);
		pmd->steering = ret < 0;
		return ret;
	}
	fd = rtap_bpf_steer_load(pmd->tun, pmd->rss_key, pmd->rss_hf, pmd->reta);
	if (fd < 0)
		return fd;
	/* The TAP holds its own reference to the program. */
	ret = rtap_bpf_steer_attach(rtap_ctl_fd(dev), fd);
	close(fd);
	if (ret == 0)
		pmd->steering = true;
	return ret;
}

/* Without the program (no CAP_BPF, say) the port runs, the kernel choosing queues. */
void
rtap_rss_steer_start(struct rte_eth_dev *dev)
{
	int ret = rtap_rss_steer_apply(dev);

	if (ret < 0)
		PMD_LOG(WARNING, "port %u: no RSS steering (%s): the kernel picks each flow's queue",
			dev->data->port_id, strerror(-ret));
}

/* A persistent TAP outlives the port: its next reader gets the kernel's choice back. */
void
rtap_rss_steer_close(struct rte_eth_dev *dev)
{
	struct rtap_pmd *pmd = dev->data->dev_private;

	if (pmd->steering && dev->process_private != NULL &&
	    rtap_bpf_steer_attach(rtap_ctl_fd(dev), -1) == 0)
		pmd->steering = false;
}

int
rtap_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *rss_conf)
{
	/* Started queues hash with the copy they took at start. */
	if (dev->data->dev_started) {
		PMD_LOG(ERR, "port %u: stop the port before changing its RSS hash",
			dev->data->port_id);
		return -EBUSY;
	}
	return rtap_rss_set(dev->data->dev_private, rss_conf, rss_conf->rss_hf);
}

int
rtap_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *rss_conf)
{
	const struct rtap_pmd *pmd = dev->data->dev_private;

	if (rss_conf->rss_key != NULL) {
		if (rss_conf->rss_key_len < RTAP_RSS_KEY_LEN)
			return -EINVAL;
		memcpy(rss_conf->rss_key, pmd->rss_key, RTAP_RSS_KEY_LEN);
	}
	rss_conf->rss_key_len = RTAP_RSS_KEY_LEN;
	rss_conf->rss_hf = pmd->rss_hf;
	RTAP_RSS_ALGO_SET(rss_conf);
	return 0;
}

int
rtap_rss_reta_update(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta_conf,
		     uint16_t reta_size)
{
	struct rtap_pmd *pmd = dev->data->dev_private;
	uint16_t old[RTAP_RETA_SIZE];
	unsigned int i;
	int ret;

	if (reta_size != RTAP_RETA_SIZE) {
		PMD_LOG(ERR, "port %u: RETA of %u entries: rtap has %u", dev->data->port_id,
			reta_size, RTAP_RETA_SIZE);
		return -EINVAL;
	}
	memcpy(old, pmd->reta, sizeof(old));
	for (i = 0; i < RTAP_RETA_SIZE; i++) {
		const struct rte_eth_rss_reta_entry64 *e = &reta_conf[i / RTE_ETH_RETA_GROUP_SIZE];

		if (e->mask & RTE_BIT64(i % RTE_ETH_RETA_GROUP_SIZE))
			pmd->reta[i] = e->reta[i % RTE_ETH_RETA_GROUP_SIZE];
	}
	/* A stopped port takes it at start. */
	if (!dev->data->dev_started)
		return 0;
	ret = rtap_rss_steer_apply(dev);
	if (ret < 0) {
		PMD_LOG(ERR, "port %u: RSS steering program refused (%s)", dev->data->port_id,
			strerror(-ret));
		memcpy(pmd->reta, old, sizeof(old));
	}
	return ret;
}

int
rtap_rss_reta_query(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta_conf,
		    uint16_t reta_size)
{
	const struct rtap_pmd *pmd = dev->data->dev_private;
	unsigned int i;

	if (reta_size != RTAP_RETA_SIZE)
		return -EINVAL;
	for (i = 0; i < RTAP_RETA_SIZE; i++) {
		struct rte_eth_rss_reta_entry64 *e = &reta_conf[i / RTE_ETH_RETA_GROUP_SIZE];

		if (e->mask & RTE_BIT64(i % RTE_ETH_RETA_GROUP_SIZE))
			e->reta[i % RTE_ETH_RETA_GROUP_SIZE] = pmd->reta[i];
	}
	return 0;
}
