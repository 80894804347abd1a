/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 */

/*
 * The RSS steering program: an eBPF socket filter that tun runs on every
 * frame the kernel sends through the TAP (TUNSETSTEERINGEBPF) and whose
 * result, modulo the attached queues, picks the frame's Rx queue; a TUN's
 * frame is the IP packet, with no Ethernet header. It hashes
 * what rtap_rss_tuple() hashes, the same Toeplitz as rte_softrss(), and looks
 * the queue up in the redirection table, as a NIC does.
 *
 * The program is generated for one key, set of flow types and table, and
 * generated again when any of them changes. The key is folded in: each bit
 * of the hash input selects a 32-bit window of the key, an immediate, so the
 * hash is straight-line code with no branch per bit (which keeps the
 * verifier's work linear). Packet loads use the classic LD_ABS/LD_IND, which
 * end the program with 0 (queue reta[0]) when they run past the frame.
 *
 * Registers: r6 the skb (LD_ABS/LD_IND need it there), r7 the hash, r8 the
 * L3 offset, r9 the L4 offset, or 0 when only the addresses are hashed.
 * LD_ABS/LD_IND leave the value in r0 and clobber r1-r5.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "rtap.h"

enum rtap_bpf_label {
	RTAP_L_VLAN, RTAP_L_L3, RTAP_L_V4, RTAP_L_V4_OTHER, RTAP_L_V4_TCP, RTAP_L_V4_UDP,
	RTAP_L_V4_FRAG,
	RTAP_L_V4_HASH, RTAP_L_V6_TCP, RTAP_L_V6_UDP, RTAP_L_V6_FRAG, RTAP_L_V6_OTHER,
	RTAP_L_V6_HASH, RTAP_L_NO_HASH, RTAP_L_RETA, RTAP_NB_LABELS
};

#define RTAP_BPF_MAX_FIXUPS	64
#define RTAP_BPF_LOAD_TRIES	5

struct rtap_bpf {
	struct bpf_insn *insn;
	uint32_t n, max;	/* n may pass max: then the program is too long */
	int32_t label[RTAP_NB_LABELS];	/* where each label was placed */
	uint32_t nb_fixups;
	struct {
		uint32_t at;	/* a jump to a label not placed yet */
		enum rtap_bpf_label label;
	} fixup[RTAP_BPF_MAX_FIXUPS];
};

static void
rtap_bpf_emit(struct rtap_bpf *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
	      int32_t imm)
{
	if (p->n < p->max)
		p->insn[p->n] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
						   .off = off, .imm = imm };
	p->n++;
}

