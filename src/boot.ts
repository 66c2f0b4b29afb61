// Connects to Postgres and Redis and loads what the app needs from them, in a safe order.
import type { Redis } from 'ioredis';
import type { JWK } from 'jose';
import type { DataSource } from 'typeorm';
import type { Config } from './config.ts';
import { createDataSource } from './db/data-source.ts';
import { ensureDatabase, migrate } from './db/migrate.ts';
import { createRedis } from './db/redis.ts';
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
  close(): Promise<void>;
}

/** Opens Postgres (migrating first unless disabled). */
export async function connectDatabase(config: Config, logger: Logger): Promise<DataSource> {
  if (config.migrateOnBoot) await ensureDatabase(config.databaseUrl);
  const db = createDataSource(config);
  await db.initialize();
  if (config.migrateOnBoot) {
    const { applied } = await migrate(db, config.databaseSchema);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  return db;
}

export async function connect(config: Config, logger: Logger): Promise<Resources> {
  // Clients first: a bad file should stop the boot before anything is opened.
  const clients = await loadClients(config.clientsFile);
  const db = await connectDatabase(config, logger);
  const redis = createRedis(config.redisUrl);
  try {
    await redis.connect();
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
    return {
      db,
      redis,
      clients,
      jwks,
      cookieKeys,
      async close() {
        await Promise.allSettled([redis.quit(), db.destroy()]);
      },
    };
  } catch (error) {
    redis.disconnect();
    await db.destroy();
    throw error;
  }
}
