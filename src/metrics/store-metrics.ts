// Times every Redis command and Postgres query, and reports the Postgres pool's state, by
// wrapping the clients the app was given (ioredis and pg have no timing hooks of their own).

import type { DataSource } from 'typeorm';
import type { RedisClient } from '../db/redis.ts';
import type { Metrics, PoolState } from './metrics.ts';

interface SentCommand {
  name: string;
  promise: Promise<unknown>;
}

/** Times each command sent on `redis` (pipelines and scripts included). */
export function timeRedisCommands(redis: RedisClient, metrics: Metrics): void {
  // ioredis sends every command, including pipelined and scripted ones, through this method (a
  // cluster client through its own, once per command, whichever node it goes to).
  const target = redis as { sendCommand: (...args: unknown[]) => unknown };
  const send = target.sendCommand;
  target.sendCommand = function (this: RedisClient, ...args: unknown[]) {
    const command = args[0] as unknown as SentCommand;
    const started = performance.now();
    const result = send.apply(this, args);
    const done = (failed: boolean) => () =>
      metrics.redisCommand(command.name, failed, (performance.now() - started) / 1000);
    command.promise.then(done(false), done(true));
    return result;
  };
}

const OPERATIONS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'with',
  'start',
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'release',
  'set',
  'lock',
  'create',
  'alter',
  'drop',
]);

/** The statement's first word when it is a known one: never any of its values. */
export function operationOf(text: unknown): string {
  if (typeof text !== 'string') return 'other';
  const word = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toLowerCase() ?? '';
  return OPERATIONS.has(word) ? word : 'other';
}

type Query = (...args: unknown[]) => unknown;
interface PgClient {
  query: Query;
}
interface PgPool extends PoolState {
  options?: { max?: number };
  on(event: 'acquire', listener: (client: PgClient) => void): unknown;
}

const TIMED = Symbol('latchkey.timed');

/** Times queries on every connection the TypeORM data source's pool hands out. */
export function timePostgresQueries(db: DataSource, metrics: Metrics): void {
  const pool = (db.driver as unknown as { master?: PgPool }).master;
  if (!pool) return;
  metrics.watchPool(
    () => ({
      totalCount: pool.totalCount,
      idleCount: pool.idleCount,
      waitingCount: pool.waitingCount,
    }),
    pool.options?.max ?? 10,
  );
  // Every checkout, so connections opened before this ran are timed too (each wrapped once).
  pool.on('acquire', (client) => {
    const marked = client as PgClient & { [TIMED]?: true };
    if (marked[TIMED]) return;
    marked[TIMED] = true;
    const query = client.query;
    client.query = function (this: PgClient, ...args: unknown[]) {
      const started = performance.now();
      const result = query.apply(this, args);
      // Only promise-returning calls are timed; streams and callbacks pass through untouched.
      if (result instanceof Promise) {
        const first = args[0];
        const text =
          typeof first === 'object' && first ? (first as { text?: unknown }).text : first;
        const done = (failed: boolean) => () =>
          metrics.postgresQuery(operationOf(text), failed, (performance.now() - started) / 1000);
        result.then(done(false), done(true));
      }
      return result;
    };
  });
}
