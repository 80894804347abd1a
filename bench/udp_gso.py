# SPDX-License-Identifier: BSD-3-Clause
"""UDP with segmentation offload, for the benchmark's udp_gso row.

    udp_gso.py recv <addr> <secs>      print the payload bytes received
    udp_gso.py send <addr> <secs>      send 64 KB UDP_SEGMENT writes for secs

The sender writes 46 datagrams of 1400 bytes at a time (one GSO super-frame
the kernel cuts, or hands whole to a driver that takes USO); the receiver
reads with UDP_GRO, so that neither end costs a system call a datagram. The
receiver stops one second after the last datagram, or at secs + 5.
"""

import errno
import socket
import sys
import time

UDP_SEGMENT, UDP_GRO = 103, 104
GSO_SIZE, NB_SEGS, PORT = 1400, 46, 5300


def recv(addr, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_UDP, UDP_GRO, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
    s.bind((addr, PORT))
    print("listening", flush=True)
    total, deadline = 0, time.monotonic() + secs + 5
    s.settimeout(secs + 5)
    buf = bytearray(1 << 16)
    while time.monotonic() < deadline:
        try:
            total += s.recv_into(buf)
        except socket.timeout:
            break
        s.settimeout(1)
    print(total, flush=True)


def send(addr, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_UDP, UDP_SEGMENT, GSO_SIZE)
    s.connect((addr, PORT))
    data = bytes(GSO_SIZE * NB_SEGS)
    sent, deadline = 0, time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            sent += s.send(data)
        except OSError as e:
            # A full queue (ENOBUFS), or an ICMP error from before the receiver bound.
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN, errno.ECONNREFUSED):
                raise
    print(sent, flush=True)


if __name__ == "__main__":
    {"recv": recv, "send": send}[sys.argv[1]](sys.argv[2], float(sys.argv[3]))
