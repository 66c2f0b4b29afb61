// Redis connections (ioredis: one server, a Redis Cluster or a primary found through Sentinel) and
// the fixed-window attempt counters used for throttling.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { AttemptCounter, Counter, TakeResult } from '../accounts/login-throttle.ts';
import type { RedisTarget } from './redis-target.ts';

export const REDIS_COMMAND_TIMEOUT_MS = 2000;

/** A connection to one server (standalone or through Sentinel) or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as Cluster).isCluster === true;
}

/** The primaries to run a keyspace-wide command (SCAN) on: every primary of a cluster, else itself. */
export function primaries(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/**
 * Connects a client made with lazy connect. A cluster client is ready once it knows the slots, but
 * refuses commands for a node whose connection is still being opened (no offline queue): so every
 * primary's connection is opened here, before the first request needs it.
 */
export async function connectRedis(redis: RedisClient): Promise<void> {
  if (!isCluster(redis)) return redis.connect();
  // "None of startup nodes is available" hides why; the error event before it says (a seed that
  // refuses the connection, or a server that is not a cluster node).
  let why: string | undefined;
  const seen = (error: Error & { lastNodeError?: Error }) => {
    why = error.lastNodeError?.message ?? error.message;
  };
  redis.on('error', seen);
  try {
    await redis.connect();
  } catch (error) {
    if (why === undefined) throw error;
    throw new Error(`${(error as Error).message} (${why})`, { cause: error });
  } finally {
    redis.off('error', seen);
  }
  const deadline = Date.now() + 5000;
  for (;;) {
    const nodes = redis.nodes('master');
    for (const node of nodes) if (node.status === 'wait') node.connect().catch(() => {});
    if (nodes.length > 0 && nodes.every((node) => node.status === 'ready')) return;
    if (Date.now() > deadline) {
      const waiting = nodes.filter((n) => n.status !== 'ready').map((n) => n.options.port);
      throw new Error(`cluster primaries not reachable (ports ${waiting.join(', ')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What every connection shares: fail fast while Redis is unreachable, reconnect by itself. */
const FAIL_FAST: RedisOptions = {
  // Commands in flight when the connection drops fail at once and are never sent again: a
  // script that consumes a code may already have run.
  maxRetriesPerRequest: 0,
  // A Redis that accepts connections but does not answer (stuck, paused): when a connection with
  // commands waiting has received nothing for this long, it is closed, its commands fail (never
  // sent again) and it reconnects. One timer per connection, not one per command.
  socketTimeout: REDIS_COMMAND_TIMEOUT_MS,
  connectTimeout: 5000,
};

/**
 * Commands written in the same turn of the event loop (a record and its index entries; under load,
 * the commands of every request handled in that turn) leave in one write: the connection is corked
 * at the turn's first write and uncorked when the turn's I/O callbacks are done (setImmediate).
 * Each command keeps its reply and its place on the connection. Cheaper than ioredis's automatic
 * pipelining, which builds a pipeline object per batch.
 */
function coalesceWrites(redis: Redis): Redis {
  redis.on('connect', () => {
    const stream = redis.stream as Redis['stream'] & { latchkeyCoalesced?: boolean };
    if (stream.latchkeyCoalesced) return;
    stream.latchkeyCoalesced = true;
    const write = stream.write;
    let corked = false;
    const flush = () => {
      corked = false;
      stream.uncork();
    };
    stream.write = function (this: typeof stream, ...args: Parameters<typeof write>) {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(flush);
      }
      return write.apply(this, args);
    } as typeof write;
  });
  return redis;
}
const reconnect = (attempt: number) => Math.min(attempt * 100, 1000);

/**
 * A client for REDIS_URL's target, with the same fail-fast behaviour as createRedis. A cluster
 * client follows MOVED/ASK redirections and a failover (the new primary is found by refreshing the
 * slots), but never sends a command again once it was written to a connection that then dropped.
 */
export function createRedisClient(
  target: RedisTarget,
  options: { lazy?: boolean } = {},
): RedisClient {
  const lazyConnect = options.lazy ?? true;
  switch (target.kind) {
    case 'standalone':
      return createRedis(target.url, options);
    case 'sentinel':
      return coalesceWrites(
        new Redis({
          ...FAIL_FAST,
          lazyConnect,
          enableOfflineQueue: false,
          retryStrategy: reconnect,
          sentinels: target.sentinels,
          name: target.name,
          role: 'master',
          db: target.db,
          ...(target.username === undefined ? {} : { username: target.username }),
          ...(target.password === undefined ? {} : { password: target.password }),
          ...(target.sentinelPassword === undefined
            ? {}
            : { sentinelPassword: target.sentinelPassword }),
          ...(target.tls ? { tls: {} } : {}),
          sentinelRetryStrategy: reconnect,
        }),
      );
    case 'cluster':
      return new Cluster(target.seeds, {
        lazyConnect,
        enableOfflineQueue: false,
        // MOVED, ASK, TRYAGAIN and CLUSTERDOWN answers mean the command did not run: follow them
        // (a failover or a resharding). A connection that closed with the command written to it
        // fails the command (0: not sent again), as on a single server.
        maxRedirections: 16,
        retryDelayOnFailover: 0,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        clusterRetryStrategy: reconnect,
        slotsRefreshTimeout: 2000,
        redisOptions: {
          ...FAIL_FAST,
          // A node that stops answering fails each command after the timeout and its connection
          // stays until the cluster's slot refresh names a new primary: the setting make
          // scale-test's failovers were first measured with (DESIGN.md, "Store outages").
          socketTimeout: undefined,
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
          ...(target.username === undefined ? {} : { username: target.username }),
          ...(target.password === undefined ? {} : { password: target.password }),
          ...(target.tls ? { tls: {} } : {}),
        },
      });
  }
}

/**
 * A client that fails fast while Redis is unreachable (callers answer 503) and reconnects by
 * itself. Call connect() before use: commands are never queued while there is no connection.
 */
export function createRedis(url: string, options: { lazy?: boolean } = {}): Redis {
  return coalesceWrites(
    new Redis(url, {
      ...FAIL_FAST,
      lazyConnect: options.lazy ?? true,
      // No queue while disconnected: a command is refused at once instead of waiting seconds.
      enableOfflineQueue: false,
      // Reconnect quickly: within a second of Redis coming back.
      retryStrategy: reconnect,
    }),
  );
}

// Checks every counter, then counts the attempt in all of them or in none, in one atomic step:
// requests in flight cannot all read "under the limit" before any of them is counted.
// KEYS: the counters; ARGV[1]: window in ms; ARGV[i + 1]: the limit of KEYS[i].
// Returns { 1, 0 } when counted, { 0, ms until the fullest counter's window ends, its index from
// 1 } when refused.
const TAKE = `
local wait = -1
local full = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[1])
      ttl = tonumber(ARGV[1])
    end
    if ttl > wait then
      wait = ttl
      full = i
    end
  end
end
if wait >= 0 then return { 0, wait, full } end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return { 1, 0 }
`;

// Takes back one counted attempt, never below zero and never creating a counter without expiry
// (DECR keeps the key's expiry; a counter whose window ended is left alone).
const GIVE_BACK = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0
`;

/** The scripts above as commands (sent by SHA, the source only when Redis does not know it). */
interface CounterCommands {
  latchkeyThrottleTake(
    numberOfKeys: number,
    ...keysThenArgs: string[]
  ): Promise<[number, number, number?]>;
  latchkeyThrottleGiveBack(numberOfKeys: number, ...keys: string[]): Promise<number>;
}

/**
 * Every counter's key carries the hash tag {throttle}, so the counters one attempt is counted in
 * (an account and an address, say) are always in one slot of a Redis Cluster and the script above
 * stays one atomic step. The price: all counters live on one shard, which sign-in attempts are far
 * from filling.
 */
export const THROTTLE_TAG = '{throttle}:';

export class RedisAttemptCounter implements AttemptCounter {
  readonly #redis: RedisClient & CounterCommands;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    redis.defineCommand('latchkeyThrottleTake', { lua: TAKE });
    redis.defineCommand('latchkeyThrottleGiveBack', { lua: GIVE_BACK });
    this.#redis = redis as RedisClient & CounterCommands;
    this.#prefix = prefix + THROTTLE_TAG;
  }

  async take(counters: readonly Counter[], windowSeconds: number): Promise<TakeResult> {
    const keys = counters.map((c) => this.#prefix + c.key);
    const limits = counters.map((c) => String(c.limit));
    const [counted, waitMs, full = 1] = await this.#redis.latchkeyThrottleTake(
      keys.length,
      ...keys,
      String(windowSeconds * 1000),
      ...limits,
    );
    return counted === 1
      ? { counted: true }
      : { counted: false, retryAfterMs: waitMs, refusedBy: full - 1 };
  }

  async giveBack(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#redis.latchkeyThrottleGiveBack(keys.length, ...keys.map((k) => this.#prefix + k));
  }

  async reset(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }
}
