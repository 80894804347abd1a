# SPDX-License-Identifier: BSD-3-Clause
"""A private Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk) and two ports.

    nsA: ovsa<tok> --[port pa<tok>]-- nsF: ovs-vswitchd, netdev bridge
                                         --[port pb<tok>]-- ovsb<tok>: nsB

A private ovsdb-server and ovs-vswitchd (database, run, log directory and
control sockets in a temporary directory; Debian's own service is never
touched) with other_config:dpdk-init=true and nothing else configured but the
EAL arguments a machine without hugepages needs. ovs-vswitchd runs in a
namespace of its own (nsF): the netdev datapath's own TAPs (ovs-netdev, the
bridge's internal port) have fixed names and outlive the process, they must
not meet another switch's.

The ports are rtap's, or net_tap's for the benchmark's comparison. Whenever a
port is probed (port added, vswitchd restarted) its kernel interface appears
in nsF and is moved to its namespace again: the old one went with the port.
Kernel sides have static neighbour entries and no IPv6, so the kernel sends
nothing but the traffic asked for and the interface counters can be compared
exactly. Used by tests/system/test_ovs.py and bench/ovs.py.
"""

import json
import os
import re
import signal
import subprocess
import time

from conftest import if_exists, if_stat, sh, token

VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
IPS = {"a": "10.221.0.1", "b": "10.221.0.2"}


def pinned(cpu):
    """The command prefix that runs a command on cpu only (none if cpu is None)."""
    return ["taskset", "-c", str(cpu)] if cpu is not None else []


class Ovs:
    """A private ovsdb-server and ovs-vswitchd, and the two ports' kernel sides.

    driver is the PMD of both ports (rtap or tap), port_options more columns
    of each port's Interface row, other_config more of Open_vSwitch's, and cpu
    the one CPU ovs-vswitchd runs on (all of its threads).
    """

    def __init__(self, tmp, plugin, driver="rtap", port_options=(), other_config=(), cpu=None):
        self.tok = token()
        self.driver = driver
        self.port_options = port_options
        self.other_config = other_config
        self.cpu = cpu
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
                   f"other_config:dpdk-extra={self.eal}",
                   *(f"other_config:{c}" for c in self.other_config))
        self.start_vswitchd()
        self.vsctl("add-br", self.bridge, "--", "set", "bridge", self.bridge,
                   "datapath_type=netdev")
        for s in "ab":
            self.add_port(s, *self.port_options)

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
            [*pinned(self.cpu), "ip", "netns", "exec", self.ns["f"], VSWITCHD, self.db, f"--unixctl={self.dir}/ovs-vswitchd.ctl",
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
        return f"net_{self.driver}_{self.ifname[s]},iface={self.ifname[s]}"

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
        # net_tap asks its own namespace for the interface's flags by name: once
        # moved, it reports the link down whatever the kernel side says.
        if self.driver == "rtap":
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


def iperf3(ovs, client, *args, secs=2, cpu=None):
    """iperf3 from side client to the other for secs s (both ends on cpu): its JSON result."""
    pin = pinned(cpu)
    server_side = "b" if client == "a" else "a"
    server = subprocess.Popen([*pin, "ip", "netns", "exec", ovs.ns[server_side], "iperf3", "-s",
                               "-1", "-B", IPS[server_side]],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if ":5201 " in sh("ss -ltnH", ns=ovs.ns[server_side]).stdout:
                break
            time.sleep(0.1)
        out = sh([*pin, "iperf3", "-c", IPS[server_side], "-t", str(secs), "--json", *args],
                 ns=ovs.ns[client], check=False, timeout=60).stdout
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    result = json.loads(out)
    assert "error" not in result, result["error"]
    return result
