"""snapflow's Grafana dashboards as code (grafana-foundation-sdk).

`generate.py` (one directory up) writes grafana/dashboards/<flavour>/*.json from the builders
here; tests/dashboards/ fails when the committed JSON and the generator drift, and runs every
panel's query against real Elasticsearch and OpenSearch nodes. docs/dashboards.md explains the
dashboards, their queries and their links.
"""
