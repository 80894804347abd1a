# SPDX-License-Identifier: BSD-3-Clause
"""The RSS hash of received packets (RTE_ETH_RX_OFFLOAD_RSS_HASH).

The kernel side sends crafted frames into a real TAP with AF_PACKET; the test
app prints each mbuf's flags and hash.rss. The expected hash is computed here
by a Toeplitz of the test's own over the 5-tuple, with the port's key, so it
does not share code with DPDK's rte_softrss().
"""

import socket
import struct

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment
from scapy.layers.l2 import ARP, Dot1Q, Ether

from conftest import disable_ipv6

# rte_ethdev.h, rte_mbuf_core.h
RX_RSS_HASH = 1 << 19
MBUF_RSS_HASH = 1 << 1
IPV4, FRAG_IPV4, IPV4_TCP, IPV4_UDP, IPV4_SCTP, IPV4_OTHER = (1 << b for b in range(2, 8))
IPV6, FRAG_IPV6, IPV6_TCP, IPV6_UDP, IPV6_OTHER = (1 << b for b in (8, 9, 10, 11, 13))
ALL_HF = (IPV4 | FRAG_IPV4 | IPV4_TCP | IPV4_UDP | IPV4_OTHER
          | IPV6 | FRAG_IPV6 | IPV6_TCP | IPV6_UDP | IPV6_OTHER)
DEFAULT_KEY = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b4"
                            "77cb2da38030f20c6a42b73bbeac01fa")

SRC, DST = "02:00:00:00:0e:01", "ff:ff:ff:ff:ff:ff"
V4 = dict(src="10.214.0.1", dst="10.214.0.2")
V6 = dict(src="fd14::1", dst="fd14::2")


def toeplitz(key, data):
    """The Toeplitz hash of data: XOR the 32-bit key window at every set bit."""
    k, bits, h = int.from_bytes(key, "big"), len(key) * 8, 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            h ^= (k >> (bits - 32 - i)) & 0xFFFFFFFF
    return h


def addrs(pkt):
    ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
    family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
    return socket.inet_pton(family, ip.src) + socket.inet_pton(family, ip.dst)


def ports(pkt):
    l4 = pkt.getlayer(TCP) or pkt.getlayer(UDP)
    return struct.pack("!HH", l4.sport, l4.dport)


def frames():
    """(frame, hash input under ALL_HF or None when not hashed)."""
    tcp4 = Ether(src=SRC, dst=DST) / IP(**V4) / TCP(sport=1234, dport=80) / b"tcp4"
    udp4 = Ether(src=SRC, dst=DST) / IP(**V4) / UDP(sport=5353, dport=53) / b"udp4"
    tcp6 = Ether(src=SRC, dst=DST) / IPv6(**V6) / TCP(sport=40000, dport=443) / b"tcp6"
    udp6 = Ether(src=SRC, dst=DST) / IPv6(**V6) / UDP(sport=4789, dport=4790) / b"udp6"
    icmp4 = Ether(src=SRC, dst=DST) / IP(**V4) / ICMP() / b"ping"
    frag4 = Ether(src=SRC, dst=DST) / IP(flags="MF", **V4) / UDP(sport=7, dport=9) / b"frag"
    frag6 = (Ether(src=SRC, dst=DST) / IPv6(**V6) / IPv6ExtHdrFragment(m=1)
             / UDP(sport=7, dport=9) / b"frag6")
    vlan = (Ether(src=SRC, dst=DST) / Dot1Q(vlan=5) / IP(**V4)
            / TCP(sport=1234, dport=80) / b"tcp4")
    arp = Ether(src=SRC, dst=DST) / ARP(psrc=V4["src"], pdst=V4["dst"])
    out = [(p, addrs(p) + ports(p)) for p in (tcp4, udp4, tcp6, udp6, vlan)]
    out += [(p, addrs(p)) for p in (icmp4, frag4, frag6)]
    return [(bytes(p), t) for p, t in out] + [(bytes(arp), None)]


def send_and_receive(app, port, sock, sent):
    """Send from the kernel side (a socket bound since the last start: one
    bound while the interface was down reports ENETDOWN once)."""
    for data in sent:
        sock.send(data)
    got = app.rx(port, len(sent) + 1, timeout_ms=1500)
    assert [p.data for p in got] == sent
    return got


def rss_conf(app, port):
    kv = app.kv(f"rss_get {port}")
    return int(kv["hf"], 16), bytes.fromhex(kv["key"])


