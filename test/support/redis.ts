// The tests' Redis: TEST_REDIS_URL names one server or, as seeds separated by commas, a Redis
// Cluster (scripts/redis-cluster.sh starts one; the redis-cluster part of scripts/run-tests.sh
// runs the Redis-level suites against it). Key scans run on every primary of a cluster.
import {
  connectRedis,
  createRedisClient,
  primaries,
  type RedisClient,
} from '../../src/db/redis.ts';
import { readRedisTarget } from '../../src/db/redis-target.ts';
import { TEST_REDIS_URL } from './server-env.ts';

const target = readRedisTarget(TEST_REDIS_URL, false).target;

/** True when the tests run against a Redis Cluster. */
export const ON_CLUSTER = target.kind === 'cluster';

/** A connected client of the tests' Redis, with the server's fail-fast settings. */
export async function connectTestRedis(): Promise<RedisClient> {
  const client = createRedisClient(target);
  await connectRedis(client);
  return client;
}

/** Every key matching `pattern`, from every primary. */
export async function keysMatching(client: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of primaries(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return found;
}

/** Deletes every key matching `pattern` (one key per command: keys of a cluster span slots). */
export async function deleteMatching(client: RedisClient, pattern: string): Promise<void> {
  const keys = await keysMatching(client, pattern);
  await Promise.all(keys.map((key) => client.del(key)));
}
