// The TypeORM data source for Postgres; nothing connects until initialize() is called.
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.ts';
import { AccountEntity, UpstreamLinkEntity } from '../accounts/account.ts';
import type { Config } from '../config.ts';
import { ConsentEntity } from '../oidc/consent-store.ts';
import { MIGRATIONS_TABLE } from './migrate.ts';

export const ENTITIES = [AccountEntity, UpstreamLinkEntity, ConsentEntity];

/**
 * With DATABASE_READ_URL, TypeORM replication: every query still goes to the primary
 * (defaultMode master) unless it asks for a `slave` query runner, which only the account reads
 * for claims do (AccountRepository.byIdOnReplica). Without it, those reads go to the primary too.
 */
export function createDataSource(
  config: Pick<Config, 'databaseUrl' | 'databaseSchema'> & { databaseReadUrl?: string | undefined },
  options: { poolSize?: number; onPoolError?: (error: Error) => void } = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    ...(config.databaseReadUrl
      ? {
          replication: {
            master: { url: config.databaseUrl },
            slaves: [{ url: config.databaseReadUrl }],
            defaultMode: 'master' as const,
          },
        }
      : { url: config.databaseUrl }),
    schema: config.databaseSchema,
    entities: ENTITIES,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    poolSize: options.poolSize ?? 10,
    applicationName: 'latchkey',
    // The pool's connectionTimeoutMillis: waiting for a connection (a free one, or a new one to a
    // server that does not answer) ends after 2 s, so an outage gives 503s, not a queue.
    connectTimeoutMS: 2000,
    // An idle connection the server closed (restart, failover) is reported here, not thrown.
    poolErrorHandler: options.onPoolError ?? (() => {}),
    // Unqualified names in migrations and raw queries resolve to the configured schema.
    extra: { options: `-c search_path=${config.databaseSchema}` },
  });
}
