// Throttles hold under truly parallel requests: every attempt is counted before its password is
// checked, so requests in flight cannot slip past a limit. bcrypt comparisons are counted to prove
// how many passwords were actually judged.
import type { AxiosResponse } from 'axios';
import { expect } from 'chai';
import { countComparisons } from '../support/bcrypt-counter.ts';
import { formByAction } from '../support/browser.ts';
import {
  atLinkPage,
  atSignInPage,
  person,
  signUpOnAccountPage,
  verifiedProfile,
} from '../support/oidc.ts';
import {
  accountFor,
  signUpsAtOnce,
  TEST_CLIENTS,
  useServerWithUpstreams,
} from '../support/server.ts';
import { tally } from '../support/tally.ts';

const LIMITS = { perAccount: 10, perSource: 25, signUpsPerSource: 20, windowSeconds: 60 };

describe('throttles under concurrent requests', () => {
  const { server, upstreams } = useServerWithUpstreams({
    env: { BCRYPT_COST: '6', BCRYPT_QUEUE_LIMIT: '1000' },
    throttleLimits: LIMITS,
  });
  let comparisons: ReturnType<typeof countComparisons>;
  const c = TEST_CLIENTS.firstParty;
  // Each test comes from its own loopback address, so per-source counts do not mix.
  let nextSource = 10;
  const newSource = () => `127.0.0.${nextSource++}`;

  beforeEach(() => {
    comparisons = countComparisons();
  });
  afterEach(() => comparisons.restore());

  async function signInPage(source: string) {
    const { browser, login: html } = await atSignInPage(
      server.issuer,
      c,
      {},
      { localAddress: source },
    );
    return { browser, html, form: formByAction(html, '/login') };
  }

  it('judges only 10 of 60 simultaneous wrong guesses for one email and refuses 50 with 429', async () => {
    const target = await accountFor(server, 'burst');
    const { browser, form } = await signInPage(newSource());
    comparisons.count = 0;
    const responses = await browser.submitAtOnce(form, 60, (i) => ({
      email: target.email,
      password: `wrong guess number ${i}`,
    }));
    expect(tally(responses)).to.deep.equal({ 401: 10, 429: 50 });
    expect(comparisons.count).to.equal(LIMITS.perAccount);
    const refused = responses.find((r) => r.status === 429) as AxiosResponse<string>;
    expect(Number(refused.headers['retry-after'])).to.be.within(1, LIMITS.windowSeconds);
    expect(refused.data).to.include('Too many attempts');
    // The email stays locked for the window, even for the right password.
    const right = await browser.post(form.action, {
      ...form.fields,
      email: target.email,
      password: target.password,
    });
    expect(right.status).to.equal(429);
  });

  it('judges at most the per-source limit when one address tries many emails at once', async () => {
    const { browser, form } = await signInPage(newSource());
    comparisons.count = 0;
    const responses = await browser.submitAtOnce(form, 40, () => ({
      email: person('spray').email,
      password: 'one common guess',
    }));
    expect(tally(responses)).to.deep.equal({ 401: LIMITS.perSource, 429: 40 - LIMITS.perSource });
    // Unknown emails cost one comparison each too (timing must not reveal accounts).
    expect(comparisons.count).to.equal(LIMITS.perSource);
  });

  it('clears the email count on success and does not spend the address allowance on successes', async () => {
    const target = await accountFor(server, 'success');
    const source = newSource();
    const { browser, form } = await signInPage(source);
    const attempt = (password: string) =>
      browser.post(form.action, { ...form.fields, email: target.email, password });
    const failures = async (n: number) =>
      tally(await Promise.all(Array.from({ length: n }, () => attempt('not the password'))));
    for (let round = 0; round < 2; round++) {
      // 9 failures then a success, twice: 18 failures of one email (limit 10) without a lockout.
      expect(await failures(9)).to.deep.equal({ 401: 9 });
      expect((await attempt(target.password)).status).to.equal(303);
    }
    // The address keeps its failures: 7 more make 25, its limit, while the email is only at 7.
    expect(await failures(7)).to.deep.equal({ 401: 7 });
    expect((await attempt('not the password')).status).to.equal(429);
    // Successes alone never use up an address: a busy office is not locked out by its own people.
    const office = await signInPage(newSource());
    for (let i = 0; i < LIMITS.perSource + 5; i++) {
      const ok = await office.browser.post(office.form.action, {
        ...office.form.fields,
        email: target.email,
        password: target.password,
      });
      expect(ok.status, `sign-in ${i + 1}`).to.equal(303);
    }
  });

  it('creates at most 20 accounts from 30 simultaneous sign-ups from one address', async () => {
    const { responses, created } = await signUpsAtOnce(server, newSource(), 30, 'mass');
    expect(tally(responses)).to.deep.equal({ 200: 20, 429: 10 });
    expect(created).to.equal(LIMITS.signUpsPerSource);
  });

  it('judges only 10 of 30 simultaneous wrong passwords on the link page', async () => {
    const owner = await accountFor(server, 'linkburst');
    upstreams.google.signInAs({ sub: '7100001', ...verifiedProfile(owner) });
    const { browser, form } = await atLinkPage(server.issuer, c, 'google', {
      localAddress: newSource(),
    });
    comparisons.count = 0;
    const responses = await browser.submitAtOnce(form, 30, (i) => ({
      password: `link guess ${i}`,
    }));
    expect(tally(responses)).to.deep.equal({ 401: 10, 429: 20 });
    expect(comparisons.count).to.equal(LIMITS.perAccount);
    const right = await browser.post(form.action, { ...form.fields, password: owner.password });
    expect(right.status).to.equal(429);
    expect(await server.latchkey.upstreamAccounts.identities(owner.id)).to.deep.equal([]);
  });

  it('judges only 10 of 30 simultaneous wrong current passwords on the account page', async () => {
    const { browser, page } = await signUpOnAccountPage(server.issuer, 'pwburst', {
      localAddress: newSource(),
    });
    const form = formByAction(page, '/account/password');
    comparisons.count = 0;
    const responses = await browser.submitAtOnce(form, 30, (i) => ({
      current_password: `current guess ${i}`,
      new_password: 'a brand new passphrase',
    }));
    expect(tally(responses)).to.deep.equal({ 401: 10, 429: 20 });
    expect(comparisons.count).to.equal(LIMITS.perAccount);
  });
});
