# SPDX-License-Identifier: BSD-3-Clause
"""Rx interrupts (sleep in rte_epoll_wait, wake on a frame) and link events (LSC, RMV)."""

import os
import socket
import statistics
import struct
import time
from pathlib import Path

from conftest import SLOW, frame, sh
from test_datapath import tap_port


def wait_for(fn, timeout=5.0):
    """Poll fn() until it returns a true value; the value, or None at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.01)
    return None


def intr_status(app):
    return {k: int(v) for k, v in app.kv("intr_status").items()}


def test_rx_interrupt_wakes_blocked_worker(app, names, raw_socket):
    # Rx interrupts together with link events, as l3fwd-power configures them.
    eventfds = sum("eventfd" in t for t in app.fd_targets())
    port, ifname = tap_port(app, names, rxq_intr=1, lsc=1, rmv=1)
    assert sum("eventfd" in t for t in app.fd_targets()) == eventfds + 1
    sock = raw_socket(ifname)
    # A frame completed while the interrupt was muted: arming must not miss it.
    sock.send(frame(60, seq=99))
    time.sleep(0.1)
    app.cmd(f"intr_start {port} 0 arm_first=1")
    st = wait_for(lambda: (s := intr_status(app))["wakeups"] == 1 and s["frames"] >= 1 and s)
    assert st and st["frames"] == 1

    # Idle: the worker sleeps, no wake-up and (almost) no CPU time.
    before = intr_status(app)
    time.sleep(2.0)
    after = intr_status(app)
    assert after["wakeups"] == before["wakeups"]
    idle_cpu = after["cpu_ns"] - before["cpu_ns"]
    assert idle_cpu < 0.01 * 2e9

    latencies = []
    for i in range(5):
        woken = intr_status(app)["wakeups"]
        sent_at = time.monotonic_ns()
        sock.send(frame(60, seq=i))
        # The worker counts the wake-up before it reads the frame: wait for both.
        st = wait_for(lambda: (s := intr_status(app))["wakeups"] > woken and
                      s["frames"] >= 2 + i and s)
        assert st, "no wake-up for a frame"
        assert st["frames"] == 2 + i
        latencies.append(st["wake_ns"] - sent_at)
        time.sleep(0.05)
    assert min(latencies) > 0
    # The median: one unlucky scheduling slot on a shared machine is no defect.
    assert statistics.median(latencies) < 10e6 * SLOW, latencies
    app.cmd("intr_stop")
    assert app.stats(port)["ipackets"] == 6
    # Link events still work with Rx interrupts armed.
    sh(f"ip link set {ifname} down")
    assert wait_for(lambda: app.kv(f"events {port}")["lsc"] != "0")
    # Stop closes the queue's eventfd.
    app.cmd(f"stop {port}")
    assert sum("eventfd" in t for t in app.fd_targets()) == eventfds


def test_rx_interrupt_needs_intr_conf(app, names):
    port, _ = tap_port(app, names)
    app.cmd(f"intr_start {port} 0")
    time.sleep(0.2)
    app.cmd("intr_stop")
    assert "cannot wait for Rx interrupts" in app.stderr()


def events(app, port):
    return {k: int(v) for k, v in app.kv(f"events {port}").items()}


def link(app, port):
    return int(app.kv(f"link {port}")["status"])


def test_link_down_up_delete_from_outside(app, names):
    port, ifname = tap_port(app, names, lsc=1, rmv=1)
    assert wait_for(lambda: link(app, port) == 1)
    base = events(app, port)["lsc"]

    sh(f"ip link set {ifname} down")
    assert wait_for(lambda: events(app, port)["lsc"] == base + 1)
    assert events(app, port)["status"] == 0
    assert link(app, port) == 0

    sh(f"ip link set {ifname} up")
    assert wait_for(lambda: events(app, port)["lsc"] == base + 2)
    assert events(app, port)["status"] == 1
    assert link(app, port) == 1

    sh(f"ip link del {ifname}")
    assert wait_for(lambda: events(app, port)["rmv"] == 1)
    ev = events(app, port)
    assert ev["lsc"] == base + 3 and ev["status"] == 0
    assert link(app, port) == 0


def test_link_follows_interface_to_other_netns(app, names, netns):
    port, ifname = tap_port(app, names, lsc=1, rmv=1)
    ns = netns()
    sh(f"ip link set {ifname} netns {ns}")
    assert wait_for(lambda: events(app, port)["lsc"] >= 1)
    sh(f"ip link set {ifname} up", ns=ns)
    assert wait_for(lambda: link(app, port) == 1 and events(app, port)["status"] == 1)
    sh(f"ip link set {ifname} down", ns=ns)
    assert wait_for(lambda: events(app, port)["status"] == 0)
    # Moving is not removal.
    assert events(app, port)["rmv"] == 0


def test_set_link_down_up(app, names):
    port, ifname = tap_port(app, names, lsc=1)
    app.cmd(f"link_set {port} down")
    assert link(app, port) == 0
    assert "UP" not in sh(f"ip -o link show {ifname}").stdout.split("<")[1].split(">")[0]
    app.cmd(f"link_set {port} up")
    assert link(app, port) == 1


def test_no_events_without_intr_conf(app, names):
    port, ifname = tap_port(app, names)
    sh(f"ip link set {ifname} down")
    time.sleep(0.3)
    assert events(app, port) == {"lsc": 0, "rmv": 0, "status": 0}
    # Polled link state is still right.
    assert link(app, port) == 0


def test_arming_a_stopped_queue_posts_nothing(app, names, raw_socket):
    """Arming reaches only a started queue: a stopped ring has no file to read."""
    port, ifname = tap_port(app, names, rxq_intr=1)
    app.cmd(f"rxq_stop {port} 0")
    app.cmd(f"rxq_intr {port} 0 on")
    avail, size = app.pool()
    assert avail == size                    # no read posted on the stopped queue
    app.cmd(f"rxq_intr {port} 0 off")
    app.cmd(f"rxq_start {port} 0")
    sent = frame(80, seq=5)
    raw_socket(ifname).send(sent)
    assert [p.data for p in app.rx(port, 1)] == [sent]
    assert app.stats(port)["ierrors"] == 0

    app.cmd(f"stop {port}")
    ok, _, rest = app.call(f"rxq_intr {port} 0 on")
    assert not ok and rest.startswith("-22 ")   # a stopped port has no interrupts
    assert app.pool()[0] == size


def link_event_sockets(pid):
    """Netlink port ids of the NETLINK_ROUTE sockets of pid joined to RTMGRP_LINK."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for line in Path("/proc/net/netlink").read_text().splitlines()[1:]:
        f = line.split()
        # sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
        if f[1] == "0" and int(f[3], 16) & 1 and f[9] in inodes:
            ports.append(int(f[2]))
    return ports


