#!/bin/sh
# Test stack only: writes the e2e clients to CLIENTS_FILE from the E2E_* variables (secrets made
# for each run by scripts/test-docker.sh), then becomes the server.
set -eu
: "${CLIENTS_FILE:?}" "${E2E_CLIENT_ID:?}" "${E2E_CLIENT_SECRET:?}" "${E2E_REDIRECT_URI:?}"
: "${E2E_SECOND_CLIENT_ID:?}" "${E2E_SECOND_CLIENT_SECRET:?}" "${E2E_SECOND_REDIRECT_URI:?}"
: "${E2E_TV_CLIENT_ID:?}" "${E2E_TV_BACKCHANNEL_URI:?}"
: "${E2E_MACHINE_CLIENT_ID:?}" "${E2E_MACHINE_CLIENT_SECRET:?}"
umask 077
node -e '
const e = process.env;
const client = (id, secret, redirect, name) => ({
  client_id: id, client_secret: secret, client_name: name, redirect_uris: [redirect], first_party: true,
});
// The APIs of RESOURCE_SERVERS_FILE (test/e2e/resource-servers.json) the first application may ask for.
const resources = {
  "https://orders.e2e.example": ["orders:read", "orders:write"],
  "https://billing.e2e.example": ["billing:read"],
};
process.stdout.write(JSON.stringify([
  { ...client(e.E2E_CLIENT_ID, e.E2E_CLIENT_SECRET, e.E2E_REDIRECT_URI, "E2E Web"), resources },
  client(e.E2E_SECOND_CLIENT_ID, e.E2E_SECOND_CLIENT_SECRET, e.E2E_SECOND_REDIRECT_URI, "E2E Second App"),
  { client_id: e.E2E_TV_CLIENT_ID, client_name: "E2E TV", token_endpoint_auth_method: "none",
    grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"], response_types: [],
    first_party: true, backchannel_logout_uri: e.E2E_TV_BACKCHANNEL_URI },
  // The machine client that the Postman collection runs with in CI, for the opaque reports API.
  { client_id: e.E2E_MACHINE_CLIENT_ID, client_secret: e.E2E_MACHINE_CLIENT_SECRET, client_name: "E2E machine",
    machine: true, resources: { "https://reports.e2e.example": ["reports:read"] } },
]));
' >"$CLIENTS_FILE"
# The server reads the secrets from the file; it has no use for them in its environment.
unset E2E_CLIENT_SECRET E2E_SECOND_CLIENT_SECRET E2E_MACHINE_CLIENT_SECRET
exec node --import ./src/tracing/preload.ts src/main.ts
