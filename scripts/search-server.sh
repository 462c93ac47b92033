#!/usr/bin/env bash
# A real single-node Elasticsearch 8.x or OpenSearch 2.x on loopback, for tests and the demo.
#
#   scripts/search-server.sh COMMAND FLAVOUR
#     COMMAND: fetch | start | stop | restart | kill | status | url | pid | logs
#     FLAVOUR: elasticsearch | opensearch
#
# fetch    downloads the vendor's integration-test distribution once with Maven's ordinary
#          client into $SNAPFLOW_SEARCH_CACHE (default /var/cache/snapflow/search) and unpacks it.
# start    starts the node (fetching first if needed) as an unprivileged system user (both
#          servers refuse to run as root) on a free loopback port, with a small heap and disk
#          watermarks off, waits for yellow health and prints the URL. Starting a running node
#          only prints its URL. A restart reuses the previous port, so clients keep their URL.
# stop     stops it cleanly (SIGTERM, then SIGKILL after 60 s); kill = SIGKILL (a crash).
# url/pid  print the URL / java process id; status prints health (exit 1 when not running).
#
# Environment: SNAPFLOW_ES_VERSION, SNAPFLOW_OS_VERSION, SNAPFLOW_SEARCH_CACHE,
# SNAPFLOW_SEARCH_RUN (state: config, data, logs, pid, port; default $CACHE/run),
# SNAPFLOW_SEARCH_INSTANCE (a name, to run a second node of a flavour; default "main"),
# SNAPFLOW_SEARCH_HEAP (default 512m), SNAPFLOW_SEARCH_JAVA_OPTS (extra JVM options),
# SNAPFLOW_SEARCH_SETTINGS (extra YAML lines, e.g.
# "thread_pool.write.size: 1"), SNAPFLOW_SEARCH_USER (default snapflow-search),
# SNAPFLOW_SEARCH_TIMEOUT (seconds to wait for health, default 180), JAVA_HOME.
# Cluster members (set by scripts/search-cluster.sh, which starts several nodes through this
# script): SNAPFLOW_SEARCH_CLUSTER (cluster.name; replaces discovery.type: single-node),
# SNAPFLOW_SEARCH_SEED_HOSTS and SNAPFLOW_SEARCH_MASTERS (discovery.seed_hosts and
# cluster.initial_master_nodes, comma lists), SNAPFLOW_SEARCH_PORT (fixed HTTP port; transport
# is the next one), SNAPFLOW_SEARCH_WAIT (yellow, the default, or http: only wait until the node
# answers HTTP, since a member cannot be healthy before a quorum of masters has joined).
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 2
}
[[ $# -eq 2 ]] || usage
cmd=$1
flavour=$2

es_version=${SNAPFLOW_ES_VERSION:-8.15.3}
os_version=${SNAPFLOW_OS_VERSION:-2.17.1}
cache=${SNAPFLOW_SEARCH_CACHE:-/var/cache/snapflow/search}
run_root=${SNAPFLOW_SEARCH_RUN:-$cache/run}
instance=${SNAPFLOW_SEARCH_INSTANCE:-main}
heap=${SNAPFLOW_SEARCH_HEAP:-512m}
run_user=${SNAPFLOW_SEARCH_USER:-snapflow-search}
health_timeout=${SNAPFLOW_SEARCH_TIMEOUT:-180}
cluster_name=${SNAPFLOW_SEARCH_CLUSTER:-}
wait_for=${SNAPFLOW_SEARCH_WAIT:-yellow}

case $flavour in
  elasticsearch)
    group=org.elasticsearch.distribution.integ-test-zip
    version=$es_version
    base_port=19200
    ;;
  opensearch)
    group=org.opensearch.distribution.integ-test-zip
    version=$os_version
    base_port=19400
    ;;
  *) usage ;;
esac

dist_dir=$cache/dist/$flavour-$version
run_dir=$run_root/$flavour-$instance
pid_file=$run_dir/pid
port_file=$run_dir/port

log() { echo "search-server: $*" >&2; }
die() {
  log "$*"
  exit 1
}

