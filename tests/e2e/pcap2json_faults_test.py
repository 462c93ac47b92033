#!/usr/bin/env python3
"""Capture-side faults through pcap2json (issue 13, item 4), no root needed:

  * bit flips in committed ring segments: pcap2json --ring emits one snapflow.gap document with
    snapflow.gap.reason "corrupt" per damaged extent instead of garbage flows, and the flow plus
    gap documents add up to every packet and byte written into the ring;
  * a capture clock jumping hours backwards and forwards: pcap2json (files and --ring) counts
    the late packets, keeps its memory bounded (peak RSS within a small margin of the same
    packets in time order) and its sums exact.

Rings are written from capture files by ring_from_pcap (a test tool: snapflow-capture would
stamp the packets with the capture time). Documents go to NDJSON files.
Usage: pcap2json_faults_test.py PCAP2JSON SNAPFLOW_GEN RING_FROM_PCAP WORKDIR
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import unittest

PCAP2JSON, SNAPFLOW_GEN, RING_FROM_PCAP, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]
HOUR_NS = 3600 * 10**9


def read_pcap(path):
    """Records (ts_ns, data, wire) of a classic PCAP file (µs or ns, little-endian)."""
    with open(path, "rb") as f:
        blob = f.read()
    magic = struct.unpack_from("<I", blob)[0]
    scale = 1 if magic == 0xA1B23C4D else 1000
    out, off = [], 24
    while off + 16 <= len(blob):
        sec, frac, cap, wire = struct.unpack_from("<IIII", blob, off)
        out.append((sec * 10**9 + frac * scale, blob[off + 16:off + 16 + cap], wire))
        off += 16 + cap
    return out


def write_pcap(path, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        for ts, data, wire in records:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(data), wire))
            f.write(data)


def run_pcap2json(*args):
    """Runs pcap2json; returns the result and its peak RSS in MiB, measured by GNU time (from
    a small parent: a process's own ru_maxrss includes the image it was forked from)."""
    rss_file = os.path.join(WORKDIR, "rss")
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, PCAP2JSON, "--no-progress",
                        "--stats", "--observer", "t", *args], capture_output=True, text=True)
    with open(rss_file) as f:
        rss_mib = int(f.read().split()[-1]) / 1024
    return r, rss_mib


