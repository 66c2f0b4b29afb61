#!/usr/bin/env bash
# A throwaway Redis Cluster on loopback for the tests: 3 primaries and 3 replicas of Debian's
# redis-server, without persistence, in a directory of their own.
#   bash scripts/redis-cluster.sh start DIR [BASEPORT]   prints the seeds: redis://127.0.0.1:P,...
#   bash scripts/redis-cluster.sh stop DIR               stops every node started in DIR, removes DIR
# Without BASEPORT, a free run of 6 ports is picked at random in 20000-29999 (their cluster bus
# ports, +10000, must be free too), so two runs on one machine do not clash.
set -uo pipefail

NODES=6

fail() { printf 'redis-cluster: %s\n' "$*" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ports_free() {  # BASE
  local p
  for ((p = $1; p < $1 + NODES; p++)); do
    port_free "$p" && port_free $((p + 10000)) || return 1
  done
}

stop_nodes() {  # DIR
  local pidfile pid pids=()
  for pidfile in "$1"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # Only a redis-server this script started in DIR (its pid file), never anything else.
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done
  local waited=0
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  done
  return 0
}

start_nodes() {  # DIR BASE
  local dir=$1 base=$2 p
  for ((p = base; p < base + NODES; p++)); do
    mkdir -p "$dir/$p"
    redis-server --port "$p" --bind 127.0.0.1 --daemonize yes \
      --pidfile "$dir/$p.pid" --logfile "$dir/$p.log" --dir "$dir/$p" \
      --cluster-enabled yes --cluster-config-file "$dir/$p/nodes.conf" \
      --cluster-node-timeout 2000 --save '' --appendonly no >/dev/null || return 1
  done
  # Every node answers (or one of them could not bind its port).
  local tries
  for ((p = base; p < base + NODES; p++)); do
    for ((tries = 0; tries < 50; tries++)); do
      redis-cli -p "$p" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    redis-cli -p "$p" ping >/dev/null 2>&1 || return 1
  done
}

cluster_ok() {  # BASE
  local p info
  for ((p = $1; p < $1 + NODES; p++)); do
    info=$(redis-cli -p "$p" cluster info 2>/dev/null) || return 1
    grep -q '^cluster_state:ok' <<<"$info" || return 1
    grep -q '^cluster_slots_ok:16384' <<<"$info" || return 1
  done
  # Each primary has its replica.
  [ "$(redis-cli -p "$1" cluster nodes 2>/dev/null | grep -c ' slave ')" = 3 ]
}

start() {  # DIR [BASE]
  local dir=$1 base=${2:-} attempt
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    fail "needs redis-server and redis-cli (Debian: apt-get install redis-server)"
  mkdir -p "$dir" || fail "cannot create $dir"
  for ((attempt = 0; attempt < 10; attempt++)); do
    if [ -z "${2:-}" ]; then base=$((20000 + RANDOM % 9990)); fi
    if ports_free "$base" && start_nodes "$dir" "$base"; then break; fi
    stop_nodes "$dir"
    rm -rf "${dir:?}"/*
    [ -n "${2:-}" ] && fail "ports $base-$((base + NODES - 1)) (and +10000) are not free"
    base=""
  done
  [ -n "$base" ] || fail "found no free ports"
  local seeds=() p
  for ((p = base; p < base + NODES; p++)); do seeds+=("127.0.0.1:$p"); done
  if ! redis-cli --cluster create "${seeds[@]}" --cluster-replicas 1 --cluster-yes \
    >"$dir/create.log" 2>&1; then
    stop_nodes "$dir"
    fail "redis-cli --cluster create failed: $(tail -3 "$dir/create.log")"
  fi
  local tries
  for ((tries = 0; tries < 300; tries++)); do
    cluster_ok "$base" && break
    sleep 0.1
  done
  if ! cluster_ok "$base"; then
    stop_nodes "$dir"
    fail "the cluster on $base-$((base + NODES - 1)) did not reach cluster_state:ok"
  fi
  local urls
  urls=$(printf 'redis://%s,' "${seeds[@]}")
  printf '%s\n' "${urls%,}" | tee "$dir/seeds"
}

case ${1:-} in
  start)
    [ -n "${2:-}" ] || fail "usage: $0 start DIR [BASEPORT]"
    start "$2" "${3:-}" ;;
  stop)
    [ -n "${2:-}" ] || fail "usage: $0 stop DIR"
    [ -d "$2" ] || exit 0
    stop_nodes "$2"
    rm -rf "$2" ;;
  *) fail "usage: $0 start DIR [BASEPORT] | stop DIR" ;;
esac
