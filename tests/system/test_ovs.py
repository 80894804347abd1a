# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk) over rtap, with OVS defaults.

The switch and its namespaces are ovs_switch.Ovs. The tests of this module run
in order on one switch: later ones rely on the ports the first set up.
"""

import os
import re
import time

import pytest

from conftest import SLOW, UPSTREAM_DPDK, if_exists, sh
from ovs_switch import VSWITCHD, Ovs, iperf3
from test_offload_tcp import nstat

CSUM_ERRORS = ("TcpInCsumErrors", "UdpInCsumErrors", "IpInCsumErrors", "IpInHdrErrors")

pytestmark = [
    pytest.mark.skipif(not os.access(VSWITCHD, os.X_OK),
                       reason="openvswitch-switch-dpdk not installed"),
    # Debian's OVS is built on Debian's DPDK: it loads only a plugin built for that.
    pytest.mark.skipif(UPSTREAM_DPDK is not None,
                       reason=f"Debian's OVS runs on Debian's DPDK, not {UPSTREAM_DPDK}"),
]


@pytest.fixture(scope="module")
def ovs(plugin, tmp_path_factory):
    o = Ovs(tmp_path_factory.mktemp("ovs"), plugin)
    yield o
    o.close()


def assert_no_csum_errors(ovs):
    for s in "ab":
        errors = nstat(ovs.ns[s], *CSUM_ERRORS)
        assert all(v == 0 for v in errors.values()), (s, errors)


def test_ports_up_with_defaults(ovs):
    for s in "ab":
        assert ovs.get(s, "error") == "[]"
        assert ovs.get(s, "admin_state") == "up"
        status = ovs.get(s, "status")
        assert 'driver_name=net_rtap' in status, status
        # The kernel completes checksums for OVS: no partial ones negotiated.
        features = sh(f"ethtool -k {ovs.ifname[s]}", ns=ovs.ns[s]).stdout
        assert re.search(r"^tx-checksumming: off", features, re.M), features
        # OVS's 2048 Rx descriptors, twice over.
        assert int(sh(f"cat /sys/class/net/{ovs.ifname[s]}/tx_queue_len",
                      ns=ovs.ns[s]).stdout) == 4096


def test_ping(ovs):
    out = ovs.ping("a", count=10)
    assert out.returncode == 0 and " 0% packet loss" in out.stdout, out.stdout


def test_tcp_both_ways_without_checksum_errors(ovs):
    for args in ((), ("-R",)):
        result = iperf3(ovs, "a", *args)
        assert result["end"]["sum_received"]["bytes"] > 10 << 20, args
    assert_no_csum_errors(ovs)


def test_udp_small_datagrams(ovs):
    result = iperf3(ovs, "a", "-u", "-l", "64", "-b", "10M")
    end = result["end"]["sum"]
    assert end["packets"] > 10000, end
    assert end["lost_percent"] < 5 * SLOW, end       # SLOW: emulated guests lose more
    assert_no_csum_errors(ovs)


def test_mtu_9000(ovs):
    for s in "ab":
        ovs.vsctl("set", "Interface", ovs.port(s), "mtu_request=9000")
    for s in "ab":
        deadline = time.monotonic() + 30
        while ovs.get(s, "mtu") != "9000" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ovs.get(s, "mtu") == "9000"
        assert sh(f"cat /sys/class/net/{ovs.ifname[s]}/mtu", ns=ovs.ns[s]).stdout.strip() \
            == "9000"
        ovs.wait_link(s, "up")
    out = ovs.ping("a", "-M", "do", "-s", "8972")
    assert " 0% packet loss" in out.stdout, out.stdout + out.stderr
    # One frame too many for the MTU is refused by the sender, not sent.
    out = ovs.ping("a", "-M", "do", "-s", "8973", count=1)
    assert out.returncode != 0
    result = iperf3(ovs, "b")
    assert result["end"]["sum_received"]["bytes"] > 10 << 20
    assert_no_csum_errors(ovs)


def test_link_down_and_up_from_the_namespace(ovs):
    sh(f"ip link set {ovs.ifname['b']} down", ns=ovs.ns["b"])
    ovs.wait_link("b", "down")
    assert ovs.ping("a", count=2).returncode != 0
    sh(f"ip link set {ovs.ifname['b']} up", ns=ovs.ns["b"])
    ovs.wait_link("b", "up")
    out = ovs.ping("a")
    assert " 0% packet loss" in out.stdout, out.stdout


def test_port_delete_readd_and_two_rx_queues(ovs):
    ovs.vsctl("del-port", ovs.bridge, ovs.port("b"))
    # The port's kernel interface goes with it.
    deadline = time.monotonic() + 30
    while if_exists(ovs.ifname["b"], ns=ovs.ns["b"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not if_exists(ovs.ifname["b"], ns=ovs.ns["b"])
    ovs.add_port("b", "options:n_rxq=2", "mtu_request=9000")
    rxqs = ovs.appctl("dpif-netdev/pmd-rxq-show")
    port = ovs.port("b")
    assert re.search(rf"port: {port}\s+queue-id:\s+0", rxqs), rxqs
    assert re.search(rf"port: {port}\s+queue-id:\s+1", rxqs), rxqs
    assert "n_rxq=\"2\"" in ovs.get("b", "options") or "n_rxq=2" in ovs.get("b", "options")
    out = ovs.ping("a", "-M", "do", "-s", "8972")
    assert " 0% packet loss" in out.stdout, out.stdout
    for args in ((), ("-R",), ("-P", "4")):
        result = iperf3(ovs, "a", *args)
        assert result["end"]["sum_received"]["bytes"] > 10 << 20, args
    assert_no_csum_errors(ovs)


def test_vswitchd_restart(ovs):
    ovs.stop_vswitchd()
    # The ports' kernel interfaces go with the process: once the kernel has
    # released its io_uring rings, whose registered files it drops in a worker.
    for s in "ab":
        for _ in range(100):
            if not if_exists(ovs.ifname[s], ns=ovs.ns[s]):
                break
            time.sleep(0.1)
        assert not if_exists(ovs.ifname[s], ns=ovs.ns[s])
    ovs.start_vswitchd()
    for s in "ab":
        ovs.kernel_side(s)
    # OVS may still be assigning rx queues (b has two, from the last test) and
    # reconfigure a port under the first frame: traffic must start, then flow
    # with no loss.
    deadline = time.monotonic() + 30
    while ovs.ping("a", count=1).returncode != 0 and time.monotonic() < deadline:
        pass
    out = ovs.ping("a")
    assert " 0% packet loss" in out.stdout, out.stdout
    result = iperf3(ovs, "a")
    assert result["end"]["sum_received"]["bytes"] > 10 << 20
    assert_no_csum_errors(ovs)


def counters(ovs):
    """What ovs-vswitchd's database and each kernel side count for the two ports."""
    got = {}
    for s in "ab":
        st = ovs.statistics(s)
        # The kernel side transmits what the port receives, and the other way round.
        got[s, "ovs"] = (st["rx_packets"], st["rx_bytes"], st["rx_dropped"],
                         st["tx_packets"], st["tx_bytes"], st["tx_errors"])
        got[s, "kernel"] = tuple(ovs.kernel(s, c) for c in (
            "tx_packets", "tx_bytes", "tx_dropped", "rx_packets", "rx_bytes", "rx_errors"))
    return got


