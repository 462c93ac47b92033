#!/usr/bin/env bash
# PCAP extraction throughput of a large window as a fraction of the disk's sequential read
# bandwidth, both measured in one run on the same bytes.
#   scripts/bench-extract.sh [BUILD_DIR] [DIR_ON_THE_DISK] [GIB]
# 1. writes a ring holding GIB (default 4.5) GiB of 1500-byte frames (snapflow-gen | ring_load,
#    256 MiB segments) into DIR;
# 2. three rounds of: evict the ring's files from the page cache, dd iflag=direct bs=4M of
#    every segment file (the window's bytes), evict again, snapflow-pcap extract of the same
#    window (the whole ring, Start..Stop) to /dev/null; prints both rates and the ratio
#    (target >= 90 %).
# Needs GIB + 0.5 GiB free in DIR; removes its files. The disk is shared: run it several times.
set -euo pipefail
build_dir=${1:-build}
dir=${2:-/var/tmp}
gib=${3:-4.5}
pcap="$build_dir/core/extract/snapflow-pcap"
gen="$build_dir/core/synth/snapflow-gen"
load="$build_dir/tests/cli/ring_load"
for b in "$pcap" "$gen" "$load"; do
  [[ -x "$b" ]] || { echo "bench-extract: $b not built (ninja -C $build_dir snapflow-pcap snapflow-gen ring_load)" >&2; exit 2; }
done
work="$dir/snapflow-bench-extract.$$"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
ring="$work/ring"
packets=$(python3 -c "print(int($gib * 2**30 / (16 + 1500)))")
segments=$(python3 -c "import math; print(math.ceil($gib * 4) + 2)")
"$gen" --packets "$packets" --flows 10000 --size 1500 --rate 800000 -q -o - |
  "$load" --ring "$ring" --segment-bytes $((256 << 20)) --segments "$segments" -
"$pcap" info --ring "$ring"

python3 - "$pcap" "$ring" <<'PY'
import glob, os, subprocess, sys, time
pcap, ring = sys.argv[1], sys.argv[2]
segments = sorted(glob.glob(os.path.join(ring, "seg-*.pcap")))
data_bytes = sum(os.path.getsize(s) for s in segments)
info = dict(l.split(" ", 1) for l in subprocess.run([pcap, "info", "--ring", ring],
            capture_output=True, text=True, check=True).stdout.splitlines())

def evict():
    for f in glob.glob(os.path.join(ring, "*")):
        if os.path.isfile(f):
            fd = os.open(f, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)

def timed(cmds):
    t0 = time.monotonic()
    for c in cmds:
        subprocess.run(c, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0

print(f"window: the whole ring, {len(segments)} segments, {data_bytes / 2**30:.2f} GiB, "
      f"{info['packets'].strip()} packets")
ratios = []
for round_ in range(3):
    evict()
    dd = timed([["dd", f"if={s}", "of=/dev/null", "bs=4M", "iflag=direct", "status=none"]
                for s in segments])
    evict()
    ours = timed([[pcap, "extract", "--ring", ring, "--start", "0", "--no-progress", "-o",
                   "/dev/null"]])
    served = int(info["pcap_bytes"])
    dd_mbps, ours_mbps = data_bytes / dd / 1e6, served / ours / 1e6
    ratios.append(ours_mbps / dd_mbps)
    print(f"round {round_ + 1}: dd iflag=direct {dd_mbps:.0f} MB/s, snapflow-pcap extract "
          f"{ours_mbps:.0f} MB/s, ratio {100 * ratios[-1]:.0f} %")
ratios.sort()
print(f"median ratio {100 * ratios[1]:.0f} % (target >= 90 %)")
PY
