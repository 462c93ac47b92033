"""Kibana 8 and OpenSearch Dashboards 2 saved objects for snapflow, as Python data.

Everything that carries a query uses Lucene (`language: lucene`): the same query_string both
products and the tests send. Every metric sums (network.bytes, network.packets), never a
per-document maximum: one flow may have several documents per snapshot (docs/formats.md).

What differs between the products (docs/dashboards.md):
* controls: Kibana 8 dashboards hold options-list controls in `controlGroupInput`; OpenSearch
  Dashboards has the older input-control visualization (`input_control_vis`) as a panel;
* data view: Kibana keeps custom labels in `fieldAttrs`; OpenSearch Dashboards (a 7.10 fork)
  keeps a `fields` list (empty here: it is filled from the mapping on first use).
"""
import json

DATA_VIEW = "snapflow"
INDEX_TITLE = "snapflow-*,-snapflow-packets-*"  # flow, totals and gap documents; no packets
FLOWS = 'event.dataset:"snapflow.flow"'
TOTALS = 'event.dataset:"snapflow.totals"'
GAPS = 'event.dataset:"snapflow.gap"'
DEFAULT_CAPTURE_API = "http://127.0.0.1:8480"

FIELD_FORMATS = {
    "network.bytes": {"id": "bytes"},
    "source.bytes": {"id": "bytes"},
    "snapflow.late.bytes": {"id": "bytes"},
    "snapflow.size.min": {"id": "bytes"},
    "snapflow.size.max": {"id": "bytes"},
    "snapflow.bits_per_second": {"id": "number", "params": {"pattern": "0,0.[00]a"}},
    "snapflow.packets_per_second": {"id": "number", "params": {"pattern": "0,0.[00]a"}},
    # Written by pcap2json --pcap-link-base: the capture API's /pcap/splittime URL of the flow's
    # packets. A URL formatter makes it a link (Kibana's URL drill-downs need a paid licence).
    "snapflow.pcap_link": {"id": "url", "params": {"type": "a", "urlTemplate": "{{value}}",
                                                    "labelTemplate": "packets"}},
}
CUSTOM_LABELS = {"snapflow.bits_per_second": "bits/s", "snapflow.packets_per_second": "packets/s",
                 "snapflow.pcap_link": "PCAP"}
CONTROLS = [("source.ip", "Host (source)"), ("destination.ip", "Host (destination)"),
            ("destination.port", "Port"), ("network.transport", "Protocol"),
            ("snapflow.tunnel.vni", "VNI / session")]
FLOW_COLUMNS = ["observer.name", "labels.capture", "source.ip", "source.port", "destination.ip",
                "destination.port", "network.transport", "network.bytes", "network.packets",
                "snapflow.tunnel.vni", "snapflow.pcap_link"]
GAP_COLUMNS = ["observer.name", "labels.capture", "event.start", "event.end", "network.packets",
               "network.bytes", "snapflow.consumer"]


def _search_source(query):
    return {"kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({
        "query": {"query": query, "language": "lucene"}, "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"})}}


def _index_ref():
    return [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern",
             "id": DATA_VIEW}]


def data_view(product):
    attrs = {"title": INDEX_TITLE, "timeFieldName": "@timestamp",
             "fieldFormatMap": json.dumps(FIELD_FORMATS, sort_keys=True)}
    if product == "kibana":
        attrs["name"] = "snapflow"
        attrs["fieldAttrs"] = json.dumps({k: {"customLabel": v} for k, v in CUSTOM_LABELS.items()},
                                         sort_keys=True)
    else:
        attrs["fields"] = "[]"
    return {"type": "index-pattern", "id": DATA_VIEW, "attributes": attrs, "references": []}


def saved_search(obj_id, title, description, query, columns):
    attrs = {"title": title, "description": description, "columns": columns,
             "sort": [["@timestamp", "desc"]]}
    attrs.update(_search_source(query))
    return {"type": "search", "id": obj_id, "attributes": attrs, "references": _index_ref()}


def _vis(obj_id, title, description, query, vis_type, aggs, params):
    vis_state = {"title": title, "type": vis_type, "aggs": aggs, "params": params}
    attrs = {"title": title, "description": description, "version": 1, "uiStateJSON": "{}",
             "visState": json.dumps(vis_state, sort_keys=True)}
    attrs.update(_search_source(query))
    return {"type": "visualization", "id": obj_id, "attributes": attrs,
            "references": _index_ref()}


def _sum(agg_id, field, label):
    return {"id": agg_id, "enabled": True, "type": "sum", "schema": "metric",
            "params": {"field": field, "customLabel": label}}


def _terms(agg_id, field, size, schema="bucket", label=None):
    params = {"field": field, "size": size, "order": "desc", "orderBy": "1",
              "otherBucket": False, "missingBucket": False}
    if label:
        params["customLabel"] = label
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema, "params": params}


def _date_histogram(agg_id):
    # "auto": Kibana picks the interval for the time range; the data view's time field.
    return {"id": agg_id, "enabled": True, "type": "date_histogram", "schema": "segment",
            "params": {"field": "@timestamp", "interval": "auto", "min_doc_count": 1,
                       "extended_bounds": {}}}


def _line_params(y_label):
    return {"type": "line", "addTooltip": True, "addLegend": True, "legendPosition": "bottom",
            "seriesParams": [{"data": {"id": "1", "label": y_label}, "show": True,
                              "type": "line", "mode": "normal", "valueAxis": "ValueAxis-1"}],
            "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value",
                           "position": "left", "show": True, "scale": {"type": "linear"},
                           "title": {"text": y_label}}],
            "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom",
                              "show": True, "scale": {"type": "linear"}, "title": {}}]}


