// Every page Latchkey shows, in every state worth checking, reached the way a person reaches it.
// test/browser/accessibility.test.ts checks each one; a new page or state is one line in PAGE_STATES.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { SoftwareAuthenticator } from '../support/authenticator.ts';
import { Browser } from '../support/browser.ts';
import { FIRST_PARTY, THIRD_PARTY } from '../support/chromium.ts';
import { startDevice } from '../support/device.ts';
import { mailboxFor } from '../support/mailbox.ts';
import { authorizationUrl, pageOf, person, relyingParty, signIn } from '../support/oidc.ts';
import { accountFor, type TestServer } from '../support/server.ts';
import { totpCode } from '../support/totp.ts';
import type { Upstreams } from '../support/upstreams.ts';

const PASSWORD_FORM = 'form[action="/account/password"] button[type="submit"]';
const TOTP_FORM = 'form[action="/account/two-step/confirm"] button[type="submit"]';

/** The ways to a page: a relying party's sign-in, the account page, an upstream, an old session. */
export class Journeys {
  readonly #server: TestServer;
  readonly #upstreams: Upstreams;
  readonly #rpOrigin: string;
  #count = 0;

  constructor(server: TestServer, upstreams: Upstreams, rpOrigin: string) {
    this.#server = server;
    this.#upstreams = upstreams;
    this.#rpOrigin = rpOrigin;
  }

  get issuer(): string {
    return this.#server.issuer;
  }

  /** The sign-in page of a fresh authorization request from the first-party (or partner) app. */
  async signIn(page: Page, app = FIRST_PARTY, params: Record<string, string> = {}): Promise<void> {
    const rp = await relyingParty(this.issuer, { ...app, redirect_uris: [] });
    const path = app === FIRST_PARTY ? 'callback' : 'partner/callback';
    const auth = await authorizationUrl(rp, `${this.#rpOrigin}/${path}`, params);
    await page.goto(auth.url.toString());
    await page.waitForSelector('form[action$="/login"]');
  }

  async submit(page: Page, fields: Record<string, string>, button = 'button.primary') {
    for (const [id, value] of Object.entries(fields)) await page.fill(`#${id}`, value);
    await Promise.all([page.waitForEvent('load'), page.click(button)]);
  }

  async signUpPage(page: Page): Promise<void> {
    await this.signIn(page);
    await Promise.all([page.waitForURL(/\/signup$/), page.click('a[href$="/signup"]')]);
  }

  /** The sign-up form of `app` sent: the "Check your email" page; the person who signed up. */
  async signedUp(page: Page, app = FIRST_PARTY) {
    await this.signIn(page, app);
    await Promise.all([page.waitForURL(/\/signup$/), page.click('a[href$="/signup"]')]);
    const who = person(`a11y${++this.#count}`);
    await this.submit(page, { name: who.name, email: who.email, password: who.password });
    return who;
  }

  /** The link to `path` in the next mail to `email`. */
  async mailedLink(email: string, path: string): Promise<string> {
    const mail = await mailboxFor(this.issuer).waitFor(email);
    const link = mail.links.find((l) => new URL(l).pathname === path);
    if (!link) throw new Error(`no ${path} link in the mail to ${email}`);
    return link;
  }

  /** The confirmation link of a new sign-up, opened in the same browser: its button page. */
  async confirmPage(page: Page, app = FIRST_PARTY) {
    const who = await this.signedUp(page, app);
    await page.goto(await this.mailedLink(who.email, '/email/confirm'));
    await page.waitForSelector('form[action="/email/confirm"]');
  }

  /** A new account through the sign-up page of `app` and its mailed link; ends wherever the app is sent next. */
  async signUp(page: Page, app = FIRST_PARTY): Promise<void> {
    await this.confirmPage(page, app);
    await Promise.all([page.waitForEvent('load'), page.click('button.primary')]);
  }

  /** "Forgot your password?" from an app's sign-in page. */
  async forgotPage(page: Page): Promise<void> {
    await this.signIn(page);
    await Promise.all([
      page.waitForURL(/\/password\/forgot/),
      page.click('a[href*="/password/forgot"]'),
    ]);
  }

