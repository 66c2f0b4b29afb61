// Signing keys live in Postgres: concurrent boots agree on them, and rotation keeps tokens valid.
import { expect } from 'chai';
import * as jose from 'jose';
import * as client from 'openid-client';
import { connect } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import { KeyRing } from '../../src/keys/key-encryption.ts';
import { SigningKeyStore } from '../../src/keys/signing-keys.ts';
import { createLogger } from '../../src/logger.ts';
import { relyingParty, signUpAndAuthorize } from '../support/oidc.ts';
import {
  dropNamespace,
  newKek,
  serverEnv,
  TEST_CLIENTS,
  uniqueNamespace,
  useServer,
} from '../support/server.ts';

describe('signing keys', () => {
  it('are created once when two instances boot at the same time on an empty database', async () => {
    const namespace = uniqueNamespace('keys');
    const config = loadConfig(
      serverEnv({ namespace, issuer: 'http://127.0.0.1:1', keyEncryptionKeys: newKek() }),
    );
    const logger = createLogger('silent');
    try {
      const [a, b] = await Promise.all([connect(config, logger), connect(config, logger)]);
      try {
        const kids = (r: typeof a) => r.jwks.keys.map((k) => k.kid).sort();
        expect(kids(a)).to.have.length(2);
        expect(kids(a)).to.deep.equal(kids(b));
        expect(a.cookieKeys).to.deep.equal(b.cookieKeys);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    } finally {
      await dropNamespace(namespace);
    }
  });

  describe('rotation', () => {
    const server = useServer();

    it('publishes staged keys without signing with them, then rotates without breaking tokens in flight', async () => {
      const c = TEST_CLIENTS.firstParty;
      const ring = new KeyRing(server.config.keyEncryptionKeys);
      const store = new SigningKeyStore(server.resources.db, ring);
      const before = await signUpAndAuthorize(server.issuer, c, {
        scope: 'openid email offline_access',
        prompt: 'consent',
      });
      const oldKid = jose.decodeProtectedHeader(before.tokens.id_token as string).kid;

      const staged = await store.stage();
      const published = await store.providerJwks();
      const byAlg = (alg: string) => published.keys.filter((k) => k.alg === alg);
      // The active key stays first for its algorithm, so it is still the one that signs.
      expect(byAlg('RS256')[0]?.kid).to.equal(oldKid);
      expect(published.keys.map((k) => k.kid)).to.include.members(staged.map((k) => k.kid));

      const active = await store.rotate();
      const newKid = active.find((k) => k.alg === 'RS256')?.kid;
      expect(newKid).to.equal(staged.find((k) => k.alg === 'RS256')?.kid);
      const listed = await store.list();
      expect(listed.find((k) => k.kid === oldKid)?.status).to.equal('retired');

      // Instances pick up keys when they start: restart on the same database and Redis.
      await server.stop({ keepData: true });
      await server.restart();
      const jwks = jose.createLocalJWKSet(
        (await (await fetch(`${server.issuer}/jwks`)).json()) as jose.JSONWebKeySet,
      );
      // A token signed before the rotation still verifies against the published set.
      await jose.jwtVerify(before.tokens.id_token as string, jwks);
      // The refresh token issued before the rotation still works, and new tokens use the new key.
      const refreshed = await client.refreshTokenGrant(
        await relyingParty(server.issuer, TEST_CLIENTS.firstParty),
        before.tokens.refresh_token as string,
      );
      expect(jose.decodeProtectedHeader(refreshed.id_token as string).kid).to.equal(newKid);

      const pruned = await new SigningKeyStore(server.resources.db, ring).prune(0);
      expect(pruned).to.include(oldKid);
    });
  });
});
