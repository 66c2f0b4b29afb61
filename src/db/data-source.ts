// The TypeORM data source for Postgres; nothing connects until initialize() is called.
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.ts';
import { AccountEntity, FederatedIdentityEntity } from '../accounts/account.ts';
import type { Config } from '../config.ts';
import { ConsentEntity } from '../oidc/consent-store.ts';

export const ENTITIES = [AccountEntity, FederatedIdentityEntity, ConsentEntity];

export function createDataSource(
  config: Pick<Config, 'databaseUrl' | 'databaseSchema'>,
  options: { poolSize?: number } = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    schema: config.databaseSchema,
    entities: ENTITIES,
    migrations,
    migrationsTableName: 'latchkey_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    poolSize: options.poolSize ?? 10,
    applicationName: 'latchkey',
    connectTimeoutMS: 5000,
    // Unqualified names in migrations and raw queries resolve to the configured schema.
    extra: { options: `-c search_path=${config.databaseSchema}` },
  });
}
