# SPDX-License-Identifier: BSD-3-Clause
"""Checksum offload, TSO and LRO proven with real TCP through testpmd.

    nsA: tapA --[rtap port 0]-- testpmd csum engine --[rtap port 1]-- tapB: nsB
    nsB routes to nsC over a veth whose Tx checksumming is off, and nsC's end
    does not trust the veth's Rx checksum.

The kernel trusts partial checksums it delivers locally, so a wrong
pseudo-header sum from the driver would go unnoticed in nsB. Forwarded through
nsB, every super-frame is segmented and checksummed in software from exactly
what the driver wrote, and nsC verifies every segment: a bad sum shows up as
TcpInCsumErrors there (and as lost bytes).
"""

import hashlib
import json
import re
import subprocess
import time

import pytest

from conftest import kernel_mac, sh

RX_OFFLOADS = 0x2000 | 0x2 | 0x4 | 0x8 | 0x10     # SCATTER IPV4 UDP TCP _CKSUM, TCP_LRO
RX_CKSUM = 0x2000 | 0x2 | 0x4 | 0x8               # the same without LRO
TX_OFFLOADS = 0x8000 | 0x2 | 0x4 | 0x8 | 0x20     # MULTI_SEGS IPV4 UDP TCP _CKSUM, TCP_TSO
# Payload per TSO segment: fits the 1500-byte MTU over IPv6 with TCP timestamps.
MSS = 1400
# Two 32 KB segments hold a 64 KB LRO frame: see "Mbuf sizing" in rtap.rst.
MBUF_SIZE = 32768 + 128
TRANSFER = 32 << 20

# Receives one connection, prints byte count and SHA-256 of what arrived.
SINK = """
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5201)); s.listen(1); print('listening', flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest(), flush=True)
"""
# Sends argv[2] bytes of a fixed pseudo-random stream.
SOURCE = """
import socket, sys, random
r = random.Random(7); n = int(sys.argv[2]); chunk = r.randbytes(1 << 20)
s = socket.create_connection((sys.argv[1], 5201), timeout=30)
for i in range(n >> 20): s.sendall(chunk)
s.close()
"""


def expected_digest(transfer=TRANSFER):
    """The SHA-256 of what SOURCE sends for transfer bytes."""
    import random
    chunk = random.Random(7).randbytes(1 << 20)
    h = hashlib.sha256()
    for _ in range(transfer >> 20):
        h.update(chunk)
    return h.hexdigest()


def nstat(ns, *names):
    out = sh(["nstat", "-az", *names], ns=ns).stdout
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}


def start_testpmd(testpmd, ifaces, mode):
    rx, tx, devargs = MODES[mode]
    return testpmd([f"net_rtap{i},iface={n}{devargs}" for i, n in enumerate(ifaces)],
                   args=["--disable-device-start", "--forward-mode=csum",
                         f"--mbuf-size={MBUF_SIZE}", "--total-num-mbufs=4096",
                         "--rxd=256", "--txd=256",
                         f"--rx-offloads={rx:#x}", f"--tx-offloads={tx:#x}"])


# Rx offloads, Tx offloads, devargs. With checksum offload and no LRO the
# kernel completes every checksum by default (csum=full) and leaves them
# partial only with csum=partial; LRO implies partial checksums.
MODES = {
    "offloads_on": (RX_OFFLOADS, TX_OFFLOADS, ""),
    "offloads_off": (0x2000, 0x8000, ""),
    "csum_full": (RX_CKSUM, TX_OFFLOADS, ""),
    "csum_partial": (RX_CKSUM, TX_OFFLOADS, ",csum=partial"),
}


