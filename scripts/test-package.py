#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package check: build it, install it, use it, remove it.

  1. scripts/package.sh builds rtap_<version>_<arch>.deb;
  2. before it is installed, dpdk-testpmd without -d cannot parse a net_rtap
     vdev (so the checks below prove the package, not something else);
  3. apt-get install ./rtap_*.deb puts librte_net_rtap.so into the plugin
     directory of the system's DPDK (RTE_EAL_PMD_PATH);
  4. dpdk-testpmd without -d probes net_rtap0 (driver name net_rtap), starts
     it and io-forwards frames written into the kernel interface back out of
     it, byte for byte, with exact port counters;
  5. dpkg --purge rtap removes the .so and testpmd no longer knows net_rtap.

While the package is installed, EAL of every DPDK process on the machine
loads it, and a process that also passes -d with another copy of the plugin
gets two drivers named net_rtap: other runs sharing the machine can see that.
So the package stays installed only for steps 3 and 4 (a few seconds), and
is purged on every way out: failure, exception, SIGINT, SIGTERM, SIGHUP.
It refuses to start when rtap is already installed (or a librte_net_rtap.so
is in the plugin directory): it removes only what it installed.

Needs root. Ends with one line: "N passed, N failed".
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_NAME = "librte_net_rtap.so"
ETH_P_EXP = 0x88B5                      # IEEE local experimental ethertype
FRAMES = 8
PACKET_OUTGOING = 4
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"[{'PASS' if ok else 'FAIL'}] {name}" + (f": {detail}" if detail and not ok else ""),
          flush=True)
    return bool(ok)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def pmd_dir():
    """The directory EAL of the installed DPDK loads plugins from at startup."""
    cflags = run(["pkg-config", "--cflags", "libdpdk"], check=True).stdout.split()
    out = run(["cpp", "-P", *cflags, "-"], check=True,
              input="#include <rte_build_config.h>\nRTE_EAL_PMD_PATH\n").stdout
    path = out.strip().splitlines()[-1].strip('"')
    if not path.startswith("/"):
        raise RuntimeError(f"cannot read RTE_EAL_PMD_PATH: {out!r}")
    return Path(path)


def dpkg_status(pkg):
    r = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg])
    return r.stdout.strip() if r.returncode == 0 else ""


def installed(pkg):
    # Anything but "not installed" (un, or unknown to dpkg) counts: half-installed too.
    status = dpkg_status(pkg)
    return bool(status) and not status.startswith("un")


def testpmd_args(prefix, iface):
    return ["dpdk-testpmd", "--no-huge", "-m", "256", "--no-pci", "-l", "0-1",
            f"--file-prefix={prefix}", f"--vdev=net_rtap0,iface={iface}"]


def testpmd_without_plugin(tok, when):
    """testpmd, no -d: EAL must not know net_rtap."""
    r = run(["timeout", "60", *testpmd_args(f"rtpkg{tok}n", f"rpkn{tok}"), "--", "-i",
             "--total-num-mbufs=2048"], input="show port info 0\nquit\n")
    out = r.stdout + r.stderr
    check(f"{when}: testpmd without -d does not know net_rtap",
          r.returncode != 0 and 'failed to parse device "net_rtap0"' in out
          and "Driver name: net_rtap" not in out,
          f"rc={r.returncode}: {out[-1500:]}")


class Testpmd:
    """dpdk-testpmd -i behind a pipe, its output in a file."""

    def __init__(self, tok, iface, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        args = ["stdbuf", "-oL", *testpmd_args(f"rtpkg{tok}", iface), "--", "-i",
                "--disable-device-start", "--forward-mode=io", "--nb-cores=1",
                "--total-num-mbufs=2048", "--rxd=256", "--txd=256"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=self.log,
                                     stderr=subprocess.STDOUT, text=True)
        self.wait_for("testpmd> ", 60)

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text, timeout, start=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.output()
            if out.find(text, start) >= 0:
                return out
            if self.proc.poll() is not None:
                raise RuntimeError(f"testpmd exited: {out[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"testpmd: no {text!r}: {self.output()[-3000:]}")

    def cmd(self, line, expect="testpmd> "):
        start = len(self.output())
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.wait_for(expect, 30, start)[start:]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def echo_frames(iface, tok):
    """Write FRAMES frames into the kernel side; return (sent, echoed back by the port)."""
    sent = []
    for i in range(FRAMES):
        payload = f"rtap package check {tok} {i}".encode()
        frame = b"\xff" * 6 + bytes.fromhex("02aabbcc" + f"{i:04x}") \
            + ETH_P_EXP.to_bytes(2, "big") + payload
        sent.append(frame.ljust(60, b"\0"))
    got = []
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_EXP)) as s:
        s.bind((iface, ETH_P_EXP))
        s.settimeout(0.5)
        for frame in sent:
            s.send(frame)
        deadline = time.monotonic() + 10
        while len(got) < FRAMES and time.monotonic() < deadline:
            try:
                data, addr = s.recvfrom(2048)
            except socket.timeout:
                continue
            if addr[2] != PACKET_OUTGOING and tok.encode() in data:
                got.append(data)
    return sent, got


