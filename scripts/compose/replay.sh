#!/bin/sh
# docker-compose.yml service "replay": indexes every capture in /pcaps once, each under the
# capture name of its file name (observer "replay"). Files already indexed are skipped by the
# server (deterministic ids answer 409), so running it again is harmless.
set -eu
found=0
for f in /pcaps/*.pcap /pcaps/*.pcapng /pcaps/*.cap; do
  [ -e "$f" ] || continue
  found=1
  pcap2json --es-host "$SNAPFLOW_ES_HOST" --observer replay --capture "$(basename "$f")" \
    --stats --no-progress "$f"
done
[ "$found" = 1 ] || echo "replay: no capture in ./pcaps (mounted at /pcaps); nothing to do"
