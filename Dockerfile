# The Latchkey identity provider: production dependencies only, run by the unprivileged node user.
# Nothing here depends on the CPU: bcrypt loads its prebuilt binary for linux-x64 or linux-arm64,
# so this one file builds for linux/amd64 and linux/arm64 (`make arm64-check` proves the latter).

# ---- production dependencies, installed from package-lock.json
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay blocked (npm 11 default; package.json denies bcrypt's), so nothing is
# compiled or downloaded beyond the npm packages themselves.
# Without npm_config_nodedir, which some node base images export: npm warns about it otherwise.
RUN env -u npm_config_nodedir npm ci --omit=dev --no-audit --no-fund && rm -rf /root/.npm
# Source maps, type declarations and TypeORM's browser bundle are never loaded by the server.
RUN find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete \
 && rm -rf node_modules/typeorm/browser
# Fails the build on a platform without a usable bcrypt binary, instead of at the first sign-in.
RUN node -e "const b = require('bcrypt'); if (!b.compareSync('x', b.hashSync('x', 4))) process.exit(1); console.log('bcrypt loads on', process.platform + '-' + process.arch)"

# ---- local fakes of Google, Facebook and X, for `make run FAKES=1` demos only (never deployed)
FROM node:24-bookworm-slim AS fakes
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY test/fakes ./test/fakes
USER node
CMD ["node", "test/fakes/serve.ts"]

# ---- the demo relying parties "shop", "bookshop" and "tv" (docker/demo), for `make run` only (never deployed)
FROM node:24-bookworm-slim AS demo
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY docker/demo ./docker/demo
USER node
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3001)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "docker/demo/shop.ts"]

# ---- the runtime image (the last stage: what `docker build .` produces)
FROM node:24-bookworm-slim
# Memory for a 256 MiB container (DESIGN.md, "Memory"): V8 sizes its young generation and grows
# its old space from the host's memory, not the container's, and reached 350 MiB of RSS under
# load with a 26 MiB live heap; these caps keep it near 150 MiB at the same throughput. Raise
# --max-old-space-size with the container limit (about half of it). MALLOC_ARENA_MAX bounds the
# malloc arenas of libuv's threads (bcrypt, crypto, zlib).
ENV NODE_ENV=production \
    PORT=3000 \
    NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8" \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# Owned by root and read-only for the node user: the process cannot rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY migrations ./migrations
COPY views ./views
COPY locales ./locales
COPY src ./src
# Served as /openapi.json (src/http/api-description.ts reads it when the app is made).
COPY docs/openapi.yaml ./docs/openapi.yaml
# Every module must resolve: importing does no I/O, so a missing dependency fails here.
RUN node -e "Promise.all([import('./src/app.ts'), import('./src/boot.ts'), import('./src/tracing/start-tracing.ts')]).then(() => console.log('modules load'))"
USER node
EXPOSE 3000
# /readyz: Postgres and Redis answer and shutdown has not begun. No curl in the slim image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node runs as PID 1 (the base entrypoint execs it) and drains connections on SIGTERM.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "./src/tracing/preload.ts", "src/main.ts"]
