#!/usr/bin/env python3
"""UDP traffic for the forwarder end-to-end tests (run inside a network namespace).

  udp_probe.py send HOST PORT COUNT SIZE      sends COUNT datagrams of SIZE bytes, paced
  udp_probe.py recv HOST PORT IDLE_SECONDS    prints how many datagrams and bytes arrived
                                              before IDLE_SECONDS passed without one
  udp_probe.py geneve HOST PCAP VNI           sends every frame of the Ethernet PCAP file as
                                              one Geneve datagram (UDP 6081, protocol 0x6558),
                                              the way a Gateway Load Balancer would
"""
import socket
import struct
import sys
import time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def send(host, port, count, size):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    payload = bytes((i * 7 + 1) & 0xFF for i in range(size))
    for i in range(count):
        s.sendto(payload, (host, port))
        if i % 50 == 49:
            time.sleep(0.01)  # veth queues are deep; pacing keeps every receiver caught up
    print(count)


def recv(host, port, idle):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((host, port))
    print("ready", flush=True)
    s.settimeout(idle)
    n = 0
    total = 0
    try:
        while True:
            data = s.recv(65535)
            n += 1
            total += len(data)
    except socket.timeout:
        pass
    print(n, total, flush=True)


def pcap_frames(path):
    with open(path, "rb") as f:
        header = f.read(24)
        magic = struct.unpack("<I", header[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            _, _, caplen, _ = struct.unpack(endian + "IIII", rec)
            yield f.read(caplen)


def geneve(host, path, vni):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    header = struct.pack("!BBHI", 0, 0, 0x6558, vni << 8)
    n = 0
    for frame in pcap_frames(path):
        s.sendto(header + frame, (host, 6081))
        n += 1
        if n % 50 == 0:
            time.sleep(0.01)
    print(n)


def main():
    cmd = sys.argv[1]
    if cmd == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "recv":
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "geneve":
        geneve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
