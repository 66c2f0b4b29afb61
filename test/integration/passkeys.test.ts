// Passkeys against the real app with a software authenticator: adding one on the account page,
// signing in with it, a passkey-only sign-up, and every check of the ceremonies (origin, RP ID,
// single-use and short-lived challenges bound to their page, user verification, the counter).
import { expect } from 'chai';
import { DEFAULT_LIMITS } from '../../src/accounts/login-throttle.ts';
import { SoftwareAuthenticator } from '../support/authenticator.ts';
import { type Browser, decodeEntities, formByAction, scrapeForms } from '../support/browser.ts';
import {
  atSignInPage,
  callbackOf,
  confirmByMail,
  exchangeCode,
  person,
  signUpLink,
  signUpOnAccountPage,
} from '../support/oidc.ts';
import {
  accountFor,
  startTestServer,
  TEST_CLIENTS,
  type TestServer,
  useServer,
} from '../support/server.ts';

const client = TEST_CLIENTS.firstParty;
/** Asks for amr and acr in the ID token (the claims request parameter). */
const ASK_AMR = { claims: JSON.stringify({ id_token: { amr: null, acr: null } }) };

/**
 * What the browser's session holds from the login result: amr and acr. (Putting them into ID
 * tokens is the provider configuration's part, tested with it.)
 */
async function signedInWith(server: TestServer, browser: Browser) {
  const cookies = await browser.jar.getCookies(`${server.issuer}/`);
  const sid = cookies.find((c) => c.key === 'latchkey.session')?.value;
  const session = sid ? await server.latchkey.provider.Session.find(sid) : undefined;
  return { amr: session?.amr, acr: session?.acr, accountId: session?.accountId };
}

/** The ceremony options the page carries for its script (the account page, the sign-up page). */
function optionsIn(page: string) {
  const m = /data-options="(\{[^"]*\})"/.exec(page);
  if (!m) throw new Error(`no ceremony options in:\n${page.slice(0, 2000)}`);
  return JSON.parse(decodeEntities(m[1] as string));
}

/** The sign-in page's passkey form and the options its script would fetch. */
async function signInOptions(browser: Browser, login: string) {
  const form = formByAction(login, '/passkey');
  const res = await browser.post(`${form.action}/options`, { csrf: form.fields.csrf as string });
  expect(res.status).to.equal(200);
  expect(res.headers['content-type']).to.match(/application\/json/);
  return { form, options: JSON.parse(res.data) };
}

/** Adds a passkey on the account page, both steps; the page that answers. */
async function addPasskey(browser: Browser, authenticator: SoftwareAuthenticator, name: string) {
  const page = (await browser.get('/account')).data;
  const started = await browser.submit(page, '/account/passkeys/start', { name });
  expect(started.status, started.data.slice(0, 500)).to.equal(200);
  const credential = authenticator.register(optionsIn(started.data));
  return submitCeremony(browser, started.data, '/account/passkeys', credential);
}

/** Posts the created or asserted credential with the form whose action is exactly `action`. */
function submitCeremony(browser: Browser, page: string, action: string, credential: unknown) {
  const form = scrapeForms(page).find((f) => f.action === action);
  if (!form) throw new Error(`no form for ${action} in:\n${page.slice(0, 2000)}`);
  return browser.post(form.action, { ...form.fields, credential: JSON.stringify(credential) });
}

