"""Per host: one address (variable `host`) and everything it sends and receives."""
from . import base, common, links, queries
from .panels import TABLE_UNITS, SUM_BYTES, Grid, data_table, time_series

DESCRIPTION = "Drill into one host: its bandwidth each way, its peers and its ports."
BYTES_PACKETS = ["network.bytes", "network.packets"]


def build(flavour):
    d = base.dashboard(flavour, "host", "Per host", DESCRIPTION, host_required=True)
    g = Grid()
    sent = common.flows("source.ip:$host")
    received = common.flows("destination.ip:$host")
    for title, query in (("Bits/s sent by $host", sent), ("Bits/s received by $host", received)):
        d = base.add(d, g, time_series(title, "Flow documents of the host, summed per bucket.",
                                       "bps", [queries.rate(flavour, "A", query, "bytes", "bits/s")],
                                       query, flavour), 12, 8)

    def top(title, description, query, buckets, link):
        return data_table(title, description,
                          [queries.sums(flavour, "A", query, BYTES_PACKETS, buckets)],
                          row_link=link, units=TABLE_UNITS, sort_by=SUM_BYTES)

    d = base.add(d, g, top(
        "Peers $host sends to", "Destinations of the host's flows, by bytes.", sent,
        [queries.terms("3", "destination.ip", 20)],
        links.range_link("packets of this conversation",
                         "src host ${host} and dst host %s" % links.field("destination.ip"))), 8, 10)
    d = base.add(d, g, top(
        "Peers sending to $host", "Sources of the flows towards the host, by bytes.", received,
        [queries.terms("3", "source.ip", 20)],
        links.range_link("packets of this conversation",
                         "src host %s and dst host ${host}" % links.field("source.ip"))), 8, 10)
    d = base.add(d, g, top(
        "Services $host uses", "Destination ports of the host's TCP/UDP/SCTP flows.",
        common.flows("source.ip:$host", "network.transport:(tcp OR udp OR sctp)"),
        [queries.terms("3", "network.transport", 3), queries.terms("4", "destination.port", 10)],
        links.range_link("packets of this service",
                         "src host ${host} and " + links.port_bpf())), 8, 10)
    return d