static void
rtap_bpf_alu32(struct rtap_bpf *p, uint8_t op, uint8_t dst, int32_t imm)
{
	rtap_bpf_emit(p, BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}

static void
rtap_bpf_alu64(struct rtap_bpf *p, uint8_t op, uint8_t dst, int32_t imm)
{
	rtap_bpf_emit(p, BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}

static void
rtap_bpf_alu64_reg(struct rtap_bpf *p, uint8_t op, uint8_t dst, uint8_t src)
{
	rtap_bpf_emit(p, BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}

/* r0 = the big-endian size at off of the frame (plus src when indirect). */
static void
rtap_bpf_load(struct rtap_bpf *p, uint8_t size, bool indirect, uint8_t src, int32_t off)
{
	rtap_bpf_emit(p, BPF_LD | size | (indirect ? BPF_IND : BPF_ABS), 0, src, 0, off);
}

static void
rtap_bpf_jump(struct rtap_bpf *p, uint8_t op, uint8_t reg, int32_t imm,
	      enum rtap_bpf_label label)
{
	if (p->nb_fixups < RTAP_BPF_MAX_FIXUPS) {
		p->fixup[p->nb_fixups].at = p->n;
		p->fixup[p->nb_fixups].label = label;
	}
	p->nb_fixups++;
	rtap_bpf_emit(p, BPF_JMP | op | BPF_K, reg, 0, 0, imm);
}

static void
rtap_bpf_place(struct rtap_bpf *p, enum rtap_bpf_label label)
{
	p->label[label] = p->n;
}

/* The 32 key bits from bit on: what input bit number bit adds to the hash. */
static uint32_t
rtap_bpf_window(const uint8_t *key, uint32_t bit)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = bit / 8; i < bit / 8 + 8; i++)
		v = v << 8 | (i < RTAP_RSS_KEY_LEN ? key[i] : 0);
	return (uint32_t)((v << (bit % 8)) >> 32);
}

/* Hash nb words at base+off as the hash input's words first.. on. */
static void
rtap_bpf_hash(struct rtap_bpf *p, const uint8_t *key, uint8_t base, int32_t off,
	      uint32_t first, uint32_t nb)
{
	uint32_t w, b;

	for (w = 0; w < nb; w++) {
		rtap_bpf_load(p, BPF_W, true, base, off + w * 4);
		for (b = 0; b < 32; b++) {
			/*
			 * r7 ^= bit b (from the top) * its window. A multiply, not
			 * a mask from an arithmetic shift: the verifier splits its
			 * state on the latter, and then on every bit.
			 */
			rtap_bpf_emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
			if (b != 31)
				rtap_bpf_alu32(p, BPF_RSH, BPF_REG_1, 31 - b);
			rtap_bpf_alu32(p, BPF_AND, BPF_REG_1, 1);
			rtap_bpf_alu32(p, BPF_MUL, BPF_REG_1,
				       (int32_t)rtap_bpf_window(key, (first + w) * 32 + b));
			rtap_bpf_emit(p, BPF_ALU | BPF_XOR | BPF_X, BPF_REG_7, BPF_REG_1, 0, 0);
		}
	}
}

/*
 * What a packet of flow type kind hashes (as rtap_rss_tuple() decides):
 * addresses and ports (r9 keeps the L4 offset), addresses only (r9 = 0),
 * or nothing. Returns whether it hashes.
 */
static bool
rtap_bpf_flow_type(struct rtap_bpf *p, uint64_t rss_hf, uint64_t any, uint64_t kind,
		   bool ports, enum rtap_bpf_label hash)
{
	if (!ports || !(rss_hf & kind)) {
		if (!(rss_hf & (any | kind))) {
			rtap_bpf_jump(p, BPF_JA, 0, 0, RTAP_L_NO_HASH);
			return false;
		}
		rtap_bpf_alu64(p, BPF_MOV, BPF_REG_9, 0);
	}
	rtap_bpf_jump(p, BPF_JA, 0, 0, hash);
	return true;
}

/*
 * Addresses, then the ports unless r9 is 0: the ports are word nb_addr.
 * Only when some flow type jumps here: the verifier refuses dead code.
 */
static void
rtap_bpf_hash_tuple(struct rtap_bpf *p, bool used, const uint8_t *key, int32_t addr_off,
		    uint32_t nb_addr)
{
	if (!used)
		return;
	rtap_bpf_alu32(p, BPF_MOV, BPF_REG_7, 0);
	rtap_bpf_hash(p, key, BPF_REG_8, addr_off, 0, nb_addr);
	rtap_bpf_jump(p, BPF_JEQ, BPF_REG_9, 0, RTAP_L_RETA);
	rtap_bpf_hash(p, key, BPF_REG_9, 0, nb_addr, 1);
	rtap_bpf_jump(p, BPF_JA, 0, 0, RTAP_L_RETA);
}

/* One IP version: its flow types, where its packets of each land, its addresses. */
struct rtap_bpf_ip {
	const struct rtap_rss_types *types;
	enum rtap_bpf_label other, tcp, udp, frag, hash;
	int32_t addr_off;
	uint32_t nb_addr;	/* words */
};

static const struct rtap_bpf_ip rtap_bpf_v4 = {
	&rtap_rss_v4, RTAP_L_V4_OTHER, RTAP_L_V4_TCP, RTAP_L_V4_UDP, RTAP_L_V4_FRAG,
	RTAP_L_V4_HASH, offsetof(struct rte_ipv4_hdr, src_addr), 2,
};

static const struct rtap_bpf_ip rtap_bpf_v6 = {
	&rtap_rss_v6, RTAP_L_V6_OTHER, RTAP_L_V6_TCP, RTAP_L_V6_UDP, RTAP_L_V6_FRAG,
	RTAP_L_V6_HASH, offsetof(struct rte_ipv6_hdr, src_addr), 8,
};

/* Where each flow type of ip goes (what it hashes), then the hash itself. */
static void
rtap_bpf_flow_types(struct rtap_bpf *p, const uint8_t *key, uint64_t rss_hf,
		    const struct rtap_bpf_ip *ip)
{
	const struct rtap_rss_types *t = ip->types;
	bool used;

	rtap_bpf_place(p, ip->other);
	used = rtap_bpf_flow_type(p, rss_hf, t->any, t->other, false, ip->hash);
	rtap_bpf_place(p, ip->tcp);
	used |= rtap_bpf_flow_type(p, rss_hf, t->any, t->tcp, true, ip->hash);
	rtap_bpf_place(p, ip->udp);
	used |= rtap_bpf_flow_type(p, rss_hf, t->any, t->udp, true, ip->hash);
	rtap_bpf_place(p, ip->frag);
	used |= rtap_bpf_flow_type(p, rss_hf, t->any, t->frag, false, ip->hash);
	rtap_bpf_place(p, ip->hash);
	rtap_bpf_hash_tuple(p, used, key, ip->addr_off, ip->nb_addr);
}

/* IPv6: skip up to 5 extension headers, as rte_net_get_ptype() does. */
static void
rtap_bpf_ipv6(struct rtap_bpf *p, const uint8_t *key, uint64_t rss_hf)
{
	unsigned int i;

	rtap_bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_8, 0, 0);
	rtap_bpf_alu64(p, BPF_ADD, BPF_REG_9, sizeof(struct rte_ipv6_hdr));
	rtap_bpf_load(p, BPF_B, true, BPF_REG_8, offsetof(struct rte_ipv6_hdr, proto));
	for (i = 0; i < 5; i++) {
		rtap_bpf_jump(p, BPF_JEQ, BPF_REG_0, IPPROTO_TCP, RTAP_L_V6_TCP);
		rtap_bpf_jump(p, BPF_JEQ, BPF_REG_0, IPPROTO_UDP, RTAP_L_V6_UDP);
		rtap_bpf_jump(p, BPF_JEQ, BPF_REG_0, IPPROTO_FRAGMENT, RTAP_L_V6_FRAG);
		rtap_bpf_emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, IPPROTO_HOPOPTS);
		rtap_bpf_emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, IPPROTO_ROUTING);
		rtap_bpf_jump(p, BPF_JNE, BPF_REG_0, IPPROTO_DSTOPTS, RTAP_L_V6_OTHER);
		/* r9 += (length + 1) * 8, r0 = the next header; r7 is free until the hash. */
		rtap_bpf_load(p, BPF_B, true, BPF_REG_9, 1);
		rtap_bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
		rtap_bpf_alu64(p, BPF_LSH, BPF_REG_7, 3);
		rtap_bpf_alu64(p, BPF_ADD, BPF_REG_7, 8);
		rtap_bpf_load(p, BPF_B, true, BPF_REG_9, 0);
		rtap_bpf_alu64_reg(p, BPF_ADD, BPF_REG_9, BPF_REG_7);
	}
	rtap_bpf_flow_types(p, key, rss_hf, &rtap_bpf_v6);
}

