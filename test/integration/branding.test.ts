// A deployment in its operator's colours: the product name, logo, colours, support address and
// legal links from the settings on every page; each application's own name, logo and links; the
// upstream buttons in the configured order; and a CSP that allows exactly those logos.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import axios from 'axios';
import { expect } from 'chai';
import { Browser } from '../support/browser.ts';
import {
  authorizationUrl,
  pageOf,
  person,
  relyingParty,
  signIn,
  signUp,
  visit,
} from '../support/oidc.ts';
import { accountFor, startTestServer, TEST_CLIENTS, type TestServer } from '../support/server.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="#0b5cad"/></svg>';

const SHOP = {
  client_id: 'shop',
  client_secret: 'shop-secret-0123456789abcdef0123456789',
  client_name: 'Acme Shop',
  redirect_uris: ['http://127.0.0.1:4/callback'],
  logo_uri: 'https://cdn.shop.example/logo.png',
  policy_uri: 'https://shop.example/privacy',
  tos_uri: 'https://shop.example/terms',
};
const FORUM = {
  client_id: 'forum',
  client_secret: 'forum-secret-0123456789abcdef0123456789',
  client_name: 'Forum',
  redirect_uris: ['http://127.0.0.1:5/callback'],
  logo_uri: 'https://img.forum.example:8443/forum.svg',
  first_party: true,
};

const get = (url: string) =>
  axios.get<string>(url, {
    validateStatus: () => true,
    responseType: 'text',
    maxRedirects: 0,
    headers: { accept: 'text/html' },
  });

const imgSrc = (csp: unknown) => /img-src ([^;]+)/.exec(String(csp))?.[1]?.split(' ').sort() ?? [];

