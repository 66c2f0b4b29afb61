// Device sign-in (RFC 8628) end to end: a TV asks for a code, a person confirms it on a signed-in
// browser, the TV polls /token. Codes are single-use, expire, and wrong ones are throttled.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { recordKey } from '../../src/oidc/redis-keys.ts';
import { Browser, decodeEntities, formByAction } from '../support/browser.ts';
import {
  DEVICE_CLIENTS,
  enterCode,
  pollToken,
  pressOnConfirmPage,
  startDevice,
} from '../support/device.ts';
import { pageOf, signIn, signUpOnAccountPage } from '../support/oidc.ts';
import { accountFor, TEST_CLIENTS, useServer } from '../support/server.ts';
import { tally } from '../support/tally.ts';

const clients = [...Object.values(TEST_CLIENTS), ...Object.values(DEVICE_CLIENTS)];

describe('device sign-in (RFC 8628)', () => {
  const server = useServer({ clients, env: { DEVICE_POLL_INTERVAL_SECONDS: '1' } });

  it('lists the device authorization endpoint in discovery', async () => {
    const res = await new Browser(server.issuer).get('/.well-known/openid-configuration');
    const discovery = JSON.parse(res.data) as Record<string, unknown>;
    expect(discovery.device_authorization_endpoint).to.equal(`${server.issuer}/device/auth`);
    expect(discovery.grant_types_supported).to.include(
      'urn:ietf:params:oauth:grant-type:device_code',
    );
  });

  it('signs a TV in with the code typed in lower case without its hyphen, then refuses its reuse', async () => {
    const device = await startDevice(server.issuer);
    expect(device.user_code).to.match(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(device.verification_uri).to.equal(`${server.issuer}/device`);
    expect(device.interval).to.equal(1);
    expect((await pollToken(server.issuer, device.device_code)).data.error).to.equal(
      'authorization_pending',
    );

    const { browser, who } = await signUpOnAccountPage(server.issuer, 'tv-owner');
    const typed = device.user_code.replace('-', '').toLowerCase();
    const confirm = await enterCode(browser, typed);
    expect(confirm.status).to.equal(200);
    const page = decodeEntities(confirm.data);
    expect(page).to.contain('Sign in to Test TV on a device?');
    expect(page).to.contain(device.user_code);
    expect(page).to.contain('Safari on TV');
    expect(page).to.contain('127.0.0.1');
    expect(page).to.match(/seconds? ago|now/);
    expect(page).to.contain('See your name and profile picture');
    expect(page).to.contain("This wasn't me");
    expect(page).to.contain(`You are signed in as <strong>${who.email}</strong>`);

    const done = await pressOnConfirmPage(browser, confirm.data, 'confirm');
    expect(done.status).to.equal(200);
    expect(decodeEntities(done.data)).to.contain('Your device is signed in');

    const tokens = await pollToken(server.issuer, device.device_code);
    expect(tokens.status).to.equal(200);
    expect(tokens.data).to.include.keys('access_token', 'id_token', 'refresh_token');

    // The code is spent: typed again it is "already used", polled again it is refused.
    const again = await enterCode(browser, device.user_code);
    expect(decodeEntities(again.data)).to.contain('That code has already been used');
    expect((await pollToken(server.issuer, device.device_code)).data.error).to.equal(
      'invalid_grant',
    );
  });

  it('follows verification_uri_complete while signed out: sign in first, then the code waits, filled in', async () => {
    const device = await startDevice(server.issuer);
    const who = await accountFor(server, 'signed-out');
    const browser = new Browser(server.issuer);
    const first = await browser.get(device.verification_uri_complete);
    expect(first.status).to.equal(303);
    expect(first.headers.location).to.equal(
      `/account/signin?return=${encodeURIComponent(`/device?user_code=${device.user_code}`)}`,
    );
    const login = pageOf(await browser.follow(first));
    const back = await signIn(browser, login, who.email, who.password);
    expect(back.response.config.url).to.equal(
      `${server.issuer}/device?user_code=${device.user_code}`,
    );
    // Our page with the code in the box and a button: nothing submits itself.
    const codePage = back.response.data;
    expect(codePage).not.to.contain('forms[0].submit()');
    expect(codePage).not.to.match(/onload|\.submit\(\)/);
    const entry = formByAction(codePage, '/device');
    expect(entry.fields.user_code).to.equal(device.user_code);

    const confirm = await browser.post('/device', entry.fields);
    const done = await pressOnConfirmPage(browser, confirm.data, 'confirm');
    expect(decodeEntities(done.data)).to.contain('Your device is signed in');
    expect((await pollToken(server.issuer, device.device_code)).status).to.equal(200);
  });

  it('sends a return path anywhere but the device page to the account page instead', async () => {
    const browser = new Browser(server.issuer);
    for (const evil of [
      'https://evil.example/',
      '//evil.example',
      '/device/../account',
      '/device?x=1',
    ]) {
      const start = await browser.get(`/account/signin?return=${encodeURIComponent(evil)}`);
      expect(start.status).to.equal(303);
      const cookie = browser.jar.getCookiesSync(`${server.issuer}/account`);
      const state = cookie.find((c) => c.key === 'latchkey.account-state')?.value ?? '';
      expect(state.split('.')).to.have.length(1);
    }
  });

  it('denies the device when the person says "This wasn\'t me"', async () => {
    const device = await startDevice(server.issuer);
    const { browser } = await signUpOnAccountPage(server.issuer, 'not-me');
    const confirm = await enterCode(browser, device.user_code);
    const denied = await pressOnConfirmPage(browser, confirm.data, 'abort');
    expect(denied.status).to.equal(200);
    expect(decodeEntities(denied.data)).to.contain('The device was not signed in');
    expect((await pollToken(server.issuer, device.device_code)).data.error).to.equal(
      'access_denied',
    );
    const again = await enterCode(browser, device.user_code);
    expect(decodeEntities(again.data)).to.contain('That code has already been used');
  });

  it('says a mistyped code is not right, keeping what was typed', async () => {
    const { browser } = await signUpOnAccountPage(server.issuer, 'typo');
    const wrong = await enterCode(browser, 'BBBB-BBBB');
    expect(wrong.status).to.equal(400);
    expect(decodeEntities(wrong.data)).to.contain("That code isn't right");
    expect(formByAction(wrong.data, '/device').fields.user_code).to.equal('BBBB-BBBB');
  });

  it('asks again, code kept, when the code page was opened again in another tab', async () => {
    const device = await startDevice(server.issuer);
    const { browser } = await signUpOnAccountPage(server.issuer, 'two-tabs');
    const first = formByAction((await browser.get('/device')).data, '/device');
    await browser.get('/device');
    const stale = await browser.post('/device', { ...first.fields, user_code: device.user_code });
    expect(stale.status).to.equal(400);
    expect(decodeEntities(stale.data)).to.contain('This page was replaced by a newer one');
    const again = formByAction(stale.data, '/device');
    expect(again.fields.user_code).to.equal(device.user_code);
    const confirm = await browser.post('/device', again.fields);
    expect(decodeEntities(confirm.data)).to.contain('Sign in to Test TV on a device?');
  });

  it('answers slow_down to a device polling faster than its interval, and the interval grows', async () => {
    const device = await startDevice(server.issuer);
    expect((await pollToken(server.issuer, device.device_code)).data.error).to.equal(
      'authorization_pending',
    );
    await sleep(1100);
    expect((await pollToken(server.issuer, device.device_code)).data.error).to.equal(
      'authorization_pending',
    );
    const fast = await pollToken(server.issuer, device.device_code);
    expect(fast.status).to.equal(400);
    expect(fast.data.error).to.equal('slow_down');
    // Now at least 6 seconds: a poll after 1.1 s is still too soon.
    await sleep(1100);
    expect((await pollToken(server.issuer, device.device_code)).data.error).to.equal('slow_down');
  });

  it('lets exactly one of several simultaneous confirmations of one code through', async () => {
    const device = await startDevice(server.issuer);
    const { browser } = await signUpOnAccountPage(server.issuer, 'racer');
    const confirm = await enterCode(browser, device.user_code);
    const form = formByAction(confirm.data, '/device');
    const answers = await browser.submitAtOnce(form, 6, () => ({ confirm: 'yes' }));
    const signedIn = answers.filter((a) =>
      decodeEntities(a.data).includes('Your device is signed in'),
    );
    expect(signedIn).to.have.length(1);
    const others = answers.filter((a) => !signedIn.includes(a)).map((a) => decodeEntities(a.data));
    for (const other of others) expect(other).to.contain('That code has already been used');
    expect((await pollToken(server.issuer, device.device_code)).status).to.equal(200);
  });

  it('lets only device clients ask for a code', async () => {
    const refused = await startDevice(server.issuer, 'openid', TEST_CLIENTS.publicSpa.client_id)
      .then(() => 'accepted')
      .catch((error: Error) => error.message);
    expect(refused).to.match(
      /^device authorization: 400 .*device_code is not allowed for this client/,
    );
  });

  it("signs a partner's device in with the confirm page as its only consent, and logs it", async () => {
    const device = await startDevice(
      server.issuer,
      'openid email offline_access',
      DEVICE_CLIENTS.partnerTv.client_id,
    );
    const { browser } = await signUpOnAccountPage(server.issuer, 'partner-tv');
    const confirm = await enterCode(browser, device.user_code);
    expect(decodeEntities(confirm.data)).to.contain('See your email address');
    const done = await pressOnConfirmPage(browser, confirm.data, 'confirm');
    expect(decodeEntities(done.data)).to.contain('Your device is signed in');
    const tokens = await pollToken(
      server.issuer,
      device.device_code,
      DEVICE_CLIENTS.partnerTv.client_id,
    );
    expect(tokens.status).to.equal(200);
    expect(String(tokens.data.scope).split(' ')).to.include.members(['openid', 'email']);
    expect(server.logs.some((l) => l.event === 'device.approved' && l.client === 'partner-tv')).to
      .be.true;
  });

  it('speaks the browser language and keeps the code in the language links', async () => {
    const device = await startDevice(server.issuer);
    const { browser } = await signUpOnAccountPage(server.issuer, 'hablante');
    const page = await browser.get('/device', { 'accept-language': 'es' });
    expect(decodeEntities(page.data)).to.contain('Iniciar sesión en un dispositivo');
    const entry = formByAction(page.data, '/device');
    const confirm = await browser.post(
      '/device',
      { ...entry.fields, user_code: device.user_code },
      { 'accept-language': 'es' },
    );
    const text = decodeEntities(confirm.data);
    expect(text).to.contain('No he sido yo');
    expect(text).to.contain(`/device?user_code=${device.user_code}&lang=de`);
  });

  it('never answers the code link with a form that submits itself, however the code is sent', async () => {
    const { browser } = await signUpOnAccountPage(server.issuer, 'odd-links');
    for (const query of [
      'user_code=BCDF-GHJK&user_code=BCDF-GHJK',
      'user_code=',
      'user_code[]=x',
    ]) {
      const page = await browser.get(`/device?${query}`);
      expect(page.status, query).to.equal(200);
      expect(page.data, query).to.contain('id="user_code"');
      expect(page.data, query).not.to.contain('forms[0].submit()');
    }
  });

  it('sends a signed-out form post to the sign-in first', async () => {
    const res = await new Browser(server.issuer).post('/device', { user_code: 'BCDF-GHJK' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(
      `/account/signin?return=${encodeURIComponent('/device')}`,
    );
  });

  it('serves the QR code of verification_uri_complete as SVG for a pending code only', async () => {
    const device = await startDevice(server.issuer);
    const browser = new Browser(server.issuer);
    const qr = await browser.get(`/device/qr/${device.user_code}.svg`);
    expect(qr.status).to.equal(200);
    expect(qr.headers['content-type']).to.match(/^image\/svg\+xml/);
    expect(qr.headers['cache-control']).to.equal('no-store');
    expect(qr.data).to.match(/^<svg/);
    expect((await browser.get('/device/qr/BBBB-BBBB.svg')).status).to.equal(404);
    expect((await browser.get('/device/qr/not a code.svg')).status).to.equal(404);
  });
});

describe('device sign-in: expiry and the wrong-code throttle', () => {
  const server = useServer({
    clients,
    env: {
      DEVICE_CODE_TTL_SECONDS: '2',
      DEVICE_CODE_ATTEMPTS_PER_SESSION: '3',
      DEVICE_CODE_ATTEMPTS_PER_SOURCE: '5',
    },
  });

  it('expires a code: the page says so and the device gets expired_token', async () => {
    const device = await startDevice(server.issuer);
    expect(device.expires_in).to.equal(2);
    const { browser } = await signUpOnAccountPage(server.issuer, 'late');
    await sleep(2500);
    const late = await enterCode(browser, device.user_code);
    expect(decodeEntities(late.data)).to.contain('That code has expired');
    expect((await pollToken(server.issuer, device.device_code)).data.error).to.equal(
      'expired_token',
    );
    // Kept five minutes past its expiry, so a late poll still hears expired_token.
    const key = recordKey(`${server.config.redisKeyPrefix}oidc:`, 'DeviceCode', device.device_code);
    expect(await server.resources.redis.pttl(key)).to.be.greaterThan(300_000);
  });

  it('judges only as many wrong codes as the limits allow, per session and per source, in parallel', async () => {
    const first = await signUpOnAccountPage(server.issuer, 'guesser');
    const page = await first.browser.get('/device');
    const form = formByAction(page.data, '/device');
    const wrongs = await first.browser.submitAtOnce(form, 8, (i) => ({
      user_code: `BBBB-BB${'BCDFGHJK'[i]}B`,
    }));
    const statuses = tally(wrongs);
    expect(statuses).to.deep.equal({ 400: 3, 429: 5 });
    const refused = wrongs.find((r) => r.status === 429);
    expect(Number(refused?.headers['retry-after'])).to.be.greaterThan(0);
    expect(decodeEntities(refused?.data ?? '')).to.contain('Too many attempts');

    // Another session from the same address has only the source's remaining two.
    const second = await signUpOnAccountPage(server.issuer, 'guesser-two');
    const secondForm = formByAction((await second.browser.get('/device')).data, '/device');
    const more = await second.browser.submitAtOnce(secondForm, 4, (i) => ({
      user_code: `CCCC-CC${'BCDF'[i]}C`,
    }));
    expect(tally(more)).to.deep.equal({ 400: 2, 429: 2 });
  });
});
