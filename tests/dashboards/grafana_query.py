"""The `_msearch` request Grafana's Elasticsearch data source (and the OpenSearch plugin, which
shares its Lucene query model) sends for a panel, and the series/rows it reads back.

Follows Grafana's code (public/app/core/utils/rangeutil + pkg/tsdb/elasticsearch):
* interval: roundInterval((to - from) / maxDataPoints), raised to the panel's min interval (or
  the data source's timeInterval); `$__interval_ms` / `$__interval` are replaced in the whole
  request body, and `auto` date histograms ask for fixed_interval "<ms>ms";
* query: size 0, bool.filter = [range on the time field (epoch_millis, gte/lte),
  query_string (analyze_wildcard) of the panel's Lucene with the variables interpolated in
  Lucene format];
* aggregations: bucket aggregations nested in order, metrics at the innermost level, a terms
  aggregation ordered by a metric gets that metric beside it, hidden metrics are still sent,
  pipeline metrics reference other metrics by id (count -> `_count`);
* raw data queries: size N sorted by time and _doc, descending.
Variables resolve as Grafana's template service does: a custom All value is inserted as is,
one value Lucene-escaped, several values as ("a" OR "b").
"""
import datetime
import json
import re

LUCENE_SPECIAL = re.compile(r'([+\-=&|><!(){}\[\]^"~*?:\\/ ])')
DEFAULT_TERMS_SIZE = 500


def round_interval(ms):
    steps = [(10, 1), (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500),
             (1500, 1000), (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000),
             (25000, 20000), (45000, 30000), (90000, 60000), (210000, 120000),
             (450000, 300000), (750000, 600000), (1050000, 900000), (1500000, 1200000),
             (2700000, 1800000), (5400000, 3600000), (9000000, 7200000),
             (16200000, 10800000), (32400000, 21600000), (86400000, 43200000),
             (604800000, 86400000), (1814400000, 604800000), (3628800000, 2592000000)]
    for limit, value in steps:
        if ms < limit:
            return value
    return 31536000000


def interval_to_ms(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d|w|M|y)", text)
    assert m, "bad interval %r" % text
    unit = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000,
            "M": 2592000000, "y": 31536000000}[m.group(2)]
    return int(m.group(1)) * unit


def interval_text(ms):
    for unit, size in (("y", 31536000000), ("d", 86400000), ("h", 3600000), ("m", 60000),
                       ("s", 1000)):
        if ms >= size and ms % size == 0:
            return "%d%s" % (ms // size, unit)
    return "%dms" % ms


def panel_interval_ms(panel, from_ms, to_ms, datasource_time_interval):
    """The bucket length Grafana computes for a panel (PanelQueryRunner + calculateInterval)."""
    resolution = panel.get("maxDataPoints")
    if not resolution:
        # Grafana uses the panel's width; a panel without a date histogram does not use the
        # interval at all (tests check that every date histogram panel sets maxDataPoints).
        assert not any(b["type"] == "date_histogram" for t in panel["targets"]
                       for b in t.get("bucketAggs", [])), panel["title"]
        resolution = 1000
    low = interval_to_ms(panel.get("interval") or datasource_time_interval)
    return max(round_interval((to_ms - from_ms) / resolution), low)


def lucene_escape(value):
    return LUCENE_SPECIAL.sub(r"\\\1", str(value))


def interpolate(text, variables, templating):
    """Replaces $name / ${name} with the variable's value in Lucene format."""
    defs = {v["name"]: v for v in templating}

    def value_of(name):
        if name not in variables:
            return None
        value = variables[name]
        if value == "$__all":
            return defs[name]["allValue"]
        if isinstance(value, (list, tuple)):
            if len(value) == 1:
                return lucene_escape(value[0])
            return "(" + " OR ".join('"%s"' % lucene_escape(v) for v in value) + ")"
        return lucene_escape(value)

    def sub(m):
        name = m.group(1) or m.group(2)
        v = value_of(name)
        return m.group(0) if v is None else v
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, text)


def indices(pattern, from_ms, to_ms):
    """Daily indices of a Grafana index pattern such as "[snapflow-]YYYY.MM.DD"."""
    m = re.fullmatch(r"\[([^\]]*)\]YYYY\.MM\.DD", pattern)
    assert m, "unsupported index pattern %r" % pattern
    day = datetime.datetime.fromtimestamp(from_ms / 1000, datetime.timezone.utc).date()
    last = datetime.datetime.fromtimestamp(to_ms / 1000, datetime.timezone.utc).date()
    out = []
    while day <= last:
        out.append(m.group(1) + day.strftime("%Y.%m.%d"))
        day += datetime.timedelta(days=1)
    return out


def _metric_body(m):
    settings = dict(m.get("settings") or {})
    if m["type"] == "bucket_script":
        script = settings.get("script")
        if isinstance(script, dict):
            settings["script"] = script.get("inline")
    body = dict(settings)
    if m.get("field"):
        body["field"] = m["field"]
    return body


