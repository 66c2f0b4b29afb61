// The Lua scripts that keep a record and its indexes consistent in one atomic step each, and the
// commands they become on an ioredis client.
import type { Redis } from 'ioredis';

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
-- The metadata hash of a session or grant (redis-keys.ts metaKey); nil for other models.
local function meta_key(prefix, model, sid)
  if model == 'Session' or model == 'Grant' then return prefix .. 'meta:' .. model .. ':' .. sid end
  return nil
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
local m = meta_key(prefix, model, sid)
if m then
  if ttl > 0 then redis.call('PEXPIRE', m, ttl) else redis.call('PERSIST', m) end
end
return 1
`;

// KEYS[1] record; ARGV: prefix, model, grantable, nowMs
const DESTROY = `${LIB}
local key, prefix, model, grantable, now = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local previous, previous_uc = read(key)
local sid = sid_of(prefix, key)
redis.call('DEL', key)
local m = meta_key(prefix, model, sid)
if m then redis.call('DEL', m) end
if previous then
  unlink(prefix, key, sid, model, grantable, now, cjson.decode(previous), previous_uc)
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

export type Scripted = Redis & {
  latchkeyUpsert(key: string, ...args: (string | number)[]): Promise<number>;
  latchkeyDestroy(key: string, ...args: (string | number)[]): Promise<number>;
  latchkeyLoad(key: string): Promise<(string | null)[]>;
  latchkeyConsume(key: string, ...args: (string | number)[]): Promise<[number, string]>;
  latchkeyRevokeBatch(key: string, prefix: string, batch: number): Promise<number>;
};

/** The client with the scripts defined as commands (once per client). */
export function withScripts(redis: Redis): Scripted {
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
