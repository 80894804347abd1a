# SPDX-License-Identifier: BSD-3-Clause
"""The io_uring data path against a real TAP: sizes, chains, shared mbufs, pool use."""

import subprocess
import time

import pytest

from conftest import frame, if_stat, disable_ipv6, move_to_netns, sh

# 1280-byte segments: a 9000-byte MTU frame needs 8 of them.
SMALL_MBUF = 1280 + 128
SIZES = [60, 61, 64, 127, 128, 1279, 1280, 1281, 1514, 1518, 2559, 2560, 2561,
         4000, 6000, 8000, 9013, 9014]


# Both kinds of port, for the tests whose frames either carries as they are
# (a TUN delivers any bytes from an IPv4 header's length on).
KINDS = ["net_rtap", "net_rtun"]


def tap_port(app, names, kind="net_rtap", devargs="", **conf):
    """Attach a port of kind (with more devargs), quiet its kernel side, start
    it; returns (port, ifname)."""
    ifname = names()
    port = app.attach(f"{kind}_{ifname},iface={ifname}{devargs}")
    disable_ipv6(ifname)
    app.start_port(port, **conf)
    return port, ifname


def assert_pool_full(app):
    avail, size = app.pool()
    assert avail == size


def rx_every_size(app, port, sock):
    """Send a frame of each of SIZES into the TAP; what the port received."""
    sent = [frame(n, seq=i) for i, n in enumerate(SIZES)]
    for f in sent:
        assert sock.send(f) == len(f)
    got = app.rx(port, len(sent))
    assert [p.data for p in got] == sent
    return got


def test_kernel_to_dpdk_every_size(app_factory, names, raw_socket):
    app = app_factory(mbuf_size=SMALL_MBUF)
    port, ifname = tap_port(app, names, mtu=9000, rxoff=0x2000)  # SCATTER
    got = rx_every_size(app, port, raw_socket(ifname))
    for p in got:
        assert p.length == len(p.data)
        assert p.nb_segs == (p.length + 1279) // 1280
    assert {p.nb_segs for p in got} >= {1, 2, 8}
    stats = app.stats(port)
    assert stats["ipackets"] == len(SIZES)
    assert stats["ibytes"] == sum(SIZES)
    assert stats["ierrors"] == 0

    app.cmd(f"stop {port}")
    assert_pool_full(app)


@pytest.mark.parametrize("seg", [1280, 500, 64])
def test_dpdk_to_kernel_every_size(app_factory, names, raw_socket, seg):
    app = app_factory(mbuf_size=SMALL_MBUF)
    port, ifname = tap_port(app, names, mtu=9000, rxoff=0x2000, txoff=0x8000)
    sock = raw_socket(ifname)

    sent = [frame(n, seq=i) for i, n in enumerate(SIZES)]
    for f in sent:
        assert app.tx(port, f, seg=seg) == 1
    got = sock.recv_all(len(sent))

    assert got == sent
    stats = app.stats(port)
    assert stats["opackets"] == len(sent)
    assert stats["obytes"] == sum(SIZES)
    assert stats["oerrors"] == 0
    app.cmd(f"stop {port}")
    assert_pool_full(app)


@pytest.mark.parametrize("mode", ["indirect", "shared", "nohead"])
def test_tx_header_mbuf(app, names, raw_socket, mode):
    """Data we may not write in front of goes out behind a chained header mbuf."""
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)

    sent = [frame(n, seq=n) for n in (60, 600, 1514)]
    for f in sent:
        assert app.tx(port, f, mode=mode) == 1
    assert sock.recv_all(len(sent)) == sent
    assert app.xstats(port)["tx_q0_hdr_mbuf_packets"] == len(sent)

    app.cmd(f"stop {port}")
    assert_pool_full(app)


def test_tx_run_of_ten_pools(app_factory, names):
    """Completions are reaped while transmitting: the pool never runs dry."""
    pool = 1024
    app = app_factory(pool_size=pool)
    port, ifname = tap_port(app, names, desc=256)
    before = if_stat(ifname, "rx_packets")

    count = 10 * pool + 7
    _, sent = app.cmd(f"txburst {port} 0 {count} 200")
    assert int(sent) == count
    assert app.stats(port)["opackets"] == count
    # Every write completed inside io_uring_enter; the kernel counted each.
    assert if_stat(ifname, "rx_packets") - before == count

    app.cmd(f"stop {port}")
    assert_pool_full(app)


def test_tagged_full_mtu_frame_fits(app, names, raw_socket):
    """A VLAN-tagged frame of full MTU is 1518 bytes: the Rx buffer must hold it."""
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)
    tagged = frame(1518, ethertype=b"\x81\x00\x00\x05\x88\xb5")
    assert sock.send(tagged) == 1518
    got = app.rx(port, 1)
    assert [p.data for p in got] == [tagged]
    assert app.stats(port)["ierrors"] == 0


