#!/usr/bin/env bash
# `make scale-test`: three Latchkey instances behind HAProxy (docker/compose.scale.yml), then
#   1. test/scale/balanced.test.ts in the tests container: sign-up, SSO, refresh, logout and the
#      device flow through the balancer, each step answered by several instances;
#   2. test/scale/failover.ts: load through the balancer while this script kills one instance
#      (docker kill), then the judgement of what the clients saw, from the results it writes.
# Always removes the stack and its volumes; exits non-zero when a phase fails. Never prompts.
#   SCALE_KILL_AFTER  seconds of load before the kill (default 8)
#   SCALE_VICTIM      the instance killed (default idp2)
# The balancer is published on 127.0.0.1:3100 while the stack runs (COMPOSE_PROJECT_NAME picks the
# project; by default one per run).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

say() { printf '\n[scale-test] %s\n' "$*"; }

# shellcheck source=scripts/lib.sh
. scripts/lib.sh
if ! docker_ready; then
  echo "scale-test: needs a Docker engine and Docker Compose v2.24 or later (make deps tells how)" >&2
  exit 2
fi
project=${COMPOSE_PROJECT_NAME:-latchkey-scale-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')}
compose=(docker compose -p "$project" -f docker/compose.scale.yml)
victim=${SCALE_VICTIM:-idp2}
kill_after=${SCALE_KILL_AFTER:-8}

# Secrets for this run only, shared by the three instances and the tests container.
secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
E2E_CLIENT_SECRET=$(secret)
E2E_SECOND_CLIENT_SECRET=$(secret)
E2E_MACHINE_CLIENT_SECRET=$(secret)
COOKIE_KEYS=$(secret)
KEY_ENCRYPTION_KEYS="scale-run:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
export E2E_CLIENT_SECRET E2E_SECOND_CLIENT_SECRET E2E_MACHINE_CLIENT_SECRET COOKIE_KEYS KEY_ENCRYPTION_KEYS

results=$(mktemp -d)
# The tests container runs as the unprivileged node user: it writes its results here.
chmod 0777 "$results"

# shellcheck disable=SC2317 # called by the EXIT trap.
teardown() {
  say "removing the stack and its volumes"
  "${compose[@]}" --profile tests down -v --remove-orphans --timeout 20 >/dev/null 2>&1 ||
    echo "scale-test: could not remove the stack; run: ${compose[*]} --profile tests down -v" >&2
  rm -rf "$results"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building the images (idp, HAProxy, mail catcher, tests)"
"${compose[@]}" --profile tests build || { echo "scale-test: the build failed" >&2; exit 1; }

say "starting Postgres, Redis, the mail catcher, idp1-3 and the balancer"
if ! "${compose[@]}" up -d --wait balancer; then
  echo "scale-test: the stack did not become healthy" >&2
  "${compose[@]}" ps -a >&2
  "${compose[@]}" logs --tail 30 >&2
  exit 1
fi

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
  # ---- Redis failover (to come with the Redis Cluster in this stack): stop the Redis primary of
  # one shard here, at "$results/redis-stopped", and have test/scale/failover.ts check that the
  # sessions written before it still work once its replica has taken over.
else
  echo "scale-test: the load never started" >&2
fi
wait "$load"
phase2=$?
if [ "$phase2" = 0 ] && ! grep -q '"passed": true' "$results/results.json" 2>/dev/null; then
  echo "scale-test: the load phase wrote no passing results" >&2
  phase2=1
fi

balancer=$("${compose[@]}" ps -a -q balancer)
say "what the balancer logged about ${victim}"
docker logs "$balancer" 2>&1 | grep -E "Server latchkey/${victim} is (DOWN|UP)" || true

say "phase 1 (flows) exit ${phase1}, phase 2 (failover) exit ${phase2}"
[ "$phase1" = 0 ] && [ "$phase2" = 0 ]
