"""The frame every cluster fault scenario shares (tests/integration/cluster_*_test.py): a test
case whose class generates one capture, whose tests each get their own index prefix (1 replica)
and a healed cluster afterwards, and `ingest_through`, which runs pcap2json on a paced feed of
the capture while a fault function disturbs the cluster, then checks that the index holds
exactly the capture's documents: every id once, none lost, exact packet and byte sums.

Usage of a test file: TEST.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
Environment: SNAPFLOW_SEARCH_FLAVOUR, SNAPFLOW_SOURCE_DIR, SNAPFLOW_SEARCH_INSTANCE (the
cluster's tag, as for scripts/search-cluster.sh).
"""
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_support as cs  # noqa: E402
import pcap2json_search as ps  # noqa: E402

PCAP2JSON, SNAPFLOW_GEN, SNAPFLOW_INDEX, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]
FLAVOUR = cs.FLAVOUR
OBSERVER = "clus-probe"


class ClusterScenario(unittest.TestCase):
    # 40 flows (TCP, UDP and ICMP), 64-byte frames at 5000 pps for 40 s of capture time:
    # 400 snapshots, about 16 400 documents (one totals document per snapshot).
    capture_args = ("--flows", "40", "--packets", "200000", "--size", "64", "--rate", "5000",
                    "--mix", "6,3,1", "--seed", "51", "--start", "2026-03-01T10:00:00Z")

    @classmethod
    def setUpClass(cls):
        cls.workdir = os.path.join(WORKDIR, cls.__name__)
        shutil.rmtree(cls.workdir, ignore_errors=True)
        os.makedirs(cls.workdir)
        cls.cluster = cs.Cluster()
        cls.results = cs.Results(WORKDIR)
        cls.capture = cs.generate(SNAPFLOW_GEN, cls.workdir, "capture", *cls.capture_args)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def setUp(self):
        name = self.id().rsplit(".", 1)[-1].replace("test_", "").replace("_", "")[:16]
        self.scenario = self.id().rsplit(".", 1)[-1].replace("test_", "")
        self.prefix = "clu-%s-%s-%d" % (name, FLAVOUR[:2], os.getpid())
        self.addCleanup(self.delete_indices)
        self.addCleanup(self.cluster.heal)  # runs first: deleting needs the nodes back
        self.setup_index()

    def setup_index(self, replicas=1):
        r = subprocess.run([SNAPFLOW_INDEX, "setup", "--es-host", self.cluster.hosts(),
                            "--es-index-prefix", self.prefix, "--es-replicas", str(replicas),
                            "--es-refresh-interval", "1s"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def delete_indices(self):
        self.cluster.any_search().delete(self.prefix)

    def reference(self):
        return cs.reference(PCAP2JSON, self.capture, self.prefix, OBSERVER, "clus")

    def start_ingest(self, seconds, hosts=None, extra=(), env=None, hold=0.9):
        ingest = cs.Ingest(PCAP2JSON, self.capture, hosts or self.cluster.hosts(), self.prefix,
                           self.workdir, seconds, OBSERVER, "clus", extra, env, hold)
        self.addCleanup(ingest.kill)
        return ingest

    def wait_for_index(self, timeout_s=60):
        """The daily index, green (primary and replica started), as (index, primary node,
        replica nodes). A fault is injected only then: one replica protects against one lost
        node only once it exists."""
        self.assertTrue(cs.wait_until(lambda: self.cluster.shard_nodes(self.prefix), timeout_s),
                        "no index created")
        code, body = self.cluster.request(
            "GET", "/_cluster/health/%s-*?wait_for_status=green&timeout=%ds" %
            (self.prefix, timeout_s), timeout=timeout_s + 10)
        self.assertEqual((code, body.get("status")), (200, "green"), body)
        shards = self.cluster.shard_nodes(self.prefix)
        index, (primary, replicas) = sorted(shards.items())[0]
        self.assertEqual(len(replicas), 1, shards)
        return index, primary, replicas

    def finish(self, ingest, docs, timeout=300, dead_ids=(), expect_code=0, **record):
        """Waits for pcap2json, checks its exit and --stats and the index; records the figures."""
        code = ingest.wait(timeout)
        log = ingest.log()
        self.assertEqual(code, expect_code, log)
        stats = ingest.stats()
        # A run whose documents were refused does not account for every packet, and says so.
        self.assertEqual(stats["exact"], not dead_ids, log)
        self.assertEqual(stats["documents"], len(docs), log)
        self.assertEqual(stats["dead_lettered"], len(dead_ids), log)
        self.assertEqual(stats["conflicting"], 0, log)
        self.assertEqual(stats["acked"] + stats["present"] + stats["dead_lettered"],
                         stats["documents"], log)
        expected, indexed, duplicates, lost = cs.check_exact(
            self, self.cluster.any_search(), self.prefix, docs, self.capture, dead_ids)
        self.results.record(scenario=self.scenario, expected=len(docs), indexed=indexed,
                            dead_lettered=len(dead_ids), duplicates=duplicates, lost=lost,
                            seconds=round(ingest.seconds, 1), acked=stats["acked"],
                            present=stats["present"], retried=stats["retried"], **record)
        return stats, log

    @staticmethod
    def sleep_until(ingest, t):
        """Sleeps until t seconds after the ingest started."""
        time.sleep(max(0.0, ingest.started + t - time.monotonic()))


def main():
    unittest.main(verbosity=2)


__all__ = ["ClusterScenario", "cs", "ps", "main", "PCAP2JSON", "SNAPFLOW_GEN", "SNAPFLOW_INDEX",
           "WORKDIR", "FLAVOUR"]
