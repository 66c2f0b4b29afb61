// Benchmarks Latchkey end to end over HTTP: password sign-in, single sign-on, refresh, userinfo.
//
// Usage
//   npm run bench                                   own server, 8 workers, 2 s warm-up, 10 s/flow
//   npm run bench -- --duration 3 --concurrency 4 --flows sso,refresh --json
//   npm run bench -- --issuer https://id.example.com \
//     --client-id app-a --client-secret ... --redirect-uri https://a.example.com/callback \
//     --second-client-id app-b --second-client-secret ... --second-redirect-uri https://b.example.com/cb
//   npm run bench -- --help                         every option
//
// Flows (latency is per operation: from its first request to the checked result)
//   password-login  a fresh cookie jar: /authorize (code, S256 PKCE) -> sign-in page -> POST email
//                   and password -> redirects to the redirect_uri -> /token. openid-client checks
//                   the ID token's claims and, with non-repudiation checks on, its signature.
//   sso             a browser that signed in once (before timing) starts an authorization request
//                   for the second client and gets a code without a password, then exchanges it.
//                   After its first visit the session holds a grant for that client, so the steady
//                   state timed here is /authorize -> redirect_uri -> /token.
//   refresh         refresh_token grant with rotation. Each worker follows its own chain: presenting
//                   a token that was already rotated revokes the whole grant, so chains cannot be
//                   shared. Chains start from `openid profile email offline_access` with
//                   prompt=consent, the request that gets a refresh token.
//   userinfo        GET /userinfo with a bearer access token; openid-client checks the sub.
//
// Target
//   Without --issuer the bench starts its own server the way test/e2e/run.ts does: `node
//   src/main.ts` as a child process, a unique DATABASE_SCHEMA and REDIS_KEY_PREFIX, a temporary
//   clients file with two first-party confidential clients and random secrets, BCRYPT_COST from
//   --bcrypt-cost (default 10: realistic sign-in cost without a glacial run), LOG_LEVEL=warn so
//   request logs do not weigh on the results. The server is stopped, the schema and Redis keys
//   dropped and the temporary files deleted at the end, also on failure or Ctrl-C (a second
//   Ctrl-C exits at once and says what it left behind).
//   With --issuer it benchmarks a running server. Both clients must be confidential
//   (client_secret_basic), have `"first_party": true` (no consent page, and offline_access with
//   prompt=consent granted without a click), allow the authorization_code and refresh_token grants
//   and have the given redirect URI registered. Redirect URIs are never fetched (the code is read
//   from the Location header), so they need not point at anything.
//
// Accounts
//   Sign-ups are limited per source address (20 per 15 minutes). The bench does not dodge that:
//   its own server does not trust X-Forwarded-For, and turning TRUST_PROXY on only to forge
//   addresses would measure a misconfigured server. It signs up a few accounts through the form
//   instead (--accounts, default 16, at most 20 on its own server) and the workers take turns with
//   them. The number of accounts does not change the work per sign-in (one lookup on the unique
//   lower(email) index, one bcrypt comparison), and successful sign-ins are never throttled. For
//   repeated runs against one --issuer, pass existing accounts with --login EMAIL:PASSWORD
//   (repeatable) and --accounts 0.
//
// Reading the numbers
//   Keep-alive agents carry every request, so TCP setup is not measured (the connection count is
//   printed). With its own server the bench reads the server's RSS (VmRSS, VmHWM) and CPU time
//   from /proc and lists the Redis keys the run left. Bench, server, Postgres and Redis then share
//   the machine: the table shows the CPU the server and the bench used and how busy the whole
//   machine was, so a run disturbed by other work stands out. Postgres and Redis are the ones the
//   tests use (TEST_DATABASE_URL, TEST_REDIS_URL).
//
// Exit status: 0; 1 when an operation or the run failed; 2 for a bad command line; 130 when
// interrupted.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { DEFAULT_LIMITS } from '../src/accounts/login-throttle.ts';
import { type Authorization, authorizationUrl, exchangeCode } from '../test/support/oidc.ts';
import { type ServerProcess, startServerProcess } from '../test/support/process.ts';
import {
  dropNamespace,
  newKek,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueNamespace,
} from '../test/support/server.ts';
import { Browser, type Followed, HttpClient, type Page } from './http.ts';
import {
  describeError,
  fixed,
  PhaseRecorder,
  round1,
  type Summary,
  summarize,
  table,
} from './stats.ts';

