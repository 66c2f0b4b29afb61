// oidc-provider storage in Redis: one hash per record plus uid, user-code, grant and account indexes.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';

/** Models whose records belong to a grant and go when the grant is revoked. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * Models whose id is a bearer secret (a token, a code, the session cookie): their records are
 * stored under a hash of the id and the id is left out of the stored payload, so a copy of Redis
 * holds no usable token. Interactions, grants and DPoP replay entries keep their ids: none of them
 * lets anyone act without a cookie, a token or client credentials.
 */
export const HASHED_MODELS: ReadonlySet<string> = new Set([
  ...GRANTABLE,
  'Session',
  'ClientCredentials',
  'PushedAuthorizationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

/** The part of a record key after the model name: a SHA-256 of the id for HASHED_MODELS. */
export function storageId(prefix: string, model: string, id: string): string {
  if (!HASHED_MODELS.has(model)) return id;
  return createHash('sha256').update(`${prefix}${model}:${id}`).digest('base64url');
}

export function recordKey(prefix: string, model: string, id: string): string {
  return `${prefix}${model}:${storageId(prefix, model, id)}`;
}

/** Device-flow user codes are typed by people and guessable from a dump unless hashed too. */
export function userCodeKey(prefix: string, userCode: string): string {
  const hash = createHash('sha256').update(`${prefix}userCode:${userCode}`).digest('base64url');
  return `${prefix}userCode:${hash}`;
}

export function grantIndexKey(prefix: string, grantId: string): string {
  return `${prefix}grant:${grantId}`;
}

/** Per-account sorted sets of session storage ids and grant ids, scored by expiry (ms). */
export function accountIndexKey(
  prefix: string,
  accountId: string,
  kind: 'sessions' | 'grants',
): string {
  return `${prefix}account:${accountId}:${kind}`;
}

/**
 * What the refresh-token grant reads from a consumed token before it revokes the grant on reuse:
 * the client, expiry, grant, account (its findAccount must succeed), the scope (a narrower scope
 * request is checked first) and any sender binding. Everything else goes when a token is consumed.
 */
const TOMBSTONE_FIELDS = [
  'exp',
  'clientId',
  'grantId',
  'accountId',
  'scope',
  'jkt',
  'x5t#S256',
  'attestationJkt',
];

// Shared Lua. A record is a hash of `payload` (JSON), `jti` ("1": the payload's jti is the record's
// id, left out), `consumed` (epoch seconds) and `userCode` (the key of its user-code index); a
// consumed refresh token is a tombstone, a plain string of JSON (a third of the memory of a hash).
const LIB = `
-- payload JSON and user-code index key of a record, whichever its shape; nil when there is none
local function read(key)
  local kind = redis.call('TYPE', key).ok
  if kind == 'hash' then
    local fields = redis.call('HMGET', key, 'payload', 'userCode')
    return fields[1], fields[2]
  end
  if kind == 'string' then return redis.call('GET', key), false end
  return nil, false
end
local function sid_of(prefix, key)
  return string.match(string.sub(key, #prefix + 1), '^[^:]+:(.*)$')
end
-- Drops lapsed members and lets the index expire with its longest-lived remaining member.
local function trim(k, now)
  redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. now)
  local last = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  if last[2] == nil then redis.call('DEL', k)
  elseif last[2] == 'inf' then redis.call('PERSIST', k)
  else redis.call('PEXPIREAT', k, last[2]) end
end
local function account_index(prefix, model, payload)
  if type(payload.accountId) ~= 'string' then return nil end
  if model == 'Session' then return prefix .. 'account:' .. payload.accountId .. ':sessions' end
  if model == 'Grant' then return prefix .. 'account:' .. payload.accountId .. ':grants' end
  return nil
end
-- Drops the uid / user-code indexes of a record only while they still point at it.
local function remove_secondary(prefix, sid, payload, user_code_key)
  if type(payload.uid) == 'string' then
    local k = prefix .. 'sessionUid:' .. payload.uid
    if redis.call('GET', k) == sid then redis.call('DEL', k) end
  end
  if user_code_key then
    if redis.call('GET', user_code_key) == sid then redis.call('DEL', user_code_key) end
  end
end
local function remove_from_grant(prefix, key, payload, grantable, now)
  if grantable == '1' and type(payload.grantId) == 'string' then
    local g = prefix .. 'grant:' .. payload.grantId
    redis.call('ZREM', g, key)
    trim(g, now)
  end
end
local function unlink(prefix, key, sid, model, grantable, now, payload, user_code_key)
  remove_secondary(prefix, sid, payload, user_code_key)
  remove_from_grant(prefix, key, payload, grantable, now)
  local a = account_index(prefix, model, payload)
  if a then
    redis.call('ZREM', a, sid)
    trim(a, now)
  end
end
`;

// KEYS[1] record; ARGV: prefix, sid, payload, ttlMs (0 = none), model, grantable, nowMs,
// jtiIsId ("1"/"0"), userCodeKey ("" = none)
const UPSERT = `${LIB}
local key, prefix, sid, json = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local ttl, model, grantable, now = tonumber(ARGV[4]), ARGV[5], ARGV[6], tonumber(ARGV[7])
local jti_is_id, uc_key = ARGV[8], ARGV[9]
local previous, previous_uc = read(key)
if previous then
  unlink(prefix, key, sid, model, grantable, now, cjson.decode(previous), previous_uc)
end
redis.call('DEL', key)
redis.call('HSET', key, 'payload', json)
if jti_is_id == '1' then redis.call('HSET', key, 'jti', '1') end
if uc_key ~= '' then redis.call('HSET', key, 'userCode', uc_key) end
if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
local payload = cjson.decode(json)
local expiry = 'inf'
if ttl > 0 then expiry = tostring(now + ttl) end
local function index(k)
  if ttl > 0 then redis.call('SET', k, sid, 'PX', ttl) else redis.call('SET', k, sid) end
end
if model == 'Session' and type(payload.uid) == 'string' then index(prefix .. 'sessionUid:' .. payload.uid) end
if uc_key ~= '' then index(uc_key) end
if grantable == '1' and type(payload.grantId) == 'string' then
  local g = prefix .. 'grant:' .. payload.grantId
  redis.call('ZADD', g, expiry, key)
  trim(g, now)
end
local a = account_index(prefix, model, payload)
if a then
  redis.call('ZADD', a, expiry, sid)
  trim(a, now)
end
return 1
`;

// KEYS[1] record; ARGV: prefix, model, grantable, nowMs
const DESTROY = `${LIB}
local key, prefix, model, grantable, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local previous, previous_uc = read(key)
redis.call('DEL', key)
if previous then
  unlink(prefix, key, sid_of(prefix, key), model, grantable, now, cjson.decode(previous), previous_uc)
end
return 1
`;

// KEYS[1] record. Returns {payload, consumed, jtiIsId}; a tombstone carries consumed in its payload.
const LOAD = `
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'hash' then return redis.call('HMGET', KEYS[1], 'payload', 'consumed', 'jti') end
if kind == 'string' then return {redis.call('GET', KEYS[1]), false, '1'} end
return {}
`;

// KEYS[1] record; ARGV: prefix, epoch seconds, grantable, nowMs, tombstone ("1"/"0").
// Returns {1, grantId} when this call consumed the record, {-1, grantId} when it already was,
// {0, ""} when there is no record. A tombstone keeps only what reuse detection reads, keeps the
// record's expiry and leaves the grant index: revoking the grant does not need it, its grantId
// leads there.
const CONSUME = `${LIB}
local key, prefix, epoch = KEYS[1], ARGV[1], ARGV[2]
local grantable, now, tombstone = ARGV[3], tonumber(ARGV[4]), ARGV[5]
local kind = redis.call('TYPE', key).ok
if kind ~= 'hash' and kind ~= 'string' then return {0, ''} end
local json, _ = read(key)
local payload = cjson.decode(json)
local grant = ''
if type(payload.grantId) == 'string' then grant = payload.grantId end
if kind == 'string' or redis.call('HEXISTS', key, 'consumed') == 1 then return {-1, grant} end
if tombstone == '1' then
  local kept = {consumed = tonumber(epoch)}
  for _, field in ipairs({${TOMBSTONE_FIELDS.map((f) => `'${f}'`).join(', ')}}) do
    kept[field] = payload[field]
  end
  if payload.expiresWithSession == true then
    kept.expiresWithSession = true
    kept.sessionUid = payload.sessionUid
  end
  remove_from_grant(prefix, key, payload, grantable, now)
  local ttl = redis.call('PTTL', key)
  redis.call('DEL', key)
  if ttl > 0 then
    redis.call('SET', key, cjson.encode(kept), 'PX', ttl)
  else
    redis.call('SET', key, cjson.encode(kept))
  end
  return {1, grant}
end
redis.call('HSET', key, 'consumed', epoch)
return {1, grant}
`;

// KEYS[1] grant index; ARGV: prefix, batch size. Removes up to a batch of members and their records.
const REVOKE_BATCH = `${LIB}
local grant, prefix = KEYS[1], ARGV[1]
local popped = redis.call('ZPOPMIN', grant, tonumber(ARGV[2]))
for i = 1, #popped, 2 do
  local key = popped[i]
  local previous, previous_uc = read(key)
  redis.call('DEL', key)
  if previous then
    remove_secondary(prefix, sid_of(prefix, key), cjson.decode(previous), previous_uc)
  end
end
return #popped / 2
`;

/** Members removed per script run, so revoking a huge grant never blocks Redis for long. */
export const REVOKE_BATCH_SIZE = 100;

type Scripted = Redis & {
  latchkeyUpsert(key: string, ...args: (string | number)[]): Promise<number>;
  latchkeyDestroy(key: string, ...args: (string | number)[]): Promise<number>;
  latchkeyLoad(key: string): Promise<(string | null)[]>;
  latchkeyConsume(key: string, ...args: (string | number)[]): Promise<[number, string]>;
  latchkeyRevokeBatch(key: string, prefix: string, batch: number): Promise<number>;
};

function withScripts(redis: Redis): Scripted {
  const scripted = redis as Scripted;
  if (typeof scripted.latchkeyRevokeBatch !== 'function') {
    redis.defineCommand('latchkeyUpsert', { numberOfKeys: 1, lua: UPSERT });
    redis.defineCommand('latchkeyDestroy', { numberOfKeys: 1, lua: DESTROY });
    redis.defineCommand('latchkeyLoad', { numberOfKeys: 1, lua: LOAD });
    redis.defineCommand('latchkeyConsume', { numberOfKeys: 1, lua: CONSUME });
    redis.defineCommand('latchkeyRevokeBatch', { numberOfKeys: 1, lua: REVOKE_BATCH });
  }
  return scripted;
}

const CONSUMED_LABEL: Record<string, string> = {
  AuthorizationCode: 'authorization code already consumed',
  RefreshToken: 'refresh token already used',
  DeviceCode: 'device code already consumed',
  BackchannelAuthenticationRequest: 'backchannel authentication request already consumed',
  PreAuthorizedCode: 'pre-authorized code already consumed',
};

/**
 * A second redemption of a code or refresh token that lost the race to a concurrent one. The
 * library only sees `consumed` on records it loads after the winner consumed them; a request that
 * loaded the record earlier is stopped here, with the grant already revoked as on any replay.
 */
export class AlreadyConsumed extends errors.InvalidGrant {
  readonly grantId: string | undefined;

  constructor(model: string, grantId: string | undefined) {
    super(CONSUMED_LABEL[model] ?? 'grant source already consumed');
    this.grantId = grantId;
  }
}

function notConsumable(model: string): Error {
  // The record expired or its grant was revoked between the library's find and its consume.
  if (model === 'PushedAuthorizationRequest') {
    return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  }
  return new errors.InvalidGrant('grant source no longer exists');
}

export interface RedisAdapterOptions {
  redis: Redis;
  /** Prepended to every key, e.g. "latchkey:oidc:". */
  prefix: string;
  /** Seconds records outlive their TTL, matching the provider's clockTolerance. */
  clockTolerance?: number;
}

export class RedisAdapter implements Adapter {
  readonly #model: string;
  readonly #redis: Scripted;
  readonly #prefix: string;
  readonly #tolerance: number;

  constructor(model: string, options: RedisAdapterOptions) {
    this.#model = model;
    this.#redis = withScripts(options.redis);
    this.#prefix = options.prefix;
    this.#tolerance = options.clockTolerance ?? 0;
  }

  #grantable(): string {
    return GRANTABLE.has(this.#model) ? '1' : '0';
  }

  #keyOfStored(sid: string): string {
    return `${this.#prefix}${this.#model}:${sid}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const ttlMs =
      typeof expiresIn === 'number' && expiresIn > 0 ? (expiresIn + this.#tolerance) * 1000 : 0;
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
    await this.#redis.latchkeyUpsert(
      recordKey(this.#prefix, this.#model, id),
      this.#prefix,
      storageId(this.#prefix, this.#model, id),
      JSON.stringify(stored),
      ttlMs,
      this.#model,
      this.#grantable(),
      Date.now(),
      jtiIsId ? '1' : '0',
      typeof payload.userCode === 'string' ? userCodeKey(this.#prefix, payload.userCode) : '',
    );
  }

  async #load(key: string, id: string | undefined): Promise<AdapterPayload | undefined> {
    const [json, consumed, jtiIsId] = await this.#redis.latchkeyLoad(key);
    if (json === null || json === undefined) return undefined;
    const payload = JSON.parse(json) as AdapterPayload;
    if (jtiIsId === '1' && id !== undefined) payload.jti = id;
    if (consumed !== null && consumed !== undefined) payload.consumed = Number(consumed);
    return payload;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    // Clients are configured statically; dynamic registration is off.
    if (this.#model === 'Client') return undefined;
    return this.#load(recordKey(this.#prefix, this.#model, id), id);
  }

  /** A session found by uid comes without its id: only a hash of the cookie value is stored. */
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const sid = await this.#redis.get(`${this.#prefix}sessionUid:${uid}`);
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
    const [status, grantId] = await this.#redis.latchkeyConsume(
      recordKey(this.#prefix, this.#model, id),
      this.#prefix,
      Math.floor(Date.now() / 1000),
      this.#grantable(),
      Date.now(),
      this.#model === 'RefreshToken' ? '1' : '0',
    );
    if (status === 1) return;
    if (status === 0) throw notConsumable(this.#model);
    if (this.#model === 'PushedAuthorizationRequest') throw notConsumable(this.#model);
    // What the library does when it sees a replay: revoke every token of the grant and the grant.
    if (grantId !== '') await this.#revokeGrant(grantId);
    throw new AlreadyConsumed(this.#model, grantId === '' ? undefined : grantId);
  }

  async #revokeGrant(grantId: string): Promise<void> {
    await this.revokeByGrantId(grantId);
    await this.#redis.latchkeyDestroy(
      `${this.#prefix}Grant:${grantId}`,
      this.#prefix,
      'Grant',
      '0',
      Date.now(),
    );
  }

  async destroy(id: string): Promise<void> {
    await this.destroyStored(storageId(this.#prefix, this.#model, id));
  }

  /** Destroys a record by the id it is stored under (storageId), e.g. from an account index. */
  async destroyStored(sid: string): Promise<void> {
    await this.#redis.latchkeyDestroy(
      this.#keyOfStored(sid),
      this.#prefix,
      this.#model,
      this.#grantable(),
      Date.now(),
    );
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const index = grantIndexKey(this.#prefix, grantId);
    let removed: number;
    do {
      removed = await this.#redis.latchkeyRevokeBatch(index, this.#prefix, REVOKE_BATCH_SIZE);
    } while (removed === REVOKE_BATCH_SIZE);
  }
}

/** The factory oidc-provider calls once per model name. */
export function redisAdapterFactory(options: RedisAdapterOptions): (model: string) => Adapter {
  return (model: string) => new RedisAdapter(model, options);
}
