// Machine clients: client_credentials with a secret or private_key_jwt, for their own audiences
// and scopes only, short-lived, with no person; introspection and revocation of those tokens.
import axios from 'axios';
import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { clientAssertion, JWT_BEARER, testKey } from '../support/dpop.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { atOnce, tokenRequest } from '../support/tokens.ts';

const INVOICES = 'https://invoices.example.com';
const PAYROLL = 'https://payroll.example.com';
const signer = await testKey();
const stranger = await testKey();

const worker = {
  client_id: 'billing-worker',
  client_secret: 'billing-worker-secret-0123456789abcdef',
  machine: true,
  resources: { [INVOICES]: ['invoices:read', 'invoices:write'] },
  redirect_uris: [] as string[],
};
const keyed = {
  client_id: 'payroll-worker',
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: { keys: [signer.jwk] },
  machine: true,
  resources: { [INVOICES]: ['invoices:read'], [PAYROLL]: ['payroll:run'] },
  redirect_uris: [] as string[],
};

const LEDGER = 'https://ledger.example.com';
const ledgerWorker = {
  client_id: 'ledger-worker',
  client_secret: 'ledger-worker-secret-0123456789abcdef',
  machine: true,
  resources: { [LEDGER]: ['ledger:read'] },
  redirect_uris: [] as string[],
};

