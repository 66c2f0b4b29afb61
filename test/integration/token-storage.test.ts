// A copy of Redis holds no usable token: token and session records live under hashes of their ids.
import { expect } from 'chai';
import { primaries, type RedisClient } from '../../src/db/redis.ts';
import { OFFLINE } from '../support/oidc.ts';
import { TEST_CLIENTS, useServer } from '../support/server.ts';
import { freshCode, refresh, sessionCookie } from '../support/tokens.ts';

/** Every key of the namespace with its whole value, whatever its type. */
async function dump(client: RedisClient, pattern: string): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const redis of primaries(client)) await dumpNode(redis, pattern, all);
  return all;
}

async function dumpNode(
  redis: ReturnType<typeof primaries>[number],
  pattern: string,
  all: Map<string, string>,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? await redis.hgetall(key)
            : type === 'zset'
              ? await redis.zrange(key, 0, -1, 'WITHSCORES')
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'list'
                  ? await redis.lrange(key, 0, -1)
                  : `(${type})`;
      all.set(key, JSON.stringify(value));
    }
  } while (cursor !== '0');
}

describe('tokens at rest in Redis', () => {
  const server = useServer();

  it('holds no code, token or session cookie after a sign-in, a code exchange and refreshes', async () => {
    const c = TEST_CLIENTS.firstParty;
    const { browser, tokens, code, exchange } = await freshCode(server.issuer, c, OFFLINE);
    const exchanged = (await exchange()).data;
    const rotated = (await refresh(server.issuer, c, exchanged.refresh_token as string)).data;
    // A retry within the grace window leaves its stored answer behind as well.
    const retried = (await refresh(server.issuer, c, exchanged.refresh_token as string)).data;
    expect(retried.refresh_token).to.equal(rotated.refresh_token);
    const spa = TEST_CLIENTS.publicSpa;
    const publicClient = await freshCode(server.issuer, spa, OFFLINE);
    const publicTokens = (await publicClient.exchange()).data;

    const secrets: Record<string, string> = {
      'authorization code': code,
      'public client code': publicClient.code,
      'session cookie': await sessionCookie(browser),
      'other session cookie': await sessionCookie(publicClient.browser),
      'first access token': tokens.access_token,
      'first refresh token': tokens.refresh_token as string,
      'exchanged access token': exchanged.access_token as string,
      'exchanged refresh token': exchanged.refresh_token as string,
      'rotated access token': rotated.access_token as string,
      'rotated refresh token': rotated.refresh_token as string,
      'public access token': publicTokens.access_token as string,
      'public refresh token': publicTokens.refresh_token as string,
    };
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).to.be.a('string').with.length.above(20);
    }

    const stored = await dump(server.resources.redis, `${server.namespace}:*`);
    expect(stored.size).to.be.above(10);
    const kinds = new Set([...stored.keys()].map((k) => k.split(':')[2]));
    for (const kind of ['AccessToken', 'RefreshToken', 'Session', 'Grant', 'refreshGrace']) {
      expect(kinds, kind).to.include(kind);
    }
    for (const [key, value] of stored) {
      for (const [name, secret] of Object.entries(secrets)) {
        expect(key.includes(secret), `${name} in key ${key}`).to.equal(false);
        expect(value.includes(secret), `${name} in the value of ${key}`).to.equal(false);
      }
    }
  });
});
