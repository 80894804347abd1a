# SPDX-License-Identifier: BSD-3-Clause
"""Concurrency stress: every thread that can touch a port, at once.

    stress.py <seconds>          (scripts/stress.sh runs it, also under ASan)

One primary (the test app, on hugepages so that a secondary can attach) with
one rtap port of 4 queue pairs. While the kernel floods the port and the app
floods the kernel (a Tx thread on queue 0), an Rx thread polls queues 0 and 1
and these run concurrently, each in its own thread of this script:
  - the app's control thread: stats, xstats, resets, promiscuous and
    allmulticast mode, multicast lists, MAC changes, link up and down, and
    stop and start of queues 2 and 3, which no thread polls (an application
    quiets a queue before it stops it: see "Threading model" in the guide);
  - link down and up from outside (ip link), each one a netlink event for
    EAL's interrupt thread, as is the churn of a veth pair;
  - telemetry queries (dpdk-telemetry.py);
  - a secondary process reading the port's stats (dpdk-proc-info).
Then: no crash and no hang (every command answers within its timeout), the
pool is full after stop, no TAP fd or io_uring is left after close, and the
app exits 0 (under ASan: no report). Ends with "N passed, N failed".
"""

import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import PLUGIN, AppError, RawSocket, TestApp, disable_ipv6, sh, token  # noqa: E402
from conftest import HUGE_PAGES as PAGES, adjust_hugepages  # noqa: E402

NB_QUEUES = 4
POLLED = 2


def udp_frame(length, port):
    """A broadcast IPv4/UDP frame of length bytes from source port port."""
    payload = bytes(length - 42)
    udp = struct.pack("!HHHH", port, 9, 8 + len(payload), 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(payload), 0, 0, 64, 17, 0,
                     bytes([10, 215, 0, 1]), bytes([10, 215, 0, 255]))
    return b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01\x08\x00" + ip + udp + payload


