# SPDX-License-Identifier: BSD-3-Clause
"""Every forwarding engine of dpdk-testpmd over two rtap ports.

    raw socket on tapA --[rtap port 0]-- testpmd <engine> --[rtap port 1]-- tapB: raw socket

The kernel sides stay in the root namespace, IPv6 off and no addresses, so the
kernel sends nothing of its own; every frame carries a destination MAC that is
not the kernel's, so the kernel drops what testpmd sends it and only the raw
sockets see it (as it is: the packet socket sees the data the driver wrote).
"""

import time

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from conftest import disable_ipv6, if_stat

HOST = "02:00:00:aa:00:01"      # the kernel side's sender, never the kernel's own MAC
OTHER = "02:00:00:aa:00:02"     # a destination that is nobody on the link
PEER1 = "02:00:00:bb:00:01"     # testpmd's peer address for port 1
N = 16


def udp_frames(n=N, dst=OTHER):
    return [bytes(Ether(dst=dst, src=HOST) / IP(src="10.9.0.1", dst="10.9.0.2", id=i)
                  / UDP(sport=4000 + i, dport=5000) / Raw(bytes(range(i * 40 % 200 + 18))))
            for i in range(n)]


@pytest.fixture
def pmd_pair(testpmd, names, raw_socket):
    """pmd_pair(engine, *cmds) -> (testpmd, raw socket A, raw socket B), forwarding."""

    def make(engine, *cmds, args=()):
        a, b = names("a"), names("b")
        pmd = testpmd([f"net_rtap0,iface={a}", f"net_rtap1,iface={b}"],
                      args=["--disable-device-start", f"--forward-mode={engine}",
                            f"--eth-peer=1,{PEER1}", "--total-num-mbufs=2048", *args])
        for ifname in (a, b):
            disable_ipv6(ifname)
        pmd.setup_out = []
        for line in cmds:
            out = pmd.cmd(line)
            assert "rror" not in out and "nvalid" not in out, (line, out)
            pmd.setup_out.append(out)
        pmd.cmd("port start all")
        sock_a, sock_b = raw_socket(a), raw_socket(b)
        pmd.cmd("start")
        pmd.ifnames = (a, b)
        return pmd, sock_a, sock_b

    return make


