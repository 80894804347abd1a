# SPDX-License-Identifier: BSD-3-Clause
"""Crafted frames through a real TAP: exact Rx flags and Tx virtio-net headers.

Rx: the kernel side sends with AF_PACKET (plain, or with PACKET_VNET_HDR for
partial checksums and GSO super-frames); the test app prints each mbuf's
ol_flags, packet_type and tso_segsz. One port is restarted through three
configurations, so the TUNSETOFFLOAD renegotiation is what changes the result.

Tx: the test app sends with offload flags, through rte_eth_tx_prepare(); an
AF_PACKET socket with PACKET_VNET_HDR on the kernel side reads back the
virtio-net header the kernel built from what it accepted.
"""

import re
import socket
import struct

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from conftest import disable_ipv6, kernel_mac, made_and_closed, sh

# rte_mbuf_core.h
IP_GOOD, IP_BAD = 1 << 7, 1 << 4
L4_GOOD, L4_BAD, L4_NONE = 1 << 8, 1 << 3, (1 << 3) | (1 << 8)
RX_LRO = 1 << 16
TX_IPV4, TX_IPV6, TX_IP_CKSUM = 1 << 55, 1 << 56, 1 << 54
TX_TCP_CKSUM, TX_SCTP_CKSUM, TX_TCP_SEG = 1 << 52, 2 << 52, 1 << 50
# rte_mbuf_ptype.h
P_ETHER, P_IPV4, P_IPV6, P_TCP, P_UDP = 0x1, 0x10, 0x40, 0x100, 0x200
# rte_ethdev.h
RX_SCATTER, RX_CKSUM, RX_LRO_OFF = 0x2000, 0x2 | 0x4 | 0x8, 0x10
TX_OFFLOADS = 0x8000 | 0x2 | 0x4 | 0x8 | 0x20
# linux/virtio_net.h, linux/if_packet.h
NEEDS_CSUM, GSO_TCPV4, GSO_TCPV6 = 1, 1, 4
SOL_PACKET, PACKET_VNET_HDR = 263, 15
VNET = struct.Struct("=BBHHHH")  # flags gso_type hdr_len gso_size csum_start csum_offset

SRC = "02:00:00:00:0f:01"
BIG_MBUF = 32768 + 128
MSS = 1000


def csum_add(data, acc=0):
    if len(data) % 2:
        data += b"\0"
    for (w,) in struct.iter_unpack("!H", data):
        acc += w
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def pseudo_sum(pkt):
    """The folded pseudo-header sum with the L4 length: the kernel's partial checksum."""
    ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
    l4 = bytes(ip.payload)
    if ip.version == 4:
        ph = socket.inet_aton(ip.src) + socket.inet_aton(ip.dst) + struct.pack("!BBH", 0, ip.proto, len(l4))
    else:
        ph = (socket.inet_pton(socket.AF_INET6, ip.src) + socket.inet_pton(socket.AF_INET6, ip.dst)
              + struct.pack("!IxxxB", len(l4), ip.nh))
    return csum_add(ph)


def l4_checksum_ok(data):
    pkt = Ether(data)
    ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
    return csum_add(bytes(ip.payload), pseudo_sum(pkt)) == 0xFFFF


def ip_checksum_ok(data):
    return csum_add(data[14:34]) == 0xFFFF


def tcp4(dst, payload=200, **ip):
    return (Ether(dst=dst, src=SRC) / IP(src="10.213.0.1", dst="10.213.0.2", id=7, **ip)
            / TCP(sport=1111, dport=2222, seq=1000, flags="A")
            / bytes(i & 0xFF for i in range(payload)))


def tcp6(dst, payload=200):
    return (Ether(dst=dst, src=SRC) / IPv6(src="fd13::1", dst="fd13::2")
            / TCP(sport=1111, dport=2222, seq=1000, flags="A")
            / bytes(i & 0xFF for i in range(payload)))


def udp6(dst, **udp):
    return (Ether(dst=dst, src=SRC) / IPv6(src="fd13::1", dst="fd13::2")
            / UDP(sport=3333, dport=4444, **udp) / b"udp payload")


