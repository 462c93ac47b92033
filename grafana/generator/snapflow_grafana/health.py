"""Capture health: what snapflow could not place where it belongs, and what it lost.

* late packets (snapflow.late.* of flow documents: stragglers folded into a later snapshot),
* gap documents (ring data overwritten before pcap2json read it: packets and bytes lost),
* the self-accounting that exists today (totals documents: flows per snapshot, the newest
  snapshot indexed),
* a row for the snapflow.accounting documents ring consumers write about once a second
  (received, dropped at the source, spooled, exported, overwritten, consumer lag;
  docs/formats.md, "Accounting documents"), "no data" where no consumer writes them (replays
  of files).
"""
from grafana_foundation_sdk.builders import dashboard as db

from . import base, common, queries
from .panels import Grid, data_table, plain_time_series, stat_panel, time_series

DESCRIPTION = "Late packets, ring overrun gaps, indexing freshness and capture accounting."
PLANNED = "No snapflow.accounting documents (only ring consumers write them)"
ACCOUNTING_COUNTERS = (
    ("Received", "snapflow.accounting.received.packets"),
    ("Dropped at the source", "snapflow.accounting.dropped.packets"),
    ("Spooled to the ring", "snapflow.accounting.spooled.packets"),
    ("Exported (indexed)", "snapflow.accounting.exported.packets"),
    ("Overwritten unread", "snapflow.accounting.overwritten.packets"),
)


def build(flavour):
    d = base.dashboard(flavour, "health", "Capture health", DESCRIPTION)
    g = Grid()
    f = common.flows()
    late = common.flows("_exists_:snapflow.late.packets")
    t = common.totals()
    gaps = common.gaps()

    d = d.with_row(db.Row("Late packets and ring overrun gaps"))
    g.y += 1
    d = base.add(d, g, time_series(
        "Late packets per $__interval",
        "Packets that arrived after their snapshot closed (reorder window), counted in a later "
        "snapshot: sum of snapflow.late.packets.", "short",
        [queries.series_sums(flavour, "A", f, ["snapflow.late.packets"], "late packets")],
        late, flavour), 12, 8)
    d = base.add(d, g, stat_panel(
        "Late packets in range", "Sum of snapflow.late.packets.", "short",
        queries.series_sums(flavour, "A", f, ["snapflow.late.packets"]), "sum"), 6, 4)
    d = base.add(d, g, stat_panel(
        "Late bytes in range", "Sum of snapflow.late.bytes.", "decbytes",
        queries.series_sums(flavour, "A", f, ["snapflow.late.bytes"]), "sum"), 6, 4)
    d = base.add(d, g, stat_panel(
        "Packets lost to ring overrun", "Sum of network.packets of the gap documents.", "short",
        queries.series_sums(flavour, "A", gaps, ["network.packets"]), "sum"), 6, 4)
    d = base.add(d, g, stat_panel(
        "Bytes lost to ring overrun", "Sum of network.bytes of the gap documents.", "decbytes",
        queries.series_sums(flavour, "A", gaps, ["network.bytes"]), "sum"), 6, 4)
    g.newline()
    d = base.add(d, g, plain_time_series(
        "Packets lost to ring overrun per $__interval",
        "Gap documents (event.dataset snapflow.gap) by gap start: the ring overwrote these "
        "packets before the consumer read them; they are no longer retrievable.", "short",
        [queries.series_sums(flavour, "A", gaps, ["network.packets", "network.bytes"],
                             "lost {{metric}}")]), 12, 8)
    d = base.add(d, g, data_table(
        "Gap documents", "Each overrun: lost time range, packets, bytes and the consumer.",
        [queries.raw_documents(flavour, "A", gaps)]), 12, 8)

    g.newline()
    d = d.with_row(db.Row("Indexing (self-accounting from the totals documents)"))
    g.y += 1
    d = base.add(d, g, time_series(
        "Flows and documents per $__interval",
        "snapflow.flows of the totals documents (flows per snapshot, before --top-n folding) "
        "and the number of flow documents indexed.", "short",
        [queries.series_sums(flavour, "A", t, ["snapflow.flows"], "flows (totals)"),
         queries.series_count(flavour, "B", f, "flow documents")], t, flavour), 12, 8)
    d = base.add(d, g, stat_panel(
        "Newest snapshot indexed",
        "Latest @timestamp of the totals documents: how far behind the indexed data is.",
        "dateTimeFromNow", queries.series_max(flavour, "A", t, "@timestamp", min_doc_count="1"),
        "lastNotNull", no_value="nothing indexed in range"), 6, 4)
    d = base.add(d, g, stat_panel(
        "Snapshots indexed", "Totals documents in range (one per observer, capture, snapshot "
        "and input part).", "short",
        queries.series_count(flavour, "A", t), "sum"), 6, 4)

    g.newline()
    d = d.with_row(db.Row("Capture accounting (snapflow.accounting documents)"))
    g.y += 1
    acc = common.accounting()
    by_observer = [queries.terms("9", "observer.name", 5, order_by="_key")]
    for i, (label, field) in enumerate(ACCOUNTING_COUNTERS):
        d = base.add(d, g, plain_time_series(
            "%s packets per $__interval" % label,
            "Sum of %s per observer (docs/formats.md, \"Accounting documents\")." % field, "short",
            [queries.series_sums(flavour, "A", acc, [field], "{{term observer.name}}",
                                 split=by_observer, min_doc_count="1")], no_value=PLANNED),
            8, 7)
    d = base.add(d, g, plain_time_series(
        "Consumer lag",
        "snapflow.accounting.consumer_lag.bytes per observer and consumer: bytes of ring data "
        "not yet read (a gauge, so the highest value per bucket).", "decbytes",
        [queries.series_max(flavour, "A", acc, "snapflow.accounting.consumer_lag.bytes",
                            "{{term observer.name}} {{term snapflow.consumer}}",
                            split=by_observer + [queries.terms("8", "snapflow.consumer", 5,
                                                               order_by="_key")],
                            min_doc_count="1")], no_value=PLANNED), 8, 7)
    return d