def port_stats(pmd):
    out = pmd.cmd("show port stats 0", expect="######\n")
    return {k: int(v) for k, v in re.findall(r"(RX-packets|TX-packets|RX-errors|TX-errors):"
                                             r"\s*(\d+)", out)}


def use_installed_plugin(tok, work):
    iface = f"rpkg{tok}"
    pmd = Testpmd(tok, iface, work / "testpmd.log")
    try:
        info = pmd.cmd("show port info 0")
        check("installed: testpmd without -d probes net_rtap0 as driver net_rtap",
              re.search(r"^Driver name: net_rtap$", info, re.M), info[-1500:])
        # No IPv6 on the kernel side: nothing but the test's frames crosses it.
        Path(f"/proc/sys/net/ipv6/conf/{iface}/disable_ipv6").write_text("1\n")
        pmd.cmd("port start 0")
        pmd.cmd("start")
        sent, got = echo_frames(iface, tok)
        check(f"installed: {FRAMES} frames written to {iface} come back through testpmd, "
              "byte for byte", sorted(got) == sorted(sent),
              f"sent {len(sent)}, got {len(got)}: {[g.hex() for g in got][:3]}")
        pmd.cmd("stop")
        stats = port_stats(pmd)
        want = {"RX-packets": FRAMES, "TX-packets": FRAMES, "RX-errors": 0, "TX-errors": 0}
        check("installed: port 0 counted exactly the frames forwarded",
              all(stats.get(k) == v for k, v in want.items()), f"{stats}")
    finally:
        rc = pmd.close()
    check("installed: testpmd quit cleanly", rc == 0, pmd.log_path.read_text()[-1500:])


def main():
    if os.geteuid() != 0:
        check("running as root", False, "the package check installs a package")
        return
    tok = secrets.token_hex(3)
    # The plugin directory is named after the ABI: pmds-23.0 is librte-*23.
    abi = re.fullmatch(r"pmds-(\d+)\.\d+", pmd_dir().name)
    abi = abi.group(1) if abi else ""
    plugin = pmd_dir() / PLUGIN_NAME
    if not check("rtap not installed beforehand",
                 not installed("rtap") and not plugin.exists(),
                 f"dpkg status '{dpkg_status('rtap')}', {plugin} exists: {plugin.exists()}; "
                 "remove it first (the check removes only what it installed)"):
        return

    with tempfile.TemporaryDirectory(prefix="rtap-pkg-") as tmp:
        work = Path(tmp)
        r = run(["bash", str(ROOT / "scripts" / "package.sh"), str(work / "out")])
        deb = Path(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else None
        if not check("scripts/package.sh builds the .deb",
                     r.returncode == 0 and deb and deb.is_file()
                     and re.fullmatch(r"rtap_[^_]+_[^_]+\.deb", deb.name),
                     (r.stdout + r.stderr)[-3000:]):
            return
        contents = run(["dpkg-deb", "-c", str(deb)], check=True).stdout
        check(f"the .deb holds {plugin}", f" .{plugin}\n" in contents, contents)
        depends = run(["dpkg-deb", "-f", str(deb), "Depends"], check=True).stdout
        check("the .deb depends on the DPDK ABI packages and liburing2",
              all(re.search(rf"(^|, ){d} \(", depends) for d in
                  [f"librte-{lib}{abi}" for lib in ("eal", "ethdev", "bus-vdev", "mbuf")]
                  + ["liburing2"]), depends)

        testpmd_without_plugin(tok, "before install")

        # The installed window: install, use, purge; the purge runs on every way out.
        attempted = False
        try:
            attempted = True
            r = run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q",
                     "--no-install-recommends", f"./{deb.name}"], cwd=deb.parent,
                    env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
            if check(f"apt-get install ./{deb.name}", r.returncode == 0 and installed("rtap"),
                     (r.stdout + r.stderr)[-2000:]):
                owner = run(["dpkg-query", "-S", str(plugin)]).stdout.strip()
                check(f"dpkg: package rtap owns {plugin}",
                      plugin.is_file() and owner == f"rtap: {plugin}", owner)
                use_installed_plugin(tok, work)
        finally:
            # A second Ctrl-C must not cut the purge short.
            signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
            if attempted and installed("rtap"):
                r = run(["dpkg", "--purge", "rtap"])
                check("dpkg --purge rtap", r.returncode == 0 and not installed("rtap"),
                      (r.stdout + r.stderr)[-2000:])
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)

        check(f"after purge: {plugin} is gone", not plugin.exists())
        testpmd_without_plugin(tok, "after purge")


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    for sig in SIGNALS:
        signal.signal(sig, on_signal)
    try:
        main()
    except BaseException as e:     # an error is a failure, never a silent pass
        check("package check ran to its end", False, f"{type(e).__name__}: {e}")
    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and passed > 0 else 1)
