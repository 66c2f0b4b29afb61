// Redis connections (ioredis) and the fixed-window counters used for throttling.
import { Redis } from 'ioredis';
import type { AttemptCounter } from '../accounts/login-throttle.ts';

export function createRedis(url: string, options: { lazy?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: options.lazy ?? true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    enableOfflineQueue: true,
  });
}

export class RedisAttemptCounter implements AttemptCounter {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async get(key: string): Promise<{ count: number; retryAfterSeconds: number }> {
    const k = this.#prefix + key;
    const [count, ttl] = await this.#redis.multi().get(k).pttl(k).exec().then(unwrap);
    return {
      count: count === null ? 0 : Number(count),
      retryAfterSeconds: typeof ttl === 'number' && ttl > 0 ? Math.ceil(ttl / 1000) : 0,
    };
  }

  async increment(key: string, windowSeconds: number): Promise<number> {
    const k = this.#prefix + key;
    // NX keeps the window anchored at the first failure.
    const [count] = await this.#redis
      .multi()
      .incr(k)
      .expire(k, windowSeconds, 'NX')
      .exec()
      .then(unwrap);
    return Number(count);
  }

  async reset(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }
}

function unwrap(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('Redis transaction aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
