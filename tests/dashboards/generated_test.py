#!/usr/bin/env python3
"""The committed dashboards are what their generators write (no hand edits, no stale output),
and each generated object is well formed: Grafana dashboards parse back into the
grafana-foundation-sdk's models and every panel query is a Lucene query with metrics; the Kibana
and OpenSearch Dashboards NDJSON files parse line by line with the attributes the import API
needs."""
import json
import os
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True
SOURCE = os.environ.get("SNAPFLOW_SOURCE_DIR",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


class Generated(unittest.TestCase):
    def check(self, script):
        r = subprocess.run([sys.executable, os.path.join(SOURCE, script), "--check"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)

    def test_grafana_dashboards_match_generator(self):
        self.check("grafana/generator/generate.py")

    def test_kibana_objects_match_generator(self):
        self.check("dashboards/generator/generate.py")

    def test_grafana_dashboards_parse_with_the_sdk(self):
        from grafana_foundation_sdk.models.dashboard import Dashboard
        folder = os.path.join(SOURCE, "grafana", "dashboards")
        count = 0
        for flavour in ("elasticsearch", "opensearch"):
            for name in sorted(os.listdir(os.path.join(folder, flavour))):
                with open(os.path.join(folder, flavour, name)) as f:
                    raw = json.load(f)
                model = Dashboard.from_json(raw)
                self.assertEqual(model.uid, raw["uid"])
                for panel in raw["panels"]:
                    for target in panel.get("targets", []):
                        self.assertTrue(target["query"].startswith("event.dataset:"), name)
                        self.assertTrue(target["metrics"], name)
                        self.assertEqual(target["datasource"]["uid"], "${datasource}")
                count += 1
        self.assertEqual(count, 10)

    def test_saved_objects_are_importable_ndjson(self):
        folder = os.path.join(SOURCE, "dashboards")
        for name in ("kibana/snapflow.ndjson", "opensearch-dashboards/snapflow.ndjson"):
            with open(os.path.join(folder, name)) as f:
                objects = [json.loads(line) for line in f if line.strip()]
            types = {o["type"] for o in objects}
            self.assertTrue({"index-pattern", "search", "visualization", "dashboard"} <= types,
                            name)
            for o in objects:
                self.assertTrue(o["id"] and o["attributes"].get("title"), o)
                for r in o.get("references", []):
                    self.assertIn(r["id"], {x["id"] for x in objects}, (name, o["id"], r))


if __name__ == "__main__":
    unittest.main(verbosity=2)
