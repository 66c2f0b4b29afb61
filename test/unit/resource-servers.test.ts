// The resource servers file: every problem at once, /api always present, and what each client may ask for.
import { expect } from 'chai';
import { parseClients } from '../../src/oidc/clients.ts';
import {
  parseResourceServers,
  ResourceServers,
  ResourceServersFileError,
} from '../../src/oidc/resource-servers.ts';

const ISSUER = 'https://id.example.com';
const API = `${ISSUER}/api`;
const ORDERS = {
  audience: 'https://orders.example.com',
  name: 'Orders',
  format: 'jwt',
  access_token_ttl: 600,
  scopes: {
    'orders:read': 'See your orders',
    'orders:write': { en: 'Place and cancel orders for you', de: 'Bestellungen aufgeben' },
  },
};

function problemsOf(json: unknown): readonly string[] {
  try {
    parseResourceServers(json, ISSUER, 'servers.json');
  } catch (error) {
    expect(error).to.be.instanceOf(ResourceServersFileError);
    return (error as ResourceServersFileError).problems;
  }
  throw new Error('expected the file to be refused');
}

describe('resource servers file', () => {
  it('reads an API and adds Latchkey /api, first-party only and opaque', () => {
    const servers = parseResourceServers([ORDERS], ISSUER);
    expect(
      servers.map((s) => [s.audience, s.format, s.firstPartyOnly, s.accessTokenTtlSeconds]),
    ).to.deep.equal([
      [API, 'opaque', true, 900],
      [ORDERS.audience, 'jwt', false, 600],
    ]);
    expect(servers[1]?.scopes.map((s) => s.name)).to.deep.equal(['orders:read', 'orders:write']);
  });

  it('keeps /api when the file lists it, with its own lifetime', () => {
    const servers = parseResourceServers(
      [{ audience: API, scopes: { profile: '', email: '' }, access_token_ttl: 300 }],
      ISSUER,
    );
    expect(servers).to.have.length(1);
    expect(servers[0]).to.include({
      latchkeyApi: true,
      accessTokenTtlSeconds: 300,
      format: 'opaque',
    });
  });

  it('reads "{issuer}/api" as Latchkey\'s own API, whatever ISSUER is', () => {
    const servers = parseResourceServers(
      [{ audience: '{issuer}/api', scopes: { email: '' } }],
      ISSUER,
    );
    expect(servers.map((s) => [s.audience, s.latchkeyApi, s.scopes.length])).to.deep.equal([
      [API, true, 1],
    ]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf([
      { audience: 'not a uri', scopes: {} },
      { audience: 'https://a.example/#x', format: 'jws', scopes: { 'a b': 'x' } },
      {
        audience: 'https://b.example?q=1',
        format: 'jwt',
        access_token_ttl: 5,
        scopes: { openid: 'x' },
      },
      { ...ORDERS, scopes: { 'orders:read': '' }, colour: 'red' },
      ORDERS,
      { audience: API, format: 'jwt', first_party_only: false, scopes: { admin: 'Everything' } },
      'nope',
    ]);
    expect(problems).to.include.members([
      'resource server #1: audience is not an absolute URI: not a uri',
      'resource server #1: format must be "jwt" or "opaque"',
      'resource server #1: scopes must name at least one scope',
      'resource server #2: audience must not have a fragment',
      'resource server "https://a.example/#x": format must be "jwt" or "opaque"',
      'resource server "https://a.example/#x": scope "a b" must be 1-128 printable characters without spaces, quotes or backslashes',
      'resource server #3: audience must not have a query',
      'resource server "https://b.example?q=1": access_token_ttl must be a whole number of seconds from 30 to 86400',
      'resource server "https://b.example?q=1": scope "openid" is an OpenID Connect scope; name the API\'s scopes apart (e.g. "orders:read")',
      'resource server "https://orders.example.com": unknown field "colour" (known: audience, name, scopes, access_token_ttl, format, first_party_only)',
      'resource server "https://orders.example.com": the description of "orders:read" must be a non-empty string, or an object of language tag to text, e.g. {"en": "...", "de": "..."}',
      'resource server "https://orders.example.com" is listed twice',
      `resource server "${API}": Latchkey's own API looks its tokens up, so its format must be "opaque"`,
      `resource server "${API}": Latchkey's own API can change the profile, so it is for first-party applications only (first_party_only must be true)`,
      `resource server "${API}": scope "admin" is not one Latchkey's API understands (profile, email)`,
      'resource server #7 must be an object',
    ]);
  });

  it('refuses a file that is not a list', () => {
    expect(problemsOf({ audience: 'x' })).to.deep.equal(['the file must hold a JSON array']);
  });
});

describe('what a client may ask for', () => {
  const servers = new ResourceServers(
    parseResourceServers(
      [
        ORDERS,
        {
          audience: 'https://billing.example.com',
          format: 'opaque',
          scopes: { 'billing:read': 'See invoices' },
        },
      ],
      ISSUER,
    ),
  );
  const shop = { first_party: false, resources: { [ORDERS.audience]: ['orders:read'] } };
  const own = { first_party: true };

  it('allows the scopes listed in its resources field', () => {
    const access = servers.allowedResourceScopes(shop, ORDERS.audience);
    expect(access.allowed && access.scopes).to.deep.equal(['orders:read']);
  });

  it('refuses a resource the client does not list, and an unknown one', () => {
    expect(servers.allowedResourceScopes(shop, 'https://billing.example.com')).to.include({
      allowed: false,
      reason: 'not_allowed',
    });
    expect(servers.allowedResourceScopes(shop, 'https://nowhere.example')).to.include({
      allowed: false,
      reason: 'unknown_resource',
    });
  });

  it('gives /api to first-party clients only', () => {
    const access = servers.allowedResourceScopes(own, API);
    expect(access.allowed && access.scopes).to.deep.equal(['profile', 'email']);
    expect(servers.allowedResourceScopes(shop, API)).to.include({
      allowed: false,
      reason: 'first_party_only',
    });
  });

  it('names the scope refused and what the client may ask for instead', () => {
    expect(
      servers.refusedScope(shop, ORDERS.audience, ['openid', 'orders:write'], [ORDERS.audience]),
    ).to.equal(
      'this client may not ask for scope "orders:write" at https://orders.example.com; it may ask for: orders:read',
    );
    expect(servers.refusedScope(shop, ORDERS.audience, ['openid', 'orders:read'], [])).to.equal(
      undefined,
    );
    expect(servers.refusedScope(shop, ORDERS.audience, ['billing:read'], [])).to.match(
      /^scope "billing:read" belongs to https:\/\/billing.example.com/,
    );
    expect(servers.refusedScope(shop, ORDERS.audience, ['stars'], [])).to.equal(
      'unknown scope "stars"',
    );
  });

  it('checks the clients file against the servers', () => {
    const clients = parseClients([
      {
        client_id: 'shop',
        redirect_uris: ['https://shop.example/cb'],
        resources: {
          [ORDERS.audience]: ['orders:read', 'orders:refund'],
          [API]: ['profile'],
          'https://x.example': [],
        },
      },
    ]);
    expect(servers.clientProblems(clients)).to.deep.equal([
      'client "shop": https://orders.example.com has no scope "orders:refund"',
      `client "shop": ${API} is for first-party applications only, and this client is not one`,
      'client "shop": resources names https://x.example, which is not a resource server',
    ]);
  });

  it('refuses a resources field that is not audience -> scopes', () => {
    expect(() =>
      parseClients([
        { client_id: 'shop', redirect_uris: ['https://shop.example/cb'], resources: ['x'] },
      ]),
    ).to.throw('client "shop": resources must be an object of audience URI to a list of scopes');
  });
});
