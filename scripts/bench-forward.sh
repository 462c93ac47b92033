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
# The figure is what the generator receives back per second (median of the steady samples).
# The generator's loop runs on CPU 0, each DUT's forwarding loop on CPU 1 (testpmd's forwarding
# lcore; snapflow's datapath thread, pinned to the EAL main lcore or --forward-cpu=1); the rest
# of each DUT (testpmd's stats thread; snapflow's capture, ring writer and I/O threads) is left
# to the scheduler. On a 2-core machine shared with other work the absolute numbers move from
# run to run: quote the ratio b/a of each pair, measured back to back.
#
# usage: scripts/bench-forward.sh [BUILD_DIR]
#   env: TRANSPORTS="memif afpacket"  SIZES="64 1500"  REPS=3  RUN_SECONDS=10
set -euo pipefail
build=${1:-build}
bin=$(realpath "$build/capture/snapflow-capture")
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

# run_dut KIND TRANSPORT: runs the device under test for RUN_SECONDS.
run_dut() {
  local kind=$1 transport=$2 ns=()
  [[ $transport == afpacket ]] && ns=(ip netns exec "${tag}p")
  case $kind in
    testpmd-io)
      "${ns[@]}" timeout -s INT "$RUN_SECONDS" dpdk-testpmd -l 0,1 --main-lcore 0 \
        --no-huge -m 512 --no-pci --file-prefix="${tag}dut" --vdev "$(dut_vdev "$transport")" -- \
        --forward-mode=io --port-topology=loop --auto-start --total-num-mbufs=16384 \
        --stats-period 1 \
        >"$work/dut-$kind.log" 2>&1 || true ;;
    snapflow)
      local source=(--source=forward:dpdk "--dpdk-eal-args=-l 1 --no-huge -m 512 --no-pci --file-prefix=${tag}dut --vdev $(dut_vdev "$transport")" --dpdk-ports=0 --dpdk-mbufs=16384 --dpdk-burst=64)
      [[ $transport == afpacket ]] && source=(--source=forward:afpacket:"${tag:0:6}P" --forward-cpu=1)
      rm -rf "$work/ring"
      "${ns[@]}" timeout -s INT "$RUN_SECONDS" "$bin" "${source[@]}" \
        --forward-port0="$port0" --forward-rule="$rule" --ring-dir="$work/ring" \
        --ring-bytes=512M --ring-segment-bytes=64M --api-listen=off --log-level=warning \
        >"$work/dut-$kind.log" 2>&1 || true ;;
  esac
}

# steady_pps LOG: median of the generator's Rx-pps samples, skipping the first three.
steady_pps() {
  grep -o 'Rx-pps: *[0-9]*' "$1" | awk '{print $2}' | awk 'NR > 3 && $1 > 0' | sort -n |
    awk '{v[NR] = $1} END {if (NR == 0) print 0; else print v[int((NR + 1) / 2)]}'
}

printf '%-9s %-6s %-4s %12s %12s %7s\n' transport bytes rep testpmd-io snapflow ratio
for transport in $TRANSPORTS; do
  [[ $transport == afpacket ]] && setup_veth
  for size in $SIZES; do
    for rep in $(seq "$REPS"); do
      declare -A pps=()
      for kind in testpmd-io snapflow; do
        generator "$transport" "$size" "$work/gen.log"
        run_dut "$kind" "$transport"
        kill -INT "${pids[-1]}" 2>/dev/null || true
        wait "${pids[-1]}" 2>/dev/null || true
        unset 'pids[-1]'
        pps[$kind]=$(steady_pps "$work/gen.log")
        sleep 1
      done
      awk -v t="$transport" -v s="$size" -v r="$rep" -v a="${pps[testpmd-io]}" -v b="${pps[snapflow]}" \
        'BEGIN {printf "%-9s %-6s %-4s %12.0f %12.0f %6.0f%%\n", t, s, r, a, b, (a > 0 ? 100 * b / a : 0)}'
    done
  done
done
