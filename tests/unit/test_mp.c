/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Unit tests of the checks on the secondary's IPC (rtap_mp.c): a request
 * for a TAP fd, from any process that reaches the primary's socket, and the
 * primary's reply, as the secondary receives it.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "rtap.h"

/* A request whose param holds the bytes of lit and claims len of them. */
#define request(lit, len)	request_of(lit, sizeof(lit), len)

static struct rte_mp_msg
request_of(const char *bytes, size_t n, int len)
{
	struct rte_mp_msg req = { .len_param = len };

	memcpy(req.param, bytes, n);
	return req;
}

static void
test_request_valid(void **state __rte_unused)
{
	struct rte_mp_msg req = request("net_rtap0", 10);

	assert_string_equal(rtap_mp_req_name(&req), "net_rtap0");
}

static void
test_request_malformed(void **state __rte_unused)
{
	struct rte_mp_msg req;

	/* Not NUL-terminated: the name would run into num_fds and fds. */
	memset(&req, 0, sizeof(req));
	memset(req.param, 'a', sizeof(req.param));
	req.len_param = RTE_MP_MAX_PARAM_LEN;
	assert_null(rtap_mp_req_name(&req));
	req.param[RTE_MP_MAX_PARAM_LEN - 1] = '\0';
	assert_non_null(rtap_mp_req_name(&req));

	req = request("net_rtap0", 9);		/* terminator left out */
	assert_null(rtap_mp_req_name(&req));
	req = request("net_rtap0\0xx", 13);	/* bytes after the name */
	assert_null(rtap_mp_req_name(&req));
	req = request("", 1);			/* no name */
	assert_null(rtap_mp_req_name(&req));
	req = request("", 0);
	assert_null(rtap_mp_req_name(&req));
	req = request("net_rtap0", -1);
	assert_null(rtap_mp_req_name(&req));
	req = request("net_rtap0", RTE_MP_MAX_PARAM_LEN + 1);
	assert_null(rtap_mp_req_name(&req));
	req = request("net_rtap0", 10);		/* a request brings no fd */
	req.num_fds = 1;
	assert_null(rtap_mp_req_name(&req));
}

static struct rte_mp_msg
reply(int32_t err, int len, int num_fds, int fd)
{
	struct rte_mp_msg msg = { .len_param = len, .num_fds = num_fds };

	memcpy(msg.param, &err, sizeof(err));
	msg.fds[0] = fd;
	return msg;
}

static void
test_reply(void **state __rte_unused)
{
	struct rte_mp_msg msg;

	msg = reply(0, 4, 1, 7);
	assert_int_equal(rtap_mp_reply_fd(&msg), 7);
	msg = reply(-ENODEV, 4, 0, -1);
	assert_int_equal(rtap_mp_reply_fd(&msg), -ENODEV);

	msg = reply(0, 0, 1, 7);		/* no error code */
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(0, 2, 1, 7);
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(0, 8, 1, 7);
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(0, 4, 0, 7);		/* success without the fd */
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(0, 4, 2, 7);		/* more than one */
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(0, 4, 1, -1);
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(-ENODEV, 4, 1, 7);		/* an error with an fd */
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(5, 4, 0, -1);		/* a positive "error" */
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(0, 4, -1, 7);
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
	msg = reply(0, 4, RTE_MP_MAX_FD_NUM + 1, 7);
	assert_int_equal(rtap_mp_reply_fd(&msg), -EBADMSG);
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
