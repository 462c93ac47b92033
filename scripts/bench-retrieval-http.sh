#!/usr/bin/env bash
# PCAP retrieval over HTTP against the same from the ring with the CLI, on one existing ring:
#   scripts/bench-retrieval-http.sh [BUILD_DIR] RING_DIR [SEGMENT_BYTES]
# RING_DIR: e.g. extract_bench's full-8G ring ($SNAPFLOW_BENCH_DIR/full-8G, 64 MiB segments;
# the default SEGMENT_BYTES). snapflow-capture serves it (a libpcap source on lo whose BPF
# matches nothing, so nothing is appended) on a loopback port; then three rounds of:
#   first byte  a 100 ms window 50 ms after the oldest record, the ring's files evicted from the
#               page cache first: process start to the first byte on its stdout, for
#               `curl .../pcap/splittime` and for `snapflow-pcap extract` (both print to a pipe)
#   throughput  the whole ring (cold) to /dev/null: `curl -o /dev/null` and
#               `snapflow-pcap extract -o /dev/null`, MB/s of the PCAP served
# Prints each figure and the HTTP/CLI ratios. Stops the daemon at the end (even on failure).
set -euo pipefail
build_dir=${1:-build}
ring=${2:?usage: bench-retrieval-http.sh [BUILD_DIR] RING_DIR [SEGMENT_BYTES]}
segment_bytes=${3:-$((64 << 20))}
capture="$build_dir/capture/snapflow-capture"
pcap="$build_dir/core/extract/snapflow-pcap"
for b in "$capture" "$pcap"; do
  [[ -x "$b" ]] || { echo "bench-retrieval-http: $b not built" >&2; exit 2; }
done
work=$(mktemp -d /tmp/snapflow-bench-http.XXXXXX)
chmod 755 "$work"  # snapflow-capture drops to the snapflow user: it must reach the ring
daemon=""
cleanup() {
  [[ -n $daemon ]] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
segments=$(grep -c "" <(ls "$ring"/seg-*.pcap))
printf 'bench:%s\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$work/creds"
chmod 600 "$work/creds"
user_password=$(cat "$work/creds")
printf 'machine 127.0.0.1 login %s password %s\n' "${user_password%%:*}" "${user_password#*:}" \
  > "$work/netrc"
"$capture" --source=pcap:lo --bpf-filter='ether proto 0x88b5' --ring-dir="$ring" \
  --ring-bytes=$((segments * segment_bytes)) --ring-segment-bytes="$segment_bytes" \
  --api-listen=127.0.0.1:0 --api-credentials-file="$work/creds" --api-max-window=0 \
  2> "$work/daemon.log" &
daemon=$!
for _ in $(seq 100); do
  grep -q "ready: api on" "$work/daemon.log" && break
  sleep 0.1
done
api=$(grep -o "ready: api on [0-9.:]*" "$work/daemon.log" | awk '{print $4}')
[[ -n $api ]] || { cat "$work/daemon.log" >&2; exit 1; }

python3 - "$pcap" "$ring" "http://$api" "$work/netrc" <<'PY'
import glob, json, os, subprocess, sys, time
pcap, ring, api, netrc = sys.argv[1:5]
info = dict(l.split(" ", 1) for l in subprocess.run([pcap, "info", "--ring", ring],
            capture_output=True, text=True, check=True).stdout.splitlines())
print(f"ring {ring}: {info['segments_live'].strip()} segments, {info['packets'].strip()} packets, "
      f"{int(info['pcap_bytes']) / 2**30:.2f} GiB")

def evict():
    for f in glob.glob(os.path.join(ring, "*")):
        if os.path.isfile(f):
            fd = os.open(f, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)

def first_byte(cmd):
    """Seconds from starting cmd to the first byte on its stdout, and the bytes it wrote."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = p.stdout.read(1)
    t1 = time.monotonic()
    total = len(first) + len(p.stdout.read())
    assert p.wait() == 0 and total > 24, cmd
    return t1 - t0, total

def timed(cmd):
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0

ring_json = json.loads(subprocess.run([pcap, "info", "--ring", ring, "--format", "json"],
                                     capture_output=True, text=True, check=True).stdout)
oldest, newest = ring_json["oldest_ns"], ring_json["newest_ns"]
start, stop = oldest + 50_000_000, oldest + 150_000_000
window = f"/pcap/splittime?Start={start}&Stop={stop}"
curl = ["curl", "-sSf", "--netrc-file", netrc]
served = int(info["pcap_bytes"])
for round_ in range(3):
    evict()
    http_fb, http_bytes = first_byte(curl + [api + window])
    evict()
    cli_fb, cli_bytes = first_byte([pcap, "extract", "--ring", ring, "--start", str(start),
                                    "--stop", str(stop), "--no-progress"])
    assert http_bytes == cli_bytes
    evict()
    http_s = timed(curl + ["-o", "/dev/null",
                           api + f"/pcap/splittime?Start={oldest}&Stop={newest + 1}"])
    evict()
    cli_s = timed([pcap, "extract", "--ring", ring, "--no-progress", "-o", "/dev/null"])
    print(f"round {round_ + 1}: first byte (100 ms window, {http_bytes / 1e6:.1f} MB, cold) "
          f"HTTP {http_fb * 1e3:.1f} ms, CLI {cli_fb * 1e3:.1f} ms; whole ring (cold) "
          f"HTTP {served / http_s / 1e6:.0f} MB/s, CLI {served / cli_s / 1e6:.0f} MB/s, "
          f"ratio {100 * cli_s / http_s:.0f} %")
PY
