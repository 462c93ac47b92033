#!/usr/bin/env python3
"""pcap2json --es-host against a real Elasticsearch / OpenSearch node (issue 3).

* Exact sums: generated captures (IMIX with IPv6 flows, and VXLAN) are ingested; after a
  refresh the server's _count equals the documents pcap2json reports, the sums of
  network.packets / network.bytes over flow documents equal the capture's totals, and a 100 ms
  date_histogram equals per-interval totals computed independently from the capture with tshark
  (integer nanoseconds, bucket = floor(ts / 100 ms)), bucket by bucket, for the flow documents
  and for the totals documents.
* Idempotence: the same capture ingested twice leaves _count unchanged and the second run's
  indexer line reports every document as already present (409 on create).
* One replay removed: a replay whose documents differ from the stored ones (as after an
  upgrade; here --no-community-id) is refused document by document and exits non-zero;
  `snapflow-index delete --capture --observer` (after a --dry-run that only counts it)
  removes exactly that replay (another capture and another observer's replay of the same file
  stay, with exact sums), and the capture then replays cleanly.

Each test uses its own index prefix and deletes its indices and template at the end.
Usage: pcap2json_es_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
Environment: SNAPFLOW_SEARCH_FLAVOUR, SNAPFLOW_SOURCE_DIR (or SNAPFLOW_SEARCH_URL).
"""
import collections
import os
import shutil
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcap2json_search as ps  # noqa: E402

