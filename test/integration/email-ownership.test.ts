// Proving who owns an address, by mail read from the test server's own SMTP catcher: confirming a
// sign-up, sending the link again, sign-up with an address that has an account, changing the
// address, and resetting a forgotten password.
import { expect } from 'chai';
import { DEFAULT_LIMITS } from '../../src/accounts/login-throttle.ts';
import { Browser, formByAction } from '../support/browser.ts';
import {
  atSignInPage,
  atSignUpPage,
  callbackOf,
  confirmByMail,
  exchangeCode,
  linkFromMail,
  pageOf,
  person,
  signIn,
  signInAndAuthorize,
  signUpAndAuthorize,
  signUpOnAccountPage,
} from '../support/oidc.ts';
import { accountFor, TEST_CLIENTS, type TestServer, useServer } from '../support/server.ts';
import { atOnce, refresh } from '../support/tokens.ts';

const c = TEST_CLIENTS.firstParty;
const offline = { scope: 'openid email profile offline_access', prompt: 'consent' };

/** The page with what differs between two answers (the address, form tokens, nonces) blanked. */
function shape(html: string, email: string): string {
  return html
    .replaceAll(email, 'EMAIL')
    .replace(/name="csrf" value="[^"]+"/g, 'name="csrf" value="X"')
    .replace(/nonce="[^"]+"/g, 'nonce="X"')
    .replace(/\/interaction\/[A-Za-z0-9_-]+/g, '/interaction/UID')
    .replace(/data-request-id="[^"]+"/g, '');
}

/** Every mail sent so far to `to`, once the queue is empty. */
async function mailsTo(server: TestServer, to: string) {
  await server.latchkey.mailer.idle();
  return server.mail.all().filter((m) => m.to.toLowerCase() === to.toLowerCase());
}

/** Signs up on a fresh request's pages and stops at "Check your email". */
async function signUpAndWait(server: TestServer, who = person('pending')) {
  const start = await atSignUpPage(server.issuer, c);
  const answer = await start.browser.post(start.form.action, { ...start.form.fields, ...who });
  expect(answer.status).to.equal(200);
  expect(answer.data).to.include('Check your email');
  return { ...start, who, answer };
}

/** Opens a confirmation link and presses its button; the answer, unfollowed. */
async function confirm(browser: Browser, link: string) {
  const page = await browser.get(link);
  if (page.status !== 200) return page;
  return browser.submit(page.data, '/email/confirm', {});
}

/** Asks for a reset link from the forgot-password page; the answer. */
async function forgot(browser: Browser, email: string, query = '') {
  const page = await browser.get(`/password/forgot${query}`);
  expect(page.status).to.equal(200);
  return browser.submit(page.data, '/password/forgot', { email });
}

