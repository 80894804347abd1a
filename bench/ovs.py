# SPDX-License-Identifier: BSD-3-Clause
"""One TCP measurement through Open vSwitch with DPDK, for bench/run.sh.

    /usr/bin/python3 bench/ovs.py <rtap|rtap_sqpoll|rtap_mshot|tap> <plugin> <seconds> <log> [placement]

A private switch (tests/system/ovs_switch.py) with two ports of the driver on
a netdev bridge, each with n_rxq=2 (net_tap refuses OVS's default of one Rx
queue with two Tx queues), placed as bench/run.sh places testpmd: "pinned"
(the default), ovs-vswitchd and its PMD thread on CPU 1 and iperf3 from
namespace A to B on CPU 0; "spread", the PMD thread on CPU 1 and the rest of
ovs-vswitchd (whose DPDK main lcore then goes to CPU 0) and iperf3 unpinned.
rtap_sqpoll and rtap_mshot are rtap with sqpoll=0 or multishot=1 on both
ports. Prints "<Gbit/s received> <retransmits>", or "skipped <reason>" where Debian's OVS cannot run (not
installed, or the plugin is for another DPDK).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "system"))

from ovs_switch import VSWITCHD, Ovs, iperf3  # noqa: E402


# rtap's variants (bench/run.sh): the SQPOLL thread on CPU 0, the kernel side's.
VARIANTS = {"rtap_sqpoll": ",sqpoll=0", "rtap_mshot": ",multishot=1"}


class VariantOvs(Ovs):
    """rtap's ports with a variant's devargs."""

    def __init__(self, *args, extra, **kw):
        self.extra = extra
        super().__init__(*args, **kw)

    def devargs(self, s):
        return super().devargs(s) + self.extra


def main():
    driver, plugin, secs, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    pinned = (sys.argv[5] if len(sys.argv) > 5 else "pinned") == "pinned"
    if not os.access(VSWITCHD, os.X_OK):
        print("skipped openvswitch-switch-dpdk not installed")
        return
    if os.environ.get("RTAP_DPDK"):
        print(f"skipped Debian's OVS runs on Debian's DPDK, not {os.environ['RTAP_DPDK']}")
        return
    with tempfile.TemporaryDirectory(prefix="rtap-bench-ovs-") as tmp:
        cls, drv, kw = Ovs, driver, {}
        if driver in VARIANTS:
            cls, drv, kw = VariantOvs, "rtap", {"extra": VARIANTS[driver]}
        ovs = cls(Path(tmp), plugin, driver=drv, **kw, port_options=("options:n_rxq=2",),
                  other_config=("pmd-cpu-mask=0x2",), cpu=1 if pinned else None)
        try:
            end = iperf3(ovs, "a", secs=secs, cpu=0 if pinned else None)["end"]
        finally:
            ovs.close()
            shutil.copy(ovs.log, log)
    gbps = end["sum_received"]["bits_per_second"] / 1e9
    print(f"{gbps:.3f} {end['sum_sent']['retransmits']}")


if __name__ == "__main__":
    main()
