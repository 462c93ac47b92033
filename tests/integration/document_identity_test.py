#!/usr/bin/env python3
"""Document identity against a real Elasticsearch / OpenSearch node (issue 7,
docs/decisions/0005-document-identity.md): an id names the packets a document counts, and a 409
is verified, never trusted.

* A capture split at 5 random record counts and replayed file by file under one capture name
  indexes exactly the whole capture: flow and totals sums, and the 100 ms histogram of both
  computed independently with tshark.
* The same files replayed again change nothing (every create answers 409, verified identical).
* Two workers replaying overlapping halves (each one invocation over several files, at the same
  time) give exact sums.
* A run stopped by a corrupt record and re-run with --skip-bad-records indexes every good
  record exactly once.
* A document forged under a real id makes the run fail loudly: exit 1, the id in the message
  and in the dead-letter file, and no "exact" in --stats.

Usage: document_identity_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
Environment: SNAPFLOW_SEARCH_FLAVOUR, SNAPFLOW_SOURCE_DIR (or SNAPFLOW_SEARCH_URL),
SNAPFLOW_TEST_SEED (the split points; random and printed otherwise).
"""
import collections
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import threading
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcap2json_search as ps  # noqa: E402

PCAP2JSON, SNAPFLOW_GEN, SNAPFLOW_INDEX, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]
FLAVOUR = os.environ.get("SNAPFLOW_SEARCH_FLAVOUR", "opensearch")
SOURCE_DIR = os.environ.get("SNAPFLOW_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SEED = int(os.environ.get("SNAPFLOW_TEST_SEED", random.SystemRandom().randrange(1 << 32)))
INTERVAL_NS = 100_000_000
PACKETS = 20000


def expected_buckets(path):
    """{bucket start ms: (packets, bytes)} from tshark, bucketed in integer nanoseconds."""
    buckets = collections.defaultdict(lambda: [0, 0])
    for ts_ns, length in ps.tshark_frames(path):
        b = buckets[ts_ns // INTERVAL_NS * INTERVAL_NS // 1_000_000]
        b[0] += 1
        b[1] += length
    return {k: tuple(v) for k, v in buckets.items()}


def read_records(path):
    """A classic PCAP's global header and its records as raw bytes (header + data)."""
    with open(path, "rb") as f:
        data = f.read()
    header, records, off = data[:24], [], 24
    while off < len(data):
        caplen = struct.unpack_from("<I", data, off + 8)[0]
        records.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    return header, records


def write_pcap(path, header, records):
    with open(path, "wb") as f:
        f.write(header)
        for r in records:
            f.write(r)


class DocumentIdentity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.stderr.write("document_identity_test: SNAPFLOW_TEST_SEED=%d\n" % SEED)
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.search = ps.Search(ps.server_url(SOURCE_DIR, FLAVOUR))
        cls.whole = os.path.join(WORKDIR, "whole.pcap")
        # 1 s at 20 kpps over 50 flows, 30 % IPv6, jitter well inside the reorder window.
        subprocess.run([SNAPFLOW_GEN, "-q", "-o", cls.whole, "--flows", "50", "--packets",
                        str(PACKETS), "--rate", "20000", "--size", "imix", "--ipv6", "0.3",
                        "--jitter", "1000000", "--seed", "7"], check=True)
        cls.totals = ps.pcap_totals(cls.whole)
        cls.buckets = expected_buckets(cls.whole)
        header, records = read_records(cls.whole)
        assert len(records) == PACKETS
        cuts = sorted(random.Random(SEED).sample(range(1, PACKETS), 5))
        cls.parts = []
        for i, (a, b) in enumerate(zip([0] + cuts, cuts + [PACKETS])):
            path = os.path.join(WORKDIR, "part_%d.pcap" % i)
            write_pcap(path, header, records[a:b])
            cls.parts.append(path)
        cls.header, cls.records = header, records

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)

    def prefix(self, name):
        p = "e2e-id-%s-%s-%d" % (name, FLAVOUR[:2], os.getpid())
        ps.setup_index(SNAPFLOW_INDEX, self.search.url, p)
        self.addCleanup(self.search.delete, p)
        return p

    def run_pcap2json(self, prefix, paths, *extra, expect_ok=True):
        dead = os.path.join(WORKDIR, prefix + ".dead")
        r = subprocess.run([PCAP2JSON, "--no-progress", "--stats", "--es-host", self.search.url,
                            "--index-prefix", prefix, "--observer", "itest", "--capture",
                            "cap1", "--es-flush-interval", "200ms", "--es-dead-letter", dead,
                            *extra, *paths], capture_output=True, text=True, timeout=300)
        if expect_ok:
            self.assertEqual(r.returncode, 0, r.stderr)
            stats = ps.parse_stats(r.stderr)
            self.assertTrue(stats["exact"], r.stderr)
            self.assertEqual((stats["dead_lettered"], stats["conflicting"]), (0, 0), r.stderr)
            return stats
        return r

    def check_whole_capture(self, prefix):
        flows = self.search.sums(prefix, "snapflow.flow")
        totals = self.search.sums(prefix, "snapflow.totals", refresh=False)
        self.assertEqual(flows[1:], self.totals)
        self.assertEqual(totals[1:], self.totals)
        self.assertEqual(self.search.histogram(prefix, "snapflow.flow"), self.buckets)
        self.assertEqual(self.search.histogram(prefix, "snapflow.totals"), self.buckets)
        ids = self.search.ids(prefix)
        self.assertEqual(len(ids), len(set(ids)))
        return len(ids)

    def test_split_files_replayed_one_by_one_then_again(self):
        prefix = self.prefix("split")
        documents = 0
        for path in self.parts:
            stats = self.run_pcap2json(prefix, [path])
            self.assertEqual(stats["present"], 0)  # every part's documents are its own
            documents += stats["documents"]
        self.assertEqual(self.check_whole_capture(prefix), documents)
        # Replaying the same files again is idempotent: every document verified present.
        for path in self.parts:
            stats = self.run_pcap2json(prefix, [path])
            self.assertEqual((stats["acked"], stats["present"]), (0, stats["documents"]))
        self.assertEqual(self.check_whole_capture(prefix), documents)

    def test_overlapping_workers(self):
        prefix = self.prefix("workers")
        halves = (self.parts[:4], self.parts[2:])
        results = [None, None]

        def worker(i):
            results[i] = self.run_pcap2json(prefix, halves[i], expect_ok=False)

        threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(ps.parse_stats(r.stderr)["exact"], r.stderr)
        self.check_whole_capture(prefix)

    def test_skip_bad_records_after_a_failed_run(self):
        prefix = self.prefix("resync")
        # A record in the middle claims 1 GB: a run without --skip-bad-records stops there.
        bad_at = PACKETS // 2 + 17
        records = list(self.records)
        broken = bytearray(records[bad_at])
        struct.pack_into("<II", broken, 8, 1 << 30, 1 << 30)
        records[bad_at] = bytes(broken)
        path = os.path.join(WORKDIR, "corrupt.pcap")
        write_pcap(path, self.header, records)
        first = self.run_pcap2json(prefix, [path], expect_ok=False)
        self.assertEqual(first.returncode, 1, first.stderr)
        self.assertIn("record %d" % (bad_at + 1), first.stderr)
        second = self.run_pcap2json(prefix, [path], "--skip-bad-records")
        self.assertGreater(second["present"], 0)  # the documents before the fault, verified
        # Everything but the skipped record is indexed once, and nothing twice.
        good = [r for i, r in enumerate(self.records) if i != bad_at]
        expected = (len(good), sum(struct.unpack_from("<I", r, 12)[0] for r in good))
        self.assertEqual(self.search.sums(prefix, "snapflow.flow")[1:], expected)
        self.assertEqual(self.search.sums(prefix, "snapflow.totals", refresh=False)[1:], expected)

    def test_forged_document_fails_the_run(self):
        prefix = self.prefix("forged")
        path = self.parts[0]
        # The ids pcap2json will use, from its own bulk output.
        bulk = subprocess.run([PCAP2JSON, "--no-progress", "--bulk", "--index-prefix", prefix,
                               "--observer", "itest", "--capture", "cap1", path],
                              capture_output=True, text=True, check=True).stdout.splitlines()
        action, source = None, None
        for i in range(0, len(bulk), 2):
            doc = json.loads(bulk[i + 1])
            if doc["event"]["dataset"] == "snapflow.flow":
                action, source = json.loads(bulk[i])["create"], doc
                break
        self.assertIsNotNone(action)
        source["network"]["packets"] += 1  # same id, other content
        self.search.request("PUT", "/%s/_doc/%s?refresh=true" % (action["_index"], action["_id"]),
                            source)
        r = self.run_pcap2json(prefix, [path], expect_ok=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(action["_id"], r.stderr)
        self.assertIn("refused", r.stderr)
        self.assertNotIn(": exact", r.stderr)
        stats = ps.parse_stats(r.stderr)
        self.assertEqual(stats["conflicting"], 1, r.stderr)
        with open(os.path.join(WORKDIR, prefix + ".dead")) as f:
            dead = [json.loads(line) for line in f]
        self.assertEqual(len(dead), 1)
        self.assertEqual(dead[0]["status"], 409)
        self.assertEqual(dead[0]["type"], "conflicting_document")
        self.assertIn(action["_id"], dead[0]["action"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
