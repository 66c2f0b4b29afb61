#!/usr/bin/env bash
# `make deps`: checks what developing and running Latchkey needs on this machine, prints what is
# found and what is missing with the install command for Debian/Ubuntu and macOS, and offers to
# install what it can when a person is at the terminal. Without one (CI, no stdin) it never asks.
#   REQUIRE=any (default): Node 24 + npm, and at least one complete way to run (Docker or local)
#   REQUIRE=all: every item (machines that run both make test-docker and make test-local)
# Exit status: 0 when what REQUIRE asks for is there, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
REQUIRE=${REQUIRE:-any}

# ---- where we are: decides the install commands that can run here
os=other os_name=$(uname -s)
distro_version=""
if [ "$os_name" = Darwin ]; then
  os=macos os_name="macOS $(sw_vers -productVersion 2>/dev/null)"
elif [ -r /etc/os-release ]; then
  # shellcheck disable=SC1091
  . /etc/os-release
  distro_version=${VERSION_ID:-}
  case " ${ID:-} ${ID_LIKE:-} " in
    *" ubuntu "*) os=ubuntu ;;
    *" debian "*) os=debian ;;
  esac
  os_name=${PRETTY_NAME:-$os_name}
fi
if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  sudo="-"  # not root and no sudo: nothing can be installed system-wide from here
fi

# ---- install commands, shown for both families whatever this machine is
# (functions, not associative arrays: macOS ships bash 3.2)
label() {
  case $1 in
    node) echo 'Node.js 24' ;; npm) echo 'npm' ;; docker) echo 'Docker engine' ;;
    compose) echo 'Docker Compose v2' ;; postgres) echo 'PostgreSQL' ;; redis) echo 'Redis' ;;
    chromium) echo 'Chromium' ;; promtool) echo 'promtool' ;; ffmpeg) echo 'ffmpeg' ;;
  esac
}
how_debian() {  # one line per alternative
  case $1 in
    node) echo 'sudo bash scripts/install-node.sh   (the official Node 24 binary, from the npm registry)' ;;
    npm) echo 'sudo bash scripts/install-node.sh   (adds npm 11 when none is installed; or: sudo npm install -g npm@11)' ;;
    docker) echo 'sudo apt-get install -y docker.io && sudo service docker start' ;;
    compose)
      echo 'Ubuntu:     sudo apt-get install -y docker-compose-v2'
      echo 'Debian 13+: sudo apt-get install -y docker-compose'
      echo "Debian 12:  sudo apt-get install -y docker-compose-plugin   (from Docker's apt repository: https://docs.docker.com/engine/install/debian/)" ;;
    postgres) echo 'sudo apt-get install -y postgresql && sudo service postgresql start' ;;
    redis) echo 'sudo apt-get install -y redis-server && sudo service redis-server start' ;;
    chromium)
      echo 'Debian: sudo apt-get install -y chromium'
      echo 'Ubuntu: sudo snap install chromium && export CHROMIUM_PATH=/snap/bin/chromium' ;;
    promtool) echo 'sudo apt-get install -y --no-install-recommends prometheus   (promtool comes with it)' ;;
    ffmpeg) echo 'sudo apt-get install -y ffmpeg' ;;
  esac
}
how_macos() {
  case $1 in
    node) echo 'brew install node@24 && brew link --overwrite --force node@24' ;;
    npm) echo 'brew reinstall node@24   (npm comes with it)' ;;
    docker) echo 'brew install --cask docker && open -a Docker' ;;
    compose) echo 'brew install --cask docker   (Docker Desktop includes Compose v2)' ;;
    postgres) echo 'brew install postgresql@15 && brew services start postgresql@15' ;;
    redis) echo 'brew install redis && brew services start redis' ;;
    chromium) echo 'brew install --cask chromium && export CHROMIUM_PATH=/Applications/Chromium.app/Contents/MacOS/Chromium' ;;
    promtool) echo 'brew install prometheus   (promtool comes with it)' ;;
    ffmpeg) echo 'brew install ffmpeg' ;;
  esac
}
ITEMS="node npm docker compose postgres redis chromium promtool ffmpeg"

