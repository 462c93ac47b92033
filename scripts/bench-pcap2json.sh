#!/usr/bin/env bash
# pcap2json against the hardware's bound (issue 11), as docs/performance.md records it: ONE
# table of ratios, each measured in the same round on the same file, rounds interleaved, the
# median of N rounds reported (with the range). Machines here are noisy (2x between minutes),
# so every figure that has a reference is a ratio to something measured seconds before it.
#
# Workloads (generated once into BUILD/bench-data by snapflow-gen; deterministic):
#   a  64-byte packets, 100 000 flows, SNAPFLOW_BENCH_PACKETS (default 5 M) at 10 Mpps
#   b  IMIX 7:4:1 of 64/594/1518 bytes, 1 000 000 flows, 2/5 of that (2 M) at 2 Mpps: about one
#      document per packet
#   c  64-byte inner frames in VXLAN (AWS mirror shape), 100 000 flows, like a
# Each round runs, every file warmed into the page cache right before its run (these
# machines evict idle pages after about a minute):
#   flow_bound a | pcap2json a 1 thread > /dev/null | pcap2json a 1 thread --gzip > file |
#   pcap2json a 2 threads > /dev/null | two 1-thread pcap2json runs on a at once (what two
#   cores give independent work, the reference for the 2-thread run) | flow_bound b |
#   pcap2json b | flow_bound --vxlan-inner c | pcap2json c | encoder_bench (ECS + community id:
#   encode alone, and encode + igzip level 1)
# pcap2json runs with its defaults: 100 ms snapshots, ECS documents with community id, totals.
# Besides wall-clock Mpps every run's CPU time (user + system) is recorded: on a machine other
# sessions load, the CPU-time ratios and the serial stages' CPU shares (pcap2json --stats)
# still mean what they say; the wall-clock ones measure the neighbours as much as the code.
#
# Usage: scripts/bench-pcap2json.sh [BUILD_DIR]
#   SNAPFLOW_BENCH_ROUNDS   rounds (default 3; the median is reported)
#   SNAPFLOW_BENCH_PACKETS  packets of workloads a and c (default 5000000)
#   SNAPFLOW_BENCH_TMP      where the gzip output goes (default /dev/shm, else /tmp)
# Needs the targets pcap2json snapflow-gen flow_bound encoder_bench, and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${SNAPFLOW_BENCH_ROUNDS:-3}
scale=${SNAPFLOW_BENCH_PACKETS:-5000000}
gen=$build/core/synth/snapflow-gen
p2j=$build/pcap2json/pcap2json
bound=$build/tests/bench/flow_bound
encoder_bench=$build/tests/bench/encoder_bench
data=$build/bench-data
tmp=${SNAPFLOW_BENCH_TMP:-$([[ -d /dev/shm ]] && echo /dev/shm || echo /tmp)}
for tool in "$gen" "$p2j" "$bound" "$encoder_bench"; do
  [[ -x $tool ]] || { echo "bench-pcap2json.sh: $tool not built" >&2; exit 2; }
done
mkdir -p "$data"
raw=$(mktemp "$tmp/bench-pcap2json.XXXXXX.tsv")
gz=$(mktemp "$tmp/bench-pcap2json.XXXXXX.json.gz")
trap 'rm -f "$raw" "$gz"' EXIT

make_capture() {  # name args...: generated once; the name carries every parameter
  local path=$data/$1.pcap
  shift
  [[ -s $path ]] || "$gen" -q -o "$path" "$@"
  echo "$path"
}
a=$(make_capture "a-64b-100k-$scale" --flows 100000 --packets "$scale" --size 64 \
  --rate 10000000 --seed 1)
b=$(make_capture "b-imix-1m-$((scale * 2 / 5))" --flows 1000000 --packets $((scale * 2 / 5)) \
  --size imix --rate 2000000 --seed 2)
c=$(make_capture "c-vxlan-64b-100k-$scale" --flows 100000 --packets "$scale" --size 64 \
  --tunnel vxlan --rate 10000000 --seed 3)

