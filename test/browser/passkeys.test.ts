// Passkeys in Chromium with its virtual authenticator (CDP WebAuthn domain: CTAP2, internal,
// resident keys, user verification): added on the account page, used with the sign-in page's
// button and through the email field's autofill, a passkey-only sign-up, the removal rules, and a
// cloned authenticator refused by its counter.
// The issuer is http://localhost: browsers accept no IP address as a WebAuthn RP ID.
import { expect } from 'chai';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import {
  cspViolations,
  FIRST_PARTY,
  launchChromium,
  type RelyingPartyServer,
  startRelyingPartyServer,
} from '../support/chromium.ts';
import { mailboxFor } from '../support/mailbox.ts';
import { authorizationUrl, person, relyingParty } from '../support/oidc.ts';
import { accountFor, startTestServer, type TestServer } from '../support/server.ts';

/**
 * Mocha hooks for the enclosing suite: a relying party, a server at http://localhost (browsers
 * accept no IP address as a WebAuthn RP ID) and Chromium; read them inside tests and hooks.
 */
function useChromiumServer() {
  const it = {} as { rp: RelyingPartyServer; server: TestServer; browser: Browser };
  before(async () => {
    it.rp = await startRelyingPartyServer();
    it.server = await startTestServer({ clients: it.rp.clients, host: 'localhost' });
    it.browser = await launchChromium();
  });
  after(async () => {
    await it.browser?.close();
    await it.server?.stop();
    it.rp?.close();
  });
  return it;
}