def test_link_event_from_a_process_is_ignored(app, names):
    """Only the kernel's netlink messages are link events: a process that can reach
    the socket (root, or CAP_NET_ADMIN in the namespace's user namespace) forging an
    RTM_NEWLINK "down" for our interface changes nothing."""
    port, ifname = tap_port(app, names, lsc=1)
    assert wait_for(lambda: int(app.kv(f"link {port}")["status"]) == 1)
    before = app.kv(f"events {port}")
    targets = link_event_sockets(app.pid)
    assert targets
    if_index = int(Path(f"/sys/class/net/{ifname}/ifindex").read_text())
    ifi = struct.pack("=BxHiII", socket.AF_UNSPEC, 1, if_index, 0, 0xffffffff)
    msg = struct.pack("=IHHII", 16 + len(ifi), 16, 0, 1, 0) + ifi     # RTM_NEWLINK
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as s:
        s.bind((0, 0))
        for nl_pid in targets:
            s.sendto(msg, (nl_pid, 0))
    time.sleep(0.3)
    assert app.kv(f"events {port}") == before
    assert int(app.kv(f"link {port}")["status"]) == 1

    # The kernel's own events still count.
    sh(f"ip link set {ifname} down")
    assert wait_for(lambda: int(app.kv(f"events {port}")["lsc"]) > int(before["lsc"]))
    assert int(app.kv(f"link {port}")["status"]) == 0


def test_mac_set_from_outside_is_followed(app, names, raw_socket):
    """ip link set ... address: the port's MAC and the kernel's filter follow."""
    for conf, new in (({"lsc": 1}, "02:12:34:56:78:9a"), ({}, "02:12:34:56:78:9b")):
        port, ifname = tap_port(app, names, **conf)
        sock = raw_socket(ifname)
        to_new = frame(80, seq=4, dst=bytes.fromhex(new.replace(":", "")))
        sock.send(to_new)
        assert app.rx(port, 1, timeout_ms=300) == []    # not ours yet: filtered
        sh(f"ip link set {ifname} address {new}")
        if not conf:
            # No link events: the next link poll sees it.
            app.cmd(f"link {port}")
        assert wait_for(lambda: app.kv(f"info {port}")["mac"].lower() == new)
        sock.send(to_new)
        assert [p.data for p in app.rx(port, 1)] == [to_new]
        app.cmd(f"stop {port}")
        # Ours again, set through ethdev: nothing to follow, the kernel has it.
        app.cmd(f"mac {port} 02:12:34:56:78:00")
        assert sh(f"cat /sys/class/net/{ifname}/address").stdout.strip() == "02:12:34:56:78:00"
        assert app.kv(f"info {port}")["mac"].lower() == "02:12:34:56:78:00"