# ---- checks: each sets STATE_<item> (ok|missing) and DETAIL_<item>
set_state() { eval "STATE_$1=\$2"; eval "DETAIL_$1=\$3"; }
state() { eval "echo \"\$STATE_$1\""; }
detail() { eval "echo \"\$DETAIL_$1\""; }
# The state of a store only the local path needs: NAME URL DEFAULT_PORT INSTALLED(yes|no).
store_state() {
  local where
  where="$(url_host "$2" 127.0.0.1):$(url_port "$2" "$3")"
  if service_up "$2" "$3"; then
    set_state "$1" ok "accepting connections at $where"
  elif [ "$4" = yes ]; then
    set_state "$1" missing "installed, but nothing answers at $where: start it"
  else
    set_state "$1" missing "not installed (only the local path needs it)"
  fi
}
check() {
  local item=$1 v out installed
  case $item in
    node)
      if v=$(node_version_ok); then
        set_state node ok "v$v at $(command -v node)"
      elif command -v node >/dev/null 2>&1; then
        set_state node missing "found $(node --version 2>/dev/null) at $(command -v node); needs 24.$NODE_MINOR_MIN or later 24.x"
      else
        set_state node missing "not found"
      fi ;;
    npm)
      if v=$(npm --version 2>/dev/null) && [ "${v%%.*}" -ge 10 ] 2>/dev/null; then
        set_state npm ok "$v"
      else
        set_state npm missing "${v:+found $v; needs 10 or later}"
        [ -n "${v:-}" ] || set_state npm missing "not found"
      fi ;;
    docker)
      if ! command -v docker >/dev/null 2>&1; then
        set_state docker missing "no docker command"
      elif out=$(docker info --format '{{.ServerVersion}}' 2>&1); then
        set_state docker ok "engine $out"
      elif printf '%s' "$out" | grep -qi 'permission denied'; then
        set_state docker missing "the engine refuses this user: sudo usermod -aG docker \$USER, then log in again"
      else
        set_state docker missing "docker client found, but no engine answers (start it: sudo service docker start; macOS: open -a Docker)"
      fi ;;
    compose)
      if v=$(docker compose version --short 2>/dev/null) && compose_v2; then
        set_state compose ok "$v"
      elif [ -n "$v" ]; then
        set_state compose missing "docker compose $v is too old: 2.24 or later is needed"
      elif v=$(docker-compose version --short 2>/dev/null); then
        case $v in
          1.*) set_state compose missing "only docker-compose $v (v1); the compose files need v2" ;;
          *) set_state compose missing "docker-compose $v is installed as a command of its own; the Makefile needs the docker compose plugin" ;;
        esac
      else
        set_state compose missing "not found"
      fi ;;
    postgres)
      installed=no
      if command -v pg_ctlcluster >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 ||
        ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then installed=yes; fi
      store_state postgres "$DATABASE_URL" 5432 "$installed" ;;
    redis)
      installed=no
      if command -v redis-server >/dev/null 2>&1; then installed=yes; fi
      store_state redis "$REDIS_URL" 6379 "$installed" ;;
    chromium)
      if [ -x "$CHROMIUM_PATH" ] && v=$("$CHROMIUM_PATH" --version 2>/dev/null); then
        set_state chromium ok "$v at $CHROMIUM_PATH"
      else
        set_state chromium missing "nothing at CHROMIUM_PATH=$CHROMIUM_PATH (the local path's browser tests need it)"
      fi ;;
    promtool)
      if v=$(promtool --version 2>&1 | head -n 1) && command -v promtool >/dev/null 2>&1; then
        set_state promtool ok "$v"
      else
        set_state promtool missing "not found (make check MODE=local checks docker/observability/ with it)"
      fi ;;
    ffmpeg)
      # make demo encodes H.264 (libx264) and burns in captions (libass's subtitles filter).
      if ! v=$(ffmpeg -hide_banner -version 2>/dev/null | head -1) || ! command -v ffprobe >/dev/null 2>&1; then
        set_state ffmpeg missing "not found (only make demo needs it)"
      elif ! printf '%s\n' "$(ffmpeg -hide_banner -filters 2>/dev/null)" | grep -q ' subtitles ' ||
        ! printf '%s\n' "$(ffmpeg -hide_banner -encoders 2>/dev/null)" | grep -q libx264; then
        set_state ffmpeg missing "$v, without libx264 or libass (make demo needs both)"
      else
        set_state ffmpeg ok "${v%% Copyright*}"
      fi ;;
  esac
}
check_all() { for item in $ITEMS; do check "$item"; done; }

report() {
  printf '\nLatchkey dependencies on %s (%s)\n\n' "$os_name" "$(uname -m)"
  for item in $ITEMS; do
    if [ "$(state "$item")" = ok ]; then
      printf '  ok       %-18s %s\n' "$(label "$item")" "$(detail "$item")"
    else
      printf '  MISSING  %-18s %s\n' "$(label "$item")" "$(detail "$item")"
      how_debian "$item" | sed '1s/^/           Debian\/Ubuntu: /; 2,$s/^/                          /'
      how_macos "$item" | sed 's/^/           macOS:         /'
    fi
  done
}

