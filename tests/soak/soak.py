#!/usr/bin/env python3
"""Soak: the whole live pipeline under a fault every interval, then the invariants (issue 13,
item 9; docs/reliability.md).

  tcpreplay --loop in a network namespace -> veth -> snapflow-capture (libpcap) -> SSD ring
  -> pcap2json --ring --consumer soak --follow --es-host <3 nodes> -> a 3-node cluster

Faults, one per interval, in turn: a data node killed (kill -9) and restarted; pcap2json killed
(kill -9) and restarted; the cluster made read-only (cluster.blocks.read_only_allow_delete) and
released; a node paused (SIGSTOP) and resumed; the capture daemon paused while traffic flows
(kernel drops).

At the end (traffic stopped, capture stopped, pcap2json caught up and stopped with SIGTERM):
  - flow documents' packets + gap documents' packets = records the ring ever held (spooled),
    and totals documents' packets = flow documents' packets;
  - the accounting documents: received = dropped + spooled (+ pending, 0 at the end), spooled
    = exported + overwritten + unread (0 at the end), exported = flow documents' packets,
    overwritten = gap documents' packets;
  - received = packets tcpreplay reports it sent (every packet from the wire accounted for);
  - no document id stored twice, and no document refused (the dead-letter file, shared by
    every pcap2json run of the soak, is empty).

Usage: soak.py SECONDS BUILD_DIR WORKDIR
Environment: SNAPFLOW_SEARCH_FLAVOUR (default opensearch), SNAPFLOW_SEARCH_INSTANCE (the
cluster's tag; scripts/search-cluster.sh), SNAPFLOW_SOAK_FAULT_EVERY (seconds, default 60),
SNAPFLOW_SOAK_START_CLUSTER=1 (start and stop the cluster here; otherwise it must be running).
Needs root (netns, veth, libpcap).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.join(HERE, "..", "..")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
import cluster_support as cs  # noqa: E402
import pcap2json_search as ps  # noqa: E402

SECONDS, BUILD, WORKDIR = int(sys.argv[1]), sys.argv[2], sys.argv[3]
FAULT_EVERY = int(os.environ.get("SNAPFLOW_SOAK_FAULT_EVERY", "60"))
BIN = {
    "pcap2json": os.path.join(BUILD, "pcap2json", "pcap2json"),
    "gen": os.path.join(BUILD, "core", "synth", "snapflow-gen"),
    "index": os.path.join(BUILD, "indexer", "snapflow-index"),
    "capture": os.path.join(BUILD, "capture", "snapflow-capture"),
}
TAG = "sfsoak%d" % (os.getpid() % 10000)
PREFIX = "soak-%d" % os.getpid()
OBSERVER = "soak"


def log(message):
    sys.stderr.write("soak %s %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


def sh(command, check=True):
    return subprocess.run(command, shell=True, check=check, capture_output=True, text=True)


class Process:
    def __init__(self, args, name, preexec=None):
        self.args, self.name = args, name
        self.log_path = os.path.join(WORKDIR, name + ".log")
        self.start(preexec)

    def start(self, preexec=None):
        with open(self.log_path, "a") as f:
            self.proc = subprocess.Popen(self.args, stdout=f, stderr=f, preexec_fn=preexec)

    def running(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def stop(self, timeout=120):
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def tail(self, lines=30):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])


class Soak:
    def __init__(self):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        self.cleanups = []
        self.ring = os.path.join(WORKDIR, "ring")
        self.cluster = cs.Cluster()
        self.hosts = self.cluster.hosts()
        self.pcap = os.path.join(WORKDIR, "traffic.pcap")
        subprocess.run([BIN["gen"], "-q", "-o", self.pcap, "--flows", "400", "--packets",
                        "50000", "--size", "imix", "--ipv6", "0.2", "--seed", "77"], check=True)

    def run(self):
        try:
            self.start()
            faults = [self.kill_node, self.kill_pcap2json, self.read_only, self.pause_node,
                      self.pause_capture]
            deadline = time.monotonic() + SECONDS
            k = 0
            while time.monotonic() + FAULT_EVERY <= deadline:
                time.sleep(FAULT_EVERY / 2)
                faults[k % len(faults)]()
                k += 1
                time.sleep(max(0.0, FAULT_EVERY / 2 - 5))
                self.check_alive()
            time.sleep(max(0.0, deadline - time.monotonic()))
            return self.finish(k)
        finally:
            for cleanup in reversed(self.cleanups):
                try:
                    cleanup()
                except Exception as e:  # noqa: BLE001 - cleanup must go on
                    log("cleanup: %s" % e)

    # --- setup ---------------------------------------------------------------------------------

    def start(self):
        ns, host, peer = TAG, TAG + "h", TAG + "p"
        sh("ip netns add {ns}; ip link add {h} type veth peer name {p} mtu 9000; "
           "ip link set {h} mtu 9000; ip link set {p} netns {ns}; "
           "sysctl -qw net.ipv6.conf.{h}.disable_ipv6=1; "
           "ip netns exec {ns} sysctl -qw net.ipv6.conf.{p}.disable_ipv6=1; "
           "ip link set {h} up; ip netns exec {ns} ip link set {p} up".format(ns=ns, h=host, p=peer))
        self.cleanups.append(lambda: sh("ip netns del %s; ip link del %s" % (ns, host), False))
        subprocess.run([BIN["index"], "setup", "--es-host", self.hosts, "--es-index-prefix",
                        PREFIX, "--es-replicas", "1", "--es-refresh-interval", "1s"],
                       check=True, capture_output=True)
        self.cleanups.append(self.delete_indices)
        self.capture = Process([BIN["capture"], "--source=pcap:" + host, "--ring-dir=" + self.ring,
                                "--ring-bytes=64M", "--ring-segment-bytes=4M",
                                "--api-listen=off", "--flush-interval=50ms",
                                "--observer-name=" + OBSERVER], "capture")
        self.cleanups.append(lambda: self.capture.stop(30))
        if not cs.wait_until(lambda: os.path.exists(os.path.join(self.ring, "ring.meta")), 30):
            raise RuntimeError("capture did not start:\n" + self.capture.tail())
        self.start_pcap2json()
        self.cleanups.append(lambda: self.pcap2json.stop(30))
        time.sleep(2)  # registered, first accounting baseline taken
        self.replay = Process(["ip", "netns", "exec", ns, "tcpreplay", "--loop", "0", "--mbps",
                               "20", "-i", peer, self.pcap], "tcpreplay")
        self.cleanups.append(lambda: self.replay.stop(10))
        log("running %d s, a fault every %d s, cluster %s" % (SECONDS, FAULT_EVERY, self.hosts))

    def start_pcap2json(self):
        self.pcap2json = Process(
            [BIN["pcap2json"], "--ring", self.ring, "--consumer", "soak", "--follow", "--es-host",
             self.hosts, "--index-prefix", PREFIX, "--observer", OBSERVER, "--capture", "live",
             "--stats", "--no-progress", "--es-timeout", "10s", "--es-retry-max-time", "10m",
             "--es-dead-letter", os.path.join(WORKDIR, "dead-letter.ndjson")],
            "pcap2json", preexec=ps.block_stop_signals)

    def delete_indices(self):
        ps.Search(self.cluster.any_search().url).delete(PREFIX)

    def check_alive(self):
        for p in (self.capture, self.pcap2json, self.replay):
            if not p.running():
                raise RuntimeError("%s exited:\n%s" % (p.name, p.tail()))

    # --- faults --------------------------------------------------------------------------------

    def kill_node(self):
        log("fault: kill -9 node 2, restart after 10 s")
        self.cluster.kill(2)
        time.sleep(10)
        self.cluster.start_node(2)

    def kill_pcap2json(self):
        log("fault: kill -9 pcap2json, restart")
        self.pcap2json.proc.kill()
        self.pcap2json.proc.wait()
        time.sleep(2)
        self.start_pcap2json()

    def read_only(self):
        log("fault: cluster read-only for 15 s")
        self.cluster.request("PUT", "/_cluster/settings", {"transient": {
            "cluster.blocks.read_only_allow_delete": True}})
        time.sleep(15)
        self.cluster.request("PUT", "/_cluster/settings", {"transient": {
            "cluster.blocks.read_only_allow_delete": None}})

    def pause_node(self):
        log("fault: node 3 paused for 15 s")
        pid = int(self.cluster.script("pid", "3"))
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(15)
        finally:
            os.kill(pid, signal.SIGCONT)

    def pause_capture(self):
        log("fault: capture daemon paused for 2 s (kernel drops)")
        self.capture.signal(signal.SIGSTOP)
        try:
            time.sleep(2)
        finally:
            self.capture.signal(signal.SIGCONT)

    # --- the end -------------------------------------------------------------------------------

    def finish(self, faults):
        self.replay.signal(signal.SIGINT)  # tcpreplay prints its totals
        self.replay.proc.wait(30)
        with open(self.replay.log_path) as f:
            sent = sum(int(m) for m in re.findall(r"Actual: (\d+) packets", f.read()))
        time.sleep(1)
        if self.capture.stop() != 0:
            raise RuntimeError("capture exit:\n" + self.capture.tail())
        ring_end = ps.ring_totals(self.ring)[0]
        self.cluster.heal()
        caught_up = cs.wait_until(
            lambda: (ps.read_cursor(self.ring, "soak") or {}).get("packets") == ring_end, 600, 1)
        code = self.pcap2json.stop(600)
        if not caught_up or code != 0:
            raise RuntimeError("pcap2json exit %s, caught up %s:\n%s" %
                               (code, caught_up, self.pcap2json.tail()))
        search = self.cluster.any_search()
        flows = search.sums(PREFIX, "snapflow.flow")
        totals = search.sums(PREFIX, "snapflow.totals", refresh=False)
        gaps = search.sums(PREFIX, "snapflow.gap", refresh=False)
        acc = accounting(search)
        ids = search.ids(PREFIX)
        dead_letter = os.path.join(WORKDIR, "dead-letter.ndjson")
        refused = 0
        if os.path.exists(dead_letter):
            with open(dead_letter) as f:
                refused = sum(1 for line in f if line.strip())
        result = {"seconds": SECONDS, "faults": faults, "sent": sent, "ring_records": ring_end,
                  "dead_lettered": refused,
                  "flow_packets": flows[1], "totals_packets": totals[1],
                  "gap_packets": gaps[1], "documents": len(ids),
                  "duplicate_ids": len(ids) - len(set(ids)), "accounting": acc}
        print(json.dumps(result))
        failures = []

        def expect(what, got, want):
            if got != want:
                failures.append("%s: %s, expected %s" % (what, got, want))
        expect("flow + gap packets = ring records", flows[1] + gaps[1], ring_end)
        expect("totals packets = flow packets", totals[1], flows[1])
        expect("duplicate ids", result["duplicate_ids"], 0)
        expect("documents refused (dead-letter lines, every run)", refused, 0)
        expect("received = dropped + spooled + pending", acc["received"],
               acc["dropped"] + acc["spooled"] + acc["pending"])
        expect("spooled = exported + overwritten + unread", acc["spooled"],
               acc["exported"] + acc["overwritten"] + acc["unread"])
        expect("spooled = ring records", acc["spooled"], ring_end)
        expect("exported = flow packets", acc["exported"], flows[1])
        expect("overwritten = gap packets", acc["overwritten"], gaps[1])
        expect("received = sent by tcpreplay", acc["received"], sent)
        if failures:
            raise RuntimeError("invariants broken:\n  " + "\n  ".join(failures))
        log("ok: %d faults, %d packets sent, %d documents, every invariant holds" %
            (faults, sent, len(ids)))
        return 0


def accounting(search):
    fields = ["received.packets", "dropped.packets", "spooled.packets", "exported.packets",
              "overwritten.packets"]
    status, body = search.request("POST", "/%s-*/_search" % PREFIX, {
        "size": 1, "sort": [{"event.end": "desc"}],
        "query": {"term": {"event.dataset": "snapflow.accounting"}},
        "aggs": {f: {"sum": {"field": "snapflow.accounting." + f}} for f in fields}})
    if status != 200 or not body["hits"]["hits"]:
        raise RuntimeError("no accounting documents: %s" % body)
    out = {f.split(".")[0]: int(body["aggregations"][f]["value"]) for f in fields}
    last = body["hits"]["hits"][0]["_source"]["snapflow"]["accounting"]
    out["pending"] = last.get("pending", {}).get("packets", 0)
    out["unread"] = last["consumer_lag"]["packets"]
    return out


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.stderr.write("soak: needs root (netns, veth, libpcap)\n")
        sys.exit(2)
    started = os.environ.get("SNAPFLOW_SOAK_START_CLUSTER") == "1"
    if started:
        subprocess.run([cs.CLUSTER_SCRIPT, "start", cs.FLAVOUR], check=True)
    try:
        sys.exit(Soak().run())
    except Exception as e:  # noqa: BLE001 - one line, non-zero exit
        sys.stderr.write("soak: FAILED: %s\n" % e)
        sys.exit(1)
    finally:
        if started:
            subprocess.run([cs.CLUSTER_SCRIPT, "stop", cs.FLAVOUR])
