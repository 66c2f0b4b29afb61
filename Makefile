# Latchkey's entry points for people and CI: `make help` lists every target with one line.
# Docker is used when an engine answers; otherwise the local Postgres and Redis. Nothing prompts
# without a terminal, so CI can call any target.

SHELL := /bin/bash
.DEFAULT_GOAL := help
# One compose project per clone (scripts/lib.sh compose_project); COMPOSE_PROJECT_NAME overrides it.
COMPOSE = docker compose -p "$$(bash -c '. scripts/lib.sh && compose_project')"
# Where the tests run: docker (the compose test stack) or local (Postgres and Redis here). Unset,
# docker when an engine answers, else local; `make test MODE=local` forces one.
MODE ?=
# `make check` runs these parts first, in either mode (inside the tests container with Docker, so
# it needs no Node or promtool on the host).
CHECK_PARTS := lint typecheck observability

.PHONY: help deps install run down logs demo demo-check lint typecheck test test-local test-docker scale-test scale-bench check image image-check arm64-check

help: ## list the targets
	@echo "Latchkey: make <target>"
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z0-9-]*:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

deps: ## check every dependency, say how to install what is missing, offer to install it (REQUIRE=all: both paths)
	@bash scripts/deps.sh

install: ## install the npm dependencies pinned by package-lock.json (when missing or stale)
	@bash -c '. scripts/lib.sh && ensure_node_modules'

run: ## start Latchkey (docker compose, else local Postgres/Redis); FAKES=1 adds fake Google/Facebook/X
	@bash scripts/run.sh

down: ## stop and remove the compose stack (its data stays in the Docker volumes)
	$(COMPOSE) down --remove-orphans

logs: ## follow the compose stack's logs
	$(COMPOSE) logs -f --tail=100

demo: ## record docs/demo.mp4 against a fresh compose stack, then remove it (Docker, Chromium, ffmpeg)
	@bash scripts/demo.sh

demo-check: ## record the demo into a temporary file and check it with ffprobe: H.264, 120-240 s
	@bash scripts/demo-check.sh

lint: install ## formatting and lint rules (biome)
	npm run lint

typecheck: install ## type-check everything (tsc)
	npm run typecheck

test: ## every test: in containers when a Docker engine answers, else here (MODE=docker|local forces one)
	@MODE="$(MODE)" TEST_PARTS=tests bash scripts/test-mode.sh test

check: ## lint + typecheck + promtool on docker/observability/ + every test, in the same mode as make test (MODE=docker|local)
	@MODE="$(MODE)" TEST_PARTS="$(CHECK_PARTS) tests" bash scripts/test-mode.sh check

test-local: ## every test on this machine, against local Postgres and Redis (make test MODE=local)
	@$(MAKE) --no-print-directory test MODE=local

test-docker: ## every test in a tests container against the compose stack, then tear down (make test MODE=docker)
	@$(MAKE) --no-print-directory test MODE=docker

scale-test: ## three instances behind HAProxy on a Redis Cluster (docker/compose.scale.yml): flows across instances, one instance killed under load, then a Redis primary; tears down
	@bash scripts/scale-test.sh

scale-bench: ## npm run bench in the scale stack: the flows against one instance, then three behind HAProxy (spread, CPU per container, scale-out); tears down. BENCH_ARGS=... adds bench options
	@bash scripts/scale-bench.sh $(BENCH_ARGS)

image: ## build the production image latchkey:local
	docker build -t latchkey:local .

image-check: ## build the idp image and prove it: non-root, bcrypt loads, /healthz and /readyz answer
	@TEST_PARTS=idp-image bash scripts/test-docker.sh

arm64-check: ## prove the image's code and node_modules run on linux/arm64 (buildx, else QEMU user emulation)
	@bash scripts/arm64-check.sh
