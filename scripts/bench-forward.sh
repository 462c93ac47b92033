#!/usr/bin/env bash
# Forwarding + capture throughput of snapflow-capture's L3 forwarder against DPDK's own
# dpdk-testpmd --forward-mode=io on the same virtual devices, in the same run.
#
#   generator (dpdk-testpmd flowgen, 1 flow: 10.254.0.0 -> 10.253.0.0 UDP, fixed MACs)
#        |  net_memif pair (DPDK datapath) or a veth pair (AF_PACKET datapath)
#   device under test, its forwarding loop on CPU 1:
#        a) dpdk-testpmd --forward-mode=io --port-topology=loop        (the bound; lcore 1)
#        b) snapflow-capture --source=forward:dpdk | forward:afpacket  (rule 10.254.0.0 ->
#           capture 10.253.0.0 -> egress 10.253.0.1 -> 10.253.0.2, mode egress: every forwarded
#           packet is also captured into a ring in /dev/shm), one port carrying both addresses
#           (the single-ENI AWS layout) and static neighbours (the generator answers no ARP)
#
# Two figures per run: packets the generator received back per wall-clock second (over
# RUN_SECONDS after a 4 s warm-up), and packets per busy CPU-second of the DUT's forwarding
# loop, from the DUT's own accounting of the cycles it spent on iterations that received
# something (dpdk-testpmd --record-core-cycles; snapflow's "busy N ns/packet" line): the "per
# core" figure. It excludes empty polls (when the generator was starved) and time the thread
# was descheduled, so other work on the machine disturbs it far less than the wall rate.
# The generator's loop runs on CPU 0, each DUT's forwarding loop on CPU 1 (testpmd's forwarding
# lcore; snapflow's datapath thread, pinned to the EAL main lcore or --forward-cpu=1); the rest
# of each DUT (testpmd's stats thread; snapflow's capture, ring writer and I/O threads) is left
# to the scheduler. On a 2-core machine shared with other work the absolute numbers move from
# run to run: quote the ratio b/a of each pair, measured back to back.
#
# On a machine shared with other busy work, a forwarding loop at normal priority is preempted in
# the middle of its iterations, and the time it is off the CPU counts as busy cycles in both
# DUTs' accounting (the 5x spread of phase 1's figures); and snapflow's ring writer, on CPU 0
# with the generator and everyone else, falls behind, so capture copies are dropped (counted)
# and skipped, which makes forwarding look cheaper than forwarding + capture is.
# DUT_PRIORITY=fifo makes every thread of each DUT SCHED_FIFO priority 1 once its forwarding
# thread runs: the forwarding loop's busy cycles are its own (the kernel's RT throttling still
# takes 5 %, equally for both), and snapflow's capture and ring writer threads run before the
# generator on CPU 0, so the generator gets what capture leaves (no copy dropped) — which
# favours testpmd, whose generator never competes with a writer. Both DUTs forward bursts of
# 64 (testpmd --burst=64, snapflow --dpdk-burst=64). It takes the CPUs from everything else
# for the runs' duration: use it sparingly.
#
# usage: scripts/bench-forward.sh [BUILD_DIR]
#   env: TRANSPORTS="memif afpacket"  SIZES="64 1500"  REPS=3  RUN_SECONDS=10  DUT_PRIORITY=
#        PROFILE_DIR=DIR: perf record (task-clock) of each DUT's forwarding thread
#        during its measurement window; a per-symbol report per run into DIR
set -euo pipefail
build=${1:-build}
bin=$(realpath "$build/capture/snapflow-capture")
# SNAPFLOW_BINS="NAME=PATH ...": several snapflow-capture builds, each run after testpmd in every
# repetition (interleaved: the levers of docs/performance.md are compared this way); the
# default is this build's binary alone.
SNAPFLOW_BINS=${SNAPFLOW_BINS:-snapflow=$bin}
TRANSPORTS=${TRANSPORTS:-memif afpacket}
SIZES=${SIZES:-64 1500}
REPS=${REPS:-3}
RUN_SECONDS=${RUN_SECONDS:-10}
tag=sfcloudbench$$
work=/dev/shm/$tag
mkdir -p "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "${tag}g" 2>/dev/null || true
  ip netns del "${tag}p" 2>/dev/null || true
  [[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

gen_mac=00:01:02:03:04:00
dut_mac=00:01:02:03:04:01
rule="a=10.254.0.0,capture=10.253.0.0,egress=10.253.0.1,b=10.253.0.2,mode=egress"
port0="10.253.0.0/16,10.253.0.1/16,via=10.253.255.254,neigh=10.253.0.2@$gen_mac,neigh=10.253.255.254@$gen_mac"

setup_veth() {
  ip netns add "${tag}g"
  ip netns add "${tag}p"
  ip link add "${tag:0:6}G" type veth peer name "${tag:0:6}P"
  ip link set "${tag:0:6}G" netns "${tag}g"
  ip link set "${tag:0:6}P" netns "${tag}p"
  ip netns exec "${tag}g" ip link set "${tag:0:6}G" address $gen_mac up
  ip netns exec "${tag}p" ip link set "${tag:0:6}P" address $dut_mac up
  ip netns exec "${tag}p" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "${tag}g" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

# generator TRANSPORT SIZE LOG: starts flowgen in the background.
generator() {
  local vdev ns=()
  if [[ $1 == memif ]]; then
    rm -f "$work/memif.sock"
    vdev="net_memif0,role=server,socket=$work/memif.sock,mac=$gen_mac"
  else
    vdev="net_af_packet0,iface=${tag:0:6}G"
    ns=(ip netns exec "${tag}g")
  fi
  "${ns[@]}" dpdk-testpmd -l 0,1 --main-lcore 1 --no-huge -m 512 --no-pci \
    --file-prefix="${tag}gen" --vdev "$vdev" -- --forward-mode=flowgen --flowgen-flows=1 \
    --port-topology=loop --auto-start --stats-period 1 --total-num-mbufs=16384 \
    --txpkts="$2" >"$3" 2>&1 &
  pids+=($!)
  sleep 3
}

dut_vdev() {
  if [[ $1 == memif ]]; then
    echo "net_memif0,role=client,socket=$work/memif.sock,mac=$dut_mac"
  else
    echo "net_af_packet0,iface=${tag:0:6}P"
  fi
}

# start_dut KIND TRANSPORT: starts the device under test in the background.
start_dut() {
  local kind=$1 transport=$2 ns=()
  [[ $transport == afpacket ]] && ns=(ip netns exec "${tag}p")
  case $kind in
    testpmd-io)
      "${ns[@]}" dpdk-testpmd -l 0,1 --main-lcore 0 --no-huge -m 512 --no-pci \
        --file-prefix="${tag}dut" --vdev "$(dut_vdev "$transport")" -- --forward-mode=io \
        --port-topology=loop --auto-start --total-num-mbufs=16384 --stats-period 1 --burst=64 \
        --record-core-cycles >"$work/dut-$kind.log" 2>&1 &
      ;;
    snapflow*)
      local source=(--source=forward:dpdk "--dpdk-eal-args=-l 1 --no-huge -m 512 --no-pci --file-prefix=${tag}dut --vdev $(dut_vdev "$transport")" --dpdk-ports=0 --dpdk-mbufs=16384 --dpdk-burst=64)
      [[ $transport == afpacket ]] && source=(--source=forward:afpacket:"${tag:0:6}P" --forward-cpu=1)
      rm -rf "$work/ring"
      "${ns[@]}" "$sf_bin" "${source[@]}" \
        --forward-port0="$port0" --forward-rule="$rule" --ring-dir="$work/ring" \
        --ring-bytes=512M --ring-segment-bytes=64M --api-listen=off \
        >"$work/dut-$kind.log" 2>&1 &
      ;;
  esac
  dut_pid=$!
  pids+=("$dut_pid")
  [[ ${DUT_PRIORITY:-} == fifo ]] && raise_forwarding_thread "$dut_pid"
  return 0
}

# The DUT's forwarding thread (snapflow's sf-forward, testpmd's lcore worker).
forwarding_tid() {
  local t
  for t in /proc/"$1"/task/*; do
    if grep -qE '^(sf-forward|lcore-worker-1|rte-worker-1)$' "$t/comm" 2>/dev/null; then
      echo "${t##*/}"
      return 0
    fi
  done
}

