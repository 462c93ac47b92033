#!/usr/bin/env bash
# Capture-to-searchable latency of the live pipeline at a modest rate, as docs/performance.md
# reports it: snapflow-capture (DPDK net_pcap vdev replaying a small generated capture; the
# PMD restamps packets with the capture time) -> ring -> pcap2json --follow --es-host -> a
# local OpenSearch node. Latency = the moment the last packet's bytes become visible to a
# search (polled every 50 ms, no forced refresh) minus that packet's capture timestamp
# (max event.end). Needs root (DPDK --no-huge) and a built tree.
# Usage: scripts/bench-latency.sh [BUILD_DIR]   Env: SNAPFLOW_LATENCY_ARGS (extra pcap2json
# flags, e.g. "--es-flush-interval 100ms"), SNAPFLOW_LATENCY_REFRESH (index refresh, 1s).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build}
work=$(mktemp -d)
chmod 755 "$work"  # snapflow-capture drops to the snapflow user: it must reach the ring
prefix="latency-$$"
packets=2000
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${url:-} ]] && curl -s -XDELETE "$url/$prefix-*" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$root/scripts/search-server.sh" start opensearch >/dev/null
url=$("$root/scripts/search-server.sh" url opensearch)
"$build/indexer/snapflow-index" setup --es-host "$url" --es-index-prefix "$prefix" \
  --es-replicas 0 --es-refresh-interval "${SNAPFLOW_LATENCY_REFRESH:-1s}" >/dev/null
"$build/core/synth/snapflow-gen" -q --flows 50 --packets $packets --size 512 -o "$work/in.pcap"

# Register the consumer on the empty ring first, then follow it.
"$build/capture/snapflow-capture" --source=dpdk --ring-dir="$work/ring" --ring-bytes=64M \
  --ring-segment-bytes=8M --api-listen=off --dpdk-mbufs=4096 \
  --dpdk-eal-args="-l 0 --no-huge -m 512 --no-pci --no-shconf --file-prefix=lat$$ --vdev net_null0" \
  >"$work/capture0.log" 2>&1 &
pids+=($!)
sleep 2
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true
# shellcheck disable=SC2086
"$build/pcap2json/pcap2json" --ring "$work/ring" --consumer latency --follow --ring-start end \
  --es-host "$url" --index-prefix "$prefix" --capture latency --no-progress \
  ${SNAPFLOW_LATENCY_ARGS:-} >"$work/p2j.log" 2>&1 &
pids+=($!)
sleep 1

"$build/capture/snapflow-capture" --source=dpdk --ring-dir="$work/ring" --ring-bytes=64M \
  --ring-segment-bytes=8M --api-listen=off --dpdk-mbufs=4096 --flush-interval=100ms \
  --dpdk-eal-args="-l 0 --no-huge -m 512 --no-pci --no-shconf --file-prefix=lat$$b --vdev net_pcap0,rx_pcap=$work/in.pcap" \
  >"$work/capture.log" 2>&1 &
pids+=($!)

query='{"size":0,"query":{"term":{"event.dataset":"snapflow.flow"}},"aggs":{"p":{"sum":{"field":"network.packets"}},"end":{"max":{"field":"event.end"}}}}'
deadline=$(($(date +%s) + 60))
while :; do
  now_ns=$(date +%s%N)
  answer=$(curl -s "$url/$prefix-*/_search" -H 'content-type: application/json' -d "$query")
  seen=$(jq -r '.aggregations.p.value // 0 | floor' <<<"$answer" 2>/dev/null || echo 0)
  if [[ $seen -ge $packets ]]; then
    end=$(jq -r '.aggregations.end.value_as_string' <<<"$answer")
    end_ns=$(date -d "$end" +%s%N)
    printf 'packets %s searchable %.0f ms after the last one was captured\n' "$seen" \
      "$(awk -v a="$now_ns" -v b="$end_ns" 'BEGIN { print (a - b) / 1e6 }')"
    break
  fi
  if [[ $(date +%s) -gt $deadline ]]; then
    echo "timed out: $seen of $packets packets searchable" >&2
    tail -5 "$work/p2j.log" "$work/capture.log" >&2
    exit 1
  fi
  sleep 0.05
done
