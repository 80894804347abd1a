/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The rtap authors
 *
 * EAL for the unit tests and fuzzers: no hugepages (so ASan and valgrind
 * see every byte), no shared files, a prefix of its own per process.
 */

#ifndef _RTAP_TEST_EAL_H_
#define _RTAP_TEST_EAL_H_

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

/*
 * prog may be a path (a fuzzer's argv[0]): the prefix takes its last part,
 * as it names a directory of the runtime directory. No telemetry: its
 * socket would need that directory, and nothing here queries it.
 */
static inline int
test_eal_init(const char *prog, const char *memory_mb)
{
	const char *name = strrchr(prog, '/');
	char prefix[64];
	char *argv[] = { (char *)prog, "--no-huge", "-m", (char *)memory_mb, "--no-pci",
			 "--no-shconf", "--no-telemetry", "--log-level=*:error",
			 "--file-prefix", prefix };

	snprintf(prefix, sizeof(prefix), "rtap-%s-%d", name != NULL ? name + 1 : prog,
		 getpid());
	return rte_eal_init(RTE_DIM(argv), argv);
}

#endif /* _RTAP_TEST_EAL_H_ */
