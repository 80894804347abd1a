# SPDX-License-Identifier: BSD-3-Clause
"""Faults injected for real: an empty pool, an interface set down, deleted,
renamed or moved under the port, frames the Rx buffers cannot hold, stop and
close with requests in flight. Each ends with no crash or hang, the right
counters, every mbuf back in the pool and no TAP fd or io_uring left.

Runts (shorter than an Ethernet header) come from an L3 TUN through tc mirred
in test_control.py::test_runt_frames_are_counted. Not produced, because the
kernel cannot be made to: a full submission queue (each ring has a slot more
than the requests a queue may post) and -ECANCELED outside stop (every stop
below cancels the reads in flight: the pool-full checks prove their mbufs
come back).
"""

import socket
import subprocess
import threading
import time

import pytest

from conftest import frame, disable_ipv6, if_exists, move_to_netns, sh, AppError, SLOW
from test_datapath import KINDS, tap_port, assert_pool_full


def assert_released(app, port, ifname=None):
    """Close the port: nothing of it may remain in the process or the kernel."""
    app.cmd(f"close {port}")
    assert_pool_full(app)
    assert app.kernel_fds() == []
    if ifname is not None:
        assert not if_exists(ifname)


class Flood:
    """Frames sent into the TAP from the kernel side until stopped."""

    def __init__(self, ifname, length=200):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((ifname, 0))
        self.frame = frame(length)
        self.sent = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                self.sock.send(self.frame)
                self.sent += 1
            except OSError:
                # The interface went down, away or to another namespace.
                time.sleep(0.01)

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()
        return self.sent


def test_start_with_empty_pool_reads_later(app_factory, names):
    """No mbuf for a single read: the frames wait in the kernel until mbufs return."""
    app = app_factory(pool_size=512)
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.cmd(f"configure {port} 1 1 desc=64")
    avail, _ = app.pool()
    app.cmd(f"hold {avail}")
    app.cmd(f"start {port}")
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((ifname, 0))
    sent = [frame(300, seq=i) for i in range(5)]
    for f in sent:
        sock.send(f)
    sock.close()
    assert app.rx(port, 1, timeout_ms=200) == []
    assert app.stats(port)["rx_nombuf"] > 0
    assert app.stats(port)["ierrors"] == 0

    app.cmd("release")
    assert [p.data for p in app.rx(port, 5)] == sent
    app.cmd(f"stop {port}")
    assert_released(app, port, ifname)


@pytest.mark.parametrize("mode", ["indirect", "shared"])
def test_tx_header_mbuf_exhausted(app_factory, names, raw_socket, mode):
    """No mbuf for the virtio-net header: the burst takes nothing, nothing is lost."""
    app = app_factory(pool_size=256)
    port, ifname = tap_port(app, names, desc=16)
    sock = raw_socket(ifname)
    sent = frame(200, seq=3)

    # Leave exactly what the app needs to build the packet (and its clone).
    avail, _ = app.pool()
    app.cmd(f"hold {avail - (2 if mode == 'indirect' else 1)}")
    assert app.tx(port, sent, mode=mode) == 0
    assert app.stats(port)["opackets"] == 0
    assert sock.recv_all(1, timeout=0.5) == []
    app.cmd("release")

    assert app.tx(port, sent, mode=mode) == 1
    assert sock.recv_all(1) == [sent]
    st = app.stats(port)
    assert (st["opackets"], st["oerrors"]) == (1, 0)
    app.cmd(f"stop {port}")
    assert_released(app, port, ifname)


def test_tx_to_interface_set_down(app, names, raw_socket):
    """The kernel refuses writes to a down TAP (-EIO): counted, mbufs freed."""
    port, ifname = tap_port(app, names, desc=64)
    sh(f"ip link set {ifname} down")
    _, sent = app.cmd(f"txburst {port} 0 100 300")
    assert int(sent) == 100
    # Completions are reaped by the next burst or by stop.
    app.cmd(f"stop {port}")
    st = app.stats(port)
    assert (st["opackets"], st["oerrors"]) == (100, 100)
    assert_pool_full(app)

    # Up again (start sets it up): frames flow again.
    app.cmd(f"start {port}")
    sock = raw_socket(ifname)
    sent = frame(120, seq=9)
    assert app.tx(port, sent) == 1
    assert sock.recv_all(1) == [sent]
    app.cmd(f"stop {port}")
    assert app.stats(port)["oerrors"] == 100
    assert_released(app, port, ifname)


