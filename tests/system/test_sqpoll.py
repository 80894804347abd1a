# SPDX-License-Identifier: BSD-3-Clause
"""sqpoll=<cpu>: one kernel thread on that CPU submits for all of a port's rings."""

import os
import subprocess
import time
from pathlib import Path

from conftest import frame, if_stat
from test_datapath import SIZES, SMALL_MBUF, assert_pool_full, port_pair, rx_every_size, tap_port
from test_port_events import wait_for

SQPOLL = ",sqpoll=0"


def sq_threads(pid):
    """The CPUs each io_uring SQ thread of the process may run on."""
    cpus = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().startswith("iou-sqp-"):
                cpus.append(os.sched_getaffinity(int(task.name)))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return cpus


def test_one_thread_carries_every_size_both_ways(app_factory, names, raw_socket):
    app = app_factory(mbuf_size=SMALL_MBUF)
    assert sq_threads(app.pid) == []
    port, ifname = tap_port(app, names, devargs=SQPOLL, nb_txq=2, mtu=9000, rxoff=0x2000,
                            txoff=0x8000)
    # Three rings (one Rx, two Tx queues), one thread, pinned where asked
    # (the probe's check had one of its own, which exits on its own time).
    assert wait_for(lambda: sq_threads(app.pid) == [{0}]), sq_threads(app.pid)
    sock = raw_socket(ifname)
    rx_every_size(app, port, sock)

    sent = [frame(n, seq=i) for i, n in enumerate(SIZES)]
    for i, f in enumerate(sent):
        assert app.tx(port, f, queue=i % 2, seg=500) == 1
    # In order on each queue; the thread takes the two rings' writes as it goes.
    got = sock.recv_all(len(sent))
    for q in (0, 1):
        assert [f for f in got if f in sent[q::2]] == sent[q::2]
    assert sorted(got) == sorted(sent)

    st = app.stats(port)
    assert (st["ipackets"], st["opackets"]) == (len(sent), len(sent))
    assert (st["ibytes"], st["obytes"]) == (sum(SIZES), sum(SIZES))
    assert st["ierrors"] == st["oerrors"] == 0
    app.cmd(f"stop {port}")
    assert_pool_full(app)
    app.cmd(f"close {port}")
    assert app.kernel_fds() == []
    # The thread exits with the last ring that shares it.
    assert wait_for(lambda: sq_threads(app.pid) == [])


def test_bursts_of_the_whole_ring(app_factory, names):
    """Writes complete on the SQ thread's CPU: reaped later, never more than nb_desc."""
    pool = 1024
    app = app_factory(pool_size=pool)
    port, ifname = tap_port(app, names, devargs=SQPOLL, desc=256)
    before = if_stat(ifname, "rx_packets")
    count = 10 * pool + 7
    _, sent = app.cmd(f"txburst {port} 0 {count} 200")
    assert int(sent) == count
    assert app.stats(port)["opackets"] == count
    assert wait_for(lambda: if_stat(ifname, "rx_packets") - before == count)
    app.cmd(f"stop {port}")
    assert_pool_full(app)


def test_ping_through_two_ports_one_thread_each(app, names, netns):
    pa, pb, nsa, _ = port_pair(app, names, netns, devargs=SQPOLL, nb_rxq=2, nb_txq=2)
    assert wait_for(lambda: sq_threads(app.pid) == [{0}, {0}]), sq_threads(app.pid)
    for p in (pa, pb):
        app.cmd(f"promisc {p} on")
    ping = subprocess.Popen(["ip", "netns", "exec", nsa, "ping", "-c", "5", "-i", "0.2",
                             "-W", "2", "10.201.0.2"], stdout=subprocess.PIPE, text=True)
    app.cmd(f"fwd {pa} {pb} 4000")
    out, _ = ping.communicate(timeout=30)
    assert ping.returncode == 0 and "5 received" in out, out


def test_stop_does_not_need_the_polling_thread(app, names):
    """The SQ thread owns the requests: a stop collects them while the lcore is blocked."""
    port, _ = tap_port(app, names, devargs=SQPOLL)
    app.cmd(f"poll_start {port} 1")
    time.sleep(0.2)
    app.cmd("poll_block 3000")
    app.cmd(f"stop {port}")
    assert app.kv("poll_status")["blocked"] == "1"
    assert "enters the kernel" not in app.stderr()
    assert_pool_full(app)
    assert wait_for(lambda: app.kv("poll_status")["blocked"] == "0", 10)
    app.cmd("poll_stop")
    app.cmd(f"start {port}")
    app.cmd(f"stop {port}")
    app.cmd(f"close {port}")
    assert app.kernel_fds() == []
