// A relying party for tests, built on openid-client, driving our HTML pages with Browser.
import * as client from 'openid-client';
import { Browser, type BrowserOptions, type Followed, formByAction } from './browser.ts';
import { mailboxFor } from './mailbox.ts';

export interface TestClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: readonly string[];
}

export async function relyingParty(issuer: string, c: TestClient): Promise<client.Configuration> {
  const auth = c.client_secret ? client.ClientSecretBasic(c.client_secret) : client.None();
  // Non-repudiation checks make openid-client verify id_token signatures against the JWKS too.
  return client.discovery(new URL(issuer), c.client_id, undefined, auth, {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
}

/** The request that gets a refresh token: offline_access, with prompt=consent as the provider requires. */
export const OFFLINE = { scope: 'openid profile email offline_access', prompt: 'consent' } as const;

export interface Authorization {
  verifier: string;
  state: string;
  nonce: string;
  redirectUri: string;
  url: URL;
}

export async function authorizationUrl(
  rp: client.Configuration,
  redirectUri: string,
  params: Record<string, string> = {},
): Promise<Authorization> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { verifier, state, nonce, redirectUri, url };
}

/** Follows the browser from the authorization endpoint to the next page or to the relying party. */
export async function visit(browser: Browser, url: URL | string) {
  return browser.follow(await browser.get(url.toString()));
}

export function pageOf(result: Followed): string {
  if (result.external) throw new Error(`expected a page, was sent to ${result.external.href}`);
  return result.response.data;
}

export function callbackOf(result: Followed): URL {
  if (!result.external) {
    throw new Error(
      `expected a redirect to the client, got ${result.response.status}:\n${result.response.data.slice(0, 1500)}`,
    );
  }
  return result.external;
}

/** The address of the sign-up page linked from a sign-in page. */
export function signUpLink(loginPage: string): string {
  const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(loginPage)?.[1];
  if (!link) throw new Error('no sign-up link on the page');
  return link;
}

/**
 * Signs up from a sign-in page the way a person does: the form, then the confirmation link from
 * the mail, opened in the same browser, which signs in and goes on with the request. A refused
 * form comes back as it is.
 */
export async function signUp(
  browser: Browser,
  loginPage: string,
  person: { name: string; email: string; password: string },
): Promise<Followed> {
  const signupPage = await browser.get(signUpLink(loginPage));
  const answer = await browser.submit(signupPage.data, '/signup', person);
  if (answer.status !== 200 || !answer.data.includes('action="/email/resend"')) {
    return { response: answer };
  }
  return confirmByMail(browser, person.email);
}

/** The confirmation link of the next mail to `email`, opened and confirmed in `browser`. */
export async function confirmByMail(browser: Browser, email: string): Promise<Followed> {
  const link = await linkFromMail(browser, email, '/email/confirm');
  const page = await browser.get(link);
  return browser.follow(await browser.submit(page.data, '/email/confirm', {}));
}

/** The link to `path` in the next mail to `email` from the browser's server. */
export async function linkFromMail(browser: Browser, email: string, path: string): Promise<string> {
  const mail = await mailboxFor(browser.origin).waitFor(email);
  const link = mail.links.find((l) => new URL(l).pathname === path);
  if (!link) throw new Error(`the mail to ${email} has no ${path} link:\n${mail.text}`);
  return link;
}

export async function signIn(browser: Browser, loginPage: string, email: string, password: string) {
  return browser.follow(await browser.submit(loginPage, '/login', { email, password }));
}

export async function consent(browser: Browser, consentPage: string, decision: 'allow' | 'deny') {
  const form = formByAction(consentPage, '/consent');
  return browser.follow(await browser.post(form.action, { ...form.fields, decision }));
}

export async function exchangeCode(
  rp: client.Configuration,
  callback: URL,
  auth: Authorization,
  parameters: Record<string, string> = {},
) {
  return client.authorizationCodeGrant(
    rp,
    callback,
    { pkceCodeVerifier: auth.verifier, expectedState: auth.state, expectedNonce: auth.nonce },
    parameters,
  );
}

/** What an upstream reports for a person: their name and email, and whether it verified that. */
export function profileOf(who: { name: string; email: string }, emailVerified?: boolean) {
  return {
    name: who.name,
    email: who.email,
    ...(emailVerified === undefined ? {} : { emailVerified }),
  };
}

/** What an upstream reports for a person whose email it has verified. */
export const verifiedProfile = (who: { name: string; email: string }) => profileOf(who, true);

let counter = 0;
export function person(label = 'person') {
  counter += 1;
  const id = `${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 6)}`;
  return {
    name: `Test ${label} ${counter}`,
    email: `${label}.${id}@example.com`,
    password: `correct horse battery ${id}`,
  };
}

/** A fresh browser on the sign-in page of a new authorization request from client `c`. */
export async function atSignInPage(
  issuer: string,
  c: TestClient,
  params: Record<string, string> = {},
  browserOptions: BrowserOptions = {},
) {
  const rp = await relyingParty(issuer, c);
  const browser = new Browser(issuer, browserOptions);
  const auth = await authorizationUrl(rp, c.redirect_uris[0] as string, params);
  const login = pageOf(await visit(browser, auth.url));
  return { rp, browser, auth, login };
}

/** A new person signs up from the sign-in page of a fresh request from `c`; where that led. */
export async function signUpThrough(
  issuer: string,
  c: TestClient,
  params: Record<string, string> = {},
  who = person(),
  browserOptions: BrowserOptions = {},
) {
  const { rp, browser, auth, login } = await atSignInPage(issuer, c, params, browserOptions);
  return { rp, browser, auth, person: who, result: await signUp(browser, login, who) };
}

/** A new person signs up through the pages; the client receives tokens. */
export async function signUpAndAuthorize(
  issuer: string,
  c: TestClient,
  params: Record<string, string> = {},
  tokenParameters: Record<string, string> = {},
  browserOptions: BrowserOptions = {},
) {
  const {
    rp,
    browser,
    auth,
    person: who,
    ...rest
  } = await signUpThrough(issuer, c, params, person(), browserOptions);
  let result = rest.result;
  if (!result.external && result.response.data.includes('/consent')) {
    result = await consent(browser, result.response.data, 'allow');
  }
  const tokens = await exchangeCode(rp, callbackOf(result), auth, tokenParameters);
  return { rp, browser, auth, tokens, person: who };
}

/** A browser that may already be signed in starts a new request; where it was sent back to the app. */
export async function authorizeAgain(
  browser: Browser,
  rp: client.Configuration,
  redirectUri: string,
  params: Record<string, string> = {},
) {
  const auth = await authorizationUrl(rp, redirectUri, params);
  return { auth, callback: callbackOf(await visit(browser, auth.url)) };
}

/** Someone who already has an account signs in with a fresh browser; the client gets tokens. */
export async function signInAndAuthorize(
  issuer: string,
  c: TestClient,
  who: { email: string; password: string },
  params: Record<string, string> = {},
) {
  const { rp, browser, auth, login } = await atSignInPage(issuer, c, params);
  const result = await signIn(browser, login, who.email, who.password);
  const tokens = await exchangeCode(rp, callbackOf(result), auth);
  return { rp, browser, auth, tokens };
}

/** A fresh browser on the sign-up page of a new authorization request, with its form. */
export async function atSignUpPage(
  issuer: string,
  c: TestClient,
  params: Record<string, string> = {},
  browserOptions: BrowserOptions = {},
) {
  const start = await atSignInPage(issuer, c, params, browserOptions);
  const page = await start.browser.get(signUpLink(start.login));
  return { ...start, page, form: formByAction(page.data, '/signup') };
}

/** Presses the button of upstream `provider` on `page`, lets the fake answer, and follows back into Latchkey. */
export async function viaUpstream(
  browser: Browser,
  page: string,
  provider: string,
): Promise<Followed> {
  const out = await browser.follow(await browser.submit(page, `/federated/${provider}`));
  if (!out.external) return out;
  const answer = await browser.get(out.external.toString());
  const back = answer.headers.location as string | undefined;
  if (!back) return { response: answer };
  return browser.follow(await browser.get(back));
}

/** From a new request's sign-in page through `provider` to the page offering to link an account. */
export async function atLinkPage(
  issuer: string,
  c: TestClient,
  provider: string,
  browserOptions: BrowserOptions = {},
) {
  const start = await atSignInPage(issuer, c, {}, browserOptions);
  const linkPage = pageOf(await viaUpstream(start.browser, start.login, provider));
  return { ...start, linkPage, form: formByAction(linkPage, '/link') };
}

/** The OAuth error code a call to the provider ends with, or "accepted" when it succeeds. */
export function outcomeOf(call: Promise<unknown>): Promise<string | undefined> {
  return call.then(
    () => 'accepted',
    (error: { error?: string }) => error.error,
  );
}

/** A new person signs up through Latchkey's own account page; the page they land on. */
export async function signUpOnAccountPage(
  issuer: string,
  label: string,
  browserOptions: BrowserOptions = {},
) {
  const browser = new Browser(issuer, browserOptions);
  const login = pageOf(await browser.follow(await browser.get('/account/signin')));
  const who = person(label);
  const page = (await signUp(browser, login, who)).response.data;
  return { browser, who, page };
}