@pytest.mark.parametrize("kind", KINDS)
def test_link_flaps_while_receiving(app, names, kind):
    """ip link down/up from outside under an Rx flood: Rx resumes, nothing leaks."""
    port, ifname = tap_port(app, names, kind, desc=128)
    flood = Flood(ifname)
    try:
        for _ in range(5):
            app.rx(port, 1000000, timeout_ms=150)
            sh(f"ip link set {ifname} down")
            app.rx(port, 1000000, timeout_ms=100)
            sh(f"ip link set {ifname} up")
        before = app.stats(port)["ipackets"]
        assert len(app.rx(port, 10, timeout_ms=3000)) == 10
    finally:
        flood.stop()
    st = app.stats(port)
    assert st["ipackets"] >= before + 10 and st["ierrors"] == 0
    app.cmd(f"stop {port}")
    assert_released(app, port, ifname)


@pytest.mark.parametrize("kind", KINDS)
def test_interface_deleted_under_traffic(app, names, kind):
    """ip link del while both directions run: no hang, the port closes clean."""
    port, ifname = tap_port(app, names, kind, desc=128)
    flood = Flood(ifname)
    try:
        app.rx(port, 1000000, timeout_ms=300)
        sh(f"ip link del {ifname}")
        # Rx sees the reads fail (-EBADFD), Tx the writes; neither spins or crashes.
        app.rx(port, 1000000, timeout_ms=300)
        _, sent = app.cmd(f"txburst {port} 0 50 100")
    finally:
        flood.stop()
    st = app.stats(port)
    assert st["ipackets"] > 0
    # Each read in flight fails once (-EBADFD); none is posted again.
    assert 1 <= st["ierrors"] <= 128
    app.rx(port, 1, timeout_ms=300)
    assert app.stats(port)["ierrors"] == st["ierrors"]
    app.cmd(f"stop {port}")
    assert app.stats(port)["oerrors"] == int(sent)
    assert_released(app, port)
    assert not if_exists(ifname)


@pytest.mark.parametrize("kind", KINDS)
def test_interface_renamed_under_traffic(app, names, kind):
    """Renamed while receiving: traffic continues, stop/start/close still reach it."""
    port, ifname = tap_port(app, names, kind, desc=128)
    new = names("n")
    flood = Flood(ifname)
    try:
        app.rx(port, 1000000, timeout_ms=200)
        sh(f"ip link set {ifname} down")
        sh(f"ip link set {ifname} name {new}")
        sh(f"ip link set {new} up")
        before = app.stats(port)["ipackets"]
        # The flood's socket is bound by index: it keeps sending after the rename.
        assert len(app.rx(port, 10, timeout_ms=3000)) == 10
    finally:
        flood.stop()
    assert app.stats(port)["ipackets"] >= before + 10
    app.cmd(f"stop {port}")
    assert "UP" not in sh(f"ip -br link show dev {new}").stdout.split()[1]
    app.cmd(f"start {port}")
    assert "UP" in sh(f"ip -br link show dev {new}").stdout
    app.cmd(f"stop {port}")
    assert_released(app, port, new)


def test_interface_moved_to_netns_under_traffic(app, names, netns):
    """Moved to another namespace mid-flow: the port follows it, then closes clean."""
    port, ifname = tap_port(app, names, desc=128)
    flood = Flood(ifname)
    ns = netns()
    try:
        app.rx(port, 1000000, timeout_ms=200)
        move_to_netns(ifname, ns, ["10.203.0.1/24"])
    finally:
        flood.stop()
    # Take what the flood queued, so that the kernel's queue has room again
    # (and no flood frame is left to arrive with the echo requests).
    app.rx(port, 1000000, timeout_ms=int(500 * SLOW))
    # The port's own address: the TAP's filter passes it without promiscuous mode.
    mac = app.kv(f"info {port}")["mac"]
    sh(f"ip neigh add 10.203.0.2 lladdr {mac} dev {ifname}", ns=ns)
    ping = subprocess.run(["ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2",
                           "-W", "1", "10.203.0.2"], capture_output=True, text=True)
    assert ping.returncode != 0   # nobody answers: the echo requests reach the app
    got = app.rx(port, 3, timeout_ms=3000)
    assert len(got) == 3
    assert all(p.data[12:14] == b"\x08\x00" and p.data[23] == 1 for p in got)

    # Stop and start act on the interface in its new namespace.
    app.cmd(f"stop {port}")
    assert "UP" not in sh(f"ip -br link show dev {ifname}", ns=ns).stdout.split()[1]
    app.cmd(f"start {port}")
    assert "UP" in sh(f"ip -br link show dev {ifname}", ns=ns).stdout
    app.cmd(f"stop {port}")
    assert_released(app, port)
    assert not if_exists(ifname, ns=ns)


