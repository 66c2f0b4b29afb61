// Runs the server (`node --import ./src/tracing/preload.ts src/main.ts`, as `npm start` does) as a
// child process on a free port and collects everything it prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { type MailCatcher, startMailCatcher } from './mail-catcher.ts';
import { catcherMailbox, forgetMailbox, registerMailbox } from './mailbox.ts';
import { NO_RELAY } from './server-env.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** How `npm start` and the image run the server: the tracing preload first. */
const SERVER_ARGS = ['--import', './src/tracing/preload.ts', 'src/main.ts'];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  issuer: string;
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then wait; SIGKILL if it does not stop in time. */
  stop(timeoutMs?: number): Promise<number | null>;
}

function collect(stream: NodeJS.ReadableStream | null, into: string[]) {
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    into.push(...lines.filter((l) => l !== ''));
  });
  stream?.on('end', () => {
    if (partial !== '') into.push(partial);
  });
}

/**
 * Starts the server with `env` (plus PATH) and waits until /readyz answers 200. Its mail goes to
 * `options.mail`, or, without an SMTP_URL of its own, to a catcher started for it; either is the
 * mailbox the sign-up helpers read for its issuer.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { mail?: MailCatcher } = {},
): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const issuer = env.ISSUER ?? `http://127.0.0.1:${port}`;
  const relay = env.SMTP_URL && env.SMTP_URL !== NO_RELAY ? env.SMTP_URL : undefined;
  const own = options.mail || relay ? undefined : await startMailCatcher();
  const mail = options.mail ?? own;
  if (mail) registerMailbox(issuer, catcherMailbox(mail));
  const child = spawn(process.execPath, SERVER_ARGS, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ISSUER: issuer,
      PORT: String(port),
      ...env,
      ...(own ? { SMTP_URL: own.url } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  collect(child.stdout, stdout);
  collect(child.stderr, stderr);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const stop = async (timeoutMs = 15_000) => {
    if (mail) forgetMailbox(issuer);
    if (child.exitCode !== null) {
      await own?.stop();
      return child.exitCode;
    }
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    await own?.stop();
    return code;
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(
        `server exited with ${child.exitCode}:\n${[...stdout, ...stderr].join('\n')}`,
      );
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server not ready in time:\n${[...stdout, ...stderr].join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { issuer, child, stdout, stderr, exited, stop };
}

/** Runs the server until it exits by itself (for configurations that must refuse to boot). */
export async function runServerProcess(
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string[]; stderr: string[] }> {
  const child = spawn(process.execPath, SERVER_ARGS, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  collect(child.stdout, stdout);
  collect(child.stderr, stderr);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) =>
    child.once('close', (c) => resolve(c)),
  );
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the admin CLI (`node src/cli/main.ts ARGS`) with `env` (plus PATH), feeding it `input`. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'src/cli/main.ts'), ...args], {
      env: { PATH: process.env.PATH, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // A hung CLI must fail the test, not outlive it.
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    // The CLI may exit before reading stdin at all.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
