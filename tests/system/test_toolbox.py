# SPDX-License-Identifier: BSD-3-Clause
"""What DPDK's tools ask a port besides packets: queue and burst-mode information."""

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


def test_queue_info_of_a_queue_never_set_up(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    app.cmd(f"configure {port} 2 2 setup_rxq=1 setup_txq=1")
    ok, _, rest = app.call(f"qinfo {port} 1")
    assert not ok and "rx_queue_info_get" in rest
