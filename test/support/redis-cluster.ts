// A Redis Cluster of its own for a test (scripts/redis-cluster.sh: 3 primaries, 3 replicas of
// Debian's redis-server on free loopback ports), stopped and removed by `stop`.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './process.ts';

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, 'scripts/redis-cluster.sh');

export interface LocalCluster {
  /** redis://127.0.0.1:P for each node. */
  seeds: string[];
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<LocalCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-cluster-'));
  const stop = async () => {
    await run('bash', [SCRIPT, 'stop', dir]);
  };
  try {
    const { stdout } = await run('bash', [SCRIPT, 'start', dir], { timeout: 60_000 });
    const seeds = stdout.trim().split(',');
    return { seeds, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
