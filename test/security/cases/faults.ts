// Store outages under load: Latchkey runs on a Redis and a Postgres of its own; clients keep
// opening the sign-in page, signing in with a password, getting tokens (SSO) and calling
// userinfo while Redis, then Postgres, is stopped for a few seconds. Counts what clients saw.
//
//   node test/security/cases/faults.ts     (or npm run faults)
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AxiosResponse } from 'axios';
import { Browser, formByAction } from '../../support/browser.ts';
import { confirmByMail, person } from '../../support/oidc.ts';
import {
  missingForOwnStores,
  type OwnStore,
  startOwnPostgres,
  startOwnRedis,
} from '../../support/own-stores.ts';
import { type ServerProcess, startServerProcess } from '../../support/process.ts';
import { serverEnv } from '../../support/server-env.ts';
import type { Finding, SecurityCase } from '../run.ts';

export const PHASES = [
  'baseline',
  'redis down',
  'redis back',
  'postgres down',
  'postgres back',
  'after',
] as const;
export type Phase = (typeof PHASES)[number];

interface Sample {
  phase: Phase;
  label: string;
  status: number;
  ms: number;
  retryAfter: string | undefined;
  error?: string;
}

export interface PhaseStats {
  requests: number;
  /** Status code (or "error" for a failed connection) to count. */
  statuses: Record<string, number>;
  /** 503 answers without a Retry-After header. */
  unavailableWithoutRetryAfter: number;
  p50: number;
  p99: number;
  max: number;
  flowsCompleted: number;
  flowsInterrupted: number;
  /** /readyz answers: status code and reason. */
  readiness: Record<string, number>;
}

export interface FaultReport {
  outageMs: number;
  phases: Record<Phase, PhaseStats>;
  /** Log lines with event store.down / store.up, per store. */
  outageLog: Record<'postgres' | 'redis', { down: number; up: number; downMs: number[] }>;
  /** Anything the server wrote to stderr, and stdout lines that are not JSON. */
  stderr: string[];
  nonJson: string[];
  exitCode: number | null;
  /** Samples of 5xx answers other than 503, and of failed connections. */
  surprises: string[];
}

const CLIENT = {
  client_id: 'fault-app',
  client_secret: randomBytes(32).toString('base64url'),
  client_name: 'Fault App',
  redirect_uris: ['http://127.0.0.1:1/callback'],
  first_party: true,
};

class Interrupted extends Error {}

class Recorder {
  phase: Phase = 'baseline';
  readonly samples: Sample[] = [];
  readonly flows: { phase: Phase; ok: boolean }[] = [];
  readonly readiness: { phase: Phase; answer: string }[] = [];

  /** Runs one request; anything but an expected status interrupts the flow. */
  async step(
    label: string,
    send: () => Promise<AxiosResponse<string>>,
    expected: number[],
  ): Promise<AxiosResponse<string>> {
    const started = performance.now();
    let res: AxiosResponse<string>;
    try {
      res = await send();
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).message;
      this.samples.push({
        phase: this.phase,
        label,
        status: 0,
        ms: performance.now() - started,
        retryAfter: undefined,
        error: code,
      });
      throw new Interrupted(code);
    }
    const retryAfter = res.headers['retry-after'] as string | undefined;
    // Counted in the phase it ended in: what the store was doing when the answer was chosen.
    this.samples.push({
      phase: this.phase,
      label,
      status: res.status,
      ms: performance.now() - started,
      retryAfter,
    });
    if (!expected.includes(res.status)) throw new Interrupted(`${label}: ${res.status}`);
    return res;
  }

  async flow(run: () => Promise<void>): Promise<void> {
    try {
      await run();
      this.flows.push({ phase: this.phase, ok: true });
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      this.flows.push({ phase: this.phase, ok: false });
    }
  }
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** The flows clients run, each a few requests; every request is recorded. */
class Flows {
  readonly #issuer: string;
  readonly #rec: Recorder;

  constructor(issuer: string, rec: Recorder) {
    this.#issuer = issuer;
    this.#rec = rec;
  }