def test_statistics_equal_kernel_counters(ovs):
    # Deltas over a quiet start: frames the kernel sent while an interface was
    # on its way to its namespace may have been refused (tx_errors), which
    # rtap counts in tx_bytes too.
    quiet = None
    for _ in range(50):
        now = {k: v for k, v in counters(ovs).items() if k[1] == "kernel"}
        if now == quiet:
            break
        quiet = now
        time.sleep(0.5)
    time.sleep(5.5)                 # ovs-vswitchd writes statistics every 5 s
    before = counters(ovs)

    # Every size class, both ways.
    assert ovs.ping("a", count=20).returncode == 0
    assert ovs.ping("b", "-s", "8000", count=10).returncode == 0
    iperf3(ovs, "a", "-u", "-l", "100", "-b", "1M")

    deadline = time.monotonic() + 20
    while True:
        after = counters(ovs)
        delta = {k: tuple(x - y for x, y in zip(after[k], before[k])) for k in after}
        if all(delta[s, "ovs"] == delta[s, "kernel"] for s in "ab") or \
                time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for s in "ab":
        assert delta[s, "ovs"] == delta[s, "kernel"], (ovs.port(s), delta)
        assert min(delta[s, "ovs"][0], delta[s, "ovs"][3]) >= 30, delta
        assert delta[s, "ovs"][2] == delta[s, "ovs"][5] == 0, delta


def test_log_free_of_rtap_errors(ovs):
    lines = ovs.log.read_text().splitlines()
    bad = [line for line in lines if re.search(r"\|(ERR|EMER|WARN)\|", line)
           and re.search(r"rtap|RTAP|netdev_dpdk", line)]
    assert bad == [], "\n".join(bad)
    # The driver did speak: the log is the one the ports wrote to.
    assert any("net_rtap" in line for line in lines)
