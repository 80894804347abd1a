# SPDX-License-Identifier: BSD-3-Clause
"""Probe, devargs, lifecycle and the control operations against the real kernel."""

import fcntl
import os
import socket
import struct

import pytest

from conftest import AppError, frame, if_exists, disable_ipv6, kernel_mac, sh

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def kernel_mtu(ifname):
    return int(open(f"/sys/class/net/{ifname}/mtu").read())


def pool_full(app):
    avail, size = app.pool()
    return avail == size


@pytest.mark.parametrize("args, message", [
    ("iface=abcdefghijklmnop", "a name of 1 to 15 characters is required"),
    ("iface=", "a name of 1 to 15 characters is required"),
    ("iface=a/b", "is not allowed in an interface name"),
    ("colour=blue", "invalid devargs"),
    ("mac=01:00:5e:00:00:01", "expected a unicast"),
    ("mac=zz", "expected a unicast"),
    ("persist=maybe", "expected persist, persist=1 or persist=0"),
    ("iface=x1,iface=x2", "given more than once"),
    ("csum=none", "csum=none: expected csum=full or csum=partial"),
    ("csum", "csum=: expected csum=full or csum=partial"),
    ("txqueuelen=0", "txqueuelen=0: expected a number of frames from 1 to 1048576"),
    ("txqueuelen=10k", "txqueuelen=10k: expected a number of frames from 1 to 1048576"),
    ("sqpoll=one", "sqpoll=one: expected the number of the CPU the SQ thread runs on, below 1024"),
    ("sqpoll=-1", "sqpoll=-1: expected the number of the CPU"),
    ("sqpoll=1024", "sqpoll=1024: expected the number of the CPU"),
    ("sqpoll=1000", "sqpoll=1000: the kernel refuses an SQ thread on CPU 1000: Invalid argument "
                    "(offline, or not in this process's cpuset)"),
])
def test_bad_devargs(app, args, message):
    before = sh("ip -o link show").stdout.count("\n")
    ok, _, rest = app.call(f"attach net_rtap_bad,{args}")
    assert not ok
    assert message in app.stderr()
    assert sh("ip -o link show").stdout.count("\n") == before
    assert app.kernel_fds() == []


def test_name_of_a_non_tap_interface(app, names):
    veth = names("v")
    sh(f"ip link add {veth} type veth peer name {veth}p")
    try:
        ok, _, rest = app.call(f"attach net_rtap_v,iface={veth}")
        assert not ok
        assert f"interface {veth} exists and is not a TAP or TUN" in app.stderr()
        assert app.kernel_fds() == []
    finally:
        sh(f"ip link del {veth}", check=False)


def test_default_name_and_close_removes_interface(app):
    port = app.attach("net_rtap_dflt")
    info = app.kv(f"info {port}")
    ifname = socket.if_indextoname(int(info["if_index"]))
    assert ifname.startswith("rtap")
    assert kernel_mac(ifname) == info["mac"].lower()
    mac = bytes.fromhex(info["mac"].replace(":", ""))
    assert mac[0] & 0x02 and not mac[0] & 0x01    # locally administered unicast
    app.cmd(f"close {port}")
    assert not if_exists(ifname)
    assert app.kernel_fds() == []


def test_lifecycle_cycles_and_requeue(app, names, raw_socket):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    for cycle, queues in enumerate([1, 4, 2, 1, 3]):
        app.start_port(port, nb_rxq=queues, nb_txq=queues)
        sock = raw_socket(ifname)          # a down link invalidates the last one
        # One kernel queue per Rx queue: the rest stay detached.
        assert len(os.listdir(f"/sys/class/net/{ifname}/queues")) >= queues
        assert app.kv(f"link {port}")["status"] == "1"
        f = frame(100, seq=cycle)
        sock.send(f)
        got = []
        for q in range(queues):
            got += app.rx(port, 1, timeout_ms=300, queue=q)
        assert [p.data for p in got] == [f]
        assert app.tx(port, f, queue=queues - 1) == 1
        assert sock.recv_all(1) == [f]
        app.cmd(f"stop {port}")
        assert app.kv(f"link {port}")["status"] == "0"
        assert pool_full(app)
    app.cmd(f"close {port}")
    assert not if_exists(ifname)
    assert app.kernel_fds() == []
    assert pool_full(app)


def test_close_releases_every_fd_and_ring(app, names):
    baseline = app.kernel_fds()
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    app.start_port(port, nb_rxq=2, nb_txq=2)
    fds = app.kernel_fds()
    assert sum("io_uring" in t for t in fds) == 4    # one ring per queue
    assert sum("tun" in t for t in fds) == 16        # every queue fd, attached or not
    app.cmd(f"stop {port}")
    app.cmd(f"close {port}")
    assert app.kernel_fds() == baseline
    assert pool_full(app)


