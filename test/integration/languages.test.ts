// The language of every page: the application's ui_locales, then the switcher's remembered
// choice, then Accept-Language, else English; and the switcher itself, a plain same-origin link.
import axios from 'axios';
import { expect } from 'chai';
import * as client from 'openid-client';
import { Browser, formByAction } from '../support/browser.ts';
import {
  authorizationUrl,
  pageOf,
  relyingParty,
  signUpAndAuthorize,
  visit,
} from '../support/oidc.ts';
import { rawRequest } from '../support/raw-http.ts';
import { startTestServer, TEST_CLIENTS, type TestServer } from '../support/server.ts';

describe('languages', () => {
  let server: TestServer;
  const c = TEST_CLIENTS.firstParty;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  /** The sign-in page of a fresh authorization request, with extra parameters. */
  async function signInPage(browser: Browser, params: Record<string, string> = {}) {
    const rp = await relyingParty(server.issuer, c);
    const auth = await authorizationUrl(rp, c.redirect_uris[0], params);
    const result = await visit(browser, auth.url);
    return { html: pageOf(result), url: new URL(result.response.config.url as string) };
  }

  const langOf = (html: string) => /<html lang="(\w+)" dir="(\w+)">/.exec(html)?.slice(1);

  it('speaks English when nothing asks for another language', async () => {
    const { html } = await signInPage(new Browser(server.issuer));
    expect(langOf(html)).to.deep.equal(['en', 'ltr']);
    expect(html).to.include('<h1>Sign in to Latchkey</h1>');
  });

  it("follows the application's ui_locales: the first supported tag, right to left for Arabic", async () => {
    const { html } = await signInPage(new Browser(server.issuer), { ui_locales: 'fr-CA ar de' });
    expect(langOf(html)).to.deep.equal(['ar', 'rtl']);
    expect(html).to.include('<h1>تسجيل الدخول إلى Latchkey</h1>');
    expect(html).to.include('<label for="password">كلمة المرور</label>');
  });

  it('follows Accept-Language by q-value when the application names no language', async () => {
    const browser = new Browser(server.issuer);
    browser.http.defaults.headers.common['accept-language'] = 'fr;q=1, de;q=0.4, es;q=0.7';
    const { html } = await signInPage(browser);
    expect(langOf(html)).to.deep.equal(['es', 'ltr']);
    expect(html).to.include('Iniciar sesión');
  });

  it("remembers the switcher's choice over Accept-Language, and returns to the same page", async () => {
    const browser = new Browser(server.issuer);
    browser.http.defaults.headers.common['accept-language'] = 'es';
    const { url } = await signInPage(browser);
    const switched = await browser.get(`${url.pathname}?lang=de`);
    expect(switched.status).to.equal(303);
    expect(switched.headers.location).to.equal(url.pathname);
    expect(String(switched.headers['set-cookie'])).to.match(/latchkey\.lang=de;.*httponly/i);
    const page = await browser.get(switched.headers.location as string);
    expect(langOf(page.data)).to.deep.equal(['de', 'ltr']);
    expect(page.data).to.include('<h1>Bei Latchkey anmelden</h1>');
    // The remembered choice holds on every page, the account page too.
    expect(langOf((await browser.get('/account')).data)).to.deep.equal(['de', 'ltr']);
  });

  it('lets ui_locales win over the remembered choice, but not over a choice made on that sign-in', async () => {
    const browser = new Browser(server.issuer);
    await browser.get('/account?lang=de');
    const { html, url } = await signInPage(browser, { ui_locales: 'es' });
    expect(langOf(html)).to.deep.equal(['es', 'ltr']);
    const switched = await browser.get(`${url.pathname}?lang=ar`);
    expect(String(switched.headers['set-cookie'])).to.include(`path=${url.pathname};`);
    expect(langOf((await browser.get(url.pathname)).data)).to.deep.equal(['ar', 'rtl']);
    // Elsewhere the remembered choice is now Arabic too, and a new sign-in follows its ui_locales.
    expect(langOf((await browser.get('/account')).data)).to.deep.equal(['ar', 'rtl']);
    const next = await signInPage(browser, { ui_locales: 'es' });
    expect(langOf(next.html)).to.deep.equal(['es', 'ltr']);
  });

  it('ignores unsupported choices and never leaves the site', async () => {
    const browser = new Browser(server.issuer);
    const unsupported = await browser.get('/account?lang=fr&x=1');
    expect(unsupported.status).to.equal(303);
    expect(unsupported.headers.location).to.equal('/account?x=1');
    expect(unsupported.headers['set-cookie'] ?? []).to.deep.equal([]);
    for (const path of ['//evil.example/?lang=de', '/\\evil.example/?lang=de']) {
      const res = await rawRequest({ method: 'GET', url: `${server.issuer}${path}` });
      expect(res.status, path).to.equal(303);
      expect(res.headers.location, path).to.equal('/');
    }
    expect(langOf((await browser.get('/account')).data)).to.deep.equal(['en', 'ltr']);
  });

  it('shows a switcher on every page, leading back to a page that can be fetched', async () => {
    const browser = new Browser(server.issuer);
    const { html, url } = await signInPage(browser);
    expect(html).to.include(`href="${url.pathname}?lang=ar" lang="ar" hreflang="ar"`);
    // A refused form is shown again at an address that only takes posts: the switcher leads to
    // the interaction's own page instead.
    const refused = await browser.submit(html, '/login', { email: 'a@example.com', password: '' });
    expect(refused.status).to.equal(400);
    expect(refused.data).to.include(`href="${url.pathname}?lang=es"`);
  });

  it('words field errors of the account rules in the page language', async () => {
    const browser = new Browser(server.issuer);
    const { html } = await signInPage(browser, { ui_locales: 'de' });
    const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(html)?.[1] as string;
    const signUp = await browser.get(link);
    const res = await browser.submit(signUp.data, '/signup', {
      name: '',
      email: 'nope',
      password: 'short',
    });
    expect(res.status).to.equal(400);
    expect(res.data).to.include('Geben Sie Ihren Namen ein.');
    expect(res.data).to.include('Verwenden Sie mindestens 8 Zeichen.');
    expect(res.data).to.include('Bitte korrigieren Sie Folgendes:');
  });

  it("translates the provider's own pages: its error page and the logout confirmation", async () => {
    const browser = new Browser(server.issuer);
    const headers = { 'accept-language': 'es' };
    const error = await browser.get('/authorize?client_id=nobody', headers);
    expect(error.status).to.equal(400);
    expect(langOf(error.data)).to.deep.equal(['es', 'ltr']);
    expect(error.data).to.include('No se pudo continuar con el inicio de sesión');
    const asked = await browser.get('/authorize?client_id=nobody&ui_locales=de', headers);
    expect(asked.data).to.include('Die Anmeldung konnte nicht fortgesetzt werden');

    const { rp, browser: signedIn, tokens } = await signUpAndAuthorize(server.issuer, c);
    const logoutUrl = client.buildEndSessionUrl(rp, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: c.post_logout_redirect_uris[0],
      ui_locales: 'ar',
    });
    const confirm = await signedIn.get(logoutUrl.toString());
    expect(confirm.status).to.equal(200);
    expect(langOf(confirm.data)).to.deep.equal(['ar', 'rtl']);
    expect(confirm.data).to.include('تسجيل الخروج؟');
    expect(formByAction(confirm.data, '/logout/confirm').fields.xsrf).to.be.a('string');
  });

  it('lists the languages it speaks in discovery', async () => {
    const res = await axios.get(`${server.issuer}/.well-known/openid-configuration`);
    expect(res.data.ui_locales_supported).to.deep.equal(['en', 'es', 'de', 'ar']);
  });
});
