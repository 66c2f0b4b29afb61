// Connects to Postgres and Redis and loads what the app needs from them, in a safe order.

import type { JWK } from 'jose';
import type { DataSource } from 'typeorm';
import type { ProfileChangeChannel } from './accounts/profile-cache.ts';
import type { Config } from './config.ts';
import { createDataSource } from './db/data-source.ts';
import { ensureDatabase, migrate } from './db/migrate.ts';
import { RedisProfileChanges } from './db/profile-changes.ts';
import type { RedisClient } from './db/redis.ts';
import { connectRedis, createRedisClient } from './db/redis.ts';
import { describeTarget } from './db/redis-target.ts';
import { StoreOutages } from './db/store-outages.ts';
import { loadCookieKeys } from './keys/cookie-keys.ts';
import { KeyRing, StoredKeysUnreadable } from './keys/key-encryption.ts';
import { SigningKeyStore } from './keys/signing-keys.ts';
import { protectionSummary, sealPlainSecrets } from './keys/stored-secrets.ts';
import type { Logger } from './logger.ts';
import { describeUrl } from './net.ts';
import { type ClientEntry, ClientsFileError, loadClients } from './oidc/clients.ts';
import { loadResourceServers, type ResourceServers } from './oidc/resource-servers.ts';

export interface Resources {
  db: DataSource;
  redis: RedisClient;
  clients: ClientEntry[];
  /** The APIs tokens are issued for, Latchkey's own /api among them. */
  resourceServers: ResourceServers;
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  /** Outages of Postgres and Redis after boot: logged once each, probed until they end. */
  outages: StoreOutages;
  /** Account changes told to every instance (cached profiles are dropped). */
  profileChanges: ProfileChangeChannel;
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

/**
 * Signing and cookie keys from Postgres: plain rows are sealed first when a key-encryption key is
 * configured, missing keys are created, and every row that cannot be decrypted is reported at once.
 */
async function loadKeys(db: DataSource, config: Config, logger: Logger) {
  const ring = new KeyRing(config.keyEncryptionKeys);
  if (!ring.enabled) {
    logger.warn(
      { event: 'keys.plaintext' },
      'KEY_ENCRYPTION_KEYS is not set: signing keys and generated cookie keys are stored in Postgres in plain text, so a copy of the database can mint tokens. Development only; production requires it.',
    );
  }
  const sealed = await sealPlainSecrets(db, ring);
  if (Object.keys(sealed).length > 0) {
    logger.info({ sealed, keyEncryptionKey: ring.newestId }, 'plain stored keys sealed');
  }
  const keys = new SigningKeyStore(db, ring);
  const problems: string[] = [];
  const collect = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof StoredKeysUnreadable)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const jwks = await collect(async () => {
    const created = await keys.ensureActiveKeys();
    if (created.length > 0) logger.info({ kids: created }, 'signing keys generated');
    return keys.providerJwks();
  });
  const cookieKeys = await collect(() => loadCookieKeys(db, config.cookieKeys, ring));
  if (!jwks || !cookieKeys) throw new StoredKeysUnreadable(problems);
  if (ring.enabled) {
    const { olderKek } = await protectionSummary(db, ring);
    if (olderKek > 0) {
      logger.warn(
        { rows: olderKek, keyEncryptionKey: ring.newestId },
        'stored keys are sealed with an older key-encryption key: run keys:rewrap, then remove the old key from KEY_ENCRYPTION_KEYS',
      );
    }
  }
  return { jwks, cookieKeys };
}

export async function connect(config: Config, logger: Logger): Promise<Resources> {
  // Clients first: a bad file should stop the boot before anything is opened.
  const clients = await loadClients(config.clientsFile, {
    production: config.production,
    privateNetwork: config.backchannelAllowPrivateNetwork,
  });
  const resourceServers = await loadResourceServers(config.resourceServersFile, config.issuer);
  const unknown = resourceServers.clientProblems(clients);
  if (unknown.length > 0) throw new ClientsFileError(config.clientsFile ?? 'CLIENTS_FILE', unknown);
  // Failures before the boot completes stop it; afterwards they are outages, logged once each.
  let outages: StoreOutages | undefined;
  const db = await connectDatabase(config, logger, (error) => outages?.failed('postgres', error));
  const redis = createRedisClient(config.redisTarget);
  // Pub/sub needs a connection of its own (on a cluster, a client of its own, which subscribes
  // through one node: Redis Cluster passes every published message to all nodes); its failures
  // show on the main one.
  const subscriber = createRedisClient(config.redisTarget);
  const where = describeTarget(config.redisTarget, describeUrl);
  subscriber.on('error', () => {});
  // ioredis reconnects by itself; without a listener it would print each failure to stderr.
  redis.on('error', (error: Error) => outages?.failed('redis', error));
  redis.on('close', () => outages?.failed('redis', new Error('connection closed')));
  redis.on('ready', () => outages?.answered('redis'));
  try {
    await reaching(where, () => connectRedis(redis));
    await reaching(where, () => subscriber.connect());
    const { jwks, cookieKeys } = await loadKeys(db, config, logger);
    logger.info(
      {
        clients: clients.length,
        resourceServers: resourceServers.list().length,
        signingKeys: jwks.keys.length,
        cookieKeysFrom: config.cookieKeys ? 'COOKIE_KEYS' : 'database',
        keyEncryptionKey: config.keyEncryptionKeys[0]?.id ?? null,
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
      resourceServers,
      jwks,
      cookieKeys,
      outages: tracked,
      profileChanges: new RedisProfileChanges(
        redis,
        subscriber,
        `${config.redisKeyPrefix}profile-changed`,
      ),
      async close() {
        // Closing our own connections is not an outage.
        tracked.close();
        await Promise.allSettled([redis.quit(), subscriber.quit(), db.destroy()]);
      },
    };
  } catch (error) {
    redis.disconnect();
    subscriber.disconnect();
    await db.destroy();
    throw error;
  }
}
