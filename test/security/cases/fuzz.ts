// Sends a few thousand malformed requests across every route (methods, headers, bodies, content
// encodings, query strings, path parameters) to a real server process and counts the answers.
// The goal: no 5xx, no hang, no dropped connection, nothing on stderr, only JSON log lines.
//
//   node test/security/cases/fuzz.ts [count] [seed]     (or npm run fuzz)
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formByAction } from '../../support/browser.ts';
import { atSignInPage, signUpAndAuthorize } from '../../support/oidc.ts';
import { freePort, startServerProcess } from '../../support/process.ts';
import { rawRequest } from '../../support/raw-http.ts';
import { dropNamespace, serverEnv, TEST_CLIENTS, uniqueNamespace } from '../../support/server.ts';
import { startUpstreams } from '../../support/upstreams.ts';
import type { Finding, SecurityCase } from '../run.ts';

/** A small seeded generator, so a failing run can be repeated with its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number) => next() < p;
  return { next, pick, chance };
}

/** What a signed-in person and a live sign-in page give the fuzzer to build on. */
interface Material {
  uid: string;
  interactionCookie: string;
  interactionCsrf: string;
  sessionCookie: string;
  accountCsrf: string;
  apiToken: string;
  userinfoToken: string;
}

const PATHS = [
  '/',
  '/healthz',
  '/readyz',
  '/openapi.json',
  '/account',
  '/account/signin',
  '/account/callback',
  '/account/password',
  '/account/identities/{id}/remove',
  '/account/email',
  '/account/email/confirm',
  '/email/confirm',
  '/email/resend',
  '/password/forgot',
  '/password/reset',
  '/interaction/{uid}',
  '/interaction/{uid}/signup',
  '/interaction/{uid}/login',
  '/interaction/{uid}/consent',
  '/interaction/{uid}/abort',
  '/interaction/{uid}/federated/{provider}',
  '/interaction/{uid}/federated/{provider}/callback',
  '/interaction/{uid}/link',
  '/interaction/{uid}/link/separate',
  '/interaction/{uid}/link/cancel',
  '/federation/{provider}/callback',
  '/api/me',
  '/assets/latchkey.css',
  '/assets/{junk}',
  '/.well-known/openid-configuration',
  '/authorize',
  '/authorize/{uid}',
  '/token',
  '/userinfo',
  '/jwks',
  '/logout',
  '/logout/confirm',
  '/logout/success',
  '/token/introspection',
  '/token/revocation',
  '/par',
  '/{junk}',
];

const METHODS = [
  'GET',
  'GET',
  'POST',
  'POST',
  'POST',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'HEAD',
];

const JUNK_SEGMENTS = [
  '%ZZ',
  '%00',
  '%E2%80%AE',
  '..%2F..%2Fetc%2Fpasswd',
  '%C0%AE%C0%AE',
  'a'.repeat(3000),
  '%F0%9F%98%80',
  '%FF%FE',
  ';jsessionid=1',
  '%0d%0aSet-Cookie:%20x=1',
];

const CONTENT_TYPES = [
  undefined,
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'multipart/form-data; boundary=xyz',
  'application/x-www-form-urlencoded, application/json',
  '%%%',
  'application/jwt',
];

const ENCODINGS = [undefined, undefined, undefined, 'gzip', 'deflate', 'br', 'identity', 'x-junk'];

const ACCEPTS = [undefined, 'text/html', 'application/json', '*/*', 'image/png', ';;;,,,'];

function query(r: ReturnType<typeof random>, m: Material): string {
  const c = TEST_CLIENTS.firstParty;
  const valid = {
    client_id: c.client_id,
    response_type: 'code',
    scope: 'openid profile email',
    redirect_uri: c.redirect_uris[0],
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'abc',
  };
  switch (Math.floor(r.next() * 10)) {
    case 0:
      return '';
    case 1:
      return `?${new URLSearchParams(valid)}`;
    case 2: {
      const broken: Record<string, string> = { ...valid };
      const key = r.pick(Object.keys(broken));
      broken[key] = r.pick(['', '\u0000', 'x'.repeat(5000), '<script>', '%ZZ', 'ES512', 'none']);
      return `?${new URLSearchParams(broken)}`;
    }
    case 3:
      return '?client_id[]=x&client_id[]=y&response_type=code';
    case 4:
      return `?${new URLSearchParams(valid)}&response_type=code&scope=openid`;
    case 5:
      return '?%zz=%zz&&&=&a==b';
    case 6:
      return `?state=${encodeURIComponent(m.uid)}&code=abc&error=access_denied`;
    case 7:
      return `?request=${'e'.repeat(2000)}.e30.x&client_id=${c.client_id}`;
    case 8:
      return '?access_token=abc&prompt=none&max_age=-1&ui_locales=%00';
    default:
      return `?${r.pick(['a', 'b', 'login_hint', 'id_token_hint'])}=${r.pick(JUNK_SEGMENTS)}`;
  }
}

