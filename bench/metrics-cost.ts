// What recording metrics costs the server, in CPU per operation, measured in this process without
// the noise of a full HTTP run: a request counted and timed, a Redis command and a Postgres query
// timed (each against the same call to a stand-in that answers at once, without metrics), a token
// counted, and a scrape.
//
// Usage
//   node bench/metrics-cost.ts [--n 20000]
//
// The end-to-end comparison is `npm run bench -- --flows client-credentials` against the same run
// with `--server-env METRICS_TOKEN=<32+ characters>`; on a busy machine its noise is larger than
// this cost.
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import type { Context } from 'koa';
import type { DataSource } from 'typeorm';
import { requestMetrics } from '../src/metrics/http-metrics.ts';
import { PrometheusMetrics } from '../src/metrics/prometheus.ts';
import { timePostgresQueries, timeRedisCommands } from '../src/metrics/store-metrics.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const n = Number(values.n);

/** CPU time of this process (user + system) per call of `work`, in microseconds. */
async function cpuPerCall(calls: number, work: (i: number) => unknown): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await work(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

/** The median of `runs` measurements, each after the same warm-up. */
async function median(runs: number, measure: () => Promise<number>): Promise<number> {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) results.push(await measure());
  return results.sort((a, b) => a - b)[Math.floor(runs / 2)] as number;
}

const metrics = new PrometheusMetrics();
const fixed = ['/token', '/token/introspection', '/jwks', '/authorize'];
const middleware = requestMetrics(metrics, fixed);
const ctx = () => ({ path: '/token', method: 'POST', status: 200 }) as unknown as Context;
const next = async () => {};

/**
 * Stand-ins that answer at once, so the difference between a plain and a timed one is the timing
 * alone, not a network round trip whose noise is larger than it.
 */
function fakeRedis() {
  return {
    sendCommand: (command: { name: string; promise: Promise<unknown> }) => command.promise,
  };
}
const command = () => ({ name: 'get', promise: Promise.resolve('v') });
function fakePool() {
  const pool = Object.assign(new EventEmitter(), {
    totalCount: 1,
    idleCount: 1,
    waitingCount: 0,
    options: { max: 10 },
  });
  const client = { query: (_text: string, _values: unknown[]) => Promise.resolve({ rows: [] }) };
  return { pool, client };
}

const plainRedis = fakeRedis();
const timedRedis = fakeRedis();
timeRedisCommands(timedRedis as unknown as Redis, metrics);
const plainPg = fakePool();
const timedPg = fakePool();
timePostgresQueries({ driver: { master: timedPg.pool } } as unknown as DataSource, metrics);
timedPg.pool.emit('acquire', timedPg.client);
const sql = 'SELECT "a"."id" FROM "accounts" "a" WHERE "a"."id" = $1';

// Warm-up: JIT, label children.
for (const work of [
  () => middleware(ctx(), next),
  () => next(),
  () => plainRedis.sendCommand(command()),
  () => timedRedis.sendCommand(command()),
  () => plainPg.client.query(sql, [1]),
  () => timedPg.client.query(sql, [1]),
]) {
  await cpuPerCall(5000, work);
}

const bare = await median(5, () => cpuPerCall(n, () => next()));
const counted = await median(5, () => cpuPerCall(n, () => middleware(ctx(), next)));
const redisPlain = await median(5, () => cpuPerCall(n, () => plainRedis.sendCommand(command())));
const redisTimed = await median(5, () => cpuPerCall(n, () => timedRedis.sendCommand(command())));
const pgPlain = await median(5, () => cpuPerCall(n, () => plainPg.client.query(sql, [1])));
const pgTimed = await median(5, () => cpuPerCall(n, () => timedPg.client.query(sql, [1])));
const token = await median(5, () => cpuPerCall(n, () => metrics.tokenIssued('client_credentials')));
const scrape = await median(5, () => cpuPerCall(50, () => metrics.exposition()));

const request = counted - bare;
const redis = redisTimed - redisPlain;
const postgres = pgTimed - pgPlain;
console.log(`Node ${process.version}; medians of 5 runs of ${n}; CPU added per operation`);
console.log(`request counted and timed:  ${request.toFixed(2)} µs`);
console.log(`Redis command timed:        ${redis.toFixed(2)} µs`);
console.log(`Postgres query timed:       ${postgres.toFixed(2)} µs`);
console.log(`token counted:              ${token.toFixed(2)} µs`);
console.log(`scrape (${scrapeSize()} metrics):    ${(scrape / 1000).toFixed(2)} ms`);
// A client-credentials token: one request, one token, and its Redis commands.
for (const commands of [1, 3]) {
  const perToken = request + token + commands * redis;
  console.log(
    `client-credentials token:   ${perToken.toFixed(1)} µs with ${commands} Redis command(s)`,
  );
}

function scrapeSize(): number {
  return metrics.registry.getMetricsAsArray().length;
}
