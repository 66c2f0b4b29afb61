// Redis bytes per signed-in person and per active grant, measured with MEMORY USAGE: the inputs of
// DESIGN.md's capacity figures.
//
// Usage
//   node bench/redis-memory.ts                 20 people
//   node bench/redis-memory.ts --people 50 --json
//
// Starts a test server in this process (its own Postgres schema and Redis prefix, on the servers
// TEST_DATABASE_URL and TEST_REDIS_URL name). Each person signs up through the pages and signs in
// to the first-party app with offline_access (a browser session and a grant holding an access and
// a refresh token), then, by single sign-on, to a second app that asks only for openid (a second
// grant, access token only). Every key of the namespace is then measured (SAMPLES 0: every element
// counted) and sorted into what a signed-in person holds (the session, its metadata, the account's
// indexes) and what each grant holds (the grant, its tokens, its index and metadata). Short-lived
// keys of the sign-in itself (interactions, codes, grace-window answers) are measured once they have
// expired, as in the steady state. Everything is removed at the end.
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import {
  authorizationUrl,
  callbackOf,
  consent,
  exchangeCode,
  OFFLINE,
  signUpAndAuthorize,
  visit,
} from '../test/support/oidc.ts';
import { startTestServer, TEST_CLIENTS, TEST_REDIS_URL } from '../test/support/server.ts';
import { type KeyGroup, memoryByKind, UNTHROTTLED } from './redis-usage.ts';

/** The kind of a key: its model or index name, without ids and hash tags. */
export function kindOf(rest: string): string {
  const parts = rest.split(':').filter((part) => part !== '');
  const first = (parts[0] ?? '').replace(/[{}]/g, '');
  // account:<id>:sessions / account:<id>:grants
  if (first === 'account' && parts.length >= 3) return `account:${parts.at(-1)}`;
  // meta:{<record key>}: the record's model is the part before its id.
  if (first === 'meta' && parts.length >= 3)
    return `meta:${(parts.at(-2) ?? '').replace(/[{}]/g, '')}`;
  return first;
}

const PERSON_KINDS = new Set(['Session', 'sessionUid', 'meta:Session', 'account:sessions']);
const GRANT_KINDS = new Set([
  'Grant',
  'grant',
  'meta:Grant',
  'AccessToken',
  'RefreshToken',
  'account:grants',
]);

function sum(groups: Map<string, KeyGroup>, kinds: ReadonlySet<string>): number {
  let bytes = 0;
  for (const [kind, g] of groups) if (kinds.has(kind)) bytes += g.bytes;
  return bytes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      people: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
    },
  });
  const people = Number(values.people);
  if (!Number.isSafeInteger(people) || people < 1) throw new Error('--people N, N >= 1');

  // No grace-window answers or interactions in what is measured: they expire within a minute.
  const server = await startTestServer({
    env: { LOG_LEVEL: 'warn' },
    // Many sign-ups from one address: sign-up throttling is not what is measured here.
    throttleLimits: UNTHROTTLED,
  });
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const prefix = `${server.config.redisKeyPrefix}oidc:`;
    let grants = 0;
    for (let i = 0; i < people; i += 1) {
      const first = await signUpAndAuthorize(server.issuer, TEST_CLIENTS.firstParty, OFFLINE);
      grants += 1;
      const second = TEST_CLIENTS.thirdParty;
      const rp = await client.discovery(
        new URL(server.issuer),
        second.client_id,
        second.client_secret,
        undefined,
        { execute: [client.allowInsecureRequests] },
      );
      const auth = await authorizationUrl(rp, second.redirect_uris[0] as string, {
        scope: 'openid',
      });
      let result = await visit(first.browser, auth.url);
      // A third-party app asks for consent once; the person allows it.
      if (!result.external && result.response.data.includes('/consent')) {
        result = await consent(first.browser, result.response.data, 'allow');
      }
      await exchangeCode(rp, callbackOf(result), auth);
      grants += 1;
    }
    // Interactions, codes and sign-in tickets are gone within a minute of the last sign-in.
    const transient = ['Interaction', 'AuthorizationCode', 'refreshGrace'];
    for (let waited = 0; waited < 120; waited += 1) {
      const groups = await memoryByKind(redis, prefix, kindOf);
      if (transient.every((kind) => !groups.has(kind))) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const groups = await memoryByKind(redis, prefix, kindOf);
    const perPerson = sum(groups, PERSON_KINDS) / people;
    const perGrant = sum(groups, GRANT_KINDS) / grants;
    if (values.json) {
      console.log(
        JSON.stringify({ people, grants, perPerson, perGrant, groups: Object.fromEntries(groups) }),
      );
      return;
    }
    console.log(`${people} people signed in, ${grants} grants`);
    console.log('  kind                      keys        bytes   bytes/key');
    for (const [kind, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes)) {
      console.log(
        `  ${kind.padEnd(22)} ${String(g.keys).padStart(7)} ${String(g.bytes).padStart(12)} ${String(Math.round(g.bytes / g.keys)).padStart(11)}`,
      );
    }
    console.log(
      `per signed-in person (${[...PERSON_KINDS].join(', ')}): ${Math.round(perPerson)} bytes`,
    );
    console.log(`per active grant (${[...GRANT_KINDS].join(', ')}): ${Math.round(perGrant)} bytes`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