warm() { cat "$1" >/dev/null; }
record() { printf '%s\t%s\t%s\n' "$round" "$1" "$2" >>"$raw"; }

run_bound() {  # name file [flags]
  local name=$1 file=$2
  shift 2
  warm "$file"
  local out times
  times=$(mktemp "$tmp/bench-pcap2json.XXXXXX.time")
  out=$(/usr/bin/time -o "$times" -f '%U %S' "$bound" "$@" "$file")
  record "$name.mpps" "$(awk '{for (i = 1; i < NF; i++) if ($i == "Mpps") print $(i + 1)}' <<<"$out")"
  record "$name.cpu_s" "$(awk '{print $1 + $2}' "$times")"
  rm -f "$times"
}

run_p2j() {  # name file threads [extra pcap2json flags]
  local name=$1 file=$2 threads=$3
  shift 3
  warm "$file"
  local stats
  local times cpu
  times=$(mktemp "$tmp/bench-pcap2json.XXXXXX.time")
  stats=$(/usr/bin/time -o "$times" -f '%U %S' "$p2j" --threads "$threads" --stats --no-progress \
    "$@" "$file" 2>&1 >/dev/null)
  cpu=$(awk '{print $1 + $2}' "$times")
  rm -f "$times"
  grep -q 'documents account .*exact' <<<"$stats" || {
    echo "bench-pcap2json.sh: pcap2json did not account for every packet:" >&2
    echo "$stats" >&2
    exit 1
  }
  record "$name.mpps" "$(sed -n 's/^time .*(\([0-9.]*\) Mpps.*/\1/p' <<<"$stats")"
  record "$name.packets" "$(sed -n 's/^packets *\([0-9]*\)$/\1/p' <<<"$stats")"
  record "$name.documents" "$(sed -n 's/^documents *\([0-9]*\) .*/\1/p' <<<"$stats")"
  record "$name.records" "$(sed -n 's/^flow records *\([0-9]*\)$/\1/p' <<<"$stats")"
  record "$name.snapshots" "$(sed -n 's/^snapshots *\([0-9]*\)$/\1/p' <<<"$stats")"
  record "$name.engine_mib" "$(sed -n 's/^peak flow memory *\([0-9.]*\) MiB.*/\1/p' <<<"$stats")"
  record "$name.flow_mib" "$(sed -n 's/^peak flow memory .*(flow tables \([0-9.]*\) MiB.*/\1/p' <<<"$stats")"
  record "$name.rss_mib" "$(sed -n 's/^peak RSS *\([0-9.]*\) MiB/\1/p' <<<"$stats")"
  local stage
  for stage in busy cpu; do  # wall-clock busy shares, and CPU-time shares of a core
    local shares
    shares=$(sed -n "s/^serial stages $stage *read \([0-9.]*\) %, settle \([0-9.]*\) %, close \([0-9.]*\) %, deliver \([0-9.]*\) %.*/\1 \2 \3 \4/p" <<<"$stats")
    record "$name.${stage}_read" "$(cut -d' ' -f1 <<<"$shares")"
    record "$name.${stage}_settle" "$(cut -d' ' -f2 <<<"$shares")"
    record "$name.${stage}_close" "$(cut -d' ' -f3 <<<"$shares")"
    record "$name.${stage}_deliver" "$(cut -d' ' -f4 <<<"$shares")"
  done
  record "$name.cpu_s" "$cpu"
}

run_pair() {  # name file: two 1-thread pcap2json runs side by side; records their summed Mpps
  local name=$1 file=$2
  warm "$file"
  local first second
  first=$(mktemp "$tmp/bench-pcap2json.XXXXXX.stats")
  second=$(mktemp "$tmp/bench-pcap2json.XXXXXX.stats")
  "$p2j" --threads 1 --stats --no-progress -o /dev/null "$file" 2>"$first" >/dev/null &
  "$p2j" --threads 1 --stats --no-progress -o /dev/null "$file" 2>"$second" >/dev/null &
  wait
  record "$name.mpps" "$(cat "$first" "$second" |
    sed -n 's/^time .*(\([0-9.]*\) Mpps.*/\1/p' | awk '{sum += $1} END {print sum}')"
  rm -f "$first" "$second"
}