function body(
  r: ReturnType<typeof random>,
  m: Material,
): { chunks: (string | Buffer)[]; chunked: boolean } | undefined {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const choice = Math.floor(r.next() * 16);
  const one = (text: string | Buffer) => ({ chunks: [text], chunked: r.chance(0.3) });
  switch (choice) {
    case 0:
      return undefined;
    case 1:
      return one('');
    case 2:
      return one(
        form({
          csrf: r.chance(0.5) ? m.interactionCsrf : m.accountCsrf,
          email: r.pick(['a@example.com', 'a\u0000@example.com', '', 'x'.repeat(2000)]),
          password: r.pick(['correct horse battery', '\u0001\u0002', '', 'p'.repeat(100)]),
          name: r.pick(['Ada', '\u202eAda', '\u0000', 'n'.repeat(500)]),
          decision: r.pick(['allow', 'deny', '', 'maybe']),
          current_password: 'x',
          new_password: r.pick([
            'short',
            'a much longer password here',
            '\u0000\u0000\u0000\u0000',
          ]),
        }),
      );
    case 3:
      return one(Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]));
    case 4:
      return one(Buffer.from(Array.from({ length: 200 }, () => Math.floor(r.next() * 256))));
    case 5:
      return { chunks: Array.from({ length: 20 }, () => 'a=1&'.repeat(256)), chunked: true };
    case 6:
      return { chunks: ['a'.repeat(20 * 1024)], chunked: false };
    case 7:
      return one('{"name":"Ada","picture":"https://example.com/a.png"}');
    case 8:
      return one(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    case 9:
      return one(
        r.pick(['[]', 'null', '1', '"x"', '{"name":1}', '{"picture":{}}', '{"__proto__":{"x":1}}']),
      );
    case 10:
      return one('{"name": "trunc');
    case 11:
      return one('a=1&a=2&csrf=x&csrf=y&email=a&email=b');
    case 12:
      return one('%%%&=&&%zz=%00');
    case 13:
      return one(
        form({
          grant_type: r.pick([
            'authorization_code',
            'refresh_token',
            'password',
            'client_credentials',
            '',
            'x',
          ]),
          code: r.pick(['abc', '', '\u0000', 'c'.repeat(5000)]),
          refresh_token: 'abc',
          redirect_uri: r.pick([TEST_CLIENTS.firstParty.redirect_uris[0], 'javascript:1']),
          code_verifier: r.pick(['short', 'v'.repeat(200)]),
          client_id: r.pick([
            TEST_CLIENTS.publicSpa.client_id,
            TEST_CLIENTS.firstParty.client_id,
            'nobody',
          ]),
          token: r.pick([m.userinfoToken, 'abc', '']),
          token_type_hint: r.pick(['access_token', 'refresh_token', 'junk']),
          logout: 'yes',
          xsrf: 'x',
        }),
      );
    case 14:
      return one(`{"name":"${'\\u0000'.repeat(3)}","picture":"https://example.com/\\u0000"}`);
    default:
      return one(`--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n`);
  }
}