java_home() {
  if [[ -n ${JAVA_HOME:-} ]]; then
    echo "$JAVA_HOME"
  else
    local java
    java=$(command -v java) || die "java not found: install a JDK 17 (openjdk-17-jre-headless)"
    dirname "$(dirname "$(readlink -f "$java")")"
  fi
}

fetch() {
  [[ -x $dist_dir/bin/$flavour ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: install maven"
  mkdir -p "$cache/zip" "$cache/dist"
  local zip=$cache/zip/$flavour-$version.zip
  if [[ ! -s $zip ]]; then
    log "fetching $group:$flavour:$version (zip) with mvn"
    mvn -q -B dependency:copy "-Dartifact=$group:$flavour:$version:zip" \
      "-DoutputDirectory=$cache/zip" >&2 || die "mvn could not fetch $flavour $version"
  fi
  local tmp
  tmp=$(mktemp -d "$cache/dist/.unpack.XXXXXX")
  unzip -q "$zip" -d "$tmp"
  mv "$tmp/$flavour-$version" "$dist_dir"
  rmdir "$tmp"
  chmod -R a+rX "$dist_dir"
  log "unpacked into $dist_dir"
}

is_running() {
  [[ -s $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
  if [[ -n ${SNAPFLOW_SEARCH_PORT:-} ]]; then
    echo "$SNAPFLOW_SEARCH_PORT"
    return
  fi
  if [[ -s $port_file ]] && ! port_in_use "$(cat "$port_file")" &&
    ! port_in_use "$(($(cat "$port_file") + 1))"; then
    cat "$port_file"
    return
  fi
  local p
  for ((p = base_port; p < base_port + 100; p += 2)); do
    if ! port_in_use "$p" && ! port_in_use "$((p + 1))"; then
      echo "$p"
      return
    fi
  done
  die "no free port pair in $base_port..$((base_port + 99))"
}

# Runs a command as the unprivileged user when we are root, as ourselves otherwise.
as_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$run_user" -- "$@"
  else
    "$@"
  fi
}

ensure_user() {
  [[ $(id -u) -eq 0 ]] || return 0
  id "$run_user" >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$run_user"
}

write_config() {
  local port=$1 conf=$run_dir/config
  rm -rf "$conf"
  mkdir -p "$conf" "$run_dir/data" "$run_dir/logs" "$run_dir/tmp"
  cp -r "$dist_dir/config/." "$conf/"
  # jvm.options names paths relative to the distribution (logs/gc.log, data), which the run
  # user cannot write: point them into the run directory.
  sed -i -e "s|logs/|$run_dir/logs/|g" -e "s|HeapDumpPath=data|HeapDumpPath=$run_dir/data|" \
    "$conf/jvm.options"
  {
    echo "node.name: $instance"
    if [[ -n $cluster_name ]]; then
      echo "cluster.name: $cluster_name"
      echo "discovery.seed_hosts: [${SNAPFLOW_SEARCH_SEED_HOSTS:?}]"
      echo "cluster.initial_master_nodes: [${SNAPFLOW_SEARCH_MASTERS:?}]"
    else
      echo "cluster.name: snapflow-$flavour-$instance"
      echo "discovery.type: single-node"
    fi
    echo "network.host: 127.0.0.1"
    echo "http.port: $port"
    echo "transport.port: $((port + 1))"
    echo "path.data: $run_dir/data"
    echo "path.logs: $run_dir/logs"
    # A small test disk must not flip indices read-only or refuse shard allocation.
    echo "cluster.routing.allocation.disk.threshold_enabled: false"
    if [[ $flavour == elasticsearch ]]; then
      echo "xpack.security.enabled: false"
    fi
    if [[ -n ${SNAPFLOW_SEARCH_SETTINGS:-} ]]; then
      printf '%s\n' "$SNAPFLOW_SEARCH_SETTINGS"
    fi
  } >"$conf/$flavour.yml"
  if [[ $(id -u) -eq 0 ]]; then
    chown -R "$run_user:" "$run_dir"
  fi
}

health() {
  curl -sS --max-time 5 "http://127.0.0.1:$(cat "$port_file")/_cluster/health?pretty" 2>&1
}

wait_healthy() {
  local port=$1 deadline=$((SECONDS + health_timeout))
  while ((SECONDS < deadline)); do
    if ! is_running; then
      log "$flavour exited during startup; last log lines:"
      tail -n 40 "$run_dir/logs/"*.log 2>/dev/null >&2 || true
      return 1
    fi
    if [[ $wait_for == http ]]; then
      local code
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
        "http://127.0.0.1:$port/_cluster/health?local=true" 2>/dev/null) || true
      [[ $code != 000 && -n $code ]] && return 0
    elif curl -sf --max-time 3 \
      "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  log "$flavour not healthy after ${health_timeout}s; last log lines:"
  tail -n 40 "$run_dir/logs/"*.log 2>/dev/null >&2 || true
  return 1
}

start() {
  if is_running; then
    echo "http://127.0.0.1:$(cat "$port_file")"
    return 0
  fi
  fetch
  ensure_user
  mkdir -p "$run_dir"
  local port
  port=$(pick_port)
  write_config "$port"
  echo "$port" >"$port_file"
  rm -f "$pid_file"
  local jh opts_var home_var conf_var
  jh=$(java_home)
  if [[ $flavour == elasticsearch ]]; then
    opts_var=ES_JAVA_OPTS home_var=ES_JAVA_HOME conf_var=ES_PATH_CONF
  else
    opts_var=OPENSEARCH_JAVA_OPTS home_var=OPENSEARCH_JAVA_HOME conf_var=OPENSEARCH_PATH_CONF
  fi
  log "starting $flavour $version ($instance) on 127.0.0.1:$port"
  # -d daemonizes, -p writes the java pid.
  if ! cd "$run_dir" || ! as_user env "$opts_var=-Xms$heap -Xmx$heap ${SNAPFLOW_SEARCH_JAVA_OPTS:-}" "$home_var=$jh" "$conf_var=$run_dir/config" \
    "ES_TMPDIR=$run_dir/tmp" "OPENSEARCH_TMPDIR=$run_dir/tmp" \
    "$dist_dir/bin/$flavour" -d -p "$pid_file" >"$run_dir/stdout.log" 2>&1; then
    log "$flavour failed to start:"
    tail -n 40 "$run_dir/stdout.log" "$run_dir/logs/"*.log 2>/dev/null >&2 || true
    # Leave no daemon behind that a later start would collide with (node lock) and that
    # stop, without a pid file, could not find.
    local waited=0
    while [[ ! -s $pid_file ]] && ((waited < 10)); do # the daemon may write it late
      sleep 1
      waited=$((waited + 1))
    done
    if is_running; then kill -KILL "$(cat "$pid_file")" 2>/dev/null || true; fi
    rm -f "$pid_file"
    return 1
  fi
  local waited=0
  while [[ ! -s $pid_file ]] && ((waited < 30)); do
    sleep 1
    waited=$((waited + 1))
  done
  wait_healthy "$port" || return 1
  echo "http://127.0.0.1:$port"
}

stop() {
  if ! is_running; then
    rm -f "$pid_file"
    return 0
  fi
  local pid
  pid=$(cat "$pid_file")
  kill -CONT "$pid" 2>/dev/null || true # a paused node cannot handle SIGTERM
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$flavour did not stop in 60 s; killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
  log "stopped $flavour ($instance)"
}

crash() {
  is_running || die "$flavour ($instance) is not running"
  local pid
  pid=$(cat "$pid_file")
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$pid_file"
}

case $cmd in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  restart)
    stop
    start
    ;;
  kill) crash ;;
  url)
    is_running || die "$flavour ($instance) is not running"
    echo "http://127.0.0.1:$(cat "$port_file")"
    ;;
  pid)
    is_running || die "$flavour ($instance) is not running"
    cat "$pid_file"
    ;;
  status)
    is_running || {
      echo "$flavour ($instance): not running"
      exit 1
    }
    echo "$flavour ($instance): running, pid $(cat "$pid_file"), http://127.0.0.1:$(cat "$port_file")"
    health
    ;;
  logs) tail -n 100 "$run_dir/logs/"*.log ;;
  *) usage ;;
esac
