# SPDX-License-Identifier: BSD-3-Clause
"""One TCP measurement through Open vSwitch with DPDK, for bench/run.sh.

    /usr/bin/python3 bench/ovs.py <rtap|tap> <plugin> <seconds> <log file>

A private switch (tests/system/ovs_switch.py) with two ports of the driver on
a netdev bridge, each with n_rxq=2 (net_tap refuses OVS's default of one Rx
queue with two Tx queues); ovs-vswitchd and its PMD thread on CPU 1, iperf3
from namespace A to B on CPU 0, as the rest of the benchmark places them.
Prints "<Gbit/s received> <retransmits>", or "skipped <reason>" where Debian's
OVS cannot run (not installed, or the plugin is for another DPDK).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "system"))

from ovs_switch import VSWITCHD, Ovs, iperf3  # noqa: E402


def main():
    driver, plugin, secs, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if not os.access(VSWITCHD, os.X_OK):
        print("skipped openvswitch-switch-dpdk not installed")
        return
    if os.environ.get("RTAP_DPDK"):
        print(f"skipped Debian's OVS runs on Debian's DPDK, not {os.environ['RTAP_DPDK']}")
        return
    with tempfile.TemporaryDirectory(prefix="rtap-bench-ovs-") as tmp:
        ovs = Ovs(Path(tmp), plugin, driver=driver, port_options=("options:n_rxq=2",),
                  other_config=("pmd-cpu-mask=0x2",), cpu=1)
        try:
            end = iperf3(ovs, "a", secs=secs, cpu=0)["end"]
        finally:
            ovs.close()
            shutil.copy(ovs.log, log)
    gbps = end["sum_received"]["bits_per_second"] / 1e9
    print(f"{gbps:.3f} {end['sum_sent']['retransmits']}")


if __name__ == "__main__":
    main()
