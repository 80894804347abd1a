# SPDX-License-Identifier: BSD-3-Clause
"""Packet capture from a running primary: dpdk-dumpcap on an rtap port of testpmd.

dpdk-dumpcap is a secondary process of testpmd (which calls rte_pdump_init),
so the primary runs on hugepages. dumpcap takes no -d: the plugin is preloaded
into it, so that its EAL finds the driver of the primary's vdev. Mempool drivers must
be registered in the same order in both processes (the pool dumpcap creates is
used by the primary through its ops index): Debian's testpmd links
librte_mempool_dpaa, registered before all others, and dumpcap does not, so
those are preloaded too.
"""

import os
import select
import shutil
import subprocess
import time

from scapy.utils import PcapNgReader

from conftest import disable_ipv6, frame


def linked_mempool_drivers(binary):
    out = subprocess.run(["ldd", shutil.which(binary)], capture_output=True, text=True).stdout
    return [line.split()[2] for line in out.splitlines()
            if "librte_mempool_" in line and "=>" in line]


def dumpcap_preload(plugin):
    names = {os.path.basename(p) for p in linked_mempool_drivers("dpdk-dumpcap")}
    missing = [p for p in linked_mempool_drivers("dpdk-testpmd")
               if os.path.basename(p) not in names]
    return " ".join(missing + [str(plugin)])


def test_dumpcap_writes_what_was_sent(huge_dir, testpmd, plugin, names, raw_socket, tmp_path):
    ifname = names("d")
    pmd = testpmd([f"net_rtap0,iface={ifname}"], huge_dir=huge_dir,
                  args=["--disable-device-start", "--forward-mode=io",
                        "--total-num-mbufs=2048"])
    disable_ipv6(ifname)
    pmd.cmd("port start all")
    pmd.cmd("start")
    sock = raw_socket(ifname)
    sent = [frame(60 + 97 * i, seq=i, dst=b"\x02\x00\x00\xaa\x00\x02") for i in range(8)]
    out = tmp_path / "capture.pcapng"
    # One port forwards to itself (io): every frame is captured in and out.
    dumpcap = subprocess.Popen(
        ["dpdk-dumpcap", f"--file-prefix={pmd.prefix}", "-i", "net_rtap0",
         "-c", str(2 * len(sent)), "-w", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=dict(os.environ, LD_PRELOAD=dumpcap_preload(plugin)))
    try:
        seen = b""
        deadline = time.monotonic() + 30
        # It prints a progress line once the capture runs ("Capturing on" in newer releases).
        while b"Packets captured" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([dumpcap.stdout], [], [], 1)
            if ready:
                chunk = os.read(dumpcap.stdout.fileno(), 4096)
                assert chunk, f"dumpcap exited: {seen.decode()}"
                seen += chunk
        assert b"Packets captured" in seen, seen.decode()
        for f in sent:
            sock.send(f)
        rest, _ = dumpcap.communicate(timeout=30)
    finally:
        if dumpcap.poll() is None:
            dumpcap.kill()
            dumpcap.wait()
    assert dumpcap.returncode == 0, (seen + rest).decode()

    with PcapNgReader(str(out)) as reader:
        captured = [bytes(p) for p in reader]
    assert sorted(captured) == sorted(sent * 2)
    stats = pmd.port_stats(0)
    assert stats["RX-packets"] == len(sent) and stats["TX-packets"] == len(sent), stats
    assert stats["RX-bytes"] == sum(map(len, sent))
