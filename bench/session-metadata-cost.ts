// What the devices list's session metadata costs the server per sign-in and per SSO, measured in
// this process without the noise of a full HTTP run: the User-Agent parse, the sign-in write (one
// Lua call), and the activity check an SSO makes (an in-process map; Redis at most every 5 minutes).
//
// Usage
//   node bench/session-metadata-cost.ts [--n 5000]
//
// The end-to-end comparison is `npm run bench -- --flows sso` against the same run with
// `--server-env SESSION_METADATA=false`; on a busy machine its noise is larger than this cost.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { deviceLabel } from '../src/oidc/device-label.ts';
import { SessionMetadata } from '../src/oidc/session-metadata.ts';
import { TEST_REDIS_URL, uniqueNamespace } from '../test/support/server-env.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '5000' } } });
const n = Number(values.n);
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** CPU time of this process (user + system) per call of `work`, in microseconds. */
async function cpuPerCall(calls: number, work: (i: number) => unknown): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

const redis = new Redis(TEST_REDIS_URL);
const prefix = `${uniqueNamespace('metacost')}:oidc:`;
try {
  const metadata = new SessionMetadata({
    redis,
    prefix,
    activityMs: 5 * 60_000,
    fallbackTtlMs: 60_000,
  });
  const handles = Array.from({ length: n }, () => randomBytes(32).toString('base64url'));
  await cpuPerCall(500, () => deviceLabel(UA));
  const parse = await cpuPerCall(n, () => deviceLabel(UA));
  const signIn = await cpuPerCall(n, (i) =>
    metadata.signedIn(handles[i] as string, {
      userAgent: UA,
      ip: '203.0.113.7',
      method: 'password',
    }),
  );
  const sso = await cpuPerCall(n * 10, (i) =>
    metadata.activity('Session', handles[i % n] as string),
  );
  console.log(`${n} sessions, Node ${process.version}`);
  console.log(`User-Agent parse:               ${parse.toFixed(1)} µs CPU per sign-in`);
  console.log(
    `sign-in write (parse + Lua):     ${signIn.toFixed(1)} µs CPU per sign-in (this process)`,
  );
  console.log(`SSO activity check (no write):   ${sso.toFixed(2)} µs CPU per SSO`);
} finally {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}
