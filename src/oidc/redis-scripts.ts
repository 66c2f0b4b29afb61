// The Lua scripts that keep a record and its indexes consistent, and the commands they become on an
// ioredis client. Every key a script touches comes in KEYS and every script touches one hash slot
// of a Redis Cluster: a record and its metadata hash (redis-keys.ts metaKey shares its slot), or a
// single index. What spans slots is ordered by the adapter (redis-adapter.ts, DESIGN.md "Redis
// layout").
import type { RedisClient } from '../db/redis.ts';

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
const READ = `
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
-- What the indexes of a record are derived from: { grantId, accountId, uid, user-code key }.
local function links(json, user_code_key)
  if not json then return {} end
  local payload = cjson.decode(json)
  local function text(v) if type(v) == 'string' then return v end return '' end
  return { text(payload.grantId), text(payload.accountId), text(payload.uid), user_code_key or '' }
end
`;

const TRIM = `
-- Drops lapsed members and lets the index expire with its longest-lived remaining member.
local function trim(k, now)
  redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. now)
  local last = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  if last[2] == nil then redis.call('DEL', k)
  elseif last[2] == 'inf' then redis.call('PERSIST', k)
  else redis.call('PEXPIREAT', k, last[2]) end
end
`;

// Writes a record (KEYS of its slot: the record, and its metadata hash for sessions and grants);
// returns the links of the record it replaced ({} when there was none), so the adapter can drop
// index entries that no longer apply.
const WRITE = `
local function write_record(key, meta, json, ttl, jti_is_id, uc_key)
  local previous, previous_uc = read(key)
  redis.call('DEL', key)
  redis.call('HSET', key, 'payload', json)
  if jti_is_id == '1' then redis.call('HSET', key, 'jti', '1') end
  if uc_key ~= '' then redis.call('HSET', key, 'userCode', uc_key) end
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
  if meta then
    if ttl > 0 then redis.call('PEXPIRE', meta, ttl) else redis.call('PERSIST', meta) end
  end
  return links(previous, previous_uc)
end
`;

// KEYS[1] record, KEYS[2] its metadata hash (sessions and grants only); ARGV: payload, ttlMs
// (0 = none), jtiIsId ("1"/"0"), userCodeKey ("" = none).
const WRITE_RECORD = `${READ}${WRITE}
return write_record(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4])
`;

// One server only (standalone or Sentinel: its two keys are in different slots of a cluster): a
// token's grant index entry, then the token, in one step. KEYS[1] record, KEYS[2] grant index;
// ARGV: payload, ttlMs, jtiIsId, userCodeKey, nowMs, expiry (ms or "inf"), index member.
const WRITE_GRANT_RECORD = `${READ}${TRIM}${WRITE}
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
trim(KEYS[2], tonumber(ARGV[5]))
return write_record(KEYS[1], nil, ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4])
`;

// KEYS[1] record, KEYS[2] its metadata hash (optional). Deletes both; returns the record's links.
const DELETE_RECORD = `${READ}
local previous, previous_uc = read(KEYS[1])
redis.call('DEL', unpack(KEYS))
return links(previous, previous_uc)
`;

// KEYS[1] record. Returns {payload, consumed, jtiIsId}; a tombstone carries consumed in its payload.
const LOAD = `
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'hash' then return redis.call('HMGET', KEYS[1], 'payload', 'consumed', 'jti') end
if kind == 'string' then return {redis.call('GET', KEYS[1]), false, '1'} end
return {}
`;

// KEYS[1] record; ARGV: epoch seconds, tombstone ("1"/"0").
// Returns {1, grantId} when this call consumed the record, {-1, grantId} when it already was,
// {0, ""} when there is no record. A tombstone keeps only what reuse detection reads and keeps the
// record's expiry; the adapter then takes it out of its grant index (revoking the grant does not
// need it there: its grantId leads to the grant).
const CONSUME = `${READ}
local key, epoch, tombstone = KEYS[1], ARGV[1], ARGV[2]
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

// KEYS[1] a sorted-set index (a grant's records, an account's sessions or grants); ARGV: nowMs,
// expiry (ms or "inf"), member. Adds or moves the member, then trims.
const INDEX_ADD = `${TRIM}
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
trim(KEYS[1], tonumber(ARGV[1]))
return 1
`;

// KEYS[1] a sorted-set index; ARGV: nowMs, members. Removes them, then trims.
const INDEX_REMOVE = `${TRIM}
redis.call('ZREM', KEYS[1], unpack(ARGV, 2))
trim(KEYS[1], tonumber(ARGV[1]))
return 1
`;

// KEYS[1] a uid or user-code index; ARGV: the storage id. Deleted only while it still points there.
const POINTER_DROP = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/** A record's links as the scripts return them: empty strings for what it does not have. */
export type Links = [grantId: string, accountId: string, uid: string, userCodeKey: string] | [];

export type Scripted = RedisClient & {
  latchkeyWriteRecord(keys: number, ...keysThenArgs: (string | number)[]): Promise<Links>;
  latchkeyWriteGrantRecord(
    record: string,
    index: string,
    json: string,
    ttlMs: number,
    jtiIsId: string,
    userCodeKey: string,
    now: number,
    expiry: string,
    member: string,
  ): Promise<Links>;
  latchkeyDeleteRecord(keys: number, ...keysThenArgs: string[]): Promise<Links>;
  latchkeyLoad(key: string): Promise<(string | null)[]>;
  latchkeyConsume(key: string, epoch: number, tombstone: string): Promise<[number, string]>;
  latchkeyIndexAdd(key: string, now: number, expiry: string, member: string): Promise<number>;
  latchkeyIndexRemove(key: string, now: number, ...members: string[]): Promise<number>;
  latchkeyPointerDrop(key: string, sid: string): Promise<number>;
};

/** The client with the scripts defined as commands (once per client). */
export function withScripts(redis: RedisClient): Scripted {
  const scripted = redis as Scripted;
  if (typeof scripted.latchkeyPointerDrop !== 'function') {
    redis.defineCommand('latchkeyWriteRecord', { lua: WRITE_RECORD });
    redis.defineCommand('latchkeyWriteGrantRecord', { numberOfKeys: 2, lua: WRITE_GRANT_RECORD });
    redis.defineCommand('latchkeyDeleteRecord', { lua: DELETE_RECORD });
    redis.defineCommand('latchkeyLoad', { numberOfKeys: 1, lua: LOAD });
    redis.defineCommand('latchkeyConsume', { numberOfKeys: 1, lua: CONSUME });
    redis.defineCommand('latchkeyIndexAdd', { numberOfKeys: 1, lua: INDEX_ADD });
    redis.defineCommand('latchkeyIndexRemove', { numberOfKeys: 1, lua: INDEX_REMOVE });
    redis.defineCommand('latchkeyPointerDrop', { numberOfKeys: 1, lua: POINTER_DROP });
  }
  return scripted;
}
