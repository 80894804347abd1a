/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * The devargs parser, apart from the ethdev so that it can be fuzzed and unit
 * tested without EAL or a kernel interface.
 */

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <rte_kvargs.h>
#include <rte_string_fns.h>

#include "rtap.h"

static const char * const valid_arguments[] = {
	RTAP_ARG_IFACE,
	RTAP_ARG_PERSIST,
	RTAP_ARG_MAC,
	RTAP_ARG_CSUM,
	RTAP_ARG_TXQLEN,
	RTAP_ARG_SQPOLL,
	RTAP_ARG_MULTISHOT,
	NULL
};

static int
rtap_arg_iface(const char *key __rte_unused, const char *value, void *opaque)
{
	struct rtap_args *args = opaque;
	const char *c;

	if (value == NULL || *value == '\0' || strlen(value) >= IFNAMSIZ) {
		PMD_LOG(ERR, "iface=%s: a name of 1 to %d characters is required",
			value ? value : "", IFNAMSIZ - 1);
		return -EINVAL;
	}
	for (c = value; *c != '\0'; c++) {
		if (*c == '/' || *c == ':' || *c <= ' ' || *c > '~') {
			PMD_LOG(ERR, "iface=%s: '%c' is not allowed in an interface name",
				value, *c);
			return -EINVAL;
		}
	}
	rte_strlcpy(args->ifname, value, sizeof(args->ifname));
	return 0;
}

/* A flag: key, key=1 or key=yes sets it, key=0 or key=no clears it. */
static int
rtap_arg_flag(const char *key, const char *value, bool *flag)
{
	if (value == NULL || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0) {
		*flag = true;
	} else if (strcmp(value, "0") == 0 || strcmp(value, "no") == 0) {
		*flag = false;
	} else {
		PMD_LOG(ERR, "%s=%s: expected %s, %s=1 or %s=0", key, value, key, key, key);
		return -EINVAL;
	}
	return 0;
}

static int
rtap_arg_persist(const char *key, const char *value, void *opaque)
{
	struct rtap_args *args = opaque;

	return rtap_arg_flag(key, value, &args->persist);
}

static int
rtap_arg_multishot(const char *key, const char *value, void *opaque)
{
	struct rtap_args *args = opaque;

	return rtap_arg_flag(key, value, &args->multishot);
}

static int
rtap_arg_mac(const char *key __rte_unused, const char *value, void *opaque)
{
	struct rtap_args *args = opaque;

	if (args->tun) {
		PMD_LOG(ERR, "mac=: a TUN (net_rtun) has no link-layer address");
		return -EINVAL;
	}
	args->mac_given = true;
	if (value != NULL && strcmp(value, RTAP_MAC_FIXED) == 0) {
		args->mac_fixed = true;
		return 0;
	}
	if (value == NULL || rte_ether_unformat_addr(value, &args->mac) < 0 ||
	    !rte_is_valid_assigned_ether_addr(&args->mac)) {
		PMD_LOG(ERR, "mac=%s: expected a unicast xx:xx:xx:xx:xx:xx or \"%s\"",
			value ? value : "", RTAP_MAC_FIXED);
		return -EINVAL;
	}
	return 0;
}

static int
rtap_arg_csum(const char *key __rte_unused, const char *value, void *opaque)
{
	struct rtap_args *args = opaque;

	if (value != NULL && strcmp(value, RTAP_CSUM_FULL) == 0) {
		args->csum_partial = false;
	} else if (value != NULL && strcmp(value, RTAP_CSUM_PARTIAL) == 0) {
		args->csum_partial = true;
	} else {
		PMD_LOG(ERR, "csum=%s: expected csum=%s or csum=%s",
			value ? value : "", RTAP_CSUM_FULL, RTAP_CSUM_PARTIAL);
		return -EINVAL;
	}
	return 0;
}

/* A decimal number, or ULONG_MAX: strtoul() takes a sign and leading spaces. */
static unsigned long
rtap_arg_number(const char *value)
{
	unsigned long n = ULONG_MAX;
	char *end = NULL;

	if (value != NULL && *value >= '0' && *value <= '9') {
		errno = 0;
		n = strtoul(value, &end, 10);
		if (errno != 0 || *end != '\0')
			n = ULONG_MAX;
	}
	return n;
}

static int
rtap_arg_txqlen(const char *key __rte_unused, const char *value, void *opaque)
{
	struct rtap_args *args = opaque;
	unsigned long n = rtap_arg_number(value);

	if (n == 0 || n > RTAP_TXQLEN_MAX) {
		PMD_LOG(ERR, "txqueuelen=%s: expected a number of frames from 1 to %u",
			value ? value : "", RTAP_TXQLEN_MAX);
		return -EINVAL;
	}
	args->txqueuelen = n;
	return 0;
}

static int
rtap_arg_sqpoll(const char *key __rte_unused, const char *value, void *opaque)
{
	struct rtap_args *args = opaque;
	unsigned long cpu = rtap_arg_number(value);

	if (cpu >= CPU_SETSIZE) {
		PMD_LOG(ERR, "sqpoll=%s: expected the number of the CPU the SQ thread runs on, below %d",
			value ? value : "", CPU_SETSIZE);
		return -EINVAL;
	}
	args->sqpoll_cpu = cpu;
	return 0;
}

int
rtap_parse_args(const char *name, const char *params, struct rtap_args *args)
{
	static const struct {
		const char *key;
		arg_handler_t handler;
	} handlers[] = {
		{ RTAP_ARG_IFACE, rtap_arg_iface },
		{ RTAP_ARG_PERSIST, rtap_arg_persist },
		{ RTAP_ARG_MAC, rtap_arg_mac },
		{ RTAP_ARG_CSUM, rtap_arg_csum },
		{ RTAP_ARG_TXQLEN, rtap_arg_txqlen },
		{ RTAP_ARG_SQPOLL, rtap_arg_sqpoll },
		{ RTAP_ARG_MULTISHOT, rtap_arg_multishot },
	};
	struct rte_kvargs *kvlist;
	unsigned int i;
	int ret = 0;

	rte_strlcpy(args->ifname, args->tun ? RTAP_DEFAULT_TUN_IFACE : RTAP_DEFAULT_IFACE,
		    sizeof(args->ifname));
	args->sqpoll_cpu = -1;
	args->multishot = false;
	if (params == NULL || *params == '\0')
		return 0;

	kvlist = rte_kvargs_parse(params, valid_arguments);
	if (kvlist == NULL) {
		PMD_LOG(ERR, "%s: invalid devargs \"%s\" (valid: iface=, persist, mac=, csum=, txqueuelen=, sqpoll=, multishot=)",
			name, params);
		return -EINVAL;
	}
	for (i = 0; i < RTE_DIM(handlers) && ret == 0; i++) {
		if (rte_kvargs_count(kvlist, handlers[i].key) > 1) {
			PMD_LOG(ERR, "%s: devarg %s given more than once", name, handlers[i].key);
			ret = -EINVAL;
		} else {
			/* kvargs reports any handler failure as -1 (EPERM): say EINVAL. */
			ret = rte_kvargs_process_opt(kvlist, handlers[i].key,
						     handlers[i].handler, args) < 0 ? -EINVAL : 0;
		}
	}
	rte_kvargs_free(kvlist);
	return ret;
}
