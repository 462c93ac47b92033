#!/usr/bin/env bash
# Ring write throughput as a fraction of the disk's sequential write bandwidth.
#   scripts/bench-ring.sh [BUILD_DIR] [DIR_ON_THE_DISK]
# 1. dd if=/dev/zero bs=1M count=2048 oflag=direct into DIR (the raw sequential bandwidth),
#    before and after step 2;
# 2. ring_bench's 1500-byte RingWrite (O_DIRECT blocks through the writer's I/O thread) into
#    DIR, committing with commit() every 16 / 256 MiB, or automatically every 100 / 10 ms
#    (commit_interval_ns); prints each and its ratio to dd (target >= 90 %).
# Needs ~2.5 GiB free in DIR; removes its files. The disk is shared: run it several times.
set -euo pipefail
build_dir=${1:-build}
dir=${2:-/var/tmp}
bench=${SNAPFLOW_RING_BENCH:-"$build_dir/tests/bench/ring_bench"}
[[ -x "$bench" ]] || { echo "bench-ring: $bench not built (ninja -C $build_dir ring_bench)" >&2; exit 2; }
work="$dir/snapflow-bench-ring.$$"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# The shared disk drifts by 2x within minutes: measure dd before and after the ring run and
# compare with their mean.
dd_mbps() {
  local out
  out=$(dd if=/dev/zero of="$work/dd.bin" bs=1M count=2048 oflag=direct 2>&1 | tail -1)
  rm -f "$work/dd.bin"
  python3 -c '
import re, sys
m = re.search(r"copied, ([0-9.]+) s", sys.argv[1])
print(f"{2048 * 1048576 / float(m.group(1)) / 1e6:.1f}")' "$out"
}
dd_before=$(dd_mbps)

json="$work/ring.json"
SNAPFLOW_RING_BENCH_DIR="$work" "$bench" --benchmark_filter='RingWrite/bytes:1500' \
  --benchmark_format=json --benchmark_out="$json" --benchmark_out_format=json >/dev/null
dd_after=$(dd_mbps)
python3 - "$json" "$dd_before" "$dd_after" <<'PY'
import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("run_type") == "iteration"]
before, after = float(sys.argv[2]), float(sys.argv[3])
dd = (before + after) / 2
print(f"dd oflag=direct (2 GiB, bs=1M): before {before:.1f}, after {after:.1f}, "
      f"mean {dd:.1f} MB/s")
for r in runs:
    mbps = r["disk_bytes_per_s"] / 1e6
    print(f"{r['name']}: {mbps:.1f} MB/s, {r['packets_per_s'] / 1e3:.0f} kpps, "
          f"ratio {100 * mbps / dd:.1f} % (target >= 90 %)")
PY
