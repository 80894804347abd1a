/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Unit tests of the checks on the secondary's IPC (rtap_mp.c): a request
 * for a port's TAP fds, from any process that reaches the primary's socket,
 * and the primary's replies, as the secondary receives them.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "rtap.h"

/* A request for fds first.., whose name holds the bytes of lit, claiming len bytes. */
#define request(first, lit, len)	request_of(first, lit, sizeof(lit), len)

static struct rte_mp_msg
request_of(uint32_t first, const char *bytes, size_t n, int len)
{
	struct rte_mp_msg req = { .len_param = len };

	memcpy(req.param, &first, sizeof(first));
	memcpy(req.param + sizeof(first), bytes, n);
	return req;
}

static void
test_request_valid(void **state __rte_unused)
{
	struct rte_mp_msg req = request(8, "net_rtap0", 4 + 10);
	uint32_t first = 0;

	assert_string_equal(rtap_mp_req_parse(&req, &first), "net_rtap0");
	assert_int_equal(first, 8);
	req = request(RTAP_MAX_QUEUES - 1, "x", 4 + 2);
	assert_string_equal(rtap_mp_req_parse(&req, &first), "x");
	assert_int_equal(first, RTAP_MAX_QUEUES - 1);
}

static void
test_request_malformed(void **state __rte_unused)
{
	struct rte_mp_msg req;
	uint32_t first;

	/* Not NUL-terminated: the name would run into num_fds and fds. */
	memset(&req, 0, sizeof(req));
	memset(req.param + 4, 'a', sizeof(req.param) - 4);
	req.len_param = RTE_MP_MAX_PARAM_LEN;
	assert_null(rtap_mp_req_parse(&req, &first));
	req.param[RTE_MP_MAX_PARAM_LEN - 1] = '\0';
	assert_non_null(rtap_mp_req_parse(&req, &first));

	req = request(0, "net_rtap0", 4 + 9);		/* terminator left out */
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(0, "net_rtap0\0xx", 4 + 13);	/* bytes after the name */
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(0, "", 4 + 1);			/* no name */
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(0, "", 4);			/* no name at all */
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(0, "", 3);			/* not even the index */
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(0, "", 0);
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(0, "net_rtap0", -1);
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(0, "net_rtap0", RTE_MP_MAX_PARAM_LEN + 1);
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(RTAP_MAX_QUEUES, "net_rtap0", 4 + 10);	/* past the last fd */
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(UINT32_MAX, "net_rtap0", 4 + 10);
	assert_null(rtap_mp_req_parse(&req, &first));
	req = request(0, "net_rtap0", 4 + 10);		/* a request brings no fd */
	req.num_fds = 1;
	assert_null(rtap_mp_req_parse(&req, &first));
}

/* A reply as the primary sends it: err, first, total, and num_fds fds 10, 11, ... */
static struct rte_mp_msg
reply(int32_t err, uint32_t first, uint32_t total, int len, int num_fds)
{
	struct rte_mp_msg msg = { .len_param = len, .num_fds = num_fds };
	int i;

	memcpy(msg.param, &err, sizeof(err));
	memcpy(msg.param + 4, &first, sizeof(first));
	memcpy(msg.param + 8, &total, sizeof(total));
	for (i = 0; i < RTE_MP_MAX_FD_NUM; i++)
		msg.fds[i] = 10 + i;
	return msg;
}

/* How many of a port's fds a reply to a request for fds first.. carries. */
#define RTAP_FDS_IN(first)	RTE_MIN(RTAP_MAX_QUEUES - (first), RTE_MP_MAX_FD_NUM)

static void
test_reply(void **state __rte_unused)
{
	uint32_t total = 0;
	struct rte_mp_msg msg;

	/* All of a port's fds: two messages of 8 where RTE_MP_MAX_FD_NUM is 8 (to 23.11). */
	msg = reply(0, 0, RTAP_MAX_QUEUES, 12, RTAP_FDS_IN(0));
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), RTAP_FDS_IN(0));
	assert_int_equal(total, RTAP_MAX_QUEUES);
	if (RTAP_FDS_IN(0) < RTAP_MAX_QUEUES) {
		msg = reply(0, RTAP_FDS_IN(0), RTAP_MAX_QUEUES, 12, RTAP_FDS_IN(RTAP_FDS_IN(0)));
		assert_int_equal(rtap_mp_reply_parse(&msg, RTAP_FDS_IN(0), &total),
				 RTAP_FDS_IN(RTAP_FDS_IN(0)));
	}
	msg = reply(0, 0, 3, 12, 3);			/* fewer fds than a message takes */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), 3);
	assert_int_equal(total, 3);
	msg = reply(-ENODEV, 0, 0, 12, 0);
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -ENODEV);

	msg = reply(0, 0, 3, 0, 3);			/* no header */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, 3, 4, 3);			/* the old reply: an error code only */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, 3, 16, 3);
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, 3, 12, 2);			/* fds missing */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, 3, 12, 4);			/* fds to spare */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, 3, 12, 0);			/* success without any */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 1, 3, 12, 2);			/* the answer to another request */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 3, 3, 12, 0);			/* nothing from first on */
	assert_int_equal(rtap_mp_reply_parse(&msg, 3, &total), -EBADMSG);
	msg = reply(0, 0, 0, 12, 0);			/* a port without fds */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, RTAP_MAX_QUEUES + 1, 12,	/* more than a port has */
		    RTE_MIN(RTAP_MAX_QUEUES + 1, RTE_MP_MAX_FD_NUM));
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, 3, 12, 3);			/* an fd that is none */
	msg.fds[1] = -1;
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(-ENODEV, 0, 0, 12, 1);		/* an error with an fd */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(5, 0, 3, 12, 3);			/* a positive "error" */
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, 3, 12, -1);
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	msg = reply(0, 0, RTAP_MAX_QUEUES, 12, RTE_MP_MAX_FD_NUM + 1);
	assert_int_equal(rtap_mp_reply_parse(&msg, 0, &total), -EBADMSG);
	assert_int_equal(total, 3);			/* untouched by the refused ones */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_valid),
		cmocka_unit_test(test_request_malformed),
		cmocka_unit_test(test_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
