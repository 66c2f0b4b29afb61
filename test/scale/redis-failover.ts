// Phase 3 of `make scale-test`: sessions and tokens written through the balancer, then one Redis
// Cluster primary stopped by scripts/scale-test.sh (docker kill) under load, its replica promoted;
// then judges what clients saw and whether what was written before the stop survived. Run in the
// tests container:
//   node test/scale/redis-failover.ts
// E2E_* as for balanced.test.ts, plus
//   SCALE_RESULTS  a directory shared with the host script: this writes `redis-ready` once the kept
//                  sessions are written and the load runs, and redis-results.json at the end; the
//                  host writes there `redis-stopped` and `redis-promoted` (epoch ms) and
//                  `redis-victim` (the stopped node, its replica and how many keys it held)
//   SCALE_REDIS_KEPT (9)          browser sessions with tokens, written before the stop and left
//                                 untouched until the cluster is ok again
//   SCALE_WORKERS (4)             clients under load through the switch, each with its own session
//   SCALE_REDIS_MAX_ERRORS (60)   failed operations allowed in all, while the shard had no primary
//   SCALE_REDIS_GRACE_MS (0)      operations started this long after the promotion may still fail
//   SCALE_REDIS_AFTER_SECONDS (8) load after the promotion
//   SCALE_TIMEOUT_SECONDS (120)
// A failed operation is either "unavailable" (a 5xx answer or a broken connection: the shard had
// no primary) or "lost" (the state it needed is gone: single sign-on met a sign-in page or a 400,
// a refresh met invalid_grant, userinfo invalid_token). A worker that met a lost state gets new
// tokens, signing in with its password when its browser session is gone, as a client would.
// The run passes when no operation failed before the stop, at most SCALE_REDIS_MAX_ERRORS failed,
// none that started after the promotion (plus the grace) was unavailable, each worker met lost
// state at most once after it, the stopped primary held keys, and every kept session still
// answers: userinfo with its first access token, a refresh with its first refresh token, and
// single sign-on in its browser without a password.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import { required } from './balancer.ts';
import { type SignedIn, signedUpPerson } from './signed-in.ts';

const issuer = required('E2E_ISSUER');
const results = required('SCALE_RESULTS');
const keptCount = Number(process.env.SCALE_REDIS_KEPT ?? 9);
const workers = Number(process.env.SCALE_WORKERS ?? 4);
const maxErrors = Number(process.env.SCALE_REDIS_MAX_ERRORS ?? 60);
const graceMs = Number(process.env.SCALE_REDIS_GRACE_MS ?? 0);
const afterMs = Number(process.env.SCALE_REDIS_AFTER_SECONDS ?? 8) * 1000;
const timeoutMs = Number(process.env.SCALE_TIMEOUT_SECONDS ?? 120) * 1000;
// A client whose operation failed waits this long before its next one, as a client retrying would.
const BACKOFF_MS = 250;
interface Outcome {
  op: 'userinfo' | 'refresh' | 'sso';
  worker: number;
  start: number;
  end: number;
  ok: boolean;
  kind?: 'unavailable' | 'lost';
  error?: string;
}

const { rp, signedInBrowser, sso } = await signedUpPerson(issuer, 'redis-failover');

/** The error's name and message, with the HTTP status and OAuth error code when it has them. */
function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { status?: number; error?: string; cause?: unknown };
  const extra: string[] = [];
  const status = e.status ?? (e.cause instanceof Response ? e.cause.status : undefined);
  if (status !== undefined) extra.push(String(status));
  if (typeof e.error === 'string') extra.push(e.error);
  if (Array.isArray(e.cause)) {
    for (const challenge of e.cause as { parameters?: { error?: string } }[])
      if (challenge.parameters?.error) extra.push(challenge.parameters.error);
  }
  const text = `${e.name}: ${e.message.split('\n')[0]}`;
  return extra.length > 0 ? `${text} (${extra.join(', ')})` : text;
}

