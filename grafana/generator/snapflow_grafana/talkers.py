"""Top talkers, conversations, flows, ports and protocols over the time range. Every row links
to its packets over the dashboard's range, filtered by a tcpdump expression for the row."""
from . import base, common, links, queries
from .panels import TABLE_UNITS, SUM_BYTES, Grid, data_table, pie, time_series

DESCRIPTION = "Who sends and receives the bytes: top hosts, conversations, flows, ports."
BYTES_PACKETS = ["network.bytes", "network.packets"]


def build(flavour):
    d = base.dashboard(flavour, "talkers", "Top talkers", DESCRIPTION)
    g = Grid()
    f = common.flows()
    plain = common.flows("NOT _exists_:snapflow.tunnel.type")
    ported = common.flows("NOT _exists_:snapflow.tunnel.type",
                          "network.transport:(tcp OR udp OR sctp)")

    def top(title, description, query, buckets, link):
        return data_table(title, description,
                          [queries.sums(flavour, "A", query, BYTES_PACKETS, buckets)],
                          row_link=link, units=TABLE_UNITS, sort_by=SUM_BYTES)

    d = base.add(d, g, top(
        "Top sources", "The 10 source addresses with the most bytes.", f,
        [queries.terms("3", "source.ip", 10)],
        links.range_link("packets from this host", links.host_bpf("src", "source.ip"))), 8, 9)
    d = base.add(d, g, top(
        "Top destinations", "The 10 destination addresses with the most bytes.", f,
        [queries.terms("3", "destination.ip", 10)],
        links.range_link("packets to this host", links.host_bpf("dst", "destination.ip"))), 8, 9)
    d = base.add(d, g, pie(
        "Bytes by protocol", "Sum of network.bytes per network.transport.", "decbytes",
        queries.sums(flavour, "A", f, ["network.bytes"],
                     [queries.terms("2", "network.transport", 10)])), 8, 9)
    d = base.add(d, g, top(
        "Top conversations",
        "Source -> destination pairs: the top 5 destinations of each of the top 10 sources. "
        "Tunnelled traffic is on the Tunnels dashboard.", plain,
        [queries.terms("3", "source.ip", 10), queries.terms("4", "destination.ip", 5)],
        links.range_link("packets of this conversation", links.conversation_bpf())), 12, 10)
    d = base.add(d, g, top(
        "Top flows (TCP, UDP, SCTP)",
        "5-tuples within the top conversations (10 sources x 5 destinations x 5 source ports x "
        "5 destination ports). Each row links to its packets (tcpdump 5-tuple filter).", ported,
        [queries.terms("3", "source.ip", 10), queries.terms("4", "destination.ip", 5),
         queries.terms("5", "network.transport", 3), queries.terms("6", "source.port", 5),
         queries.terms("7", "destination.port", 5)],
        links.range_link("packets of this flow", links.five_tuple_bpf())), 12, 10)
    d = base.add(d, g, top(
        "Top destination ports", "Destination ports by bytes, per transport.", ported,
        [queries.terms("3", "network.transport", 3), queries.terms("4", "destination.port", 10)],
        links.range_link("packets to this port", links.port_bpf())), 12, 9)
    d = base.add(d, g, time_series(
        "Bits/s of the top sources", "The 5 busiest source addresses over time.", "bps",
        [queries.rate(flavour, "A", f, "bytes", "{{term source.ip}}",
                      split=[queries.terms("4", "source.ip", 5)])], f, flavour), 12, 9)
    return d
