"""Tunnels: VXLAN VNI / AWS Traffic Mirroring sessions (and the other tunnel types), outer
endpoints vs the inner traffic they carry. Flow documents of tunnelled traffic are keyed by the
inner headers; the outer endpoints are snapflow.tunnel.* (docs/formats.md)."""
from . import base, common, links, queries
from .panels import TABLE_UNITS, SUM_BYTES, Grid, data_table, time_series

DESCRIPTION = "Tunnelled traffic: per VNI / mirror session, outer endpoints and inner hosts."
BYTES_PACKETS = ["network.bytes", "network.packets"]


def build(flavour):
    d = base.dashboard(flavour, "tunnels", "Tunnels", DESCRIPTION)
    g = Grid()
    f = common.flows()
    tunnelled = common.flows("_exists_:snapflow.tunnel.type")
    d = base.add(d, g, time_series(
        "Bits/s tunnelled vs not", "Flow documents with and without snapflow.tunnel.type.", "bps",
        [queries.rate(flavour, "A", f, "bytes", "{{filters}}", split=[queries.filters(
            "4", [("tunnelled", "_exists_:snapflow.tunnel.type"),
                  ("not tunnelled", "NOT _exists_:snapflow.tunnel.type")])])], f, flavour,
        stack=True), 12, 8)
    d = base.add(d, g, time_series(
        "Bits/s by VNI / session", "Tunnelled flow documents split by snapflow.tunnel.vni.", "bps",
        [queries.rate(flavour, "A", tunnelled, "bytes", "VNI {{term snapflow.tunnel.vni}}",
                      split=[queries.terms("4", "snapflow.tunnel.vni", 10)])], tunnelled,
        flavour, stack=True), 12, 8)
    d = base.add(d, g, data_table(
        "Sessions: outer endpoints",
        "Per tunnel type and VNI/session, the outer source and destination. Rows link to the "
        "packets between the outer endpoints (tcpdump matches outer headers).",
        [queries.sums(flavour, "A", tunnelled, BYTES_PACKETS, [
            queries.terms("3", "snapflow.tunnel.type", 8),
            queries.terms("4", "snapflow.tunnel.vni", 20),
            queries.terms("5", "snapflow.tunnel.source.ip", 10),
            queries.terms("6", "snapflow.tunnel.destination.ip", 5)])],
        row_link=links.range_link("packets of this session", "src host %s and dst host %s" % (
            links.field("snapflow.tunnel.source.ip"),
            links.field("snapflow.tunnel.destination.ip"))),
        units=TABLE_UNITS, sort_by=SUM_BYTES), 12, 10)
    d = base.add(d, g, data_table(
        "Inner conversations per VNI",
        "Inner source -> destination inside each VNI/session. Rows link to their packets: a "
        "Filter= on the tunnel id and the inner addresses (a tcpdump expression would see the "
        "outer headers only).",
        [queries.sums(flavour, "A", tunnelled, BYTES_PACKETS, [
            queries.terms("3", "snapflow.tunnel.vni", 10), queries.terms("4", "source.ip", 10),
            queries.terms("5", "destination.ip", 5), queries.terms("6", "network.type", 2)])],
        row_link=links.range_link("packets of this inner conversation",
                                  fmadio_filter=links.inner_conversation_filter()),
        units=TABLE_UNITS, sort_by=SUM_BYTES), 12, 10)
    return d