def good_of(data):
    """The frame with its TCP checksum recomputed by scapy."""
    pkt = Ether(data)
    del pkt[TCP].chksum
    return Ether(bytes(pkt))


def with_partial_cksum(pkt):
    """The frame with its TCP checksum field holding the pseudo-header sum only."""
    data = bytearray(bytes(pkt))
    struct.pack_into("!H", data, 14 + 20 + 16, pseudo_sum(pkt))
    return bytes(data)


class VnetSocket:
    """AF_PACKET with a virtio-net header in front of every frame, both ways."""

    def __init__(self, ifname):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.settimeout(5)
        self.sock.bind((ifname, 0))

    def send(self, data, flags=0, gso_type=0, hdr_len=0, gso_size=0, csum_start=0,
             csum_offset=0):
        hdr = VNET.pack(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset)
        return self.sock.send(hdr + data) - VNET.size

    def recv_from(self, src_mac):
        """The next frame with our source MAC: (vnet header tuple, frame)."""
        want = bytes.fromhex(src_mac.replace(":", ""))
        while True:
            data, addr = self.sock.recvfrom(1 << 17)
            if addr[2] != socket.PACKET_OUTGOING and data[VNET.size + 6:VNET.size + 12] == want:
                return VNET.unpack(data[:VNET.size]), data[VNET.size:]

    def close(self):
        self.sock.close()


@pytest.fixture
def vnet_socket():
    yield from made_and_closed(VnetSocket)


def rx_one_config(app, port, rxoff, raw_socket, vnet_socket, ifname):
    """Start the port with rxoff, send the crafted set; returns the received mbufs."""
    app.start_port(port, rxoff=rxoff, desc=64)
    app.cmd(f"stats_reset {port}")
    # Bound while the interface is up: a socket that saw it down reports ENETDOWN once.
    raw, vnet, mac = raw_socket(ifname), vnet_socket(ifname), kernel_mac(ifname)
    good = tcp4(mac)
    frames = [
        ("good4", bytes(good)),
        ("bad_l4", bytes(good)[:50] + b"\xde\xad" + bytes(good)[52:]),
        ("bad_ip", bytes(good)[:24] + b"\xbe\xef" + bytes(good)[26:]),
        ("good6", bytes(udp6(mac))),
        ("bad6", bytes(udp6(mac, chksum=0x1234))),
    ]
    for _, data in frames:
        assert raw.send(data) == len(data)
    partial = with_partial_cksum(good)
    assert vnet.send(partial, flags=NEEDS_CSUM, csum_start=34, csum_offset=16) == len(partial)
    big = tcp4(mac, payload=4 * MSS)
    assert vnet.send(with_partial_cksum(big), flags=NEEDS_CSUM, gso_type=GSO_TCPV4,
                     hdr_len=54, gso_size=MSS, csum_start=34, csum_offset=16) == len(big)
    want = len(frames) + 1 + (1 if rxoff & RX_LRO_OFF else 4)
    got = app.rx(port, want + 1, timeout_ms=1500)
    stats = app.stats(port)
    assert stats["ipackets"] == want and stats["ierrors"] == 0, stats
    app.cmd(f"stop {port}")
    return frames, partial, big, got


def tx_checksumming(ifname):
    """The kernel's view of what the TAP's reader accepts (TUNSETOFFLOAD)."""
    out = sh(f"ethtool -k {ifname}").stdout
    return {k: v.split()[0] for k, v in re.findall(r"^([\w-]+): (.*)$", out, re.M)
            if k in ("tx-checksumming", "tcp-segmentation-offload")}