describe('passkeys in a real browser', function () {
  this.timeout(60_000);
  const stack = useChromiumServer();
  let rp: RelyingPartyServer;
  let server: TestServer;
  let browser: Browser;
  before(() => {
    ({ rp, server, browser } = stack);
  });

  /**
   * A fresh browser profile with a platform authenticator that verifies its user. The virtual
   * authenticator answers a conditional request at once, so `autofill: false` turns the email
   * field's passkey autofill off to test the button.
   */
  async function withAuthenticator({ autofill = true } = {}): Promise<{
    context: BrowserContext;
    page: Page;
    cdp: CDPSession;
    authenticatorId: string;
    csp: string[];
  }> {
    const context = await browser.newContext();
    if (!autofill) {
      await context.addInitScript(() => {
        PublicKeyCredential.isConditionalMediationAvailable = async () => false;
      });
    }
    const page = await context.newPage();
    const csp = cspViolations(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return { context, page, cdp, authenticatorId, csp };
  }

  async function credentials(cdp: CDPSession, authenticatorId: string) {
    return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  }

  /** The sign-in page of a fresh request from the first-party app. */
  async function appSignIn(page: Page) {
    const client = await relyingParty(server.issuer, { ...FIRST_PARTY, redirect_uris: [] });
    const auth = await authorizationUrl(client, `${rp.origin}/callback`);
    await page.goto(auth.url.toString());
    await page.waitForSelector('form[action$="/login"]');
  }

  /** Signs in to the account page with a password. */
  async function accountPage(page: Page, who: { email: string; password: string }) {
    await page.goto(`${server.issuer}/account/signin`);
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(`${server.issuer}/account`), page.click('button.primary')]);
  }

  /** Adds a passkey named `name` on the account page, both steps. */
  async function addPasskey(page: Page, name: string) {
    await page.fill('#passkey_name', name);
    await Promise.all([
      page.waitForSelector('form[data-passkey-create] button[data-passkey-start]:visible'),
      page.click('form[action="/account/passkeys/start"] button[type="submit"]'),
    ]);
    await Promise.all([
      page.waitForURL(`${server.issuer}/account/passkeys`),
      page.click('form[data-passkey-create] button[data-passkey-start]'),
    ]);
    await page.waitForSelector('.notice');
  }

  it('adds a passkey on the account page, then signs in to an app with the button', async () => {
    const { context, page, cdp, authenticatorId, csp } = await withAuthenticator({
      autofill: false,
    });
    try {
      const who = await accountFor(server, 'chromepk');
      await accountPage(page, who);
      await addPasskey(page, 'This browser');
      expect(await page.textContent('.notice')).to.include('The passkey “This browser” was added.');
      expect(await page.textContent('ul.passkeys')).to.include('This browser');
      const stored = await credentials(cdp, authenticatorId);
      expect(stored).to.have.length(1);
      expect(stored[0]?.isResidentCredential).to.equal(true);

      // Signed out (the cookies gone), the authenticator keeps the passkey.
      await context.clearCookies();
      await appSignIn(page);
      await Promise.all([
        page.waitForURL(`${rp.origin}/callback**`),
        page.click('button[data-passkey-start]'),
      ]);
      expect(new URL(page.url()).searchParams.get('code')).to.be.a('string');
      expect((await credentials(cdp, authenticatorId))[0]?.signCount).to.be.greaterThan(0);
      expect(csp).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it('refuses a cloned authenticator whose counter falls behind the one it was copied from', async () => {
    const original = await withAuthenticator({ autofill: false });
    const clone = await withAuthenticator({ autofill: false });
    try {
      const who = await accountFor(server, 'chromeclone');
      await accountPage(original.page, who);
      await addPasskey(original.page, 'Original');
      // The passkey is copied away (its private key included) before it signs in again.
      const [copied] = await credentials(original.cdp, original.authenticatorId);
      if (!copied) throw new Error('no credential to copy');
      await original.context.clearCookies();
      await appSignIn(original.page);
      await Promise.all([
        original.page.waitForURL(`${rp.origin}/callback**`),
        original.page.click('button[data-passkey-start]'),
      ]);

      // The copy, with the counter it had when copied, signs in on another browser: refused.
      await clone.cdp.send('WebAuthn.addCredential', {
        authenticatorId: clone.authenticatorId,
        credential: { ...copied, signCount: copied.signCount },
      });
      await appSignIn(clone.page);
      await Promise.all([
        clone.page.waitForEvent('load'),
        clone.page.click('button[data-passkey-start]'),
      ]);
      expect(clone.page.url()).not.to.include('/callback');
      expect(await clone.page.textContent('[role="alert"]'))
        .to.be.a('string')
        .and.not.equal('');
      expect(server.logs.some((l) => l.event === 'passkey.counter_regressed')).to.equal(true);
    } finally {
      await original.context.close();
      await clone.context.close();
    }
  });

  it('signs in through the email field’s autofill (conditional mediation)', async () => {
    const { context, page } = await withAuthenticator();
    try {
      const who = await accountFor(server, 'chromeautofill');
      await accountPage(page, who);
      await addPasskey(page, 'Autofill');
      await context.clearCookies();
      // The page asks for a passkey in the email field's autofill (mediation: conditional); the
      // virtual authenticator picks its passkey as a person would from the list, and the page
      // signs in without a button being pressed.
      const conditional = page.waitForRequest((r) => r.url().endsWith('/passkey/options'));
      const client = await relyingParty(server.issuer, { ...FIRST_PARTY, redirect_uris: [] });
      const auth = await authorizationUrl(client, `${rp.origin}/callback`);
      await Promise.all([
        page.waitForURL(`${rp.origin}/callback**`),
        page.goto(auth.url.toString()),
      ]);
      await conditional;
      expect(new URL(page.url()).searchParams.get('code')).to.be.a('string');
    } finally {
      await context.close();
    }
  });

  it('signs up with a passkey alone, confirms the address and lands at the app; the passkey cannot be removed', async () => {
    const { context, page, cdp, authenticatorId, csp } = await withAuthenticator();
    try {
      const who = person('chromesignup');
      await appSignIn(page);
      await Promise.all([page.waitForURL(/\/signup$/), page.click('a[href$="/signup"]')]);
      await page.fill('#name', who.name);
      await page.fill('#email', who.email);
      await Promise.all([
        page.waitForSelector('form[data-passkey-create] button[data-passkey-start]:visible'),
        page.click('button[formaction$="/signup/passkey/start"]'),
      ]);
      await Promise.all([
        page.waitForURL(/\/signup\/passkey$/),
        page.click('form[data-passkey-create] button[data-passkey-start]'),
      ]);
      expect(await page.textContent('h1')).to.include('Check your email');
      expect(await credentials(cdp, authenticatorId)).to.have.length(1);
      const account = await server.latchkey.accounts.findAccountByEmail(who.email);
      expect(account?.passwordHash).to.equal(null);

      const mail = await mailboxFor(server.issuer).waitFor(who.email);
      const link = mail.links.find((l) => new URL(l).pathname === '/email/confirm') as string;
      await page.goto(link);
      await Promise.all([
        page.waitForURL(`${rp.origin}/callback**`),
        page.click('form[action="/email/confirm"] button'),
      ]);

      // The account page: the one passkey is the only way in, so it has no Remove button.
      await page.goto(`${server.issuer}/account`);
      await page.waitForSelector('ul.passkeys');
      expect(await page.locator('form[action$="/remove"]').count()).to.equal(0);
      expect(await page.textContent('ul.passkeys')).to.include('(your only way to sign in)');
      expect(csp).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it('removes a passkey when the password remains', async () => {
    const { context, page } = await withAuthenticator();
    try {
      const who = await accountFor(server, 'chromeremove');
      await accountPage(page, who);
      await addPasskey(page, 'Spare');
      await Promise.all([
        page.waitForURL(/\/remove$/),
        page.click('form[action$="/remove"] button[id^="remove-passkey-"]'),
      ]);
      expect(await page.textContent('.notice')).to.include('The passkey was removed.');
      expect(await page.locator('ul.passkeys').count()).to.equal(0);
    } finally {
      await context.close();
    }
  });
});

describe('passkeys in a browser without WebAuthn', function () {
  this.timeout(60_000);
  const stack = useChromiumServer();
  let server: TestServer;
  let browser: Browser;
  before(() => {
    ({ server, browser } = stack);
  });

  it('hides the passkey controls and still signs in with a password', async () => {
    const context = await browser.newContext();
    // As in a browser that has never heard of WebAuthn.
    await context.addInitScript(() => {
      Object.defineProperty(window, 'PublicKeyCredential', { value: undefined });
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      const who = await accountFor(server, 'nowebauthn');
      await accountPage(page, who);
      expect(await page.isVisible('form[action="/account/passkeys/start"]')).to.equal(false);
      expect(await page.isVisible('[data-passkey-unsupported]')).to.equal(true);
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  async function accountPage(page: Page, who: { email: string; password: string }) {
    await page.goto(`${server.issuer}/account/signin`);
    expect(await page.isVisible('button[data-passkey-start]')).to.equal(false);
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(`${server.issuer}/account`), page.click('button.primary')]);
  }
});
