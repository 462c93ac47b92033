#!/usr/bin/env python3
"""The Kibana and OpenSearch Dashboards saved objects (dashboards/*/snapflow.ndjson) against a
real Elasticsearch 8 / OpenSearch 2 node holding a generated capture (issue 9):

* every field a data view formats, a saved search shows, a visualisation aggregates or a
  control lists exists in the real mapping of the snapflow indices, with an aggregatable type
  where it is aggregated;
* every saved search and visualisation runs as the product sends it (Lucene query_string plus
  the time range on the data view's index expression, aggregations from visState) and returns
  the reference numbers computed with tshark: packet and byte sums, top sources and
  conversations with the engines' tie order, bytes per protocol;
* the dashboard references only objects of the file.
Kibana itself cannot run here; its date histogram "auto" interval is replaced by 1 s (sums over
the range do not depend on the interval).

Usage: kibana_objects_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
"""
import json
import os
import shutil
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402
import support  # noqa: E402
from support import ps  # noqa: E402

PCAP2JSON, SNAPFLOW_GEN, SNAPFLOW_INDEX, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]
FLAVOUR = os.environ.get("SNAPFLOW_SEARCH_FLAVOUR", "opensearch")
PRODUCT = "kibana" if FLAVOUR == "elasticsearch" else "opensearch-dashboards"
START_MS = 1795428000000
AGGREGATABLE = {"keyword", "long", "ip", "date", "date_nanos", "boolean", "integer", "double"}


def load_objects():
    with open(os.path.join(support.SOURCE_DIR, "dashboards", PRODUCT, "snapflow.ndjson")) as f:
        return [json.loads(line) for line in f if line.strip()]


def flat_mapping(properties, prefix=""):
    out = {}
    for name, spec in properties.items():
        if "properties" in spec:
            out.update(flat_mapping(spec["properties"], prefix + name + "."))
        else:
            out[prefix + name] = spec
    return out


