// oidc-provider storage in Redis: one hash per record plus uid, user-code, grant and account
// indexes, kept consistent by the scripts in redis-scripts.ts and the order in which the adapter
// runs them (redis-records.ts).
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { RedisClient } from '../db/redis.ts';
import {
  GRANTABLE,
  grantIndexKey,
  HASHED_MODELS,
  recordKey,
  sessionUidKey,
  storageId,
  storedKey,
  userCodeKey,
} from './redis-keys.ts';
import { deleteRecord, writeRecord } from './redis-records.ts';
import {
  AlreadyConsumed,
  notConsumable,
  revokeByGrantId,
  revokeGrant,
} from './redis-revocation.ts';
import { type Scripted, withScripts } from './redis-scripts.ts';

export interface RedisAdapterOptions {
  redis: RedisClient;
  /** Prepended to every key, e.g. "latchkey:oidc:". */
  prefix: string;
  /** Seconds records outlive their TTL, matching the provider's clockTolerance. */
  clockTolerance?: number;
  /**
   * Further seconds some models' records are kept after they expire, so the library can still
   * tell "expired" from "unknown" (a device polling after its code expired gets expired_token).
   */
  linger?: Readonly<Record<string, number>>;
  /**
   * Called when a refresh token this request read unconsumed was consumed by another request
   * first, before the grant is revoked for its reuse: it may answer this request instead by
   * throwing (the refresh grace window, oidc/refresh-grace.ts).
   */
  refreshConsumedFirst?: () => Promise<void>;
}

/** How long a claimed jti is held before the library saves it with its own lifetime. */
const REPLAY_CLAIM_SECONDS = 600;

export class RedisAdapter implements Adapter {
  readonly #model: string;
  readonly #redis: Scripted;
  readonly #prefix: string;
  readonly #tolerance: number;
  readonly #consumedFirst: (() => Promise<void>) | undefined;

  constructor(model: string, options: RedisAdapterOptions) {
    this.#model = model;
    this.#redis = withScripts(options.redis);
    this.#prefix = options.prefix;
    this.#tolerance = (options.clockTolerance ?? 0) + (options.linger?.[model] ?? 0);
    this.#consumedFirst = model === 'RefreshToken' ? options.refreshConsumedFirst : undefined;
  }

