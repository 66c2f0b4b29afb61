// Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, the server process (started as npm start does)
// sends spans of HTTP requests, Koa routers, Postgres queries and Redis commands to an OTLP/HTTP
// receiver; its log lines carry the trace ids; no span holds a password, code, token, secret or
// cookie value.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import {
  atSignInPage,
  callbackOf,
  exchangeCode,
  linkFromMail,
  OFFLINE,
  person,
  signIn,
  signUpLink,
} from '../support/oidc.ts';
import { type ServerProcess, startServerProcess } from '../support/process.ts';
import { dropNamespace, serverEnv, TEST_CLIENTS, uniqueNamespace } from '../support/server.ts';
import { refresh } from '../support/tokens.ts';

interface Attribute {
  key: string;
  value: Record<string, unknown>;
}
interface Span {
  traceId: string;
  spanId: string;
  name: string;
  attributes?: Attribute[];
}
interface Export {
  resourceSpans: {
    resource: { attributes: Attribute[] };
    scopeSpans: { scope: { name: string }; spans: Span[] }[];
  }[];
}

/** A collector stand-in: keeps every OTLP/HTTP JSON body posted to it, by path. */
async function startReceiver() {
  const bodies: { path: string; text: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString();
      bodies.push({ path: req.url ?? '', text });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    bodies,
    exports: () =>
      bodies.filter((b) => b.path === '/v1/traces').map((b) => JSON.parse(b.text) as Export),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const attributeValue = (a: Attribute | undefined) => (a ? Object.values(a.value)[0] : undefined);

describe('tracing', function () {
  this.timeout(60_000);
  const c = TEST_CLIENTS.firstParty;
  const namespace = uniqueNamespace('traces');
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: ServerProcess;
  let dir: string;
  /** Values that must never appear in a span. */
  const secrets: Record<string, string> = {};
  let logs: Record<string, unknown>[] = [];

  before(async () => {
    receiver = await startReceiver();
    dir = await mkdtemp(path.join(tmpdir(), 'latchkey-traces-'));
    const clientsFile = path.join(dir, 'clients.json');
    await writeFile(clientsFile, JSON.stringify(Object.values(TEST_CLIENTS)));
    server = await startServerProcess(
      serverEnv({
        namespace,
        clientsFile,
        extra: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          // Spans leave every 100 ms instead of every 5 s.
          OTEL_BSP_SCHEDULE_DELAY: '100',
          REFRESH_REUSE_GRACE_SECONDS: '0',
        },
      }),
    );

    // A person signs up and confirms by mail (the link's token is a secret too), then signs in
    // with the password in a fresh browser; the app exchanges both codes and refreshes.
    const who = person('traced');
    const first = await atSignInPage(server.issuer, c, OFFLINE);
    const signUpPage = await first.browser.get(signUpLink(first.login));
    await first.browser.submit(signUpPage.data, '/signup', who);
    const link = await linkFromMail(first.browser, who.email, '/email/confirm');
    secrets.confirmation = new URL(link).searchParams.get('token') ?? '';
    const confirmPage = await first.browser.get(link);
    const signedUp = await first.browser.follow(
      await first.browser.submit(confirmPage.data, '/email/confirm', {}),
    );
    await exchangeCode(first.rp, callbackOf(signedUp), first.auth);
    const { rp, browser, auth, login } = await atSignInPage(server.issuer, c, OFFLINE);
    const callback = callbackOf(await signIn(browser, login, who.email, who.password));
    const tokens = await exchangeCode(rp, callback, auth);
    const refreshed = await refresh(server.issuer, c, String(tokens.refresh_token));
    expect(refreshed.status).to.equal(200);
    Object.assign(secrets, {
      password: who.password,
      email: who.email,
      code: callback.searchParams.get('code') ?? '',
      state: auth.state,
      accessToken: String(tokens.access_token),
      refreshToken: String(tokens.refresh_token),
      idToken: String(tokens.id_token),
      rotatedRefreshToken: String(refreshed.data.refresh_token),
      clientSecret: c.client_secret,
    });
    const cookies = [
      ...(first.browser.jar.serializeSync()?.cookies ?? []),
      ...(browser.jar.serializeSync()?.cookies ?? []),
    ];
    for (const [i, cookie] of cookies.entries()) {
      if (String(cookie.value).length >= 16)
        secrets[`cookie ${cookie.key} ${i}`] = String(cookie.value);
    }
    // The last request's spans are exported within 100 ms; SIGTERM flushes the rest.
    expect(await server.stop()).to.equal(0);
    logs = server.stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
  });

  after(async () => {
    await receiver?.close();
    await dropNamespace(namespace);
    await rm(dir, { recursive: true, force: true });
  });

  const spans = () =>
    receiver
      .exports()
      .flatMap((e) =>
        e.resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((s) =>
            s.spans.map((span) => ({ ...span, scope: s.scope.name, resource: r.resource })),
          ),
        ),
      );
  const attr = (span: Span, key: string) =>
    attributeValue(span.attributes?.find((a) => a.key === key));

  it('exports spans named for the service from http, koa, pg and ioredis', () => {
    const all = spans();
    expect(all.length).to.be.greaterThan(20);
    const scopes = new Set(all.map((s) => s.scope));
    for (const scope of [
      '@opentelemetry/instrumentation-http',
      '@opentelemetry/instrumentation-koa',
      '@opentelemetry/instrumentation-pg',
      '@opentelemetry/instrumentation-ioredis',
    ]) {
      expect(scopes, scope).to.include(scope);
    }
    const service = attributeValue(
      all[0]?.resource.attributes.find((a) => a.key === 'service.name'),
    );
    expect(service).to.equal('latchkey');
    const token = all.find((s) => attr(s, 'url.path') === '/token');
    expect(token && attr(token, 'http.response.status_code')).to.equal(200);
    // Only traces are sent: no metrics or logs go to the collector.
    expect(new Set(receiver.bodies.map((b) => b.path))).to.deep.equal(new Set(['/v1/traces']));
  });

  it('gives Redis spans the command and key shape only, and pg spans parameterised statements', () => {
    const redis = spans().filter((s) => s.scope === '@opentelemetry/instrumentation-ioredis');
    expect(redis.length).to.be.greaterThan(5);
    for (const span of redis) {
      // Braces are hash tags (a Redis Cluster slot), part of the key's fixed shape.
      expect(String(attr(span, 'db.query.text'))).to.match(/^[a-z_]+( [A-Za-z_*:{}-]+)*$/);
    }
    // The namespace (with digits) and the hashed ids become *; the fixed words stay.
    const statements = redis.map((s) => String(attr(s, 'db.query.text')));
    expect(statements.some((q) => /^evalsha \*:oidc:Session:\*( |$)/.test(q))).to.equal(true);
    const pg = spans().filter((s) => s.scope === '@opentelemetry/instrumentation-pg');
    expect(pg.some((s) => /\$1/.test(String(attr(s, 'db.query.text'))))).to.equal(true);
  });

  it('keeps path words and query parameter names, and drops ids and values', () => {
    const authorize = spans().find((s) => attr(s, 'url.path') === '/authorize');
    const query = String(authorize && attr(authorize, 'url.query'));
    expect(query).to.include('code_challenge=*');
    expect(query).to.include('state=*');
    expect(query).not.to.match(/=[^*&]/);
    const paths = new Set(spans().map((s) => attr(s, 'url.path')));
    expect(paths).to.include('/interaction/*/login');
    expect(paths).to.include('/.well-known/openid-configuration');
    const login = spans().find((s) => attr(s, 'url.path') === '/interaction/*/login');
    expect(login && attr(login, 'http.route')).to.equal('/interaction/:uid/login');
  });

  it('puts the trace and span ids into the log lines of the request', () => {
    const tokenLine = logs.find((l) => l.msg === 'request' && l.path === '/token');
    expect(tokenLine?.traceId).to.match(/^[0-9a-f]{32}$/);
    expect(tokenLine?.spanId).to.match(/^[0-9a-f]{16}$/);
    const trace = spans().filter((s) => s.traceId === tokenLine?.traceId);
    expect(trace.some((s) => attr(s, 'url.path') === '/token')).to.equal(true);
    // Every request line of the run was written inside a trace.
    const requests = logs.filter((l) => l.msg === 'request');
    expect(requests.length).to.be.greaterThan(5);
    for (const line of requests) expect(line.traceId, String(line.path)).to.be.a('string');
  });

  it('holds no password, email, code, token, client secret or cookie value in any span', () => {
    const everything = receiver.bodies.map((b) => b.text).join('\n');
    expect(Object.keys(secrets).length).to.be.greaterThan(8);
    for (const [what, value] of Object.entries(secrets)) {
      expect(value.length, what).to.be.greaterThan(7);
      expect(everything.includes(value), `${what} appears in a span`).to.equal(false);
    }
  });
});
