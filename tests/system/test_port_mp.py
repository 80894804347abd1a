# SPDX-License-Identifier: BSD-3-Clause
"""Secondary processes: dpdk-proc-info reads a running primary's rtap port, and
secondary test apps poll its queues (DPDK's symmetric_mp)."""

import array
import errno
import os
import re
import socket
import struct
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import SLOW, UPSTREAM_DPDK, disable_ipv6, frame, if_exists, token
from test_datapath import tap_port
from test_port_events import wait_for


def proc_info(plugin, prefix, *args):
    out = subprocess.run(["dpdk-proc-info", "-d", str(plugin), "--file-prefix", prefix,
                          "--no-pci", "--log-level", "pmd.net.rtap:info", "--", *args],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_proc_info_reads_primary(huge_dir, app_factory, plugin, names, raw_socket):
    app = app_factory(huge_dir=huge_dir, pool_size=2048)
    port, ifname = tap_port(app, names, desc=64)
    sock = raw_socket(ifname)
    for i in range(7):
        sock.send(frame(60, seq=i))
    assert len(app.rx(port, 7)) == 7
    for i in range(3):
        assert app.tx(port, frame(200, seq=i)) == 1
    # Kernel drops reach the secondary too: through the TAP fd the primary lends it.
    app.cmd(f"rxq_stop {port} 0")
    for i in range(1010):
        sock.send(frame(60, seq=i))
    imissed = app.stats(port)["imissed"]
    assert imissed >= 10

    out = proc_info(plugin, app.prefix, "--stats")
    block = out[out.index(f"NIC statistics for port {port}"):]
    assert re.search(r"RX-packets:\s+7\b", block)
    assert re.search(r"TX-packets:\s+3\b", block)
    assert re.search(r"RX-bytes:\s+420\b", block)

    xstats = dict(re.findall(r"^(\w+): (\d+)$", proc_info(plugin, app.prefix, "--xstats"),
                             re.M))
    assert xstats["rx_q0_packets"] == "7"
    assert xstats["rx_q0_size_64_packets"] == "7"
    assert xstats["tx_q0_size_128_to_255_packets"] == "3"
    assert xstats["rx_kernel_dropped_packets"] == str(imissed)
    assert xstats["rx_missed_errors"] == str(imissed)
    # The primary is unaffected by the secondary coming and going.
    app.cmd(f"rxq_start {port} 0")
    assert app.stats(port)["ipackets"] == 7


# Two queues each way, Toeplitz steering on: a table of one queue takes every flow there.
RSS_HF = 0x2fbc        # ALL_HF of test_port_rss.py
MARK = b"rtapmp"


def udp_frame(seq, length=100):
    """An IPv4 UDP frame of length bytes: the steering program hashes it."""
    head = (b"\xff" * 6 + b"\x02\x00\x00\x00\x0e\x01" + b"\x08\x00"
            + struct.pack("!BBHHHBBH4s4s", 0x45, 0, length - 14, seq & 0xFFFF, 0, 64, 17, 0,
                          bytes([10, 214, 0, 1]), bytes([10, 214, 0, 2]))
            + struct.pack("!HHHH", 10000 + seq % 16, 20000, length - 34, 0))
    body = MARK + seq.to_bytes(4, "big")
    return (head + body).ljust(length, b"x")


def mp_port(app, names, ready=True):
    """An rtap port of 2 Rx and 2 Tx queues in RSS mode, started when ready."""
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.cmd(f"configure {port} 2 2 desc=64 rss_hf={hex(RSS_HF)}")
    if ready:
        app.cmd(f"start {port}")
    return port, ifname


def steer(app, port, queue):
    app.cmd(f"reta {port} {queue}")
    assert app.cmd(f"reta {port}")[1] == ",".join([str(queue)] * 64)


def send(sock, seqs, length=100):
    for seq in seqs:
        sock.send(udp_frame(seq, length))
    return [udp_frame(seq, length) for seq in seqs]


def received(app, port, queue, count, timeout_ms=2000):
    return [p.data for p in app.rx(port, count, timeout_ms=timeout_ms, queue=queue)]


def kernel_got(sock, count):
    """Frames the kernel side received from the port, ours only."""
    got = [f for f in sock.recv_all(count + 8, timeout=2) if MARK in f]
    return got


def secondary(app_factory, huge_dir, app):
    return app_factory(huge_dir=huge_dir, prefix=app.prefix, eal=["--proc-type=secondary"])


def test_symmetric_mp(huge_dir, app_factory, names, raw_socket):
    """symmetric_mp: the primary polls queue 0, a secondary queue 1, both ways;
    the primary's counters add up both; nothing is left once they are done."""
    app = app_factory(huge_dir=huge_dir, pool_size=2048)
    port, ifname = mp_port(app, names)
    second = secondary(app_factory, huge_dir, app)
    sock = raw_socket(ifname)
    assert int(second.kv(f"link {port}")["status"]) == 1

    steer(app, port, 1)
    sent = send(sock, range(0, 7))
    assert received(second, port, 1, 7) == sent
    assert received(app, port, 0, 1, timeout_ms=200) == []
    steer(app, port, 0)
    sent = send(sock, range(100, 105), length=300)
    assert received(app, port, 0, 5) == sent
    assert received(second, port, 1, 1, timeout_ms=200) == []

    for seq in range(200, 203):
        assert second.tx(port, udp_frame(seq, 150), queue=1) == 1
    for seq in range(300, 304):
        assert app.tx(port, udp_frame(seq, 80), queue=0) == 1
    got = kernel_got(sock, 7)
    assert sorted(got) == sorted([udp_frame(s, 150) for s in range(200, 203)]
                                 + [udp_frame(s, 80) for s in range(300, 304)])

    stats = app.stats(port)
    assert (stats["ipackets"], stats["ibytes"]) == (12, 7 * 100 + 5 * 300)
    assert (stats["opackets"], stats["obytes"]) == (7, 3 * 150 + 4 * 80)
    assert stats["ierrors"] == stats["oerrors"] == stats["rx_nombuf"] == 0
    assert second.stats(port) == stats
    xstats = app.xstats(port)
    assert (xstats["rx_q0_packets"], xstats["rx_q1_packets"]) == (5, 7)
    assert (xstats["tx_q0_packets"], xstats["tx_q1_packets"]) == (4, 3)

    # Its close gives back its rings and fds; the primary's are its own.
    assert len(tun_fds(second)) == 16
    second.cmd(f"close {port}")
    assert second.kernel_fds() == []
    assert second.quit() == 0
    # The secondary's mbufs went back with its close; the primary's with its stop.
    app.cmd(f"stop {port}")
    assert app.pool()[0] == app.pool()[1]
    app.cmd(f"close {port}")
    assert app.kernel_fds() == []


def test_secondary_attached_before_start(huge_dir, app_factory, names, raw_socket):
    """A secondary that attaches before the start polls nothing until it, then
    sets its rings up at its first burst; a stop ends that, a start again
    brings them back."""
    app = app_factory(huge_dir=huge_dir, pool_size=2048)
    port, ifname = mp_port(app, names, ready=False)
    second = secondary(app_factory, huge_dir, app)
    assert second.rx(port, 1, timeout_ms=100, queue=1) == []
    assert second.tx(port, udp_frame(1), queue=1) == 0
    assert second.kernel_fds().count("anon_inode:[io_uring]") == 0

    app.cmd(f"start {port}")
    sock = raw_socket(ifname)
    steer(app, port, 1)
    sent = send(sock, range(10))
    assert received(second, port, 1, 10) == sent
    assert second.tx(port, udp_frame(50, 120), queue=1) == 1
    assert kernel_got(sock, 1) == [udp_frame(50, 120)]
    assert second.kernel_fds().count("anon_inode:[io_uring]") == 2

    # Stopped: the secondary's bursts return 0, its reads are cancelled.
    app.cmd(f"stop {port}")
    assert second.rx(port, 1, timeout_ms=100, queue=1) == []
    assert second.tx(port, udp_frame(51), queue=1) == 0
    assert app.pool()[0] == app.pool()[1]
    app.cmd(f"start {port}")
    steer(app, port, 1)
    sock = raw_socket(ifname)                       # the stop took the link down
    sent = send(sock, range(20, 24))
    assert received(second, port, 1, 4) == sent
    stats = app.stats(port)
    assert (stats["ipackets"], stats["ibytes"], stats["opackets"]) == (14, 1400, 1)
    assert second.quit() == 0
    app.cmd(f"stop {port}")
    assert app.pool()[0] == app.pool()[1]


def test_secondary_exit_leaves_primary(huge_dir, app_factory, names, raw_socket):
    """A secondary that exits, reads still posted, leaves the primary receiving
    on its own queue, and the secondary's queue to the primary."""
    app = app_factory(huge_dir=huge_dir, pool_size=2048)
    port, ifname = mp_port(app, names)
    sock = raw_socket(ifname)
    second = secondary(app_factory, huge_dir, app)
    steer(app, port, 1)
    sent = send(sock, range(3))
    assert received(second, port, 1, 3) == sent
    assert second.quit() == 0                       # exits with a read waiting

    steer(app, port, 0)
    sent = send(sock, range(10, 18))
    assert received(app, port, 0, 8) == sent
    steer(app, port, 1)                             # its queue is the primary's now
    sent = send(sock, range(30, 35))
    assert received(app, port, 1, 5) == sent
    assert app.tx(port, udp_frame(40), queue=1) == 1
    assert kernel_got(sock, 1) == [udp_frame(40)]
    stats = app.stats(port)
    assert (stats["ipackets"], stats["ibytes"], stats["opackets"]) == (16, 1600, 1)
    # Another secondary takes the queue over once the primary's reads on it are
    # gone (one process a queue): a stop cancels them.
    app.cmd(f"stop {port}")
    app.cmd(f"start {port}")
    steer(app, port, 1)
    third = secondary(app_factory, huge_dir, app)
    sock = raw_socket(ifname)                       # the stop took the link down
    sent = send(sock, range(50, 52))
    assert received(third, port, 1, 2) == sent
    assert third.quit() == 0
    app.cmd(f"stop {port}")
    assert app.pool()[0] == app.pool()[1]
    app.cmd(f"close {port}")
    assert app.kernel_fds() == []


def tun_fds(app):
    return [t for t in app.fd_targets() if "tun" in t]


def test_secondary_closes_its_port(huge_dir, app_factory, names):
    """A secondary's close gives back the TAP fds it was lent: the primary's
    non-persistent interface then goes with the primary's close."""
    app = app_factory(huge_dir=huge_dir, pool_size=2048)
    port, ifname = tap_port(app, names, desc=64)
    second = app_factory(huge_dir=huge_dir, prefix=app.prefix,
                         eal=["--proc-type=secondary"])
    assert len(tun_fds(second)) == 16               # every queue's
    assert int(second.kv(f"link {port}")["status"]) == 1

    second.cmd(f"close {port}")
    assert tun_fds(second) == []
    ok, _, _ = second.call(f"stats {port}")
    assert not ok                                   # the port is gone here
    app.cmd(f"stop {port}")
    app.cmd(f"close {port}")
    assert not if_exists(ifname)
    assert second.quit() == 0


MP_REQ = 1


def mp_framing():
    """EAL's IPC datagram: the message type, then rte_mp_msg up to its fds.
    Since 25.11 the param array is 8-byte aligned, so is the message after
    the type, and the datagram ends 4 bytes into the fds."""
    version = tuple(int(x) for x in (UPSTREAM_DPDK or "22.11").split(".")[:2])
    return "=i4x64sii256s4x" if version >= (25, 11) else "=i64sii256s"


MP_FRAMING = mp_framing()
MP_MSG_LEN = struct.calcsize(MP_FRAMING)


class MpPeer:
    """Raw requests to a primary's EAL IPC socket, as any process reaching it can send."""

    def __init__(self, prefix):
        self.dir = Path(f"/var/run/dpdk/{prefix}")
        self.path = self.dir / f"rtap-test-{token()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(5)

    def request(self, param, len_param=None, fds=()):
        """(err, first, total, fds received) of a raw rtap_queue_fds request;
        fds ride along as SCM_RIGHTS."""
        len_param = len(param) if len_param is None else len_param
        msg = struct.pack(MP_FRAMING, MP_REQ, b"rtap_queue_fds", len_param, len(fds),
                          param.ljust(256, b"\0"))
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        self.sock.sendmsg([msg], anc, 0, str(self.dir / "mp_socket"))
        data, anc, _, _ = self.sock.recvmsg(MP_MSG_LEN, socket.CMSG_SPACE(253 * 4))
        got = []
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                got += array.array("i", payload[:len(payload) - len(payload) % 4]).tolist()
        _, name, length, num_fds, out = struct.unpack(MP_FRAMING, data)
        assert name.rstrip(b"\0") == b"rtap_queue_fds" and length == 12
        assert num_fds == len(got)
        return (*struct.unpack("=iII", out[:12]), got)

    def ask(self, name, first=0):
        """A well-formed request for the fds of port name from first on."""
        return self.request(struct.pack("=I", first) + name.encode() + b"\0")

    def close(self):
        self.sock.close()
        self.path.unlink()


@pytest.fixture
def mp_peer():
    made = []

    def make(prefix):
        made.append(MpPeer(prefix))
        return made[-1]

    yield make
    for peer in made:
        peer.close()


def close_all(fds):
    targets = [os.readlink(f"/proc/self/fd/{fd}") for fd in fds]
    for fd in fds:
        os.close(fd)
    return targets


def test_ipc_lends_only_an_rtap_port_fds(app, names, mp_peer):
    """The primary lends the TAP fds of an rtap port only, in messages of at most
    RTE_MP_MAX_FD_NUM: not another driver's port (whose process_private rtap
    would read as its own), not for a malformed request (no terminator, bad
    length, an index past the last queue); a request's own fds are closed, not
    kept, and a refusal lends nothing."""
    port, ifname = tap_port(app, names)
    other = names()
    other_port = app.attach(f"net_tap_{other},iface={other}")
    app.start_port(other_port)
    peer = mp_peer(app.prefix)
    name = f"net_rtap_{ifname}"

    err, first, total, fds = peer.ask(name)
    assert (err, first, total) == (0, 0, 16)
    per_msg = len(fds)
    assert per_msg in (8, 16)                       # RTE_MP_MAX_FD_NUM: 8 to 23.11
    got = close_all(fds)
    if per_msg == 8:
        err, first, total, fds = peer.ask(name, 8)
        assert (err, first, total, len(fds)) == (0, 8, 16, 8)
        got += close_all(fds)
    assert got == ["/dev/net/tun"] * 16
    err, first, total, fds = peer.ask(name, 15)
    assert (err, first, total) == (0, 15, 16)
    assert close_all(fds) == ["/dev/net/tun"]

    refused = (-errno.EINVAL, 0, 0, [])
    assert peer.ask(name, 16) == refused            # past the last queue
    assert peer.ask(name, 0xFFFFFFFF) == refused
    assert peer.ask(f"net_tap_{other}") == (-errno.ENODEV, 0, 0, [])
    assert peer.ask("net_nosuchport") == (-errno.ENODEV, 0, 0, [])
    assert peer.request(b"\0\0\0\0" + b"a" * 252) == refused     # no terminator
    assert peer.request(struct.pack("=I", 0) + name.encode(), ) == refused
    assert peer.request(struct.pack("=I", 0) + name.encode() + b"\0x") == refused
    assert peer.request(b"\0\0\0") == refused                     # shorter than the index
    assert peer.request(b"\0", 0) == refused
    assert peer.request(f"{name}\0".encode()) == refused          # the old request

    with open("/proc/version") as f:
        before = app.fd_targets().count("/proc/version")
        assert peer.ask("net_nosuchport") == (-errno.ENODEV, 0, 0, [])
        assert peer.request(struct.pack("=I", 0) + name.encode() + b"\0",
                            fds=[f.fileno()]) == refused
        assert app.fd_targets().count("/proc/version") == before
    app.cmd(f"stop {other_port}")
    app.cmd(f"close {other_port}")


def test_ipc_lending_races_close(app, names, mp_peer):
    """Requests for the fds while ports are closed and probed: each answer is TAP
    fds or -ENODEV, never an fd closed (or reused) meanwhile, never no answer.
    (A lent fd keeps its interface: each cycle has a name of its own.)"""
    peer = mp_peer(app.prefix)
    answers = {"fd": 0, "enodev": 0}
    bad = []
    done = threading.Event()
    current = [names()]

    def ask():
        while not done.is_set():
            try:
                err, _, _, fds = peer.ask(f"net_rtap_{current[0]}")
            except OSError as e:                    # no reply within 5 s
                bad.append(repr(e))
                return
            for fd in fds:
                target = os.readlink(f"/proc/self/fd/{fd}")
                os.close(fd)
                if target != "/dev/net/tun":
                    bad.append(target)
            if err == 0 and len(fds) in (8, 16):
                answers["fd"] += 1
            elif err == -errno.ENODEV and not fds:
                answers["enodev"] += 1
            else:
                bad.append((err, fds))

    # The first probe registers the action: EAL does not answer a request without one.
    port = app.attach(f"net_rtap_{current[0]},iface={current[0]}")
    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    try:
        for _ in range(60):
            app.cmd(f"detach {port}")
            ifname = names()
            port = app.attach(f"net_rtap_{ifname},iface={ifname}")
            current[0] = ifname
        # The last port stays until an fd was lent: under emulation a request
        # can take longer than every cycle's window.
        wait_for(lambda: answers["fd"] > 0 or bad, 10 * SLOW)
        app.cmd(f"detach {port}")
    finally:
        done.set()
        thread.join(10)
    assert bad == []
    assert answers["fd"] > 0
    assert app.kernel_fds() == []
