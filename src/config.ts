// The only reader of process.env: parses every setting once and reports every problem at once.
import { defaultHashingQueueLimit } from './accounts/passwords.ts';
import { type AuditSettings, readAudit } from './config/audit.ts';
import { type Brand, readBrand } from './config/brand.ts';
import { type MailSettings, readMail } from './config/mail.ts';
import {
  type MetricsSettings,
  readMetrics,
  readTracing,
  type TracingSettings,
} from './config/observability.ts';
import { ConfigError, type Env, Reader } from './config/reader.ts';
import { type KeyEncryptionKey, readCookieKeys, readKeyEncryptionKeys } from './config/secrets.ts';
import { type RedisTarget, readRedisTarget } from './db/redis-target.ts';
import { isLoopbackHost } from './net.ts';
import {
  readUpstreamOrder,
  readUpstreamSettings,
  type UpstreamSettings,
} from './upstreams/registry.ts';
import type { SettingsReader } from './upstreams/upstream.ts';

export type { AuditSettings } from './config/audit.ts';
export type { Brand, BrandLogo } from './config/brand.ts';
export { defaultMailFrom, isMailFrom, type MailSettings } from './config/mail.ts';
export {
  type MetricsSettings,
  metricsExposed,
  type TracingSettings,
} from './config/observability.ts';
export { ConfigError, DEFAULTS, type Env } from './config/reader.ts';
export { KEK_BYTES, type KeyEncryptionKey } from './config/secrets.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** Public issuer URL, without a trailing slash. */
  readonly issuer: string;
  readonly port: number;
  readonly databaseUrl: string;
  /** A read replica of DATABASE_URL for the account reads behind claims; undefined: the primary. */
  readonly databaseReadUrl: string | undefined;
  /** Postgres schema holding Latchkey's tables. */
  readonly databaseSchema: string;
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  /** One server, a cluster or Sentinel, from REDIS_URL and REDIS_CLUSTER (db/redis-target.ts). */
  readonly redisTarget: RedisTarget;
  /** Path of the JSON list of OIDC clients; undefined means no clients. */
  readonly clientsFile: string | undefined;
  /** Path of the JSON list of resource servers (APIs); undefined means only Latchkey's own /api. */
  readonly resourceServersFile: string | undefined;
  /** Cookie signing keys, newest first; undefined means generated once and kept in Postgres. */
  readonly cookieKeys: readonly string[] | undefined;
  readonly bcryptCost: number;
  /** Password checks and hashes that may wait for a bcrypt slot; more are refused at once. */
  readonly bcryptQueueLimit: number;
  /** NODE_ENV is "production": settings meant for tests only are refused, optional ones required. */
  readonly production: boolean;
  readonly trustProxy: boolean;
  /** Proxies in front that each append to X-Forwarded-For; 0 unless trustProxy. */
  readonly trustProxyHops: number;
  readonly logLevel: LogLevel;
  readonly migrateOnBoot: boolean;
  readonly allowInsecureIssuer: boolean;
  readonly shutdownTimeoutMs: number;
  /** Each upstream's settings (src/upstreams/registry.ts); present only when its id and secret are set. */
  readonly upstreams: UpstreamSettings;
  /** Upstream ids in the order their buttons appear (UPSTREAM_ORDER, then the registry's). */
  readonly upstreamOrder: readonly string[];
  /** How long to wait for any answer from an upstream. */
  readonly upstreamTimeoutMs: number;
  /** Seconds in which a rotated refresh token presented again gets the same answer; 0: never. */
  readonly refreshReuseGraceSeconds: number;
  /** How recent a sign-in must be for a password change or removing a sign-in method. */
  readonly recentSignInSeconds: number;
  /** How long a profile read for the claims of tokens and userinfo is reused; 0: never. */
  readonly claimsCacheSeconds: number;
  /** Device sign-in (RFC 8628): code lifetime, polling interval and the wrong-code throttle. */
  readonly device: DeviceSettings;
  /** Logout tokens may be sent to loopback and private-network addresses (apps beside Latchkey). */
  readonly backchannelAllowPrivateNetwork: boolean;
  /** Record each session's device, address and activity for the list of devices (else only apps). */
  readonly sessionMetadata: boolean;
  /**
   * Keys that encrypt signing keys and generated cookie keys at rest, newest first: the first
   * encrypts, all decrypt. Empty means none (development only: those rows stay in plain text).
   */
  readonly keyEncryptionKeys: readonly KeyEncryptionKey[];
  /** Product name, logo, colours, support address and legal links on every page. */
  readonly brand: Brand;
  /** Anyone may create a password account (SIGN_UP_ENABLED); false hides and closes sign-up. */
  readonly signUpEnabled: boolean;
  /** Where mail goes (SMTP_URL), who it is from and how much may wait to be sent. */
  readonly mail: MailSettings;
  /** Prometheus metrics: a listener of their own and/or /metrics behind a bearer token. */
  readonly metrics: MetricsSettings;
  /** OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT); undefined: off. */
  readonly tracing: TracingSettings | undefined;
  /** The audit trail: retention and how its writer batches (config/audit.ts). */
  readonly audit: AuditSettings;
}