def documents(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def sums(docs, dataset):
    chosen = [d for d in docs if d["event"]["dataset"] == dataset]
    return (len(chosen), sum(d["network"]["packets"] for d in chosen),
            sum(d["network"]["bytes"] for d in chosen))


def stat(stderr, name):
    m = re.search(r"^" + re.escape(name) + r"\s+([0-9.]+)", stderr, re.M)
    return float(m.group(1)) if m else None


def ring_from(ring, pcap, segment_bytes, segments, checksum_block=64 << 10):
    """A ring large enough to hold the whole file (nothing overwritten)."""
    shutil.rmtree(ring, ignore_errors=True)
    r = subprocess.run([RING_FROM_PCAP, ring, str(segment_bytes), str(segments),
                        str(checksum_block), pcap], capture_output=True, text=True, check=True)
    return r.stdout


class Pcap2JsonFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.base = os.path.join(WORKDIR, "base.pcap")
        subprocess.run([SNAPFLOW_GEN, "-q", "-o", cls.base, "--flows", "2000", "--packets",
                        "200000", "--size", "imix", "--rate", "200000", "--seed", "9"],
                       check=True)
        cls.records = read_pcap(cls.base)
        cls.total = (len(cls.records), sum(r[2] for r in cls.records))

    def path(self, name):
        return os.path.join(WORKDIR, name)

    def flip(self, path, offset):
        with open(path, "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ 0x20]))

    def test_bit_flips_become_corrupt_gap_documents_and_sums_stay_exact(self):
        ring = self.path("ring-flips")
        ring_from(ring, self.base, 1 << 20, 128)
        seg = lambda slot: os.path.join(ring, "seg-%05d.pcap" % slot)
        self.flip(seg(0), 100 * 1024 + 7)       # one block of segment 1
        self.flip(seg(2), 300 * 1024 + 1)       # two adjacent blocks of segment 3: one extent
        self.flip(seg(2), 64 * 1024 * 5 + 40)
        self.flip(seg(4), 24 + 5)               # the first record's header of segment 5
        out = self.path("flips.ndjson")
        r, _ = run_pcap2json("--ring", ring, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = documents(out)
        gaps = [d for d in docs if d["event"]["dataset"] == "snapflow.gap"]
        self.assertEqual(len(gaps), 3, r.stderr)
        for g in gaps:
            self.assertEqual(g["snapflow"]["gap"]["reason"], "corrupt")
            self.assertGreater(g["network"]["packets"], 0)
        _, flow_packets, flow_bytes = sums(docs, "snapflow.flow")
        _, gap_packets, gap_bytes = sums(docs, "snapflow.gap")
        self.assertEqual((flow_packets + gap_packets, flow_bytes + gap_bytes), self.total)
        # The totals documents agree with the flows (nothing damaged was counted twice).
        _, total_packets, total_bytes = sums(docs, "snapflow.totals")
        self.assertEqual((total_packets, total_bytes), (flow_packets, flow_bytes))
        self.assertIn("gaps                3", r.stderr)
        self.assertEqual(stat(r.stderr, "packets"), flow_packets)

    def jumpy(self):
        """The base packets with the clock jumping: 3 h back, 5 h forward, back to the start,
        1 h back, in stretches of 40000 packets (2 s of capture at 20 kpps each)."""
        shifts = [0, -3 * HOUR_NS, 5 * HOUR_NS, 10**9, -HOUR_NS]
        out = []
        for i, (ts, data, wire) in enumerate(self.records):
            out.append((ts + shifts[min(i // 40000, len(shifts) - 1)], data, wire))
        path = self.path("jumpy.pcap")
        write_pcap(path, out)
        return path

    def check_run(self, args, expect_late):
        out = self.path("out.ndjson")
        r, rss = run_pcap2json(*args, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = documents(out)
        _, flow_packets, flow_bytes = sums(docs, "snapflow.flow")
        self.assertEqual((flow_packets, flow_bytes), self.total, r.stderr)
        self.assertIn(": exact", r.stderr)
        late = stat(r.stderr, "late packets")
        if expect_late:
            self.assertGreater(late, 0, r.stderr)
        late_docs = sum(d["snapflow"].get("late", {}).get("packets", 0) for d in docs
                        if d["event"]["dataset"] == "snapflow.flow")
        self.assertEqual(late_docs, late, r.stderr)
        if args[0] != "--ring":
            steps = re.search(r"clock stepped back +(\d+) times", r.stderr)
            self.assertEqual(int(steps.group(1)) if steps else 0,
                             3 if "jumpy" in args[0] else 0, r.stderr)
        return rss, stat(r.stderr, "peak flow memory"), late

    def test_clock_jumps_keep_memory_bounded_and_sums_exact(self):
        ordered = self.path("ordered.pcap")
        write_pcap(ordered, self.records)
        jumpy = self.jumpy()
        results = {}
        # A file's clock steps back three times: each begins new snapshots (decision 0007), so
        # nothing is late. The ring folds the stretches behind into late packets.
        for name, args, late in [("file, time order", [ordered], False),
                                 ("file, clock jumps", [jumpy], False)]:
            results[name] = self.check_run(args, expect_late=late)
        ring = self.path("ring-jumpy")
        ring_from(ring, jumpy, 8 << 20, 32)
        ring_ordered = self.path("ring-ordered")
        ring_from(ring_ordered, ordered, 8 << 20, 32)
        for name, args, late in [("--ring, time order", ["--ring", ring_ordered], False),
                                 ("--ring, clock jumps", ["--ring", ring], True)]:
            results[name] = self.check_run(args, expect_late=late)
        for name, (rss, flow_mib, late) in results.items():
            print(f"{name}: peak RSS {rss:.1f} MiB, peak flow memory {flow_mib} MiB, "
                  f"{late:.0f} late packets", file=sys.stderr)
        for kind in ("file", "--ring"):
            ordered_rss, ordered_flows, _ = results[kind + ", time order"]
            jumpy_rss, jumpy_flows, late = results[kind + ", clock jumps"]
            # The three stretches that went back in time.
            self.assertEqual(late, 0 if kind == "file" else 120000)
            self.assertLessEqual(jumpy_flows, ordered_flows * 1.25 + 1)
            self.assertLessEqual(jumpy_rss, ordered_rss * 1.25 + 16)


if __name__ == "__main__":
    unittest.main()
