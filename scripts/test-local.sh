#!/usr/bin/env bash
# `make test MODE=local`: every test on this machine, against the Postgres and Redis at
# TEST_DATABASE_URL and TEST_REDIS_URL (default 127.0.0.1); the e2e client runs as a process of its
# own beside the server. Never prompts. Arguments, else TEST_PARTS, pick parts as for
# scripts/run-tests.sh (`make check` passes "lint typecheck observability tests").
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# The e2e client must start its own server here, not aim at a compose idp.
unset E2E_ISSUER

missing=$(local_missing "$TEST_DATABASE_URL" TEST_DATABASE_URL "$TEST_REDIS_URL" TEST_REDIS_URL)
if [ -n "$missing" ]; then
  warn "test-local: cannot run the tests here; missing:$missing"
  warn "make deps tells how to install them (or use make test-docker with a Docker engine)."
  exit 2
fi

note "test-local: Postgres $(url_host "$TEST_DATABASE_URL" 127.0.0.1):$(url_port "$TEST_DATABASE_URL" 5432), Redis $(url_host "$TEST_REDIS_URL" 127.0.0.1):$(url_port "$TEST_REDIS_URL" 6379), node $(node --version)"
ensure_node_modules || exit 1
export TEST_DATABASE_URL TEST_REDIS_URL CHROMIUM_PATH
# TEST_PARTS is split into words on purpose: one part name each.
# shellcheck disable=SC2086
[ $# -gt 0 ] || set -- ${TEST_PARTS:-tests}
exec sh scripts/run-tests.sh "$@"
