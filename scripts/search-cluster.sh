#!/usr/bin/env bash
# A real 3-node Elasticsearch 8.x or OpenSearch 2.x cluster on loopback, for fault tests.
#
#   scripts/search-cluster.sh COMMAND FLAVOUR [NODE]
#     start            start every node (from empty data directories when none is running),
#                      wait until all have joined and the cluster is green; print the URLs
#     stop             stop every node cleanly (in parallel)
#     urls             the nodes' URLs, comma-separated (for --es-host a,b,c)
#     url|pid NODE     one node's URL / java process id (NODE = 1, 2, 3)
#     kill NODE        SIGKILL one node (a crash); its data stays
#     stop-node NODE   stop one node cleanly
#     start-node NODE  start one stopped node again (same port and data) and wait until it has
#                      joined a cluster with an elected master
#     status           health and node list
#     names            the nodes' names (node.name), one per line
#
# Each node is a scripts/search-server.sh instance "$SNAPFLOW_SEARCH_INSTANCE-N" (run directory
# $SNAPFLOW_SEARCH_RUN/FLAVOUR-TAG-N, its own data path and port) with discovery.seed_hosts
# naming every member and cluster.initial_master_nodes naming all of them (all are
# master-eligible data nodes). Ports: free pairs from 19300 (Elasticsearch) or 19500
# (OpenSearch), chosen at the first start and kept in $SNAPFLOW_SEARCH_RUN/FLAVOUR-TAG.ports,
# so a restarted node keeps its URL.
#
# Environment: SNAPFLOW_SEARCH_INSTANCE (cluster tag, default "cluster"), SNAPFLOW_SEARCH_NODES
# (default 3), SNAPFLOW_SEARCH_HEAP (per node, default 384m), SNAPFLOW_SEARCH_JAVA_OPTS (default
# -XX:TieredStopAtLevel=1: the quick JIT only, which halves a node's start on 2 cores at some
# cost in peak indexing speed, right for fault tests that restart nodes), SNAPFLOW_SEARCH_TIMEOUT
# (seconds, default 300), and the rest of scripts/search-server.sh's.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage
cmd=$1
flavour=$2
node=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
server=$here/search-server.sh

case $flavour in
  elasticsearch) base_port=19300 ;;
  opensearch) base_port=19500 ;;
  *) usage ;;
esac
tag=${SNAPFLOW_SEARCH_INSTANCE:-cluster}
count=${SNAPFLOW_SEARCH_NODES:-3}
cache=${SNAPFLOW_SEARCH_CACHE:-/var/cache/snapflow/search}
run_root=${SNAPFLOW_SEARCH_RUN:-$cache/run}
ports_file=$run_root/$flavour-$tag.ports
export SNAPFLOW_SEARCH_HEAP=${SNAPFLOW_SEARCH_HEAP:-384m}
export SNAPFLOW_SEARCH_JAVA_OPTS=${SNAPFLOW_SEARCH_JAVA_OPTS--XX:TieredStopAtLevel=1}
export SNAPFLOW_SEARCH_TIMEOUT=${SNAPFLOW_SEARCH_TIMEOUT:-300}
timeout=$SNAPFLOW_SEARCH_TIMEOUT