run_encoder() {
  local json
  json=$("$encoder_bench" --benchmark_min_time=0.5 --benchmark_format=json \
    --benchmark_filter='^BM_EncodeFlow/fmadio:0/community_id:1/pcap_link:0$|^BM_EncodeFlowGzip/community_id:1/level:1/pcap_link:0$' \
    2>/dev/null)
  python3 - "$json" <<'PY' | while read -r key value; do record "$key" "$value"; done
import json, sys
for b in json.loads(sys.argv[1])["benchmarks"]:
    name = "encode" if b["name"].startswith("BM_EncodeFlow/") else "encode_gzip"
    print(name + ".docs", b["docs_per_second"])
    print(name + ".bytes_per_doc", b["json_bytes_per_doc"])
PY
}

for ((round = 1; round <= rounds; round++)); do
  echo "round $round of $rounds" >&2
  run_bound bound_a "$a"
  run_p2j a1 "$a" 1 -o /dev/null
  run_p2j a1gz "$a" 1 --gzip -o "$gz"
  run_p2j a2 "$a" 2 -o /dev/null
  run_pair pair_a "$a"
  run_bound bound_b "$b"
  run_p2j b1 "$b" 1 -o /dev/null
  run_bound bound_c "$c" --vxlan-inner
  run_p2j c1 "$c" 1 -o /dev/null
  run_encoder
done

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "+dirty" || true)
python3 - "$raw" "$commit$dirty" "$rounds" <<'PY'
import collections, os, statistics, sys, time
raw, commit, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = collections.defaultdict(dict)
for line in open(raw):
    r, key, value = line.rstrip("\n").split("\t")
    runs[int(r)][key] = float(value) if value else float("nan")

def per_round(f):
    return [f(m) for m in runs.values()]

def summary(values, fmt):
    med = statistics.median(values)
    return fmt.format(med), "[" + fmt.format(min(values)) + "-" + fmt.format(max(values)) + "]"

rows = []
def row(name, value_f, value_fmt, ref_f, ref_fmt, ratio_f, ratio_fmt, target, met_f):
    value = summary(per_round(value_f), value_fmt)[0] if value_f else ""
    ref = summary(per_round(ref_f), ref_fmt)[0] if ref_f else ""
    ratios = per_round(ratio_f)
    med, rng = summary(ratios, ratio_fmt)
    rows.append((name, value, ref, med + " " + rng, target,
                 "yes" if met_f(statistics.median(ratios)) else "no"))

# What a target's ratio is taken against: the bound, or for IMIX the slower of the bound and the
# rate the encoder alone allows at this run's documents per packet.
def reference(x, run, bound_key, rate_key, imix=False):
    bound = x[bound_key + ".mpps"]
    if not imix:
        return bound
    return min(bound, x[rate_key] / 1e6 * x[run + ".packets"] / x[run + ".documents"])
imix_reference = lambda m: reference(m, "b1", "bound_b", "encode.docs", imix=True)
row("64 B, 100 k flows, 1 thread, -> /dev/null (Mpps vs bound)",
    lambda m: m["a1.mpps"], "{:.2f}", lambda m: m["bound_a.mpps"], "{:.2f}",
    lambda m: m["a1.mpps"] / m["bound_a.mpps"], "{:.2f}", ">= 0.70", lambda r: r >= 0.70)
row("64 B, 100 k flows, 1 thread, -> gzip file (Mpps vs bound)",
    lambda m: m["a1gz.mpps"], "{:.2f}", lambda m: m["bound_a.mpps"], "{:.2f}",
    lambda m: m["a1gz.mpps"] / m["bound_a.mpps"], "{:.2f}", ">= 0.70", lambda r: r >= 0.70)
