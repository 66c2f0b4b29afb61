// APIs from RESOURCE_SERVERS_FILE: who may ask for what, RFC 9068 JWT access tokens checked by a
// resource server with the JWKS alone (through a key rotation and a prune), opaque tokens still
// introspected and revoked, and consent asked and remembered per API and scope.
import { expect } from 'chai';
import * as jose from 'jose';
import { accessTokenVerifier, startOrdersApi, TokenRefused } from '../../docker/demo/orders-api.ts';
import { KeyRing } from '../../src/keys/key-encryption.ts';
import { SigningKeyStore } from '../../src/keys/signing-keys.ts';
import { ResourceServersFileError } from '../../src/oidc/resource-servers.ts';
import { Browser } from '../support/browser.ts';
import {
  authorizationUrl,
  authorizeAgain,
  callbackOf,
  consent,
  exchangeCode,
  pageOf,
  relyingParty,
  signUpAndAuthorize,
  signUpThrough,
  visit,
} from '../support/oidc.ts';
import { startTestServer, TEST_CLIENTS, useServer } from '../support/server.ts';

const ORDERS = 'https://orders.test.example';
const BILLING = 'https://billing.test.example';
const LEDGER = 'https://ledger.test.example';

const RESOURCE_SERVERS = [
  {
    audience: ORDERS,
    name: 'Orders',
    format: 'jwt',
    access_token_ttl: 300,
    scopes: {
      'orders:read': { en: 'See your orders', de: 'Ihre Bestellungen sehen' },
      'orders:write': 'Place and cancel orders for you',
    },
  },
  {
    audience: BILLING,
    name: 'Billing',
    format: 'jwt',
    scopes: { 'billing:read': 'See your invoices', 'billing:pay': 'Pay your invoices' },
  },
  {
    audience: LEDGER,
    name: 'Ledger',
    format: 'opaque',
    scopes: { 'ledger:read': 'See your ledger' },
  },
];

const firstParty = {
  ...TEST_CLIENTS.firstParty,
  resources: {
    [ORDERS]: ['orders:read', 'orders:write'],
    [BILLING]: ['billing:read'],
    [LEDGER]: ['ledger:read'],
  },
};
const thirdParty = {
  ...TEST_CLIENTS.thirdParty,
  resources: { [ORDERS]: ['orders:read', 'orders:write'], [BILLING]: ['billing:read'] },
};
const CLIENTS = [firstParty, thirdParty, TEST_CLIENTS.publicSpa];
const options = () => ({ clients: CLIENTS, resourceServers: RESOURCE_SERVERS });

/** The first-party app signs a new person in and exchanges its code for a token for `resource`. */
async function tokenFor(issuer: string, resource: string, scope: string) {
  const { tokens } = await signUpAndAuthorize(
    issuer,
    firstParty,
    { scope: `openid ${scope}`, resource },
    { resource },
  );
  return tokens;
}

