// The README's demo walk-through, request by request, against the shipped docker/clients.json.
import { readFile } from 'node:fs/promises';
import axios from 'axios';
import { expect } from 'chai';
import { Browser } from '../support/browser.ts';
import { enterCode, pollToken, pressOnConfirmPage, startDevice } from '../support/device.ts';
import { callbackOf, pageOf, person, signUp, signUpOnAccountPage, visit } from '../support/oidc.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('the demo clients of the README', () => {
  let server: TestServer;
  const http = axios.create({ validateStatus: () => true, maxRedirects: 0 });
  // The challenge and verifier of RFC 7636's example, as in the README.
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const redirectUri = 'http://localhost:8080/callback';

  before(async () => {
    const clients = JSON.parse(await readFile('docker/clients.json', 'utf8')) as unknown[];
    const resourceServers = JSON.parse(
      await readFile('docker/resource-servers.json', 'utf8'),
    ) as unknown[];
    server = await startTestServer({ clients, resourceServers });
  });
  after(async () => {
    await server?.stop();
  });

  const authorizeUrl = (extra = '') =>
    `${server.issuer}/authorize?client_id=demo&response_type=code&scope=openid%20profile%20email&redirect_uri=${encodeURIComponent(redirectUri)}&code_challenge=${challenge}&code_challenge_method=S256&state=demo${extra}`;
  const exchange = (code: string, extra: Record<string, string> = {}) =>
    http.post(
      `${server.issuer}/token`,
      new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'demo',
        redirect_uri: redirectUri,
        code_verifier: verifier,
        code,
        ...extra,
      }),
    );
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  it('signs up, reads /userinfo with the access token, and refuses the code a second time', async () => {
    const who = person('readme');
    const browser = new Browser(server.issuer);
    const callback = callbackOf(
      await signUp(browser, pageOf(await visit(browser, authorizeUrl())), who),
    );
    const code = callback.searchParams.get('code') as string;
    const tokens = await exchange(code);
    expect(tokens.status, JSON.stringify(tokens.data)).to.equal(200);
    const userinfo = await http.get(`${server.issuer}/userinfo`, bearer(tokens.data.access_token));
    expect(userinfo.data.email).to.equal(who.email);
    const again = await exchange(code);
    expect(again.data.error).to.equal('invalid_grant');
    expect(again.data.error_description).to.match(/already used/);
  });

  it('reads /api/me with a token asked for its resource', async () => {
    const who = person('readme-api');
    const browser = new Browser(server.issuer);
    const resource = `${server.issuer}/api`;
    const url = authorizeUrl(`&resource=${encodeURIComponent(resource)}`);
    const callback = callbackOf(await signUp(browser, pageOf(await visit(browser, url)), who));
    const tokens = await exchange(callback.searchParams.get('code') as string, { resource });
    expect(tokens.status, JSON.stringify(tokens.data)).to.equal(200);
    const me = await http.get(`${server.issuer}/api/me`, bearer(tokens.data.access_token));
    expect(me.status).to.equal(200);
    expect(me.data.email).to.equal(who.email);

    // A browser already signed in skips the sign-in page.
    const again = callbackOf(await visit(browser, authorizeUrl()));
    expect(again.searchParams.get('code')).to.be.a('string');
  });
  it('signs the Living-room TV in with the device flow, as the README walks through it', async () => {
    const device = await startDevice(server.issuer, 'openid profile offline_access', 'demo-tv');
    expect(device.verification_uri).to.equal(`${server.issuer}/device`);
    const pending = await pollToken(server.issuer, device.device_code, 'demo-tv');
    expect(pending.data.error).to.equal('authorization_pending');
    const qr = await http.get(`${server.issuer}/device/qr/${device.user_code}.svg`);
    expect(qr.headers['content-type']).to.match(/^image\/svg\+xml/);

    const { browser } = await signUpOnAccountPage(server.issuer, 'readme-tv');
    const confirm = await enterCode(browser, device.user_code);
    expect(confirm.data).to.contain('Living-room TV');
    await pressOnConfirmPage(browser, confirm.data, 'confirm');
    const tokens = await pollToken(server.issuer, device.device_code, 'demo-tv');
    expect(tokens.status, JSON.stringify(tokens.data)).to.equal(200);
    const userinfo = await http.get(
      `${server.issuer}/userinfo`,
      bearer(String(tokens.data.access_token)),
    );
    expect(userinfo.status).to.equal(200);
    expect((await http.get(`${server.issuer}/device/qr/${device.user_code}.svg`)).status).to.equal(
      404,
    );
  });
});
