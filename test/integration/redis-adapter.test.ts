// Storage adapter contract against real Redis: oidc-provider's memory adapter behaviour plus Redis specifics.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { AdapterPayload } from 'oidc-provider';
import type { RedisClient } from '../../src/db/redis.ts';
import { RedisAdapter } from '../../src/oidc/redis-adapter.ts';
import { accountIndexKey, recordKey, userCodeKey } from '../../src/oidc/redis-keys.ts';
import { AlreadyConsumed } from '../../src/oidc/redis-revocation.ts';
import { connectTestRedis, deleteMatching, keysMatching } from '../support/redis.ts';
import { uniqueNamespace } from '../support/server.ts';

/** A little over the 1 s TTLs used below, so Redis has certainly expired the keys. */
const PAST_ONE_SECOND = 1150;

describe('RedisAdapter', () => {
  const namespace = `${uniqueNamespace('adapter')}:`;
  let redis: RedisClient;
  let testNumber = 0;
  // Each test gets a prefix of its own so ids like "token" or "grant" never leak between tests.
  let prefix = namespace;

  before(async () => {
    redis = await connectTestRedis();
  });

  beforeEach(() => {
    testNumber += 1;
    prefix = `${namespace}${testNumber}:`;
  });

  after(async () => {
    if (!redis) return;
    try {
      await deleteMatching(redis, `${namespace}*`);
    } finally {
      redis.disconnect();
    }
  });

  function adapter(model: string, clockTolerance?: number, keyPrefix = prefix): RedisAdapter {
    return new RedisAdapter(model, { redis, prefix: keyPrefix, clockTolerance });
  }

  /** Key names below the prefix: records of token models live under a hash of their id. */
  const rec = (model: string, id: string) => recordKey(prefix, model, id).slice(prefix.length);
  const uc = (code: string) => userCodeKey(prefix, code).slice(prefix.length);

  async function exists(key: string): Promise<boolean> {
    return (await redis.exists(`${prefix}${key}`)) === 1;
  }

  function pttl(key: string): Promise<number> {
    return redis.pttl(`${prefix}${key}`);
  }

  describe('memory adapter contract', () => {
    // Each record and each secondary index lives exactly as long as the record.
    const expiring = [
      {
        what: 'primary entries',
        model: 'AccessToken',
        id: 'token',
        payload: { accountId: 'account' },
        find: (a: RedisAdapter) => a.find('token'),
        key: () => rec('AccessToken', 'token'),
      },
      {
        what: 'session uid indexes',
        model: 'Session',
        id: 'session',
        payload: { uid: 'uid' },
        find: (a: RedisAdapter) => a.findByUid('uid'),
        key: () => 'sessionUid:uid',
      },
      {
        what: 'user code indexes',
        model: 'DeviceCode',
        id: 'device',
        payload: { userCode: 'code' },
        find: (a: RedisAdapter) => a.findByUserCode('code'),
        key: () => uc('code'),
      },
    ];
    for (const { what, model, id, payload, find, key } of expiring) {
      it(`expires ${what}`, async () => {
        const store = adapter(model);
        await store.upsert(id, payload, 1);
        expect(await find(store)).to.deep.equal(payload);

        await sleep(PAST_ONE_SECOND);
        expect(await find(store)).to.be.undefined;
        expect(await exists(key())).to.be.false;
      });
    }

    it('deduplicates grant members on repeated upsert', async () => {
      const accessToken = adapter('AccessToken');
      const payload = { grantId: 'grant', jti: 'token' };

      await accessToken.upsert('token', payload, 60);
      await accessToken.upsert('token', payload, 60);

      expect(await redis.zrange(`${prefix}grant:grant`, 0, -1)).to.deep.equal([
        recordKey(prefix, 'AccessToken', 'token'),
      ]);
    });

    it('moves grant membership when a record is updated', async () => {
      const accessToken = adapter('AccessToken');
      const payload = { grantId: 'second', jti: 'token' };

      await accessToken.upsert('token', { grantId: 'first', jti: 'token' }, 60);
      await accessToken.upsert('token', payload, 60);
      await accessToken.revokeByGrantId('first');

      expect(await accessToken.find('token')).to.deep.equal(payload);
      expect(await exists('grant:first')).to.be.false;

      await accessToken.revokeByGrantId('second');
      expect(await accessToken.find('token')).to.be.undefined;
      expect(await exists('grant:second')).to.be.false;
    });

    it('updates session uid and user code indexes', async () => {
      const session = adapter('Session');
      const device = adapter('DeviceCode');
      const sessionPayload = { uid: 'new-uid' };
      const devicePayload = { userCode: 'new-code' };

      await session.upsert('session', { uid: 'old-uid' }, 60);
      await session.upsert('session', sessionPayload, 60);
      await device.upsert('device', { userCode: 'old-code' }, 60);
      await device.upsert('device', devicePayload, 60);

      expect(await session.findByUid('old-uid')).to.be.undefined;
      expect(await session.findByUid('new-uid')).to.deep.equal(sessionPayload);
      expect(await device.findByUserCode('old-code')).to.be.undefined;
      expect(await device.findByUserCode('new-code')).to.deep.equal(devicePayload);
      expect(await exists('sessionUid:old-uid')).to.be.false;
      expect(await exists(uc('old-code'))).to.be.false;
    });

    it('removes secondary and grant indexes when records are destroyed', async () => {
      const session = adapter('Session');
      const device = adapter('DeviceCode');

      await session.upsert('session', { uid: 'uid' }, 60);
      await device.upsert('device', { grantId: 'grant', jti: 'device', userCode: 'code' }, 60);
      await session.destroy('session');
      await device.destroy('device');

      expect(await session.findByUid('uid')).to.be.undefined;
      expect(await device.findByUserCode('code')).to.be.undefined;
      expect(await exists('sessionUid:uid')).to.be.false;
      expect(await exists(uc('code'))).to.be.false;
      expect(await exists('grant:grant')).to.be.false;
    });

    it('does not delete a secondary index reassigned to another record', async () => {
      const device = adapter('DeviceCode');
      const replacement = { userCode: 'code' };

      await device.upsert('first', { userCode: 'code' }, 60);
      await device.upsert('second', replacement, 60);
      await device.destroy('first');

      expect(await device.findByUserCode('code')).to.deep.equal(replacement);
    });

    it('revokes every model and its secondary indexes for a grant', async () => {
      const accessToken = adapter('AccessToken');
      const refreshToken = adapter('RefreshToken');
      const deviceCode = adapter('DeviceCode');

      await accessToken.upsert('access', { grantId: 'grant', jti: 'access' }, 60);
      await refreshToken.upsert('refresh', { grantId: 'grant', jti: 'refresh' }, 120);
      await deviceCode.upsert('device', { grantId: 'grant', jti: 'device', userCode: 'code' }, 30);
      await accessToken.revokeByGrantId('grant');

      expect(await accessToken.find('access')).to.be.undefined;
      expect(await refreshToken.find('refresh')).to.be.undefined;
      expect(await deviceCode.find('device')).to.be.undefined;
      expect(await deviceCode.findByUserCode('code')).to.be.undefined;
      expect(await exists('grant:grant')).to.be.false;
    });

    it('expires a grant index with its longest-lived member', async () => {
      const accessToken = adapter('AccessToken');

      await accessToken.upsert('short', { grantId: 'grant', jti: 'short' }, 1);
      await accessToken.upsert('long', { grantId: 'grant', jti: 'long' }, 2);

      await sleep(PAST_ONE_SECOND);
      expect(await exists('grant:grant')).to.be.true;

      await sleep(1000);
      expect(await exists('grant:grant')).to.be.false;
    });

    it('applies clock tolerance to entries and indexes', async () => {
      const session = adapter('Session', 1);
      const device = adapter('DeviceCode', 1);
      const sessionPayload = { uid: 'uid' };
      const devicePayload = { grantId: 'grant', jti: 'device', userCode: 'code' };

      await session.upsert('session', sessionPayload, 1);
      await device.upsert('device', devicePayload, 1);
      for (const key of [rec('Session', 'session'), 'sessionUid:uid', uc('code'), 'grant:grant']) {
        expect(await pttl(key), key).to.be.within(1001, 2000);
      }

      await sleep(PAST_ONE_SECOND);
      expect(await session.findByUid('uid')).to.deep.equal(sessionPayload);
      expect(await device.findByUserCode('code')).to.deep.equal(devicePayload);
      expect(await exists('grant:grant')).to.be.true;

      await sleep(1000);
      expect(await session.findByUid('uid')).to.be.undefined;
      expect(await device.findByUserCode('code')).to.be.undefined;
      expect(await exists('grant:grant')).to.be.false;
    });
  });

  describe('Redis specifics', () => {
    it('marks a consumed record with epoch seconds and keeps its TTL', async () => {
      const code = adapter('AuthorizationCode');
      const payload = { accountId: 'account', grantId: 'grant', jti: 'code' };

      await code.upsert('code', payload, 60);
      const before = Math.floor(Date.now() / 1000);
      await code.consume('code');
      const after = Math.floor(Date.now() / 1000);

      const found = await code.find('code');
      expect(found).to.deep.include(payload);
      expect(found?.consumed).to.be.a('number').and.within(before, after);
      expect(await pttl(rec('AuthorizationCode', 'code'))).to.be.within(55_000, 60_000);
    });

    it('reports an unconsumed record without a consumed field', async () => {
      const code = adapter('AuthorizationCode');

      await code.upsert('code', { jti: 'code' }, 60);

      expect(await code.find('code')).to.not.have.property('consumed');
    });

    it('refuses to consume an unknown or expired id, and creates no record', async () => {
      const code = adapter('AuthorizationCode');
      const refused = (id: string) =>
        code.consume(id).then(
          () => 'consumed',
          (error: { error?: string }) => error.error,
        );

      expect(await refused('missing')).to.equal('invalid_grant');
      expect(await exists(rec('AuthorizationCode', 'missing'))).to.be.false;

      await code.upsert('expired', { jti: 'expired' }, 60);
      await redis.pexpire(recordKey(prefix, 'AuthorizationCode', 'expired'), 1);
      await sleep(20);
      expect(await refused('expired')).to.equal('invalid_grant');

      expect(await exists(rec('AuthorizationCode', 'expired'))).to.be.false;
      expect(await code.find('expired')).to.be.undefined;
    });

    it('finds nothing for unknown ids, uids and user codes', async () => {
      expect(await adapter('AccessToken').find('unknown')).to.be.undefined;
      expect(await adapter('Session').findByUid('unknown')).to.be.undefined;
      expect(await adapter('DeviceCode').findByUserCode('unknown')).to.be.undefined;
    });

    it('round-trips payloads exactly', async () => {
      const grant = adapter('Grant');
      const payload: AdapterPayload = {
        accountId: 'account-é-😀',
        clientId: 'client',
        exp: 1_900_000_000,
        openid: { scope: 'openid email', claims: ['sub', 'email'] },
        resources: { 'https://api.example/': 'read write' },
        rejected: { scope: [], claims: [] },
        nested: { deep: { deeper: [1, 2.5, -3, true, false, null, { k: 'v' }, []] } },
        unicode: 'Ünïcødé — 日本語 — \u2028\u2029 — "quoted" \\ back\nslash\ttab',
        empty: {},
        emptyString: '',
        zero: 0,
      };

      await grant.upsert('grant', payload, 60);

      const found = await grant.find('grant');
      expect(found).to.deep.equal(payload);
      expect(JSON.stringify(found)).to.equal(JSON.stringify(payload));
    });

    it('reads a record stored as a string for a model whose records are hashes', async () => {
      // Hash records are read with a plain HMGET; a string under the same key still reads as the
      // record (the load script's other shape), and an error other than the type is not hidden.
      const key = recordKey(prefix, 'AccessToken', 'as-string');
      await redis.set(key, JSON.stringify({ accountId: 'someone', exp: 1_900_000_000 }), 'EX', 60);
      expect(await adapter('AccessToken').find('as-string')).to.deep.equal({
        accountId: 'someone',
        exp: 1_900_000_000,
        jti: 'as-string',
      });
      await adapter('AccessToken').upsert('as-hash', { accountId: 'other', jti: 'as-hash' }, 60);
      expect(await adapter('AccessToken').find('as-hash')).to.include({ accountId: 'other' });
    });

    it('never finds a Client because clients are configured statically', async () => {
      const client = adapter('Client');

      await client.upsert('client', { client_id: 'client' }, 60);

      expect(await client.find('client')).to.be.undefined;
      expect(await client.find('unknown')).to.be.undefined;
    });

    it('stores records and their indexes without a TTL when upserted without expiresIn', async () => {
      const session = adapter('Session');
      const device = adapter('DeviceCode');

      await session.upsert('session', { uid: 'uid' }, 60);
      await session.upsert('session', { uid: 'uid' });
      await device.upsert('device', { grantId: 'grant', jti: 'device', userCode: 'code' });

      for (const key of [
        rec('Session', 'session'),
        'sessionUid:uid',
        rec('DeviceCode', 'device'),
        uc('code'),
        'grant:grant',
      ]) {
        expect(await pttl(key), key).to.equal(-1);
      }
      expect(await session.findByUid('uid')).to.deep.equal({ uid: 'uid' });
      expect(
        await redis.zscore(`${prefix}grant:grant`, recordKey(prefix, 'DeviceCode', 'device')),
      ).to.equal('inf');
    });

    it('keeps adapters with different prefixes apart', async () => {
      const one = `${prefix}one:`;
      const two = `${prefix}two:`;
      const tokenOne = adapter('AccessToken', 0, one);
      const tokenTwo = adapter('AccessToken', 0, two);
      const sessionOne = adapter('Session', 0, one);
      const sessionTwo = adapter('Session', 0, two);
      const deviceOne = adapter('DeviceCode', 0, one);
      const deviceTwo = adapter('DeviceCode', 0, two);

      await tokenOne.upsert('token', { grantId: 'grant', jti: 'token', accountId: 'one' }, 60);
      await sessionOne.upsert('session', { uid: 'uid', accountId: 'one' }, 60);
      await deviceOne.upsert('device', { userCode: 'code', accountId: 'one' }, 60);

      expect(await tokenTwo.find('token')).to.be.undefined;
      expect(await sessionTwo.findByUid('uid')).to.be.undefined;
      expect(await deviceTwo.findByUserCode('code')).to.be.undefined;

      await tokenTwo.upsert('token', { grantId: 'grant', jti: 'token', accountId: 'two' }, 60);
      await sessionTwo.upsert('session', { uid: 'uid', accountId: 'two' }, 60);
      await deviceTwo.upsert('device', { userCode: 'code', accountId: 'two' }, 60);

      await tokenTwo.revokeByGrantId('grant');
      await sessionTwo.destroy('session');
      await deviceTwo.destroy('device');

      expect(await tokenOne.find('token')).to.deep.include({ accountId: 'one' });
      expect(await sessionOne.findByUid('uid')).to.deep.include({ accountId: 'one' });
      expect(await deviceOne.findByUserCode('code')).to.deep.include({ accountId: 'one' });
      expect(await redis.zrange(`${one}grant:grant`, 0, -1)).to.deep.equal([
        recordKey(one, 'AccessToken', 'token'),
      ]);
      expect(await keysMatching(redis, `${two}*`)).to.deep.equal([]);
    });

    it('treats revoking an unknown grant as a no-op', async () => {
      const accessToken = adapter('AccessToken');
      const payload = { grantId: 'grant', jti: 'token' };

      await accessToken.upsert('token', payload, 60);
      await accessToken.revokeByGrantId('unknown');

      expect(await accessToken.find('token')).to.deep.equal(payload);
      expect(await exists('grant:grant')).to.be.true;
      expect(await exists('grant:unknown')).to.be.false;
    });

    it('revokes every record of a grant and their secondary indexes', async () => {
      const grantable = [
        'AccessToken',
        'AuthorizationCode',
        'BackchannelAuthenticationRequest',
        'DeviceCode',
        'PreAuthorizedCode',
        'RefreshToken',
      ];
      for (const model of grantable) {
        await adapter(model).upsert(model, { grantId: 'grant', jti: model }, 60);
        await adapter(model).upsert(`${model}-other`, { grantId: 'other', jti: model }, 60);
      }
      // A device code stored without a jti is still found by the id in its key.
      await adapter('DeviceCode').upsert('no-jti', { grantId: 'grant', userCode: 'code' }, 60);
      await adapter('Session').upsert('session', { uid: 'uid', grantId: 'grant' }, 60);
      await adapter('Grant').upsert('grant', { accountId: 'account' }, 60);

      expect(await redis.zcard(`${prefix}grant:grant`)).to.equal(grantable.length + 1);

      await adapter('AccessToken').revokeByGrantId('grant');

      for (const model of grantable) {
        expect(await adapter(model).find(model), model).to.be.undefined;
        expect(await adapter(model).find(`${model}-other`), model).to.deep.include({
          grantId: 'other',
        });
      }
      expect(await adapter('DeviceCode').find('no-jti')).to.be.undefined;
      expect(await exists(uc('code'))).to.be.false;
      expect(await exists('grant:grant')).to.be.false;
      expect(await redis.zcard(`${prefix}grant:other`)).to.equal(grantable.length);
      // Sessions and the Grant record itself are not members of the grant index.
      expect(await adapter('Session').findByUid('uid')).to.deep.include({ grantId: 'grant' });
      expect(await adapter('Grant').find('grant')).to.deep.equal({ accountId: 'account' });
    });

    it('keeps a grant index alive exactly as long as its longest-lived member', async () => {
      const accessToken = adapter('AccessToken');
      const refreshToken = adapter('RefreshToken');

      await accessToken.upsert('access', { grantId: 'grant', jti: 'access' }, 60);
      expect(await pttl('grant:grant')).to.be.within(59_000, 60_000);

      await refreshToken.upsert('refresh', { grantId: 'grant', jti: 'refresh' }, 600);
      expect(await pttl('grant:grant')).to.be.within(599_000, 600_000);

      await accessToken.upsert('short', { grantId: 'grant', jti: 'short' }, 10);
      expect(await pttl('grant:grant')).to.be.within(599_000, 600_000);

      await refreshToken.destroy('refresh');
      expect(await pttl('grant:grant')).to.be.within(59_000, 60_000);

      await refreshToken.upsert('forever', { grantId: 'grant', jti: 'forever' });
      expect(await pttl('grant:grant')).to.equal(-1);

      await refreshToken.destroy('forever');
      expect(await pttl('grant:grant')).to.be.within(59_000, 60_000);

      await accessToken.upsert('access', { grantId: 'grant', jti: 'access' }, 5);
      expect(await pttl('grant:grant')).to.be.within(9_000, 10_000);

      await accessToken.destroy('access');
      expect(await exists('grant:grant')).to.be.true;
      await accessToken.destroy('short');
      expect(await exists('grant:grant')).to.be.false;
    });

    it('lets a grant index expire once its member without a TTL is destroyed', async () => {
      const accessToken = adapter('AccessToken');
      const refreshToken = adapter('RefreshToken');

      await accessToken.upsert('access', { grantId: 'grant', jti: 'access' }, 1);
      await refreshToken.upsert('refresh', { grantId: 'grant', jti: 'refresh' });
      await refreshToken.destroy('refresh');

      await sleep(PAST_ONE_SECOND);
      expect(await exists('grant:grant')).to.be.false;
    });
  });

  describe('single use', () => {
    it('tells exactly one of many concurrent finds of a DPoP or assertion jti that it is new', async () => {
      const replay = adapter('ReplayDetection');
      const found = await Promise.all(Array.from({ length: 20 }, () => replay.find('jti-hash')));
      expect(found.filter((f) => f === undefined)).to.have.length(1);
      await replay.upsert('jti-hash', { jti: 'jti-hash', iss: 'client' }, 30);
      expect(await replay.find('jti-hash')).to.include({ jti: 'jti-hash' });
      const ttl = await redis.ttl(`${prefix}ReplayDetection:jti-hash`);
      expect(ttl).to.be.within(25, 30);
    });

    it('lets exactly one of many concurrent consumes win, and the losers revoke the grant', async () => {
      const code = adapter('AuthorizationCode');
      const accessToken = adapter('AccessToken');
      const grant = adapter('Grant');
      await grant.upsert('grant', { accountId: 'account', jti: 'grant' }, 60);
      await code.upsert('code', { grantId: 'grant', jti: 'code' }, 60);
      await accessToken.upsert('access', { grantId: 'grant', jti: 'access' }, 60);

      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          code.consume('code').then(
            () => 'consumed',
            (error: unknown) => error,
          ),
        ),
      );

      expect(outcomes.filter((o) => o === 'consumed')).to.have.length(1);
      const losers = outcomes.filter((o) => o !== 'consumed');
      expect(losers).to.have.length(19);
      for (const loser of losers) {
        expect(loser).to.be.instanceOf(AlreadyConsumed);
        expect((loser as AlreadyConsumed).error).to.equal('invalid_grant');
        expect((loser as AlreadyConsumed).grantId).to.equal('grant');
      }
      expect(await accessToken.find('access')).to.be.undefined;
      expect(await grant.find('grant')).to.be.undefined;
      expect(await exists('grant:grant')).to.be.false;
    });

    it('turns a consumed refresh token into a small tombstone outside the grant index', async () => {
      const refreshToken = adapter('RefreshToken');
      const exp = Math.floor(Date.now() / 1000) + 600;
      const full = {
        accountId: 'account-id',
        clientId: 'client',
        grantId: 'grant',
        jti: 'refresh',
        kind: 'RefreshToken',
        iat: exp - 600,
        iiat: exp - 600,
        exp,
        scope: 'openid offline_access',
        claims: { id_token: { email: null } },
        expiresWithSession: false,
        sessionUid: 'uid',
        gty: 'authorization_code',
        nonce: 'n'.repeat(43),
        rotations: 3,
        authTime: exp - 700,
      };
      await refreshToken.upsert('refresh', full, 600);
      const before = Number(
        await redis.call('MEMORY', 'USAGE', recordKey(prefix, 'RefreshToken', 'refresh')),
      );

      await refreshToken.consume('refresh');

      const found = await refreshToken.find('refresh');
      expect(found).to.deep.equal({
        accountId: 'account-id',
        clientId: 'client',
        grantId: 'grant',
        jti: 'refresh',
        exp,
        scope: 'openid offline_access',
        consumed: found?.consumed,
      });
      expect(found?.consumed).to.be.a('number');
      expect(await redis.zcard(`${prefix}grant:grant`)).to.equal(0);
      expect(await pttl(rec('RefreshToken', 'refresh'))).to.be.within(595_000, 600_000);
      const after = Number(
        await redis.call('MEMORY', 'USAGE', recordKey(prefix, 'RefreshToken', 'refresh')),
      );
      expect(after).to.be.below(before);

      const again = await refreshToken.consume('refresh').then(
        () => 'consumed',
        (error: { error?: string }) => error.error,
      );
      expect(again).to.equal('invalid_grant');
    });

    it('keeps sender bindings and session binding in a tombstone', async () => {
      const refreshToken = adapter('RefreshToken');
      await refreshToken.upsert(
        'bound',
        { grantId: 'grant', jti: 'bound', jkt: 'thumb', expiresWithSession: true, sessionUid: 'u' },
        60,
      );
      await refreshToken.consume('bound');
      expect(await refreshToken.find('bound')).to.deep.include({
        jkt: 'thumb',
        expiresWithSession: true,
        sessionUid: 'u',
      });
    });
  });

  describe('revocation in batches', () => {
    it('revokes a grant of 1,050 records in runs of at most 100', async () => {
      const accessToken = adapter('AccessToken');
      // One command each: on a cluster the records are spread over the slots.
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 1050; i += 1) {
        const key = recordKey(prefix, 'AccessToken', `t${i}`);
        writes.push(redis.hset(key, 'payload', JSON.stringify({ grantId: 'big' })));
        writes.push(redis.zadd(`${prefix}grant:big`, Date.now() + 60_000, key));
      }
      await Promise.all(writes);
      await accessToken.upsert('last', { grantId: 'big', jti: 'last' }, 60);

      // Each batch leaves the grant index in one step, after its records are gone.
      const scripted = redis as unknown as {
        latchkeyIndexRemove(key: string, now: number, ...members: string[]): Promise<number>;
      };
      const original = scripted.latchkeyIndexRemove;
      const runs: number[] = [];
      scripted.latchkeyIndexRemove = async (key, now, ...members) => {
        if (key === `${prefix}grant:big`) runs.push(members.length);
        return original.call(redis, key, now, ...members);
      };
      try {
        await accessToken.revokeByGrantId('big');
      } finally {
        scripted.latchkeyIndexRemove = original;
      }

      expect(runs.reduce((a, b) => a + b, 0)).to.equal(1051);
      expect(Math.max(...runs)).to.equal(100);
      expect(runs).to.have.length(11);
      expect(await exists('grant:big')).to.be.false;
      expect(await accessToken.find('last')).to.be.undefined;
      expect(await exists(rec('AccessToken', 't0'))).to.be.false;
      expect(await exists(rec('AccessToken', 't1049'))).to.be.false;
    });
  });

  describe('ids that are bearer secrets', () => {
    it('stores tokens and sessions under a hash of their id, without the id, and finds them by id', async () => {
      const secrets = {
        AccessToken: 'at-secret-value-0123456789',
        RefreshToken: 'rt-secret-value-0123456789',
        AuthorizationCode: 'code-secret-value-0123456789',
        Session: 'session-cookie-value-0123456789',
      };
      for (const [model, id] of Object.entries(secrets)) {
        await adapter(model).upsert(id, { jti: id, grantId: 'grant', uid: `${model}-uid` }, 60);
      }

      const keys = await keysMatching(redis, `${prefix}*`);
      for (const [model, id] of Object.entries(secrets)) {
        expect(
          keys.some((k) => k.includes(id)),
          model,
        ).to.be.false;
        const stored = await redis.hgetall(recordKey(prefix, model, id));
        expect(JSON.stringify(stored), model).not.to.include(id);
        expect(await adapter(model).find(id), model).to.deep.include({ jti: id });
      }
      for (const key of keys.filter((k) => (k as string).includes('sessionUid:'))) {
        expect(await redis.get(key)).not.to.include(secrets.Session);
      }
      // A session found by uid has no id to give back.
      expect(await adapter('Session').findByUid('Session-uid')).to.deep.equal({
        grantId: 'grant',
        uid: 'Session-uid',
      });
    });

    it('keeps the session cookie value out of interactions', async () => {
      const interaction = adapter('Interaction');
      await interaction.upsert(
        'uid',
        { jti: 'uid', session: { accountId: 'a', uid: 's', cookie: 'cookie-value' } },
        60,
      );
      expect(JSON.stringify(await redis.hgetall(`${prefix}Interaction:uid`))).not.to.include(
        'cookie-value',
      );
      expect(await interaction.find('uid')).to.deep.equal({
        jti: 'uid',
        session: { accountId: 'a', uid: 's' },
      });
    });
  });

  describe('account indexes', () => {
    const sessionsOf = (account: string) => accountIndexKey(prefix, account, 'sessions');
    const grantsOf = (account: string) => accountIndexKey(prefix, account, 'grants');

    it("lists an account's sessions and grants until they are destroyed", async () => {
      const session = adapter('Session');
      const grant = adapter('Grant');
      await session.upsert('one', { jti: 'one', uid: 'u1', accountId: 'acc' }, 60);
      await session.upsert('two', { jti: 'two', uid: 'u2', accountId: 'acc' }, 120);
      await session.upsert('anonymous', { jti: 'anonymous', uid: 'u3' }, 60);
      await grant.upsert('g1', { jti: 'g1', accountId: 'acc' }, 300);

      const members = await redis.zrange(sessionsOf('acc'), 0, -1);
      expect(members).to.have.length(2);
      expect(members.some((m) => m === 'one' || m === 'two')).to.be.false;
      expect(await redis.zrange(grantsOf('acc'), 0, -1)).to.deep.equal(['g1']);
      expect(await pttl('account:acc:sessions')).to.be.within(119_000, 120_000);
      expect(await pttl('account:acc:grants')).to.be.within(299_000, 300_000);

      await session.destroy('two');
      expect(await redis.zcard(sessionsOf('acc'))).to.equal(1);
      expect(await pttl('account:acc:sessions')).to.be.within(59_000, 60_000);
      await session.destroy('one');
      await grant.destroy('g1');
      expect(await exists('account:acc:sessions')).to.be.false;
      expect(await exists('account:acc:grants')).to.be.false;
    });

    it('moves a session to the account it now belongs to', async () => {
      const session = adapter('Session');
      await session.upsert('s', { jti: 's', uid: 'u', accountId: 'first' }, 60);
      await session.upsert('s', { jti: 's', uid: 'u', accountId: 'second' }, 60);
      expect(await exists('account:first:sessions')).to.be.false;
      expect(await redis.zcard(sessionsOf('second'))).to.equal(1);
      await session.upsert('s', { jti: 's', uid: 'u' }, 60);
      expect(await exists('account:second:sessions')).to.be.false;
    });

    it('drops expired members on the next write and expires with the last one', async () => {
      const session = adapter('Session');
      await session.upsert('short', { jti: 'short', uid: 'a', accountId: 'acc' }, 1);
      await session.upsert('long', { jti: 'long', uid: 'b', accountId: 'acc' }, 2);
      await sleep(PAST_ONE_SECOND);
      await session.upsert('new', { jti: 'new', uid: 'c', accountId: 'acc' }, 1);
      expect(await redis.zcard(sessionsOf('acc'))).to.equal(2);
      await sleep(1000);
      expect(await exists('account:acc:sessions')).to.be.false;
    });

    it('forgets a revoked grant', async () => {
      const grant = adapter('Grant');
      const code = adapter('AuthorizationCode');
      await grant.upsert('g', { jti: 'g', accountId: 'acc' }, 60);
      await code.upsert('c', { jti: 'c', grantId: 'g' }, 60);
      await code.consume('c');
      await code.consume('c').catch(() => undefined);
      expect(await grant.find('g')).to.be.undefined;
      expect(await exists('account:acc:grants')).to.be.false;
    });
  });
});
