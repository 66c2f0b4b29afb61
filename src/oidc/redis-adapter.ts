// oidc-provider storage in Redis: one hash per record plus uid, user-code and grant indexes.
import type { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** Models whose records belong to a grant and go when the grant is revoked. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

// Shared Lua: drops the uid / user-code indexes of a record only while they still point at it.
const REMOVE_SECONDARY = `
local function remove_secondary(prefix, id, payload)
  if type(payload.uid) == 'string' then
    local k = prefix .. 'sessionUid:' .. payload.uid
    if redis.call('GET', k) == id then redis.call('DEL', k) end
  end
  if type(payload.userCode) == 'string' then
    local k = prefix .. 'userCode:' .. payload.userCode
    if redis.call('GET', k) == id then redis.call('DEL', k) end
  end
end
-- Drops lapsed members and lets the index expire with its longest-lived remaining member.
local function expire_grant(g, now)
  redis.call('ZREMRANGEBYSCORE', g, '-inf', '(' .. now)
  local last = redis.call('ZRANGE', g, -1, -1, 'WITHSCORES')
  if last[2] == nil then redis.call('DEL', g)
  elseif last[2] == 'inf' then redis.call('PERSIST', g)
  else redis.call('PEXPIREAT', g, last[2]) end
end
local function remove_from_grant(prefix, key, payload, grantable, now)
  if grantable == '1' and type(payload.grantId) == 'string' then
    local g = prefix .. 'grant:' .. payload.grantId
    redis.call('ZREM', g, key)
    expire_grant(g, now)
  end
end
`;

// KEYS[1] record; ARGV: prefix, id, payload, ttlMs (0 = none), isSession, grantable, nowMs
const UPSERT = `${REMOVE_SECONDARY}
local key, prefix, id, json, ttl = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local is_session, grantable, now = ARGV[5], ARGV[6], tonumber(ARGV[7])
local previous = redis.call('HGET', key, 'payload')
if previous then
  local old = cjson.decode(previous)
  remove_secondary(prefix, id, old)
  remove_from_grant(prefix, key, old, grantable, now)
end
redis.call('DEL', key)
redis.call('HSET', key, 'payload', json)
if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
local payload = cjson.decode(json)
local function index(k)
  if ttl > 0 then redis.call('SET', k, id, 'PX', ttl) else redis.call('SET', k, id) end
end
if is_session == '1' and type(payload.uid) == 'string' then index(prefix .. 'sessionUid:' .. payload.uid) end
if type(payload.userCode) == 'string' then index(prefix .. 'userCode:' .. payload.userCode) end
if grantable == '1' and type(payload.grantId) == 'string' then
  local g = prefix .. 'grant:' .. payload.grantId
  local score = 'inf'
  if ttl > 0 then score = tostring(now + ttl) end
  redis.call('ZADD', g, score, key)
  expire_grant(g, now)
end
return 1
`;

// KEYS[1] record; ARGV: prefix, id, grantable, nowMs
const DESTROY = `${REMOVE_SECONDARY}
local key, prefix, id, grantable, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local previous = redis.call('HGET', key, 'payload')
redis.call('DEL', key)
if previous then
  local old = cjson.decode(previous)
  remove_secondary(prefix, id, old)
  remove_from_grant(prefix, key, old, grantable, now)
end
return 1
`;

// KEYS[1] record; ARGV: epoch seconds. Never creates a record that expired or never existed.
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'consumed', ARGV[1]) end
return 1
`;

// KEYS[1] grant index; ARGV: prefix
const REVOKE_GRANT = `${REMOVE_SECONDARY}
local grant, prefix = KEYS[1], ARGV[1]
for _, key in ipairs(redis.call('ZRANGE', grant, 0, -1)) do
  local previous = redis.call('HGET', key, 'payload')
  redis.call('DEL', key)
  if previous then
    local old = cjson.decode(previous)
    local id = old.jti
    if type(id) ~= 'string' then id = string.match(string.sub(key, #prefix + 1), '^[^:]+:(.*)$') end
    remove_secondary(prefix, id, old)
  end
end
redis.call('DEL', grant)
return 1
`;

type Scripted = Redis & {
  latchkeyUpsert(key: string, ...args: (string | number)[]): Promise<number>;
  latchkeyDestroy(key: string, ...args: (string | number)[]): Promise<number>;
  latchkeyConsume(key: string, epoch: number): Promise<number>;
  latchkeyRevokeGrant(key: string, prefix: string): Promise<number>;
};

function withScripts(redis: Redis): Scripted {
  const scripted = redis as Scripted;
  if (typeof scripted.latchkeyUpsert !== 'function') {
    redis.defineCommand('latchkeyUpsert', { numberOfKeys: 1, lua: UPSERT });
    redis.defineCommand('latchkeyDestroy', { numberOfKeys: 1, lua: DESTROY });
    redis.defineCommand('latchkeyConsume', { numberOfKeys: 1, lua: CONSUME });
    redis.defineCommand('latchkeyRevokeGrant', { numberOfKeys: 1, lua: REVOKE_GRANT });
  }
  return scripted;
}

export interface RedisAdapterOptions {
  redis: Redis;
  /** Prepended to every key, e.g. "latchkey:". */
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

  #key(id: string): string {
    return `${this.#prefix}${this.#model}:${id}`;
  }

  #grantable(): string {
    return GRANTABLE.has(this.#model) ? '1' : '0';
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const ttlMs =
      typeof expiresIn === 'number' && expiresIn > 0 ? (expiresIn + this.#tolerance) * 1000 : 0;
    await this.#redis.latchkeyUpsert(
      this.#key(id),
      this.#prefix,
      id,
      JSON.stringify(payload),
      ttlMs,
      this.#model === 'Session' ? '1' : '0',
      this.#grantable(),
      Date.now(),
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    // Clients are configured statically; dynamic registration is off.
    if (this.#model === 'Client') return undefined;
    const record = await this.#redis.hgetall(this.#key(id));
    if (record.payload === undefined) return undefined;
    const payload = JSON.parse(record.payload) as AdapterPayload;
    if (record.consumed !== undefined) payload.consumed = Number(record.consumed);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(`${this.#prefix}sessionUid:${uid}`);
    return id === null ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(`${this.#prefix}userCode:${userCode}`);
    return id === null ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    await this.#redis.latchkeyConsume(this.#key(id), Math.floor(Date.now() / 1000));
  }

  async destroy(id: string): Promise<void> {
    await this.#redis.latchkeyDestroy(
      this.#key(id),
      this.#prefix,
      id,
      this.#grantable(),
      Date.now(),
    );
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#redis.latchkeyRevokeGrant(`${this.#prefix}grant:${grantId}`, this.#prefix);
  }
}

/** The factory oidc-provider calls once per model name. */
export function redisAdapterFactory(options: RedisAdapterOptions): (model: string) => Adapter {
  return (model: string) => new RedisAdapter(model, options);
}
