// A Redis that accepts connections but answers nothing (stuck, or paused with CLIENT PAUSE): a
// command fails within the timeout as "Redis unavailable" instead of hanging, and the client
// works again by itself once Redis answers. On a redis-server of its own.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createRedis, REDIS_COMMAND_TIMEOUT_MS } from '../../src/db/redis.ts';
import { asStoreUnavailable } from '../../src/db/store-outages.ts';
import { missingForOwnStores, type OwnStore, startOwnRedis } from '../support/own-stores.ts';

describe('a Redis that stops answering', function () {
  this.timeout(60_000);
  let store: OwnStore | undefined;
  let client: Redis | undefined;
  let admin: Redis | undefined;

  before(async function () {
    const missing = missingForOwnStores();
    if (missing) {
      console.log(`      SKIPPED: this machine cannot run a Redis of its own (${missing})`);
      this.skip();
    }
    store = await startOwnRedis();
    client = createRedis(store.url);
    client.on('error', () => {});
    await client.connect();
    admin = new Redis(store.url);
  });

  after(async () => {
    client?.disconnect();
    admin?.disconnect();
    await store?.destroy();
  });

  it('fails the commands waiting on it within the timeout, then answers again by itself', async () => {
    const redis = client as Redis;
    await redis.set('stuck:k', 'v');
    const pauseMs = REDIS_COMMAND_TIMEOUT_MS + 3000;
    expect(await (admin as Redis).call('CLIENT', 'PAUSE', String(pauseMs), 'ALL')).to.equal('OK');
    const started = Date.now();

    const outcomes = await Promise.allSettled([redis.get('stuck:k'), redis.get('stuck:k')]);
    const waited = Date.now() - started;

    for (const outcome of outcomes) {
      expect(outcome.status).to.equal('rejected');
      const error = (outcome as PromiseRejectedResult).reason;
      expect(asStoreUnavailable(error)?.store, String(error)).to.equal('redis');
    }
    expect(waited).to.be.at.least(REDIS_COMMAND_TIMEOUT_MS - 100);
    expect(waited).to.be.below(pauseMs);

    let answer: string | null | undefined;
    for (let i = 0; i < 100 && answer === undefined; i += 1) {
      answer = await redis.get('stuck:k').catch(() => undefined);
      if (answer === undefined) await sleep(200);
    }
    expect(answer).to.equal('v');
  });
});
