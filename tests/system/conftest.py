# SPDX-License-Identifier: BSD-3-Clause
"""Shared fixtures of the system tests: real TAP interfaces, real namespaces.

Everything a test creates has a name with a random token, so several runs can
share the machine, and is removed at teardown, also when the test fails.
"""

import fcntl
import hashlib
import os
import re
import secrets
import select
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("RTAP_BUILD", ROOT / "build"))
TESTAPP = Path(os.environ.get("RTAP_TESTAPP", BUILD / "tests" / "rtap_testapp"))
PLUGIN = BUILD / "drivers" / "net" / "rtap" / "librte_net_rtap.so"
# The upstream release scripts/test.sh runs against (RTAP_DPDK), or None: Debian's.
UPSTREAM_DPDK = os.environ.get("RTAP_DPDK") or None
BASE_VIRTADDR = os.environ.get("RTAP_BASE_VIRTADDR", "0x200000000000")
# Latency bounds are multiplied by this: the emulated (TCG) guests of
# scripts/test-kernels.sh run the same tests about ten times slower.
SLOW = float(os.environ.get("RTAP_SLOW", "1"))


def sh(cmd, ns=None, check=True, **kw):
    """Run a command (a string, split on blanks, or a list), in a netns if asked."""
    args = cmd.split() if isinstance(cmd, str) else list(cmd)
    if ns:
        args = ["ip", "netns", "exec", ns] + args
    return subprocess.run(args, check=check, capture_output=True, text=True, **kw)


def token():
    return secrets.token_hex(3)


def if_exists(name, ns=None):
    return sh(f"ip link show dev {name}", ns=ns, check=False).returncode == 0


def if_stat(name, counter, ns=None):
    out = sh(f"cat /sys/class/net/{name}/statistics/{counter}", ns=ns).stdout
    return int(out)


def disable_ipv6(name, ns=None):
    sh(f"sysctl -qw net.ipv6.conf.{name}.disable_ipv6=1", ns=ns)


def kernel_mac(ifname):
    with open(f"/sys/class/net/{ifname}/address") as f:
        return f.read().strip()


def quit_process(proc, line):
    """Ask a process driven over stdin to quit; kill it if it does not."""
    if proc.poll() is None:
        try:
            proc.stdin.write(line)
            proc.stdin.flush()
            proc.wait(timeout=60)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


def made_and_closed(make_one, close="close"):
    """A fixture's body: yields a factory, closes whatever it made at teardown.

    Returns (object, what its close returned) pairs, in the order made.
    """
    made = []

    def make(*args, **kw):
        obj = make_one(*args, **kw)
        made.append(obj)
        return obj

    yield make
    return [(obj, getattr(obj, close)()) for obj in made]


@dataclass
class Pkt:
    length: int
    nb_segs: int
    ol_flags: int
    ptype: int
    tso_segsz: int
    rss: int
    data: bytes


class AppError(Exception):
    pass


