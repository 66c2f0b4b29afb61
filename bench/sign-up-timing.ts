// Whether the sign-up form's answer takes as long for an address that already has an account as
// for a new one (it must not tell them apart): the server's time for each, over many sign-ups,
// alternating the two in one run against an in-process server with real Postgres and Redis.
//
// Usage
//   node bench/sign-up-timing.ts [--n 200] [--bcrypt-cost 10]
import { parseArgs } from 'node:util';
import { type Browser, formByAction } from '../test/support/browser.ts';
import { atSignInPage, person, signUpLink } from '../test/support/oidc.ts';
import { accountFor, startTestServer, TEST_CLIENTS } from '../test/support/server.ts';
import { UNTHROTTLED } from './redis-usage.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '200' },
    'bcrypt-cost': { type: 'string', default: '10' },
  },
});
const n = Number(values.n);
const server = await startTestServer({
  env: { BCRYPT_COST: values['bcrypt-cost'] as string, LOG_LEVEL: 'warn' },
  // Many sign-ups from one address: the per-source and per-address limits are not measured here.
  throttleLimits: UNTHROTTLED,
});

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

try {
  const owners = await Promise.all(
    Array.from({ length: 20 }, (_, i) => accountFor(server, `owner${i}`)),
  );
  const times: Record<'new' | 'existing', number[]> = { new: [], existing: [] };
  for (let i = 0; i < 2 * n + 10; i++) {
    const kind = i % 2 === 0 ? 'new' : 'existing';
    const who =
      kind === 'new'
        ? person('timing')
        : { ...person('again'), email: owners[i % 20]?.email as string };
    const { browser, login } = await atSignInPage(server.issuer, TEST_CLIENTS.firstParty);
    const page = await (browser as Browser).get(signUpLink(login));
    const form = formByAction(page.data, '/signup');
    const started = performance.now();
    const answer = await browser.post(form.action, { ...form.fields, ...who });
    const ms = performance.now() - started;
    if (answer.status !== 200) throw new Error(`sign-up answered ${answer.status}`);
    if (i >= 10) times[kind].push(ms);
  }
  const report = Object.fromEntries(
    Object.entries(times).map(([kind, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      const mean = list.reduce((a, b) => a + b, 0) / list.length;
      return [
        kind,
        {
          n: list.length,
          meanMs: Number(mean.toFixed(2)),
          p50Ms: Number(quantile(sorted, 0.5).toFixed(2)),
          p90Ms: Number(quantile(sorted, 0.9).toFixed(2)),
        },
      ];
    }),
  );
  console.log(JSON.stringify(report, null, 2));
} finally {
  await server.stop();
}
