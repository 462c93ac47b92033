#!/usr/bin/env python3
"""Every panel of every generated Grafana dashboard, run as Grafana would run it against a real
Elasticsearch 8 / OpenSearch 2 node holding generated captures whose truth is known (issue 9).

Data: a 1.5 s IMIX capture (IPv4 and IPv6, TCP/UDP/ICMP) merged with a VXLAN-mirrored slice
(capture "main"), a capture with out-of-order packets beyond the reorder window (capture
"late"), and one gap document in the contract's form (docs/formats.md; gaps come from ring
overrun, which a file replay cannot cause). The reference numbers come from tshark's decode of
the captures (tests/dashboards/reference.py), never from snapflow's output.

Checks: every query of every panel answers without error and with data (the planned
snapflow.accounting panels: without error and empty until those documents exist); the numbers
of each panel equal the reference (100 ms bandwidth buckets exactly, 1 s means, top-N tables
with the engines' tie order, per host, per VNI, late packets, gaps); variables list the expected
values and filter exactly; a 24 h range resolves to a coarser interval and still sums exactly;
every panel's bucket count stays under search.max_buckets for ranges up to 30 days; links name
fields the panel's rows carry.

Usage: grafana_panels_test.py PCAP2JSON SNAPFLOW_GEN SNAPFLOW_INDEX WORKDIR
Environment: SNAPFLOW_SEARCH_FLAVOUR, SNAPFLOW_SOURCE_DIR (or SNAPFLOW_SEARCH_URL).
"""
import collections
import ipaddress
import os
import re
import shutil
import subprocess
import sys
import unittest
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402
import support  # noqa: E402
from support import gq, ps  # noqa: E402
from grafana_panels_test_data import ALL, datasource_runner  # noqa: E402

PCAP2JSON, SNAPFLOW_GEN, SNAPFLOW_INDEX, WORKDIR = sys.argv[1:5]
del sys.argv[1:5]
FLAVOUR = os.environ.get("SNAPFLOW_SEARCH_FLAVOUR", "opensearch")
# snapflow-pcap and ring_load (CMake passes them): the links' filters run on a ring.
PCAP_TOOL = os.environ.get("SNAPFLOW_PCAP_TOOL")
RING_LOAD = os.environ.get("SNAPFLOW_RING_LOAD")
START = "2026-11-23T10:00:00Z"
START_MS = 1795428000000
MAX_BUCKETS = 65536


def panels(dashboard):
    return [p for p in dashboard["panels"] if p.get("type") != "row"]


def is_planned(panel):
    return any("snapflow.accounting" in t.get("query", "") for t in panel["targets"])


def series(target, response):
    """{series keys (split buckets): {time ms: {metric: value}}} of a date-histogram query."""
    out = collections.defaultdict(dict)
    for keys, values in gq.flatten(target, response):
        out[keys[:-1]][keys[-1]] = values
    return out


def only_series(target, response):
    s = series(target, response)
    assert len(s) == 1, list(s)
    return next(iter(s.values()))


def visible_value(target, values):
    ids = [m["id"] if m["type"] != "count" else "count" for m in target["metrics"]
           if not m.get("hide")]
    assert len(ids) == 1, ids
    return values[ids[0]]


