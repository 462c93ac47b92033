#!/usr/bin/env python3
"""Cross-checks pcap2json's decoder against tshark on shapes the generator cannot make.

Captures are written here byte by byte (a small PCAP writer below), so every header is exactly
what the case needs:
  * IP fragment trains whose first fragment ends inside the TCP header (8 or 16 bytes of it,
    as nmap -f sends them), IPv4 and IPv6, interleaved with ordinary fragmented UDP: tshark
    (reassembly off, so it dissects each fragment on its own) reads the ports from the first
    fragment; the later fragments of a train (same addresses, protocol and IP id) belong to
    the same flow. pcap2json must give every fragment of a train the first fragment's ports.
  * VXLAN in VXLAN in VXLAN, inner Ethernet each time: tshark decodes all three levels; the
    innermost 5-tuple must be the flow in both.
Per-flow packets and bytes must be equal. Usage:
  tshark_decoder_cases.py PCAP2JSON SNAPFLOW_GEN WORKDIR
"""
import collections
import json
import os
import struct
import subprocess
import sys
import unittest

PCAP2JSON, _SNAPFLOW_GEN, WORKDIR = sys.argv[1:4]
del sys.argv[1:4]


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True)


# --- a minimal frame and PCAP writer ----------------------------------------------------------

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def ethernet(payload, ethertype=0x0800, src=b"\x02\0\0\0\0\x0b", dst=b"\x02\0\0\0\0\x0a"):
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ident=1, more=False, offset_units=0):
    flags = (0x2000 if more else 0) | offset_units
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0,
                         bytes(src), bytes(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, next_header, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), next_header, 64, bytes(src),
                       bytes(dst)) + payload


def ipv6_fragment(next_header, ident, offset_units, more, payload):
    return struct.pack("!BBHI", next_header, 0, (offset_units << 3) | int(more), ident) + payload


def tcp(sport, dport, flags, payload):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def vxlan(vni, payload):
    return struct.pack("!BBHI", 0x08, 0, 0, vni << 8) + payload


def write_pcap(name, frames):
    path = os.path.join(WORKDIR, name + ".pcap")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1_700_000_000 + i // 1000, (i % 1000) * 1000,
                                len(frame), len(frame)))
            f.write(frame)
    return path


# --- both sides' per-flow totals ---------------------------------------------------------------

def pcap2json_flows(path):
    out = run([PCAP2JSON, "--no-progress", "--no-totals", path]).stdout
    packets, bytes_ = collections.Counter(), collections.Counter()
    for line in out.splitlines():
        doc = json.loads(line)
        src, dst, net = doc.get("source", {}), doc.get("destination", {}), doc["network"]
        key = (src.get("ip"), dst.get("ip"), net.get("iana_number"), src.get("port"),
               dst.get("port"))
        packets[key] += net["packets"]
        bytes_[key] += net["bytes"]
    return packets, bytes_


def tshark_fragment_flows(path):
    """Per-flow totals with each fragment train keyed on its first fragment's ports."""
    fields = ["frame.len", "ip.src", "ip.dst", "ip.proto", "ip.id", "ipv6.src", "ipv6.dst",
              "ipv6.nxt", "ipv6.fraghdr.nxt", "ipv6.fraghdr.ident", "tcp.srcport",
              "tcp.dstport", "udp.srcport", "udp.dstport"]
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o",
           "ipv6.defragment:FALSE", "-T", "fields", "-E", "separator=|"]
    for field in fields:
        cmd += ["-e", field]
    frames = []
    train_ports = {}
    for line in run(cmd).stdout.splitlines():
        v = dict(zip(fields, line.split("|")))
        if v["ipv6.src"]:
            proto = v["ipv6.fraghdr.nxt"] or v["ipv6.nxt"]
            train = (v["ipv6.src"], v["ipv6.dst"], proto, v["ipv6.fraghdr.ident"])
        else:
            proto = v["ip.proto"]
            train = (v["ip.src"], v["ip.dst"], proto, v["ip.id"])
        sport = v["tcp.srcport"] or v["udp.srcport"]
        dport = v["tcp.dstport"] or v["udp.dstport"]
        if sport:
            train_ports[train] = (int(sport), int(dport))
        frames.append((train, int(v["frame.len"])))
    packets, bytes_ = collections.Counter(), collections.Counter()
    for train, length in frames:
        sport, dport = train_ports.get(train, (None, None))
        key = (train[0], train[1], train[2], sport, dport)
        packets[key] += 1
        bytes_[key] += length
    return packets, bytes_


