// The Redis attempt counter behind the throttles: atomic under parallel calls, all-or-nothing over
// several counters, windows that start with the first attempt, and give-backs that never go negative.
import { expect } from 'chai';
import { RedisAttemptCounter, type RedisClient, THROTTLE_TAG } from '../../src/db/redis.ts';
import { connectTestRedis } from '../support/redis.ts';
import { dropNamespace, uniqueNamespace } from '../support/server.ts';

describe('RedisAttemptCounter', () => {
  const namespace = uniqueNamespace('counter');
  const prefix = `${namespace}:`;
  // Where the counters are: every one carries the same hash tag (one slot on a cluster).
  const key = `${prefix}${THROTTLE_TAG}`;
  let redis: RedisClient;
  let counter: RedisAttemptCounter;

  before(async () => {
    redis = await connectTestRedis();
    counter = new RedisAttemptCounter(redis, prefix);
  });
  after(async () => {
    redis.disconnect();
    await dropNamespace(namespace);
  });

  it('counts exactly the limit out of 200 parallel attempts', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, () => counter.take([{ key: 'burst', limit: 10 }], 60)),
    );
    expect(results.filter((r) => r.counted)).to.have.length(10);
    expect(await redis.get(`${key}burst`)).to.equal('10');
    const refused = results.find((r) => !r.counted);
    expect(refused).to.have.property('retryAfterMs').within(59_000, 60_000);
  });

  it('starts the window with the first attempt and does not move it', async () => {
    await counter.take([{ key: 'window', limit: 5 }], 30);
    const first = await redis.pttl(`${key}window`);
    expect(first).to.be.within(29_000, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await counter.take([{ key: 'window', limit: 5 }], 30);
    expect(await redis.pttl(`${key}window`)).to.be.at.most(first);
  });

  it('counts in every counter or in none when one of them is full', async () => {
    await counter.take([{ key: 'full', limit: 1 }], 60);
    const result = await counter.take(
      [
        { key: 'other', limit: 5 },
        { key: 'full', limit: 1 },
      ],
      60,
    );
    expect(result).to.include({ counted: false, refusedBy: 1 });
    expect(await redis.get(`${key}other`)).to.equal(null);
    expect(await redis.get(`${key}full`)).to.equal('1');
  });

  it('gives an attempt back without going below zero or leaving a key without expiry', async () => {
    await counter.take([{ key: 'back', limit: 3 }], 60);
    await counter.giveBack(['back', 'back', 'never-counted']);
    expect(await redis.get(`${key}back`)).to.equal('0');
    expect(await redis.pttl(`${key}back`)).to.be.greaterThan(0);
    expect(await redis.exists(`${key}never-counted`)).to.equal(0);
  });

  it('starts over after a reset', async () => {
    await counter.take([{ key: 'reset', limit: 1 }], 60);
    expect((await counter.take([{ key: 'reset', limit: 1 }], 60)).counted).to.equal(false);
    await counter.reset('reset');
    expect((await counter.take([{ key: 'reset', limit: 1 }], 60)).counted).to.equal(true);
  });
});
