#!/usr/bin/env python3
"""pcap2json --forward-rules / --mirror-sessions against a real Elasticsearch / OpenSearch node.

A capture holds what a bump-in-the-wire probe stores for one rule (A 10.1.0.2, capture 10.1.0.1,
egress 10.2.0.1, B 10.2.0.2): every one of the six address patterns of docs/decisions/0040, before
and after the rule's second version (renamed "web" -> "api" at T0 + 300 ms), and mirrored VXLAN
traffic of VNI 64 ("web-tier") and 65 (unnamed). The daemon's state files are written as the
daemon writes them. Checked on the server, through the index template's mappings: term
aggregations over snapflow.capture_mode, snapflow.rule.{id,name,direction} and
labels.mirror_session sum exactly the packets each must have; a re-run is entirely "already
present" (the indexer compares every 409 byte for byte); a re-run *without* the files into the
same indices is refused as conflicting documents, so the annotation is part of what is verified.

Usage: forward_rules_search_test.py PCAP2JSON SNAPFLOW_INDEX WORKDIR
Environment: SNAPFLOW_SEARCH_FLAVOUR, SNAPFLOW_SOURCE_DIR (or SNAPFLOW_SEARCH_URL).
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcap2json_search as ps  # noqa: E402

PCAP2JSON, SNAPFLOW_INDEX, WORKDIR = sys.argv[1:4]
del sys.argv[1:4]
FLAVOUR = os.environ.get("SNAPFLOW_SEARCH_FLAVOUR", "opensearch")
SOURCE_DIR = os.environ.get("SNAPFLOW_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

T0 = 1_700_000_000_000_000_000
# On a snapshot boundary: a flow document takes the version of its first packet, so with the
# change inside a snapshot the per-packet expectation below would not be per document.
CHANGE = T0 + 300_000_000
A, CAPTURE, EGRESS, B = "10.1.0.2", "10.1.0.1", "10.2.0.1", "10.2.0.2"
# (source, destination) -> (mode, direction): the six patterns of one rule.
PATTERNS = {(A, CAPTURE): ("ingress", "a_to_b"), (B, EGRESS): ("ingress", "b_to_a"),
            (EGRESS, B): ("egress", "a_to_b"), (CAPTURE, A): ("egress", "b_to_a"),
            (A, B): ("inline", "a_to_b"), (B, A): ("inline", "b_to_a")}


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_frame(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, 1))
        for ts, frame in frames:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(frame), len(frame)))
            f.write(frame)


def build_capture(path):
    """Frames and the expected packet sums by (mode, id, name, direction) and session."""
    frames, by_rule, by_session = [], {}, {}
    n = 0
    for i in range(40):  # 40 packets of every pattern, 10 ms apart: across CHANGE
        ts = T0 + 50_000_000 + i * 10_000_000
        for (src, dst), (mode, direction) in PATTERNS.items():
            n += 1
            frames.append((ts + n, udp_frame(src, dst, 40000, 9000, b"x" * 30)))
            key = (mode, "1", "web" if ts + n < CHANGE else "api", direction)
            by_rule[key] = by_rule.get(key, 0) + 1
        for vni, session in ((64, "web-tier"), (65, None)):
            inner = udp_frame("192.168.1.1", "192.168.1.2", 5000, 6000, b"m" * 20)
            vxlan = struct.pack("!II", 0x08000000, vni << 8) + inner
            n += 1
            frames.append((ts + n, udp_frame("10.30.1.2", "10.30.1.1", 50000, 4789, vxlan)))
            if session:
                by_session[session] = by_session.get(session, 0) + 1
    write_pcap(path, frames)
    return len(frames), by_rule, by_session


class ForwardRulesSearch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.search = ps.Search(ps.server_url(SOURCE_DIR, FLAVOUR))
        cls.capture = os.path.join(WORKDIR, "forwarded.pcap")
        cls.total, cls.by_rule, cls.by_session = build_capture(cls.capture)
        cls.rules = os.path.join(WORKDIR, "forward-rules")
        with open(cls.rules, "w") as f:
            f.write("snapflow-forward-rules 1\nnext_id=2\n"
                    "rule 1 ingress %s %s %s %s %d %d web\n" % (A, CAPTURE, EGRESS, B, T0, CHANGE) +
                    "rule 1 inline %s %s %s %s %d 0 api\n" % (A, CAPTURE, EGRESS, B, CHANGE))
        cls.sessions = os.path.join(WORKDIR, "mirror-sessions")
        with open(cls.sessions, "w") as f:
            f.write("snapflow-mirror-sessions 1\nsession 64 %d 0 web-tier\n" % T0)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)

    def ingest(self, prefix, annotate=True, expect_ok=True):
        args = [PCAP2JSON, "--no-progress", "--stats", "--es-host", self.search.url,
                "--index-prefix", prefix, "--observer", "itest", "--es-flush-interval", "200ms",
                "--es-dead-letter", os.path.join(WORKDIR, prefix + ".dead")]
        if annotate:
            args += ["--forward-rules", self.rules, "--mirror-sessions", self.sessions]
        r = subprocess.run(args + [self.capture], capture_output=True, text=True, timeout=300)
        if expect_ok:
            self.assertEqual(r.returncode, 0, r.stderr)
        return r, ps.parse_stats(r.stderr)

    def terms(self, prefix, fields):
        """{(field values...): summed network.packets} over flow documents having them all."""
        self.search.refresh(prefix)
        aggs = {"p": {"sum": {"field": "network.packets"}}}
        for i, field in reversed(list(enumerate(fields))):
            aggs = {"t%d" % i: {"terms": {"field": field, "size": 100}, "aggs": aggs}}
        status, body = self.search.request("POST", "/%s-*/_search" % prefix, {
            "size": 0, "query": {"term": {"event.dataset": "snapflow.flow"}}, "aggs": aggs})
        self.assertEqual(status, 200, body)
        out = {}

        def walk(level, node, values):
            if level == len(fields):
                out[tuple(values)] = int(node["p"]["value"])
                return
            for bucket in node["t%d" % level]["buckets"]:
                walk(level + 1, bucket, values + [str(bucket["key"])])
        walk(0, body["aggregations"], [])
        return out

    def test_annotations_are_searchable_and_exact(self):
        prefix = "e2e-fwd-%s-%d" % (FLAVOUR[:2], os.getpid())
        ps.setup_index(SNAPFLOW_INDEX, self.search.url, prefix)
        self.addCleanup(self.search.delete, prefix)
        r, first = self.ingest(prefix)
        self.assertTrue(first["exact"], r.stderr)
        self.assertEqual(first["packets"], self.total)
        self.assertEqual(self.terms(prefix, ["snapflow.capture_mode", "snapflow.rule.id",
                                             "snapflow.rule.name", "snapflow.rule.direction"]),
                         {k: v for k, v in self.by_rule.items()})
        self.assertEqual(self.terms(prefix, ["labels.mirror_session"]),
                         {(k,): v for k, v in self.by_session.items()})
        # Every packet is in a document: annotated ones, and the rest (VNI 65) without.
        self.assertEqual(self.search.sums(prefix, "snapflow.flow")[1], self.total)

        # Again: every document is already there, byte for byte (409s verified by _mget).
        r, again = self.ingest(prefix)
        self.assertTrue(again["exact"], r.stderr)
        self.assertEqual((again["acked"], again["present"]), (0, first["documents"]))
        # Without the files the forwarded flows' documents differ: conflicts, and exit 1.
        r, bare = self.ingest(prefix, annotate=False, expect_ok=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertGreater(bare["conflicting"], 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
