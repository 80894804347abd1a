# SPDX-License-Identifier: BSD-3-Clause
"""Extended statistics: unique names, sums that match the basic stats, reset."""

from conftest import SLOW, frame
from test_datapath import tap_port

BINS = ["size_64_packets", "size_65_to_127_packets", "size_128_to_255_packets",
        "size_256_to_511_packets", "size_512_to_1023_packets",
        "size_1024_to_1522_packets", "size_1523_to_max_packets"]
# One length per bucket, both edges of each.
SIZES = {0: [60, 64], 1: [65, 127], 2: [128, 255], 3: [256, 511], 4: [512, 1023],
         5: [1024, 1522], 6: [1523, 3000]}


def xstat_names(app, port):
    data, _ = app.cmd(f"xstats {port}")
    return [line.split()[0] for line in data]


def test_xstats_add_up_and_reset(app, names, raw_socket):
    port, ifname = tap_port(app, names, nb_rxq=2, nb_txq=2, mtu=3000, rxoff=0x2000)
    sock = raw_socket(ifname)

    listed = xstat_names(app, port)
    assert len(listed) == len(set(listed))
    for q in range(2):
        for name in ["packets", "bytes", "errors", "mbuf_allocation_errors",
                     "multiseg_packets"] + BINS:
            assert f"rx_q{q}_{name}" in listed
        for name in ["packets", "bytes", "errors", "multiseg_packets"] + BINS:
            assert f"tx_q{q}_{name}" in listed
    assert "rx_kernel_dropped_packets" in listed

    lengths = [n for sizes in SIZES.values() for n in sizes]
    for i, n in enumerate(lengths):
        assert sock.send(frame(n, seq=i)) == n
    got = []
    for q in range(2):
        got += app.rx(port, len(lengths), timeout_ms=300, queue=q)
    assert sorted(len(p.data) for p in got) == sorted(lengths)
    for i, n in enumerate(lengths):
        assert app.tx(port, frame(n, seq=i), queue=i % 2) == 1
    assert len(sock.recv_all(len(lengths))) == len(lengths)

    xs = app.xstats(port)
    stats = app.stats(port)
    assert xs["rx_good_packets"] == stats["ipackets"] == len(lengths)
    assert xs["tx_good_packets"] == stats["opackets"] == len(lengths)
    for d in ("rx", "tx"):
        assert sum(xs[f"{d}_q{q}_packets"] for q in range(2)) == len(lengths)
        assert sum(xs[f"{d}_q{q}_bytes"] for q in range(2)) == sum(lengths)
        for q in range(2):
            assert sum(xs[f"{d}_q{q}_{b}"] for b in BINS) == xs[f"{d}_q{q}_packets"]
        for b, name in enumerate(BINS):
            assert sum(xs[f"{d}_q{q}_{name}"] for q in range(2)) == len(SIZES[b])
    assert xs["rx_missed_errors"] == stats["imissed"] == xs["rx_kernel_dropped_packets"]
    # Only the 3000-byte frame needs a second 2048-byte segment.
    assert sum(xs[f"rx_q{q}_multiseg_packets"] for q in range(2)) == 1

    app.cmd(f"xstats_reset {port}")
    assert all(v == 0 for v in app.xstats(port).values())
    assert xstat_names(app, port) == listed


def test_kernel_drops_are_imissed(app, names, raw_socket):
    """Frames the kernel could not queue to us (no reads posted) count as imissed."""
    port, ifname = tap_port(app, names, desc=16)
    app.cmd(f"rxq_stop {port} 0")
    sock = raw_socket(ifname)
    # The TAP queue holds tx_queue_len (1000) frames: the rest are dropped.
    for i in range(1100):
        sock.send(frame(60, seq=i))
    stats = app.stats(port)
    assert stats["imissed"] >= 100
    assert app.xstats(port)["rx_kernel_dropped_packets"] == stats["imissed"]
    app.cmd(f"stats_reset {port}")
    assert app.stats(port)["imissed"] == 0


def test_reset_while_the_lcore_counts(app, names):
    """stats_reset on the control thread while another thread transmits: the reset
    holds (it once cleared counters the lcore then wrote back, increment by
    increment), and what the counters say afterwards adds up. The race is a few
    nanoseconds a packet: without the fix, most runs of 50000 resets fail
    (under emulation, RTAP_SLOW, each reset takes longer and the deadline grows)."""
    port, ifname = tap_port(app, names, desc=256)
    app.cmd(f"flood_start {port} 0 60")
    try:
        excess = int(app.kv(f"reset_check {port} 50000", timeout=60 * SLOW)["excess"])
    finally:
        sent = int(app.cmd("flood_stop")[1])
    assert sent > 0
    assert excess == 0
    app.cmd(f"stats_reset {port}")
    assert app.stats(port)["opackets"] == 0
    assert app.tx(port, frame(60)) == 1
    assert app.stats(port)["opackets"] == 1
    assert app.xstats(port)["tx_q0_size_64_packets"] == 1
