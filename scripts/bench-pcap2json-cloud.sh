#!/usr/bin/env bash
# pcap2json with and without the cloud annotation (--forward-rules, docs/decisions/0040), on
# what a bump-in-the-wire probe's ring holds, in interleaved rounds; prints each round and the
# medians.
#
# Workload (generated once into BUILD/bench-data): snapflow-gen's IMIX capture with 1 000 000
# flows and SNAPFLOW_BENCH_PACKETS (default 2 000 000) packets (about one flow document per
# packet: the document-bound case, where a per-document cost shows most), its IPv4 addresses
# rewritten so every packet is one of the six address patterns of one of 16 rules (as a
# forwarder stores them), and a rules file naming those 16 rules. Each round runs pcap2json on
# one thread, its defaults otherwise (100 ms snapshots, ECS, community id, totals), to
# /dev/null, right after reading the capture into the page cache, and reports packets per
# CPU-second of the whole process (user + system, /usr/bin/time: steadier than wall time on a
# shared machine) and, per round, the ratio of each run to its reference:
#   a) without options, b) --forward-rules FILE (every IPv4 flow document annotated),
#   c) --forward-rules FILE on the original capture (no flow is a rule's: lookups that miss),
#   d) without options on the original capture (c's reference).
#
# usage: scripts/bench-pcap2json-cloud.sh [BUILD_DIR]
#   SNAPFLOW_BENCH_ROUNDS (default 5), SNAPFLOW_BENCH_PACKETS (default 2000000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${SNAPFLOW_BENCH_ROUNDS:-5}
packets=${SNAPFLOW_BENCH_PACKETS:-2000000}
gen=$build/core/synth/snapflow-gen
p2j=$build/pcap2json/pcap2json
for tool in "$gen" "$p2j"; do
  [[ -x $tool ]] || { echo "bench-pcap2json-cloud.sh: $tool not built" >&2; exit 2; }
done
data=$build/bench-data
mkdir -p "$data"
plain=$data/cloud-imix-1m-$packets.pcap
forwarded=$data/cloud-imix-1m-$packets-forwarded.pcap
rules=$data/cloud-forward-rules-16
[[ -s $plain ]] || "$gen" -q -o "$plain" --flows 1000000 --packets "$packets" --size imix \
  --rate 2000000 --seed 2
if [[ ! -s $forwarded || ! -s $rules ]]; then
  python3 - "$plain" "$forwarded" "$rules" <<'EOF'
import socket, struct, sys, zlib
src_path, out_path, rules_path = sys.argv[1:4]
RULES = 16
a = lambda r: "10.0.%d.2" % r
b = lambda r: "10.201.%d.2" % r
capture, egress = "10.100.0.1", "10.200.0.1"
with open(rules_path, "w") as f:
    f.write("snapflow-forward-rules 1\nnext_id=%d\n" % (RULES + 1))
    for r in range(RULES):
        f.write("rule %d inline %s %s %s %s 0 0 rule-%d\n" % (r + 1, a(r), capture, egress, b(r), r))
patterns = []
for r in range(RULES):
    for s, d in ((a(r), capture), (b(r), egress), (egress, b(r)), (capture, a(r)), (a(r), b(r)),
                 (b(r), a(r))):
        patterns.append(socket.inet_aton(s) + socket.inet_aton(d))
with open(src_path, "rb") as i, open(out_path, "wb") as o:
    header = i.read(24)
    o.write(header)
    endian = "<" if header[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    while True:
        rec = i.read(16)
        if len(rec) < 16:
            break
        caplen = struct.unpack(endian + "IIII", rec)[2]
        frame = bytearray(i.read(caplen))
        if len(frame) >= 34 and frame[12:14] == b"\x08\x00":
            # The same address pair always maps to the same pattern: flows stay flows.
            frame[26:34] = patterns[zlib.crc32(bytes(frame[26:34])) % len(patterns)]
        o.write(rec)
        o.write(frame)
EOF
fi
run() {  # file [options]: prints packets per CPU-second of the whole process, in millions
  local file=$1 out
  shift
  cat "$file" >/dev/null
  out=$( { /usr/bin/time -f 'cpu %U %S' "$p2j" --threads 1 --stats --no-progress "$@" "$file" \
    >/dev/null; } 2>&1)
  grep -q 'documents account .*exact' <<<"$out" || { echo "pcap2json failed: $out" >&2; exit 1; }
  awk '/^packets / {p = $2} /^cpu / {c = $2 + $3} END {printf "%.3f", p / c / 1e6}' <<<"$out"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-5s %10s %10s %10s %10s   (M packets per CPU-second)\n' round forwarded annotated plain misses
declare -a A B C D
for round in $(seq "$rounds"); do
  A+=("$(run "$forwarded")")
  B+=("$(run "$forwarded" --forward-rules "$rules")")
  D+=("$(run "$plain")")
  C+=("$(run "$plain" --forward-rules "$rules")")
  printf '%-5s %10s %10s %10s %10s\n' "$round" "${A[-1]}" "${B[-1]}" "${D[-1]}" "${C[-1]}"
done
ratios() {  # x[] y[]: the median of the per-round ratios y/x
  local -n x=$1 y=$2
  for i in "${!x[@]}"; do awk -v a="${x[$i]}" -v b="${y[$i]}" 'BEGIN {print 100 * b / a}'; done | median
}
printf 'median M packets/CPU-s: forwarded %s, annotated %s; plain %s, with misses %s\n' \
  "$(printf '%s\n' "${A[@]}" | median)" "$(printf '%s\n' "${B[@]}" | median)" \
  "$(printf '%s\n' "${D[@]}" | median)" "$(printf '%s\n' "${C[@]}" | median)"
printf 'median per-round ratio: annotated/forwarded %.1f %%, misses/plain %.1f %%\n' \
  "$(ratios A B)" "$(ratios D C)"
