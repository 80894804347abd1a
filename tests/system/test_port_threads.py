# SPDX-License-Identifier: BSD-3-Clause
"""What other threads see of a port: EAL's interrupt thread, the application's.

The interrupt thread runs the link handler while the application's thread
stops, closes and probes ports; the kernel's link events keep it busy.
"""

import os
import subprocess
import threading

import pytest

from conftest import disable_ipv6, sh, token
from test_datapath import assert_pool_full
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
    cycles = int(os.environ.get("RTAP_CLOSE_CYCLES", "100"))
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