def test_persist_keeps_interface_and_is_reused(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname},persist,mac=fixed")
    mac = kernel_mac(ifname)
    app.cmd(f"close {port}")
    assert if_exists(ifname)
    assert app.kernel_fds() == []

    port = app.attach(f"net_rtap_{ifname}2,iface={ifname},mac=fixed")
    assert kernel_mac(ifname) == mac          # fixed: a function of the name
    app.cmd(f"close {port}")
    assert not if_exists(ifname)              # persist was not asked this time


def txqueuelen(ifname):
    return int(open(f"/sys/class/net/{ifname}/tx_queue_len").read())


def test_txqueuelen_follows_rx_desc_and_is_restored(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname}q1,iface={ifname},persist")
    default = txqueuelen(ifname)                    # the kernel's: 500 or 1000
    app.cmd(f"close {port}")
    # A persistent TAP whose operator chose a length: restored when the port closes.
    sh(f"ip link set {ifname} txqueuelen 333")
    port = app.attach(f"net_rtap_{ifname}q2,iface={ifname},persist")
    assert txqueuelen(ifname) == 333                # nothing changes before a start
    app.start_port(port, nb_rxq=2, nb_txq=2, desc=2048)
    assert txqueuelen(ifname) == 4096               # two bursts of the largest queue
    app.cmd(f"stop {port}")
    app.start_port(port, desc=64)
    assert txqueuelen(ifname) == 333                # never below what it had
    app.cmd(f"stop {port}")
    app.start_port(port, desc=512)
    app.cmd(f"stop {port}")
    assert txqueuelen(ifname) == 1024               # a stop leaves it
    app.cmd(f"close {port}")
    assert if_exists(ifname) and txqueuelen(ifname) == 333

    # The devarg wins over nb_rx_desc; restored as well.
    port = app.attach(f"net_rtap_{ifname}q3,iface={ifname},persist,txqueuelen=3000")
    app.start_port(port, desc=2048)
    assert txqueuelen(ifname) == 3000
    app.cmd(f"stop {port}")
    app.cmd(f"close {port}")
    assert txqueuelen(ifname) == 333
    sh(f"ip link del {ifname}")

    # A new TAP: the kernel's default is the floor.
    port = app.attach(f"net_rtap_{ifname}q4,iface={ifname}")
    assert txqueuelen(ifname) == default
    app.start_port(port, desc=16)
    assert txqueuelen(ifname) == default
    app.cmd(f"stop {port}")
    app.start_port(port)                            # 512 descriptors
    assert txqueuelen(ifname) == max(default, 1024)
    # Deleted from outside while started: close has nothing to restore, and says nothing.
    sh(f"ip link del {ifname}")
    app.cmd(f"stop {port}")
    app.cmd(f"close {port}")
    assert "txqueuelen" not in app.stderr()


def test_mac_devarg_and_set(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname},mac=02:11:22:33:44:55")
    assert kernel_mac(ifname) == "02:11:22:33:44:55"
    app.cmd(f"mac {port} 02:aa:bb:cc:dd:ee")
    assert kernel_mac(ifname) == "02:aa:bb:cc:dd:ee"
    assert app.kv(f"info {port}")["mac"].lower() == "02:aa:bb:cc:dd:ee"


