// The environment of a server started by a test, the e2e run, the fuzzer or the benchmark.
import { randomBytes } from 'node:crypto';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The lowest BCRYPT_COST that NODE_ENV=production accepts. */
export const PRODUCTION_BCRYPT_COST = 10;

/** Where nothing listens: a production-like server that sends mail should get a catcher's URL. */
export const NO_RELAY = 'smtp://127.0.0.1:9';

/** A name no other test run uses: schema for Postgres, prefix for Redis. */
export function uniqueNamespace(label = 't'): string {
  return `lk_${label}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A fresh key-encryption key in KEY_ENCRYPTION_KEYS syntax (`id:base64`). */
export function newKek(id = 'test'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

export interface ServerEnvOptions {
  /** Postgres schema and Redis key prefix; without one the server uses the stores' defaults. */
  namespace?: string;
  /** NODE_ENV=production: a key-encryption key is required and BCRYPT_COST must be 10 or more. */
  production?: boolean;
  /** SMTP_URL; default none, or NO_RELAY for a production-like server (which requires one). */
  smtpUrl?: string;
  /** Default: 4 for a test server, the lowest production accepts for a production-like one. */
  bcryptCost?: number;
  /** KEY_ENCRYPTION_KEYS; default a fresh key (none for a test server: `undefined` leaves it out). */
  keyEncryptionKeys?: string | undefined;
  clientsFile?: string;
  issuer?: string;
  port?: number;
  databaseUrl?: string;
  redisUrl?: string;
  logLevel?: string;
  /** Anything else; an `undefined` value removes that variable. */
  extra?: Record<string, string | undefined>;
}

/** A complete server environment: the stores, a namespace in them, and a consistent mode. */
export function serverEnv(options: ServerEnvOptions = {}): Record<string, string> {
  const production = options.production ?? false;
  const bcryptCost = options.bcryptCost ?? (production ? PRODUCTION_BCRYPT_COST : 4);
  if (production && bcryptCost < PRODUCTION_BCRYPT_COST) {
    throw new Error(`a production-like server needs BCRYPT_COST >= 10 (got ${bcryptCost})`);
  }
  const kek =
    'keyEncryptionKeys' in options ? options.keyEncryptionKeys : production ? newKek() : undefined;
  const env: Record<string, string | undefined> = {
    NODE_ENV: production ? 'production' : 'test',
    DATABASE_URL: options.databaseUrl ?? TEST_DATABASE_URL,
    REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
    ...(options.namespace
      ? { DATABASE_SCHEMA: options.namespace, REDIS_KEY_PREFIX: `${options.namespace}:` }
      : {}),
    BCRYPT_COST: String(bcryptCost),
    KEY_ENCRYPTION_KEYS: kek,
    CLIENTS_FILE: options.clientsFile,
    ISSUER: options.issuer,
    PORT: options.port === undefined ? undefined : String(options.port),
    LOG_LEVEL: options.logLevel ?? 'info',
    SMTP_URL: options.smtpUrl ?? (production ? NO_RELAY : undefined),
    ...options.extra,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
