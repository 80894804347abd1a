/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * Unit tests of the devargs parser (rtap_args.c); the fuzz_devargs target
 * feeds it arbitrary strings, these pin the answers that matter.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <rte_log.h>

#include "rtap.h"

static int
parse(const char *params, struct rtap_args *args)
{
	memset(args, 0, sizeof(*args));
	return rtap_parse_args("net_rtap_test", params, args);
}

static void
test_defaults(void **state __rte_unused)
{
	struct rtap_args args;

	assert_int_equal(parse(NULL, &args), 0);
	assert_string_equal(args.ifname, RTAP_DEFAULT_IFACE);
	assert_int_equal(parse("", &args), 0);
	assert_string_equal(args.ifname, RTAP_DEFAULT_IFACE);
	assert_false(args.persist);
	assert_false(args.mac_given);
	assert_false(args.csum_partial);
	assert_int_equal(args.txqueuelen, 0);
	assert_int_equal(args.sqpoll_cpu, -1);
	assert_false(args.multishot);
}

/* net_rtun: its own default name, and no MAC address to take. */
static void
test_tun(void **state __rte_unused)
{
	struct rtap_args args = { .tun = true };

	assert_int_equal(rtap_parse_args("net_rtun_test", NULL, &args), 0);
	assert_string_equal(args.ifname, RTAP_DEFAULT_TUN_IFACE);
	assert_int_equal(rtap_parse_args("net_rtun_test", "iface=t0,persist,csum=partial",
					 &args), 0);
	assert_string_equal(args.ifname, "t0");
	assert_true(args.persist && args.csum_partial && args.tun);
	assert_int_equal(rtap_parse_args("net_rtun_test", "mac=fixed", &args), -EINVAL);
	assert_int_equal(rtap_parse_args("net_rtun_test", "mac=02:00:00:00:00:01", &args),
			 -EINVAL);
	assert_false(args.mac_given);
}

static void
test_valid(void **state __rte_unused)
{
	const struct rte_ether_addr mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};
	struct rtap_args args;

	assert_int_equal(parse("iface=dtap0123456789a,persist,mac=fixed", &args), 0);
	assert_string_equal(args.ifname, "dtap0123456789a");
	assert_true(args.persist);
	assert_true(args.mac_given && args.mac_fixed);

	assert_int_equal(parse("persist=0,mac=02:00:00:00:00:01", &args), 0);
	assert_false(args.persist);
	assert_true(args.mac_given && !args.mac_fixed);
	assert_true(rte_is_same_ether_addr(&args.mac, &mac));

	assert_int_equal(parse("csum=partial,txqueuelen=1", &args), 0);
	assert_true(args.csum_partial);
	assert_int_equal(args.txqueuelen, 1);
	assert_int_equal(parse("csum=full,txqueuelen=1048576", &args), 0);
	assert_false(args.csum_partial);
	assert_int_equal(args.txqueuelen, RTAP_TXQLEN_MAX);
	assert_int_equal(parse("txqueuelen=0002000", &args), 0);
	assert_int_equal(args.txqueuelen, 2000);
	assert_int_equal(args.sqpoll_cpu, -1);
	assert_int_equal(parse("sqpoll=0", &args), 0);
	assert_int_equal(args.sqpoll_cpu, 0);
	assert_int_equal(parse("sqpoll=1023", &args), 0);
	assert_int_equal(args.sqpoll_cpu, 1023);
	assert_int_equal(parse("multishot=0", &args), 0);
	assert_false(args.multishot);
	assert_int_equal(parse("multishot", &args), 0);
	assert_true(args.multishot);
	assert_int_equal(parse("multishot=no,sqpoll=1", &args), 0);
	assert_true(!args.multishot && args.sqpoll_cpu == 1);
}

/*
 * Every bad value is -EINVAL. rte_kvargs_process() turns a handler's error
 * into -1, which the probe returned as is (-EPERM) until fuzz_devargs found it.
 */
static void
test_invalid_is_einval(void **state __rte_unused)
{
	static const char * const bad[] = {
		"iface=", "iface=dtap0123456789ab", "iface=a/b", "iface=a:b", "iface=a b",
		"iface=\x7f", "persist=maybe", "mac", "mac=", "mac=01:00:5e:00:00:01",
		"mac=00:00:00:00:00:00", "mac=02:00:00:00:00", "iface=a,iface=b",
		"persist,persist", "unknown=1", "iface", ",,=",
		"csum", "csum=", "csum=none", "csum=FULL", "csum=partial,csum=full",
		"txqueuelen", "txqueuelen=", "txqueuelen=0", "txqueuelen=-1", "txqueuelen=+5",
		"txqueuelen= 5", "txqueuelen=5x", "txqueuelen=0x10", "txqueuelen=1048577",
		"txqueuelen=18446744073709551617", "txqueuelen=1,txqueuelen=2",
		"sqpoll", "sqpoll=", "sqpoll=-1", "sqpoll=1024", "sqpoll=x", "sqpoll=0x1",
		"sqpoll= 1", "sqpoll=1,sqpoll=1", "multishot=2", "multishot=", "multishot=on",
		"multishot,multishot=0",
	};
	struct rtap_args args;
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		int ret = parse(bad[i], &args);

		if (ret != -EINVAL)
			fail_msg("\"%s\": %d, expected -EINVAL", bad[i], ret);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_tun),
		cmocka_unit_test(test_invalid_is_einval),
	};

	/* Each refused string is logged at ERR: expected here. */
	rte_log_set_global_level(RTE_LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
