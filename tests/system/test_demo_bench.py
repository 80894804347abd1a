# SPDX-License-Identifier: BSD-3-Clause
"""Smoke runs of the README's demo and of the benchmark, so neither rots.

No throughput is asserted (the machine is shared): only that each runs to the
end, moved real traffic, and left nothing behind.
"""

import csv
import re
import subprocess
from pathlib import Path

from conftest import ROOT, UPSTREAM_DPDK

TESTS = ["tx64", "tx1500", "tx1500_3seg", "rx64", "rx64_paced", "ping_idle", "fwd_udp64",
         "tcp", "tcp_offloads", "udp_gso"]
# Beyond those, per driver.
MORE = {"rtap": ["tcp_csum_full", "tcp_csum_partial", "ovs_tcp"], "tap": ["ovs_tcp"],
        "af_packet": []}
PLACEMENTS = ("pinned", "spread")
# Frame counts (losses on the way) and CPU cost, by test.
COUNTS = {"rx64": ["dropped_tap", "cpu_ns_per_pkt"], "tx64": ["cpu_ns_per_pkt"],
          "fwd_udp64": ["lost_tap", "lost_pmd", "lost_rx"]}


def leftover_netns(tok):
    """Namespaces of the run with token tok that still exist."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                         check=True).stdout
    return [n for n in out.split() if n.endswith(tok)]


def test_demo():
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert " 0% packet loss: rtt min " in out, out
    gbps = re.search(r"iperf3 TCP \S+ -> \S+: ([0-9.]+) Gbits/sec", out)
    assert gbps and float(gbps.group(1)) > 0, out
    ports = re.findall(r"port (\d) \(\S+\): RX (\d+) packets, TX (\d+) packets", out)
    assert [p[0] for p in ports] == ["0", "1"], out
    # io forwarding: what one port receives the other transmits.
    assert ports[0][1] == ports[1][2] and ports[1][1] == ports[0][2]
    assert int(ports[0][1]) > 10 and int(ports[1][1]) > 10
    tok = re.search(r"\] +rd1([0-9a-f]{6}): ", out).group(1)
    assert leftover_netns(tok) == []


def test_bench_quick():
    run = subprocess.run(["bash", "bench/run.sh", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = Path(ROOT, re.search(r"results in (\S+)", run.stdout).group(1))
    with open(out / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    # The placement is the last column.
    assert list(rows[0])[-1] == "placement", list(rows[0])
    for pl in PLACEMENTS:
        for drv in ("rtap", "tap", "af_packet"):
            tests = {r["test"]: r for r in rows if r["driver"] == drv and r["placement"] == pl}
            assert set(TESTS + MORE[drv]) <= set(tests), (pl, drv, sorted(tests))
            for t in TESTS + MORE[drv]:
                r = tests[t]
                # Debian's OVS runs on Debian's DPDK only.
                if r["unit"] == "skipped" and (t == "tcp_offloads" or
                                               t == "ovs_tcp" and UPSTREAM_DPDK):
                    continue
                assert float(r["value"]) > 0, (pl, drv, t, r)
            for t, cols in COUNTS.items():
                for c in cols:
                    assert int(tests[t][c]) >= 0, (pl, drv, t, c, tests[t])
            assert int(tests["rx64"]["cpu_ns_per_pkt"]) > 0, (pl, drv, tests["rx64"])
        assert any(r["driver"] == "veth" and r["placement"] == pl and float(r["value"]) > 0
                   for r in rows), pl
    table = (out / "table.md").read_text()
    assert table.startswith("### Placement pinned: "), table[:200]
    for pl in PLACEMENTS:
        assert f"### Placement {pl}: " in table
    assert table.count("\n| Measurement |") == len(PLACEMENTS)
    for label in ("Rx 64 B, dropped before the PMD", "Rx 64 B, CPU ns/packet, both cores",
                  "Tx 64 B, CPU ns/packet, both cores",
                  "Forward UDP 64 B, lost at port 0's TAP queue"):
        assert table.count(f"| {label} |") == len(PLACEMENTS), label
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert leftover_netns(out.name.rsplit("-", 1)[1]) == []
