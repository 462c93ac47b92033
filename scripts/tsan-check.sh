#!/usr/bin/env bash
# ThreadSanitizer runs of snapflow's threaded units, from a build configured with
# -DSNAPFLOW_SANITIZE=thread (clang); scripts/test.sh builds it and calls this. Any report fails
# the run (TSan exits 66). Suppressions: cmake/tsan.supp (each with its reason).
#   scripts/tsan-check.sh BUILD_DIR
# 1. unit tests with threads: the SPSC queue, the ring writer's write and sync threads with
#    followers, the block policy, the capture spooler (capture threads + ring writer thread + an
#    API-like thread), pcap2json's ring input, the ordered document writer;
# 2. pcap2json's TBB pipeline (4 threads): a file, a file with --top-n and --json-packet --gzip,
#    the ring with a consumer committing every 20 ms;
# 3. the indexer's BulkIndexer, in pcap2json --es-host and indexer_integration_test, against a
#    real OpenSearch node (scripts/search-server.sh, its own instance "tsan", stopped at the end)
#    when the search distributions are there; skipped (said so) otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: tsan-check.sh BUILD_DIR}" && pwd)
export TSAN_OPTIONS="suppressions=$root/cmake/tsan.supp second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
work=$(mktemp -d /tmp/snapflow-tsan.XXXXXX)
node_started=0
cleanup() {
  if ((node_started)); then
    SNAPFLOW_SEARCH_INSTANCE=tsan "$root/scripts/search-server.sh" stop opensearch >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "tsan: unit tests"
(cd "$build" && ctest --output-on-failure -R \
  '^(queue_test|ring_concurrency_test|ring_policy_test|ring_io_thread_test|ring_test|capture_spooler_test|pcap2json_ring_input_test|document_ordered_writer_test)$')

echo "tsan: pcap2json's pipeline"
pcap2json="$build/pcap2json/pcap2json"
"$build/core/synth/snapflow-gen" -q -o "$work/in.pcap" --flows 5000 --packets 200000 --size imix \
  --seed 4
"$build/tests/e2e/ring_from_pcap" "$work/ring" 4194304 64 65536 "$work/in.pcap" >/dev/null
run() {  # run NAME ARGS...: pcap2json under TSan; fails on any report or a non-exact account
  local name=$1
  shift
  if ! "$pcap2json" --no-progress --stats -t 4 "$@" >/dev/null 2>"$work/$name.log" ||
    ! grep -q ': exact$' "$work/$name.log"; then
    cat "$work/$name.log"
    echo "tsan: pcap2json $name failed" >&2
    return 1
  fi
  echo "tsan: pcap2json $name: no report, exact"
}
run file -o "$work/file.ndjson" "$work/in.pcap"
run top-n --top-n 10 -o "$work/topn.ndjson" "$work/in.pcap"
run packets --json-packet --gzip -o "$work/packets.ndjson.gz" "$work/in.pcap"
run ring --ring "$work/ring" --consumer tsan --checkpoint 20ms -o "$work/ring.ndjson"

if [[ -d /var/cache/snapflow/search ]] && url=$(SNAPFLOW_SEARCH_INSTANCE=tsan \
  "$root/scripts/search-server.sh" start opensearch 2>"$work/node.log" | tail -1); then
  node_started=1
  echo "tsan: the indexer against $url"
  # The instance's data outlives the run: start from no index, so documents an older build
  # left there cannot conflict with this one's.
  curl -sf -X DELETE "$url/snapflow-tsan*" >/dev/null
  run es --es-host "$url" --es-index-prefix snapflow-tsan --es-replicas 0 "$work/in.pcap"
  (cd "$build" && SNAPFLOW_SEARCH_INSTANCE=tsan SNAPFLOW_SEARCH_FLAVOUR=opensearch \
    SNAPFLOW_SOURCE_DIR="$root" SNAPFLOW_BINARY_DIR="$build" \
    tests/integration/indexer_integration_test \
    --gtest_filter='*ExactCountsAndSumsThenIdempotentRerun:*RejectedDocumentIsDeadLettered*')
else
  echo "tsan: no search node (scripts/search-server.sh): the indexer's runs are skipped"
  cat "$work/node.log" 2>/dev/null || true
fi
echo "tsan: no reports"