describe('email ownership', () => {
  const server = useServer();

  describe('confirming the address of a sign-up', () => {
    it('keeps the account unusable until the link is followed, answering its password like a wrong one and sending the link again', async () => {
      const { who } = await signUpAndWait(server);
      const [first] = await mailsTo(server, who.email);
      expect(first?.subject).to.match(/confirm/i);
      expect(first?.html).to.include('/email/confirm?token=');

      const { browser, login } = await atSignInPage(server.issuer, c);
      const refused = await signIn(browser, login, who.email, who.password);
      expect(refused.response.status).to.equal(401);
      expect(refused.response.data).to.include('not confirmed yet');
      const wrong = await signIn(browser, login, who.email, 'not the right one at all');
      expect(wrong.response.status).to.equal(401);

      // The right password sent a new link, and the first one stopped working.
      const mails = await mailsTo(server, who.email);
      expect(mails).to.have.length(2);
      const firstLink = first?.links.find((l) => l.includes('/email/confirm')) as string;
      const stale = await browser.get(firstLink);
      expect(stale.status).to.equal(400);
      expect(stale.data).to.include('This link no longer works');
    });

    it('confirms once from another browser without signing that browser in; apps then see email_verified', async () => {
      const { who } = await signUpAndWait(server);
      const elsewhere = new Browser(server.issuer);
      const link = await linkFromMail(elsewhere, who.email, '/email/confirm');

      // Opening the link (as a mail scanner does) changes nothing: a button confirms.
      const opened = await elsewhere.get(link);
      expect(opened.status).to.equal(200);
      const still = await server.latchkey.accounts.findAccountByEmail(who.email);
      expect(still?.signUpPending).to.equal(true);

      const done = await elsewhere.submit(opened.data, '/email/confirm', {});
      expect(done.status).to.equal(200);
      expect(done.data).to.include('Address confirmed');
      const account = await elsewhere.get('/account');
      expect(account.data).to.include('href="/account/signin"');

      const again = await confirm(elsewhere, link);
      expect(again.status).to.equal(400);

      const { rp, tokens } = await signInAndAuthorize(server.issuer, c, who, {
        scope: 'openid email',
      });
      expect(tokens.claims()?.email_verified).to.equal(true);
      const { fetchUserInfo } = await import('openid-client');
      const info = await fetchUserInfo(rp, tokens.access_token, tokens.claims()?.sub as string);
      expect(info.email).to.equal(who.email);
      expect(info.email_verified).to.equal(true);
    });

    it('lets exactly one of many concurrent confirmations of one link through', async () => {
      const { who } = await signUpAndWait(server);
      const link = await linkFromMail(new Browser(server.issuer), who.email, '/email/confirm');
      const browsers = Array.from({ length: 6 }, () => new Browser(server.issuer));
      const pages = await Promise.all(browsers.map((b) => b.get(link)));
      // Every press sent before any answer comes back.
      const answers = await Promise.all(
        browsers.map((b, i) => b.submit(pages[i]?.data ?? '', '/email/confirm', {})),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).to.have.length(1);
      expect(statuses.filter((s) => s === 400)).to.have.length(5);
    });

    it('refuses an expired link with a readable page', async () => {
      const { who } = await signUpAndWait(server);
      const link = await linkFromMail(new Browser(server.issuer), who.email, '/email/confirm');
      await server.resources.db.query(
        "UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE email = $1",
        [who.email],
      );
      const page = await new Browser(server.issuer).get(link);
      expect(page.status).to.equal(400);
      expect(page.data).to.include('This link no longer works');
    });

    it('answers made-up and malformed links with the same readable 400, never a 500', async () => {
      const browser = new Browser(server.issuer);
      for (const token of ['', 'x', 'A'.repeat(43), '%00', 'a'.repeat(5000)]) {
        const page = await browser.get(`/email/confirm?token=${encodeURIComponent(token)}`);
        expect(page.status, token).to.equal(400);
        const reset = await browser.get(`/password/reset?token=${encodeURIComponent(token)}`);
        expect(reset.status, token).to.equal(400);
      }
      const posted = await browser.post('/email/confirm', { token: 'A'.repeat(43) });
      expect(posted.status).to.equal(400);
    });

    it('sends the link again on request, and says the same for an address with nothing to confirm', async () => {
      const { browser, answer, who } = await signUpAndWait(server);
      const resent = await browser.submit(answer.data, '/email/resend', {});
      expect(resent.status).to.equal(200);
      expect(resent.data).to.include('we sent a new link');
      expect(await mailsTo(server, who.email)).to.have.length(2);

      const stranger = `nobody.${Date.now()}@example.com`;
      const form = formByAction(resent.data, '/email/resend');
      const other = await browser.post(form.action, { ...form.fields, email: stranger });
      expect(other.status).to.equal(200);
      expect(shape(other.data, stranger)).to.equal(shape(resent.data, who.email));
      expect(await mailsTo(server, stranger)).to.have.length(0);
    });
  });

  describe('sign-up with an address that already has an account', () => {
    it('answers exactly like a new sign-up and tells the owner instead, leaving the account as it was', async () => {
      const owner = await accountFor(server, 'owner');
      const fresh = await signUpAndWait(server);

      const taken = await atSignUpPage(server.issuer, c);
      const answer = await taken.browser.post(taken.form.action, {
        ...taken.form.fields,
        name: 'Someone Else',
        email: owner.email.toUpperCase(),
        password: 'an attacker chose this one',
      });
      expect(answer.status).to.equal(fresh.answer.status);
      expect(shape(answer.data, owner.email.toUpperCase())).to.equal(
        shape(fresh.answer.data, fresh.who.email),
      );
      expect(Object.keys(answer.headers).sort()).to.deep.equal(
        Object.keys(fresh.answer.headers).sort(),
      );

      const [notice] = await mailsTo(server, owner.email);
      expect(notice?.subject).to.match(/account/i);
      expect(notice?.links.some((l) => l.endsWith('/password/forgot'))).to.equal(true);
      expect(notice?.text).not.to.include('/email/confirm');

      const { tokens } = await signInAndAuthorize(server.issuer, c, owner);
      expect(tokens.claims()?.sub).to.equal(owner.id);
      const { browser, login } = await atSignInPage(server.issuer, c);
      const attacker = await signIn(browser, login, owner.email, 'an attacker chose this one');
      expect(attacker.response.status).to.equal(401);
    });

    it('lets a later sign-up replace one nobody confirmed: the last password counts, earlier links stop working', async () => {
      const who = person('twice');
      const first = await signUpAndWait(server, who);
      const firstLink = await linkFromMail(first.browser, who.email, '/email/confirm');
      const second = await signUpAndWait(server, { ...who, password: 'the second choice wins' });
      expect((await confirm(second.browser, firstLink)).status).to.equal(400);

      const done = await confirmByMail(second.browser, who.email);
      const tokens = await exchangeCode(second.rp, callbackOf(done), second.auth);
      expect(tokens.claims()?.email_verified).to.equal(true);
      const { browser, login } = await atSignInPage(server.issuer, c);
      expect((await signIn(browser, login, who.email, who.password)).response.status).to.equal(401);
    });
  });

  describe('changing the address', () => {
    it('sends a link to the new address, switches only when it is followed, and tells the old one', async () => {
      const { browser, who, page } = await signUpOnAccountPage(server.issuer, 'mover');
      const next = `moved.${Date.now()}@example.net`;
      const asked = await browser.submit(page, '/account/email', { email: next });
      expect(asked.status).to.equal(200);
      expect(asked.data).to.include(`We sent a link to ${next}`);
      expect(asked.data).to.include(`Waiting for you to confirm ${next}`);
      const before = await server.latchkey.accounts.findAccountByEmail(who.email);
      expect(before?.email).to.equal(who.email);

      const link = await linkFromMail(browser, next, '/email/confirm');
      const done = await browser.follow(await confirm(browser, link));
      expect(done.response.data).to.include(`Your email address ${next} is confirmed.`);
      const after = await server.latchkey.accounts.findProfile(before?.id as string);
      expect(after?.email).to.equal(next);
      expect(after?.emailVerified).to.equal(true);

      const told = (await mailsTo(server, who.email)).at(-1);
      expect(told?.text).to.include(next);
      expect(told?.text).not.to.include('/email/confirm');
    });

    it('sends nothing to an address another account uses, with the same answer', async () => {
      const other = await accountFor(server, 'other');
      const { browser, page } = await signUpOnAccountPage(server.issuer, 'curious');
      const asked = await browser.submit(page, '/account/email', { email: other.email });
      expect(asked.status).to.equal(200);
      expect(asked.data).to.include(`We sent a link to ${other.email}`);
      expect(await mailsTo(server, other.email)).to.have.length(0);
    });

    it('refuses an impossible address on the form', async () => {
      const { browser, page } = await signUpOnAccountPage(server.issuer, 'typo');
      const asked = await browser.submit(page, '/account/email', { email: 'not an address' });
      expect(asked.status).to.equal(400);
      expect(asked.data).to.include('aria-invalid="true"');
    });
  });

  describe('a forgotten password', () => {
    it('answers the same for a known and an unknown address, and mails only the known one', async () => {
      const known = await accountFor(server, 'forgetful');
      const unknown = `nobody.${Date.now()}@example.com`;
      const a = await forgot(new Browser(server.issuer), known.email);
      const b = await forgot(new Browser(server.issuer), unknown);
      expect(a.status).to.equal(200);
      expect(b.status).to.equal(200);
      expect(shape(a.data, known.email)).to.equal(shape(b.data, unknown));
      expect(await mailsTo(server, known.email)).to.have.length(1);
      expect(await mailsTo(server, unknown)).to.have.length(0);
    });

    it('sets a new password from the link, ends every session and refresh grant, and signs in here back into the app', async () => {
      const before = await signUpAndAuthorize(server.issuer, c, offline);
      const who = before.person;

      // Another browser starts at an app's sign-in page and follows "Forgot your password?".
      const { rp, browser, auth, login } = await atSignInPage(server.issuer, c);
      const forgotPath = /href="(\/password\/forgot\?[^"]+)"/.exec(login)?.[1] as string;
      expect(forgotPath).to.include('interaction=');
      const asked = await forgot(
        browser,
        who.email,
        forgotPath.replace('/password/forgot', '').replaceAll('&amp;', '&'),
      );
      expect(asked.data).to.include('we sent it a link');

      const link = await linkFromMail(browser, who.email, '/password/reset');
      const form = await browser.get(link);
      expect(form.status).to.equal(200);
      const saved = await browser.follow(
        await browser.submit(form.data, '/password/reset', { password: 'a brand new passphrase' }),
      );
      const tokens = await exchangeCode(rp, callbackOf(saved), auth);
      expect(tokens.claims()?.sub).to.equal(before.tokens.claims()?.sub);

      const old = await refresh(server.issuer, c, before.tokens.refresh_token as string);
      expect(old.data.error).to.equal('invalid_grant');
      const oldBrowser = await before.browser.get('/account');
      expect(oldBrowser.data).to.include('href="/account/signin"');

      const fresh = await atSignInPage(server.issuer, c);
      expect(
        (await signIn(fresh.browser, fresh.login, who.email, who.password)).response.status,
      ).to.equal(401);
      await signInAndAuthorize(server.issuer, c, { ...who, password: 'a brand new passphrase' });

      expect((await browser.get(link)).status).to.equal(400);
    });

    it('without an authorization request to go back to, signs in to the account page', async () => {
      const who = await accountFor(server, 'plain');
      const browser = new Browser(server.issuer);
      await forgot(browser, who.email);
      const link = await linkFromMail(browser, who.email, '/password/reset');
      const form = await browser.get(link);
      const done = await browser.follow(
        await browser.submit(form.data, '/password/reset', { password: 'a fresh new passphrase' }),
      );
      expect(pageOf(done)).to.include(who.email);
      expect(pageOf(done)).not.to.include('href="/account/signin"');
    });

    it('refuses a common password on the reset form and keeps the link usable', async () => {
      const who = await accountFor(server, 'weakling');
      const browser = new Browser(server.issuer);
      await forgot(browser, who.email);
      const link = await linkFromMail(browser, who.email, '/password/reset');
      const form = await browser.get(link);
      const refused = await browser.submit(form.data, '/password/reset', {
        password: 'passwordpassword',
      });
      expect(refused.status).to.equal(400);
      expect(refused.data).to.include('commonly used passwords');
      expect((await browser.get(link)).status).to.equal(200);
    });

    it('makes a link stop working once a newer one is asked for, the password is changed, or it expires', async () => {
      const who = await accountFor(server, 'links');
      const browser = new Browser(server.issuer);
      await forgot(browser, who.email);
      const first = await linkFromMail(browser, who.email, '/password/reset');
      await forgot(browser, who.email);
      const second = await linkFromMail(browser, who.email, '/password/reset');
      expect((await browser.get(first)).status).to.equal(400);
      expect((await browser.get(second)).status).to.equal(200);

      await server.latchkey.accounts.setPassword(who.id, 'changed by its owner meanwhile');
      expect((await browser.get(second)).status).to.equal(400);

      await forgot(browser, who.email);
      const third = await linkFromMail(browser, who.email, '/password/reset');
      await server.resources.db.query(
        "UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE account_id = $1",
        [who.id],
      );
      expect((await browser.get(third)).status).to.equal(400);
    });

    it('lets exactly one of many concurrent uses of one link set its password', async () => {
      const who = await accountFor(server, 'race');
      const first = new Browser(server.issuer);
      await forgot(first, who.email);
      const link = await linkFromMail(first, who.email, '/password/reset');
      const browsers = Array.from({ length: 5 }, () => new Browser(server.issuer));
      const forms = await Promise.all(browsers.map((b) => b.get(link)));
      const passwords = browsers.map((_, i) => `concurrent passphrase number ${i}`);
      const answers = await Promise.all(
        browsers.map((b, i) =>
          b.submit(forms[i]?.data ?? '', '/password/reset', { password: passwords[i] as string }),
        ),
      );
      const winners = answers.flatMap((a, i) => (a.status === 303 ? [i] : []));
      expect(winners).to.have.length(1);
      expect(answers.filter((a) => a.status === 400)).to.have.length(4);
      const winner = passwords[winners[0] as number] as string;
      await signInAndAuthorize(server.issuer, c, { email: who.email, password: winner });
    });

    it('completes a sign-up nobody confirmed: the link proves the address', async () => {
      const { who } = await signUpAndWait(server, person('resetpending'));
      const browser = new Browser(server.issuer);
      await linkFromMail(browser, who.email, '/email/confirm');
      await forgot(browser, who.email);
      const link = await linkFromMail(browser, who.email, '/password/reset');
      const form = await browser.get(link);
      await browser.submit(form.data, '/password/reset', { password: 'proved by the mailbox' });
      const account = await server.latchkey.accounts.findAccountByEmail(who.email);
      expect(account?.signUpPending).to.equal(false);
      expect(account?.emailVerified).to.equal(true);
    });

    it('gives a first password only to an upstream-only account whose address is verified', async () => {
      const unverified = await server.latchkey.accounts.createAccount({
        email: `upstream.${Date.now()}@example.com`,
        emailVerified: false,
        name: 'Upstream Only',
      });
      await forgot(new Browser(server.issuer), unverified.email as string);
      expect(await mailsTo(server, unverified.email as string)).to.have.length(0);

      const verified = await server.latchkey.accounts.createAccount({
        email: `upstream.v.${Date.now()}@example.com`,
        emailVerified: true,
        name: 'Upstream Verified',
      });
      const browser = new Browser(server.issuer);
      await forgot(browser, verified.email as string);
      const link = await linkFromMail(browser, verified.email as string, '/password/reset');
      const form = await browser.get(link);
      await browser.submit(form.data, '/password/reset', { password: 'a first password here' });
      await signInAndAuthorize(server.issuer, c, {
        email: verified.email as string,
        password: 'a first password here',
      });
    });
  });
});

