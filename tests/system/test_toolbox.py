# SPDX-License-Identifier: BSD-3-Clause
"""What DPDK's tools ask a port besides packets: queue and burst-mode information,
queue counts and descriptor status."""

import os
import time

import pytest

from conftest import frame
from test_datapath import tap_port

SCATTER = 0x2000        # RTE_ETH_RX_OFFLOAD_SCATTER
CKSUM = 0xE             # RTE_ETH_RX_OFFLOAD_{IPV4,UDP,TCP}_CKSUM
MULTI_SEGS = 0x8000     # RTE_ETH_TX_OFFLOAD_MULTI_SEGS


def qinfo(app, port, queue):
    data, rest = app.cmd(f"qinfo {port} {queue}")
    modes = dict(line.split(" ", 1) for line in data)
    return modes, dict(w.split("=", 1) for w in rest.split())


def test_queue_info_is_what_was_set_up(app_factory, names):
    app = app_factory(mbuf_size=2176)
    port, _ = tap_port(app, names, nb_rxq=2, nb_txq=2, desc=256,
                       rxoff=hex(CKSUM), txoff=hex(MULTI_SEGS))
    for q in (0, 1):
        modes, info = qinfo(app, port, q)
        assert info["rx_desc"] == "256" and info["tx_desc"] == "256"
        assert info["rx_buf"] == str(2176 - 128)
        assert int(info["rx_offloads"], 16) == CKSUM
        assert int(info["tx_offloads"], 16) == MULTI_SEGS
        assert info["scattered"] == "0"
        assert info["rx_state"] == "1"              # RTE_ETH_QUEUE_STATE_STARTED
        assert info["rx_deferred"] == "0" and info["tx_deferred"] == "0"
        assert info["pool"] == "testapp_pool"
        assert modes["rx_mode"].startswith("io_uring")
        assert modes["tx_mode"].startswith("io_uring")
    app.cmd(f"rxq_stop {port} 1")
    assert qinfo(app, port, 1)[1]["rx_state"] == "0"


def test_queue_info_scattered_when_frames_span_mbufs(app_factory, names):
    app = app_factory(mbuf_size=1024)
    port, _ = tap_port(app, names, rxoff=hex(SCATTER))
    assert qinfo(app, port, 0)[1]["scattered"] == "1"
    assert qinfo(app, port, 0)[0]["rx_mode"] == CLASSIC


def test_no_multishot_when_frames_span_mbufs(app_factory, names):
    """A frame must fit one provided mbuf for multishot reads."""
    app = app_factory(mbuf_size=1024)
    port, _ = tap_port(app, names, devargs=",multishot=1", rxoff=hex(SCATTER))
    assert qinfo(app, port, 0)[0]["rx_mode"] == CLASSIC


# Linux 6.7 has multishot reads (IORING_OP_READ_MULTISHOT).
KERNEL_MULTISHOT = tuple(map(int, os.uname().release.split(".")[:2])) >= (6, 7)
MULTISHOT = "io_uring: a multishot read into provided mbufs"
CLASSIC = "io_uring: one read waits while idle, a batch drains"


@pytest.mark.parametrize("devargs, multishot", [("", False), (",multishot=0", False),
                                                (",multishot", KERNEL_MULTISHOT),
                                                (",multishot=1", KERNEL_MULTISHOT)])
def test_rx_burst_mode_is_multishot_where_the_kernel_has_it(app, names, devargs, multishot):
    port, _ = tap_port(app, names, devargs=devargs)
    assert qinfo(app, port, 0)[0]["rx_mode"] == (MULTISHOT if multishot else CLASSIC)