describe('branding', function () {
  this.timeout(30_000);

  describe('with the defaults', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => {
      await server?.stop();
    });

    it('says Latchkey, shows no help line, and allows only our own images', async () => {
      const browser = new Browser(server.issuer);
      const rp = await relyingParty(server.issuer, TEST_CLIENTS.firstParty);
      const auth = await authorizationUrl(rp, TEST_CLIENTS.firstParty.redirect_uris[0]);
      const { response } = await visit(browser, auth.url);
      const page = response.data;
      expect(page).to.include('<title>Sign in · Latchkey</title>');
      expect(page).to.include('<h1>Sign in to Latchkey</h1>');
      expect(page).to.include('<span class="logo" aria-hidden="true">◆</span> Latchkey</header>');
      expect(page).to.not.include('Need help?');
      expect(page).to.not.include('class="client"');
      expect(imgSrc(response.headers['content-security-policy'])).to.deep.equal(["'self'"]);
      const css = await get(`${server.issuer}/assets/brand.css`);
      expect(css.status).to.equal(200);
      expect(css.data).to.not.include('--accent');
    });
  });

  describe('with an operator brand', () => {
    let server: TestServer;
    let upstreams: Upstreams;
    let dir: string;

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'latchkey-brand-'));
      const logo = path.join(dir, 'acme.svg');
      await writeFile(logo, LOGO);
      upstreams = await startUpstreams();
      server = await startTestServer({
        clients: [SHOP, FORUM],
        env: {
          ...upstreams.env,
          BRAND_PRODUCT_NAME: 'Acme',
          BRAND_LOGO_FILE: logo,
          BRAND_PRIMARY_COLOR: '#0b5cad',
          BRAND_ACCENT_COLOR: '#c2410c',
          BRAND_SUPPORT_EMAIL: 'help@acme.example',
          BRAND_TERMS_URL: 'https://acme.example/terms',
          BRAND_PRIVACY_URL: 'https://acme.example/privacy',
          UPSTREAM_ORDER: 'x,google',
        },
      });
      upstreams.register(server.issuer);
    });
    after(async () => {
      await server?.stop();
      await upstreams?.close();
      await rm(dir, { recursive: true, force: true });
    });

    async function atSignIn(c: typeof SHOP | typeof FORUM = SHOP) {
      const browser = new Browser(server.issuer);
      const rp = await relyingParty(server.issuer, c);
      const auth = await authorizationUrl(rp, c.redirect_uris[0] as string);
      const { response } = await visit(browser, auth.url);
      return { browser, page: response.data, response };
    }

    const logoPath = () => server.config.brand.logo?.path as string;

    it('names the product and shows its logo, colours and support address on the sign-in page', async () => {
      const { page } = await atSignIn();
      expect(page).to.include('<title>Sign in · Acme</title>');
      expect(page).to.include('<h1>Sign in to Acme</h1>');
      expect(page).to.include(`<img class="logo" src="${logoPath()}" alt="" height="32"> Acme`);
      expect(page).to.include('<link rel="stylesheet" href="/assets/brand.css">');
      expect(page).to.include(
        'Need help? Write to <a href="mailto:help@acme.example" rel="noopener noreferrer">help@acme.example</a>.',
      );
      expect(page).to.not.include('Latchkey');
    });

    it("shows the application's name, logo and links, and allows exactly the clients' logo origins", async () => {
      const { page, response } = await atSignIn();
      expect(page).to.include('<strong>Acme Shop</strong>');
      expect(page).to.include(
        '<img class="client-logo" src="https://cdn.shop.example/logo.png" alt="" width="40" height="40" referrerpolicy="no-referrer">',
      );
      expect(page).to.include(
        'Read Acme Shop&#39;s <a href="https://shop.example/privacy" rel="noopener noreferrer">privacy policy</a> and <a href="https://shop.example/terms" rel="noopener noreferrer">terms of service</a>.',
      );
      expect(imgSrc(response.headers['content-security-policy'])).to.deep.equal([
        "'self'",
        'https://cdn.shop.example',
        'https://img.forum.example:8443',
      ]);
      const forum = await atSignIn(FORUM);
      expect(forum.page).to.include('src="https://img.forum.example:8443/forum.svg"');
      expect(forum.page).to.not.include('privacy policy');
    });

    it('orders the upstream buttons as UPSTREAM_ORDER says, the rest after', async () => {
      const { page } = await atSignIn();
      const at = (id: string) => page.indexOf(`/federated/${id}"`);
      expect(at('x')).to.be.greaterThan(0);
      expect(at('x')).to.be.lessThan(at('google'));
      expect(at('google')).to.be.lessThan(at('facebook'));
    });

    it('asks the new person to agree to the terms and privacy policy on sign-up', async () => {
      const { browser, page } = await atSignIn();
      const signup = await browser.get(
        /href="(\/interaction\/[^"]+\/signup)"/.exec(page)?.[1] as string,
      );
      expect(signup.data).to.include('<title>Create your account · Acme</title>');
      expect(signup.data).to.include('<h1>Create your Acme account</h1>');
      expect(signup.data).to.include(
        'By creating an account you agree to the <a href="https://acme.example/terms" rel="noopener noreferrer">Terms of Service</a> and the <a href="https://acme.example/privacy" rel="noopener noreferrer">Privacy Policy</a>.',
      );
      expect(signup.data).to.include('src="https://cdn.shop.example/logo.png"');
    });

    it("shows the application's logo and links on the consent page", async () => {
      const { browser, page } = await atSignIn();
      const consent = pageOf(await signUp(browser, page, person('brand')));
      expect(consent).to.include('<title>Allow access · Acme</title>');
      expect(consent).to.include('<strong>Acme Shop</strong> would like to:');
      expect(consent).to.include('src="https://cdn.shop.example/logo.png"');
      expect(consent).to.include('href="https://shop.example/terms"');
      expect(consent).to.include('href="https://shop.example/privacy"');
    });

    it('names the product and the support address on error pages and the account page', async () => {
      const error = await get(`${server.issuer}/interaction/no-such-interaction`);
      expect(error.status).to.be.within(400, 499);
      expect(error.data).to.match(/<title>[^<]+ · Acme<\/title>/);
      expect(error.data).to.include('href="mailto:help@acme.example"');
      const account = await get(`${server.issuer}/account`);
      expect(account.data).to.include('<h1>Your Acme account</h1>');
      expect(account.data).to.include(`src="${logoPath()}"`);
    });

    it('names the product on the account page sign-in, and shows initials, never a remote picture', async () => {
      const who = await accountFor(server, 'avatar');
      await server.latchkey.accounts.updateProfile(who.id, {
        name: 'Jane Quinn Doe',
        picture: 'https://pictures.example/jane.png',
      });
      const browser = new Browser(server.issuer);
      const login = pageOf(await browser.follow(await browser.get('/account/signin')));
      expect(login).to.include('to see and manage your Acme account');
      const done = await signIn(browser, login, who.email, who.password);
      const page = pageOf(done);
      expect(page).to.include('<span class="avatar" aria-hidden="true">JD</span>');
      // The picture's address is only text in the profile form, never an image the page loads.
      expect(page).to.not.match(/<img[^>]*pictures\.example/);
      expect(page).to.include('value="https://pictures.example/jane.png"');
      // Every sentence names the operator's product, never Latchkey.
      expect(page)
        .to.include('Acme tells apps this address is unverified')
        .and.not.include('Latchkey');
      const logout = pageOf(await browser.follow(await browser.get('/logout')));
      expect(logout).to.include('You are about to sign out of Acme.').and.not.include('Latchkey');
    });

    it('serves the logo with its type, a long cache life and a CSP that lets it run nothing', async () => {
      const logo = await get(`${server.issuer}${logoPath()}`);
      expect(logo.status).to.equal(200);
      expect(logo.data).to.equal(LOGO);
      expect(logo.headers['content-type']).to.equal('image/svg+xml');
      expect(logo.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
      expect(logo.headers['x-content-type-options']).to.equal('nosniff');
      expect(logo.headers['content-security-policy']).to.equal(
        "default-src 'none'; style-src 'unsafe-inline'; sandbox",
      );
    });

    it('serves the colours in a stylesheet of our own, so the CSP keeps style-src self', async () => {
      const css = await get(`${server.issuer}/assets/brand.css`);
      expect(css.headers['content-type']).to.equal('text/css; charset=utf-8');
      expect(css.data).to.include('--accent: #0b5cad;').and.include('--focus: #c2410c;');
      const { response } = await atSignIn();
      expect(String(response.headers['content-security-policy'])).to.include("style-src 'self';");
    });
  });
});