describe('mail limits', () => {
  const server = useServer({
    throttleLimits: { ...DEFAULT_LIMITS, mailsPerAddress: 3, linkRequestsPerSource: 5 },
  });

  it('counts every mail about an address, known or not, and refuses past the hourly limit with 429', async () => {
    const who = await accountFor(server, 'limited');
    const unknown = `nobody.${Date.now()}@example.com`;
    // From two sources, so only the per-address count is reached.
    for (const [email, localAddress] of [
      [who.email, '127.0.0.31'],
      [unknown, '127.0.0.32'],
    ] as const) {
      const answers = await atOnce(5, () =>
        forgot(new Browser(server.issuer, { localAddress }), email),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, email).to.deep.equal([200, 200, 200, 429, 429]);
      expect(answers.find((a) => a.status === 429)?.headers['retry-after']).to.match(/^\d+$/);
    }
    expect(await mailsTo(server, who.email)).to.have.length(3);
  });

  it('limits sending the confirmation link again like any other mail about the address', async () => {
    const start = await atSignUpPage(server.issuer, c, {}, { localAddress: '127.0.0.41' });
    const who = person('resend');
    const answer = await start.browser.post(start.form.action, { ...start.form.fields, ...who });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await start.browser.submit(answer.data, '/email/resend', {})).status);
    }
    // The sign-up's own mail and two more fill the hour's three.
    expect(statuses).to.deep.equal([200, 200, 429]);
    expect(await mailsTo(server, who.email)).to.have.length(3);
  });

  it('counts link requests per source across addresses', async () => {
    const browser = new Browser(server.issuer, { localAddress: '127.0.0.23' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await forgot(browser, `source.${i}.${Date.now()}@example.com`)).status);
    }
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200, 429, 429]);
  });
});
