# Latchkey's entry points for people and CI: `make help` lists every target with one line.
# Docker is used when an engine answers; otherwise the local Postgres and Redis. Nothing prompts
# without a terminal, so CI can call any target.

SHELL := /bin/bash
.DEFAULT_GOAL := help
# One compose project per clone (scripts/lib.sh compose_project); COMPOSE_PROJECT_NAME overrides it.
COMPOSE = docker compose -p "$$(bash -c '. scripts/lib.sh && compose_project')"
# Lint and typecheck run inside the tests container too, so `make check` needs no Node on the host.
CHECK_PARTS := lint typecheck unit integration browser idp-image e2e

.PHONY: help deps install run down logs lint typecheck test test-local test-docker check image image-check arm64-check

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

lint: install ## formatting and lint rules (biome)
	npm run lint

typecheck: install ## type-check everything (tsc)
	npm run typecheck

test: ## the full suite: in containers when a Docker engine answers, else on this machine
	@if bash -c '. scripts/lib.sh && docker_ready'; then \
	  echo "make test: Docker mode (a Docker engine answers): make test-docker"; \
	  $(MAKE) --no-print-directory test-docker; \
	else \
	  echo "make test: local mode (no Docker engine): make test-local"; \
	  $(MAKE) --no-print-directory test-local; \
	fi

test-local: ## lint, typecheck, unit, integration, e2e and browser tests here, against local Postgres and Redis
	@bash scripts/test-local.sh

test-docker: ## build the images, run unit, integration, browser and e2e tests in a container, tear down
	@bash scripts/test-docker.sh

check: ## lint + typecheck + every test (in containers when a Docker engine answers)
	@if bash -c '. scripts/lib.sh && docker_ready'; then \
	  echo "make check: Docker mode (a Docker engine answers)"; \
	  TEST_PARTS="$(CHECK_PARTS)" bash scripts/test-docker.sh; \
	else \
	  echo "make check: local mode (no Docker engine)"; \
	  bash scripts/test-local.sh; \
	fi

image: ## build the production image latchkey:local
	docker build -t latchkey:local .

image-check: ## build the idp image and prove it: non-root, bcrypt loads, /healthz and /readyz answer
	@TEST_PARTS=idp-image bash scripts/test-docker.sh

arm64-check: ## prove the image's code and node_modules run on linux/arm64 (buildx, else QEMU user emulation)
	@bash scripts/arm64-check.sh
