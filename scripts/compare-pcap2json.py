#!/usr/bin/env python3
"""Byte-for-byte output comparison of two pcap2json builds: the check of a pure speed-up.

Generates captures once into WORKDIR (snapflow-gen for every tunnel type, IPv6, VLANs, ICMP,
reordered timestamps; plus one hand-written capture of the odd shapes the generator cannot make:
IP fragment trains with short first fragments, MPLS, three VLAN tags, LLC, ARP, IPv6 extension
headers, truncated frames, frames of 64 KiB and more, wire lengths that overflow 32-bit sums,
one flow of thousands of packets, Linux SLL2 and raw IP captures), then runs both binaries
with every option set below on every capture and compares the outputs (and the --stats
account line) byte by byte. Exits 1 on the first difference, naming the capture and options.

Usage: scripts/compare-pcap2json.py REFERENCE_PCAP2JSON NEW_PCAP2JSON SNAPFLOW_GEN WORKDIR
"""
import hashlib
import os
import random
import struct
import subprocess
import sys

REF, NEW, GEN, WORK = sys.argv[1:5]

OPTION_SETS = [
    [],
    ["--bulk"],
    ["--format", "fmadio"],
    ["--top-n", "3"],
    ["--bulk", "--top-n", "1", "--format", "fmadio"],
    ["--json-packet"],
    ["--json-packet", "--format", "fmadio", "--bulk"],
    ["--interval", "1ms", "--reorder-window", "5ms"],
    ["--interval", "2ms", "--reorder-window", "0ns", "--top-n", "2"],
    ["--interval", "1s", "--no-totals", "--no-community-id"],
    ["--no-tunnels"],
    ["--vxlan-port", "6081"],
    ["--batch-packets", "7", "--threads", "1"],
    ["--threads", "2", "--gzip"],
    ["--threads", "3", "--bulk", "--interval", "1ms", "--batch-packets", "100"],
    ["--threads", "2", "--top-n", "2", "--reorder-window", "0ns"],
]


def pcap_header(link_type):
    return struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, link_type)


def record(ts_ns, frame, wire=None):
    wire = len(frame) if wire is None else wire
    return struct.pack("<IIII", ts_ns // 10**9, ts_ns % 10**9, len(frame), wire) + frame


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def eth(payload, ethertype=0x0800, src=b"\x02\0\0\0\0\x0b", dst=b"\x02\0\0\0\0\x0a"):
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ident=1, more=False, offset=0, total=None):
    flags = (0x2000 if more else 0) | offset
    length = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length & 0xFFFF, ident, flags, 64, proto, 0,
                    bytes(src), bytes(dst))
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:] + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64, bytes(src), bytes(dst)) + payload