@pytest.mark.parametrize("csum", ["", ",csum=partial"], ids=["csum_full", "csum_partial"])
def test_rx_flags_follow_negotiation(app_factory, names, raw_socket, vnet_socket, csum):
    app = app_factory(mbuf_size=BIG_MBUF, pool_size=1024)
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}{csum}")
    disable_ipv6(ifname)
    tcp4_ptype, udp6_ptype = P_ETHER | P_IPV4 | P_TCP, P_ETHER | P_IPV6 | P_UDP

    frames, partial, big, got = rx_one_config(app, port, RX_SCATTER | RX_CKSUM, raw_socket, vnet_socket, ifname)
    verdicts = [
        (IP_GOOD | L4_GOOD, tcp4_ptype),
        (IP_GOOD | L4_BAD, tcp4_ptype),
        (IP_BAD | L4_GOOD, tcp4_ptype),
        (L4_GOOD, udp6_ptype),
        (L4_BAD, udp6_ptype),
    ]
    assert [p.data for p in got[:5]] == [d for _, d in frames]
    assert all(p.tso_segsz == 0 for p in got)
    # No TSO negotiated: the kernel cut the super-frame.
    assert [len(p.data) for p in got[6:]] == [54 + MSS] * 4
    if csum:
        # Opted in: partial checksums come through, everything else verified.
        assert tx_checksumming(ifname) == {"tx-checksumming": "on",
                                           "tcp-segmentation-offload": "off"}
        assert [(p.ol_flags, p.ptype) for p in got] == verdicts + \
            [(IP_GOOD | L4_NONE, tcp4_ptype)] * 5
        assert got[5].data == partial
        assert all(struct.unpack_from("!H", p.data, 50)[0] == pseudo_sum(Ether(p.data))
                   for p in got[6:])
    else:
        # The default: the kernel completes every checksum, the driver flags
        # what it verified; the application never sees a partial one.
        assert tx_checksumming(ifname) == {"tx-checksumming": "off",
                                           "tcp-segmentation-offload": "off"}
        assert [(p.ol_flags, p.ptype) for p in got] == verdicts + \
            [(IP_GOOD | L4_GOOD, tcp4_ptype)] * 5
        assert got[5].data == bytes(good_of(partial))
    for p in got[5:]:
        assert ip_checksum_ok(p.data) and (l4_checksum_ok(p.data) or csum), p
    payload = b"".join(bytes(Ether(p.data)[TCP].payload) for p in got[6:])
    assert payload == bytes(big[TCP].payload)

    # LRO as well, whatever csum= says: the super-frame arrives whole.
    frames, partial, big, got = rx_one_config(app, port, RX_SCATTER | RX_CKSUM | RX_LRO_OFF,
                                              raw_socket, vnet_socket, ifname)
    assert tx_checksumming(ifname) == {"tx-checksumming": "on",
                                       "tcp-segmentation-offload": "on"}
    assert [p.ol_flags for p in got[:6]] == [IP_GOOD | L4_GOOD, IP_GOOD | L4_BAD,
                                             IP_BAD | L4_GOOD, L4_GOOD, L4_BAD,
                                             IP_GOOD | L4_NONE]
    assert (got[6].ol_flags, got[6].ptype, got[6].tso_segsz) == \
        (IP_GOOD | L4_NONE | RX_LRO, tcp4_ptype, MSS)
    assert got[6].data == with_partial_cksum(big)
    assert got[6].nb_segs == 1

    # Nothing asked for: no flags, no packet types, and the kernel finishes
    # every checksum itself, of the partial frame and of each segment.
    frames, partial, big, got = rx_one_config(app, port, RX_SCATTER, raw_socket, vnet_socket, ifname)
    assert all(p.ol_flags == 0 and p.ptype == 0 for p in got)
    assert [p.data for p in got[:6]] == [d for _, d in frames] + [bytes(tcp4(kernel_mac(ifname)))]
    payload = b""
    for i, p in enumerate(got[6:]):
        seg = Ether(p.data)
        assert seg[TCP].seq == 1000 + i * MSS
        assert ip_checksum_ok(p.data) and l4_checksum_ok(p.data)
        payload += bytes(seg[TCP].payload)
    assert payload == bytes(big[TCP].payload)

    avail, size = app.pool()
    assert avail == size


