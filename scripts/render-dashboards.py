#!/usr/bin/env python3
"""Renders each Grafana dashboard's panels from real query results into docs/img/ (PNG):
generates the demo's kind of capture (IMIX site traffic, IPv6, a VXLAN-mirrored slice),
indexes it with pcap2json into a running Elasticsearch/OpenSearch node under a temporary
prefix, runs every panel as Grafana's data source would (tests/dashboards/), and draws the
results with matplotlib. The pictures are renders of real data, not Grafana screenshots.

  scripts/render-dashboards.py BUILD_DIR SEARCH_URL [FLAVOUR]
Run with scripts/python-deps.sh --path (grafana-foundation-sdk not needed; PyYAML, matplotlib).
"""
import os
import shutil
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "dashboards"))
import support  # noqa: E402
from grafana_panels_test_data import ALL, datasource_runner  # noqa: E402
from support import gq, ps  # noqa: E402

START_MS = 1795428000000
LABEL = "render of real query results (snapflow-gen capture via pcap2json), not a Grafana screenshot"


def main():
    build, url = sys.argv[1], sys.argv[2]
    flavour = sys.argv[3] if len(sys.argv) > 3 else "opensearch"
    work = tempfile.mkdtemp(prefix="snapflow-render-")
    search = ps.Search(url)
    prefix = "render-%d" % os.getpid()
    try:
        ps.setup_index(os.path.join(build, "indexer", "snapflow-index"), url, prefix)
        gen = os.path.join(build, "core", "synth", "snapflow-gen")
        site = support.generate(gen, work, "site", "--flows", "400", "--packets", "40000",
                                "--size", "imix", "--ipv6", "0.3", "--rate", "8000", "--jitter",
                                "30000000", "--mix", "6,3,1", "--seed", "1", "--start",
                                "2026-11-23T10:00:00Z")
        burst = support.generate(gen, work, "burst", "--flows", "5", "--packets", "3000",
                                 "--size", "1518", "--rate", "30000", "--seed", "3", "--start",
                                 "2026-11-23T10:00:02.300Z")
        mirror = support.generate(gen, work, "mirror", "--flows", "60", "--packets", "4000",
                                  "--size", "imix", "--tunnel", "vxlan", "--rate", "800",
                                  "--seed", "2", "--start", "2026-11-23T10:00:00Z")
        pcap = support.merge(work, "demo", [site, burst, mirror])
        support.ingest(os.path.join(build, "pcap2json", "pcap2json"), url, prefix, "demo",
                       [pcap], work)
        search.refresh(prefix)
        runner, dashboards = datasource_runner(flavour, url, prefix)
        out = os.path.join(ROOT, "docs", "img")
        os.makedirs(out, exist_ok=True)
        for name, dashboard in dashboards.items():
            render(runner, name, dashboard, os.path.join(out, "dashboard-%s.png" % name))
    finally:
        search.delete(prefix)
        shutil.rmtree(work, ignore_errors=True)


def busiest_host(runner, dashboard, variables, span):
    v = next(x for x in dashboard["templating"]["list"] if x["name"] == "host")
    return runner.run_variable(dashboard, v, variables, *span)[0]


def render(runner, name, dashboard, path):
    span = (START_MS - 500, START_MS + 6000)
    variables = {"observer": ALL, "capture": ALL, "host": ALL, "port": ALL, "protocol": ALL,
                 "vni": ALL}
    if name == "host":
        variables["host"] = busiest_host(runner, dashboard, variables, span)
    panels = [p for p in dashboard["panels"] if p.get("type") in ("timeseries", "table",
                                                                  "piechart", "stat")
              and not any("snapflow.accounting" in t.get("query", "") for t in p["targets"])]
    panels = panels[:8]
    cols = 2
    rows = (len(panels) + 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.4 * rows), squeeze=False)
    fig.suptitle("%s\n%s" % (dashboard["title"], LABEL), fontsize=9)
    for ax, panel in zip(axes.flat, panels):
        results = runner.run_panel(dashboard, panel, variables, *span)
        title = panel["title"].replace("$__interval", "%d ms" % next(iter(results.values()))[1])
        title = title.replace("$host", str(variables["host"]))
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=6)
        target, _, response = results[panel["targets"][0]["refId"]]
        if "aggregations" not in response:
            ax.text(0.5, 0.5, "%d documents" % len(response["hits"]["hits"]), ha="center")
            continue
        rows_ = gq.flatten(target, response)
        has_time = any(b["type"] == "date_histogram" for b in target.get("bucketAggs", []))
        if panel["type"] == "timeseries" and has_time:
            series = {}
            for keys, values in rows_:
                v = next(iter(values.values()), None)
                series.setdefault(keys[:-1], []).append(((keys[-1] - START_MS) / 1000, v or 0))
            for key, pts in sorted(series.items(), key=lambda kv: str(kv[0]))[:6]:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], linewidth=0.8,
                        label=" ".join(str(k) for k in key) or None)
            if len(series) > 1:
                ax.legend(fontsize=5)
            ax.set_xlabel("seconds", fontsize=6)
        elif panel["type"] == "stat":
            values = [next(iter(v.values()), None) or 0 for _, v in rows_]
            calc = panel["options"]["reduceOptions"]["calcs"][0]
            value = {"sum": sum, "max": max}.get(calc, lambda x: x[-1] if x else 0)(values)
            ax.text(0.5, 0.5, "{:,.0f}".format(value), ha="center", va="center", fontsize=16)
            ax.axis("off")
        else:
            labels = [" ".join(str(k) for k in keys) for keys, _ in rows_][:10]
            values = [next(iter(v.values()), 0) or 0 for _, v in rows_][:10]
            ax.barh(range(len(values)), values)
            ax.set_yticks(range(len(values)), labels, fontsize=5)
            ax.invert_yaxis()
            ax.set_xlabel("bytes", fontsize=6)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    print("wrote", path)


if __name__ == "__main__":
    main()
