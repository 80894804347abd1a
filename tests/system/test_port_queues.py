# SPDX-License-Identifier: BSD-3-Clause
"""Multi-queue: the kernel spreads flows over the Rx queues, every Tx queue reaches it."""

import struct

from conftest import frame
from test_datapath import tap_port


def udp_frame(dst_mac, sport, seq):
    """An Ethernet/IPv4/UDP frame of flow (sport -> 9000) carrying seq."""
    payload = struct.pack("!II", sport, seq) + bytes(32)
    udp = struct.pack("!HHHH", sport, 9000, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF, 0, 64, 17, 0,
                     bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2])) + udp
    return dst_mac + bytes.fromhex("020000000001") + b"\x08\x00" + ip


def rx_all(app, port, nb_queues, count, timeout_ms=3000):
    data, rest = app.cmd(f"rxall {port} {nb_queues} {count} {timeout_ms}")
    got = [(int(q), bytes.fromhex(h)) for _, q, h in (line.split() for line in data)]
    assert int(rest) == len(got)
    return got


def port_mac(app, port):
    return bytes.fromhex(app.kv(f"info {port}")["mac"].replace(":", ""))


def send_flows(sock, mac, flows, per_flow):
    sent = [udp_frame(mac, 20000 + f, s) for s in range(per_flow) for f in range(flows)]
    for f in sent:
        assert sock.send(f) == len(f)
    return sent


def test_flows_spread_over_rx_queues(app, names, raw_socket):
    port, ifname = tap_port(app, names, nb_rxq=4, nb_txq=4)
    sock = raw_socket(ifname)
    mac = port_mac(app, port)

    sent = send_flows(sock, mac, flows=64, per_flow=4)
    got = rx_all(app, port, 4, len(sent) + 1, timeout_ms=3000)

    # Every frame exactly once, none extra, and a flow stays on one queue.
    assert sorted(f for _, f in got) == sorted(sent)
    queues = {q for q, _ in got}
    assert len(queues) > 1
    flow_queue = {}
    for q, f in got:
        assert flow_queue.setdefault(f[34:36], q) == q
    stats = app.stats(port)
    assert stats["ipackets"] == len(sent)
    xs = app.xstats(port)
    assert sum(xs[f"rx_q{q}_packets"] for q in range(4)) == len(sent)
    for q in range(4):
        assert xs[f"rx_q{q}_packets"] == sum(1 for gq, _ in got if gq == q)


def test_tx_on_every_queue_reaches_kernel(app, names, raw_socket):
    port, ifname = tap_port(app, names, nb_rxq=4, nb_txq=4)
    sock = raw_socket(ifname)

    sent = {}
    for q in range(4):
        for i in range(8):
            f = frame(100 + q, seq=q * 100 + i)
            assert app.tx(port, f, queue=q) == 1
            sent.setdefault(q, []).append(f)
    got = sock.recv_all(32)

    assert sorted(got) == sorted(f for fs in sent.values() for f in fs)
    xs = app.xstats(port)
    for q in range(4):
        assert xs[f"tx_q{q}_packets"] == 8
        assert xs[f"tx_q{q}_bytes"] == 8 * (100 + q)


def test_reconfigure_queue_counts(app, names, raw_socket):
    port, ifname = tap_port(app, names, nb_rxq=4, nb_txq=4)
    mac = port_mac(app, port)

    for nb_q in (2, 1, 3):
        app.cmd(f"stop {port}")
        app.start_port(port, nb_rxq=nb_q, nb_txq=nb_q)
        # A packet socket reports the interface going down once: a fresh one.
        sock = raw_socket(ifname)
        sent = send_flows(sock, mac, flows=32, per_flow=2)
        got = rx_all(app, port, nb_q, len(sent) + 1, timeout_ms=2000)
        # Nothing steered to a queue that no longer exists: all arrive.
        assert sorted(f for _, f in got) == sorted(sent)
        assert app.stats(port)["imissed"] == 0
        assert len([t for t in app.kernel_fds() if "tun" in t]) == 16