class KibanaObjects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.search = ps.Search(ps.server_url(support.SOURCE_DIR, FLAVOUR))
        cls.prefix = "dash-kb-%s-%d" % (FLAVOUR[:2], os.getpid())
        ps.setup_index(SNAPFLOW_INDEX, cls.search.url, cls.prefix)
        site = support.generate(SNAPFLOW_GEN, WORKDIR, "site", "--flows", "150", "--packets",
                                "2000", "--size", "imix", "--ipv6", "0.3", "--rate", "2000",
                                "--mix", "6,3,1", "--seed", "51", "--start",
                                "2026-11-23T10:00:00Z")
        mirror = support.generate(SNAPFLOW_GEN, WORKDIR, "mirror", "--flows", "20", "--packets",
                                  "300", "--size", "imix", "--tunnel", "vxlan", "--rate", "300",
                                  "--seed", "52", "--start", "2026-11-23T10:00:00Z")
        pcap = support.merge(WORKDIR, "main", [site, mirror])
        support.ingest(PCAP2JSON, cls.search.url, cls.prefix, "main", [pcap], WORKDIR)
        cls.search.refresh(cls.prefix)
        cls.packets = ref.decode(pcap)
        cls.objects = load_objects()
        cls.by_id = {o["id"]: o for o in cls.objects}
        status, body = cls.search.request("GET", "/%s-*/_mapping" % cls.prefix)
        assert status == 200, body
        cls.mapping = {}
        for index in body.values():
            cls.mapping.update(flat_mapping(index["mappings"]["properties"]))
        view = cls.by_id["snapflow"]["attributes"]
        # The data view's index expression, pointed at the test's prefix.
        cls.index = view["title"].replace("snapflow-", cls.prefix + "-")

    @classmethod
    def tearDownClass(cls):
        cls.search.delete(cls.prefix)
        shutil.rmtree(WORKDIR, ignore_errors=True)

    def search_body(self, obj, aggs=None, size=0):
        source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        self.assertEqual(source["query"]["language"], "lucene")
        body = {"size": size, "track_total_hits": True, "query": {"bool": {"filter": [
            {"range": {"@timestamp": {"gte": START_MS - 60000, "lte": START_MS + 60000,
                                      "format": "epoch_millis"}}},
            {"query_string": {"query": source["query"]["query"], "analyze_wildcard": True}}]}}}
        if aggs:
            body["aggs"] = aggs
        status, answer = self.search.request("POST", "/%s/_search" % self.index, body)
        self.assertEqual(status, 200, answer)
        return answer

    def vis_aggs(self, vis_state):
        """visState aggregations in the order Kibana nests them: buckets outermost first,
        metrics inside the innermost bucket, terms ordered by metric "1"."""
        metrics = {a["id"]: {a["type"]: {"field": a["params"]["field"]}}
                   for a in vis_state["aggs"] if a["schema"] == "metric"}
        buckets = [a for a in vis_state["aggs"] if a["schema"] != "metric"]
        root = dict(metrics)
        for b in reversed(buckets):
            if b["type"] == "terms":
                agg = {"terms": {"field": b["params"]["field"], "size": b["params"]["size"],
                                 "order": {b["params"]["orderBy"]: b["params"]["order"]}}}
            else:
                agg = {"date_histogram": {"field": b["params"]["field"], "fixed_interval": "1s",
                                          "min_doc_count": 1}}
            agg["aggs"] = root
            root = dict(metrics, **{b["id"]: agg})
        return root, [b["id"] for b in buckets], sorted(metrics)

    def vis_rows(self, obj):
        vis_state = json.loads(obj["attributes"]["visState"])
        aggs, bucket_ids, metric_ids = self.vis_aggs(vis_state)
        answer = self.search_body(obj, aggs)
        rows = []

        def walk(node, depth, keys):
            if depth == len(bucket_ids):
                rows.append(tuple(keys) + tuple(int(node[m]["value"]) for m in metric_ids))
                return
            for b in node[bucket_ids[depth]]["buckets"]:
                walk(b, depth + 1, keys + [b["key"]])
        walk(answer["aggregations"], 0, [])
        return rows

    def test_fields_exist_in_the_real_mapping(self):
        view = self.by_id["snapflow"]["attributes"]
        fields = set(json.loads(view["fieldFormatMap"]))
        for o in self.objects:
            a = o["attributes"]
            fields.update(a.get("columns", []))
            if "visState" in a:
                vis = json.loads(a["visState"])
                for agg in vis["aggs"]:
                    field = agg["params"]["field"]
                    self.assertIn(self.mapping[field]["type"], AGGREGATABLE, field)
                    fields.add(field)
                for c in vis["params"].get("controls", []):
                    fields.add(c["fieldName"])
            if "controlGroupInput" in a:
                for c in json.loads(a["controlGroupInput"]["panelsJSON"]).values():
                    fields.add(c["explicitInput"]["fieldName"])
        missing = sorted(f for f in fields if f not in self.mapping)
        self.assertEqual(missing, [])
        self.assertEqual(self.mapping["snapflow.pcap_link"],
                         {"type": "keyword", "index": False})

    def test_saved_searches_run(self):
        packets, wire = ref.sums(self.packets)
        sums = {"p": {"sum": {"field": "network.packets"}}, "b": {"sum": {"field": "network.bytes"}}}
        flows = self.search_body(self.by_id["snapflow-flows"], sums, size=10)
        self.assertEqual((int(flows["aggregations"]["p"]["value"]),
                          int(flows["aggregations"]["b"]["value"])), (packets, wire))
        self.assertEqual(len(flows["hits"]["hits"]), 10)
        for hit in flows["hits"]["hits"]:
            self.assertEqual(hit["_source"]["event"]["dataset"], "snapflow.flow")
        gaps = self.search_body(self.by_id["snapflow-gaps"])
        self.assertEqual(gaps["hits"]["total"]["value"], 0)  # file replay: no ring overrun

    def test_visualisations_return_the_reference(self):
        packets, wire = ref.sums(self.packets)
        rows = self.vis_rows(self.by_id["snapflow-bandwidth-bytes"])
        self.assertEqual(sum(r[-1] for r in rows), wire)
        self.assertEqual({r[0]: r[1] for r in rows},
                         {t: b for t, (_, b) in ref.histogram(self.packets, 10**9).items()})
        rows = self.vis_rows(self.by_id["snapflow-bandwidth-packets"])
        self.assertEqual(sum(r[-1] for r in rows), packets)
        self.assertEqual(self.vis_rows(self.by_id["snapflow-top-sources"]),
                         ref.top_table(self.packets, [("src", 10)]))
        self.assertEqual(self.vis_rows(self.by_id["snapflow-top-conversations"]),
                         ref.top_table(self.packets, [("src", 10), ("dst", 5)]))
        self.assertEqual([r[:2] for r in self.vis_rows(self.by_id["snapflow-protocols"])],
                         [r[:2] for r in ref.top_table(self.packets, [("transport", 10)])])

    def test_controls_list_values(self):
        for field, _ in __import__("objects").CONTROLS:
            answer = self.search_body(self.by_id["snapflow-flows"],
                                      {"v": {"terms": {"field": field, "size": 1000}}})
            got = sorted(str(b["key"]) for b in answer["aggregations"]["v"]["buckets"])
            attr = {"source.ip": "src", "destination.ip": "dst", "destination.port": "dport",
                    "network.transport": "transport", "snapflow.tunnel.vni": "vni"}[field]
            want = sorted(str(v) for v in {getattr(p, attr) for p in self.packets}
                          if v is not None)
            self.assertEqual(got, want, field)

    def test_dashboard_references_resolve(self):
        dash = self.by_id["snapflow-dashboard"]
        for r in dash["references"]:
            self.assertIn(r["id"], self.by_id, r)
            self.assertEqual(self.by_id[r["id"]]["type"], r["type"])
        panels = json.loads(dash["attributes"]["panelsJSON"])
        names = {r["name"] for r in dash["references"]}
        self.assertTrue(all(p["panelRefName"] in names for p in panels))


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(support.SOURCE_DIR, "dashboards", "generator"))
    unittest.main(verbosity=2)