  #authorizeUrl(challenge: string): string {
    const query = new URLSearchParams({
      client_id: CLIENT.client_id,
      response_type: 'code',
      scope: 'openid profile email',
      redirect_uri: CLIENT.redirect_uris[0] as string,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: randomBytes(8).toString('hex'),
    });
    return `/authorize?${query}`;
  }

  /** /authorize, then the sign-in page it leads to. */
  async signInPage(browser: Browser): Promise<{ html: string; verifier: string }> {
    const { verifier, challenge } = pkce();
    const start = await this.#rec.step(
      'GET /authorize',
      () => browser.get(this.#authorizeUrl(challenge)),
      [303],
    );
    const page = await this.#rec.step(
      'GET /interaction/:uid',
      () => browser.get(start.headers.location as string),
      [200],
    );
    return { html: page.data, verifier };
  }

  async #exchange(location: string, verifier: string): Promise<string> {
    const code = new URL(location).searchParams.get('code');
    if (!code) throw new Interrupted(`no code in ${location}`);
    const res = await this.#rec.step(
      'POST /token',
      () =>
        new Browser(this.#issuer).request('POST', '/token', {
          data: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: CLIENT.redirect_uris[0] as string,
            code_verifier: verifier,
          }).toString(),
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`,
          },
        }),
      [200],
    );
    return (JSON.parse(res.data) as { access_token: string }).access_token;
  }

  /** Sign-in page, password, redirects to the client, code for tokens. */
  async passwordSignIn(
    browser: Browser,
    who: { email: string; password: string },
  ): Promise<string> {
    const { html, verifier } = await this.signInPage(browser);
    const form = formByAction(html, '/login');
    let res = await this.#rec.step(
      'POST /interaction/:uid/login',
      () => browser.post(form.action, { ...form.fields, email: who.email, password: who.password }),
      [303],
    );
    for (let i = 0; i < 5; i++) {
      const location = res.headers.location as string;
      if (!location.startsWith(this.#issuer) && !location.startsWith('/')) {
        return this.#exchange(location, verifier);
      }
      res = await this.#rec.step('GET /authorize/:uid', () => browser.get(location), [303]);
    }
    throw new Interrupted('too many redirects');
  }

  /** A signed-in browser gets a code without a password, then tokens. */
  async sso(browser: Browser): Promise<void> {
    const { verifier, challenge } = pkce();
    const res = await this.#rec.step(
      'GET /authorize (SSO)',
      () => browser.get(this.#authorizeUrl(challenge)),
      [303],
    );
    await this.#exchange(res.headers.location as string, verifier);
  }

  async userinfo(token: string): Promise<void> {
    await this.#rec.step(
      'GET /userinfo',
      () =>
        new Browser(this.#issuer).request('GET', '/userinfo', {
          headers: { authorization: `Bearer ${token}` },
        }),
      [200],
    );
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FaultOptions {
  /** How long each store stays stopped (default 5000 ms). */
  outageMs?: number;
  /** Concurrent clients (default 6). */
  workers?: number;
}

/** Runs the scenario; throws a clear error when Redis or Postgres binaries are missing. */
export async function runFaults(options: FaultOptions = {}): Promise<FaultReport> {
  const missing = missingForOwnStores();
  if (missing) throw new Error(`cannot start a Redis and a Postgres of our own: ${missing}`);
  const outageMs = options.outageMs ?? 5000;
  const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-faults-'));
  const clientsFile = path.join(dir, 'clients.json');
  await writeFile(clientsFile, JSON.stringify([CLIENT]));
  const stores: OwnStore[] = [];
  let server: ServerProcess | undefined;
  try {
    const redis = await startOwnRedis();
    stores.push(redis);
    const postgres = await startOwnPostgres();
    stores.push(postgres);
    server = await startServerProcess(
      serverEnv({ databaseUrl: postgres.url, redisUrl: redis.url, clientsFile }),
    );
    const issuer = server.issuer;
    const rec = new Recorder();
    const flows = new Flows(issuer, rec);

    // One account, signed up through the pages; each client signs in with it once.
    const who = person('faults');
    const signup = new Browser(issuer);
    const { html } = await flows.signInPage(signup);
    const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(html)?.[1] as string;
    const page = await signup.get(link);
    await signup.submit(page.data, '/signup', who);
    await confirmByMail(signup, who.email);

    let running = true;
    const worker = async (n: number) => {
      const browser = new Browser(issuer);
      let token = await flows.passwordSignIn(browser, who);
      for (let i = n; running; i++) {
        const kind = i % 4;
        await rec.flow(async () => {
          if (kind === 0) await flows.signInPage(new Browser(issuer));
          else if (kind === 1) await flows.sso(browser);
          else if (kind === 2) await flows.userinfo(token);
          else token = await flows.passwordSignIn(new Browser(issuer), who);
        });
        // A client that was refused waits a little, as Retry-After asks (but far less).
        if (rec.samples.at(-1)?.status === 503) await sleep(50);
      }
    };
    const readiness = async () => {
      while (running) {
        const res = await fetch(`${issuer}/readyz`).catch(() => undefined);
        const body = res ? ((await res.json().catch(() => ({}))) as { reason?: string }) : {};
        rec.readiness.push({
          phase: rec.phase,
          answer: res ? `${res.status} ${body.reason ?? ''}`.trim() : 'error',
        });
        await sleep(200);
      }
    };
    const load = [
      ...Array.from({ length: options.workers ?? 6 }, (_, n) => worker(n)),
      readiness(),
    ];

    await sleep(2000);
    for (const [name, store] of [
      ['redis', redis],
      ['postgres', postgres],
    ] as const) {
      rec.phase = `${name} down`;
      await store.stop();
      await sleep(outageMs);
      await store.start();
      rec.phase = `${name} back`;
      await sleep(3000);
    }
    rec.phase = 'after';
    await sleep(3000);
    running = false;
    await Promise.all(load);

    const exitCode = await server.stop();
    const lines = server.stdout.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    });
    const outageLog = {
      postgres: { down: 0, up: 0, downMs: [] as number[] },
      redis: { down: 0, up: 0, downMs: [] as number[] },
    };
    for (const line of lines) {
      const store = line?.store as 'postgres' | 'redis' | undefined;
      if (!store || !outageLog[store]) continue;
      if (line?.event === 'store.down') outageLog[store].down += 1;
      if (line?.event === 'store.up') {
        outageLog[store].up += 1;
        outageLog[store].downMs.push(Number(line.downMs));
      }
    }

    const phases = {} as Record<Phase, PhaseStats>;
    for (const phase of PHASES) {
      const samples = rec.samples.filter((s) => s.phase === phase);
      const statuses: Record<string, number> = {};
      for (const s of samples) {
        const key = s.status === 0 ? 'error' : String(s.status);
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
      const times = samples.map((s) => s.ms).sort((a, b) => a - b);
      const readinessCounts: Record<string, number> = {};
      for (const r of rec.readiness.filter((r) => r.phase === phase)) {
        readinessCounts[r.answer] = (readinessCounts[r.answer] ?? 0) + 1;
      }
      const phaseFlows = rec.flows.filter((f) => f.phase === phase);
      phases[phase] = {
        requests: samples.length,
        statuses,
        unavailableWithoutRetryAfter: samples.filter((s) => s.status === 503 && !s.retryAfter)
          .length,
        p50: Math.round(percentile(times, 50)),
        p99: Math.round(percentile(times, 99)),
        max: Math.round(times.at(-1) ?? 0),
        flowsCompleted: phaseFlows.filter((f) => f.ok).length,
        flowsInterrupted: phaseFlows.filter((f) => !f.ok).length,
        readiness: readinessCounts,
      };
    }
    const surprises = rec.samples
      .filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503))
      .slice(0, 10)
      .map((s) => `${s.phase}: ${s.label} -> ${s.status || s.error}`);
    return {
      outageMs,
      phases,
      outageLog,
      stderr: server.stderr,
      nonJson: server.stdout.filter((_, i) => lines[i] === undefined),
      exitCode,
      surprises,
    };
  } finally {
    await server?.stop();
    for (const store of stores.reverse()) await store.destroy().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** The report as lines for people. */
export function describeFaults(report: FaultReport): string[] {
  const lines = [
    `Store outages under load: Redis, then Postgres, stopped for ${report.outageMs / 1000} s each`,
    '',
    `${'phase'.padEnd(14)} ${'requests'.padStart(8)}  ${'statuses'.padEnd(34)} ${'503 w/o Retry-After'.padStart(19)}  ${'p50'.padStart(5)} ${'p99'.padStart(5)} ${'max'.padStart(5)}  flows ok/cut  readyz`,
  ];
  for (const phase of PHASES) {
    const s = report.phases[phase];
    const statuses = Object.entries(s.statuses)
      .sort()
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    const readiness = Object.entries(s.readiness)
      .map(([k, v]) => `${k} x${v}`)
      .join(', ');
    lines.push(
      `${phase.padEnd(14)} ${String(s.requests).padStart(8)}  ${statuses.padEnd(34)} ${String(s.unavailableWithoutRetryAfter).padStart(19)}  ${String(s.p50).padStart(5)} ${String(s.p99).padStart(5)} ${String(s.max).padStart(5)}  ${`${s.flowsCompleted}/${s.flowsInterrupted}`.padStart(12)}  ${readiness}`,
    );
  }
  const all = Object.values(report.phases);
  const count = (pred: (status: string) => boolean) =>
    all.reduce(
      (n, s) => n + Object.entries(s.statuses).reduce((m, [k, v]) => m + (pred(k) ? v : 0), 0),
      0,
    );
  lines.push(
    '',
    `500s: ${count((k) => k === '500')}, other 5xx but 503: ${count((k) => k.startsWith('5') && k !== '500' && k !== '503')}, failed connections: ${count((k) => k === 'error')}, 503s: ${count((k) => k === '503')} (latency in ms)`,
  );
  for (const store of ['redis', 'postgres'] as const) {
    const log = report.outageLog[store];
    lines.push(
      `${store} outage log: ${log.down} "unreachable" line(s), ${log.up} "reachable again" line(s), down ${log.downMs.join(', ')} ms`,
    );
  }
  lines.push(
    `server: exit code ${report.exitCode}, ${report.stderr.length} stderr line(s), ${report.nonJson.length} non-JSON stdout line(s)`,
  );
  for (const surprise of report.surprises) lines.push(`  ${surprise}`);
  return lines;
}

/** What Latchkey promises during and after an outage, judged on a report. */
export function judgeFaults(report: FaultReport): Finding[] {
  const all = Object.values(report.phases);
  const count = (pred: (status: string) => boolean) =>
    all.reduce(
      (n, s) => n + Object.entries(s.statuses).reduce((m, [k, v]) => m + (pred(k) ? v : 0), 0),
      0,
    );
  const unexpected = count((k) => k === 'error' || (k.startsWith('5') && k !== '503'));
  const withoutRetryAfter = all.reduce((n, s) => n + s.unavailableWithoutRetryAfter, 0);
  const after = report.phases.after;
  const findings: Finding[] = [
    {
      line: `no 500, no other 5xx but 503, no failed connection (${unexpected} seen)`,
      held: unexpected === 0,
    },
    {
      line: `every 503 carries Retry-After (${withoutRetryAfter} without)`,
      held: withoutRetryAfter === 0,
    },
  ];
  for (const [phase, store] of [
    ['redis down', 'redis'],
    ['postgres down', 'postgres'],
  ] as const) {
    const stats = report.phases[phase];
    const unavailable = stats.statuses['503'] ?? 0;
    const readiness = stats.readiness[`503 ${store}_unreachable`] ?? 0;
    findings.push({
      line: `${phase}: ${unavailable} answers were 503, /readyz named ${store} ${readiness} time(s)`,
      held: unavailable > 0 && readiness > 0,
    });
    findings.push({
      line: `${phase}: p99 ${stats.p99} ms, failing fast instead of waiting for the store (goal: under 1 s)`,
      held: stats.p99 < 1000,
    });
    const log = report.outageLog[store];
    findings.push({
      line: `${store} outage logged on ${log.down} start line(s) and ${log.up} end line(s)`,
      held: log.down === 1 && log.up === 1,
    });
  }
  findings.push({
    line: `after both outages: ${after.flowsCompleted} flows completed, ${after.flowsInterrupted} interrupted`,
    held: after.flowsCompleted > 0 && after.flowsInterrupted === 0,
  });
  findings.push({
    line: `server: exit code ${report.exitCode}, ${report.stderr.length} stderr line(s), ${report.nonJson.length} non-JSON line(s)`,
    held: report.exitCode === 0 && report.stderr.length === 0 && report.nonJson.length === 0,
  });
  return findings;
}

export default {
  name: 'store outages',
  async run() {
    const missing = missingForOwnStores();
    if (missing) return [{ line: `not run on this machine: ${missing}` }];
    const report = await runFaults();
    return [...describeFaults(report).map((line) => ({ line })), ...judgeFaults(report)];
  },
} satisfies SecurityCase;

if (import.meta.main) {
  const missing = missingForOwnStores();
  if (missing) console.log(`Store outages: not run here, ${missing}`);
  else for (const line of describeFaults(await runFaults())) console.log(line);
}
