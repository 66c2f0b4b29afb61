#!/usr/bin/env bash
# The Redis-level suites against a Redis Cluster of their own: starts one (scripts/redis-cluster.sh:
# 3 primaries, 3 replicas on free loopback ports), runs the suites with TEST_REDIS_URL set to its
# seeds, and stops it whatever happens (a failure, Ctrl-C). The same suites run against the single
# Redis in the integration part. test/integration/redis-cluster.test.ts (the server on a cluster)
# starts a cluster of its own and runs in the integration part.
#   bash scripts/test-redis-cluster.sh [MOCHA FILE...]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

SUITES=(
  test/integration/redis-adapter.test.ts
  test/integration/attempt-counter.test.ts
  test/integration/token-races.test.ts
  test/integration/refresh-grace.test.ts
  test/integration/token-storage.test.ts
  test/integration/devices.test.ts
  test/integration/account-sessions.test.ts
  test/integration/device-flow.test.ts
  test/integration/claims-cache.test.ts
  test/integration/backchannel-logout.test.ts
  test/integration/dpop.test.ts
)
[ $# -gt 0 ] && SUITES=("$@")

dir=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-cluster-XXXXXX") || exit 1
stop() { bash scripts/redis-cluster.sh stop "$dir"; }
trap stop EXIT
trap 'exit 130' INT TERM

seeds=$(bash scripts/redis-cluster.sh start "$dir") || exit 1
echo "redis-cluster: $seeds"
TEST_REDIS_URL=$seeds npx mocha "${SUITES[@]}"
