// What a list of devices shows about each session and refresh-token grant: the device, the address
// and method of the sign-in, its time and the last activity, in a Redis hash beside the record
// (redis-keys.ts metaKey). The adapter's scripts give the hash its record's expiry and delete it
// with the record, so it never outlives what it describes.
import type { RedisClient } from '../db/redis.ts';
import { deviceLabelText as deviceLabel } from '../device/device-label.ts';
import { metaKey, recordKey } from './redis-keys.ts';

/** How a person signed in: a password, or the upstream's id (google, facebook, x). */
export type SignInMethod = string;

export interface DeviceDetails {
  /** "Firefox · Windows 10"; "" when the user agent said nothing useful. */
  device: string;
  ip: string;
  /** Epoch ms of the sign-in (sessions) or of the first refresh token (grants). */
  since: number | undefined;
  method: SignInMethod | undefined;
  /** Epoch ms of the last activity seen, at most `activityMs` stale. */
  seenAt: number | undefined;
}

export interface SessionMetadataOptions {
  redis: RedisClient;
  /** The provider's key prefix, e.g. "latchkey:oidc:". */
  prefix: string;
  /** Activity is written at most once per this many ms per session or grant. */
  activityMs: number;
  /** Expiry of a hash written before its record is first saved (the adapter then aligns it). */
  fallbackTtlMs: number;
  /** Off: nothing is written (to measure what the writes cost). */
  enabled?: boolean;
}

// KEYS[1] hash, KEYS[2] its record; ARGV: fallback ttl ms, then field/value pairs.
// The hash takes the record's remaining life, or the fallback while the record is not saved yet.
const WRITE = `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
local t = redis.call('PTTL', KEYS[2])
if t > 0 then redis.call('PEXPIRE', KEYS[1], t)
elseif redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1])) end
return 1
`;
// KEYS[1] hash; ARGV: now ms, min interval ms. Only an existing hash is touched (no key without TTL).
const TOUCH = `
local seen = redis.call('HGET', KEYS[1], 'seenAt')
if not seen then return 0 end
if tonumber(ARGV[1]) - tonumber(seen) < tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'seenAt', ARGV[1])
return 1
`;

type Metadata = RedisClient & {
  latchkeyMetaWrite(hash: string, record: string, ...args: (string | number)[]): Promise<number>;
  latchkeyMetaTouch(hash: string, now: number, interval: number): Promise<number>;
};

/** In-process memory of the last activity written, so most requests cost no Redis call at all. */
const RECENT_LIMIT = 10_000;

export class SessionMetadata {
  readonly #redis: Metadata;
  readonly #prefix: string;
  readonly #activityMs: number;
  readonly #fallbackTtlMs: number;
  readonly #enabled: boolean;
  readonly #recent = new Map<string, number>();

  constructor(options: SessionMetadataOptions) {
    this.#redis = options.redis as Metadata;
    if (typeof this.#redis.latchkeyMetaTouch !== 'function') {
      options.redis.defineCommand('latchkeyMetaWrite', { numberOfKeys: 2, lua: WRITE });
      options.redis.defineCommand('latchkeyMetaTouch', { numberOfKeys: 1, lua: TOUCH });
    }
    this.#prefix = options.prefix;
    this.#activityMs = options.activityMs;
    this.#fallbackTtlMs = options.fallbackTtlMs;
    this.#enabled = options.enabled ?? true;
  }

  /** A browser signed in: `handle` is the session's storage id (account-sessions.ts handleOf). */
  async signedIn(
    handle: string,
    at: { userAgent: string | undefined; ip: string; method: SignInMethod; now?: number },
  ): Promise<void> {
    if (!this.#enabled) return;
    const now = at.now ?? Date.now();
    const key = metaKey(this.#prefix, 'Session', handle);
    this.#recent.set(key, now);
    await this.#redis.latchkeyMetaWrite(
      key,
      `${this.#prefix}Session:${handle}`,
      this.#fallbackTtlMs,
      ...['device', deviceLabel(at.userAgent), 'ip', at.ip, 'method', at.method],
      ...['since', now, 'seenAt', now],
    );
  }

  /**
   * A grant was issued a refresh token; the device is recorded at its first one only. A grant
   * from the device flow is marked `flow=device` (even with SESSION_METADATA off): the device it
   * signed in is listed on its own, not as an app of the browser that approved it.
   */
  async refreshIssued(
    grantId: string,
    at: { userAgent: string | undefined; ip: string; deviceFlow: boolean; now?: number },
  ): Promise<void> {
    const key = metaKey(this.#prefix, 'Grant', grantId);
    const now = at.now ?? Date.now();
    if (!this.#enabled && !at.deviceFlow) return;
    // Written or touched here within the interval: it exists, and activity would write nothing.
    const last = this.#recent.get(key);
    if (this.#enabled && last !== undefined && now - last < this.#activityMs) return;
    if (await this.#redis.exists(key)) return this.activity('Grant', grantId, now);
    this.#recent.set(key, now);
    const flow = at.deviceFlow ? ['flow', 'device'] : [];
    const details = this.#enabled
      ? ['device', deviceLabel(at.userAgent), 'ip', at.ip, 'since', now, 'seenAt', now]
      : [];
    await this.#redis.latchkeyMetaWrite(
      key,
      recordKey(this.#prefix, 'Grant', grantId),
      this.#fallbackTtlMs,
      ...flow,
      ...details,
    );
  }

  /** The grants among `grantIds` that signed in a device of their own (the device flow). */
  async standalone(grantIds: readonly string[]): Promise<Set<string>> {
    if (grantIds.length === 0) return new Set();
    // Sent together, each to its own slot (a pipeline would need one slot on a cluster).
    const flows = await Promise.all(
      grantIds.map((id) => this.#redis.hget(metaKey(this.#prefix, 'Grant', id), 'flow')),
    );
    return new Set(grantIds.filter((_, i) => flows[i] === 'device'));
  }

  /** Activity of a session (by handle) or grant: written when the last write is old enough. */
  async activity(model: 'Session' | 'Grant', id: string, now = Date.now()): Promise<void> {
    if (!this.#enabled) return;
    const key = metaKey(this.#prefix, model, id);
    const last = this.#recent.get(key);
    if (last !== undefined && now - last < this.#activityMs) return;
    if (this.#recent.size >= RECENT_LIMIT) this.#recent.clear();
    this.#recent.set(key, now);
    await this.#redis.latchkeyMetaTouch(key, now, this.#activityMs);
  }

  /** The details of each id, in order; undefined where none were recorded. */
  async read(model: 'Session' | 'Grant', ids: readonly string[]) {
    if (ids.length === 0) return [];
    const results = await Promise.all(
      ids.map((id) => this.#redis.hgetall(metaKey(this.#prefix, model, id))),
    );
    return results.map((hash): DeviceDetails | undefined => {
      if (!hash || Object.keys(hash).length === 0) return undefined;
      const number = (s: string | undefined) => (s === undefined ? undefined : Number(s));
      return {
        device: hash.device ?? '',
        ip: hash.ip ?? '',
        since: number(hash.since),
        method: hash.method,
        seenAt: number(hash.seenAt),
      };
    });
  }
}