describe('passkeys', () => {
  // Many people sign up from this one address in these tests.
  const server = useServer({ throttleLimits: { ...DEFAULT_LIMITS, signUpsPerSource: 100 } });

  const authenticatorFor = (s: TestServer = server, backupEligible = false) =>
    new SoftwareAuthenticator({ origin: s.issuer, backupEligible });

  /** A person signed up with a password on the account page, holding one passkey. */
  async function withPasskey(label: string, backupEligible = false) {
    const { browser, who } = await signUpOnAccountPage(server.issuer, label);
    const authenticator = authenticatorFor(server, backupEligible);
    const added = await addPasskey(browser, authenticator, 'My laptop');
    expect(added.status, added.data.slice(0, 800)).to.equal(200);
    return { browser, who, authenticator, added: added.data };
  }

  it('adds a named passkey on the account page and lists it with its dates', async () => {
    const { added } = await withPasskey('add');
    expect(added).to.include('The passkey “My laptop” was added.');
    expect(added).to.include('My laptop');
    expect(added).to.include('on one device only');
    expect(added).to.include('not used yet');
    expect(added).to.match(/\/account\/passkeys\/[0-9a-f-]{36}\/rename/);
  });

  it('signs in to an app with a passkey alone: amr hwk, user, mfa and the phishing-resistant acr', async () => {
    const { who, authenticator } = await withPasskey('signin');
    const { rp, browser, auth, login } = await atSignInPage(server.issuer, client, ASK_AMR);
    expect(login).to.include('autocomplete="username webauthn"');
    const { form, options } = await signInOptions(browser, login);
    expect(options.rpId).to.equal('127.0.0.1');
    expect(options.userVerification).to.equal('required');
    const assertion = authenticator.assert(options);
    const done = await browser.follow(
      await browser.post(form.action, { ...form.fields, credential: JSON.stringify(assertion) }),
    );
    const tokens = await exchangeCode(rp, callbackOf(done), auth);
    const claims = tokens.claims();
    expect(claims?.email).to.equal(who.email);
    expect(await signedInWith(server, browser)).to.deep.equal({
      amr: ['hwk', 'user', 'mfa'],
      acr: 'phr',
      accountId: claims?.sub,
    });
    // The account page lists when the passkey was last used.
    const account = await server.latchkey.accounts.findAccountByEmail(who.email);
    const [used] = await server.latchkey.passkeys.list(account?.id as string);
    expect(used?.lastUsedAt).to.be.instanceOf(Date);
  });

  it('passes the second step with a passkey where an app requires two factors after a password', async () => {
    const { who, authenticator } = await withPasskey('second');
    const { rp, browser, auth, login } = await atSignInPage(server.issuer, client, {
      acr_values: 'urn:latchkey:acr:mfa',
    });
    const step = await browser.follow(
      await browser.submit(login, '/login', { email: who.email, password: who.password }),
    );
    const page = step.response.data;
    expect(page).to.include('/second-step/passkey');
    // No two-step sign-in (TOTP) is on: a passkey is the only second factor offered.
    expect(scrapeForms(page).some((f) => f.action.endsWith('/second-step'))).to.equal(false);
    const form = formByAction(page, '/second-step/passkey');
    const res = await browser.post(`${form.action}/options`, { csrf: form.fields.csrf as string });
    const options = JSON.parse(res.data);
    // Only this account's passkeys may answer.
    expect(options.allowCredentials).to.have.length(1);
    const done = await browser.follow(
      await browser.post(form.action, {
        ...form.fields,
        credential: JSON.stringify(authenticator.assert(options)),
      }),
    );
    const tokens = await exchangeCode(rp, callbackOf(done), auth);
    expect(tokens.claims()?.acr).to.equal('phr');
    expect(tokens.claims()?.amr).to.deep.equal(['pwd', 'hwk', 'user', 'mfa']);
  });

  it("refuses another account's passkey at the second step", async () => {
    const first = await withPasskey('mine');
    const other = await withPasskey('theirs');
    const { browser, login } = await atSignInPage(server.issuer, client, {
      acr_values: 'urn:latchkey:acr:mfa',
    });
    const step = await browser.follow(
      await browser.submit(login, '/login', {
        email: first.who.email,
        password: first.who.password,
      }),
    );
    const form = formByAction(step.response.data, '/second-step/passkey');
    const res = await browser.post(`${form.action}/options`, { csrf: form.fields.csrf as string });
    const answer = await browser.post(form.action, {
      ...form.fields,
      // The other account's passkey answers although it was not among those allowed.
      credential: JSON.stringify(other.authenticator.assert(JSON.parse(res.data), {}, 0)),
    });
    expect(answer.status).to.equal(400);
    expect(answer.data).to.include('/second-step/passkey');
  });

  it('reports a synced passkey as swk', async () => {
    const { authenticator } = await withPasskey('synced', true);
    const { rp, browser, auth, login } = await atSignInPage(server.issuer, client, ASK_AMR);
    const { form, options } = await signInOptions(browser, login);
    const done = await browser.follow(
      await browser.post(form.action, {
        ...form.fields,
        credential: JSON.stringify(authenticator.assert(options)),
      }),
    );
    const claims = (await exchangeCode(rp, callbackOf(done), auth)).claims();
    expect(await signedInWith(server, browser)).to.deep.equal({
      amr: ['swk', 'user', 'mfa'],
      acr: 'phr',
      accountId: claims?.sub,
    });
  });

  describe('refuses an assertion that fails a check, with a message on the sign-in page', () => {
    async function attempt(
      authenticator: SoftwareAuthenticator,
      bend: Parameters<SoftwareAuthenticator['assert']>[1] = {},
    ) {
      const { browser, login } = await atSignInPage(server.issuer, client);
      const { form, options } = await signInOptions(browser, login);
      const assertion = authenticator.assert(options, bend);
      return browser.post(form.action, { ...form.fields, credential: JSON.stringify(assertion) });
    }

    it('from another origin', async () => {
      const { authenticator } = await withPasskey('origin');
      const res = await attempt(authenticator, { origin: 'https://evil.example' });
      expect(res.status).to.equal(400);
      expect(res.data).to.include('That passkey could not be accepted.');
      expect(server.logs.some((l) => l.event === 'passkey.refused')).to.equal(true);
    });

    it('for another RP ID', async () => {
      const { authenticator } = await withPasskey('rpid');
      const res = await attempt(authenticator, { rpId: 'evil.example' });
      expect(res.status).to.equal(400);
      expect(res.data).to.include('That passkey could not be accepted.');
    });

    it('without user verification', async () => {
      const { authenticator } = await withPasskey('uv');
      const res = await attempt(authenticator, { userVerified: false });
      expect(res.status).to.equal(400);
      expect(res.data).to.include('That passkey could not be accepted.');
    });

    it('from a passkey no account has', async () => {
      const stranger = authenticatorFor();
      stranger.register({ challenge: 'x', rp: { id: '127.0.0.1' }, user: { id: 'AAAA' } });
      const res = await attempt(stranger);
      expect(res.status).to.equal(400);
      expect(res.data).to.include('That passkey is not registered with any account here.');
    });

    it('for a challenge it was not given', async () => {
      const { authenticator } = await withPasskey('forged');
      const res = await attempt(authenticator, { challenge: 'bm90LWlzc3VlZC1ieS11cw' });
      expect(res.status).to.equal(400);
      expect(res.data).to.include('That passkey request expired or was already used.');
    });
  });

  it('uses a challenge once: a replayed assertion is refused', async () => {
    const { authenticator } = await withPasskey('replay');
    const { browser, login } = await atSignInPage(server.issuer, client);
    const { form, options } = await signInOptions(browser, login);
    const fields = { ...form.fields, credential: JSON.stringify(authenticator.assert(options)) };
    const first = await browser.post(form.action, fields);
    expect(first.status).to.equal(303);
    // Another browser on another sign-in page replays what it captured.
    const other = await atSignInPage(server.issuer, client);
    const otherForm = formByAction(other.login, '/passkey');
    const replayed = await other.browser.post(otherForm.action, {
      ...otherForm.fields,
      credential: fields.credential,
    });
    expect(replayed.status).to.equal(400);
    expect(replayed.data).to.include('That passkey request expired or was already used.');
  });

  it('lets exactly one of many concurrent answers to one challenge through', async () => {
    const { authenticator } = await withPasskey('race');
    const { browser, login } = await atSignInPage(server.issuer, client);
    const { form, options } = await signInOptions(browser, login);
    const credential = JSON.stringify(authenticator.assert(options));
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => browser.post(form.action, { ...form.fields, credential })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 303)).to.have.length(1);
    expect(statuses.filter((s) => s === 400)).to.have.length(7);
  });

  it('binds a challenge to its sign-in page: another interaction cannot use it', async () => {
    const { authenticator } = await withPasskey('bound');
    const first = await atSignInPage(server.issuer, client);
    const { options } = await signInOptions(first.browser, first.login);
    const second = await atSignInPage(server.issuer, client);
    const form = formByAction(second.login, '/passkey');
    const res = await second.browser.post(form.action, {
      ...form.fields,
      credential: JSON.stringify(authenticator.assert(options)),
    });
    expect(res.status).to.equal(400);
    expect(res.data).to.include('That passkey request expired or was already used.');
  });

  it('refuses a cloned authenticator whose counter went backwards, and logs it', async () => {
    const { authenticator } = await withPasskey('clone');
    const clone = authenticator.clone();
    for (const device of [authenticator, authenticator]) {
      const { browser, login } = await atSignInPage(server.issuer, client);
      const { form, options } = await signInOptions(browser, login);
      const ok = await browser.post(form.action, {
        ...form.fields,
        credential: JSON.stringify(device.assert(options)),
      });
      expect(ok.status).to.equal(303);
    }
    const { browser, login } = await atSignInPage(server.issuer, client);
    const { form, options } = await signInOptions(browser, login);
    const res = await browser.post(form.action, {
      ...form.fields,
      credential: JSON.stringify(clone.assert(options)),
    });
    expect(res.status).to.equal(401);
    expect(res.data).to.include('That passkey could not be accepted.');
    const warning = server.logs.find((l) => l.event === 'passkey.counter_regressed');
    expect(warning?.level).to.equal('warn');
  });

  it('accepts a passkey that keeps no counter (always zero)', async () => {
    const { browser: accountBrowser } = await signUpOnAccountPage(server.issuer, 'zero');
    const synced = new SoftwareAuthenticator({
      origin: server.issuer,
      backupEligible: true,
      countsSignatures: false,
    });
    expect((await addPasskey(accountBrowser, synced, 'Phone')).status).to.equal(200);
    for (let i = 0; i < 2; i++) {
      const { browser, login } = await atSignInPage(server.issuer, client);
      const { form, options } = await signInOptions(browser, login);
      const res = await browser.post(form.action, {
        ...form.fields,
        credential: JSON.stringify(synced.assert(options)),
      });
      expect(res.status).to.equal(303);
    }
  });

  it('refuses a registration for another origin or without user verification', async () => {
    const { browser } = await signUpOnAccountPage(server.issuer, 'badreg');
    for (const bend of [
      { origin: 'https://evil.example' },
      { userVerified: false },
      { rpId: 'evil.example' },
    ]) {
      const page = (await browser.get('/account')).data;
      const started = await browser.submit(page, '/account/passkeys/start', { name: 'Key' });
      const credential = authenticatorFor().register(optionsIn(started.data), bend);
      const res = await submitCeremony(browser, started.data, '/account/passkeys', credential);
      expect(res.status).to.equal(400);
      expect(res.data).to.include('That passkey could not be accepted.');
    }
    const account = await server.latchkey.accounts.findAccountByEmail(
      (await browser.get('/account')).data.match(/badreg\.[^<\s]+@example\.com/)?.[0] ?? '',
    );
    expect(await server.latchkey.passkeys.count(account?.id as string)).to.equal(0);
  });

  it('renames a passkey and removes one, but never the last way to sign in', async () => {
    const { browser, who } = await withPasskey('manage');
    let page = (await browser.get('/account')).data;
    page = (await browser.submit(page, '/rename', { name: 'Work laptop' })).data;
    expect(page).to.include('The passkey was renamed.');
    expect(page).to.include('Work laptop');
    const account = await server.latchkey.accounts.findAccountByEmail(who.email);
    const accountId = account?.id as string;
    // Removing the password is not possible here, so take the account to passkey-only directly.
    await server.resources.db.query('UPDATE accounts SET password_hash = NULL WHERE id = $1', [
      accountId,
    ]);
    page = (await browser.get('/account')).data;
    expect(page).to.not.match(/\/account\/passkeys\/[^"]+\/remove/);
    expect(page).to.include('(your only way to sign in)');
    const [only] = await server.latchkey.passkeys.list(accountId);
    const refused = await browser.post(`/account/passkeys/${only?.id}/remove`, {
      csrf: formByAction(page, '/rename').fields.csrf as string,
    });
    expect(refused.status).to.equal(409);
    expect(refused.data).to.include('This is your only way to sign in');
    expect(await server.latchkey.passkeys.count(accountId)).to.equal(1);

    // With a second passkey, either may go; two removals at once still leave one.
    const second = authenticatorFor();
    expect((await addPasskey(browser, second, 'Phone')).status).to.equal(200);
    page = (await browser.get('/account')).data;
    const csrf = formByAction(page, '/rename').fields.csrf as string;
    const ids = (await server.latchkey.passkeys.list(accountId)).map((p) => p.id);
    const both = await Promise.all(
      ids.map((id) => browser.post(`/account/passkeys/${id}/remove`, { csrf })),
    );
    expect(both.map((r) => r.status).sort()).to.deep.equal([200, 409]);
    expect(await server.latchkey.passkeys.count(accountId)).to.equal(1);
  });

  it('needs a recent sign-in to add or remove a passkey', async () => {
    const { browser, who } = await withPasskey('recent');
    const cookies = await browser.jar.getCookies(`${server.issuer}/account`);
    const sid = cookies.find((c) => c.key === 'latchkey.session')?.value as string;
    const session = await server.latchkey.provider.Session.find(sid);
    if (!session?.loginTs) throw new Error('no session');
    session.loginTs -= 3600;
    await session.persist();
    const page = (await browser.get('/account')).data;
    const add = await browser.submit(page, '/account/passkeys/start', { name: 'Late' });
    expect(add.status).to.equal(403);
    expect(add.data).to.include('section=passkeys');
    const remove = await browser.submit(page, '/remove');
    expect(remove.status).to.equal(403);
    const account = await server.latchkey.accounts.findAccountByEmail(who.email);
    expect(await server.latchkey.passkeys.count(account?.id as string)).to.equal(1);
  });

  describe('passkey-only sign-up', () => {
    async function startSignUp(who: { name: string; email: string }) {
      const start = await atSignInPage(server.issuer, client, ASK_AMR);
      const signup = await start.browser.get(signUpLink(start.login));
      const form = formByAction(signup.data, '/signup');
      const page = await start.browser.post(
        form.action.replace(/\/signup$/, '/signup/passkey/start'),
        { ...form.fields, name: who.name, email: who.email },
      );
      return { ...start, page };
    }

    it('creates an account with a passkey and no password that waits for its link, then signs in', async () => {
      const who = person('pkonly');
      const authenticator = authenticatorFor();
      const { rp, browser, auth, page } = await startSignUp(who);
      expect(page.status).to.equal(200);
      expect(page.data).to.include('Create your passkey');
      const options = optionsIn(page.data);
      expect(options.authenticatorSelection.userVerification).to.equal('required');
      expect(options.authenticatorSelection.residentKey).to.equal('required');
      const answer = await submitCeremony(
        browser,
        page.data,
        formByAction(page.data, '/signup/passkey').action,
        authenticator.register(options),
      );
      expect(answer.status).to.equal(200);
      expect(answer.data).to.include('Check your email');
      const waiting = await server.latchkey.accounts.findAccountByEmail(who.email);
      expect(waiting?.signUpPending).to.equal(true);
      expect(waiting?.passwordHash).to.equal(null);

      const done = await confirmByMail(browser, who.email);
      const claims = (await exchangeCode(rp, callbackOf(done), auth)).claims();
      expect(claims?.email).to.equal(who.email);
      expect(claims?.email_verified).to.equal(true);
      // Made at sign-up, not used to sign in: the passkey without the mfa of a verified use.
      expect((await signedInWith(server, browser)).amr).to.deep.equal(['hwk', 'user']);
    });

    it('refuses the passkey until the address is confirmed, and sends the link again', async () => {
      const who = person('pkearly');
      const authenticator = authenticatorFor();
      const { browser, page } = await startSignUp(who);
      await submitCeremony(
        browser,
        page.data,
        formByAction(page.data, '/signup/passkey').action,
        authenticator.register(optionsIn(page.data)),
      );
      await server.mail.waitFor(who.email);
      const early = await atSignInPage(server.issuer, client);
      const { form, options: getOptions } = await signInOptions(early.browser, early.login);
      const refused = await early.browser.post(form.action, {
        ...form.fields,
        credential: JSON.stringify(authenticator.assert(getOptions)),
      });
      expect(refused.status).to.equal(403);
      expect(refused.data).to.include('Your account waits for its confirmation link');

      const again = await server.mail.waitFor(who.email);
      expect(again.links.some((l) => l.includes('/email/confirm'))).to.equal(true);
    });

    it('answers the same for an address that already has an account, and keeps no passkey', async () => {
      const owner = await accountFor(server, 'taken');
      const { browser, page } = await startSignUp({ name: 'Someone', email: owner.email });
      expect(page.status).to.equal(200);
      const answer = await browser.submit(page.data, '/signup/passkey', {
        credential: JSON.stringify(authenticatorFor().register(optionsIn(page.data))),
      });
      expect(answer.status).to.equal(200);
      expect(answer.data).to.include('Check your email');
      expect(await server.latchkey.passkeys.count(owner.id)).to.equal(0);
      const mail = await server.mail.waitFor(owner.email);
      expect(mail.links.some((l) => l.includes('/email/confirm'))).to.equal(false);
    });

    it('checks the name and address first, showing the sign-up form again', async () => {
      const { page } = await startSignUp({ name: '', email: 'not-an-email' });
      expect(page.status).to.equal(400);
      expect(page.data).to.include('Enter your name.');
      expect(page.data).to.include('Enter a valid email address');
    });

    it('refuses a registration answered for another page', async () => {
      const who = person('pkbound');
      const first = await startSignUp(who);
      const second = await startSignUp(person('pkother'));
      const answer = await second.browser.submit(second.page.data, '/signup/passkey', {
        credential: JSON.stringify(authenticatorFor().register(optionsIn(first.page.data))),
      });
      expect(answer.status).to.equal(400);
      expect(await server.latchkey.accounts.findAccountByEmail(who.email)).to.equal(null);
    });
  });
});

describe('passkey challenges expire', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ passkeyChallengeMs: 300 });
  });
  after(async () => {
    await server.stop();
  });

  it('refuses an answer to a challenge older than its lifetime', async () => {
    const { browser } = await signUpOnAccountPage(server.issuer, 'expiry');
    const authenticator = new SoftwareAuthenticator({ origin: server.issuer });
    const page = (await browser.get('/account')).data;
    const started = await browser.submit(page, '/account/passkeys/start', { name: 'Slow' });
    const options = optionsIn(started.data);
    expect(options.timeout).to.equal(300);
    await new Promise((r) => setTimeout(r, 450));
    const res = await submitCeremony(
      browser,
      started.data,
      '/account/passkeys',
      authenticator.register(options),
    );
    expect(res.status).to.equal(400);
    expect(res.data).to.include('That passkey request expired or was already used.');
  });
});
