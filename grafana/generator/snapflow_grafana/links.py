"""Links from a panel to the packets behind it: the capture API's
`GET <api>/pcap/splittime?Start=<ns>&Stop=<ns>[&StreamName=..][&FilterBPF=..]` (Start inclusive,
Stop exclusive; docs/dashboards.md "Links").

Grafana interpolates `${__value.time}` (a point's time, epoch ms), `${__from}`/`${__to}` (the
dashboard's range, epoch ms) and `${__data.fields["NAME"]}` (another field of the same row);
appending six zeros turns epoch milliseconds into the API's nanoseconds. Snapshot starts are
whole milliseconds (multiples of the interval), so nothing is lost.
"""
from grafana_foundation_sdk.builders import dashboard as db

SPLITTIME = "${capture_api}/pcap/splittime"
# The time series panels carry a field "window_end_ms" (query W): the end of the last snapshot
# with data in each bucket, so [bucket start, window end) holds exactly the bucket's packets.
WINDOW_END_FIELD = "window_end_ms"


def field(name):
    return '${__data.fields["%s"]}' % name


def window_link():
    """'packets for this window' on a time series point."""
    url = "%s?Start=${__value.time}000000&Stop=%s000000" % (SPLITTIME, field(WINDOW_END_FIELD))
    return db.DashboardLink("packets for this window").url(url).target_blank(True)


def _bpf(expression):
    return expression.replace(" ", "%20")


def range_link(title, bpf=None, fmadio_filter=None):
    """A table row's packets over the dashboard's time range, optionally selected by a tcpdump
    expression (`FilterBPF=`) or a `Filter=` expression (docs/capture.md "Filters"; its blocks
    are joined with '&', sent as %26)."""
    url = "%s?Start=${__from}000000&Stop=${__to}000000" % SPLITTIME
    if bpf:
        url += "&FilterBPF=" + _bpf(bpf)
    if fmadio_filter:
        url += "&Filter=" + fmadio_filter.replace("&", "%26")
    return db.DashboardLink(title).url(url).target_blank(True)


def inner_conversation_filter():
    """The inner source and destination of a tunnelled flow in its tunnel (VNI, session, key):
    tcpdump expressions see only the outer headers. `network.type` (ipv4 / ipv6) names the
    family's fields, so one template serves both."""
    family = field("network.type")
    return "tunnel.id==%s&inner.%s.addr.src==%s&inner.%s.addr.dst==%s" % (
        field("snapflow.tunnel.vni"), family, field("source.ip"), family,
        field("destination.ip"))


def host_bpf(direction, column):
    return "%s host %s" % (direction, field(column))


def conversation_bpf():
    return "src host %s and dst host %s" % (field("source.ip"), field("destination.ip"))


def five_tuple_bpf():
    """tcpdump's `src host A and dst host B and tcp and src port P and dst port Q`; `host`
    matches IPv4 and IPv6 addresses alike, so one expression serves both families."""
    return "%s and %s and src port %s and dst port %s" % (
        conversation_bpf(), field("network.transport"), field("source.port"),
        field("destination.port"))


def port_bpf():
    return "%s dst port %s" % (field("network.transport"), field("destination.port"))
