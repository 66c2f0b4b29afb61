// A Redis and a Postgres of our own (temporary directories, free ports) that a test may stop and
// start again, unlike the shared ones every other test uses.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './process.ts';

const run = promisify(execFile);

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir, command);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Postgres server binaries: the newest Debian `postgresql-NN`, else pg_ctl on PATH (Homebrew). */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(root, versions[0], 'bin');
  const pgCtl = onPath('pg_ctl');
  return pgCtl && existsSync(path.join(path.dirname(pgCtl), 'initdb'))
    ? path.dirname(pgCtl)
    : undefined;
}

/** What is missing to run stores of our own here, in words; undefined when nothing is. */
export function missingForOwnStores(): string | undefined {
  const missing: string[] = [];
  if (!onPath('redis-server')) missing.push('redis-server (Debian package redis-server)');
  if (!postgresBin()) {
    missing.push(
      'Postgres server binaries in /usr/lib/postgresql/*/bin (Debian package postgresql)',
    );
  }
  // Postgres refuses to run as root: as root we switch to the postgres user.
  if (process.getuid?.() === 0 && !onPath('runuser')) missing.push('runuser (util-linux)');
  return missing.length === 0 ? undefined : `missing: ${missing.join('; ')}`;
}

export interface OwnStore {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and deletes its files. */
  destroy(): Promise<void>;
}

/** Starts the store; destroying it stops it and deletes `dir`. */
async function started(
  url: string,
  port: number,
  dir: string,
  start: () => Promise<void>,
  stop: () => Promise<void>,
): Promise<OwnStore> {
  await start();
  return {
    url,
    port,
    start,
    stop,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** redis-server with an append-only file, so data survives a stop and start as in production. */
export async function startOwnRedis(): Promise<OwnStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-redis-'));
  const port = await freePort();
  const cli = (...args: string[]) => run('redis-cli', ['-p', String(port), ...args]);
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      () =>
        cli('ping').then(
          (r) => r.stdout.trim() === 'PONG',
          () => false,
        ),
      'redis-server',
    );
  };
  const stop = async () => {
    const current = child;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGTERM');
    await exited;
  };
  return started(`redis://127.0.0.1:${port}`, port, dir, start, stop);
}

/** A Postgres cluster of its own (initdb, trust authentication, no fsync). */
export async function startOwnPostgres(): Promise<OwnStore> {
  const bin = postgresBin();
  if (!bin) throw new Error('no Postgres server binaries');
  const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args])
      : run(path.join(bin, tool), args);
  const port = await freePort();
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']);
  };
  const stop = async () => {
    await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => {});
  };
  return started(`postgres://postgres@127.0.0.1:${port}/latchkey`, port, dir, start, stop);
}
