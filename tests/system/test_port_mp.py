# SPDX-License-Identifier: BSD-3-Clause
"""Secondary processes: dpdk-proc-info reads a running primary's rtap port."""

import re
import subprocess

from conftest import frame
from test_datapath import tap_port


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
