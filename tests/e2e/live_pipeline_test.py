#!/usr/bin/env python3
"""The live pipeline end to end (issue 4), against the real OpenSearch node of the indexer tests:

  snapflow-capture (DPDK net_pcap vdev replaying a generated file) -> SSD ring
  -> pcap2json --ring DIR --consumer NAME --follow --es-host URL -> index

net_pcap replays its file once and the daemon restamps packets with the capture time, so the
expected totals are the files' packets and wire bytes (and the ring's own metadata, which must
agree), never their times. Scenarios, each ending with exact sums of network.packets/bytes over
the flow and the totals documents (a packet counted twice, under any id, would show):
  1. steady: capture while pcap2json follows; SIGTERM drains and exits 0;
  2. node paused (SIGSTOP) for 20 s while more data is captured; the ring absorbs it;
  3. kill -9 of pcap2json mid-ingest, restart with the same consumer: the index then holds
     exactly the document ids of a one-shot reference run over the same ring (no idle time in
     either, so both cut the same parts: docs/decisions/0005-document-identity.md);
  4. a ring much smaller than the backlog: the overrun consumer indexes a gap document whose
     totals plus the flow documents' equal everything captured;
  5. two consumers of one ring: a second one under the same observer and capture is refused;
     under its own capture label it indexes its own exact copy;
  7. accounting: a libpcap capture on a veth pair that drops (the daemon is paused while
     tcpreplay sends) and a ring that overruns (the node is paused): the snapflow.accounting
     documents satisfy received = dropped + spooled and spooled = exported + overwritten +
     unread, received equals what tcpreplay sent, and exported equals the indexed packets;
  6. a paused node lets the unread backlog pass half the ring: the follower emits coarser
     snapshots (marked snapflow.resolution) until it has caught up, then full ones again, with
     exact sums throughout (docs/decisions/0006-graceful-degradation.md).
Every test removes its processes, indices and ring even when a check fails; a paused node is
always resumed. Needs root (DPDK EAL) and a DPDK build.
Usage: live_pipeline_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX SNAPFLOW_CAPTURE WORKDIR
Environment: SNAPFLOW_SOURCE_DIR (scripts/search-server.sh; or SNAPFLOW_SEARCH_URL).
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

PCAP2JSON, SNAPFLOW_GEN, SNAPFLOW_INDEX, SNAPFLOW_CAPTURE, WORKDIR = sys.argv[1:6]
del sys.argv[1:6]
SOURCE_DIR = os.environ.get("SNAPFLOW_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
import pcap2json_search as ps  # noqa: E402

FLAVOUR = "opensearch"
CAPTURE_LABEL = "live"
ACCOUNTING = "snapflow.accounting"


class Process:
    """A child process with its stderr in a log file; stop() and kill() are idempotent."""

    def __init__(self, args, log_path, block_stop_signals=False):
        self.log_path = log_path
        self.args = args
        with open(log_path, "w") as log:
            self.proc = subprocess.Popen(
                args, stdout=subprocess.DEVNULL, stderr=log,
                preexec_fn=ps.block_stop_signals if block_stop_signals else None)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout=60):
        """SIGTERM and wait: the exit code (negative: killed by that signal)."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.running():
            self.proc.kill()
        return self.proc.wait()


def wait_until(predicate, timeout_s, step_s=0.2):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step_s)


class LivePipeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (DPDK EAL)")
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.url = ps.server_url(SOURCE_DIR, FLAVOUR)
        cls.search = ps.Search(cls.url)
        cls.files = {}
        for name, args in (
                ("a", ["--flows", "200", "--packets", "20000", "--size", "imix", "--seed", "41"]),
                ("b", ["--flows", "150", "--packets", "15000", "--size", "imix", "--ipv6", "0.3",
                       "--seed", "42"]),
                ("vx", ["--flows", "100", "--packets", "10000", "--size", "imix", "--tunnel",
                        "vxlan", "--seed", "43"]),
                ("many", ["--flows", "500", "--packets", "200000", "--size", "64", "--seed",
                          "44"]),
                ("small", ["--flows", "20", "--packets", "1000", "--size", "imix", "--seed", "45"]),
                ("big", ["--flows", "300", "--packets", "60000", "--size", "imix",
                         "--seed", "46"])):
            path = os.path.join(WORKDIR, name + ".pcap")
            subprocess.run([SNAPFLOW_GEN, "-q", "-o", path, *args], check=True)
            cls.files[name] = (path, ps.pcap_totals(path))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)

    def setUp(self):
        self.name = self.id().rsplit(".", 1)[-1].replace("test_", "").replace("_", "-")
        self.dir = os.path.join(WORKDIR, self.name)
        os.makedirs(self.dir)
        self.ring = os.path.join(self.dir, "ring")
        self.prefix = "e2e-live-%s-%d" % (self.name, os.getpid())
        self.observer = self.prefix
        ps.setup_index(SNAPFLOW_INDEX, self.url, self.prefix)
        self.addCleanup(self.search.delete, self.prefix)
        self.runs = 0
        self.snapshot_args = []

    # --- capture ------------------------------------------------------------------------------

    def capture(self, name, ring_bytes="64M", segment_bytes="4M", policy="overwrite"):
        """Replays one generated file into the ring with snapflow-capture (DPDK net_pcap) and
        returns its (packets, bytes); the ring's metadata must have grown by exactly that."""
        path, totals = self.files[name]
        before = ps.ring_totals(self.ring) if os.path.exists(self.ring) else (0, 0)
        daemon = Process([SNAPFLOW_CAPTURE, "--source=dpdk",
                          "--dpdk-eal-args=-l 0 --no-huge -m 512 --no-pci --no-shconf "
                          "--vdev net_pcap0,rx_pcap=" + path,
                          "--dpdk-mbufs=4096", "--ring-dir=" + self.ring,
                          "--ring-bytes=" + ring_bytes, "--ring-segment-bytes=" + segment_bytes,
                          "--ring-policy=" + policy, "--api-listen=off", "--flush-interval=20ms",
                          "--observer-name=" + self.observer],
                         os.path.join(self.dir, "capture-%s.log" % name))
        self.addCleanup(daemon.kill)
        # The EAL's runtime directory (default --file-prefix snapflow-PID, docs/capture.md).
        self.addCleanup(shutil.rmtree, "/var/run/dpdk/snapflow-%d" % daemon.proc.pid, True)
        expected = (before[0] + totals[0], before[1] + totals[1])
        reached = wait_until(lambda: (not daemon.running() or
                                      (os.path.exists(os.path.join(self.ring, "ring.meta")) and
                                       ps.ring_totals(self.ring) == expected)), 60)
        self.assertTrue(reached and daemon.running(), daemon.log())
        self.assertEqual(daemon.stop(), 0, daemon.log())
        self.assertIn("stopped: %d packets captured, 0 dropped, %d received" %
                      (totals[0], totals[0]), daemon.log())
        self.assertEqual(ps.ring_totals(self.ring), expected)
        return totals

    # --- pcap2json ----------------------------------------------------------------------------

    def pcap2json(self, consumer, follow=True, block_stop_signals=True, extra=(),
                  capture=CAPTURE_LABEL):
        self.runs += 1
        args = [PCAP2JSON, "--ring", self.ring, "--consumer", consumer, "--es-host", self.url,
                "--index-prefix", self.prefix, "--observer", self.observer, "--capture",
                capture, "--stats", "--no-progress", "--es-flush-interval", "200ms",
                "--es-dead-letter", os.path.join(self.dir, "dead-letter.ndjson"),
                *self.snapshot_args, *extra]
        if follow:
            args.append("--follow")
        proc = Process(args, os.path.join(self.dir, "pcap2json-%d.log" % self.runs),
                       block_stop_signals)
        self.addCleanup(proc.kill)
        return proc

    def finish(self, proc):
        """SIGTERM a follower: it must drain, commit and exit 0; returns its --stats."""
        code = proc.stop()
        self.assertEqual(code, 0, "pcap2json exit %s:\n%s" % (code, proc.log()))
        stats = ps.parse_stats(proc.log())
        self.assertTrue(stats["exact"], proc.log())
        self.assertEqual(stats["dead_lettered"], 0, proc.log())
        return stats

    def wait_indexed(self, packets, bytes_, proc=None, timeout_s=60):
        """Polls the flow documents' sums until they reach the expected totals; never above."""
        last = [None]

        def reached():
            last[0] = self.search.sums(self.prefix, "snapflow.flow")
            self.assertLessEqual(last[0][1], packets, "more packets indexed than captured")
            if proc is not None and not proc.running():
                self.fail("pcap2json exited early:\n" + proc.log())
            return last[0][1:] == (packets, bytes_)

        ok = wait_until(reached, timeout_s, 0.5)
        self.assertTrue(ok, "index sums %s, expected (%d, %d)%s" %
                        (last[0], packets, bytes_, "\n" + proc.log() if proc else ""))
        return last[0]

    def reference_ids(self):
        """Document ids of a one-shot run over the whole ring (no consumer, bulk to a file)."""
        out = os.path.join(self.dir, "reference.ndjson")
        r = subprocess.run([PCAP2JSON, "--ring", self.ring, "--bulk", "-o", out, "--no-progress",
                            "--index-prefix", self.prefix, "--observer", self.observer,
                            "--capture", CAPTURE_LABEL, *self.snapshot_args],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        ids = []
        with open(out) as f:
            for line in f:
                if line.startswith('{"create"'):
                    ids.append(line.split('"_id":"', 1)[1].split('"', 1)[0])
        return sorted(ids)

    def check_exact(self, packets, bytes_, same_ids_as_reference=False):
        """Flow and totals sums equal the capture; optionally the ids are exactly those of a
        one-shot reference run (only where the follower never went idle). The consumer's own
        snapflow.accounting samples (about one a second, so their number depends on timing)
        are left out of the id and count comparisons; test_accounting_identity checks them."""
        flows = self.search.sums(self.prefix, "snapflow.flow")
        totals = self.search.sums(self.prefix, "snapflow.totals", refresh=False)
        self.assertEqual(flows[1:], (packets, bytes_))
        self.assertEqual(totals[1:], (packets, bytes_))
        ids = self.search.ids(self.prefix, exclude=ACCOUNTING)
        self.assertEqual(len(ids), len(set(ids)), "a document id is stored twice")
        if same_ids_as_reference:
            self.assertEqual(ids, self.reference_ids())
        self.assertEqual(self.search.count(self.prefix, exclude=ACCOUNTING), flows[0] + totals[0])
        return flows[0] + totals[0]

    def sums_of_capture(self, label):
        """(packets, bytes) over the flow documents of one labels.capture."""
        self.search.refresh(self.prefix)
        status, body = self.search.request("POST", "/%s-*/_search" % self.prefix, {
            "size": 0, "query": {"bool": {"filter": [
                {"term": {"event.dataset": "snapflow.flow"}},
                {"term": {"labels.capture": label}}]}},
            "aggs": {"p": {"sum": {"field": "network.packets"}},
                     "b": {"sum": {"field": "network.bytes"}}}})
        self.assertEqual(status, 200, body)
        aggs = body["aggregations"]
        return int(aggs["p"]["value"]), int(aggs["b"]["value"])

    def cursor_packets(self, consumer):
        cursor = ps.read_cursor(self.ring, consumer)
        return cursor["packets"] if cursor else -1

    # --- scenarios ----------------------------------------------------------------------------

    def test_steady(self):
        a = self.capture("a")  # creates the ring
        # A plain start: an operator's SIGTERM must drain, commit and exit 0. (Fails while
        # pcap2json/app/main.cc starts the BulkIndexer's threads before it blocks SIGTERM: the
        # signal can land on one of them and kill the process.)
        follower = self.pcap2json("live", block_stop_signals=False)
        b = self.capture("vx")  # captured while pcap2json follows
        packets, bytes_ = a[0] + b[0], a[1] + b[1]
        self.wait_indexed(packets, bytes_, follower)
        stats = self.finish(follower)
        self.assertEqual((stats["packets"], stats["bytes"]), (packets, bytes_))
        documents = self.check_exact(packets, bytes_)
        self.assertEqual(stats["data_documents"], documents)
        self.assertEqual(self.search.count(self.prefix, dataset=ACCOUNTING), stats["accounting"])
        self.assertEqual((stats["acked"], stats["present"]), (stats["documents"], 0))
        self.assertEqual(self.cursor_packets("live"), packets)

    def test_node_paused(self):
        a = self.capture("a")
        follower = self.pcap2json("paused", extra=("--es-timeout", "5s"))
        self.wait_indexed(*a, follower)
        pid = ps.server_pid(SOURCE_DIR, FLAVOUR)
        os.kill(pid, signal.SIGSTOP)
        paused_at = time.monotonic()
        try:
            b = self.capture("b")  # the ring absorbs it while the node cannot index
            time.sleep(max(0.0, 20 - (time.monotonic() - paused_at)))
            # Nothing of b is acknowledged, so the cursor cannot have passed a.
            self.assertLessEqual(self.cursor_packets("paused"), a[0])
            self.assertTrue(follower.running(), follower.log())
        finally:
            os.kill(pid, signal.SIGCONT)
        packets, bytes_ = a[0] + b[0], a[1] + b[1]
        self.wait_indexed(packets, bytes_, follower, timeout_s=90)
        stats = self.finish(follower)
        self.assertEqual((stats["packets"], stats["bytes"]), (packets, bytes_))
        documents = self.check_exact(packets, bytes_)
        self.assertEqual(stats["acked"] + stats["present"], stats["documents"])
        self.assertEqual(stats["data_documents"], documents)
        self.assertEqual(self.cursor_packets("paused"), packets)

    def test_kill9_restart(self):
        # net_pcap replays 200 000 packets in a few hundred ms: 10 ms snapshots and 20 ms
        # checkpoints make dozens of parts, so the cursor is committed early and the kill lands
        # with most still to index.
        self.snapshot_args = ["--interval", "10ms", "--reorder-window", "1ms",
                              "--checkpoint", "20ms"]
        packets, bytes_ = self.capture("many", ring_bytes="64M", segment_bytes="4M")
        expected_docs = len(self.reference_ids())
        first = self.pcap2json("crash", extra=("--es-bulk-bytes", "64K", "--es-in-flight", "1"))

        # Kill once the first snapshots are acknowledged and committed, mid-way through the rest.
        self.assertTrue(wait_until(lambda: self.cursor_packets("crash") > 0, 60, 0.05),
                        first.log())
        first.kill()
        self.search.refresh(self.prefix)
        indexed = self.search.count(self.prefix, exclude=ACCOUNTING)
        self.assertLess(indexed, expected_docs, "killed too late: everything was indexed")
        resumed_at = self.cursor_packets("crash")
        second = self.pcap2json("crash")
        self.wait_indexed(packets, bytes_, second)
        stats = self.finish(second)
        # The restart read only what the cursor had not committed.
        self.assertEqual(stats["packets"], packets - resumed_at)
        documents = self.check_exact(packets, bytes_, same_ids_as_reference=True)
        self.assertEqual(documents, expected_docs)
        self.assertEqual(self.cursor_packets("crash"), packets)
        sys.stderr.write("kill -9 after %d of %d documents, cursor at %d of %d packets; restart: "
                         "%d acked, %d already present\n" % (indexed, expected_docs, resumed_at,
                                                             packets, stats["acked"],
                                                             stats["present"]))

    def test_ring_too_small(self):
        ring = {"ring_bytes": "8M", "segment_bytes": "1M"}
        small = self.capture("small", **ring)
        # Register the consumer and index the small capture (one-shot, not following).
        first = self.pcap2json("late", follow=False)
        self.assertEqual(first.proc.wait(120), 0, first.log())
        first_stats = self.finish(first)
        self.wait_indexed(*small)
        self.assertEqual(first_stats["packets"], small[0])
        self.assertEqual(self.cursor_packets("late"), small[0])
        big = self.capture("big", **ring)  # 22 MB into an 8 MiB ring: overruns the consumer
        oldest = ps.ring_oldest_base(self.ring)
        self.assertGreater(oldest[0], small[0])
        follower = self.pcap2json("late")
        total = (small[0] + big[0], small[1] + big[1])
        lost = (oldest[0] - small[0], oldest[1] - small[1])  # docs/ring.md: exact gap
        self.wait_indexed(total[0] - lost[0], total[1] - lost[1], follower)
        stats = self.finish(follower)
        self.assertEqual((stats["gaps"], stats["gap_packets"], stats["gap_bytes"]), (1,) + lost)
        gaps = self.search.docs(self.prefix, "snapflow.gap")
        self.assertEqual(len(gaps), 1)
        gap = gaps[0]
        self.assertEqual((gap["network"]["packets"], gap["network"]["bytes"]), lost)
        self.assertEqual(gap["snapflow"]["consumer"], "late")
        self.assertEqual(gap["event"]["kind"], "gap")
        flows = self.search.sums(self.prefix, "snapflow.flow")
        self.assertEqual((flows[1] + lost[0], flows[2] + lost[1]), total)
        self.search.refresh(self.prefix)
        self.assertEqual(self.search.count(self.prefix, exclude=ACCOUNTING),
                         first_stats["data_documents"] + stats["data_documents"])
        # The follower's first sample repeats the one-shot's last one when the capture counters
        # did not move in between: same content, same id, verified and counted as present.
        self.assertEqual(self.search.count(self.prefix, dataset=ACCOUNTING),
                         first_stats["accounting"] + stats["accounting"] - stats["present"])
        self.assertEqual(self.cursor_packets("late"), total[0])

    def test_kill9_then_overrun(self):
        # The first run indexes everything but commits its cursor only once (--commit-every
        # 1h), is killed, and the ring then overwrites all it had read. Its documents after the
        # cursor count packets the restart's gap document counts too, unless the restart
        # retracts them: it does, and flows + gap equal the ring exactly.
        ring = {"ring_bytes": "8M", "segment_bytes": "1M"}
        # The capture replays in some 20 ms: 1 ms parts make a cursor that can lag.
        self.snapshot_args = ["--interval", "1ms", "--reorder-window", "0",
                              "--checkpoint", "1ms"]
        first_capture = self.capture("b", **ring)
        # Small requests, one at a time: the first commit comes with the first acknowledged
        # request, long before the rest is indexed.
        first = self.pcap2json("crash", extra=("--commit-every", "1h", "--es-bulk-bytes", "64K",
                                               "--es-in-flight", "1"))
        self.assertTrue(wait_until(lambda: self.cursor_packets("crash") > 0, 60, 0.05),
                        first.log())
        self.wait_indexed(*first_capture, proc=first)
        first.kill()
        cursor = ps.read_cursor(self.ring, "crash")
        self.assertLess(cursor["packets"], first_capture[0], "the cursor did not lag")
        self.capture("big", **ring)  # 22 MB into an 8 MiB ring: the first capture is gone
        oldest = ps.ring_oldest_base(self.ring)
        self.assertGreater(oldest[0], first_capture[0])
        ring_end = ps.ring_totals(self.ring)
        lost = (oldest[0] - cursor["packets"], oldest[1] - cursor["wire_bytes"])
        second = self.pcap2json("crash")
        self.wait_indexed(ring_end[0] - lost[0], ring_end[1] - lost[1], second)
        stats = self.finish(second)
        self.assertRegex(second.log(), r"removed \d+ documents its previous run delivered")
        self.assertEqual((stats["gaps"], stats["gap_packets"], stats["gap_bytes"]), (1,) + lost)
        flows = self.search.sums(self.prefix, "snapflow.flow")
        totals = self.search.sums(self.prefix, "snapflow.totals", refresh=False)
        gaps = self.search.sums(self.prefix, "snapflow.gap", refresh=False)
        self.assertEqual((flows[1] + gaps[1], flows[2] + gaps[2]), ring_end)
        self.assertEqual(totals[1:], flows[1:])
        self.assertEqual(gaps[1:], lost)
        ids = self.search.ids(self.prefix, exclude=ACCOUNTING)
        self.assertEqual(len(ids), len(set(ids)), "a document id is stored twice")
        self.assertTrue(wait_until(lambda: self.accounting_sums()["unread"] == 0, 10, 0.5))
        acc = self.accounting_sums()
        sys.stderr.write("kill -9 with the cursor at %d of %d packets, then an overrun; "
                         "restart: gap %s, accounting %s\n" %
                         (cursor["packets"], first_capture[0], lost, acc))
        self.assertEqual(acc["exported"], flows[1])
        self.assertEqual(acc["overwritten"], gaps[1])

    def test_two_consumers(self):
        a = self.capture("a")
        first = self.pcap2json("first", follow=False)
        self.assertEqual(first.proc.wait(120), 0, first.log())
        self.finish(first)
        # Under the same observer and capture, a second consumer would index every packet
        # again: refused at start, naming the first.
        second = self.pcap2json("second", follow=False)
        self.assertEqual(second.proc.wait(60), 1, second.log())
        self.assertIn("consumer 'first' already exports", second.log())
        self.assertIsNone(ps.read_cursor(self.ring, "second"))
        self.assertEqual(self.sums_of_capture(CAPTURE_LABEL), a)
        # Under its own capture label it keeps its own, distinct and exact, documents.
        third = self.pcap2json("second", follow=False, capture="copy")
        self.assertEqual(third.proc.wait(120), 0, third.log())
        stats = self.finish(third)
        self.assertEqual((stats["acked"], stats["present"]), (stats["documents"], 0))
        self.assertEqual(self.sums_of_capture(CAPTURE_LABEL), a)
        self.assertEqual(self.sums_of_capture("copy"), a)
        # The first consumer resumes where it was: nothing new, nothing twice.
        again = self.pcap2json("first", follow=False)
        self.assertEqual(again.proc.wait(60), 0, again.log())
        self.assertEqual(self.finish(again)["packets"], 0)
        self.assertEqual(self.sums_of_capture(CAPTURE_LABEL), a)

    def resolutions(self):
        """{snapflow.resolution or "full": (documents, packets)} over the flow documents."""
        self.search.refresh(self.prefix)
        status, body = self.search.request("POST", "/%s-*/_search" % self.prefix, {
            "size": 0, "query": {"term": {"event.dataset": "snapflow.flow"}},
            "aggs": {"r": {"terms": {"field": "snapflow.resolution", "missing": "full"},
                           "aggs": {"p": {"sum": {"field": "network.packets"}}}}}})
        self.assertEqual(status, 200, body)
        return {b["key"]: (b["doc_count"], int(b["p"]["value"]))
                for b in body["aggregations"]["r"]["buckets"]}

    def test_degrades_when_behind(self):
        ring = {"ring_bytes": "20M", "segment_bytes": "1M"}
        first = self.capture("small", **ring)
        # net_pcap replays a file in well under a second of capture time: 10 ms snapshots of the
        # 500-flow file make thousands of documents, so the stalled pipeline (small batches and
        # requests) holds only a little of it and the ring the rest; 20 ms checkpoints give part
        # starts (where the follower decides its resolution) inside the backlog.
        follower = self.pcap2json("behind", extra=(
            "--es-timeout", "5s", "--batch-packets", "256", "--checkpoint", "20ms",
            "--interval", "10ms", "--reorder-window", "1ms", "--es-bulk-bytes", "64K",
            "--es-queue", "1", "--es-in-flight", "1"))
        self.wait_indexed(*first, follower)
        pid = ps.server_pid(SOURCE_DIR, FLAVOUR)
        os.kill(pid, signal.SIGSTOP)
        # Frozen too while the backlog is captured: otherwise, on a busy machine, it reads
        # along with the capture until its pipeline fills, and how far it got (so whether the
        # unread share passes half the ring) depends on scheduling.
        os.kill(follower.proc.pid, signal.SIGSTOP)
        try:
            many = self.capture("many", **ring)  # 16 MB into a 20 MiB ring, nothing indexed
            os.kill(follower.proc.pid, signal.SIGCONT)
            time.sleep(2)  # it reads until its pipeline is full, deciding parts on the way
        finally:
            os.kill(follower.proc.pid, signal.SIGCONT)
            os.kill(pid, signal.SIGCONT)
        behind = (first[0] + many[0], first[1] + many[1])
        self.wait_indexed(*behind, follower, timeout_s=180)
        degraded = self.resolutions()
        self.assertTrue(set(degraded) - {"full"}, "%s\n%s" % (degraded, follower.log()))
        # Caught up: new traffic is indexed at full resolution again.
        last = self.capture("vx", **ring)
        total = (behind[0] + last[0], behind[1] + last[1])
        self.wait_indexed(*total, follower, timeout_s=60)
        stats = self.finish(follower)
        self.assertGreater(stats["degraded_parts"], 0, follower.log())
        self.assertEqual(stats["gaps"], 0)  # degraded instead of overwritten
        self.check_exact(*total)
        after = self.resolutions()
        self.assertEqual(after["full"][1] - degraded.get("full", (0, 0))[1], last[0])
        sys.stderr.write("degradation: %s\n" % after)
    def accounting_sums(self):
        """Sums of the snapflow.accounting counters, and the last sample's gauges."""
        self.search.refresh(self.prefix)
        fields = ["received.packets", "dropped.packets", "spooled.packets", "exported.packets",
                  "overwritten.packets"]
        status, body = self.search.request("POST", "/%s-*/_search" % self.prefix, {
            "size": 1, "sort": [{"event.end": "desc"}],
            "query": {"term": {"event.dataset": "snapflow.accounting"}},
            "aggs": {f: {"sum": {"field": "snapflow.accounting." + f}} for f in fields}})
        self.assertEqual(status, 200, body)
        sums = {f.split(".")[0]: int(body["aggregations"][f]["value"]) for f in fields}
        last = body["hits"]["hits"][0]["_source"]["snapflow"]["accounting"]
        sums["pending"] = last["pending"]["packets"]
        sums["unread"] = last["consumer_lag"]["packets"]
        sums["documents"] = body["hits"]["total"]["value"]
        return sums

    def test_accounting_identity(self):
        tag = "sfacc%d" % (os.getpid() % 100000)
        ns, host, peer = tag, tag + "h", tag + "p"
        subprocess.run(
            "set -e; ip netns add {ns}; ip link add {h} type veth peer name {p} mtu 9000; "
            "ip link set {h} mtu 9000; ip link set {p} netns {ns}; "
            "sysctl -qw net.ipv6.conf.{h}.disable_ipv6=1; "
            "ip netns exec {ns} sysctl -qw net.ipv6.conf.{p}.disable_ipv6=1; "
            "ip link set {h} up; ip netns exec {ns} ip link set {p} up".format(ns=ns, h=host, p=peer),
            shell=True, check=True)
        self.addCleanup(subprocess.run, "ip netns del %s; ip link del %s" % (ns, host),
                        shell=True, stderr=subprocess.DEVNULL)
        daemon = Process([SNAPFLOW_CAPTURE, "--source=pcap:" + host, "--ring-dir=" + self.ring,
                          "--ring-bytes=4M", "--ring-segment-bytes=1M",
                          "--pcap-buffer-bytes=1M", "--api-listen=off",
                          "--flush-interval=20ms", "--observer-name=" + self.observer],
                         os.path.join(self.dir, "capture.log"))
        self.addCleanup(daemon.kill)
        self.assertTrue(wait_until(lambda: os.path.exists(os.path.join(self.ring, "ring.meta")),
                                   30), daemon.log())
        # Small batches and requests: a stalled follower holds little, so the ring overruns.
        follower = self.pcap2json("acct", extra=(
            "--es-timeout", "5s", "--batch-packets", "256", "--es-bulk-bytes", "64K",
            "--es-queue", "1", "--es-in-flight", "1"))
        time.sleep(1.5)  # registered, with a first accounting baseline

        def replay(name, rate=("--mbps", "200")):
            path = self.files[name][0]
            r = subprocess.run(["ip", "netns", "exec", ns, "tcpreplay", *rate, "-i", peer,
                                path], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            return self.files[name][1][0]

        sent = replay("small")
        # Drops: the daemon cannot read while it is stopped; the 1 MiB kernel buffer overflows.
        os.kill(daemon.proc.pid, signal.SIGSTOP)
        try:
            sent += replay("a", rate=("--topspeed",))
        finally:
            os.kill(daemon.proc.pid, signal.SIGCONT)
        # Overrun: the node cannot index, the follower stalls, 22 MB pass through a 4 MiB ring.
        # The follower is frozen while they do (else, on a busy machine, it may keep up with a
        # capture that drops much of the replay, and nothing is overwritten).
        pid = ps.server_pid(SOURCE_DIR, FLAVOUR)
        os.kill(pid, signal.SIGSTOP)
        os.kill(follower.proc.pid, signal.SIGSTOP)
        try:
            sent += replay("big", rate=("--mbps", "100"))
            os.kill(follower.proc.pid, signal.SIGCONT)
            time.sleep(1)
        finally:
            os.kill(follower.proc.pid, signal.SIGCONT)
            os.kill(pid, signal.SIGCONT)
        self.assertEqual(daemon.stop(), 0, daemon.log())
        ring_end = ps.ring_totals(self.ring)[0]
        self.assertTrue(wait_until(lambda: self.cursor_packets("acct") == ring_end, 120, 0.5),
                        follower.log())
        stats = self.finish(follower)
        acc = self.accounting_sums()
        sys.stderr.write("accounting: sent %d, %s\n" % (sent, acc))
        self.assertGreater(stats["gaps"], 0, follower.log())
        self.assertGreater(acc["dropped"], 0, acc)
        self.assertGreater(acc["overwritten"], 0, acc)
        self.assertEqual(acc["received"], sent)  # every packet from the wire accounted for
        self.assertEqual(acc["received"], acc["dropped"] + acc["spooled"] + acc["pending"])
        self.assertEqual(acc["pending"], 0)
        self.assertEqual(acc["spooled"], acc["exported"] + acc["overwritten"] + acc["unread"])
        self.assertEqual(acc["unread"], 0)
        self.assertEqual(acc["spooled"], ring_end)
        flows = self.search.sums(self.prefix, "snapflow.flow")
        gaps = self.search.sums(self.prefix, "snapflow.gap", refresh=False)
        self.assertEqual(flows[1], acc["exported"])
        self.assertEqual(gaps[1], acc["overwritten"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
