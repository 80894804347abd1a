/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * libFuzzer target: the devargs parser (rtap_parse_args) fed an arbitrary
 * string, as an operator or orchestration layer may pass one. Accepted
 * arguments must describe something the probe can use as is.
 *
 * Input: the devargs string (cut at the first NUL).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "rtap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv __rte_unused)
{
	/* Every rejected string is logged: keep the fuzzer's output readable. */
	rte_log_set_global_level(RTE_LOG_EMERG);
	return 0;
}

static void
fuzz_check_args(const struct rtap_args *args)
{
	size_t len = strnlen(args->ifname, sizeof(args->ifname));
	size_t i;

	if (len == 0 || len == sizeof(args->ifname))
		abort();
	for (i = 0; i < len; i++)
		if (args->ifname[i] == '/' || args->ifname[i] == ':' ||
		    args->ifname[i] <= ' ' || args->ifname[i] > '~')
			abort();
	if (args->mac_given && !args->mac_fixed &&
	    !rte_is_valid_assigned_ether_addr(&args->mac))
		abort();
	if (args->txqueuelen > RTAP_TXQLEN_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtap_args args;
	char *params = malloc(size + 1);
	int ret;

	if (params == NULL)
		return -1;
	memcpy(params, data, size);
	params[size] = '\0';
	memset(&args, 0, sizeof(args));

	ret = rtap_parse_args("net_rtap_fuzz", params, &args);
	if (ret == 0)
		fuzz_check_args(&args);
	else if (ret != -EINVAL)
		abort();
	free(params);
	return 0;
}
