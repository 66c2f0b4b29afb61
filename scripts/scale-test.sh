#!/usr/bin/env bash
# `make scale-test`: three Latchkey instances behind HAProxy (docker/compose.scale.yml), then
#   1. test/scale/balanced.test.ts in the tests container: sign-up, SSO, refresh, logout and the
#      device flow through the balancer, each step answered by several instances;
#   2. test/scale/failover.ts: load through the balancer while this script kills one instance
#      (docker kill), then the judgement of what the clients saw, from the results it writes;
#   3. test/scale/redis-failover.ts: sessions and tokens written through the balancer, then load
#      while this script stops the Redis Cluster primary holding the most keys (docker kill) once
#      its replica has every write made so far, and waits for the replica to be promoted; then the
#      judgement: errors only while the shard had no primary, and the sessions written before
#      still answer (userinfo, refresh, single sign-on).
# Always removes the stack and its volumes; exits non-zero when a phase fails. Never prompts.
#   SCALE_KILL_AFTER  seconds of load before the kill (default 8)
#   SCALE_VICTIM      the instance killed (default idp2)
#   SCALE_REDIS_STOP_AFTER  seconds of load before the Redis primary is stopped (default 5)
# The balancer is published on 127.0.0.1:3100 while the stack runs (COMPOSE_PROJECT_NAME picks the
# project; by default one per run).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# shellcheck source=scripts/scale-stack.sh
. scripts/scale-stack.sh
scale_stack_init scale-test
say() { scale_say "$@"; }
victim=${SCALE_VICTIM:-idp2}
kill_after=${SCALE_KILL_AFTER:-8}
redis_stop_after=${SCALE_REDIS_STOP_AFTER:-5}

scale_stack_up

say "phase 1: one person's flows through the balancer"
"${compose[@]}" run --rm -T tests env -u npm_config_nodedir npx mocha test/scale/balanced.test.ts
phase1=$?

say "phase 2: load through the balancer; ${victim} is killed after ${kill_after} s of it"
"${compose[@]}" run --rm -T -v "$results:/results" -e SCALE_RESULTS=/results -e SCALE_VICTIM="$victim" \
  tests node test/scale/failover.ts &
load=$!
for _ in $(seq 1 240); do
  [ -e "$results/ready" ] || ! kill -0 "$load" 2>/dev/null && break
  sleep 0.5
done
if [ -e "$results/ready" ]; then
  sleep "$kill_after"
  victim_id=$("${compose[@]}" ps -q "$victim")
  date +%s%3N >"$results/killed"
  docker kill "$victim_id" >/dev/null && echo "killed ${victim} (${victim_id:0:12})"
else
  echo "scale-test: the load never started" >&2
fi
wait "$load"
phase2=$?
if [ "$phase2" = 0 ] && ! grep -q '"passed": true' "$results/results.json" 2>/dev/null; then
  echo "scale-test: the load phase wrote no passing results" >&2
  phase2=1
fi

