#!/bin/sh
# Runs the suite in parts and prints a summary; exits non-zero when any part fails, and a mocha part
# that ran no test counts as failed. Used in the tests container (make test-docker) and on the host
# (make test-local).
#   sh scripts/run-tests.sh [PART...]
# Parts: lint typecheck observability unit integration redis-cluster browser idp-image e2e postman,
# and `tests`, every test part of where it runs: in the container (E2E_ISSUER set) unit integration
# browser idp-image e2e postman; on the host unit integration redis-cluster e2e browser.
# redis-cluster runs the Redis-level suites again against a Redis Cluster it starts and stops
# itself (scripts/test-redis-cluster.sh; Debian's redis-server and redis-cli). e2e is the black-box client
# against E2E_ISSUER when that is set (the compose idp), else `npm run test:e2e`, which starts the
# server and the client as two local processes. postman runs the Postman collection's browserless
# folder with newman against the compose idp (on the host, test/integration/postman.test.ts runs it
# against a server of its own). Without PART: tests (`make check` asks for lint typecheck
# observability tests).
set -u
# Node images and build machines may export npm_config_nodedir (for node-gyp); npm then warns
# "Unknown env config" on every command. No dependency here builds from source at test time.
unset npm_config_nodedir
if [ -n "${E2E_ISSUER:-}" ]; then
  where="tests container; idp at $E2E_ISSUER"
  tests="unit integration browser idp-image e2e postman"
else
  where="this machine; server and e2e client as local processes"
  tests="unit integration redis-cluster e2e browser"
fi
parts=""
for part in ${*:-tests}; do
  if [ "$part" = tests ]; then parts="$parts $tests"; else parts="$parts $part"; fi
done
TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
export TEST_DATABASE_URL CHROMIUM_PATH

work=$(mktemp -d)
passed=0
failed=0
summary=""

# run_part NAME EXPECT_TESTS WHAT COMMAND...: runs one part, keeps its output, records the outcome.
run_part() {
  name=$1 expect_tests=$2 what=$3
  shift 3
  printf '\n==== %s: %s\n' "$name" "$what"
  started=$(date +%s)
  { "$@"; echo $? >"$work/$name.rc"; } 2>&1 | tee "$work/$name.log"
  rc=$(cat "$work/$name.rc")
  note=""
  # Mocha prints "N passing"; a part with none ran no test, which must not pass unnoticed.
  if [ "$rc" = 0 ] && [ "$expect_tests" = tests ] && ! grep -Eq '(^|[^0-9])[1-9][0-9]* passing' "$work/$name.log"; then
    rc=1 note=" (no test ran)"
  fi
  took=$(($(date +%s) - started))
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    summary="$summary
  passed  $name: $what (${took}s)"
  else
    failed=$((failed + 1))
    summary="$summary
  FAILED  $name: $what, exit $rc$note (${took}s)"
  fi
}

# Playwright drives Debian's Chromium; it downloads no browser of its own.
browser_tests() {
  if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "no Chromium at CHROMIUM_PATH=$CHROMIUM_PATH: make deps tells how to install it" >&2
    return 1
  fi
  npm run test:browser
}

# The black-box client against the compose idp, or the local server + client pair.
e2e_tests() {
  if [ -n "${E2E_ISSUER:-}" ]; then
    ISSUER=$E2E_ISSUER npx mocha test/e2e/client.test.ts
  else
    npm run test:e2e
  fi
}

# The Postman collection's browserless folder against the compose idp, with the test stack's clients
# (docker/compose.test.yml). newman is called directly so no command line with the secret is echoed.
postman_tests() {
  if [ -z "${E2E_ISSUER:-}" ]; then
    echo "the postman part needs the compose idp (E2E_ISSUER); on this machine test/integration/postman.test.ts runs the collection" >&2
    return 1
  fi
  npx newman run docs/postman/latchkey.postman_collection.json \
    --environment docs/postman/latchkey.postman_environment.json \
    --folder "Without a browser" --timeout-request 15000 \
    --env-var "base_url=$E2E_ISSUER" --env-var "device_client_id=$E2E_TV_CLIENT_ID" \
    --env-var "machine_client_id=$E2E_MACHINE_CLIENT_ID" \
    --env-var "machine_client_secret=$E2E_MACHINE_CLIENT_SECRET" \
    --env-var "machine_resource=https://reports.e2e.example" --env-var "machine_scope=reports:read"
}

# The in-process tests create their schemas in this database (apart from the idp's own).
case " $parts " in
  *" integration "* | *" redis-cluster "* | *" browser "* | *" e2e "*)
    node scripts/ensure-test-database.ts || exit 1 ;;
esac

if [ -n "${E2E_ISSUER:-}" ]; then
  e2e_what="black-box client test/e2e/client.test.ts against $E2E_ISSUER"
  [ -n "${E2E_UPSTREAMS:-}" ] || e2e_what="$e2e_what, without upstream sign-ins (E2E_UPSTREAMS empty)"
else
  e2e_what="npm run test:e2e (server and black-box client as two processes)"
fi
for part in $parts; do
  case $part in
    lint) run_part lint none "npm run lint" npm run lint ;;
    typecheck) run_part typecheck none "npm run typecheck" npm run typecheck ;;
    observability) run_part observability none "promtool: docker/observability/ rules, rule tests, scrape config, dashboard queries" node scripts/check-observability.ts ;;
    unit) run_part unit tests "npm run test:unit" npm run test:unit ;;
    integration) run_part integration tests "npm run test:integration" npm run test:integration ;;
    redis-cluster) run_part redis-cluster tests "the Redis-level suites on a local Redis Cluster (3 primaries, 3 replicas)" bash scripts/test-redis-cluster.sh ;;
    browser) run_part browser tests "test/browser in Chromium at $CHROMIUM_PATH" browser_tests ;;
    idp-image) run_part idp-image none "the idp container's /healthz, /readyz, issuer and /openapi.json" node scripts/check-idp.ts ;;
    e2e) run_part e2e tests "$e2e_what" e2e_tests ;;
    postman) run_part postman none "newman: the Postman collection's browserless folder against ${E2E_ISSUER:-the compose idp}" postman_tests ;;
    *)
      echo "run-tests: unknown part $part" >&2
      exit 2
      ;;
  esac
done

printf '\n==== summary (%s)%s\n' "$where" "$summary"
echo "parts: $passed passed, $failed failed"
rm -rf "$work"
[ "$failed" = 0 ]
