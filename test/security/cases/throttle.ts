// Fires truly parallel password guesses and sign-ups at a test server with the default limits and
// reports how many passwords were judged (bcrypt comparisons) and how many requests were refused.
import type { AxiosResponse } from 'axios';
import { DEFAULT_LIMITS } from '../../../src/accounts/login-throttle.ts';
import { countComparisons } from '../../support/bcrypt-counter.ts';
import { formByAction } from '../../support/browser.ts';
import {
  atLinkPage,
  atSignInPage,
  person,
  signUpOnAccountPage,
  verifiedProfile,
} from '../../support/oidc.ts';
import {
  accountFor,
  signUpsAtOnce,
  startTestServer,
  TEST_CLIENTS,
  type TestServer,
} from '../../support/server.ts';
import { tally } from '../../support/tally.ts';
import { startUpstreams } from '../../support/upstreams.ts';
import type { Finding, SecurityCase } from '../run.ts';

function statuses(responses: AxiosResponse[]): string {
  return Object.entries(tally(responses))
    .map(([status, n]) => `${n}×${status}`)
    .join(', ');
}

async function signInPage(server: TestServer, source: string) {
  const c = TEST_CLIENTS.firstParty;
  const { browser, login: html } = await atSignInPage(
    server.issuer,
    c,
    {},
    { localAddress: source },
  );
  return { browser, html, form: formByAction(html, '/login') };
}

async function throttle(): Promise<Finding[]> {
  const lines: Finding[] = [];
  const limits = DEFAULT_LIMITS;
  const upstreams = await startUpstreams();
  // A queue long enough for every admitted check: this case is about the throttles alone (a
  // full queue gives attempts back, which would hide the per-address limit).
  const server = await startTestServer({
    env: { ...upstreams.env, BCRYPT_COST: '10', BCRYPT_QUEUE_LIMIT: '1000', LOG_LEVEL: 'warn' },
  });
  upstreams.register(server.issuer);
  const comparisons = countComparisons();
  lines.push({
    line: `limits: ${limits.perAccount} checks per email, ${limits.perSource} failures per address, ${limits.signUpsPerSource} sign-ups per address, per ${limits.windowSeconds / 60} min`,
    held: true,
  });
  try {
    {
      const target = await accountFor(server, 'sec-burst');
      const { browser, form } = await signInPage(server, '127.0.1.1');
      comparisons.count = 0;
      const responses = await browser.submitAtOnce(form, 60, (i) => ({
        email: target.email,
        password: `wrong guess ${i}`,
      }));
      lines.push({
        line: `60 concurrent wrong guesses for one email → ${comparisons.count} evaluated (${statuses(responses)})`,
        held: comparisons.count <= limits.perAccount,
      });
    }
    {
      const { browser, form } = await signInPage(server, '127.0.1.2');
      comparisons.count = 0;
      const n = limits.perSource + 50;
      const responses = await browser.submitAtOnce(form, n, () => ({
        email: person('sec-spray').email,
        password: 'one common guess',
      }));
      lines.push({
        line: `${n} concurrent guesses on ${n} emails from one address → ${comparisons.count} evaluated (${statuses(responses)})`,
        held: comparisons.count <= limits.perSource,
      });
    }
    {
      const { responses, created } = await signUpsAtOnce(server, '127.0.1.3', 30, 'sec-mass');
      lines.push({
        line: `30 concurrent sign-ups from one address → ${created} accounts created (${statuses(responses)})`,
        held: created <= limits.signUpsPerSource,
      });
    }
    {
      const owner = await accountFor(server, 'sec-link');
      upstreams.google.signInAs({ sub: '7200001', ...verifiedProfile(owner) });
      const { browser, form } = await atLinkPage(server.issuer, TEST_CLIENTS.firstParty, 'google', {
        localAddress: '127.0.1.4',
      });
      comparisons.count = 0;
      const responses = await browser.submitAtOnce(form, 30, (i) => ({
        password: `link guess ${i}`,
      }));
      lines.push({
        line: `30 concurrent wrong passwords on the link page → ${comparisons.count} evaluated (${statuses(responses)})`,
        held: comparisons.count <= limits.perAccount,
      });
    }
    {
      const { browser, page } = await signUpOnAccountPage(server.issuer, 'sec-change', {
        localAddress: '127.0.1.5',
      });
      const form = formByAction(page, '/account/password');
      comparisons.count = 0;
      const responses = await browser.submitAtOnce(form, 30, (i) => ({
        current_password: `current guess ${i}`,
        new_password: 'a brand new passphrase',
      }));
      lines.push({
        line: `30 concurrent wrong current passwords on the account page → ${comparisons.count} evaluated (${statuses(responses)})`,
        held: comparisons.count <= limits.perAccount,
      });
    }
  } finally {
    comparisons.restore();
    await server.stop();
    await upstreams.close();
  }
  return lines;
}

export default { name: 'sign-in and sign-up throttles', run: throttle } satisfies SecurityCase;
