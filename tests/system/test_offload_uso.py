# SPDX-License-Identifier: BSD-3-Clause
"""UDP segmentation offload (Linux 6.2+) both ways, checked byte for byte.

Rx: a kernel UDP socket with UDP_SEGMENT sends one 64 KB write through the
TAP; with LRO the port receives it whole, as one super-frame flagged the way
TCP ones are.

Tx: the test app sends one super-frame with RTE_MBUF_F_TX_UDP_SEG. The kernel
of nsA forwards it to nsC over a veth whose Tx checksumming is off, so every
datagram is cut and checksummed in software from exactly what the driver
wrote; nsC's end does not trust the veth's Rx checksum, so a UDP socket there
gets each datagram only if its checksum verifies (else UdpInCsumErrors).
"""

import re
import socket
import struct
import subprocess

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from conftest import kernel_mac, sh

# rte_mbuf_core.h, rte_mbuf_ptype.h, rte_ethdev.h
RX_LRO, L4_NONE, IP_GOOD = 1 << 16, (1 << 3) | (1 << 8), 1 << 7
TX_IPV4, TX_IPV6, TX_IP_CKSUM, TX_UDP_SEG = 1 << 55, 1 << 56, 1 << 54, 1 << 42
P_ETHER, P_IPV4, P_IPV6, P_UDP = 0x1, 0x10, 0x40, 0x200
RX_SCATTER, RX_CKSUM, RX_LRO_OFF = 0x2000, 0x2 | 0x4 | 0x8, 0x10
TX_MULTI_SEGS, TX_IPV4_CKSUM, TX_UDP_CKSUM, TX_UDP_TSO = 0x8000, 0x2, 0x4, 0x40
UDP_SEGMENT = 103

SRC = "02:00:00:00:0f:01"
BIG_MBUF = 32768 + 128
GSO_SIZE = 1400
PAYLOAD = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(46 * GSO_SIZE))  # 64400 bytes
FAMILIES = {
    # tap address, peer on the tap side, veth nsA side, veth nsC side
    4: ("10.218.0.1", "10.218.0.2", "10.219.0.1", "10.219.0.2", 24),
    6: ("fd18::1", "fd18::2", "fd19::1", "fd19::2", 64),
}

# Sends one UDP_SEGMENT write of argv[3] (hex file) to argv[1]:argv[2].
GSO_SEND = f"""
import socket, sys
data = open(sys.argv[3], 'rb').read()
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, {UDP_SEGMENT}, {GSO_SIZE})
print(s.sendto(data, (sys.argv[1], int(sys.argv[2]))), flush=True)
"""
# Receives argv[2] datagrams on port argv[1], prints their lengths and hex.
SINK = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(('::', int(sys.argv[1]))); s.settimeout(5); print('listening', flush=True)
n = int(sys.argv[2])
try:
    for _ in range(n):
        print(s.recv(1 << 16).hex(), flush=True)
except socket.timeout:
    pass