  #keyOfStored(sid: string): string {
    return storedKey(this.#prefix, this.#model, sid);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.#model === 'ReplayDetection') {
      // find() already claimed the id; this sets how long the claim is kept.
      const seconds = Math.max(1, Math.ceil((expiresIn ?? 0) + this.#tolerance));
      await this.#redis.set(this.#replayKey(id), '1', 'EX', seconds);
      return;
    }
    const ttlMs =
      typeof expiresIn === 'number' && expiresIn > 0 ? (expiresIn + this.#tolerance) * 1000 : 0;
    if (PLAIN_MODELS.has(this.#model) && payload.jti === id) {
      // Nothing to index: a plain string, which the load script reads as a record whose id is
      // its jti (left out, like every hashed record's).
      const { jti: _, ...rest } = payload;
      const key = recordKey(this.#prefix, this.#model, id);
      if (ttlMs > 0) await this.#redis.set(key, JSON.stringify(rest), 'PX', ttlMs);
      else await this.#redis.set(key, JSON.stringify(rest));
      return;
    }
    let stored: AdapterPayload = payload;
    let jtiIsId = false;
    // Records found by user code must carry their id: the library saves them again after approval.
    if (
      HASHED_MODELS.has(this.#model) &&
      payload.jti === id &&
      typeof payload.userCode !== 'string'
    ) {
      const { jti: _, ...rest } = payload;
      stored = rest;
      jtiIsId = true;
    }
    if (this.#model === 'Interaction' && payload.session?.cookie !== undefined) {
      // The library copies the session cookie's value here and never reads it back.
      const { cookie: _, ...session } = payload.session;
      stored = { ...stored, session };
    }
    await writeRecord(this.#redis, this.#prefix, {
      model: this.#model,
      sid: storageId(this.#prefix, this.#model, id),
      json: JSON.stringify(stored),
      ttlMs,
      jtiIsId,
      links: {
        grantId: GRANTABLE.has(this.#model) ? text(payload.grantId) : '',
        accountId: text(payload.accountId),
        uid: text(payload.uid),
        userCodeKey:
          typeof payload.userCode === 'string' ? userCodeKey(this.#prefix, payload.userCode) : '',
      },
    });
  }

  /**
   * The stored record's payload, consumed mark and jti flag. Records of most models are always
   * hashes and are read with a plain HMGET; machine tokens (a plain string) and refresh tokens (a
   * string once consumed: the tombstone) go through the script that reads either shape, as does
   * any record that turns out not to be a hash.
   */
  async #read(key: string): Promise<(string | null)[]> {
    if (!STRING_MODELS.has(this.#model)) {
      try {
        return await this.#redis.hmget(key, 'payload', 'consumed', 'jti');
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('WRONGTYPE')) throw error;
      }
    }
    return this.#redis.latchkeyLoad(key);
  }

  async #load(key: string, id: string | undefined): Promise<AdapterPayload | undefined> {
    const [json, consumed, jtiIsId] = await this.#read(key);
    if (json === null || json === undefined) return undefined;
    const payload = JSON.parse(json) as AdapterPayload;
    if (jtiIsId === '1' && id !== undefined) payload.jti = id;
    if (consumed !== null && consumed !== undefined) payload.consumed = Number(consumed);
    return payload;
  }

  /** A seen DPoP proof or client assertion: the hashed jti the library gives as the id. */
  #replayKey(id: string): string {
    return `${this.#prefix}ReplayDetection:${id}`;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    // Clients are configured statically; dynamic registration is off.
    if (this.#model === 'Client') return undefined;
    if (this.#model === 'ReplayDetection') return this.#claimOnce(id);
    return this.#load(recordKey(this.#prefix, this.#model, id), id);
  }

  /**
   * The library checks a jti by find-then-save, so two requests racing with one proof or assertion
   * would both pass. Here the find itself claims the jti (SET NX): only the first caller is told
   * "not seen"; everyone after, at once or later, finds it.
   */
  async #claimOnce(id: string): Promise<AdapterPayload | undefined> {
    const claimed = await this.#redis.set(
      this.#replayKey(id),
      '1',
      'EX',
      REPLAY_CLAIM_SECONDS,
      'NX',
    );
    if (claimed === 'OK') return undefined;
    return { jti: id, exp: Math.floor(Date.now() / 1000) + REPLAY_CLAIM_SECONDS };
  }

  /** A session found by uid comes without its id: only a hash of the cookie value is stored. */
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const sid = await this.#redis.get(sessionUidKey(this.#prefix, uid));
    return sid === null ? undefined : this.#load(this.#keyOfStored(sid), undefined);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const sid = await this.#redis.get(userCodeKey(this.#prefix, userCode));
    return sid === null ? undefined : this.#load(this.#keyOfStored(sid), undefined);
  }

  /** A record by the id it is stored under (storageId), e.g. from an account index. */
  findStored(sid: string): Promise<AdapterPayload | undefined> {
    return this.#load(this.#keyOfStored(sid), undefined);
  }

  async consume(id: string): Promise<void> {
    const key = recordKey(this.#prefix, this.#model, id);
    const tombstone = this.#model === 'RefreshToken';
    // One atomic step on the record: of many concurrent consumes exactly one gets status 1.
    const [status, grantId] = await this.#redis.latchkeyConsume(
      key,
      Math.floor(Date.now() / 1000),
      tombstone ? '1' : '0',
    );
    if (status === 1) {
      if (tombstone && grantId !== '') {
        // The tombstone leaves its grant's index (it is in another slot on a cluster). Not waited
        // for: a tombstone still listed there is harmless (revoking the grant deletes it too) and
        // lapses with its expiry, so a refresh costs no further round trip.
        this.#redis
          .latchkeyIndexRemove(grantIndexKey(this.#prefix, grantId), Date.now(), key)
          .catch(() => {});
      }
      return;
    }
    if (status === 0) throw notConsumable(this.#model);
    if (this.#model === 'PushedAuthorizationRequest') throw notConsumable(this.#model);
    await this.#consumedFirst?.();
    // What the library does when it sees a replay: revoke every token of the grant and the grant.
    if (grantId !== '') await revokeGrant(this.#redis, this.#prefix, grantId);
    throw new AlreadyConsumed(this.#model, grantId === '' ? undefined : grantId);
  }

  async destroy(id: string): Promise<void> {
    await this.destroyStored(storageId(this.#prefix, this.#model, id));
  }

  /** Destroys a record by the id it is stored under (storageId), e.g. from an account index. */
  async destroyStored(sid: string): Promise<void> {
    await deleteRecord(this.#redis, this.#prefix, this.#model, sid);
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return revokeByGrantId(this.#redis, this.#prefix, grantId);
  }
}

/**
 * Models whose records are in no index (no grant, session, uid or user code) and never consumed:
 * written with one SET instead of the upsert script (machine tokens, the busiest of them).
 */
const PLAIN_MODELS: ReadonlySet<string> = new Set(['ClientCredentials']);

/** Models whose records may be stored as a string: plain models, and refresh-token tombstones. */
const STRING_MODELS: ReadonlySet<string> = new Set([...PLAIN_MODELS, 'RefreshToken']);

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The factory oidc-provider calls once per model name. */
export function redisAdapterFactory(options: RedisAdapterOptions): (model: string) => Adapter {
  return (model: string) => new RedisAdapter(model, options);
}
