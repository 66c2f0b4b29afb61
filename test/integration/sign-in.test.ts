// Password sign-in through the HTML form, its refusals, throttling and CSRF defences.
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { AccountEntity } from '../../src/accounts/account.ts';
import { Browser, formByAction } from '../support/browser.ts';
import { atSignInPage, callbackOf, exchangeCode, person } from '../support/oidc.ts';
import { accountFor, TEST_CLIENTS, useServer } from '../support/server.ts';

describe('sign-in', () => {
  const client = TEST_CLIENTS.firstParty;
  const server = useServer({
    env: { BCRYPT_COST: '8' },
    throttleLimits: { perAccount: 3, perSource: 1000, signUpsPerSource: 1000, windowSeconds: 60 },
  });
  let someone: Awaited<ReturnType<typeof accountFor>>;
  before(async () => {
    someone = await accountFor(server, 'signin');
  });

  async function loginPage() {
    const { rp, browser, auth, login: html } = await atSignInPage(server.issuer, client);
    return { rp, browser, auth, html, form: formByAction(html, '/login') };
  }

  it('signs in with the right password and the app receives an id_token for that account', async () => {
    const { rp, browser, auth, form } = await loginPage();
    const res = await browser.post(form.action, {
      ...form.fields,
      email: someone.email.toUpperCase(),
      password: someone.password,
    });
    expect(res.status).to.equal(303);
    const tokens = await exchangeCode(rp, callbackOf(await browser.follow(res)), auth);
    expect(tokens.claims()?.email).to.equal(someone.email);
  });

  it('shows one generic message for a wrong password and for an unknown email', async () => {
    const wrong = await loginPage();
    const a = await wrong.browser.post(wrong.form.action, {
      ...wrong.form.fields,
      email: someone.email,
      password: 'not the password at all',
    });
    const unknown = await loginPage();
    const b = await unknown.browser.post(unknown.form.action, {
      ...unknown.form.fields,
      email: person('nobody').email,
      password: 'not the password at all',
    });
    expect(a.status).to.equal(401);
    expect(b.status).to.equal(401);
    const message = (html: string) => /<div class="alert"[^>]*>([^<]*)<\/div>/.exec(html)?.[1];
    expect(message(a.data)).to.equal(
      'The email or password is incorrect, or the address is not confirmed yet. If you just created your account, follow the link we emailed you first.',
    );
    expect(message(b.data)).to.equal(message(a.data));
    // The email stays filled in; the password never comes back.
    expect(a.data).to.include(`value="${someone.email}"`);
    expect(a.data).not.to.include('not the password at all');
  });

  it('spends bcrypt time on unknown emails too, so timing does not reveal accounts', async () => {
    const timed = async (email: string) => {
      const { browser, form } = await loginPage();
      const started = performance.now();
      const res = await browser.post(form.action, {
        ...form.fields,
        email,
        password: 'wrong password 123',
      });
      expect(res.status).to.equal(401);
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    const known = await accountFor(server, 'timing');
    // One unmeasured round first: a fresh server's first requests pay one-time costs.
    await timed(person('warm-up').email);
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      unknownTimes.push(await timed(person('ghost').email));
      knownTimes.push(await timed(known.email));
    }
    // At cost 8 one bcrypt comparison takes several milliseconds; skipping it would be obvious.
    expect(median(unknownTimes)).to.be.greaterThan(median(knownTimes) * 0.5);
  });

  it('accepts a password however its accents were typed, and upgrades hashes made before that', async () => {
    const composed = 'cr\u00e8me br\u00fbl\u00e9e au four';
    const decomposed = 'cre\u0300me bru\u0302le\u0301e au four';
    const signIn = async (email: string, password: string) => {
      const { browser, form } = await loginPage();
      return (await browser.post(form.action, { ...form.fields, email, password })).status;
    };
    const who = person('accents');
    await server.latchkey.accounts.createAccount({
      email: who.email,
      name: who.name,
      emailVerified: false,
      password: composed,
    });
    expect(await signIn(who.email, decomposed)).to.equal(303);
    expect(await signIn(who.email, composed)).to.equal(303);

    // A hash made from the raw, decomposed form (as before normalisation) still signs in, and is
    // then replaced by one of the normalised form, which every spelling matches.
    const accounts = server.resources.db.getRepository(AccountEntity);
    const legacy = await accountFor(server, 'legacy');
    const legacyHash = await bcrypt.hash(decomposed, 8);
    await accounts.update({ id: legacy.id }, { passwordHash: legacyHash });
    expect(await signIn(legacy.email, decomposed)).to.equal(303);
    const upgraded = (await accounts.findOneBy({ id: legacy.id }))?.passwordHash as string;
    expect(upgraded).not.to.equal(legacyHash);
    expect(await bcrypt.compare(composed, upgraded)).to.equal(true);
    expect(await signIn(legacy.email, composed)).to.equal(303);
  });

  it('asks for both fields when one is missing, with a 400', async () => {
    const { browser, form } = await loginPage();
    const res = await browser.post(form.action, {
      ...form.fields,
      email: someone.email,
      password: '',
    });
    expect(res.status).to.equal(400);
    expect(res.data).to.include('Enter your email and password.');
  });

  it('slows down guessing: after repeated failures the email is locked for a while', async () => {
    const target = await accountFor(server, 'locked');
    for (let i = 0; i < 3; i++) {
      const { browser, form } = await loginPage();
      const res = await browser.post(form.action, {
        ...form.fields,
        email: target.email,
        password: 'guess number one',
      });
      expect(res.status).to.equal(401);
    }
    const { browser, form } = await loginPage();
    const locked = await browser.post(form.action, {
      ...form.fields,
      email: target.email,
      password: target.password,
    });
    expect(locked.status).to.equal(429);
    expect(Number(locked.headers['retry-after'])).to.be.within(1, 60);
    expect(locked.data).to.include('Too many attempts');
  });

  describe('CSRF', () => {
    it('refuses a form posted from another site (Sec-Fetch-Site: cross-site)', async () => {
      const { browser, form } = await loginPage();
      const res = await browser.post(
        form.action,
        { ...form.fields, email: someone.email, password: someone.password },
        { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      );
      expect(res.status).to.equal(403);
      expect(res.data).to.include('another site');
    });

    it('refuses a foreign Origin when the browser sends no Sec-Fetch-Site', async () => {
      const { browser, form } = await loginPage();
      const res = await browser.request('POST', form.action, {
        data: new URLSearchParams({
          ...form.fields,
          email: someone.email,
          password: someone.password,
        }).toString(),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          origin: 'https://evil.example',
        },
      });
      expect(res.status).to.equal(403);
    });

    it('refuses a missing or forged CSRF token even from our own origin', async () => {
      const { browser, form } = await loginPage();
      const missing = await browser.post(form.action, {
        email: someone.email,
        password: someone.password,
      });
      expect(missing.status).to.equal(403);
      const forged = await browser.post(form.action, {
        csrf: Buffer.alloc(32).toString('base64url'),
        email: someone.email,
        password: someone.password,
      });
      expect(forged.status).to.equal(403);
    });

    it("refuses another interaction's token", async () => {
      const first = await loginPage();
      const second = await loginPage();
      const res = await second.browser.post(second.form.action, {
        csrf: first.form.fields.csrf as string,
        email: someone.email,
        password: someone.password,
      });
      expect(res.status).to.equal(403);
    });
  });

  it('shows a friendly page, not a stack, when the interaction cookie is missing or expired', async () => {
    const { form } = await loginPage();
    const stranger = new Browser(server.issuer);
    const page = await stranger.get(form.action.replace(/\/login$/, ''));
    expect(page.status).to.equal(400);
    expect(page.headers['content-type']).to.match(/text\/html/);
    expect(page.data).to.include('This page has expired');
    expect(page.data).to.match(/request id <code>[0-9a-f-]{36}<\/code>/);
    expect(page.data).not.to.match(/at .+\.(js|ts):\d+/);
    const post = await stranger.post(form.action, {
      ...form.fields,
      email: someone.email,
      password: 'x',
    });
    expect(post.status).to.equal(400);
  });

  it('serves every page with the security headers and no-store', async () => {
    const { browser, auth } = await loginPage();
    const res = await browser.get(auth.url.toString());
    const page = await browser.get(res.headers.location as string);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).to.match(/script-src 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(csp).not.to.include('unsafe-inline');
    expect(csp).to.include("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).to.equal('nosniff');
    expect(page.headers['referrer-policy']).to.equal('same-origin');
    expect(page.headers['cache-control']).to.equal('no-store');
    expect(page.headers['x-powered-by']).to.equal(undefined);
    expect(page.headers['permissions-policy']).to.include('camera=()');
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(page.data).to.include(`nonce="${nonce}"`);
    const cookies = (res.headers['set-cookie'] ?? []).join('\n');
    expect(cookies).to.match(/httponly/i);
    expect(cookies).to.match(/samesite=lax/i);
  });
});
