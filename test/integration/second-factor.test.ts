// Two-step sign-in: enrolling TOTP on the account page, the second step after a password (codes,
// their window and single use, recovery codes, remembered browsers, throttling), the MFA policy
// (acr_values, require_mfa, "always ask", step-up, setting one up) and acr/amr in ID tokens.
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { Browser, formByAction } from '../support/browser.ts';
import {
  atSignInPage,
  authorizationUrl,
  callbackOf,
  exchangeCode,
  pageOf,
  relyingParty,
  visit,
} from '../support/oidc.ts';
import { accountFor, TEST_CLIENTS, useServer } from '../support/server.ts';
import { awayFromStepEdge, recoveryCodesOnPage, secretOnPage, totpCode } from '../support/totp.ts';

const MFA_APP = {
  client_id: 'payroll-app',
  client_secret: 'payroll-secret-0123456789abcdef0123',
  client_name: 'Payroll',
  redirect_uris: ['http://127.0.0.1:9/callback'],
  first_party: true,
  require_mfa: true,
} as const;

const MFA = 'urn:latchkey:acr:mfa';
const ONE = 'urn:latchkey:acr:1fa';

describe('two-step sign-in', function () {
  this.timeout(30_000);
  const app = TEST_CLIENTS.firstParty;
  const server = useServer({
    clients: [...Object.values(TEST_CLIENTS), MFA_APP],
    throttleLimits: {
      perAccount: 50,
      perSource: 1000,
      signUpsPerSource: 1000,
      windowSeconds: 60,
      codesPerAccount: 3,
    },
  });
  beforeEach(() => awayFromStepEdge());

  /** An account with TOTP on, as if enrolled long ago: every step in the window is still unused. */
  async function enrolled(label: string) {
    const who = await accountFor(server, label);
    const factors = server.latchkey.factors;
    const { secret } = await factors.startTotp(who.id, who.email);
    const recovery = await factors.confirmTotp(who.id, totpCode(secret), 'test');
    await server.resources.db.query('UPDATE totp_factors SET last_step = 0 WHERE account_id = $1', [
      who.id,
    ]);
    return { ...who, secret, recovery };
  }

  /** A fresh authorization request signed in with the password; where that led. */
  async function password(
    who: { email: string; password: string },
    params: Record<string, string> = {},
    client: { client_id: string; client_secret?: string; redirect_uris: readonly string[] } = app,
    browser?: Browser,
  ) {
    const rp = await relyingParty(server.issuer, client);
    const b = browser ?? new Browser(server.issuer);
    const auth = await authorizationUrl(rp, client.redirect_uris[0] as string, params);
    const login = pageOf(await visit(b, auth.url));
    const form = formByAction(login, '/login');
    const result = await b.follow(
      await b.post(form.action, { ...form.fields, email: who.email, password: who.password }),
    );
    return { rp, browser: b, auth, result };
  }

  const asksForCode = (html: string) => /action="\/interaction\/[^"]+\/second-step"/.test(html);

  async function sendCode(browser: Browser, page: string, code: string, extra = {}) {
    const form = formByAction(page, '/second-step');
    return browser.post(form.action, { ...form.fields, code, ...extra });
  }

  /** A browser signed in with the password and a code, which it asked to be remembered. */
  async function rememberedBrowser(who: Awaited<ReturnType<typeof enrolled>>) {
    const browser = new Browser(server.issuer);
    const first = await password(who, {}, app, browser);
    await browser.follow(
      await sendCode(browser, pageOf(first.result), totpCode(who.secret, -1), {
        remember_browser: 'yes',
      }),
    );
    return browser;
  }

  async function idTokenOf(step: Awaited<ReturnType<typeof password>>, followed: unknown) {
    const tokens = await exchangeCode(step.rp, callbackOf(followed as never), step.auth);
    return decodeJwt(tokens.id_token as string);
  }

  it('lists the acr values in discovery', async () => {
    const res = await new Browser(server.issuer).get('/.well-known/openid-configuration');
    expect(JSON.parse(res.data).acr_values_supported).to.deep.equal([ONE, MFA, 'phr']);
  });

  it('gives a password-only sign-in acr 1fa and amr pwd in the ID token', async () => {
    const who = await accountFor(server, 'plain');
    const step = await password(who);
    const claims = await idTokenOf(step, step.result);
    expect(claims.acr).to.equal(ONE);
    expect(claims.amr).to.deep.equal(['pwd']);
  });

  it('enrols on the account page: QR code, a wrong then a right code, ten recovery codes shown once, the secret sealed', async () => {
    const who = await accountFor(server, 'enrol');
    const browser = new Browser(server.issuer);
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    let page = pageOf(
      await browser.follow(
        await browser.submit(login, '/login', { email: who.email, password: who.password }),
      ),
    );
    expect(page).to.include('action="/account/two-step/start"');
    page = pageOf(await browser.follow(await browser.submit(page, '/account/two-step/start')));
    expect(page).to.include('<svg');
    const secret = secretOnPage(page);
    expect(secret).to.match(/^[A-Z2-7]{32}$/);

    const wrong = await browser.submit(page, '/account/two-step/confirm', { code: '000000' });
    expect(wrong.status).to.equal(401);
    expect(wrong.data).to.include('That code is not right or has expired.');

    const right = await browser.submit(wrong.data, '/account/two-step/confirm', {
      code: totpCode(secret),
    });
    expect(right.status).to.equal(200);
    const codes = recoveryCodesOnPage(right.data);
    expect(codes).to.have.length(10);
    expect(new Set(codes).size).to.equal(10);
    for (const code of codes) expect(code).to.match(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(right.data).to.include('10 recovery codes left.');

    // Shown once: the page afterwards counts them and shows none.
    const later = await browser.get('/account');
    expect(recoveryCodesOnPage(later.data)).to.deep.equal([]);

    const db = server.resources.db;
    const [row] = await db.query(
      'SELECT secret, sealed_secret, kek_id, row_to_json(t)::text AS text FROM totp_factors t WHERE account_id = $1',
      [who.id],
    );
    expect(row.secret).to.equal(null);
    expect(row.kek_id).to.be.a('string');
    expect(row.sealed_secret.toString('latin1')).not.to.include(secret);
    expect(row.text).not.to.include(secret);
    const stored = await db.query(
      "SELECT encode(code_hash, 'escape') AS h FROM recovery_codes WHERE account_id = $1",
      [who.id],
    );
    expect(stored).to.have.length(10);
    const all = JSON.stringify(stored);
    for (const code of codes) {
      expect(all).not.to.include(code);
      expect(all).not.to.include(code.replace(/-/g, ''));
    }
  });

  it('asks for the code after the right password, then signs in with acr mfa and amr pwd otp mfa', async () => {
    const who = await enrolled('second');
    const step = await password(who);
    const page = pageOf(step.result);
    expect(asksForCode(page)).to.equal(true);
    const done = await step.browser.follow(
      await sendCode(step.browser, page, totpCode(who.secret)),
    );
    const claims = await idTokenOf(step, done);
    expect(claims.sub).to.equal(who.id);
    expect(claims.acr).to.equal(MFA);
    expect(claims.amr).to.have.members(['pwd', 'otp', 'mfa']);
  });

  it('accepts the previous and the next step, and nothing further away', async () => {
    for (const offset of [-1, 1]) {
      const who = await enrolled(`window${offset}`);
      const step = await password(who);
      const res = await sendCode(step.browser, pageOf(step.result), totpCode(who.secret, offset));
      expect(res.status, `offset ${offset}`).to.equal(303);
    }
    const who = await enrolled('window-far');
    for (const offset of [-2, 2]) {
      const step = await password(who);
      const res = await sendCode(step.browser, pageOf(step.result), totpCode(who.secret, offset));
      expect(res.status, `offset ${offset}`).to.equal(401);
      expect(res.data).to.include('That code is not right, has expired or was already used.');
    }
  });

  it('accepts a code once: the same code again is refused, even by another browser', async () => {
    const who = await enrolled('reuse');
    const code = totpCode(who.secret);
    const first = await password(who);
    expect((await sendCode(first.browser, pageOf(first.result), code)).status).to.equal(303);
    const second = await password(who);
    const again = await sendCode(second.browser, pageOf(second.result), code);
    expect(again.status).to.equal(401);
  });

  it('accepts one code once when two browsers send it at the same moment', async () => {
    const who = await enrolled('race');
    const [a, b] = await Promise.all([password(who), password(who)]);
    const code = totpCode(who.secret);
    const pageA = pageOf(a.result);
    const pageB = pageOf(b.result);
    const answers = await Promise.all([
      sendCode(a.browser, pageA, code),
      sendCode(b.browser, pageB, code),
    ]);
    expect(answers.map((r) => r.status).sort()).to.deep.equal([303, 401]);
  });

  it('signs in with a recovery code once; racing uses of one code succeed once', async () => {
    const who = await enrolled('recovery');
    const [code, other] = who.recovery as [string, string];
    const step = await password(who);
    const done = await step.browser.follow(
      await sendCode(step.browser, pageOf(step.result), code.toLowerCase().replace(/-/g, ' ')),
    );
    const claims = await idTokenOf(step, done);
    expect(claims.amr).to.have.members(['pwd', 'otp', 'mfa']);
    const again = await password(who);
    expect((await sendCode(again.browser, pageOf(again.result), code)).status).to.equal(401);

    const [x, y] = await Promise.all([password(who), password(who)]);
    const answers = await Promise.all([
      sendCode(x.browser, pageOf(x.result), other),
      sendCode(y.browser, pageOf(y.result), other),
    ]);
    expect(answers.map((r) => r.status).sort()).to.deep.equal([303, 401]);
    const [left] = await server.resources.db.query(
      'SELECT count(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL',
      [who.id],
    );
    expect(Number(left.n)).to.equal(8);
  });

  it('counts wrong codes before judging them: past the limit even the right code waits', async () => {
    const who = await enrolled('throttle');
    const step = await password(who);
    const page = pageOf(step.result);
    // Five at once against a limit of three: exactly three are judged.
    const answers = await Promise.all(
      ['111111', '222222', '333333', '444444', '555555'].map((c) =>
        sendCode(step.browser, page, c),
      ),
    );
    expect(answers.map((r) => r.status).sort()).to.deep.equal([401, 401, 401, 429, 429]);
    const right = await sendCode(step.browser, page, totpCode(who.secret));
    expect(right.status).to.equal(429);
    expect(right.headers['retry-after']).to.match(/^\d+$/);
  });

  it('remembers the browser for 30 days when asked (a hashed token), until it is forgotten', async () => {
    const who = await enrolled('remember');
    const browser = new Browser(server.issuer);
    const first = await password(who, {}, app, browser);
    const res = await sendCode(browser, pageOf(first.result), totpCode(who.secret), {
      remember_browser: 'yes',
    });
    expect(res.status).to.equal(303);
    const cookie = (await browser.jar.getCookies(`${server.issuer}/interaction/x`)).find(
      (c) => c.key === 'latchkey.second-step',
    );
    expect(cookie?.value).to.match(/^[A-Za-z0-9_-]{43}$/);
    const expires = cookie?.expires instanceof Date ? cookie.expires.getTime() : 0;
    expect((expires - Date.now()) / 1000).to.be.closeTo(30 * 24 * 3600, 60);
    const rows = await server.resources.db.query(
      "SELECT encode(token_hash, 'hex') AS h, expires_at FROM remembered_browsers WHERE account_id = $1",
      [who.id],
    );
    expect(rows).to.have.length(1);
    expect(JSON.stringify(rows)).not.to.include(cookie?.value);
    await browser.follow(res);

    // Signing in again on this browser (prompt=login): the password is enough, at one factor.
    const again = await password(who, { prompt: 'login' }, app, browser);
    const claims = await idTokenOf(again, again.result);
    expect(claims.acr).to.equal(ONE);
    expect(claims.amr).to.deep.equal(['pwd']);

    // Another browser is still asked.
    const elsewhere = await password(who);
    expect(asksForCode(pageOf(elsewhere.result))).to.equal(true);

    // Forgotten from the account page: asked again.
    const account = pageOf(await browser.follow(await browser.get('/account')));
    expect(account).to.include('action="/account/two-step/browsers/forget"');
    const forgot = await browser.submit(account, '/account/two-step/browsers/forget');
    expect(forgot.status).to.equal(200);
    const after = await password(who, { prompt: 'login' }, app, browser);
    expect(asksForCode(pageOf(after.result))).to.equal(true);
  });

  it('asks a remembered browser anyway when the app sends acr_values=mfa, and steps a one-factor session up without the password', async () => {
    const who = await enrolled('stepup');
    const browser = await rememberedBrowser(who);
    // A one-factor session on the remembered browser.
    const plain = await password(who, { prompt: 'login' }, app, browser);
    expect((await idTokenOf(plain, plain.result)).acr).to.equal(ONE);

    // The app asks for two factors: the session is stepped up with a code only.
    const rp = await relyingParty(server.issuer, app);
    const auth = await authorizationUrl(rp, app.redirect_uris[0] as string, { acr_values: MFA });
    const page = pageOf(await visit(browser, auth.url));
    expect(asksForCode(page)).to.equal(true);
    expect(page).not.to.include('name="password"');
    const done = await browser.follow(await sendCode(browser, page, totpCode(who.secret)));
    const claims = decodeJwt((await exchangeCode(rp, callbackOf(done), auth)).id_token as string);
    expect(claims.acr).to.equal(MFA);
    expect(claims.amr).to.have.members(['pwd', 'otp', 'mfa']);

    // The session now holds two factors: the next request for mfa needs nothing more.
    const next = await authorizationUrl(rp, app.redirect_uris[0] as string, { acr_values: MFA });
    const sso = await visit(browser, next.url);
    expect(
      decodeJwt((await exchangeCode(rp, callbackOf(sso), next)).id_token as string).acr,
    ).to.equal(MFA);
  });

  it('asks an account without a second factor to set one up when the app requires it (require_mfa)', async () => {
    const who = await accountFor(server, 'setup');
    const step = await password(who, {}, MFA_APP);
    const page = pageOf(step.result);
    expect(page).to.include('/second-step/setup');
    expect(page).to.include('<svg');
    const secret = secretOnPage(page);
    const wrong = await step.browser.submit(page, '/second-step/setup', { code: '123456' });
    expect(wrong.status).to.equal(401);
    const codesPage = await step.browser.submit(wrong.data, '/second-step/setup', {
      code: totpCode(secret),
    });
    expect(codesPage.status).to.equal(200);
    expect(recoveryCodesOnPage(codesPage.data)).to.have.length(10);
    const done = await step.browser.follow(
      await step.browser.submit(codesPage.data, '/second-step/continue'),
    );
    const claims = await idTokenOf(step, done);
    expect(claims.acr).to.equal(MFA);
    expect(claims.amr).to.have.members(['pwd', 'otp', 'mfa']);
    expect(await server.latchkey.factors.hasSecondFactor(who.id)).to.equal(true);
  });

  it('asks every time when the account chose "always ask", remembered browser or not', async () => {
    const who = await enrolled('always');
    const browser = await rememberedBrowser(who);
    const account = pageOf(await browser.follow(await browser.get('/account')));
    const on = await browser.submit(account, '/account/two-step/always', { always: 'on' });
    expect(on.status).to.equal(200);
    expect(on.data).to.include('Every sign-in now asks for a second step.');
    const again = await password(who, { prompt: 'login' }, app, browser);
    expect(asksForCode(pageOf(again.result))).to.equal(true);
  });

  it('asks a signed-in session with one factor for its second step at the next single sign-on once "always ask" is on', async () => {
    const who = await enrolled('always-sso');
    const browser = await rememberedBrowser(who);
    // The remembered browser skips the code: this session has the password only.
    const again = await password(who, { prompt: 'login' }, app, browser);
    expect(callbackOf(again.result)).to.be.instanceOf(URL);
    const rp = await relyingParty(server.issuer, app);
    const sso = async () =>
      browser.follow(
        await browser.get((await authorizationUrl(rp, app.redirect_uris[0])).url.toString()),
      );
    // Single sign-on, which reads (and keeps) the account's settings.
    expect(callbackOf(await sso())).to.be.instanceOf(URL);

    const account = pageOf(await browser.follow(await browser.get('/account')));
    const on = await browser.submit(account, '/account/two-step/always', { always: 'on' });
    expect(on.status).to.equal(200);
    expect(asksForCode(pageOf(await sso()))).to.equal(true);
  });

  it('turns two-step sign-in off only after a recent sign-in; codes and remembered browsers go with it', async () => {
    const who = await enrolled('remove');
    const step = await password(who);
    await step.browser.follow(
      await sendCode(step.browser, pageOf(step.result), totpCode(who.secret)),
    );
    const account = pageOf(await step.browser.follow(await step.browser.get('/account')));
    const cookies = await step.browser.jar.getCookies(`${server.issuer}/account`);
    const sessionId = cookies.find((c) => c.key === 'latchkey.session')?.value as string;
    const session = await server.latchkey.provider.Session.find(sessionId);
    if (!session?.loginTs) throw new Error('no session');
    session.loginTs -= 3600;
    await session.persist();
    const refused = await step.browser.submit(account, '/account/two-step/remove');
    expect(refused.status).to.equal(403);
    expect(await server.latchkey.factors.hasSecondFactor(who.id)).to.equal(true);

    session.loginTs += 3600;
    await session.persist();
    const removed = await step.browser.submit(account, '/account/two-step/remove');
    expect(removed.status).to.equal(200);
    expect(await server.latchkey.factors.hasSecondFactor(who.id)).to.equal(false);
    const [left] = await server.resources.db.query(
      'SELECT (SELECT count(*) FROM recovery_codes WHERE account_id = $1) AS n',
      [who.id],
    );
    expect(Number(left.n)).to.equal(0);
    const plain = await password(who);
    expect(callbackOf(plain.result)).to.be.instanceOf(URL);
  });

  it('answers nonsense at the second step with the form again, never a 500', async () => {
    const who = await enrolled('junk');
    const { browser, login } = await atSignInPage(server.issuer, app);
    const form = formByAction(login, '/login');
    const page = pageOf(
      await browser.follow(
        await browser.post(form.action, {
          ...form.fields,
          email: who.email,
          password: who.password,
        }),
      ),
    );
    for (const code of ['', 'x'.repeat(2000), '12345', '<script>']) {
      const res = await sendCode(browser, page, code);
      expect(res.status, code.slice(0, 10)).to.be.within(400, 429);
    }
    // Without a waiting sign-in, the step sends the browser back to the start.
    const uid = /\/interaction\/([^/"]+)\/second-step/.exec(page)?.[1];
    const fresh = await atSignInPage(server.issuer, app);
    const elsewhere = await fresh.browser.get(`/interaction/${uid}/second-step`);
    expect(elsewhere.status).to.be.within(400, 499);
  });
});