# ---- what this machine can install by itself, as one shell command (empty: nothing)
installer() {
  local item=$1 apt="" brew=""
  if [ "$os" = debian ] || [ "$os" = ubuntu ]; then
    [ "$sudo" != "-" ] || return 0
    apt="${sudo:+sudo }env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends"
    local start="${sudo:+sudo }service"
    case $item in
      node | npm) echo "${sudo:+sudo }bash scripts/install-node.sh" ;;
      docker) echo "$apt docker.io && ($start docker start || true)" ;;
      compose)
        if [ "$os" = ubuntu ]; then echo "$apt docker-compose-v2"
        elif [ "${distro_version%%.*}" -ge 13 ] 2>/dev/null; then echo "$apt docker-compose"
        fi ;;
      postgres) echo "$apt postgresql && $start postgresql start" ;;
      redis) echo "$apt redis-server && $start redis-server start" ;;
      chromium) [ "$os" = debian ] && echo "$apt chromium" ;;
      promtool) echo "$apt prometheus" ;;
      ffmpeg) echo "$apt ffmpeg" ;;
    esac
  elif [ "$os" = macos ] && command -v brew >/dev/null 2>&1; then
    case $item in
      node | npm) brew="brew install node@24 && brew link --overwrite --force node@24" ;;
      postgres) brew="brew install postgresql@15 && brew services start postgresql@15" ;;
      redis) brew="brew install redis && brew services start redis" ;;
      chromium) brew="brew install --cask chromium" ;;
      promtool) brew="brew install prometheus" ;;
      ffmpeg) brew="brew install ffmpeg" ;;
    esac
    echo "$brew"
  fi
  return 0
}

check_all
report

# ---- offer to install, only to a person at a terminal
if interactive; then
  apt_updated=no
  for item in $ITEMS; do
    [ "$(state "$item")" = ok ] && continue
    # Node's installer also brings npm: do not offer it twice.
    if [ "$item" = npm ] && [ "$(state node)" != ok ]; then continue; fi
    cmd=$(installer "$item")
    [ -n "$cmd" ] || continue
    printf '\nInstall %s now with:\n  %s\n[y/N] ' "$(label "$item")" "$cmd"
    read -r answer || answer=""
    case $answer in
      y | Y | yes | YES)
        if [ "$apt_updated" = no ] && printf '%s' "$cmd" | grep -q apt-get; then
          ${sudo:+sudo} apt-get update -q >/dev/null 2>&1 || true
          apt_updated=yes
        fi
        bash -c "$cmd" </dev/null || warn "deps: the install of $(label "$item") failed"
        ;;
      *) note "skipped" ;;
    esac
  done
  check_all
  printf '\nAfter installing:'
  report
else
  note ""
  note "No terminal (or CI is set): nothing installed. Run make deps in a terminal to be offered the installs."
fi

# ---- verdict
ok() { [ "$(state "$1")" = ok ]; }
missing_of() {  # ITEM...: the labels of those not found
  local item out=""
  for item in "$@"; do ok "$item" || out="$out, $(label "$item")"; done
  printf '%s' "${out#, }"
}
docker_missing=$(missing_of docker compose)
local_missing=$(missing_of node npm postgres redis chromium promtool)
printf '\nDocker path (make run, make test-docker): %s\n' "${docker_missing:+not ready, missing: }${docker_missing:-ready}"
printf 'Local path (make test-local, make check MODE=local, make run without Docker): %s\n' "${local_missing:+not ready, missing: }${local_missing:-ready}"
demo_missing=$(missing_of docker compose node npm chromium ffmpeg)
printf 'The demo video (make demo): %s\n' "${demo_missing:+not ready, missing: }${demo_missing:-ready}"

status=0
if ! ok node || ! ok npm; then
  warn "deps: Node 24 and npm are required (lint, typecheck and the local path)"
  status=1
fi
case $REQUIRE in
  all)
    if [ -n "$docker_missing$local_missing" ]; then
      warn "deps: REQUIRE=all and something is missing"
      status=1
    fi ;;
  *)
    if [ -n "$docker_missing" ] && [ -n "$local_missing" ]; then
      warn "deps: neither the Docker path nor the local path is complete"
      status=1
    fi ;;
esac
exit $status
