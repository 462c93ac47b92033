#!/usr/bin/env python3
"""Writes snapflow's saved objects for Kibana 8 (dashboards/kibana/snapflow.ndjson) and
OpenSearch Dashboards 2 (dashboards/opensearch-dashboards/snapflow.ndjson) from objects.py:
one object per line, importable with POST /api/saved_objects/_import (Kibana: header
kbn-xsrf; OpenSearch Dashboards: osd-xsrf) or the UI's Saved objects > Import.

  generate.py            write the files
  generate.py --check    exit 1 when a file differs from what the generator writes
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import objects  # noqa: E402

OUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def outputs():
    for product in ("kibana", "opensearch-dashboards"):
        text = "".join(json.dumps(o, sort_keys=True) + "\n" for o in objects.objects(product))
        yield os.path.join(OUT, product, "snapflow.ndjson"), text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for path, text in outputs():
        try:
            with open(path) as f:
                same = f.read() == text
        except FileNotFoundError:
            same = False
        if same:
            continue
        if args.check:
            stale.append(os.path.relpath(path, OUT))
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            print("wrote", path)
    if stale:
        print("saved objects differ from dashboards/generator (run dashboards/generator/"
              "generate.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