log() { echo "search-cluster: $*" >&2; }
die() {
  log "$*"
  exit 1
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Chooses the nodes' HTTP ports once (transport = HTTP + 1) and keeps them.
ports() {
  if [[ -s $ports_file ]] && (($(wc -w <"$ports_file") == count)); then
    cat "$ports_file"
    return
  fi
  mkdir -p "$run_root"
  local p chosen=()
  for ((p = base_port; p < base_port + 100 && ${#chosen[@]} < count; p += 2)); do
    if ! port_in_use "$p" && ! port_in_use "$((p + 1))"; then chosen+=("$p"); fi
  done
  ((${#chosen[@]} == count)) || die "no $count free port pairs in $base_port..$((base_port + 99))"
  echo "${chosen[*]}" >"$ports_file"
  cat "$ports_file"
}

read -r -a port_list <<<"$(ports)"

name_of() { echo "$tag-$1"; }
port_of() { echo "${port_list[$(($1 - 1))]}"; }
url_of() { echo "http://127.0.0.1:$(port_of "$1")"; }

check_node() {
  [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= count)) || die "node must be 1..$count, not '$1'"
}

# search-server.sh for node N with the cluster's settings.
node_script() {
  local n=$1 sub=$2 seeds="" masters="" i
  for ((i = 1; i <= count; i++)); do
    seeds+="${seeds:+, }\"127.0.0.1:$(($(port_of "$i") + 1))\""
    masters+="${masters:+, }\"$(name_of "$i")\""
  done
  SNAPFLOW_SEARCH_INSTANCE=$(name_of "$n") SNAPFLOW_SEARCH_PORT=$(port_of "$n") \
    SNAPFLOW_SEARCH_CLUSTER="snapflow-$flavour-$tag" SNAPFLOW_SEARCH_SEED_HOSTS=$seeds \
    SNAPFLOW_SEARCH_MASTERS=$masters SNAPFLOW_SEARCH_WAIT=http "$server" "$sub" "$flavour"
}

running() { node_script "$1" pid >/dev/null 2>&1; }

# Waits until some running node reports `count` nodes and at least the given status.
wait_cluster() {
  local status=$1 deadline=$((SECONDS + timeout)) i
  while ((SECONDS < deadline)); do
    for ((i = 1; i <= count; i++)); do
      running "$i" || continue
      if curl -sf --max-time 5 "$(url_of "$i")/_cluster/health?wait_for_nodes=$count&wait_for_status=$status&timeout=3s" \
        >/dev/null 2>&1; then
        return 0
      fi
    done
    sleep 1
  done
  log "cluster not $status with $count nodes after ${timeout}s:"
  for ((i = 1; i <= count; i++)); do
    curl -sS --max-time 5 "$(url_of "$i")/_cluster/health?pretty" >&2 2>&1 || true
  done
  return 1
}

# Waits until node N is a member of a cluster with an elected master (it lists itself).
wait_joined() {
  local n=$1 deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if curl -sf --max-time 5 "$(url_of "$n")/_cat/nodes?h=name" 2>/dev/null |
      grep -qx "$(name_of "$n") *"; then
      return 0
    fi
    sleep 1
  done
  log "node $n ($(name_of "$n")) did not join a cluster in ${timeout}s"
  return 1
}

urls() {
  local i out=""
  for ((i = 1; i <= count; i++)); do out+="${out:+,}$(url_of "$i")"; done
  echo "$out"
}

start_all() {
  local i any=0 pids=() failed=0
  for ((i = 1; i <= count; i++)); do running "$i" && any=1; done
  if ((any == 0)); then
    # A fresh cluster: no data (and so no cluster UUID) left from an earlier run.
    for ((i = 1; i <= count; i++)); do rm -rf "$run_root/$flavour-$(name_of "$i")/data"; done
  fi
  log "starting $count $flavour nodes ($tag) on ports ${port_list[*]}"
  for ((i = 1; i <= count; i++)); do
    node_script "$i" start >/dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || failed=1; done
  ((failed == 0)) || die "a node failed to start"
  wait_cluster green || return 1
  urls
}

stop_all() {
  local i pids=()
  for ((i = 1; i <= count; i++)); do
    node_script "$i" stop &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
}

case $cmd in
  start) start_all ;;
  stop) stop_all ;;
  urls) urls ;;
  names)
    for ((i = 1; i <= count; i++)); do name_of "$i"; done
    ;;
  url)
    check_node "$node"
    url_of "$node"
    ;;
  pid)
    check_node "$node"
    node_script "$node" pid
    ;;
  kill)
    check_node "$node"
    node_script "$node" kill
    log "killed node $node ($(name_of "$node"))"
    ;;
  stop-node)
    check_node "$node"
    node_script "$node" stop
    ;;
  start-node)
    check_node "$node"
    node_script "$node" start >/dev/null
    wait_joined "$node"
    log "node $node ($(name_of "$node")) joined"
    ;;
  status)
    for ((i = 1; i <= count; i++)); do
      if running "$i"; then
        echo "node $i ($(name_of "$i")): running, $(url_of "$i")"
      else
        echo "node $i ($(name_of "$i")): not running"
      fi
    done
    for ((i = 1; i <= count; i++)); do
      if running "$i"; then
        curl -sS --max-time 5 "$(url_of "$i")/_cat/nodes?v&h=name,master,heap.percent"
        curl -sS --max-time 5 "$(url_of "$i")/_cluster/health?pretty"
        break
      fi
    done
    ;;
  *) usage ;;
esac