/* IPv4: the header length from the IHL; a fragment's ports are not read. */
static void
rtap_bpf_ipv4(struct rtap_bpf *p, const uint8_t *key, uint64_t rss_hf)
{
	/* Only what rte_net_get_ptype() calls IPv4: version 4, IHL 5 to 15. */
	rtap_bpf_load(p, BPF_B, true, BPF_REG_8, offsetof(struct rte_ipv4_hdr, version_ihl));
	rtap_bpf_jump(p, BPF_JLT, BPF_REG_0, RTE_IPV4_VHL_DEF, RTAP_L_NO_HASH);
	rtap_bpf_jump(p, BPF_JGT, BPF_REG_0, 0x4f, RTAP_L_NO_HASH);
	rtap_bpf_alu64(p, BPF_AND, BPF_REG_0, RTE_IPV4_HDR_IHL_MASK);
	rtap_bpf_alu64(p, BPF_LSH, BPF_REG_0, 2);
	rtap_bpf_emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_8, 0, 0);
	rtap_bpf_alu64_reg(p, BPF_ADD, BPF_REG_9, BPF_REG_0);
	rtap_bpf_load(p, BPF_H, true, BPF_REG_8, offsetof(struct rte_ipv4_hdr, fragment_offset));
	rtap_bpf_jump(p, BPF_JSET, BPF_REG_0, RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG,
		      RTAP_L_V4_FRAG);
	rtap_bpf_load(p, BPF_B, true, BPF_REG_8, offsetof(struct rte_ipv4_hdr, next_proto_id));
	rtap_bpf_jump(p, BPF_JEQ, BPF_REG_0, IPPROTO_TCP, RTAP_L_V4_TCP);
	rtap_bpf_jump(p, BPF_JEQ, BPF_REG_0, IPPROTO_UDP, RTAP_L_V4_UDP);
	rtap_bpf_flow_types(p, key, rss_hf, &rtap_bpf_v4);
}

