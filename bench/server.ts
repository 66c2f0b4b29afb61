// The server process, when the bench owns it: started like the e2e server, memory and CPU from /proc.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { type ServerProcess, startServerProcess } from '../test/support/process.ts';
import { dropNamespace } from '../test/support/server.ts';
import {
  newKek,
  PRODUCTION_BCRYPT_COST,
  serverEnv,
  TEST_REDIS_URL,
  uniqueNamespace,
} from '../test/support/server-env.ts';
import { leftovers } from './interrupt.ts';
import type { ClientSettings, MachineSettings } from './options.ts';

export interface OwnServer {
  process: ServerProcess;
  namespace: string;
}

export function procStatus(pid: number): { rssKiB: number; peakKiB: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
    return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Busy and total time of every core since boot, in ticks, from the first line of /proc/stat. */
export function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    // idle and iowait are the 4th and 5th columns; everything else is work, ours or not.
    return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, every thread) of a process in milliseconds. */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of proc(5), in USER_HZ ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export async function startOwnServer(
  bcryptCost: number,
  extraEnv: Record<string, string>,
  cleanups: (() => Promise<void>)[],
): Promise<{
  server: OwnServer;
  first: ClientSettings;
  second: ClientSettings;
  machine: MachineSettings;
}> {
  const namespace = uniqueNamespace('bench');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'latchkey-bench-'));
  const files = `temporary directory ${dir}`;
  leftovers.set(files, () => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(async () => {
    await rm(dir, { recursive: true, force: true });
    leftovers.delete(files);
  });
  // Registered before the start: a server that fails half-way may have migrated already.
  const data = `Postgres schema ${namespace} and Redis keys ${namespace}:*`;
  leftovers.set(data, undefined);
  cleanups.push(async () => {
    await dropNamespace(namespace);
    leftovers.delete(data);
  });

  const secret = () => randomBytes(32).toString('base64url');
  // Port 9 (discard) on loopback: these URIs are only compared, never fetched.
  const first = {
    id: 'bench-first',
    secret: secret(),
    redirectUri: 'http://127.0.0.1:9/bench-first/callback',
  };
  const second = {
    id: 'bench-second',
    secret: secret(),
    redirectUri: 'http://127.0.0.1:9/bench-second/callback',
  };
  // Never called: a machine token's audience is only a name here.
  const machine = {
    id: 'bench-machine',
    secret: secret(),
    resource: 'https://reports.bench.example',
    scope: 'reports:read',
  };
  const clientsFile = path.join(dir, 'clients.json');
  await writeFile(
    clientsFile,
    JSON.stringify([
      ...[first, second].map((c) => ({
        client_id: c.id,
        client_secret: c.secret,
        client_name: `Bench ${c.id}`,
        redirect_uris: [c.redirectUri],
        first_party: true,
      })),
      // The device flow's TV (--device-client-id): public, polls /token, no redirects.
      {
        client_id: 'bench-tv',
        client_name: 'Bench TV',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        first_party: true,
      },
      {
        client_id: machine.id,
        client_secret: machine.secret,
        client_name: 'Bench machine',
        machine: true,
        resources: { [machine.resource]: [machine.scope] },
      },
    ]),
  );

  // The machine client's API, opaque tokens like the bare engine's.
  const resourceServersFile = path.join(dir, 'resource-servers.json');
  await writeFile(
    resourceServersFile,
    JSON.stringify([
      {
        audience: machine.resource,
        format: 'opaque',
        scopes: { [machine.scope]: 'Read the reports' },
      },
    ]),
  );

  const child = await startServerProcess(
    serverEnv({
      namespace,
      // Production refuses costs below 10; lower ones run as a test server.
      production: bcryptCost >= PRODUCTION_BCRYPT_COST,
      keyEncryptionKeys: newKek(),
      bcryptCost,
      clientsFile,
      logLevel: 'warn',
      extra: { RESOURCE_SERVERS_FILE: resourceServersFile, ...extraEnv },
    }),
  );
  const pidNote = `server process ${child.child.pid}`;
  leftovers.set(pidNote, () => child.child.kill('SIGTERM'));
  cleanups.push(async () => {
    const code = await child.stop();
    leftovers.delete(pidNote);
    if (code !== 0) {
      const output = [...child.stdout, ...child.stderr].slice(-20).join('\n');
      throw new Error(`server exited with ${code}:\n${output}`);
    }
  });
  return { server: { process: child, namespace }, first, second, machine };
}

/**
 * The pid of the Redis the bench's own server uses, when it runs on this machine (its
 * `process_id` is a redis-server process here), so its CPU can be read like the server's.
 */
export async function localRedisPid(): Promise<number | undefined> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    if (!Number.isSafeInteger(pid)) return undefined;
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return comm.startsWith('redis-server') ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Keys the run left in Redis, by model ("oidc:RefreshToken"): what a day of this traffic keeps. */
export async function redisKeysByKind(namespace: string): Promise<Record<string, number>> {
  const redis = new Redis(TEST_REDIS_URL);
  const counts: Record<string, number> = {};
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      for (const key of keys) {
        const kind = key
          .slice(namespace.length + 1)
          .split(':')
          .slice(0, 2)
          .join(':');
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The server's own warnings and errors (it logs JSON lines at LOG_LEVEL=warn). */
export function serverProblems(server: ServerProcess): string[] {
  return [...server.stdout, ...server.stderr].filter((line) => {
    try {
      const level = (JSON.parse(line) as { level?: unknown }).level;
      return level === 'warn' || level === 'error' || level === 'fatal';
    } catch {
      return line.trim() !== '';
    }
  });
}

/** Settings of --server-env that are Node's or libc's, not Latchkey's. */
const RUNTIME_ENV = new Set(['NODE_OPTIONS', 'MALLOC_ARENA_MAX', 'UV_THREADPOOL_SIZE']);

/** What the reference serves: the same clients and accounts as Latchkey's, for the same flows. */
export interface ReferenceSettings {
  clients: ClientSettings[];
  machine?: MachineSettings;
  accounts: { email: string; password: string; name: string }[];
}

/** The reference, oidc-provider alone (bench/bare-engine.ts), with the clients and accounts given. */
export async function startBareEngine(
  settings: ReferenceSettings,
  bcryptCost: number,
  cleanups: (() => Promise<void>)[],
  extraEnv: Record<string, string> = {},
): Promise<{ issuer: string; pid: number }> {
  const namespace = uniqueNamespace('bench-bare');
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'bare-engine.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      BARE_REDIS_URL: TEST_REDIS_URL,
      BARE_REDIS_PREFIX: `${namespace}:`,
      BARE_BCRYPT_COST: String(bcryptCost),
      NODE_ENV: 'production',
      // The runtime's own settings (heap flags, a CPU profile) apply to both servers alike.
      ...Object.fromEntries(Object.entries(extraEnv).filter(([name]) => RUNTIME_ENV.has(name))),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Secrets and passwords go through stdin, not the environment.
  child.stdin.end(JSON.stringify(settings));
  const note = `bare engine process ${child.pid}`;
  leftovers.set(note, () => child.kill('SIGTERM'));
  cleanups.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    leftovers.delete(note);
    await dropNamespace(namespace);
  });
  let output = '';
  const issuer = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      output += chunk;
    });
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      const found = /listening (\S+)/.exec(output);
      if (found) resolve(found[1] as string);
    });
    child.once('exit', (code) =>
      reject(new Error(`the bare engine exited with ${code}: ${output}`)),
    );
  });
  return { issuer, pid: child.pid as number };
}