@pytest.mark.parametrize("mtu", [9000, 2100])
def test_frame_larger_than_rx_buffers(app, names, raw_socket, mtu):
    """Kernel MTU raised behind the driver's back: too-long frames are errors, not cut."""
    port, ifname = tap_port(app, names, desc=32)
    sh(f"ip link set {ifname} mtu {mtu}")
    sock = raw_socket(ifname)
    # The port takes MTU-sized frames with two VLAN tags (1522 bytes), no more.
    big = [frame(mtu + 14, seq=1), frame(2048, seq=2), frame(1523, seq=3)]
    fits = [frame(1514, seq=4), frame(1522, seq=5), frame(60, seq=6)]
    for f in big + fits:
        assert sock.send(f) == len(f)
    got = app.rx(port, len(fits) + 1, timeout_ms=1500)
    assert [p.data for p in got] == fits
    st = app.stats(port)
    assert (st["ipackets"], st["ierrors"]) == (len(fits), len(big))
    app.cmd(f"stop {port}")
    assert_released(app, port, ifname)


def test_frame_larger_than_rx_chain(app_factory, names, raw_socket):
    """The same with scattered Rx: a chain of 1280-byte segments for MTU 9000."""
    app = app_factory(mbuf_size=1280 + 128)
    port, ifname = tap_port(app, names, desc=32, mtu=9000, rxoff=0x2000)
    sh(f"ip link set {ifname} mtu 16000")
    sock = raw_socket(ifname)
    big = [frame(16014, seq=1), frame(9023, seq=2)]
    fits = [frame(9022, seq=3), frame(1281, seq=4), frame(60, seq=5)]
    for f in big + fits:
        assert sock.send(f) == len(f)
    got = app.rx(port, len(fits) + 1, timeout_ms=1500)
    assert [(p.data, p.nb_segs) for p in got] == [(f, -(-len(f) // 1280)) for f in fits]
    st = app.stats(port)
    assert (st["ipackets"], st["ierrors"]) == (len(fits), len(big))
    app.cmd(f"stop {port}")
    assert_released(app, port, ifname)


def test_header_only_frame(app, names, raw_socket):
    """The shortest frame the kernel can send, 14 bytes, is delivered as is."""
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)
    hdr = frame(14)
    assert sock.send(hdr) == 14
    got = app.rx(port, 1)
    assert [(p.length, p.data) for p in got] == [(14, hdr)]
    app.cmd(f"stop {port}")
    assert_released(app, port, ifname)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["stop", "close"])
def test_stop_close_with_requests_in_flight(app_factory, names, how, kind):
    """Stop and close while the kernel floods and a Tx burst is outstanding."""
    app = app_factory(pool_size=4096)
    port, ifname = tap_port(app, names, kind, nb_rxq=2, nb_txq=2, desc=512)
    flood = Flood(ifname)
    try:
        for _ in range(3):
            app.cmd(f"txburst {port} 1 500 1000")
            app.rx(port, 64, timeout_ms=50)
            # Rx reads are posted (512 a queue), the last Tx writes unreaped.
            app.cmd(f"stop {port}")
            assert_pool_full(app)
            app.cmd(f"start {port}")
        app.cmd(f"txburst {port} 0 500 1000")
        if how == "close":
            # Stop inside close (rte_eth_dev_close of a started port is refused).
            app.cmd(f"detach {port}")
        else:
            app.cmd(f"stop {port}")
            app.cmd(f"close {port}")
    finally:
        flood.stop()
    assert_pool_full(app)
    assert app.kernel_fds() == []
    assert not if_exists(ifname)


@pytest.mark.parametrize("length,nb_segs", [(3000, 2), (3000, 1), (1100, 2), (600, 9)],
                         ids=["one-more", "claims-one", "past-staging", "fewer"])
def test_tx_chain_with_wrong_nb_segs(app, names, raw_socket, length, nb_segs):
    """A chain whose nb_segs disagrees with its links, sent without tx_prepare, is
    dropped and counted: nothing written, nothing overflowed, every mbuf freed once.
    1100 one-byte segments claiming 2 would stage past the queue's 1024 iovecs."""
    port, ifname = tap_port(app, names, txoff=0x8000)  # MULTI_SEGS
    sock = raw_socket(ifname)
    seg = 1 if length == 1100 else 1000 if length == 3000 else 100
    assert app.tx(port, frame(length, seq=1), seg=seg, nb_segs=nb_segs) == 1
    st = app.stats(port)
    assert (st["opackets"], st["oerrors"]) == (0, 1)
    assert sock.recv_all(1, timeout=0.5) == []

    # The queue still sends what is well formed.
    good = frame(length, seq=2)
    assert app.tx(port, good, seg=max(seg, 100)) == 1
    assert sock.recv_all(1) == [good]
    app.cmd(f"stop {port}")
    assert_released(app, port, ifname)
