# SPDX-License-Identifier: BSD-3-Clause
"""Summarise bench/run.sh results: runs.csv -> table.md, table.rst and chart.png.

One table per placement (where bench/run.sh ran testpmd and the kernel-side
tools); per driver and measurement: the median over the repetitions and the
min-max range; ratios are of medians against net_tap from the same run and
placement. A runs.csv from before placements counts as "pinned".
Usage: /usr/bin/python3 bench/report.py <results dir>
"""

import csv
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

DRIVERS = [("rtap", "rtap"), ("rtap_sqpoll", "rtap (SQPOLL)"),
           ("rtap_mshot", "rtap (multishot Rx)"), ("tap", "net_tap"),
           ("af_packet", "net_af_packet"), ("veth", "veth (kernel only)")]
# Ratio columns: driver, the one it is measured against, heading; the target
# is rtap's against net_tap.
RATIOS = [("rtap", "tap", "rtap / net_tap"), ("rtap", "af_packet", "rtap / net_af_packet"),
          ("rtap_sqpoll", "tap", "rtap (SQPOLL) / net_tap"),
          ("rtap_sqpoll", "af_packet", "rtap (SQPOLL) / net_af_packet"),
          ("rtap_mshot", "tap", "rtap (multishot Rx) / net_tap")]
PLACEMENTS = [
    ("pinned", "testpmd's main and forwarding lcores on CPU 1, every kernel-side tool "
     "on CPU 0"),
    ("spread", "EAL's main lcore on CPU 0, the forwarding lcore on CPU 1, testpmd, "
     "ping, iperf3 and udp_gso.py otherwise unpinned, trafgen on CPU 0"),
]

