// The pages in a real browser (Debian's Chromium through playwright-core): forms, redirects and
// the CSP together, which an HTTP client cannot judge.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as client from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import {
  cspViolations,
  launchChromium,
  type RelyingPartyServer,
  startRelyingPartyServer,
} from '../support/chromium.ts';
import { mailboxFor } from '../support/mailbox.ts';
import { authorizationUrl, exchangeCode, person, relyingParty } from '../support/oidc.ts';
import { accountFor, startTestServer, type TestServer } from '../support/server.ts';

describe('pages in a real browser', function () {
  this.timeout(60_000);
  let rpServer: RelyingPartyServer;
  let rpOrigin: string;
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    rpServer = await startRelyingPartyServer();
    rpOrigin = rpServer.origin;
    server = await startTestServer({ clients: rpServer.clients });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    rpServer?.close();
  });

  async function newPage(): Promise<{ page: Page; violations: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    return { page, violations: cspViolations(page) };
  }

  const rp = (id: string, secret: string) =>
    relyingParty(server.issuer, { client_id: id, client_secret: secret, redirect_uris: [] });

  /** The link to `path` in the next mail the server sent to `email`. */
  async function mailedLink(email: string, path: string): Promise<string> {
    const mail = await mailboxFor(server.issuer).waitFor(email);
    const link = mail.links.find((l) => new URL(l).pathname === path);
    if (!link) throw new Error(`no ${path} link in the mail to ${email}`);
    return link;
  }

  it('signs up, returns to the app with a code, and breaks no CSP rule on the way', async () => {
    const app = await rp('browser-app', 'browser-app-secret-0123456789abcdef');
    const auth = await authorizationUrl(app, `${rpOrigin}/callback`);
    const { page, violations } = await newPage();
    await page.goto(auth.url.toString());
    expect(await page.textContent('h1')).to.equal('Sign in to Latchkey');

    // The nonce-carrying script ran: the password field has a reveal button.
    expect(await page.locator('button.reveal').count()).to.equal(1);

    await page.click('text=Create an account');
    const who = person('browser');
    await page.fill('#name', who.name);
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForEvent('load'), page.click('button.primary')]);
    expect(await page.textContent('h1')).to.equal('Check your email');

    // The link from the mail, opened in the same browser, confirms and goes back to the app.
    await page.goto(await mailedLink(who.email, '/email/confirm'));
    await Promise.all([page.waitForURL(`${rpOrigin}/callback**`), page.click('button.primary')]);
    expect(await page.textContent('h1')).to.equal('Back at the app');

    const callback = new URL(page.url());
    expect(callback.searchParams.get('state')).to.equal(auth.state);
    const tokens = await exchangeCode(app, callback, auth);
    expect(tokens.claims()?.email).to.equal(who.email);
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('shows the favicon, an SVG the CSP allows', async () => {
    const { page, violations } = await newPage();
    await page.goto(`${server.issuer}/account/signin`);
    const href = (await page.getAttribute('link[rel="icon"]', 'href')) ?? '';
    expect(href).to.equal('/assets/favicon.svg');
    // Loaded as an image, as the browser loads an icon: decoded, and allowed by img-src.
    const width = await page.evaluate(
      `(async () => { const i = new Image(); i.src = ${JSON.stringify(href)}; await i.decode(); return i.naturalWidth; })()`,
    );
    const icon = { width: Number(width) };
    expect(icon.width).to.be.above(0);
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('shows a third-party consent page and returns to the app after Allow', async () => {
    const partner = await rp('partner-app', 'partner-app-secret-0123456789abcdef');
    const auth = await authorizationUrl(partner, `${rpOrigin}/partner/callback`);
    const { page, violations } = await newPage();
    await page.goto(auth.url.toString());
    await page.click('text=Create an account');
    const who = person('consent');
    await page.fill('#name', who.name);
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForEvent('load'), page.click('button.primary')]);
    await page.goto(await mailedLink(who.email, '/email/confirm'));
    await page.click('button.primary');
    await page.waitForSelector('text=Allow access?');
    expect(await page.textContent('ul.scopes')).to.include('See your email address');
    await Promise.all([
      page.waitForURL(`${rpOrigin}/partner/callback**`),
      page.click('button[value="allow"]'),
    ]);
    expect(new URL(page.url()).searchParams.get('code')).to.be.a('string');
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('resets a forgotten password from the sign-in page and returns to the app signed in', async () => {
    const who = await accountFor(server, 'forgot');
    const app = await rp('browser-app', 'browser-app-secret-0123456789abcdef');
    const auth = await authorizationUrl(app, `${rpOrigin}/callback`);
    const { page, violations } = await newPage();
    await page.goto(auth.url.toString());
    await page.fill('#email', who.email);
    await Promise.all([page.waitForEvent('load'), page.click('text=Forgot your password?')]);
    expect(await page.inputValue('#email')).to.equal(who.email);
    await Promise.all([page.waitForEvent('load'), page.click('button.primary')]);
    expect(await page.textContent('h1')).to.equal('Check your email');

    await page.goto(await mailedLink(who.email, '/password/reset'));
    await page.fill('#password', 'a new passphrase from the link');
    await Promise.all([page.waitForURL(`${rpOrigin}/callback**`), page.click('button.primary')]);
    const tokens = await exchangeCode(app, new URL(page.url()), auth);
    expect(tokens.claims()?.sub).to.equal(who.id);
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('signs in with a wrong then a right password, and logs out after confirming', async () => {
    const who = await accountFor(server, 'login');
    const app = await rp('browser-app', 'browser-app-secret-0123456789abcdef');
    const auth = await authorizationUrl(app, `${rpOrigin}/callback`);
    const { page, violations } = await newPage();
    await page.goto(auth.url.toString());
    await page.fill('#email', who.email);
    await page.fill('#password', 'definitely not it');
    await page.click('button.primary');
    expect(await page.textContent('[role="alert"]')).to.include(
      'The email or password is incorrect',
    );
    expect(await page.inputValue('#email')).to.equal(who.email);

    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(`${rpOrigin}/callback**`), page.click('button.primary')]);
    const tokens = await exchangeCode(app, new URL(page.url()), auth);

    const logout = client.buildEndSessionUrl(app, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: `${rpOrigin}/signed-out`,
    });
    await page.goto(logout.toString());
    expect(await page.textContent('h1')).to.equal('Sign out?');
    await Promise.all([
      page.waitForURL(`${rpOrigin}/signed-out**`),
      page.click('button[value="yes"]'),
    ]);
    expect(violations).to.deep.equal([]);

    // Signed out: the next authorization asks for a password again.
    const again = await authorizationUrl(app, `${rpOrigin}/callback`);
    await page.goto(again.url.toString());
    expect(await page.textContent('h1')).to.equal('Sign in to Latchkey');
    await page.context().close();
  });

  it('answers with response_mode=form_post through a self-submitting form the CSP allows', async () => {
    const who = await accountFor(server, 'formpost');
    const app = await rp('browser-app', 'browser-app-secret-0123456789abcdef');
    const auth = await authorizationUrl(app, `${rpOrigin}/callback`, {
      response_mode: 'form_post',
    });
    const { page, violations } = await newPage();
    await page.goto(auth.url.toString());
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(`${rpOrigin}/callback`), page.click('button.primary')]);
    const answer = rpServer.posted.at(-1);
    expect(answer?.get('state')).to.equal(auth.state);
    expect(answer?.get('code')).to.be.a('string');
    expect(answer?.get('iss')).to.equal(server.issuer);
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  /** Signs in on the account page, then moves the sign-in back, as if it was made long ago. */
  async function staleAccountPage(who: { email: string; password: string }) {
    const { page, violations } = await newPage();
    await page.goto(`${server.issuer}/account/signin`);
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(`${server.issuer}/account`), page.click('button.primary')]);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'latchkey.session');
    const session = await server.latchkey.provider.Session.find(cookie?.value ?? '');
    if (!session?.loginTs) throw new Error('no session');
    session.loginTs -= 600;
    await session.persist();
    await page.fill('#current_password', who.password);
    await page.fill('#new_password', 'a passphrase set in the browser');
    await page.click('text=Change password');
    expect(await page.textContent('#reauth')).to.include("Confirm it's you to continue");
    await Promise.all([page.waitForURL(/\/interaction\//), page.click('#reauth a')]);
    expect(await page.textContent('.notice')).to.include("Sign in again to confirm it's you.");
    expect(await page.inputValue('#email')).to.equal(who.email);
    return { page, violations };
  }

  it('asks an old account-page session to sign in again, then changes the password', async () => {
    const who = await accountFor(server, 'reauth');
    const { page, violations } = await staleAccountPage(who);
    await page.fill('#password', who.password);
    await Promise.all([
      page.waitForURL(`${server.issuer}/account#password`),
      page.click('button.primary'),
    ]);
    expect(await page.textContent('.notice')).to.include('You can now change your password.');
    await page.fill('#current_password', who.password);
    await page.fill('#new_password', 'a passphrase set in the browser');
    await page.click('text=Change password');
    expect(await page.textContent('.notice')).to.include('Your password was saved.');
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('shows the other account, changing nothing, when someone else signs in at that prompt', async () => {
    const first = await accountFor(server, 'reauthfirst');
    const second = await accountFor(server, 'reauthsecond');
    const { page, violations } = await staleAccountPage(first);
    await page.fill('#email', second.email);
    await page.fill('#password', second.password);
    // The provider signs the first account out with a self-submitting form, then signs in the second.
    await Promise.all([page.waitForURL(`${server.issuer}/account`), page.click('button.primary')]);
    expect(await page.textContent('.notice')).to.equal(
      `You are now signed in as ${second.email}. Nothing was changed.`,
    );
    expect(await page.textContent('main')).not.to.include(first.email);
    const unchanged = await server.latchkey.accounts.signInWithPassword({
      email: first.email,
      password: first.password,
      source: 'test',
    });
    expect(unchanged.email).to.equal(first.email);
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('signs out from the account page at one click, ending on a page that says so', async () => {
    const who = await accountFor(server, 'signout');
    const { page, violations } = await newPage();
    await page.goto(`${server.issuer}/account/signin`);
    expect(await page.textContent('.lede')).to.equal('to see and manage your Latchkey account');
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(`${server.issuer}/account`), page.click('button.primary')]);
    await Promise.all([
      page.waitForURL(`${server.issuer}/account/signed-out`),
      page.click('text=Sign out'),
    ]);
    expect(await page.textContent('.notice')).to.equal('You are signed out of Latchkey.');
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    const app = await rp('browser-app', 'browser-app-secret-0123456789abcdef');
    const auth = await authorizationUrl(app, `${rpOrigin}/callback`);
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(auth.url.toString());
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).to.be.at.most(360);
    // Every input has a label the screen reader can announce.
    const unlabeled = await page.evaluate(
      "[...document.querySelectorAll('input:not([type=hidden])')].filter((i) => !i.labels.length).length",
    );
    expect(unlabeled).to.equal(0);
    await context.close();
  });
  it('mirrors the sign-in page for Arabic (ui_locales=ar) and switches language without script', async () => {
    const app = await rp('browser-app', 'browser-app-secret-0123456789abcdef');
    const auth = await authorizationUrl(app, `${rpOrigin}/callback`, { ui_locales: 'ar' });
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(auth.url.toString());
    expect(await page.getAttribute('html', 'dir')).to.equal('rtl');
    expect(await page.getAttribute('html', 'lang')).to.equal('ar');
    expect(await page.textContent('h1')).to.equal('تسجيل الدخول إلى Latchkey');
    expect(await page.textContent('button.reveal')).to.equal('إظهار كلمة المرور');

    // Start-aligned things sit on the right: the heading's text, the first language link and
    // the checkbox before its label.
    const box = async (selector: string) => {
      const found = await page.locator(selector).first().boundingBox();
      if (!found) throw new Error(`${selector} is not visible`);
      return found;
    };
    const card = await box('main.card');
    const heading = (await page.evaluate(
      "(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('h1')); const b = r.getBoundingClientRect(); return { left: b.left, right: b.right }; })()",
    )) as { left: number; right: number };
    // Right-aligned: its text ends nearer the card's right edge than it begins from the left one.
    expect(card.x + card.width - heading.right, 'heading text starts on the right').to.be.below(
      heading.left - card.x,
    );
    const nav = await box('nav.languages');
    const first = await box('nav.languages li:first-child a');
    expect(first.x, 'first language link on the right').to.be.above(nav.x + nav.width / 2);
    const checkbox = await box('label.check input');
    const remember = await box('label.check');
    expect(checkbox.x, 'checkbox before its words, on the right').to.be.above(
      remember.x + remember.width / 2,
    );

    const dir = mkdtempSync(path.join(tmpdir(), 'latchkey-rtl-'));
    const shot = path.join(dir, 'sign-in-ar.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).to.be.above(1000);

    // The switcher is a plain link: German, on the same sign-in page (over the app's
    // ui_locales), remembered on the next pages.
    const signIn = new URL(page.url()).pathname;
    await page.click('nav.languages a[hreflang="de"]');
    expect(new URL(page.url()).pathname).to.equal(signIn);
    expect(new URL(page.url()).search).to.equal('');
    expect(await page.getAttribute('html', 'dir')).to.equal('ltr');
    expect(await page.textContent('h1')).to.equal('Bei Latchkey anmelden');
    await page.goto(`${server.issuer}/account`);
    expect(await page.getAttribute('html', 'lang')).to.equal('de');
    expect(await page.textContent('h1')).to.equal('Ihr Latchkey-Konto');
    const english = await box('nav.languages li:first-child a');
    const nav2 = await box('nav.languages');
    expect(english.x, 'left to right again').to.be.below(nav2.x + nav2.width / 2);
    expect(violations).to.deep.equal([]);
    await context.close();
  });
});
