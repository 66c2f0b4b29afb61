// The account page's sensitive changes need a recent sign-in; an older one is asked to sign in
// again (prompt=login) with the account's own method, and nothing changes until then.
import { expect } from 'chai';
import { Browser, formByAction } from '../support/browser.ts';
import { pageOf, person, signIn, signUpOnAccountPage, verifiedProfile } from '../support/oidc.ts';
import { accountFor, useServerWithUpstreams } from '../support/server.ts';

type Step = Awaited<ReturnType<Browser['follow']>>;

describe('recent sign-in for sensitive account changes', () => {
  const ended: [string, string][] = [];
  const { server, upstreams } = useServerWithUpstreams({
    endOtherSessions: async (accountId, sessionId) => {
      ended.push([accountId, sessionId]);
    },
  });
  beforeEach(() => {
    upstreams.reset();
    ended.length = 0;
  });

  async function sessionId(browser: Browser): Promise<string> {
    const cookies = await browser.jar.getCookies(`${server.issuer}/account`);
    const session = cookies.find((c) => c.key === 'latchkey.session');
    if (!session) throw new Error('no session cookie');
    return session.value;
  }

  /** Moves the session's sign-in time back, as if the person signed in `seconds` ago. */
  async function ageSession(browser: Browser, seconds: number): Promise<void> {
    const session = await server.latchkey.provider.Session.find(await sessionId(browser));
    if (!session?.loginTs) throw new Error('no signed-in session');
    session.loginTs -= seconds;
    await session.persist();
  }

  const signedUpOnAccountPage = (label: string) => signUpOnAccountPage(server.issuer, label);

  async function passwordWorks(email: string, password: string): Promise<boolean> {
    return server.latchkey.accounts.signInWithPassword({ email, password, source: 'test' }).then(
      () => true,
      () => false,
    );
  }

  /** Follows the page's "Sign in again" link to the sign-in page. */
  async function reauthPrompt(browser: Browser, page: string): Promise<Step> {
    const href = /href="(\/account\/signin\?reauth=1[^"]*)"/.exec(page)?.[1];
    if (!href) throw new Error(`no re-authentication link in:\n${page.slice(0, 1500)}`);
    const start = await browser.get(href.replace(/&amp;/g, '&'));
    expect(start.status).to.equal(303);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.searchParams.get('prompt')).to.equal('login');
    return browser.follow(start);
  }

  it('changes the password directly right after signing in', async () => {
    const { browser, who, page } = await signedUpOnAccountPage('fresh');
    const done = await browser.submit(page, '/account/password', {
      current_password: who.password,
      new_password: 'a fresh new passphrase',
    });
    expect(done.status).to.equal(200);
    expect(done.data).to.include('Your password was saved.');
    expect(await passwordWorks(who.email, 'a fresh new passphrase')).to.equal(true);
  });

  it('refuses a password change from an old sign-in, signs in again, then accepts it', async () => {
    const { browser, who, page } = await signedUpOnAccountPage('stale');
    const account = await server.latchkey.accounts.findAccountByEmail(who.email);
    await ageSession(browser, 301);

    const refused = await browser.submit(page, '/account/password', {
      current_password: who.password,
      new_password: 'a changed passphrase',
    });
    expect(refused.status).to.equal(403);
    expect(refused.data).to.include('Confirm it&#39;s you to continue');
    expect(await passwordWorks(who.email, who.password)).to.equal(true);
    expect(await passwordWorks(who.email, 'a changed passphrase')).to.equal(false);
    expect(ended).to.deep.equal([]);

    // The sign-in page appears although a session exists, with the account's email filled in.
    const prompt = pageOf(await reauthPrompt(browser, refused.data));
    expect(prompt).to.include('Sign in again to confirm it&#39;s you.');
    expect(prompt).to.include(`value="${who.email}"`);
    const back = await browser.follow(
      await browser.submit(prompt, '/login', { email: who.email, password: who.password }),
    );
    expect(back.response.status).to.equal(200);
    expect(back.response.config.url).to.match(/\/account#password$/);
    expect(back.response.data).to.include('You can now change your password.');

    // Nothing was replayed: the change happens when the form is sent again.
    expect(await passwordWorks(who.email, who.password)).to.equal(true);
    const done = await browser.submit(back.response.data, '/account/password', {
      current_password: who.password,
      new_password: 'a changed passphrase',
    });
    expect(done.status).to.equal(200);
    expect(await passwordWorks(who.email, 'a changed passphrase')).to.equal(true);
    // The other sessions end; this browser's session stays signed in.
    expect(ended).to.deep.equal([[account?.id, await sessionId(browser)]]);
    const still = await browser.get('/account');
    expect(still.data).to.include(who.email);
  });

  it('accepts a sign-in a little younger than the limit', async () => {
    const { browser, who, page } = await signedUpOnAccountPage('young');
    await ageSession(browser, 240);
    const done = await browser.submit(page, '/account/password', {
      current_password: who.password,
      new_password: 'still recent enough',
    });
    expect(done.status).to.equal(200);
  });

  it('refuses to remove a provider from an old sign-in until the person signs in again', async () => {
    const { browser, who } = await signedUpOnAccountPage('unlink');
    const account = await server.latchkey.accounts.findAccountByEmail(who.email);
    const accountId = account?.id as string;
    await server.latchkey.upstreamAccounts.link(accountId, {
      upstream: 'google',
      subject: `unlink-${accountId}`,
      email: who.email,
      emailVerified: true,
      name: who.name,
      picture: null,
    });
    const withGoogle = (await browser.get('/account')).data;
    expect(withGoogle).to.match(/\/account\/identities\/[^"]+\/remove/);
    await ageSession(browser, 600);

    const refused = await browser.submit(withGoogle, '/remove');
    expect(refused.status).to.equal(403);
    expect(refused.data).to.include('Confirm it&#39;s you to continue');
    expect(await server.latchkey.upstreamAccounts.identities(accountId)).to.have.length(1);

    const prompt = pageOf(await reauthPrompt(browser, refused.data));
    const back = await signIn(browser, prompt, who.email, who.password);
    expect(back.response.config.url).to.match(/\/account#methods$/);
    expect(back.response.data).to.include('You can now add or remove a sign-in method.');
    const removed = await browser.submit(back.response.data, '/remove');
    expect(removed.status).to.equal(303);
    expect(await server.latchkey.upstreamAccounts.identities(accountId)).to.have.length(0);
    expect(ended).to.deep.equal([]);
  });

  it('refuses every one of many parallel changes from an old sign-in', async () => {
    const { browser, who, page } = await signedUpOnAccountPage('parallel');
    await ageSession(browser, 301);
    const form = formByAction(page, '/account/password');
    const answers = await browser.submitAtOnce(form, 12, (i) => ({
      current_password: who.password,
      new_password: `parallel passphrase ${i}`,
    }));
    expect(answers.map((a) => a.status)).to.deep.equal(Array(12).fill(403));
    expect(await passwordWorks(who.email, who.password)).to.equal(true);
    expect(ended).to.deep.equal([]);
  });

  it('lets a Google-only account confirm through Google before setting a first password', async () => {
    const who = person('gonly');
    upstreams.google.signInAs({ sub: `g-${who.email}`, ...verifiedProfile(who) });
    const browser = new Browser(server.issuer);
    const viaGoogle = async (page: string) => {
      const out = await browser.follow(await browser.submit(page, '/federated/google'));
      const answer = await browser.get((out.external as URL).toString());
      return browser.follow(await browser.get(answer.headers.location as string));
    };
    const login = pageOf(await browser.follow(await browser.get('/account/signin')));
    const page = (await viaGoogle(login)).response.data;
    expect(page).to.include('Set a password');
    await ageSession(browser, 3600);

    const refused = await browser.submit(page, '/account/password', {
      new_password: 'my very first passphrase',
    });
    expect(refused.status).to.equal(403);
    expect(await passwordWorks(who.email, 'my very first passphrase')).to.equal(false);

    const prompt = pageOf(await reauthPrompt(browser, refused.data));
    const back = await viaGoogle(prompt);
    expect(back.response.data).to.include('You can now change your password.');
    const done = await browser.submit(back.response.data, '/account/password', {
      new_password: 'my very first passphrase',
    });
    expect(done.status).to.equal(200);
    expect(await passwordWorks(who.email, 'my very first passphrase')).to.equal(true);
  });

  it('shows the new account, and changes nothing, when someone else signs in at the prompt', async () => {
    const { browser, who, page } = await signedUpOnAccountPage('first');
    const other = await accountFor(server, 'second');
    await ageSession(browser, 900);
    const refused = await browser.submit(page, '/account/password', {
      current_password: who.password,
      new_password: 'the first one changed',
    });
    expect(refused.status).to.equal(403);

    const prompt = pageOf(await reauthPrompt(browser, refused.data));
    const step = await browser.follow(
      await browser.submit(prompt, '/login', { email: other.email, password: other.password }),
    );
    // The provider signs the first account out before the second one signs in.
    const logout = formByAction(step.response.data, '/logout/confirm');
    const back = await browser.follow(await browser.post(logout.action, logout.fields));
    expect(back.response.status).to.equal(200);
    expect(back.response.config.url).to.match(/\/account$/);
    expect(back.response.data).to.include(
      `You are now signed in as ${other.email}. Nothing was changed.`,
    );
    expect(back.response.data).to.include(other.email);
    expect(back.response.data).not.to.include(who.email);
    expect(back.response.data).not.to.include('You can now change your password.');
    expect(await passwordWorks(who.email, who.password)).to.equal(true);
    expect(await passwordWorks(other.email, other.password)).to.equal(true);
    expect(ended).to.deep.equal([]);
  });
});