@pytest.mark.parametrize("mode", ["direct", "indirect", "shared"])
def test_tx_offloads_reach_the_kernel(app, names, vnet_socket, mode):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.start_port(port, rxoff=RX_SCATTER, txoff=TX_OFFLOADS)
    vnet = vnet_socket(ifname)
    dst = "02:00:00:00:0f:02"

    # IPv4 header checksum in software, TCP checksum left to the kernel.
    pkt = tcp4(dst)
    data = bytearray(bytes(pkt))
    data[24:26] = b"\0\0"
    data[50:52] = b"\x12\x34"
    assert app.tx(port, bytes(data), mode=mode, prep=1, l2=14, l3=20,
                  ol=hex(TX_IPV4 | TX_IP_CKSUM | TX_TCP_CKSUM)) == 1
    hdr, got = vnet.recv_from(SRC)
    assert (hdr[0], hdr[1], hdr[4], hdr[5]) == (NEEDS_CSUM, 0, 34, 16)
    assert ip_checksum_ok(got)
    assert struct.unpack_from("!H", got, 50)[0] == pseudo_sum(pkt)
    assert got[:24] == bytes(pkt)[:24] and got[52:] == bytes(pkt)[52:]

    # TSO, IPv4 and IPv6: one super-frame, the kernel's partial checksum.
    for pkt, ol, gso, l3 in ((tcp4(dst, payload=4 * MSS), TX_IPV4 | TX_IP_CKSUM, GSO_TCPV4, 20),
                             (tcp6(dst, payload=4 * MSS), TX_IPV6, GSO_TCPV6, 40)):
        assert app.tx(port, bytes(pkt), mode=mode, prep=1, l2=14, l3=l3, l4=20, mss=MSS,
                      ol=hex(ol | TX_TCP_SEG), seg=2048) == 1
        hdr, got = vnet.recv_from(SRC)
        assert (hdr[0], hdr[1], hdr[3], hdr[4], hdr[5]) == (NEEDS_CSUM, gso, MSS, 14 + l3, 16)
        assert len(got) == len(pkt)
        assert struct.unpack_from("!H", got, 14 + l3 + 16)[0] == pseudo_sum(pkt)
        if l3 == 20:
            assert ip_checksum_ok(got)

    # What the kernel cannot do is refused by tx_prepare, not sent.
    big = bytes(tcp4(dst, payload=4 * MSS))
    for ol, mss, errno in ((TX_IPV4 | TX_IP_CKSUM | TX_TCP_SEG, 0, 22),
                           (TX_IPV4 | TX_SCTP_CKSUM, MSS, 95)):
        ok, _, rest = app.call(f"tx {port} 0 {big.hex()} prep=1 l2=14 l3=20 l4=20 "
                               f"mss={mss} ol={hex(ol)}")
        assert not ok and rest.startswith(f"{errno} prepare"), rest
    # Sent without preparing, headers that contradict the flags: dropped, counted.
    assert app.tx(port, big, mode=mode, l2=14, l3=20, l4=12, mss=MSS,
                  ol=hex(TX_IPV4 | TX_IP_CKSUM | TX_TCP_SEG)) == 1
    stats = app.stats(port)
    assert stats["opackets"] == 3 and stats["oerrors"] == 1, stats
    assert app.xstats(port)["tx_q0_offload_errors"] == 1
    app.cmd(f"stop {port}")
    avail, size = app.pool()
    assert avail == size


def test_tx_clone_without_data_room_is_dropped(app, names, raw_socket):
    """Clones from a pool without data room leave no room for the virtio-net header."""
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.start_port(port, txoff=TX_OFFLOADS)
    sock = raw_socket(ifname)
    pkt = bytes(tcp4("02:00:00:00:0f:02"))
    assert app.tx(port, pkt, mode="clone0") == 1
    assert app.tx(port, pkt, mode="indirect") == 1
    assert sock.recv_all(2, timeout=1) == [pkt]
    stats = app.stats(port)
    assert (stats["opackets"], stats["oerrors"]) == (1, 1), stats
    app.cmd(f"stop {port}")
    avail, size = app.pool()
    assert avail == size
