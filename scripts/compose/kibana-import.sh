#!/bin/sh
# One-shot (docker-compose.yml service "kibana-setup"): waits for Kibana, then imports
# dashboards/kibana/snapflow.ndjson (data view, saved searches, visualisations, dashboard).
set -eu
kibana=${KIBANA_URL:-http://kibana:5601}
tries=0
until curl -sf "$kibana/api/status" | grep -q '"level":"available"'; do
  tries=$((tries + 1))
  if [ "$tries" -gt 180 ]; then echo "kibana-setup: Kibana not available after 6 min" >&2; exit 1; fi
  sleep 2
done
curl -sf -X POST "$kibana/api/saved_objects/_import?overwrite=true" -H 'kbn-xsrf: snapflow' \
  --form file=@/objects/snapflow.ndjson | grep -q '"success":true' ||
  { echo "kibana-setup: import failed" >&2; exit 1; }
echo "kibana-setup: imported snapflow saved objects"
