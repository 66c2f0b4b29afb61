// How often a device may poll the token endpoint for its device code (RFC 8628 §3.5): at most
// once per interval; a poll that comes sooner is answered slow_down and the interval grows by
// five seconds for that device code, for this and every later poll.
import { createHash } from 'node:crypto';
import type { RedisClient } from '../db/redis.ts';

// KEYS[1]: the device code's polling record; ARGV: default interval (s), record TTL (ms).
// Judges and records the poll in one step, so two polls racing cannot both be on time.
// Returns { 1 = too soon | 0, the interval now in force }.
const POLL = `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local interval = tonumber(redis.call('HGET', KEYS[1], 'interval') or ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local early = 0
if last > 0 and nowMs - last < interval * 1000 then
  early = 1
  interval = interval + 5
end
redis.call('HSET', KEYS[1], 'interval', interval, 'last', nowMs)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return { early, interval }
`;

type Scripted = RedisClient & {
  latchkeyDevicePoll(key: string, interval: number, ttlMs: number): Promise<[number, number]>;
};

export interface PollVerdict {
  /** The device polled sooner than its interval allows: answer slow_down. */
  tooSoon: boolean;
  /** The interval in force for this device code from now on (seconds). */
  interval: number;
}

export class DevicePolling {
  readonly #redis: Scripted;
  readonly #prefix: string;
  readonly #interval: number;
  readonly #ttlMs: number;

  constructor(options: {
    redis: RedisClient;
    prefix: string;
    intervalSeconds: number;
    codeTtlSeconds: number;
  }) {
    const scripted = options.redis as Scripted;
    if (typeof scripted.latchkeyDevicePoll !== 'function') {
      options.redis.defineCommand('latchkeyDevicePoll', { numberOfKeys: 1, lua: POLL });
    }
    this.#redis = scripted;
    this.#prefix = options.prefix;
    this.#interval = options.intervalSeconds;
    this.#ttlMs = options.codeTtlSeconds * 1000;
  }

  /** The interval a device is told to keep at the device authorization endpoint. */
  get interval(): number {
    return this.#interval;
  }

  /** Records a poll that found the request still pending, and says whether it came too soon. */
  async pending(deviceCode: string): Promise<PollVerdict> {
    // The device code is a bearer secret: only its hash names the record.
    const id = createHash('sha256').update(`${this.#prefix}${deviceCode}`).digest('base64url');
    const [early, interval] = await this.#redis.latchkeyDevicePoll(
      `${this.#prefix}devicePoll:${id}`,
      this.#interval,
      this.#ttlMs,
    );
    return { tooSoon: early === 1, interval };
  }
}
