// The library marks a confirmed device code "in flight" with a read, a check and a write, which
// concurrent confirmations of one code can all pass. A claim in Redis (SET NX) lets exactly one
// of them go on to sign the device in; the others are told the code was already used.
import { createHash } from 'node:crypto';
import type { RedisClient } from '../db/redis.ts';

export class DeviceClaims {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #ttlSeconds: number;

  constructor(options: { redis: RedisClient; prefix: string; codeTtlSeconds: number }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    // The claim outlives the code it guards.
    this.#ttlSeconds = options.codeTtlSeconds + 60;
  }

  /** True for the first confirmation of device code `jti`, false for every later one. */
  async claim(jti: string): Promise<boolean> {
    const id = createHash('sha256').update(`${this.#prefix}${jti}`).digest('base64url');
    const set = await this.#redis.set(
      `${this.#prefix}deviceClaim:${id}`,
      '1',
      'EX',
      this.#ttlSeconds,
      'NX',
    );
    return set === 'OK';
  }
}
