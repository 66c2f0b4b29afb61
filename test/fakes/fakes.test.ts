// Proves over raw HTTP that each fake provider runs the real protocol and refuses clients that stray.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { type FakeFacebook, startFakeFacebook } from './facebook.ts';
import { type FakeGoogle, GOOGLE_LEGACY_ISSUER, startFakeGoogle } from './google.ts';
import type { FakeClient } from './shared.ts';
import { type FakeX, startFakeX } from './x.ts';

// ---- HTTP helpers ----

function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** RFC 6749 2.3.1: each half is form-urlencoded before the Base64 step. */
function formEncode(text: string): string {
  return new URLSearchParams({ v: text }).toString().slice(2);
}

function basicAuth(clientId: string, secret: string, encode = true): string {
  const pair = encode ? `${formEncode(clientId)}:${formEncode(secret)}` : `${clientId}:${secret}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers });
}

function postForm(
  url: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
    signal,
  });
}

function urlWith(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url.href;
}

function locationOf(response: Response): URL {
  expect(response.status, 'a redirect').to.be.oneOf([302, 303]);
  const location = response.headers.get('location');
  expect(location, 'a Location header').to.be.a('string');
  return new URL(location as string);
}

/** The query of the redirect back to the client, with no other parameters to hide a mistake. */
function callbackParams(response: Response, redirectUri: string): Record<string, string> {
  const location = locationOf(response);
  expect(`${location.origin}${location.pathname}`).to.equal(redirectUri);
  return Object.fromEntries(location.searchParams);
}

async function expectErrorPage(response: Response, text: RegExp): Promise<void> {
  expect(response.status).to.equal(400);
  expect(response.headers.get('location')).to.equal(null);
  expect(response.headers.get('content-type')).to.match(/^text\/html/);
  expect(await response.text()).to.match(text);
}

async function json(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).to.match(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

/** Hidden fields of the interactive page, i.e. the original authorization request. */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string)
      .replaceAll('&amp;', '&')
      .replaceAll('&quot;', '"');
  }
  return fields;
}

/** Waits until the fake has logged a request to `path`, e.g. one it is stalling. */
async function requestArrived(fake: { requests: { path: string }[] }, path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (fake.requests.some((r) => r.path.startsWith(path))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no request to ${path}`);
}

const alice = {
  sub: '108765432109876543210',
  name: 'Alice Example',
  email: 'alice@example.com',
  emailVerified: true,
  picture: 'https://lh3.googleusercontent.com/a/alice',
  hd: 'example.com',
};

// ---- Google ----

