/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Unit tests of the netlink datagram walk (rtap_nl_parse in rtap_link.c):
 * whatever arrives on the link-event socket, nothing is read beyond a
 * message or the datagram, and only the kernel is listened to.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "rtap.h"

#define BUF_LEN	4096

/* A datagram; the bytes past what a test writes are a valid-looking message. */
static union {
	struct nlmsghdr nh;
	uint8_t bytes[BUF_LEN];
} dgram;

static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK, .nl_pid = 0 };

struct seen {
	unsigned int count;
	struct rtap_nl_link last;
	int stop_after;		/* return 1 from the callback after that many */
};

static int
record(const struct rtap_nl_link *link, void *arg)
{
	struct seen *seen = arg;

	seen->count++;
	seen->last = *link;
	return seen->stop_after != 0 && seen->count >= (unsigned int)seen->stop_after;
}

/* A link message at off, nlmsg_len covering its ifinfomsg and attr_len more. */
static size_t
put_link(size_t off, uint16_t type, int if_index, unsigned int flags, size_t attr_len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(dgram.bytes + off);
	struct ifinfomsg *ifi = NLMSG_DATA(nh);

	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*ifi) + attr_len);
	nh->nlmsg_type = type;
	ifi->ifi_index = if_index;
	ifi->ifi_flags = flags;
	return off + NLMSG_ALIGN(nh->nlmsg_len);
}

static void
put_stats(size_t msg_off, uint64_t tx_dropped, unsigned short rta_len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(dgram.bytes + msg_off);
	struct rtattr *rta = IFLA_RTA((struct ifinfomsg *)NLMSG_DATA(nh));
	struct rtnl_link_stats64 stats = { .tx_dropped = tx_dropped };

	rta->rta_type = IFLA_STATS64;
	rta->rta_len = rta_len;
	memcpy(RTA_DATA(rta), &stats, sizeof(stats));
}

static int
setup(void **state __rte_unused)
{
	memset(&dgram, 0, sizeof(dgram));
	/* Bait past every datagram below: a walk that overruns reports it. */
	put_link(2048, RTM_NEWLINK, 99, IFF_UP, 0);
	return 0;
}

static int
parse(size_t len, const struct sockaddr_nl *from, struct seen *seen)
{
	return rtap_nl_parse(dgram.bytes, len, from, record, seen);
}

static void
test_valid_link_with_stats(void **state __rte_unused)
{
	size_t attr = RTA_LENGTH(sizeof(struct rtnl_link_stats64));
	size_t end = put_link(0, RTM_NEWLINK, 7, IFF_UP | IFF_RUNNING, RTA_ALIGN(attr));
	struct seen seen = { 0 };

	put_stats(0, 1234, attr);
	end = put_link(end, RTM_DELLINK, 8, 0, 0);
	assert_int_equal(parse(end, &kernel, &seen), 0);
	assert_int_equal(seen.count, 2);
	assert_int_equal(seen.last.type, RTM_DELLINK);
	assert_int_equal(seen.last.if_index, 8);

	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	assert_int_equal(parse(end, &kernel, &seen), 1);
	assert_int_equal(seen.count, 1);
	assert_int_equal(seen.last.if_index, 7);
	assert_int_equal(seen.last.flags, IFF_UP | IFF_RUNNING);
	assert_true(seen.last.has_stats);
	assert_int_equal(seen.last.stats.tx_dropped, 1234);
}

static void
test_sender_must_be_kernel(void **state __rte_unused)
{
	struct sockaddr_nl process = { .nl_family = AF_NETLINK, .nl_pid = 4242 };
	struct sockaddr_nl other = { .nl_family = AF_UNIX };
	size_t end = put_link(0, RTM_NEWLINK, 7, 0, 0);
	struct seen seen = { 0 };

	assert_int_equal(parse(end, &process, &seen), -EPERM);
	assert_int_equal(parse(end, &other, &seen), -EPERM);
	assert_int_equal(parse(end, NULL, &seen), -EPERM);
	assert_int_equal(seen.count, 0);
}

static void
test_negative_length(void **state __rte_unused)
{
	struct seen seen = { 0 };

	put_link(0, RTM_NEWLINK, 7, 0, 0);
	assert_int_equal(rtap_nl_parse(dgram.bytes, -1, &kernel, record, &seen), -EINVAL);
	assert_int_equal(seen.count, 0);
}

/* A link message too short for its ifinfomsg: nothing of it is read. */
static void
test_link_shorter_than_ifinfomsg(void **state __rte_unused)
{
	struct seen seen = { 0 };
	size_t len;

	for (len = NLMSG_HDRLEN; len < NLMSG_LENGTH(sizeof(struct ifinfomsg)); len++) {
		put_link(0, RTM_NEWLINK, 7, IFF_UP, 0);
		dgram.nh.nlmsg_len = len;
		assert_int_equal(parse(len, &kernel, &seen), 0);
	}
	assert_int_equal(seen.count, 0);
}