row("IMIX, 1 M flows, 1 thread (Mpps vs min(bound, encoder))",
    lambda m: m["b1.mpps"], "{:.2f}", imix_reference, "{:.2f}",
    lambda m: m["b1.mpps"] / imix_reference(m), "{:.2f}", ">= 0.80",
    lambda r: r >= 0.80)
row("64 B VXLAN, 100 k inner flows, 1 thread (Mpps vs bound)",
    lambda m: m["c1.mpps"], "{:.2f}", lambda m: m["bound_c.mpps"], "{:.2f}",
    lambda m: m["c1.mpps"] / m["bound_c.mpps"], "{:.2f}", ">= 0.70", lambda r: r >= 0.70)
row("64 B, 100 k flows, 1 thread, CPU time (Mpps per CPU-s vs bound)",
    lambda m: m["a1.packets"] / m["a1.cpu_s"] / 1e6, "{:.2f}",
    lambda m: m["a1.packets"] / m["bound_a.cpu_s"] / 1e6, "{:.2f}",
    lambda m: m["bound_a.cpu_s"] / m["a1.cpu_s"], "{:.2f}", ">= 0.70", lambda r: r >= 0.70)
row("64 B VXLAN, 100 k inner flows, 1 thread, CPU time (vs bound)",
    lambda m: m["c1.packets"] / m["c1.cpu_s"] / 1e6, "{:.2f}",
    lambda m: m["c1.packets"] / m["bound_c.cpu_s"] / 1e6, "{:.2f}",
    lambda m: m["bound_c.cpu_s"] / m["c1.cpu_s"], "{:.2f}", ">= 0.70", lambda r: r >= 0.70)
row("encode + gzip, community id, docs/s per core (M, vs 1 M)",
    lambda m: m["encode_gzip.docs"] / 1e6, "{:.2f}", None, "",
    lambda m: m["encode_gzip.docs"] / 1e6, "{:.2f}", ">= 1.00", lambda r: r >= 1.0)
row("scaling 1 -> 2 threads, 64 B / 100 k (Mpps vs 1 thread)",
    lambda m: m["a2.mpps"], "{:.2f}", lambda m: m["a1.mpps"], "{:.2f}",
    lambda m: m["a2.mpps"] / m["a1.mpps"], "{:.2f}", ">= 1.85", lambda r: r >= 1.85)
row("busiest serial stage at 2 threads, 64 B / 100 k (% of a core)",
    None, "", None, "",
    lambda m: max(m["a2.busy_read"], m["a2.busy_settle"], m["a2.busy_close"], m["a2.busy_deliver"]), "{:.0f}",
    "<= 50", lambda r: r <= 50)
row("busiest serial stage at 2 threads, from CPU times (% of a core)",
    None, "", None, "",
    lambda m: max(m["a2.cpu_read"], m["a2.cpu_settle"], m["a2.cpu_close"], m["a2.cpu_deliver"]), "{:.0f}",
    "<= 50", lambda r: r <= 50)
for w, label in (("a1", "64 B / 100 k"), ("b1", "IMIX / 1 M")):
    row("hot flow table bytes per active flow, " + label,
        lambda m, w=w: m[w + ".flow_mib"], "{:.1f} MiB", lambda m, w=w: m[w + ".records"] / m[w + ".snapshots"], "{:.0f} flows",
        lambda m, w=w: m[w + ".flow_mib"] * 2**20 / (m[w + ".records"] / m[w + ".snapshots"]), "{:.0f}",
        "<= 128", lambda r: r <= 128)

print("pcap2json vs its bound, commit %s, %s, %d round(s), median [range]; load %s" % (
    commit, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), rounds,
    " ".join(open("/proc/loadavg").read().split()[:3])))
widths = [max(len(r[i]) for r in rows + [("measurement", "value", "reference", "ratio", "target", "met")]) for i in range(6)]
header = ("measurement", "value", "reference", "ratio", "target", "met")
print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
m = statistics.median
def med(key):
    return m([x[key] for x in runs.values()])
def med_of(f):
    return m([f(x) for x in runs.values()])
