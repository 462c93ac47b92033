"""Elasticsearch query models (the data source's Lucene query editor) for snapflow's panels.

Metric ids are fixed per shape so tests and readers can refer to them. Rates are sums divided
by the bucket length: `$__interval_ms` is the bucket length the data source substitutes into
the request body (Grafana's `auto` interval, floored at MIN_INTERVAL), so a 100 ms bucket of
1 250 bytes reads 100 000 bits/s, and a 1 s bucket of the same traffic 10 000 bits/s.
"""
from grafana_foundation_sdk.builders import elasticsearch as es
from grafana_foundation_sdk.models.elasticsearch import TermsOrder

from . import common
from .links import WINDOW_END_FIELD

RATE_UNITS = {"bytes": ("network.bytes", 8000), "packets": ("network.packets", 1000)}


def _query(flavour, ref, query, metrics, buckets, alias=None):
    q = (es.Dataquery().ref_id(ref).query(query).metrics(metrics).bucket_aggs(buckets)
         .datasource(common.datasource_ref(flavour)))
    if alias:
        q = q.alias(alias)
    if flavour == "opensearch":
        q = q.query_type("lucene")
    return q


def date_histogram(bucket_id, interval="auto", min_doc_count="0"):
    return es.DateHistogram().id(bucket_id).field("@timestamp").settings(
        es.ElasticsearchDateHistogramSettings().interval(interval).min_doc_count(min_doc_count))


def terms(bucket_id, field, size, order_by="1", min_doc_count="1"):
    """Top `size` values of `field` by metric `order_by` (descending)."""
    return es.Terms().id(bucket_id).field(field).settings(
        es.ElasticsearchTermsSettings().size(str(size)).order_by(order_by)
        .order(TermsOrder.DESC).min_doc_count(min_doc_count))


def filters(bucket_id, named):
    return es.Filters().id(bucket_id).settings(es.ElasticsearchFiltersSettings().filters(
        [es.Filter().label(label).query(query) for label, query in named]))


def _rate_metrics(what):
    field, scale = RATE_UNITS[what]
    return [
        es.Sum().id("1").field(field).hide(True),
        es.BucketScript().id("2").pipeline_variables(
            [es.PipelineVariable().name("v").pipeline_agg("1")]).settings(
            es.ElasticsearchBucketScriptSettings().script(es.ElasticsearchInlineScript().inline(
                "params.v * %d / $__interval_ms" % scale))),
    ]


def rate(flavour, ref, query, what, alias, split=()):
    """bits/s (`what`="bytes") or packets/s per bucket of the panel's interval, optionally split
    by terms/filters bucket aggregations `split` (outermost first)."""
    return _query(flavour, ref, query, _rate_metrics(what), list(split) + [date_histogram("3")],
                  alias)


def window_end(flavour, query):
    """Query W of every time series panel: per bucket, the end (epoch ms) of the last snapshot
    with data, for the 'packets for this window' link; hidden from the chart."""
    metrics = [
        es.Max().id("1").field("@timestamp").hide(True),
        es.Max().id("2").field("snapflow.interval_ns").hide(True),
        es.BucketScript().id("3").pipeline_variables(
            [es.PipelineVariable().name("t").pipeline_agg("1"),
             es.PipelineVariable().name("i").pipeline_agg("2")]).settings(
            es.ElasticsearchBucketScriptSettings().script(es.ElasticsearchInlineScript().inline(
                "params.t + params.i / 1000000"))),
    ]
    return _query(flavour, "W", query, metrics, [date_histogram("4")], WINDOW_END_FIELD)


def sums(flavour, ref, query, fields, buckets, alias=None):
    """Sum of each field per bucket (metric ids "1", "2", ...); order terms by "1"."""
    metrics = [es.Sum().id(str(i + 1)).field(f) for i, f in enumerate(fields)]
    return _query(flavour, ref, query, metrics, list(buckets), alias)


def series_sums(flavour, ref, query, fields, alias=None, split=(), min_doc_count="0"):
    return sums(flavour, ref, query, fields,
                list(split) + [date_histogram(str(len(fields) + 1), min_doc_count=min_doc_count)],
                alias)


def series_count(flavour, ref, query, alias=None, min_doc_count="0"):
    """Documents per bucket."""
    return _query(flavour, ref, query, [es.Count().id("1")],
                  [date_histogram("2", min_doc_count=min_doc_count)], alias)


def series_max(flavour, ref, query, field, alias=None, split=(), min_doc_count="0"):
    """For gauges only (the newest @timestamp, a consumer's lag), never for traffic counters."""
    return _query(flavour, ref, query, [es.Max().id("1").field(field)],
                  list(split) + [date_histogram("2", min_doc_count=min_doc_count)], alias)


def raw_documents(flavour, ref, query, size=100):
    return _query(flavour, ref, query,
                  [es.RawData().id("1").settings(es.ElasticsearchRawDataSettings().size(str(size)))],
                  [])