describe('resource servers', () => {
  const server = useServer(options);

  describe('who may ask for what', () => {
    async function refusal(
      c: typeof thirdParty | typeof TEST_CLIENTS.publicSpa,
      params: Record<string, string>,
    ) {
      const rp = await relyingParty(server.issuer, c);
      const { callback } = await authorizeAgain(
        new Browser(server.issuer),
        rp,
        c.redirect_uris[0],
        params,
      );
      return {
        error: callback.searchParams.get('error'),
        description: callback.searchParams.get('error_description'),
      };
    }

    it('refuses a resource the client does not list, with invalid_target saying why', async () => {
      expect(
        await refusal(TEST_CLIENTS.publicSpa, { scope: 'openid orders:read', resource: ORDERS }),
      ).to.deep.equal({
        error: 'invalid_target',
        description: `this client may not ask for ${ORDERS} (it is not among the client's resources)`,
      });
      expect(
        await refusal(thirdParty, { scope: 'openid', resource: 'https://unknown.test.example' }),
      ).to.include({ error: 'invalid_target' });
    });

    it('refuses a scope the client may not have at that resource, with invalid_scope', async () => {
      expect(
        await refusal(thirdParty, { scope: 'openid billing:pay', resource: BILLING }),
      ).to.deep.equal({
        error: 'invalid_scope',
        description: `this client may not ask for scope "billing:pay" at ${BILLING}; it may ask for: billing:read`,
      });
      expect(
        await refusal(thirdParty, { scope: 'openid billing:read', resource: ORDERS }),
      ).to.deep.equal({
        error: 'invalid_scope',
        description: `scope "billing:read" belongs to ${BILLING}, not to ${ORDERS}; ask for that resource`,
      });
    });

    it("keeps Latchkey's /api for first-party applications", async () => {
      expect(
        await refusal(thirdParty, { scope: 'openid profile', resource: `${server.issuer}/api` }),
      ).to.deep.equal({
        error: 'invalid_target',
        description: `${server.issuer}/api is available to first-party applications only`,
      });
    });
  });

  describe('JWT access tokens (RFC 9068)', () => {
    it('carry typ at+jwt and every claim an API needs, signed with a key from the JWKS', async () => {
      const before = Math.floor(Date.now() / 1000);
      const tokens = await tokenFor(server.issuer, ORDERS, 'orders:read');
      const jwt = tokens.access_token;
      const header = jose.decodeProtectedHeader(jwt);
      expect(header).to.include({ typ: 'at+jwt', alg: 'RS256' });
      const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as jose.JSONWebKeySet;
      expect(jwks.keys.map((k) => k.kid)).to.include(header.kid);
      const { payload } = await jose.jwtVerify(jwt, jose.createLocalJWKSet(jwks), {
        typ: 'at+jwt',
        issuer: server.issuer,
        audience: ORDERS,
      });
      expect(Object.keys(payload).sort()).to.deep.equal(
        ['acr', 'aud', 'auth_time', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'].sort(),
      );
      expect(payload).to.include({
        iss: server.issuer,
        aud: ORDERS,
        client_id: firstParty.client_id,
        scope: 'orders:read',
        acr: 'urn:latchkey:acr:1fa',
      });
      expect(payload.sub).to.match(/^[0-9a-f-]{36}$/);
      expect(payload.jti).to.be.a('string').with.length.above(20);
      expect(payload.iat).to.be.at.least(before - 1);
      // The resource's own lifetime, not the default 15 minutes.
      expect((payload.exp as number) - (payload.iat as number)).to.equal(300);
      expect(payload.auth_time)
        .to.be.at.least(before - 1)
        .and.at.most(payload.iat as number);
      expect(tokens.expires_in).to.be.within(299, 300);
    });

    it('are refused by the resource server for another audience, when expired, or without the scope', async () => {
      const api = await startOrdersApi({ issuer: server.issuer, audience: ORDERS });
      try {
        const call = (token: string) =>
          fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
        const orders = await tokenFor(server.issuer, ORDERS, 'orders:read');
        const ok = await call(orders.access_token);
        expect(ok.status).to.equal(200);
        expect(await ok.json()).to.deep.include({ client_id: firstParty.client_id });

        const billing = await tokenFor(server.issuer, BILLING, 'billing:read');
        const other = await call(billing.access_token);
        expect(other.status).to.equal(401);
        expect(other.headers.get('www-authenticate')).to.equal(
          'Bearer error="invalid_token", error_description="the token\'s aud is not accepted"',
        );

        const writeOnly = await tokenFor(server.issuer, ORDERS, 'orders:write');
        expect((await call(writeOnly.access_token)).status).to.equal(403);

        // The same token five minutes and a second later, as the API's clock sees it.
        const later = accessTokenVerifier({
          issuer: server.issuer,
          audience: ORDERS,
          now: () => new Date(Date.now() + 301_000),
        });
        const expired = await later(orders.access_token).catch((e: unknown) => e);
        expect(expired).to.be.instanceOf(TokenRefused);
        expect((expired as TokenRefused).message).to.equal('the token has expired');
      } finally {
        await api.close();
      }
    });

    it('stay valid through a key rotation, and are refused once their retired key is pruned', async () => {
      const ring = new KeyRing(server.config.keyEncryptionKeys);
      // The API refetches the JWKS at every check, as it does once its cache expires.
      const api = await startOrdersApi({
        issuer: server.issuer,
        audience: ORDERS,
        cacheMaxAgeMs: 0,
        cooldownMs: 0,
      });
      const call = async (token: string) =>
        (await fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${token}` } }))
          .status;
      try {
        const old = (await tokenFor(server.issuer, ORDERS, 'orders:read')).access_token;
        const oldKid = jose.decodeProtectedHeader(old).kid;
        expect(await call(old)).to.equal(200);

        // keys:rotate, then a restart: instances load keys at startup.
        await new SigningKeyStore(server.resources.db, ring).rotate();
        await server.stop({ keepData: true });
        await server.restart(options());
        const fresh = (await tokenFor(server.issuer, ORDERS, 'orders:read')).access_token;
        expect(jose.decodeProtectedHeader(fresh).kid).not.to.equal(oldKid);
        expect(await call(fresh)).to.equal(200);
        // The retired key is still published: the token it signed still verifies.
        expect(await call(old)).to.equal(200);

        // keys:prune, then a restart: the retired key leaves the JWKS.
        const pruned = await new SigningKeyStore(server.resources.db, ring).prune(0);
        expect(pruned).to.include(oldKid);
        await server.stop({ keepData: true });
        await server.restart(options());
        const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as jose.JSONWebKeySet;
        expect(jwks.keys.map((k) => k.kid)).not.to.include(oldKid);
        const refused = await fetch(`${api.url}/orders`, {
          headers: { authorization: `Bearer ${old}` },
        });
        expect(refused.status).to.equal(401);
        expect(refused.headers.get('www-authenticate')).to.include('signed by an unknown key');
        expect(await call(fresh)).to.equal(200);
      } finally {
        await api.close();
      }
    });
  });

  describe('opaque access tokens', () => {
    it('are still introspected with their audience, and revoked', async () => {
      const tokens = await tokenFor(server.issuer, LEDGER, 'ledger:read');
      expect(tokens.access_token.split('.')).to.have.length(1);
      const basic = `Basic ${Buffer.from(`${firstParty.client_id}:${firstParty.client_secret}`).toString('base64')}`;
      const post = (path: string) =>
        fetch(`${server.issuer}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
          body: new URLSearchParams({ token: tokens.access_token }),
        });
      const introspect = async () =>
        (await (await post('/token/introspection')).json()) as Record<string, unknown>;
      expect(await introspect()).to.include({
        active: true,
        aud: LEDGER,
        scope: 'ledger:read',
        client_id: firstParty.client_id,
      });
      const revoked = await post('/token/revocation');
      expect(revoked.status).to.equal(200);
      expect(await introspect()).to.deep.equal({ active: false });
    });
  });

  describe('consent', () => {
    it("lists each API's scopes under its name and remembers them per API and scope", async () => {
      const { rp, browser, auth, result, person } = await signUpThrough(server.issuer, thirdParty, {
        scope: 'openid orders:read',
        resource: ORDERS,
      });
      const first = pageOf(result);
      expect(first).to.include('At Orders:');
      expect(first).to.include('See your orders');
      expect(first).not.to.include('Place and cancel orders');
      const allowed = await consent(browser, first, 'allow');
      const tokens = await exchangeCode(rp, callbackOf(allowed), auth, { resource: ORDERS });
      expect(jose.decodeJwt(tokens.access_token)).to.include({ scope: 'orders:read', aud: ORDERS });

      // Asked again for what was granted: no page.
      const again = await authorizeAgain(browser, rp, thirdParty.redirect_uris[0], {
        scope: 'openid orders:read',
        resource: ORDERS,
      });
      expect(again.callback.searchParams.get('code')).to.be.a('string');

      // One more scope at the same API: the page asks for that one only.
      const more = await authorizationUrl(rp, thirdParty.redirect_uris[0], {
        scope: 'openid orders:read orders:write',
        resource: ORDERS,
      });
      const morePage = pageOf(await visit(browser, more.url));
      expect(morePage).to.include('Place and cancel orders for you');
      expect(morePage).not.to.include('See your orders');
      await consent(browser, morePage, 'allow');

      // Another API: asked for on its own, under its own name.
      const billing = await authorizationUrl(rp, thirdParty.redirect_uris[0], {
        scope: 'openid billing:read',
        resource: BILLING,
      });
      const billingPage = pageOf(await visit(browser, billing.url));
      expect(billingPage).to.include('At Billing:').and.to.include('See your invoices');
      expect(billingPage).not.to.include('At Orders:');

      const account = await server.latchkey.accounts.findAccountByEmail(person.email);
      const remembered = await server.latchkey.consents.find(
        account?.id ?? '',
        thirdParty.client_id,
      );
      expect(remembered?.resourceScopes).to.deep.equal({ [ORDERS]: 'orders:read orders:write' });
    });

    it('describes the scopes in the language of the page', async () => {
      const { result } = await signUpThrough(server.issuer, thirdParty, {
        scope: 'openid orders:read',
        resource: ORDERS,
        ui_locales: 'de',
      });
      expect(pageOf(result)).to.include('Ihre Bestellungen sehen');
    });
  });
});

describe('a resource servers file with problems', () => {
  it('stops the boot and lists them all', async () => {
    const error = await startTestServer({
      resourceServers: [{ audience: ORDERS, format: 'jwt', scopes: { openid: 'x' } }, {}],
    }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ResourceServersFileError);
    expect((error as ResourceServersFileError).problems).to.have.length(4);
  });
});
