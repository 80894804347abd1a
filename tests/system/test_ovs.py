# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk) over rtap, with OVS defaults.

    nsA: ovsa<tok> --[rtap, port pa<tok>]-- nsF: ovs-vswitchd, netdev bridge
                                                --[rtap, port pb<tok>]-- ovsb<tok>: nsB

A private ovsdb-server and ovs-vswitchd (database, run, log directory and
control sockets in a temporary directory; Debian's own service is never
touched) with other_config:dpdk-init=true and nothing else configured but the
EAL arguments a machine without hugepages needs. ovs-vswitchd runs in a
namespace of its own (nsF): the netdev datapath's own TAPs (ovs-netdev, the
bridge's internal port) have fixed names and outlive the process, they must
not meet another switch's. The tests of this module run in order on one
switch: later ones rely on the ports the first set up.

Whenever an rtap port is probed (port added, vswitchd restarted) its kernel
interface appears in nsF and is moved to its namespace again: the old one
went with the port. Kernel sides have static neighbour entries and no IPv6,
so the kernel sends nothing but the tests' traffic and the interface
counters can be compared exactly.
"""

import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import UPSTREAM_DPDK, if_exists, if_stat, sh, token
from test_offload_tcp import nstat

VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
IPS = {"a": "10.221.0.1", "b": "10.221.0.2"}
CSUM_ERRORS = ("TcpInCsumErrors", "UdpInCsumErrors", "IpInCsumErrors", "IpInHdrErrors")

pytestmark = [
    pytest.mark.skipif(not os.access(VSWITCHD, os.X_OK),
                       reason="openvswitch-switch-dpdk not installed"),
    # Debian's OVS is built on Debian's DPDK: it loads only a plugin built for that.
    pytest.mark.skipif(UPSTREAM_DPDK is not None,
                       reason=f"Debian's OVS runs on Debian's DPDK, not {UPSTREAM_DPDK}"),
]


class Ovs:
    """A private ovsdb-server and ovs-vswitchd, and the two rtap ports' kernel sides."""

    def __init__(self, tmp, plugin):
        self.tok = token()
        self.dir = tmp
        self.env = dict(os.environ, OVS_RUNDIR=str(tmp), OVS_DBDIR=str(tmp),
                        OVS_LOGDIR=str(tmp), OVS_SYSCONFDIR=str(tmp),
                        OVS_PKGDATADIR=os.path.dirname(SCHEMA))
        self.db = f"unix:{tmp}/db.sock"
        self.log = tmp / "ovs-vswitchd.log"
        self.ifname = {s: f"ovs{s}{self.tok}" for s in "ab"}
        self.ns = {s: f"rtapovs{s}-{self.tok}" for s in "abf"}
        self.bridge = f"br{self.tok}"
        self.eal = (f"--no-huge -m 1024 --legacy-mem --no-pci -d {plugin} "
                    f"--file-prefix=rtovs{self.tok}")
        self.vswitchd = self.dbserver = None
        try:
            self.setup(tmp)
        except BaseException:
            self.close()
            raise

    def setup(self, tmp):
        for ns in self.ns.values():
            sh(f"ip netns add {ns}")
            sh("ip link set lo up", ns=ns)
            for conf in ("all", "default"):
                sh(f"sysctl -qw net.ipv6.conf.{conf}.disable_ipv6=1", ns=ns)
        subprocess.run(["ovsdb-tool", "create", f"{tmp}/conf.db", SCHEMA], env=self.env,
                       check=True)
        self.dbserver = subprocess.Popen(
            ["ovsdb-server", f"{tmp}/conf.db", f"--remote=punix:{tmp}/db.sock",
             f"--unixctl={tmp}/ovsdb-server.ctl", f"--log-file={tmp}/ovsdb-server.log"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if (tmp / "db.sock").exists():
                break
            time.sleep(0.05)
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   f"other_config:dpdk-extra={self.eal}")
        self.start_vswitchd()
        self.vsctl("add-br", self.bridge, "--", "set", "bridge", self.bridge,
                   "datapath_type=netdev")
        for s in "ab":
            self.add_port(s)

    def vsctl(self, *args, check=True):
        out = subprocess.run(["ovs-vsctl", f"--db={self.db}", "--timeout=60", *args],
                             env=self.env, capture_output=True, text=True)
        if check and out.returncode != 0:
            raise AssertionError(f"ovs-vsctl {' '.join(args)}: {out.stderr}")
        return out.stdout.strip()

    def appctl(self, *args):
        return subprocess.run(["ovs-appctl", "-t", f"{self.dir}/ovs-vswitchd.ctl", *args],
                              env=self.env, capture_output=True, text=True,
                              check=True).stdout

    def start_vswitchd(self):
        # ip netns exec execs the command: the process is ovs-vswitchd itself.
        self.vswitchd = subprocess.Popen(
            ["ip", "netns", "exec", self.ns["f"], VSWITCHD, self.db, f"--unixctl={self.dir}/ovs-vswitchd.ctl",
             f"--log-file={self.log}", f"--pidfile={self.dir}/ovs-vswitchd.pid"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if (self.dir / "ovs-vswitchd.ctl").exists():
                break
            assert self.vswitchd.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.1)

    def stop_vswitchd(self):
        if self.vswitchd is not None and self.vswitchd.poll() is None:
            self.vswitchd.send_signal(signal.SIGTERM)
            try:
                self.vswitchd.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.vswitchd.kill()
                self.vswitchd.wait()
        self.vswitchd = None

    def port(self, s):
        return f"p{s}{self.tok}"

    def devargs(self, s):
        return f"net_rtap_{self.ifname[s]},iface={self.ifname[s]}"

    def add_port(self, s, *extra):
        self.vsctl("add-port", self.bridge, self.port(s), "--", "set", "Interface", self.port(s),
                   "type=dpdk", f"options:dpdk-devargs={self.devargs(s)}", *extra)
        self.kernel_side(s)

    def kernel_side(self, s):
        """Move a freshly probed port's kernel interface to its namespace, address it."""
        name, ns = self.ifname[s], self.ns[s]
        for _ in range(300):
            if if_exists(name, ns=self.ns["f"]):
                break
            time.sleep(0.1)
        sh(f"ip -n {self.ns['f']} link set {name} netns {ns}")
        sh(f"ip addr add {IPS[s]}/24 dev {name}", ns=ns)
        sh(f"ip link set {name} up", ns=ns)
        other = "b" if s == "a" else "a"
        mac = sh(f"cat /sys/class/net/{self.ifname[other]}/address",
                 ns=self.ns[other], check=False).stdout.strip()
        if mac:
            self.neigh(s, other, mac)
            self.neigh(other, s, sh(f"cat /sys/class/net/{name}/address", ns=ns).stdout.strip())
        self.wait_link(s, "up")

    def neigh(self, at, of, mac):
        """A static neighbour entry in `at` for the side `of` with MAC mac."""
        sh(f"ip neigh replace {IPS[of]} lladdr {mac} dev {self.ifname[at]} nud permanent",
           ns=self.ns[at])

    def get(self, s, column):
        return self.vsctl("get", "Interface", self.port(s), column)

    def wait_link(self, s, state, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(s, "link_state") == state:
                return
            time.sleep(0.2)
        raise AssertionError(f"{self.port(s)}: link_state not {state}: "
                             f"{self.get(s, 'link_state')}, {self.get(s, 'error')}")

    def statistics(self, s):
        out = self.get(s, "statistics")
        return {k: int(v) for k, v in re.findall(r"([\w]+)=(\d+)", out)}

    def kernel(self, s, counter):
        return if_stat(self.ifname[s], counter, ns=self.ns[s])

    def ping(self, s, *args, count=5):
        other = "b" if s == "a" else "a"
        return sh(["ping", "-c", str(count), "-i", "0.05", "-W", "2", *args, IPS[other]],
                  ns=self.ns[s], check=False)

    def close(self):
        self.stop_vswitchd()
        if self.dbserver is not None and self.dbserver.poll() is None:
            self.dbserver.terminate()
            self.dbserver.wait(timeout=30)
        for ns in self.ns.values():
            for pid in sh(f"ip netns pids {ns}", check=False).stdout.split():
                subprocess.run(["kill", "-9", pid], check=False)
            sh(f"ip netns del {ns}", check=False)


@pytest.fixture(scope="module")
def ovs(plugin, tmp_path_factory):
    o = Ovs(tmp_path_factory.mktemp("ovs"), plugin)
    yield o
    o.close()


def iperf3(ovs, client, *args):
    server_side = "b" if client == "a" else "a"
    server = subprocess.Popen(["ip", "netns", "exec", ovs.ns[server_side], "iperf3", "-s",
                               "-1", "-B", IPS[server_side]],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if ":5201 " in sh("ss -ltnH", ns=ovs.ns[server_side]).stdout:
                break
            time.sleep(0.1)
        out = sh(["iperf3", "-c", IPS[server_side], "-t", "2", "--json", *args],
                 ns=ovs.ns[client], check=False, timeout=60).stdout
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    result = json.loads(out)
    assert "error" not in result, result["error"]
    return result


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
    assert end["lost_percent"] < 5, end
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
