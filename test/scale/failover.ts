// Phase 2 of `make scale-test`: load through the balancer while scripts/scale-test.sh kills one
// instance (docker kill), then judges what clients saw. Run in the tests container:
//   node test/scale/failover.ts
// E2E_* as for balanced.test.ts, plus E2E_BALANCER_STATS (HAProxy's CSV statistics) and
//   SCALE_RESULTS  a directory shared with the host script: this writes `ready` when the load
//                  runs and results.json at the end; the host writes `killed` (epoch ms) there.
//   SCALE_VICTIM   the instance the host kills (idp2)
//   SCALE_WORKERS (6), SCALE_MAX_ERRORS (twice the workers), SCALE_AFTER_DOWN_SECONDS (10),
//   SCALE_TIMEOUT_SECONDS (120)
// Each worker repeats userinfo, a refresh and a single sign-on (authorize, then the code at the
// token endpoint) with tokens of its own. The run passes when the balancer took the victim out,
// no request failed before the kill, at most SCALE_MAX_ERRORS failed in all, none that started
// after the balancer took the victim out failed, and the victim answered none of those.
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import { INSTANCE_HEADER, required, serverStatus } from './balancer.ts';
import { signedUpPerson } from './signed-in.ts';

const issuer = required('E2E_ISSUER');
const stats = required('E2E_BALANCER_STATS');
const results = required('SCALE_RESULTS');
const victim = process.env.SCALE_VICTIM ?? 'idp2';
const workers = Number(process.env.SCALE_WORKERS ?? 6);
// Each client may lose the request it had in flight on the victim when it died, and one more it
// sent there (over a connection the balancer reused) before the health checks noticed.
const maxErrors = Number(process.env.SCALE_MAX_ERRORS ?? 2 * workers);
const afterDownMs = Number(process.env.SCALE_AFTER_DOWN_SECONDS ?? 10) * 1000;
const timeoutMs = Number(process.env.SCALE_TIMEOUT_SECONDS ?? 120) * 1000;
interface Outcome {
  op: 'userinfo' | 'refresh' | 'sso';
  start: number;
  end: number;
  ok: boolean;
  /** The instances that answered the operation's requests. */
  instances: string[];
  error?: string;
}

// Which instance answered each request of the operation running in this async context: fetch
// (openid-client) and each worker's Browser (axios) add to it.
const answering = new AsyncLocalStorage<string[]>();
const original = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await original(input, init);
  const instance = response.headers.get(INSTANCE_HEADER);
  if (instance) answering.getStore()?.push(instance);
  return response;
};

const { rp, signedInBrowser, sso } = await signedUpPerson(issuer, 'failover', (browser) => {
  browser.http.interceptors.response.use((response) => {
    const instance = response.headers[INSTANCE_HEADER] as string | undefined;
    if (instance) answering.getStore()?.push(instance);
    return response;
  });
});

const outcomes: Outcome[] = [];
let stopping = false;
let downAt: number | undefined;

async function worker(
  index: number,
  signedIn: Awaited<ReturnType<typeof signedInBrowser>>,
): Promise<void> {
  const { browser } = signedIn;
  let { tokens } = signedIn;
  for (let turn = index; !stopping; turn += 1) {
    const op = (['userinfo', 'refresh', 'sso'] as const)[turn % 3] as Outcome['op'];
    const answered: string[] = [];
    const start = Date.now();
    try {
      await answering.run(answered, async () => {
        if (op === 'userinfo') {
          await client.fetchUserInfo(rp, tokens.access_token, tokens.claims()?.sub ?? '');
        } else if (op === 'refresh') {
          // A refresh whose answer was lost is sent again with the same token: the grace window
          // gives the same answer, as a client would be given after a network error.
          tokens = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
        } else {
          tokens = await sso(browser);
        }
      });
      outcomes.push({ op, start, end: Date.now(), ok: true, instances: answered });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      outcomes.push({ op, start, end: Date.now(), ok: false, instances: answered, error: message });
      // A grant revoked by a failed refresh would fail every turn after it: start again.
      if (op === 'refresh' && /invalid_grant/.test(message))
        tokens = await sso(browser).catch(() => tokens);
    }
  }
}

/** Polls the balancer's statistics until the victim is out of the rotation. */
async function watchVictim(): Promise<void> {
  while (!stopping && downAt === undefined) {
    const status = await serverStatus(stats, victim).catch(() => undefined);
    // DOWN after failed health checks; MAINT if its name stopped resolving first.
    if (status && /^(DOWN|MAINT)/.test(status)) downAt = Date.now();
    await sleep(100);
  }
}

const began = Date.now();
const signedIn = await Promise.all([...Array(workers).keys()].map(() => signedInBrowser()));
const running = signedIn.map((session, i) => worker(i, session));
const watching = watchVictim();
await writeFile(path.join(results, 'ready'), String(began));
console.log(`failover: ${workers} workers running; waiting for ${victim} to be killed`);
while (
  Date.now() - began < timeoutMs &&
  (downAt === undefined || Date.now() - downAt < afterDownMs)
) {
  await sleep(200);
}
stopping = true;
await Promise.all(running);
await watching;

const killedFile = path.join(results, 'killed');
const killedAt = existsSync(killedFile) ? Number(await readFile(killedFile, 'utf8')) : undefined;
const failures = outcomes.filter((o) => !o.ok);
const afterDown = downAt === undefined ? [] : outcomes.filter((o) => o.start >= (downAt as number));
const perInstance = (list: Outcome[]) => {
  const counts: Record<string, number> = {};
  for (const o of list) for (const i of new Set(o.instances)) counts[i] = (counts[i] ?? 0) + 1;
  return counts;
};
const problems: string[] = [];
if (killedAt === undefined) problems.push(`the host never said it killed ${victim}`);
if (downAt === undefined) problems.push(`the balancer never took ${victim} out`);
const beforeKill = failures.filter((o) => killedAt !== undefined && o.end < killedAt);
if (beforeKill.length > 0) problems.push(`${beforeKill.length} operations failed before the kill`);
if (failures.length > maxErrors)
  problems.push(`${failures.length} operations failed (at most ${maxErrors} allowed)`);
const failedAfterDown = afterDown.filter((o) => !o.ok);
if (failedAfterDown.length > 0)
  problems.push(
    `${failedAfterDown.length} operations started after ${victim} was taken out failed`,
  );
const victimAfterDown = afterDown.filter((o) => o.instances.includes(victim));
if (victimAfterDown.length > 0)
  problems.push(`${victim} answered ${victimAfterDown.length} operations after it was taken out`);
if (afterDown.length < 50)
  problems.push(`only ${afterDown.length} operations ran after ${victim} was taken out (want 50+)`);

const summary = {
  passed: problems.length === 0,
  problems,
  victim,
  workers,
  operations: outcomes.length,
  failures: failures.length,
  detectionMs: killedAt !== undefined && downAt !== undefined ? downAt - killedAt : null,
  operationsAfterDown: afterDown.length,
  answeredBefore: perInstance(outcomes.filter((o) => killedAt === undefined || o.start < killedAt)),
  answeredAfterDown: perInstance(afterDown),
  failed: failures.map((o) => ({
    op: o.op,
    atMs: killedAt === undefined ? o.start : o.start - killedAt,
    tookMs: o.end - o.start,
    error: o.error,
  })),
};
await writeFile(path.join(results, 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
process.exit(summary.passed ? 0 : 1);
