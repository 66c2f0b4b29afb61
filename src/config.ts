// The only reader of process.env: parses every setting once and reports every problem at once.

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** Public issuer URL, without a trailing slash. */
  readonly issuer: string;
  readonly port: number;
  readonly databaseUrl: string;
  /** Postgres schema holding Latchkey's tables. */
  readonly databaseSchema: string;
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  /** Path of the JSON list of OIDC clients; undefined means no clients. */
  readonly clientsFile: string | undefined;
  /** Cookie signing keys, newest first; undefined means generated once and kept in Postgres. */
  readonly cookieKeys: readonly string[] | undefined;
  readonly bcryptCost: number;
  readonly trustProxy: boolean;
  readonly logLevel: LogLevel;
  readonly migrateOnBoot: boolean;
  readonly allowInsecureIssuer: boolean;
  readonly shutdownTimeoutMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
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

export const DEFAULTS = {
  PORT: '3000',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/latchkey',
  DATABASE_SCHEMA: 'public',
  REDIS_URL: 'redis://127.0.0.1:6379',
  REDIS_KEY_PREFIX: 'latchkey:',
  BCRYPT_COST: '12',
  TRUST_PROXY: 'false',
  LOG_LEVEL: 'info',
  MIGRATE_ON_BOOT: 'true',
  ALLOW_INSECURE_ISSUER: 'false',
  SHUTDOWN_TIMEOUT_MS: '10000',
} as const;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for hosts that never leave the machine: plain http is acceptable there. */
export function isLoopbackHost(hostname: string): boolean {
  // URL hostnames hold IPv4 addresses as four decimal parts; a name like 127.example.com is not one.
  return (
    LOOPBACK_HOSTS.has(hostname) ||
    hostname.endsWith('.localhost') ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname)
  );
}

/** Collects problems instead of throwing at the first one. */
class Reader {
  readonly problems: string[] = [];
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  raw(name: string): string | undefined {
    const value = this.#env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  string(name: keyof typeof DEFAULTS): string {
    return this.raw(name) ?? DEFAULTS[name];
  }

  integer(name: keyof typeof DEFAULTS, min: number, max: number): number {
    const text = this.string(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
      return Number(DEFAULTS[name]);
    }
    return value;
  }

  boolean(name: keyof typeof DEFAULTS): boolean {
    const text = this.string(name).toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    this.problems.push(`${name} must be true or false (got "${text}")`);
    return DEFAULTS[name] === 'true';
  }

  url(name: keyof typeof DEFAULTS, protocols: readonly string[]): string {
    const text = this.string(name);
    const parsed = URL.parse(text);
    if (!parsed || !protocols.includes(parsed.protocol)) {
      this.problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
    }
    return text;
  }
}

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

function readCookieKeys(r: Reader): readonly string[] | undefined {
  const text = r.raw('COOKIE_KEYS');
  if (text === undefined) return undefined;
  const keys = text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  if (keys.length === 0) {
    r.problems.push('COOKIE_KEYS must list at least one key');
  }
  keys.forEach((key, i) => {
    if (key.length < 32) {
      r.problems.push(`COOKIE_KEYS entry ${i + 1} must be at least 32 characters long`);
    }
  });
  return Object.freeze(keys);
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
  const logLevel = r.string('LOG_LEVEL') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    r.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }

  // Read first so a bad PORT is reported as such, not as a bad default issuer.
  const port = r.integer('PORT', 0, 65535);
  const config: Config = {
    issuer: readIssuer(r, allowInsecureIssuer, port),
    port,
    databaseUrl: r.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseSchema: schema,
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix,
    clientsFile: r.raw('CLIENTS_FILE'),
    cookieKeys: readCookieKeys(r),
    bcryptCost: r.integer('BCRYPT_COST', 4, 16),
    trustProxy: r.boolean('TRUST_PROXY'),
    logLevel,
    migrateOnBoot: r.boolean('MIGRATE_ON_BOOT'),
    allowInsecureIssuer,
    shutdownTimeoutMs: r.integer('SHUTDOWN_TIMEOUT_MS', 0, 600_000),
  };

  if (URL.parse(config.issuer)?.protocol === 'https:' && !config.trustProxy) {
    r.problems.push(
      'ISSUER is https but TRUST_PROXY is false: Latchkey serves plain HTTP behind a TLS-terminating proxy, so set TRUST_PROXY=true and have the proxy send X-Forwarded-Proto',
    );
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}
