#!/usr/bin/env python3
"""Cross-checks snapflow-pcap's filters against independent tools, packet for packet.

Each case is an fmadio filter (Filter=) with its equivalent as a tcpdump BPF expression or a
tshark display filter. The generated captures (plain IPv4/IPv6 with ARP and IGMP added, VLAN
tagged and untagged mixed, VXLAN as AWS Traffic Mirroring sends it, Geneve, GRE, ERSPAN II,
GTP-U, IP-in-IP) are spooled into rings with the real RingWriter; snapflow-pcap extract
--filter must keep exactly the packets that `tcpdump -r FILE -w - BPF` or
`tshark -r FILE -d udp.port==4789,vxlan -Y FILTER` keep. Inner (tunnelled) headers are checked
with tshark's own tunnel dissection and its layer operator (ip.src#2 is the inner address).
Usage: filter_crosscheck.py SNAPFLOW_PCAP SNAPFLOW_GEN RING_LOAD WORKDIR
"""
import os
import shutil
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcap_records import indices_in, read_pcap  # noqa: E402

PCAP, GEN, RING_LOAD, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]

START_NS = 1_795_392_000_000_000_000

# (capture, fmadio filter, "bpf" | "tshark", equivalent expression[, may match all or none])
CASES = [
    ("plain", "ether.proto==ipv4", "bpf", "ether proto 0x0800"),
    ("plain", "ether.proto==ipv6", "bpf", "ip6"),
    ("plain", "ether.proto==arp", "bpf", "arp"),
    ("plain", "ether.addr==02:00:00:00:00:05", "bpf", "ether host 02:00:00:00:00:05"),
    ("plain", "ether.addr.src==02:00:00:00:*", "tshark", "eth.src[0:4] == 02:00:00:00"),
    ("plain", "ether.addr.dst==02:ff:*:*:*:*", "tshark", "eth.dst[0:2] == 02:ff"),
    ("plain", "ipv4.addr==172.16.0.0/13", "bpf", "net 172.16.0.0/13"),
    ("plain", "ipv4.addr.src==10.0.0.0/26", "bpf", "src net 10.0.0.0/26"),
    ("plain", "ipv4.addr.dst==172.20.0.0/14", "bpf", "dst net 172.20.0.0/14"),
    ("plain", "ipv6.addr==fd00::/16", "bpf", "ip6 net fd00::/16"),
    ("plain", "ipv6.addr.dst==fd01::/64", "bpf", "ip6 dst net fd01::/64"),
    ("plain", "ipv4.proto==tcp", "bpf", "ip proto 6"),
    ("plain", "ipv4.proto==udp", "bpf", "ip proto 17"),
    ("plain", "ipv4.proto==icmp", "bpf", "icmp"),
    ("plain", "ipv4.proto==igmp", "bpf", "igmp"),
    ("plain", "ip.proto==tcp", "bpf", "tcp"),
    ("plain", "ipv6.proto==icmpv6", "bpf", "icmp6"),
    ("plain", "tcp.port==443", "bpf", "tcp port 443"),
    ("plain", "tcp.port==1000-2000", "bpf", "tcp portrange 1000-2000"),
    ("plain", "tcp.port.src==1024-30000", "bpf", "tcp src portrange 1024-30000"),
    ("plain", "tcp.port.dst==80,443", "bpf", "tcp dst port 80 or tcp dst port 443"),
    ("plain", "udp.port==53", "bpf", "udp port 53"),
    ("plain", "udp.port.dst==123", "bpf", "udp dst port 123"),
    ("plain", "frame.size<=128", "bpf", "len <= 128"),
    ("plain", "frame.size>1000", "bpf", "greater 1001"),
    ("plain", "frame.size==594", "bpf", "len == 594"),
    ("plain", "frame.time==20261123_00:00:00.100-20261123_00:00:00.150.000.500", "tshark",
     "frame.time_epoch >= 1795392000.1 && frame.time_epoch < 1795392000.1500005"),
    ("plain", "frame.time>=1795392000200000000ULL", "tshark", "frame.time_epoch >= 1795392000.2"),
    ("plain", "all_udp:ipv4.proto==udp;all_tcp:ipv4.proto==tcp;all_udp_port_5000:udp.port==53;"
              "expr=((!all_udp) & (all_tcp)) | all_udp_port_5000",
     "bpf", "(not ip proto 17 and ip proto 6) or udp port 53"),
    ("plain", "!tcp.port==80 & ipv4.addr.src==10.0.0.0/25", "bpf",
     "not tcp port 80 and src net 10.0.0.0/25"),
    ("plain", "tcp.port!=80 & tcp.port!=443", "tshark", "tcp.port != 80 && tcp.port != 443"),
    ("plain", "icmp.type==8", "bpf", "icmp[icmptype] == 8"),
    ("plain", "ipv4.addr.src==10.0.0.145,10.0.0.216", "bpf",
     "src host 10.0.0.145 or src host 10.0.0.216"),
    ("plain", "web:tcp.port==80|443;dns:udp.port==53;expr=(web|dns)&ether.proto==ipv6", "tshark",
     "(tcp.port == 80 || tcp.port == 443 || udp.port == 53) && ipv6"),
    ("mixed", "vlan.id==1234", "bpf", "vlan 1234"),
    ("mixed", "vlan.id==1234 & ipv4.proto==udp", "bpf", "vlan 1234 and ip proto 17"),
    ("mixed", "!vlan.id==1234", "bpf", "not vlan"),
    ("mixed", "ether.proto==ipv4", "tshark", "eth.type == 0x0800 || vlan.etype == 0x0800"),
    ("mixed", "vlan.id==1000-2000 & tcp.port==80", "tshark", "vlan.id == 1234 && tcp.port == 80"),
    ("vxlan", "vxlan.vni==1001", "tshark", "vxlan.vni == 1001"),
    ("vxlan", "inner.ipv4.addr.src==10.0.0.0/26", "tshark", "ip.src#2 == 10.0.0.0/26"),
    ("vxlan", "inner.tcp.port.dst==443", "tshark", "tcp.dstport == 443"),
    ("vxlan", "inner.ipv6.addr==fd00::/16", "tshark", "ipv6.addr == fd00::/16"),
    ("vxlan", "ipv4.addr.src==10.254.1.1", "bpf", "src host 10.254.1.1"),
    ("vxlan", "udp.port.dst==4789", "bpf", "udp dst port 4789", True),
    ("vxlan", "inner.ether.addr.src==02:00:00:00:00:05", "tshark", "eth.src#2 == 02:00:00:00:00:05"),
    ("vxlan", "inner.udp.port==53 & vxlan.vni==1002", "tshark",
     "udp.port#2 == 53 && vxlan.vni == 1002"),
    ("vxlan", "inner.ip.proto==icmp", "tshark", "ip.proto#2 == 1"),
    ("vxlan", "tunnel.type==vxlan & tunnel.id==1003", "tshark", "vxlan.vni == 1003"),
    ("geneve", "geneve.vni==1001", "tshark", "geneve.vni == 1001"),
    ("gtpu", "inner.ipv4.addr.dst==172.16.0.0/14", "tshark", "ip.dst#2 == 172.16.0.0/14"),
    ("gre", "inner.tcp.port==80", "tshark", "tcp.port == 80"),
    ("ipip", "inner.ipv4.addr.src==10.0.0.0/24", "tshark", "ip.src#2 == 10.0.0.0/24"),
    ("erspan2", "inner.ether.addr.src==02:00:*:*:00:07", "tshark",
     "eth.src#2[0:2] == 02:00 && eth.src#2[4:2] == 00:07"),
]

