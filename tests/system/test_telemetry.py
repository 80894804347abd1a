# SPDX-License-Identifier: BSD-3-Clause
"""dpdk-telemetry.py shows an rtap port's information and extended stats."""

import json
import shutil
import subprocess

import pytest

from conftest import frame
from test_datapath import tap_port


def telemetry(app, *queries):
    """Each query's JSON answer, through the application's telemetry socket."""
    tool = shutil.which("dpdk-telemetry.py")
    if tool is None:
        pytest.skip("dpdk-telemetry.py is not installed with this DPDK")
    out = subprocess.run(["/usr/bin/python3", tool, "-f", app.prefix],
                         input="\n".join(queries) + "\n", capture_output=True, text=True,
                         timeout=60, check=True).stdout
    answers = []
    decoder = json.JSONDecoder()
    pos = out.find("{")
    while pos >= 0:
        obj, end = decoder.raw_decode(out, pos)
        answers.append(obj)
        pos = out.find("{", end)
    # The first object is the greeting with the process's version.
    return answers[-len(queries):]


def test_telemetry_info_and_xstats(app, names, raw_socket):
    port, ifname = tap_port(app, names, desc=64)
    sock = raw_socket(ifname)
    for i in range(5):
        sock.send(frame(100, seq=i))
    assert len(app.rx(port, 5)) == 5
    for i in range(3):
        assert app.tx(port, frame(80, seq=i)) == 1

    listed, info, xstats = telemetry(app, "/ethdev/list", f"/ethdev/info,{port}",
                                     f"/ethdev/xstats,{port}")
    assert port in listed["/ethdev/list"]
    info = info["/ethdev/info"]
    assert info["name"] == f"net_rtap_{ifname}"
    assert info["mtu"] == 1500
    assert info["nb_rx_queues"] == 1 and info["nb_tx_queues"] == 1
    xstats = xstats["/ethdev/xstats"]
    assert xstats["rx_good_packets"] == 5
    assert xstats["rx_good_bytes"] == 500
    assert xstats["tx_good_packets"] == 3
    assert xstats["rx_q0_size_65_to_127_packets"] == 5
    assert xstats == {k: v for k, v in app.xstats(port).items() if k in xstats}
