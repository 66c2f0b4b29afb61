// The compose demo shop against a real Latchkey: a person signs in through it (code + PKCE, state,
// nonce), sees their name on a page under a strict CSP, and signs out through the issuer.
import type { Server } from 'node:http';
import { expect } from 'chai';
import { demoConfig } from '../../docker/demo/demo-config.ts';
import { listen } from '../../docker/demo/demo-server.ts';
import { discoverIssuer } from '../../docker/demo/relying-party.ts';
import { shopHandler } from '../../docker/demo/shop.ts';
import { Browser, decodeEntities, formByAction } from '../support/browser.ts';
import { callbackOf, pageOf, person, signUp, visit } from '../support/oidc.ts';
import { freePort } from '../support/process.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('the demo shop', () => {
  let server: TestServer;
  let shop: Server;
  let shopUrl: string;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    const port = await freePort();
    shopUrl = `http://127.0.0.1:${port}`;
    server = await startTestServer({
      clients: [
        {
          client_id: 'demo-shop',
          client_name: 'Demo shop',
          token_endpoint_auth_method: 'none',
          first_party: true,
          redirect_uris: [`${shopUrl}/callback`],
          post_logout_redirect_uris: [`${shopUrl}/`],
        },
      ],
    });
    const config = demoConfig(
      { ISSUER: server.issuer, PORT: String(port), PUBLIC_URL: shopUrl },
      { name: 'Shop', clientId: 'demo-shop', port },
    );
    const log = (event: string, fields = {}) => lines.push({ event, ...fields });
    shop = await listen(config, shopHandler(config, await discoverIssuer(config), log), log);
  });
  after(async () => {
    shop?.close();
    await server?.stop();
  });

  it('signs a person in, shows their name, and signs out at the issuer with id_token_hint', async () => {
    const browser = new Browser(server.issuer);
    const who = person('shopper');
    const welcome = await browser.get(`${shopUrl}/`);
    const csp = welcome.headers['content-security-policy'] as string;
    expect(csp).to.include("default-src 'none'").and.not.include('unsafe-inline');
    expect(welcome.data).to.include('href="/login"').and.not.include('<script');

    const start = await browser.get(`${shopUrl}/login`);
    // Its cookie is named after the client: the shop and the bookshop share localhost's cookies.
    expect(String(start.headers['set-cookie'])).to.match(/^demo-shop_session=/);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorize.searchParams.get('nonce')).to.be.a('string');
    const login = pageOf(await visit(browser, authorize));
    const callback = callbackOf(await signUp(browser, login, who));
    expect((await browser.get(callback)).headers.location).to.equal('/');
    const home = decodeEntities((await browser.get(`${shopUrl}/`)).data);
    expect(home).to.include(`Signed in as <strong>${who.name} · ${who.email}</strong>`);
    // How the sign-in went: the code that came back, the exchange, and the id_token's claims.
    const code = callback.searchParams.get('code') as string;
    expect(home)
      .to.include(`<code>code=${code.slice(0, 8)}…</code>`)
      .and.not.include(code);
    expect(home).to.include(`<code>${server.issuer}/token</code>`);
    expect(home).to.match(
      /got back <code>id_token, access_token<\/code>\s*\(a bearer access token, valid \d+ s/i,
    );
    const claims = JSON.parse(/<pre id="claims">([^<]*)<\/pre>/.exec(home)?.[1] ?? '{}');
    expect(claims).to.include({ iss: server.issuer, aud: 'demo-shop', email: who.email });
    expect(claims.nonce).to.equal(authorize.searchParams.get('nonce'));
    expect(lines.map((l) => l.event)).to.include('sign_in');

    // The callback works once: its state is spent.
    expect((await browser.get(callback)).status).to.equal(400);

    const form = formByAction(home, '/logout');
    const out = await browser.request('POST', `${shopUrl}/logout`, {
      data: new URLSearchParams(form.fields).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'null',
        'sec-fetch-site': 'same-origin',
      },
    });
    const endSession = new URL(out.headers.location as string);
    expect(endSession.origin).to.equal(server.issuer);
    expect(endSession.searchParams.get('id_token_hint')).to.be.a('string');
    expect(endSession.searchParams.get('post_logout_redirect_uri')).to.equal(`${shopUrl}/`);
    expect((await browser.get(endSession)).status).to.equal(200);
    expect((await browser.get(`${shopUrl}/`)).data).to.include('You are not signed in');
  });

  it('takes its name from APP_NAME, so one program plays the shop and the bookshop', () => {
    const defaults = { name: 'Shop', clientId: 'demo-shop', port: 3001 };
    expect(demoConfig({}, defaults).name).to.equal('Shop');
    expect(demoConfig({ APP_NAME: ' Bookshop ' }, defaults).name).to.equal('Bookshop');
  });

  it('refuses a sign-out posted from another site', async () => {
    const browser = new Browser(server.issuer);
    const out = await browser.request('POST', `${shopUrl}/logout`, {
      data: 'csrf=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.test' },
    });
    expect(out.status).to.equal(403);
    // A browser's own word for it wins over an Origin header ("null" under some referrer policies).
    const marked = await browser.request('POST', `${shopUrl}/logout`, {
      data: 'csrf=x',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: shopUrl,
        'sec-fetch-site': 'cross-site',
      },
    });
    expect(marked.status).to.equal(403);
  });
});