# (test, CSV column, label, unit, higher is better, target for rtap/net_tap)
ROWS = [
    ("tx64", "value", "Tx 64 B, received by the kernel", "Mpps", True, 1.3),
    ("tx1500", "value", "Tx 1500 B", "Mpps", True, None),
    ("tx1500_3seg", "value", "Tx 1500 B in 3 segments", "Mpps", True, None),
    ("rx64", "value", "Rx 64 B, delivered to testpmd", "Mpps", True, 4.0),
    ("rx64", "generated_mpps", "Rx 64 B, trafgen sent", "Mpps", True, None),
    ("rx64", "delivered_pct", "Rx 64 B, share delivered", "%", True, None),
    ("rx64", "dropped_tap", "Rx 64 B, dropped before the PMD", "frames", False, None),
    ("rx64", "cycles_per_pkt", "Rx 64 B, PMD cycles/packet", "cycles", False, None),
    ("rx64", "cpu_ns_per_pkt", "Rx 64 B, CPU ns/packet, both cores", "ns", False, None),
    ("rx64_paced", "value", "Rx 64 B offered at 0.25 Mpps, delivered", "Mpps", True, 4.0),
    ("rx64_paced", "delivered_pct", "Rx 64 B offered at 0.25 Mpps, share delivered", "%",
     True, None),
    ("tx64", "cycles_per_pkt", "Tx 64 B, PMD cycles/packet", "cycles", False, None),
    ("tx64", "cpu_ns_per_pkt", "Tx 64 B, CPU ns/packet, both cores", "ns", False, None),
    ("fwd_udp64", "value", "Forward UDP 64 B, ns1 to ns2", "Mpps", True, 2.5),
    ("fwd_udp64", "generated_mpps", "Forward UDP 64 B, trafgen sent", "Mpps", True, None),
    ("fwd_udp64", "lost_tap", "Forward UDP 64 B, lost at port 0's TAP queue", "frames",
     False, None),
    ("fwd_udp64", "lost_pmd", "Forward UDP 64 B, lost in the PMD or testpmd", "frames",
     False, None),
    ("fwd_udp64", "lost_rx", "Forward UDP 64 B, lost at the receiver in ns2", "frames",
     False, None),
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
    """Per placement: (driver, test, column) -> the values of the repetitions."""
    data = defaultdict(lambda: defaultdict(list))
    with open(path) as f:
        for r in csv.DictReader(f):
            pl = r.get("placement") or "pinned"
            for col, v in r.items():
                try:
                    data[pl][(r["driver"], r["test"], col)].append(float(v))
                except (TypeError, ValueError):
                    pass
    return data


def fmt(x, unit=""):
    if unit == "frames":
        return f"{x:.0f}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x >= 1 else f"{x:.3f}"


def cell(vals, unit=""):
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt(med, unit)
    return f"{fmt(med, unit)} ({fmt(min(vals), unit)}–{fmt(max(vals), unit)})"


def ratio(data, test, col, drv="rtap", base="tap"):
    a = data.get((drv, test, col))
    b = data.get((base, test, col))
    if not a or not b or statistics.median(b) == 0 or statistics.median(a) == 0:
        return None
    return statistics.median(a) / statistics.median(b)


def ran(data, drv):
    return any(k[0] == drv for k in data)


def table_rows(data):
    """Header and rows: measurement, unit, one cell per driver, ratios, target.

    rtap and net_tap always have a column; the others where they ran.
    """
    drivers = [(d, n) for d, n in DRIVERS if d in ("rtap", "tap") or ran(data, d)]
    ratios = [(d, b, n) for d, b, n in RATIOS
              if (d == "rtap" or ran(data, d)) and (b == "tap" or ran(data, b))]
    head = (["Measurement", "unit"] + [n for _, n in drivers] + [n for _, _, n in ratios] +
            ["target"])
    rows = []
    for test, col, label, unit, higher, target in ROWS:
        cells = [cell(data.get((d, test, col), []), unit) for d, _ in drivers]
        if all(c == "–" for c in cells):
            continue
        rs = []
        for d, b, _ in ratios:
            x = ratio(data, test, col, d, b)
            rs.append("–" if x is None else f"{x:.2f}x")
        r = ratio(data, test, col)
        ts = ""
        if target is not None:
            ts = f"{'≥' if higher else '≤'} {target}x"
            if r is not None:
                ok = r >= target if higher else r <= target
                ts += " met" if ok else " missed"
        rows.append([label, unit] + cells + rs + [ts])
    return head, rows


def notes(data):
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
    return out


def placements(data):
    """The placements in the run, in PLACEMENTS order, with their descriptions."""
    known = dict(PLACEMENTS)
    order = [p for p, _ in PLACEMENTS] + sorted(set(data) - set(known))
    return [(p, known.get(p, p)) for p in order if p in data]


def footer(reps):
    return [f"Median over {reps} repetition(s), (min–max) in brackets; drivers and "
            "placements interleaved per repetition; ratios are of medians within a "
            "placement. Frames: counts over the whole measurement."]


def markdown(tables, note):
    lines = []
    for pl, desc, head, rows, pnote in tables:
        lines += [f"### Placement {pl}: {desc}", "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        lines += [""] + pnote + ([""] if pnote else [])
    return "\n".join(lines + note) + "\n"


def rst(tables, note):
    """csv-tables for the driver guide (doc/guides/nics/rtap.rst includes one)."""
    def q(c):
        return '"' + c.replace('"', '""') + '"'
    lines = []
    for pl, desc, head, rows, pnote in tables:
        lines += [f".. csv-table:: rtap, net_tap and net_af_packet in one run, placement "
                  f"{pl} ({desc})",
                  "   :header: " + ", ".join(q(h) for h in head), ""]
        lines += ["   " + ", ".join(q(c) for c in r) for r in rows]
        lines += [""] + pnote + ([""] if pnote else [])
    return "\n".join(lines + note) + "\n"


# Chart series: driver, legend, colour; net_tap is the line at 1.
SERIES = [("rtap", "rtap", "#1f77b4"), ("rtap_sqpoll", "rtap (SQPOLL)", "#2ca02c"),
          ("rtap_mshot", "rtap (multishot Rx)", "#9467bd"),
          ("af_packet", "net_af_packet", "#aaaaaa")]


def chart_panel(data, dat):
    """Write one placement's bars to dat; returns the plot command, or None."""
    series = [s for s in SERIES if s[0] == "rtap" or ran(data, s[0])]
    rows = []
    for test, label in CHART:
        higher = not test.startswith("ping")
        base = data.get(("tap", test, "value"))
        if not base or statistics.median(base) == 0:
            continue
        b = statistics.median(base)
        fields = [f'"{label}"']
        for drv, _, _ in series:
            vals = data.get((drv, test, "value"), [])
            if not vals or min(vals) == 0:
                fields += ["0", "0", "0"]
                continue
            rel = sorted(v / b if higher else b / v for v in vals)
            fields += [f"{statistics.median(rel):.4f}", f"{rel[0]:.4f}", f"{rel[-1]:.4f}"]
        rows.append(" ".join(fields))
    if not rows:
        return None
    dat.write_text("\n".join(rows) + "\n")
    plots = []
    for i, (_, name, colour) in enumerate(series):
        c = 2 + 3 * i
        using = f"{c}:{c + 1}:{c + 2}" + (":xtic(1)" if i == 0 else "")
        plots.append(f'"{dat if i == 0 else ""}" using {using} title "{name}" '
                     f'lc rgb "{colour}"')
    plots.append('1 with lines lc rgb "red" dt 2 title "net_tap"')
    return "plot " + ", \\\n     ".join(plots)


def chart(data, out):
    """One panel per placement, one above the other, in chart.png."""
    panels = []
    for pl, _ in placements(data):
        cmd = chart_panel(data[pl], out / f"chart-{pl}.dat")
        if cmd:
            panels.append(f'set title "Placement {pl}: relative to net_tap of the same '
                          f'run and placement (>1 is better; bars: median, whiskers: '
                          f'min-max)"\n{cmd}')
    if not panels:
        return
    script = f"""
set terminal pngcairo size 900,{400 * len(panels)} font ",10" noenhanced
set output "{out / 'chart.png'}"
set multiplot layout {len(panels)},1
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set logscale y 2
set grid ytics
set ylabel "x net_tap"
set key top left
set xtics nomirror
""" + "\n".join(panels) + "\nunset multiplot\n"
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    out = Path(sys.argv[1])
    data = load(out / "runs.csv")
    with open(out / "runs.csv") as f:
        reps = len({r["rep"] for r in csv.DictReader(f)})
    tables = [(pl, desc, *table_rows(data[pl]), notes(data[pl]))
              for pl, desc in placements(data)]
    note = footer(reps)
    md = markdown(tables, note)
    (out / "table.md").write_text(md)
    (out / "table.rst").write_text(rst(tables, note))
    print(md)
    chart(data, out)


if __name__ == "__main__":
    main()