# BPF through snapflow-pcap --bpf: the same libpcap, so this checks the wiring (link type,
# wire length, combination with --filter).
BPF_CASES = [
    ("plain", "tcp port 443", None, "tcp port 443"),
    ("plain", "greater 600", "ipv4.proto==udp", "greater 600 and ip proto 17"),
    ("vxlan", "udp and src net 10.254.2.0/24", None, "udp and src net 10.254.2.0/24"),
]


def ethernet_ipv4(src_mac, dst_mac, src, dst, proto, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 1, proto, 0,
                         bytes(src), bytes(dst))
    total = sum(struct.unpack("!10H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    header = header[:10] + struct.pack("!H", ~total & 0xFFFF) + header[12:]
    return bytes(dst_mac) + bytes(src_mac) + b"\x08\x00" + header + payload


def write_extra(path):
    """ARP requests and IGMPv2 reports, which the generator does not make."""
    frames = []
    for k in range(40):
        mac = [0x00, 0xBA, 0xBE, 0, 0, k]
        if k % 2:
            arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes(mac),
                              bytes([10, 9, 0, k]), bytes(6), bytes([10, 9, 0, 200]))
            frame = bytes([0xFF] * 6) + bytes(mac) + b"\x08\x06" + arp
        else:
            igmp = struct.pack("!BBH4s", 0x16, 0, 0, bytes([239, 1, 1, k]))
            frame = ethernet_ipv4(mac, [0x01, 0x00, 0x5E, 0x01, 0x01, k], [10, 9, 0, k],
                                  [239, 1, 1, k], 2, igmp)
        frame += bytes(max(0, 60 - len(frame)))
        frames.append((START_NS + k * 7_000_000 + 333, frame))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        for ts, frame in frames:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(frame), len(frame)))
            f.write(frame)


