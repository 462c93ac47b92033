"""Helpers shared by the pcap2json integration tests (tests/integration/pcap2json_*) and the
live pipeline end-to-end tests (tests/e2e/live_pipeline_*): a small Elasticsearch/OpenSearch
client over urllib, pcap2json --stats parsing, independent capture totals (tshark), and ring
metadata reading (docs/ring.md). Nothing here mocks a server: every query goes to the real node
that scripts/search-server.sh started (ctest fixtures search_server_start_<flavour>).
"""
import json
import os
import re
import signal
import struct
import subprocess
import urllib.error
import urllib.request


def server_url(source_dir, flavour):
    """SNAPFLOW_SEARCH_URL when set, else `scripts/search-server.sh url FLAVOUR`."""
    url = os.environ.get("SNAPFLOW_SEARCH_URL", "")
    if url:
        return url
    out = subprocess.run([os.path.join(source_dir, "scripts", "search-server.sh"), "url", flavour],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("search server not running: " + out.stderr.strip())
    return out.stdout.strip().splitlines()[-1]


def server_pid(source_dir, flavour):
    out = subprocess.run([os.path.join(source_dir, "scripts", "search-server.sh"), "pid", flavour],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


class Search:
    """The few REST calls the tests need, with exact numbers back."""

    def __init__(self, url):
        self.url = url.rstrip("/")

    def request(self, method, path, body=None, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def refresh(self, prefix):
        self.request("POST", "/%s-*/_refresh" % prefix)

    def indices(self, prefix):
        status, body = self.request("GET", "/_cat/indices/%s-*?format=json&h=index" % prefix)
        return sorted(row["index"] for row in body) if status == 200 else []

    def delete(self, prefix):
        # Exact names: Elasticsearch refuses wildcard deletes by default.
        for index in self.indices(prefix):
            self.request("DELETE", "/" + index)
        self.request("DELETE", "/_index_template/" + prefix)

    def count(self, prefix, dataset=None, exclude=None):
        """Documents of prefix-*: of one dataset, or all but the `exclude` dataset."""
        query = None
        if dataset:
            query = {"query": {"term": {"event.dataset": dataset}}}
        elif exclude:
            query = {"query": {"bool": {"must_not": {"term": {"event.dataset": exclude}}}}}
        status, body = self.request("POST", "/%s-*/_count" % prefix, query)
        return body["count"] if status == 200 else -1

    def sums(self, prefix, dataset, refresh=True):
        """(documents, sum of network.packets, sum of network.bytes) over one dataset."""
        if refresh:
            self.refresh(prefix)
        status, body = self.request("POST", "/%s-*/_search" % prefix, {
            "size": 0, "track_total_hits": True,
            "query": {"term": {"event.dataset": dataset}},
            "aggs": {"p": {"sum": {"field": "network.packets"}},
                     "b": {"sum": {"field": "network.bytes"}}}})
        if status != 200:
            return (-1, -1, -1)
        if "aggregations" not in body:  # no index yet: prefix-* matches nothing
            return (0, 0, 0)
        aggs = body["aggregations"]
        return (body["hits"]["total"]["value"], int(aggs["p"]["value"]), int(aggs["b"]["value"]))

    def histogram(self, prefix, dataset, interval="100ms"):
        """{bucket start ms: (packets, bytes)} of one dataset, non-empty buckets only."""
        status, body = self.request("POST", "/%s-*/_search" % prefix, {
            "size": 0, "query": {"term": {"event.dataset": dataset}},
            "aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": interval,
                                              "min_doc_count": 1},
                           "aggs": {"p": {"sum": {"field": "network.packets"}},
                                    "b": {"sum": {"field": "network.bytes"}}}}}})
        assert status == 200, body
        return {b["key"]: (int(b["p"]["value"]), int(b["b"]["value"]))
                for b in body["aggregations"]["h"]["buckets"]}

    def ids(self, prefix, exclude=None):
        """Every document id (sorted list, duplicates kept) of prefix-*, but those of the
        `exclude` dataset, by a scroll in index order (Elasticsearch 8 refuses to sort on _id)."""
        out = []
        query = {"match_all": {}}
        if exclude:
            query = {"bool": {"must_not": {"term": {"event.dataset": exclude}}}}
        status, body = self.request("POST", "/%s-*/_search?scroll=1m" % prefix, {
            "size": 5000, "_source": False, "sort": ["_doc"], "query": query})
        assert status == 200, body
        while body["hits"]["hits"]:
            out.extend(h["_id"] for h in body["hits"]["hits"])
            status, body = self.request("POST", "/_search/scroll",
                                        {"scroll": "1m", "scroll_id": body["_scroll_id"]})
            assert status == 200, body
        self.request("DELETE", "/_search/scroll", {"scroll_id": body["_scroll_id"]})
        return sorted(out)

    def docs(self, prefix, dataset):
        status, body = self.request("POST", "/%s-*/_search" % prefix, {
            "size": 1000, "query": {"term": {"event.dataset": dataset}}})
        assert status == 200, body
        return [h["_source"] for h in body["hits"]["hits"]]


def setup_index(snapflow_index, url, prefix):
    """snapflow-index setup, so the mappings (date_nanos, long, keyword) apply to P-*."""
    subprocess.run([snapflow_index, "setup", "--es-host", url, "--es-index-prefix", prefix,
                    "--es-replicas", "0", "--es-refresh-interval", "1s"],
                   check=True, capture_output=True, text=True)


