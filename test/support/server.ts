// Boots the real app on port 0 against real Postgres and Redis, in a namespace of its own.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { ThrottleLimits } from '../../src/accounts/login-throttle.ts';
import { type AppDeps, createApp, type LatchkeyApp } from '../../src/app.ts';
import { connect, type Resources } from '../../src/boot.ts';
import { type Config, type Env, loadConfig } from '../../src/config.ts';
import { capturingLogger } from './captured-logs.ts';
import { type MailCatcher, startMailCatcher } from './mail-catcher.ts';
import { catcherMailbox, forgetMailbox, registerMailbox } from './mailbox.ts';
import { atSignUpPage, person } from './oidc.ts';
import { connectTestRedis, deleteMatching } from './redis.ts';
import {
  newKek,
  serverEnv,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueNamespace,
} from './server-env.ts';
import { startUpstreams, type Upstreams } from './upstreams.ts';

export { newKek, serverEnv, TEST_DATABASE_URL, TEST_REDIS_URL, uniqueNamespace };

export const TEST_CLIENTS = {
  firstParty: {
    client_id: 'first-party-app',
    client_secret: 'first-party-secret-0123456789abcdef',
    client_name: 'First Party App',
    redirect_uris: ['http://127.0.0.1:1/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:1/signed-out'],
    first_party: true,
  },
  thirdParty: {
    client_id: 'third-party-app',
    client_secret: 'third-party-secret-0123456789abcdef',
    client_name: 'Third Party App',
    redirect_uris: ['http://127.0.0.1:2/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:2/signed-out'],
  },
  publicSpa: {
    client_id: 'public-spa',
    client_name: 'Public SPA',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1:3/callback'],
    first_party: true,
  },
} as const;

