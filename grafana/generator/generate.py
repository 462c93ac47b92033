#!/usr/bin/env python3
"""Writes snapflow's Grafana dashboards from the builders in snapflow_grafana/:
grafana/dashboards/<flavour>/<name>.json for the Elasticsearch and the OpenSearch data source.

  generate.py            write the JSON files
  generate.py --check    exit 1 naming every file that differs from what the generator writes

Run with the interpreter of scripts/python-deps.sh (grafana-foundation-sdk, pinned there).
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from grafana_foundation_sdk.cog.encoder import JSONEncoder  # noqa: E402

from snapflow_grafana import bandwidth, common, health, host, talkers, tunnels  # noqa: E402

DASHBOARDS = {"bandwidth": bandwidth, "talkers": talkers, "host": host, "tunnels": tunnels,
              "health": health}
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dashboards")


def render(flavour, module):
    model = module.build(flavour).build()
    return json.dumps(model, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def outputs():
    for flavour in common.FLAVOURS:
        for name, module in DASHBOARDS.items():
            yield os.path.join(OUT, flavour, name + ".json"), render(flavour, module)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare instead of writing; exit 1 when a file differs")
    args = parser.parse_args()
    stale = []
    for path, text in outputs():
        try:
            with open(path) as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if args.check:
            stale.append(os.path.relpath(path, os.path.dirname(OUT)))
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            print("wrote", os.path.relpath(path))
    if stale:
        print("generated dashboards differ from grafana/generator (run grafana/generator/"
              "generate.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
