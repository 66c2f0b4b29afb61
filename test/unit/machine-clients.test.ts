// Machine clients and private_key_jwt in the clients file: what is accepted, what is refused.
import { expect } from 'chai';
import { ClientsFileError, parseClients } from '../../src/oidc/clients.ts';
import { soleAudience } from '../../src/oidc/machine-clients.ts';

const SECRET = 's'.repeat(32);
const PUBLIC_KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};

const billing = {
  client_id: 'billing-worker',
  client_secret: SECRET,
  machine: true,
  resources: { 'https://invoices.example.com': ['invoices:read', 'invoices:write'] },
};

function problemsOf(json: unknown): readonly string[] {
  try {
    parseClients(json);
  } catch (error) {
    expect(error).to.be.instanceOf(ClientsFileError);
    return (error as ClientsFileError).problems;
  }
  expect.fail('parseClients accepted a clients file it should refuse');
}

describe('machine clients in the clients file', () => {
  it('gives a machine client the client_credentials grant alone, no redirects, no person', () => {
    const [client] = parseClients([billing]);
    expect(client).to.deep.include({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      machine: true,
      first_party: false,
    });
    expect(client?.resources).to.deep.equal({
      'https://invoices.example.com': ['invoices:read', 'invoices:write'],
    });
    expect(soleAudience(client)).to.equal('https://invoices.example.com');
  });

  it('accepts private_key_jwt with the public keys inline and no secret', () => {
    const { client_secret: _, ...rest } = billing;
    const [client] = parseClients([
      { ...rest, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [PUBLIC_KEY] } },
    ]);
    expect(client?.token_endpoint_auth_method).to.equal('private_key_jwt');
  });

  it('lists every problem of a machine client that is not one', () => {
    expect(
      problemsOf([
        {
          client_id: 'bad-worker',
          machine: true,
          token_endpoint_auth_method: 'none',
          grant_types: ['client_credentials', 'authorization_code'],
          redirect_uris: ['https://worker.example.com/cb'],
          response_types: ['code'],
          first_party: true,
        },
      ]),
    ).to.deep.equal([
      'client "bad-worker": a machine client must be confidential (token_endpoint_auth_method client_secret_basic, client_secret_post, private_key_jwt)',
      'client "bad-worker": a machine client\'s grant_types may only be ["client_credentials"]',
      'client "bad-worker": a machine client must not have redirect_uris',
      'client "bad-worker": a machine client\'s response_types must be empty',
      'client "bad-worker": first_party is about people signing in; a machine client has none',
      'client "bad-worker": a machine client needs resources: the audiences and scopes it may ask for',
    ]);
  });

  it('refuses resources that are not audience URIs with scope lists', () => {
    expect(
      problemsOf([
        {
          ...billing,
          resources: { 'http://invoices.example.com': ['a b'], 'not a uri': [] },
        },
      ]),
    ).to.deep.equal([
      'client "billing-worker": resources key "http://invoices.example.com" must be an absolute https URI without fragment or credentials (plain http only for loopback)',
      'client "billing-worker": resources["http://invoices.example.com"] must be a non-empty array of scope names (no spaces or quotes)',
      'client "billing-worker": resources key "not a uri" must be an absolute https URI without fragment or credentials (plain http only for loopback)',
      'client "billing-worker": resources["not a uri"] must be a non-empty array of scope names (no spaces or quotes)',
    ]);
  });

  it('refuses client_credentials for a client not marked as a machine', () => {
    const [problem] = problemsOf([
      {
        client_id: 'web',
        client_secret: SECRET,
        redirect_uris: ['https://web.example.com/cb'],
        grant_types: ['client_credentials'],
      },
    ]);
    expect(problem).to.include('client_credentials is for machine clients: "machine": true');
  });

  it('refuses private_key_jwt without keys, with a secret, or with private key material', () => {
    const jwt = { ...billing, token_endpoint_auth_method: 'private_key_jwt' };
    expect(problemsOf([jwt])).to.deep.equal([
      'client "billing-worker": a private_key_jwt client must not have a client_secret',
      'client "billing-worker": private_key_jwt needs the client\'s public keys in jwks (or a jwks_uri)',
    ]);
    const { client_secret: _, ...keyed } = jwt;
    expect(
      problemsOf([
        {
          ...keyed,
          jwks: {
            keys: [
              { ...PUBLIC_KEY, d: 'private' },
              { kty: 'oct', k: 'c2VjcmV0' },
            ],
          },
        },
      ]),
    ).to.deep.equal([
      'client "billing-worker" jwks.keys[0] holds private or symmetric key material (d): list only the public key',
      'client "billing-worker" jwks.keys[1]: kty must be RSA, EC or OKP (a public signing key)',
      'client "billing-worker" jwks.keys[1] holds private or symmetric key material (k): list only the public key',
    ]);
    expect(problemsOf([{ ...keyed, jwks_uri: 'http://keys.example.com/jwks' }])).to.deep.equal([
      'client "billing-worker": jwks_uri must be an absolute https URL: http://keys.example.com/jwks',
    ]);
  });

  it('refuses a dpop_bound_access_tokens or machine that is not a boolean', () => {
    expect(problemsOf([{ ...billing, dpop_bound_access_tokens: 'yes' }])).to.deep.equal([
      'client "billing-worker": dpop_bound_access_tokens must be true or false',
    ]);
    expect(problemsOf([{ ...billing, machine: 'yes' }])[0]).to.equal(
      'client "billing-worker": machine must be true or false',
    );
  });
});