def wait_stat(pmd, port, key, count, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        stats = pmd.port_stats(port)
        if stats[key] >= count or time.monotonic() > deadline:
            return stats
        time.sleep(0.05)


def forward(engine, pmd_pair, frames, *cmds):
    """Send frames into port 0, return what left port 1 and both ports' stats."""
    pmd, sock_a, sock_b = pmd_pair(engine, *cmds)
    for f in frames:
        sock_a.send(f)
    got = sock_b.recv_all(len(frames), timeout=5)
    wait_stat(pmd, 1, "TX-packets", len(frames))
    rx, tx = pmd.port_stats(0), pmd.port_stats(1)
    assert rx["RX-packets"] == len(frames) and rx["RX-bytes"] == sum(map(len, frames)), rx
    assert tx["TX-packets"] == len(frames) and tx["TX-bytes"] == sum(map(len, frames)), tx
    assert rx["RX-errors"] == 0 and tx["TX-errors"] == 0
    assert sock_b.recv_all(1, timeout=0.2) == []
    return pmd, got


def test_io(pmd_pair):
    frames = udp_frames()
    _, got = forward("io", pmd_pair, frames)
    assert got == frames


def test_mac(pmd_pair):
    frames = udp_frames()
    pmd, got = forward("mac", pmd_pair, frames)
    mac1 = bytes.fromhex(pmd.mac(1).replace(":", ""))
    assert got == [bytes.fromhex(PEER1.replace(":", "")) + mac1 + f[12:] for f in frames]


def test_macswap(pmd_pair):
    frames = udp_frames()
    _, got = forward("macswap", pmd_pair, frames)
    assert got == [f[6:12] + f[0:6] + f[12:] for f in frames]


def test_5tswap(pmd_pair):
    frames = udp_frames()
    _, got = forward("5tswap", pmd_pair, frames)
    expected = []
    for f in frames:
        p = Ether(f)
        p.dst, p.src = p.src, p.dst
        p[IP].src, p[IP].dst = p[IP].dst, p[IP].src
        p[UDP].sport, p[UDP].dport = p[UDP].dport, p[UDP].sport
        expected.append(bytes(p))      # the checksums are sums: a swap keeps them
    assert got == expected
    assert got[3] != frames[3]


def test_rxonly(pmd_pair):
    pmd, sock_a, sock_b = pmd_pair("rxonly")
    frames = udp_frames()
    for f in frames:
        sock_a.send(f)
    stats = wait_stat(pmd, 0, "RX-packets", len(frames))
    time.sleep(0.2)
    assert pmd.port_stats(0)["RX-packets"] == len(frames) == stats["RX-packets"]
    assert sock_b.recv_all(1, timeout=0.3) == []
    assert pmd.port_stats(1)["TX-packets"] == 0


def checksums_ok(frame):
    """Whether the IPv4 and L4 checksums of frame are right (scapy recomputes them)."""
    p = Ether(frame)
    q = p.copy()
    del q[IP].chksum
    l4 = TCP if TCP in q else UDP if UDP in q else ICMP
    del q[l4].chksum
    q = Ether(bytes(q))
    ok_l4 = p[l4].chksum == q[l4].chksum or (l4 is UDP and p[UDP].chksum == 0)
    return p[IP].chksum == q[IP].chksum and ok_l4


def generated(engine, pmd_pair, count):
    """Frames a generating engine sent out of port 1, with the stats checked."""
    pmd, _, sock_b = pmd_pair(engine)
    got = sock_b.recv_all(count, timeout=5)
    pmd.cmd("stop")
    time.sleep(0.2)
    tx = pmd.port_stats(1)
    b = pmd.ifnames[1]
    # Every frame testpmd counts reached the kernel, which counts it, or drops it.
    assert tx["TX-packets"] == if_stat(b, "rx_packets") + if_stat(b, "rx_dropped") > 0, tx
    assert tx["TX-errors"] == 0
    return pmd, got


def test_txonly(pmd_pair):
    pmd, got = generated("txonly", pmd_pair, 64)
    assert len(got) == 64
    src = pmd.mac(1)
    for f in got:
        assert len(f) == 64
        p = Ether(f)
        assert (p.dst, p.src, p.type) == (PEER1, src, 0x0800)
        ip = p[IP]
        assert (ip.version, ip.ihl, ip.len, ip.ttl, ip.proto) == (4, 5, 50, 64, 17)
        assert (ip.src, ip.dst) == ("198.18.0.1", "198.18.0.2")
        assert (p[UDP].sport, p[UDP].dport, p[UDP].len) == (9, 9, 30)
        assert checksums_ok(f), p.show(dump=True)


def test_flowgen(pmd_pair):
    _, got = generated("flowgen", pmd_pair, 256)
    assert len(got) == 256
    flows = set()
    for f in got:
        p = Ether(f)
        assert UDP in p and checksums_ok(f), p.show(dump=True)
        flows.add((p[IP].src, p[IP].dst, p[UDP].sport, p[UDP].dport))
    assert len(flows) >= 8, flows


def test_icmpecho(pmd_pair):
    pmd, sock_a, sock_b = pmd_pair("icmpecho")
    mac0 = pmd.mac(0)
    request = bytes(Ether(dst=mac0, src=HOST) / IP(src="10.9.0.1", dst="10.9.0.2", id=7)
                    / ICMP(type=8, id=0x1234, seq=3) / Raw(b"rtap-echo" * 6))
    sock_a.send(request)
    (reply,) = sock_a.recv_all(1, timeout=5)
    p = Ether(reply)
    assert (p.dst, p.src) == (HOST, mac0)
    assert (p[IP].src, p[IP].dst) == ("10.9.0.2", "10.9.0.1")
    assert (p[ICMP].type, p[ICMP].code, p[ICMP].id, p[ICMP].seq) == (0, 0, 0x1234, 3)
    assert bytes(p[ICMP].payload) == b"rtap-echo" * 6
    assert checksums_ok(reply)

    arp = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=HOST)
                / ARP(op=1, hwsrc=HOST, psrc="10.9.0.1", pdst="10.9.0.77"))
    sock_a.send(arp)
    (answer,) = sock_a.recv_all(1, timeout=5)
    p = Ether(answer)
    assert (p.dst, p.src, p.type) == (HOST, mac0, 0x0806)
    assert (p[ARP].op, p[ARP].hwsrc, p[ARP].psrc) == (2, mac0, "10.9.0.77")
    assert (p[ARP].hwdst, p[ARP].pdst) == (HOST, "10.9.0.1")

    assert sock_b.recv_all(1, timeout=0.2) == []
    stats = pmd.port_stats(0)
    assert stats["RX-packets"] == 2 and stats["TX-packets"] == 2, stats


