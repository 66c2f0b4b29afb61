// Connects to Postgres and Redis and loads what the app needs from them, in a safe order.
import type { Redis } from 'ioredis';
import type { JWK } from 'jose';
import type { DataSource } from 'typeorm';
import { type Config, describeUrl } from './config.ts';
import { createDataSource } from './db/data-source.ts';
import { ensureDatabase, migrate } from './db/migrate.ts';
import { createRedis } from './db/redis.ts';
import { StoreOutages } from './db/store-outages.ts';
import { loadCookieKeys } from './keys/cookie-keys.ts';
import { SigningKeyStore } from './keys/signing-keys.ts';
import type { Logger } from './logger.ts';
import { type ClientEntry, loadClients } from './oidc/clients.ts';

export interface Resources {
  db: DataSource;
  redis: Redis;
  clients: ClientEntry[];
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  /** Outages of Postgres and Redis after boot: logged once each, probed until they end. */
  outages: StoreOutages;
  close(): Promise<void>;
}

/** Says which service failed, keeping the original error as the cause. */
async function reaching<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${what}: ${reason}`, { cause: error });
  }
}

/** Opens Postgres (migrating first unless disabled). */
export async function connectDatabase(
  config: Config,
  logger: Logger,
  onPoolError?: (error: Error) => void,
): Promise<DataSource> {
  const where = `PostgreSQL at ${describeUrl(config.databaseUrl)}`;
  if (config.migrateOnBoot) await reaching(where, () => ensureDatabase(config.databaseUrl));
  const db = createDataSource(config, onPoolError ? { onPoolError } : {});
  await reaching(where, () => db.initialize());
  if (config.migrateOnBoot) {
    const { applied } = await migrate(db, config.databaseSchema);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  return db;
}

export async function connect(config: Config, logger: Logger): Promise<Resources> {
  // Clients first: a bad file should stop the boot before anything is opened.
  const clients = await loadClients(config.clientsFile);
  // Failures before the boot completes stop it; afterwards they are outages, logged once each.
  let outages: StoreOutages | undefined;
  const db = await connectDatabase(config, logger, (error) => outages?.failed('postgres', error));
  const redis = createRedis(config.redisUrl);
  // ioredis reconnects by itself; without a listener it would print each failure to stderr.
  redis.on('error', (error: Error) => outages?.failed('redis', error));
  redis.on('close', () => outages?.failed('redis', new Error('connection closed')));
  redis.on('ready', () => outages?.answered('redis'));
  try {
    await reaching(`Redis at ${describeUrl(config.redisUrl)}`, () => redis.connect());
    const keys = new SigningKeyStore(db);
    const created = await keys.ensureActiveKeys();
    if (created.length > 0) logger.info({ kids: created }, 'signing keys generated');
    const jwks = await keys.providerJwks();
    const cookieKeys = await loadCookieKeys(db, config.cookieKeys);
    logger.info(
      {
        clients: clients.length,
        signingKeys: jwks.keys.length,
        cookieKeysFrom: config.cookieKeys ? 'COOKIE_KEYS' : 'database',
      },
      'configuration loaded',
    );
    outages = new StoreOutages(logger, {
      postgres: async () => {
        await db.query('SELECT 1');
      },
      redis: async () => {
        await redis.ping();
      },
    });
    const tracked = outages;
    return {
      db,
      redis,
      clients,
      jwks,
      cookieKeys,
      outages: tracked,
      async close() {
        // Closing our own connections is not an outage.
        tracked.close();
        await Promise.allSettled([redis.quit(), db.destroy()]);
      },
    };
  } catch (error) {
    redis.disconnect();
    await db.destroy();
    throw error;
  }
}
