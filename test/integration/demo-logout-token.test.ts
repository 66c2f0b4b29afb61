// The demo apps' back-channel logout receivers: tokens signed with a local key, its JWKS served on
// port 0, checked per OpenID Connect Back-Channel Logout 1.0 section 2.6; answers 200 or 400.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { expect } from 'chai';
import { createRemoteJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import * as client from 'openid-client';
import { demoConfig } from '../../docker/demo/demo-config.ts';
import { listen } from '../../docker/demo/demo-server.ts';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  type LogoutTokenCheck,
  LogoutTokenRejected,
  ReplayGuard,
  verifyLogoutToken,
} from '../../docker/demo/logout-token.ts';
import { shopHandler } from '../../docker/demo/shop.ts';
import { tvHandler } from '../../docker/demo/tv.ts';

describe('the demo apps verify back-channel logout tokens', () => {
  let jwksServer: Server;
  let issuer: string;
  let sign: (
    payload: JWTPayload,
    options?: { typ?: string; key?: 'own' | 'stranger' },
  ) => Promise<string>;
  let check: LogoutTokenCheck;
  const events = { [BACKCHANNEL_LOGOUT_EVENT]: {} };

  before(async () => {
    const own = await generateKeyPair('ES256', { extractable: true });
    const stranger = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(own.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    sign = (payload, options = {}) =>
      new SignJWT({ jti: crypto.randomUUID(), iss: issuer, ...payload })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: options.typ ?? 'logout+jwt' })
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(options.key === 'stranger' ? stranger.privateKey : own.privateKey);
    check = {
      issuer,
      clientId: 'demo-shop',
      keys: createRemoteJWKSet(new URL('/jwks', issuer)),
      seen: new ReplayGuard(),
    };
  });
  after(() => jwksServer?.close());

  const refusal = async (token: string) => {
    try {
      await verifyLogoutToken(token, check);
    } catch (error) {
      if (error instanceof LogoutTokenRejected) return error.reason;
      throw error;
    }
    throw new Error('the token was accepted');
  };

  it('accepts a well-formed token and returns its sid and sub', async () => {
    const token = await sign({ aud: 'demo-shop', sub: 'person-1', sid: 'session-1', events });
    expect(await verifyLogoutToken(token, check)).to.deep.equal({
      sid: 'session-1',
      sub: 'person-1',
    });
  });

  it('refuses a token for another client, without the event, with a nonce, or replayed', async () => {
    expect(await refusal(await sign({ aud: 'demo-tv', sub: 'p', events }))).to.equal(
      'ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
    expect(await refusal(await sign({ aud: 'demo-shop', sub: 'p' }))).to.match(/events/);
    expect(
      await refusal(await sign({ aud: 'demo-shop', sub: 'p', events: { 'urn:other': {} } })),
    ).to.match(/events/);
    expect(await refusal(await sign({ aud: 'demo-shop', sub: 'p', events, nonce: 'n' }))).to.match(
      /nonce/,
    );
    expect(await refusal(await sign({ aud: 'demo-shop', events }))).to.match(/neither sid nor sub/);
    const once = await sign({ aud: 'demo-shop', sub: 'p', events });
    await verifyLogoutToken(once, check);
    expect(await refusal(once)).to.match(/jti already used/);
  });

  it('refuses a bad signature, another issuer, a wrong typ and a tampered token', async () => {
    expect(
      await refusal(await sign({ aud: 'demo-shop', sub: 'p', events }, { key: 'stranger' })),
    ).to.equal('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const forged = await sign({ aud: 'demo-shop', sub: 'p', events, iss: 'http://evil.test' });
    expect(await refusal(forged)).to.equal('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(
      await refusal(await sign({ aud: 'demo-shop', sub: 'p', events }, { typ: 'JWT' })),
    ).to.equal('ERR_JWT_CLAIM_VALIDATION_FAILED');
    const tampered = (await sign({ aud: 'demo-shop', sub: 'p', events })).replace(
      /\.[^.]+$/,
      '.AAAA',
    );
    expect(await refusal(tampered)).to.equal('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  for (const app of ['shop', 'tv'] as const) {
    it(`the ${app}'s POST /backchannel-logout answers 200 for a good token and 400 otherwise`, async () => {
      const clientId = `demo-${app}`;
      const config = demoConfig({ ISSUER: issuer, PORT: '0' }, { name: 'Shop', clientId, port: 0 });
      const rp = new client.Configuration({ issuer, jwks_uri: `${issuer}/jwks` }, clientId);
      const logoutCheck = { ...check, clientId, seen: new ReplayGuard() };
      const lines: Record<string, unknown>[] = [];
      const log = (event: string, fields = {}) => lines.push({ event, ...fields });
      const handler = app === 'shop' ? shopHandler : tvHandler;
      const server = await listen(config, handler(config, { rp, logoutCheck }, log), log);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`;
      const post = (body: Record<string, string>) =>
        axios.post(url, new URLSearchParams(body), { validateStatus: () => true });
      try {
        const good = await post({
          logout_token: await sign({ aud: clientId, sub: 'p', sid: 's', events }),
        });
        expect(good.status).to.equal(200);
        expect(good.headers['cache-control']).to.equal('no-store');
        const wrong = await post({
          logout_token: await sign({ aud: 'someone-else', sub: 'p', events }),
        });
        expect(wrong.status).to.equal(400);
        expect(wrong.data.error).to.equal('invalid_request');
        expect((await post({})).status).to.equal(400);
        expect(lines.map((l) => l.event)).to.include.members([
          'backchannel_logout.received',
          'backchannel_logout.refused',
        ]);
      } finally {
        server.close();
      }
    });
  }
});
