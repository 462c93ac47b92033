#!/usr/bin/env bash
# Soak test by hand: scripts/soak.sh DURATION [FLAVOUR]   (DURATION like 3600, 90s, 60m, 1h)
# Builds what it needs (build-soak/, Release), starts a 3-node cluster of FLAVOUR (default
# opensearch) with scripts/search-cluster.sh, runs live capture (veth + tcpreplay loop) ->
# ring -> pcap2json -> the cluster with a fault every minute (SNAPFLOW_SOAK_FAULT_EVERY), checks
# every invariant at the end (tests/soak/soak.py), prints a JSON summary and stops the
# cluster. Needs root. CI runs a short version through ctest (soak_opensearch).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
duration=$1
case $duration in
  *h) seconds=$((${duration%h} * 3600)) ;;
  *m) seconds=$((${duration%m} * 60)) ;;
  *s) seconds=${duration%s} ;;
  *) seconds=$duration ;;
esac
flavour=${2:-opensearch}
scripts/install-deps.sh
build=${SNAPFLOW_SOAK_BUILD:-build-soak}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSNAPFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target pcap2json snapflow-capture snapflow-index snapflow-gen
export SNAPFLOW_SEARCH_FLAVOUR=$flavour SNAPFLOW_SOAK_START_CLUSTER=1
export SNAPFLOW_SEARCH_INSTANCE=${SNAPFLOW_SEARCH_INSTANCE:-soak}
exec python3 tests/soak/soak.py "$seconds" "$build" "${SNAPFLOW_SOAK_WORKDIR:-/tmp/snapflow-soak}"
