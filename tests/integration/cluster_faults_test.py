#!/usr/bin/env python3
"""Server-side faults of a real 3-node cluster during pcap2json ingest (issue 13, item 3).

1. Flood stage: the cluster's own disk monitor puts index.blocks.read_only_allow_delete on the
   index mid-ingest (watermarks set, through the cluster settings API, to absolute free-space
   values above what this disk has, so the monitor sees every node past flood stage) and lifts
   it 8 s later (watermarks below the free space again: the monitor releases the block by
   itself); both servers answer the blocked documents 429 (older ones 403). Then the
   cluster-wide cluster.blocks.read_only_allow_delete is set for 8 s through the settings
   API: both answer the whole request 403 cluster_block_exception. pcap2json must wait with
   backoff (an nginx proxy in front counts its bulk requests while a block holds), resume, and
   lose nothing.
2. Mapping conflict: the daily index is created beforehand with destination.port mapped as
   ip, so every flow document with a port is rejected (400) and the rest land. The rejected
   ones are in the dead-letter file with the server's reason, the run says how many and exits
   1 (its output does not hold every packet).
3. Red for 30 s: the two nodes holding the index's primary and replica are excluded from the
   voting configuration (so the third stays master) and killed; after 30 s they are started
   again. The run waits and completes exactly.

4. (SNAPFLOW_TEST_SMALL_DISK=1, by hand: needs root for mount) The real thing: a single node
   of the flavour whose data path is a 1 GiB tmpfs, default watermarks; a ballast file fills
   the disk past 95 %, the node's monitor sets the block, the ballast is removed, the monitor
   lifts it; the ingest completes exactly.

Usage: cluster_faults_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_scenario import FLAVOUR, ClusterScenario, cs, main  # noqa: E402

BLOCK_SECONDS = 8
RED_SECONDS = 30


class ClusterFaults(ClusterScenario):
    def blocked(self):
        code, body = self.cluster.request(
            "GET", "/%s-*/_settings/index.blocks.read_only_allow_delete" % self.prefix)
        self.assertEqual(code, 200, body)
        return any(
            s.get("settings", {}).get("index", {}).get("blocks", {}).get(
                "read_only_allow_delete") == "true" for s in body.values())

    def set_watermarks(self, low, high, flood):
        code, body = self.cluster.request("PUT", "/_cluster/settings", {"transient": {
            "cluster.routing.allocation.disk.threshold_enabled": True,
            "cluster.routing.allocation.disk.watermark.low": low,
            "cluster.routing.allocation.disk.watermark.high": high,
            "cluster.routing.allocation.disk.watermark.flood_stage": flood,
            "cluster.info.update.interval": "10s"}})
        self.assertEqual(code, 200, body)

    def cluster_blocked(self):
        code, body = self.cluster.request("GET", "/_cluster/settings?flat_settings=true")
        self.assertEqual(code, 200, body)
        return body["transient"].get("cluster.blocks.read_only_allow_delete") == "true"

    def test_flood_stage_read_only(self):
        """Two blocks in one ingest: the disk monitor's index block (429 from both servers
        today), then the cluster-wide cluster.blocks.read_only_allow_delete (403 from both)."""
        nginx = cs.Nginx(self.workdir, self.cluster.urls)
        self.addCleanup(nginx.stop)
        docs = self.reference()
        # The monitor acts within its 10 s interval: feed long enough for data to arrive while
        # each block holds.
        ingest = self.start_ingest(seconds=30, hosts=nginx.url("plain"))
        self.wait_for_index()
        self.sleep_until(ingest, 3)
        self.assertTrue(ingest.running(), "ingest ended before the fault")
        # Free space on the nodes' disk, in whole GiB: watermarks above it trip every node.
        st = os.statvfs(cs.RUN_ROOT)
        free_gb = st.f_bavail * st.f_frsize // (1 << 30)
        self.set_watermarks("%dgb" % (free_gb + 12), "%dgb" % (free_gb + 11),
                            "%dgb" % (free_gb + 10))
        self.assertTrue(cs.wait_until(self.blocked, 30), "the disk monitor set no block")
        index_on = time.time()
        time.sleep(BLOCK_SECONDS)
        self.assertTrue(ingest.running(), "pcap2json exited while the index was read-only:\n" +
                        ingest.log())
        # Free space above every watermark again: the monitor lifts the block itself.
        self.set_watermarks("1gb", "512mb", "256mb")
        self.assertTrue(cs.wait_until(lambda: not self.blocked(), 30), "block not released")
        index_off = time.time()
        # The cluster-wide block, set and lifted through the settings API.
        code, body = self.cluster.request("PUT", "/_cluster/settings", {"transient": {
            "cluster.blocks.read_only_allow_delete": True}})
        self.assertEqual(code, 200, body)
        cluster_on = time.time()
        time.sleep(BLOCK_SECONDS)
        self.assertTrue(ingest.running(), "pcap2json exited while the cluster was read-only:\n"
                        + ingest.log())
        code, body = self.cluster.request("PUT", "/_cluster/settings", {"transient": {
            "cluster.blocks.read_only_allow_delete": None}})
        self.assertEqual(code, 200, body)
        cluster_off = time.time()
        during_index = nginx.requests(since=index_on, until=index_off)
        during_cluster = nginx.requests(since=cluster_on, until=cluster_off)
        stats, log = self.finish(
            ingest, docs, index_block_seconds=round(index_off - index_on, 1),
            requests_during_index_block=len(during_index),
            statuses_during_index_block=sorted({s for s, _ in during_index}),
            cluster_block_seconds=round(cluster_off - cluster_on, 1),
            requests_during_cluster_block=len(during_cluster),
            statuses_during_cluster_block=sorted({s for s, _ in during_cluster}))
        # Waited with backoff: it kept asking, but with pauses growing from 100 ms to 10 s per
        # sender (2 senders), not a storm.
        for during in (during_index, during_cluster):
            self.assertGreaterEqual(len(during), 1, "no request while blocked")
            self.assertLessEqual(len(during), 30, during)
        self.assertIn(403, {s for s, _ in during_cluster})  # the request-level block
        self.assertGreater(stats["retried"], 0, log)
        self.assertNotIn("gave up", log)

    def test_mapping_conflict_dead_letters(self):
        docs = self.reference()
        index = docs[0][0]
        code, body = self.cluster.request("PUT", "/" + index, {"mappings": {"properties": {
            "destination": {"properties": {"port": {"type": "ip"}}}}}})
        self.assertEqual(code, 200, body)
        rejected = {d[1] for d in docs if "port" in d[5].get("destination", {})}
        self.assertTrue(0 < len(rejected) < len(docs))
        ingest = self.start_ingest(seconds=2)
        stats, log = self.finish(ingest, docs, dead_ids=rejected, expect_code=1)
        # The dead-letter file: every rejected document once, with the server's reason.
        seen = set()
        with open(ingest.dead_letter) as f:
            for line in f:
                entry = json.loads(line)
                self.assertEqual(entry["status"], 400, entry)
                self.assertIn("destination.port", entry["reason"], entry)
                seen.add(json.loads(entry["action"])["create"]["_id"])
        self.assertEqual(seen, rejected)
        # The run fails with one line saying how many documents the cluster refused; the
        # warnings name the file.
        last = log.strip().splitlines()[-1]
        sys.stderr.write("MESSAGE %s\n" % last)
        self.assertIn("%d documents were refused by the output (dead-letter file)" %
                      len(rejected), last)
        self.assertIn("documents rejected (first: HTTP 400", log)
        self.assertIn(ingest.dead_letter, log)
        # One warning per request, not one per rejected document.
        self.assertLess(log.count("documents rejected (first: HTTP 400"), 50, log[:2000])

    def test_red_for_30_seconds(self):
        docs = self.reference()
        ingest = self.start_ingest(seconds=10)
        _, primary, replicas = self.wait_for_index()
        holders = [primary] + replicas
        self.assertEqual(len(holders), 2)
        names = ",".join("%s-%d" % (os.environ.get("SNAPFLOW_SEARCH_INSTANCE", "cluster"), n)
                         for n in holders)
        self.sleep_until(ingest, 3)
        code, body = self.cluster.request(
            "POST", "/_cluster/voting_config_exclusions?node_names=" + names)
        self.assertEqual(code, 200, body)
        for n in holders:
            self.cluster.kill(n)
        red_at = time.monotonic()
        code, health = self.cluster.request("GET", "/_cluster/health?timeout=10s")
        self.assertEqual(health.get("status"), "red", health)
        time.sleep(max(0.0, red_at + RED_SECONDS - time.monotonic()))
        self.assertTrue(ingest.running(), "pcap2json exited while the cluster was red:\n" +
                        ingest.log())
        self.cluster.start_nodes(holders)
        self.assertTrue(self.cluster.health("yellow", 120))
        red_seconds = time.monotonic() - red_at
        self.cluster.request("DELETE", "/_cluster/voting_config_exclusions?wait_for_removal=false")
        _, log = self.finish(ingest, docs, red_seconds=round(red_seconds, 1),
                             nodes_killed=holders)
        self.assertNotIn("gave up", log)


    @unittest.skipUnless(os.environ.get("SNAPFLOW_TEST_SMALL_DISK") == "1" and os.geteuid() == 0,
                         "by hand: SNAPFLOW_TEST_SMALL_DISK=1, as root (mounts a tmpfs)")
    def test_flood_stage_small_disk(self):
        instance = os.environ.get("SNAPFLOW_SEARCH_INSTANCE", "cluster") + "-disk"
        env = dict(os.environ, SNAPFLOW_SEARCH_INSTANCE=instance,
                   SNAPFLOW_SEARCH_JAVA_OPTS="-XX:TieredStopAtLevel=1", SNAPFLOW_SEARCH_HEAP="384m")
        script = os.path.join(cs.SOURCE_DIR, "scripts", "search-server.sh")
        data = os.path.join(cs.RUN_ROOT, "%s-%s" % (FLAVOUR, instance), "data")
        os.makedirs(data, exist_ok=True)
        self.addCleanup(shutil.rmtree, os.path.dirname(data), True)  # last: after umount
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1g", "tmpfs", data], check=True)
        self.addCleanup(subprocess.run, ["umount", data])
        self.addCleanup(subprocess.run, [script, "stop", FLAVOUR], env=env)
        r = subprocess.run([script, "start", FLAVOUR], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        url = r.stdout.strip().splitlines()[-1]
        search = cs.ps.Search(url)
        code, body = search.request("PUT", "/_cluster/settings", {"transient": {
            "cluster.routing.allocation.disk.threshold_enabled": True,
            "cluster.info.update.interval": "10s"}})
        self.assertEqual(code, 200, body)
        r = subprocess.run([cs_index(), "setup", "--es-host", url, "--es-index-prefix",
                            self.prefix, "--es-replicas", "0", "--es-refresh-interval", "1s"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(search.delete, self.prefix)
        docs = self.reference()
        # The feed pauses at 30 % until the block is in place, then goes on while it holds.
        ingest = self.start_ingest(seconds=30, hosts=url, hold=0.3)

        def node_blocked():
            code, body = search.request(
                "GET", "/%s-*/_settings/index.blocks.read_only_allow_delete" % self.prefix)
            return code == 200 and any(
                v.get("settings", {}).get("index", {}).get("blocks", {}).get(
                    "read_only_allow_delete") == "true" for v in body.values())
        self.assertTrue(cs.wait_until(lambda: search.indices(self.prefix), 30))
        self.sleep_until(ingest, 3)
        # Fill the disk to 97 %: past the default flood stage (95 %).
        st = os.statvfs(data)
        total, free = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
        ballast = os.path.join(data, "ballast")
        with open(ballast, "wb") as f:
            f.truncate(0)
            f.write(b"\0" * max(0, free - total * 3 // 100))
        self.addCleanup(lambda: os.path.exists(ballast) and os.remove(ballast))
        self.assertTrue(cs.wait_until(node_blocked, 40), "the disk monitor set no block")
        blocked_at = time.monotonic()
        ingest.release()
        time.sleep(BLOCK_SECONDS)
        self.assertTrue(ingest.running(), ingest.log())
        os.remove(ballast)
        self.assertTrue(cs.wait_until(lambda: not node_blocked(), 40), "block not released")
        held = time.monotonic() - blocked_at
        code = ingest.wait(300)
        self.assertEqual(code, 0, ingest.log())
        stats = ingest.stats()
        self.assertGreater(stats["retried"], 0, "nothing was sent while the disk was full")
        self.assertEqual(stats["acked"] + stats["present"], len(docs))
        expected, indexed, duplicates, lost = cs.check_exact(self, search, self.prefix, docs,
                                                             self.capture)
        self.results.record(scenario=self.scenario, expected=len(docs), indexed=indexed,
                            dead_lettered=0, duplicates=duplicates, lost=lost,
                            seconds=round(ingest.seconds, 1), blocked_seconds=round(held, 1),
                            retried=stats["retried"], acked=stats["acked"],
                            present=stats["present"])


def cs_index():
    from cluster_scenario import SNAPFLOW_INDEX
    return SNAPFLOW_INDEX


if __name__ == "__main__":
    main()