const FLOW_NAMES = ['password-login', 'sso', 'refresh', 'userinfo'] as const;
type FlowName = (typeof FLOW_NAMES)[number];

const USAGE = `Usage: npm run bench -- [options]

  --duration SECONDS        timed run per flow (default 10)
  --warmup SECONDS          untimed run per flow before it (default 2)
  --concurrency N           workers, each one operation at a time (default 8)
  --flows LIST              comma-separated subset of ${FLOW_NAMES.join(', ')}
  --accounts N              accounts to sign up first (default 16, or 0 with --login)
  --login EMAIL:PASSWORD    use an existing account (repeatable)
  --json                    print the results as JSON instead of tables
  --timeout SECONDS         per HTTP request (default 30)

  Own server (no --issuer):
  --bcrypt-cost N           BCRYPT_COST of the server (default 10)
  --server-env NAME=VALUE   extra environment for the server (repeatable), e.g.
                            NODE_OPTIONS=--max-old-space-size=128 or MALLOC_ARENA_MAX=2

  Running server:
  --issuer URL
  --client-id ID --client-secret SECRET --redirect-uri URI
  --second-client-id ID --second-client-secret SECRET --second-redirect-uri URI
`;

class UsageError extends Error {}
class Interrupted extends Error {}
/** The run could not get going (no sign-up, no sign-in): the message says it all. */
class SetupError extends Error {}

interface Options {
  durationS: number;
  warmupS: number;
  concurrency: number;
  flows: FlowName[];
  signUps: number;
  logins: Account[];
  json: boolean;
  timeoutS: number;
  bcryptCost: number;
  serverEnv: Record<string, string>;
  external: { issuer: string; first: ClientSettings; second: ClientSettings } | undefined;
}

interface ClientSettings {
  id: string;
  secret: string;
  redirectUri: string;
}

interface Account {
  email: string;
  password: string;
}

function number(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  check: { min: number; max?: number; integer?: boolean },
): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (
    typeof text !== 'string' ||
    text.trim() === '' ||
    !Number.isFinite(value) ||
    (check.integer && !Number.isInteger(value)) ||
    value < check.min ||
    (check.max !== undefined && value > check.max)
  ) {
    const range =
      check.max === undefined ? `at least ${check.min}` : `${check.min} to ${check.max}`;
    throw new UsageError(`--${name} must be ${check.integer ? 'an integer' : 'a number'} ${range}`);
  }
  return value;
}

