// Reads settings from an environment map, collecting every problem instead of stopping at the first.
// It never touches process.env itself: config.ts hands it the environment.

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export const DEFAULTS = {
  PORT: '3000',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/latchkey',
  DATABASE_SCHEMA: 'public',
  REDIS_URL: 'redis://127.0.0.1:6379',
  REDIS_KEY_PREFIX: 'latchkey:',
  REDIS_CLUSTER: 'false',
  BCRYPT_COST: '12',
  TRUST_PROXY: 'false',
  LOG_LEVEL: 'info',
  MIGRATE_ON_BOOT: 'true',
  ALLOW_INSECURE_ISSUER: 'false',
  SHUTDOWN_TIMEOUT_MS: '10000',
  ALLOW_INSECURE_UPSTREAMS: 'false',
  UPSTREAM_TIMEOUT_MS: '10000',
  REFRESH_REUSE_GRACE_SECONDS: '30',
  CLAIMS_CACHE_SECONDS: '60',
  RECENT_SIGN_IN_SECONDS: '300',
  DEVICE_CODE_TTL_SECONDS: '600',
  DEVICE_POLL_INTERVAL_SECONDS: '5',
  DEVICE_CODE_ATTEMPTS_PER_SESSION: '10',
  DEVICE_CODE_ATTEMPTS_PER_SOURCE: '50',
  BACKCHANNEL_ALLOW_PRIVATE_NETWORK: 'false',
  SESSION_METADATA: 'true',
  SIGN_UP_ENABLED: 'true',
  MAIL_QUEUE_LIMIT: '500',
  AUDIT_RETENTION_DAYS: '180',
  AUDIT_FLUSH_MS: '250',
  AUDIT_BUFFER_LIMIT: '10000',
} as const;

/** Collects problems instead of throwing at the first one. */
export class Reader {
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
    return this.booleanOr(name, DEFAULTS[name] === 'true');
  }

  booleanOr(name: string, fallback: boolean): boolean {
    const text = this.raw(name)?.toLowerCase();
    if (text === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    this.problems.push(`${name} must be true or false (got "${text}")`);
    return fallback;
  }

  /** An integer setting whose default is computed elsewhere: undefined when unset or invalid. */
  optionalInteger(name: string, min: number, max: number): number | undefined {
    const text = this.raw(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
      return undefined;
    }
    return value;
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
