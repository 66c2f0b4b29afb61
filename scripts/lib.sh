# Shell helpers shared by the scripts behind the Makefile (sourced, not run).
# shellcheck shell=bash

# The Node major the project runs on (package.json engines: >=24.11 <25).
NODE_MAJOR_WANTED=24
NODE_MINOR_MIN=11

note() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }

# True when a person can answer a question: stdin is a terminal and this is not CI.
interactive() { [ -t 0 ] && [ -z "${CI:-}" ]; }

# A Docker engine that answers, plus Compose v2 (`docker compose`).
docker_engine() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
# 2.24 or later: docker/compose.test.yml drops the published port with the !reset tag.
compose_v2() {
  local v
  v=$(docker compose version --short 2>/dev/null | sed 's/^v//') || return 1
  case $v in
    2.*) [ "$(printf '%s' "$v" | cut -d. -f2 | tr -cd '0-9')" -ge 24 ] 2>/dev/null ;;
    [3-9].*) return 0 ;;
    *) return 1 ;;
  esac
}
docker_ready() { docker_engine && compose_v2; }

# The compose project of `make run`/`down`/`logs`: COMPOSE_PROJECT_NAME when set, else one per clone
# directory (its name plus a hash of its path), so two clones share no containers or volumes.
compose_project() {
  if [ -n "${COMPOSE_PROJECT_NAME:-}" ]; then printf '%s' "$COMPOSE_PROJECT_NAME"; return; fi
  local dir base hash
  dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
  base=$(basename "$dir" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_-' '-' | sed -E 's/-+/-/g; s/^-//; s/-$//')
  hash=$(printf '%s' "$dir" | sha256sum | cut -c1-8)
  printf 'latchkey-%s-%s' "${base:-clone}" "$hash"
}
# The compose project of one `make test-docker` run: COMPOSE_PROJECT_NAME when set, else new per run,
# so a run never removes the stack of another run going on beside it.
test_compose_project() {
  printf '%s' "${COMPOSE_PROJECT_NAME:-latchkey-test-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')}"
}

# Host and port of a postgres:// or redis:// URL, with defaults for missing parts.
url_host() {  # URL DEFAULT
  local h
  h=$(printf '%s' "$1" | sed -E 's|^[a-z]+://||; s|/.*$||; s|^.*@||; s|:[0-9]+$||; s|^\[(.*)\]$|\1|')
  printf '%s' "${h:-$2}"
}
url_port() {  # URL DEFAULT
  local p
  p=$(printf '%s' "$1" | sed -E 's|^[a-z]+://||; s|/.*$||; s|^.*@||' | grep -oE ':[0-9]+$' | tr -d ':')
  printf '%s' "${p:-$2}"
}

# True when something accepts TCP connections at HOST PORT (bash's /dev/tcp; no client needed).
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Node's version when it is the wanted major at the minimum minor or later, else nothing.
node_version_ok() {
  local v
  v=$(node -p 'process.versions.node' 2>/dev/null) || return 1
  local major=${v%%.*} rest=${v#*.}
  [ "$major" = "$NODE_MAJOR_WANTED" ] && [ "${rest%%.*}" -ge "$NODE_MINOR_MIN" ] && printf '%s' "$v"
}

# True when a server accepts connections at the host and port of URL (DEFAULT_PORT if it names none).
service_up() {  # URL DEFAULT_PORT
  tcp_open "$(url_host "$1" 127.0.0.1)" "$(url_port "$1" "$2")"
}

# The local (non-Docker) settings, with the defaults of src/config.ts and test/support/server.ts.
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/latchkey}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}

# Installs the npm dependencies when node_modules is missing or older than the lock.
# Prints one indented line per thing missing to run here against Postgres DB_URL and Redis
# REDIS_URL (named DB_VAR and REDIS_VAR in the messages); prints nothing when all is there.
local_missing() {  # DB_URL DB_VAR REDIS_URL REDIS_VAR
  node_version_ok >/dev/null ||
    printf '\n  Node.js 24.%s+ (found: %s)' "$NODE_MINOR_MIN" "$(node --version 2>/dev/null || echo none)"
  command -v npm >/dev/null 2>&1 || printf '\n  npm'
  service_up "$1" 5432 ||
    printf '\n  PostgreSQL at %s:%s (%s)' "$(url_host "$1" 127.0.0.1)" "$(url_port "$1" 5432)" "$2"
  service_up "$3" 6379 ||
    printf '\n  Redis at %s:%s (%s)' "$(url_host "$3" 127.0.0.1)" "$(url_port "$3" 6379)" "$4"
}

ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
    [ package.json -nt node_modules/.package-lock.json ]; then
    note "installing the npm dependencies pinned by package-lock.json"
    npm ci --no-audit --no-fund || return 1
    touch node_modules/.package-lock.json
  fi
}