describe('machine clients (client_credentials)', () => {
  const server = useServer({
    clients: [...Object.values(TEST_CLIENTS), worker, keyed, ledgerWorker],
    resourceServers: [
      {
        audience: INVOICES,
        format: 'opaque',
        scopes: {
          'invoices:read': 'See invoices',
          'invoices:write': 'Write invoices',
          'invoices:delete': 'Delete invoices',
        },
      },
      { audience: PAYROLL, format: 'opaque', scopes: { 'payroll:run': 'Run the payroll' } },
      { audience: LEDGER, format: 'jwt', scopes: { 'ledger:read': 'Read the ledger' } },
    ],
  });
  const http = axios.create({ validateStatus: () => true });
  const basic = (c: { client_id: string; client_secret: string }) =>
    `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

  async function introspect(token: string) {
    const res = await http.post(
      `${server.issuer}/token/introspection`,
      new URLSearchParams({ token }).toString(),
      { headers: { authorization: basic(worker) } },
    );
    return res.data as Record<string, unknown>;
  }

  const assertionParams = async (key = signer, jti?: string) => ({
    client_assertion_type: JWT_BEARER,
    client_assertion: await clientAssertion(key, keyed.client_id, server.issuer, jti),
  });

  it("gives a machine client a JWT access token (RFC 9068) for an API configured as jwt, its sub the client's own id", async () => {
    const res = await tokenRequest(server.issuer, ledgerWorker, {
      grant_type: 'client_credentials',
      scope: 'ledger:read',
    });
    expect(res.status, JSON.stringify(res.data)).to.equal(200);
    const token = res.data.access_token as string;
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: server.issuer,
      audience: LEDGER,
      typ: 'at+jwt',
    });
    expect(protectedHeader.typ).to.equal('at+jwt');
    expect(payload).to.include({ client_id: ledgerWorker.client_id, scope: 'ledger:read' });
    // RFC 9068 §2.2: with no resource owner, sub names the client itself, never a person.
    expect(payload.sub).to.equal(ledgerWorker.client_id);
    expect((payload.exp as number) - (payload.iat as number)).to.be.at.most(300);
  });

  it('gives a machine client with a secret a five-minute token for its audience, with no person', async () => {
    const res = await tokenRequest(server.issuer, worker, {
      grant_type: 'client_credentials',
      scope: 'invoices:read',
    });
    expect(res.status, JSON.stringify(res.data)).to.equal(200);
    expect(res.data).to.include({ token_type: 'Bearer', scope: 'invoices:read' });
    expect(res.data.expires_in).to.be.within(290, 300);
    expect(res.data).not.to.have.property('refresh_token');
    expect(res.data).not.to.have.property('id_token');
    const info = await introspect(res.data.access_token as string);
    expect(info).to.include({ active: true, client_id: worker.client_id, aud: INVOICES });
    expect(info).not.to.have.property('sub');
    expect(info.exp as number).to.be.at.most(Math.floor(Date.now() / 1000) + 300);
  });

  it('refuses a scope the client may not have, with the scope named', async () => {
    const res = await tokenRequest(server.issuer, worker, {
      grant_type: 'client_credentials',
      scope: 'invoices:read invoices:delete',
    });
    expect(res.status).to.equal(400);
    expect(res.data.error).to.equal('invalid_scope');
    expect(res.data.error_description).to.include('invoices:delete');
  });

  it('refuses an audience the client may not ask for, and the account API', async () => {
    const other = await tokenRequest(server.issuer, worker, {
      grant_type: 'client_credentials',
      resource: PAYROLL,
    });
    expect(other.status).to.equal(400);
    expect(other.data.error).to.equal('invalid_target');
    expect(other.data.error_description).to.include(PAYROLL);
    const api = await tokenRequest(server.issuer, worker, {
      grant_type: 'client_credentials',
      resource: `${server.issuer}/api`,
    });
    expect(api.status).to.equal(400);
    expect(api.data.error).to.equal('invalid_target');
  });

  it('refuses client_credentials to a client that is not a machine client', async () => {
    const res = await tokenRequest(server.issuer, TEST_CLIENTS.firstParty, {
      grant_type: 'client_credentials',
    });
    expect(res.status).to.equal(400);
    expect(res.data).to.include({
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    });
  });

  it('asks a client with several audiences to name one', async () => {
    const res = await tokenRequest(
      server.issuer,
      { client_id: keyed.client_id, redirect_uris: [] },
      { grant_type: 'client_credentials', ...(await assertionParams()) },
    );
    expect(res.status).to.equal(400);
    expect(res.data.error).to.equal('invalid_target');
    expect(res.data.error_description).to.include('name one with the resource parameter');
  });

  it('authenticates with private_key_jwt and refuses the same assertion twice, even at once', async () => {
    const params = {
      grant_type: 'client_credentials',
      resource: PAYROLL,
      scope: 'payroll:run',
      ...(await assertionParams()),
    };
    const c = { client_id: keyed.client_id, redirect_uris: [] };
    const answers = await atOnce(16, () => tokenRequest(server.issuer, c, params));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok, JSON.stringify(answers.map((a) => a.data))).to.have.length(1);
    expect(ok[0]?.data).to.include({ scope: 'payroll:run', token_type: 'Bearer' });
    for (const refused of answers.filter((a) => a.status !== 200)) {
      expect(refused.status).to.equal(401);
      expect(refused.data.error).to.equal('invalid_client');
    }
    const later = await tokenRequest(server.issuer, c, params);
    expect(later.status).to.equal(401);
  });

  it('refuses an assertion signed by a key the client did not register', async () => {
    const res = await tokenRequest(
      server.issuer,
      { client_id: keyed.client_id, redirect_uris: [] },
      { grant_type: 'client_credentials', resource: PAYROLL, ...(await assertionParams(stranger)) },
    );
    expect(res.status).to.equal(401);
    expect(res.data.error).to.equal('invalid_client');
  });

  it('revokes a machine token: introspection then calls it inactive', async () => {
    const res = await tokenRequest(server.issuer, worker, {
      grant_type: 'client_credentials',
      scope: 'invoices:write',
    });
    const token = res.data.access_token as string;
    expect((await introspect(token)).active).to.equal(true);
    const revoked = await http.post(
      `${server.issuer}/token/revocation`,
      new URLSearchParams({ token }).toString(),
      { headers: { authorization: basic(worker) } },
    );
    expect(revoked.status).to.equal(200);
    expect(await introspect(token)).to.deep.equal({ active: false });
  });
});