describe('fake Google', () => {
  const client: FakeClient = {
    clientId: 'google-client.apps.googleusercontent.com',
    // Characters that change under form-urlencoding catch Basic credentials sent unencoded.
    clientSecret: 'GOCSPX-s3cret+with/special=chars',
    redirectUris: ['http://localhost:3000/federation/google/callback'],
  };
  const other: FakeClient = {
    clientId: 'other-client',
    clientSecret: 'other-secret',
    redirectUris: ['http://localhost:4000/callback'],
  };
  const redirectUri = client.redirectUris[0] as string;
  let google: FakeGoogle;

  before(async () => {
    google = await startFakeGoogle({ clients: [client, other] });
  });
  after(async () => {
    await google.close();
  });
  beforeEach(() => {
    google.reset();
    google.signInAs(alice);
  });

  function authorizeUrl(overrides: Record<string, string | undefined> = {}, challenge?: string) {
    return urlWith(google.endpoints.authorization, {
      client_id: client.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email profile',
      state: 'state-123',
      nonce: 'nonce-456',
      code_challenge: challenge ?? pkcePair().challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });
  }

  async function codeFor(overrides: Record<string, string | undefined> = {}) {
    const { verifier, challenge } = pkcePair();
    const params = callbackParams(await get(authorizeUrl(overrides, challenge)), redirectUri);
    expect(params.code).to.be.a('string');
    return { code: params.code as string, verifier, params };
  }

  function exchange(params: Record<string, string>, headers: Record<string, string> = {}) {
    return postForm(google.endpoints.token, params, headers);
  }

  function basicExchange(code: string, verifier: string, extra: Record<string, string> = {}) {
    return exchange(
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        ...extra,
      },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
  }

  async function expectTokenError(response: Response, status: number, error: string) {
    expect(response.status).to.equal(status);
    const body = await json(response);
    expect(body.error).to.equal(error);
    expect(body.error_description).to.be.a('string');
  }

  it('publishes a discovery document whose issuer is the base URL', async () => {
    const response = await get(google.endpoints.discovery);
    expect(response.status).to.equal(200);
    const doc = await json(response);
    expect(doc.issuer).to.equal(google.url).and.equal(google.issuer);
    expect(doc.issuer).not.to.match(/\/$/);
    expect(doc.authorization_endpoint).to.equal(`${google.url}/o/oauth2/v2/auth`);
    expect(doc.token_endpoint).to.equal(`${google.url}/token`);
    expect(doc.userinfo_endpoint).to.equal(`${google.url}/v1/userinfo`);
    expect(doc.jwks_uri).to.equal(`${google.url}/oauth2/v3/certs`);
    expect(doc.response_types_supported).to.include('code');
    expect(doc.subject_types_supported).to.deep.equal(['public']);
    expect(doc.id_token_signing_alg_values_supported).to.deep.equal(['RS256']);
    expect(doc.token_endpoint_auth_methods_supported).to.deep.equal([
      'client_secret_post',
      'client_secret_basic',
    ]);
    expect(doc.code_challenge_methods_supported).to.deep.equal(['plain', 'S256']);
    expect(doc.claims_supported).to.include.members(['sub', 'email', 'email_verified', 'name']);
  });

  it('runs the code flow: a signed id_token, and the same claims at userinfo', async () => {
    const { code, verifier, params } = await codeFor();
    expect(params.state).to.equal('state-123');
    expect(params.scope).to.include('https://www.googleapis.com/auth/userinfo.email');
    expect(code).to.match(/^4\/0A/);

    const response = await basicExchange(code, verifier);
    expect(response.status).to.equal(200);
    expect(response.headers.get('cache-control')).to.equal('no-store');
    const tokens = await json(response);
    expect(tokens).to.include({ expires_in: 3599, token_type: 'Bearer' });
    expect(tokens.access_token).to.be.a('string');
    expect(tokens.scope).to.be.a('string');
    expect(tokens).not.to.have.property('refresh_token');

    const jwks = (await (await get(google.endpoints.jwks)).json()) as JSONWebKeySet;
    expect(jwks.keys[0]).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    const { payload, protectedHeader } = await jwtVerify(
      tokens.id_token as string,
      createLocalJWKSet(jwks),
      { issuer: google.issuer, audience: client.clientId },
    );
    expect(protectedHeader.kid).to.equal(jwks.keys[0]?.kid);
    expect(payload).to.include({
      azp: client.clientId,
      sub: alice.sub,
      email: alice.email,
      email_verified: true,
      name: alice.name,
      given_name: 'Alice',
      family_name: 'Example',
      picture: alice.picture,
      hd: 'example.com',
      nonce: 'nonce-456',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).to.equal(3600);
    const digest = createHash('sha256')
      .update(tokens.access_token as string)
      .digest();
    expect(payload.at_hash).to.equal(digest.subarray(0, 16).toString('base64url'));

    const userinfo = await get(google.endpoints.userinfo, {
      authorization: `Bearer ${tokens.access_token}`,
    });
    expect(userinfo.status).to.equal(200);
    expect(await json(userinfo)).to.deep.equal({
      sub: alice.sub,
      hd: 'example.com',
      email: alice.email,
      email_verified: true,
      name: alice.name,
      given_name: 'Alice',
      family_name: 'Example',
      picture: alice.picture,
    });
  });

  it('accepts client_secret_post', async () => {
    const { code, verifier } = await codeFor();
    const response = await exchange({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
    expect(response.status).to.equal(200);
  });

  it('refuses Basic credentials that were not form-urlencoded first', async () => {
    const { code, verifier } = await codeFor();
    const response = await exchange(
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      },
      { authorization: basicAuth(client.clientId, client.clientSecret, false) },
    );
    await expectTokenError(response, 401, 'invalid_client');
  });

  it('refuses two client authentication methods at once', async () => {
    const { code, verifier } = await codeFor();
    await expectTokenError(
      await basicExchange(code, verifier, { client_secret: client.clientSecret }),
      400,
      'invalid_request',
    );
  });

  it('refuses a wrong secret, an unknown client and no client at all', async () => {
    const { code, verifier } = await codeFor();
    const base = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    };
    await expectTokenError(
      await exchange(base, { authorization: basicAuth(client.clientId, 'wrong') }),
      401,
      'invalid_client',
    );
    await expectTokenError(
      await exchange({ ...base, client_id: 'nobody', client_secret: 'x' }),
      401,
      'invalid_client',
    );
    await expectTokenError(await exchange(base), 400, 'invalid_request');
  });

  it('shows an error page, without redirecting, for an unknown client or redirect_uri', async () => {
    await expectErrorPage(
      await get(authorizeUrl({ client_id: 'nobody' })),
      /Error 401: invalid_client/,
    );
    await expectErrorPage(
      await get(authorizeUrl({ redirect_uri: `${redirectUri}/` })),
      /Error 400: redirect_uri_mismatch/,
    );
    await expectErrorPage(
      await get(
        authorizeUrl({ redirect_uri: 'http://localhost:3000/federation/google/callback?x=1' }),
      ),
      /redirect_uri_mismatch/,
    );
    await expectErrorPage(await get(authorizeUrl({ redirect_uri: undefined })), /redirect_uri/);
    // Another client's URI does not count either.
    await expectErrorPage(
      await get(authorizeUrl({ redirect_uri: other.redirectUris[0] })),
      /redirect_uri_mismatch/,
    );
  });

  it('refuses a wrong response_type, a scope without openid and a missing PKCE challenge', async () => {
    await expectErrorPage(
      await get(authorizeUrl({ response_type: 'token' })),
      /unsupported_response_type/,
    );
    await expectErrorPage(await get(authorizeUrl({ response_type: undefined })), /response_type/);
    await expectErrorPage(await get(authorizeUrl({ scope: 'email profile' })), /openid/);
    await expectErrorPage(await get(authorizeUrl({ scope: 'openid bogus' })), /invalid_scope/);
    await expectErrorPage(
      await get(authorizeUrl({ code_challenge: undefined, code_challenge_method: undefined })),
      /code_challenge/,
    );
    await expectErrorPage(
      await get(authorizeUrl({ code_challenge_method: 'S512' })),
      /code_challenge_method/,
    );
    await expectErrorPage(await get(authorizeUrl({ code_challenge: 'short' })), /code_challenge/);
    await expectErrorPage(await get(authorizeUrl({ prompt: 'login' })), /prompt/);
  });

  it('accepts a missing state and the plain PKCE method, and records both', async () => {
    const verifier = pkcePair().verifier;
    const response = await get(
      authorizeUrl({ state: undefined, code_challenge_method: 'plain' }, verifier),
    );
    const params = callbackParams(response, redirectUri);
    expect(params).not.to.have.property('state');
    expect(google.authorizations).to.have.length(1);
    expect(google.authorizations[0]).not.to.have.property('state');
    expect(google.authorizations[0]?.code_challenge_method).to.equal('plain');
    expect((await basicExchange(params.code as string, verifier)).status).to.equal(200);
  });

  it('requires redirect_uri at the token endpoint, equal to the authorization request', async () => {
    const first = await codeFor();
    await expectTokenError(
      await basicExchange(first.code, first.verifier, { redirect_uri: `${redirectUri}/` }),
      400,
      'redirect_uri_mismatch',
    );
    const second = await codeFor();
    const response = await exchange(
      { grant_type: 'authorization_code', code: second.code, code_verifier: second.verifier },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
    await expectTokenError(response, 400, 'invalid_request');
  });

  it('checks the PKCE verifier', async () => {
    const missing = await codeFor();
    const response = await exchange(
      { grant_type: 'authorization_code', code: missing.code, redirect_uri: redirectUri },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
    await expectTokenError(response, 400, 'invalid_grant');
    const wrong = await codeFor();
    await expectTokenError(
      await basicExchange(wrong.code, pkcePair().verifier),
      400,
      'invalid_grant',
    );
  });

  it('refuses a reused code, and revokes what the first use produced', async () => {
    const { code, verifier } = await codeFor();
    const first = await json(await basicExchange(code, verifier));
    await expectTokenError(await basicExchange(code, verifier), 400, 'invalid_grant');
    const userinfo = await get(google.endpoints.userinfo, {
      authorization: `Bearer ${first.access_token}`,
    });
    expect(userinfo.status).to.equal(401);
    expect(userinfo.headers.get('www-authenticate')).to.match(/^Bearer .*error="invalid_token"/);
  });

  it("refuses an unknown code and another client's code", async () => {
    await expectTokenError(
      await basicExchange('4/0Aunknown', pkcePair().verifier),
      400,
      'invalid_grant',
    );
    google.signInAs(alice);
    const { verifier, challenge } = pkcePair();
    const response = await get(
      authorizeUrl({ client_id: other.clientId, redirect_uri: other.redirectUris[0] }, challenge),
    );
    const { code } = callbackParams(response, other.redirectUris[0] as string);
    await expectTokenError(await basicExchange(code as string, verifier), 400, 'invalid_grant');
  });

  it('refuses an expired code', async () => {
    const shortLived = await startFakeGoogle({ clients: [client], codeLifetimeMs: 20 });
    try {
      shortLived.signInAs(alice);
      const { verifier, challenge } = pkcePair();
      const url = authorizeUrl({}, challenge).replace(google.url, shortLived.url);
      const { code } = callbackParams(await get(url), redirectUri);
      await new Promise((resolve) => setTimeout(resolve, 40));
      const response = await postForm(
        `${shortLived.url}/token`,
        {
          grant_type: 'authorization_code',
          code: code as string,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      );
      await expectTokenError(response, 400, 'invalid_grant');
    } finally {
      await shortLived.close();
    }
  });

  it('refuses other grant types and non-form bodies', async () => {
    await expectTokenError(
      await exchange(
        { grant_type: 'password' },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      ),
      400,
      'unsupported_grant_type',
    );
    const response = await fetch(google.endpoints.token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code' }),
    });
    await expectTokenError(response, 400, 'invalid_request');
  });

  it('releases email and profile claims only for their scopes', async () => {
    const { code, verifier } = await codeFor({ scope: 'openid' });
    const tokens = await json(await basicExchange(code, verifier));
    expect(tokens.scope).to.equal('openid');
    const claims = decodeJwt(tokens.id_token as string);
    expect(claims).not.to.have.property('email');
    expect(claims).not.to.have.property('name');
    expect(claims.sub).to.equal(alice.sub);
  });

  it('says email_verified false unless the user opts in, and omits hd for personal accounts', async () => {
    google.signInAs({ sub: '1', email: 'bob@gmail.com', name: 'Bob' });
    const { code, verifier } = await codeFor();
    const claims = decodeJwt((await json(await basicExchange(code, verifier))).id_token as string);
    expect(claims.email_verified).to.equal(false);
    expect(claims).not.to.have.property('hd');
    expect(claims).not.to.have.property('family_name');
  });

  it('issues a refresh token for access_type=offline', async () => {
    const { code, verifier } = await codeFor({ access_type: 'offline', prompt: 'consent' });
    expect((await json(await basicExchange(code, verifier))).refresh_token).to.match(/^1\/\//);
  });

  it('emits the legacy issuer once for the legacy_iss knob, and always for a legacy user', async () => {
    google.failNext('legacy_iss');
    const once = await codeFor();
    const legacy = decodeJwt(
      (await json(await basicExchange(once.code, once.verifier))).id_token as string,
    );
    expect(legacy.iss).to.equal(GOOGLE_LEGACY_ISSUER);
    const next = await codeFor();
    expect(
      decodeJwt((await json(await basicExchange(next.code, next.verifier))).id_token as string).iss,
    ).to.equal(google.issuer);
    google.signInAs({ ...alice, legacyIssuer: true });
    const user = await codeFor();
    expect(
      decodeJwt((await json(await basicExchange(user.code, user.verifier))).id_token as string).iss,
    ).to.equal('accounts.google.com');
  });

  it('redirects with access_denied, then server_error, for the deny and authorize_error knobs', async () => {
    google.failNext('deny');
    expect(callbackParams(await get(authorizeUrl()), redirectUri)).to.deep.equal({
      error: 'access_denied',
      state: 'state-123',
    });
    google.failNext('authorize_error');
    expect(callbackParams(await get(authorizeUrl()), redirectUri)).to.deep.equal({
      error: 'server_error',
      state: 'state-123',
    });
    expect(callbackParams(await get(authorizeUrl()), redirectUri).code).to.be.a('string');
  });

  it('fails the token, userinfo, JWKS and discovery endpoints once for their knobs', async () => {
    const { code, verifier } = await codeFor();
    google.failNext('token_5xx');
    expect((await basicExchange(code, verifier)).status).to.equal(503);
    const tokens = await json(await basicExchange(code, verifier));

    google.failNext('profile_5xx');
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    const failed = await get(google.endpoints.userinfo, bearer);
    expect(failed.status).to.equal(503);
    expect(((await json(failed)).error as { status: string }).status).to.equal('UNAVAILABLE');
    expect((await get(google.endpoints.userinfo, bearer)).status).to.equal(200);

    google.failNext('jwks_5xx');
    expect((await get(google.endpoints.jwks)).status).to.equal(503);
    expect((await get(google.endpoints.jwks)).status).to.equal(200);
    google.failNext('discovery_5xx');
    expect((await get(google.endpoints.discovery)).status).to.equal(503);
    expect((await get(google.endpoints.discovery)).status).to.equal(200);
  });

  it('stalls the token endpoint for token_timeout, and reset() clears pending knobs', async () => {
    const { code, verifier } = await codeFor();
    google.failNext('token_timeout');
    let error: unknown;
    try {
      await postForm(
        google.endpoints.token,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
        AbortSignal.timeout(300),
      );
    } catch (caught) {
      error = caught;
    }
    expect((error as Error | undefined)?.name).to.equal('TimeoutError');

    google.failNext('deny');
    google.failNext('token_5xx');
    google.reset();
    google.signInAs(alice);
    const fresh = await codeFor();
    expect((await basicExchange(fresh.code, fresh.verifier)).status).to.equal(200);
  });

  it('answers prompt=none with login_required when nobody is signed in', async () => {
    google.signInAs(undefined);
    expect(callbackParams(await get(authorizeUrl({ prompt: 'none' })), redirectUri)).to.deep.equal({
      error: 'login_required',
      state: 'state-123',
    });
  });

  it('runs the interactive page: stable subject per email, Deny, request kept in hidden fields', async () => {
    google.signInAs(undefined);
    const { verifier, challenge } = pkcePair();
    const page = await get(authorizeUrl({ login_hint: 'carol@example.org' }, challenge));
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.include('Sign in to Fake Google');
    expect(html).to.include('name="fake_email_verified"');
    expect(html).not.to.match(/<script|https?:\/\/(?!localhost)[^"]*\.(css|js)/);
    const original = hiddenFields(html);
    expect(original).to.include({
      client_id: client.clientId,
      state: 'state-123',
      code_challenge: challenge,
    });

    const submit = (answers: Record<string, string>) =>
      postForm(`${google.url}/fake/sign-in`, { ...original, ...answers });
    const signIn = async (email: string) => {
      const params = callbackParams(
        await submit({
          fake_name: 'Carol',
          fake_email: email,
          fake_email_verified: 'true',
          fake_decision: 'continue',
        }),
        redirectUri,
      );
      expect(params.state).to.equal('state-123');
      return decodeJwt(
        (await json(await basicExchange(params.code as string, verifier))).id_token as string,
      );
    };
    const first = await signIn('carol@example.org');
    const again = await signIn('Carol@Example.org');
    const someoneElse = await signIn('dave@example.org');
    expect(first.sub).to.match(/^\d{21}$/);
    expect(again.sub).to.equal(first.sub);
    expect(someoneElse.sub).not.to.equal(first.sub);
    expect(first).to.include({ email: 'carol@example.org', email_verified: true, name: 'Carol' });

    const denied = await submit({ fake_decision: 'deny' });
    expect(denied.status).to.equal(303);
    expect(callbackParams(denied, redirectUri)).to.deep.equal({
      error: 'access_denied',
      state: 'state-123',
    });
    // Hidden fields are re-validated, so editing them cannot smuggle in another redirect_uri.
    await expectErrorPage(
      await submit({
        redirect_uri: 'http://evil.example/cb',
        fake_email: 'e@x.io',
        fake_decision: 'continue',
      }),
      /redirect_uri_mismatch/,
    );
  });

  it('logs every request', async () => {
    await get(google.endpoints.jwks);
    expect(google.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal([
      'GET /oauth2/v3/certs',
    ]);
  });
});

// ---- Facebook ----

describe('fake Facebook', () => {
  const client: FakeClient = {
    clientId: '1234567890123456',
    clientSecret: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    redirectUris: ['http://localhost:3000/federation/facebook/callback'],
  };
  const redirectUri = client.redirectUris[0] as string;
  const bob = { sub: '10160000000000001', name: 'Bob Example', email: 'bob@example.com' };
  let facebook: FakeFacebook;

  before(async () => {
    facebook = await startFakeFacebook({ clients: [client] });
  });
  after(async () => {
    await facebook.close();
  });
  beforeEach(() => {
    facebook.reset();
    facebook.signInAs(bob);
  });

  const dialogUrl = (overrides: Record<string, string | undefined> = {}) =>
    urlWith(facebook.endpoints.authorization, {
      client_id: client.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'email,public_profile',
      state: 'fb-state',
      ...overrides,
    });

  async function codeFor(overrides: Record<string, string | undefined> = {}) {
    const response = await get(dialogUrl(overrides));
    expect(locationOf(response).hash).to.equal('#_=_');
    const { code } = callbackParams(response, redirectUri);
    return code as string;
  }

  const tokenParams = (code: string) => ({
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uri: redirectUri,
    code,
  });

  async function accessToken(overrides: Record<string, string | undefined> = {}): Promise<string> {
    const response = await get(
      urlWith(facebook.endpoints.token, tokenParams(await codeFor(overrides))),
    );
    expect(response.status).to.equal(200);
    return (await json(response)).access_token as string;
  }

  const proof = (token: string, secret = client.clientSecret) =>
    createHmac('sha256', secret).update(token).digest('hex');

  async function expectGraphError(
    response: Response,
    code: number,
    message: RegExp,
    subcode?: number,
  ) {
    expect(response.status).to.equal(400);
    const { error } = (await json(response)) as { error: Record<string, unknown> };
    expect(error.code).to.equal(code);
    expect(error.message).to.match(message);
    expect(error.type).to.match(/Exception$/);
    expect(error.fbtrace_id).to.be.a('string');
    if (subcode !== undefined) expect(error.error_subcode).to.equal(subcode);
  }

  it('runs the code flow with a GET token exchange and a Graph /me call', async () => {
    const response = await get(dialogUrl());
    const params = callbackParams(response, redirectUri);
    expect(Object.keys(params).sort()).to.deep.equal(['code', 'state']);
    expect(params.state).to.equal('fb-state');

    const tokenResponse = await get(
      urlWith(facebook.endpoints.token, tokenParams(params.code as string)),
    );
    expect(tokenResponse.status).to.equal(200);
    const tokens = await json(tokenResponse);
    expect(tokens).to.include({ token_type: 'bearer', expires_in: 5183944 });
    const token = tokens.access_token as string;

    const me = await get(
      urlWith(facebook.endpoints.profile, {
        fields: 'id,name,email,picture',
        access_token: token,
        appsecret_proof: proof(token),
      }),
    );
    expect(me.status).to.equal(200);
    const profile = await json(me);
    expect(profile).to.include({ id: bob.sub, name: bob.name, email: bob.email });
    expect(profile.picture).to.deep.equal({
      data: {
        height: 50,
        is_silhouette: true,
        url: (profile.picture as { data: { url: string } }).data.url,
        width: 50,
      },
    });
    expect((profile.picture as { data: { url: string } }).data.url).to.match(/^https:\/\//);
  });

  it('accepts a POST token exchange and the token as a Bearer header', async () => {
    const code = await codeFor();
    const response = await postForm(facebook.endpoints.token, tokenParams(code));
    expect(response.status).to.equal(200);
    const token = (await json(response)).access_token as string;
    const me = await get(
      urlWith(facebook.endpoints.profile, { fields: 'id,name', appsecret_proof: proof(token) }),
      { authorization: `Bearer ${token}` },
    );
    expect(await json(me)).to.deep.equal({ id: bob.sub, name: bob.name });
  });

  it('returns only id and name without fields, and no email without the email permission', async () => {
    const token = await accessToken();
    const bare = await get(
      urlWith(facebook.endpoints.profile, { access_token: token, appsecret_proof: proof(token) }),
    );
    expect(await json(bare)).to.deep.equal({ id: bob.sub, name: bob.name });

    const noEmail = await accessToken({ scope: 'public_profile' });
    const me = await get(
      urlWith(facebook.endpoints.profile, {
        fields: 'name,email',
        access_token: noEmail,
        appsecret_proof: proof(noEmail),
      }),
    );
    expect(await json(me)).to.deep.equal({ name: bob.name, id: bob.sub });
  });

  it('requires a correct appsecret_proof', async () => {
    const token = await accessToken();
    const call = (extra: Record<string, string>) =>
      get(urlWith(facebook.endpoints.profile, { fields: 'id', access_token: token, ...extra }));
    await expectGraphError(await call({}), 100, /appsecret_proof/);
    await expectGraphError(
      await call({ appsecret_proof: proof(token, 'wrong-secret') }),
      100,
      /^Invalid appsecret_proof provided in the API argument$/,
    );
    await expectGraphError(
      await get(
        urlWith(facebook.endpoints.profile, {
          fields: 'id',
          access_token: 'EAAbogus',
          appsecret_proof: 'x',
        }),
      ),
      190,
      /Invalid OAuth access token/,
    );
    await expectGraphError(
      await get(urlWith(facebook.endpoints.profile, { fields: 'id' })),
      2500,
      /access token/,
    );
    await expectGraphError(
      await call({ fields: 'id,birthday_secret', appsecret_proof: proof(token) }),
      100,
      /nonexisting field/,
    );
  });

  it('refuses unversioned and other-version paths', async () => {
    const token = await accessToken();
    const unversioned = `${facebook.url}/me?${new URLSearchParams({ fields: 'id', access_token: token, appsecret_proof: proof(token) })}`;
    await expectGraphError(await get(unversioned), 100, /version is required/);
    await expectGraphError(
      await get(`${facebook.url}/oauth/access_token?${new URLSearchParams(tokenParams('x'))}`),
      100,
      /version is required/,
    );
    await expectErrorPage(await get(dialogUrl().replace('/v23.0', '')), /version/);
    await expectGraphError(await get(dialogUrl().replace('/v23.0/', '/v2.0/')), 100, /version/);
  });

  it('reads client credentials from parameters only, never from HTTP Basic', async () => {
    const code = await codeFor();
    const response = await postForm(
      facebook.endpoints.token,
      { client_id: client.clientId, redirect_uri: redirectUri, code },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
    await expectGraphError(response, 1, /client_secret/);
    await expectGraphError(
      await get(
        urlWith(facebook.endpoints.token, { ...tokenParams(code), client_secret: 'wrong' }),
      ),
      1,
      /^Error validating client secret\.$/,
    );
    await expectGraphError(
      await get(urlWith(facebook.endpoints.token, { ...tokenParams(code), client_id: undefined })),
      101,
      /client_id/,
    );
  });

  it('requires the same redirect_uri, and refuses reused, unknown and expired codes', async () => {
    const mismatched = await codeFor();
    await expectGraphError(
      await get(
        urlWith(facebook.endpoints.token, {
          ...tokenParams(mismatched),
          redirect_uri: `${redirectUri}/`,
        }),
      ),
      100,
      /redirect_uri is identical/,
      36008,
    );
    await expectGraphError(
      await get(
        urlWith(facebook.endpoints.token, {
          ...tokenParams(await codeFor()),
          redirect_uri: undefined,
        }),
      ),
      191,
      /redirect_uri/,
    );
    const code = await codeFor();
    expect((await get(urlWith(facebook.endpoints.token, tokenParams(code)))).status).to.equal(200);
    await expectGraphError(
      await get(urlWith(facebook.endpoints.token, tokenParams(code))),
      100,
      /been used/,
      36009,
    );
    await expectGraphError(
      await get(urlWith(facebook.endpoints.token, tokenParams('AQunknown'))),
      100,
      /code/,
    );

    const shortLived = await startFakeFacebook({ clients: [client], codeLifetimeMs: 20 });
    try {
      shortLived.signInAs(bob);
      const response = await get(dialogUrl().replace(facebook.url, shortLived.url));
      const { code: expiring } = callbackParams(response, redirectUri);
      await new Promise((resolve) => setTimeout(resolve, 40));
      await expectGraphError(
        await get(urlWith(shortLived.endpoints.token, tokenParams(expiring as string))),
        100,
        /expired/,
        36007,
      );
    } finally {
      await shortLived.close();
    }
  });

  it('checks the PKCE verifier when the dialog got a challenge', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await codeFor({ code_challenge: challenge, code_challenge_method: 'S256' });
    await expectGraphError(
      await get(urlWith(facebook.endpoints.token, tokenParams(code))),
      100,
      /code_verifier/,
    );
    const second = await codeFor({ code_challenge: challenge, code_challenge_method: 'S256' });
    const response = await get(
      urlWith(facebook.endpoints.token, { ...tokenParams(second), code_verifier: verifier }),
    );
    expect(response.status).to.equal(200);
  });

  it('shows an error page for a bad client, redirect_uri, state, response_type or scope', async () => {
    await expectErrorPage(await get(dialogUrl({ client_id: '999' })), /Invalid App ID/);
    await expectErrorPage(
      await get(dialogUrl({ redirect_uri: 'http://localhost:3000/other' })),
      /URL Blocked/,
    );
    await expectErrorPage(await get(dialogUrl({ state: undefined })), /state/);
    await expectErrorPage(await get(dialogUrl({ response_type: 'token' })), /response_type/);
    await expectErrorPage(
      await get(dialogUrl({ scope: 'email,openid_connect_everything' })),
      /Invalid Scopes/,
    );
  });

  it('accepts space-separated scopes and a missing response_type', async () => {
    expect(await codeFor({ scope: 'email public_profile', response_type: undefined })).to.be.a(
      'string',
    );
  });

  it("redirects with Facebook's denial parameters, and server_error, for the knobs", async () => {
    facebook.failNext('deny');
    const denied = await get(dialogUrl());
    expect(locationOf(denied).hash).to.equal('#_=_');
    expect(callbackParams(denied, redirectUri)).to.deep.equal({
      error: 'access_denied',
      error_code: '200',
      error_description: 'Permissions error',
      error_reason: 'user_denied',
      state: 'fb-state',
    });
    expect(locationOf(denied).search).to.include('error_description=Permissions+error');
    facebook.failNext('authorize_error');
    const failed = callbackParams(await get(dialogUrl()), redirectUri);
    expect(failed).to.include({ error: 'server_error', state: 'fb-state' });
  });

  it('fails token and profile calls once for their knobs, and stalls for token_timeout', async () => {
    const code = await codeFor();
    facebook.failNext('token_5xx');
    const failed = await get(urlWith(facebook.endpoints.token, tokenParams(code)));
    expect(failed.status).to.equal(500);
    expect(((await json(failed)).error as Record<string, unknown>).is_transient).to.equal(true);
    const token = (await json(await get(urlWith(facebook.endpoints.token, tokenParams(code)))))
      .access_token as string;

    facebook.failNext('profile_5xx');
    const me = urlWith(facebook.endpoints.profile, {
      fields: 'id',
      access_token: token,
      appsecret_proof: proof(token),
    });
    expect((await get(me)).status).to.equal(500);
    expect((await get(me)).status).to.equal(200);

    facebook.failNext('token_timeout');
    const stalled = fetch(urlWith(facebook.endpoints.token, tokenParams(await codeFor())), {
      signal: AbortSignal.timeout(300),
    });
    let error: unknown;
    await stalled.catch((caught: unknown) => {
      error = caught;
    });
    expect((error as Error | undefined)?.name).to.equal('TimeoutError');
  });

  it('has no JWKS or discovery knobs', () => {
    expect(() => facebook.failNext('jwks_5xx' as never)).to.throw(TypeError);
  });

  it('runs the interactive page with a stable id per email', async () => {
    facebook.signInAs(undefined);
    const page = await get(dialogUrl());
    const html = await page.text();
    expect(html).to.include('Sign in to Fake Facebook');
    expect(html).not.to.include('fake_email_verified');
    const original = hiddenFields(html);
    const signIn = async (email: string) => {
      const response = await postForm(`${facebook.url}/fake/sign-in`, {
        ...original,
        fake_name: 'Erin',
        fake_email: email,
        fake_decision: 'continue',
      });
      const token = (
        await json(
          await get(
            urlWith(
              facebook.endpoints.token,
              tokenParams(callbackParams(response, redirectUri).code as string),
            ),
          ),
        )
      ).access_token as string;
      return json(
        await get(
          urlWith(facebook.endpoints.profile, {
            fields: 'id,name,email',
            access_token: token,
            appsecret_proof: proof(token),
          }),
        ),
      );
    };
    const first = await signIn('erin@example.com');
    expect(first).to.include({ name: 'Erin', email: 'erin@example.com' });
    expect((await signIn('erin@example.com')).id).to.equal(first.id);
    expect((await signIn('frank@example.com')).id).not.to.equal(first.id);
    const denied = await postForm(`${facebook.url}/fake/sign-in`, {
      ...original,
      fake_decision: 'deny',
    });
    expect(callbackParams(denied, redirectUri)).to.include({
      error: 'access_denied',
      error_reason: 'user_denied',
    });
  });
});

// ---- X ----

describe('fake X', () => {
  const client: FakeClient = {
    clientId: 'M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ',
    clientSecret: 'x-secret_with-dashes_and+plus',
    redirectUris: ['http://localhost:3000/federation/x/callback'],
  };
  const redirectUri = client.redirectUris[0] as string;
  const carol = {
    sub: '1234567890123456789',
    name: 'Carol',
    username: 'carol_x',
    email: 'carol@example.com',
  };
  let x: FakeX;

  before(async () => {
    x = await startFakeX({ clients: [client] });
  });
  after(async () => {
    await x.close();
  });
  beforeEach(() => {
    x.reset();
    x.signInAs(carol);
  });

  const authorizeUrl = (overrides: Record<string, string | undefined> = {}, challenge?: string) =>
    urlWith(x.endpoints.authorization, {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      scope: 'users.read tweet.read offline.access',
      state: 'x-state',
      code_challenge: challenge ?? pkcePair().challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });

  async function codeFor(overrides: Record<string, string | undefined> = {}) {
    const { verifier, challenge } = pkcePair();
    const params = callbackParams(await get(authorizeUrl(overrides, challenge)), redirectUri);
    expect(Object.keys(params).sort()).to.deep.equal(['code', 'state']);
    return { code: params.code as string, verifier };
  }

  const exchange = (
    code: string,
    verifier: string,
    extra: Record<string, string> = {},
    headers?: Record<string, string>,
  ) =>
    postForm(
      x.endpoints.token,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        ...extra,
      },
      headers ?? { authorization: basicAuth(client.clientId, client.clientSecret) },
    );

  async function tokenFor(overrides: Record<string, string | undefined> = {}) {
    const { code, verifier } = await codeFor(overrides);
    const response = await exchange(code, verifier);
    expect(response.status).to.equal(200);
    return json(response);
  }

  const me = (token: string, fields = 'profile_image_url,confirmed_email') =>
    get(`${x.endpoints.profile}?user.fields=${fields}`, { authorization: `Bearer ${token}` });

  async function expectInvalidCode(response: Response) {
    expect(response.status).to.equal(400);
    expect(await json(response)).to.deep.equal({
      error: 'invalid_request',
      error_description: 'Value passed for the authorization code was invalid.',
    });
  }

  it('runs the PKCE code flow with Basic auth and returns the user under data', async () => {
    const tokens = await tokenFor();
    expect(tokens).to.include({
      token_type: 'bearer',
      expires_in: 7200,
      scope: 'users.read tweet.read offline.access',
    });
    expect(tokens.access_token).to.be.a('string');
    expect(tokens.refresh_token).to.be.a('string');

    const response = await me(tokens.access_token as string);
    expect(response.status).to.equal(200);
    expect(await json(response)).to.deep.equal({
      data: {
        id: carol.sub,
        name: 'Carol',
        username: 'carol_x',
        profile_image_url:
          'https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png',
      },
    });
  });

  it('gives confirmed_email only with the users.email scope, and no refresh token without offline.access', async () => {
    const tokens = await tokenFor({ scope: 'users.read tweet.read users.email' });
    expect(tokens).not.to.have.property('refresh_token');
    const { data } = (await json(await me(tokens.access_token as string))) as {
      data: Record<string, unknown>;
    };
    expect(data.confirmed_email).to.equal(carol.email);

    x.signInAs({ sub: '42', name: 'No Mail' });
    const without = await tokenFor({ scope: 'users.read tweet.read users.email' });
    const body = (await json(await me(without.access_token as string))) as {
      data: Record<string, unknown>;
    };
    expect(body.data).not.to.have.property('confirmed_email');
    expect(body.data.username).to.equal('NoMail');
  });

  it('refuses client credentials in the body, a wrong secret and unencoded Basic credentials', async () => {
    const { code, verifier } = await codeFor();
    const refused = {
      error: 'unauthorized_client',
      error_description: 'Missing valid authorization header',
    };
    const inBody = await exchange(
      code,
      verifier,
      { client_id: client.clientId, client_secret: client.clientSecret },
      {},
    );
    expect(inBody.status).to.equal(401);
    expect(await json(inBody)).to.deep.equal(refused);
    const wrong = await exchange(
      code,
      verifier,
      {},
      { authorization: basicAuth(client.clientId, 'nope') },
    );
    expect(wrong.status).to.equal(401);
    const raw = await exchange(
      code,
      verifier,
      {},
      { authorization: basicAuth(client.clientId, client.clientSecret, false) },
    );
    expect(raw.status).to.equal(401);
    // Failed client authentication leaves the code usable.
    expect((await exchange(code, verifier)).status).to.equal(200);
  });

  it('checks the verifier and redirect_uri, and refuses reused and unknown codes', async () => {
    const wrongVerifier = await codeFor();
    await expectInvalidCode(await exchange(wrongVerifier.code, pkcePair().verifier));

    const missing = await codeFor();
    const response = await postForm(
      x.endpoints.token,
      { grant_type: 'authorization_code', code: missing.code, redirect_uri: redirectUri },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    );
    expect(response.status).to.equal(400);
    expect((await json(response)).error_description).to.equal(
      'Missing required parameter [code_verifier].',
    );

    const mismatch = await codeFor();
    await expectInvalidCode(
      await exchange(mismatch.code, mismatch.verifier, { redirect_uri: `${redirectUri}/` }),
    );

    const used = await codeFor();
    expect((await exchange(used.code, used.verifier)).status).to.equal(200);
    await expectInvalidCode(await exchange(used.code, used.verifier));
    await expectInvalidCode(await exchange('unknown-code', used.verifier));
  });

  it('refuses an expired code', async () => {
    const shortLived = await startFakeX({ clients: [client], codeLifetimeMs: 20 });
    try {
      shortLived.signInAs(carol);
      const { verifier, challenge } = pkcePair();
      const response = await get(authorizeUrl({}, challenge).replace(x.url, shortLived.url));
      const { code } = callbackParams(response, redirectUri);
      await new Promise((resolve) => setTimeout(resolve, 40));
      await expectInvalidCode(
        await postForm(
          shortLived.endpoints.token,
          {
            grant_type: 'authorization_code',
            code: code as string,
            redirect_uri: redirectUri,
            code_verifier: verifier,
          },
          { authorization: basicAuth(client.clientId, client.clientSecret) },
        ),
      );
    } finally {
      await shortLived.close();
    }
  });

  it('shows an error page, never redirecting, for any bad authorization request', async () => {
    const page = /Something went wrong/;
    await expectErrorPage(await get(authorizeUrl({ client_id: 'nobody' })), page);
    await expectErrorPage(
      await get(authorizeUrl({ redirect_uri: 'http://localhost:3000/elsewhere' })),
      page,
    );
    await expectErrorPage(await get(authorizeUrl({ state: undefined })), /state/);
    await expectErrorPage(await get(authorizeUrl({ code_challenge: undefined })), /code_challenge/);
    await expectErrorPage(
      await get(authorizeUrl({ code_challenge_method: 'S512' })),
      /code_challenge_method/,
    );
    await expectErrorPage(await get(authorizeUrl({ response_type: 'token' })), /response_type/);
    await expectErrorPage(await get(authorizeUrl({ scope: 'users.read,tweet.read' })), /scope/);
  });

  it('accepts the plain PKCE method', async () => {
    const { verifier } = pkcePair();
    const params = callbackParams(
      await get(authorizeUrl({ code_challenge_method: 'plain' }, verifier)),
      redirectUri,
    );
    expect((await exchange(params.code as string, verifier)).status).to.equal(200);
  });

  it("answers /2/users/me with X's problem shapes", async () => {
    const unauthorized = await get(x.endpoints.profile);
    expect(unauthorized.status).to.equal(401);
    expect(await json(unauthorized)).to.deep.equal({
      title: 'Unauthorized',
      type: 'about:blank',
      status: 401,
      detail: 'Unauthorized',
    });
    expect((await me('not-a-token')).status).to.equal(401);

    const usersOnly = await tokenFor({ scope: 'users.read' });
    expect((await me(usersOnly.access_token as string)).status).to.equal(403);

    const tokens = await tokenFor();
    const invalid = await me(tokens.access_token as string, 'profile_image_url,shoe_size');
    expect(invalid.status).to.equal(400);
    expect((await json(invalid)).title).to.equal('Invalid Request');
  });

  it('redirects with access_denied or server_error for the knobs, and fails token and profile once', async () => {
    x.failNext('deny');
    expect(callbackParams(await get(authorizeUrl()), redirectUri)).to.deep.equal({
      error: 'access_denied',
      state: 'x-state',
    });
    x.failNext('authorize_error');
    expect(callbackParams(await get(authorizeUrl()), redirectUri)).to.deep.equal({
      error: 'server_error',
      state: 'x-state',
    });

    const { code, verifier } = await codeFor();
    x.failNext('token_5xx');
    expect((await exchange(code, verifier)).status).to.equal(503);
    const token = (await json(await exchange(code, verifier))).access_token as string;
    x.failNext('profile_5xx');
    expect((await me(token)).status).to.equal(503);
    expect((await me(token)).status).to.equal(200);
  });

  it('stalls the token endpoint for token_timeout until close() destroys the socket', async () => {
    const stalling = await startFakeX({ clients: [client] });
    stalling.signInAs(carol);
    const { verifier, challenge } = pkcePair();
    const { code } = callbackParams(
      await get(authorizeUrl({}, challenge).replace(x.url, stalling.url)),
      redirectUri,
    );
    stalling.failNext('token_timeout');
    const pending = postForm(
      stalling.endpoints.token,
      {
        grant_type: 'authorization_code',
        code: code as string,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      },
      { authorization: basicAuth(client.clientId, client.clientSecret) },
    ).then(
      () => 'answered',
      () => 'connection closed',
    );
    await requestArrived(stalling, '/2/oauth2/token');
    const started = Date.now();
    await stalling.close();
    expect(await pending).to.equal('connection closed');
    expect(Date.now() - started).to.be.below(1000);
  });

  it('runs the interactive page with a stable id per email and a username field', async () => {
    x.signInAs(undefined);
    const { verifier, challenge } = pkcePair();
    const html = await (
      await get(authorizeUrl({ scope: 'users.read tweet.read users.email' }, challenge))
    ).text();
    expect(html).to.include('Sign in to Fake X');
    const original = hiddenFields(html);
    const signIn = async (answers: Record<string, string>) => {
      const response = await postForm(`${x.url}/fake/sign-in`, {
        ...original,
        ...answers,
        fake_decision: 'continue',
      });
      const { code } = callbackParams(response, redirectUri);
      const token = (await json(await exchange(code as string, verifier))).access_token as string;
      return ((await json(await me(token))) as { data: Record<string, string> }).data;
    };
    const first = await signIn({ fake_name: 'Gina', fake_email: 'gina@example.com' });
    expect(first).to.include({
      name: 'Gina',
      username: 'gina',
      confirmed_email: 'gina@example.com',
    });
    expect(first.id).to.match(/^\d{19}$/);
    expect((await signIn({ fake_name: 'Gina G', fake_email: 'gina@example.com' })).id).to.equal(
      first.id,
    );
    const handleOnly = await signIn({ fake_username: '@hank' });
    expect(handleOnly).to.include({ username: 'hank' });
    expect(handleOnly).not.to.have.property('confirmed_email');
  });
});

// ---- The client library Latchkey uses ----

describe('the fakes with openid-client', () => {
  const insecure = { execute: [oidc.allowInsecureRequests] };
  const google: FakeClient = {
    clientId: 'latchkey-google',
    clientSecret: 'google+secret/1',
    redirectUris: ['http://localhost:3000/federation/google/callback'],
  };
  const facebook: FakeClient = {
    clientId: '998877665544',
    clientSecret: 'facebook-secret',
    redirectUris: ['http://localhost:3000/federation/facebook/callback'],
  };
  const x: FakeClient = {
    clientId: 'latchkey-x',
    clientSecret: 'x+secret/1',
    redirectUris: ['http://localhost:3000/federation/x/callback'],
  };
  let fakeGoogle: FakeGoogle;
  let fakeFacebook: FakeFacebook;
  let fakeX: FakeX;

  before(async () => {
    [fakeGoogle, fakeFacebook, fakeX] = await Promise.all([
      startFakeGoogle({ clients: [google] }),
      startFakeFacebook({ clients: [facebook] }),
      startFakeX({ clients: [x] }),
    ]);
  });
  after(async () => {
    await Promise.all([fakeGoogle?.close(), fakeFacebook?.close(), fakeX?.close()]);
  });

  /** Sends the browser to the authorization URL and returns the callback URL it lands on. */
  async function signIn(config: oidc.Configuration, params: Record<string, string>) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    const callback = locationOf(await get(url.href));
    return { callback, checks: { pkceCodeVerifier: verifier, expectedState: state } };
  }

  it('signs in with Google through discovery, client_secret_basic, id_token and userinfo', async () => {
    fakeGoogle.signInAs(alice);
    const config = await oidc.discovery(
      new URL(fakeGoogle.issuer),
      google.clientId,
      undefined,
      oidc.ClientSecretBasic(google.clientSecret),
      insecure,
    );
    const nonce = oidc.randomNonce();
    const { callback, checks } = await signIn(config, {
      redirect_uri: google.redirectUris[0] as string,
      scope: 'openid email profile',
      nonce,
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      ...checks,
      expectedNonce: nonce,
    });
    const claims = tokens.claims();
    expect(claims).to.include({ sub: alice.sub, email_verified: true, hd: 'example.com' });
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, alice.sub);
    expect(userinfo.email).to.equal(alice.email);
  });

  it('emits a legacy issuer that openid-client refuses by default, so the knob bites', async () => {
    fakeGoogle.signInAs(alice);
    const config = await oidc.discovery(
      new URL(fakeGoogle.issuer),
      google.clientId,
      undefined,
      oidc.ClientSecretPost(google.clientSecret),
      insecure,
    );
    const { callback, checks } = await signIn(config, {
      redirect_uri: google.redirectUris[0] as string,
      scope: 'openid email',
    });
    fakeGoogle.failNext('legacy_iss');
    let error: unknown;
    try {
      await oidc.authorizationCodeGrant(config, callback, checks);
    } catch (caught) {
      error = caught;
    }
    const failure = error as { code?: string; cause?: { cause?: { claim?: string } } };
    expect(failure.code).to.equal('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
    expect(failure.cause?.cause?.claim).to.equal('iss');
  });

  it('signs in with Facebook using client_secret_post, a pinned version and appsecret_proof', async () => {
    fakeFacebook.signInAs({ sub: '10150001', name: 'Ivy', email: 'ivy@example.com' });
    const config = new oidc.Configuration(
      {
        issuer: 'https://www.facebook.com',
        authorization_endpoint: fakeFacebook.endpoints.authorization,
        token_endpoint: fakeFacebook.endpoints.token,
      },
      facebook.clientId,
      undefined,
      oidc.ClientSecretPost(facebook.clientSecret),
    );
    oidc.allowInsecureRequests(config);
    const { callback, checks } = await signIn(config, {
      redirect_uri: facebook.redirectUris[0] as string,
      scope: 'email,public_profile',
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    const profileUrl = new URL(fakeFacebook.endpoints.profile);
    profileUrl.searchParams.set('fields', 'id,name,email,picture');
    profileUrl.searchParams.set(
      'appsecret_proof',
      createHmac('sha256', facebook.clientSecret).update(tokens.access_token).digest('hex'),
    );
    const response = await oidc.fetchProtectedResource(
      config,
      tokens.access_token,
      profileUrl,
      'GET',
    );
    expect(await response.json()).to.include({ id: '10150001', email: 'ivy@example.com' });
  });

  it('signs in with X using client_secret_basic, and fails with client_secret_post', async () => {
    fakeX.signInAs({ sub: '1500000000000000001', name: 'Jay', username: 'jay' });
    const server = {
      issuer: 'https://x.com',
      authorization_endpoint: fakeX.endpoints.authorization,
      token_endpoint: fakeX.endpoints.token,
    };
    const basic = new oidc.Configuration(
      server,
      x.clientId,
      undefined,
      oidc.ClientSecretBasic(x.clientSecret),
    );
    oidc.allowInsecureRequests(basic);
    const params = { redirect_uri: x.redirectUris[0] as string, scope: 'users.read tweet.read' };
    const good = await signIn(basic, params);
    const tokens = await oidc.authorizationCodeGrant(basic, good.callback, good.checks);
    const profileUrl = new URL(
      `${fakeX.endpoints.profile}?user.fields=profile_image_url,confirmed_email`,
    );
    const response = await oidc.fetchProtectedResource(
      basic,
      tokens.access_token,
      profileUrl,
      'GET',
    );
    expect(((await response.json()) as { data: { id: string } }).data.id).to.equal(
      '1500000000000000001',
    );

    const post = new oidc.Configuration(
      server,
      x.clientId,
      undefined,
      oidc.ClientSecretPost(x.clientSecret),
    );
    oidc.allowInsecureRequests(post);
    const bad = await signIn(post, params);
    let error: unknown;
    try {
      await oidc.authorizationCodeGrant(post, bad.callback, bad.checks);
    } catch (caught) {
      error = caught;
    }
    expect((error as { error?: string }).error).to.equal('unauthorized_client');
  });
});