class GrafanaPanels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        cls.search = ps.Search(ps.server_url(support.SOURCE_DIR, FLAVOUR))
        cls.prefix = "dash-%s-%d" % (FLAVOUR[:2], os.getpid())
        ps.setup_index(SNAPFLOW_INDEX, cls.search.url, cls.prefix)
        gen = SNAPFLOW_GEN
        site = support.generate(gen, WORKDIR, "site", "--flows", "200", "--packets", "3000",
                                "--size", "imix", "--ipv6", "0.3", "--rate", "2000",
                                "--jitter", "2000000", "--mix", "6,3,1", "--seed", "41",
                                "--start", START)
        mirror = support.generate(gen, WORKDIR, "mirror", "--flows", "40", "--packets", "600",
                                  "--size", "imix", "--ipv6", "0.3", "--tunnel", "vxlan",
                                  "--rate", "400", "--seed", "42", "--start", START)
        cls.main_pcap = support.merge(WORKDIR, "main", [site, mirror])
        # 40 ms of jitter against the 10 ms reorder window: some packets arrive late.
        cls.late_pcap = support.generate(gen, WORKDIR, "late", "--flows", "30", "--packets",
                                         "400", "--size", "imix", "--rate", "1000", "--jitter",
                                         "40000000", "--seed", "43", "--start",
                                         "2026-11-23T10:00:10Z")
        support.ingest(PCAP2JSON, cls.search.url, cls.prefix, "main", [cls.main_pcap], WORKDIR)
        support.ingest(PCAP2JSON, cls.search.url, cls.prefix, "late", [cls.late_pcap], WORKDIR)
        cls.gap = {"@timestamp": "2026-11-23T10:00:05.000000000Z",
                   "event": {"kind": "gap", "dataset": "snapflow.gap",
                             "start": "2026-11-23T10:00:05.000000000Z",
                             "end": "2026-11-23T10:00:05.250000000Z"},
                   "observer": {"name": support.OBSERVER}, "labels": {"capture": "main"},
                   "network": {"packets": 4321, "bytes": 2345678},
                   "snapflow": {"consumer": "indexer"}}
        support.bulk(cls.search.url, [{"create": {"_index": cls.prefix + "-2026.11.23",
                                                  "_id": "test-gap-1"}}, cls.gap])
        cls.search.refresh(cls.prefix)
        cls.main = ref.decode(cls.main_pcap)
        cls.late = ref.decode(cls.late_pcap)
        cls.all = cls.main + cls.late
        cls.runner, cls.dashboards = datasource_runner(FLAVOUR, cls.search.url, cls.prefix)
        cls.from_ms, cls.to_ms = START_MS - 1000, START_MS + 59000  # 1 min: 100 ms buckets
        cls.main_only = {"observer": ALL, "capture": ["main"], "host": ALL, "port": ALL,
                         "protocol": ALL, "vni": ALL}

    @classmethod
    def tearDownClass(cls):
        cls.search.delete(cls.prefix)
        shutil.rmtree(WORKDIR, ignore_errors=True)

    # -- helpers -------------------------------------------------------------------------------
    def panel(self, dashboard, title):
        found = [p for p in panels(self.dashboards[dashboard]) if p["title"] == title]
        self.assertEqual(len(found), 1, "%s: panel %r" % (dashboard, title))
        return found[0]

    def query(self, dashboard, title, variables=None, from_ms=None, to_ms=None):
        results = self.runner.run_panel(self.dashboards[dashboard], self.panel(dashboard, title),
                                        variables or self.main_only, from_ms or self.from_ms,
                                        to_ms or self.to_ms)
        for ref_id, (_, _, response) in results.items():
            self.assertNotIn("error", response, "%s / %s / %s" % (dashboard, title, ref_id))
        return results

    def rate_series(self, dashboard, title, variables=None):
        target, interval, response = self.query(dashboard, title, variables)["A"]
        return {t: visible_value(target, v) for t, v in only_series(target, response).items()}, interval

    def assert_rate(self, dashboard, title, packets, what, variables=None):
        got, interval = self.rate_series(dashboard, title, variables)
        self.assertEqual(interval, 100 if "1 s" not in title else 1000)
        hist = ref.histogram(packets, interval * 1_000_000)
        scale = 8000 if what == "bytes" else 1000
        index = 1 if what == "bytes" else 0
        expected = {t: v[index] * scale / interval for t, v in hist.items()}
        nonzero = {t: v for t, v in got.items() if v}
        self.assertEqual(nonzero, expected, "%s / %s" % (dashboard, title))
        self.assertGreaterEqual(len(expected), 2)
        return got

    def table_rows(self, dashboard, title, variables=None):
        target, _, response = self.query(dashboard, title, variables)["A"]
        return [tuple(_key(k) for k in keys) + (int(v["1"]), int(v["2"]))
                for keys, v in gq.flatten(target, response)]

    # -- every panel ---------------------------------------------------------------------------
    def test_every_panel_runs_and_has_data(self):
        checked = 0
        all_captures = dict(self.main_only, capture=ALL)
        for name, dashboard in self.dashboards.items():
            choices = [all_captures]
            if name == "host":  # a top sender and a top receiver (the flows are one-way)
                choices = [dict(all_captures, host=ref.top_table(self.all, [(side, 1)])[0][0])
                           for side in ("src", "dst")]
            for panel in panels(dashboard):
                seen = collections.defaultdict(bool)
                for variables in choices:
                    results = self.runner.run_panel(dashboard, panel, variables, self.from_ms,
                                                    self.to_ms)
                    for ref_id, (target, _, response) in results.items():
                        where = "%s / %s / %s" % (name, panel["title"], ref_id)
                        self.assertNotIn("error", response, where)
                        if "aggregations" in response:
                            rows = gq.flatten(target, response)
                            seen[ref_id] |= any(any(v not in (None, 0) for v in values.values())
                                                for _, values in rows)
                        else:
                            seen[ref_id] |= bool(response["hits"]["hits"])
                        checked += 1
                for ref_id, has_data in seen.items():
                    where = "%s / %s / %s" % (name, panel["title"], ref_id)
                    if is_planned(panel):
                        # No snapflow.accounting documents exist yet: empty, no error.
                        self.assertFalse(has_data, where)
                    else:
                        self.assertTrue(has_data, where + ": no data")
        self.assertGreaterEqual(checked, 60)

    def test_links_name_fields_the_rows_carry(self):
        for name, dashboard in self.dashboards.items():
            for panel in panels(dashboard):
                for link in panel.get("fieldConfig", {}).get("defaults", {}).get("links", []):
                    url = link["url"]
                    self.assertTrue(url.startswith("${capture_api}/pcap/splittime?Start="), url)
                    columns = {b.get("field") for t in panel["targets"]
                               for b in t.get("bucketAggs", [])}
                    aliases = {t.get("alias") for t in panel["targets"]}
                    for field in re.findall(r'__data\.fields\["([^"]+)"\]', url):
                        self.assertTrue(field in columns or field in aliases,
                                        "%s / %s: link names %s" % (name, panel["title"], field))
                    if panel["type"] == "timeseries":
                        self.assertIn("Stop=${__data.fields[\"window_end_ms\"]}000000", url)
                    else:
                        self.assertIn("Stop=${__to}000000", url)
                if panel["type"] == "timeseries" and not is_planned(panel) and \
                        "lost" not in panel["title"]:
                    self.assertTrue(panel["fieldConfig"]["defaults"].get("links"),
                                    "%s / %s: time series without a PCAP link" % (
                                        name, panel["title"]))

    def test_intervals_respect_max_buckets(self):
        """auto intervals with a 100 ms floor: no panel asks for more buckets than
        search.max_buckets at any range from 1 minute to 30 days."""
        for name, dashboard in self.dashboards.items():
            for panel in panels(dashboard):
                for minutes in (1, 5, 15, 60, 360, 1440, 7 * 1440, 30 * 1440):
                    span = minutes * 60000
                    interval = gq.panel_interval_ms(panel, 0, span, "100ms")
                    self.assertGreaterEqual(interval, 100)
                    for t in panel["targets"]:
                        buckets = 1
                        for b in t.get("bucketAggs", []):
                            s = b.get("settings") or {}
                            if b["type"] == "date_histogram":
                                self.assertEqual(s.get("interval"), "auto", panel["title"])
                                buckets *= span // interval + 1
                            elif b["type"] == "terms":
                                buckets *= int(s["size"])
                            elif b["type"] == "filters":
                                buckets *= len(s["filters"])
                        self.assertLessEqual(buckets, MAX_BUCKETS, "%s / %s at %d min" % (
                            name, panel["title"], minutes))

    # -- bandwidth -----------------------------------------------------------------------------
    def test_bandwidth_buckets_equal_the_capture_histogram(self):
        self.assert_rate("bandwidth", "Bits/s at $__interval (peaks)", self.main, "bytes")
        self.assert_rate("bandwidth", "Packets/s at $__interval (peaks)", self.main, "packets")
        self.assert_rate("bandwidth", "Bits/s, 1 s mean", self.main, "bytes")
        self.assert_rate("bandwidth", "Packets/s, 1 s mean", self.main, "packets")
        self.assert_rate("bandwidth", "Bits/s of the selected traffic", self.main, "bytes")

    def test_window_end_of_each_bucket(self):
        for title, interval in (("Bits/s at $__interval (peaks)", 100), ("Bits/s, 1 s mean", 1000)):
            target, got_interval, response = self.query("bandwidth", title)["W"]
            self.assertEqual(got_interval, interval)
            got = {t: visible_value(target, v)
                   for t, v in only_series(target, response).items()}
            expected = ref.last_slot_ends(self.main, interval * 1_000_000, support.INTERVAL_NS)
            self.assertEqual({t: v for t, v in got.items() if v is not None}, expected, title)

    def test_bandwidth_stats(self):
        packets, wire = ref.sums(self.main)
        hist100 = ref.histogram(self.main, 100_000_000)
        hist1s = ref.histogram(self.main, 1_000_000_000)
        for title, expected in (("Bytes in range", wire), ("Packets in range", packets)):
            target, _, response = self.query("bandwidth", title)["A"]
            total = sum(visible_value(target, v) or 0
                        for v in only_series(target, response).values())
            self.assertEqual(total, expected, title)
        for title, expected in (("Peak bits/s at $__interval",
                                 max(v[1] for v in hist100.values()) * 80),
                                ("Highest 1 s mean", max(v[1] for v in hist1s.values()) * 8)):
            target, _, response = self.query("bandwidth", title)["A"]
            values = [visible_value(target, v) for v in only_series(target, response).values()]
            self.assertEqual(max(v for v in values if v is not None), expected, title)

    def test_bandwidth_by_protocol(self):
        target, interval, response = self.query("bandwidth", "Bits/s by protocol")["A"]
        got = {keys[0]: {t: v for t, v in points.items()}
               for keys, points in series(target, response).items()}
        self.assertEqual(interval, 100)
        for transport in {p.transport for p in self.main}:
            hist = ref.histogram(self.main, 100_000_000, lambda p, t=transport: p.transport == t)
            values = {t: visible_value(target, v) for t, v in got[transport].items()}
            self.assertEqual({t: v for t, v in values.items() if v},
                             {t: b * 80 for t, (_, b) in hist.items()}, transport)

    def test_24h_range_resolves_coarser_and_still_sums(self):
        from_ms, to_ms = START_MS - 12 * 3600000, START_MS + 12 * 3600000
        results = self.query("bandwidth", "Bits/s at $__interval (peaks)", from_ms=from_ms,
                           to_ms=to_ms)
        target, interval, response = results["A"]
        self.assertEqual(interval, 60000)  # roundInterval(86 400 000 ms / 1200 points) = 1 min
        points = only_series(target, response)
        self.assertEqual(len(points), 24 * 60 + 1)
        bits = sum(visible_value(target, v) or 0 for v in points.values())
        self.assertAlmostEqual(bits * interval / 8000, ref.sums(self.main)[1], places=6)

    # -- variables -----------------------------------------------------------------------------
    def test_variables_list_the_expected_values(self):
        d = self.dashboards["talkers"]
        variables = {"observer": ALL, "capture": ALL}
        by_name = {v["name"]: v for v in d["templating"]["list"]}

        def values(name):
            return self.runner.run_variable(d, by_name[name], variables, self.from_ms, self.to_ms)
        self.assertEqual(values("observer"), [support.OBSERVER])
        self.assertEqual(values("capture"), ["late", "main"])
        self.assertEqual(sorted(values("host")), sorted({p.src for p in self.all if p.src}))
        self.assertEqual(sorted(int(v) for v in values("port")),
                         sorted({p.dport for p in self.all if p.dport is not None}))
        self.assertEqual(values("protocol"), sorted({p.transport for p in self.all}))
        self.assertEqual([int(v) for v in values("vni")],
                         sorted({p.vni for p in self.all if p.vni is not None}))

    def test_variables_filter_exactly(self):
        title = "Bits/s of the selected traffic"
        busiest_port = max({p.dport for p in self.main if p.dport},
                           key=lambda q: (sum(p.length for p in self.main
                                              if q in (p.sport, p.dport)), -q))
        v6 = next(p.src for p in self.main if p.src and ":" in p.src)
        v4 = next(p.src for p in self.main if p.src and ":" not in p.src)
        cases = [
            ({"protocol": ["udp"]}, lambda p: p.transport == "udp"),
            ({"protocol": ["tcp", "icmp"]}, lambda p: p.transport in ("tcp", "icmp")),
            ({"port": [str(busiest_port)]}, lambda p: busiest_port in (p.sport, p.dport)),
            ({"host": [v6, v4]}, lambda p: bool({p.src, p.dst} & {v6, v4})),
            ({"vni": ["1001"]}, lambda p: p.vni == 1001),
        ]
        for override, keep in cases:
            got, _ = self.rate_series("bandwidth", title, dict(self.main_only, **override))
            hist = ref.histogram(self.main, 100_000_000, keep)
            self.assertEqual({t: v for t, v in got.items() if v},
                             {t: b * 80 for t, (_, b) in hist.items()}, override)
        # capture "All" sums both captures.
        got, _ = self.rate_series("bandwidth", "Bits/s at $__interval (peaks)",
                                  dict(self.main_only, capture=ALL))
        self.assertEqual(sum(got.values()) / 80, ref.sums(self.all)[1])

    # -- top talkers ---------------------------------------------------------------------------
    def test_top_tables_equal_the_reference(self):
        plain = [p for p in self.main if p.vni is None]
        ported = [p for p in plain if p.transport in ("tcp", "udp", "sctp")]
        cases = [
            ("talkers", "Top sources", self.main, [("src", 10)]),
            ("talkers", "Top destinations", self.main, [("dst", 10)]),
            ("talkers", "Top conversations", plain, [("src", 10), ("dst", 5)]),
            ("talkers", "Top flows (TCP, UDP, SCTP)", ported,
             [("src", 10), ("dst", 5), ("transport", 3), ("sport", 5), ("dport", 5)]),
            ("talkers", "Top destination ports", ported, [("transport", 3), ("dport", 10)]),
            ("tunnels", "Sessions: outer endpoints", self.main,
             [("tunnel", 8), ("vni", 20), ("outer_src", 10), ("outer_dst", 5)]),
            ("tunnels", "Inner conversations per VNI", self.main,
             [("vni", 10), ("src", 10), ("dst", 5), (ref.family, 2)]),
        ]
        for dashboard, title, packets, levels in cases:
            expected = ref.top_table(packets, levels)
            self.assertTrue(expected, title)
            self.assertEqual(self.table_rows(dashboard, title), expected, title)

    def test_inner_conversation_links_name_the_tunnel_and_inner_addresses(self):
        # tcpdump would see the outer headers: the rows link with a Filter= on the tunnel id and
        # the inner addresses, in the family network.type names (the filter grammar and its
        # inner fields are cross-checked against tshark in tests/cli/filter_crosscheck.py).
        title = "Inner conversations per VNI"
        links = self.panel("tunnels", title)["fieldConfig"]["defaults"]["links"]
        self.assertEqual(len(links), 1)
        columns = ["snapflow.tunnel.vni", "source.ip", "destination.ip", "network.type"]
        rows = self.table_rows("tunnels", title)
        self.assertTrue(rows)
        families = set()
        for row in rows:
            url = links[0]["url"]
            for column, value in zip(columns, row):
                url = url.replace('${__data.fields["%s"]}' % column, str(value))
            self.assertNotIn("${__data", url)
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
            vni, src, dst, family = row[:4]
            self.assertEqual(query["Filter"], ["tunnel.id==%d&inner.%s.addr.src==%s&"
                                               "inner.%s.addr.dst==%s" %
                                               (vni, family, src, family, dst)])
            self.assertEqual(ipaddress.ip_address(src).version, int(family[-1]))
            self.assertEqual(ipaddress.ip_address(dst).version, int(family[-1]))
            families.add(family)
            if PCAP_TOOL:
                # What the capture API would serve: exactly the row's packets.
                out = os.path.join(WORKDIR, "inner.pcap")
                r = subprocess.run([PCAP_TOOL, "extract", "--ring", self.ring(), "--filter",
                                    query["Filter"][0], "-o", out], capture_output=True,
                                   text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(len(ref.decode(out)), row[-1], query["Filter"][0])
        self.assertEqual(families, {"ipv4", "ipv6"})

    def ring(self):
        """The main capture spooled into a ring (once), for the links' filters."""
        path = os.path.join(WORKDIR, "ring")
        if not os.path.exists(path):
            subprocess.run([RING_LOAD, "--ring", path, self.main_pcap], check=True,
                           capture_output=True)
        return path

    def test_bytes_by_protocol(self):
        target, _, response = self.query("talkers", "Bytes by protocol")["A"]
        got = {keys[0]: int(v["1"]) for keys, v in gq.flatten(target, response)}
        self.assertEqual(got, {r[0]: r[1] for r in ref.top_table(self.main, [("transport", 10)])})

    def test_top_sources_over_time(self):
        target, _, response = self.query("talkers", "Bits/s of the top sources")["A"]
        got = series(target, response)
        top = [r[0] for r in ref.top_table(self.main, [("src", 5)])]
        self.assertEqual(sorted(k[0] for k in got), sorted(top))
        for src in top:
            hist = ref.histogram(self.main, 100_000_000, lambda p, s=src: p.src == s)
            values = {t: visible_value(target, v) for t, v in got[(src,)].items()}
            self.assertEqual({t: v for t, v in values.items() if v},
                             {t: b * 80 for t, (_, b) in hist.items()}, src)

    # -- per host ------------------------------------------------------------------------------
    def test_per_host(self):
        host = ref.top_table(self.main, [("src", 1)])[0][0]
        variables = dict(self.main_only, host=host)
        got, _ = self.rate_series("host", "Bits/s sent by $host", variables)
        hist = ref.histogram(self.main, 100_000_000, lambda p: p.src == host)
        self.assertEqual({t: v for t, v in got.items() if v},
                         {t: b * 80 for t, (_, b) in hist.items()})
        got, _ = self.rate_series("host", "Bits/s received by $host", variables)
        hist = ref.histogram(self.main, 100_000_000, lambda p: p.dst == host)
        self.assertEqual({t: v for t, v in got.items() if v},
                         {t: b * 80 for t, (_, b) in hist.items()})
        self.assertEqual(self.table_rows("host", "Peers $host sends to", variables),
                         ref.top_table(self.main, [("dst", 20)], lambda p: p.src == host))
        self.assertEqual(self.table_rows("host", "Services $host uses", variables),
                         ref.top_table(self.main, [("transport", 3), ("dport", 10)],
                                       lambda p: p.src == host and
                                       p.transport in ("tcp", "udp", "sctp")))
        dest = ref.top_table(self.main, [("dst", 1)])[0][0]
        self.assertEqual(self.table_rows("host", "Peers sending to $host",
                                         dict(self.main_only, host=dest)),
                         ref.top_table(self.main, [("src", 20)], lambda p: p.dst == dest))

    # -- tunnels -------------------------------------------------------------------------------
    def test_tunnel_series(self):
        target, _, response = self.query("tunnels", "Bits/s tunnelled vs not")["A"]
        got = series(target, response)
        for label, keep in (("tunnelled", lambda p: p.vni is not None),
                            ("not tunnelled", lambda p: p.vni is None)):
            values = {t: visible_value(target, v) for t, v in got[(label,)].items()}
            hist = ref.histogram(self.main, 100_000_000, keep)
            self.assertEqual({t: v for t, v in values.items() if v},
                             {t: b * 80 for t, (_, b) in hist.items()}, label)
        target, _, response = self.query("tunnels", "Bits/s by VNI / session")["A"]
        got = series(target, response)
        vnis = sorted({p.vni for p in self.main if p.vni is not None})
        self.assertEqual(sorted(k[0] for k in got), vnis)
        for vni in vnis:
            values = {t: visible_value(target, v) for t, v in got[(vni,)].items()}
            hist = ref.histogram(self.main, 100_000_000, lambda p, n=vni: p.vni == n)
            self.assertEqual({t: v for t, v in values.items() if v},
                             {t: b * 80 for t, (_, b) in hist.items()}, vni)

    # -- capture health ------------------------------------------------------------------------
    def test_late_packets(self):
        late = (ref.late_packets(self.main, support.INTERVAL_NS, support.REORDER_WINDOW_NS) +
                ref.late_packets(self.late, support.INTERVAL_NS, support.REORDER_WINDOW_NS))
        self.assertGreater(len(late), 0)
        variables = dict(self.main_only, capture=ALL)
        for title, expected in (("Late packets in range", len(late)),
                                ("Late bytes in range", sum(p.length for p in late)),
                                ("Late packets per $__interval", len(late))):
            target, _, response = self.query("health", title, variables)["A"]
            total = sum(visible_value(target, v) or 0
                        for v in only_series(target, response).values())
            self.assertEqual(total, expected, title)

    def test_gaps(self):
        for title, expected in (("Packets lost to ring overrun", 4321),
                                ("Bytes lost to ring overrun", 2345678)):
            target, _, response = self.query("health", title)["A"]
            total = sum(visible_value(target, v) or 0
                        for v in only_series(target, response).values())
            self.assertEqual(total, expected, title)
        target, _, response = self.query("health", "Packets lost to ring overrun per $__interval")["A"]
        rows = [v for _, v in gq.flatten(target, response) if v["1"]]
        self.assertEqual([(v["1"], v["2"]) for v in rows], [(4321, 2345678)])
        target, _, response = self.query("health", "Gap documents")["A"]
        self.assertEqual([h["_source"] for h in response["hits"]["hits"]], [self.gap])

    def test_indexing_self_accounting(self):
        variables = dict(self.main_only, capture=ALL)
        results = self.query("health", "Flows and documents per $__interval", variables)
        flows = sum(visible_value(results["A"][0], v) or 0
                    for v in only_series(results["A"][0], results["A"][2]).values())
        docs = sum(visible_value(results["B"][0], v) or 0
                   for v in only_series(results["B"][0], results["B"][2]).values())
        self.assertEqual(flows, docs)
        self.assertGreater(docs, 0)
        slots = {(c, p.ts_ns // support.INTERVAL_NS) for c, packets in
                 (("main", self.main), ("late", self.late)) for p in packets}
        target, _, response = self.query("health", "Snapshots indexed", variables)["A"]
        self.assertEqual(sum(visible_value(target, v) or 0
                             for v in only_series(target, response).values()), len(slots))
        target, _, response = self.query("health", "Newest snapshot indexed", variables)["A"]
        newest = max(visible_value(target, v) or 0
                     for v in only_series(target, response).values())
        self.assertEqual(newest, max(s for _, s in slots) * 100)


def _key(value):
    return value


if __name__ == "__main__":
    unittest.main(verbosity=2)
