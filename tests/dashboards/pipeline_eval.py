"""bucket_script pipeline aggregations evaluated beside the search node, for test nodes without
a scripting module.

The search nodes the suite starts are the vendors' integration-test distributions, which ship
no modules: no lang-painless, so any `bucket_script` fails with "script_lang not supported
[painless]" (every regular Elasticsearch and OpenSearch distribution has it). The tests send
each panel's request without its bucket_script aggregations (everything else, including the
metrics they read, runs on the node) and then compute each bucket_script exactly as the engine
does: per bucket, `params.NAME` bound to the sibling metric named in buckets_path (`_count` =
doc_count), the bucket skipped when a parameter is missing (gap_policy skip). Only arithmetic
scripts (+ - * / parentheses, numbers, params) are accepted, which is all the dashboards use.
"""
import ast
import operator

OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
       ast.Div: operator.truediv, ast.USub: operator.neg}


def _eval(node, params):
    if isinstance(node, ast.Expression):
        return _eval(node.body, params)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in OPS:
        return OPS[type(node.op)](_eval(node.left, params), _eval(node.right, params))
    if isinstance(node, ast.UnaryOp) and type(node.op) in OPS:
        return OPS[type(node.op)](_eval(node.operand, params))
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "params"):
        return params[node.attr]
    raise ValueError("bucket_script: unsupported expression %s" % ast.dump(node))


def strip(aggs, path=()):
    """Removes bucket_script aggregations from a request's `aggs` tree (in place); returns
    [(path of bucket aggregation ids, script id, buckets_path, script)]."""
    found = []
    for agg_id in list(aggs):
        agg = aggs[agg_id]
        if "bucket_script" in agg:
            s = agg["bucket_script"]
            found.append((path, agg_id, s["buckets_path"], s["script"]))
            del aggs[agg_id]
        elif "aggs" in agg:
            found += strip(agg["aggs"], path + (agg_id,))
    return found


def _value(bucket, ref):
    if ref == "_count":
        return float(bucket["doc_count"])
    v = (bucket.get(ref) or {}).get("value")
    return None if v is None else float(v)


def apply(aggregations, scripts):
    """Adds each stripped bucket_script's value to every bucket of a response."""
    for path, script_id, buckets_path, script in scripts:
        tree = ast.parse(script, mode="eval")

        def visit(node, rest):
            if not rest:
                return
            agg = node[rest[0]]
            items = agg["buckets"]
            items = items.values() if isinstance(items, dict) else items
            for bucket in items:
                if len(rest) == 1:
                    params = {k: _value(bucket, v) for k, v in buckets_path.items()}
                    if None not in params.values():
                        bucket[script_id] = {"value": _eval(tree, params)}
                else:
                    visit(bucket, rest[1:])
        visit(aggregations, list(path))
