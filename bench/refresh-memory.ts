// Redis bytes one grant holds after many refresh-token rotations, measured with MEMORY USAGE.
//
// Usage
//   node bench/refresh-memory.ts                   1,000 rotations, a table per measurement
//   node bench/refresh-memory.ts --rotations 200 --json
//   node bench/refresh-memory.ts --grace 0          with the refresh grace window off
//
// Starts a test server in this process (its own Postgres schema and Redis prefix, on the servers
// TEST_DATABASE_URL and TEST_REDIS_URL name), signs a person up through the pages with
// offline_access for a confidential client, then refreshes N times in a row, each time with the
// newest refresh token. It then sums MEMORY USAGE (SAMPLES 0: every element counted) over every
// key of the provider's namespace, grouped by the kind of key. Keys that only live for the refresh
// grace window are measured again once that window has passed, which is the steady state of a
// client refreshing every few minutes. Everything is removed at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { signUpAndAuthorize } from '../test/support/oidc.ts';
import { startTestServer, TEST_CLIENTS, TEST_REDIS_URL } from '../test/support/server.ts';
import {
  memoryByKind as measure,
  printGroups as print,
  totalBytes as total,
} from './redis-usage.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rotations: { type: 'string', default: '1000' },
      json: { type: 'boolean', default: false },
      grace: { type: 'string' },
    },
  });
  const rotations = Number(values.rotations);
  if (!Number.isSafeInteger(rotations) || rotations < 1) throw new Error('--rotations N, N >= 1');

  const env: Record<string, string> = { LOG_LEVEL: 'warn' };
  if (values.grace !== undefined) env.REFRESH_REUSE_GRACE_SECONDS = values.grace;
  const server = await startTestServer({ env });
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const prefix = `${server.config.redisKeyPrefix}oidc:`;
    const { rp, tokens } = await signUpAndAuthorize(server.issuer, TEST_CLIENTS.firstParty, {
      scope: 'openid profile email offline_access',
      prompt: 'consent',
    });
    let refreshToken = tokens.refresh_token as string;
    const started = performance.now();
    for (let i = 0; i < rotations; i += 1) {
      const next = await client.refreshTokenGrant(rp, refreshToken);
      refreshToken = next.refresh_token as string;
    }
    const seconds = (performance.now() - started) / 1000;

    const afterRun = await measure(redis, prefix);
    // Keys that expire within a minute (grace-window answers) are gone in the steady state.
    const shortLived = [...afterRun.values()].filter((g) => g.maxTtlMs > 0 && g.maxTtlMs < 60_000);
    const waitMs = Math.max(0, ...shortLived.map((g) => g.maxTtlMs));
    if (waitMs > 0) await sleep(waitMs + 200);
    const steady = waitMs > 0 ? await measure(redis, prefix) : afterRun;

    if (values.json) {
      console.log(
        JSON.stringify({
          rotations,
          seconds,
          afterRun: { total: total(afterRun), groups: Object.fromEntries(afterRun) },
          steady: { total: total(steady), groups: Object.fromEntries(steady) },
        }),
      );
    } else {
      console.log(`${rotations} rotations of one grant in ${seconds.toFixed(1)} s`);
      print('Right after the last rotation', afterRun);
      if (waitMs > 0)
        print(`${Math.ceil(waitMs / 1000)} s later (grace-window keys expired)`, steady);
    }
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