function headers(
  r: ReturnType<typeof random>,
  m: Material,
  issuer: string,
): Record<string, string> {
  const h: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) h[name] = value;
  };
  set(
    'content-type',
    r.chance(0.4)
      ? 'application/x-www-form-urlencoded'
      : r.chance(0.3)
        ? 'application/json'
        : r.pick(CONTENT_TYPES),
  );
  set('content-encoding', r.pick(ENCODINGS));
  set('accept', r.pick(ACCEPTS));
  const cookies = [
    r.chance(0.5) ? m.interactionCookie : undefined,
    r.chance(0.5) ? m.sessionCookie : undefined,
    r.chance(0.1) ? 'latchkey.session=%ZZ; latchkey.session.sig=x' : undefined,
    r.chance(0.05) ? `junk=${'j'.repeat(3000)}` : undefined,
  ].filter((c): c is string => c !== undefined && c !== '');
  if (cookies.length > 0) h.cookie = cookies.join('; ');
  set(
    'authorization',
    r.pick([
      undefined,
      undefined,
      `Bearer ${m.apiToken}`,
      `Bearer ${m.userinfoToken}`,
      'Bearer',
      'Bearer a b c',
      `Basic ${Buffer.from(`${TEST_CLIENTS.firstParty.client_id}:${TEST_CLIENTS.firstParty.client_secret}`).toString('base64')}`,
      'Basic %%%',
      'Basic Og==',
      'DPoP abc',
      `Bearer ${'t'.repeat(5000)}`,
    ]),
  );
  // Mostly what our own pages send, so most requests get past the same-origin check.
  set(
    'origin',
    r.chance(0.7)
      ? issuer
      : r.pick([undefined, 'null', 'https://evil.example', 'http://127.0.0.1:1']),
  );
  set(
    'sec-fetch-site',
    r.chance(0.7) ? 'same-origin' : r.pick([undefined, 'cross-site', 'none', 'junk']),
  );
  if (r.chance(0.1)) h.dpop = 'eyJhbGciOiJub25lIn0.e30.';
  if (r.chance(0.1)) h['x-forwarded-for'] = r.pick(['1.2.3.4', '%00', 'a, b, c', '']);
  if (r.chance(0.05)) h.host = r.pick(['evil.example', '', 'a'.repeat(300)]);
  if (r.chance(0.05)) h.range = 'bytes=0-1,5-';
  if (r.chance(0.05)) h['if-none-match'] = '*';
  if (r.chance(0.05)) h.expect = '100-continue';
  return h;
}

function fillPath(template: string, r: ReturnType<typeof random>, m: Material): string {
  return template
    .replace('{uid}', () =>
      r.pick([m.uid, m.uid, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', ...JUNK_SEGMENTS]),
    )
    .replace('{provider}', () => r.pick(['google', 'facebook', 'x', 'nope', ...JUNK_SEGMENTS]))
    .replace('{id}', () => r.pick([randomUUID(), 'not-a-uuid', ...JUNK_SEGMENTS]))
    .replace('{junk}', () => r.pick(JUNK_SEGMENTS));
}

export interface FuzzReport {
  seed: number;
  requests: number;
  seconds: number;
  statuses: Record<string, number>;
  /** Answers per route template, to show how deep the requests got. */
  byRoute: Record<string, Record<string, number>>;
  /** Answers of 500 and above, and failed or timed-out requests, with what was sent. */
  failures: string[];
  stderr: string[];
  nonJson: string[];
  exitCode: number | null;
}

async function material(issuer: string): Promise<Material> {
  const c = TEST_CLIENTS.firstParty;
  const resource = `${issuer}/api`;
  const api = await signUpAndAuthorize(
    issuer,
    c,
    { scope: 'openid profile email', resource },
    { resource },
  );
  const plain = await signUpAndAuthorize(issuer, c);
  const account = await api.browser.get('/account');
  const accountCsrf = /name="csrf" value="([^"]+)"/.exec(account.data)?.[1] ?? '';
  const { browser, login: html } = await atSignInPage(issuer, c);
  const form = formByAction(html, '/login');
  const uid = /\/interaction\/([^/]+)\/login/.exec(form.action)?.[1] ?? '';
  return {
    uid,
    interactionCookie: await browser.jar.getCookieString(`${issuer}/interaction/${uid}/login`),
    interactionCsrf: form.fields.csrf ?? '',
    sessionCookie: await api.browser.jar.getCookieString(`${issuer}/account`),
    accountCsrf,
    apiToken: api.tokens.access_token,
    userinfoToken: plain.tokens.access_token,
  };
}

