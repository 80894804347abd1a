# SPDX-License-Identifier: BSD-3-Clause
"""What other threads see of a port: EAL's interrupt thread, the application's.

The interrupt thread runs the link handler while the application's thread
stops, closes and probes ports; the kernel's link events keep it busy.
"""

import os
import subprocess
import threading

import pytest

from conftest import disable_ipv6, frame, sh, token
from test_datapath import assert_pool_full, tap_port
from test_port_events import wait_for


@pytest.mark.parametrize("direction, conf", [
    ("Rx", {"setup_rxq": 1}),
    ("Tx", {"setup_txq": 1}),
])
def test_start_refuses_a_queue_never_set_up(app, names, direction, conf):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    app.cmd(f"configure {port} 2 2 " + " ".join(f"{k}={v}" for k, v in conf.items()))
    ok, _, rest = app.call(f"start {port}")
    assert not ok and "Invalid argument" in rest, rest
    assert f"port {port}: {direction} queue 1 was never set up" in app.stderr()
    # Nothing was started: the interface stays down and close finds all in order.
    assert "UP" not in sh(f"ip -o link show dev {ifname}").stdout.split("<")[1].split(">")[0]
    app.cmd(f"close {port}")
    assert app.kernel_fds() == []
    assert_pool_full(app)


def strace_close(pid, action):
    """Run action() with every thread of pid traced; the close() calls it made."""
    out = f"/tmp/rtap-strace-{token()}"
    tids = os.listdir(f"/proc/{pid}/task")
    args = ["strace", "-qq", "-e", "trace=close", "-o", out]
    for tid in tids:
        args += ["-p", tid]
    tracer = subprocess.Popen(args, stderr=subprocess.PIPE)
    try:
        # strace attaches before it prints anything: wait until every thread is traced.
        for tid in tids:
            while True:
                status = open(f"/proc/{pid}/task/{tid}/status").read()
                if "TracerPid:\t0" not in status:
                    break
        action()
    finally:
        tracer.terminate()
        tracer.wait()
    with open(out) as f:
        calls = f.read().splitlines()
    os.unlink(out)
    return calls


