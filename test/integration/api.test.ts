// The protected /api/me resource, the public endpoints, and health checks.
import axios from 'axios';
import { expect } from 'chai';
import * as client from 'openid-client';
import { recordKey } from '../../src/oidc/redis-keys.ts';
import { Browser } from '../support/browser.ts';
import { authorizeAgain, exchangeCode, relyingParty, signUpAndAuthorize } from '../support/oidc.ts';
import { accountFor, TEST_CLIENTS, useServer } from '../support/server.ts';

describe('protected and public resources', () => {
  const server = useServer();
  let api: string;
  const c = TEST_CLIENTS.firstParty;
  const http = axios.create({ validateStatus: () => true });

  before(() => {
    api = `${server.issuer}/api/me`;
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function apiToken(scope = 'openid profile email') {
    const resource = `${server.issuer}/api`;
    return signUpAndAuthorize(server.issuer, c, { scope, resource }, { resource });
  }

  it('refuses a request without a token with 401 and a WWW-Authenticate challenge', async () => {
    const res = await http.get(api);
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.equal(`Bearer realm="${server.issuer}/api"`);
    expect(res.data.error).to.equal('unauthorized');
    expect(res.data.request_id).to.be.a('string');
  });

  it('refuses an unknown token with 401 invalid_token', async () => {
    const res = await http.get(api, { headers: bearer('not-a-real-token') });
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.include('error="invalid_token"');
    const odd = await http.get(api, { headers: { authorization: 'Bearer a b c' } });
    expect(odd.status).to.equal(401);
  });

  it('refuses a token issued for another audience (the userinfo endpoint)', async () => {
    const { tokens } = await signUpAndAuthorize(server.issuer, c);
    const res = await http.get(api, { headers: bearer(tokens.access_token) });
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.include('error="invalid_token"');
    expect(res.data.error_description).to.include('not issued for this API');
  });

  it('returns the profile for a token issued for the API', async () => {
    const { tokens, person } = await apiToken();
    const res = await http.get(api, { headers: bearer(tokens.access_token) });
    expect(res.status).to.equal(200);
    expect(res.data).to.include({ name: person.name, email: person.email, email_verified: true });
    expect(res.data.sub).to.be.a('string');
    expect(res.data).not.to.have.property('passwordHash');
  });

  it('lets a token with only the email scope read the email but not change the profile', async () => {
    const { tokens, person } = await apiToken('openid email');
    const res = await http.get(api, { headers: bearer(tokens.access_token) });
    expect(res.status).to.equal(200);
    expect(res.data.email).to.equal(person.email);
    expect(res.data).not.to.have.property('name');
    const patch = await http.patch(api, { name: 'New' }, { headers: bearer(tokens.access_token) });
    expect(patch.status).to.equal(403);
    expect(patch.headers['www-authenticate']).to.include('error="insufficient_scope"');
  });

  it('updates the name and picture, and the next id_token carries them', async () => {
    const { tokens, rp, browser } = await apiToken();
    const res = await http.patch(
      api,
      { name: '  Ada   Lovelace ', picture: 'https://example.com/ada.png' },
      { headers: bearer(tokens.access_token) },
    );
    expect(res.status).to.equal(200);
    expect(res.data).to.include({ name: 'Ada Lovelace', picture: 'https://example.com/ada.png' });
    const again = await http.get(api, { headers: bearer(tokens.access_token) });
    expect(again.data.name).to.equal('Ada Lovelace');
    // Still signed in: the next authorization needs no password and reflects the new profile.
    const { auth, callback } = await authorizeAgain(browser, rp, c.redirect_uris[0]);
    const next = await exchangeCode(rp, callback, auth);
    expect(next.claims()).to.include({
      name: 'Ada Lovelace',
      picture: 'https://example.com/ada.png',
    });
  });

  it('refuses bad profile updates with 4xx and a JSON explanation', async () => {
    const { tokens } = await apiToken();
    const headers = bearer(tokens.access_token);
    const long = await http.patch(api, { name: 'x'.repeat(101) }, { headers });
    expect(long.status).to.equal(400);
    expect(long.data.fields.name).to.include('at most 100');
    const insecure = await http.patch(api, { picture: 'http://example.com/p.png' }, { headers });
    expect(insecure.status).to.equal(400);
    const unknown = await http.patch(api, { email: 'x@example.com' }, { headers });
    expect(unknown.status).to.equal(400);
    expect(unknown.data.error_description).to.include('email');
    const wrongType = await http.patch(api, { name: ['a'] }, { headers });
    expect(wrongType.status).to.equal(400);
    const array = await http.patch(api, '[1,2]', {
      headers: { ...headers, 'content-type': 'application/json' },
    });
    expect(array.status).to.equal(400);
    const broken = await http.patch(api, '{"name":', {
      headers: { ...headers, 'content-type': 'application/json' },
    });
    expect(broken.status).to.equal(400);
    const form = await http.patch(api, 'name=x', {
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).to.equal(415);
  });

  describe('for applications that are not first-party', () => {
    const third = TEST_CLIENTS.thirdParty;
    const basic = { username: third.client_id, password: third.client_secret };

    /**
     * A code for the API audience issued to the third-party client, as one minted before the
     * first-party policy (or saved in a grant that still names the API) would look.
     */
    async function legacyApiCode() {
      const { provider } = server.latchkey;
      const account = await accountFor(server, 'legacy');
      const grant = new provider.Grant({ accountId: account.id, clientId: third.client_id });
      grant.addOIDCScope('openid profile');
      grant.addResourceScope(`${server.issuer}/api`, 'profile');
      const grantId = await grant.save();
      const verifier = client.randomPKCECodeVerifier();
      const thirdClient = await provider.Client.find(third.client_id);
      if (!thirdClient) throw new Error('the third-party client is not registered');
      const code = new provider.AuthorizationCode({
        client: thirdClient,
        gty: 'authorization_code',
        accountId: account.id,
        grantId,
        redirectUri: third.redirect_uris[0],
        scope: 'openid profile',
        resource: `${server.issuer}/api`,
        codeChallenge: await client.calculatePKCECodeChallenge(verifier),
        codeChallengeMethod: 'S256',
        authTime: Math.floor(Date.now() / 1000),
      });
      return { code: await code.save(), verifier, grantId, accountId: account.id };
    }

    it('refuses the API resource at the authorization endpoint with invalid_target', async () => {
      const rp = await relyingParty(server.issuer, third);
      const browser = new Browser(server.issuer);
      const { auth, callback: answer } = await authorizeAgain(browser, rp, third.redirect_uris[0], {
        scope: 'openid profile',
        resource: `${server.issuer}/api`,
      });
      expect(answer.searchParams.get('error')).to.equal('invalid_target');
      expect(answer.searchParams.get('error_description')).to.equal(
        `${server.issuer}/api is available to first-party applications only`,
      );
      expect(answer.searchParams.get('state')).to.equal(auth.state);
    });

    it('refuses the API resource at the token endpoint with invalid_target', async () => {
      const { code, verifier } = await legacyApiCode();
      const res = await http.post(
        `${server.issuer}/token`,
        new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          redirect_uri: third.redirect_uris[0],
          resource: `${server.issuer}/api`,
        }).toString(),
        { auth: basic, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      );
      expect(res.status).to.equal(400);
      expect(res.data.error).to.equal('invalid_target');
      expect(res.data.error_description).to.include('first-party applications only');
    });

    it('refuses an API token that was issued to a third-party client anyway', async () => {
      const { provider } = server.latchkey;
      const { grantId, accountId } = await legacyApiCode();
      const thirdClient = await provider.Client.find(third.client_id);
      if (!thirdClient) throw new Error('the third-party client is not registered');
      const token = new provider.AccessToken({
        client: thirdClient,
        gty: 'authorization_code',
        accountId,
        grantId,
        scope: 'profile',
        resourceServer: new provider.ResourceServer(`${server.issuer}/api`, {
          scope: 'profile email',
          audience: `${server.issuer}/api`,
          accessTokenFormat: 'opaque',
        }),
      });
      const value = await token.save();
      const patch = await http.patch(
        api,
        { name: 'Changed by a stranger' },
        { headers: bearer(value) },
      );
      expect(patch.status).to.equal(401);
      expect(patch.data.error_description).to.include('first-party');
      expect((await server.latchkey.accounts.findProfile(accountId))?.name).not.to.equal(
        'Changed by a stranger',
      );
    });
  });

  it('refuses a revoked token', async () => {
    const { tokens, rp } = await apiToken();
    await client.tokenRevocation(rp, tokens.access_token);
    const res = await http.get(api, { headers: bearer(tokens.access_token) });
    expect(res.status).to.equal(401);
  });

  it('refuses an expired token', async () => {
    const { tokens } = await apiToken();
    const key = recordKey(
      `${server.config.redisKeyPrefix}oidc:`,
      'AccessToken',
      tokens.access_token,
    );
    const stored = JSON.parse((await server.resources.redis.hget(key, 'payload')) ?? '{}');
    stored.exp = Math.floor(Date.now() / 1000) - 60;
    await server.resources.redis.hset(key, 'payload', JSON.stringify(stored));
    const res = await http.get(api, { headers: bearer(tokens.access_token) });
    expect(res.status).to.equal(401);
    expect(res.data.error).to.equal('invalid_token');
  });

  it("answers CORS preflights only for the relying parties' origins", async () => {
    const allowed = await http.options(api, {
      headers: {
        origin: 'http://127.0.0.1:1',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(allowed.status).to.equal(204);
    expect(allowed.headers['access-control-allow-origin']).to.equal('http://127.0.0.1:1');
    expect(allowed.headers['access-control-allow-credentials']).to.equal(undefined);
    const denied = await http.get(api, { headers: { origin: 'https://evil.example' } });
    expect(denied.headers['access-control-allow-origin']).to.equal(undefined);
  });

  it('serves discovery and the JWKS publicly, with RS256 and ES256 public keys only', async () => {
    const discovery = await http.get(`${server.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).to.equal(200);
    expect(discovery.data.issuer).to.equal(server.issuer);
    expect(discovery.data.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(discovery.data.authorization_response_iss_parameter_supported).to.equal(true);
    expect(discovery.data.response_types_supported).to.deep.equal(['code', 'none']);
    const jwks = await http.get(discovery.data.jwks_uri);
    expect(jwks.status).to.equal(200);
    const algs = jwks.data.keys.map((k: { alg: string }) => k.alg).sort();
    expect(algs).to.deep.equal(['ES256', 'RS256']);
    for (const key of jwks.data.keys) {
      expect(key).not.to.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');
    }
  });

  it('reports liveness and readiness', async () => {
    const live = await http.get(`${server.issuer}/healthz`);
    expect(live.status).to.equal(200);
    const ready = await http.get(`${server.issuer}/readyz`);
    expect(ready.status).to.equal(200);
    expect(ready.data).to.deep.equal({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('answers unknown paths with a 404 page or JSON', async () => {
    const page = await http.get(`${server.issuer}/nope`, { headers: { accept: 'text/html' } });
    expect(page.status).to.equal(404);
    expect(page.headers['content-type']).to.match(/html/);
    const json = await http.get(`${server.issuer}/api/nope`);
    expect(json.status).to.equal(404);
    expect(json.data.error).to.equal('not_found');
  });
});