export interface TestServer {
  issuer: string;
  namespace: string;
  port: number;
  config: Config;
  latchkey: LatchkeyApp;
  resources: Resources;
  /** The KEY_ENCRYPTION_KEYS it booted with (a restart with `reuse` keeps it). */
  keyEncryptionKeys: string | undefined;
  /** Every JSON log line written so far. */
  logs: Record<string, unknown>[];
  /** This server's own mail catcher, its SMTP_URL unless the test gave another. */
  mail: MailCatcher;
  /** Closes everything; the database schema and Redis keys go too unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface TestServerOptions {
  clients?: unknown[];
  /** The RESOURCE_SERVERS_FILE entries; without them only Latchkey's own /api. */
  resourceServers?: unknown[];
  env?: Env;
  throttleLimits?: ThrottleLimits;
  endOtherSessions?: AppDeps['endOtherSessions'];
  backchannelBackoffMs?: number;
  /** Wait before the first mail retry; default 10 ms, so a refusing relay costs no time. */
  mailBackoffMs?: number;
  /** Restart a stopped server on the same port, database schema and Redis prefix. */
  reuse?: TestServer;
  /** How long passkey challenges last (default five minutes). */
  passkeyChallengeMs?: number;
  /**
   * The issuer's host name (default 127.0.0.1); browsers refuse an IP address as a WebAuthn RP
   * ID, so passkey tests in Chromium use `localhost`. The server still listens on 127.0.0.1.
   */
  host?: string;
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function dropNamespace(namespace: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(namespace)} CASCADE`);
  } finally {
    await client.end();
  }
  const redis = await connectTestRedis();
  try {
    await deleteMatching(redis, `${namespace}:*`);
  } finally {
    redis.disconnect();
  }
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const namespace = options.reuse?.namespace ?? uniqueNamespace();
  const dir = await mkdtemp(path.join(tmpdir(), 'latchkey-test-'));
  const clientsFile = path.join(dir, 'clients.json');
  await writeFile(clientsFile, JSON.stringify(options.clients ?? Object.values(TEST_CLIENTS)));
  const resourceServersFile = path.join(dir, 'resource-servers.json');
  if (options.resourceServers) {
    await writeFile(resourceServersFile, JSON.stringify(options.resourceServers));
  }

  const server = createServer();
  const port = await listen(server, options.reuse?.port);
  const host =
    options.host ?? (options.reuse ? new URL(options.reuse.issuer).hostname : '127.0.0.1');
  const issuer = `http://${host}:${port}`;
  const mail = await startMailCatcher();
  const smtpUrl = options.env && 'SMTP_URL' in options.env ? options.env.SMTP_URL : mail.url;
  const keyEncryptionKeys =
    options.env && 'KEY_ENCRYPTION_KEYS' in options.env
      ? options.env.KEY_ENCRYPTION_KEYS
      : options.reuse
        ? options.reuse.keyEncryptionKeys
        : newKek();
  // A boot that fails must not leave the catcher listening.
  const booted = await (async () => {
    const config = loadConfig(
      serverEnv({
        namespace,
        issuer,
        clientsFile,
        keyEncryptionKeys,
        logLevel: 'debug',
        extra: {
          ...(options.resourceServers ? { RESOURCE_SERVERS_FILE: resourceServersFile } : {}),
          ...options.env,
          KEY_ENCRYPTION_KEYS: keyEncryptionKeys,
          SMTP_URL: smtpUrl,
        },
      }),
    );

    const { lines: logs, logger } = capturingLogger('debug');
    const resources = await connect(config, logger);
    const latchkey = createApp({
      config,
      logger,
      ...resources,
      ...(options.throttleLimits ? { throttleLimits: options.throttleLimits } : {}),
      ...(options.endOtherSessions ? { endOtherSessions: options.endOtherSessions } : {}),
      ...(options.backchannelBackoffMs === undefined
        ? {}
        : { backchannelBackoffMs: options.backchannelBackoffMs }),
      mailBackoffMs: options.mailBackoffMs ?? 10,
      ...(options.passkeyChallengeMs === undefined
        ? {}
        : { passkeyChallengeMs: options.passkeyChallengeMs }),
    });
    return { config, logs, resources, latchkey };
  })().catch(async (error: unknown) => {
    await mail.stop();
    server.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const { config, logs, resources, latchkey } = booted;
  server.on('request', latchkey.handle);
  registerMailbox(issuer, catcherMailbox(mail));

  return {
    issuer,
    namespace,
    port,
    config,
    keyEncryptionKeys,
    latchkey,
    resources,
    logs,
    mail,
    async stop(stopOptions = {}) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await latchkey.mailer.close(2000);
      await latchkey.audit.close(2000);
      forgetMailbox(issuer);
      await mail.stop();
      await resources.close();
      if (!stopOptions.keepData) await dropNamespace(namespace);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A person with a password account, created directly rather than through the pages. */
export async function accountFor(server: TestServer, label: string) {
  const who = person(label);
  const profile = await server.latchkey.accounts.createAccount({
    email: who.email,
    name: who.name,
    emailVerified: false,
    password: who.password,
  });
  return { ...who, id: profile.id };
}

/** Reads through to whatever `get` returns once a hook has set it; fails clearly before that. */
function lazily<T extends object>(
  get: () => object | undefined,
  what: string,
  own: Record<string, unknown> = {},
): T {
  return new Proxy({} as T, {
    get(_target, key) {
      if (typeof key === 'string' && key in own) return own[key];
      const value = get();
      if (!value) throw new Error(`${what} starts in a before hook: use it inside tests and hooks`);
      return Reflect.get(value, key, value);
    },
  });
}

export interface SuiteServer extends TestServer {
  /** Starts it again, stopped with `keepData`, on the same port, schema and Redis prefix. */
  restart(options?: Omit<TestServerOptions, 'reuse'>): Promise<void>;
}

/**
 * Mocha hooks for the enclosing suite: a server started before its tests and stopped after them.
 * The result stands for that server inside tests and hooks.
 */
export function useServer(
  options: TestServerOptions | (() => TestServerOptions) = {},
): SuiteServer {
  let server: TestServer | undefined;
  before(async () => {
    server = await startTestServer(typeof options === 'function' ? options() : options);
  });
  after(async () => {
    await server?.stop();
  });
  const restart = async (again: Omit<TestServerOptions, 'reuse'> = {}) => {
    server = await startTestServer({ ...again, reuse: server });
  };
  return lazily<SuiteServer>(() => server, 'the test server', { restart });
}

/** Like useServer, with the fake Google, Facebook and X started first and registered with it. */
export function useServerWithUpstreams(options: TestServerOptions = {}): {
  server: TestServer;
  upstreams: Upstreams;
} {
  let server: TestServer | undefined;
  let upstreams: Upstreams | undefined;
  before(async () => {
    upstreams = await startUpstreams();
    server = await startTestServer({ ...options, env: { ...upstreams.env, ...options.env } });
    upstreams.register(server.issuer);
  });
  after(async () => {
    await server?.stop();
    await upstreams?.close();
  });
  return {
    server: lazily(() => server, 'the test server'),
    upstreams: lazily(() => upstreams, 'the fake upstreams'),
  };
}

/** `count` people open the sign-up page from one address, then all post it at once. */
export async function signUpsAtOnce(
  server: TestServer,
  source: string,
  count: number,
  label: string,
) {
  const forms = [];
  for (let i = 0; i < count; i++) {
    const { browser, form } = await atSignUpPage(
      server.issuer,
      TEST_CLIENTS.firstParty,
      {},
      { localAddress: source },
    );
    forms.push({ browser, form, who: person(label) });
  }
  const responses = await Promise.all(
    forms.map(({ browser, form, who }) => browser.post(form.action, { ...form.fields, ...who })),
  );
  let created = 0;
  for (const { who } of forms) {
    if (await server.latchkey.accounts.findAccountByEmail(who.email)) created += 1;
  }
  return { responses, created };
}
