# The scale stack (docker/compose.scale.yml) for one run of scripts/scale-test.sh or
# scripts/scale-bench.sh (sourced, not run): its own compose project, secrets made for the run,
# a results directory the tests container writes to, and removal of it all on exit.
# shellcheck shell=bash

# Sets project, compose (the command as an array) and results; exports the secrets the compose
# file asks for; removes the stack, its volumes and the results on exit. `scale_stack_init NAME`
# with NAME the script's name in messages.
scale_stack_init() {
  scale_name=$1
  # shellcheck source=scripts/lib.sh
  . scripts/lib.sh
  if ! docker_ready; then
    echo "${scale_name}: needs a Docker engine and Docker Compose v2.24 or later (make deps tells how)" >&2
    exit 2
  fi
  project=${COMPOSE_PROJECT_NAME:-latchkey-${scale_name}-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')}
  compose=(docker compose -p "$project" -f docker/compose.scale.yml)

  # Secrets for this run only, shared by the three instances and the tests container.
  E2E_CLIENT_SECRET=$(scale_secret)
  E2E_SECOND_CLIENT_SECRET=$(scale_secret)
  E2E_MACHINE_CLIENT_SECRET=$(scale_secret)
  COOKIE_KEYS=$(scale_secret)
  KEY_ENCRYPTION_KEYS="scale-run:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
  export E2E_CLIENT_SECRET E2E_SECOND_CLIENT_SECRET E2E_MACHINE_CLIENT_SECRET COOKIE_KEYS KEY_ENCRYPTION_KEYS

  results=$(mktemp -d)
  # The tests container runs as the unprivileged node user: it writes its results here.
  chmod 0777 "$results"
  trap scale_stack_teardown EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

scale_secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
scale_say() { printf '\n[%s] %s\n' "$scale_name" "$*"; }

# shellcheck disable=SC2317 # called by the EXIT trap.
scale_stack_teardown() {
  scale_say "removing the stack and its volumes"
  "${compose[@]}" --profile tests down -v --remove-orphans --timeout 20 >/dev/null 2>&1 ||
    echo "${scale_name}: could not remove the stack; run: ${compose[*]} --profile tests down -v" >&2
  rm -rf "$results"
}

# Builds the images and starts everything up to the balancer; exits when that fails.
scale_stack_up() {
  scale_say "building the images (idp, HAProxy, mail catcher, tests)"
  "${compose[@]}" --profile tests build || { echo "${scale_name}: the build failed" >&2; exit 1; }

  scale_say "starting Postgres, the Redis Cluster, the mail catcher, idp1-3 and the balancer"
  if ! "${compose[@]}" up -d --wait balancer; then
    echo "${scale_name}: the stack did not become healthy" >&2
    "${compose[@]}" ps -a >&2
    "${compose[@]}" logs --tail 30 >&2
    exit 1
  fi
}