"""


def features(ifname, ns):
    out = sh(f"ethtool -k {ifname}", ns=ns).stdout
    return {k: v.split()[0] for k, v in re.findall(r"^([\w-]+): (.*)$", out, re.M)}


def nstat(ns, *names):
    out = sh(["nstat", "-az", *names], ns=ns).stdout
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}


def put_in_ns(ifname, ns, addr, plen):
    sh(f"ip link set {ifname} netns {ns}")
    sh(f"ip addr add {addr}/{plen} dev {ifname} nodad" if ":" in addr else
       f"ip addr add {addr}/{plen} dev {ifname}", ns=ns)
    sh(f"ip link set {ifname} up", ns=ns)


def uso_port(app, names, netns, rxoff):
    """A port whose kernel side is in a namespace; skips where the kernel has no USO."""
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    if not int(app.kv(f"info {port}")["tx_capa"], 16) & TX_UDP_TSO:
        pytest.skip("the kernel has no USO (Linux 6.2+)")
    mac = kernel_mac(ifname)
    ns = netns()
    sh(f"ip link set {ifname} netns {ns}")
    app.start_port(port, rxoff=rxoff, txoff=TX_MULTI_SEGS | TX_IPV4_CKSUM | TX_UDP_CKSUM |
                   TX_UDP_TSO, desc=64)
    return port, ifname, mac, ns


@pytest.mark.parametrize("family", [4, 6])
def test_uso_rx_super_frame_whole(app_factory, names, netns, tmp_path, family):
    app = app_factory(mbuf_size=BIG_MBUF, pool_size=1024)
    port, ifname, _, ns = uso_port(app, names, netns, RX_SCATTER | RX_CKSUM | RX_LRO_OFF)
    tap, peer, _, _, plen = FAMILIES[family]
    sh(f"ip addr add {tap}/{plen} dev {ifname} nodad" if family == 6 else
       f"ip addr add {tap}/{plen} dev {ifname}", ns=ns)
    # To the port's own address: the kernel's filter passes it.
    sh(f"ip neigh replace {peer} lladdr {app.kv(f'info {port}')['mac']} dev {ifname} "
       "nud permanent", ns=ns)
    feats = features(ifname, ns)
    assert feats["tx-udp-segmentation"] == "on", feats

    data = tmp_path / "payload"
    data.write_bytes(PAYLOAD)
    out = sh(["/usr/bin/python3", "-c", GSO_SEND, peer, "4444", str(data)], ns=ns).stdout
    assert int(out) == len(PAYLOAD)
    got = [p for p in app.rx(port, 4, timeout_ms=1500) if Ether(p.data).haslayer(UDP)]
    assert len(got) == 1, [(p.length, p.tso_segsz) for p in got]
    p = got[0]
    ip_good = IP_GOOD if family == 4 else 0
    l3 = P_IPV4 if family == 4 else P_IPV6
    assert (p.ol_flags, p.ptype, p.tso_segsz) == (RX_LRO | L4_NONE | ip_good,
                                                  P_ETHER | l3 | P_UDP, GSO_SIZE)
    pkt = Ether(p.data)
    assert pkt[UDP].dport == 4444 and pkt[UDP].len == 8 + len(PAYLOAD)
    assert bytes(pkt[UDP].payload) == PAYLOAD
    assert p.length == 14 + (20 if family == 4 else 40) + 8 + len(PAYLOAD)
    assert app.stats(port)["ierrors"] == 0
    app.cmd(f"stop {port}")

    # Without LRO the kernel is not asked for USO and segments itself.
    app.start_port(port, rxoff=RX_SCATTER, desc=64)
    assert features(ifname, ns)["tx-udp-segmentation"] == "off"
    app.cmd(f"stop {port}")
    avail, size = app.pool()
    assert avail == size


@pytest.mark.parametrize("family", [4, 6])
def test_uso_tx_segmented_by_the_kernel(app, names, netns, family):
    port, ifname, mac, nsa = uso_port(app, names, netns, RX_SCATTER)
    tap, peer, va_addr, vc_addr, plen = FAMILIES[family]
    nsc = netns()
    va, vc = names("v"), names("w")
    sh(f"ip link add {va} netns {nsa} type veth peer name {vc} netns {nsc}")
    for ifn, ns, addr in ((ifname, nsa, tap), (va, nsa, va_addr), (vc, nsc, vc_addr)):
        sh(f"ip addr add {addr}/{plen} dev {ifn} nodad" if family == 6 else
           f"ip addr add {addr}/{plen} dev {ifn}", ns=ns)
        sh(f"ip link set {ifn} up", ns=ns)
    # Software segmentation and checksums in nsA, software verification in nsC.
    sh(f"ethtool -K {va} tx off", ns=nsa)
    sh(f"ethtool -K {vc} rx off", ns=nsc)
    sh("sysctl -qw net.ipv4.ip_forward=1", ns=nsa)
    sh("sysctl -qw net.ipv6.conf.all.forwarding=1", ns=nsa)
    vc_mac = sh(f"cat /sys/class/net/{vc}/address", ns=nsc).stdout.strip()
    sh(f"ip neigh replace {vc_addr} lladdr {vc_mac} dev {va} nud permanent", ns=nsa)
    sh(f"ip route add default via {va_addr}", ns=nsc)

    nb = len(PAYLOAD) // GSO_SIZE
    sink = subprocess.Popen(["ip", "netns", "exec", nsc, "/usr/bin/python3", "-c", SINK,
                             "4444", str(nb)], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout.readline().strip() == "listening"
        if family == 4:
            pkt = (Ether(dst=mac, src=SRC) / IP(src=peer, dst=vc_addr, id=9)
                   / UDP(sport=3333, dport=4444) / PAYLOAD)
            ol, l3 = TX_IPV4 | TX_IP_CKSUM | TX_UDP_SEG, 20
        else:
            pkt = (Ether(dst=mac, src=SRC) / IPv6(src=peer, dst=vc_addr)
                   / UDP(sport=3333, dport=4444) / PAYLOAD)
            ol, l3 = TX_IPV6 | TX_UDP_SEG, 40
        frame = bytearray(bytes(pkt))
        # What the driver must redo: the UDP length and checksum, the IPv4 header checksum.
        struct.pack_into("!HH", frame, 14 + l3 + 4, 0, 0x1234)
        if family == 4:
            frame[24:26] = b"\0\0"
        assert app.tx(port, bytes(frame), prep=1, l2=14, l3=l3, l4=8, mss=GSO_SIZE,
                      ol=hex(ol)) == 1
        out, _ = sink.communicate(timeout=30)
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait()
    datagrams = [bytes.fromhex(line) for line in out.split()]
    assert datagrams == [PAYLOAD[i:i + GSO_SIZE] for i in range(0, len(PAYLOAD), GSO_SIZE)]
    stats = app.stats(port)
    assert (stats["opackets"], stats["oerrors"]) == (1, 0), stats
    counters = nstat(nsc, "UdpInCsumErrors", "Udp6InCsumErrors", "UdpInDatagrams",
                     "Udp6InDatagrams")
    assert counters.get("UdpInCsumErrors", 0) == counters.get("Udp6InCsumErrors", 0) == 0
    assert counters.get("UdpInDatagrams", 0) + counters.get("Udp6InDatagrams", 0) == nb
    app.cmd(f"stop {port}")
    avail, size = app.pool()
    assert avail == size
