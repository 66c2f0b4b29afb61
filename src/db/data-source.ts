// The TypeORM data source for Postgres; nothing connects until initialize() is called.
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.ts';
import { AccountEntity, UpstreamLinkEntity } from '../accounts/account.ts';
import type { Config } from '../config.ts';
import { ConsentEntity } from '../oidc/consent-store.ts';
import { MIGRATIONS_TABLE } from './migrate.ts';

export const ENTITIES = [AccountEntity, UpstreamLinkEntity, ConsentEntity];

export function createDataSource(
  config: Pick<Config, 'databaseUrl' | 'databaseSchema'>,
  options: { poolSize?: number; onPoolError?: (error: Error) => void } = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
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