def loop(stop, errors, name, body, pause):
    """Run body until stop is set; an exception stops everything."""
    def run():
        count = 0
        while not stop.is_set():
            try:
                body()
            except Exception as e:  # noqa: BLE001 - any failure ends the run
                errors.append(f"{name}: {e}")
                stop.set()
                return
            count += 1
            time.sleep(pause)
        print(f"[stress] {name}: {count} rounds")
    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def main(seconds):
    work = Path(tempfile.mkdtemp(prefix="rtap-stress-"))
    ifname = f"rtst{token()}"
    veth = f"rtsv{token()}"
    plugin = Path("/run/rtap/stress") / PLUGIN.name
    plugin.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PLUGIN, plugin)
    added = adjust_hugepages(PAGES)
    huge = Path(f"/run/rtap/huge-{token()}")
    huge.mkdir(parents=True)
    sh(f"mount -t hugetlbfs -o pagesize=2M nodev {huge}")
    results = []
    app = None
    try:
        if added < PAGES:
            raise AppError(f"only {added} of {PAGES} hugepages could be reserved")
        app = TestApp(work, huge_dir=huge, pool_size=4096)
        port = app.attach(f"net_rtap_{ifname},iface={ifname}")
        disable_ipv6(ifname)
        app.start_port(port, NB_QUEUES, NB_QUEUES, desc=256, lsc=1, rmv=1)
        sh(f"ip link set {ifname} up")
        sock = RawSocket(ifname)
        # The kernel picks a frame's queue by its flow hash, under a seed of
        # its boot: one flow might land on the unpolled queues only. UDP from
        # many ports spreads over all four.
        kernel_frames = [udp_frame(random.randint(60, 1514), port=1024 + i) for i in range(256)]
        app.cmd(f"flood_start {port} 0 60")
        app.cmd(f"poll_start {port} {POLLED}")

        stop = threading.Event()
        errors = []
        lock = threading.Lock()     # one command at a time through the app's pipe

        def control():
            op = random.choice(["stats", "xstats", "stats_reset", "xstats_reset", "promisc",
                                "allmulti", "mc", "mac", "link", "queue"])
            with lock:
                if op in ("stats", "xstats", "stats_reset", "xstats_reset"):
                    app.cmd(f"{op} {port}")
                elif op in ("promisc", "allmulti"):
                    app.cmd(f"{op} {port} {random.choice(['on', 'off'])}")
                elif op == "mc":
                    n = random.randint(0, 12)
                    app.cmd(f"mc {port} " + " ".join(f"01:00:5e:00:01:{i:02x}"
                                                      for i in range(n)))
                elif op == "mac":
                    app.cmd(f"mac {port} 02:00:00:{random.randint(0, 255):02x}:00:01")
                elif op == "link":
                    app.cmd(f"link_set {port} {random.choice(['up', 'down'])}")
                else:
                    q = random.randint(POLLED, NB_QUEUES - 1)
                    kind = random.choice(["rxq", "txq"])
                    app.cmd(f"{kind}_stop {port} {q}")
                    app.cmd(f"{kind}_start {port} {q}")

        def kernel_tx():
            for i in range(64):
                try:
                    sock.send(random.choice(kernel_frames))
                except OSError:
                    pass    # the interface is down for a moment

        def outside():
            sh(f"ip link set {ifname} {random.choice(['down', 'up'])}")
            sh(f"ip link add {veth} type veth peer name {veth}p", check=False)
            sh(f"ip link del {veth}", check=False)

        def telemetry():
            tool = shutil.which("dpdk-telemetry.py")
            if tool:
                subprocess.run(["/usr/bin/python3", tool, "-f", app.prefix],
                               input=f"/ethdev/stats,{port}\n/ethdev/xstats,{port}\n",
                               capture_output=True, text=True, timeout=60, check=True)

        def secondary():
            out = subprocess.run(["dpdk-proc-info", "-d", str(plugin), "--file-prefix",
                                  app.prefix, "--no-pci", "--", "--stats"],
                                 capture_output=True, text=True, timeout=60)
            if out.returncode != 0 or "RX-packets" not in out.stdout:
                raise AppError(f"dpdk-proc-info: {out.stderr[-1000:]}")

        threads = [loop(stop, errors, "control", control, 0.005),
                   loop(stop, errors, "kernel Tx", kernel_tx, 0.001),
                   loop(stop, errors, "outside", outside, 0.2),
                   loop(stop, errors, "telemetry", telemetry, 0.2),
                   loop(stop, errors, "secondary", secondary, 0.5)]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not stop.is_set():
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
        results.append(("no thread failed", not errors, "; ".join(errors)))

        sent = int(app.cmd("flood_stop")[1])
        received = int(app.cmd("poll_stop")[1])
        print(f"[stress] app sent {sent}, received {received}")
        results.append(("traffic both ways", sent > 0 and received > 0,
                        f"sent {sent}, received {received}"))
        app.cmd(f"stop {port}")
        avail, size = app.pool()
        results.append(("pool full after stop", avail == size, f"{avail} of {size}"))
        app.cmd(f"close {port}")
        left = app.kernel_fds()
        results.append(("no TAP fd or io_uring after close", left == [], str(left)))
        sock.close()
    except AppError as e:
        results.append(("app answered every command", False, str(e)))
    finally:
        if app is not None:
            rc = app.quit()
            results.append(("app exited 0", rc == 0, app.stderr()[-3000:] if rc else ""))
        sh(f"ip link del {ifname}", check=False)
        sh(f"ip link del {veth}", check=False)
        sh(f"umount {huge}", check=False)
        huge.rmdir()
        adjust_hugepages(-added)
        shutil.rmtree(work, ignore_errors=True)

    for name, ok, detail in results:
        print(f"[stress] {'ok' if ok else 'FAILED'}: {name}" + (f" ({detail})" if detail and
                                                                not ok else ""))
    passed = sum(ok for _, ok, _ in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 30))
