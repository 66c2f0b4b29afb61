// docs/openapi.yaml against the real server: a valid OpenAPI 3.1 document, served at /openapi.json,
// and every answer of a sign-up with PKCE, tokens of every grant, userinfo, /api, introspection,
// revocation, device sign-in, PAR, logout, the probes and their refusals matches what it documents.
// The last test asserts that every operation of the document was exercised.
import { Validator } from '@seriousme/openapi-schema-validator';
import axios, { type AxiosResponse } from 'axios';
import { expect } from 'chai';
import * as oauth from 'openid-client';
import {
  API_DESCRIPTION_PATH,
  describedFor,
  readApiDescription,
} from '../../src/http/api-description.ts';
import { Browser } from '../support/browser.ts';
import {
  DEVICE_CLIENTS,
  DEVICE_CODE_GRANT,
  enterCode,
  pressOnConfirmPage,
} from '../support/device.ts';
import { clientAssertion, dpopProof, JWT_BEARER, type TestKey, testKey } from '../support/dpop.ts';
import { callbackOf, pageOf, person, signUp } from '../support/oidc.ts';
import { ApiContract, isJsonMedia } from '../support/openapi.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';

const REPORTS = 'https://reports.example.com';
const signer = await testKey();
const postWorker = {
  client_id: 'reports-post-worker',
  client_secret: 'reports-post-worker-secret-0123456789abcdef',
  token_endpoint_auth_method: 'client_secret_post',
  machine: true,
  resources: { [REPORTS]: ['reports:read'] },
  redirect_uris: [] as string[],
};
const keyedWorker = {
  client_id: 'reports-keyed-worker',
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: { keys: [signer.jwk] },
  machine: true,
  resources: { [REPORTS]: ['reports:read'] },
  redirect_uris: [] as string[],
};
const web = TEST_CLIENTS.firstParty;
const spa = TEST_CLIENTS.publicSpa;
const tv = DEVICE_CLIENTS.tv;

type Body = Record<string, unknown>;
interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed, when it is JSON. */
  json: Body;
}