/*
 * An Ethernet frame: r8 past the header and its tags, then on to IPv4 or
 * NO_HASH, or on into IPv6.
 */
static void
rtap_bpf_ether(struct rtap_bpf *p)
{
	rtap_bpf_alu64(p, BPF_MOV, BPF_REG_8, RTE_ETHER_HDR_LEN);
	/* One VLAN tag or a QinQ pair, as rte_net_get_ptype() reads them. */
	rtap_bpf_load(p, BPF_H, false, 0, offsetof(struct rte_ether_hdr, ether_type));
	rtap_bpf_jump(p, BPF_JEQ, BPF_REG_0, RTE_ETHER_TYPE_VLAN, RTAP_L_VLAN);
	rtap_bpf_jump(p, BPF_JNE, BPF_REG_0, RTE_ETHER_TYPE_QINQ, RTAP_L_L3);
	rtap_bpf_alu64(p, BPF_MOV, BPF_REG_8, RTE_ETHER_HDR_LEN + 8);
	rtap_bpf_load(p, BPF_H, false, 0, RTE_ETHER_HDR_LEN + 6);
	rtap_bpf_jump(p, BPF_JA, 0, 0, RTAP_L_L3);
	rtap_bpf_place(p, RTAP_L_VLAN);
	rtap_bpf_alu64(p, BPF_MOV, BPF_REG_8, RTE_ETHER_HDR_LEN + 4);
	rtap_bpf_load(p, BPF_H, false, 0, RTE_ETHER_HDR_LEN + 2);
	rtap_bpf_place(p, RTAP_L_L3);
	rtap_bpf_jump(p, BPF_JEQ, BPF_REG_0, RTE_ETHER_TYPE_IPV4, RTAP_L_V4);
	rtap_bpf_jump(p, BPF_JNE, BPF_REG_0, RTE_ETHER_TYPE_IPV6, RTAP_L_NO_HASH);
}