  /** The reset link of an existing account, opened: the new-password form. */
  async resetPage(page: Page): Promise<void> {
    const who = await accountFor(this.#server, `a11yreset${++this.#count}`);
    const browser = new Browser(this.issuer);
    const form = await browser.get('/password/forgot');
    await browser.submit(form.data, '/password/forgot', { email: who.email });
    await page.goto(await this.mailedLink(who.email, '/password/reset'));
    await page.waitForSelector('form[action="/password/reset"]');
  }

  /** The link page: Google vouches for the email of an account that has a password. */
  async linkPage(page: Page) {
    const who = await accountFor(this.#server, `a11ylink${++this.#count}`);
    this.#upstreams.google.signInAs({
      sub: `a11y-${who.id}`,
      name: who.name,
      email: who.email,
      emailVerified: true,
    });
    await this.signIn(page);
    await Promise.all([
      page.waitForSelector('form[action$="/link"]'),
      page.click('form[action$="/federated/google"] button'),
    ]);
    return who;
  }

  /** The account page, signed in with a password (a fresh account unless one is given). */
  async account(page: Page, who?: { email: string; password: string }) {
    const account = who ?? (await accountFor(this.#server, `a11yacct${++this.#count}`));
    await page.goto(`${this.issuer}/account/signin`);
    await page.waitForSelector('form[action$="/login"]');
    await Promise.all([
      page.waitForURL(`${this.issuer}/account`),
      this.submit(page, { email: account.email, password: account.password }),
    ]);
    return account;
  }

  /** The account page of an account holding a passkey (made with a software authenticator). */
  async accountWithPasskey(page: Page): Promise<void> {
    const who = await accountFor(this.#server, `a11ypasskey${++this.#count}`);
    const passkeys = this.#server.latchkey.passkeys;
    const authenticator = new SoftwareAuthenticator({ origin: this.issuer });
    const options = await passkeys.addOptions(who.id, 'set-up', 'Work laptop');
    await passkeys.add(who.id, 'set-up', JSON.stringify(authenticator.register(options)));
    await this.account(page, who);
  }

  /** The sign-up page's passkey step: name and address typed, the passkey not created yet. */
  async passkeySignUp(page: Page): Promise<void> {
    await this.signUpPage(page);
    const who = person(`a11ypk${++this.#count}`);
    await this.submit(
      page,
      { name: who.name, email: who.email },
      'button[formaction$="/signup/passkey/start"]',
    );
    await page.waitForSelector('form[data-passkey-create]');
  }

  /** The account page with its current password typed in, right or wrong. */
  async accountWithPassword(page: Page, which: 'right' | 'wrong'): Promise<void> {
    const who = await this.account(page);
    await page.fill('#current_password', which === 'right' ? who.password : 'not my password');
  }

  /** The account page of an account with a password and a linked Google sign-in. */
  async linkedAccount(page: Page): Promise<void> {
    const who = await this.linkPage(page);
    await Promise.all([
      page.waitForURL(`${this.#rpOrigin}/callback**`),
      this.submit(page, { password: who.password }),
    ]);
    await page.goto(`${this.issuer}/account`);
  }

  /** The account page of an account made by signing in with Google: no password yet. */
  async upstreamOnlyAccount(page: Page): Promise<void> {
    this.#upstreams.google.signInAs({
      sub: `a11y-google-${++this.#count}`,
      name: 'Google Person',
      email: person(`a11ygoogle${this.#count}`).email,
      emailVerified: true,
    });
    await this.signIn(page);
    await Promise.all([
      page.waitForURL(`${this.#rpOrigin}/callback**`),
      page.click('form[action$="/federated/google"] button'),
    ]);
    await page.goto(`${this.issuer}/account`);
  }

  /** The account page after a change was refused because the sign-in is too old. */
  async reauthRequired(page: Page): Promise<void> {
    const who = await this.account(page);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'latchkey.session');
    const session = await this.#server.latchkey.provider.Session.find(cookie?.value ?? '');
    if (!session?.loginTs) throw new Error('no session');
    session.loginTs -= 600;
    await session.persist();
    await this.submit(
      page,
      { current_password: who.password, new_password: 'a passphrase set in the browser' },
      PASSWORD_FORM,
    );
    expect(await page.locator('#reauth').count()).to.equal(1);
  }

