#!/usr/bin/env bash
# Runs the TEST_PARTS of `make test` or `make check` (the first argument, for the messages) in the
# mode MODE names: docker (scripts/test-docker.sh) or local (scripts/test-local.sh). MODE unset or
# empty: docker when an engine with Compose v2 answers, else local.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
target=${1:-test}
case ${MODE:-} in
  docker) why="MODE=docker" ;;
  local) why="MODE=local" ;;
  "")
    if docker_ready; then MODE=docker why="a Docker engine answers"; else MODE=local why="no Docker engine answers"; fi ;;
  *)
    warn "make $target: MODE must be docker or local (got \"$MODE\")"
    exit 2 ;;
esac
note "make $target: $MODE mode ($why); parts: ${TEST_PARTS:-tests}"
export TEST_PARTS
exec bash "scripts/test-$MODE.sh"