def run(*cmd):
    return subprocess.run(list(cmd), check=True, capture_output=True)


class FilterCrossCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        common = ["--size", "imix", "--rate", "10000", "-q"]

        def gen(name, *args):
            path = os.path.join(WORKDIR, name + ".pcap")
            run(GEN, *common, *args, "-o", path)
            return path

        plain = gen("gen-plain", "--flows", "400", "--packets", "4000", "--ipv6", "0.3",
                    "--mix", "6,3,1", "--seed", "5")
        extra = os.path.join(WORKDIR, "extra.pcap")
        write_extra(extra)
        tagged = gen("gen-tagged", "--flows", "100", "--packets", "1500", "--vlan", "1234",
                     "--mix", "6,3,1", "--seed", "6")
        cls.captures = {"plain": os.path.join(WORKDIR, "plain.pcap"),
                        "mixed": os.path.join(WORKDIR, "mixed.pcap")}
        run("mergecap", "-F", "nsecpcap", "-w", cls.captures["plain"], plain, extra)
        run("mergecap", "-F", "nsecpcap", "-w", cls.captures["mixed"], plain, tagged)
        for tunnel in ("vxlan", "geneve", "gre", "erspan2", "gtpu", "ipip"):
            cls.captures[tunnel] = gen(tunnel, "--tunnel", tunnel, "--flows", "200", "--packets",
                                       "2000", "--ipv6", "0.3", "--mix", "6,3,1", "--seed", "7")
        cls.rings = {}
        cls.records = {}
        for name, path in cls.captures.items():
            ring = os.path.join(WORKDIR, "ring-" + name)
            run(RING_LOAD, "--ring", ring, "--segment-bytes", str(1 << 20), path)
            cls.rings[name] = ring
            cls.records[name] = read_pcap(path)[1]
            # The ring holds exactly the capture: filters are compared on the same packets.
            whole = subprocess.run([PCAP, "extract", "--ring", ring], capture_output=True,
                                   check=True).stdout
            with open(path, "rb") as f:
                assert whole == f.read(), name

    def ours(self, capture, filter_text=None, bpf=None):
        out = os.path.join(WORKDIR, "ours.pcap")
        cmd = [PCAP, "extract", "--ring", self.rings[capture], "-o", out]
        if filter_text:
            cmd += ["--filter", filter_text]
        if bpf:
            cmd += ["--bpf", bpf]
        r = subprocess.run(cmd, capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return indices_in(self.records[capture], read_pcap(out)[1])

    def tcpdump(self, capture, expression):
        out = os.path.join(WORKDIR, "tcpdump.pcap")
        run("tcpdump", "--time-stamp-precision=nano", "-r", self.captures[capture], "-w", out,
            expression)
        return indices_in(self.records[capture], read_pcap(out)[1])

    def tshark(self, capture, expression):
        r = run("tshark", "-n", "-r", self.captures[capture], "-d", "udp.port==4789,vxlan", "-Y",
                expression, "-T", "fields", "-e", "frame.number")
        return [int(n) - 1 for n in r.stdout.split()]

    def test_fmadio_filters_match_tcpdump_and_tshark(self):
        self.assertGreaterEqual(len(CASES), 30)
        for case in CASES:
            capture, fmadio, tool, expression = case[:4]
            trivial_ok = len(case) > 4
            with self.subTest(filter=fmadio):
                ours = self.ours(capture, filter_text=fmadio)
                theirs = (self.tcpdump if tool == "bpf" else self.tshark)(capture, expression)
                self.assertEqual(ours, theirs, f"{fmadio} vs {tool} '{expression}': "
                                 f"{len(ours)} vs {len(theirs)} packets")
                if not trivial_ok:
                    self.assertGreater(len(ours), 0, fmadio)
                    self.assertLess(len(ours), len(self.records[capture]), fmadio)

    def test_bpf_through_snapflow_matches_tcpdump(self):
        for capture, bpf, fmadio, expression in BPF_CASES:
            with self.subTest(bpf=bpf, filter=fmadio):
                ours = self.ours(capture, filter_text=fmadio, bpf=bpf)
                self.assertEqual(ours, self.tcpdump(capture, expression))
                self.assertGreater(len(ours), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