/*
 * An unaligned last message: NLMSG_NEXT subtracts its aligned length and the
 * remainder goes negative. Compared unsigned it is huge, and the walk goes on
 * into whatever follows in the buffer (the bait at 2048 once it gets there).
 */
static void
test_unaligned_tail_ends_the_walk(void **state __rte_unused)
{
	struct seen seen = { 0 };
	size_t off;

	/* Messages of 17 bytes, each 20 apart, leading to a bait of its own. */
	for (off = 0; off < 2040; off += 20) {
		struct nlmsghdr *nh = (struct nlmsghdr *)(dgram.bytes + off);

		nh->nlmsg_len = NLMSG_HDRLEN + 1;
		nh->nlmsg_type = NLMSG_NOOP;
	}
	put_link(2040, RTM_NEWLINK, 99, IFF_UP, 0);
	assert_int_equal(parse(NLMSG_HDRLEN + 1, &kernel, &seen), 0);
	assert_int_equal(seen.count, 0);
}

static void
test_message_longer_than_datagram(void **state __rte_unused)
{
	struct seen seen = { 0 };
	size_t end = put_link(0, RTM_NEWLINK, 7, 0, 64);

	assert_int_equal(parse(end - 64, &kernel, &seen), 0);
	dgram.nh.nlmsg_len = 8;		/* shorter than its own header */
	assert_int_equal(parse(end, &kernel, &seen), 0);
	assert_int_equal(seen.count, 0);
}

static void
test_attribute_beyond_message(void **state __rte_unused)
{
	size_t attr = RTA_LENGTH(sizeof(struct rtnl_link_stats64));
	struct seen seen = { 0 };
	size_t end;

	/* The attribute claims its full length, the message holds 8 bytes of it. */
	end = put_link(0, RTM_NEWLINK, 7, 0, 8);
	put_stats(0, 1234, attr);
	assert_int_equal(parse(end, &kernel, &seen), 0);
	assert_int_equal(seen.count, 1);
	assert_false(seen.last.has_stats);

	/* A payload shorter than the stats structure is not copied either. */
	end = put_link(0, RTM_NEWLINK, 7, 0, RTA_ALIGN(attr));
	put_stats(0, 1234, RTA_LENGTH(8));
	assert_int_equal(parse(end, &kernel, &seen), 0);
	assert_false(seen.last.has_stats);
}

static void
test_error_messages(void **state __rte_unused)
{
	struct nlmsgerr *err = NLMSG_DATA(&dgram.nh);
	struct seen seen = { 0 };
	size_t end;

	dgram.nh.nlmsg_type = NLMSG_ERROR;
	dgram.nh.nlmsg_len = NLMSG_LENGTH(sizeof(*err));
	err->error = -ENODEV;
	assert_int_equal(parse(dgram.nh.nlmsg_len, &kernel, &seen), -ENODEV);
	err->error = 5;		/* not an errno the kernel sends */
	assert_int_equal(parse(dgram.nh.nlmsg_len, &kernel, &seen), -EBADMSG);

	/* Too short to hold the error code. */
	dgram.nh.nlmsg_len = NLMSG_LENGTH(2);
	assert_int_equal(parse(NLMSG_ALIGN(dgram.nh.nlmsg_len), &kernel, &seen), -EBADMSG);

	/* An acknowledgement, then a link message: the walk goes on. */
	err->error = 0;
	dgram.nh.nlmsg_len = NLMSG_LENGTH(sizeof(*err));
	end = put_link(NLMSG_ALIGN(dgram.nh.nlmsg_len), RTM_NEWLINK, 7, 0, 0);
	assert_int_equal(parse(end, &kernel, &seen), 0);
	assert_int_equal(seen.count, 1);

	/* NLMSG_DONE ends the walk. */
	dgram.nh.nlmsg_type = NLMSG_DONE;
	assert_int_equal(parse(end, &kernel, &seen), 0);
	assert_int_equal(seen.count, 1);
}

static void
test_other_types_skipped(void **state __rte_unused)
{
	struct seen seen = { 0 };
	size_t end = put_link(0, RTM_NEWADDR, 7, 0, 0);

	end = put_link(end, RTM_NEWLINK, 9, 0, 0);
	assert_int_equal(parse(end, &kernel, &seen), 0);
	assert_int_equal(seen.count, 1);
	assert_int_equal(seen.last.if_index, 9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_valid_link_with_stats, setup),
		cmocka_unit_test_setup(test_sender_must_be_kernel, setup),
		cmocka_unit_test_setup(test_negative_length, setup),
		cmocka_unit_test_setup(test_link_shorter_than_ifinfomsg, setup),
		cmocka_unit_test_setup(test_unaligned_tail_ends_the_walk, setup),
		cmocka_unit_test_setup(test_message_longer_than_datagram, setup),
		cmocka_unit_test_setup(test_attribute_beyond_message, setup),
		cmocka_unit_test_setup(test_error_messages, setup),
		cmocka_unit_test_setup(test_other_types_skipped, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