def _aggs_for(target, from_ms, to_ms, time_field):
    metrics = target["metrics"]
    by_id = {m["id"]: m for m in metrics}
    root = {}
    level = root
    for b in target.get("bucketAggs", []):
        s = b.get("settings") or {}
        if b["type"] == "date_histogram":
            body = {"field": b.get("field") or time_field,
                    "fixed_interval": "$__interval_msms" if s.get("interval", "auto") == "auto"
                    else s["interval"],
                    "min_doc_count": int(s.get("min_doc_count", 0)),
                    "extended_bounds": {"min": from_ms, "max": to_ms},
                    "format": "epoch_millis"}
            agg = {"date_histogram": body}
        elif b["type"] == "terms":
            try:
                size = int(s.get("size", DEFAULT_TERMS_SIZE)) or DEFAULT_TERMS_SIZE
            except ValueError:
                size = DEFAULT_TERMS_SIZE
            body = {"field": b["field"], "size": size, "order": {}}
            if "min_doc_count" in s:
                body["min_doc_count"] = int(s["min_doc_count"])
            if "missing" in s:
                body["missing"] = s["missing"]
            agg = {"terms": body}
            order_by = s.get("orderBy")
            if order_by:
                metric_id = re.match(r"^(\d+)", order_by)
                if metric_id and metric_id.group(1) in by_id:
                    m = by_id[metric_id.group(1)]
                    if m["type"] == "count":
                        body["order"]["_count"] = s.get("order", "desc")
                    else:
                        body["order"][order_by] = s.get("order", "desc")
                        agg.setdefault("aggs", {})[m["id"]] = {m["type"]: {"field": m["field"]}}
                elif not metric_id:
                    body["order"][order_by] = s.get("order", "desc")
        elif b["type"] == "filters":
            agg = {"filters": {"filters": {
                (f.get("label") or f["query"]): {"query_string": {"query": f["query"],
                                                                   "analyze_wildcard": True}}
                for f in s.get("filters", [])}}}
        else:
            raise AssertionError("bucket aggregation %s not translated" % b["type"])
        level[b["id"]] = agg
        level = agg.setdefault("aggs", {})
    for m in metrics:
        if m["type"] == "count":
            continue
        if m["type"] == "bucket_script":
            paths = {}
            for v in m.get("pipelineVariables", []):
                ref = by_id[v["pipelineAgg"]]
                paths[v["name"]] = "_count" if ref["type"] == "count" else ref["id"]
            body = _metric_body(m)
            body["buckets_path"] = paths
            level[m["id"]] = {"bucket_script": body}
        else:
            level[m["id"]] = {m["type"]: _metric_body(m)}
    return root


def search_body(target, variables, templating, from_ms, to_ms, interval_ms, time_field):
    """The request body for one query (target) of a panel, with the interval substituted."""
    query = interpolate(target.get("query") or "*", variables, templating)
    body = {"size": 0, "query": {"bool": {"filter": [
        {"range": {time_field: {"gte": from_ms, "lte": to_ms, "format": "epoch_millis"}}},
        {"query_string": {"analyze_wildcard": True, "query": query}}]}}}
    first = target["metrics"][0]["type"]
    if first in ("raw_data", "raw_document"):
        size = int((target["metrics"][0].get("settings") or {}).get("size", 500))
        body.update({"size": size, "sort": [
            {time_field: {"order": "desc", "unmapped_type": "boolean"}},
            {"_doc": {"order": "desc"}}], "docvalue_fields": [time_field]})
    else:
        assert target.get("bucketAggs"), "invalid query, missing metrics and aggregations"
        body["aggs"] = _aggs_for(target, from_ms, to_ms, time_field)
    text = json.dumps(body)
    text = text.replace("$__interval_ms", str(interval_ms))
    text = text.replace("$__interval", interval_text(interval_ms))
    return json.loads(text)


def msearch_lines(index_list, bodies):
    header = {"search_type": "query_then_fetch", "ignore_unavailable": True,
              "index": ",".join(index_list)}
    out = []
    for body in bodies:
        out += [json.dumps(header), json.dumps(body)]
    return "\n".join(out) + "\n"


def flatten(target, response):
    """Rows of a response as Grafana's table/series reading sees them:
    [(bucket keys outermost first..., {metric id or "count": value})]. Hidden metrics are
    dropped, as Grafana drops them from its frames."""
    metrics = [m for m in target["metrics"] if not m.get("hide")]
    buckets = target.get("bucketAggs", [])
    rows = []

    def walk(aggs, depth, keys):
        if depth == len(buckets):
            values = {}
            for m in metrics:
                if m["type"] == "count":
                    values["count"] = aggs.get("doc_count")
                else:
                    values[m["id"]] = (aggs.get(m["id"]) or {}).get("value")
            rows.append((tuple(keys), values))
            return
        agg = aggs[buckets[depth]["id"]]
        items = agg["buckets"]
        if isinstance(items, dict):
            items = [dict(v, key=k) for k, v in items.items()]
        for b in items:
            walk(b, depth + 1, keys + [b["key"]])
    walk(response.get("aggregations", {}), 0, [])
    return rows
