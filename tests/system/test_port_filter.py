# SPDX-License-Identifier: BSD-3-Clause
"""Destination filtering with promiscuous and allmulticast off, done by the kernel."""

import subprocess
import time
import zlib

from conftest import frame, sh
from test_datapath import tap_port

FOREIGN = "02:11:22:33:44:55"
EXTRA = "02:aa:bb:cc:dd:01"
NEW_MAC = "02:aa:bb:cc:dd:02"
GROUP = "01:00:5e:01:02:03"
OTHER_GROUP = "01:00:5e:0a:0b:0c"
BCAST = "ff:ff:ff:ff:ff:ff"


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def delivered(app, port, sock, dsts, seq0):
    """Send one frame to each destination; the destinations the port received."""
    sent = {}
    for i, dst in enumerate(dsts):
        f = frame(80, seq=seq0 + i, dst=mac_bytes(dst))
        assert sock.send(f) == len(f)
        sent[f] = dst
    got = app.rx(port, len(dsts) + 1, timeout_ms=300)
    assert all(p.data in sent for p in got)
    assert len({p.data for p in got}) == len(got)
    return {sent[p.data] for p in got}


def test_filter_unicast_multicast_promisc(app, names, raw_socket):
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)
    own = app.kv(f"info {port}")["mac"].lower()
    everyone = [own, BCAST, FOREIGN, GROUP, OTHER_GROUP, EXTRA]

    app.cmd(f"mc {port} {GROUP}")
    assert delivered(app, port, sock, everyone, 0) == {own, BCAST, GROUP}
    assert app.stats(port)["imissed"] == 3

    app.cmd(f"mac_add {port} {EXTRA}")
    assert delivered(app, port, sock, everyone, 10) == {own, BCAST, GROUP, EXTRA}
    app.cmd(f"mac_del {port} {EXTRA}")
    assert delivered(app, port, sock, everyone, 20) == {own, BCAST, GROUP}

    app.cmd(f"allmulti {port} on")
    assert delivered(app, port, sock, everyone, 30) == {own, BCAST, GROUP, OTHER_GROUP}
    app.cmd(f"allmulti {port} off")
    app.cmd(f"mc {port}")
    assert delivered(app, port, sock, everyone, 40) == {own, BCAST}

    app.cmd(f"promisc {port} on")
    assert delivered(app, port, sock, everyone, 50) == set(everyone)
    assert "PROMISC" in sh(f"ip -o link show {ifname}").stdout
    app.cmd(f"promisc {port} off")
    assert delivered(app, port, sock, everyone, 60) == {own, BCAST}


def test_mac_set_moves_filter_and_kernel_address(app, names, raw_socket):
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)
    old = app.kv(f"info {port}")["mac"].lower()

    app.cmd(f"mac {port} {NEW_MAC}")
    assert f"link/ether {NEW_MAC}" in sh(f"ip -o link show {ifname}").stdout
    assert delivered(app, port, sock, [old, NEW_MAC, BCAST], 0) == {NEW_MAC, BCAST}


def test_filter_survives_restart_and_reconfigure(app, names, raw_socket):
    port, ifname = tap_port(app, names, nb_rxq=2, nb_txq=2)
    app.cmd(f"mc {port} {GROUP}")
    app.cmd(f"stop {port}")
    app.start_port(port, nb_rxq=1, nb_txq=1)
    sock = raw_socket(ifname)
    own = app.kv(f"info {port}")["mac"].lower()
    assert delivered(app, port, sock, [own, FOREIGN, GROUP, OTHER_GROUP], 0) == {own, GROUP}


def test_mc_list_rejects_unicast(app, names):
    port, _ = tap_port(app, names)
    ok, _, err = app.call(f"mc {port} {GROUP} {FOREIGN}")
    assert not ok and err.startswith("-22")


def tun_hash_bin(mac):
    """The bin of the kernel's 64-bin multicast hash (tun.c addr_hash_set)."""
    crc = zlib.crc32(mac_bytes(mac)) ^ 0xFFFFFFFF      # crc32_le(~0, addr, 6)
    return int(f"{crc:032b}"[::-1], 2) >> 26           # bitrev32() >> 26


def test_hashed_groups_filtered_exactly(app, names, raw_socket):
    """More groups than exact slots: the kernel hashes them, Rx drops the strays."""
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)
    listed = [f"01:00:5e:00:00:{i:02x}" for i in range(1, 11)]
    bins = {tun_hash_bin(g) for g in listed}
    unlisted = [f"01:00:5e:00:01:{i:02x}" for i in range(256)]
    collides = next(g for g in unlisted if tun_hash_bin(g) in bins)
    misses = next(g for g in unlisted if tun_hash_bin(g) not in bins)

    app.cmd(f"mc {port} {' '.join(listed)}")
    assert delivered(app, port, sock, listed + [collides, misses], 0) == set(listed)
    # The kernel let the colliding group through, Rx dropped it; not the other.
    assert app.xstats(port)["rx_q0_mc_filtered_packets"] == 1
    assert app.stats(port)["imissed"] == 1

    app.cmd(f"allmulti {port} on")
    assert delivered(app, port, sock, [collides, misses], 20) == {collides, misses}


def fail_next_ioctl(pid, action, err="ENOMEM"):
    """Run action() with the next ioctl of pid's main thread failing with err."""
    args = ["strace", "-qq", "-o", "/dev/null", "-e", "trace=ioctl",
            "-e", f"inject=ioctl:error={err}:when=1", "-p", str(pid)]
    tracer = subprocess.Popen(args, stderr=subprocess.PIPE)
    try:
        while "TracerPid:\t0" in open(f"/proc/{pid}/status").read():
            time.sleep(0.001)
        return action()
    finally:
        tracer.terminate()
        tracer.wait()


def test_mc_list_kept_when_the_kernel_refuses(app, names, raw_socket):
    """A multicast list the kernel did not take is not the port's: the next change
    of the filter pushes the list the kernel had, not the refused one."""
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)
    own = app.kv(f"info {port}")["mac"].lower()
    app.cmd(f"mc {port} {GROUP}")
    assert delivered(app, port, sock, [GROUP, OTHER_GROUP], 0) == {GROUP}

    ok, _, err = fail_next_ioctl(app.pid, lambda: app.call(f"mc {port} {OTHER_GROUP}"))
    assert not ok and err.startswith("-12")
    assert delivered(app, port, sock, [GROUP, OTHER_GROUP], 10) == {GROUP}
    # Any push of the filter (here for a unicast address) uses the port's list.
    app.cmd(f"mac_add {port} {EXTRA}")
    assert delivered(app, port, sock, [EXTRA, GROUP, OTHER_GROUP], 20) == {EXTRA, GROUP}

    # Flushing passes no list at all (NULL, 0).
    app.cmd(f"mc {port}")
    assert delivered(app, port, sock, [own, GROUP, OTHER_GROUP], 30) == {own}
