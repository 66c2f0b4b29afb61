// A flood of junk sign-ins from many addresses against the production bcrypt cost: the hashing
// queue must answer what it cannot take with 503 at once, and a real sign-in must still work.
import type { AxiosResponse } from 'axios';
import { defaultHashingQueueLimit } from '../../../src/accounts/passwords.ts';
import { countComparisons } from '../../support/bcrypt-counter.ts';
import { formByAction } from '../../support/browser.ts';
import { atSignInPage, person } from '../../support/oidc.ts';
import {
  accountFor,
  startTestServer,
  TEST_CLIENTS,
  type TestServer,
} from '../../support/server.ts';
import type { Finding, SecurityCase } from '../run.ts';

async function signInForm(server: TestServer, source?: string) {
  const c = TEST_CLIENTS.firstParty;
  const { browser, login: html } = await atSignInPage(
    server.issuer,
    c,
    {},
    source ? { localAddress: source } : {},
  );
  return { browser, form: formByAction(html, '/login') };
}

const ms = (value: number) => `${Math.round(value)} ms`;

async function hashing(): Promise<Finding[]> {
  const cost = 12;
  const queue = defaultHashingQueueLimit(cost);
  const lines: Finding[] = [];
  const server = await startTestServer({ env: { BCRYPT_COST: String(cost), LOG_LEVEL: 'warn' } });
  const comparisons = countComparisons();
  try {
    const real = await accountFor(server, 'sec-real');
    const n = 100;
    // Each junk request from its own address, so no per-address limit steps in.
    const attackers = await Promise.all(
      Array.from({ length: n }, (_, i) => signInForm(server, `127.0.2.${i + 1}`)),
    );
    comparisons.count = 0;
    const started = performance.now();
    const timed = await Promise.all(
      attackers.map(async ({ browser, form }) => {
        const response = await browser.post(form.action, {
          ...form.fields,
          email: person('sec-junk').email,
          password: 'junk password guess',
        });
        return { response, ms: performance.now() - started };
      }),
    );
    const busy = timed.filter((t) => t.response.status === 503).map((t) => t.ms);
    busy.sort((a, b) => a - b);
    const slowest = Math.max(...timed.map((t) => t.ms));
    const statuses = new Map<number, number>();
    for (const { response } of timed)
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const summary = [...statuses].map(([s, k]) => `${k}×${s}`).join(', ');
    const only = [...statuses.keys()].every((s) => s === 401 || s === 503);
    lines.push({
      held: only && busy.length > 0 && slowest < 10_000,
      line: `${n} concurrent junk sign-ins from ${n} addresses (BCRYPT_COST ${cost}, 2 running + queue ${queue}) → ${comparisons.count} evaluated (${summary})`,
    });
    if (busy.length > 0) {
      lines.push({
        held: true,
        line: `  503 answers: first ${ms(busy[0] as number)}, median ${ms(busy[Math.floor(busy.length / 2)] as number)}, last ${ms(busy.at(-1) as number)}; slowest answer of all ${ms(slowest)}`,
      });
    }
    const retryAfter = timed.find((t) => t.response.status === 503)?.response.headers[
      'retry-after'
    ] as string | undefined;
    lines.push({ held: retryAfter !== undefined, line: `  Retry-After on a 503: ${retryAfter} s` });
    const { browser, form } = await signInForm(server);
    const at = performance.now();
    const after: AxiosResponse = await browser.post(form.action, {
      ...form.fields,
      email: real.email,
      password: real.password,
    });
    lines.push({
      held: after.status === 303,
      line: `a normal sign-in right after → ${after.status} in ${ms(performance.now() - at)}; /readyz ${(await browser.get('/readyz')).status}`,
    });
  } finally {
    comparisons.restore();
    await server.stop();
  }
  return lines;
}

export default { name: 'password hashing queue', run: hashing } satisfies SecurityCase;