def test_mtu_range(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    info = app.kv(f"info {port}")
    assert int(info["min_mtu"]) == 68
    assert int(info["max_lro"]) == 65535    # testpmd --max-lro-pkt-size needs it
    with pytest.raises(AppError, match="-22"):
        app.cmd(f"configure {port} 1 1 mtu=67 rxoff=0x2000")
    with pytest.raises(AppError, match="-22"):
        app.cmd(f"configure {port} 1 1 mtu={int(info['max_mtu']) + 1} rxoff=0x2000")
    # 4000-byte frames need chains of 2048-byte mbufs: refused without scatter.
    with pytest.raises(AppError, match="rx_queue_setup: Invalid argument"):
        app.cmd(f"configure {port} 1 1 mtu=4000")
    assert "enable Rx scatter" in app.stderr()
    app.cmd(f"configure {port} 1 1 mtu=4000 rxoff=0x2000")
    assert kernel_mtu(ifname) == 4000
    app.cmd(f"mtu {port} 1280")
    assert kernel_mtu(ifname) == 1280
    with pytest.raises(AppError, match="-22"):
        app.cmd(f"mtu {port} 67")
    app.cmd(f"start {port}")
    with pytest.raises(AppError, match="-16"):        # EBUSY while started
        app.cmd(f"mtu {port} 1500")
    assert kernel_mtu(ifname) == 1280


def test_link_follows_kernel(app, names):
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.start_port(port)
    assert app.kv(f"link {port}") == {"status": "1", "speed": "10000"}
    sh(f"ip link set {ifname} down")
    assert app.kv(f"link {port}")["status"] == "0"
    sh(f"ip link set {ifname} up")
    assert app.kv(f"link {port}")["status"] == "1"


def test_rename_and_promisc(app, names):
    """Control operations find the interface after an outside rename."""
    ifname, renamed = names(), names("r")
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    sh(f"ip link set {ifname} name {renamed}")
    app.cmd(f"promisc {port} on")
    assert "PROMISC" in sh(f"ip link show {renamed}").stdout
    app.cmd(f"promisc {port} off")
    assert "PROMISC" not in sh(f"ip link show {renamed}").stdout
    app.cmd(f"allmulti {port} on")
    assert "ALLMULTI" in sh(f"ip link show {renamed}").stdout


def open_l3_tun(name):
    """An IFF_TUN device: what is written to it enters the kernel with no MAC header."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def test_runt_frames_are_counted(app, names, raw_socket):
    """Frames shorter than an Ethernet header, queued to the TAP by tc mirred."""
    ifname, l3 = names(), names("l")
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.start_port(port)
    # The frames' destination (45:01:...) is a group the port has not joined.
    app.cmd(f"promisc {port} on")
    fd = open_l3_tun(l3)
    try:
        disable_ipv6(l3)
        sh(f"ip link set {l3} up")
        sh(f"tc qdisc add dev {l3} clsact")
        sh(f"tc filter add dev {l3} ingress protocol all u32 match u32 0 0 "
           f"action mirred egress redirect dev {ifname}")
        # u32 reads 4 bytes at offset 0: shorter packets would not be redirected.
        runts = [b"\x45" + bytes(n - 1) for n in (4, 5, 13)]
        good = b"\x45" + bytes(range(1, 60))
        for pkt in runts + [good]:
            os.write(fd, pkt)
        got = app.rx(port, 2, timeout_ms=1500)
        assert [p.data for p in got] == [good]
        stats = app.stats(port)
        assert stats["ierrors"] == len(runts)
        assert stats["ipackets"] == 1
    finally:
        os.close(fd)
    app.cmd(f"stop {port}")
    assert pool_full(app)


def test_frame_larger_than_buffers(app, names, raw_socket):
    """The MTU raised behind the driver's back: the kernel truncates, we count."""
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.start_port(port)
    sh(f"ip link set {ifname} mtu 4000")
    sock = raw_socket(ifname)
    big, small = frame(3000, seq=1), frame(1514, seq=2)
    sock.send(big)
    sock.send(small)
    got = app.rx(port, 2, timeout_ms=1500)
    assert [p.data for p in got] == [small]
    assert app.stats(port)["ierrors"] == 1
    app.cmd(f"stop {port}")
    assert pool_full(app)


@pytest.mark.parametrize("multishot", [0, 1])
def test_stop_with_requests_in_flight(app_factory, names, raw_socket, multishot):
    """Stop cancels waiting reads (or the multishot read with its provided
    mbufs) and unreaped writes and frees each mbuf."""
    app = app_factory(pool_size=2048)
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname},multishot={multishot}")
    disable_ipv6(ifname)
    app.start_port(port, nb_rxq=2, nb_txq=2, desc=512)
    avail, size = app.pool()
    assert avail == size                    # reads are posted by the polling thread
    for q in range(2):
        assert app.rx(port, 1, timeout_ms=10, queue=q) == []
    # Now one read waits on each Rx queue, or each provides its 512 mbufs.
    held = 2 * 512 if "multishot" in app.cmd(f"qinfo {port} 0")[0][0] else 2
    assert multishot or held == 2
    assert app.pool()[0] == size - held
    sock = raw_socket(ifname)
    for i in range(50):
        sock.send(frame(200, seq=i))        # completed reads nobody reaps
    app.cmd(f"txburst {port} 1 300 100")    # completed writes not yet reaped
    assert app.pool()[0] < size - held
    app.cmd(f"stop {port}")
    assert pool_full(app)
    app.cmd(f"start {port}")
    # Frames still queued in the kernel arrive now; no completion of before.
    got = sum(len(app.rx(port, 64, timeout_ms=200, queue=q)) for q in range(2))
    assert got <= 50
    app.cmd(f"stop {port}")
    assert pool_full(app)
    app.cmd(f"start {port}")
    app.cmd(f"stop {port}")
    app.cmd(f"close {port}")
    assert pool_full(app)
    assert app.kernel_fds() == []


def test_failed_start_undoes_everything(app, names):
    """A start refused by a queue leaves the port stopped, its pool full, link down."""
    ifname = names()
    port = app.attach(f"net_rtap_{ifname},iface={ifname}")
    disable_ipv6(ifname)
    app.cmd(f"configure {port} 2 2")
    # 4000-byte frames do not fit 2 KB mbufs without scatter: queue start refuses.
    app.cmd(f"mtu {port} 4000")
    ok, _, rest = app.call(f"start {port}")
    assert not ok and rest.startswith("-22 ")
    assert "enable Rx scatter" in app.stderr()
    assert pool_full(app)
    assert "UP" not in sh(f"ip -br link show {ifname}").stdout.split()[1]
    assert app.kv(f"link {port}")["status"] == "0"

    app.cmd(f"mtu {port} 1500")
    app.cmd(f"start {port}")
    assert app.kv(f"link {port}")["status"] == "1"
    app.cmd(f"stop {port}")
    app.cmd(f"close {port}")
    assert pool_full(app)
    assert app.kernel_fds() == []