print()
print("details (medians): bound a/b/c %.2f / %.2f / %.2f Mpps; pcap2json b 1 thread %.2f Mpps, "
      "%.2f documents per packet; encoder alone %.2f M docs/s (%.0f bytes/doc), encode + gzip "
      "%.2f M docs/s; serial stages at 2 threads, wall (CPU): read %.0f (%.0f) %%, settle %.0f (%.0f) %%, "
      "close %.0f (%.0f) %%, deliver %.0f (%.0f) %%; CPU-time ratios to the bound (1 thread): 64 B %.2f, VXLAN %.2f; "
      "engine memory (tables + open snapshots' records) per active flow a/b %.0f / %.0f B; "
      "peak RSS a/b %.0f / %.0f MiB" % (
          med("bound_a.mpps"), med("bound_b.mpps"), med("bound_c.mpps"), med("b1.mpps"),
          med("b1.documents") / med("b1.packets"), med("encode.docs") / 1e6,
          med("encode.bytes_per_doc"), med("encode_gzip.docs") / 1e6, med("a2.busy_read"),
          med("a2.cpu_read"), med("a2.busy_settle"), med("a2.cpu_settle"), med("a2.busy_close"),
          med("a2.cpu_close"), med("a2.busy_deliver"), med("a2.cpu_deliver"),
          m([x["bound_a.cpu_s"] / x["a1.cpu_s"] for x in runs.values()]),
          m([x["bound_c.cpu_s"] / x["c1.cpu_s"] for x in runs.values()]),
          med("a1.engine_mib") * 2**20 / (med("a1.records") / med("a1.snapshots")),
          med("b1.engine_mib") * 2**20 / (med("b1.records") / med("b1.snapshots")), med("a1.rss_mib"),
          med("b1.rss_mib")))

# What the targets allow: were pcap2json's work per packet exactly the bound's, its documents
# would still cost their encoding (and gzip) at the encoder's own measured rate (encoder_bench's
# documents, about the size of pcap2json's). So with d documents per packet the highest rate any
# engine could reach is 1 / (1 / bound + d / encoder), and its ratio to the target's reference
# (the bound, or for IMIX the slower of the bound and the encoder) is the ceiling; measured /
# ceiling is how much of it pcap2json takes.
def ceiling(x, run, bound_key, rate_key, imix=False):
    d = x[run + ".documents"] / x[run + ".packets"]
    reachable = 1 / (1 / x[bound_key + ".mpps"] + d / (x[rate_key] / 1e6))
    return reachable / reference(x, run, bound_key, rate_key, imix)
def ceiling_line(label, run, bound_key, rate_key, imix=False):
    c = med_of(lambda x: ceiling(x, run, bound_key, rate_key, imix))
    taken = med_of(lambda x: x[run + ".mpps"] / reference(x, run, bound_key, rate_key, imix) /
                   ceiling(x, run, bound_key, rate_key, imix))
    return "%s %.2f (measured: %.2f of it)" % (label, c, taken)
print()
print("ceilings (the bound + the documents at the encoder's rate; decision 0090): " + "; ".join([
    ceiling_line("64 B -> /dev/null", "a1", "bound_a", "encode.docs"),
    ceiling_line("64 B -> gzip file", "a1gz", "bound_a", "encode_gzip.docs"),
    ceiling_line("IMIX (vs min(bound, encoder))", "b1", "bound_b", "encode.docs", imix=True),
    ceiling_line("VXLAN", "c1", "bound_c", "encode.docs")]))
pair_median, pair_range = summary(per_round(lambda x: x["pair_a.mpps"] / x["a1.mpps"]), "{:.2f}")
print("two cores: two 1-thread runs side by side give %sx one run %s; 2 threads give %.2fx, %.2f "
      "of what two cores give independent work" % (
          pair_median, pair_range, med_of(lambda x: x["a2.mpps"] / x["a1.mpps"]),
          med_of(lambda x: x["a2.mpps"] / x["pair_a.mpps"])))
PY