function parseOptions(argv: string[]): Options | 'help' {
  const string = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      duration: string,
      warmup: string,
      concurrency: string,
      flows: string,
      accounts: string,
      login: { type: 'string', multiple: true },
      timeout: string,
      'bcrypt-cost': string,
      'server-env': { type: 'string', multiple: true },
      issuer: string,
      'client-id': string,
      'client-secret': string,
      'redirect-uri': string,
      'second-client-id': string,
      'second-client-secret': string,
      'second-redirect-uri': string,
    },
  });
  if (values.help) return 'help';

  const flows = (values.flows ?? FLOW_NAMES.join(','))
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const f of flows) {
    if (!(FLOW_NAMES as readonly string[]).includes(f)) {
      throw new UsageError(`unknown flow "${f}"; choose from ${FLOW_NAMES.join(', ')}`);
    }
  }
  if (flows.length === 0) throw new UsageError('--flows names no flow');

  const logins = (values.login ?? []).map((entry) => {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) {
      throw new UsageError(`--login must be EMAIL:PASSWORD (got "${entry}")`);
    }
    return { email: entry.slice(0, colon), password: entry.slice(colon + 1) };
  });

  const clientKeys = [
    'client-id',
    'client-secret',
    'redirect-uri',
    'second-client-id',
    'second-client-secret',
    'second-redirect-uri',
  ] as const;
  let external: Options['external'];
  if (values.issuer !== undefined) {
    const missing = clientKeys.filter((k) => !values[k]);
    if (missing.length > 0) {
      throw new UsageError(`--issuer also needs ${missing.map((k) => `--${k}`).join(', ')}`);
    }
    if (values['bcrypt-cost'] !== undefined || values['server-env'] !== undefined) {
      throw new UsageError(
        '--bcrypt-cost and --server-env apply only to the server the bench starts itself',
      );
    }
    const issuer = URL.parse(values.issuer);
    if (!issuer || (issuer.protocol !== 'http:' && issuer.protocol !== 'https:')) {
      throw new UsageError('--issuer must be an http(s) URL');
    }
    const get = (k: (typeof clientKeys)[number]) => values[k] as string;
    external = {
      issuer: values.issuer.replace(/\/+$/, ''),
      first: {
        id: get('client-id'),
        secret: get('client-secret'),
        redirectUri: get('redirect-uri'),
      },
      second: {
        id: get('second-client-id'),
        secret: get('second-client-secret'),
        redirectUri: get('second-redirect-uri'),
      },
    };
  } else {
    const given = clientKeys.filter((k) => values[k] !== undefined);
    if (given.length > 0) {
      throw new UsageError(`${given.map((k) => `--${k}`).join(', ')} need --issuer`);
    }
    if (logins.length > 0) {
      throw new UsageError('--login needs --issuer: the server the bench starts has no accounts');
    }
  }

  const signUps = number(values, 'accounts', logins.length > 0 ? 0 : 16, { min: 0, integer: true });
  const { signUpsPerSource, windowSeconds } = DEFAULT_LIMITS;
  if (!external && signUps > signUpsPerSource) {
    throw new UsageError(
      `--accounts can be at most ${signUpsPerSource}: the server accepts ${signUpsPerSource} sign-ups per address every ${windowSeconds / 60} minutes, and workers share accounts anyway`,
    );
  }
  const serverEnv: Record<string, string> = {};
  for (const entry of values['server-env'] ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--server-env must be NAME=VALUE (got "${entry}")`);
    serverEnv[entry.slice(0, eq)] = entry.slice(eq + 1);
  }

  if (signUps + logins.length === 0) {
    throw new UsageError('no accounts: set --accounts above 0 or pass --login');
  }

  return {
    durationS: number(values, 'duration', 10, { min: 0.1 }),
    warmupS: number(values, 'warmup', 2, { min: 0 }),
    concurrency: number(values, 'concurrency', 8, { min: 1, max: 1000, integer: true }),
    flows: flows as FlowName[],
    signUps,
    logins,
    json: values.json ?? false,
    timeoutS: number(values, 'timeout', 30, { min: 0.1 }),
    bcryptCost: number(values, 'bcrypt-cost', 10, { min: 4, max: 16, integer: true }),
    serverEnv,
    external,
  };
}

// ---------------------------------------------------------------------------------------------
// Interruption: the first Ctrl-C stops the workers and cleans up; a second one exits at once.

const interrupt = new AbortController();
/** What the run has created and not yet removed, with what can still be undone synchronously. */
const leftovers = new Map<string, (() => void) | undefined>();

function reportLeftovers(): void {
  if (leftovers.size > 0) console.error(`left behind:\n  ${[...leftovers.keys()].join('\n  ')}`);
}

function onSignal(signal: NodeJS.Signals) {
  if (!interrupt.signal.aborted) {
    console.error(`\n${signal}: stopping and cleaning up (repeat to exit at once)`);
    interrupt.abort();
    return;
  }
  // No time to wait for Postgres or Redis, but the server and the files can still go.
  for (const [what, undo] of leftovers) {
    try {
      undo?.();
      if (undo) leftovers.delete(what);
    } catch {
      // Reported below as left behind.
    }
  }
  reportLeftovers();
  process.exit(130);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

function checkInterrupted(): void {
  if (interrupt.signal.aborted) throw new Interrupted('interrupted');
}

// ---------------------------------------------------------------------------------------------
// The server process, when the bench owns it: memory and CPU straight from /proc.

interface OwnServer {
  process: ServerProcess;
  namespace: string;
}

function procStatus(pid: number): { rssKiB: number; peakKiB: number } | undefined {
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
function machineTicks(): { busy: number; total: number } | undefined {
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
function procCpuMs(pid: number): number | undefined {
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

async function startOwnServer(
  bcryptCost: number,
  serverEnv: Record<string, string>,
  cleanups: (() => Promise<void>)[],
): Promise<{ server: OwnServer; first: ClientSettings; second: ClientSettings }> {
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
  const clientsFile = path.join(dir, 'clients.json');
  await writeFile(
    clientsFile,
    JSON.stringify(
      [first, second].map((c) => ({
        client_id: c.id,
        client_secret: c.secret,
        client_name: `Bench ${c.id}`,
        redirect_uris: [c.redirectUri],
        first_party: true,
      })),
    ),
  );

  const child = await startServerProcess({
    // Production refuses costs below 10; lower ones run as a test server.
    NODE_ENV: bcryptCost >= 10 ? 'production' : 'test',
    KEY_ENCRYPTION_KEYS: newKek(),
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: namespace,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `${namespace}:`,
    CLIENTS_FILE: clientsFile,
    BCRYPT_COST: String(bcryptCost),
    LOG_LEVEL: 'warn',
    ...serverEnv,
  });
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
  return { server: { process: child, namespace }, first, second };
}

/** Keys the run left in Redis, by model ("oidc:RefreshToken"): what a day of this traffic keeps. */
async function redisKeysByKind(namespace: string): Promise<Record<string, number>> {
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
function serverProblems(server: ServerProcess): string[] {
  return [...server.stdout, ...server.stderr].filter((line) => {
    try {
      const level = (JSON.parse(line) as { level?: unknown }).level;
      return level === 'warn' || level === 'error' || level === 'fatal';
    } catch {
      return line.trim() !== '';
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Relying parties and the browser steps of the flows.

interface RelyingParty {
  settings: ClientSettings;
  config: client.Configuration;
}

async function relyingParty(
  http: HttpClient,
  issuer: string,
  settings: ClientSettings,
): Promise<RelyingParty> {
  const execute = [client.enableNonRepudiationChecks];
  if (issuer.startsWith('http:')) execute.push(client.allowInsecureRequests);
  const config = await client.discovery(
    new URL(issuer),
    settings.id,
    undefined,
    client.ClientSecretBasic(settings.secret),
    { execute, [client.customFetch]: http.fetch },
  );
  config[client.customFetch] = http.fetch;
  return { settings, config };
}

function brief(page: Page): string {
  const text = page.html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return `${page.response.status} at ${page.response.url.pathname}: ${text.slice(0, 160)}`;
}

function pageOf(result: Followed): Page {
  if (result.external) throw new Error(`expected a page, was sent to ${result.external.origin}`);
  if (result.page.response.status !== 200)
    throw new Error(`expected a page, got ${brief(result.page)}`);
  return result.page;
}

function callbackOf(result: Followed): URL {
  if (result.external) return result.external;
  if (result.page.html.includes('/consent"')) {
    throw new Error('got a consent page: the client must be registered with "first_party": true');
  }
  throw new Error(`expected a redirect to the client, got ${brief(result.page)}`);
}

interface SignedIn {
  browser: Browser;
  tokens: Awaited<ReturnType<typeof exchangeCode>>;
  sub: string;
}

/** A fresh browser signs in with a password and the client exchanges the code. */
async function passwordSignIn(
  http: HttpClient,
  issuer: string,
  rp: RelyingParty,
  account: Account,
  params: Record<string, string> = {},
): Promise<SignedIn> {
  const browser = new Browser(http, new URL(issuer).origin);
  const auth = await authorizationUrl(rp.config, rp.settings.redirectUri, params);
  const login = pageOf(await browser.follow(await browser.get(auth.url)));
  const result = await browser.follow(
    await browser.submit(login, '/login', { email: account.email, password: account.password }),
  );
  return { browser, ...(await exchange(rp, callbackOf(result), auth)) };
}

async function exchange(rp: RelyingParty, callback: URL, auth: Authorization) {
  const tokens = await exchangeCode(rp.config, callback, auth);
  const sub = tokens.claims()?.sub;
  if (!sub) throw new Error('the token response has no ID token subject');
  return { tokens, sub };
}

async function signUp(
  http: HttpClient,
  issuer: string,
  rp: RelyingParty,
  account: Account,
  n: number,
) {
  const browser = new Browser(http, new URL(issuer).origin);
  const auth = await authorizationUrl(rp.config, rp.settings.redirectUri);
  const login = pageOf(await browser.follow(await browser.get(auth.url)));
  const link = /href="(\/interaction\/[^"]+\/signup)"/.exec(login.html)?.[1];
  if (!link) throw new Error(`no sign-up link on ${brief(login)}`);
  const form = await browser.get(new URL(link, login.response.url));
  const done = await browser.follow(
    await browser.submit(form, '/signup', { name: `Bench Person ${n}`, ...account }),
  );
  if (done.page.response.status === 429) {
    throw new Error(
      `the server refused more sign-ups from this address (${DEFAULT_LIMITS.signUpsPerSource} per ${DEFAULT_LIMITS.windowSeconds / 60} minutes by default): lower --accounts or pass existing accounts with --login`,
    );
  }
  callbackOf(done);
}

// ---------------------------------------------------------------------------------------------
// Flows and phases.

type Operation = () => Promise<void>;

interface Flow {
  name: FlowName;
  /** Untimed: gives one worker what its operations start from (a session, a token chain). */
  prepare(worker: number): Promise<Operation>;
}

interface FlowContext {
  http: HttpClient;
  issuer: string;
  first: RelyingParty;
  second: RelyingParty;
  nextAccount(): Account;
}

function makeFlow(name: FlowName, ctx: FlowContext): Flow {
  const { http, issuer, first, second } = ctx;
  const offline = { scope: 'openid profile email offline_access', prompt: 'consent' };
  switch (name) {
    case 'password-login':
      return {
        name,
        prepare: async () => async () => {
          await passwordSignIn(http, issuer, first, ctx.nextAccount());
        },
      };
    case 'sso':
      return {
        name,
        async prepare() {
          const { browser, sub } = await passwordSignIn(http, issuer, first, ctx.nextAccount());
          return async () => {
            const auth = await authorizationUrl(second.config, second.settings.redirectUri);
            const result = await browser.follow(await browser.get(auth.url));
            const tokens = await exchange(second, callbackOf(result), auth);
            if (tokens.sub !== sub) throw new Error('single sign-on returned another subject');
          };
        },
      };
    case 'refresh':
      return {
        name,
        async prepare() {
          const { tokens } = await passwordSignIn(http, issuer, first, ctx.nextAccount(), offline);
          let refreshToken = tokens.refresh_token;
          if (!refreshToken) throw new Error('no refresh token for offline_access');
          return async () => {
            const next = await client.refreshTokenGrant(first.config, refreshToken as string);
            if (!next.refresh_token || next.refresh_token === refreshToken) {
              throw new Error('the refresh token was not rotated');
            }
            refreshToken = next.refresh_token;
          };
        },
      };
    case 'userinfo':
      return {
        name,
        async prepare() {
          const { tokens, sub } = await passwordSignIn(http, issuer, first, ctx.nextAccount());
          return async () => {
            await client.fetchUserInfo(first.config, tokens.access_token, sub);
          };
        },
      };
  }
}

interface PhaseResult {
  recorder: PhaseRecorder;
  elapsedMs: number;
  requests: number;
  benchCpuMs: number;
  serverCpuMs: number | undefined;
  /** Share of all cores that were busy, whoever used them: shows a shared or noisy machine. */
  machineBusy: number | undefined;
}

/** Runs every worker's operation back to back until `seconds` have passed. */
async function runPhase(
  flow: Flow,
  operations: Operation[],
  seconds: number,
  http: HttpClient,
  serverPid: number | undefined,
): Promise<PhaseResult> {
  const recorder = new PhaseRecorder();
  const requestsBefore = http.requests;
  const cpuBefore = process.cpuUsage();
  const serverBefore = serverPid === undefined ? undefined : procCpuMs(serverPid);
  const machineBefore = machineTicks();
  http.onRequest = (label, ms) => recorder.request(label, ms);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    await Promise.all(
      operations.map(async (_, worker) => {
        while (performance.now() < deadline && !interrupt.signal.aborted) {
          const t0 = performance.now();
          try {
            await (operations[worker] as Operation)();
            recorder.success(performance.now() - t0);
          } catch (error) {
            recorder.failure(error);
            // A failed step can leave the worker's state unusable (a refresh token consumed
            // without its successor arriving): start the worker over.
            try {
              operations[worker] = await flow.prepare(worker);
            } catch (again) {
              recorder.failure(again);
              await new Promise((r) => setTimeout(r, 200));
            }
          }
        }
      }),
    );
  } finally {
    http.onRequest = undefined;
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = serverPid === undefined ? undefined : procCpuMs(serverPid);
  const machineAfter = machineTicks();
  return {
    recorder,
    elapsedMs,
    requests: http.requests - requestsBefore,
    benchCpuMs: (cpu.user + cpu.system) / 1000,
    serverCpuMs:
      serverBefore === undefined || serverAfter === undefined
        ? undefined
        : serverAfter - serverBefore,
    machineBusy:
      machineBefore && machineAfter && machineAfter.total > machineBefore.total
        ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)
        : undefined,
  };
}

interface FlowResult {
  name: FlowName;
  operations: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  latencyMs: Summary;
  requestsPerOperation: number;
  /** CPU the server spent per successful operation (all threads, bcrypt included). */
  serverCpuMsPerOperation: number | null;
  /** Share of one core, so 200 means two busy cores. */
  serverCpuPercent: number | null;
  /** Share of one core used by the bench process itself. */
  benchCpuPercent: number;
  /** Share of all cores busy during the phase (server, bench, Postgres, Redis and anything else). */
  machineBusyPercent: number | null;
  requests: { label: string; perOperation: number; p50: number; p99: number; max: number }[];
  errorSamples: Record<string, number>;
}

function flowResult(name: FlowName, phase: PhaseResult): FlowResult {
  const { recorder, elapsedMs } = phase;
  const ops = recorder.latencies.length;
  const perOp = (n: number) => (ops === 0 ? 0 : n / ops);
  const latency = summarize(recorder.latencies);
  return {
    name,
    operations: ops,
    errors: recorder.errorCount,
    seconds: round1(elapsedMs / 1000),
    opsPerSecond: round1(ops / (elapsedMs / 1000)),
    latencyMs: {
      count: latency.count,
      mean: round1(latency.mean),
      p50: round1(latency.p50),
      p90: round1(latency.p90),
      p99: round1(latency.p99),
      max: round1(latency.max),
    },
    requestsPerOperation: round1(perOp(phase.requests)),
    serverCpuMsPerOperation:
      phase.serverCpuMs === undefined || ops === 0 ? null : round1(phase.serverCpuMs / ops),
    serverCpuPercent:
      phase.serverCpuMs === undefined ? null : Math.round((phase.serverCpuMs / elapsedMs) * 100),
    benchCpuPercent: Math.round((phase.benchCpuMs / elapsedMs) * 100),
    machineBusyPercent:
      phase.machineBusy === undefined ? null : Math.round(phase.machineBusy * 100),
    requests: [...recorder.requests.entries()].map(([label, values]) => {
      const s = summarize(values);
      return {
        label,
        perOperation: Math.round(perOp(values.length) * 100) / 100,
        p50: round1(s.p50),
        p99: round1(s.p99),
        max: round1(s.max),
      };
    }),
    errorSamples: Object.fromEntries(recorder.errors),
  };
}

// ---------------------------------------------------------------------------------------------
// Output.

interface Report {
  environment: {
    node: string;
    os: string;
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    loadAverage: number[];
  };
  target: {
    issuer: string;
    ownServer: boolean;
    bcryptCost: number | null;
    serverEnv: Record<string, string>;
  };
  settings: {
    concurrency: number;
    warmupSeconds: number;
    durationSeconds: number;
    accounts: number;
  };
  flows: FlowResult[];
  connections: { opened: number; requests: number };
  server: {
    pid: number;
    rssKiB: { boot: number; beforeFlows: number; after: number; peak: number };
    redisKeysLeft: Record<string, number>;
    logProblems: string[];
  } | null;
}

function environment(): Report['environment'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: round1(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

const mib = (kib: number) => `${fixed(kib / 1024)} MiB`;

function printReport(report: Report): void {
  const { environment: env, target, settings } = report;
  const lines: string[] = [];
  lines.push(
    `Latchkey benchmark: ${target.issuer}${
      target.ownServer
        ? ` (own server, BCRYPT_COST=${target.bcryptCost}${Object.entries(target.serverEnv)
            .map(([k, v]) => ` ${k}=${v}`)
            .join('')})`
        : ''
    }`,
    `${env.os}, Node ${env.node}, ${env.cpus} x ${env.cpuModel}, ${env.memoryGiB} GiB, load ${env.loadAverage.join(' ')} at start`,
    `${settings.concurrency} workers, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per flow, ${settings.accounts} accounts`,
    '',
  );
  const header = ['flow', 'ops', 'ops/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors'];
  const cpuHeader = ['req/op', 'server CPU', 'srv ms/op', 'bench CPU', 'machine busy'];
  const rows = report.flows.map((f) => [
    f.name,
    String(f.operations),
    fixed(f.opsPerSecond),
    fixed(f.latencyMs.p50),
    fixed(f.latencyMs.p90),
    fixed(f.latencyMs.p99),
    fixed(f.latencyMs.max),
    String(f.errors),
    fixed(f.requestsPerOperation),
    f.serverCpuPercent === null ? 'n/a' : `${f.serverCpuPercent}%`,
    f.serverCpuMsPerOperation === null ? 'n/a' : fixed(f.serverCpuMsPerOperation, 2),
    `${f.benchCpuPercent}%`,
    f.machineBusyPercent === null ? 'n/a' : `${f.machineBusyPercent}%`,
  ]);
  lines.push(
    table([[...header, ...cpuHeader], ...rows]),
    `(server and bench CPU: share of one core, all threads; machine busy: share of all ${env.cpus} cores, every process)`,
    '',
  );
  lines.push('Requests per flow (latency of each HTTP request, ms):');
  const requestRows: string[][] = [['', 'per op', 'p50', 'p99', 'max']];
  for (const f of report.flows) {
    for (const r of f.requests) {
      requestRows.push([
        `  ${f.name.padEnd(15)} ${r.label}`,
        fixed(r.perOperation, 2),
        fixed(r.p50),
        fixed(r.p99),
        fixed(r.max),
      ]);
    }
  }
  lines.push(table(requestRows), '');
  for (const f of report.flows) {
    for (const [message, count] of Object.entries(f.errorSamples)) {
      lines.push(`error in ${f.name} (x${count}): ${message}`);
    }
  }
  lines.push(
    `Connections: ${report.connections.opened} opened for ${report.connections.requests} requests (keep-alive)`,
  );
  if (report.server) {
    const { rssKiB, redisKeysLeft, logProblems } = report.server;
    lines.push(
      `Server RSS: ${mib(rssKiB.boot)} after boot, ${mib(rssKiB.beforeFlows)} before the flows, ${mib(rssKiB.after)} after, peak ${mib(rssKiB.peak)}`,
      `Redis keys left by the run: ${
        Object.entries(redisKeysLeft)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ') || 'none'
      }`,
    );
    if (logProblems.length > 0) {
      lines.push(`Server warnings/errors (${logProblems.length}):`, ...logProblems.slice(0, 10));
    }
  }
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------

/** Progress goes to stderr so stdout holds only the results (tables or JSON). */
function progress(message: string): void {
  console.error(message);
}

async function run(options: Options): Promise<number> {
  const cleanups: (() => Promise<void>)[] = [];
  const http = new HttpClient(options.timeoutS * 1000);
  const env = environment();
  let exitCode = 0;
  try {
    let issuer: string;
    let own: OwnServer | undefined;
    let settings: { first: ClientSettings; second: ClientSettings };
    if (options.external) {
      issuer = options.external.issuer;
      settings = options.external;
    } else {
      progress(`starting a server (BCRYPT_COST=${options.bcryptCost})...`);
      const started = await startOwnServer(options.bcryptCost, options.serverEnv, cleanups);
      own = started.server;
      issuer = own.process.issuer;
      settings = started;
    }
    checkInterrupted();
    const pid = own?.process.child.pid;
    const bootStatus = pid === undefined ? undefined : procStatus(pid);

    const first = await relyingParty(http, issuer, settings.first);
    const second = await relyingParty(http, issuer, settings.second);

    // Emails under example.com (reserved) and a per-run tag, so runs never collide.
    const tag = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    const created: Account[] = Array.from({ length: options.signUps }, (_, i) => ({
      email: `bench.${tag}.${i + 1}@example.com`,
      password: `bench ${randomBytes(18).toString('base64url')}`,
    }));
    if (created.length > 0) progress(`signing up ${created.length} accounts through the form...`);
    let nextSignUp = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, created.length) }, async () => {
        while (nextSignUp < created.length) {
          checkInterrupted();
          const n = nextSignUp++;
          await signUp(http, issuer, first, created[n] as Account, n + 1).catch((error) => {
            throw new SetupError(`signing up account ${n + 1} failed: ${describeError(error)}`);
          });
        }
      }),
    );
    const accounts = [...options.logins, ...created];
    let turn = 0;
    const ctx: FlowContext = {
      http,
      issuer,
      first,
      second,
      nextAccount: () => accounts[turn++ % accounts.length] as Account,
    };

    const beforeFlows = pid === undefined ? undefined : procStatus(pid);
    const flows: FlowResult[] = [];
    for (const name of options.flows) {
      const flow = makeFlow(name, ctx);
      progress(`${name}: preparing ${options.concurrency} workers...`);
      const operations = await Promise.all(
        Array.from({ length: options.concurrency }, (_, w) =>
          flow.prepare(w).catch((error) => {
            throw new SetupError(
              `${name}: preparing worker ${w + 1} failed: ${describeError(error)}`,
            );
          }),
        ),
      );
      checkInterrupted();
      if (options.warmupS > 0) {
        progress(`${name}: warming up for ${options.warmupS} s...`);
        await runPhase(flow, operations, options.warmupS, http, pid);
        checkInterrupted();
      }
      progress(`${name}: measuring for ${options.durationS} s...`);
      const result = flowResult(
        name,
        await runPhase(flow, operations, options.durationS, http, pid),
      );
      checkInterrupted();
      flows.push(result);
      if (result.errors > 0) exitCode = 1;
    }
    const after = pid === undefined ? undefined : procStatus(pid);

    const report: Report = {
      environment: env,
      target: {
        issuer,
        ownServer: own !== undefined,
        bcryptCost: own ? options.bcryptCost : null,
        serverEnv: own ? options.serverEnv : {},
      },
      settings: {
        concurrency: options.concurrency,
        warmupSeconds: options.warmupS,
        durationSeconds: options.durationS,
        accounts: accounts.length,
      },
      flows,
      connections: { opened: http.connections, requests: http.requests },
      server:
        own && pid !== undefined && bootStatus && beforeFlows && after
          ? {
              pid,
              rssKiB: {
                boot: bootStatus.rssKiB,
                beforeFlows: beforeFlows.rssKiB,
                after: after.rssKiB,
                peak: after.peakKiB,
              },
              redisKeysLeft: await redisKeysByKind(own.namespace),
              logProblems: serverProblems(own.process),
            }
          : null,
    };
    if (options.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
  } catch (error) {
    if (error instanceof Interrupted) {
      exitCode = 130;
    } else if (error instanceof SetupError) {
      console.error(error.message);
      exitCode = 1;
    } else {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      exitCode = 1;
    }
  } finally {
    http.close();
    if (cleanups.length > 0) progress('cleaning up...');
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('cleanup failed:', error instanceof Error ? error.message : error);
        exitCode ||= 1;
      }
    }
    reportLeftovers();
  }
  return exitCode;
}

let parsed: Options | 'help';
try {
  parsed = parseOptions(process.argv.slice(2));
} catch (error) {
  // parseArgs reports unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS code.
  const usage =
    error instanceof UsageError ||
    String((error as { code?: unknown } | null)?.code).startsWith('ERR_PARSE_ARGS');
  if (!usage) throw error;
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed === 'help') {
  console.log(USAGE);
} else {
  process.exitCode = await run(parsed);
}
