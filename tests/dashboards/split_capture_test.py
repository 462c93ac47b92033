#!/usr/bin/env python3
"""The bandwidth panel sums partial documents: a capture split into two files at a random packet
and replayed file by file under one capture name (a snapshot cut by the file boundary becomes
two documents for the same flow and @timestamp) must still show the whole capture's 100 ms
histogram, bucket by bucket.

Each file's part of the cut snapshot has its own _id (docs/formats.md, "Document identity"),
so both are stored and the panel's sums equal the whole capture's.

Usage: split_capture_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
"""
import os
import random
import shutil
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402
import support  # noqa: E402
from support import ps  # noqa: E402
from grafana_panels_test_data import ALL, datasource_runner  # noqa: E402

PCAP2JSON, SNAPFLOW_GEN, SNAPFLOW_INDEX, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]
FLAVOUR = os.environ.get("SNAPFLOW_SEARCH_FLAVOUR", "opensearch")
START_MS = 1795428000000
TITLE = "Bits/s at $__interval (peaks)"


class SplitCapture(unittest.TestCase):
    def setUp(self):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        self.search = ps.Search(ps.server_url(support.SOURCE_DIR, FLAVOUR))
        self.prefix = "dash-split-%s-%d" % (FLAVOUR[:2], os.getpid())
        ps.setup_index(SNAPFLOW_INDEX, self.search.url, self.prefix)
        self.addCleanup(self.search.delete, self.prefix)
        self.addCleanup(shutil.rmtree, WORKDIR, True)

    def test_bandwidth_equals_whole_capture_when_replayed_in_two_files(self):
        whole = support.generate(SNAPFLOW_GEN, WORKDIR, "whole", "--flows", "50", "--packets",
                                 "3000", "--size", "imix", "--rate", "2000", "--seed", "44",
                                 "--start", "2026-11-23T10:00:00Z")
        seed = int(os.environ.get("SNAPFLOW_SPLIT_SEED", random.randrange(1 << 30)))
        cut = random.Random(seed).randrange(100, 2900)  # packets in the first file
        parts = []
        for i, records in enumerate(("1-%d" % cut, "%d-3000" % (cut + 1))):
            path = os.path.join(WORKDIR, "part%d.pcap" % i)
            subprocess.run(["editcap", "-r", whole, path, records], check=True,
                           capture_output=True)
            parts.append(path)
        logs = support.ingest(PCAP2JSON, self.search.url, self.prefix, "split", parts, WORKDIR)
        self.search.refresh(self.prefix)
        packets = ref.decode(whole)
        runner, dashboards = datasource_runner(FLAVOUR, self.search.url, self.prefix)
        d = dashboards["bandwidth"]
        panel = next(p for p in d["panels"] if p.get("title") == TITLE)
        results = runner.run_panel(d, panel, {"observer": ALL, "capture": ["split"], "host": ALL,
                                              "port": ALL, "protocol": ALL, "vni": ALL},
                                   START_MS - 1000, START_MS + 59000)
        target, interval, response = results["A"]
        self.assertNotIn("error", response)
        self.assertEqual(interval, 100)
        got = {keys[0]: v["2"] for keys, v in support.gq.flatten(target, response) if v["2"]}
        expected = {t: b * 80 for t, (_, b) in ref.histogram(packets, 100_000_000).items()}
        for log in logs:
            self.assertEqual(ps.parse_stats(log).get("present"), 0, log)
        self.assertEqual(got, expected, "seed %d, cut after packet %d" % (seed, cut))


if __name__ == "__main__":
    unittest.main(verbosity=2)
