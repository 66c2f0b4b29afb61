// "Apps you've allowed" on the account page: each third-party app the account consented to, with
// what it may see; removing its access forgets the consent, revokes its tokens, tells the app by
// back-channel logout and is recorded; refused without the page's CSRF token or for an app that
// was never allowed, and two removals at once end without a server error.
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { type LogoutReceiver, startLogoutReceiver } from '../support/logout-receiver.ts';
import {
  authorizationUrl,
  callbackOf,
  consent,
  exchangeCode,
  OFFLINE,
  pageOf,
  signUpAndAuthorize,
  signUpThrough,
  type TestClient,
  visit,
} from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { atOnce, refresh, sessionCookie } from '../support/tokens.ts';

const { firstParty, thirdParty } = TEST_CLIENTS;
const REMOVE = `/account/apps/${thirdParty.client_id}/remove`;

function shopWith(receiver: LogoutReceiver) {
  return {
    client_id: 'allowed-shop',
    client_secret: 'allowed-shop-secret-0123456789abcdef0123',
    client_name: 'Corner Shop',
    redirect_uris: ['http://127.0.0.1:5/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:5/signed-out'],
    backchannel_logout_uri: receiver.url,
  };
}

describe("apps you've allowed", () => {
  let receiver: LogoutReceiver;
  before(async () => {
    receiver = await startLogoutReceiver();
  });
  after(() => receiver.close());
  const server = useServer(() => ({
    clients: [...Object.values(TEST_CLIENTS), shopWith(receiver)],
    env: { BACKCHANNEL_ALLOW_PRIVATE_NETWORK: 'true' },
    backchannelBackoffMs: 50,
  }));

  /** Someone signed up through the third-party app, allowed it, and holds a refresh token. */
  async function allowed(c: TestClient = thirdParty) {
    const { rp, browser, auth, person, result } = await signUpThrough(server.issuer, c, OFFLINE);
    const tokens = await exchangeCode(
      rp,
      callbackOf(await consent(browser, pageOf(result), 'allow')),
      auth,
    );
    if (!tokens.refresh_token) throw new Error('no refresh token');
    const accountId = tokens.claims()?.sub as string;
    return { rp, browser, person, tokens, refreshToken: tokens.refresh_token, accountId };
  }

  const accountPage = async (browser: Awaited<ReturnType<typeof allowed>>['browser']) =>
    pageOf(await browser.follow(await browser.get('/account')));

  it('lists the app, what it may see and when it was allowed; not on another account', async () => {
    const { browser } = await allowed();
    const page = await accountPage(browser);
    expect(page).to.include('Apps you&#39;ve allowed');
    expect(page).to.include('<strong id="app-0">Third Party App</strong>');
    expect(page).to.include('See your email address');
    expect(page).to.include('See your name and profile picture');
    expect(page).to.match(
      new RegExp(`Allowed [A-Z][a-z]{2} \\d{1,2}, ${new Date().getUTCFullYear()}<`),
    );
    expect(page).to.include(`action="${REMOVE}"`);

    const other = await signUpAndAuthorize(server.issuer, firstParty);
    const theirs = await accountPage(other.browser);
    expect(theirs).to.include('Apps you&#39;ve allowed');
    expect(theirs).to.include('You have not allowed any apps yet.');
    expect(theirs).not.to.include('Third Party App');
    // A first-party app is never "allowed": nothing to remove.
    expect(theirs).not.to.include('/account/apps/');
  });

  it('removes access: consent is asked again, the refresh token stops working, the event is recorded', async () => {
    const { rp, browser, refreshToken, accountId } = await allowed();
    const removed = await browser.submit(await accountPage(browser), REMOVE);
    expect(removed.status).to.equal(200);
    expect(removed.data).to.include('Third Party App no longer has access');
    expect(removed.data).to.include('You have not allowed any apps yet.');
    expect(await server.latchkey.consents.find(accountId, thirdParty.client_id)).to.equal(null);

    const refused = await refresh(server.issuer, thirdParty, refreshToken);
    expect(refused.status).to.equal(400);
    expect(refused.data.error).to.equal('invalid_grant');

    // The same browser, still signed in, is asked again rather than sent back with a code.
    const again = await authorizationUrl(rp, thirdParty.redirect_uris[0] as string);
    const asked = await visit(browser, again.url);
    expect(pageOf(asked)).to.include('/consent');
    expect(pageOf(asked)).to.include('See your email address');

    await server.latchkey.audit.writer.flush();
    const rows = await server.resources.db.query(
      `SELECT type, actor, account_id, client_id, details FROM audit_events
        WHERE type = 'consent.revoked' AND account_id = $1`,
      [accountId],
    );
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({
      actor: 'account',
      account_id: accountId,
      client_id: thirdParty.client_id,
    });
    expect(rows[0].details).to.include({ via: 'account_page' });
    // The person sees it among their security activity.
    expect(await accountPage(browser)).to.include(
      'Third Party App lost the access you had allowed',
    );
  });

  it('tells the app by back-channel logout', async () => {
    const shop = shopWith(receiver);
    const { browser, accountId } = await allowed(shop);
    const delivered = receiver.next();
    const removed = await browser.submit(
      await accountPage(browser),
      '/account/apps/allowed-shop/remove',
    );
    expect(removed.status).to.equal(200);
    const [token] = await delivered;
    const claims = decodeJwt(token as string);
    expect(claims.aud).to.equal('allowed-shop');
    expect(claims.sub).to.equal(accountId);
  });

  it('asks for a recent sign-in before removing, as signing a device out does', async () => {
    const { browser, refreshToken, accountId } = await allowed();
    const session = await server.latchkey.provider.Session.find(await sessionCookie(browser));
    if (!session?.loginTs) throw new Error('no session');
    session.loginTs -= 3600;
    await session.persist();
    const refused = await browser.submit(await accountPage(browser), REMOVE);
    expect(refused.status).to.equal(403);
    expect(refused.data).to.include('section=apps');
    expect(await server.latchkey.consents.find(accountId, thirdParty.client_id)).not.to.equal(null);
    expect((await refresh(server.issuer, thirdParty, refreshToken)).status).to.equal(200);
  });

  it('refuses a removal without the CSRF token, and keeps the app', async () => {
    const { browser, refreshToken, accountId } = await allowed();
    const res = await browser.post(REMOVE, {});
    expect(res.status).to.equal(403);
    expect(await server.latchkey.consents.find(accountId, thirdParty.client_id)).not.to.equal(null);
    expect((await refresh(server.issuer, thirdParty, refreshToken)).status).to.equal(200);
  });

  it('answers 404 with a readable page for an app that was never allowed', async () => {
    const { browser, refreshToken } = await allowed();
    const page = await accountPage(browser);
    const form = page.match(/name="csrf" value="([^"]+)"/);
    const csrf = form?.[1] as string;
    for (const id of [firstParty.client_id, 'no-such-app', 'allowed-shop']) {
      const res = await browser.post(`/account/apps/${id}/remove`, { csrf });
      expect(res.status, id).to.equal(404);
      expect(res.data).to.include('That app does not have access to your account.');
    }
    // The app that was allowed keeps its access.
    expect((await refresh(server.issuer, thirdParty, refreshToken)).status).to.equal(200);
  });

  it('lets two removals at once end in one removal and one "not allowed", never a 500', async () => {
    const { browser, refreshToken, accountId } = await allowed();
    const page = await accountPage(browser);
    const answers = await atOnce(2, () => browser.submit(page, REMOVE));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).to.deep.equal([200, 404]);
    expect((await refresh(server.issuer, thirdParty, refreshToken)).status).to.equal(400);
    await server.latchkey.audit.writer.flush();
    const rows = await server.resources.db.query(
      `SELECT 1 FROM audit_events WHERE type = 'consent.revoked' AND account_id = $1`,
      [accountId],
    );
    expect(rows).to.have.length(1);
  });
});