def tshark_innermost_flows(path):
    """Per-flow totals from the innermost (last occurrence) IPv4/TCP fields."""
    fields = ["frame.len", "ip.src", "ip.dst", "ip.proto", "tcp.srcport", "tcp.dstport"]
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=l", "-E",
           "separator=|"]
    for field in fields:
        cmd += ["-e", field]
    packets, bytes_ = collections.Counter(), collections.Counter()
    for line in run(cmd).stdout.splitlines():
        v = dict(zip(fields, line.split("|")))
        key = (v["ip.src"], v["ip.dst"], v["ip.proto"], int(v["tcp.srcport"]),
               int(v["tcp.dstport"]))
        packets[key] += 1
        bytes_[key] += int(v["frame.len"])
    return packets, bytes_


# --- the captures ------------------------------------------------------------------------------

def fragment_trains():
    """IPv4 and IPv6 TCP trains with 8- and 16-byte first fragments, and UDP trains, interleaved."""
    frames = []
    trains = []
    for n in range(40):
        src, dst = [10, 0, n // 256, n % 256], [10, 1, 0, 1 + n % 7]
        segment = tcp(20000 + n, 80 + n % 3, 0x18, bytes(range(48)))
        first = 8 if n % 2 == 0 else 16
        trains.append([
            ethernet(ipv4(src, dst, 6, segment[:first], ident=1000 + n, more=True)),
            ethernet(ipv4(src, dst, 6, segment[first:], ident=1000 + n,
                          offset_units=first // 8)),
        ])
        src6 = bytes([0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n + 1])
        dst6 = bytes([0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
        trains.append([
            ethernet(ipv6(src6, dst6, 44, ipv6_fragment(6, 5000 + n, 0, True, segment[:8])),
                     0x86DD),
            ethernet(ipv6(src6, dst6, 44, ipv6_fragment(6, 5000 + n, 1, False, segment[8:])),
                     0x86DD),
        ])
        datagram = udp(30000 + n, 53, bytes(64))
        trains.append([
            ethernet(ipv4(src, dst, 17, datagram[:40], ident=3000 + n, more=True)),
            ethernet(ipv4(src, dst, 17, datagram[40:], ident=3000 + n, offset_units=5)),
        ])
    # Interleave: every train's first fragment, then every later fragment.
    frames += [t[0] for t in trains]
    frames += [t[1] for t in trains]
    return frames


def nested_vxlan():
    frames = []
    for n in range(30):
        packet = ethernet(ipv4([192, 168, 1, 1 + n % 5], [192, 168, 2, 1], 6,
                               tcp(1000 + n, 443, 0x10, bytes(n))),
                          src=b"\x02\0\0\0\0\x0d", dst=b"\x02\0\0\0\0\x0c")
        for level in (3, 2, 1):
            packet = ethernet(ipv4([10, level, 0, 1], [10, level, 0, 2], 17,
                                   udp(50000 + level, 4789, vxlan(level, packet))))
        frames.append(packet)
    return frames


class TsharkDecoderCases(unittest.TestCase):
    def assert_same(self, ours, theirs):
        ours_p, ours_b = ours
        theirs_p, theirs_b = theirs
        self.assertGreater(len(ours_p), 0)
        self.assertEqual(sum(ours_p.values()), sum(theirs_p.values()), "total packets")
        self.assertEqual(dict(ours_p), dict(theirs_p), "per-flow packets")
        self.assertEqual(dict(ours_b), dict(theirs_b), "per-flow bytes")

    def test_first_fragments_shorter_than_the_tcp_header_key_the_train_on_their_ports(self):
        path = write_pcap("fragments", fragment_trains())
        ours = pcap2json_flows(path)
        self.assert_same(ours, tshark_fragment_flows(path))
        # No fragment is keyed without ports or on port 0.
        for key in ours[0]:
            self.assertTrue(key[3], key)

    def test_vxlan_in_vxlan_in_vxlan(self):
        path = write_pcap("vxlan3", nested_vxlan())
        ours = pcap2json_flows(path)
        self.assert_same(ours, tshark_innermost_flows(path))
        for key in ours[0]:
            self.assertTrue(key[0].startswith("192.168."), key)


if __name__ == "__main__":
    os.makedirs(WORKDIR, exist_ok=True)
    unittest.main(verbosity=2)
