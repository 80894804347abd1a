# SPDX-License-Identifier: BSD-3-Clause
"""net_rtun: the L3 mode, a TUN device whose packets carry no Ethernet header.

The kernel side sends with AF_PACKET on the TUN (what it writes is the IP
packet, byte for byte) and with its own IP stack in namespaces; the test app
prints what rtap delivered.
"""

import subprocess
from pathlib import Path

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6

from conftest import disable_ipv6, if_exists, sh
from test_datapath import port_pair
from test_offload_tcp import (MBUF_SIZE, RX_OFFLOADS, SINK, SOURCE, TX_OFFLOADS,
                              expected_digest)
from test_port_rss import DEFAULT_KEY, IPV4_UDP, IPV6_TCP, RX_RSS_HASH, addrs, ports, toeplitz

ENOTSUP = 95
# rte_mbuf_ptype.h
L3_IPV4, L3_IPV4_EXT_UNKNOWN, L3_IPV6, L3_IPV6_EXT_UNKNOWN = 0x10, 0x90, 0x40, 0xE0
L4_TCP, L4_UDP = 0x100, 0x200
# rte_mbuf_core.h, rte_ethdev.h
IP_CKSUM_GOOD, L4_CKSUM_GOOD, L4_CKSUM_BAD = 0x80, 0x100, 0x8
RX_CKSUM = 0x2 | 0x4 | 0x8
# linux/if_tun.h
IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE = 0x1, 0x2, 0x1000, 0x4000, 0x100

V4 = dict(src="10.215.0.1", dst="10.215.0.2")
V6 = dict(src="fd15::1", dst="fd15::2")


def tun_port(app, names, **conf):
    """Attach a net_rtun port, quiet its kernel side, start it; (port, ifname)."""
    ifname = names()
    port = app.attach(f"net_rtun_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.start_port(port, **conf)
    return port, ifname


def packets():
    """IP packets of every kind Rx tells apart, and the packet type it gives each."""
    return [
        (bytes(IP(**V4) / UDP(sport=1000, dport=2000) / (b"u" * 100)), L3_IPV4_EXT_UNKNOWN),
        (bytes(IP(**V4) / TCP(sport=1001, dport=80) / b"tcp4"), L3_IPV4_EXT_UNKNOWN),
        (bytes(IPv6(**V6) / UDP(sport=1002, dport=2000) / (b"6" * 1400)), L3_IPV6_EXT_UNKNOWN),
        (bytes(IP(**V4) / ICMP() / (b"p" * 1452)), L3_IPV4_EXT_UNKNOWN),
        # Neither version: delivered as it is, of no known type.
        (b"\x50" + bytes(range(39)), 0),
    ]


def test_tun_device_and_what_it_refuses(app, names):
    """A multi-queue TUN with a vnet header; no MAC address, no link-layer filter."""
    port, ifname = tun_port(app, names)
    sysfs = Path("/sys/class/net") / ifname
    flags = int((sysfs / "tun_flags").read_text(), 16)
    assert flags & (IFF_TUN | IFF_TAP) == IFF_TUN
    assert flags & (IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE) == \
        IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE
    assert (sysfs / "type").read_text().strip() == "65534"     # ARPHRD_NONE
    info = app.kv(f"info {port}")
    assert info["mac"] == "00:00:00:00:00:00"
    for cmd in (f"mac {port} 02:00:00:00:00:09", f"mac_add {port} 02:00:00:00:00:0a",
                f"promisc {port} on", f"allmulti {port} on", f"mc {port} 01:00:5e:00:00:01"):
        ok, _, rest = app.call(cmd)
        assert not ok and rest.startswith(f"-{ENOTSUP} "), (cmd, rest)
    # The port still works after the refusals.
    link = app.kv(f"link {port}")
    assert link["status"] == "1"

    # A MAC address is a devargs error, and leaves nothing behind.
    bad = names("m")
    ok, _, rest = app.call(f"attach net_rtun_{bad},iface={bad},mac=fixed")
    assert not ok and rest.startswith("-22 ")
    assert "a TUN (net_rtun) has no link-layer address" in app.stderr()
    assert not if_exists(bad)
    app.cmd(f"detach {port}")
    assert not if_exists(ifname)


def test_tun_is_not_a_tap(app, names):
    """A TAP left by net_rtap is not taken as a TUN, and the other way round."""
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname},persist")
    app.cmd(f"detach {port}")
    try:
        ok, _, rest = app.call(f"attach net_rtun_{ifname},iface={ifname}")
        assert not ok
        assert f"TUNSETIFF {ifname}: the interface exists as another kind (a TUN" \
            in app.stderr()
    finally:
        sh(f"ip link del {ifname}")
    port = app.attach(f"net_rtun_{ifname},iface={ifname},persist")
    app.cmd(f"detach {port}")
    try:
        ok, _, rest = app.call(f"attach net_rtap_{ifname},iface={ifname}")
        assert not ok
        assert "(a TAP is asked for" in app.stderr()
    finally:
        sh(f"ip link del {ifname}")