def tcp(sport, dport, flags=0x10, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def odd_shapes(path, link=1):
    """Every shape the fast path must leave to decode(), interleaved with ones it takes, in
    reordered time (stragglers within the window and late packets beyond it)."""
    rnd = random.Random(11)
    a, b, c = [10, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 9]
    v6a, v6b = [0xfd] + [0] * 14 + [1], [0xfd] + [0] * 14 + [2]
    frames = []
    for i in range(40):  # fragment trains: short first fragments, normal ones, orphans
        ident = 100 + i
        first = tcp(1000 + i, 80)[:8] if i % 2 else udp(2000 + i, 53, b"x" * 24)
        frames.append(eth(ipv4(a, b, 6 if i % 2 else 17, first, ident, more=True)))
        frames.append(eth(ipv4(a, b, 6 if i % 2 else 17, b"y" * 16, ident, offset=1 + len(first) // 8)))
        if i % 5 == 0:
            frames.append(eth(ipv4(c, b, 17, b"z" * 8, 9000 + i, offset=3)))  # orphan
    frag6 = struct.pack("!BBHI", 17, 0, 1, 77)  # first fragment, M set
    frames.append(eth(ipv6(v6a, v6b, 44, frag6 + udp(5, 6, b"q" * 8)), 0x86DD))
    frames.append(eth(ipv6(v6a, v6b, 44, struct.pack("!BBHI", 17, 0, 3 << 3, 77) + b"r" * 8), 0x86DD))
    hop = struct.pack("!BB6s", 6, 0, b"\0" * 6)
    frames.append(eth(ipv6(v6a, v6b, 0, hop + tcp(7, 8)), 0x86DD))
    mpls = struct.pack("!I", (100 << 12) | (1 << 8) | 64)
    frames.append(eth(mpls + ipv4(a, c, 17, udp(1, 2)), 0x8847))
    tags = struct.pack("!HHHHHH", 1, 0x8100, 2, 0x8100, 3, 0x0800)
    frames.append(eth(tags + ipv4(a, c, 6, tcp(3, 4)), 0x8100))
    frames.append(eth(struct.pack("!HH", 5, 0x0800) + ipv4(a, c, 6, tcp(3, 4)), 0x88A8))
    frames.append(eth(b"\xaa\xaa\x03" + b"\0" * 40, 0x0030))  # LLC
    frames.append(eth(b"\0\x01\x08\x00\x06\x04\0\x01" + b"\x02" * 20, 0x0806))  # ARP
    frames.append(eth(ipv4(a, c, 1, struct.pack("!BBHHH", 8, 0, 0, 1, 1))))
    frames.append(eth(ipv4(a, c, 132, struct.pack("!HHII", 9, 10, 0, 0))))
    frames.append(eth(ipv4(a, c, 47, struct.pack("!HH", 0, 0x0800) + ipv4(b, c, 17, udp(1, 1)))))
    frames.append(eth(ipv4(a, c, 89, b"o" * 30)))
    vx = struct.pack("!BBHI", 0x08, 0, 0, 42 << 8)
    inner = eth(ipv4(c, a, 6, tcp(443, 5000, 0x18)))
    frames.append(eth(ipv4(a, b, 17, udp(1, 4789, vx + inner))))
    frames.append(eth(ipv4(a, b, 17, udp(1, 4789, b"\0" * 8 + inner))))  # no I flag
    frames.append(eth(ipv4(a, b, 17, udp(1, 6081, b"\0" * 8 + inner))))
    recs = []
    t = 1_700_000_000_000_000_000
    for i in range(3000):
        t += rnd.randrange(0, 400_000)
        ts = t - (rnd.randrange(0, 30_000_000) if rnd.random() < 0.08 else 0)  # stragglers, late
        kind = rnd.random()
        if kind < 0.5:
            frame = frames[rnd.randrange(len(frames))]
            cut = rnd.choice([None, None, None, 20, 34, 40, 54])
            if cut and cut < len(frame):
                recs.append(record(ts, frame[:cut], len(frame)))
                continue
            recs.append(record(ts, frame))
        elif kind < 0.8:  # one big flow: thousands of packets, every flag combination
            recs.append(record(ts, eth(ipv4(a, b, 6, tcp(5555, 443, rnd.randrange(256))))))
        elif kind < 0.9:  # frames of 64 KiB and more, wire lengths near 2^32
            frame = eth(ipv4(b, a, 17, udp(7, 7)))
            recs.append(record(ts, frame, rnd.choice([65534, 65535, 65536, 70000, 4_000_000_000])))
        else:
            flow = rnd.randrange(200)
            recs.append(record(ts, eth(ipv4(a, [10, 1, flow, 1], 17, udp(flow, 53)))))
    with open(path, "wb") as f:
        f.write(pcap_header(link))
        f.write(b"".join(recs))
    if link == 1:  # the same packets as Linux SLL2 and (IP only) raw IP captures
        with open(path.replace(".pcap", "-sll2.pcap"), "wb") as f:
            f.write(pcap_header(276))
            for i in range(0, len(frames)):
                fr = frames[i]
                sll2 = fr[12:14] + b"\0\0" + struct.pack("!IHBB", 1, 1, 0, 6) + fr[6:12] + b"\0\0"
                f.write(record(1_700_000_000_000_000_000 + i * 1000, sll2 + fr[14:]))
        with open(path.replace(".pcap", "-raw.pcap"), "wb") as f:
            f.write(pcap_header(101))
            for i, fr in enumerate(frames):
                if fr[12:14] in (b"\x08\x00", b"\x86\xdd"):
                    f.write(record(1_700_000_000_000_000_000 + i * 1000, fr[14:]))


def captures():
    os.makedirs(WORK, exist_ok=True)
    out = []
    gen_sets = [("plain", []), ("vlan-v6-icmp", ["--vlan", "42", "--ipv6", "0.4", "--mix", "5,3,2"])]
    gen_sets += [("tunnel-" + t, ["--tunnel", t, "--ipv6", "0.2"])
                 for t in ("vxlan", "geneve", "gre", "erspan2", "erspan3", "gtpu", "ipip")]
    gen_sets += [("jitter", ["--jitter", "40000000", "--mix", "6,3,1"]),
                 ("imix", ["--size", "imix", "--flows", "5000"])]
    for name, args in gen_sets:
        path = os.path.join(WORK, name + ".pcap")
        if not os.path.exists(path):
            subprocess.run([GEN, "-q", "-o", path, "--flows", "300", "--packets", "30000",
                            "--rate", "200000", "--seed", "5"] + args, check=True)
        out.append(path)
    odd = os.path.join(WORK, "odd.pcap")
    odd_shapes(odd)
    out += [odd, odd.replace(".pcap", "-sll2.pcap"), odd.replace(".pcap", "-raw.pcap")]
    return out


def run(binary, capture, options, out_path):
    # One thread unless the set says otherwise: fmadio's FlowCnt numbers documents per encoder
    # thread, so with several threads it depends on scheduling (in every build).
    if "--threads" not in options:
        options = options + ["--threads", "1"]
    cmd = [binary, "--no-progress", "--stats", "--observer", "cmp", "--capture", "cmp",
           "-o", out_path] + options + [capture]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    account = [l for l in proc.stderr.splitlines() if l.startswith(("documents account", "late", "fragments", "decode "))]
    with open(out_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return proc.returncode, digest, account


def main():
    compared = 0
    for capture in captures():
        for options in OPTION_SETS:
            ref = run(REF, capture, options, os.path.join(WORK, "ref.out"))
            new = run(NEW, capture, options, os.path.join(WORK, "new.out"))
            if ref != new:
                print("DIFFERENT: %s %s\n  reference %s\n  new       %s" % (
                    os.path.basename(capture), " ".join(options), ref, new))
                return 1
            compared += 1
    print("%d runs compared (%d captures x %d option sets): all outputs identical" % (
        compared, compared // len(OPTION_SETS), len(OPTION_SETS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
