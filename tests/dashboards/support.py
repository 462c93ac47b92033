"""Shared by the dashboard tests: the search node (tests/integration/pcap2json_search.py's
client), generated captures, loading them with pcap2json, and running Grafana panels."""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("SNAPFLOW_SOURCE_DIR", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
import pcap2json_search as ps  # noqa: E402,F401  (re-exported for the tests)

import grafana_query as gq  # noqa: E402
import pipeline_eval  # noqa: E402

INTERVAL_NS = 100_000_000
REORDER_WINDOW_NS = 10_000_000  # pcap2json's default --reorder-window
OBSERVER = "probe-a"


def generate(gen, workdir, name, *args):
    path = os.path.join(workdir, name + ".pcap")
    subprocess.run([gen, "-q", "-o", path, *args], check=True, capture_output=True)
    return path


def merge(workdir, name, parts):
    path = os.path.join(workdir, name + ".pcap")
    subprocess.run(["mergecap", "-F", "pcap", "-w", path, *parts], check=True,
                   capture_output=True)
    return path


def ingest(pcap2json, url, prefix, capture, paths, workdir):
    """Replays `paths` (one run per file, in order) under one capture name; returns stderr."""
    out = []
    for path in paths:
        r = subprocess.run([pcap2json, "--no-progress", "--stats", "--es-host", url,
                            "--index-prefix", prefix, "--observer", OBSERVER, "--capture",
                            capture, "--es-flush-interval", "200ms", "--es-dead-letter",
                            os.path.join(workdir, prefix + ".dead"), path],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError("pcap2json %s: exit %d: %s" % (path, r.returncode, r.stderr))
        out.append(r.stderr)
    return out


def bulk(url, lines):
    body = ("\n".join(json.dumps(x) for x in lines) + "\n").encode()
    req = urllib.request.Request(url.rstrip("/") + "/_bulk?refresh=true", data=body,
                                 method="POST",
                                 headers={"Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        answer = json.loads(resp.read())
    assert not answer["errors"], answer


def msearch(url, lines):
    req = urllib.request.Request(url.rstrip("/") + "/_msearch?max_concurrent_shard_requests=5", data=lines.encode(),
                                 method="POST",
                                 headers={"Content-Type": "application/x-ndjson"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())["responses"]
    except urllib.error.HTTPError as e:
        raise AssertionError("_msearch: HTTP %d: %s" % (e.code, e.read()[:2000])) from None


def load_json(path):
    with open(path) as f:
        return json.load(f)


class GrafanaRunner:
    """Runs a dashboard's panels as Grafana would, against one search node and index pattern."""

    def __init__(self, url, index_pattern, time_interval, time_field="@timestamp"):
        self.url = url
        self.index_pattern = index_pattern
        self.time_interval = time_interval
        self.time_field = time_field

    def run_panel(self, dashboard, panel, variables, from_ms, to_ms):
        """{refId: (target, interval_ms, response)} for every query of the panel."""
        templating = dashboard["templating"]["list"]
        interval = gq.panel_interval_ms(panel, from_ms, to_ms, self.time_interval)
        targets = panel["targets"]
        bodies = [gq.search_body(t, variables, templating, from_ms, to_ms, interval,
                                 self.time_field) for t in targets]
        scripts = [pipeline_eval.strip(b.get("aggs", {})) for b in bodies]
        lines = gq.msearch_lines(gq.indices(self.index_pattern, from_ms, to_ms), bodies)
        responses = msearch(self.url, lines)
        for response, stripped in zip(responses, scripts):
            if "aggregations" in response:
                pipeline_eval.apply(response["aggregations"], stripped)
        return {t["refId"]: (t, interval, r) for t, r in zip(targets, responses)}

    def run_variable(self, dashboard, variable, variables, from_ms, to_ms):
        """The values of a query variable (Grafana's getTermsQuery for {"find": "terms"})."""
        templating = dashboard["templating"]["list"]
        find = json.loads(variable["query"])
        query = gq.interpolate(find.get("query") or "*", variables, templating)
        body = {"size": 0, "query": {"bool": {"filter": [
            {"range": {self.time_field: {"gte": from_ms, "lte": to_ms,
                                         "format": "epoch_millis"}}},
            {"query_string": {"analyze_wildcard": True, "query": query}}]}},
            "aggs": {"1": {"terms": {"field": find["field"], "order": {}, "size": 500}}}}
        if find.get("orderBy") == "doc_count":
            body["aggs"]["1"]["terms"]["order"]["_count"] = find.get("order", "desc")
        else:
            body["aggs"]["1"]["terms"]["order"]["_key"] = find.get("order", "asc")
        lines = gq.msearch_lines(gq.indices(self.index_pattern, from_ms, to_ms), [body])
        response = msearch(self.url, lines)[0]
        assert "error" not in response, response
        return [b.get("key_as_string", b["key"])
                for b in response["aggregations"]["1"]["buckets"]]