PCAP2JSON, SNAPFLOW_GEN, SNAPFLOW_INDEX, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]
FLAVOUR = os.environ.get("SNAPFLOW_SEARCH_FLAVOUR", "opensearch")
SOURCE_DIR = os.environ.get("SNAPFLOW_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
INTERVAL_NS = 100_000_000


def generate(name, *args):
    path = os.path.join(WORKDIR, name + ".pcap")
    subprocess.run([SNAPFLOW_GEN, "-q", "-o", path, *args], check=True, capture_output=True)
    return path


def expected_buckets(path):
    """{bucket start ms: (packets, bytes)} from tshark, bucketed in integer nanoseconds."""
    buckets = collections.defaultdict(lambda: [0, 0])
    for ts_ns, length in ps.tshark_frames(path):
        b = buckets[ts_ns // INTERVAL_NS * INTERVAL_NS // 1_000_000]
        b[0] += 1
        b[1] += length
    return {k: tuple(v) for k, v in buckets.items()}


class Pcap2JsonSearch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.search = ps.Search(ps.server_url(SOURCE_DIR, FLAVOUR))
        # 1.5 s of IMIX at 20 kpps (15 snapshots), 30 % IPv6 flows, up to 2 ms of jitter (well
        # inside the 10 ms reorder window, so no packet is late and buckets are exact).
        cls.imix = generate("imix6", "--flows", "300", "--packets", "30000", "--size", "imix",
                            "--ipv6", "0.3", "--rate", "20000", "--jitter", "2000000",
                            "--mix", "6,3,1", "--seed", "31")
        cls.vxlan = generate("vxlan", "--flows", "120", "--packets", "12000", "--size", "imix",
                             "--tunnel", "vxlan", "--rate", "10000", "--seed", "32")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)

    def prefix(self, name):
        p = "e2e-%s-%s-%d" % (name, FLAVOUR[:2], os.getpid())
        ps.setup_index(SNAPFLOW_INDEX, self.search.url, p)
        self.addCleanup(self.search.delete, p)
        return p

    def run_pcap2json(self, path, prefix, *flags, observer="itest"):
        return subprocess.run([PCAP2JSON, "--no-progress", "--stats", "--es-host", self.search.url,
                               "--index-prefix", prefix, "--observer", observer,
                               "--es-flush-interval", "200ms", "--es-dead-letter",
                               os.path.join(WORKDIR, prefix + ".dead"), *flags, path],
                              capture_output=True, text=True, timeout=300)

    def ingest(self, path, prefix, *flags, observer="itest"):
        r = self.run_pcap2json(path, prefix, *flags, observer=observer)
        self.assertEqual(r.returncode, 0, r.stderr)
        stats = ps.parse_stats(r.stderr)
        self.assertTrue(stats["exact"], r.stderr)
        self.assertEqual(stats["late"], 0, r.stderr)
        self.assertEqual(stats["dead_lettered"], 0, r.stderr)
        return stats

    def check_exact(self, path, prefix, stats):
        packets, wire = ps.pcap_totals(path)
        frames = ps.tshark_frames(path)
        self.assertEqual((len(frames), sum(f[1] for f in frames)), (packets, wire))
        self.assertEqual((stats["packets"], stats["bytes"]), (packets, wire))
        self.assertEqual(stats["acked"] + stats["present"], stats["documents"])

        flows = self.search.sums(prefix, "snapflow.flow")
        totals = self.search.sums(prefix, "snapflow.totals", refresh=False)
        self.assertEqual(self.search.count(prefix), stats["documents"])
        self.assertEqual(flows[0] + totals[0], stats["documents"])
        self.assertEqual(flows[1:], (packets, wire))
        self.assertEqual(totals[1:], (packets, wire))

        expected = expected_buckets(path)
        self.assertGreaterEqual(len(expected), 10)
        self.assertEqual(totals[0], len(expected))  # one totals document per snapshot
        self.assertEqual(self.search.histogram(prefix, "snapflow.flow"), expected)
        self.assertEqual(self.search.histogram(prefix, "snapflow.totals"), expected)

    def test_exact_sums_and_histogram_imix_ipv6(self):
        prefix = self.prefix("imix")
        stats = self.ingest(self.imix, prefix)
        self.check_exact(self.imix, prefix, stats)
        self.assertGreater(self.search.count(prefix, "snapflow.flow"), 300)

    def test_exact_sums_and_histogram_vxlan(self):
        prefix = self.prefix("vxlan")
        stats = self.ingest(self.vxlan, prefix)
        self.check_exact(self.vxlan, prefix, stats)
        # Flows are keyed on the inner headers, the tunnel endpoints kept under snapflow.tunnel.
        docs = self.search.docs(prefix, "snapflow.flow")
        self.assertTrue(docs)
        for doc in docs:
            self.assertEqual(doc["snapflow"]["tunnel"]["type"], "vxlan")

    def test_idempotent_rerun(self):
        prefix = self.prefix("rerun")
        first = self.ingest(self.vxlan, prefix)
        self.search.refresh(prefix)
        count = self.search.count(prefix)
        self.assertEqual(count, first["documents"])
        self.assertEqual((first["acked"], first["present"]), (first["documents"], 0))
        second = self.ingest(self.vxlan, prefix)
        self.assertEqual(second["documents"], first["documents"])
        # Every create of the rerun answers 409: already present, nothing new stored.
        self.assertEqual((second["acked"], second["present"]), (0, first["documents"]))
        self.search.refresh(prefix)
        self.assertEqual(self.search.count(prefix), count)
        packets, wire = ps.pcap_totals(self.vxlan)
        self.assertEqual(self.search.sums(prefix, "snapflow.flow")[1:], (packets, wire))

    def replay_search(self, prefix, capture, observer, api="_search", dataset=None, **body):
        """One observer's capture (one dataset of it, if given) through _search or _count."""
        self.search.refresh(prefix)
        filters = [{"term": {"labels.capture": capture}}, {"term": {"observer.name": observer}}]
        if dataset:
            filters.append({"term": {"event.dataset": dataset}})
        status, answer = self.search.request("POST", "/%s-*/%s" % (prefix, api),
                                             {"query": {"bool": {"filter": filters}}, **body})
        self.assertEqual(status, 200, answer)
        return answer

    def replay_sums(self, prefix, capture, observer):
        """(documents, packets, bytes) of one observer's capture: all documents, flow sums."""
        body = self.replay_search(
            prefix, capture, observer, size=0, track_total_hits=True,
            aggs={"flows": {"filter": {"term": {"event.dataset": "snapflow.flow"}},
                            "aggs": {"p": {"sum": {"field": "network.packets"}},
                                     "b": {"sum": {"field": "network.bytes"}}}}})
        flows = body["aggregations"]["flows"]
        return body["hits"]["total"]["value"], int(flows["p"]["value"]), int(flows["b"]["value"])

    def delete_replay(self, prefix, *args):
        return subprocess.run([SNAPFLOW_INDEX, "delete", "--es-host", self.search.url,
                               "--es-index-prefix", prefix, *args],
                              capture_output=True, text=True, timeout=300)

    def test_delete_one_replay_then_replay_again(self):
        prefix = self.prefix("delete")
        first = self.ingest(self.imix, prefix, "--capture", "incident")
        other_capture = self.ingest(self.vxlan, prefix, "--capture", "baseline")
        other_observer = self.ingest(self.imix, prefix, "--capture", "incident", observer="probe2")
        imix_totals, vxlan_totals = ps.pcap_totals(self.imix), ps.pcap_totals(self.vxlan)
        self.assertEqual(self.replay_sums(prefix, "incident", "itest"),
                         (first["documents"], *imix_totals))

        # Same ids, other content: every flow document is refused (the totals documents carry
        # no community id, so they are found present), and nothing stored changes.
        differing = self.run_pcap2json(self.imix, prefix, "--capture", "incident",
                                       "--no-community-id")
        self.assertNotEqual(differing.returncode, 0, differing.stderr)
        stats = ps.parse_stats(differing.stderr)
        flow_documents = self.replay_search(prefix, "incident", "itest", "_count",
                                            "snapflow.flow")["count"]
        self.assertEqual((stats["acked"], stats["conflicting"], stats["present"]),
                         (0, flow_documents, first["documents"] - flow_documents),
                         differing.stderr)
        self.assertEqual(self.replay_sums(prefix, "incident", "itest"),
                         (first["documents"], *imix_totals))

        r = self.delete_replay(prefix, "--capture", "incident")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--observer", r.stderr)
        r = self.delete_replay(prefix, "--capture", "incident", "--observer", "itest", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("would delete %d documents of capture incident" % first["documents"],
                      r.stdout)
        self.assertEqual(self.replay_sums(prefix, "incident", "itest"),
                         (first["documents"], *imix_totals))
        r = self.delete_replay(prefix, "--capture", "incident", "--observer", "itest")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("deleted %d documents of capture incident" % first["documents"], r.stdout)
        self.assertEqual(self.replay_sums(prefix, "incident", "itest"), (0, 0, 0))
        self.assertEqual(self.replay_sums(prefix, "baseline", "itest"),
                         (other_capture["documents"], *vxlan_totals))
        self.assertEqual(self.replay_sums(prefix, "incident", "probe2"),
                         (other_observer["documents"], *imix_totals))

        again = self.ingest(self.imix, prefix, "--capture", "incident", "--no-community-id")
        self.assertEqual((again["acked"], again["present"]), (first["documents"], 0))
        self.assertEqual(self.replay_sums(prefix, "incident", "itest"),
                         (first["documents"], *imix_totals))
        hits = self.replay_search(prefix, "incident", "itest", dataset="snapflow.flow",
                                  size=500)["hits"]["hits"]
        docs = [h["_source"] for h in hits]
        self.assertEqual(len(docs), 500)
        self.assertTrue(all("community_id" not in d["network"] for d in docs))
        r = self.delete_replay(prefix, "--capture", "nothing-here", "--observer", "itest")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("deleted 0 documents", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