  /** The device code page of a signed-in browser, filled in from verification_uri_complete. */
  async deviceCode(page: Page, filled = false): Promise<void> {
    const device = filled ? await startDevice(this.issuer) : undefined;
    await this.account(page);
    await page.goto(device ? device.verification_uri_complete : `${this.issuer}/device`);
    await page.waitForSelector('#user_code');
  }

  /** The confirm page of a device that just asked for a code. */
  async deviceConfirm(page: Page): Promise<void> {
    await this.deviceCode(page, true);
    await this.submit(page, {});
    await page.waitForSelector('button[name="confirm"]');
  }

  /** The account page of someone also signed in with a second browser ("Your devices" lists both). */
  async accountOnTwoDevices(page: Page): Promise<void> {
    const who = await this.account(page);
    const other = new Browser(this.issuer, {
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
    });
    const login = pageOf(await other.follow(await other.get('/account/signin')));
    await signIn(other, login, who.email, who.password);
    await page.reload();
    expect(await page.locator('.devices li').count()).to.equal(2);
  }

  /** The account page of someone who allowed the third-party app ("Apps you've allowed"). */
  async accountWithAllowedApp(page: Page): Promise<void> {
    const who = await accountFor(this.#server, `a11yapps${++this.#count}`);
    await this.#server.latchkey.consents.remember(who.id, THIRD_PARTY.client_id, {
      scope: 'openid email profile',
      claims: [],
      resourceScopes: {},
    });
    await this.account(page, who);
    expect(await page.locator('.apps > li').count()).to.equal(1);
  }

  /** The second step of an account with two-step sign-in on, right after its password. */
  async secondStep(page: Page): Promise<void> {
    const who = await accountFor(this.#server, `a11ytotp${++this.#count}`);
    const factors = this.#server.latchkey.factors;
    const { secret } = await factors.startTotp(who.id, who.email);
    await factors.confirmTotp(who.id, totpCode(secret), 'a11y');
    await this.signIn(page);
    await this.submit(page, { email: who.email, password: who.password });
    await page.waitForSelector('form[action$="/second-step"]');
  }

  /** Asked to set a second factor up: the app asks for two (acr_values), the account has none. */
  async secondStepSetup(page: Page): Promise<void> {
    const who = await accountFor(this.#server, `a11ysetup${++this.#count}`);
    await this.signIn(page, FIRST_PARTY, { acr_values: 'urn:latchkey:acr:mfa' });
    await this.submit(page, { email: who.email, password: who.password });
    await page.waitForSelector('form[action$="/second-step/setup"]');
  }

  /** The secret a setup shows as text, typed into an authenticator app: its current code. */
  async #codeOnPage(page: Page): Promise<string> {
    const secret = (await page.textContent('#totp-secret')) ?? '';
    return totpCode(secret.replace(/\s/g, ''));
  }

  /** The recovery codes shown once after setting up during a sign-in. */
  async recoveryCodesPage(page: Page): Promise<void> {
    await this.secondStepSetup(page);
    await this.submit(page, { code: await this.#codeOnPage(page) });
    await page.waitForSelector('form[action$="/second-step/continue"]');
  }

  /** The account page with a two-step setup waiting for its first code. */
  async accountEnrolling(page: Page): Promise<void> {
    await this.account(page);
    await Promise.all([
      page.waitForEvent('load'),
      page.click('form[action="/account/two-step/start"] button'),
    ]);
    await page.waitForSelector('#totp_code');
  }

  /** The account page right after two-step sign-in was turned on: the recovery codes, once. */
  async accountTwoStepOn(page: Page): Promise<void> {
    await this.accountEnrolling(page);
    await this.submit(page, { totp_code: await this.#codeOnPage(page) }, TOTP_FORM);
    await page.waitForSelector('ul.recovery-codes');
  }

  /** The provider's "Sign out?" page for a signed-in browser. */
  async logout(page: Page): Promise<void> {
    await this.account(page);
    await page.goto(`${this.issuer}/logout`);
    await page.waitForSelector('button[value="yes"]');
  }
}

export interface PageState {
  page: string;
  state: string;
  /** Brings a fresh page to this state (or to the form that `submit` then sends). */
  open(page: Page, go: Journeys): Promise<unknown>;
  /** Fills these fields on the opened page and presses its primary (or `button`) button. */
  submit?: Record<string, string>;
  button?: string;
  /**
   * The state shows an error, which must be in a role="alert"; a form shown again with its errors
   * also moves the focus to them, so a screen reader reads them first.
   */
  error?: 'page' | 'form';
}

const NEW_PASSWORD = 'a brand new passphrase';

/** One line per page and state; the checks run on each in both colour schemes and widths. */
// biome-ignore format: a table reads best with one state per line
export const PAGE_STATES: readonly PageState[] = [
  { page: 'sign-in', state: 'empty', open: (p, go) => go.signIn(p) },
  { page: 'sign-in', state: 'wrong password', error: 'form', open: (p, go) => go.signIn(p), submit: { email: 'nobody@example.test', password: 'definitely not it' } },
  { page: 'sign-in', state: 'nothing entered', error: 'form', open: (p, go) => go.signIn(p), submit: {} },
  { page: 'sign-up', state: 'empty', open: (p, go) => go.signUpPage(p) },
  { page: 'sign-up', state: 'field errors', error: 'form', open: (p, go) => go.signUpPage(p), submit: { name: '', email: 'not an email', password: 'short' } },
  { page: 'check your email', state: 'after sign-up', open: (p, go) => go.signedUp(p) },
  { page: 'confirm address', state: 'link opened', open: (p, go) => go.confirmPage(p) },
  { page: 'confirm address', state: 'link no longer valid', error: 'page', open: (p, go) => p.goto(`${go.issuer}/email/confirm?token=${'A'.repeat(43)}`) },
  { page: 'forgot password', state: 'empty', open: (p, go) => go.forgotPage(p) },
  { page: 'forgot password', state: 'impossible address', error: 'form', open: (p, go) => go.forgotPage(p), submit: { email: 'not an address' } },
  { page: 'check your email', state: 'reset asked', open: (p, go) => go.forgotPage(p), submit: { email: 'someone@example.test' } },
  { page: 'reset password', state: 'form', open: (p, go) => go.resetPage(p) },
  { page: 'reset password', state: 'common password', error: 'form', open: (p, go) => go.resetPage(p), submit: { password: 'passwordpassword' } },
  { page: 'reset password', state: 'link no longer valid', error: 'page', open: (p, go) => p.goto(`${go.issuer}/password/reset?token=${'A'.repeat(43)}`) },
  { page: 'consent', state: 'third-party app', open: (p, go) => go.signUp(p, THIRD_PARTY) },
  { page: 'link your account', state: 'empty', open: (p, go) => go.linkPage(p) },
  { page: 'link your account', state: 'wrong password', error: 'form', open: (p, go) => go.linkPage(p), submit: { password: 'not the right one' } },
  { page: 'account', state: 'signed out', open: (p, go) => p.goto(`${go.issuer}/account`) },
  { page: 'account', state: 'password only', open: (p, go) => go.account(p) },
  { page: 'account', state: 'linked upstream', open: (p, go) => go.linkedAccount(p) },
  { page: 'account', state: 'upstream only', open: (p, go) => go.upstreamOnlyAccount(p) },
  { page: 'account', state: 'password saved notice', open: (p, go) => go.accountWithPassword(p, 'right'), submit: { new_password: NEW_PASSWORD }, button: PASSWORD_FORM },
  { page: 'account', state: 'wrong current password', error: 'form', open: (p, go) => go.accountWithPassword(p, 'wrong'), submit: { new_password: NEW_PASSWORD }, button: PASSWORD_FORM },
  { page: 'account', state: 'sign in again', error: 'form', open: (p, go) => go.reauthRequired(p) },
  { page: 'account', state: 'profile refused', error: 'form', open: (p, go) => go.account(p), submit: { picture: 'http://pictures.example/me.png' }, button: 'form[action="/account/profile"] button[type="submit"]' },
  { page: 'sign-up', state: 'create a passkey', open: (p, go) => go.passkeySignUp(p) },
  { page: 'account', state: 'with a passkey', open: (p, go) => go.accountWithPasskey(p) },
  { page: 'account', state: 'adding a passkey', open: (p, go) => go.account(p), submit: { passkey_name: 'This browser' }, button: 'form[action="/account/passkeys/start"] button[type="submit"]' },
  { page: 'account', state: 'passkey name missing', error: 'form', open: (p, go) => go.account(p), submit: { passkey_name: '' }, button: 'form[action="/account/passkeys/start"] button[type="submit"]' },
  { page: 'account', state: 'passkey renamed', open: (p, go) => go.accountWithPasskey(p), submit: {}, button: 'form[action$="/rename"] button' },
  { page: 'account', state: 'two devices', open: (p, go) => go.accountOnTwoDevices(p) },
  { page: 'account', state: 'signed out everywhere else', open: (p, go) => go.accountOnTwoDevices(p), submit: {}, button: 'form[action="/account/devices/others/sign-out"] button' },
  { page: 'account', state: 'an allowed app', open: (p, go) => go.accountWithAllowedApp(p) },
  { page: 'account', state: 'app access removed', open: (p, go) => go.accountWithAllowedApp(p), submit: {}, button: 'form[action^="/account/apps/"] button' },
  { page: 'second step', state: 'code asked', open: (p, go) => go.secondStep(p) },
  { page: 'second step', state: 'wrong code', error: 'form', open: (p, go) => go.secondStep(p), submit: { code: '000000' } },
  { page: 'second step setup', state: 'app asks for two factors', open: (p, go) => go.secondStepSetup(p) },
  { page: 'second step setup', state: 'wrong code', error: 'form', open: (p, go) => go.secondStepSetup(p), submit: { code: '000000' } },
  { page: 'recovery codes', state: 'after setting up', open: (p, go) => go.recoveryCodesPage(p) },
  { page: 'account', state: 'two-step setup started', open: (p, go) => go.accountEnrolling(p) },
  { page: 'account', state: 'two-step code refused', error: 'form', open: (p, go) => go.accountEnrolling(p), submit: { totp_code: '000000' }, button: TOTP_FORM },
  { page: 'account', state: 'two-step on, recovery codes shown', open: (p, go) => go.accountTwoStepOn(p) },
  { page: 'sign-in', state: 'Arabic, right to left', open: async (p, go) => { await go.signIn(p); await Promise.all([p.waitForEvent('load'), p.click('nav.languages a[hreflang="ar"]')]); } },
  { page: 'logout', state: 'confirmation', open: (p, go) => go.logout(p) },
  { page: 'signed out', state: 'no application', open: (p, go) => go.logout(p), submit: {}, button: 'button[value="yes"]' },
  { page: 'signed out', state: 'from the account page', open: async (p, go) => { await go.account(p); await Promise.all([p.waitForURL('**/account/signed-out'), p.click('p.signout a')]); } },
  { page: 'device code', state: 'empty', open: (p, go) => go.deviceCode(p) },
  { page: 'device code', state: 'wrong code', error: 'form', open: (p, go) => go.deviceCode(p), submit: { user_code: 'BBBB-BBBB' } },
  { page: 'device confirm', state: 'TV asking', open: (p, go) => go.deviceConfirm(p) },
  { page: 'device done', state: 'signed in', open: (p, go) => go.deviceConfirm(p), submit: {}, button: 'button[name="confirm"]' },
  { page: 'device done', state: "this wasn't me", open: (p, go) => go.deviceConfirm(p), submit: {}, button: 'button[name="abort"]' },
  { page: 'error', state: '404', error: 'page', open: (p, go) => p.goto(`${go.issuer}/no-such-page`) },
  { page: 'error', state: 'expired interaction', error: 'page', open: (p, go) => p.goto(`${go.issuer}/interaction/no-such-interaction`) },
  { page: 'error', state: 'unknown application', error: 'page', open: (p, go) => p.goto(`${go.issuer}/authorize?client_id=nobody&response_type=code&scope=openid`) },
];