/** Whether the failure says the state the operation needed is gone, rather than unreachable. */
const isLost = (text: string) =>
  /got (200|400):|invalid_grant|invalid_token|\((400|401)\b/.test(text);

const outcomes: Outcome[] = [];
let stopping = false;

async function worker(index: number, signedIn: SignedIn): Promise<void> {
  let { browser, tokens } = signedIn;
  for (let turn = index; !stopping; turn += 1) {
    const op = (['userinfo', 'refresh', 'sso'] as const)[turn % 3] as Outcome['op'];
    const start = Date.now();
    try {
      if (op === 'userinfo') {
        await client.fetchUserInfo(rp, tokens.access_token, tokens.claims()?.sub ?? '');
      } else if (op === 'refresh') {
        tokens = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
      } else {
        tokens = await sso(browser);
      }
      outcomes.push({ op, worker: index, start, end: Date.now(), ok: true });
    } catch (error) {
      const text = message(error);
      const kind = isLost(text) ? 'lost' : 'unavailable';
      outcomes.push({ op, worker: index, start, end: Date.now(), ok: false, kind, error: text });
      await sleep(BACKOFF_MS);
      if (kind === 'lost') {
        // New tokens by single sign-on, or a new sign-in when the browser session is gone too.
        try {
          tokens = await sso(browser);
        } catch {
          ({ browser, tokens } = await signedInBrowser().catch(() => ({ browser, tokens })));
        }
      }
    }
  }
}

const readMs = async (name: string) => {
  const file = path.join(results, name);
  return existsSync(file) ? Number(await readFile(file, 'utf8')) : undefined;
};

const began = Date.now();
// Written before the stop, and left alone until the cluster is ok again.
const kept = [];
for (let i = 0; i < keptCount; i += 1) kept.push(await signedInBrowser());
const loaded = await Promise.all([...Array(workers).keys()].map(() => signedInBrowser()));
const running = loaded.map((session, i) => worker(i, session));
await writeFile(path.join(results, 'redis-ready'), String(Date.now()));
console.log(
  `redis-failover: ${keptCount} sessions kept, ${workers} workers running; waiting for a primary to be stopped`,
);
let promotedAt: number | undefined;
while (Date.now() - began < timeoutMs) {
  promotedAt ??= await readMs('redis-promoted');
  if (promotedAt !== undefined && Date.now() - promotedAt >= afterMs) break;
  await sleep(200);
}
stopping = true;
await Promise.all(running);
const stoppedAt = await readMs('redis-stopped');

// What was written before the stop, used only now.
const keptFailures: string[] = [];
for (const [i, session] of kept.entries()) {
  const steps: [string, () => Promise<unknown>][] = [
    [
      'userinfo',
      () =>
        client.fetchUserInfo(rp, session.tokens.access_token, session.tokens.claims()?.sub ?? ''),
    ],
    ['refresh', () => client.refreshTokenGrant(rp, session.tokens.refresh_token as string)],
    ['sso', () => sso(session.browser)],
  ];
  for (const [step, run] of steps) {
    try {
      await run();
    } catch (error) {
      keptFailures.push(`kept session ${i}: ${step}: ${message(error)}`);
    }
  }
}

const victimFile = path.join(results, 'redis-victim');
const victim = existsSync(victimFile) ? (await readFile(victimFile, 'utf8')).trim() : undefined;
const victimKeys = Number(/keys=(\d+)/.exec(victim ?? '')?.[1] ?? 0);
const failures = outcomes.filter((o) => !o.ok);
const problems: string[] = [];
if (stoppedAt === undefined) problems.push('the host never said it stopped a Redis primary');
if (promotedAt === undefined) problems.push('the host never saw a replica promoted');
if (victimKeys === 0) problems.push(`the stopped primary held no keys (${victim ?? 'unknown'})`);
const beforeStop = failures.filter((o) => stoppedAt !== undefined && o.end < stoppedAt);
if (beforeStop.length > 0) problems.push(`${beforeStop.length} operations failed before the stop`);
if (failures.length > maxErrors)
  problems.push(`${failures.length} operations failed (at most ${maxErrors} allowed)`);
const afterPromotion =
  promotedAt === undefined
    ? []
    : outcomes.filter((o) => o.start >= (promotedAt as number) + graceMs);
const unavailableAfter = afterPromotion.filter((o) => o.kind === 'unavailable');
if (unavailableAfter.length > 0)
  problems.push(
    `${unavailableAfter.length} operations started after the promotion were unavailable`,
  );
const lostAfter = afterPromotion.filter((o) => o.kind === 'lost');
for (const w of new Set(lostAfter.map((o) => o.worker))) {
  const count = lostAfter.filter((o) => o.worker === w).length;
  if (count > 1) problems.push(`worker ${w} met lost state ${count} times after the promotion`);
}
if (afterPromotion.length < 30)
  problems.push(`only ${afterPromotion.length} operations ran after the promotion (want 30+)`);
problems.push(...keptFailures);

const summary = {
  passed: problems.length === 0,
  problems,
  victim,
  keptSessions: keptCount,
  workers,
  operations: outcomes.length,
  failures: failures.length,
  promotionMs: stoppedAt !== undefined && promotedAt !== undefined ? promotedAt - stoppedAt : null,
  unavailable: failures.filter((o) => o.kind === 'unavailable').length,
  lost: failures.filter((o) => o.kind === 'lost').length,
  lostAfterPromotion: lostAfter.length,
  lastFailureAfterStopMs:
    stoppedAt === undefined || failures.length === 0
      ? null
      : Math.max(...failures.map((o) => o.end)) - stoppedAt,
  operationsAfterPromotion: afterPromotion.length,
  failed: failures.map((o) => ({
    op: o.op,
    worker: o.worker,
    kind: o.kind,
    atMs: stoppedAt === undefined ? o.start : o.start - stoppedAt,
    tookMs: o.end - o.start,
    error: o.error?.slice(0, 200),
  })),
};
await writeFile(path.join(results, 'redis-results.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
process.exit(summary.passed ? 0 : 1);
