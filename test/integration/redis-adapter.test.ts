// Storage adapter contract against real Redis: oidc-provider's memory adapter behaviour plus Redis specifics.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { AdapterPayload } from 'oidc-provider';
import { RedisAdapter } from '../../src/oidc/redis-adapter.ts';
import { TEST_REDIS_URL, uniqueNamespace } from '../support/server.ts';

/** A little over the 1 s TTLs used below, so Redis has certainly expired the keys. */
const PAST_ONE_SECOND = 1150;

describe('RedisAdapter', () => {
  const namespace = `${uniqueNamespace('adapter')}:`;
  let redis: Redis;
  let testNumber = 0;
  // Each test gets a prefix of its own so ids like "token" or "grant" never leak between tests.
  let prefix = namespace;

  before(async () => {
    redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });

  beforeEach(() => {
    testNumber += 1;
    prefix = `${namespace}${testNumber}:`;
  });

  after(async () => {
    if (!redis) return;
    try {
      const keys: string[] = [];
      const stream = redis.scanStream({ match: `${namespace}*`, count: 500 });
      for await (const batch of stream) keys.push(...(batch as string[]));
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  function adapter(model: string, clockTolerance?: number, keyPrefix = prefix): RedisAdapter {
    return new RedisAdapter(model, { redis, prefix: keyPrefix, clockTolerance });
  }

  async function exists(key: string): Promise<boolean> {
    return (await redis.exists(`${prefix}${key}`)) === 1;
  }

  function pttl(key: string): Promise<number> {
    return redis.pttl(`${prefix}${key}`);
  }

  describe('memory adapter contract', () => {
    it('expires primary entries', async () => {
      const accessToken = adapter('AccessToken');
      const payload = { accountId: 'account' };

      await accessToken.upsert('token', payload, 1);
      expect(await accessToken.find('token')).to.deep.equal(payload);

      await sleep(PAST_ONE_SECOND);
      expect(await accessToken.find('token')).to.be.undefined;
      expect(await exists('AccessToken:token')).to.be.false;
    });

    it('expires session uid indexes', async () => {
      const session = adapter('Session');
      const payload = { uid: 'uid' };

      await session.upsert('session', payload, 1);
      expect(await session.findByUid('uid')).to.deep.equal(payload);

      await sleep(PAST_ONE_SECOND);
      expect(await session.findByUid('uid')).to.be.undefined;
      expect(await exists('sessionUid:uid')).to.be.false;
    });

    it('expires user code indexes', async () => {
      const device = adapter('DeviceCode');
      const payload = { userCode: 'code' };

      await device.upsert('device', payload, 1);
      expect(await device.findByUserCode('code')).to.deep.equal(payload);

      await sleep(PAST_ONE_SECOND);
      expect(await device.findByUserCode('code')).to.be.undefined;
      expect(await exists('userCode:code')).to.be.false;
    });

    it('deduplicates grant members on repeated upsert', async () => {
      const accessToken = adapter('AccessToken');
      const payload = { grantId: 'grant', jti: 'token' };

      await accessToken.upsert('token', payload, 60);
      await accessToken.upsert('token', payload, 60);

      expect(await redis.zrange(`${prefix}grant:grant`, 0, -1)).to.deep.equal([
        `${prefix}AccessToken:token`,
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
      expect(await exists('userCode:old-code')).to.be.false;
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
      expect(await exists('userCode:code')).to.be.false;
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
      for (const key of ['Session:session', 'sessionUid:uid', 'userCode:code', 'grant:grant']) {
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
      expect(await pttl('AuthorizationCode:code')).to.be.within(55_000, 60_000);
    });

    it('reports an unconsumed record without a consumed field', async () => {
      const code = adapter('AuthorizationCode');

      await code.upsert('code', { jti: 'code' }, 60);

      expect(await code.find('code')).to.not.have.property('consumed');
    });

    it('does not create a record when consuming an unknown or expired id', async () => {
      const code = adapter('AuthorizationCode');

      await code.consume('missing');
      expect(await exists('AuthorizationCode:missing')).to.be.false;

      await code.upsert('expired', { jti: 'expired' }, 60);
      await redis.pexpire(`${prefix}AuthorizationCode:expired`, 1);
      await sleep(20);
      await code.consume('expired');

      expect(await exists('AuthorizationCode:expired')).to.be.false;
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
        'Session:session',
        'sessionUid:uid',
        'DeviceCode:device',
        'userCode:code',
        'grant:grant',
      ]) {
        expect(await pttl(key), key).to.equal(-1);
      }
      expect(await session.findByUid('uid')).to.deep.equal({ uid: 'uid' });
      expect(await redis.zscore(`${prefix}grant:grant`, `${prefix}DeviceCode:device`)).to.equal(
        'inf',
      );
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
        `${one}AccessToken:token`,
      ]);
      expect(await redis.keys(`${two}*`)).to.deep.equal([]);
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
        'RefreshToken',
        'DeviceCode',
        'BackchannelAuthenticationRequest',
        'PreAuthorizedCode',
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
      expect(await exists('userCode:code')).to.be.false;
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
});
