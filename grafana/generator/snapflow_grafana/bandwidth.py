"""Link bandwidth: bits/s and packets/s from the per-snapshot totals documents at the finest
interval the time range allows (100 ms on short ranges), beside the same traffic as a 1 s mean,
so a burst that a 1 s average flattens stays visible."""
from grafana_foundation_sdk.builders import dashboard as db

from . import base, common, queries
from .panels import Grid, stat_panel, time_series

DESCRIPTION = ("Link bandwidth from snapflow.totals documents (one per observer, capture and "
               "snapshot): peaks at the finest interval vs the 1 s mean.")


def build(flavour):
    d = base.dashboard(flavour, "bandwidth", "Link bandwidth", DESCRIPTION)
    g = Grid()
    t = common.totals()
    peak_note = ("Sum of network.bytes of the snapshot totals per bucket x 8 / bucket length. "
                 "The bucket is Grafana's auto interval with a 100 ms floor: 100 ms on ranges up "
                 "to two minutes, coarser beyond (search.max_buckets).")
    mean_note = "The same traffic averaged over buckets of at least 1 s."
    d = d.with_row(db.Row("Link (all traffic of the selected observers and captures)"))
    g.newline(); g.y += 1
    for what, unit, label in (("bytes", "bps", "Bits/s"), ("packets", "pps", "Packets/s")):
        d = base.add(d, g, time_series(
            "%s at $__interval (peaks)" % label, peak_note, unit,
            [queries.rate(flavour, "A", t, what, label.lower())], t, flavour), 12, 8)
        d = base.add(d, g, time_series(
            "%s, 1 s mean" % label, mean_note, unit,
            [queries.rate(flavour, "A", t, what, label.lower() + " (1 s mean)")], t, flavour,
            min_interval=common.MEAN_INTERVAL), 12, 8)
    d = base.add(d, g, stat_panel(
        "Peak bits/s at $__interval", "Highest bucket of 'Bits/s at $__interval (peaks)'.", "bps",
        queries.rate(flavour, "A", t, "bytes", "bits/s"), "max"), 6, 4)
    d = base.add(d, g, stat_panel(
        "Highest 1 s mean", "Highest bucket of 'Bits/s, 1 s mean'.", "bps",
        queries.rate(flavour, "A", t, "bytes", "bits/s"), "max",
        min_interval=common.MEAN_INTERVAL), 6, 4)
    d = base.add(d, g, stat_panel(
        "Bytes in range", "Sum of network.bytes over the time range.", "decbytes",
        queries.series_sums(flavour, "A", t, ["network.bytes"]), "sum"), 6, 4)
    d = base.add(d, g, stat_panel(
        "Packets in range", "Sum of network.packets over the time range.", "short",
        queries.series_sums(flavour, "A", t, ["network.packets"]), "sum"), 6, 4)

    f = common.flows()
    g.newline()
    d = d.with_row(db.Row("Selected traffic (flow documents: host, port, protocol, VNI filters)"))
    g.y += 1
    d = base.add(d, g, time_series(
        "Bits/s of the selected traffic",
        "Flow documents under the host, port, protocol and VNI variables, summed per bucket.",
        "bps", [queries.rate(flavour, "A", f, "bytes", "bits/s")], f, flavour), 12, 8)
    d = base.add(d, g, time_series(
        "Bits/s by protocol", "Flow documents split by network.transport (top 5 by bytes).",
        "bps", [queries.rate(flavour, "A", f, "bytes", "{{term network.transport}}",
                             split=[queries.terms("4", "network.transport", 5)])], f, flavour,
        stack=True), 12, 8)
    return d