def test_tun_packets_both_ways(app, names, raw_socket):
    """Rx delivers IP packets byte for byte with their version as packet type;
    Tx writes them to the kernel as they are; runts are counted, not passed."""
    port, ifname = tun_port(app, names)
    sock = raw_socket(ifname)
    sent = packets()
    for data, _ in sent:
        assert sock.send(data) == len(data)
    sock.send(b"\x45" + bytes(18))      # 19 bytes: shorter than any IPv4 header
    got = app.rx(port, len(sent) + 1, timeout_ms=1500)
    assert [p.data for p in got] == [d for d, _ in sent]
    assert [p.ptype for p in got] == [t for _, t in sent]
    assert all(p.ol_flags == 0 for p in got)
    stats = app.stats(port)
    assert stats["ipackets"] == len(sent)
    assert stats["ibytes"] == sum(len(d) for d, _ in sent)
    assert stats["ierrors"] == 1
    assert app.xstats(port)["rx_q0_runt_errors"] == 1

    # The kernel takes IPv4 and IPv6 only: it refuses the last write.
    sock.drain()
    for data, _ in sent:
        assert app.tx(port, data) == 1
    ip = [d for d, t in sent if t != 0]
    assert sock.recv_all(len(sent)) == ip
    # Completions are reaped by the next burst or by stop.
    app.cmd(f"stop {port}")
    stats = app.stats(port)
    assert (stats["opackets"], stats["oerrors"]) == (len(sent), 1)
    avail, size = app.pool()
    assert avail == size


def test_tun_checksums_and_packet_types(app, names, raw_socket):
    """With checksum offload the headers are parsed from the IP header on."""
    port, ifname = tun_port(app, names, rxoff=hex(RX_CKSUM))
    sock = raw_socket(ifname)
    udp4 = IP(**V4) / UDP(sport=1000, dport=2000) / (b"u" * 100)
    tcp6 = IPv6(**V6) / TCP(sport=1001, dport=80) / b"tcp6"
    bad = bytearray(bytes(udp4))
    bad[-1] ^= 1
    for data in (bytes(udp4), bytes(tcp6), bytes(bad)):
        sock.send(data)
    got = app.rx(port, 4, timeout_ms=1500)
    assert [(p.ptype, p.ol_flags) for p in got] == [
        (L3_IPV4 | L4_UDP, IP_CKSUM_GOOD | L4_CKSUM_GOOD),
        (L3_IPV6 | L4_TCP, L4_CKSUM_GOOD),
        (L3_IPV4 | L4_UDP, IP_CKSUM_GOOD | L4_CKSUM_BAD)]
    assert got[2].data == bytes(bad)


def test_tun_rss_hash_and_steering(app, names, raw_socket):
    """The hash of IP packets, and the steering program that reads them from byte 0."""
    ifname = names()
    port = app.attach(f"net_rtun_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.start_port(port, nb_rxq=4, nb_txq=4, rxoff=hex(RX_RSS_HASH),
                   rss_hf=hex(IPV4_UDP | IPV6_TCP))
    app.cmd(f"reta {port} 2")
    sock = raw_socket(ifname)
    flows = [IP(**V4) / UDP(sport=3000 + i, dport=53) / b"x" for i in range(8)]
    flows += [IPv6(**V6) / TCP(sport=4000 + i, dport=443) / b"y" for i in range(8)]
    for pkt in flows:
        sock.send(bytes(pkt))
    assert [app.rx(port, 16, timeout_ms=300, queue=q) for q in (0, 1, 3)] == [[], [], []]
    got = app.rx(port, 17, timeout_ms=1500, queue=2)
    assert [p.data for p in got] == [bytes(p) for p in flows]
    for pkt, rx in zip(flows, got):
        assert rx.rss == toeplitz(DEFAULT_KEY, addrs(pkt) + ports(pkt))

    # A permuted table: each flow where the hash sends it.
    table = [1, 3, 0, 2] * 16
    app.cmd(f"reta {port} {','.join(map(str, table))}")
    for pkt in flows:
        sock.send(bytes(pkt))
    seen = {}
    for q in range(4):
        for rx in app.rx(port, 17, timeout_ms=500, queue=q):
            seen[rx.data] = (q, rx.rss)
    assert len(seen) == len(flows)
    for pkt in flows:
        q, rss = seen[bytes(pkt)]
        assert q == table[rss % 64]


