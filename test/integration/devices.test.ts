// "Your devices": what the account page and GET /api/me/sessions show about each browser and app,
// the recent sign-in both sign-outs need, and the session metadata kept beside its record in Redis
// (written at sign-in, gone with the session or grant, still there after a restart).
import axios from 'axios';
import { expect } from 'chai';
import { RedisAdapter } from '../../src/oidc/redis-adapter.ts';
import { metaKey, recordKey } from '../../src/oidc/redis-keys.ts';
import { Browser } from '../support/browser.ts';
import {
  atSignInPage,
  callbackOf,
  exchangeCode,
  OFFLINE,
  pageOf,
  person,
  profileOf,
  signIn,
  signUpAndAuthorize,
  viaUpstream,
} from '../support/oidc.ts';
import { TEST_CLIENTS, useServer, useServerWithUpstreams } from '../support/server.ts';
import { refresh, sessionCookie } from '../support/tokens.ts';

const c = TEST_CLIENTS.firstParty;
const PHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const LAPTOP = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

describe('your devices', () => {
  const server = useServer();
  const http = axios.create({ validateStatus: () => true });
  const resource = () => `${server.issuer}/api`;

  /** Signed up on a laptop with an API token; also signed in on a phone (account page only). */
  async function laptopAndPhone() {
    const laptop = await signUpAndAuthorize(
      server.issuer,
      c,
      { scope: 'openid profile email offline_access', prompt: 'consent', resource: resource() },
      { resource: resource() },
      { userAgent: LAPTOP },
    );
    const phone = new Browser(server.issuer, { userAgent: PHONE, localAddress: '127.0.0.7' });
    const login = pageOf(await phone.follow(await phone.get('/account/signin')));
    await signIn(phone, login, laptop.person.email, laptop.person.password);
    const accountId = laptop.tokens.claims()?.sub as string;
    const handles = {
      laptop: server.latchkey.accountSessions.handleOf(await sessionCookie(laptop.browser)),
      phone: server.latchkey.accountSessions.handleOf(await sessionCookie(phone)),
    };
    return { laptop, phone, accountId, handles };
  }

  it('lists each browser with its device, address, method, apps and which one is this', async () => {
    const { laptop, handles } = await laptopAndPhone();
    const page = pageOf(await laptop.browser.follow(await laptop.browser.get('/account')));
    expect(page).to.include('Your devices');
    expect(page).to.include('Firefox · Windows 10');
    expect(page).to.include('Mobile Safari · iOS 17.1');
    expect(page).to.include('From 127.0.0.7');
    expect(page).to.include('with your password');
    expect(page).to.include('Apps: First Party App');
    expect(page.match(/This device/g)).to.have.length(1);
    expect(page).to.include(`action="/account/devices/s.${handles.phone}/sign-out"`);
    // This browser signs out through the ordinary sign-out, not a form of the list.
    expect(page).not.to.include(`/account/devices/s.${handles.laptop}/sign-out`);
    expect(page).to.include('Sign out everywhere else');
  });

  it('lists the same entries from GET /api/me/sessions, with opaque ids and no cookie values', async () => {
    const { laptop, phone, handles } = await laptopAndPhone();
    const res = await http.get(`${resource()}/me/sessions`, {
      headers: { authorization: `Bearer ${laptop.tokens.access_token}` },
    });
    expect(res.status).to.equal(200);
    expect(res.headers['cache-control']).to.equal('no-store');
    const byId = new Map(res.data.sessions.map((s: { id: string }) => [s.id, s]));
    expect(byId.get(`s.${handles.laptop}`)).to.include({
      kind: 'browser',
      device: 'Firefox · Windows 10',
      method: 'password',
      current: true,
    });
    expect(byId.get(`s.${handles.phone}`)).to.include({
      device: 'Mobile Safari · iOS 17.1',
      ip: '127.0.0.7',
      current: false,
    });
    const body = JSON.stringify(res.data);
    for (const b of [laptop.browser, phone]) expect(body).not.to.include(await sessionCookie(b));
    const unauthenticated = await http.get(`${resource()}/me/sessions`);
    expect(unauthenticated.status).to.equal(401);
  });

  it('signs the phone out from the page, and refuses without a recent sign-in', async () => {
    const { laptop, phone, handles } = await laptopAndPhone();
    // The laptop's sign-in grows old: nothing is signed out until it signs in again.
    const session = await server.latchkey.provider.Session.find(
      await sessionCookie(laptop.browser),
    );
    if (!session?.loginTs) throw new Error('no session');
    session.loginTs -= 3600;
    await session.persist();
    let page = pageOf(await laptop.browser.follow(await laptop.browser.get('/account')));
    const refused = await laptop.browser.submit(
      page,
      `/account/devices/s.${handles.phone}/sign-out`,
    );
    expect(refused.status).to.equal(403);
    expect(refused.data).to.include('section=devices');
    expect((await phone.get('/account')).data).to.include(laptop.person.email);
    const api = await http.delete(`${resource()}/me/sessions/s.${handles.phone}`, {
      headers: { authorization: `Bearer ${laptop.tokens.access_token}` },
    });
    expect(api.status).to.equal(403);
    expect(api.data.error).to.equal('login_required');

    session.loginTs += 3600;
    await session.persist();
    page = pageOf(await laptop.browser.follow(await laptop.browser.get('/account')));
    const done = await laptop.browser.submit(page, `/account/devices/s.${handles.phone}/sign-out`);
    expect(done.status).to.equal(200);
    expect(done.data).to.include('That device was signed out.');
    expect((await phone.get('/account')).data).to.include('href="/account/signin"');
    expect(done.data).to.include('You are signed in on this device only.');
  });

  it('keeps metadata beside each session and grant, with their expiry, gone when they end', async () => {
    const { laptop, accountId, handles } = await laptopAndPhone();
    const redis = server.resources.redis;
    const prefix = `${server.config.redisKeyPrefix}oidc:`;
    const meta = metaKey(prefix, 'Session', handles.phone);
    const record = `${prefix}Session:${handles.phone}`;
    expect(await redis.hget(meta, 'device')).to.equal('Mobile Safari · iOS 17.1');
    const [metaTtl, recordTtl] = [await redis.pttl(meta), await redis.pttl(record)];
    expect(recordTtl).to.be.greaterThan(0);
    expect(Math.abs(metaTtl - recordTtl)).to.be.lessThan(2000);

    const grantId = laptop.tokens.refresh_token
      ? (await server.latchkey.accountSessions.grants(accountId))[0]?.grantId
      : undefined;
    const grantMeta = metaKey(prefix, 'Grant', grantId as string);
    expect(await redis.hget(grantMeta, 'since')).to.match(/^\d+$/);
    const grantTtl = await redis.pttl(recordKey(prefix, 'Grant', grantId as string));
    expect(Math.abs((await redis.pttl(grantMeta)) - grantTtl)).to.be.lessThan(2000);

    // Everything but the laptop ends; then the laptop's grant is revoked on its own.
    await server.latchkey.devices.signOutOthers(accountId, await sessionCookie(laptop.browser));
    expect(await redis.exists(meta, record)).to.equal(0);
    expect(await redis.exists(grantMeta)).to.equal(1);
    await server.latchkey.accountSessions.revokeGrant(grantId as string, accountId, {
      notify: false,
    });
    expect(await redis.exists(grantMeta)).to.equal(0);
    const gone = await refresh(server.issuer, c, laptop.tokens.refresh_token as string);
    expect(gone.data.error).to.equal('invalid_grant');
  });

  it('lets a session and its metadata expire together', async () => {
    const { phone, accountId, handles } = await laptopAndPhone();
    const redis = server.resources.redis;
    const prefix = `${server.config.redisKeyPrefix}oidc:`;
    // Saved again with one second to live, as the library saves a session near its end.
    const sessions = new RedisAdapter('Session', { redis, prefix });
    const cookie = await sessionCookie(phone);
    await sessions.upsert(cookie, (await sessions.find(cookie)) ?? {}, 1);
    expect(await redis.pttl(metaKey(prefix, 'Session', handles.phone))).to.be.at.most(1000);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await redis.exists(metaKey(prefix, 'Session', handles.phone))).to.equal(0);
    const ids = (await server.latchkey.devices.list(accountId)).map((e) => e.id);
    expect(ids).to.deep.equal([`s.${handles.laptop}`]);
  });

  it('writes activity at most once per interval', async () => {
    const { accountId, handles } = await laptopAndPhone();
    const redis = server.resources.redis;
    const meta = metaKey(`${server.config.redisKeyPrefix}oidc:`, 'Session', handles.phone);
    const seen = Number(await redis.hget(meta, 'seenAt'));
    const list = () => server.latchkey.devices.list(accountId);
    const phoneEntry = async () => (await list()).find((e) => e.id === `s.${handles.phone}`);
    expect((await phoneEntry())?.lastActiveAt).to.equal(seen);
    // A minute later nothing is written; six minutes later it is.
    const { SessionMetadata } = await import('../../src/oidc/session-metadata.ts');
    const metadata = new SessionMetadata({
      redis,
      prefix: `${server.config.redisKeyPrefix}oidc:`,
      activityMs: 5 * 60_000,
      fallbackTtlMs: 60_000,
    });
    await metadata.activity('Session', handles.phone, seen + 60_000);
    expect(Number(await redis.hget(meta, 'seenAt'))).to.equal(seen);
    await metadata.activity('Session', handles.phone, seen + 6 * 60_000);
    expect(Number(await redis.hget(meta, 'seenAt'))).to.equal(seen + 6 * 60_000);
  });

  it('shows the same devices after a restart', async () => {
    const { accountId } = await laptopAndPhone();
    const before = await server.latchkey.devices.list(accountId);
    await server.stop({ keepData: true });
    await server.restart();
    expect(await server.latchkey.devices.list(accountId)).to.deep.equal(before);
  });

  it('lists an app whose browser session ended but which still holds a refresh token', async () => {
    const first = await signUpAndAuthorize(server.issuer, c, OFFLINE);
    const accountId = first.tokens.claims()?.sub as string;
    const cookie = await sessionCookie(first.browser);
    const [session] = await server.latchkey.accountSessions.sessions(accountId);
    await server.latchkey.accountSessions.endAll(accountId, { exceptSessionId: cookie });
    // End the session record only: its offline grant stays, as after the app's own logout.
    await server.latchkey.provider.Session.adapter.destroy(cookie);
    const entries = await server.latchkey.devices.list(accountId);
    expect(entries.map((e) => e.kind)).to.deep.equal(['app']);
    expect(entries[0]?.apps[0]?.name).to.equal('First Party App');
    expect(entries[0]?.ip).to.equal('127.0.0.1');
    expect(session?.authorizations[0]?.grantId).to.equal(entries[0]?.id.slice(2));
  });

  it('lists a device-flow grant on its own, kept when the approving browser signs out', async () => {
    const { laptop, phone, accountId, handles } = await laptopAndPhone();
    const redis = server.resources.redis;
    const prefix = `${server.config.redisKeyPrefix}oidc:`;
    // As the device flow leaves it: the laptop's session approved it and holds its grant.
    const [grant] = await server.latchkey.accountSessions.grants(accountId);
    await redis.hset(metaKey(prefix, 'Grant', grant?.grantId as string), 'flow', 'device');
    const entries = await server.latchkey.devices.list(accountId);
    expect(entries.map((e) => e.id)).to.include(`g.${grant?.grantId}`);
    const browser = entries.find((e) => e.id === `s.${handles.laptop}`);
    expect(browser?.apps.map((a) => a.clientId)).not.to.include(c.client_id);

    // The phone signs the laptop out: the device keeps its refresh token.
    await server.latchkey.devices.signOut(accountId, `s.${handles.laptop}`);
    const kept = await refresh(server.issuer, c, laptop.tokens.refresh_token as string);
    expect(kept.status).to.equal(200);
    // Everywhere else, from the phone, includes the device.
    await server.latchkey.devices.signOutOthers(accountId, await sessionCookie(phone));
    const gone = await refresh(server.issuer, c, kept.data.refresh_token as string);
    expect(gone.data.error).to.equal('invalid_grant');
  });
});

describe('your devices after an upstream sign-in', () => {
  const { server, upstreams } = useServerWithUpstreams();

  it('says which upstream the browser signed in with', async () => {
    const who = person('devicesupstream');
    upstreams.google.signInAs({ sub: '2000001', ...profileOf(who, true) });
    const { rp, browser, auth, login } = await atSignInPage(server.issuer, c);
    const tokens = await exchangeCode(
      rp,
      callbackOf(await viaUpstream(browser, login, 'google')),
      auth,
    );
    const accountId = tokens.claims()?.sub as string;
    const [entry] = await server.latchkey.devices.list(accountId);
    expect(entry?.method).to.equal('google');
    const page = pageOf(await browser.follow(await browser.get('/account')));
    expect(page).to.include('with Google');
  });
});
