// Fake Google's own shapes and quirks over raw HTTP; what every fake does is in conformance.test.ts.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import { type FakeGoogle, GOOGLE_LEGACY_ISSUER, startFakeGoogle } from './google.ts';
import * as http from './http.ts';
import type { FakeClient } from './shared.ts';

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
    google.signInAs(http.alice);
  });

  function authorizeUrl(overrides: Record<string, string | undefined> = {}, challenge?: string) {
    return http.urlWith(google.endpoints.authorization, {
      client_id: client.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email profile',
      state: 'state-123',
      nonce: 'nonce-456',
      code_challenge: challenge ?? http.pkcePair().challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });
  }

  async function codeFor(overrides: Record<string, string | undefined> = {}) {
    const { verifier, challenge } = http.pkcePair();
    const params = http.callbackParams(
      await http.get(authorizeUrl(overrides, challenge)),
      redirectUri,
    );
    expect(params.code).to.be.a('string');
    return { code: params.code as string, verifier, params };
  }

  function exchange(params: Record<string, string>, headers: Record<string, string> = {}) {
    return http.postForm(google.endpoints.token, params, headers);
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
      { authorization: http.basicAuth(client.clientId, client.clientSecret) },
    );
  }

  async function expectTokenError(response: Response, status: number, error: string) {
    expect(response.status).to.equal(status);
    const body = await http.json(response);
    expect(body.error).to.equal(error);
    expect(body.error_description).to.be.a('string');
  }

  it('publishes a discovery document whose issuer is the base URL', async () => {
    const response = await http.get(google.endpoints.discovery);
    expect(response.status).to.equal(200);
    const doc = await http.json(response);
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
    const tokens = await http.json(response);
    expect(tokens).to.include({ expires_in: 3599, token_type: 'Bearer' });
    expect(tokens.access_token).to.be.a('string');
    expect(tokens.scope).to.be.a('string');
    expect(tokens).not.to.have.property('refresh_token');

    const jwks = (await (await http.get(google.endpoints.jwks)).json()) as JSONWebKeySet;
    expect(jwks.keys[0]).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    const { payload, protectedHeader } = await jwtVerify(
      tokens.id_token as string,
      createLocalJWKSet(jwks),
      { issuer: google.issuer, audience: client.clientId },
    );
    expect(protectedHeader.kid).to.equal(jwks.keys[0]?.kid);
    expect(payload).to.include({
      azp: client.clientId,
      sub: http.alice.sub,
      email: http.alice.email,
      email_verified: true,
      name: http.alice.name,
      given_name: 'Alice',
      family_name: 'Example',
      picture: http.alice.picture,
      hd: 'example.com',
      nonce: 'nonce-456',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).to.equal(3600);
    const digest = createHash('sha256')
      .update(tokens.access_token as string)
      .digest();
    expect(payload.at_hash).to.equal(digest.subarray(0, 16).toString('base64url'));

    const userinfo = await http.get(google.endpoints.userinfo, {
      authorization: `Bearer ${tokens.access_token}`,
    });
    expect(userinfo.status).to.equal(200);
    expect(await http.json(userinfo)).to.deep.equal({
      sub: http.alice.sub,
      hd: 'example.com',
      email: http.alice.email,
      email_verified: true,
      name: http.alice.name,
      given_name: 'Alice',
      family_name: 'Example',
      picture: http.alice.picture,
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
      { authorization: http.basicAuth(client.clientId, client.clientSecret, false) },
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
      await exchange(base, { authorization: http.basicAuth(client.clientId, 'wrong') }),
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
    await http.expectErrorPage(
      await http.get(authorizeUrl({ client_id: 'nobody' })),
      /Error 401: invalid_client/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ redirect_uri: `${redirectUri}/` })),
      /Error 400: redirect_uri_mismatch/,
    );
    await http.expectErrorPage(
      await http.get(
        authorizeUrl({ redirect_uri: 'http://localhost:3000/federation/google/callback?x=1' }),
      ),
      /redirect_uri_mismatch/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ redirect_uri: undefined })),
      /redirect_uri/,
    );
    // Another client's URI does not count either.
    await http.expectErrorPage(
      await http.get(authorizeUrl({ redirect_uri: other.redirectUris[0] })),
      /redirect_uri_mismatch/,
    );
  });

  it('refuses a wrong response_type, a scope without openid and a missing PKCE challenge', async () => {
    await http.expectErrorPage(
      await http.get(authorizeUrl({ response_type: 'token' })),
      /unsupported_response_type/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ response_type: undefined })),
      /response_type/,
    );
    await http.expectErrorPage(await http.get(authorizeUrl({ scope: 'email profile' })), /openid/);
    await http.expectErrorPage(
      await http.get(authorizeUrl({ scope: 'openid bogus' })),
      /invalid_scope/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ code_challenge: undefined, code_challenge_method: undefined })),
      /code_challenge/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ code_challenge_method: 'S512' })),
      /code_challenge_method/,
    );
    await http.expectErrorPage(
      await http.get(authorizeUrl({ code_challenge: 'short' })),
      /code_challenge/,
    );
    await http.expectErrorPage(await http.get(authorizeUrl({ prompt: 'login' })), /prompt/);
  });

  it('accepts a missing state and the plain PKCE method, and records both', async () => {
    const verifier = http.pkcePair().verifier;
    const response = await http.get(
      authorizeUrl({ state: undefined, code_challenge_method: 'plain' }, verifier),
    );
    const params = http.callbackParams(response, redirectUri);
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
      { authorization: http.basicAuth(client.clientId, client.clientSecret) },
    );
    await expectTokenError(response, 400, 'invalid_request');
  });

  it('refuses a reused code, and revokes what the first use produced', async () => {
    const { code, verifier } = await codeFor();
    const first = await http.json(await basicExchange(code, verifier));
    await expectTokenError(await basicExchange(code, verifier), 400, 'invalid_grant');
    const userinfo = await http.get(google.endpoints.userinfo, {
      authorization: `Bearer ${first.access_token}`,
    });
    expect(userinfo.status).to.equal(401);
    expect(userinfo.headers.get('www-authenticate')).to.match(/^Bearer .*error="invalid_token"/);
  });

  it("refuses an unknown code and another client's code", async () => {
    await expectTokenError(
      await basicExchange('4/0Aunknown', http.pkcePair().verifier),
      400,
      'invalid_grant',
    );
    google.signInAs(http.alice);
    const { verifier, challenge } = http.pkcePair();
    const response = await http.get(
      authorizeUrl({ client_id: other.clientId, redirect_uri: other.redirectUris[0] }, challenge),
    );
    const { code } = http.callbackParams(response, other.redirectUris[0] as string);
    await expectTokenError(await basicExchange(code as string, verifier), 400, 'invalid_grant');
  });

  it('refuses other grant types and non-form bodies', async () => {
    await expectTokenError(
      await exchange(
        { grant_type: 'password' },
        { authorization: http.basicAuth(client.clientId, client.clientSecret) },
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
    const tokens = await http.json(await basicExchange(code, verifier));
    expect(tokens.scope).to.equal('openid');
    const claims = decodeJwt(tokens.id_token as string);
    expect(claims).not.to.have.property('email');
    expect(claims).not.to.have.property('name');
    expect(claims.sub).to.equal(http.alice.sub);
  });

  it('says email_verified false unless the user opts in, and omits hd for personal accounts', async () => {
    google.signInAs({ sub: '1', email: 'bob@gmail.com', name: 'Bob' });
    const { code, verifier } = await codeFor();
    const claims = decodeJwt(
      (await http.json(await basicExchange(code, verifier))).id_token as string,
    );
    expect(claims.email_verified).to.equal(false);
    expect(claims).not.to.have.property('hd');
    expect(claims).not.to.have.property('family_name');
  });

  it('issues a refresh token for access_type=offline', async () => {
    const { code, verifier } = await codeFor({ access_type: 'offline', prompt: 'consent' });
    expect((await http.json(await basicExchange(code, verifier))).refresh_token).to.match(/^1\/\//);
  });

  it('emits the legacy issuer once for the legacy_iss knob, and always for a legacy user', async () => {
    google.failNext('legacy_iss');
    const once = await codeFor();
    const legacy = decodeJwt(
      (await http.json(await basicExchange(once.code, once.verifier))).id_token as string,
    );
    expect(legacy.iss).to.equal(GOOGLE_LEGACY_ISSUER);
    const next = await codeFor();
    expect(
      decodeJwt((await http.json(await basicExchange(next.code, next.verifier))).id_token as string)
        .iss,
    ).to.equal(google.issuer);
    google.signInAs({ ...http.alice, legacyIssuer: true });
    const user = await codeFor();
    expect(
      decodeJwt((await http.json(await basicExchange(user.code, user.verifier))).id_token as string)
        .iss,
    ).to.equal('accounts.google.com');
  });

  it("fails userinfo in Google's UNAVAILABLE shape, and JWKS and discovery once for their knobs", async () => {
    const { code, verifier } = await codeFor();
    const tokens = await http.json(await basicExchange(code, verifier));
    google.failNext('profile_5xx');
    const failed = await http.get(google.endpoints.userinfo, {
      authorization: `Bearer ${tokens.access_token}`,
    });
    expect(failed.status).to.equal(503);
    expect(((await http.json(failed)).error as { status: string }).status).to.equal('UNAVAILABLE');

    google.failNext('jwks_5xx');
    expect((await http.get(google.endpoints.jwks)).status).to.equal(503);
    expect((await http.get(google.endpoints.jwks)).status).to.equal(200);
    google.failNext('discovery_5xx');
    expect((await http.get(google.endpoints.discovery)).status).to.equal(503);
    expect((await http.get(google.endpoints.discovery)).status).to.equal(200);
  });

  it('answers prompt=none with login_required when nobody is signed in', async () => {
    google.signInAs(undefined);
    expect(
      http.callbackParams(await http.get(authorizeUrl({ prompt: 'none' })), redirectUri),
    ).to.deep.equal({
      error: 'login_required',
      state: 'state-123',
    });
  });

  it('runs the interactive page: stable subject per email, Deny, request kept in hidden fields', async () => {
    google.signInAs(undefined);
    const { verifier, challenge } = http.pkcePair();
    const page = await http.get(authorizeUrl({ login_hint: 'carol@example.org' }, challenge));
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.include('Sign in to Fake Google');
    expect(html).to.include('name="fake_email_verified"');
    expect(html).not.to.match(/<script|https?:\/\/(?!localhost)[^"]*\.(css|js)/);
    const original = http.hiddenFields(html);
    expect(original).to.include({
      client_id: client.clientId,
      state: 'state-123',
      code_challenge: challenge,
    });

    const submit = (answers: Record<string, string>) =>
      http.postForm(`${google.url}/fake/sign-in`, { ...original, ...answers });
    const signIn = async (email: string) => {
      const params = http.callbackParams(
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
        (await http.json(await basicExchange(params.code as string, verifier))).id_token as string,
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
    expect(http.callbackParams(denied, redirectUri)).to.deep.equal({
      error: 'access_denied',
      state: 'state-123',
    });
    // Hidden fields are re-validated, so editing them cannot smuggle in another redirect_uri.
    await http.expectErrorPage(
      await submit({
        redirect_uri: 'http://evil.example/cb',
        fake_email: 'e@x.io',
        fake_decision: 'continue',
      }),
      /redirect_uri_mismatch/,
    );
  });
});

// ---- Facebook ----
