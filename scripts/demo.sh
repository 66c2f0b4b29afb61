#!/usr/bin/env bash
# `make demo`: records the demo video, docs/demo.mp4 (README, "Demo"). Starts the compose stack with
# its demo apps and the fakes of Google, Facebook and X in a compose project of its own, with fresh
# volumes and secrets; films it with scripts/demo-video.ts (Debian's Chromium, ffmpeg); then removes
# the stack and its volumes, whether or not the recording succeeded.
#   DEMO_OUT=path   where the video goes (default docs/demo.mp4; make demo-check writes to a temp dir)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
out=${DEMO_OUT:-docs/demo.mp4}

missing=""
docker_ready || missing="$missing, a Docker engine with Compose v2.24+"
node_version_ok >/dev/null || missing="$missing, Node.js 24"
[ -x "$CHROMIUM_PATH" ] || missing="$missing, Chromium (CHROMIUM_PATH=$CHROMIUM_PATH)"
{ command -v ffmpeg && command -v ffprobe; } >/dev/null 2>&1 || missing="$missing, ffmpeg"
if [ -n "$missing" ]; then
  warn "demo: missing: ${missing#, }. make deps says how to install each."
  exit 1
fi
ensure_node_modules || exit 1

# The stack publishes these on 127.0.0.1; another stack (make run) holding them must stop first.
for port in 3000 3001 3002 3004 1080 4101 4102 4103; do
  if tcp_open 127.0.0.1 "$port"; then
    warn "demo: something already listens on 127.0.0.1:$port (a stack of make run? make down stops it)"
    exit 1
  fi
done

project=${COMPOSE_PROJECT_NAME:-latchkey-demo-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')}
compose=(docker compose -p "$project" -f docker-compose.yml -f docker/compose.demo.yml)
# Fresh secrets for this run only; a .env beside docker-compose.yml is overridden where it matters:
# the mail must reach the mail catcher, whatever relay .env names.
secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
FAKE_GOOGLE_SECRET=$(secret)
FAKE_FACEBOOK_SECRET=$(secret)
FAKE_X_SECRET=$(secret)
KEY_ENCRYPTION_KEYS="demo1:$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
export FAKE_GOOGLE_SECRET FAKE_FACEBOOK_SECRET FAKE_X_SECRET KEY_ENCRYPTION_KEYS
export SMTP_URL=smtp://mail:1025 MAIL_FROM=

teardown() {
  note "demo: removing the stack ($project) and its volumes"
  "${compose[@]}" down -v --remove-orphans --timeout 20 >/dev/null 2>&1 ||
    warn "demo: could not remove the stack; run: ${compose[*]} down -v --remove-orphans"
}
trap teardown EXIT
trap 'exit 130' INT TERM

note "demo: starting the stack ($project) with the demo apps and the fake upstreams"
if ! "${compose[@]}" up -d --build --wait; then
  warn "demo: the stack did not become healthy; the idp's last log lines:"
  "${compose[@]}" logs --tail 30 idp >&2
  exit 1
fi
note "demo: recording (about three and a half minutes)"
node scripts/demo-video.ts --out "$out"