def test_queue_info_of_a_queue_never_set_up(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    app.cmd(f"configure {port} 2 2 setup_rxq=1 setup_txq=1")
    ok, _, rest = app.call(f"qinfo {port} 1")
    assert not ok and "rx_queue_info_get" in rest


RX_AVAIL, RX_DONE, RX_UNAVAIL = 0, 1, 2     # RTE_ETH_RX_DESC_*
TX_FULL, TX_DONE, TX_UNAVAIL = 0, 1, 2      # RTE_ETH_TX_DESC_*


def value(app, line):
    return int(app.cmd(line)[1])


def test_rx_queue_count_and_descriptors_are_reads_in_flight(app, names, raw_socket):
    port, ifname = tap_port(app, names, desc=64)
    sock = raw_socket(ifname)
    # Started, no burst yet: no read posted.
    assert value(app, f"rxcount {port} 0") == 0
    assert value(app, f"rxdesc {port} 0 0") == RX_UNAVAIL
    # An empty burst posts the one read that waits for a frame.
    assert app.rx(port, 1, timeout_ms=50) == []
    assert value(app, f"rxcount {port} 0") == 0
    assert value(app, f"rxdesc {port} 0 0") == RX_AVAIL
    assert value(app, f"rxdesc {port} 0 1") == RX_UNAVAIL
    # Frames arrive: the waiting read holds the first, the others wait in the kernel.
    for i in range(3):
        sock.send(frame(60, seq=i))
    time.sleep(0.2)
    assert value(app, f"rxcount {port} 0") == 1
    assert value(app, f"rxdesc {port} 0 0") == RX_DONE
    assert value(app, f"rxdesc {port} 0 1") == RX_UNAVAIL
    assert [p.data for p in app.rx(port, 1)] == [frame(60, seq=0)]
    assert value(app, f"rxcount {port} 0") == 0
    assert [p.data for p in app.rx(port, 2)] == [frame(60, seq=1), frame(60, seq=2)]
    ok, _, err = app.call(f"rxdesc {port} 0 64")
    assert not ok and err.startswith("-22")        # EINVAL: beyond nb_desc
    app.cmd(f"rxq_stop {port} 0")
    assert value(app, f"rxcount {port} 0") == 0
    assert value(app, f"rxdesc {port} 0 0") == RX_UNAVAIL


@pytest.mark.skipif(not KERNEL_MULTISHOT, reason="multishot reads need Linux 6.7")
def test_rx_queue_count_and_descriptors_are_provided_mbufs(app, names, raw_socket):
    """Multishot Rx: the first burst provides nb_desc mbufs, the kernel fills them."""
    port, ifname = tap_port(app, names, desc=64, devargs=",multishot=1")
    sock = raw_socket(ifname)
    _, size = app.pool()
    assert app.pool()[0] == size                    # not polled yet: nothing provided
    assert value(app, f"rxdesc {port} 0 0") == RX_UNAVAIL
    assert app.rx(port, 1, timeout_ms=50) == []
    assert app.pool()[0] == size - 64
    assert value(app, f"rxcount {port} 0") == 0
    assert value(app, f"rxdesc {port} 0 0") == RX_AVAIL
    assert value(app, f"rxdesc {port} 0 63") == RX_AVAIL
    # Frames arrive: the armed read takes each into the next mbuf.
    for i in range(3):
        sock.send(frame(60, seq=i))
    time.sleep(0.2)
    assert value(app, f"rxcount {port} 0") == 3
    assert [value(app, f"rxdesc {port} 0 {i}") for i in (0, 2, 3, 63)] == \
        [RX_DONE, RX_DONE, RX_AVAIL, RX_AVAIL]
    assert [p.data for p in app.rx(port, 1)] == [frame(60, seq=0)]
    assert value(app, f"rxcount {port} 0") == 2
    assert [p.data for p in app.rx(port, 2)] == [frame(60, seq=1), frame(60, seq=2)]
    assert value(app, f"rxcount {port} 0") == 0
    app.cmd(f"rxq_stop {port} 0")
    assert value(app, f"rxdesc {port} 0 0") == RX_UNAVAIL
    assert app.pool()[0] == size


def test_tx_descriptors_done_once_the_kernel_took_the_frames(app, names, raw_socket):
    port, ifname = tap_port(app, names, desc=64)
    sock = raw_socket(ifname)
    assert value(app, f"txdesc {port} 0 0") == TX_DONE
    for i in range(5):
        assert app.tx(port, frame(100, seq=i)) == 1
    assert len(sock.recv_all(5)) == 5
    # A TAP write completes when the kernel has the frame: every slot is free again.
    assert value(app, f"txdesc {port} 0 0") == TX_DONE
    assert value(app, f"txdesc {port} 0 63") == TX_DONE
    ok, _, err = app.call(f"txdesc {port} 0 64")
    assert not ok and err.startswith("-22")
    app.cmd(f"txq_stop {port} 0")
    assert value(app, f"txdesc {port} 0 0") == TX_UNAVAIL


def test_queue_count_and_descriptors_from_a_secondary(huge_dir, app_factory, names,
                                                     raw_socket):
    """A secondary reports the requests of its own ring of the queue it polls."""
    app = app_factory(huge_dir=huge_dir, pool_size=2048)
    port, ifname = tap_port(app, names, desc=64)
    second = app_factory(huge_dir=huge_dir, prefix=app.prefix, eal=["--proc-type=secondary"])
    # Not polled here yet: no ring of this process's, nothing posted.
    assert value(second, f"rxcount {port} 0") == 0
    assert value(second, f"rxdesc {port} 0 0") == RX_UNAVAIL
    assert value(second, f"txdesc {port} 0 0") == TX_UNAVAIL
    assert second.rx(port, 1, timeout_ms=50) == []
    assert value(second, f"rxdesc {port} 0 0") == RX_AVAIL
    assert value(second, f"rxdesc {port} 0 1") == RX_UNAVAIL
    assert value(app, f"rxdesc {port} 0 0") == RX_UNAVAIL     # not the primary's
    raw_socket(ifname).send(frame(60))
    time.sleep(0.2)
    assert value(second, f"rxcount {port} 0") == 1
    assert value(second, f"rxdesc {port} 0 0") == RX_DONE
    assert [p.data for p in second.rx(port, 1)] == [frame(60)]
    assert second.tx(port, frame(60)) == 1
    assert value(second, f"txdesc {port} 0 63") == TX_DONE
    ok, _, err = second.call(f"rxdesc {port} 0 64")
    assert not ok and err.startswith("-22")        # EINVAL: beyond nb_desc
    assert second.quit() == 0
    app.cmd(f"stop {port}")
    assert app.pool()[0] == app.pool()[1]