export interface DeviceSettings {
  /** How long a user code can be entered (DEVICE_CODE_TTL_SECONDS). */
  readonly codeTtlSeconds: number;
  /** The least seconds between two polls of /token; faster gets slow_down. */
  readonly pollIntervalSeconds: number;
  /** Wrong user codes allowed per browser session, and per client address, in 15 minutes. */
  readonly attemptsPerSession: number;
  readonly attemptsPerSource: number;
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

function readIssuer(r: Reader, allowInsecure: boolean, port: number): string {
  const text = r.raw('ISSUER');
  const value = text ?? `http://localhost:${port}`;
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    r.problems.push('ISSUER must be an absolute http(s) URL, e.g. https://id.example.com');
    return value;
  }
  if (url.search || url.hash || value.includes('?') || value.includes('#')) {
    r.problems.push('ISSUER must not have a query or fragment');
  }
  if (url.username || url.password) {
    r.problems.push('ISSUER must not contain credentials');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecure) {
    r.problems.push(
      'ISSUER must use https unless its host is loopback (set ALLOW_INSECURE_ISSUER=true to accept plain http, e.g. on a private test network)',
    );
  }
  // The serialised URL has a lowercase scheme and host, so every comparison sees one spelling.
  return `${url.protocol}//${url.host}${url.pathname}`.replace(/\/+$/, '');
}

/** Upstream settings are read by each upstream's definition through this. */
function readUpstreams(r: Reader): Pick<Config, 'upstreams' | 'upstreamOrder'> {
  // Plain http upstreams beyond loopback only for test networks, and only when asked for.
  const allowHttp = r.boolean('ALLOW_INSECURE_UPSTREAMS');
  const env: SettingsReader = {
    optional: (name) => r.raw(name),
    problem: (message) => r.problems.push(message),
    boolean: (name, fallback) => r.booleanOr(name, fallback),
    url(name, fallback) {
      const value = r.raw(name) ?? fallback;
      const url = URL.parse(value);
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        r.problems.push(`${name} must be an absolute https URL`);
      } else if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowHttp) {
        r.problems.push(`${name} must use https (plain http is accepted only for loopback hosts)`);
      } else if (url.search || url.hash) {
        r.problems.push(`${name} must not have a query or fragment`);
      }
      return value.replace(/\/+$/, '');
    },
  };
  return { upstreams: readUpstreamSettings(env), upstreamOrder: readUpstreamOrder(env) };
}

/** How many proxies append to X-Forwarded-For: the client address is that many entries from the right. */
function readProxyHops(r: Reader, trustProxy: boolean): number {
  const text = r.raw('TRUST_PROXY_HOPS');
  if (text === undefined) return trustProxy ? 1 : 0;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 10) {
    r.problems.push(`TRUST_PROXY_HOPS must be an integer from 1 to 10 (got "${text}")`);
    return 1;
  }
  if (!trustProxy) {
    r.problems.push('TRUST_PROXY_HOPS is set but TRUST_PROXY is false');
    return 0;
  }
  return value;
}

