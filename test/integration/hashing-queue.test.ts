// Password hashing cannot be queued forever: beyond BCRYPT_QUEUE_LIMIT waiting checks, a request
// gets 503 with Retry-After at once, and the server stays healthy for the next person.
import type { AxiosResponse } from 'axios';
import { expect } from 'chai';
import { formByAction } from '../support/browser.ts';
import { atSignInPage, person } from '../support/oidc.ts';
import { accountFor, TEST_CLIENTS, useServer } from '../support/server.ts';
import { tally } from '../support/tally.ts';

const LIMITS = { perAccount: 8, perSource: 10_000, signUpsPerSource: 10_000, windowSeconds: 60 };

describe('the password hashing queue', () => {
  const c = TEST_CLIENTS.firstParty;

  // Cost 10 (tens of milliseconds per check) and a queue of 2: a burst of 40 cannot all wait.
  const server = useServer({
    env: { BCRYPT_COST: '10', BCRYPT_QUEUE_LIMIT: '2' },
    throttleLimits: LIMITS,
  });

  async function signInPage() {
    const { browser, login: html } = await atSignInPage(server.issuer, c);
    return { browser, form: formByAction(html, '/login') };
  }

  it('answers a burst larger than the queue with 503 pages at once, never a hang', async () => {
    const { browser, form } = await signInPage();
    const started = performance.now();
    const responses = await browser.submitAtOnce(form, 40, () => ({
      email: person('junk').email,
      password: 'junk password guess',
    }));
    const elapsed = performance.now() - started;
    const counts = tally(responses);
    expect(Object.keys(counts).sort()).to.deep.equal(['401', '503']);
    expect(counts[503]).to.be.at.least(20);
    // At most the running two and the queue of two per bcrypt time ever waited.
    expect(elapsed).to.be.below(10_000);
    const busy = responses.find((r) => r.status === 503) as AxiosResponse<string>;
    expect(Number(busy.headers['retry-after'])).to.be.within(1, 10);
    expect(busy.headers['content-type']).to.match(/text\/html/);
    expect(busy.data).to.include('Too many sign-ins are being checked at this moment.');
    expect(busy.data).to.match(/request id <code>[0-9a-f-]{36}<\/code>/);
    const events = server.logs.filter((l) => l.event === 'password_hashing.busy');
    expect(events).to.have.length(counts[503] as number);
    expect(events[0]).to.include({ level: 'warn', status: 503 });
    expect(events[0]).to.have.property('reqId');
  });

  it('answers JSON when JSON is asked for', async () => {
    const { browser, form } = await signInPage();
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        browser.post(
          form.action,
          { ...form.fields, email: person('json').email, password: 'junk password guess' },
          { accept: 'application/json' },
        ),
      ),
    );
    const busy = responses.find((r) => r.status === 503) as AxiosResponse<string>;
    expect(busy, 'some request was refused').not.to.equal(undefined);
    expect(busy.headers['content-type']).to.match(/application\/json/);
    expect(JSON.parse(busy.data)).to.include({ error: 'temporarily_unavailable' });
    expect(busy.headers['retry-after']).to.match(/^\d+$/);
  });

  it('does not count a refused check against the email, and a normal sign-in then succeeds', async () => {
    const target = await accountFor(server, 'afterburst');
    const { browser, form } = await signInPage();
    const guesses = await browser.submitAtOnce(form, 20, () => ({
      email: target.email,
      password: 'a wrong guess here',
    }));
    // The per-email limit (8) admits eight; those the queue turned away are given back.
    const judged = tally(guesses)[401] ?? 0;
    expect(judged).to.be.within(1, LIMITS.perAccount);
    expect(tally(guesses)[503] ?? 0).to.be.at.least(1);
    expect((await browser.get('/readyz')).status).to.equal(200);
    const right = await browser.post(form.action, {
      ...form.fields,
      email: target.email,
      password: target.password,
    });
    expect(right.status).to.equal(303);
  });
});