describe('the API description (docs/openapi.yaml)', () => {
  const server = useServer({
    clients: [...Object.values(TEST_CLIENTS), tv, postWorker, keyedWorker],
    resourceServers: [
      { audience: REPORTS, format: 'opaque', scopes: { 'reports:read': 'See reports' } },
    ],
    env: { DEVICE_POLL_INTERVAL_SECONDS: '1' },
  });
  const source = readApiDescription();
  let contract: ApiContract;
  let http: ReturnType<typeof axios.create>;
  let issuer: string;

  before(() => {
    // Compiles every schema of the document: a broken one fails here, with its reason.
    contract = new ApiContract(source);
    issuer = server.issuer;
    http = contract.attach(
      axios.create({
        baseURL: issuer,
        validateStatus: () => true,
        maxRedirects: 0,
        responseType: 'text',
        transformResponse: (data: unknown) => data,
      }),
      issuer,
    );
  });

  const answer = (res: AxiosResponse<string>): Answer => {
    const media = String(res.headers['content-type'] ?? '').split(';')[0] ?? '';
    return {
      status: res.status,
      headers: res.headers as Record<string, string>,
      text: res.data,
      json: isJsonMedia(media) && res.data !== '' ? (JSON.parse(res.data) as Body) : {},
    };
  };
  const get = async (path: string, headers: Record<string, string> = {}) =>
    answer(await http.get(path, { headers }));
  const form = async (path: string, fields: Record<string, string>, headers = {}) =>
    answer(
      await http.post(path, new URLSearchParams(fields).toString(), {
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      }),
    );
  const basic = (c: { client_id: string; client_secret: string }) => ({
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(c.client_id)}:${encodeURIComponent(c.client_secret)}`).toString('base64')}`,
  });
  const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
  /** A browser whose every request to the server goes through the contract check too. */
  const browser = () =>
    new Browser(issuer, { http: contract.attach(axios.create({ timeout: 15_000 }), issuer) });

  async function pkce() {
    const verifier = oauth.randomPKCECodeVerifier();
    return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
  }
  function authorizeUrl(
    c: { client_id: string; redirect_uris: readonly string[] },
    challenge: string,
    params: Record<string, string> = {},
  ) {
    const url = new URL('/authorize', issuer);
    url.search = new URLSearchParams({
      client_id: c.client_id,
      response_type: 'code',
      redirect_uri: c.redirect_uris[0] as string,
      scope: 'openid profile email',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: oauth.randomState(),
      nonce: oauth.randomNonce(),
      ...params,
    }).toString();
    return url;
  }

  // What the stories below share: one person, signed in once, and their tokens.
  const person1 = person('openapi');
  let signedIn: Browser;
  let apiTokens: Body;
  let userinfoTokens: Body;

  describe('the document', () => {
    it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
      const validator = new Validator();
      // The validator resolves references in the object it is given: give it a copy.
      const result = await validator.validate(structuredClone(source));
      expect(result.errors, JSON.stringify(result.errors, null, 2)).to.equal(undefined);
      expect(result.valid).to.equal(true);
      expect(validator.version).to.equal('3.1');
      expect(() => validator.resolveRefs()).not.to.throw();
      expect(contract.operations.length).to.be.greaterThan(15);
    });

    it('names the provider paths discovery announces, and no others for them', async () => {
      const discovery = await get('/.well-known/openid-configuration');
      expect(discovery.status).to.equal(200);
      const paths = Object.keys(source.paths as Body);
      for (const key of [
        'authorization_endpoint',
        'token_endpoint',
        'userinfo_endpoint',
        'jwks_uri',
        'end_session_endpoint',
        'introspection_endpoint',
        'revocation_endpoint',
        'device_authorization_endpoint',
        'pushed_authorization_request_endpoint',
      ]) {
        const url = new URL(String(discovery.json[key]));
        expect(url.origin, key).to.equal(issuer);
        expect(paths, key).to.include(url.pathname);
      }
    });

    it('is served at /openapi.json as JSON naming this issuer, cacheable and readable from any origin', async () => {
      const served = await get(API_DESCRIPTION_PATH, { origin: 'https://tools.example' });
      expect(served.status).to.equal(200);
      expect(served.headers['content-type']).to.equal('application/json; charset=utf-8');
      expect(served.headers['access-control-allow-origin']).to.equal('*');
      expect(served.headers['cache-control']).to.equal('public, max-age=3600');
      expect(served.headers).not.to.have.property('pragma');
      expect(served.json).to.deep.equal(describedFor(source, issuer));
      expect(served.json.servers).to.deep.equal([{ url: issuer }]);
      const schemes = (served.json.components as Body).securitySchemes as Record<string, Body>;
      expect(schemes.openIdConnect?.openIdConnectUrl).to.equal(
        `${issuer}/.well-known/openid-configuration`,
      );
      const validator = new Validator();
      expect((await validator.validate(structuredClone(served.json))).valid).to.equal(true);

      const again = await get(API_DESCRIPTION_PATH, {
        'if-none-match': served.headers.etag as string,
      });
      expect(again.status).to.equal(304);
      expect(again.text).to.equal('');
      const refused = await axios.post(`${issuer}${API_DESCRIPTION_PATH}`, '', {
        validateStatus: () => true,
      });
      expect(refused.status).to.equal(405);
      expect(refused.headers.allow).to.equal('GET, HEAD');
    });
  });

  describe('discovery and keys', () => {
    it('publishes public signing keys only', async () => {
      const jwks = await get('/jwks');
      expect(jwks.status).to.equal(200);
      expect(jwks.headers['content-type']).to.match(/^application\/jwk-set\+json/);
      const kinds = (jwks.json.keys as Body[]).map((k) => k.alg);
      expect(kinds).to.include.members(['RS256', 'ES256']);
    });
  });

  describe('a person signs up through the authorization code flow with PKCE', () => {
    it('is sent to the sign-in page, signs up, and the code comes back with state and iss', async () => {
      signedIn = browser();
      const { verifier, challenge } = await pkce();
      const resource = `${issuer}/api`;
      const url = authorizeUrl(web, challenge, {
        scope: 'openid profile email offline_access',
        prompt: 'consent',
        resource,
      });
      const first = await signedIn.get(url);
      expect(first.status).to.equal(303);
      expect(first.headers.location).to.match(/^\/interaction\//);
      const callback = callbackOf(
        await signUp(signedIn, pageOf(await signedIn.follow(first)), person1),
      );
      expect(callback.searchParams.get('state')).to.equal(url.searchParams.get('state'));
      expect(callback.searchParams.get('iss')).to.equal(issuer);
      const code = callback.searchParams.get('code') as string;

      const token = await form(
        '/token',
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: web.redirect_uris[0],
          code_verifier: verifier,
          resource,
        },
        basic(web),
      );
      expect(token.status, token.text).to.equal(200);
      expect(token.json).to.include({ token_type: 'Bearer', scope: 'profile email' });
      expect(token.json.refresh_token).to.be.a('string');
      apiTokens = token.json;
    });

    it('signs in again without a password (single sign-on) and reads /userinfo with GET and POST', async () => {
      const { verifier, challenge } = await pkce();
      const again = await signedIn.get(authorizeUrl(web, challenge));
      expect(again.status).to.equal(303);
      const callback = new URL(again.headers.location as string);
      expect(callback.origin + callback.pathname).to.equal(web.redirect_uris[0]);
      const token = await form(
        '/token',
        {
          grant_type: 'authorization_code',
          code: callback.searchParams.get('code') as string,
          redirect_uri: web.redirect_uris[0],
          code_verifier: verifier,
        },
        basic(web),
      );
      expect(token.status, token.text).to.equal(200);
      expect(token.json.id_token).to.be.a('string');
      userinfoTokens = token.json;

      const claims = await get('/userinfo', bearer(token.json.access_token));
      expect(claims.status).to.equal(200);
      expect(claims.json).to.include({ email: person1.email, name: person1.name });
      const posted = await form('/userinfo', { access_token: String(token.json.access_token) });
      expect(posted.status).to.equal(200);
      expect(posted.json.sub).to.equal(claims.json.sub);
    });

    it('refuses /userinfo without a token, with an unknown one, and with a token of the /api audience', async () => {
      const none = await get('/userinfo');
      expect(none.status).to.equal(401);
      expect(none.json.error).to.equal('invalid_token');
      const unknown = await get('/userinfo', bearer('not-a-token'));
      expect(unknown.status).to.equal(401);
      const wrongAudience = await get('/userinfo', bearer(apiTokens.access_token));
      expect(wrongAudience.status).to.equal(403);
      expect(wrongAudience.json.error).to.equal('insufficient_scope');
    });
  });

  describe('/api', () => {
    it('reads and changes the profile with an /api token', async () => {
      const me = await get('/api/me', bearer(apiTokens.access_token));
      expect(me.status).to.equal(200);
      expect(me.json).to.include({ email: person1.email, email_verified: true });
      const changed = answer(
        await http.patch('/api/me', JSON.stringify({ name: 'Ada Lovelace', picture: null }), {
          headers: { ...bearer(apiTokens.access_token), 'content-type': 'application/json' },
        }),
      );
      expect(changed.status).to.equal(200);
      expect(changed.json.name).to.equal('Ada Lovelace');
    });

    it('refuses a missing token, a token for another audience, bad bodies and unknown sessions', async () => {
      const none = await get('/api/me');
      expect(none.status).to.equal(401);
      expect(none.json.error).to.equal('unauthorized');
      expect(none.headers['www-authenticate']).to.equal(`Bearer realm="${issuer}/api"`);
      const wrong = await get('/api/me/sessions', bearer(userinfoTokens.access_token));
      expect(wrong.status).to.equal(401);
      expect(wrong.json.error).to.equal('invalid_token');
      const patch = (body: string, type = 'application/json') =>
        http.patch('/api/me', body, {
          headers: { ...bearer(apiTokens.access_token), 'content-type': type },
        });
      const unknownField = answer(await patch(JSON.stringify({ email: 'x@example.com' })));
      expect(unknownField.status).to.equal(400);
      const tooLong = answer(await patch(JSON.stringify({ name: 'x'.repeat(101) })));
      expect(tooLong.status).to.equal(400);
      expect(tooLong.json.fields).to.have.property('name');
      const notJson = answer(await patch('name=x', 'application/x-www-form-urlencoded'));
      expect(notJson.status).to.equal(415);
      const gone = answer(
        await http.delete('/api/me/sessions/s.nothing-here', {
          headers: bearer(apiTokens.access_token),
        }),
      );
      expect(gone.status).to.equal(404);
      expect(gone.json.error).to.equal('not_found');
    });

    it('lets a token with the email scope only read, not change the profile', async () => {
      const { verifier, challenge } = await pkce();
      const resource = `${issuer}/api`;
      const back = await signedIn.get(
        authorizeUrl(web, challenge, { scope: 'openid email', resource }),
      );
      const code = new URL(back.headers.location as string).searchParams.get('code') as string;
      const token = await form(
        '/token',
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: web.redirect_uris[0],
          code_verifier: verifier,
          resource,
        },
        basic(web),
      );
      expect(token.json.scope).to.equal('email');
      const me = await get('/api/me', bearer(token.json.access_token));
      expect(me.json).to.have.keys('sub', 'email', 'email_verified');
      const patch = answer(
        await http.patch('/api/me', JSON.stringify({ name: 'Nope' }), {
          headers: { ...bearer(token.json.access_token), 'content-type': 'application/json' },
        }),
      );
      expect(patch.status).to.equal(403);
      expect(patch.json.error).to.equal('insufficient_scope');
      expect(patch.headers['www-authenticate']).to.include('scope="profile"');
    });

    it('takes a DPoP-bound token only with a proof carrying its nonce', async () => {
      const key: TestKey = await testKey();
      const { verifier, challenge } = await pkce();
      const resource = `${issuer}/api`;
      const back = await signedIn.get(authorizeUrl(spa, challenge, { resource }));
      const code = new URL(back.headers.location as string).searchParams.get('code') as string;
      const fields = {
        grant_type: 'authorization_code',
        client_id: spa.client_id,
        code,
        redirect_uri: spa.redirect_uris[0],
        code_verifier: verifier,
        resource,
      };
      const htu = `${issuer}/token`;
      const first = await form('/token', fields, {
        dpop: await dpopProof(key, { htm: 'POST', htu }),
      });
      expect(first.status).to.equal(400);
      expect(first.json.error).to.equal('use_dpop_nonce');
      const nonce = first.headers['dpop-nonce'];
      const token = await form('/token', fields, {
        dpop: await dpopProof(key, { htm: 'POST', htu, nonce }),
      });
      expect(token.status, token.text).to.equal(200);
      expect(token.json.token_type).to.equal('DPoP');

      const accessToken = String(token.json.access_token);
      const url = `${issuer}/api/me`;
      const call = async (proofNonce?: string) =>
        get('/api/me', {
          authorization: `DPoP ${accessToken}`,
          dpop: await dpopProof(key, { htm: 'GET', htu: url, accessToken, nonce: proofNonce }),
        });
      const asked = await call();
      expect(asked.status).to.equal(401);
      expect(asked.json.error).to.equal('use_dpop_nonce');
      const me = await call(asked.headers['dpop-nonce']);
      expect(me.status, me.text).to.equal(200);
      expect(me.json.email).to.equal(person1.email);
    });
  });

  describe('a TV signs in with the device flow and is signed out from /api', () => {
    it('gets a code and a QR code, is told to wait and to slow down, then gets tokens once approved', async () => {
      const start = await form('/device/auth', {
        client_id: tv.client_id,
        scope: 'openid profile offline_access',
      });
      expect(start.status, start.text).to.equal(200);
      const device = start.json;
      const qr = await get(`/device/qr/${String(device.user_code)}.svg`);
      expect(qr.status).to.equal(200);
      expect(qr.text).to.match(/^<svg/);
      const poll = () =>
        form('/token', {
          grant_type: DEVICE_CODE_GRANT,
          device_code: String(device.device_code),
          client_id: tv.client_id,
        });
      const pending = await poll();
      expect(pending.status).to.equal(400);
      expect(pending.json.error).to.equal('authorization_pending');
      const tooSoon = await poll();
      expect(tooSoon.json.error).to.equal('slow_down');

      const confirm = await enterCode(signedIn, String(device.user_code));
      const done = await pressOnConfirmPage(signedIn, confirm.data, 'confirm');
      expect(done.status).to.equal(200);
      const used = await get(`/device/qr/${String(device.user_code)}.svg`);
      expect(used.status).to.equal(404);

      // Past the grown interval (1 s + 5 s after slow_down).
      await new Promise((resolve) => setTimeout(resolve, 6200));
      const tokens = await poll();
      expect(tokens.status, tokens.text).to.equal(200);
      expect(tokens.json.refresh_token).to.be.a('string');

      const sessions = await get('/api/me/sessions', bearer(apiTokens.access_token));
      expect(sessions.status).to.equal(200);
      const entries = sessions.json.sessions as Body[];
      const app = entries.find((e) => e.kind === 'app');
      expect(app, JSON.stringify(entries)).to.not.equal(undefined);
      expect(entries.find((e) => e.kind === 'browser')?.current).to.equal(true);
      const out = answer(
        await http.delete(`/api/me/sessions/${encodeURIComponent(String(app?.id))}`, {
          headers: bearer(apiTokens.access_token),
        }),
      );
      expect(out.status).to.equal(204);
      const refresh = await form('/token', {
        grant_type: 'refresh_token',
        refresh_token: String(tokens.json.refresh_token),
        client_id: tv.client_id,
      });
      expect(refresh.status).to.equal(400);
      expect(refresh.json.error).to.equal('invalid_grant');
    });

    it('refuses a device authorization request from an unknown client or one without the grant', async () => {
      const unknown = await form('/device/auth', { client_id: 'no-such-client' });
      expect(unknown.status).to.equal(401);
      expect(unknown.json.error).to.equal('invalid_client');
      const notDevice = await form('/device/auth', { client_id: spa.client_id, scope: 'openid' });
      expect(notDevice.status).to.equal(400);
    });
  });

  describe('refresh, introspection and revocation', () => {
    it('refreshes, introspects both tokens, revokes the refresh token, and the grant is gone', async () => {
      const refreshed = await form(
        '/token',
        { grant_type: 'refresh_token', refresh_token: String(apiTokens.refresh_token) },
        basic(web),
      );
      expect(refreshed.status, refreshed.text).to.equal(200);
      const introspect = (token: unknown) =>
        form('/token/introspection', { token: String(token) }, basic(web));
      const access = await introspect(refreshed.json.access_token);
      expect(access.json).to.include({
        active: true,
        client_id: web.client_id,
        token_type: 'Bearer',
      });
      const refresh = await introspect(refreshed.json.refresh_token);
      expect(refresh.json.active).to.equal(true);
      expect(refresh.json).not.to.have.property('token_type');

      const revoked = await form(
        '/token/revocation',
        { token: String(refreshed.json.refresh_token), token_type_hint: 'refresh_token' },
        basic(web),
      );
      expect(revoked.status).to.equal(200);
      expect(revoked.text).to.equal('');
      expect((await introspect(refreshed.json.access_token)).json).to.deep.equal({ active: false });
      const unknownRevoked = await form('/token/revocation', { token: 'never-issued' }, basic(web));
      expect(unknownRevoked.status).to.equal(200);
    });

    it('refuses introspection without client authentication, with a wrong secret, and of a JWT', async () => {
      const anonymous = await form('/token/introspection', { token: 'x' });
      expect(anonymous.status).to.equal(400);
      expect(anonymous.json.error).to.equal('invalid_request');
      const jwt = await form(
        '/token/introspection',
        { token: String(userinfoTokens.id_token) },
        basic(web),
      );
      expect(jwt.status).to.equal(400);
      expect(jwt.json.error).to.equal('unsupported_token_type');
      const wrongSecret = await form(
        '/token/introspection',
        { token: 'x' },
        basic({ ...web, client_secret: 'not-the-secret' }),
      );
      expect(wrongSecret.status).to.equal(401);
      expect(wrongSecret.json.error).to.equal('invalid_client');
    });
  });

  describe('machine clients', () => {
    it('get a token with client_secret_post, introspect it and revoke it', async () => {
      const auth = { client_id: postWorker.client_id, client_secret: postWorker.client_secret };
      const token = await form('/token', {
        grant_type: 'client_credentials',
        scope: 'reports:read',
        ...auth,
      });
      expect(token.status, token.text).to.equal(200);
      expect(token.json).to.include({ token_type: 'Bearer', scope: 'reports:read' });
      const info = await form('/token/introspection', {
        token: String(token.json.access_token),
        ...auth,
      });
      expect(info.json).to.include({ active: true, aud: REPORTS, client_id: postWorker.client_id });
      expect(info.json).not.to.have.property('sub');
      const revoked = await form('/token/revocation', {
        token: String(token.json.access_token),
        ...auth,
      });
      expect(revoked.status).to.equal(200);
      const after = await form('/token/introspection', {
        token: String(token.json.access_token),
        ...auth,
      });
      expect(after.json).to.deep.equal({ active: false });
    });

    it('get a token with private_key_jwt, and the same assertion twice is refused', async () => {
      const assertion = await clientAssertion(signer, keyedWorker.client_id, issuer);
      const fields = {
        grant_type: 'client_credentials',
        scope: 'reports:read',
        client_id: keyedWorker.client_id,
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion,
      };
      const token = await form('/token', fields);
      expect(token.status, token.text).to.equal(200);
      const replayed = await form('/token', fields);
      expect(replayed.status).to.equal(401);
      expect(replayed.json.error).to.equal('invalid_client');
    });

    it('refuses a wrong secret, an unknown grant type and a grant the client may not use', async () => {
      const wrong = await form(
        '/token',
        { grant_type: 'client_credentials' },
        basic({ ...web, client_secret: 'wrong' }),
      );
      expect(wrong.status).to.equal(401);
      expect(wrong.headers['www-authenticate']).to.match(/^Basic /);
      const grant = await form('/token', { grant_type: 'password' }, basic(web));
      expect(grant.status).to.equal(400);
      expect(grant.json.error).to.equal('unsupported_grant_type');
      const notMachine = await form('/token', { grant_type: 'client_credentials' }, basic(web));
      expect(notMachine.status).to.equal(400);
    });
  });

  describe('pushed authorization requests, refusals at /authorize, and logout', () => {
    it('stores a pushed request and /authorize takes it by its request_uri; its code works once', async () => {
      const { verifier, challenge } = await pkce();
      const pushed = await form(
        '/par',
        {
          client_id: web.client_id,
          response_type: 'code',
          redirect_uri: web.redirect_uris[0],
          scope: 'openid email',
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: 'pushed',
        },
        basic(web),
      );
      expect(pushed.status, pushed.text).to.equal(201);
      const url = new URL('/authorize', issuer);
      url.search = new URLSearchParams({
        client_id: web.client_id,
        request_uri: String(pushed.json.request_uri),
      }).toString();
      const back = await signedIn.get(url);
      expect(back.status).to.equal(303);
      const callback = new URL(back.headers.location as string);
      expect(callback.searchParams.get('state')).to.equal('pushed');
      const exchange = () =>
        form(
          '/token',
          {
            grant_type: 'authorization_code',
            code: callback.searchParams.get('code') as string,
            redirect_uri: web.redirect_uris[0],
            code_verifier: verifier,
          },
          basic(web),
        );
      expect((await exchange()).status).to.equal(200);
      const reused = await exchange();
      expect(reused.status).to.equal(400);
      expect(reused.json.error).to.equal('invalid_grant');
    });

    it('sends a request without PKCE back with an error, and shows a page for an unknown client', async () => {
      const url = authorizeUrl(web, 'x');
      url.searchParams.delete('code_challenge');
      url.searchParams.delete('code_challenge_method');
      const noPkce = await browser().get(url);
      expect(noPkce.status).to.equal(303);
      expect(new URL(noPkce.headers.location as string).searchParams.get('error')).to.equal(
        'invalid_request',
      );
      const unknown = await browser().get(
        authorizeUrl({ client_id: 'nobody', redirect_uris: ['https://x.example/cb'] }, 'x'),
      );
      expect(unknown.status).to.equal(400);
      expect(unknown.data).to.match(/<html/);
    });

    it('shows the logout page, and an error page for an unregistered post_logout_redirect_uri', async () => {
      const page = await signedIn.get(`/logout?client_id=${web.client_id}`);
      expect(page.status).to.equal(200);
      expect(page.data).to.include('/logout/confirm');
      const bad = await signedIn.get(
        `/logout?client_id=${web.client_id}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
      );
      expect(bad.status).to.equal(400);
    });
  });

  describe('probes', () => {
    it('answers liveness and readiness, and readiness fails once draining begins', async () => {
      expect((await get('/healthz')).json).to.deep.equal({ status: 'ok' });
      const ready = await get('/readyz');
      expect(ready.json).to.deep.equal({
        status: 'ready',
        checks: { postgres: 'ok', redis: 'ok' },
      });
      server.latchkey.startDraining();
      const draining = await get('/readyz');
      expect(draining.status).to.equal(503);
      expect(draining.json).to.deep.equal({ status: 'unavailable', reason: 'shutting_down' });
    });
  });

  // Mocha runs a suite's own tests before its nested suites: this one goes last in a suite of its own.
  describe('coverage', () => {
    it('exercised every operation of the document', () => {
      expect(contract.unexercised(), JSON.stringify(contract.exercised(), null, 2)).to.deep.equal(
        [],
      );
    });
  });
});
