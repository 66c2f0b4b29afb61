// The compose demo TV and shop against a real Latchkey with device sign-in and back-channel
// logout: the TV shows a code and its QR image, a phone confirms it, the shop signs in by single
// sign-on, and sign-outs on the devices page reach both apps.
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { demoConfig } from '../../docker/demo/demo-config.ts';
import { listen } from '../../docker/demo/demo-server.ts';
import { discoverIssuer } from '../../docker/demo/relying-party.ts';
import { shopHandler } from '../../docker/demo/shop.ts';
import { tvHandler } from '../../docker/demo/tv.ts';
import { Browser, decodeEntities, formByAction } from '../support/browser.ts';
import { callbackOf, pageOf, signIn, signUpOnAccountPage, visit } from '../support/oidc.ts';
import { freePort } from '../support/process.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('the demo TV and shop', () => {
  let server: TestServer;
  const apps: Server[] = [];
  let tvUrl: string;
  let shopUrl: string;

  before(async () => {
    const [tvPort, shopPort] = [await freePort(), await freePort()];
    tvUrl = `http://127.0.0.1:${tvPort}`;
    shopUrl = `http://127.0.0.1:${shopPort}`;
    server = await startTestServer({
      env: { BACKCHANNEL_ALLOW_PRIVATE_NETWORK: 'true', DEVICE_POLL_INTERVAL_SECONDS: '1' },
      clients: [
        {
          client_id: 'demo-tv',
          client_name: 'Living-room TV',
          token_endpoint_auth_method: 'none',
          first_party: true,
          grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
          response_types: [],
          backchannel_logout_uri: `${tvUrl}/backchannel-logout`,
        },
        {
          client_id: 'demo-shop',
          client_name: 'Demo shop',
          token_endpoint_auth_method: 'none',
          first_party: true,
          redirect_uris: [`${shopUrl}/callback`],
          post_logout_redirect_uris: [`${shopUrl}/`],
          backchannel_logout_uri: `${shopUrl}/backchannel-logout`,
          backchannel_logout_session_required: true,
        },
      ],
    });
    const log = () => {};
    for (const [name, clientId, port, handler] of [
      ['TV', 'demo-tv', tvPort, tvHandler],
      ['Shop', 'demo-shop', shopPort, shopHandler],
    ] as const) {
      const config = demoConfig(
        { ISSUER: server.issuer, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
        { name, clientId, port },
      );
      apps.push(await listen(config, handler(config, await discoverIssuer(config), log), log));
    }
  });
  after(async () => {
    for (const app of apps) app.close();
    await server?.stop();
  });

  /** The page at `url` once it includes `text` (the apps change state in the background). */
  async function pageSaying(browser: Browser, url: string, text: string) {
    for (let i = 0; i < 50; i++) {
      const page = decodeEntities((await browser.get(url)).data);
      if (page.includes(text)) return page;
      await sleep(200);
    }
    throw new Error(`${url} never said "${text}"`);
  }

  const post = (browser: Browser, url: string, fields: Record<string, string> = {}) =>
    browser.request('POST', url, {
      data: new URLSearchParams(fields).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: new URL(url).origin,
      },
    });

  it('signs the TV in from a phone, then the shop by SSO; signing out elsewhere reaches both', async function () {
    this.timeout(60_000);
    const { browser: phone, who } = await signUpOnAccountPage(server.issuer, 'tv-demo');
    const tvScreen = new Browser(server.issuer);

    expect((await post(tvScreen, `${tvUrl}/start`)).status).to.equal(303);
    const waiting = (await tvScreen.get(`${tvUrl}/`)).data;
    const userCode = /<p class="code"[^>]*>([A-Z-]+)</.exec(waiting)?.[1] as string;
    expect(userCode).to.match(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(waiting).to.include('<meta http-equiv="refresh"').and.not.include('<script');
    const qr = /<img class="qr" src="([^"]+)"/.exec(waiting)?.[1] as string;
    const svg = await tvScreen.get(qr);
    expect(svg.status).to.equal(200);
    expect(svg.headers['content-type']).to.match(/^image\/svg\+xml/);

    const codePage = (await phone.get(`/device?user_code=${userCode}`)).data;
    const confirm = await phone.post('/device', formByAction(codePage, '/device').fields);
    const done = await phone.post('/device', {
      ...formByAction(confirm.data, '/device').fields,
      confirm: 'yes',
    });
    expect(done.status).to.equal(200);
    const signedIn = await pageSaying(tvScreen, `${tvUrl}/`, 'Signed in as');
    expect(signedIn).to.include(who.email);
    expect((await post(tvScreen, `${tvUrl}/refresh`)).status).to.equal(303);
    expect((await tvScreen.get(`${tvUrl}/`)).data).to.include('Refreshed at');

    // The shop signs in without a password in the phone's browser (single sign-on) ...
    const start = await phone.get(`${shopUrl}/login`);
    const back = callbackOf(await visit(phone, start.headers.location as string));
    await phone.get(back);
    await pageSaying(phone, `${shopUrl}/`, `Signed in as <strong>${who.name}`);
    // ... and on a laptop, whose browser session is another one.
    const laptop = new Browser(server.issuer);
    const laptopLogin = pageOf(
      await visit(laptop, (await laptop.get(`${shopUrl}/login`)).headers.location as string),
    );
    await laptop.get(callbackOf(await signIn(laptop, laptopLogin, who.email, who.password)));
    await pageSaying(laptop, `${shopUrl}/`, `Signed in as <strong>${who.name}`);

    // The TV is signed out from the phone's devices page: its logout token ends it.
    const account = pageOf(await phone.follow(await phone.get('/account')));
    const tvAction = /action="(\/account\/devices\/g\.[^"]+\/sign-out)"/.exec(
      account,
    )?.[1] as string;
    expect(tvAction, 'the TV is listed as an app of its own').to.be.a('string');
    await phone.follow(await phone.submit(account, tvAction));
    await pageSaying(tvScreen, `${tvUrl}/`, 'This TV was signed out from another device.');

    // "Sign out everywhere else" ends the laptop's session: the shop ends that one only (by sid).
    const again = pageOf(await phone.follow(await phone.get('/account')));
    await phone.follow(await phone.submit(again, '/account/devices/others/sign-out'));
    await pageSaying(laptop, `${shopUrl}/`, 'You were signed out from another app or device.');
    expect((await phone.get(`${shopUrl}/`)).data).to.include('Signed in as');
  });
});
