#!/usr/bin/env python3
"""Node failures of a real 3-node cluster during pcap2json ingest (issue 13, item 1).

Each scenario feeds the same capture into `pcap2json --es-host n1,n2,n3` from stdin at a
steady pace (so the ingest spans the fault) and ends with the index holding exactly the
documents a clean run produces: the same ids, each once, none lost, exact network.packets and
network.bytes sums over flow and totals documents.

1. kill -9 of the node holding the index's primary mid-ingest, then restarted;
2. a rolling restart (clean stop, start, green) of all three nodes during ingest;
3. the node pcap2json was given first dies mid-ingest and stays down: the client fails over to
   the others.

Usage: cluster_nodes_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_scenario import ClusterScenario, main  # noqa: E402


class ClusterNodes(ClusterScenario):
    def test_data_node_killed_and_restarted(self):
        docs = self.reference()
        ingest = self.start_ingest(seconds=10)
        _, primary, _ = self.wait_for_index()
        self.sleep_until(ingest, 4)
        self.assertTrue(ingest.running(), "ingest ended before the fault")
        killed_at = time.monotonic()
        self.cluster.kill(primary)
        time.sleep(2)
        self.cluster.start_node(primary)
        down = time.monotonic() - killed_at
        self.assertTrue(ingest.running(), "ingest ended during the fault")
        self.finish(ingest, docs, fault_seconds=round(down, 1), node=primary)

    def test_rolling_restart(self):
        docs = self.reference()
        ingest = self.start_ingest(seconds=10)
        self.wait_for_index()
        self.sleep_until(ingest, 3)
        began = time.monotonic()
        for n in range(1, len(self.cluster.urls) + 1):
            self.assertTrue(ingest.running(), "ingest ended before node %d restarted" % n)
            self.cluster.stop_node(n)
            self.cluster.start_node(n)
            # A rolling restart waits for green before the next node, as operators do.
            self.assertTrue(self.cluster.health("green", 120), "not green after node %d" % n)
        rolled = time.monotonic() - began
        self.assertTrue(ingest.running(), "ingest ended during the rolling restart")
        self.finish(ingest, docs, fault_seconds=round(rolled, 1))

    def test_first_host_dies(self):
        docs = self.reference()
        ingest = self.start_ingest(seconds=10, hosts=self.cluster.hosts(first=1))
        self.wait_for_index()
        self.sleep_until(ingest, 4)
        self.assertTrue(ingest.running(), "ingest ended before the fault")
        self.cluster.kill(1)  # stays down until the cleanup heals the cluster
        _, log = self.finish(ingest, docs, node=1)
        self.assertNotIn("gave up", log)


if __name__ == "__main__":
    main()