class TestApp:
    """The DPDK test application (tests/apps/rtap_testapp.c) behind a pipe."""

    def __init__(self, tmp_path, vdevs=(), pool_size=8192, mbuf_size=2176, eal=(),
                 huge_dir=None, prefix=None):
        self.log_path = tmp_path / f"testapp-{token()}.log"
        self.log = open(self.log_path, "w")
        self.prefix = prefix or f"rtapt{token()}"
        # Secondary processes can only attach to a primary backed by hugepages,
        # and must map its memory at the same address: a fixed base clear of
        # where libraries land, and of ASan's shadow and allocator (0x6000...)
        # when the app runs under it. Under TSan, whose shadow starts at
        # 0x010000000000, every process needs RTAP_BASE_VIRTADDR below that.
        base = ["--base-virtaddr", BASE_VIRTADDR] if huge_dir or "RTAP_BASE_VIRTADDR" in \
            os.environ else []
        mem = ["--huge-dir", str(huge_dir), "-m", "64"] if huge_dir else \
            ["--no-huge", "-m", "512"]
        mem += base
        args = [str(TESTAPP), *mem, "--no-pci",
                "--lcores", "0@(0-1)", "--file-prefix", self.prefix,
                "--log-level", "pmd.net.rtap:info", *eal]
        args += [f"--vdev={v}" for v in vdevs]
        args += ["--", "--pool-size", str(pool_size), "--mbuf-size", str(mbuf_size)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log)
        self.buf = b""
        line = self._readline(60)
        if line != "ready":
            raise AppError(f"test app did not start: {line!r}: {self.stderr()}")

    @property
    def pid(self):
        return self.proc.pid

    def stderr(self):
        if not self.log.closed:     # also read after close, for the failure message
            self.log.flush()
        return self.log_path.read_text()

    def _readline(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AppError("test app timed out")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    raise AppError(f"test app exited: {self.stderr()[-2000:]}")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def call(self, line, timeout=60):
        """Send a command; return (ok, data lines, the words after ok/err)."""
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        data = []
        while True:
            reply = self._readline(timeout)
            if reply == "ok" or reply.startswith("ok "):
                return True, data, reply[3:]
            if reply.startswith("err "):
                return False, data, reply[4:]
            data.append(reply)

    def cmd(self, line, timeout=60):
        ok, data, rest = self.call(line, timeout)
        if not ok:
            raise AppError(f"{line.split()[0]}: {rest}")
        return data, rest

    def kv(self, line, timeout=60):
        _, rest = self.cmd(line, timeout)
        return dict(w.split("=", 1) for w in rest.split())

    def attach(self, devargs):
        return int(self.cmd(f"attach {devargs}")[1])

    def start_port(self, port, nb_rxq=1, nb_txq=1, **opts):
        extra = " ".join(f"{k}={v}" for k, v in opts.items())
        self.cmd(f"configure {port} {nb_rxq} {nb_txq} {extra}")
        self.cmd(f"start {port}")

    def rx(self, port, max_pkts, timeout_ms=2000, queue=0):
        data, rest = self.cmd(f"rx {port} {queue} {max_pkts} {timeout_ms}",
                              timeout=timeout_ms / 1000 + 30)
        pkts = []
        for line in data:
            _, length, segs, flags, ptype, tso, rss, hexdata = (line.split() + [""])[:8]
            pkts.append(Pkt(int(length), int(segs), int(flags, 16), int(ptype, 16),
                            int(tso), int(rss, 16), bytes.fromhex(hexdata)))
        assert int(rest) == len(pkts)
        return pkts

    def tx(self, port, frame, queue=0, **opts):
        extra = " ".join(f"{k}={v}" for k, v in opts.items())
        return int(self.cmd(f"tx {port} {queue} {frame.hex()} {extra}")[1])

    def stats(self, port):
        return {k: int(v) for k, v in self.kv(f"stats {port}").items()}

    def xstats(self, port):
        data, _ = self.cmd(f"xstats {port}")
        return {name: int(value) for name, value in (line.split() for line in data)}

    def pool(self):
        kv = self.kv("pool")
        return int(kv["avail"]), int(kv["size"])

    def fd_targets(self):
        fds = Path(f"/proc/{self.pid}/fd")
        out = []
        for fd in fds.iterdir():
            try:
                out.append(os.readlink(fd))
            except FileNotFoundError:
                pass
        return out

    def kernel_fds(self):
        """The TAP and io_uring descriptors the process holds."""
        return sorted(t for t in self.fd_targets() if "tun" in t or "io_uring" in t)

    def quit(self):
        quit_process(self.proc, b"quit\n")
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def app_factory(tmp_path):
    closed = yield from made_and_closed(lambda **kw: TestApp(tmp_path, **kw), "quit")
    # A crash or hang at close, or a sanitizer report at exit (ASan, UBSan,
    # LSan in the build of scripts/test-sanitize.sh), fails the test.
    failed = [(app, rc) for app, rc in closed if rc != 0]
    if failed:
        app, rc = failed[0]
        pytest.fail(f"test app exited with {rc}: {app.stderr()[-4000:]}")


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def names():
    """Unique interface names: names('a') -> 'rta<token>', at most 15 characters."""
    made = []

    def make(tag=""):
        name = f"rt{tag}{token()}"[:15]
        made.append(name)
        return name

    yield make
    for name in made:
        if if_exists(name):
            sh(f"ip link del {name}", check=False)


@pytest.fixture
def netns():
    """netns() -> a new network namespace name, deleted at teardown."""
    made = []

    def make():
        name = f"rtapns-{token()}"
        sh(f"ip netns add {name}")
        sh("ip link set lo up", ns=name)
        made.append(name)
        return name

    yield make
    for name in made:
        sh(f"ip netns pids {name}", check=False)
        for pid in sh(f"ip netns pids {name}", check=False).stdout.split():
            subprocess.run(["kill", "-9", pid], check=False)
        sh(f"ip netns del {name}", check=False)


def move_to_netns(ifname, ns, addrs=()):
    sh(f"ip link set {ifname} netns {ns}")
    disable_ipv6(ifname, ns=ns)
    for addr in addrs:
        sh(f"ip addr add {addr} dev {ifname}", ns=ns)
    sh(f"ip link set {ifname} up", ns=ns)


@pytest.fixture(scope="session")
def plugin():
    """The plugin staged where EAL accepts a -d path: no world-writable parent."""
    digest = hashlib.sha1(str(BUILD).encode()).hexdigest()[:12]
    stage = Path("/run/rtap") / digest
    stage.mkdir(parents=True, exist_ok=True)
    os.chmod("/run/rtap", 0o755)
    os.chmod(stage, 0o755)
    dest = stage / PLUGIN.name
    shutil.copy2(PLUGIN, dest)
    return dest


class RawSocket:
    """An AF_PACKET socket on a kernel interface: what the kernel sends/receives."""

    ETH_P_ALL = 0x0003

    def __init__(self, ifname):
        self.ifname = ifname
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(self.ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
        self.sock.bind((ifname, 0))

    def send(self, frame):
        return self.sock.send(frame)

    def recv_all(self, count, timeout=5.0, incoming_only=True):
        """Frames the interface received (PACKET_HOST/BROADCAST/...), not its own."""
        frames = []
        deadline = time.monotonic() + timeout
        while len(frames) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                break
            data, addr = self.sock.recvfrom(1 << 17)
            if incoming_only and addr[2] == socket.PACKET_OUTGOING:
                continue
            frames.append(data)
        return frames

    def drain(self):
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(1 << 17)
        except BlockingIOError:
            pass
        self.sock.setblocking(True)

    def close(self):
        self.sock.close()


@pytest.fixture
def raw_socket():
    yield from made_and_closed(RawSocket)


def frame(length, seq=0, dst=b"\xff" * 6, src=b"\x02\x00\x00\x00\x00\x01",
          ethertype=b"\x88\xb5"):
    """An Ethernet frame of exactly length bytes with a recognisable payload."""
    head = dst + src + ethertype + seq.to_bytes(4, "big")
    body = bytes((i * 7 + seq) & 0xFF for i in range(length - len(head)))
    return (head + body)[:length]


class Testpmd:
    """dpdk-testpmd -i behind a pipe, its output in a log file.

    vdevs are devargs of --vdev; eal and args are more EAL and testpmd
    arguments. Without huge_dir it runs on --no-huge memory.
    """

    PROMPT = "testpmd> "

    def __init__(self, plugin, vdevs, tmp_path, args=(), eal=(), huge_dir=None, prefix=None):
        self.log_path = tmp_path / f"testpmd-{token()}.log"
        self.log = open(self.log_path, "w")
        self.prefix = prefix or f"rtpmd{token()}"
        mem = ["--huge-dir", str(huge_dir), "-m", "64"] if huge_dir else \
            ["--no-huge", "-m", "1024"]
        cmd = ["stdbuf", "-oL", "dpdk-testpmd", *mem, "--no-pci",
               f"--file-prefix={self.prefix}", "-d", str(plugin), *eal,
               *(f"--vdev={v}" for v in vdevs), "--", "-i", *args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self.log,
                                     stderr=subprocess.STDOUT, text=True)
        self.wait_for(self.PROMPT, 60)

    # testpmd's interrupt thread reports events with printf while cmdline
    # writes its prompt one byte at a time: a report can split the prompt.
    EVENT = re.compile(r"\nPort \d+: [\w ]+ event\n")

    def output(self):
        self.log.flush()
        return self.EVENT.sub("", self.log_path.read_text())

    def wait_for(self, text, timeout, start=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.output()
            pos = out.find(text, start)
            if pos >= 0:
                return out, pos
            assert self.proc.poll() is None, f"testpmd exited: {out[-3000:]}"
            time.sleep(0.05)
        raise AssertionError(f"testpmd: no {text!r}: {self.output()[-3000:]}")

    def cmd(self, line, expect=PROMPT):
        """Run one command; its output up to the next prompt (or expect)."""
        start = len(self.output())
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out, pos = self.wait_for(expect, 30, start)
        return out[start:pos]

    def port_stats(self, port):
        """RX-/TX- packets, bytes, errors, RX-missed of show port stats."""
        out = self.cmd(f"show port stats {port}")
        return {k: int(v) for k, v in re.findall(
            r"(RX-packets|RX-bytes|RX-errors|RX-missed|TX-packets|TX-bytes|TX-errors):"
            r"\s*(\d+)", out)}

    def mac(self, port):
        out = self.cmd(f"show port info {port}")
        return re.search(r"MAC address: ([0-9A-Fa-f:]{17})", out).group(1).lower()

    def close(self):
        quit_process(self.proc, "quit\n")
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def testpmd(plugin, tmp_path):
    """testpmd(vdevs, args=..., eal=..., huge_dir=...) -> a running Testpmd, quit at teardown."""
    yield from made_and_closed(lambda vdevs, **kw: Testpmd(plugin, vdevs, tmp_path, **kw))


HUGE_PAGES = 48
NR_HUGEPAGES = Path("/proc/sys/vm/nr_hugepages")
HUGE_LOCK = Path("/run/rtap/hugepages.lock")


def adjust_hugepages(delta):
    """Add delta 2 MiB pages to the pool, under a lock other test runs share."""
    HUGE_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(HUGE_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        now = int(NR_HUGEPAGES.read_text())
        NR_HUGEPAGES.write_text(str(max(0, now + delta)))
        return int(NR_HUGEPAGES.read_text()) - now


@pytest.fixture
def huge_dir():
    """A private hugetlbfs mount with HUGE_PAGES more pages in the pool; all given back."""
    added = adjust_hugepages(HUGE_PAGES)
    mnt = Path(f"/run/rtap/huge-{token()}")
    mnt.mkdir(parents=True)
    sh(f"mount -t hugetlbfs -o pagesize=2M nodev {mnt}")
    try:
        if added < HUGE_PAGES:
            pytest.fail(f"only {added} of {HUGE_PAGES} hugepages could be reserved")
        yield mnt
    finally:
        sh(f"umount {mnt}", check=False)
        mnt.rmdir()
        adjust_hugepages(-added)
