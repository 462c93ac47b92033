#!/usr/bin/env bash
# pcap2json throughput, as docs/performance.md reports it. Generates the two workloads of
# DESIGN.md §6 once (into build/bench-data), warms each file into the page cache right before
# each run (these machines evict idle pages after about a minute), and runs flow mode with 1
# and 2 threads, output to /dev/null. Prints Mpps, Mpps per thread, documents/s and peak RSS.
#   (a) 64-byte packets, 100 000 flows, 20 M packets at 10 Mpps capture rate
#   (b) IMIX (7:4:1 of 64/594/1518), 1 000 000 flows, 10 M packets at 2 Mpps capture rate
# Usage: scripts/bench-pcap2json.sh [BUILD_DIR]   (SNAPFLOW_BENCH_PACKETS scales both)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
gen=$build/core/synth/snapflow-gen
p2j=$build/pcap2json/pcap2json
data=$build/bench-data
mkdir -p "$data"
scale=${SNAPFLOW_BENCH_PACKETS:-20000000}

make_capture() {  # name args...
  local path=$data/$1.pcap
  shift
  [[ -s $path ]] || "$gen" -o "$path" "$@" >/dev/null
  echo "$path"
}

a=$(make_capture a-64b-100k --flows 100000 --packets "$scale" --size 64 --rate 10000000 --seed 1)
b=$(make_capture b-imix-1m --flows 1000000 --packets $((scale / 2)) --size imix --rate 2000000 --seed 2)

printf '%-22s %7s %9s %11s %10s %9s\n' workload threads Mpps Mpps/thread docs/s RSS_MiB
for workload in a b; do
  file=${!workload}
  for threads in 1 2; do
    cat "$file" >/dev/null  # warm the page cache right before timing
    stats=$("$p2j" --threads "$threads" --stats --no-progress -o /dev/null "$file" 2>&1 >/dev/null)
    mpps=$(sed -n 's/^time .*(\([0-9.]*\) Mpps.*/\1/p' <<<"$stats")
    docs=$(sed -n 's/^time .*Gbps, \([0-9]*\) docs\/s).*/\1/p' <<<"$stats")
    rss=$(sed -n 's/^peak RSS *\([0-9.]*\) MiB/\1/p' <<<"$stats")
    per=$(awk -v m="$mpps" -v t="$threads" 'BEGIN { printf "%.2f", m / t }')
    printf '%-22s %7s %9s %11s %10s %9s\n' "$(basename "$file" .pcap)" "$threads" "$mpps" "$per" "$docs" "$rss"
  done
done