/* A TUN's IP packet (skb data starts at it): the version says which, as rtap_l3_ptype(). */
static void
rtap_bpf_ip(struct rtap_bpf *p)
{
	rtap_bpf_alu64(p, BPF_MOV, BPF_REG_8, 0);
	rtap_bpf_load(p, BPF_B, false, 0, 0);
	rtap_bpf_alu32(p, BPF_RSH, BPF_REG_0, 4);
	rtap_bpf_jump(p, BPF_JEQ, BPF_REG_0, 4, RTAP_L_V4);
	rtap_bpf_jump(p, BPF_JNE, BPF_REG_0, 6, RTAP_L_NO_HASH);
}

/*
 * Generate the program into insn (max instructions), for IP packets behind
 * an Ethernet header, or without one (l3). Returns its length, or -E2BIG
 * when it does not fit.
 */
int
rtap_bpf_steer_build(struct bpf_insn *insn, uint32_t max, bool l3, const uint8_t *key,
		     uint64_t rss_hf, const uint16_t *reta)
{
	struct rtap_bpf p = { .insn = insn, .max = max };
	uint32_t i;

	rtap_bpf_emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	if (l3)
		rtap_bpf_ip(&p);
	else
		rtap_bpf_ether(&p);
	rtap_bpf_ipv6(&p, key, rss_hf);
	rtap_bpf_place(&p, RTAP_L_V4);
	rtap_bpf_ipv4(&p, key, rss_hf);

	/* Not hashed: hash 0, as a NIC gives it. Then r0 = reta[hash % size]. */
	rtap_bpf_place(&p, RTAP_L_NO_HASH);
	rtap_bpf_alu32(&p, BPF_MOV, BPF_REG_7, 0);
	rtap_bpf_place(&p, RTAP_L_RETA);
	rtap_bpf_emit(&p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_7, 0, 0);
	rtap_bpf_alu32(&p, BPF_AND, BPF_REG_0, RTAP_RETA_SIZE - 1);
	for (i = 0; i < RTAP_RETA_SIZE - 1; i++) {
		rtap_bpf_emit(&p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, i);
		rtap_bpf_alu32(&p, BPF_MOV, BPF_REG_0, reta[i]);
		rtap_bpf_emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	rtap_bpf_alu32(&p, BPF_MOV, BPF_REG_0, reta[i]);
	rtap_bpf_emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	if (p.n > p.max || p.nb_fixups > RTAP_BPF_MAX_FIXUPS)
		return -E2BIG;
	for (i = 0; i < p.nb_fixups; i++)
		p.insn[p.fixup[i].at].off = p.label[p.fixup[i].label] - p.fixup[i].at - 1;
	return p.n;
}

/* Load the program for this configuration: its fd, or a negative errno. */
int
rtap_bpf_steer_load(bool l3, const uint8_t *key, uint64_t rss_hf, const uint16_t *reta)
{
	struct bpf_insn *insn = calloc(RTAP_BPF_MAX_INSNS, sizeof(*insn));
	union bpf_attr attr;
	int n, fd, tries = 0;

	if (insn == NULL)
		return -ENOMEM;
	n = rtap_bpf_steer_build(insn, RTAP_BPF_MAX_INSNS, l3, key, rss_hf, reta);
	if (n < 0) {
		free(insn);
		return n;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insn;
	attr.insn_cnt = n;
	attr.license = (uintptr_t)"Dual BSD/GPL";
	/* The verifier gives up (-EAGAIN) when a signal is pending: retry, as libbpf does. */
	do {
		fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	} while (fd < 0 && errno == EAGAIN && ++tries < RTAP_BPF_LOAD_TRIES);
	n = fd < 0 ? -errno : fd;
	free(insn);
	return n;
}

/* Make prog_fd the TAP's steering program (-1: none, the kernel's own choice). */
int
rtap_bpf_steer_attach(int tap_fd, int prog_fd)
{
	if (ioctl(tap_fd, TUNSETSTEERINGEBPF, &prog_fd) < 0)
		return -errno;
	return 0;
}