def test_stop_closes_each_rx_interrupt_eventfd_once(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    eventfds = sum("eventfd" in t for t in app.fd_targets())
    app.start_port(port, 3, 1, rxq_intr=1)
    assert sum("eventfd" in t for t in app.fd_targets()) == eventfds + 3

    calls = strace_close(app.pid, lambda: app.cmd(f"stop {port}"))
    assert sum("eventfd" in t for t in app.fd_targets()) == eventfds
    # A second close of a number would close whatever another thread opened there.
    assert [c for c in calls if "EBADF" in c] == [], calls
    app.cmd(f"close {port}")
    assert app.kernel_fds() == []


def test_close_and_probe_while_link_events_arrive(app, names):
    cycles = int(os.environ.get("RTAP_CLOSE_CYCLES", "1000"))
    stop = threading.Event()
    churned = [0]

    def churn():
        # Kernel link events on other interfaces: each one runs the link handler.
        veth = names("c")
        while not stop.is_set():
            sh(f"ip link add {veth} type veth peer name {veth}p", check=False)
            sh(f"ip link set {veth} up", check=False)
            sh(f"ip link del {veth}", check=False)
            churned[0] += 1

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        for i in range(cycles):
            ifname = names()
            port = app.attach(f"net_rtap_{ifname},iface={ifname}")
            disable_ipv6(ifname)
            app.start_port(port, 1, 1, lsc=1, rmv=1)
            if i % 2:
                app.cmd(f"stop {port}")
            app.cmd(f"detach {port}")
            assert app.kernel_fds() == []
    finally:
        stop.set()
        churner.join()
    assert churned[0] > 0
    assert_pool_full(app)
    # Still serving: the interrupt thread survived every close.
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    app.start_port(port, lsc=1)
    before = int(app.kv(f"events {port}")["lsc"])
    sh(f"ip link set {ifname} down")
    assert wait_for(lambda: int(app.kv(f"events {port}")["lsc"]) > before)
    app.cmd(f"detach {port}")


def test_stop_does_not_wait_for_a_blocked_polling_thread(app, names):
    port, _ = tap_port(app, names)
    app.cmd(f"poll_start {port} 1")
    # The polling thread posted the queue's waiting read; the cancel of that
    # read completes as its task work, which cannot run while it is blocked.
    app.cmd("poll_block 3000")
    app.cmd(f"stop {port}")
    assert app.kv("poll_status")["blocked"] == "1"
    assert "1 requests complete once the thread that posted them enters the kernel" \
        in app.stderr()
    avail, size = app.pool()
    assert avail < size          # the read's mbuf: still the kernel's

    assert wait_for(lambda: app.kv("poll_status")["blocked"] == "0", 10)
    app.cmd("poll_stop")
    # The next start collects what the stop left; then all is back.
    app.cmd(f"start {port}")
    app.cmd(f"stop {port}")
    assert_pool_full(app)
    app.cmd(f"close {port}")
    assert app.kernel_fds() == []


def test_start_refuses_while_the_last_stop_is_in_flight(app, names):
    port, _ = tap_port(app, names)
    app.cmd(f"poll_start {port} 1")
    # It polls nothing after it wakes: a closed port's queues are gone.
    app.cmd("poll_block 3000 quit")
    app.cmd(f"stop {port}")
    ok, _, rest = app.call(f"start {port}")
    assert not ok and "Device or resource busy" in rest, rest
    assert "1 requests of the last stop are still in flight" in app.stderr()
    # Close waits for the thread instead: nothing is freed under the kernel,
    # and nothing is left out of the pool.
    assert app.kv("poll_status")["blocked"] == "1"
    app.cmd(f"close {port}")
    assert app.kv("poll_status")["blocked"] == "0"
    assert_pool_full(app)
    assert app.kernel_fds() == []
    app.cmd("poll_stop")


def test_queue_polled_by_one_thread_then_another(app, names, raw_socket):
    port, ifname = tap_port(app, names)
    sock = raw_socket(ifname)
    app.cmd(f"poll_start {port} 1")
    for seq in range(10):
        sock.send(frame(100, seq))
    assert wait_for(lambda: app.kv("poll_status")["received"] == "10", 10)
    # The thread exits with a read waiting; the kernel cancels it, and the
    # control thread, polling next, takes that for what it is.
    app.cmd("poll_stop")
    for seq in range(10, 20):
        sock.send(frame(100, seq))
    got = app.rx(port, 10)
    assert [p.data for p in got] == [frame(100, seq) for seq in range(10, 20)]
    st = app.stats(port)
    assert st["ipackets"] == 20 and st["ierrors"] == 0, st
    assert app.xstats(port)["rx_q0_io_errors"] == 0
    app.cmd(f"stop {port}")
    assert_pool_full(app)


def test_configure_while_the_interface_moves_between_namespaces(app, names, netns):
    """The interrupt thread rebuilds the netlink subscription as the control
    thread reconfigures: one socket at a time, none left after close."""
    def sockets():
        return sum(t.startswith("socket:") for t in app.fd_targets())

    base = sockets()
    port, ifname = tap_port(app, names, lsc=1)
    ns = netns()
    stop = threading.Event()
    moves = [0]

    def move():
        while not stop.is_set():
            sh(f"ip link set {ifname} netns {ns}", check=False)
            sh(f"ip -n {ns} link set {ifname} netns 1", check=False)
            moves[0] += 1

    mover = threading.Thread(target=move)
    mover.start()
    try:
        for i in range(int(os.environ.get("RTAP_MOVE_CYCLES", "100"))):
            app.cmd(f"stop {port}")
            # Moved between finding the interface and setting it up: -ENODEV.
            for line in (f"configure {port} 1 1 lsc={i % 2}", f"start {port}"):
                ok, _, rest = app.call(line)
                assert ok or "No such device" in rest, rest
                if not ok:
                    break
    finally:
        stop.set()
        mover.join()
    assert moves[0] > 0
    app.cmd(f"stop {port}")
    app.cmd(f"close {port}")
    assert sockets() == base
    assert app.kernel_fds() == []