def fold(total):
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def ones_sum(data):
    if len(data) % 2:
        data += b"\0"
    return fold(sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)))


def pseudo_header_sum(ip):
    """The folded IPv4 pseudo-header sum, not inverted: what a NEEDS_CSUM L4 field holds."""
    raw = bytes(ip)
    return ones_sum(raw[12:20] + bytes([0, ip.proto]) + (ip.len - ip.ihl * 4).to_bytes(2, "big"))


def wrong_checksums():
    """A UDP and a TCP frame whose IPv4 and L4 checksums are both wrong."""
    frames = []
    for l4 in (UDP(sport=4000, dport=5000, chksum=0x1234),
               TCP(sport=4001, dport=5001, seq=77, flags="A", chksum=0x4321)):
        frames.append(bytes(Ether(dst=OTHER, src=HOST)
                            / IP(src="10.9.0.1", dst="10.9.0.2", chksum=0xBEEF)
                            / l4 / Raw(bytes(range(100)))))
    return frames


@pytest.mark.parametrize("protos,mode", [
    (("ip",), "sw"), (("ip",), "hw"), (("udp",), "sw"), (("udp",), "hw"),
    (("tcp",), "sw"), (("tcp",), "hw"), (("ip", "udp", "tcp"), "hw")])
def test_csum(pmd_pair, protos, mode):
    """csum set <proto> sw|hw 1: testpmd or rtap fixes the IPv4 sum either way; an
    L4 sum offloaded to hw reaches the kernel as NEEDS_CSUM, its field holding the
    pseudo-header sum that the kernel completes only if it forwards the packet."""
    frames = wrong_checksums()
    pmd, got = forward("csum", pmd_pair, frames,
                       *(f"csum set {p} {mode} 1" for p in protos), "csum show 1")
    out = pmd.setup_out[-1]
    for p in protos:
        assert f"{p.upper()} checksum offload is {mode}" in out.replace("  ", " "), out
    mac1 = pmd.mac(1)
    for sent, f in zip(frames, got):
        p = Ether(f)
        l4 = TCP if TCP in p else UDP
        assert (p.dst, p.src) == (PEER1, mac1)
        assert bytes(p[l4].payload) == bytes(Ether(sent)[l4].payload)
        good = Ether(sent)
        del good[IP].chksum
        del good[l4].chksum
        good = Ether(bytes(good))
        assert p[IP].chksum == good[IP].chksum
        if mode == "hw" and l4.__name__.lower() in protos:
            assert p[l4].chksum == pseudo_header_sum(p[IP])
            # What the kernel writes when it completes the sum (csum_start = L4).
            assert 0xFFFF - ones_sum(bytes(p[IP].payload)) == good[l4].chksum
        else:
            assert p[l4].chksum == good[l4].chksum