# The Redis Cluster's nodes, by container: `rcli <container> <command...>`.
rcli() { docker exec "$1" redis-cli "${@:2}"; }
service_of() { docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$1"; }
now_ms() { date +%s%3N; }

# Stops the primary holding the most keys once its replica has every write acknowledged so far
# (replication is asynchronous: a replica promoted before it caught up would lose the last ones),
# then waits until the replica says it is a primary ("redis-promoted") and every remaining node
# says cluster_state:ok.
stop_redis_primary() {
  local nodes=() node keys most=-1 victim="" victim_name id replica replica_name offset synced=0
  for node in 1 2 3 4 5 6; do nodes+=("$("${compose[@]}" ps -q "redis-$node")"); done
  for node in "${nodes[@]}"; do
    [ "$(rcli "$node" role | head -n 1)" = master ] || continue
    keys=$(rcli "$node" dbsize)
    if [ "$keys" -gt "$most" ]; then most=$keys; victim=$node; fi
  done
  [ -n "$victim" ] || { echo "scale-test: no Redis primary found" >&2; return 1; }
  victim_name=$(service_of "$victim")
  id=$(rcli "$victim" cluster myid)
  # "<id> <ip>:6379@16379,<name> slave <primary id> ...": the replica's name follows the comma.
  replica_name=$(rcli "$victim" cluster nodes |
    awk -v id="$id" '$3 ~ /slave/ && $4 == id { split($2, a, ","); print a[2]; exit }')
  [ -n "$replica_name" ] || { echo "scale-test: ${victim_name} has no replica" >&2; return 1; }
  replica=$("${compose[@]}" ps -q "$replica_name")
  offset=$(rcli "$victim" info replication | awk -F: '/^master_repl_offset/ { print $2 + 0 }')
  for _ in $(seq 1 100); do
    synced=$(rcli "$replica" info replication | awk -F: '/^master_repl_offset/ { print $2 + 0 }')
    [ "$synced" -ge "$offset" ] && break
    sleep 0.1
  done
  if [ "$synced" -lt "$offset" ]; then
    echo "scale-test: ${replica_name} never reached ${victim_name}'s offset ${offset} (at ${synced})" >&2
    return 1
  fi
  echo "${victim_name} keys=${most} replica=${replica_name} offset=${offset} replica_offset=${synced}" |
    tee "$results/redis-victim"
  now_ms >"$results/redis-stopped"
  docker kill "$victim" >/dev/null && echo "stopped the Redis primary ${victim_name} (${victim:0:12})"
  local deadline=$(($(date +%s) + 60)) stopped
  stopped=$(cat "$results/redis-stopped")
  until [ "$(rcli "$replica" role 2>/dev/null | head -n 1)" = master ]; do
    [ "$(date +%s)" -lt "$deadline" ] ||
      { echo "scale-test: ${replica_name} was not promoted within 60 s" >&2; return 1; }
    sleep 0.05
  done
  now_ms >"$results/redis-promoted"
  echo "${replica_name} is a primary $(($(cat "$results/redis-promoted") - stopped)) ms after the stop"
  for node in "${nodes[@]}"; do
    [ "$node" = "$victim" ] && continue
    until rcli "$node" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; do
      [ "$(date +%s)" -lt "$deadline" ] ||
        { echo "scale-test: $(service_of "$node") never said cluster_state:ok" >&2; return 1; }
      sleep 0.05
    done
  done
  echo "cluster_state:ok on the five remaining nodes $(($(now_ms) - stopped)) ms after the stop"
  say "what the nodes logged about the failover"
  docker logs --since 2m "$replica" 2>&1 | grep -E "FAIL message|election|Failover|failover" || true
}

say "phase 3: ${victim} started again, sessions written, then a Redis primary stopped under load after ${redis_stop_after} s"
if ! "${compose[@]}" up -d --wait --no-recreate balancer; then
  echo "scale-test: ${victim} did not come back" >&2
fi
"${compose[@]}" run --rm -T -v "$results:/results" -e SCALE_RESULTS=/results \
  tests node test/scale/redis-failover.ts &
load=$!
for _ in $(seq 1 240); do
  [ -e "$results/redis-ready" ] || ! kill -0 "$load" 2>/dev/null && break
  sleep 0.5
done
if [ -e "$results/redis-ready" ]; then
  sleep "$redis_stop_after"
  stop_redis_primary || redis_failed=1
else
  echo "scale-test: the load never started" >&2
fi
wait "$load"
phase3=$?
[ "$phase3" = 0 ] && [ "${redis_failed:-0}" = 1 ] && phase3=1
if [ "$phase3" = 0 ] && ! grep -q '"passed": true' "$results/redis-results.json" 2>/dev/null; then
  echo "scale-test: the Redis failover phase wrote no passing results" >&2
  phase3=1
fi

balancer=$("${compose[@]}" ps -a -q balancer)
say "what the balancer logged about ${victim}"
docker logs "$balancer" 2>&1 | grep -E "Server latchkey/${victim} is (DOWN|UP)" || true

say "phase 1 (flows) exit ${phase1}, phase 2 (failover) exit ${phase2}, phase 3 (Redis failover) exit ${phase3}"
[ "$phase1" = 0 ] && [ "$phase2" = 0 ] && [ "$phase3" = 0 ]
