# SPDX-License-Identifier: BSD-3-Clause
"""Summarise bench/run.sh results: runs.csv -> table.md, table.rst and chart.png.

Per driver and measurement: the median over the repetitions and the min-max
range; ratios are of medians against net_tap from the same run.
Usage: /usr/bin/python3 bench/report.py <results dir>
"""

import csv
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

DRIVERS = [("rtap", "rtap"), ("tap", "net_tap"), ("af_packet", "net_af_packet"),
           ("veth", "veth (kernel only)")]

# (test, CSV column, label, unit, higher is better, target for rtap/net_tap)
ROWS = [
    ("tx64", "value", "Tx 64 B, received by the kernel", "Mpps", True, 1.3),
    ("tx1500", "value", "Tx 1500 B", "Mpps", True, None),
    ("tx1500_3seg", "value", "Tx 1500 B in 3 segments", "Mpps", True, None),
    ("rx64", "value", "Rx 64 B, delivered to testpmd", "Mpps", True, 4.0),
    ("rx64", "generated_mpps", "Rx 64 B, trafgen sent", "Mpps", True, None),
    ("rx64", "delivered_pct", "Rx 64 B, share delivered", "%", True, None),
    ("rx64", "cycles_per_pkt", "Rx 64 B, PMD cycles/packet", "cycles", False, None),
    ("rx64_paced", "value", "Rx 64 B offered at 0.25 Mpps, delivered", "Mpps", True, 4.0),
    ("rx64_paced", "delivered_pct", "Rx 64 B offered at 0.25 Mpps, share delivered", "%",
     True, None),
    ("tx64", "cycles_per_pkt", "Tx 64 B, PMD cycles/packet", "cycles", False, None),
    ("fwd_udp64", "value", "Forward UDP 64 B, ns1 to ns2", "Mpps", True, 2.5),
    ("tcp", "value", "TCP, offloads off", "Gbit/s", True, None),
    ("tcp", "retrans", "TCP, offloads off: retransmits", "", False, None),
    ("tcp_offloads", "value", "TCP, offloads on", "Gbit/s", True, 5.0),
    ("tcp_offloads", "retrans", "TCP, offloads on: retransmits", "", False, None),
    ("udp_gso", "value", "UDP, 64 KB GSO writes of 1400 B datagrams, received", "Gbit/s",
     True, None),
    ("udp_gso", "delivered_pct", "UDP GSO, share of the bytes sent received", "%", True,
     None),
    ("tcp_csum_full", "value", "TCP, offloads on but LRO, complete Rx checksums (default)",
     "Gbit/s", True, None),
    ("tcp_csum_partial", "value", "TCP, offloads on but LRO, csum=partial", "Gbit/s", True,
     None),
    ("ovs_tcp", "value", "TCP through OVS-DPDK, 2 Rx queues a port", "Gbit/s", True, None),
    ("ovs_tcp", "retrans", "TCP through OVS-DPDK: retransmits", "", False, None),
    ("ping_idle", "value", "ping idle, median", "ms", False, 0.5),
    ("ping_idle", "rtt_min_ms", "ping idle, min", "ms", False, None),
    ("ping_idle", "rtt_p99_ms", "ping idle, p99", "ms", False, None),
    ("ping_tcp", "value", "ping under TCP load, median", "ms", False, None),
    ("ping_tcp", "rtt_p99_ms", "ping under TCP load, p99", "ms", False, None),
]

# Bars of the chart: rtap and net_af_packet against net_tap, >1 is better.
CHART = [("tx64", "Tx 64B"), ("tx1500", "Tx 1500B"), ("tx1500_3seg", "Tx 3-seg"),
         ("rx64", "Rx 64B"), ("fwd_udp64", "Fwd UDP"), ("tcp", "TCP"),
         ("tcp_offloads", "TCP offl."), ("udp_gso", "UDP GSO"), ("ovs_tcp", "OVS TCP"), ("ping_idle", "ping (inv.)")]


def load(path):
    data = defaultdict(list)
    with open(path) as f:
        for r in csv.DictReader(f):
            for col, v in r.items():
                try:
                    data[(r["driver"], r["test"], col)].append(float(v))
                except (TypeError, ValueError):
                    pass
    return data


def fmt(x):
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x >= 1 else f"{x:.3f}"


def cell(vals):
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(vals))}–{fmt(max(vals))})"