def tun_pair(app, names, netns, **conf):
    """Two started TUN ports, kernel sides 10.216.0.1 and .2 in two namespaces."""
    return port_pair(app, names, netns, "net_rtun", "10.216.0", **conf)


def tcp_both_ways(app, pa, pb, nsa, nsb, transfer, fwd=""):
    """A TCP transfer each way through the forwarding ports, checked byte-exact."""
    for src_ns, dst_ns, dst in ((nsa, nsb, "10.216.0.2"), (nsb, nsa, "10.216.0.1")):
        sink = subprocess.Popen(["ip", "netns", "exec", dst_ns, "/usr/bin/python3", "-c",
                                 SINK, dst], stdout=subprocess.PIPE, text=True)
        assert sink.stdout.readline().strip() == "listening"
        source = subprocess.Popen(["ip", "netns", "exec", src_ns, "/usr/bin/python3", "-c",
                                   SOURCE, dst, str(transfer)])
        app.cmd(f"fwd {pa} {pb} 8000 {fwd}", timeout=60)
        assert source.wait(timeout=30) == 0
        count, digest = sink.stdout.readline().split()
        sink.wait(timeout=10)
        assert int(count) == transfer
        assert digest == expected_digest(transfer)


def test_tun_pair_ping_and_tcp(app, names, netns):
    """Two TUNs in two namespaces, forwarded by the app: ping, then TCP both
    ways, every byte accounted for. No ARP or neighbour discovery on a TUN: the
    counts are exact."""
    pa, pb, nsa, nsb = tun_pair(app, names, netns)

    ping = subprocess.Popen(["ip", "netns", "exec", nsa, "ping", "-c", "5", "-i", "0.2",
                             "-W", "2", "10.216.0.2"], stdout=subprocess.PIPE, text=True)
    _, moved = app.cmd(f"fwd {pa} {pb} 3000")
    out, _ = ping.communicate(timeout=30)
    assert ping.returncode == 0, out
    assert "5 received" in out
    assert moved.split() == ["5", "5"]

    tcp_both_ways(app, pa, pb, nsa, nsb, 4 << 20)
    for p in (pa, pb):
        app.cmd(f"stop {p}")
    avail, size = app.pool()
    assert avail == size


def test_tun_pair_tcp_with_offloads(app_factory, names, netns):
    """LRO and TSO through TUNs: the kernel's super-frames cross whole, and the
    forwarding app sends them out again to be segmented by the other kernel."""
    app = app_factory(mbuf_size=MBUF_SIZE, pool_size=4096)
    pa, pb, nsa, nsb = tun_pair(app, names, netns, rxoff=hex(RX_OFFLOADS),
                                txoff=hex(TX_OFFLOADS), desc=256)
    tcp_both_ways(app, pa, pb, nsa, nsb, 16 << 20, fwd="offload=1")
    # Super-frames arrived: far more bytes a packet than the 1500-byte MTU allows.
    for p in (pa, pb):
        st = app.stats(p)
        assert st["ibytes"] > 4 * 1500 * st["ipackets"], st
        assert st["ierrors"] == 0 and st["oerrors"] == 0, st
        app.cmd(f"stop {p}")
    avail, size = app.pool()
    assert avail == size


@pytest.mark.parametrize("kind", ["net_rtap", "net_rtun"])
def test_close_leaves_no_fd(app, names, kind):
    """Both kinds close every TAP fd and io_uring, and take the interface along."""
    before = app.kernel_fds()
    ifname = names()
    port = app.attach(f"{kind}_{ifname},iface={ifname}")
    app.start_port(port, nb_rxq=2, nb_txq=2)
    assert app.kernel_fds() != before
    app.cmd(f"detach {port}")
    assert app.kernel_fds() == before
    assert not if_exists(ifname)
