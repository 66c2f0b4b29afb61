// Redis connections (ioredis) and the fixed-window counters used for throttling.
import { Redis } from 'ioredis';
import type { AttemptCounter } from '../accounts/login-throttle.ts';

export const REDIS_COMMAND_TIMEOUT_MS = 2000;

/**
 * A client that fails fast while Redis is unreachable (callers answer 503) and reconnects by
 * itself. Call connect() before use: commands are never queued while there is no connection.
 */
export function createRedis(url: string, options: { lazy?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: options.lazy ?? true,
    // No queue while disconnected: a command is refused at once instead of waiting seconds.
    enableOfflineQueue: false,
    // Commands in flight when the connection drops fail at once and are never sent again: a
    // script that consumes a code may already have run.
    maxRetriesPerRequest: 0,
    // A Redis that accepts connections but does not answer (stuck, paused) fails a command too.
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 5000,
    // Reconnect quickly: within a second of Redis coming back.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
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