def ratio(data, test, col):
    a = data.get(("rtap", test, col))
    b = data.get(("tap", test, col))
    if not a or not b or statistics.median(b) == 0 or statistics.median(a) == 0:
        return None
    return statistics.median(a) / statistics.median(b)


def table_rows(data):
    """Header and rows: measurement, unit, one cell per driver, ratio, target."""
    head = ["Measurement", "unit"] + [name for _, name in DRIVERS] + ["rtap / net_tap", "target"]
    rows = []
    for test, col, label, unit, higher, target in ROWS:
        cells = [cell(data.get((d, test, col), [])) for d, _ in DRIVERS]
        if all(c == "–" for c in cells):
            continue
        r = ratio(data, test, col)
        rs = "–" if r is None else f"{r:.2f}x"
        ts = ""
        if target is not None:
            ts = f"{'≥' if higher else '≤'} {target}x"
            if r is not None:
                ok = r >= target if higher else r <= target
                ts += " met" if ok else " missed"
        rows.append([label, unit] + cells + [rs, ts])
    return head, rows


def notes(data, reps):
    out = []
    veth = data.get(("veth", "tcp", "value"))
    rt = data.get(("rtap", "tcp_offloads", "value"))
    if veth and rt:
        share = statistics.median(rt) / statistics.median(veth)
        out.append(f"rtap TCP with offloads reaches {share:.0%} of the kernel-only veth "
                   f"(target ≥ 50%: {'met' if share >= 0.5 else 'missed'}).")
    full = data.get(("rtap", "tcp_csum_full", "value"))
    partial = data.get(("rtap", "tcp_csum_partial", "value"))
    if full and partial:
        out.append(f"rtap's default complete Rx checksums carry "
                   f"{statistics.median(full) / statistics.median(partial):.0%} of the TCP "
                   "rate of csum=partial (both without LRO).")
    out.append(f"Median over {reps} repetition(s), (min–max) in brackets; drivers "
               "interleaved per repetition; ratios are of medians.")
    return out


def markdown(head, rows, note):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines + [""] + note) + "\n"


def rst(head, rows, note):
    """A csv-table for the driver guide (doc/guides/nics/rtap.rst includes it)."""
    def q(c):
        return '"' + c.replace('"', '""') + '"'
    lines = [".. csv-table:: rtap, net_tap and net_af_packet in one run",
             "   :header: " + ", ".join(q(h) for h in head), ""]
    lines += ["   " + ", ".join(q(c) for c in r) for r in rows]
    return "\n".join(lines + [""] + note) + "\n"


def chart(data, out):
    rows = []
    for test, label in CHART:
        higher = not test.startswith("ping")
        base = data.get(("tap", test, "value"))
        if not base or statistics.median(base) == 0:
            continue
        b = statistics.median(base)
        fields = [f'"{label}"']
        for drv in ("rtap", "af_packet"):
            vals = data.get((drv, test, "value"), [])
            if not vals or min(vals) == 0:
                fields += ["0", "0", "0"]
                continue
            rel = sorted(v / b if higher else b / v for v in vals)
            fields += [f"{statistics.median(rel):.4f}", f"{rel[0]:.4f}", f"{rel[-1]:.4f}"]
        rows.append(" ".join(fields))
    dat = out / "chart.dat"
    dat.write_text("\n".join(rows) + "\n")
    script = f"""
set terminal pngcairo size 900,420 font ",10" noenhanced
set output "{out / 'chart.png'}"
set title "rtap and net_af_packet relative to net_tap (same run; >1 is better; bars: median, whiskers: min-max)"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set logscale y 2
set grid ytics
set ylabel "x net_tap"
set key top left
set xtics nomirror
plot "{dat}" using 2:3:4:xtic(1) title "rtap" lc rgb "#1f77b4", \\
     "" using 5:6:7 title "net_af_packet" lc rgb "#aaaaaa", \\
     1 with lines lc rgb "red" dt 2 title "net_tap"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    out = Path(sys.argv[1])
    data = load(out / "runs.csv")
    with open(out / "runs.csv") as f:
        reps = len({r["rep"] for r in csv.DictReader(f)})
    head, rows = table_rows(data)
    note = notes(data, reps)
    md = markdown(head, rows, note)
    (out / "table.md").write_text(md)
    (out / "table.rst").write_text(rst(head, rows, note))
    print(md)
    chart(data, out)


if __name__ == "__main__":
    main()
