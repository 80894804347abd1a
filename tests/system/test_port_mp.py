# SPDX-License-Identifier: BSD-3-Clause
"""Secondary processes: dpdk-proc-info reads a running primary's rtap port."""

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

from conftest import SLOW, UPSTREAM_DPDK, frame, if_exists, token
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


def test_secondary_refuses_rx_tx(huge_dir, app_factory, names, raw_socket):
    app = app_factory(huge_dir=huge_dir, pool_size=2048)
    port, ifname = tap_port(app, names, desc=64)
    second = app_factory(huge_dir=huge_dir, prefix=app.prefix,
                         eal=["--proc-type=secondary"])
    sock = raw_socket(ifname)
    sock.send(frame(60))

    assert int(second.kv(f"link {port}")["status"]) == 1
    assert second.rx(port, 1, timeout_ms=200) == []
    assert second.tx(port, frame(60)) == 0
    ok, _, err = second.call(f"stop {port}")
    assert not ok and err.startswith("-95")        # ENOTSUP
    second.cmd(f"stats_reset {port}")
    assert second.quit() == 0
    assert "Rx/Tx from a secondary process is not supported" in second.log_path.read_text()

    # The frame is still the primary's to receive; its port still runs.
    assert [p.data for p in app.rx(port, 1)] == [frame(60)]
    assert app.stats(port)["ipackets"] == 1


def tun_fds(app):
    return [t for t in app.fd_targets() if "tun" in t]


def test_secondary_closes_its_port(huge_dir, app_factory, names):
    """A secondary's close gives back the TAP fd it was lent: the primary's
    non-persistent interface then goes with the primary's close."""
    app = app_factory(huge_dir=huge_dir, pool_size=2048)
    port, ifname = tap_port(app, names, desc=64)
    second = app_factory(huge_dir=huge_dir, prefix=app.prefix,
                         eal=["--proc-type=secondary"])
    assert len(tun_fds(second)) == 1
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
        """(err, fds received) of a rtap_ctl_fd request; fds ride along as SCM_RIGHTS."""
        len_param = len(param) if len_param is None else len_param
        msg = struct.pack(MP_FRAMING, MP_REQ, b"rtap_ctl_fd", len_param, len(fds),
                          param.ljust(256, b"\0"))
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        self.sock.sendmsg([msg], anc, 0, str(self.dir / "mp_socket"))
        data, anc, _, _ = self.sock.recvmsg(MP_MSG_LEN, socket.CMSG_SPACE(8 * 4))
        got = []
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                got += array.array("i", payload[:len(payload) - len(payload) % 4]).tolist()
        _, name, length, num_fds, out = struct.unpack(MP_FRAMING, data)
        assert name.rstrip(b"\0") == b"rtap_ctl_fd" and length == 4
        assert num_fds == len(got)
        return struct.unpack("=i", out[:4])[0], got

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


def test_ipc_lends_only_an_rtap_port_fd(app, names, mp_peer):
    """The primary lends a TAP fd for an rtap port only: not another driver's port
    (whose process_private rtap would read as its own), not for a name without its
    terminator; a request's own fds are closed, not kept."""
    port, ifname = tap_port(app, names)
    other = names()
    other_port = app.attach(f"net_tap_{other},iface={other}")
    app.start_port(other_port)
    peer = mp_peer(app.prefix)

    err, fds = peer.request(f"net_rtap_{ifname}\0".encode())
    assert (err, len(fds)) == (0, 1)
    assert os.readlink(f"/proc/self/fd/{fds[0]}") == "/dev/net/tun"
    os.close(fds[0])

    assert peer.request(f"net_tap_{other}\0".encode()) == (-errno.ENODEV, [])
    assert peer.request(b"net_nosuchport\0") == (-errno.ENODEV, [])
    assert peer.request(b"a" * 256) == (-errno.EINVAL, [])
    assert peer.request(b"\0", 0) == (-errno.EINVAL, [])

    with open("/proc/version") as f:
        before = app.fd_targets().count("/proc/version")
        err, fds = peer.request(b"net_nosuchport\0", fds=[f.fileno()])
        assert err == -errno.EINVAL and fds == []
        assert app.fd_targets().count("/proc/version") == before
    app.cmd(f"stop {other_port}")
    app.cmd(f"close {other_port}")


def test_ipc_lending_races_close(app, names, mp_peer):
    """Requests for the fd while ports are closed and probed: each answer is a TAP
    fd or -ENODEV, never an fd closed (or reused) meanwhile, never no answer.
    (A lent fd keeps its interface: each cycle has a name of its own.)"""
    peer = mp_peer(app.prefix)
    answers = {"fd": 0, "enodev": 0}
    bad = []
    done = threading.Event()
    current = [names()]

    def ask():
        while not done.is_set():
            try:
                err, fds = peer.request(f"net_rtap_{current[0]}\0".encode())
            except OSError as e:                    # no reply within 5 s
                bad.append(repr(e))
                return
            for fd in fds:
                target = os.readlink(f"/proc/self/fd/{fd}")
                os.close(fd)
                if target != "/dev/net/tun":
                    bad.append(target)
            if err == 0 and len(fds) == 1:
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
