#!/usr/bin/env bash
# `make test-docker`: builds the idp and tests images, runs the suite in the tests container against
# a compose stack of its own (project latchkey-test-<random>, or COMPOSE_PROJECT_NAME), always
# removes that stack and its volumes, and exits with the tests' exit code. Never prompts; works
# without a terminal.
#   TEST_PARTS="lint typecheck observability tests" picks the parts scripts/run-tests.sh runs (default: tests).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

now() { date +%s; }
elapsed() { echo "$(($(now) - $1))s"; }
say() { printf '\n[test-docker] %s\n' "$*"; }

# shellcheck source=scripts/lib.sh
. scripts/lib.sh
compose=(docker compose -p "$(test_compose_project)" -f docker-compose.yml -f docker/compose.test.yml)
if ! docker_engine; then
  echo "test-docker: no Docker engine answers (docker info failed); start it, or run make test-local" >&2
  exit 2
fi
if ! compose_v2; then
  echo "test-docker: needs Docker Compose v2.24 or later (docker compose); make deps tells how to install it" >&2
  exit 2
fi

# Fresh client secrets for this run only: compose passes them to the idp and the tests container.
secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
E2E_CLIENT_SECRET=$(secret)
E2E_SECOND_CLIENT_SECRET=$(secret)
E2E_MACHINE_CLIENT_SECRET=$(secret)
FAKE_GOOGLE_SECRET=$(secret)
FAKE_FACEBOOK_SECRET=$(secret)
FAKE_X_SECRET=$(secret)
# 32 random bytes in base64, as KEY_ENCRYPTION_KEYS expects; this run's stack is thrown away after.
KEY_ENCRYPTION_KEYS="test-run:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
export E2E_CLIENT_SECRET E2E_SECOND_CLIENT_SECRET E2E_MACHINE_CLIENT_SECRET FAKE_GOOGLE_SECRET FAKE_FACEBOOK_SECRET FAKE_X_SECRET
export KEY_ENCRYPTION_KEYS

# shellcheck disable=SC2317 # called by the EXIT trap.
teardown() {
  say "removing the test stack and its volumes"
  "${compose[@]}" down -v --remove-orphans --timeout 20 >/dev/null 2>&1 ||
    echo "test-docker: could not remove the stack; run: ${compose[*]} down -v" >&2
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(now)
# A stack left by an interrupted run would hold stale data and secrets.
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1

say "building the idp image (Dockerfile), the mail catcher (docker/maildev) and the tests image (docker/Dockerfile.test)"
t=$(now)
"${compose[@]}" build idp mail tests || { echo "test-docker: the build failed" >&2; exit 1; }
build_time=$(elapsed "$t")

# The production image on its own: right user, bcrypt's native binary loads, no test files.
say "checking the idp image"
docker run --rm -i --entrypoint node latchkey:test --input-type=module - <scripts/check-image.ts ||
  { echo "test-docker: the idp image is broken" >&2; exit 1; }

say "starting postgres, redis and idp, then the tests container"
t=$(now)
# TEST_PARTS is split into words on purpose: one part name each.
# shellcheck disable=SC2086
# --use-aliases: the idp reaches the e2e client's back-channel logout receiver at http://tests:7003.
"${compose[@]}" run --rm -T --use-aliases tests sh scripts/run-tests.sh ${TEST_PARTS:-}
code=$?
tests_time=$(elapsed "$t")

idp=$("${compose[@]}" ps -a -q idp 2>/dev/null)
if [ "$code" != 0 ] && [ -n "$idp" ]; then
  say "the tests exited with $code; the idp's last log lines:"
  docker logs --tail 25 "$idp" 2>&1 || true
fi

# SIGTERM must stop the idp cleanly (exit 0), and its log must hold no library warnings.
if [ -n "$idp" ]; then
  say "stopping the idp with SIGTERM"
  "${compose[@]}" stop --timeout 20 idp >/dev/null 2>&1
  idp_exit=$(docker inspect -f '{{.State.ExitCode}}' "$idp" 2>/dev/null || echo unknown)
  warnings=$(docker logs "$idp" 2>&1 | grep -E 'oidc-provider (WARNING|NOTICE)' || true)
  if [ "$idp_exit" != 0 ]; then
    echo "test-docker: the idp exited with $idp_exit after SIGTERM (expected 0)" >&2
    [ "$code" != 0 ] || code=1
  else
    echo "idp stopped on SIGTERM with exit code 0"
  fi
  if [ -n "$warnings" ]; then
    printf 'test-docker: the idp printed library warnings:\n%s\n' "$warnings" >&2
    [ "$code" != 0 ] || code=1
  fi
elif [ "$code" = 0 ]; then
  echo "test-docker: the idp container is missing" >&2
  code=1
fi

say "build ${build_time}, stack + tests ${tests_time}, total $(elapsed "$started"); exit code $code"
exit "$code"