# SCHED_FIFO 1 for every thread of the DUT, once its forwarding thread exists (see the top).
raise_forwarding_thread() {
  local pid=$1 t
  for _ in $(seq 200); do
    for t in /proc/"$pid"/task/*; do
      if grep -qE '^(sf-forward|lcore-worker-1|rte-worker-1)$' "$t/comm" 2>/dev/null; then
        chrt -f -a -p 1 "$pid" && return 0
      fi
    done
    sleep 0.05
  done
  echo "bench-forward.sh: no forwarding thread found in $pid" >&2
}

# The generator's cumulative received packets, read right after it prints its statistics.
generator_rx_now() {
  local log=$1 lines
  lines=$(grep -c 'RX-packets' "$log" || true)
  for _ in $(seq 200); do
    [[ $(grep -c 'RX-packets' "$log" || true) != "$lines" ]] && break
    sleep 0.01
  done
  grep -o 'RX-packets: *[0-9]*' "$log" | tail -1 | awk '{print $2}'
}

# The DUT's own cost per packet of its forwarding loop, counting only iterations that received
# something (testpmd --record-core-cycles; snapflow's "busy ... ticks/packet at HZ"), turned
# into packets per busy CPU-second.
percore_pps() {
  local kind=$1 log=$2
  if [[ $kind == testpmd-io ]]; then
    grep -o 'CPU cycles/packet=[0-9.]* .* at [0-9]* MHz' "$log" | tail -1 |
      sed -E 's/CPU cycles\/packet=([0-9.]+) .* at ([0-9]+) MHz/\1 \2/' |
      awk '{ if ($1 > 0) printf "%.0f", $2 * 1e6 / $1; else print 0 }'
  else
    grep -o '([0-9.]* ticks/packet at [0-9]* Hz)' "$log" | tail -1 | tr -d '()' |
      awk '{ if ($1 > 0) printf "%.0f", $4 / $1; else print 0 }'
  fi
}

# Percentage of snapflow's received packets whose capture copy was dropped (its ring writer
# fell behind); "-" for testpmd.
capture_dropped() {
  [[ $1 == testpmd-io ]] && { echo -; return; }
  grep -o 'received [0-9]*, transmitted [0-9]*, .*capture dropped [0-9]*' "$2" | tail -1 |
    awk '{gsub(",", ""); r = $2; for (i = 1; i <= NF; i++) if ($i == "dropped" && $(i - 1) == "capture") d = $(i + 1);
          if (r > 0) printf "%.1f", 100 * d / r; else print 0}'
}

# measure KIND TRANSPORT SIZE (and $rep): prints "WALL_PPS PPS_PER_BUSY_CPU_SECOND CAPTURE_DROPPED_%".
measure() {
  local kind=$1 transport=$2 size=$3 rx0 rx1 t0 t1 gen
  generator "$transport" "$size" "$work/gen.log"
  gen=${pids[-1]}
  start_dut "$kind" "$transport"
  sleep 4
  rx0=$(generator_rx_now "$work/gen.log"); t0=$(date +%s%N)
  local profiler=
  if [[ -n ${PROFILE_DIR:-} ]]; then
    perf record -q -e task-clock -t "$(forwarding_tid "$dut_pid")" \
      -o "$work/perf-$kind-$size.data" -- sleep "$RUN_SECONDS" >/dev/null 2>&1 &
    profiler=$!
  fi
  sleep "$RUN_SECONDS"
  rx1=$(generator_rx_now "$work/gen.log"); t1=$(date +%s%N)
  if [[ -n $profiler ]]; then
    wait "$profiler" || true
    mkdir -p "$PROFILE_DIR"
    # By shared object first (Debian's DPDK drivers are stripped: their symbols show as
    # addresses), then by symbol.
    { perf report -i "$work/perf-$kind-$size.data" --stdio --no-children --sort dso -g none \
        2>/dev/null | grep '%'
      perf report -i "$work/perf-$kind-$size.data" --stdio --no-children --percent-limit 0.5 \
        --sort dso,symbol -g none 2>/dev/null | grep '%'
    } >"$PROFILE_DIR/$kind-$transport-$size-$rep.txt" || true
  fi
  # ip netns exec and env exec the program in place: $dut_pid is the DUT itself.
  kill -INT "$dut_pid" 2>/dev/null || true
  wait "$dut_pid" 2>/dev/null || true
  kill -INT "$gen" 2>/dev/null || true
  wait "$gen" 2>/dev/null || true
  pids=()
  printf '%s %s %s\n' "$(awk -v r0="$rx0" -v r1="$rx1" -v t0="$t0" -v t1="$t1" \
    'BEGIN {printf "%.0f", (r1 - r0) * 1e9 / (t1 - t0)}')" \
    "$(percore_pps "$kind" "$work/dut-$kind.log")" "$(capture_dropped "$kind" "$work/dut-$kind.log")"
  sleep 1
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-9s %-5s %-3s %-12s %11s %11s %6s | %11s %11s %6s | %s\n' transport bytes rep build \
  io-wall sf-wall ratio io-percore sf-percore ratio sf-capture-dropped
results=$work/results.tsv
: >"$results"
for transport in $TRANSPORTS; do
  [[ $transport == afpacket ]] && setup_veth
  for size in $SIZES; do
    for rep in $(seq "$REPS"); do
      read -r io_wall io_cpu _ < <(measure testpmd-io "$transport" "$size")
      for variant in $SNAPFLOW_BINS; do
        name=${variant%%=*}
        sf_bin=$(realpath "${variant#*=}")
        read -r sf_wall sf_cpu sf_drop < <(measure "snapflow-$name" "$transport" "$size")
        awk -v t="$transport" -v s="$size" -v r="$rep" -v n="$name" -v a="$io_wall" \
          -v b="$sf_wall" -v c="$io_cpu" -v d="$sf_cpu" -v e="$sf_drop" 'BEGIN {
            printf "%-9s %-5s %-3s %-12s %11.0f %11.0f %5.0f%% | %11.0f %11.0f %5.0f%% | %s%%\n",
                   t, s, r, n, a, b, (a > 0 ? 100 * b / a : 0), c, d, (c > 0 ? 100 * d / c : 0), e}'
        printf '%s\t%s\t%s\t%s\t%s\n' "$transport" "$size" "$name" \
          "$(awk -v c="$io_cpu" -v d="$sf_cpu" 'BEGIN {print (c > 0 ? 100 * d / c : 0)}')" \
          "$(awk -v a="$io_wall" -v b="$sf_wall" 'BEGIN {print (a > 0 ? 100 * b / a : 0)}')" \
          >>"$results"
      done
    done
  done
done
echo "medians of the per-repetition ratios (snapflow / testpmd io):"
cut -f1-3 "$results" | sort -u | while IFS=$'\t' read -r t s n; do
  percore=$(awk -F'\t' -v t="$t" -v s="$s" -v n="$n" '$1 == t && $2 == s && $3 == n {print $4}' \
    "$results" | median)
  wall=$(awk -F'\t' -v t="$t" -v s="$s" -v n="$n" '$1 == t && $2 == s && $3 == n {print $5}' \
    "$results" | median)
  printf '  %-9s %-5s %-12s per core %5.0f %%   wall %5.0f %%\n' "$t" "$s" "$n" "$percore" "$wall"
done