def build_path(testpmd, names, netns, mode):
    """The topology of the module docstring; returns (nsA, nsC, testpmd)."""
    a, b, vb, vc = names("a"), names("b"), names("v"), names("w")
    nsa, nsb, nsc = netns(), netns(), netns()
    pmd = start_testpmd(testpmd, [a, b], mode)
    mac_a, mac_b = kernel_mac(a), kernel_mac(b)

    sh(f"ip link add {vb} netns {nsb} type veth peer name {vc} netns {nsc}")
    sh(f"ip link set {a} netns {nsa}")
    sh(f"ip link set {b} netns {nsb}")
    sh(f"ip addr add 10.211.0.1/24 dev {a}", ns=nsa)
    sh(f"ip addr add fd11:211::1/64 dev {a} nodad", ns=nsa)
    sh(f"ip addr add 10.211.0.2/24 dev {b}", ns=nsb)
    sh(f"ip addr add fd11:211::2/64 dev {b} nodad", ns=nsb)
    sh(f"ip addr add 10.212.0.1/24 dev {vb}", ns=nsb)
    sh(f"ip addr add fd11:212::1/64 dev {vb} nodad", ns=nsb)
    sh(f"ip addr add 10.212.0.2/24 dev {vc}", ns=nsc)
    sh(f"ip addr add fd11:212::2/64 dev {vc} nodad", ns=nsc)
    # Software segmentation and checksums in nsB, software verification in nsC.
    sh(f"ethtool -K {vb} tx off", ns=nsb)
    sh(f"ethtool -K {vc} rx off", ns=nsc)
    sh("sysctl -qw net.ipv4.ip_forward=1", ns=nsb)
    sh("sysctl -qw net.ipv6.conf.all.forwarding=1", ns=nsb)
    for ifname, ns in ((a, nsa), (b, nsb), (vb, nsb), (vc, nsc)):
        sh(f"ip link set {ifname} up", ns=ns)
    # No ARP/ND through the forwarder: it rewrites MACs anyway (--eth-peer).
    for ns, dev, addrs, mac in ((nsa, a, ("10.211.0.2", "fd11:211::2"), mac_b),
                                (nsb, b, ("10.211.0.1", "fd11:211::1"), mac_a)):
        for addr in addrs:
            sh(f"ip neigh replace {addr} lladdr {mac} dev {dev} nud permanent", ns=ns)
    sh("ip route add 10.212.0.0/24 via 10.211.0.2", ns=nsa)
    sh("ip -6 route add fd11:212::/64 via fd11:211::2", ns=nsa)
    sh("ip route add default via 10.212.0.1", ns=nsc)
    sh("ip -6 route add default via fd11:212::1", ns=nsc)

    pmd.cmd(f"set eth-peer 0 {mac_a}")
    pmd.cmd(f"set eth-peer 1 {mac_b}")
    if mode != "offloads_off":
        for port in (0, 1):
            for proto in ("ip", "tcp", "udp"):
                pmd.cmd(f"csum set {proto} hw {port}")
            pmd.cmd(f"tso set {MSS} {port}")
    pmd.cmd("port start all")
    pmd.cmd("start")
    return nsa, nsc, pmd


def exact_transfer(nsa, nsc, dst):
    sink = subprocess.Popen(["ip", "netns", "exec", nsc, "/usr/bin/python3", "-c", SINK, dst],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout.readline().strip() == "listening"
        sh(["/usr/bin/python3", "-c", SOURCE, dst, str(TRANSFER)], ns=nsa, timeout=60)
        out, _ = sink.communicate(timeout=60)
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait()
    return out.split()


def iperf3(nsa, nsc, dst):
    server = subprocess.Popen(["ip", "netns", "exec", nsc, "iperf3", "-s", "-1", "-B", dst],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if ":5201 " in sh("ss -ltnH", ns=nsc).stdout:
                break
            time.sleep(0.1)
        out = sh(["iperf3", "-c", dst, "-t", "2", "--json"], ns=nsa, check=False,
                 timeout=60).stdout
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return json.loads(out)


@pytest.mark.parametrize("mode", list(MODES))
def test_tcp_every_byte_no_checksum_errors(netns, names, testpmd, mode):
    nsa, nsc, pmd = build_path(testpmd, names, netns, mode)
    counters = ("TcpInCsumErrors", "IpInHdrErrors", "IpInCsumErrors", "Ip6InHdrErrors",
                "TcpExtTCPCsumErrors")
    digest = expected_digest()

    for dst in ("10.212.0.2", "fd11:212::2"):
        assert exact_transfer(nsa, nsc, dst) == [str(TRANSFER), digest], dst
        result = iperf3(nsa, nsc, dst)
        assert "error" not in result, result.get("error")
        assert result["end"]["sum_received"]["bytes"] > 0

    for ns in (nsa, nsc):
        errors = nstat(ns, *counters)
        assert all(v == 0 for v in errors.values()), (ns, errors)
    rx = pmd.port_stats(0)
    assert rx["RX-errors"] == 0
    # Frames the kernel of nsA handed to port 0: super-frames only with LRO.
    mean = rx["RX-bytes"] / rx["RX-packets"]
    if mode == "offloads_on":
        assert mean > 4 * 1514, rx
    else:
        assert mean <= 1514, rx
    assert pmd.port_stats(1)["TX-errors"] == 0
