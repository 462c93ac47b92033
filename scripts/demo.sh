#!/usr/bin/env bash
# The README's first command: sets everything up on a fresh Debian 12 machine (as root) and
# shows snapflow working end to end:
#   1. installs the Debian packages and builds snapflow (build/),
#   2. generates the sample capture (deterministic; nothing is downloaded),
#   3. starts a local OpenSearch node (fetched once into a cache with Maven) unless
#      SNAPFLOW_ES_HOST points at your own cluster,
#   4. creates the index template, removes an earlier demo run's documents, replays the
#      capture into the index with pcap2json,
#   5. prints a short report read back from the server.
# Environment: SNAPFLOW_ES_HOST (your cluster's URL; credentials via SNAPFLOW_ES_USER /
# SNAPFLOW_ES_PASSWORD or SNAPFLOW_ES_API_KEY), SNAPFLOW_DEMO_CAPTURE (replay this file
# instead of the sample), SNAPFLOW_SEARCH_FLAVOUR (opensearch or elasticsearch).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$root/build
jobs=${SNAPFLOW_JOBS:-$(nproc)}

step() { printf '\n== %s\n' "$*"; }

step "Installing packages and building"
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" --target pcap2json snapflow-gen snapflow-index

capture=${SNAPFLOW_DEMO_CAPTURE:-}
if [[ -z $capture ]]; then
  step "Generating the sample capture"
  capture=$build/sample/sample.pcap
  mkdir -p "$(dirname "$capture")"
  # Ten seconds of a small site: 2 000 flows, IMIX sizes, 30 % IPv6, 20 000 packets/s, and
  # over the same ten seconds a VXLAN-mirrored slice (AWS Traffic Mirroring), merged in time
  # order into one capture as a probe would have seen them.
  "$build/core/synth/snapflow-gen" -q --flows 2000 --packets 200000 --size imix --ipv6 0.3 \
    --rate 20000 --seed 1 -o "$capture.site"
  "$build/core/synth/snapflow-gen" -q --flows 200 --packets 20000 --size imix --tunnel vxlan \
    --rate 2000 --seed 2 -o "$capture.mirror"
  mergecap -F pcap -w "$capture" "$capture.site" "$capture.mirror"
  rm -f "$capture.site" "$capture.mirror"
  inputs=("$capture")
else
  inputs=("$capture")
fi

es_host=${SNAPFLOW_ES_HOST:-}
setup_flags=()
if [[ -z $es_host ]]; then
  setup_flags=(--es-replicas 0)  # a single local node cannot hold replicas
  flavour=${SNAPFLOW_SEARCH_FLAVOUR:-opensearch}
  step "Starting a local $flavour node (loopback only)"
  "$root/scripts/search-server.sh" start "$flavour"
  es_host=$("$root/scripts/search-server.sh" url "$flavour")
fi

step "Creating the index template"
"$build/indexer/snapflow-index" setup --es-host "$es_host" "${setup_flags[@]}"

# A replay of the same capture by the same version would find every document present; one by
# another version (documents with other fields) would be refused. Starting from no demo
# documents makes every run of the demo the same.
step "Removing the documents of an earlier demo run, if any"
"$build/indexer/snapflow-index" delete --es-host "$es_host" --capture demo --observer demo-probe

step "Replaying ${inputs[*]} into $es_host"
"$build/pcap2json/pcap2json" --es-host "$es_host" --capture demo --observer demo-probe \
  --stats --no-progress "${inputs[@]}"

step "Report read back from the server"
"$build/indexer/snapflow-index" report --es-host "$es_host" --capture demo

cat <<EOF2

Done. To replay your own capture into your own cluster:
  SNAPFLOW_ES_USER=elastic SNAPFLOW_ES_PASSWORD=... \\
    $build/pcap2json/pcap2json --es-host https://your-cluster:9200 --capture NAME FILE.pcap
EOF2