def visualizations(product):
    table = {"perPage": 10, "showPartialRows": False, "showMetricsAtAllLevels": False,
             "showTotal": True, "totalFunc": "sum"}
    out = [
        _vis("snapflow-bandwidth-bytes", "snapflow: bytes per interval (link)",
             "Sum of network.bytes of the totals documents per auto interval.", TOTALS, "line",
             [_sum("1", "network.bytes", "bytes"), _date_histogram("2")], _line_params("bytes")),
        _vis("snapflow-bandwidth-packets", "snapflow: packets per interval (link)",
             "Sum of network.packets of the totals documents per auto interval.", TOTALS, "line",
             [_sum("1", "network.packets", "packets"), _date_histogram("2")],
             _line_params("packets")),
        _vis("snapflow-top-sources", "snapflow: top sources",
             "The 10 source addresses with the most bytes.", FLOWS, "table",
             [_sum("1", "network.bytes", "bytes"), _sum("2", "network.packets", "packets"),
              _terms("3", "source.ip", 10, label="source")], table),
        _vis("snapflow-top-conversations", "snapflow: top conversations",
             "Top 5 destinations of each of the top 10 sources, by bytes.", FLOWS, "table",
             [_sum("1", "network.bytes", "bytes"), _sum("2", "network.packets", "packets"),
              _terms("3", "source.ip", 10, label="source"),
              _terms("4", "destination.ip", 5, label="destination")], table),
        _vis("snapflow-protocols", "snapflow: bytes by protocol",
             "Sum of network.bytes per network.transport.", FLOWS, "pie",
             [_sum("1", "network.bytes", "bytes"),
              _terms("2", "network.transport", 10, schema="segment")],
             {"type": "pie", "addTooltip": True, "addLegend": True, "legendPosition": "right",
              "isDonut": True}),
    ]
    if product == "opensearch-dashboards":
        controls = [{"id": str(i), "fieldName": field, "label": label, "type": "list",
                     "options": {"type": "terms", "multiselect": True, "dynamicOptions": True,
                                 "size": 20, "order": "desc"},
                     "parent": "", "indexPatternRefName": "control_%d_index_pattern" % i}
                    for i, (field, label) in enumerate(CONTROLS)]
        vis = _vis("snapflow-controls", "snapflow: controls", "Host, port, protocol, VNI.", FLOWS,
                   "input_control_vis", [], {"controls": controls, "updateFiltersOnChange": True,
                                             "useTimeFilter": True, "pinFilters": False})
        vis["attributes"]["kibanaSavedObjectMeta"] = {"searchSourceJSON": "{}"}
        vis["references"] = [{"name": "control_%d_index_pattern" % i, "type": "index-pattern",
                              "id": DATA_VIEW} for i in range(len(CONTROLS))]
        out.append(vis)
    return out


def dashboard(product, panel_ids):
    layout = [(0, 0, 24, 12), (24, 0, 24, 12), (0, 12, 16, 15), (16, 12, 16, 15),
              (32, 12, 16, 15), (0, 27, 48, 15), (0, 42, 48, 12)]
    panels, refs = [], []
    for i, (obj_id, obj_type) in enumerate(panel_ids):
        x, y, w, h = layout[i]
        name = "panel_%d" % i
        panels.append({"panelIndex": str(i), "gridData": {"x": x, "y": y, "w": w, "h": h,
                                                          "i": str(i)},
                       "embeddableConfig": {}, "panelRefName": name, "version": "8.15.3"
                       if product == "kibana" else "2.17.1"})
        refs.append({"name": name, "type": obj_type, "id": obj_id})
    attrs = {"title": "snapflow", "description": "Bandwidth, top talkers, flows; controls for "
             "host, port, protocol and VNI. Rows of the flow table link to their packets "
             "(snapflow.pcap_link, URL formatter).",
             "panelsJSON": json.dumps(panels, sort_keys=True), "timeRestore": False,
             "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
             "version": 1,
             "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                 {"query": {"query": "", "language": "lucene"}, "filter": []})}}
    if product == "kibana":
        controls = {}
        for i, (field, label) in enumerate(CONTROLS):
            cid = "snapflow-control-%d" % i
            controls[cid] = {"order": i, "width": "medium", "grow": True,
                             "type": "optionsListControl",
                             "explicitInput": {"id": cid, "fieldName": field, "title": label,
                                               "selectedOptions": []}}
            refs.append({"name": "controlGroup_%s:optionsListDataView" % cid,
                         "type": "index-pattern", "id": DATA_VIEW})
        attrs["controlGroupInput"] = {"controlStyle": "oneLine", "chainingSystem": "HIERARCHICAL",
                                      "panelsJSON": json.dumps(controls, sort_keys=True)}
    return {"type": "dashboard", "id": "snapflow-dashboard", "attributes": attrs,
            "references": refs}


def objects(product):
    searches = [
        saved_search("snapflow-flows", "snapflow: flows", "Flow documents, newest first; "
                     "the PCAP column links to each flow's packets.", FLOWS, FLOW_COLUMNS),
        saved_search("snapflow-gaps", "snapflow: gaps", "Ring overrun gaps: packets and bytes "
                     "lost before the consumer read them.", GAPS, GAP_COLUMNS),
    ]
    vis = visualizations(product)
    panel_ids = [(v["id"], "visualization") for v in vis if v["id"] != "snapflow-controls"]
    panel_ids.append(("snapflow-flows", "search"))
    if product == "opensearch-dashboards":
        panel_ids.insert(0, ("snapflow-controls", "visualization"))
    return [data_view(product)] + searches + vis + [dashboard(product, panel_ids)]