/** Boots a server process (with the fake upstreams) and sends `count` malformed requests. */
export async function runFuzz(
  options: { count?: number; seed?: number; concurrency?: number } = {},
) {
  const count = options.count ?? 3000;
  const seed = options.seed ?? 1;
  const namespace = uniqueNamespace('fuzz');
  const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-fuzz-'));
  const clientsFile = path.join(dir, 'clients.json');
  await writeFile(clientsFile, JSON.stringify(Object.values(TEST_CLIENTS)));
  const upstreams = await startUpstreams();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  upstreams.register(issuer);
  const server = await startServerProcess(
    serverEnv({ namespace, port, issuer, clientsFile, logLevel: 'warn', extra: upstreams.env }),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 8 });
  try {
    const m = await material(issuer);
    const r = random(seed);
    const statuses: Record<string, number> = {};
    const byRoute: Record<string, Record<string, number>> = {};
    const count1 = (route: string, status: string | number) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      byRoute[route] ??= {};
      (byRoute[route] as Record<string, number>)[status] =
        ((byRoute[route] as Record<string, number>)[status] ?? 0) + 1;
    };
    const failures: string[] = [];
    let sent = 0;
    const started = performance.now();
    const worker = async () => {
      while (sent < count) {
        sent += 1;
        const method = r.pick(METHODS);
        const template = r.pick(PATHS);
        const target = `${fillPath(template, r, m)}${query(r, m)}`;
        const h = headers(r, m, issuer);
        const b = method === 'GET' || method === 'HEAD' ? undefined : body(r, m);
        if (b && !b.chunked) {
          h['content-length'] = String(b.chunks.reduce((n, c) => n + Buffer.byteLength(c), 0));
        }
        const what = `${method} ${target.slice(0, 120)} ${JSON.stringify(h).slice(0, 300)} body=${b ? JSON.stringify(String(b.chunks[0]).slice(0, 80)) : 'none'}`;
        try {
          const res = await rawRequest({
            method,
            url: `${issuer}${target}`,
            headers: h,
            chunks: b?.chunks ?? [],
            agent,
            timeoutMs: 15_000,
          });
          count1(template, res.status);
          if (res.status >= 500)
            failures.push(`${res.status} ${what} -> ${res.body.slice(0, 200)}`);
        } catch (error) {
          const code = (error as { code?: string }).code ?? (error as Error).message;
          count1(template, code);
          failures.push(`${code} ${what}`);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    const exitCode = await server.stop();
    const nonJson = server.stdout.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    return {
      seed,
      requests: count,
      seconds,
      statuses,
      byRoute,
      failures,
      stderr: server.stderr,
      nonJson,
      exitCode,
    } satisfies FuzzReport;
  } finally {
    agent.destroy();
    await server.stop();
    await upstreams.close();
    await dropNamespace(namespace);
    await rm(dir, { recursive: true, force: true });
  }
}

export function describeFuzz(report: FuzzReport): string[] {
  const statuses = Object.entries(report.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  const fiveXX = Object.entries(report.statuses)
    .filter(([status]) => /^5\d\d$/.test(status))
    .reduce((n, [, v]) => n + v, 0);
  return [
    `Fuzzing every route: ${report.requests} malformed requests (seed ${report.seed}) in ${report.seconds.toFixed(1)} s`,
    `answers: ${statuses}`,
    `5xx: ${fiveXX}; failed or timed-out requests: ${report.failures.length - fiveXX}`,
    `server: exit code ${report.exitCode}, ${report.stderr.length} stderr line(s), ${report.nonJson.length} non-JSON stdout line(s)`,
    'per route:',
    ...Object.entries(report.byRoute)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([route, counts]) =>
          `  ${route.padEnd(50)} ${Object.entries(counts)
            .map(([status, n]) => `${status}:${n}`)
            .join(' ')}`,
      ),
    ...report.failures.slice(0, 20).map((f) => `  ${f}`),
    ...report.stderr.slice(0, 10).map((l) => `  stderr: ${l}`),
  ];
}

/** What Latchkey promises under malformed input, judged on a report. */
export function judgeFuzz(report: FuzzReport): Finding[] {
  const fiveXX = Object.entries(report.statuses)
    .filter(([status]) => /^5\d\d$/.test(status))
    .reduce((n, [, v]) => n + v, 0);
  return [
    { line: `no answer of 500 or above (${fiveXX} seen)`, held: fiveXX === 0 },
    {
      line: `no failed or timed-out request (${report.failures.length - fiveXX} seen)`,
      held: report.failures.length === fiveXX,
    },
    {
      line: `only JSON log lines, nothing on stderr, exit code 0 (exit ${report.exitCode})`,
      held: report.exitCode === 0 && report.stderr.length === 0 && report.nonJson.length === 0,
    },
  ];
}

export default {
  name: 'fuzzing every route',
  async run() {
    const report = await runFuzz();
    return [...describeFuzz(report).map((line) => ({ line })), ...judgeFuzz(report)];
  },
} satisfies SecurityCase;

if (import.meta.main) {
  const [count, seed] = process.argv.slice(2).map(Number);
  const report = await runFuzz({
    ...(count ? { count } : {}),
    ...(seed ? { seed } : {}),
  });
  for (const line of describeFuzz(report)) console.log(line);
}
