"""What every dashboard shares: the two data source flavours, the Lucene filters built from the
dashboard variables, the variables themselves, and the capture API links.

Queries are Lucene (the Elasticsearch data source's and the OpenSearch plugin's common language).
Every panel sums (`network.bytes`, `network.packets`, ...): one flow may have several documents in
one snapshot (a snapshot cut by a file boundary, two replay workers), docs/formats.md.
"""
import json

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableOption, VariableRefresh

# The two provisioned data sources (grafana/provisioning/datasources/snapflow.yaml).
FLAVOURS = {
    "elasticsearch": {"type": "elasticsearch", "uid": "snapflow-elasticsearch",
                      "title": "Elasticsearch"},
    "opensearch": {"type": "grafana-opensearch-datasource", "uid": "snapflow-opensearch",
                   "title": "OpenSearch"},
}

# snapflow's snapshot length is 100 ms by default: no panel asks for finer buckets, and every
# time series uses Grafana's `auto` interval with this floor so a long range never asks for
# more buckets than search.max_buckets allows (docs/dashboards.md, "Intervals").
MIN_INTERVAL = "100ms"
MEAN_INTERVAL = "1s"
# Fixed resolution (points per panel) so the interval a panel asks for depends on the time
# range only, not on the browser's panel width; tests/dashboards/ resolves it the same way.
MAX_DATA_POINTS = 1200
DEFAULT_CAPTURE_API = "http://127.0.0.1:8480"

FLOW = 'event.dataset:"snapflow.flow"'
TOTALS = 'event.dataset:"snapflow.totals"'
GAP = 'event.dataset:"snapflow.gap"'
ACCOUNTING = 'event.dataset:"snapflow.accounting"'

WHERE = "(observer.name:$observer) AND (labels.capture:$capture)"
# The flow filters. Each variable's "All" value is `* OR (*:* AND NOT _exists_:FIELD)`, so "All" matches
# every document, including those without the field (ARP has no IPs, ICMP no ports, most
# traffic no tunnel): sums over "All" equal the capture's totals.
HOST = "(source.ip:$host OR destination.ip:$host)"
PORT = "(source.port:$port OR destination.port:$port)"
PROTOCOL = "(network.transport:$protocol)"
VNI = "(snapflow.tunnel.vni:$vni)"
FLOW_FILTERS = " AND ".join((HOST, PORT, PROTOCOL, VNI))


def flows(*extra):
    """Lucene for flow documents under every dashboard filter, plus `extra` clauses."""
    return " AND ".join((FLOW, WHERE, FLOW_FILTERS) + tuple("(%s)" % e for e in extra))


def totals():
    return " AND ".join((TOTALS, WHERE))


def gaps():
    return " AND ".join((GAP, WHERE))


def accounting():
    return " AND ".join((ACCOUNTING, "(observer.name:$observer)"))


def datasource_ref(flavour):
    return DataSourceRef(type_val=FLAVOURS[flavour]["type"], uid="${datasource}")


def _terms_variable(flavour, name, label, field, query, *, all_field=None, multi=True,
                    order_by_count=False):
    # Both data sources take a terms query as a JSON string (their metricFindQuery parses it).
    find = {"find": "terms", "field": field, "query": query}
    if order_by_count:
        find["orderBy"] = "doc_count"
    v = (db.QueryVariable(name).label(label).datasource(datasource_ref(flavour))
         .query(json.dumps(find)).refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
         .allow_custom_value(True))
    if all_field is not None:
        v = (v.multi(multi).include_all(True).all_value("* OR (*:* AND NOT _exists_:%s)" % all_field)
             .current(VariableOption(text="All", value="$__all", selected=True)))
    return v


def variables(flavour, *, host_required=False):
    """Data source, observer, capture, host, port, protocol, VNI and the capture API base URL."""
    kind = FLAVOURS[flavour]
    out = [
        db.DatasourceVariable("datasource").label("Data source").type(kind["type"])
        .current({"text": "snapflow " + kind["title"], "value": kind["uid"]}),
        _terms_variable(flavour, "observer", "Observer", "observer.name", TOTALS,
                        all_field="observer.name"),
        _terms_variable(flavour, "capture", "Capture", "labels.capture",
                        TOTALS + " AND (observer.name:$observer)", all_field="labels.capture"),
    ]
    host_query = FLOW + " AND " + WHERE
    if host_required:  # the per-host dashboard: one host, the busiest first
        out.append(_terms_variable(flavour, "host", "Host", "source.ip", host_query,
                                   order_by_count=True))
    else:
        out.append(_terms_variable(flavour, "host", "Host", "source.ip", host_query,
                                   all_field="source.ip", order_by_count=True))
    out += [
        _terms_variable(flavour, "port", "Port", "destination.port", host_query,
                        all_field="destination.port", order_by_count=True),
        _terms_variable(flavour, "protocol", "Protocol", "network.transport", host_query,
                        all_field="network.transport"),
        _terms_variable(flavour, "vni", "VNI / session", "snapflow.tunnel.vni", host_query,
                        all_field="snapflow.tunnel.vni"),
        db.TextBoxVariable("capture_api").label("Capture API").default_value(DEFAULT_CAPTURE_API)
        .description("Base URL of snapflow-capture's API (PCAP links: /pcap/splittime)"),
    ]
    return out

