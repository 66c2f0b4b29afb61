#!/usr/bin/env bash
# `make run`: starts Latchkey. With a Docker engine: the compose stack, in the background. Without
# one, but with Postgres and Redis reachable: installs the npm dependencies, migrates and runs the
# server here in the foreground. Otherwise: says what is missing.
# FAKES=1 also starts local fakes of Google, Facebook and X (test/fakes) and points Latchkey at them.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

welcome() {  # ISSUER
  cat <<TEXT

Latchkey is running at $1
  Open $1/account in a browser to create an account and sign in.
  Demo client (docker/clients.json): client_id "demo", public (PKCE, no secret),
  redirect_uri http://localhost:8080/callback; client_id "demo-partner" is the same but third-party,
  so it shows the consent page (README, "The demo clients"). Sign in through demo with:
  $1/authorize?client_id=demo&response_type=code&scope=openid%20profile%20email&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=demo
TEXT
}

fakes=${FAKES:-0}
compose=(docker compose -p "$(compose_project)")
if [ "$fakes" = 1 ]; then
  # Fresh secrets shared by the fakes and Latchkey for this run; never written to disk.
  secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
  FAKE_GOOGLE_SECRET=$(secret)
  FAKE_FACEBOOK_SECRET=$(secret)
  FAKE_X_SECRET=$(secret)
  export FAKE_GOOGLE_SECRET FAKE_FACEBOOK_SECRET FAKE_X_SECRET
  compose+=(-f docker-compose.yml -f docker/compose.demo.yml)
fi

# The compose idp runs NODE_ENV=production, which needs KEY_ENCRYPTION_KEYS. A development key is
# written once to .env (git-ignored) and reused, since the data in the volumes is sealed with it.
ensure_dev_kek() {
  [ -n "${KEY_ENCRYPTION_KEYS:-}" ] && return 0
  if [ -f .env ] && grep -Eq '^[[:space:]]*KEY_ENCRYPTION_KEYS=.' .env; then return 0; fi
  key=$(openssl rand -base64 32 2>/dev/null || head -c 32 /dev/urandom | base64 | tr -d '\n')
  [ -s .env ] && [ -n "$(tail -c 1 .env)" ] && echo >>.env
  (umask 077 && printf 'KEY_ENCRYPTION_KEYS=dev1:%s\n' "$key" >>.env)
  note "run: wrote a development key-encryption key to .env (KEY_ENCRYPTION_KEYS); keep that file with the Docker volumes"
}

if docker_ready; then
  note "run: Docker engine found; starting postgres, redis and idp with docker compose"
  ensure_dev_kek
  [ "$fakes" = 1 ] && note "run: with fake Google, Facebook and X on 127.0.0.1:4101-4103"
  if ! "${compose[@]}" up -d --build --wait; then
    warn "run: the stack did not become healthy; the idp's last log lines:"
    "${compose[@]}" logs --tail 30 idp >&2
    exit 1
  fi
  # docker-compose.yml publishes the idp on 127.0.0.1:3000 with this issuer.
  welcome http://localhost:3000
  note "  Demo apps: a shop at http://localhost:3001, a TV at http://localhost:3002 and a partner's bookshop at"
  note "  http://localhost:3004 (README, \"Sign in a TV from your phone\")"
  note "  make logs: follow the logs    make down: stop (the data stays in Docker volumes)"
  exit 0
fi

missing=$(local_missing "$DATABASE_URL" DATABASE_URL "$REDIS_URL" REDIS_URL)
if [ -n "$missing" ]; then
  warn "run: no Docker engine answers, and the local way is missing:$missing"
  warn "Run make deps to see what to install (a Docker engine with Compose v2 is enough on its own)."
  exit 1
fi

ISSUER=${ISSUER:-http://localhost:${PORT:-3000}}
note "run: no Docker engine; running locally against $DATABASE_URL and $REDIS_URL"
ensure_node_modules || exit 1
export ISSUER DATABASE_URL REDIS_URL
export CLIENTS_FILE=${CLIENTS_FILE:-docker/clients.json}
export RESOURCE_SERVERS_FILE=${RESOURCE_SERVERS_FILE:-docker/resource-servers.json}
npm run --silent migrate || exit 1
if [ "$fakes" != 1 ]; then
  welcome "$ISSUER"
  note "  Ctrl-C stops the server."
  exec node --import ./src/tracing/preload.ts src/main.ts
fi

# The fakes and the server run side by side; Ctrl-C (or SIGTERM) stops both. Where the fakes are
# comes from docker/fakes-demo.env (written by test/fakes/env.ts), their apps from here.
set -a
# shellcheck source=docker/fakes-demo.env
. docker/fakes-demo.env
set +a
export GOOGLE_CLIENT_ID=fake-google-client GOOGLE_CLIENT_SECRET=$FAKE_GOOGLE_SECRET
export FACEBOOK_CLIENT_ID=fake-facebook-app FACEBOOK_CLIENT_SECRET=$FAKE_FACEBOOK_SECRET
export X_CLIENT_ID=fake-x-client X_CLIENT_SECRET=$FAKE_X_SECRET
FAKE_REDIRECT_BASE=$ISSUER node test/fakes/serve.ts >/dev/null &
fakes_pid=$!
node --import ./src/tracing/preload.ts src/main.ts &
server_pid=$!
trap 'kill -TERM "$server_pid" "$fakes_pid" 2>/dev/null' INT TERM
welcome "$ISSUER"
note "  Fake Google, Facebook and X run on 127.0.0.1:4101-4103. Ctrl-C stops everything."
wait "$server_pid"
code=$?
kill -TERM "$fakes_pid" 2>/dev/null
wait "$fakes_pid" 2>/dev/null
exit "$code"