def parse_stats(stderr):
    """The numbers of pcap2json --stats (docs/…: packets, bytes, documents, gaps, indexer)."""
    s = {}
    for key, pattern in (("packets", r"^packets\s+(\d+)$"), ("bytes", r"^bytes\s+(\d+)$"),
                         ("documents", r"^documents\s+(\d+) \("),
                         ("late", r"^late packets\s+(\d+) ")):
        m = re.search(pattern, stderr, re.M)
        if m:
            s[key] = int(m.group(1))
    m = re.search(r"^gaps\s+(\d+) \((\d+) packets, (\d+) bytes", stderr, re.M)
    s["gaps"], s["gap_packets"], s["gap_bytes"] = (
        tuple(int(x) for x in m.groups()) if m else (0, 0, 0))
    m = re.search(r"^indexer\s+sent (\d+) acked (\d+) present (\d+) conflicting (\d+) "
                  r"retried (\d+) dead-lettered (\d+)", stderr, re.M)
    if m:
        (s["sent"], s["acked"], s["present"], s["conflicting"], s["retried"],
         s["dead_lettered"]) = (int(x) for x in m.groups())
    m = re.search(r"^accounting samples\s+(\d+)$", stderr, re.M)
    s["accounting"] = int(m.group(1)) if m else 0
    # "documents" counts the ring consumer's snapflow.accounting samples too.
    s["data_documents"] = s.get("documents", 0) - s["accounting"]
    m = re.search(r"^degraded parts\s+(\d+)", stderr, re.M)
    s["degraded_parts"] = int(m.group(1)) if m else 0
    s["exact"] = ": exact" in stderr
    return s


def epoch_ns(text):
    """'1795392000.000123456' (tshark frame.time_epoch) -> integer ns, no float rounding."""
    sec, _, frac = text.strip().partition(".")
    return int(sec) * 1_000_000_000 + int((frac + "000000000")[:9])


def tshark_frames(path):
    """[(ts_ns, wire length)] of every frame, read by tshark (an independent reader)."""
    out = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.time_epoch",
                          "-e", "frame.len"], check=True, capture_output=True, text=True).stdout
    frames = []
    for line in out.splitlines():
        ts, length = line.split("\t")
        frames.append((epoch_ns(ts), int(length)))
    return frames


def pcap_totals(path):
    """(packets, wire bytes) of a classic PCAP file, read with struct (no tshark)."""
    packets = wire = 0
    with open(path, "rb") as f:
        header = f.read(24)
        order = "<" if header[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return packets, wire
            _, _, captured, length = struct.unpack(order + "IIII", rec)
            f.seek(captured, 1)
            packets += 1
            wire += length


def read_segment_meta(path):
    """The newest valid slot of seg-NNNNN.meta (docs/ring.md) as a dict, or None."""
    with open(path, "rb") as f:
        data = f.read(256)
    best = None
    for base in (0, 128):
        slot = data[base:base + 128]
        if len(slot) < 128:
            continue
        magic, _version, counter, seq, state, _idx, committed = struct.unpack_from("<IIQQIIQ", slot)
        if magic != 0x4D534653 or fnv1a64(slot[:120]) != struct.unpack_from("<Q", slot, 120)[0]:
            continue
        base_packets, base_wire, _base_rec, packets, wire = struct.unpack_from("<QQQQQ", slot, 56)
        meta = {"counter": counter, "seq": seq, "state": state, "committed": committed,
                "base_packets": base_packets, "base_wire": base_wire, "packets": packets,
                "wire": wire}
        if best is None or counter > best["counter"]:
            best = meta
    return best


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def ring_segments(ring_dir):
    metas = []
    for name in sorted(os.listdir(ring_dir)):
        if name.startswith("seg-") and name.endswith(".meta"):
            meta = read_segment_meta(os.path.join(ring_dir, name))
            if meta and meta["seq"] != 0:
                metas.append(meta)
    return sorted(metas, key=lambda m: m["seq"])


def ring_totals(ring_dir):
    """(packets, wire bytes) ever committed to the ring (head position), from the metadata."""
    segs = ring_segments(ring_dir)
    if not segs:
        return 0, 0
    head = segs[-1]
    return head["base_packets"] + head["packets"], head["base_wire"] + head["wire"]


def ring_oldest_base(ring_dir):
    """(packets, wire bytes) before the oldest surviving segment."""
    oldest = ring_segments(ring_dir)[0]
    return oldest["base_packets"], oldest["base_wire"]


def read_cursor(ring_dir, name):
    """The position fields of a consumer's cursor file (docs/ring.md); names, recorded part
    starts and the consumer's counters are left out."""
    try:
        with open(os.path.join(ring_dir, "cursors", name)) as f:
            fields = (line.strip().split("=", 1) for line in f if "=" in line)
            return {k: int(v) for k, v in fields
                    if k in ("segment_seq", "offset", "packets", "wire_bytes", "record_bytes",
                             "last_ts_ns", "decided_through")}
    except FileNotFoundError:
        return None


def block_stop_signals():
    """preexec_fn: start a child with SIGINT/SIGTERM blocked (it inherits the mask; its own
    sigwait still takes them). See the e2e report: pcap2json starts the indexer's threads before
    it blocks these signals, so without this a SIGTERM can kill it instead of draining it."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