@pytest.fixture
def port_if(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    return port, ifname


def test_rss_hash_of_kernel_frames(app, port_if, raw_socket):
    """Every flow type hashed with the default key; ARP carries no hash."""
    port, ifname = port_if
    info = app.kv(f"info {port}")
    assert int(info["rx_capa"], 16) & RX_RSS_HASH
    app.start_port(port, rxoff=hex(RX_RSS_HASH), rss_hf=hex(ALL_HF))
    assert rss_conf(app, port) == (ALL_HF, DEFAULT_KEY)
    sent = frames()
    got = send_and_receive(app, port, raw_socket(ifname), [d for d, _ in sent])
    for pkt, (_, tuple_) in zip(got, sent):
        if tuple_ is None:
            assert not pkt.ol_flags & MBUF_RSS_HASH
        else:
            assert pkt.ol_flags & MBUF_RSS_HASH
            assert pkt.rss == toeplitz(DEFAULT_KEY, tuple_)
    # Without the offload, RSS mode alone puts no hash in the mbuf.
    app.cmd(f"stop {port}")
    app.start_port(port, rss_hf=hex(ALL_HF))
    got = send_and_receive(app, port, raw_socket(ifname), [d for d, _ in sent])
    assert not any(p.ol_flags & MBUF_RSS_HASH for p in got)
    app.cmd(f"stop {port}")
    assert app.pool()[0] == app.pool()[1]


def test_rss_key_and_flow_types(app, port_if, raw_socket):
    """A key and flow types set at configure or by rss_hash_update hash what they say."""
    port, ifname = port_if
    key = bytes((i * 37 + 11) & 0xFF for i in range(40))
    app.start_port(port, rxoff=hex(RX_RSS_HASH), rss_hf=hex(IPV4_TCP), rss_key=key.hex())
    assert rss_conf(app, port) == (IPV4_TCP, key)
    # Running queues hash with what they took at start: the port must be stopped.
    ok, _, rest = app.call(f"rss_set {port} {hex(IPV4)}")
    assert not ok and rest.startswith("-16 ")
    sent = frames()
    got = send_and_receive(app, port, raw_socket(ifname), [d for d, _ in sent])
    tcp4, udp4 = got[0], got[1]
    assert tcp4.ol_flags & MBUF_RSS_HASH and tcp4.rss == toeplitz(key, sent[0][1])
    assert [bool(p.ol_flags & MBUF_RSS_HASH) for p in got] == [
        True, False, False, False, True, False, False, False, False]

    app.cmd(f"stop {port}")
    # Addresses only, for IPv4; a NULL key keeps the one set.
    app.cmd(f"rss_set {port} {hex(IPV4)}")
    assert rss_conf(app, port) == (IPV4, key)
    app.cmd(f"start {port}")
    got = send_and_receive(app, port, raw_socket(ifname), [d for d, _ in sent])
    v4 = [0, 1, 4, 5, 6]
    for i, pkt in enumerate(got):
        assert bool(pkt.ol_flags & MBUF_RSS_HASH) == (i in v4)
        if i in v4:
            assert pkt.rss == toeplitz(key, sent[i][1][:8])

    app.cmd(f"stop {port}")
    for bad in (f"{hex(IPV4)} key={key[:39].hex()}", hex(IPV4_SCTP)):
        ok, _, rest = app.call(f"rss_set {port} {bad}")
        assert not ok and rest.startswith("-22 ")
    assert rss_conf(app, port) == (IPV4, key)
    # A configuration with a bad key is refused before it changes anything.
    ok, _, rest = app.call(f"configure {port} 1 1 rxoff={hex(RX_RSS_HASH)} "
                           f"rss_hf={hex(IPV4)} rss_key={key[:39].hex()}")
    assert not ok and rest.startswith("-22 ")
    assert rss_conf(app, port) == (IPV4, key)
    # A new configuration without a key goes back to the default one.
    app.start_port(port, rxoff=hex(RX_RSS_HASH), rss_hf=hex(IPV6_UDP))
    assert rss_conf(app, port) == (IPV6_UDP, DEFAULT_KEY)
    got = send_and_receive(app, port, raw_socket(ifname), [d for d, _ in sent])
    assert [bool(p.ol_flags & MBUF_RSS_HASH) for p in got] == [
        False, False, False, True, False, False, False, False, False]
    assert got[3].rss == toeplitz(DEFAULT_KEY, sent[3][1])
    app.cmd(f"stop {port}")
    assert app.pool()[0] == app.pool()[1]


def spread(app, port, raw_socket, ifname, nb_queues, nb_flows=16, per_flow=5):
    """Send per_flow frames of nb_flows flows (UDP and TCP, IPv4 and IPv6, by
    turns); {flow: [(queue, hash), ...]}."""
    sock = raw_socket(ifname)
    kinds = [(IP, V4, UDP), (IP, V4, TCP), (IPv6, V6, UDP), (IPv6, V6, TCP)]
    flows = []
    for f in range(nb_flows):
        ip, a, l4 = kinds[f % len(kinds)]
        flows.append(Ether(src=SRC, dst=DST) / ip(**a) / l4(sport=10000 + f, dport=20000)
                     / b"x")
    for _ in range(per_flow):
        for pkt in flows:
            sock.send(bytes(pkt))
    seen = {}
    for q in range(nb_queues):
        for pkt in app.rx(port, nb_flows * per_flow, timeout_ms=500, queue=q):
            got = Ether(pkt.data)
            flow = (got.getlayer(UDP) or got.getlayer(TCP)).sport - 10000
            assert pkt.ol_flags & MBUF_RSS_HASH
            assert pkt.rss == toeplitz(DEFAULT_KEY, addrs(flows[flow]) + ports(flows[flow]))
            seen.setdefault(flow, []).append((q, pkt.rss))
    assert sorted(seen) == list(range(nb_flows))
    assert all(len(got) == per_flow for got in seen.values())
    return seen


def test_rss_reta_steers(app, port_if, raw_socket):
    """Every frame lands on reta[hash % 64], as the steering program computes it."""
    port, ifname = port_if
    nb_queues = 4
    app.start_port(port, nb_queues, nb_queues, rxoff=hex(RX_RSS_HASH), rss_hf=hex(ALL_HF))
    default = [i % nb_queues for i in range(64)]
    assert app.cmd(f"reta {port}")[1] == ",".join(map(str, default))
    seen = spread(app, port, raw_socket, ifname, nb_queues)
    assert all(q == default[h % 64] for got in seen.values() for q, h in got)
    assert len({q for got in seen.values() for q, _ in got}) > 1  # the flows did spread

    # A table sending everything to queue 2, changed while the port runs.
    app.cmd(f"reta {port} 2")
    assert app.cmd(f"reta {port}")[1] == ",".join(["2"] * 64)
    seen = spread(app, port, raw_socket, ifname, nb_queues)
    assert {q for got in seen.values() for q, _ in got} == {2}

    # Queues 3, 1, 0, 2, 3, 1, ... in turn: each flow where its hash says.
    table = [(3, 1, 0, 2)[i % 4] for i in range(64)]
    app.cmd(f"reta {port} " + ",".join(map(str, table)))
    seen = spread(app, port, raw_socket, ifname, nb_queues)
    assert all(q == table[h % 64] for got in seen.values() for q, h in got)
    # Out of range: refused (by ethdev), the table kept.
    ok, _, rest = app.call(f"reta {port} 4")
    assert not ok and rest.startswith("-22 ")
    assert app.cmd(f"reta {port}")[1] == ",".join(map(str, table))
    app.cmd(f"stop {port}")
    assert app.pool()[0] == app.pool()[1]


def kernel_spread(app, port, raw_socket, ifname, nb_queues):
    """Queues the kernel picks for 16 UDP flows (5 frames each): {flow: {queue}}."""
    sock = raw_socket(ifname)
    flows = [bytes(Ether(src=SRC, dst=DST) / IP(**V4) / UDP(sport=10000 + f, dport=20000))
             for f in range(16)]
    for _ in range(5):
        for data in flows:
            sock.send(data)
    seen = {}
    for q in range(nb_queues):
        for pkt in app.rx(port, 80, timeout_ms=500, queue=q):
            assert not pkt.ol_flags & MBUF_RSS_HASH
            seen.setdefault(flows.index(pkt.data[:len(flows[0])]), set()).add(q)
    assert sorted(seen) == list(range(16))
    assert all(len(qs) == 1 for qs in seen.values())
    return set().union(*seen.values())


def test_rss_steering_goes_with_rss_mode(app, names, raw_socket):
    """Without RSS mode, or after the port that set it closed (the TAP
    persisting), the kernel picks the queue again: a flow stays on one, and
    the flows spread, where the last table sent all to queue 2."""
    ifname = names()
    nb_queues = 4
    port = app.attach(f"net_rtap_{ifname},iface={ifname},persist")
    disable_ipv6(ifname)
    app.start_port(port, nb_queues, nb_queues, rss_hf=hex(ALL_HF))
    app.cmd(f"reta {port} 2")
    app.cmd(f"stop {port}")
    app.start_port(port, nb_queues, nb_queues)
    assert len(kernel_spread(app, port, raw_socket, ifname, nb_queues)) > 1

    app.cmd(f"stop {port}")
    app.start_port(port, nb_queues, nb_queues, rss_hf=hex(ALL_HF))
    app.cmd(f"reta {port} 2")
    app.cmd(f"detach {port}")
    port = app.attach(f"net_rtap_{ifname},iface={ifname},persist")
    app.start_port(port, nb_queues, nb_queues)
    assert len(kernel_spread(app, port, raw_socket, ifname, nb_queues)) > 1
    app.cmd(f"detach {port}")
    assert app.pool()[0] == app.pool()[1]