def port_pair(app, names, netns, kind="net_rtap", subnet="10.201.0", devargs="", **conf):
    """Two started ports of kind (with more devargs) whose kernel sides are
    <subnet>.1 and .2 in two namespaces; (port a, port b, namespace a, namespace b)."""
    a, b = names("a"), names("b")
    pa = app.attach(f"{kind}_{a},iface={a}{devargs}")
    pb = app.attach(f"{kind}_{b},iface={b}{devargs}")
    nsa, nsb = netns(), netns()
    move_to_netns(a, nsa, [f"{subnet}.1/24"])
    move_to_netns(b, nsb, [f"{subnet}.2/24"])
    for p in (pa, pb):
        app.start_port(p, **conf)
    return pa, pb, nsa, nsb


def test_ping_through_forwarding_ports(app, names, netns):
    """Two ports, each kernel side in its own namespace, forwarded by the app."""
    pa, pb, nsa, nsb = port_pair(app, names, netns)
    for p in (pa, pb):
        app.cmd(f"promisc {p} on")

    ping = subprocess.Popen(["ip", "netns", "exec", nsa, "ping", "-c", "5", "-i", "0.2",
                             "-W", "2", "10.201.0.2"], stdout=subprocess.PIPE, text=True)
    _, moved = app.cmd(f"fwd {pa} {pb} 4000")
    out, _ = ping.communicate(timeout=30)
    assert ping.returncode == 0, out
    assert "5 received" in out
    a_to_b, b_to_a = map(int, moved.split())
    # ARP request + 5 echo requests one way, ARP reply + 5 replies the other.
    assert a_to_b >= 6 and b_to_a >= 6


@pytest.mark.parametrize("kind, devargs", [(k, "") for k in KINDS] +
                         [("net_rtap", ",sqpoll=0"), ("net_rtap", ",multishot=1"),
                          ("net_rtun", ",multishot=1")])
def test_rx_pool_exhaustion_loses_nothing(app_factory, names, raw_socket, kind, devargs):
    """With the pool empty Rx reads one frame per mbuf given back, and no more."""
    app = app_factory(pool_size=512)
    port, ifname = tap_port(app, names, kind, devargs, desc=64)
    sock = raw_socket(ifname)
    assert app.rx(port, 1, timeout_ms=10) == []     # the first poll posts a read

    avail, _ = app.pool()
    app.cmd(f"hold {avail}")
    # More than the 64 mbufs a multishot read is provided: it runs out
    # (-ENOBUFS) and is armed again as the app frees what it got.
    sent = [frame(100, seq=i) for i in range(200)]
    for f in sent:
        sock.send(f)
    # Only the reads posted before had mbufs (the waiting one, or the
    # multishot read's provided ones); every later read reuses what the app
    # frees, so frames wait in the kernel instead of being dropped.
    got = app.rx(port, 200, timeout_ms=5000)
    assert [p.data for p in got] == sent
    assert app.stats(port)["rx_nombuf"] > 0
    assert app.stats(port)["ierrors"] == 0

    app.cmd("release")
    later = [frame(100, seq=1000 + i) for i in range(10)]
    for f in later:
        sock.send(f)
    got = app.rx(port, 10, timeout_ms=3000)
    assert [p.data for p in got] == later

    app.cmd(f"stop {port}")
    assert_pool_full(app)


def test_tx_done_cleanup_frees_completed_writes(app, names, raw_socket):
    port, ifname = tap_port(app, names, desc=64)
    sock = raw_socket(ifname)
    # What Rx holds (multishot Rx provides its mbufs at start) stays put.
    idle, _ = app.pool()
    assert app.cmd(f"txburst {port} 0 20 100")[1] == "20"
    # The writes complete at once but their mbufs stay until something reaps them.
    assert app.pool()[0] == idle - 20
    assert len(sock.recv_all(20, timeout=2)) == 20
    assert app.cmd(f"tx_cleanup {port} 0 5")[1] == "5"
    assert app.pool()[0] == idle - 15
    assert app.cmd(f"tx_cleanup {port} 0 0")[1] == "15"
    assert app.cmd(f"tx_cleanup {port} 0 0")[1] == "0"
    assert app.pool()[0] == idle
    assert app.stats(port)["opackets"] == 20
    app.cmd(f"stop {port}")
    assert_pool_full(app)
    assert app.cmd(f"tx_cleanup {port} 0 0")[1] == "0"


def test_monitor_addr_says_when_to_sleep(app, names, raw_socket):
    """rte_eth_get_monitor_addr(): sleep only while a read waits and nothing came."""
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)
    # Before the first burst no read waits: a sleep would never end.
    assert app.kv(f"monitor {port} 0") == {"size": "4", "sleep": "0"}
    assert app.rx(port, 1, timeout_ms=50) == []
    assert app.kv(f"monitor {port} 0")["sleep"] == "1"
    sent = frame(80, seq=1)
    sock.send(sent)
    deadline = time.monotonic() + 2
    while app.kv(f"monitor {port} 0")["sleep"] == "1" and time.monotonic() < deadline:
        time.sleep(0.01)
    # The frame shows where the condition looks, before any burst reaps it.
    assert app.kv(f"monitor {port} 0")["sleep"] == "0"
    assert [p.data for p in app.rx(port, 1)] == [sent]
    assert app.rx(port, 1, timeout_ms=50) == []
    assert app.kv(f"monitor {port} 0")["sleep"] == "1"
    app.cmd(f"stop {port}")
    assert app.kv(f"monitor {port} 0")["sleep"] == "0"
