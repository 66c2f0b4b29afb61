// Authorization request rules (PKCE, redirect_uri, iss) and the token endpoint's lifecycle rules.
import { setTimeout as sleep } from 'node:timers/promises';
import axios from 'axios';
import { expect } from 'chai';
import * as client from 'openid-client';
import { RedisAdapter } from '../../src/oidc/redis-adapter.ts';
import { Browser } from '../support/browser.ts';
import {
  authorizationUrl,
  authorizeAgain,
  callbackOf,
  exchangeCode,
  OFFLINE,
  outcomeOf,
  relyingParty,
  signUpAndAuthorize,
  visit,
} from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { userinfoStatus } from '../support/tokens.ts';

describe('authorization requests and tokens', () => {
  // A one-second refresh grace window, so reuse after it can be tested without a long wait.
  const server = useServer({ env: { REFRESH_REUSE_GRACE_SECONDS: '1' } });
  const c = TEST_CLIENTS.firstParty;
  const http = axios.create({ validateStatus: () => true, maxRedirects: 0 });

  const authorize = (params: Record<string, string>) =>
    http.get(`${server.issuer}/authorize?${new URLSearchParams(params)}`, {
      headers: { accept: 'text/html' },
    });

  const base = () => ({
    client_id: c.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: c.redirect_uris[0],
    state: 'xyz',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  });

  describe('the authorization endpoint', () => {
    it('requires PKCE even from a confidential client', async () => {
      const { code_challenge: _, code_challenge_method: __, ...params } = base();
      const res = await authorize(params);
      expect(res.status).to.equal(303);
      const to = new URL(res.headers.location);
      expect(to.searchParams.get('error')).to.equal('invalid_request');
      expect(to.searchParams.get('error_description')).to.match(/PKCE/i);
      expect(to.searchParams.get('iss')).to.equal(server.issuer);
    });

    it('refuses the plain PKCE method', async () => {
      const res = await authorize({ ...base(), code_challenge_method: 'plain' });
      const to = new URL(res.headers.location);
      expect(to.searchParams.get('error')).to.equal('invalid_request');
    });

    it('requires redirect_uri and never redirects to an unregistered one', async () => {
      const { redirect_uri: _, ...params } = base();
      const missing = await authorize(params);
      expect(missing.status).to.equal(400);
      expect(missing.headers.location).to.equal(undefined);
      expect(missing.data).to.include('invalid_request');

      for (const uri of [
        `${c.redirect_uris[0]}/extra`,
        `${c.redirect_uris[0]}?x=1`,
        c.redirect_uris[0].replace('127.0.0.1', 'localhost'),
        'https://evil.example/callback',
      ]) {
        const res = await authorize({ ...base(), redirect_uri: uri });
        expect(res.status, uri).to.equal(400);
        expect(res.headers.location, uri).to.equal(undefined);
        expect(res.headers['content-type']).to.match(/html/);
        expect(res.data).to.include('has not registered');
      }
    });

    it('refuses implicit and hybrid response types', async () => {
      for (const responseType of ['token', 'id_token', 'code id_token']) {
        const res = await authorize({ ...base(), response_type: responseType, nonce: 'n' });
        const location = res.headers.location as string | undefined;
        const error = location
          ? new URL(location.replace('#', '?')).searchParams.get('error')
          : /unsupported_response_type|invalid_request/.exec(res.data)?.[0];
        expect(error, responseType).to.match(/unsupported_response_type|invalid_request/);
      }
    });

    it('returns iss with the code (RFC 9207) and the code works once only', async () => {
      const { rp, browser } = await signUpAndAuthorize(server.issuer, c);
      const { auth, callback } = await authorizeAgain(browser, rp, c.redirect_uris[0]);
      expect(callback.searchParams.get('iss')).to.equal(server.issuer);
      const tokens = await exchangeCode(rp, callback, auth);
      const replay = await exchangeCode(rp, callback, auth).then(
        () => 'accepted',
        (error: { error?: string }) => error.error,
      );
      expect(replay).to.equal('invalid_grant');
      // Replaying a code revokes what it produced.
      expect(await userinfoStatus(server.issuer, tokens.access_token)).to.equal(401);
    });

    it('refuses a code exchanged with the wrong PKCE verifier', async () => {
      const { rp, browser } = await signUpAndAuthorize(server.issuer, c);
      const { auth, callback } = await authorizeAgain(browser, rp, c.redirect_uris[0]);
      const outcome = await exchangeCode(rp, callback, {
        ...auth,
        verifier: client.randomPKCECodeVerifier(),
      }).then(
        () => 'accepted',
        (error: { error?: string }) => error.error,
      );
      expect(outcome).to.equal('invalid_grant');
    });
  });

  describe('refresh tokens', () => {
    it('are issued only with offline_access', async () => {
      const { tokens } = await signUpAndAuthorize(server.issuer, c);
      expect(tokens.refresh_token).to.equal(undefined);
    });

    it('rotate on every use, and reusing an old one after the grace window revokes the whole grant', async () => {
      const { rp, tokens } = await signUpAndAuthorize(server.issuer, c, OFFLINE);
      const first = tokens.refresh_token as string;
      const rotated = await client.refreshTokenGrant(rp, first);
      expect(rotated.refresh_token).to.be.a('string').and.not.equal(first);
      expect(rotated.claims()?.sub).to.equal(tokens.claims()?.sub);
      const again = await client.refreshTokenGrant(rp, rotated.refresh_token as string);
      expect(again.refresh_token).not.to.equal(rotated.refresh_token);

      await sleep(1200);
      const reuse = await outcomeOf(client.refreshTokenGrant(rp, first));
      expect(reuse).to.equal('invalid_grant');
      const latest = await outcomeOf(client.refreshTokenGrant(rp, again.refresh_token as string));
      expect(latest).to.equal('invalid_grant');
    });

    it('rotate for public clients too', async () => {
      const spa = TEST_CLIENTS.publicSpa;
      const { rp, tokens } = await signUpAndAuthorize(server.issuer, spa, OFFLINE);
      const rotated = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
      expect(rotated.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
    });

    const expiryOf = async (refreshToken: string) => {
      const stored = await new RedisAdapter('RefreshToken', {
        redis: server.resources.redis,
        prefix: `${server.config.redisKeyPrefix}oidc:`,
      }).find(refreshToken);
      return stored?.exp as number;
    };

    it('never outlive the first refresh token of a public client', async () => {
      const spa = TEST_CLIENTS.publicSpa;
      const { rp, tokens } = await signUpAndAuthorize(server.issuer, spa, OFFLINE);
      const first = await expiryOf(tokens.refresh_token as string);
      expect(first - Math.floor(Date.now() / 1000)).to.be.within(30 * 86400 - 5, 30 * 86400);

      await sleep(1100);
      const rotated = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
      await sleep(1100);
      const again = await client.refreshTokenGrant(rp, rotated.refresh_token as string);

      expect(await expiryOf(rotated.refresh_token as string)).to.equal(first);
      expect(await expiryOf(again.refresh_token as string)).to.equal(first);
    });

    it('start a new lifetime at each rotation for a confidential client', async () => {
      const { rp, tokens } = await signUpAndAuthorize(server.issuer, c, OFFLINE);
      const first = await expiryOf(tokens.refresh_token as string);

      await sleep(1100);
      const rotated = await client.refreshTokenGrant(rp, tokens.refresh_token as string);

      expect(await expiryOf(rotated.refresh_token as string)).to.be.above(first);
    });
  });

  describe('refusals say why a code or refresh token was refused', () => {
    const refusal = (attempt: Promise<unknown>) =>
      attempt.then(
        () => 'accepted',
        (error: { error?: string; error_description?: string }) =>
          `${error.error}: ${error.error_description}`,
      );
    /** Moves a stored record's expiry into the past, as if its lifetime had run out. */
    const expire = async (model: string, id: string) => {
      const adapter = new RedisAdapter(model, {
        redis: server.resources.redis,
        prefix: `${server.config.redisKeyPrefix}oidc:`,
      });
      const stored = await adapter.find(id);
      expect(stored, model).to.not.equal(undefined);
      await adapter.upsert(id, { ...stored, exp: Math.floor(Date.now() / 1000) - 5 }, 60);
    };

    it('an authorization code used twice is "already used"', async () => {
      const { rp, browser } = await signUpAndAuthorize(server.issuer, c);
      const auth = await authorizationUrl(rp, c.redirect_uris[0]);
      const callback = callbackOf(await visit(browser, auth.url));
      await exchangeCode(rp, callback, auth);
      expect(await refusal(exchangeCode(rp, callback, auth))).to.match(
        /^invalid_grant: The authorization code was already used/,
      );
    });

    it('an authorization code past its lifetime is "expired"', async () => {
      const { rp, browser } = await signUpAndAuthorize(server.issuer, c);
      const auth = await authorizationUrl(rp, c.redirect_uris[0]);
      const callback = callbackOf(await visit(browser, auth.url));
      await expire('AuthorizationCode', callback.searchParams.get('code') as string);
      expect(await refusal(exchangeCode(rp, callback, auth))).to.match(
        /^invalid_grant: The authorization code has expired/,
      );
    });

    it('a refresh token used again after the grace window is "already used", then "unknown"', async () => {
      const { rp, tokens } = await signUpAndAuthorize(server.issuer, c, OFFLINE);
      const first = tokens.refresh_token as string;
      const rotated = await client.refreshTokenGrant(rp, first);
      await sleep(1200);
      expect(await refusal(client.refreshTokenGrant(rp, first))).to.match(
        /^invalid_grant: The refresh token was already used/,
      );
      // The reuse revoked the grant, so the newest token is gone with it.
      expect(await refusal(client.refreshTokenGrant(rp, rotated.refresh_token as string))).to.match(
        /^invalid_grant: The refresh token is unknown/,
      );
    });

    it('a refresh token past its lifetime is "expired"', async () => {
      const { rp, tokens } = await signUpAndAuthorize(server.issuer, c, OFFLINE);
      await expire('RefreshToken', tokens.refresh_token as string);
      expect(await refusal(client.refreshTokenGrant(rp, tokens.refresh_token as string))).to.match(
        /^invalid_grant: The refresh token has expired/,
      );
    });
  });

  describe('introspection and revocation', () => {
    it('let a confidential client introspect and revoke its own tokens', async () => {
      const { rp, tokens } = await signUpAndAuthorize(server.issuer, c, OFFLINE);
      const info = await client.tokenIntrospection(rp, tokens.access_token);
      expect(info.active).to.equal(true);
      expect(info.client_id).to.equal(c.client_id);
      expect(info.sub).to.equal(tokens.claims()?.sub);

      await client.tokenRevocation(rp, tokens.refresh_token as string);
      const refresh = await outcomeOf(client.refreshTokenGrant(rp, tokens.refresh_token as string));
      expect(refresh).to.equal('invalid_grant');
      const after = await client.tokenIntrospection(rp, tokens.access_token);
      expect(after.active).to.equal(false);
    });

    it('do not let a client see or revoke tokens of another client', async () => {
      const { tokens } = await signUpAndAuthorize(server.issuer, c, OFFLINE);
      const other = await relyingParty(server.issuer, TEST_CLIENTS.thirdParty);
      const info = await client.tokenIntrospection(other, tokens.access_token);
      expect(info.active).to.equal(false);
      const revoked = await outcomeOf(
        client.tokenRevocation(other, tokens.refresh_token as string),
      );
      expect(revoked).to.equal('invalid_request');
    });

    it('give a public client no introspection', async () => {
      const spa = TEST_CLIENTS.publicSpa;
      const { rp, tokens } = await signUpAndAuthorize(server.issuer, spa);
      const info = await client.tokenIntrospection(rp, tokens.access_token).then(
        (r) => (r.active ? 'active' : 'inactive'),
        (error: { error?: string }) => error.error,
      );
      expect(info).to.equal('inactive');
    });
  });

  it('keeps a browser session: a second app signs the same person in without a password', async () => {
    const { browser, tokens } = await signUpAndAuthorize(server.issuer, c);
    const spa = TEST_CLIENTS.publicSpa;
    const rp = await relyingParty(server.issuer, spa);
    const { auth, callback } = await authorizeAgain(browser, rp, spa.redirect_uris[0]);
    const second = await exchangeCode(rp, callback, auth);
    expect(second.claims()?.sub).to.equal(tokens.claims()?.sub);
    expect(second.claims()?.aud).to.equal(spa.client_id);
    // prompt=none works for a signed-in person and fails cleanly for a stranger.
    const silent = await authorizationUrl(rp, spa.redirect_uris[0], { prompt: 'none' });
    expect(callbackOf(await visit(browser, silent.url)).searchParams.get('code')).to.be.a('string');
    const stranger = new Browser(server.issuer);
    const refused = callbackOf(await visit(stranger, silent.url));
    expect(refused.searchParams.get('error')).to.equal('login_required');
  });
});
