// DPoP (RFC 9449): proofs with server nonces at the token endpoint, clients that require it, and
// Latchkey's own /api accepting DPoP-bound tokens only with a fresh proof by the bound key.
import axios from 'axios';
import { expect } from 'chai';
import { dpopProof, type TestKey, testKey } from '../support/dpop.ts';
import { callbackOf, signUpThrough } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { atOnce, type TokenReply, tokenRequest } from '../support/tokens.ts';

const SERVICE = 'https://reports.example.com';
const machine = {
  client_id: 'reports-worker',
  client_secret: 'reports-worker-secret-0123456789abcdef',
  machine: true,
  dpop_bound_access_tokens: true,
  resources: { [SERVICE]: ['reports:read'] },
  redirect_uris: [] as string[],
};
const boundSpa = {
  client_id: 'bound-spa',
  client_name: 'Bound SPA',
  token_endpoint_auth_method: 'none',
  redirect_uris: ['http://127.0.0.1:4/callback'],
  first_party: true,
  dpop_bound_access_tokens: true,
};

describe('DPoP', () => {
  const server = useServer({
    clients: [...Object.values(TEST_CLIENTS), machine, boundSpa],
    resourceServers: [
      { audience: SERVICE, format: 'opaque', scopes: { 'reports:read': 'See reports' } },
    ],
  });
  const http = axios.create({ validateStatus: () => true });
  let key: TestKey;
  before(async () => {
    key = await testKey();
  });

  /** A token request with a proof; the first answer use_dpop_nonce gives the nonce to retry with. */
  async function withNonce(
    c: { client_id: string; client_secret?: string; redirect_uris: readonly string[] },
    params: Record<string, string>,
    proofKey = key,
  ): Promise<TokenReply> {
    const htu = `${server.issuer}/token`;
    const first = await tokenRequest(server.issuer, c, params, {
      dpop: await dpopProof(proofKey, { htm: 'POST', htu }),
    });
    expect(first.status).to.equal(400);
    expect(first.data.error).to.equal('use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).to.be.a('string');
    return tokenRequest(server.issuer, c, params, {
      dpop: await dpopProof(proofKey, { htm: 'POST', htu, nonce }),
    });
  }

  const cc = { grant_type: 'client_credentials', scope: 'reports:read' };

  describe('at the token endpoint', () => {
    it('asks for a server nonce, then binds the machine token to the key (cnf.jkt)', async () => {
      const res = await withNonce(machine, cc);
      expect(res.status, JSON.stringify(res.data)).to.equal(200);
      expect(res.data.token_type).to.equal('DPoP');
      const info = await http.post(
        `${server.issuer}/token/introspection`,
        new URLSearchParams({ token: res.data.access_token as string }).toString(),
        { auth: { username: machine.client_id, password: machine.client_secret } },
      );
      expect(info.data).to.deep.include({ active: true, cnf: { jkt: key.jkt }, aud: SERVICE });
    });

    it('refuses a client that requires DPoP a token without a proof', async () => {
      const res = await tokenRequest(server.issuer, machine, cc);
      expect(res.status).to.equal(400);
      expect(res.data).to.include({
        error: 'invalid_grant',
        error_description: 'grant request is invalid',
      });
    });

    it('refuses a proof made for another method or another URL', async () => {
      const first = await tokenRequest(server.issuer, machine, cc, {
        dpop: await dpopProof(key, { htm: 'POST', htu: `${server.issuer}/token` }),
      });
      const nonce = first.headers['dpop-nonce'];
      for (const claims of [
        { htm: 'GET', htu: `${server.issuer}/token` },
        { htm: 'POST', htu: `${server.issuer}/token/introspection` },
      ]) {
        const res = await tokenRequest(server.issuer, machine, cc, {
          dpop: await dpopProof(key, { ...claims, nonce }),
        });
        expect(res.status).to.equal(400);
        expect(res.data.error).to.equal('invalid_dpop_proof');
      }
    });

    it('refuses a nonce this server never gave', async () => {
      const res = await tokenRequest(server.issuer, machine, cc, {
        dpop: await dpopProof(key, {
          htm: 'POST',
          htu: `${server.issuer}/token`,
          nonce: 'A'.repeat(43),
        }),
      });
      expect(res.status).to.equal(400);
      expect(res.data.error).to.equal('use_dpop_nonce');
    });

    it('accepts one proof once: the same jti again, even at once, is refused', async () => {
      const first = await tokenRequest(server.issuer, machine, cc, {
        dpop: await dpopProof(key, { htm: 'POST', htu: `${server.issuer}/token` }),
      });
      const proof = await dpopProof(key, {
        htm: 'POST',
        htu: `${server.issuer}/token`,
        nonce: first.headers['dpop-nonce'],
      });
      const answers = await atOnce(8, () =>
        tokenRequest(server.issuer, machine, cc, { dpop: proof }),
      );
      expect(answers.filter((a) => a.status === 200)).to.have.length(1);
      for (const refused of answers.filter((a) => a.status !== 200)) {
        expect(refused.data).to.include({
          error: 'invalid_grant',
          error_description: 'grant request is invalid',
        });
      }
    });
  });

  describe("at Latchkey's /api", () => {
    let api: string;
    before(() => {
      api = `${server.issuer}/api/me`;
    });

    /** A public client signs someone up and gets a DPoP-bound token for /api. */
    async function boundApiToken(c: typeof TEST_CLIENTS.publicSpa | typeof boundSpa) {
      const resource = `${server.issuer}/api`;
      const { auth, result } = await signUpThrough(server.issuer, c, {
        scope: 'openid profile email',
        resource,
      });
      const code = callbackOf(result).searchParams.get('code') as string;
      const res = await withNonce(c, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: auth.redirectUri,
        code_verifier: auth.verifier,
        resource,
      });
      expect(res.status, JSON.stringify(res.data)).to.equal(200);
      expect(res.data.token_type).to.equal('DPoP');
      return res.data.access_token as string;
    }

    /** The /api nonce: a proof without one is answered with use_dpop_nonce and a DPoP-Nonce. */
    async function apiNonce(token: string): Promise<string> {
      const res = await http.get(api, {
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await dpopProof(key, { htm: 'GET', htu: api, accessToken: token }),
        },
      });
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.include('DPoP ').and.include('use_dpop_nonce');
      expect(res.headers['dpop-nonce']).to.be.a('string');
      return res.headers['dpop-nonce'] as string;
    }

    const call = async (
      token: string,
      claims: { htm?: string; htu?: string; nonce: string; accessToken?: string; jti?: string },
      proofKey = key,
      method: 'get' | 'delete' = 'get',
    ) =>
      http.request({
        method,
        url: api,
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await dpopProof(proofKey, {
            htm: claims.htm ?? 'GET',
            htu: claims.htu ?? api,
            nonce: claims.nonce,
            accessToken: claims.accessToken ?? token,
            ...(claims.jti ? { jti: claims.jti } : {}),
          }),
        },
      });

    it('serves a public client holding a DPoP-bound token, with a fresh proof and its nonce', async () => {
      const token = await boundApiToken(TEST_CLIENTS.publicSpa);
      const nonce = await apiNonce(token);
      const res = await call(token, { nonce });
      expect(res.status, JSON.stringify(res.data)).to.equal(200);
      expect(res.data.email).to.be.a('string');
    });

    it('refuses the bound token as a plain bearer token, and a proof-less DPoP request', async () => {
      const token = await boundApiToken(TEST_CLIENTS.publicSpa);
      const bearer = await http.get(api, { headers: { authorization: `Bearer ${token}` } });
      expect(bearer.status).to.equal(401);
      expect(bearer.headers['www-authenticate']).to.match(/^DPoP .*error="invalid_token"/);
      const bare = await http.get(api, { headers: { authorization: `DPoP ${token}` } });
      expect(bare.status).to.equal(401);
      expect(bare.headers['www-authenticate']).to.include('error="invalid_dpop_proof"');
    });

    it('refuses a proof for another method, URL, token or key', async () => {
      const token = await boundApiToken(TEST_CLIENTS.publicSpa);
      const nonce = await apiNonce(token);
      const other = await testKey();
      const cases = [
        { claims: { nonce, htm: 'PATCH' }, key, reason: 'another HTTP method' },
        { claims: { nonce, htu: `${server.issuer}/api/me/sessions` }, key, reason: 'another URL' },
        { claims: { nonce, accessToken: 'another-token' }, key, reason: 'another access token' },
        { claims: { nonce }, key: other, reason: 'another key' },
      ];
      for (const c of cases) {
        const res = await call(token, c.claims, c.key);
        expect(res.status, c.reason).to.equal(401);
        expect(res.headers['www-authenticate'], c.reason).to.include('error="invalid_dpop_proof"');
        expect(res.data.error_description, c.reason).to.include(c.reason);
      }
    });

    it('refuses a proof used before, even when both arrive at once', async () => {
      const token = await boundApiToken(TEST_CLIENTS.publicSpa);
      const nonce = await apiNonce(token);
      const proof = await dpopProof(key, { htm: 'GET', htu: api, nonce, accessToken: token });
      const send = () =>
        http.get(api, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
      const answers = await atOnce(8, send);
      expect(answers.map((a) => a.status).sort()).to.deep.equal([
        200, 401, 401, 401, 401, 401, 401, 401,
      ]);
      const again = await send();
      expect(again.data.error_description).to.include('already used');
    });

    it('refuses a proof without a nonce or with an unknown one, handing out a nonce', async () => {
      const token = await boundApiToken(TEST_CLIENTS.publicSpa);
      const res = await call(token, { nonce: 'A'.repeat(43) });
      expect(res.status).to.equal(401);
      expect(res.data.error).to.equal('use_dpop_nonce');
      expect(res.headers['dpop-nonce']).to.be.a('string');
    });

    it('stops serving a DPoP-bound token once the public client revokes it', async () => {
      const token = await boundApiToken(TEST_CLIENTS.publicSpa);
      const revoked = await http.post(
        `${server.issuer}/token/revocation`,
        new URLSearchParams({ token, client_id: TEST_CLIENTS.publicSpa.client_id }).toString(),
      );
      expect(revoked.status).to.equal(200);
      const nonce = await apiNonce(token).catch(() => 'none');
      const res = await call(token, { nonce });
      expect(res.status).to.equal(401);
      expect(res.data.error).to.equal('invalid_token');
    });

    it('makes a client registered with dpop_bound_access_tokens present a proof', async () => {
      const resource = `${server.issuer}/api`;
      const { auth, result } = await signUpThrough(server.issuer, boundSpa, {
        scope: 'openid profile',
        resource,
      });
      const res = await tokenRequest(server.issuer, boundSpa, {
        grant_type: 'authorization_code',
        code: callbackOf(result).searchParams.get('code') as string,
        redirect_uri: auth.redirectUri,
        code_verifier: auth.verifier,
        resource,
      });
      expect(res.status).to.equal(400);
      expect(res.data).to.include({
        error: 'invalid_grant',
        error_description: 'grant request is invalid',
      });
      expect(await boundApiToken(boundSpa)).to.be.a('string');
    });
  });
});
