// The brand in a real browser (Debian's Chromium through playwright-core): the operator's logo and
// colours, an application's logo from its own origin and the upstream buttons' marks all draw
// under the CSP, while a picture from anywhere else never loads.
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { cspViolations, launchChromium } from '../support/chromium.ts';
import { authorizationUrl, relyingParty } from '../support/oidc.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

// A 1x1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" width="32" height="32"><circle cx="5" cy="5" r="5" fill="#0b5cad"/></svg>';

describe('the brand in a real browser', function () {
  this.timeout(60_000);
  let appServer: Server;
  let appOrigin: string;
  let server: TestServer;
  let upstreams: Upstreams;
  let browser: Browser;
  let dir: string;

  before(async () => {
    // The application: its callback and its logo, on an origin of its own.
    appServer = createServer((req, res) => {
      if (req.url === '/logo.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Back at the app</h1>');
    });
    appServer.listen(0, '127.0.0.1');
    await once(appServer, 'listening');
    appOrigin = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
    dir = await mkdtemp(path.join(tmpdir(), 'latchkey-brand-'));
    await writeFile(path.join(dir, 'logo.svg'), LOGO);
    upstreams = await startUpstreams();
    server = await startTestServer({
      clients: [
        {
          client_id: 'brand-app',
          client_secret: 'brand-app-secret-0123456789abcdef',
          client_name: 'Brand App',
          redirect_uris: [`${appOrigin}/callback`],
          logo_uri: `${appOrigin}/logo.png`,
          policy_uri: 'https://brand-app.example/privacy',
          first_party: true,
        },
      ],
      env: {
        ...upstreams.env,
        BRAND_PRODUCT_NAME: 'Acme',
        BRAND_LOGO_FILE: path.join(dir, 'logo.svg'),
        BRAND_PRIMARY_COLOR: '#0b5cad',
        UPSTREAM_ORDER: 'facebook,x,google',
      },
    });
    upstreams.register(server.issuer);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await upstreams?.close();
    appServer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function signInPage(colorScheme: 'light' | 'dark' = 'light') {
    const context = await browser.newContext({ colorScheme });
    const page = await context.newPage();
    const violations = cspViolations(page);
    const app = await relyingParty(server.issuer, {
      client_id: 'brand-app',
      client_secret: 'brand-app-secret-0123456789abcdef',
      redirect_uris: [],
    });
    const auth = await authorizationUrl(app, `${appOrigin}/callback`);
    await page.goto(auth.url.toString());
    return { page, violations };
  }

  // Run in the page, as strings: the test code is compiled without the DOM's types.
  const drawn = (page: Page, selector: string) =>
    page.evaluate(`document.querySelector(${JSON.stringify(selector)}).naturalWidth`);
  const style = (page: Page, selector: string, property: string) =>
    page.evaluate(
      `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`,
    );

  it('draws both logos, the brand colour and the upstream marks without a CSP complaint', async () => {
    const { page, violations } = await signInPage();
    expect(await page.title()).to.equal('Sign in · Acme');
    expect(await page.textContent('h1')).to.equal('Sign in to Acme');
    expect(await drawn(page, 'img.logo')).to.be.greaterThan(0);
    expect(await drawn(page, 'img.client-logo')).to.equal(1);
    expect(await style(page, 'button.primary', 'background-color')).to.equal('rgb(11, 92, 173)');
    expect(await style(page, 'button.upstream-facebook', 'background-color')).to.equal(
      'rgb(8, 102, 255)',
    );
    expect(await style(page, 'button.upstream-x', 'background-color')).to.equal('rgb(0, 0, 0)');
    expect(await style(page, 'button.upstream-google', 'background-color')).to.equal(
      'rgb(255, 255, 255)',
    );
    expect(await page.locator('.upstreams button svg').count()).to.equal(3);
    const labels = await page.locator('.upstreams button').allTextContents();
    expect(labels).to.deep.equal([
      'Continue with Facebook',
      'Sign in with X',
      'Sign in with Google',
    ]);
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('keeps the upstream buttons in their dark colours under a dark scheme', async () => {
    const { page, violations } = await signInPage('dark');
    expect(await style(page, 'button.upstream-google', 'background-color')).to.equal(
      'rgb(19, 19, 20)',
    );
    expect(await style(page, 'button.primary', 'background-color')).to.equal('rgb(11, 92, 173)');
    expect(violations).to.deep.equal([]);
    await page.context().close();
  });

  it('refuses an image from an origin no client logo uses', async () => {
    const { page } = await signInPage();
    const blocked = page.waitForEvent('console', (m) => /img-src/.test(m.text()));
    await page.evaluate(
      "document.body.append(Object.assign(document.createElement('img'), { src: 'https://pictures.example/someone.png' }))",
    );
    expect((await blocked).text()).to.include('pictures.example');
    await page.context().close();
  });
});