/** DATABASE_READ_URL: optional; a streaming replica of DATABASE_URL's database. */
function readReplicaUrl(r: Reader): string | undefined {
  const text = r.raw('DATABASE_READ_URL');
  if (text === undefined) return undefined;
  const parsed = URL.parse(text);
  if (!parsed || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')) {
    r.problems.push('DATABASE_READ_URL must be a postgres: or postgresql: URL');
  }
  return text;
}

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);

  const allowInsecureIssuer = r.boolean('ALLOW_INSECURE_ISSUER');
  const schema = r.string('DATABASE_SCHEMA');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    r.problems.push(
      'DATABASE_SCHEMA must be a lowercase SQL identifier (letters, digits, underscores)',
    );
  }
  const redisKeyPrefix = r.string('REDIS_KEY_PREFIX');
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(redisKeyPrefix)) {
    r.problems.push(
      'REDIS_KEY_PREFIX must be 1-64 characters of letters, digits, ":", "_", ".", "-"',
    );
  }
  const redisUrl = r.string('REDIS_URL');
  const redis = readRedisTarget(redisUrl, r.boolean('REDIS_CLUSTER'));
  r.problems.push(...redis.problems);
  const logLevel = r.string('LOG_LEVEL') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    r.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }

  // Read first so a bad PORT is reported as such, not as a bad default issuer.
  const port = r.integer('PORT', 0, 65535);
  const production = r.raw('NODE_ENV') === 'production';
  const bcryptCost = r.integer('BCRYPT_COST', 4, 16);
  if (production && bcryptCost < 10) {
    r.problems.push(
      `BCRYPT_COST must be at least 10 when NODE_ENV is production (got ${bcryptCost}); lower costs are for tests only`,
    );
  }
  const trustProxy = r.boolean('TRUST_PROXY');
  const issuer = readIssuer(r, allowInsecureIssuer, port);
  const brand = readBrand(r);
  const signUpEnabled = r.boolean('SIGN_UP_ENABLED');
  const tracing = readTracing(env);
  r.problems.push(...tracing.problems);
  const config: Config = {
    issuer,
    port,
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseReadUrl: readReplicaUrl(r),
    databaseSchema: schema,
    redisUrl,
    redisKeyPrefix,
    redisTarget: redis.target,
    clientsFile: r.raw('CLIENTS_FILE'),
    resourceServersFile: r.raw('RESOURCE_SERVERS_FILE'),
    cookieKeys: readCookieKeys(r),
    bcryptCost,
    bcryptQueueLimit:
      r.optionalInteger('BCRYPT_QUEUE_LIMIT', 0, 10_000) ?? defaultHashingQueueLimit(bcryptCost),
    production,
    trustProxy,
    trustProxyHops: readProxyHops(r, trustProxy),
    logLevel,
    migrateOnBoot: r.boolean('MIGRATE_ON_BOOT'),
    allowInsecureIssuer,
    shutdownTimeoutMs: r.integer('SHUTDOWN_TIMEOUT_MS', 0, 600_000),
    ...readUpstreams(r),
    upstreamTimeoutMs: r.integer('UPSTREAM_TIMEOUT_MS', 500, 60_000),
    refreshReuseGraceSeconds: r.integer('REFRESH_REUSE_GRACE_SECONDS', 0, 300),
    recentSignInSeconds: r.integer('RECENT_SIGN_IN_SECONDS', 30, 3600),
    claimsCacheSeconds: r.integer('CLAIMS_CACHE_SECONDS', 0, 3600),
    device: {
      codeTtlSeconds: r.integer('DEVICE_CODE_TTL_SECONDS', 2, 1800),
      pollIntervalSeconds: r.integer('DEVICE_POLL_INTERVAL_SECONDS', 1, 60),
      attemptsPerSession: r.integer('DEVICE_CODE_ATTEMPTS_PER_SESSION', 1, 1000),
      attemptsPerSource: r.integer('DEVICE_CODE_ATTEMPTS_PER_SOURCE', 1, 100_000),
    },
    backchannelAllowPrivateNetwork: r.boolean('BACKCHANNEL_ALLOW_PRIVATE_NETWORK'),
    sessionMetadata: r.boolean('SESSION_METADATA'),
    keyEncryptionKeys: readKeyEncryptionKeys(r, production),
    brand,
    signUpEnabled,
    mail: readMail(r, { product: brand.product, issuer, production, signUpEnabled }),
    metrics: readMetrics(r, port),
    tracing: tracing.settings,
    audit: readAudit(r),
  };

  if (URL.parse(config.issuer)?.protocol === 'https:' && !config.trustProxy) {
    r.problems.push(
      'ISSUER is https but TRUST_PROXY is false: Latchkey serves plain HTTP behind a TLS-terminating proxy, so set TRUST_PROXY=true',
    );
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}
